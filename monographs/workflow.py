"""Status transitions of a monograph, and who may make them.

draft → in review → published → archived. Pharmacists write and submit;
Reviewers (``publish_drug``, ``review_drug``) publish, unpublish, archive
and mark reviewed, now or (:func:`schedule`) at a time to come, which
``manage.py publish_scheduled`` keeps. Every check happens here, on the
server: the admin's buttons and actions only ask. Every step is recorded in
the audit log, in the transaction that makes it.
"""

import calendar
import datetime
from dataclasses import dataclass

import reversion
from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Count, OuterRef, Q, Subquery
from django.db.models.functions import Cast, TruncMonth
from django.utils import timezone
from django.utils.formats import date_format
from reversion.models import Revision, Version

from . import audit, history, search
from .choices import Status
from .models import Drug, person_name

EDIT = "monographs.change_drug"
PUBLISH = "monographs.publish_drug"
REVIEW = "monographs.review_drug"


class TransitionError(Exception):
    """A transition that is not allowed, with the reason a person can read."""


@dataclass(frozen=True)
class Transition:
    name: str
    label: str  # the button
    done: str  # what the message and the history say happened
    sources: tuple[str, ...]
    target: str | None  # None: the status stays (marking reviewed)
    permissions: tuple[str, ...]
    reviews: bool = False  # records reviewed_by, reviewed_on and review_due


TRANSITIONS = {
    t.name: t
    for t in [
        Transition(
            "submit", "Submit for review", "Submitted for review",
            (Status.DRAFT,), Status.IN_REVIEW, (EDIT,),
        ),
        Transition(
            "withdraw", "Return to draft", "Returned to draft",
            (Status.IN_REVIEW,), Status.DRAFT, (EDIT,),
        ),
        Transition(
            "reject", "Return to author", "Returned to its author",
            (Status.IN_REVIEW,), Status.DRAFT, (EDIT, PUBLISH),
        ),
        Transition(
            "publish", "Review and publish", "Reviewed and published",
            (Status.IN_REVIEW,), Status.PUBLISHED, (EDIT, PUBLISH, REVIEW), reviews=True,
        ),
        Transition(
            "review", "Mark reviewed", "Marked reviewed",
            (Status.IN_REVIEW, Status.PUBLISHED), None, (EDIT, REVIEW), reviews=True,
        ),
        Transition(
            "unpublish", "Unpublish", "Unpublished (back to draft)",
            (Status.PUBLISHED,), Status.DRAFT, (EDIT, PUBLISH),
        ),
        Transition(
            "archive", "Archive", "Archived",
            (Status.DRAFT, Status.IN_REVIEW, Status.PUBLISHED), Status.ARCHIVED, (EDIT, PUBLISH),
        ),
        Transition(
            "reopen", "Reopen as draft", "Reopened as a draft",
            (Status.ARCHIVED,), Status.DRAFT, (EDIT, PUBLISH),
        ),
    ]
}  # fmt: skip


def allowed_for(user, transition: Transition) -> bool:
    return user.is_active and user.is_staff and user.has_perms(transition.permissions)


# A working draft is written, submitted, returned and approved ("publish");
# the rest of the workflow is its live monograph's.
DRAFT_STEPS = frozenset({"submit", "withdraw", "reject", "publish"})


def steps_of(drug: Drug) -> list[Transition]:
    if drug.is_working_draft:
        return [t for t in TRANSITIONS.values() if t.name in DRAFT_STEPS]
    return list(TRANSITIONS.values())


def available(user, drug: Drug) -> list[Transition]:
    """The transitions this person may make on this monograph now: its buttons."""
    return [t for t in steps_of(drug) if drug.status in t.sources and allowed_for(user, t)]


# What each step is in the audit log.
STEP_ACTIONS = {
    "submit": audit.Action.SUBMITTED,
    "withdraw": audit.Action.WITHDRAWN,
    "reject": audit.Action.REJECTED,
    "publish": audit.Action.PUBLISHED,
    "review": audit.Action.REVIEWED,
    "unpublish": audit.Action.UNPUBLISHED,
    "archive": audit.Action.ARCHIVED,
    "reopen": audit.Action.REOPENED,
}

# Revisions that record a step of the workflow rather than an edit.
DRAFT_OPENED = "Working draft opened from the published monograph"
SCHEDULED = "Approved to go live on"
UNSCHEDULED = "Scheduled approval cancelled"


