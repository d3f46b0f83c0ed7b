"""The public change log: each version of a monograph that readers were shown, and what changed.

It reads the monograph's history (:mod:`monographs.history`), the records the
admin's history and restore read. A *version* is a revision of the live
monograph that recorded it published, other than a review that changed
nothing: a Reviewer's publication or approval of a working draft, its import
as a published monograph, an import's update of it. Nothing unpublished
becomes a version: a working draft's revisions are its own (and go with it
when it is approved), and a draft's or a monograph in review record it
unpublished. Revision comments are never shown: they may hold reviewers' notes.
"""

import functools
import re
from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.utils import timezone
from reversion.errors import RevertError
from reversion.models import Version

from . import history, workflow
from .choices import Status
from .fhir import plain_text
from .markdown import render, render_inline
from .models import Drug, Faq, Ingredient, Section, SideEffect, person_name

PER_PAGE = 10

APPROVED = workflow.TRANSITIONS["publish"].done
REVIEWED_ONLY = workflow.TRANSITIONS["review"].done
IMPORTED = re.compile(r"(Created|Updated) by import\b")

# What a reader reads of the drug itself; its address, status and review record are not text.
READER_FIELDS = ["title", "generic_name", "brand_names", "introduction"]
# Fields written in Markdown: the log compares the words readers read, not the markup.
MARKDOWN_FIELDS = {Drug: ("introduction",), Section: ("body",), Faq: ("answer",)}
INLINE_MARKDOWN_FIELDS = {SideEffect: ("name", "detail"), Faq: ("question",)}
# How a file wrote a side effect's list is no change a reader reads.
UNREAD_FIELDS = {SideEffect: {"position", "tier_label"}, Section: {"position", "kind"}}


@dataclass
class Diff:
    """What changed between two versions, in the words readers read."""

    side_effects: list[history.PartChange] = field(default_factory=list)
    sections: list[history.PartChange] = field(default_factory=list)
    faqs: list[history.PartChange] = field(default_factory=list)
    names: list[history.Change] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.side_effects or self.sections or self.faqs or self.names)

    @property
    def summary(self) -> str:
        """One line: "Side effects: 2 added, 1 changed severity; Dosage section changed"."""
        phrases = []
        effects = _counts(self.side_effects)
        for part in self.side_effects:
            if part.kind == "changed":
                fields = part.fields
                effects["changed"] -= 1
                effects["changed severity"] += "severity" in fields
                effects["changed frequency"] += "frequency" in fields
                effects["changed"] += not ({"severity", "frequency"} & fields.keys())
        if line := _count_line(effects):
            phrases.append(f"Side effects: {line}")
        if len(self.sections) <= 3:
            phrases += [f"{part.name} section {part.kind}" for part in self.sections]
        else:
            phrases.append(f"Sections: {_count_line(_counts(self.sections))}")
        if line := _count_line(_counts(self.faqs)):
            phrases.append(f"FAQs: {line}")
        phrases += [f"{change.label} changed" for change in self.names]
        return "; ".join(phrases) or "No change to the text"


def _counts(parts) -> dict[str, int]:
    counts = dict.fromkeys(["added", "removed", "changed severity", "changed frequency"], 0)
    counts["changed"] = 0
    for part in parts:
        counts[part.kind] += 1
    return counts


