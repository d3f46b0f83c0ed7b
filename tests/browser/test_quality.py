"""Every public page against the W3C Nu checker and axe-core, on the sample corpus.

The checkers come from npm (package.json pins them): run ``npm ci`` first, as
``make test`` does.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.conftest import DATA

ROOT = Path(__file__).resolve().parents[2]
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]
PAGES = {
    "home": "/",
    "list": "/drugs/",
    "list-filtered": "/drugs/?letter=A&kind=combination&serious=yes&sort=updated",
    "search": "/drugs/?q=acne",
    "search-no-hits": "/drugs/?q=nonexistentword",
    "monograph": "/drugs/isotretinoin-systemic/",
    "monograph-filtered": "/drugs/isotretinoin-systemic/?severity=serious&frequency=bogus",
    "changes": "/drugs/isotretinoin-systemic/changes/",
    "combination": "/drugs/alprazolam-melatonin/",
    "lookup": "/side-effects/",
    "lookup-results": "/side-effects/?q=pancreatitis&severity=serious",
    "monograph-by-frequency": "/drugs/isotretinoin-systemic/?group=frequency&severity=serious",
    "compare": "/compare/?drugs=isotretinoin-systemic,isotretinoin-topical,isotretinoin",
    "compare-two": "/compare/?drug=isotretinoin-systemic&drug=isotretinoin-topical",
    "compare-waiting": "/compare/?with=isotretinoin-systemic",
    "not-found": "/drugs/no-such-medicine/",
    "staff-sign-in": "/account/login/?next=/admin/",
    "api-guide": "/api/",
}

pytestmark = pytest.mark.browser


@pytest.fixture
def corpus_server(live_server, transactional_db, settings):
    """The live server, with the 300-file sample corpus imported, as `make run` serves it
    (with the banner saying that its texts are an unreviewed demonstration)."""
    if not (VNU.exists() and AXE.exists()):
        pytest.skip("the page checkers are not installed: run `npm ci`")
    settings.DEMO_BANNER = True
    call_command("import_monographs", str(DATA / "corpus"), verbosity=0)
    return live_server


def fetch(url: str) -> str:
    try:
        with urlopen(url) as response:
            return response.read().decode()
    except HTTPError as error:  # the 404 page is checked too
        return error.read().decode()


def test_public_pages_are_valid_html(corpus_server, tmp_path):
    java = shutil.which("java")
    assert java, "the W3C checker needs Java"
    files = []
    for name, path in PAGES.items():
        file = tmp_path / f"{name}.html"
        file.write_text(fetch(corpus_server.url + path), encoding="utf-8")
        files.append(str(file))
    result = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = [
        f"{Path(m['url']).stem}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m["type"] == "error"
    ]
    assert errors == []


def test_public_pages_have_no_accessibility_violations(corpus_server, browser):
    # axe is injected through the DevTools protocol, which the page's CSP does not govern.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    source = AXE.read_text(encoding="utf-8")
    violations = {}
    for name, path in PAGES.items():
        page.goto(corpus_server.url + path)
        page.evaluate(source)
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
        )
        found = [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in result["violations"]]
        if found:
            violations[name] = found
    context.close()
    assert violations == {}


def test_public_pages_fit_a_phone_screen(corpus_server, page: Page):
    page.set_viewport_size({"width": 375, "height": 800})
    too_wide = {}
    for name, path in PAGES.items():
        page.goto(corpus_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 375:
            too_wide[name] = width
    assert too_wide == {}


@pytest.fixture
def small_site(live_server, transactional_db):
    """The live server with a few monographs: enough for the keyboard."""
    names = ["i/isotretinoin-systemic.md", "i/isotretinoin-topical.md", "m/metformin.md"]
    call_command("import_monographs", *[str(DATA / "corpus" / n) for n in names], verbosity=0)
    return live_server


def test_a_keyboard_reader_can_skip_to_content_and_filter_side_effects(small_site, page: Page):
    page.goto(small_site.url + PAGES["monograph"])
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.locator("input[name=severity][value=serious]").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Filter side effects").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"severity=serious"))
    expect(page.locator("#side-effects-list")).not_to_contain_text("Nosebleeds")


def test_a_keyboard_reader_can_search_and_open_a_result(small_site, page: Page):
    page.goto(small_site.url + "/")
    page.locator("#home-q").focus()
    page.keyboard.type("acne")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “acne”")
    page.get_by_role("link", name="Isotretinoin (Systemic)").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Isotretinoin (Systemic)")