def editors(drug: Drug) -> set[int]:
    """Who edited what a Reviewer would now approve: since it was last published, or
    since its working draft was opened (workflow steps and opening are not edits)."""
    steps = {t.done for t in TRANSITIONS.values()} | {
        DRAFT_OPENED, SCHEDULED, UNSCHEDULED, history.HISTORY_STARTS,
    }  # fmt: skip
    found = set()
    for version in history.versions_of(drug.pk):
        comment = version.revision.comment
        if comment.startswith(TRANSITIONS["publish"].done):
            break
        if version.revision.user_id is not None and not comment.startswith(tuple(steps)):
            found.add(version.revision.user_id)
    return found


def self_approval(drug: Drug, user) -> bool:
    """Would ``user`` approve their own edit? Refused unless the setting allows it."""
    if user.pk not in editors(drug):
        return False
    if not settings.MONOGRAPH_ALLOW_SELF_APPROVAL:
        raise TransitionError(f"You edited “{drug}”: another Reviewer must approve it (four eyes).")
    return True


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later; the month's last day where it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last_day))


def review_due_after(day: datetime.date) -> datetime.date:
    return add_months(day, settings.MONOGRAPH_REVIEW_INTERVAL_MONTHS)


def take_step(
    drug: Drug,
    step: str,
    user,
    *,
    expected_edit_count: int | None = None,
    note: str = "",
    request=None,
) -> Drug:
    """Take workflow step ``step`` (a transition's name) on ``drug`` as ``user``,
    as one revision of its history and one event of the audit log (with
    ``request``'s address, given one).

    Refuses (TransitionError) an unknown transition, one this person may not
    make, one that does not start from the monograph's status, and, given
    ``expected_edit_count``, one on a monograph changed since the page was loaded.
    A step taken on a monograph approved to go live later cancels that approval.
    """
    with transaction.atomic():
        drug, transition, self_approved = _checked(drug, step, user, expected_edit_count)
        return _take(drug, transition, user, note=note, self_approved=self_approved,
                     request=request)  # fmt: skip


def _checked(drug: Drug, step: str, user, expected_edit_count: int | None):
    """The monograph, locked for the caller's transaction, if ``user`` may take ``step`` on
    it now; with whether that approves their own edit (allowed by the setting)."""
    transition = TRANSITIONS.get(step)
    if transition is None:
        raise TransitionError(f"“{step}” is not a step of the review workflow.")
    if not allowed_for(user, transition):
        raise TransitionError(f"You may not {transition.label.lower()} monographs.")
    drug = Drug.objects.select_for_update().get(pk=drug.pk)
    if expected_edit_count is not None and drug.edit_count != expected_edit_count:
        raise TransitionError(
            f"“{drug}” was changed after you loaded it; nothing was done. Reload it and look again."
        )
    if transition not in steps_of(drug):
        raise TransitionError(f"A working draft cannot be {transition.done.lower()}.")
    if drug.status not in transition.sources:
        sources = " or ".join(Status(s).label.lower() for s in transition.sources)
        raise TransitionError(
            f"“{drug}” is {drug.get_status_display().lower()}: only a {sources} "
            f"monograph can be {transition.done.lower()}."
        )
    self_approved = bool(transition.reviews and transition.target and self_approval(drug, user))
    return drug, transition, self_approved


def _take(
    drug, transition, user, *, note="", self_approved=False, request=None, as_scheduled=False
) -> Drug:
    done = transition.done + (" (self-approved)" if self_approved else "")
    detail = {"self_approved": True} if self_approved else {}
    if note.strip():
        detail["note"] = note.strip()
    if drug.is_scheduled:
        when = drug.goes_live_at
        if as_scheduled:
            done += f", as approved on {local_time(when)}"
            detail["scheduled_for"] = when.isoformat()
        else:
            detail["cancelled_schedule"] = when.isoformat()
        _clear_schedule(drug)
    action = audit.Action.WENT_LIVE if as_scheduled else STEP_ACTIONS[transition.name]
    # The note between author and Reviewer: why it was returned, or what the
    # author asks the Reviewer to look at; the next step replaces it.
    if transition.name in ("reject", "submit"):
        drug.review_note = note.strip()
    elif transition.name == "withdraw":
        drug.review_note = ""
    if drug.is_working_draft and transition.name == "publish":
        live = approve(drug, user, done)
        if not as_scheduled:
            action = audit.Action.APPROVED
        audit.record(action, user=user, drug=live, request=request, **detail)
        return live
    if transition.target is not None:
        drug.status = transition.target
    if transition.reviews:
        today = timezone.localdate()
        drug.reviewed_by = user
        drug.reviewed_on = today
        drug.review_due = review_due_after(today)
        drug.changed_since_review = False
    _save_step(drug, user, done if not note else f"{done}: {note.strip()}")
    audit.record(action, user=user, drug=drug, request=request, **detail)
    return drug


