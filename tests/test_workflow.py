"""The review workflow: who may move a monograph from draft to published and back."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from monographs import workflow
from monographs.choices import Status
from monographs.models import Drug

from .factories import make_drug, signed_in
from .test_admin import form_data


def press(user, drug, name, **data):
    """Press a workflow button on the drug's admin page, as ``user``."""
    url = reverse("admin:monographs_drug_transition", args=[drug.pk, name])
    loaded = Drug.objects.get(pk=drug.pk).edit_count
    return signed_in(user).post(url, {"opened_at_edit": loaded, **data})


def status_of(drug) -> str:
    return Drug.objects.get(pk=drug.pk).status


def test_a_pharmacist_submits_a_draft_for_review(pharmacist):
    drug = make_drug(status=Status.DRAFT)
    response = press(pharmacist, drug, "submit")
    assert response.status_code == 302
    assert status_of(drug) == Status.IN_REVIEW


def test_a_pharmacist_cannot_publish_even_with_a_forged_post(pharmacist):
    drug = make_drug(status=Status.IN_REVIEW)
    response = press(pharmacist, drug, "publish")
    assert response.status_code == 403
    assert status_of(drug) == Status.IN_REVIEW


@pytest.mark.parametrize("name", ["publish", "unpublish", "archive", "reopen", "review"])
def test_a_pharmacist_cannot_make_any_reviewer_step(pharmacist, name):
    drug = make_drug(status=Status.IN_REVIEW)
    before = Drug.objects.get(pk=drug.pk)
    assert press(pharmacist, drug, name).status_code == 403
    after = Drug.objects.get(pk=drug.pk)
    assert (after.status, after.reviewed_on, after.edit_count) == (
        before.status,
        before.reviewed_on,
        before.edit_count,
    )


def test_a_pharmacist_cannot_publish_through_a_list_action(pharmacist):
    drug = make_drug(status=Status.IN_REVIEW)
    signed_in(pharmacist).post(
        reverse("admin:monographs_drug_changelist"),
        {"action": "publish", "_selected_action": [drug.pk]},
    )
    assert status_of(drug) == Status.IN_REVIEW


def test_a_pharmacist_cannot_publish_by_editing_the_status_field(pharmacist):
    drug = make_drug(status=Status.DRAFT)
    client = signed_in(pharmacist)
    url = reverse("admin:monographs_drug_change", args=[drug.pk])
    data = {**form_data(client.get(url)), "status": Status.PUBLISHED, "reviewed_on": "2026-01-01"}
    assert client.post(url, data).status_code == 302
    drug = Drug.objects.get(pk=drug.pk)
    assert drug.status == Status.DRAFT
    assert drug.reviewed_on is None


def test_a_reviewer_publishes_and_that_records_the_review(reviewer, settings):
    settings.MONOGRAPH_REVIEW_INTERVAL_MONTHS = 36
    drug = make_drug(status=Status.IN_REVIEW)
    assert press(reviewer, drug, "publish").status_code == 302
    drug = Drug.objects.get(pk=drug.pk)
    today = timezone.localdate()
    assert drug.status == Status.PUBLISHED
    assert drug.reviewed_by == reviewer
    assert drug.reviewed_on == today
    assert drug.review_due == workflow.add_months(today, 36)
    assert (drug.review_due - today).days in range(365 * 3, 365 * 3 + 2)


def test_the_review_interval_is_a_setting(reviewer, settings):
    settings.MONOGRAPH_REVIEW_INTERVAL_MONTHS = 12
    drug = make_drug(status=Status.PUBLISHED)
    press(reviewer, drug, "review")
    drug = Drug.objects.get(pk=drug.pk)
    assert drug.status == Status.PUBLISHED
    assert drug.review_due == workflow.add_months(timezone.localdate(), 12)


def test_adding_months_keeps_the_day_or_takes_the_last_of_a_shorter_month():
    assert workflow.add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert workflow.add_months(datetime.date(2024, 2, 29), 36) == datetime.date(2027, 2, 28)
    assert workflow.add_months(datetime.date(2026, 11, 26), 36) == datetime.date(2029, 11, 26)


