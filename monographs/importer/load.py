"""Parsed monographs into the database, one transaction per file.

The loader never reads text: it takes what :mod:`.parse` produced.
"""

import enum

import reversion
from django.db import transaction
from django.utils.text import slugify

from .. import search, terms
from ..choices import SIDE_EFFECT_FIELDS, SIDE_EFFECT_LIST_FIELDS
from ..models import Drug, Faq, Ingredient, Section, SideEffect
from ..signals import announce_content_change
from .parse import ParsedMonograph


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"


class LoadError(ValueError):
    pass


def load(
    monograph: ParsedMonograph, source_path: str = "", *, force: bool = False, index: bool = True
) -> Outcome:
    """Create or update the drug a parsed file describes.

    A file that is byte-for-byte what was last imported writes nothing. A drug
    that someone edited since its last import is left alone unless ``force``.
    With ``index=False`` the caller indexes it for search afterwards, with
    others (``search.reindex_many``): the index is rescored after each write.
    """
    # Saving the drug would index it before its parts exist; it is indexed once, at the end.
    with transaction.atomic(), search.saves_not_indexed(Drug):
        drug = Drug.objects.select_for_update().filter(slug=monograph.slug).first()
        if drug is not None:
            if drug.title != monograph.title:
                raise LoadError(
                    f"its page address /drugs/{drug.slug}/ is already taken by “{drug.title}”"
                )
            if drug.source_sha256 == monograph.sha256 and not drug.edited_since_import:
                return Outcome.UNCHANGED
            if drug.edited_since_import and not force:
                return Outcome.SKIPPED
            outcome = Outcome.UPDATED
        else:
            drug = Drug(title=monograph.title, slug=monograph.slug, status=monograph.status)
            outcome = Outcome.CREATED

        drug.generic_name = monograph.generic_name
        drug.introduction = monograph.introduction
        drug.front_matter = monograph.front_matter
        drug.source_path = source_path[:500]
        drug.source_sha256 = monograph.sha256
        drug.mark_text_edited()
        drug.save()
        drug.imported_at_edit = drug.edit_count
        Drug.objects.filter(pk=drug.pk).update(imported_at_edit=drug.edit_count)

        if outcome is Outcome.UPDATED:
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
        parts = {
            "ingredients": Ingredient.objects.bulk_create(ingredients),
            "sections": Section.objects.bulk_create(sections),
            "faqs": Faq.objects.bulk_create(faqs),
            "side_effects": SideEffect.objects.bulk_create(side_effects),
        }
        # Indexed and recorded from the parts just written, without reading them back.
        _with_parts_prefetched(drug, parts)
        if index:
            search.reindex(drug)
        # One revision of its history: the drug with the parts just written (recorded
        # here, once, rather than as each is saved).
        with reversion.create_revision():
            reversion.set_comment(
                f"{outcome.capitalize()} by import from {source_path or 'a file'}"
            )
            reversion.add_to_revision(drug)
        # bulk_create and QuerySet.update above send no signals.
        announce_content_change()
    return outcome


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
