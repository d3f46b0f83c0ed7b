"""A Reviewer approves now what goes live later: a new monograph, or a published
monograph's working draft. Readers keep what they see until the time comes and
`manage.py publish_scheduled` makes it live, once, however often it runs."""

import datetime
import io
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from monographs import history, workflow
from monographs.choices import Status
from monographs.models import AuditEvent, Drug
from monographs.signals import content_changed

from .factories import make_drug, make_user, signed_in
from .test_admin import form_data
from .test_working_drafts import change_url, edit_draft, open_draft, step

Action = AuditEvent.Action


def local_input(moment: datetime.datetime) -> str:
    """A moment as a browser's date-and-time field sends it: in the site's time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def in_days(days: float) -> datetime.datetime:
    return (timezone.now() + datetime.timedelta(days=days)).replace(second=0, microsecond=0)


def schedule(client, drug, when):
    drug = Drug.objects.get(pk=drug.pk)
    url = reverse("admin:monographs_drug_schedule", args=[drug.pk])
    value = when if isinstance(when, str) else local_input(when)
    return client.post(url, {"goes_live_at": value, "opened_at_edit": drug.edit_count})


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def run() -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("publish_scheduled", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def time_comes(drug) -> None:
    """Move the approved time into the past, as the clock would."""
    Drug.objects.filter(pk=drug.pk).update(goes_live_at=timezone.now() - datetime.timedelta(1))


def public(drug) -> str:
    response = Client().get(drug.get_absolute_url())
    return response.content.decode() if response.status_code == 200 else ""


@pytest.fixture
def second_reviewer(db):
    return make_user("ria", "Reviewer", first_name="Ria", last_name="Sen")


def test_a_new_monograph_approved_for_later_goes_live_only_once_its_time_has_come(reviewer):
    drug = make_drug("Laterine", status=Status.IN_REVIEW)
    when = in_days(2)
    response = schedule(signed_in(reviewer), drug, when)
    assert response.status_code == 302
    assert "goes live on" in messages_of(response)[0]
    drug = Drug.objects.get(pk=drug.pk)
    assert (drug.status, drug.goes_live_at, drug.scheduled_by) == (Status.IN_REVIEW, when, reviewer)
    assert public(drug) == ""

    assert run() == ("", "")  # not due: nothing done, nothing said
    assert Drug.objects.get(pk=drug.pk).status == Status.IN_REVIEW
    assert public(drug) == ""

    time_comes(drug)
    out, err = run()
    assert "“Laterine” is live, as rae approved" in out and "1 made live" in out and err == ""
    drug = Drug.objects.get(pk=drug.pk)
    assert (drug.status, drug.reviewed_by, drug.goes_live_at, drug.scheduled_by) == (
        Status.PUBLISHED, reviewer, None, None,
    )  # fmt: skip
    assert drug.reviewed_on == timezone.localdate()
    assert "Laterine" in public(drug)
    comment = history.versions_of(drug.pk).first().revision.get_comment()
    assert comment.startswith("Reviewed and published, as approved on")

    # Run again (cron's next minute): nothing more happens.
    revisions = history.versions_of(drug.pk).count()
    assert run() == ("", "")
    assert history.versions_of(drug.pk).count() == revisions
    assert AuditEvent.objects.filter(action=Action.WENT_LIVE, drug=drug).count() == 1


def test_a_working_draft_approved_for_later_leaves_the_live_page_as_it_is_until_then(
    pharmacist, reviewer
):
    live = make_drug("Livamine")
    author = signed_in(pharmacist)
    draft = open_draft(author, live)
    edit_draft(author, draft)  # the generic name becomes "Newname", and more
    assert step(author, draft, "submit").status_code == 302
    assert schedule(signed_in(reviewer), draft, in_days(1)).status_code == 302
    assert Drug.objects.get(pk=draft.pk).is_scheduled

    run()
    assert "Newname" not in public(live)
    assert Drug.objects.filter(pk=draft.pk).exists()

    time_comes(draft)
    announced = []

    def listen(sender, drug_ids, **kwargs):
        announced.append(drug_ids)

    content_changed.connect(listen)
    try:
        out, _ = run()
    finally:
        content_changed.disconnect(listen)
    assert "“Livamine” is live" in out
    assert not Drug.objects.filter(pk=draft.pk).exists()
    live = Drug.objects.get(pk=live.pk)
    assert (live.generic_name, live.status, live.reviewed_by) == ("Newname", "published", reviewer)
    assert "Newname" in public(live)
    # The page cache hears of it through the app's own signal, as for any approval.
    assert any(ids is None or live.pk in ids for ids in announced)


def test_the_time_to_go_live_is_checked(reviewer):
    drug = make_drug(status=Status.IN_REVIEW)
    client = signed_in(reviewer)
    for when, says in [
        (in_days(-1), "has passed: choose a time to come"),
        (timezone.now() - datetime.timedelta(minutes=1), "has passed"),
        ("next tuesday", "Enter a valid date/time"),
        ("", "This field is required"),
    ]:
        response = schedule(client, drug, when)
        assert response.status_code == 302
        assert says in " ".join(messages_of(response)), when
        assert not Drug.objects.get(pk=drug.pk).is_scheduled
    with pytest.raises(workflow.TransitionError, match="has passed"):
        workflow.schedule(drug, reviewer, in_days(-0.01))
    assert not AuditEvent.objects.filter(action=Action.SCHEDULED).exists()


def test_only_a_monograph_in_review_is_approved_for_later(reviewer):
    draft = make_drug(status=Status.DRAFT)
    response = schedule(signed_in(reviewer), draft, in_days(1))
    assert "only a in review monograph" in " ".join(messages_of(response))
    assert not Drug.objects.get(pk=draft.pk).is_scheduled


def test_a_reviewer_may_not_approve_their_own_edit_for_later(reviewer, settings):
    live = make_drug("Selfamine")
    client = signed_in(reviewer)
    draft = open_draft(client, live)
    edit_draft(client, draft)
    step(client, draft, "submit")
    response = schedule(client, draft, in_days(1))
    assert "another Reviewer must approve it (four eyes)" in " ".join(messages_of(response))
    assert not Drug.objects.get(pk=draft.pk).is_scheduled

    settings.MONOGRAPH_ALLOW_SELF_APPROVAL = True
    assert schedule(client, draft, in_days(1)).status_code == 302
    draft = Drug.objects.get(pk=draft.pk)
    assert draft.scheduled_by == reviewer
    assert history.versions_of(draft.pk).first().revision.get_comment().endswith("(self-approved)")
    event = AuditEvent.objects.get(action=Action.SCHEDULED)
    assert event.detail["self_approved"] is True
    time_comes(draft)
    assert "is live" in run()[0]
    assert Drug.objects.get(pk=live.pk).generic_name == "Newname"


def test_a_pharmacist_may_not_approve_for_later(pharmacist):
    drug = make_drug(status=Status.IN_REVIEW)
    assert schedule(signed_in(pharmacist), drug, in_days(1)).status_code == 403
    assert not Drug.objects.get(pk=drug.pk).is_scheduled


def test_an_approval_for_later_is_cancelled_and_the_monograph_waits_in_review(
    reviewer, second_reviewer
):
    drug = make_drug("Cancelamine", status=Status.IN_REVIEW)
    schedule(signed_in(reviewer), drug, in_days(3))
    waiting = workflow.queues()["in_review"]
    assert not Drug.objects.filter(waiting, pk=drug.pk).exists()  # waiting for the clock

    response = signed_in(second_reviewer).post(
        reverse("admin:monographs_drug_unschedule", args=[drug.pk]), {"back": "dashboard"}
    )
    assert response["Location"] == reverse("admin:monographs_drug_review")
    drug = Drug.objects.get(pk=drug.pk)
    assert (drug.status, drug.goes_live_at, drug.scheduled_by) == (Status.IN_REVIEW, None, None)
    assert Drug.objects.filter(waiting, pk=drug.pk).exists()
    time_comes(drug)  # nothing is due any more
    run()
    assert Drug.objects.get(pk=drug.pk).status == Status.IN_REVIEW
    assert (
        history.versions_of(drug.pk)
        .first()
        .revision.get_comment()
        .startswith("Scheduled approval cancelled")
    )


def test_a_pharmacist_may_not_cancel_an_approval(reviewer, pharmacist):
    drug = make_drug(status=Status.IN_REVIEW)
    schedule(signed_in(reviewer), drug, in_days(3))
    url = reverse("admin:monographs_drug_unschedule", args=[drug.pk])
    assert signed_in(pharmacist).post(url).status_code == 403
    assert Drug.objects.get(pk=drug.pk).is_scheduled


def test_an_edit_after_the_approval_voids_it(reviewer, pharmacist):
    drug = make_drug("Changamine", status=Status.IN_REVIEW)
    schedule(signed_in(reviewer), drug, in_days(1))
    author = signed_in(pharmacist)
    data = form_data(author.get(change_url(drug)))
    data["generic_name"] = "Changed after approval"
    assert author.post(change_url(drug), data).status_code == 302
    page = signed_in(reviewer).get(reverse("admin:monographs_drug_review")).content.decode()
    assert "changed since: will not go live" in page

    time_comes(drug)
    out, err = run()
    assert "“Changamine” did not go live: it was changed after it was approved" in err
    assert "0 made live, 1 approvals cancelled" in out
    drug = Drug.objects.get(pk=drug.pk)
    assert (drug.status, drug.is_scheduled) == (Status.IN_REVIEW, False)
    assert public(drug) == ""
    event = AuditEvent.objects.get(action=Action.SCHEDULE_CANCELLED)
    assert (event.user, event.drug, event.detail["approved_by"]) == (None, drug, "rae")
    assert "changed after it was approved" in event.detail["reason"]


def test_an_approval_by_someone_no_longer_a_reviewer_does_not_go_live(reviewer):
    drug = make_drug("Leftamine", status=Status.IN_REVIEW)
    schedule(signed_in(reviewer), drug, in_days(1))
    reviewer.groups.clear()
    time_comes(drug)
    assert "rae may no longer publish monographs" in run()[1]
    assert Drug.objects.get(pk=drug.pk).status == Status.IN_REVIEW


def test_the_dashboard_lists_what_is_approved_for_later_soonest_first(
    pharmacist, reviewer, second_reviewer
):
    later = make_drug("Zedamine", status=Status.IN_REVIEW)
    sooner = make_drug("Yelamine", status=Status.IN_REVIEW)
    make_drug("Waitamine", status=Status.IN_REVIEW)
    schedule(signed_in(reviewer), later, in_days(9))
    schedule(signed_in(second_reviewer), sooner, in_days(2))

    page = signed_in(reviewer).get(reverse("admin:monographs_drug_review"))
    assert [d.title for d in page.context["scheduled"]] == ["Yelamine", "Zedamine"]
    html = page.content.decode()
    section = html[html.index('id="scheduled"') :]
    assert "Approved to go live later (2)" in section
    assert section.index("Yelamine") < section.index("Zedamine")
    assert "Ria Sen" in section and "Rae Okafor" in section
    shown = timezone.localtime(in_days(2)).strftime("%-d %b %Y, %H:%M")
    assert shown in section
    for drug in (sooner, later):
        assert reverse("admin:monographs_drug_unschedule", args=[drug.pk]) in section
    # Those approved wait for the clock, not for a Reviewer.
    start = html.index('id="in_review"')
    waiting = html[start : html.index("</section>", start)]
    assert "Waitamine" in waiting and "Zedamine" not in waiting

    # A Pharmacist sees the list, without the buttons to cancel.
    html = signed_in(pharmacist).get(reverse("admin:monographs_drug_review")).content.decode()
    section = html[html.index('id="scheduled"') :]
    assert "Yelamine" in section and "Cancel going live" not in section


def test_the_change_page_says_when_it_goes_live_and_offers_to_cancel(reviewer):
    drug = make_drug("Pagamine", status=Status.IN_REVIEW)
    client = signed_in(reviewer)
    html = client.get(change_url(drug)).content.decode()
    assert 'id="schedule-form"' in html and 'type="datetime-local"' in html
    schedule(client, drug, in_days(1))
    html = client.get(change_url(drug)).content.decode()
    assert "Approved to go live on" in html and "by Rae Okafor" in html
    assert reverse("admin:monographs_drug_unschedule", args=[drug.pk]) in html


def test_a_run_finds_nothing_to_do_for_what_another_run_made_live(reviewer):
    drug = make_drug(status=Status.IN_REVIEW)
    schedule(signed_in(reviewer), drug, in_days(1))
    time_comes(drug)
    due = workflow.due_ids()
    assert due == [drug.pk]
    first = workflow.publish_if_due(drug.pk)
    assert first is not None and first.live
    # A second run that listed it as due before the first made it live leaves it alone.
    assert workflow.publish_if_due(drug.pk) is None
    assert AuditEvent.objects.filter(action=Action.WENT_LIVE).count() == 1


def test_the_moment_it_is_due_is_passed_in_not_read_from_a_clock(reviewer):
    drug = make_drug(status=Status.IN_REVIEW)
    schedule(signed_in(reviewer), drug, in_days(5))
    assert workflow.publish_if_due(drug.pk, now=timezone.now()) is None
    assert workflow.due_ids(in_days(4)) == []
    assert workflow.due_ids(in_days(6)) == [drug.pk]
    assert workflow.publish_if_due(drug.pk, now=in_days(6)).live
    assert Drug.objects.get(pk=drug.pk).status == Status.PUBLISHED


def test_two_runs_at_once_make_each_monograph_live_once(transactional_db):
    approver = get_user_model().objects.create_superuser("approver", password=None)
    drugs = [make_drug(f"Concurramine {i}", status=Status.IN_REVIEW) for i in range(6)]
    for drug in drugs:
        workflow.schedule(drug, approver, in_days(1))
        time_comes(drug)
    start = threading.Barrier(2)
    problems = []

    def cron():
        try:
            start.wait()
            call_command("publish_scheduled", stdout=io.StringIO(), stderr=io.StringIO())
        except Exception as error:  # a clash with the other run: left for the next run
            problems.append(error)
        finally:
            connection.close()

    runs = [threading.Thread(target=cron) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join()
    run()  # the next minute's run picks up anything a busy database made wait

    for drug in drugs:
        assert Drug.objects.get(pk=drug.pk).status == Status.PUBLISHED
        assert AuditEvent.objects.filter(action=Action.WENT_LIVE, drug=drug).count() == 1
        comments = [v.revision.get_comment() for v in history.versions_of(drug.pk)]
        assert sum(c.startswith("Reviewed and published") for c in comments) == 1
    assert all("could not be made live now" in str(p) or "locked" in str(p) for p in problems)
