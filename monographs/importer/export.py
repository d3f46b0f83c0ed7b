"""Monographs from the database back to files in the format they came in."""

from pathlib import Path

from ..choices import SIDE_EFFECT_FIELDS, SIDE_EFFECT_LIST_FIELDS
from ..models import Drug
from .parse import ParsedFaq, ParsedMonograph, ParsedSection, ParsedSideEffect, dump


def to_parsed(drug: Drug) -> ParsedMonograph:
    """A drug (fetched with ``Drug.objects.for_detail()``) as the parser would give it."""
    return ParsedMonograph(
        title=drug.title,
        slug=drug.slug,
        sha256="",
        generic_name=drug.generic_name,
        introduction=drug.introduction,
        status=drug.status,
        front_matter=dict(drug.front_matter),
        ingredients=[ingredient.name for ingredient in drug.ingredients.all()],
        sections=[
            ParsedSection(kind=s.kind, heading=s.heading, body=s.body) for s in drug.sections.all()
        ],
        side_effects=[
            ParsedSideEffect(
                **{name: getattr(e, name) for name in SIDE_EFFECT_FIELDS + SIDE_EFFECT_LIST_FIELDS}
            )
            for e in drug.side_effects.all()
        ],
        faqs=[ParsedFaq(question=f.question, answer=f.answer) for f in drug.faqs.all()],
    )


def relative_path(drug: Drug) -> Path:
    """``i/isotretinoin-systemic.md``: the corpus's own layout."""
    return Path(drug.slug[0]) / f"{drug.slug}.md"


def export_drug(drug: Drug, folder: Path) -> Path:
    path = folder / relative_path(drug)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(to_parsed(drug)), encoding="utf-8", newline="\n")
    return path
