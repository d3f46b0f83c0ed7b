"""The reading pages on a phone (390×844) in Chromium: results before filters, tables that fit,
one column a medicine in a comparison; axe finds nothing. Screenshots for the README."""

from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.conftest import DATA

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]
DOCS = ROOT / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
FILES = [
    "i/isotretinoin-systemic.md",
    "i/isotretinoin-topical.md",
    "i/isotretinoin.md",
    "a/adapalene-clindamycin.md",
    "m/metformin.md",
    "a/amoxicillin.md",
    "a/abacavir.md",
]
COMPARE_TWO = "/compare/?drug=isotretinoin-systemic&drug=isotretinoin-topical"
MONOGRAPH = "/drugs/isotretinoin-systemic/"


@pytest.fixture
def site(live_server, transactional_db):
    call_command("import_monographs", *[str(DATA / "corpus" / f) for f in FILES], verbosity=0)
    DOCS.mkdir(parents=True, exist_ok=True)
    return live_server


@pytest.fixture
def phone(page: Page) -> Page:
    page.set_viewport_size(PHONE)
    return page


def page_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_on_a_phone_the_first_result_comes_before_the_filters(site, phone: Page):
    phone.goto(site.url + "/drugs/?q=acne")
    first = phone.locator(".drug-list li a").first
    expect(first).to_be_in_viewport()
    box = first.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"], box
    kind = phone.get_by_label("Kind")
    expect(kind).to_be_hidden()  # behind the disclosure
    summary = phone.locator("summary", has_text="Filters and sort")
    assert summary.bounding_box()["y"] < box["y"]
    phone.screenshot(path=DOCS / "reading-list-phone.png")
    summary.click()
    expect(kind).to_be_visible()
    kind.select_option("single")
    phone.get_by_role("button", name="Show").click()
    expect(phone.locator("summary", has_text="Filters and sort (1 chosen)")).to_be_visible()
    expect(phone.locator(".drug-list li a").first).to_be_in_viewport()
    assert page_width(phone) <= PHONE["width"]


def test_on_a_wide_screen_the_filters_show_without_a_disclosure(site, page: Page):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(site.url + "/drugs/?q=acne")
    expect(page.get_by_label("Kind")).to_be_visible()
    expect(page.locator("summary", has_text="Filters and sort")).to_be_hidden()


def test_the_disclosure_opens_without_javascript(site, browser):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(site.url + MONOGRAPH)
    severity = page.locator("input[name=severity][value=serious]")
    expect(severity).to_be_hidden()
    page.locator("summary", has_text="Severity and frequency filter").click()
    severity.check()
    page.get_by_role("button", name="Filter side effects").click()
    expect(page.locator("#side-effects-list")).not_to_contain_text("Nosebleeds")
    context.close()


def test_on_a_phone_the_lookup_table_becomes_cards_that_fit(site, phone: Page):
    phone.goto(site.url + "/side-effects/?q=headache")
    rows = phone.locator("table.lookup tbody tr")
    expect(rows.first).to_be_visible()
    assert page_width(phone) <= PHONE["width"]
    for cell in phone.locator("table.lookup tbody td, table.lookup tbody th").all()[:20]:
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    expect(rows.first.locator("td").first).to_have_css("display", "block")
    region = phone.locator(".table-scroll").first
    assert region.evaluate("el => el.scrollWidth <= el.clientWidth")  # nothing cut off
    phone.screenshot(path=DOCS / "reading-lookup-phone.png")


def test_on_a_phone_a_comparison_shows_one_medicine_a_column_on_screen(site, phone: Page):
    phone.goto(site.url + COMPARE_TWO)
    assert page_width(phone) <= PHONE["width"]
    for table in phone.locator("table.compare").all():
        assert table.evaluate("el => el.parentElement.scrollWidth <= el.parentElement.clientWidth")
        headers = table.locator("thead th[scope=col]:not(.corner)")
        expect(headers).to_have_count(2)
        boxes = [h.bounding_box() for h in headers.all()]
        for box in boxes:
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], boxes
        assert boxes[0]["x"] + boxes[0]["width"] <= boxes[1]["x"] + 1  # side by side
    # Each cell says whose it is, and no word is cut at the screen's edge.
    effects = phone.locator("table.compare-effects")
    cell = effects.locator("tbody td").first
    label = cell.evaluate("el => getComputedStyle(el, '::before').content")
    assert "Isotretinoin (Systemic)" in label
    for cell in effects.locator("tbody td").all()[:30]:
        assert cell.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
    expect(effects.get_by_role("row", name="Dry skin")).to_contain_text("as “Dry skin and")
    effects.evaluate("el => el.scrollIntoView()")
    phone.screenshot(path=DOCS / "reading-compare-phone.png")


def test_the_monograph_side_effects_say_how_often_and_group_either_way(site, page: Page):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(site.url + MONOGRAPH)
    listed = page.locator("#side-effects-list")
    expect(listed.get_by_role("heading", name="Mild (8)")).to_be_visible()
    expect(listed).to_contain_text("How often: Common (≥1/100 to <1/10)")
    page.locator("#side-effects").screenshot(path=DOCS / "reading-monograph-side-effects.png")
    page.get_by_role("navigation", name="Group side effects").get_by_role(
        "link", name="How often"
    ).click()
    expect(listed.get_by_role("heading", name="Uncommon (≥1/1,000 to <1/100) (7)")).to_be_visible()
    expect(page.get_by_role("link", name="How often")).to_have_attribute("aria-current", "true")
    page.set_viewport_size(PHONE)
    page.goto(site.url + MONOGRAPH)
    assert page_width(page) <= PHONE["width"]
    page.locator("#side-effects").screenshot(path=DOCS / "reading-monograph-side-effects-phone.png")


def test_a_printed_filtered_monograph_says_what_it_left_out(site, page: Page):
    page.goto(site.url + MONOGRAPH + "?severity=serious")
    note = page.locator(".filter-note")
    expect(note).to_be_hidden()
    page.emulate_media(media="print")
    expect(note).to_be_visible()
    expect(note).to_have_text("Showing only serious side effects; 8 others left out (of 15).")
    expect(page.locator(".grouping")).to_be_hidden()


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}])
def test_the_reading_pages_have_no_accessibility_violations(site, browser, viewport):
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `npm ci`")
    context = browser.new_context(bypass_csp=True, viewport=viewport)
    page = context.new_page()
    source = AXE.read_text(encoding="utf-8")
    violations = {}
    for path in [
        "/drugs/?q=acne",
        "/drugs/?q=acne&kind=bogus",
        MONOGRAPH,
        MONOGRAPH + "?group=frequency&severity=serious",
        "/side-effects/?q=headache",
        COMPARE_TWO,
        "/compare/?drug=isotretinoin&drug=isotretinoin-topical&drug=metformin&drug=amoxicillin",
        "/compare/?with=isotretinoin-systemic",
    ]:
        page.goto(site.url + path)
        if path == MONOGRAPH and viewport == PHONE:  # with the disclosure open too
            page.locator(".disclosure summary").click()
        page.evaluate(source)
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
        )
        found = [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in result["violations"]]
        if found:
            violations[path] = found
        assert page_width(page) <= viewport["width"], path
    context.close()
    assert violations == {}
