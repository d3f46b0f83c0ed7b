"""Parsed monographs into the database, one transaction per file.

The loader never reads text: it takes what :mod:`.parse` produced.
"""

import enum
import itertools
from pathlib import PurePath
from typing import NamedTuple

import reversion
from django.db import transaction
from django.utils.text import slugify

from .. import search, term_counts, terms
from ..choices import SIDE_EFFECT_FIELDS, SIDE_EFFECT_LIST_FIELDS, SectionKind, Status
from ..models import Drug, Faq, Ingredient, Section, SideEffect
from ..signals import announce_content_change
from .parse import READER_VERSION, ParsedMonograph


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"


class LoadError(ValueError):
    pass


class Loaded(NamedTuple):
    outcome: Outcome
    drug: Drug


def load(
    monograph: ParsedMonograph,
    source_path: str = "",
    *,
    force: bool = False,
    index: bool = True,
    status: str = Status.PUBLISHED,
    claimed: frozenset[int] | set[int] = frozenset(),
) -> Loaded:
    """Create or update the drug a parsed file describes.

    A file is matched to the drug it was imported into before by its path;
    else (a moved or exported copy) by its title and file name. A file whose
    title cleans up to another monograph's page address ("Clonazepam ." and
    "Clonazepam") gets a drug of its own, a draft at the next free address
    (``clonazepam-2``), flagged as a possible duplicate of the other for a
    pharmacist to merge. ``claimed`` holds the drugs other files of the same
    run were matched to. New drugs start at ``status`` (drafts and possible
    duplicates always as drafts).

    A file that is byte-for-byte what was last imported writes nothing. A drug
    that someone edited since its last import is left alone unless ``force``.
    With ``index=False`` the caller indexes it for search afterwards, with
    others (``search.reindex_many``): the index is rescored after each write.
    """
    # Saving the drug would index it before its parts exist; it is indexed once, at the end.
    with transaction.atomic(), search.saves_not_indexed(Drug):
        drug = _imported_from(monograph, source_path, claimed)
        if drug is not None:
            if (left := _left_alone(drug, monograph, force)) is not None:
                return Loaded(left, drug)
            outcome = Outcome.UPDATED
            drug.title = monograph.title
        else:
            drug = _new_drug(monograph, status)
            outcome = Outcome.CREATED
        with term_counts.counted_for(drug):
            _write(drug, monograph, outcome, source_path, index)
    return Loaded(outcome, drug)


def _write(drug: Drug, monograph: ParsedMonograph, outcome: Outcome, source_path: str, index: bool):
    """The file's text and parts into ``drug``, indexed (with ``index``), recorded and announced."""
    drug.generic_name = monograph.generic_name
    drug.introduction = monograph.introduction
    drug.front_matter = monograph.front_matter
    drug.source_path = source_path[:500]
    drug.source_sha256 = monograph.sha256
    drug.read_by = READER_VERSION
    drug.mark_text_edited()
    drug.save()
    drug.imported_at_edit = drug.edit_count
    Drug.objects.filter(pk=drug.pk).update(imported_at_edit=drug.edit_count)

    parts = _write_parts(drug, monograph, replace=outcome is Outcome.UPDATED)
    # Indexed and recorded from the parts just written, without reading them back.
    _with_parts_prefetched(drug, parts)
    if index:
        search.reindex(drug)
    # One revision of its history: the drug with the parts just written (recorded
    # here, once, rather than as each is saved).
    with reversion.create_revision():
        reversion.set_comment(f"{outcome.capitalize()} by import from {source_path or 'a file'}")
        reversion.add_to_revision(drug)
    # bulk_create and QuerySet.update above send no signals.
    announce_content_change()


def _left_alone(drug: Drug, monograph: ParsedMonograph, force: bool) -> Outcome | None:
    """Why a file matched to ``drug`` writes nothing (UNCHANGED or SKIPPED), or None."""
    unchanged = drug.source_sha256 == monograph.sha256 and drug.read_by == READER_VERSION
    if unchanged and not drug.edited_since_import:
        return Outcome.UNCHANGED
    if drug.edited_since_import and not force:
        return Outcome.SKIPPED
    if drug.status == Status.PUBLISHED and not _has_sections(monograph):
        # Its text is no monograph (a refusal, a stub): readers keep the one they have.
        monograph.warnings.append(
            f"“{monograph.title}” is published and this file has no sections; left as it is"
        )
        return Outcome.SKIPPED
    return None


