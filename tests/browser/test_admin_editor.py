"""The admin and its Markdown editor, working in Chromium under the Content Security Policy."""

import base64
import re
from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image
from playwright.sync_api import Page, expect

from monographs.models import Drug

from .conftest import csp_violations, unpublish, wait_for_previews

pytestmark = pytest.mark.browser

PASSWORD = "a-long-and-correct-password"

DROP_FILE = """
([selector, name, type, base64]) => {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type}));
  const editor = document.querySelector(selector);
  editor.focus();
  editor.dispatchEvent(
    new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
}
"""


def assert_csp(response):
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


@pytest.fixture
def reviewer(editorial_roles):
    """A Reviewer, with the role as the migrations make it."""
    user = get_user_model().objects.create_user("reviewer", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Reviewer"))
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user


def test_a_reviewer_signs_in_edits_and_saves_a_drug_under_the_csp(
    watched: Page, live_server, live_seed_drug, reviewer, screenshots_dir
):
    # Edited in place: a draft (a published one is edited in its working draft).
    unpublish(live_seed_drug)
    page = watched
    assert_csp(page.goto(live_server.url + reverse("admin:login")))  # after its redirects
    page.get_by_label("Username").fill("reviewer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    # The code an authenticator app with the device's secret shows now.
    device = TOTPDevice.objects.get(user=reviewer)
    page.get_by_label("6-digit code").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#site-name")).to_have_text("Drug monograph portal")

    url = reverse("admin:monographs_drug_change", args=[live_seed_drug.pk])
    assert_csp(page.goto(live_server.url + url))
    wait_for_previews(page)
    page.locator("#id_generic_name").fill("Isotretinoin")

    # The live preview follows the text as it is typed, through the portal's renderer.
    body = page.locator("#id_sections-0-body")
    preview = page.locator(".markdownx", has=body).locator(".markdownx-preview")
    body.fill("Edited **usage** text. <img src=x onerror=alert(1)>")
    expect(preview).to_have_text("Edited usage text. <img src=x onerror=alert(1)>")
    expect(preview.locator("strong")).to_have_text("usage")
    expect(preview.locator("img")).to_have_count(0)

    # The admin's own scripts work too: a new inline section, added with its button.
    page.locator("#sections-group .add-row a").click()
    new_section = page.locator("#sections-group .inline-related:not(.empty-form)").last
    new_section.locator("input[name$='-heading']").fill("Storage")
    new_section.locator("textarea[name$='-body']").fill("Keep *cool*.")
    page.screenshot(path=screenshots_dir / "admin-drug-change-csp.png", full_page=True)

    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")

    drug = Drug.objects.get(pk=live_seed_drug.pk)
    assert drug.generic_name == "Isotretinoin"
    assert drug.sections.get(position=1).body_html.startswith(
        "<p>Edited <strong>usage</strong> text."
    )
    assert drug.sections.get(heading="Storage").body_html == "<p>Keep <em>cool</em>.</p>\n"
    assert page.dialogs == []
    assert csp_violations(page) == []


def test_a_reviewer_publishes_with_the_workflow_button_under_the_csp(
    watched: Page, live_server, reviewer
):
    from monographs.choices import Status

    from .conftest import sign_in

    page = watched
    sign_in(page.context, live_server, reviewer)
    drug = Drug.objects.create(title="Pickamine", slug="pickamine", status=Status.IN_REVIEW)
    page.goto(live_server.url + reverse("admin:monographs_drug_change", args=[drug.pk]))
    page.confirm_answers = [True]  # "Review and publish? Readers will see this version…"
    page.get_by_role("button", name="Review and publish").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Reviewed and published")
    assert page.dialogs[0].startswith("confirm: 'Review and publish?")
    drug = Drug.objects.get(pk=drug.pk)
    assert (drug.status, drug.reviewed_by) == (Status.PUBLISHED, reviewer)
    expect(page.locator(".workflow")).to_contain_text(f"Reviewed on {drug.reviewed_on:%-d %B %Y}")
    assert csp_violations(page) == []


def png_base64() -> str:
    buffer = BytesIO()
    Image.new("RGB", (12, 12), "teal").save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_the_editor_says_why_an_image_is_refused_and_inserts_an_accepted_one(
    signed_in: Page, watched: Page, live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    page = watched
    drug = Drug.objects.create(title="Dropamine", slug="dropamine")
    page.goto(live_server.url + reverse("admin:monographs_drug_change", args=[drug.pk]))
    editor = page.locator("#id_introduction")
    box = page.locator(".markdownx", has=editor)

    svg = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg"/>').decode()
    page.evaluate(DROP_FILE, ["#id_introduction", "logo.svg", "image/svg+xml", svg])
    refusal = box.get_by_role("alert")
    expect(refusal).to_contain_text("Only JPEG and PNG images can be uploaded")
    expect(editor).to_have_value("")

    page.evaluate(DROP_FILE, ["#id_introduction", "chart.png", "image/png", png_base64()])
    expect(editor).to_have_value(re.compile(r"^!\[\]\(/media/markdownx/[0-9a-f]{32}\.png\)$"))
    expect(refusal).to_have_count(0)
    assert len(list((tmp_path / "markdownx").iterdir())) == 1
    assert csp_violations(page) == []


def test_the_404_page_in_the_browser(watched: Page, live_server, screenshots_dir):
    page = watched
    response = page.goto(live_server.url + "/no-such-page/")
    assert response.status == 404
    assert_csp(response)
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.locator(".site-header")).to_have_css("background-color", "rgb(0, 94, 184)")
    page.screenshot(path=screenshots_dir / "404.png", full_page=True)
    assert csp_violations(page) == []