def test_a_reviewer_unpublishes_archives_and_reopens(reviewer):
    drug = make_drug(status=Status.PUBLISHED)
    press(reviewer, drug, "unpublish")
    assert status_of(drug) == Status.DRAFT
    press(reviewer, drug, "archive")
    assert status_of(drug) == Status.ARCHIVED
    press(reviewer, drug, "reopen")
    assert status_of(drug) == Status.DRAFT


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (Status.DRAFT, "publish"),  # a draft goes through review first
        (Status.PUBLISHED, "submit"),
        (Status.ARCHIVED, "unpublish"),
        (Status.DRAFT, "review"),
        (Status.ARCHIVED, "archive"),
    ],
)
def test_an_invalid_transition_is_refused_with_a_message(reviewer, status, name):
    drug = make_drug(status=status)
    response = signed_in(reviewer).post(
        reverse("admin:monographs_drug_transition", args=[drug.pk, name]),
        {"opened_at_edit": drug.edit_count},
        follow=True,
    )
    assert status_of(drug) == status
    messages = [str(m) for m in response.context["messages"]]
    assert any("only a" in m for m in messages), messages


def test_a_transition_on_a_page_loaded_before_someone_else_saved_is_refused(reviewer):
    drug = make_drug(status=Status.IN_REVIEW)
    loaded = drug.edit_count
    drug.generic_name = "changed meanwhile"
    drug.save()
    response = signed_in(reviewer).post(
        reverse("admin:monographs_drug_transition", args=[drug.pk, "publish"]),
        {"opened_at_edit": loaded},
        follow=True,
    )
    assert status_of(drug) == Status.IN_REVIEW
    assert any("changed after you loaded it" in str(m) for m in response.context["messages"])


def test_an_unknown_step_is_not_found_and_a_get_is_not_allowed(reviewer):
    drug = make_drug(status=Status.IN_REVIEW)
    client = signed_in(reviewer)
    assert press(reviewer, drug, "teleport").status_code == 404
    url = reverse("admin:monographs_drug_transition", args=[drug.pk, "publish"])
    assert client.get(url).status_code == 405
    assert status_of(drug) == Status.IN_REVIEW


def test_a_reviewer_publishes_several_from_the_list_and_is_told_which_were_refused(reviewer):
    waiting = make_drug("Waitamine", status=Status.IN_REVIEW)
    draft = make_drug("Draftamine", status=Status.DRAFT)
    response = signed_in(reviewer).post(
        reverse("admin:monographs_drug_changelist"),
        {"action": "publish", "_selected_action": [waiting.pk, draft.pk]},
        follow=True,
    )
    assert status_of(waiting) == Status.PUBLISHED
    assert status_of(draft) == Status.DRAFT
    messages = [str(m) for m in response.context["messages"]]
    assert any("Waitamine" in m and "published" in m for m in messages)
    assert any("Draftamine" in m and "only a" in m for m in messages)


def test_the_buttons_offered_are_the_ones_the_person_may_press(pharmacist, reviewer):
    drug = make_drug(status=Status.IN_REVIEW)
    url = reverse("admin:monographs_drug_change", args=[drug.pk])
    as_pharmacist = signed_in(pharmacist).get(url).content.decode()
    as_reviewer = signed_in(reviewer).get(url).content.decode()
    assert "Return to draft" in as_pharmacist
    assert "Review and publish" not in as_pharmacist
    assert "Review and publish" in as_reviewer
    assert "Submit for review" not in as_reviewer  # it is already in review


def test_every_workflow_step_is_a_revision_with_its_user_and_comment(reviewer):
    drug = make_drug(status=Status.IN_REVIEW)
    press(reviewer, drug, "publish")
    latest = Version.objects.get_for_object(drug).first()
    assert latest.revision.user == reviewer
    assert latest.revision.get_comment() == "Reviewed and published"
    assert {v.object_repr for v in latest.revision.version_set.all()} >= {
        str(drug),
        "Effect 0",
        "Question 0?",
    }


def test_a_reimport_of_a_changed_file_queues_a_reviewed_monograph_again(reviewer, tmp_path):
    from django.core.management import call_command

    from .conftest import SEED

    call_command("import_monographs", str(SEED), verbosity=0)
    drug = Drug.objects.get(slug="isotretinoin-systemic")
    Drug.objects.filter(pk=drug.pk).update(status=Status.IN_REVIEW)
    press(reviewer, drug, "publish")
    changed = tmp_path / SEED.name  # the same file, changed (another name would be a second file)
    changed.write_text(SEED.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    # Publishing is not an edit: the changed file updates it without --force.
    call_command("import_monographs", str(changed), verbosity=0)
    drug = Drug.objects.get(pk=drug.pk)
    assert drug.sections.filter(body__contains="One more line.").exists()
    assert drug.changed_since_review
    assert drug.status == Status.PUBLISHED
    page = Client().get(drug.get_absolute_url()).content.decode()
    assert f"Updated since its last review on {drug.reviewed_on:%-d %B %Y}" in page
    assert Drug.objects.filter(workflow.queues()["changed"]).filter(pk=drug.pk).exists()
    press(reviewer, drug, "review")
    assert not Drug.objects.get(pk=drug.pk).changed_since_review
