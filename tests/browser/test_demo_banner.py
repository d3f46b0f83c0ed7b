"""`make run`'s banner, as a reader sees it: above every public page, readable, CSP-safe."""

import pytest
from playwright.sync_api import expect

from .conftest import csp_violations

pytestmark = pytest.mark.browser


def test_the_demo_banner_heads_the_monograph_page(
    watched, live_server, live_seed_drug, settings, screenshots_dir
):
    settings.DEMO_BANNER = True
    page = watched
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + live_seed_drug.get_absolute_url())
    banner = page.get_by_role("note", name="About this demonstration")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("machine-generated and have not been reviewed")
    box, header = banner.bounding_box(), page.locator(".site-header").bounding_box()
    assert box["y"] < header["y"]  # the first thing on the page
    assert csp_violations(page) == []
    page.screenshot(path=str(screenshots_dir / "demo-banner.png"))
