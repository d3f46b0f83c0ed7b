"""A reader follows a monograph to its change log and reads what changed, with
JavaScript or without; the page passes the W3C checker and axe-core."""

import json
import re
import shutil
import subprocess

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from monographs.choices import Frequency, SectionKind, Severity
from monographs.models import Faq, Section, SideEffect
from tests.browser.conftest import PROJECT_ROOT
from tests.browser.test_quality import AXE, AXE_TAGS, VNU, fetch
from tests.factories import make_user
from tests.test_change_log import approve_edit

pytestmark = pytest.mark.browser


def first_edit(draft):
    """Side effects and the Dosage section, as a pharmacist might revise them."""
    effects = list(SideEffect.objects.filter(drug=draft).order_by("position", "id")[:2])
    severity = Severity.EMERGENCY if effects[0].severity == Severity.SERIOUS else Severity.SERIOUS
    frequency = Frequency.RARE if effects[1].frequency != Frequency.RARE else Frequency.UNCOMMON
    SideEffect.objects.filter(pk=effects[0].pk).update(severity=severity)
    SideEffect.objects.filter(pk=effects[1].pk).update(frequency=frequency)
    SideEffect.objects.create(
        drug=draft,
        name="Blurred vision at night",
        severity=Severity.SERIOUS,
        frequency=Frequency.UNCOMMON,
        position=99,
    )
    dosage = Section.objects.filter(drug=draft, kind=SectionKind.DOSAGE).first()
    dosage.body = dosage.body.replace("varies significantly", "varies", 1) + (
        "\n\nTake each dose with a meal: isotretinoin is absorbed better with food."
    )
    dosage.save()


def second_edit(draft):
    """An answer made clearer, a question added, the generic name spelt out."""
    faq = Faq.objects.filter(drug=draft).order_by("position", "id").first()
    faq.answer = "Usually within 4 to 6 weeks; " + faq.answer
    faq.save()
    Faq.objects.create(
        drug=draft,
        question="Can I donate blood while taking it?",
        answer="No, not while taking it and for one month after the last dose.",
        position=99,
    )
    draft.generic_name = "Isotretinoin (13-cis-retinoic acid)"
    draft.save()


@pytest.fixture
def revised(live_server, live_seed_drug, editorial_roles):
    """The reference monograph, imported as published, then revised and approved twice."""
    pharmacist = make_user("pat", "Pharmacist", first_name="Pat", last_name="Lee")
    reviewer = make_user("rae", "Reviewer", first_name="Rae", last_name="Okafor")
    drug = approve_edit(live_seed_drug, pharmacist, reviewer, first_edit)
    return approve_edit(drug, pharmacist, reviewer, second_edit)


def test_a_reader_follows_the_monograph_to_its_change_log(revised, live_server, page: Page):
    page.set_viewport_size({"width": 1000, "height": 900})
    page.goto(live_server.url + revised.get_absolute_url())
    page.get_by_role("link", name="See what changed").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Changes to {revised.title}")
    versions = page.locator("section.version")
    expect(versions).to_have_count(3)
    expect(versions.nth(0).locator(".summary")).to_have_text(
        "FAQs: 1 added, 1 changed; Generic name changed"
    )
    expect(versions.nth(1).locator(".summary")).to_have_text(
        re.compile(r"^Side effects: 1 added, 1 changed severity, 1 changed frequency; Dosage")
    )
    expect(versions.nth(2)).to_contain_text("First published")
    expect(versions.nth(2)).to_contain_text("Imported from its source file")
    expect(versions.nth(1).locator("ins", has_text="Blurred vision at night")).to_be_visible()
    expect(versions.nth(1).locator(".text-diff del", has_text="significantly")).to_be_visible()
    screenshot = PROJECT_ROOT / "docs" / "screenshots" / "change-log.png"
    page.locator("section.version").nth(1).scroll_into_view_if_needed()
    page.screenshot(path=screenshot, full_page=True)


def test_the_feeds_link_opens_the_change_without_javascript(revised, live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    feed = page.goto(live_server.url + reverse("monographs:feed")).text()
    link = re.search(r'<link href="([^"]+/changes/#v\d+)" rel="alternate"', feed)[1]
    page.goto(link)
    anchor = link.rsplit("#", 1)[1]
    expect(page.locator(f"#{anchor}")).to_contain_text("Approved by Rae Okafor")
    expect(page.locator(f"#{anchor}")).to_be_in_viewport()
    context.close()


def test_the_change_log_is_valid_and_accessible(revised, live_server, browser, tmp_path):
    if not (VNU.exists() and AXE.exists()):
        pytest.skip("the page checkers are not installed: run `npm ci`")
    url = live_server.url + reverse("monographs:drug_changes", args=[revised.slug])
    context = browser.new_context(bypass_csp=True)  # axe is injected, not served
    page = context.new_page()
    page.goto(url)
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    assert [f"{v['id']}: {v['help']}" for v in result["violations"]] == []
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    html = tmp_path / "changes.html"
    html.write_text(fetch(url), encoding="utf-8")
    context.close()
    java = shutil.which("java")
    assert java, "the W3C checker needs Java"
    checked = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", str(html)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(checked.stderr or '{"messages": []}')["messages"]
    assert [m["message"] for m in messages if m["type"] == "error"] == []
