"""The audit log: every workflow step, approval, schedule, restore, recovery, deletion,
merge and import is an event (who, when, what, from which address), written in the
transaction of the change; Reviewers and superusers read it in the admin."""

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from monographs import history, merge, workflow
from monographs.choices import Status
from monographs.models import AuditEvent, Drug

from .conftest import SEED
from .factories import make_drug, staff_login
from .test_admin import form_data
from .test_history import edit
from .test_working_drafts import change_url, edit_draft

Action = AuditEvent.Action
ADDRESS = "198.51.100.7"


def client_of(user) -> Client:
    """A signed-in client whose requests come from ADDRESS."""
    return staff_login(Client(REMOTE_ADDR=ADDRESS), user)


def events(action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def the_event(action) -> AuditEvent:
    (event,) = events(action)
    return event


def press(client, drug, name, **data):
    url = reverse("admin:monographs_drug_transition", args=[drug.pk, name])
    return client.post(url, {"opened_at_edit": Drug.objects.get(pk=drug.pk).edit_count, **data})


def in_days(days: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


STEPS = [
    # step, the status it starts from, who takes it, what the log says
    ("submit", Status.DRAFT, "pharmacist", Action.SUBMITTED),
    ("withdraw", Status.IN_REVIEW, "pharmacist", Action.WITHDRAWN),
    ("reject", Status.IN_REVIEW, "reviewer", Action.REJECTED),
    ("publish", Status.IN_REVIEW, "reviewer", Action.PUBLISHED),
    ("review", Status.PUBLISHED, "reviewer", Action.REVIEWED),
    ("unpublish", Status.PUBLISHED, "reviewer", Action.UNPUBLISHED),
    ("archive", Status.PUBLISHED, "reviewer", Action.ARCHIVED),
    ("reopen", Status.ARCHIVED, "reviewer", Action.REOPENED),
]


@pytest.mark.parametrize(("name", "status", "role", "action"), STEPS, ids=[s[0] for s in STEPS])
def test_each_workflow_step_is_an_event(db, request, name, status, role, action):
    user = request.getfixturevalue(role)
    drug = make_drug("Steppamine", status=status)
    assert press(client_of(user), drug, name, note="Needs a source").status_code == 302
    event = the_event(action)
    assert (event.user, event.username, event.drug, event.drug_label, event.remote_addr) == (
        user, user.get_username(), drug, "Steppamine", ADDRESS,
    )  # fmt: skip
    assert event.when <= timezone.now()
    if name == "reject":
        assert event.detail == {"note": "Needs a source"}


def test_a_step_from_the_lists_action_is_an_event_for_each_monograph(reviewer):
    drugs = [make_drug(status=Status.IN_REVIEW) for _ in range(2)]
    data = {"action": "publish", "_selected_action": [d.pk for d in drugs]}
    client_of(reviewer).post(reverse("admin:monographs_drug_changelist"), data)
    logged = events(Action.PUBLISHED)
    assert {(e.drug, e.user, e.remote_addr) for e in logged} == {
        (d, reviewer, ADDRESS) for d in drugs
    }


def test_opening_and_approving_a_working_draft_are_events_of_the_live_monograph(
    pharmacist, reviewer
):
    live = make_drug("Livamine")
    author = client_of(pharmacist)
    author.post(reverse("admin:monographs_drug_working_draft", args=[live.pk]))
    draft = Drug.objects.get(draft_of=live)
    edit_draft(author, draft)
    press(author, draft, "submit")
    press(client_of(reviewer), draft, "publish")

    opened = the_event(Action.DRAFT_OPENED)
    assert (opened.user, opened.drug, opened.remote_addr) == (pharmacist, live, ADDRESS)
    submitted = the_event(Action.SUBMITTED)
    assert (submitted.drug, submitted.detail) == (live, {"working_draft": True})
    approved = the_event(Action.APPROVED)
    assert (approved.user, approved.drug, approved.remote_addr) == (reviewer, live, ADDRESS)
    assert not events(Action.PUBLISHED)


def test_a_self_approval_says_so(reviewer, settings):
    settings.MONOGRAPH_ALLOW_SELF_APPROVAL = True
    live = make_drug("Selfamine")
    client = client_of(reviewer)
    client.post(reverse("admin:monographs_drug_working_draft", args=[live.pk]))
    draft = Drug.objects.get(draft_of=live)
    edit_draft(client, draft)
    press(client, draft, "submit")
    press(client, draft, "publish")
    assert the_event(Action.APPROVED).detail == {"self_approved": True}


def test_approving_for_later_cancelling_and_going_live_are_events(reviewer):
    drug = make_drug("Laterine", status=Status.IN_REVIEW)
    client = client_of(reviewer)
    when = in_days(2).replace(second=0, microsecond=0)
    url = reverse("admin:monographs_drug_schedule", args=[drug.pk])
    client.post(url, {"goes_live_at": timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")})
    scheduled = the_event(Action.SCHEDULED)
    assert (scheduled.user, scheduled.drug, scheduled.remote_addr) == (reviewer, drug, ADDRESS)
    assert scheduled.detail == {"goes_live_at": when.isoformat()}

    client.post(reverse("admin:monographs_drug_unschedule", args=[drug.pk]))
    cancelled = the_event(Action.SCHEDULE_CANCELLED)
    assert (cancelled.user, cancelled.drug, cancelled.remote_addr) == (reviewer, drug, ADDRESS)
    assert cancelled.detail == {"goes_live_at": when.isoformat(), "approved_by": "rae"}

    workflow.schedule(drug, reviewer, when)
    Drug.objects.filter(pk=drug.pk).update(goes_live_at=in_days(-1))
    call_command("publish_scheduled", stdout=io.StringIO())
    went_live = the_event(Action.WENT_LIVE)
    # The approver's event, made by the command: from no address.
    assert (went_live.user, went_live.drug, went_live.remote_addr) == (reviewer, drug, None)
    assert "scheduled_for" in went_live.detail


def test_a_step_on_a_monograph_approved_for_later_says_it_cancelled_that(reviewer, pharmacist):
    drug = make_drug(status=Status.IN_REVIEW)
    workflow.schedule(drug, reviewer, in_days(1))
    press(client_of(pharmacist), drug, "withdraw")
    event = the_event(Action.WITHDRAWN)
    assert "cancelled_schedule" in event.detail
    assert not Drug.objects.get(pk=drug.pk).is_scheduled


def test_a_restore_is_an_event(pharmacist):
    drug = make_drug("Restamine", status=Status.DRAFT)
    client = client_of(pharmacist)
    edit(client, drug, generic_name="First")
    edit(client, drug, generic_name="Second")
    version = history.versions_of(drug.pk)[1]
    url = reverse("admin:monographs_drug_revision", args=[drug.pk, version.pk])
    client.post(url, {"opened_at_edit": Drug.objects.get(pk=drug.pk).edit_count})
    assert Drug.objects.get(pk=drug.pk).generic_name == "First"
    event = the_event(Action.RESTORED)
    assert (event.user, event.drug, event.remote_addr) == (pharmacist, drug, ADDRESS)
    assert event.detail["version"] == version.pk


def test_deleting_and_recovering_are_events(reviewer):
    drug = make_drug("Lostamine")
    history.ensure_recorded(drug)
    pk = drug.pk
    client = client_of(reviewer)
    client.post(reverse("admin:monographs_drug_delete", args=[pk]), {"post": "yes"})
    deleted = the_event(Action.DELETED)
    # The monograph is gone; its event keeps its title and id.
    assert (deleted.user, deleted.drug, deleted.drug_label, deleted.remote_addr) == (
        reviewer, None, "Lostamine", ADDRESS,
    )  # fmt: skip
    assert deleted.detail == {"drug_id": pk, "slug": "lostamine"}

    version = Version.objects.get_deleted(Drug).get()
    client.post(reverse("admin:monographs_drug_recover", args=[version.pk]))
    recovered = the_event(Action.RECOVERED)
    assert (recovered.user, recovered.drug.pk, recovered.remote_addr) == (reviewer, pk, ADDRESS)


def test_deleting_from_the_list_is_an_event_for_each_monograph(reviewer):
    drugs = [make_drug(f"Bulkamine {i}") for i in range(3)]
    data = {"action": "delete_selected", "_selected_action": [d.pk for d in drugs], "post": "yes"}
    client_of(reviewer).post(reverse("admin:monographs_drug_changelist"), data)
    assert not Drug.objects.filter(pk__in=[d.pk for d in drugs]).exists()
    logged = events(Action.DELETED)
    assert sorted(e.drug_label for e in logged) == ["Bulkamine 0", "Bulkamine 1", "Bulkamine 2"]
    assert {(e.user, e.remote_addr, e.detail["with"]) for e in logged} == {(reviewer, ADDRESS, 3)}


def test_a_merge_is_an_event_of_the_monograph_that_stays(pharmacist):
    kept = make_drug("Mergamine", status=Status.DRAFT)
    copy = make_drug("Mergamine (second file)", status=Status.DRAFT)
    Drug.objects.filter(pk=copy.pk).update(duplicate_of=kept)
    data = {"kept_edit_count": kept.edit_count, "duplicate_edit_count": copy.edit_count}
    data.update({part.name: merge.KEPT for part in merge.PARTS}, faqs=merge.DUPLICATE)
    response = client_of(pharmacist).post(
        reverse("admin:monographs_drug_merge", args=[copy.pk]), data
    )
    assert response.status_code == 302
    event = the_event(Action.MERGED)
    assert (event.user, event.drug, event.remote_addr) == (pharmacist, kept, ADDRESS)
    assert event.detail["duplicate_id"] == copy.pk and event.detail["took"] == ["faqs"]


def test_an_import_run_is_one_event_with_its_counts_and_one_per_monograph_it_wrote(db, tmp_path):
    call_command("import_monographs", str(SEED), stdout=io.StringIO(), stderr=io.StringIO())
    drug = Drug.objects.get(slug="isotretinoin-systemic")
    run = the_event(Action.IMPORT_RUN)
    assert (run.user, run.drug, run.remote_addr) == (None, None, None)
    assert run.detail["files"] == 1 and run.detail["created"] == 1 and run.detail["failed"] == 0
    assert run.detail["paths"] == [str(SEED)]
    created = the_event(Action.IMPORTED)
    assert (created.drug, created.detail) == (drug, {"path": str(SEED)})

    changed = tmp_path / SEED.name
    changed.write_text(SEED.read_text() + "\nOne more sentence.\n")
    call_command("import_monographs", str(changed), stdout=io.StringIO(), stderr=io.StringIO())
    assert len(events(Action.IMPORT_RUN)) == 2
    updated = the_event(Action.IMPORT_UPDATED)
    assert updated.drug == drug

    # A dry run writes nothing, to the log neither.
    call_command(
        "import_monographs", str(changed), "--dry-run", stdout=io.StringIO(), stderr=io.StringIO()
    )
    assert len(events(Action.IMPORT_RUN)) == 2


def test_a_file_that_fails_to_import_leaves_no_event_of_its_own(db, tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"\xff\xfe not a monograph")
    with pytest.raises(Exception, match="failed to import"):
        call_command("import_monographs", str(bad), stdout=io.StringIO(), stderr=io.StringIO())
    assert events(Action.IMPORTED) == []
    assert the_event(Action.IMPORT_RUN).detail["failed"] == 1


def test_a_change_rolled_back_leaves_no_event(reviewer):
    drug = make_drug(status=Status.IN_REVIEW)
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.take_step(drug, "publish", reviewer)
        workflow.schedule(make_drug(status=Status.IN_REVIEW), reviewer, in_days(1))
        raise RuntimeError("the rest of the change failed")
    assert Drug.objects.get(pk=drug.pk).status == Status.IN_REVIEW
    assert not AuditEvent.objects.exists()


# --- Reading the log in the admin ----------------------------------------------


@pytest.fixture
def logged(pharmacist, reviewer):
    """A few events by two people on two monographs."""
    first = make_drug("Alphamine", status=Status.DRAFT)
    second = make_drug("Betamine", status=Status.IN_REVIEW)
    press(client_of(pharmacist), first, "submit")
    press(client_of(reviewer), first, "publish")
    press(client_of(reviewer), second, "reject", note="No")
    return first, second


def listed(client, query="") -> list[tuple[str, str, str]]:
    response = client.get(reverse("admin:monographs_auditevent_changelist") + query)
    assert response.status_code == 200
    rows = response.context["cl"].result_list
    # Signing in (each client here does) is logged too, and tested elsewhere.
    return [(e.action, e.username, e.drug_label) for e in rows if e.action != Action.SIGN_IN]


def test_the_admin_lists_events_newest_first_and_filters_by_action_person_and_monograph(
    logged, reviewer
):
    first, second = logged
    client = client_of(reviewer)
    assert listed(client) == [
        (Action.REJECTED, "rae", "Betamine"),
        (Action.PUBLISHED, "rae", "Alphamine"),
        (Action.SUBMITTED, "pat", "Alphamine"),
    ]
    assert listed(client, "?action=published") == [(Action.PUBLISHED, "rae", "Alphamine")]
    pat = get_user_model().objects.get(username="pat")
    assert listed(client, f"?user__id__exact={pat.pk}") == [(Action.SUBMITTED, "pat", "Alphamine")]
    assert [row[0] for row in listed(client, f"?drug={first.pk}")] == [
        Action.PUBLISHED, Action.SUBMITTED,
    ]  # fmt: skip
    assert listed(client, f"?drug={second.pk}&user__id__exact={pat.pk}") == []
    page = client.get(reverse("admin:monographs_auditevent_changelist")).content.decode()
    # Each monograph in the list links to its events; the sidebar offers the latest ones.
    assert f'href="?drug={first.pk}"' in page
    assert "By monograph" in page and "By action" in page and "By user" in page


def test_a_monograph_the_sidebar_does_not_offer_can_still_be_filtered_on(logged, reviewer):
    first, _ = logged
    for i in range(25):
        workflow.take_step(
            make_drug(f"Latermine {i}", status=Status.IN_REVIEW), "publish", reviewer
        )
    client = client_of(reviewer)
    page = client.get(reverse("admin:monographs_auditevent_changelist")).content.decode()
    sidebar = page[page.index("By monograph") :]
    assert "Alphamine" not in sidebar[: sidebar.index("</ul>")]
    assert [row[2] for row in listed(client, f"?drug={first.pk}")] == ["Alphamine", "Alphamine"]
    assert listed(client, "?drug=not-a-number") == []


def test_reviewers_and_superusers_read_the_log_and_pharmacists_do_not_see_it(
    logged, pharmacist, reviewer
):
    url = reverse("admin:monographs_auditevent_changelist")
    root = get_user_model().objects.create_superuser("root", password=None)
    for user in (reviewer, root):
        client = client_of(user)
        assert client.get(url).status_code == 200
        assert url in client.get(reverse("admin:index")).content.decode()
    client = client_of(pharmacist)
    assert client.get(url).status_code == 403
    assert url not in client.get(reverse("admin:index")).content.decode()
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_the_log_cannot_be_changed_from_the_admin(logged, reviewer):
    event = AuditEvent.objects.first()
    client = client_of(reviewer)
    change = reverse("admin:monographs_auditevent_change", args=[event.pk])
    assert 'name="_save"' not in client.get(change).content.decode()
    assert client.post(change, {"action": "sign_in"}).status_code == 403
    delete = reverse("admin:monographs_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk, action=event.action).exists()


def test_a_pharmacists_edit_is_in_the_history_not_the_log(pharmacist):
    # Edits are the history's (every save is a revision); the log holds the steps.
    drug = make_drug(status=Status.DRAFT)
    client = client_of(pharmacist)
    data = form_data(client.get(change_url(drug)))
    data["generic_name"] = "Edited"
    assert client.post(change_url(drug), data).status_code == 302
    assert not AuditEvent.objects.exclude(action=Action.SIGN_IN).exists()
