"""A reader's flows in Chromium: search with suggestions, list filters, lookup, comparison."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.conftest import DATA

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
SAMPLE = [
    "i/isotretinoin-systemic.md",
    "i/isotretinoin-topical.md",
    "i/isotretinoin.md",
    "a/adapalene-clindamycin.md",
    "a/amoxicillin.md",
    "a/amoxicillin-clavulanic-acid.md",
    "m/metformin.md",
    "p/paracetamol.md",
    "a/acetaminophen-paracetamol.md",
    "a/alprazolam-melatonin.md",
    "a/abacavir.md",
]

pytestmark = pytest.mark.browser


@pytest.fixture
def reader_site(live_server, transactional_db):
    call_command("import_monographs", *[str(DATA / "corpus" / f) for f in SAMPLE], verbosity=0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return live_server


def shot(page: Page, name: str) -> None:
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def test_reader_searches_from_the_home_page_with_suggestions(reader_site, page: Page):
    page.goto(reader_site.url + "/")
    shot(page, "home")
    search = page.locator("#home-q")
    search.fill("isotre")
    # Suggestions are an enhancement: the datalist fills as the reader types.
    expect(page.locator("#home-q-suggestions option")).not_to_have_count(0)
    search.fill("acne")
    page.locator("main form.search").get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “acne”")
    first_three = page.locator(".drug-list li a").all_inner_texts()[:3]
    assert any(title.startswith("Isotretinoin") for title in first_three), first_three
    shot(page, "search-results")


def test_reader_narrows_the_list_with_filters_that_survive(reader_site, page: Page):
    page.goto(reader_site.url + "/drugs/")
    page.get_by_label("Kind").select_option("combination")
    page.get_by_label("Side effects").select_option("yes")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"kind=combination.*serious=yes"))
    expect(page.get_by_label("Kind")).to_have_value("combination")
    titles = page.locator(".drug-list li > a").all_inner_texts()
    assert titles and all("+" in title for title in titles)
    page.get_by_role("link", name="A", exact=True).click()
    expect(page.locator(".letters a[aria-current=page]")).to_have_text("A")
    shot(page, "list-filtered")


def test_reader_filters_a_monograph_by_frequency_without_javascript(reader_site, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(reader_site.url + "/drugs/isotretinoin-systemic/")
    page.locator("input[name=frequency][value=uncommon]").check()
    page.get_by_role("button", name="Filter side effects").click()
    listed = page.locator("#side-effects-list")
    expect(listed).to_contain_text("Pancreatitis")
    expect(listed).not_to_contain_text("Nosebleeds")
    shot(page, "monograph-filtered")
    context.close()


def test_reader_looks_up_a_side_effect_across_medicines(reader_site, page: Page):
    page.goto(reader_site.url + "/side-effects/")
    shot(page, "side-effects-most-listed")
    page.get_by_label("Side effect").fill("Pancreatitis")
    page.get_by_label("Serious – contact a doctor").check()
    page.get_by_role("button", name="Look up").click()
    row = page.get_by_role("row", name=re.compile("Isotretinoin \\(Systemic\\)"))
    expect(row).to_contain_text("Serious – contact a doctor")
    shot(page, "side-effect-lookup")


def test_reader_compares_two_medicines(reader_site, page: Page):
    page.goto(reader_site.url + "/drugs/isotretinoin-systemic/")
    page.get_by_role("link", name="Compare with another medicine").click()
    # Nothing is wrong yet: the page asks for a second medicine, without a warning.
    expect(page.locator("#compare-help")).to_contain_text("Add one to three more medicines")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_label("Medicine 1")).to_have_value("Isotretinoin (Systemic)")
    page.get_by_label("Medicine 2").fill("isotretinoin topcal")
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_role("table").first).to_contain_text("Isotretinoin (Topical)")
    expect(page.locator(".compare-effects")).to_contain_text("Pancreatitis")
    shot(page, "compare")


def test_a_printed_monograph_is_one_clean_column_with_every_answer(reader_site, page: Page):
    page.goto(reader_site.url + "/drugs/isotretinoin-systemic/")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("form.filter")).to_be_hidden()
    expect(page.locator(".print-url")).to_be_visible()
    expect(page.get_by_text("Results vary, but improvements")).to_be_visible()
    page.pdf(path=SCREENSHOTS / "monograph-print.pdf")


DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_reader_types_a_misspelt_name_in_the_header_and_lands_on_its_monograph(
    reader_site, page: Page
):
    page.goto(reader_site.url + "/drugs/abacavir/")
    box = page.locator("header").get_by_label("Search medicines")
    box.fill("amoxicilin")
    # The suggestions forgive the misspelling too.
    expect(page.locator("#site-q-suggestions option").first).to_have_attribute(
        "value", "Amoxicillin"
    )
    box.press("Enter")
    expect(page.locator(".correction")).to_contain_text(
        "Showing results for amoxicillin. Search instead for amoxicilin"
    )
    page.screenshot(path=DOCS_SCREENSHOTS / "search-corrected.png", full_page=True)
    page.locator(".drug-list li a").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Amoxicillin")
    expect(page).to_have_url(re.compile(r"/drugs/amoxicillin/$"))


def test_reader_is_offered_did_you_mean_when_no_correction_is_close(reader_site, page: Page):
    page.goto(reader_site.url + "/")
    box = page.locator("header").get_by_label("Search medicines")
    box.fill("metfomn")  # two edits in seven letters: offered, not assumed
    box.press("Enter")
    link = page.get_by_role("link", name="metformin")
    expect(link).to_be_visible()
    page.screenshot(path=DOCS_SCREENSHOTS / "search-did-you-mean.png", full_page=True)
    link.click()
    expect(page.locator(".drug-list li a").first).to_have_text("Metformin")
