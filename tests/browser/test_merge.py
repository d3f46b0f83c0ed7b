"""A pharmacist merges an imported duplicate in Chromium: from the dashboard to the kept page."""

import io
import shutil

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from monographs.choices import Status
from monographs.models import Drug
from tests.conftest import DATA

from .conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def duplicates(transactional_db, tmp_path):
    folder = tmp_path / "corpus" / "c"
    folder.mkdir(parents=True)
    for name in ("clonazepam.md", "clonazepam-.md"):
        shutil.copy(DATA / "shapes" / "c" / name, folder / name)
    call_command("import_monographs", str(folder.parent), stdout=io.StringIO())
    return Drug.objects.get(slug="clonazepam"), Drug.objects.get(slug="clonazepam-2")


def test_a_pharmacist_merges_a_duplicate_taking_parts_from_either(
    editorial_roles, browser, live_server, duplicates, screenshots_dir
):
    kept, copy = duplicates
    user = get_user_model().objects.create_user(
        "pat", is_staff=True, first_name="Pat", last_name="Lee"
    )
    user.groups.add(Group.objects.get(name="Pharmacist"))
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    sign_in(context, live_server, user)
    page = context.new_page()

    page.goto(live_server.url + reverse("admin:monographs_drug_review"))
    queue = page.locator("#duplicates")
    expect(queue).to_contain_text("Clonazepam .")
    expect(queue).to_contain_text("possible duplicate of Clonazepam")
    queue.get_by_role("link", name="Compare and merge").click()

    expect(page.locator("h1")).to_contain_text("Merge “Clonazepam .” into “Clonazepam”")
    side_effects = page.locator("#part-side_effects")
    expect(side_effects.locator(".merge-side").nth(0)).to_contain_text("thoughts of self-harm")
    expect(side_effects.locator(".merge-side").nth(1)).to_contain_text("respiratory depression")
    expect(page.locator("#part-sections .merge-side").nth(1)).to_contain_text("Lennox-Gastaut")
    side_effects.get_by_label("Take the duplicate's").check()
    page.locator("#part-faqs").get_by_label("Take the duplicate's").check()
    page.screenshot(path=str(screenshots_dir / "admin-merge-duplicate.png"), full_page=True)
    page.get_by_role("button", name="Merge and archive the duplicate").click()

    expect(page.locator(".messagelist")).to_contain_text(
        "Merged “Clonazepam .” into the working draft of “Clonazepam”; it is archived."
    )
    kept, copy = Drug.objects.get(pk=kept.pk), Drug.objects.get(pk=copy.pk)
    draft = Drug.objects.get(draft_of=kept)
    assert page.url.endswith(reverse("admin:monographs_drug_change", args=[draft.pk]))
    assert copy.status == Status.ARCHIVED
    assert "respiratory depression" in [e.detail for e in draft.side_effects.all()]
    assert [f.question for f in draft.faqs.all()] == ["How long does clonazepam take to work?"]
    assert "to prevent seizures" in draft.sections.get(kind="usage").body

    # Readers keep the approved monograph until a reviewer approves the merged
    # draft; the archived duplicate is gone.
    reader = browser.new_page()
    reader.goto(live_server.url + kept.get_absolute_url())
    expect(reader.locator("#side-effects-list")).to_contain_text("thoughts of self-harm")
    expect(reader.locator("#side-effects-list")).not_to_contain_text("respiratory depression")
    assert reader.goto(live_server.url + copy.get_absolute_url()).status == 404
    context.close()
