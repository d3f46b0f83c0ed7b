"""Parsed monographs into the database, one transaction per file.

The loader never reads text: it takes what :mod:`.parse` produced.
"""

import enum

import reversion
from django.db import transaction
from django.utils.text import slugify

from .. import cache, search, terms
from ..models import Drug, Faq, Ingredient, Section, SideEffect
from .parse import ParsedMonograph


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"


class LoadError(ValueError):
    pass


def load(monograph: ParsedMonograph, source_path: str = "", *, force: bool = False) -> Outcome:
    """Create or update the drug a parsed file describes.

    A file that is byte-for-byte what was last imported writes nothing. A drug
    that someone edited since its last import is left alone unless ``force``.
    """
    with transaction.atomic(), reversion.create_revision():
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
        drug.content_edited()
        drug.save()
        drug.imported_version = drug.version
        Drug.objects.filter(pk=drug.pk).update(imported_version=drug.version)

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
        Ingredient.objects.bulk_create(
            Ingredient(combination=drug, name=name, slug=slug, drug=existing.get(slug), position=i)
            for i, (slug, name) in enumerate(names.items(), start=1)
        )
        Section.objects.bulk_create(sections)
        Faq.objects.bulk_create(faqs)
        SideEffect.objects.bulk_create(
            SideEffect(
                drug=drug,
                name=e.name[:255],
                term=terms.normalise(e.name),
                detail=e.detail[:1000],
                severity=e.severity,
                frequency=e.frequency,
                body_system=e.body_system[:100],
                tier_label=e.tier_label[:1000],
                written_inline=e.written_inline,
                separator=e.separator[:20],
                list_end=e.list_end[:2000],
                position=i,
            )
            for i, e in enumerate(monograph.side_effects, start=1)
        )
        search.reindex(drug)
        # One revision of its history: the drug with the parts just written.
        reversion.set_comment(f"{outcome.capitalize()} by import from {source_path or 'a file'}")
        reversion.add_to_revision(drug)
        # bulk_create and QuerySet.update above send no signals.
        cache.content_changed()
    return outcome