def _write_parts(drug: Drug, monograph: ParsedMonograph, *, replace: bool) -> dict[str, list]:
    """Write the file's sections, FAQs, ingredients and side effects for ``drug`` (in
    place of its own, with ``replace``); the rows written, by part."""
    if replace:
        drug.sections.all().delete()
        drug.side_effects.all().delete()
        drug.faqs.all().delete()
        drug.ingredients.all().delete()
    sections = [
        Section(drug=drug, kind=s.kind, heading=s.heading[:500], body=s.body, position=i)
        for i, s in enumerate(monograph.sections, start=1)
    ]
    faqs = [
        Faq(drug=drug, question=f.question, answer=f.answer, position=i)
        for i, f in enumerate(monograph.faqs, start=1)
    ]
    for item in [*sections, *faqs]:
        item.render()
    names = {slugify(name): name for name in monograph.ingredients if slugify(name)}
    existing = Drug.objects.in_bulk(list(names), field_name="slug")
    ingredients = [
        Ingredient(combination=drug, name=name, slug=slug, drug=existing.get(slug), position=i)
        for i, (slug, name) in enumerate(names.items(), start=1)
    ]
    side_effects = side_effect_rows(drug, monograph.side_effects)
    return {
        "ingredients": Ingredient.objects.bulk_create(ingredients),
        "sections": Section.objects.bulk_create(sections),
        "faqs": Faq.objects.bulk_create(faqs),
        "side_effects": SideEffect.objects.bulk_create(side_effects),
    }


def _imported_from(
    monograph: ParsedMonograph, source_path: str, claimed: frozenset[int] | set[int]
) -> Drug | None:
    """The drug this file was imported into before, if any.

    By its path; else a drug of the same title that no other file of this run
    took and that came from a file of the same name (a copy of the corpus
    elsewhere) or is written under this file's name (an export): a second
    file of the same title with another name is a possible duplicate instead.
    """
    # Never a working draft: imports write the monograph itself.
    drugs = Drug.objects.select_for_update().filter(draft_of__isnull=True)
    if source_path and (drug := drugs.filter(source_path=source_path).first()):
        return drug
    path = PurePath(source_path)
    candidates = [
        drug
        for drug in drugs.filter(title=monograph.title).order_by("pk")
        if drug.pk not in claimed
        and (
            not drug.source_path
            or drug.slug == path.stem
            or PurePath(drug.source_path).name == path.name
        )
    ]
    candidates.sort(key=lambda drug: (drug.slug != path.stem, drug.pk))
    return candidates[0] if candidates else None


def _new_drug(monograph: ParsedMonograph, status: str) -> Drug:
    """A new drug at its title's address, or a possible duplicate at the next free one."""
    holder = Drug.objects.filter(slug=monograph.slug).only("pk", "duplicate_of_id").first()
    drug = Drug(title=monograph.title, slug=monograph.slug, status=status)
    if monograph.status == Status.DRAFT:
        drug.status = Status.DRAFT
    if holder is not None:
        taken = set(
            Drug.objects.filter(slug__startswith=f"{monograph.slug}-").values_list(
                "slug", flat=True
            )
        )
        drug.slug = next(
            slug
            for number in itertools.count(2)
            if (slug := f"{monograph.slug}-{number}") not in taken
        )
        drug.duplicate_of_id = holder.duplicate_of_id or holder.pk
        drug.status = Status.DRAFT
    return drug


def _has_sections(monograph: ParsedMonograph) -> bool:
    """Does the file have a section of its own (a closing disclaimer alone is none)?"""
    return any(s.kind != SectionKind.DISCLAIMER for s in monograph.sections)


def side_effect_rows(drug: Drug, parsed) -> list[SideEffect]:
    """Unsaved side effects of ``drug`` from the parser's, numbered in order from 1."""
    return [
        SideEffect(
            drug=drug,
            term=terms.normalise(e.name),
            position=i,
            **{
                name: _fitted(SideEffect, name, getattr(e, name))
                for name in SIDE_EFFECT_FIELDS + SIDE_EFFECT_LIST_FIELDS
            },
        )
        for i, e in enumerate(parsed, start=1)
    ]


def _fitted(model, name: str, value):
    """``value`` cut to the length the model's field holds, if it has one."""
    max_length = model._meta.get_field(name).max_length
    return value[:max_length] if max_length else value


def _with_parts_prefetched(drug: Drug, parts: dict[str, list]) -> Drug:
    """``drug`` with its related lists in hand, as prefetch_related leaves them.

    The lists are in ``position`` order, the order the database returns them in.
    """
    prefetched = drug.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, objects in parts.items():
        prefetched.pop(name, None)
        queryset = getattr(drug, name).all()
        queryset._result_cache = list(objects)
        queryset._prefetch_done = True
        prefetched[name] = queryset
    return drug