def _save_step(drug: Drug, user, comment: str) -> None:
    """Save a step of the workflow (not an edit) as one revision of its history."""
    if drug.imported_at_edit is not None and not drug.edited_since_import:
        # A workflow step is not an edit: the next import may still update it.
        drug.imported_at_edit = drug.edit_count + 1  # the edit count this save gives it
    with reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment(comment)
        drug.save()


def local_time(moment: datetime.datetime) -> str:
    """A moment as staff read it: in the site's time zone, which it names."""
    return date_format(timezone.localtime(moment), "j F Y, H:i T")


# Approving now to go live later.


def schedule(
    drug: Drug,
    user,
    goes_live_at: datetime.datetime,
    *,
    expected_edit_count: int | None = None,
    request=None,
) -> Drug:
    """Approve ``drug`` (a new monograph in review, or a working draft in review) to
    go live at ``goes_live_at``, a moment to come; until then readers keep what
    they see. Checked as publishing now is (who may, from which status, four
    eyes), now: :func:`publish_if_due` makes it live later as ``user``.

    A later edit of the monograph voids the approval; a new schedule replaces the old.
    """
    if timezone.is_naive(goes_live_at):
        raise ValueError("goes_live_at must carry its time zone")
    if goes_live_at <= timezone.now():
        raise TransitionError(
            f"{local_time(goes_live_at)} has passed: choose a time to come, or approve it now."
        )
    with transaction.atomic():
        drug, _, self_approved = _checked(drug, "publish", user, expected_edit_count)
        detail = {"goes_live_at": goes_live_at.isoformat()}
        if self_approved:
            detail["self_approved"] = True
        if drug.is_scheduled:
            detail["replaces"] = drug.goes_live_at.isoformat()
        drug.goes_live_at = goes_live_at
        drug.scheduled_by = user
        drug.scheduled_at_edit = drug.edit_count + 1  # the edit count this save gives it
        comment = f"{SCHEDULED} {local_time(goes_live_at)}"
        _save_step(drug, user, comment + (" (self-approved)" if self_approved else ""))
        audit.record(audit.Action.SCHEDULED, user=user, drug=drug, request=request, **detail)
    return drug


def cancel_schedule(drug: Drug, user, *, request=None, reason: str = "") -> Drug:
    """Withdraw an approval to go live later: the monograph waits in review again.

    ``user`` None: the portal itself cancels it (an approval that no longer holds).
    """
    if user is not None and not allowed_for(user, TRANSITIONS["publish"]):
        raise TransitionError("You may not cancel an approval to go live.")
    with transaction.atomic():
        drug = Drug.objects.select_for_update().get(pk=drug.pk)
        if not drug.is_scheduled:
            raise TransitionError(f"“{drug}” is not approved to go live later.")
        detail = {"goes_live_at": drug.goes_live_at.isoformat()}
        if drug.scheduled_by_id is not None:
            detail["approved_by"] = drug.scheduled_by.get_username()
        if reason:
            detail["reason"] = reason
        comment = f"{UNSCHEDULED} (it was to go live on {local_time(drug.goes_live_at)})"
        _clear_schedule(drug)
        _save_step(drug, user, f"{comment}: {reason}" if reason else comment)
        audit.record(
            audit.Action.SCHEDULE_CANCELLED, user=user, drug=drug, request=request, **detail
        )
    return drug


def _clear_schedule(drug: Drug) -> None:
    drug.goes_live_at = None
    drug.scheduled_by = None
    drug.scheduled_at_edit = None


def scheduled():
    """What is approved to go live later, soonest first: the dashboard's list."""
    return (
        Drug.objects.filter(goes_live_at__isnull=False)
        .select_related("scheduled_by", "draft_of")
        .order_by("goes_live_at", "pk")
    )


