"""Merging a possible duplicate into the monograph it duplicates.

The importer keeps a corpus's second file of one title as a draft flagged
``duplicate_of`` the first. A pharmacist compares the two and takes each part
(the introduction and generic name, the sections, the side effects, the FAQs)
from either; the monograph that stays keeps its address, title, status and
history, and the duplicate is archived. The whole merge is one revision of
history, holding both monographs with their parts.
"""

from dataclasses import dataclass

import reversion
from django.db import transaction

from . import audit, search
from .choices import SIDE_EFFECT_FIELDS, SIDE_EFFECT_LIST_FIELDS, Status
from .models import Drug, Faq, Section, SideEffect

KEPT, DUPLICATE = "kept", "duplicate"


@dataclass(frozen=True)
class Part:
    name: str
    label: str
    model: type | None  # None: fields of the drug itself
    fields: tuple[str, ...]


PARTS = [
    Part("introduction", "Generic name and introduction", None, ("generic_name", "introduction")),
    Part("sections", "Sections", Section, ("kind", "heading", "body", "position")),
    Part(
        "side_effects",
        "Side effects",
        SideEffect,
        ("position", *SIDE_EFFECT_FIELDS, *SIDE_EFFECT_LIST_FIELDS),
    ),
    Part("faqs", "FAQs", Faq, ("question", "answer", "position")),
]


class MergeError(Exception):
    """A merge that cannot be made, with the reason a person can read."""


def possible_duplicates():
    """Flagged duplicates still waiting for a pharmacist: not yet merged or archived."""
    return Drug.objects.filter(duplicate_of__isnull=False).exclude(status=Status.ARCHIVED)


def merge(
    duplicate: Drug,
    choices: dict[str, str],
    user,
    *,
    expected_edit_counts: tuple[int, int] | None = None,
    into: Drug | None = None,
    request=None,
) -> Drug:
    """Merge ``duplicate`` into the monograph it duplicates (or ``into``, its working
    draft); return the monograph that took the parts.

    ``choices`` maps each part's name to KEPT or DUPLICATE: where that part
    comes from. ``expected_edit_counts`` (kept, duplicate) refuses a merge of
    monographs changed since the page that chose was loaded. ``into`` is the
    kept monograph's working draft when it is published: readers keep its
    approved text until a reviewer approves the merged draft. The merge is one
    event of the audit log, filed under the monograph that stays (``request``:
    where it came from).
    """
    with transaction.atomic():
        duplicate, kept = _locked(duplicate, user, expected_edit_counts)
        taken = [part for part in PARTS if choices.get(part.name) == DUPLICATE]
        target = kept if into is None else Drug.objects.select_for_update().get(pk=into.pk)
        if target.draft_of_id not in (None, kept.pk):
            raise MergeError(f"“{target}” is not the working draft of “{kept}”.")
        with reversion.create_revision():
            reversion.set_user(user)
            names = ", ".join(part.label.lower() for part in taken) or "nothing"
            reversion.set_comment(
                f"Merged “{duplicate}” (/drugs/{duplicate.slug}/) into “{kept}”: took "
                f"{names} from it; it is archived"
            )
            for part in taken:
                _take(part, duplicate, target)
            target.mark_text_edited()
            target.save()
            duplicate.status = Status.ARCHIVED
            duplicate.save()
            reversion.add_to_revision(target)
            reversion.add_to_revision(duplicate)
        audit.record(
            audit.Action.MERGED,
            user=user,
            drug=kept,
            request=request,
            duplicate=str(duplicate),
            duplicate_id=duplicate.pk,
            took=[part.name for part in taken],
            into_working_draft=into is not None,
        )
        search.reindex(target)
        search.reindex(duplicate)
    return target


def _locked(duplicate: Drug, user, expected_edit_counts) -> tuple[Drug, Drug]:
    """The duplicate and the monograph it duplicates, locked for the merge; a
    MergeError where either may not be merged now."""
    duplicate = Drug.objects.select_for_update().get(pk=duplicate.pk)
    if duplicate.duplicate_of_id is None:
        raise MergeError(f"“{duplicate}” is not flagged as a possible duplicate.")
    if duplicate.status == Status.ARCHIVED:
        raise MergeError(f"“{duplicate}” is archived: it was merged already.")
    kept = Drug.objects.select_for_update().get(pk=duplicate.duplicate_of_id)
    counts = (kept.edit_count, duplicate.edit_count)
    if expected_edit_counts is not None and expected_edit_counts != counts:
        raise MergeError(
            f"“{kept}” or “{duplicate}” was changed after you opened this page; nothing "
            "was merged. Look at them again."
        )
    if duplicate.status == Status.PUBLISHED and not user.has_perm("monographs.publish_drug"):
        raise MergeError(f"“{duplicate}” is published: only a reviewer may archive it.")
    return duplicate, kept


def _take(part: Part, source: Drug, target: Drug) -> None:
    """Replace ``target``'s ``part`` with a copy of ``source``'s."""
    if part.model is None:
        for name in part.fields:
            setattr(target, name, getattr(source, name))
        return
    related = part.name
    getattr(target, related).all().delete()
    for item in getattr(source, related).order_by("position", "id"):
        copy = part.model(drug=target, **{name: getattr(item, name) for name in part.fields})
        copy.save()  # renders its HTML and normalises its term, as an edit would