def _count_line(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {what}" for what, n in counts.items() if n)


@dataclass
class Entry:
    """One version in the change log."""

    version: object  # reversion's Version; None for a monograph with no history recorded
    kind: str  # "approved", "imported", "updated", "recorded" or "current"
    date: object
    approver: str = ""  # as the monograph page names its reviewer
    first: bool = False
    diff: Diff | None = None
    counts: dict[str, int] = field(default_factory=dict)  # of the first version's parts

    @property
    def anchor(self) -> str:
        return f"v{self.version.pk}" if self.version is not None else "current"

    @property
    def heading(self) -> str:
        if self.kind == "recorded":
            return "Earliest version on record"
        if self.kind == "current":
            return "Current version"
        if self.first:
            return "First published"
        if self.kind == "approved":
            return "Reviewed and updated"
        return "Updated"

    @property
    def byline(self) -> str:
        if self.kind == "approved":
            return f"Approved by {self.approver}" if self.approver else "Approved by a reviewer"
        if self.kind == "imported":
            if self.first:
                return "Imported from its source file"
            return "Updated from its source file, not reviewed again"
        if self.kind == "updated":
            return "Changed without a new review"
        return ""

    @property
    def summary(self) -> str:
        if self.diff is not None:
            return self.diff.summary
        counts = self.counts
        if not counts:
            return ""
        parts = [
            _plural(counts["sections"], "section"),
            _plural(counts["side_effects"], "side effect"),
            _plural(counts["faqs"], "FAQ"),
        ]
        return ", ".join(parts)


PARAGRAPH_BREAK = re.compile(r"(\n[ \t]*\n\s*)")


def paragraphs(change: history.Change) -> list[list[tuple[str, str]] | None]:
    """A long text's word diff, paragraph by paragraph, unchanged paragraphs left out.

    Each item is a paragraph's runs of ("same" | "removed" | "added", text), or
    None where unchanged paragraphs were left out. A paragraph break inside a
    removed or added run stays in that run.
    """
    found: list[list[tuple[str, str]]] = [[]]
    for kind, text in change.words:
        if kind != "same":
            found[-1].append((kind, text))
            continue
        pieces = PARAGRAPH_BREAK.split(text)
        for i, piece in enumerate(pieces):
            if i % 2:  # a break: the paragraph ends here
                found.append([])
            elif piece:
                found[-1].append(("same", piece))
    shown: list[list[tuple[str, str]] | None] = []
    for paragraph in found:
        if any(kind != "same" for kind, _text in paragraph):
            shown.append(paragraph)
        elif paragraph and (not shown or shown[-1] is not None):
            shown.append(None)
    return shown


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def kind_of(version) -> str | None:
    """What kind of version ``version`` (a revision of a live drug) is, or None for none."""
    try:
        status = version.field_dict.get("status")
    except RevertError:  # recorded before a field was renamed or removed
        return None
    if status != Status.PUBLISHED:
        return None
    comment = version.revision.comment
    if comment.startswith(APPROVED):
        return "approved"
    if comment.startswith(REVIEWED_ONLY):
        return None
    if IMPORTED.match(comment):
        return "imported"
    if comment.startswith(history.HISTORY_STARTS):
        return "recorded"
    return "updated"


def entries(drug: Drug) -> list[Entry]:
    """Every version of a published monograph, newest first (without their diffs)."""
    found = []
    for version in history.versions_of(drug.pk):
        kind = kind_of(version)
        if kind is None:
            continue
        user = version.revision.user
        found.append(
            Entry(
                version=version,
                kind=kind,
                date=timezone.localtime(version.revision.date_created),
                approver=person_name(user) if kind == "approved" and user else "",
            )
        )
    if not found:
        # Made before its history was kept: what readers see now is all there is to list.
        found.append(
            Entry(version=None, kind="current", date=timezone.localtime(drug.last_changed_at))
        )
    found[-1].first = True
    return found


def newest_anchors(drugs: list[Drug]) -> dict[int, str]:
    """For each of these monographs that changed since it was first published, the
    anchor of its newest version on its change log; in one query."""
    by_drug: dict[int, list] = {}
    versions = Version.objects.get_for_model(Drug).filter(
        object_id__in=[str(drug.pk) for drug in drugs]
    )
    for version in versions.select_related("revision").order_by("-revision__date_created", "-pk"):
        if kind_of(version) is not None:
            by_drug.setdefault(int(version.object_id), []).append(version)
    return {pk: f"v{found[0].pk}" for pk, found in by_drug.items() if len(found) > 1}


def page_of(drug: Drug, number) -> object:
    """A page of the change log (Django's ``Page``), each entry with its diff.

    Raises ``InvalidPage`` for a page that is not there. Reads the parts of
    this page's versions and of the one before them, in one query.
    """
    listed = entries(drug)
    page = Paginator(listed, PER_PAGE, allow_empty_first_page=False).page(number or 1)
    shown = list(page.object_list)
    end = page.end_index()  # 1-based: the entry before the page's last is listed[end]
    previous = listed[end] if end < len(listed) else None
    recorded = [e.version for e in [*shown, previous] if e is not None and e.version is not None]
    states = history.own_states(recorded)
    for entry, older in zip(shown, [*shown[1:], previous], strict=True):
        if entry.version is None:
            continue
        after = states[entry.version.pk]
        if older is None:
            entry.counts = {
                "sections": len(after[Section]),
                "side_effects": len(after[SideEffect]),
                "faqs": len(after[Faq]),
            }
        else:
            entry.diff = diff(states[older.version.pk], after)
    return page


def _readable(state: history.State) -> history.State:
    """``state`` with only what readers read: of the drug, no status, reviewer or address;
    of Markdown, the text without its markup."""
    drug = {
        pk: {name: values.get(name, "") for name in READER_FIELDS}
        for pk, values in state[Drug].items()
    }
    readable = {**state, Drug: drug, Ingredient: {}}
    for model in (Drug, Section, SideEffect, Faq):
        blocks = MARKDOWN_FIELDS.get(model, ())
        inline = INLINE_MARKDOWN_FIELDS.get(model, ())
        readable[model] = {
            pk: {
                name: reader_text(value, inline=name in inline)
                if name in blocks or name in inline
                else value
                for name, value in values.items()
            }
            for pk, values in readable[model].items()
        }
    return readable


def reader_text(source, *, inline: bool = False) -> str:
    """What readers read of a Markdown text: its words, a paragraph or list item a
    paragraph, without the markup ("**", "*", "#", links' addresses)."""
    if not isinstance(source, str) or not source:
        return source
    return _reader_text(source, inline)


@functools.lru_cache(maxsize=4096)
def _reader_text(source: str, inline: bool) -> str:
    """Kept for the latest texts: a page of the log reads each text of eleven versions,
    most of them the same from one version to the next."""
    html = render_inline(source) if inline else render(source)
    return "\n\n".join(plain_text(html).splitlines())


def _ingredients(state: history.State) -> str:
    rows = sorted(state[Ingredient].values(), key=lambda r: (r.get("position", 0), r["name"]))
    return ", ".join(row["name"] for row in rows)


def diff(before: history.State, after: history.State) -> Diff:
    """What changed from ``before`` to ``after``, two states of one monograph."""
    comparison = history.compare(_readable(before), _readable(after))
    result = Diff(names=[_capitalised(change) for change in comparison.drug])
    if (old := _ingredients(before)) != (new := _ingredients(after)):
        result.names.append(history.Change("Ingredients", old, new))
    groups = {Section: result.sections, SideEffect: result.side_effects, Faq: result.faqs}
    for part in comparison.parts:
        if part.model not in groups:
            continue
        unread = UNREAD_FIELDS.get(part.model, {"position"})
        labels = _labels(part.model)
        kept = [c for c in part.changes if labels.get(c.label) not in unread]
        if part.kind == "changed" and not kept:
            continue
        groups[part.model].append(
            ReaderPart(part.kind, part.model, part.name, kept, fields=_by_field(part.model, kept))
        )
    return result


@dataclass
class ReaderPart(history.PartChange):
    """A part that changed, with its changes by field name (``fields["severity"]``)."""

    fields: dict[str, history.Change] = field(default_factory=dict)


def _labels(model) -> dict[str, str]:
    return {str(model._meta.get_field(name).verbose_name): name for name in history.FIELDS[model]}


def _by_field(model, changes) -> dict[str, history.Change]:
    labels = _labels(model)
    return {labels[change.label]: change for change in changes if change.label in labels}


def _capitalised(change: history.Change) -> history.Change:
    return history.Change(change.label[:1].upper() + change.label[1:], change.before, change.after)