def due_ids(now: datetime.datetime | None = None) -> list[int]:
    """The monographs whose time to go live has come, soonest first."""
    now = now or timezone.now()
    return list(
        Drug.objects.filter(goes_live_at__lte=now)
        .order_by("goes_live_at", "pk")
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class Outcome:
    title: str
    live: bool  # False: its approval no longer held, and was cancelled
    message: str


def publish_if_due(pk: int, now: datetime.datetime | None = None) -> Outcome | None:
    """Make one monograph approved to go live by ``now`` live, in a transaction of its own.

    None when there is nothing to do: another run holds it (a locked row is
    skipped, not waited for) or has done it already. An approval that no
    longer holds (edited since, the approver's account gone or no longer a
    Reviewer, its monograph no longer published) is cancelled instead, saying why.
    """
    now = now or timezone.now()
    with transaction.atomic():
        drug = (
            Drug.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, goes_live_at__lte=now)
            .first()
        )
        if drug is None:
            return None
        title, approver, when = str(drug), drug.scheduled_by, drug.goes_live_at
        reason = _approval_void(drug)
        if reason is None:
            try:
                with transaction.atomic():
                    checked, transition, self_approved = _checked(
                        drug, "publish", approver, drug.scheduled_at_edit
                    )
                    live = _take(checked, transition, approver, self_approved=self_approved,
                                 as_scheduled=True)  # fmt: skip
            except TransitionError as refusal:
                reason = str(refusal)
        if reason is not None:
            cancel_schedule(drug, None, reason=reason)
            return Outcome(title, False, f"“{title}” did not go live: {reason}")
    return Outcome(
        str(live),
        True,
        f"“{live}” is live, as {approver.get_username()} approved for {local_time(when)}.",
    )


def _approval_void(drug: Drug) -> str | None:
    """Why an approval to go live later no longer holds, if it does not."""
    if drug.edited_since_scheduled:
        return "it was changed after it was approved; a Reviewer must approve it again"
    approver = drug.scheduled_by
    if approver is None:
        return "the account that approved it no longer exists"
    if not allowed_for(approver, TRANSITIONS["publish"]):
        return f"{approver.get_username()} may no longer publish monographs"
    if drug.is_working_draft and not drug.draft_of.is_published:
        return f"“{drug.draft_of}” is no longer published"
    return None


# Working drafts.

# What a working draft changes of its monograph; the rest (address, status,
# review record, import provenance) is the live monograph's own.
DRAFTED_FIELDS = ["title", "generic_name", "brand_names", "introduction", "front_matter"]


def open_working_draft(live: Drug, user, *, request=None) -> Drug:
    """The working draft of a published monograph, made on first use as a copy of it."""
    with transaction.atomic():
        live = Drug.objects.select_for_update().get(pk=live.pk)
        existing = Drug.objects.filter(draft_of=live).first()
        if existing is not None:
            return existing
        if not live.edited_in_a_draft:
            raise TransitionError(f"“{live}” is not published: edit it as it is.")
        draft = Drug(
            draft_of=live,
            slug=f"{live.slug}--working-draft",
            status=Status.DRAFT,
            **{name: getattr(live, name) for name in DRAFTED_FIELDS},
        )
        draft.text_changed_at = live.text_changed_at
        with reversion.create_revision():
            reversion.set_user(user)
            reversion.set_comment(DRAFT_OPENED)
            draft.save()
            for model, link in history.LINKS.items():
                copies = []
                for part in model.objects.filter(**{link: live.pk}):
                    part.pk = None
                    setattr(part, link, draft.pk)
                    copies.append(part)
                model.objects.bulk_create(copies)
            reversion.add_to_revision(draft)
        audit.record(audit.Action.DRAFT_OPENED, user=user, drug=live, request=request)
    return draft


def approve(draft: Drug, user, done: str) -> Drug:
    """Make an approved working draft its monograph's live version, in the open transaction.

    The live monograph keeps its id and address; it takes the draft's fields
    and parts, is reviewed and published, and records one revision. The draft
    is gone afterwards. Readers see the old version or the new, never half:
    all of it commits at once, and the page cache moves on when it does.
    """
    live = Drug.objects.select_for_update().get(pk=draft.draft_of_id)
    for name in DRAFTED_FIELDS:
        setattr(live, name, getattr(draft, name))
    today = timezone.localdate()
    live.status = Status.PUBLISHED
    live.reviewed_by = user
    live.reviewed_on = today
    live.review_due = review_due_after(today)
    live.changed_since_review = False
    live.text_changed_at = draft.text_changed_at or timezone.now()
    for model, link in history.LINKS.items():
        model.objects.filter(**{link: live.pk}).delete()
        model.objects.filter(**{link: draft.pk}).update(**{link: live.pk})
    # Its own history ends here: the approval's revision records what it became.
    Revision.objects.filter(version__in=history.versions_of(draft.pk)).delete()
    draft.delete()
    with reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment(f"{done}: the working draft’s changes")
        live.save()
    search.reindex(live)
    return live


