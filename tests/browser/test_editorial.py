"""Two pharmacists in two browsers edit one monograph: the second save keeps the first's."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from monographs import history, workflow
from monographs.choices import Status
from monographs.models import Drug

from ..factories import make_drug
from .conftest import sign_in, unpublish

pytestmark = pytest.mark.browser


def pharmacist(username, first, last):
    user = get_user_model().objects.create_user(
        username, is_staff=True, first_name=first, last_name=last
    )
    user.groups.add(Group.objects.get(name="Pharmacist"))
    return user


@pytest.fixture
def two_pharmacists(editorial_roles, browser, live_server):
    contexts = []
    for user in (pharmacist("ana", "Ana", "Silva"), pharmacist("ben", "Ben", "Okoro")):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        sign_in(context, live_server, user)
        contexts.append(context)
    yield [context.new_page() for context in contexts]
    for context in contexts:
        context.close()


def side_effect_row(page, name):
    return page.locator(f'#side_effects-group tr:has(input[value="{name}"])')


def test_the_second_save_keeps_the_first_editors_changes_and_says_so(
    two_pharmacists, live_server, live_seed_drug
):
    ana, ben = two_pharmacists
    # Edited in place: a draft (a published one is edited in its working draft).
    unpublish(live_seed_drug)
    url = live_server.url + reverse("admin:monographs_drug_change", args=[live_seed_drug.pk])
    ana.goto(url)
    ben.goto(url)

    # Ana changes a side effect and saves first.
    side_effect_row(ana, "Nosebleeds").locator('input[name$="-detail"]').fill(
        "from dry nasal lining"
    )
    ana.locator('input[name="_continue"]').click()
    expect(ana.locator(".messagelist")).to_contain_text("was changed successfully")

    # Ben, on the page he opened before, changes the brand names and saves:
    # nothing of his overlaps Ana's change, so both are saved.
    ben.locator("#id_brand_names").fill("Ben's brand list")
    ben.locator('input[name="_continue"]').click()
    expect(ben.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(ben.locator(".messagelist")).to_contain_text("Ana Silva also saved this monograph")
    expect(ben.locator(".conflict")).to_have_count(0)
    # The page he is back on shows both.
    expect(ben.locator("#id_brand_names")).to_have_value("Ben's brand list")
    expect(side_effect_row(ben, "Nosebleeds").locator('input[name$="-detail"]')).to_have_value(
        "from dry nasal lining"
    )

    saved = Drug.objects.get(pk=live_seed_drug.pk)
    assert saved.brand_names == "Ben's brand list"
    assert saved.side_effects.get(name="Nosebleeds").detail == "from dry nasal lining"
    assert history.versions_of(saved.pk)[1].revision.user.username == "ana"


def test_history_diff_and_dashboard_render_for_a_reviewer(
    editorial_roles, page, live_server, live_seed_drug, screenshots_dir, settings
):
    settings.MONOGRAPH_ALLOW_SELF_APPROVAL = True  # one Reviewer edits and publishes here
    reviewer = get_user_model().objects.create_user("rae", is_staff=True, first_name="Rae")
    reviewer.groups.add(Group.objects.get(name="Reviewer"))
    sign_in(page.context, live_server, reviewer)
    page.set_viewport_size({"width": 1280, "height": 900})
    Drug.objects.filter(pk=live_seed_drug.pk).update(status=Status.IN_REVIEW)

    change = live_server.url + reverse("admin:monographs_drug_change", args=[live_seed_drug.pk])
    page.goto(change)
    page.locator("#id_generic_name").fill("isotretinoin (oral)")
    side_effect_row(page, "Pancreatitis").locator('input[name$="-DELETE"]').check()
    page.locator('input[name="_continue"]').click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.once("dialog", lambda dialog: dialog.accept())  # "Review and publish? Readers will…"
    page.get_by_role("button", name="Review and publish").click()
    expect(page.locator(".messagelist")).to_contain_text("Reviewed and published")
    assert Drug.objects.get(pk=live_seed_drug.pk).status == Status.PUBLISHED

    page.goto(live_server.url + reverse("admin:monographs_drug_history", args=[live_seed_drug.pk]))
    page.locator('input[name="from"]').last.check()
    page.locator("#to-current").check()
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("table.comparison").first).to_contain_text("isotretinoin (oral)")
    expect(page.locator("tr.removed").first).to_contain_text("Pancreatitis")
    page.screenshot(path=screenshots_dir / "admin-history-diff.png", full_page=True)

    workflow.take_step(Drug.objects.get(pk=live_seed_drug.pk), "review", reviewer)
    today = timezone.localdate()
    for i, (due_in, changed) in enumerate(
        [(-40, False), (-3, False), (12, True), (25, False), (70, False), (75, False),
         (140, False), (200, True), (260, False), (330, False), (335, False), (None, False)]
    ):  # fmt: skip
        drug = make_drug(f"Examplamine {i + 1}")
        if due_in is not None:
            Drug.objects.filter(pk=drug.pk).update(
                reviewed_on=today - datetime.timedelta(days=1000),
                review_due=today + datetime.timedelta(days=due_in),
                changed_since_review=changed,
            )
    make_drug("Waitamine", status=Status.IN_REVIEW)
    page.goto(live_server.url + reverse("admin:monographs_drug_review"))
    expect(page.locator(".due-chart svg")).to_be_visible()
    expect(page.locator("#overdue")).to_contain_text("Examplamine 1")
    page.screenshot(path=screenshots_dir / "admin-review-dashboard.png", full_page=True)
