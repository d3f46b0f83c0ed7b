"""Status transitions of a monograph, and who may make them.

draft → in review → published → archived. Pharmacists write and submit;
Reviewers (``publish_drug``, ``review_drug``) publish, unpublish, archive
and mark reviewed. Every check happens here, on the server: the admin's
buttons and actions only ask.
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
from reversion.models import Revision, Version

from . import history, search
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


# Revisions that record a step of the workflow rather than an edit.
DRAFT_OPENED = "Working draft opened from the published monograph"


def editors(drug: Drug) -> set[int]:
    """Who edited what a Reviewer would now approve: since it was last published, or
    since its working draft was opened (workflow steps and opening are not edits)."""
    steps = {t.done for t in TRANSITIONS.values()} | {DRAFT_OPENED, history.HISTORY_STARTS}
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
    drug: Drug, step: str, user, *, expected_edit_count: int | None = None, note: str = ""
) -> Drug:
    """Take workflow step ``step`` (a transition's name) on ``drug`` as ``user``,
    as one revision of its history.

    Refuses (TransitionError) an unknown transition, one this person may not
    make, one that does not start from the monograph's status, and, given
    ``expected_edit_count``, one on a monograph changed since the page was loaded.
    """
    transition = TRANSITIONS.get(step)
    if transition is None:
        raise TransitionError(f"“{step}” is not a step of the review workflow.")
    if not allowed_for(user, transition):
        raise TransitionError(f"You may not {transition.label.lower()} monographs.")
    with transaction.atomic():
        drug = Drug.objects.select_for_update().get(pk=drug.pk)
        if expected_edit_count is not None and drug.edit_count != expected_edit_count:
            raise TransitionError(
                f"“{drug}” was changed after you loaded it; nothing was done. "
                "Reload it and look again."
            )
        if transition not in steps_of(drug):
            raise TransitionError(f"A working draft cannot be {transition.done.lower()}.")
        if drug.status not in transition.sources:
            sources = " or ".join(Status(s).label.lower() for s in transition.sources)
            raise TransitionError(
                f"“{drug}” is {drug.get_status_display().lower()}: only a {sources} "
                f"monograph can be {transition.done.lower()}."
            )
        self_approved = transition.reviews and transition.target and self_approval(drug, user)
        done = transition.done + (" (self-approved)" if self_approved else "")
        # The note between author and Reviewer: why it was returned, or what the
        # author asks the Reviewer to look at; the next step replaces it.
        if step in ("reject", "submit"):
            drug.review_note = note.strip()
        elif step == "withdraw":
            drug.review_note = ""
        if drug.is_working_draft and step == "publish":
            return approve(drug, user, done)
        if transition.target is not None:
            drug.status = transition.target
        if transition.reviews:
            today = timezone.localdate()
            drug.reviewed_by = user
            drug.reviewed_on = today
            drug.review_due = review_due_after(today)
            drug.changed_since_review = False
        if drug.imported_at_edit is not None and not drug.edited_since_import:
            # A workflow step is not an edit: the next import may still update it.
            drug.imported_at_edit = drug.edit_count + 1  # the edit count this save gives it
        with reversion.create_revision():
            reversion.set_user(user)
            reversion.set_comment(done if not note else f"{done}: {note.strip()}")
            drug.save()
    return drug


# Working drafts.

# What a working draft changes of its monograph; the rest (address, status,
# review record, import provenance) is the live monograph's own.
DRAFTED_FIELDS = ["title", "generic_name", "brand_names", "introduction", "front_matter"]


def open_working_draft(live: Drug, user) -> Drug:
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
        "in_review": Q(status=Status.IN_REVIEW),
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
