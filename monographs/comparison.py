"""Monographs side by side: the rows of the compare page.

Side effects are matched on their normalised terms (:mod:`monographs.terms`,
as the side-effect lookup matches them), and a listing naming several things
("Headache or dizziness") joins the row of each thing another medicine lists
("Headache"). Where a medicine does not list a side effect, its text may still
name it: the cell says where, rather than "not listed".
"""

from dataclasses import dataclass

from . import search
from .choices import SectionKind
from .monograph_body import add_anchors
from .terms import needle_of, parts, pattern

SECTION_KINDS = [k for k in SectionKind if k not in (SectionKind.OTHER, SectionKind.DISCLAIMER)]

# Comparisons built in this process, each kept while the search index is
# unchanged (as the ranked searches are): every edit of a monograph moves it.
# A few hundred kilobytes each at most; a worker keeps the latest 64.
kept = search.KeptWhileIndexUnchanged(size=64)


@dataclass(frozen=True)
class Comparison:
    drugs: list
    rows: list  # section_rows
    side_effects: list  # side_effect_rows


def compare(queryset, pks: list[int], state=None) -> Comparison:
    """The monographs of ``queryset`` with these keys side by side, in this order.

    Reading three monographs whole and matching their side effects costs
    several times a page; any name typed for them (an address, a misspelling)
    comes here with the same keys, so the comparison is built once while the
    index is unchanged (``state``: :class:`monographs.spelling.IndexState`).
    ``queryset`` is always the same one for a caller (the key does not name it).
    """

    def build() -> Comparison:
        found = queryset.in_bulk(pks)
        drugs = [found[pk] for pk in pks if pk in found]
        return Comparison(drugs, section_rows(drugs), side_effect_rows(drugs))

    return kept.value(queryset.db, ("compare", tuple(pks)), build, state)


def section_rows(drugs) -> list[dict]:
    """A row for each kind of section any of them has; FAQs with each one's questions."""
    rows = []
    for kind in SECTION_KINDS:
        cells = [[s for s in d.sections.all() if s.kind == kind] for d in drugs]
        faqs = [list(d.faqs.all()) for d in drugs] if kind == SectionKind.FAQS else None
        if any(cells) or (faqs and any(faqs)):
            rows.append({"kind": kind, "cells": cells, "faqs": faqs})
    return rows


def side_effect_rows(drugs) -> list[dict]:
    """One row for each side effect, with what each medicine lists for it: ``cells`` holds a
    list of side effects per medicine and ``mentions`` where an unlisted one is named."""
    listed = [[(effect, parts(effect.name)) for effect in d.side_effects.all()] for d in drugs]
    named = [{term for _, terms in column for term in terms} for column in listed]
    rows: dict[str, dict] = {}
    for column, effects in enumerate(listed):
        others = set().union(*(named[i] for i in range(len(drugs)) if i != column))
        for effect, terms in effects:
            keys = [term for term in terms if term in others] if len(terms) > 1 else []
            for key in keys or [effect.term]:
                row = rows.setdefault(key, {"term": key, "name": "", "cells": [[] for _ in drugs]})
                if effect.term == key and not row["name"]:
                    row["name"] = effect.name
                if effect not in row["cells"][column]:
                    row["cells"][column].append(effect)
    texts = [_texts(drug) for drug in drugs]
    for row in rows.values():
        name = row["name"] or row["term"]
        row["name"] = name[:1].upper() + name[1:]
        row["mentions"] = [
            None if cell else _mention(row["term"], texts[column], drug)
            for column, (cell, drug) in enumerate(zip(row["cells"], drugs, strict=True))
        ]
    return sorted(
        rows.values(),
        key=lambda r: (-sum(bool(c) for c in r["cells"]), r["name"].casefold()),
    )


def _texts(drug) -> list[tuple[str, str, str, str]]:
    """What a monograph says in words, where: (where, anchor, text, the text casefolded)."""
    sections = add_anchors(list(drug.sections.all()))
    faqs = " ".join(f"{f.question} {f.answer}" for f in drug.faqs.all())
    found = [("Introduction", "", drug.introduction)] if drug.introduction else []
    for section in sections:
        text = section.body + (" " + faqs if section.kind == SectionKind.FAQS else "")
        found.append((section.heading, section.anchor, text))
    names = " · ".join(e.display_name for e in drug.side_effects.all())
    anchor = next((s.anchor for s in sections if s.kind == SectionKind.SIDE_EFFECTS), "")
    found.append(("within another side effect", anchor, names))
    return [(where, anchor, text, text.casefold()) for where, anchor, text in found]


def _mention(term: str, texts, drug) -> dict | None:
    """Where the monograph's text names ``term``: ``{"where", "url"}``, or None."""
    wanted = pattern(term)
    needle = needle_of(term)
    for where, anchor, text, folded in texts:
        # A plain substring test first: most texts do not name most terms, and
        # the pattern (word boundaries, plurals, any case) costs far more.
        if needle in folded and wanted.search(text):
            url = drug.get_absolute_url() + (f"#{anchor}" if anchor else "")
            return {"where": where, "url": url}
    return None
