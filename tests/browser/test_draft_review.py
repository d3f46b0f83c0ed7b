"""A Pharmacist edits a live monograph in Chromium; it goes through review while
an anonymous reader keeps seeing the published text."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import expect

from monographs.models import Drug

from .conftest import PROJECT_ROOT, sign_in

pytestmark = pytest.mark.browser


def staff(name, role):
    user = get_user_model().objects.create_user(name, is_staff=True, first_name=name.title())
    user.groups.add(Group.objects.get(name=role))
    return user


def test_a_pharmacists_edit_of_a_live_monograph_goes_through_review(
    browser, live_server, live_seed_drug, editorial_roles
):
    live = live_seed_drug
    page_url = live_server.url + live.get_absolute_url()
    reader = browser.new_context().new_page()
    reader.goto(page_url)
    old_text = reader.locator("main").inner_text()
    assert "Checked by the pharmacy team" not in old_text

    author_context = browser.new_context(viewport={"width": 1280, "height": 900})
    sign_in(author_context, live_server, staff("pat", "Pharmacist"))
    author = author_context.new_page()
    author.goto(live_server.url + reverse("admin:monographs_drug_change", args=[live.pk]))
    author.get_by_role("button", name="Edit in a working draft").click()
    expect(author.locator(".working-draft")).to_contain_text("working draft")
    author.locator("#id_introduction").fill("Checked by the pharmacy team.")
    author.get_by_role("button", name="Save and continue editing").click()
    expect(author.locator(".messagelist .success")).to_be_visible()
    author.get_by_role("button", name="Submit for review").click()
    expect(author.locator(".messagelist .success")).to_contain_text("Submitted for review")

    # Saved and in review: readers still see the published text, at the same address.
    reader.goto(page_url)
    assert "Checked by the pharmacy team" not in reader.locator("main").inner_text()

    reviewer_context = browser.new_context(viewport={"width": 1280, "height": 900})
    sign_in(reviewer_context, live_server, staff("rae", "Reviewer"))
    checker = reviewer_context.new_page()
    draft = Drug.objects.get(draft_of=live)
    checker.goto(live_server.url + reverse("admin:monographs_drug_change", args=[draft.pk]))
    expect(checker.locator(".draft-changes")).to_contain_text("Checked by the pharmacy team")
    checker.screenshot(path=PROJECT_ROOT / "docs/screenshots/admin-draft-review.png")
    checker.once("dialog", lambda dialog: dialog.accept())  # "Approve: make it live?"
    checker.get_by_role("button", name="Approve: make it live").click()
    expect(checker.locator(".messagelist .success")).to_contain_text("is live")

    reader.goto(page_url)
    expect(reader.locator("main")).to_contain_text("Checked by the pharmacy team")
    assert not Drug.objects.filter(draft_of=live).exists()
