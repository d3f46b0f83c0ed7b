"""The drug form in Chromium: editors on rows added with "Add another", and a
side-effect table that fits a 1,280 px window."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from .conftest import PROJECT_ROOT, csp_violations, unpublish, wait_for_previews

pytestmark = pytest.mark.browser


def test_an_added_section_and_faq_get_a_working_markdown_editor(
    watched: Page, live_server, live_seed_drug, signed_in
):
    # Edited in place: a draft (a published one is edited in its working draft).
    unpublish(live_seed_drug)
    page = watched
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + reverse("admin:monographs_drug_change", args=[live_seed_drug.pk]))
    wait_for_previews(page)
    for group in ("sections", "faqs"):
        page.locator(f"#{group}-group .add-row a").click()
        row = page.locator(f"#{group}-group .inline-related:not(.empty-form)").last
        text = row.locator("textarea.markdownx-editor")
        text.fill("Keep **cool**.")
        # The preview is markdownx's: it renders only where an editor was started.
        expect(row.locator(".markdownx-preview strong")).to_have_text("cool")
    assert csp_violations(page) == []


def test_the_side_effect_table_fits_a_1280_px_window(
    page: Page, live_server, live_seed_drug, signed_in
):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + reverse("admin:monographs_drug_change", args=[live_seed_drug.pk]))
    table = page.locator("#side_effects-group table")
    table.scroll_into_view_if_needed()
    page.screenshot(path=PROJECT_ROOT / "docs/screenshots/admin-side-effects-1280.png")
    box = table.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1280
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.screenshot(path=PROJECT_ROOT / "docs/screenshots/admin-side-effects-1280.png")