# The reviewers' queues: what the dashboard lists and the admin index counts.


def queues(today: datetime.date | None = None, *, soon_days: int = 30) -> dict[str, Q]:
    """The queues, the work first: what waits for a reviewer, then what is overdue."""
    today = today or timezone.localdate()
    live = Q(status__in=[Status.PUBLISHED, Status.IN_REVIEW], draft_of__isnull=True)
    return {
        # Approved to go live later, it waits for the clock, not for a Reviewer.
        "in_review": Q(status=Status.IN_REVIEW, goes_live_at__isnull=True),
        "overdue": live & Q(review_due__lt=today),
        "due_soon": live
        & Q(review_due__gte=today, review_due__lte=today + datetime.timedelta(days=soon_days)),
        "changed": live & Q(changed_since_review=True),
        "never_reviewed": live & Q(reviewed_on__isnull=True),
        # Second files of one title, kept by the importer for a pharmacist to merge.
        "duplicates": Q(duplicate_of__isnull=False) & ~Q(status=Status.ARCHIVED),
    }


def review_holds(today: datetime.date | None = None) -> Q:
    """Monographs whose review still holds: reviewed, not due yet, not changed since.
    None of them is in the "overdue", "never reviewed" or "changed" queues."""
    today = today or timezone.localdate()
    return Q(reviewed_on__isnull=False, changed_since_review=False) & (
        Q(review_due__isnull=True) | Q(review_due__gte=today)
    )


QUEUE_LABELS = {
    "in_review": "Waiting in review",
    "overdue": "Overdue for review",
    "due_soon": "Due for review within 30 days",
    "changed": "Changed since their last review",
    "never_reviewed": "Never reviewed",
    "duplicates": "Possible duplicates to merge",
}


def with_submission(queryset):
    """The monographs with when they were last submitted for review (``submitted_at``) and
    the version that recorded it (``submission_id``): who, when and the note are its
    revision's. None for those that reached review otherwise (an import)."""
    submits = (
        Version.objects.get_for_model(Drug)
        .filter(
            object_id=Cast(OuterRef("pk"), output_field=CharField()),
            revision__comment__startswith=TRANSITIONS["submit"].done,
        )
        .order_by("-revision__date_created", "-pk")
    )
    return queryset.annotate(
        submitted_at=Subquery(submits.values("revision__date_created")[:1]),
        submission_id=Subquery(submits.values("pk")[:1]),
    )


@dataclass(frozen=True)
class Submission:
    by: str
    on: datetime.datetime
    note: str


def submissions(drugs) -> dict[int, Submission]:
    """Who submitted each of ``drugs`` (read with :func:`with_submission`), when, and their
    note, in one query."""
    ids = [drug.submission_id for drug in drugs if getattr(drug, "submission_id", None)]
    found = {}
    versions = Version.objects.filter(pk__in=ids).select_related("revision__user")
    done = TRANSITIONS["submit"].done
    for version in versions:
        revision = version.revision
        note = revision.comment[len(done) :].removeprefix(":").strip()
        by = person_name(revision.user) if revision.user else "someone"
        found[int(version.object_id)] = Submission(by, revision.date_created, note)
    return found


def queue_counts(today: datetime.date | None = None) -> dict[str, int]:
    """Each queue's size, in one query."""
    return Drug.objects.aggregate(
        **{name: Count("pk", filter=condition) for name, condition in queues(today).items()}
    )


def due_by_month(today: datetime.date | None = None, months: int = 12) -> list[tuple]:
    """Reviews of live monographs falling due in each of the next ``months`` months."""
    today = today or timezone.localdate()
    first = today.replace(day=1)
    starts = [add_months(first, i) for i in range(months)]
    end = add_months(first, months)
    rows = (
        Drug.objects.filter(
            status__in=[Status.PUBLISHED, Status.IN_REVIEW],
            draft_of__isnull=True,
            review_due__gte=first,
            review_due__lt=end,
        )
        .annotate(month=TruncMonth("review_due"))
        .values("month")
        .annotate(n=Count("pk"))
    )
    counts = {row["month"]: row["n"] for row in rows}
    return [(start, counts.get(start, 0)) for start in starts]
