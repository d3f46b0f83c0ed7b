"""A reader's monograph page, in a real Chromium against the live server."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

DETAIL_PATH = "/drugs/isotretinoin-systemic/"


def test_reader_filters_side_effects_to_serious_in_the_browser(
    page: Page, live_server, live_seed_drug, screenshots_dir
):
    page.goto(live_server.url + DETAIL_PATH)
    side_effects = page.locator("#side-effects-list")
    expect(side_effects).to_contain_text("Pancreatitis")
    expect(side_effects).to_contain_text("Nosebleeds")

    form = page.locator("form.filter")
    for severity in ("mild", "serious", "emergency"):
        checkbox = form.locator(f"input[name=severity][value={severity}]")
        checkbox.set_checked(severity == "serious")
    form.get_by_role("button", name="Filter").click()

    expect(page).to_have_url(re.compile(r"[?&]severity=serious(&|#|$)"))
    assert "severity=mild" not in page.url
    assert "severity=emergency" not in page.url
    expect(side_effects.get_by_text("Pancreatitis")).to_be_visible()
    expect(side_effects).not_to_contain_text("Nosebleeds")

    page.screenshot(path=screenshots_dir / "monograph-severity-filter.png", full_page=True)


def test_reader_reaches_a_monograph_from_the_list(page: Page, live_server, live_seed_drug):
    page.goto(live_server.url + "/drugs/")
    page.get_by_role("link", name="Isotretinoin (Systemic)", exact=True).click()

    expect(page).to_have_url(live_server.url + DETAIL_PATH)
    expect(page.locator("h1")).to_have_text("Isotretinoin (Systemic)")


def test_invalid_severity_is_reported_on_the_page(page: Page, live_server, live_seed_drug):
    page.goto(live_server.url + DETAIL_PATH + "?severity=bogus")

    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(re.compile(r"bogus|valid choice", re.IGNORECASE))


def test_monograph_page_is_usable_at_phone_width(
    page: Page, live_server, live_seed_drug, screenshots_dir
):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(live_server.url + DETAIL_PATH)
    expect(page.locator("h1")).to_have_text("Isotretinoin (Systemic)")

    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 375, f"the page scrolls sideways: {scroll_width}px wide at 375px"

    page.screenshot(path=screenshots_dir / "monograph-375.png", full_page=True)
