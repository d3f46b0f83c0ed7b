"""A monograph's history, read back: what changed between two states of it.

A state is a monograph with its parts, as a revision recorded it (each save
is one revision holding the drug and its sections, side effects, FAQs and
ingredients) or as it is now. :func:`compare` lines two states up field by
field and part by part, so a person can read what someone else changed.
"""

import difflib
import re
from dataclasses import dataclass, field

import reversion
from django.db import models
from reversion.errors import RevertError
from reversion.models import Version

from . import audit
from .choices import SIDE_EFFECT_FIELDS
from .models import Drug, Faq, Ingredient, Section, SideEffect

# What a person edits, in the order the admin shows it; the rest (rendered
# HTML, counters, provenance) follows from these.
FIELDS = {
    Drug: ["title", "slug", "generic_name", "brand_names", "introduction", "status",
           "reviewed_by", "reviewed_on", "review_due"],
    Ingredient: ["position", "name"],
    Section: ["position", "kind", "heading", "body"],
    SideEffect: ["position", *SIDE_EFFECT_FIELDS],
    Faq: ["position", "question", "answer"],
}  # fmt: skip
PARTS = [Ingredient, Section, SideEffect, Faq]

# A state: {model: {object id: {field name: value}}}.
State = dict[type[models.Model], dict[str, dict]]


@dataclass
class Change:
    label: str
    before: str
    after: str

    @property
    def words(self) -> list[tuple[str, str]]:
        """The change as runs of ("same" | "removed" | "added", text)."""
        return word_diff(self.before, self.after)


@dataclass
class PartChange:
    kind: str  # "added", "removed", "changed"
    model: type[models.Model]
    name: str
    changes: list[Change] = field(default_factory=list)

    @property
    def model_name(self) -> str:
        return self.model._meta.verbose_name.capitalize()


@dataclass
class Comparison:
    drug: list[Change]
    parts: list[PartChange]

    def __bool__(self) -> bool:
        return bool(self.drug or self.parts)

    @property
    def counts(self) -> dict[str, int]:
        counts = {"added": 0, "removed": 0, "changed": 0}
        for part in self.parts:
            counts[part.kind] += 1
        return counts

    @property
    def summary(self) -> list[str]:
        """What changes, in a few words: "generic name changed", "3 sections changed",
        "2 side effects removed"; the drug's fields first, then its parts in page order."""
        phrases = []
        if self.drug:
            labels = [change.label for change in self.drug]
            listed = (
                labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
            )
            phrases.append(f"{listed} changed")
        for model in PARTS:
            for kind in ("changed", "added", "removed"):
                count = sum(1 for part in self.parts if part.model is model and part.kind == kind)
                if count:
                    meta = model._meta
                    noun = meta.verbose_name if count == 1 else meta.verbose_name_plural
                    phrases.append(f"{count} {noun} {kind}")
        return phrases


def revision_state(revision) -> State:
    """The monograph as ``revision`` recorded it."""
    state: State = {model: {} for model in FIELDS}
    for version in revision.version_set.all():
        model = version._model
        if model in state:
            state[model][version.object_id] = version.field_dict
    return state


def live_state(drug: Drug) -> State:
    """The monograph as it is in the database now."""
    state: State = {Drug: {str(drug.pk): _values(drug, Drug)}}
    for model in PARTS:
        link = "combination" if model is Ingredient else "drug"
        state[model] = {
            str(obj.pk): _values(obj, model) for obj in model.objects.filter(**{link: drug})
        }
    return state


def _values(obj, model) -> dict:
    return {name: getattr(obj, model._meta.get_field(name).attname) for name in FIELDS[model]}


def _display(model, name: str, value) -> str:
    if value is None or value == "":
        return ""
    model_field = model._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.ForeignKey) and name == "reviewed_by":
        user = model_field.related_model._default_manager.filter(pk=value).first()
        return user.get_username() if user else f"(deleted account {value})"
    return str(value)


def _changes(model, before: dict, after: dict, *, moved: bool = True) -> list[Change]:
    """Fields that differ; with ``moved=False``, a part's new position alone is no change."""
    changes = []
    for name in FIELDS[model]:
        if name == "position" and not moved:
            continue
        attname = model._meta.get_field(name).attname
        old = _display(model, name, before.get(attname, before.get(name)))
        new = _display(model, name, after.get(attname, after.get(name)))
        if old != new:
            changes.append(Change(str(model._meta.get_field(name).verbose_name), old, new))
    return changes


def _label(model, values: dict) -> str:
    for name in ("name", "heading", "question"):
        if values.get(name):
            return str(values[name])
    return model._meta.verbose_name


def compare(before: State, after: State) -> Comparison:
    drug_before = next(iter(before.get(Drug, {}).values()), {})
    drug_after = next(iter(after.get(Drug, {}).values()), {})
    parts = []
    for model in PARTS:
        old, new = before.get(model, {}), after.get(model, {})
        pairs = [(old[pk], new[pk]) for pk in old.keys() & new.keys()]
        added = [new[pk] for pk in new.keys() - old.keys()]
        removed = [old[pk] for pk in old.keys() - new.keys()]
        # A part written anew (an approved working draft, an import, a restore)
        # has a new id: one of the same name is the same part, changed or not.
        by_label = {}
        for values in removed:
            by_label.setdefault(_label(model, values), []).append(values)
        unmatched = []
        for values in added:
            same = by_label.get(_label(model, values))
            if same:
                pairs.append((same.pop(0), values))
            else:
                unmatched.append(values)
        removed = [values for group in by_label.values() for values in group]
        for values in unmatched:
            parts.append(
                PartChange("added", model, _label(model, values), _changes(model, {}, values))
            )
        for values in removed:
            parts.append(
                PartChange("removed", model, _label(model, values), _changes(model, values, {}))
            )
        for values_before, values_after in pairs:
            if changes := _changes(model, values_before, values_after, moved=False):
                parts.append(PartChange("changed", model, _label(model, values_after), changes))
    order = {model: i for i, model in enumerate(PARTS)}
    parts.sort(key=lambda p: (order[p.model], p.kind, p.name))
    return Comparison(_changes(Drug, drug_before, drug_after), parts)


TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


# Word diffs are matched block by block (difflib) on at most this many words a
# side; a longer changed stretch is compared line by line, and a stretch longer
# than this in lines shows as removed and added whole. The cost stays bounded
# however long the texts are: matching is quadratic in the words it looks at.
WORD_DIFF_LIMIT = 2_000


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """``before`` to ``after`` as runs of ("same" | "removed" | "added", text)."""
    runs: list[tuple[str, str]] = []
    _diff_units(TOKENS.findall(before), TOKENS.findall(after), runs, split_lines=True)
    merged: list[tuple[str, str]] = []
    for kind, text in runs:
        if not text:
            continue
        if merged and merged[-1][0] == kind:
            merged[-1] = (kind, merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return merged


def _diff_units(old: list[str], new: list[str], runs: list, *, split_lines: bool) -> None:
    # The common start and end cost one pass; only the middle is matched.
    start = 0
    while start < len(old) and start < len(new) and old[start] == new[start]:
        start += 1
    end = 0
    while end < len(old) - start and end < len(new) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    runs.append(("same", "".join(old[:start])))
    middle_old, middle_new = old[start : len(old) - end], new[start : len(new) - end]
    if max(len(middle_old), len(middle_new)) <= WORD_DIFF_LIMIT:
        _match(middle_old, middle_new, runs)
    elif split_lines:
        _diff_lines(middle_old, middle_new, runs)
    else:
        runs.append(("removed", "".join(middle_old)))
        runs.append(("added", "".join(middle_new)))
    runs.append(("same", "".join(old[len(old) - end :])))


def _match(old: list[str], new: list[str], runs: list) -> None:
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            runs.append(("same", "".join(old[i1:i2])))
            continue
        runs.append(("removed", "".join(old[i1:i2])))
        runs.append(("added", "".join(new[j1:j2])))


def _lines(tokens: list[str]) -> list[str]:
    """The tokens joined into lines, each line keeping its line break."""
    lines, current = [], []
    for token in tokens:
        current.append(token)
        if "\n" in token:
            lines.append("".join(current))
            current = []
    if current:
        lines.append("".join(current))
    return lines


def _diff_lines(old: list[str], new: list[str], runs: list) -> None:
    old_lines, new_lines = _lines(old), _lines(new)
    if max(len(old_lines), len(new_lines)) > WORD_DIFF_LIMIT:
        runs.append(("removed", "".join(old)))
        runs.append(("added", "".join(new)))
        return
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            runs.append(("same", "".join(old_lines[i1:i2])))
            continue
        # A changed run of lines is compared word by word again, within the limit.
        words_old = TOKENS.findall("".join(old_lines[i1:i2]))
        words_new = TOKENS.findall("".join(new_lines[j1:j2]))
        _diff_units(words_old, words_new, runs, split_lines=False)


def versions_of(drug_pk) -> models.QuerySet:
    """The drug's recorded versions, newest first, with who made them."""
    return (
        Version.objects.get_for_object_reference(Drug, drug_pk)
        .select_related("revision__user")
        .order_by("-revision__date_created", "-pk")
    )


def version_at_edit(drug_pk, edit_count: int, *, look_back: int = 50) -> Version | None:
    """The recorded version in which the drug's edit count was ``edit_count``."""
    for version in versions_of(drug_pk)[:look_back]:
        try:
            if version.field_dict.get("edit_count") == edit_count:
                return version
        except RevertError:  # recorded before a field was renamed or removed
            continue
    return None


def versions_since(drug_pk, edit_count: int | None, *, look_back: int = 50) -> list[Version]:
    """The recorded versions saved after the drug's edit count was ``edit_count``, newest first
    (with ``edit_count`` None, unknown: the newest only)."""
    if edit_count is None:
        return list(versions_of(drug_pk)[:1])
    found = []
    for version in versions_of(drug_pk)[:look_back]:
        try:
            recorded = version.field_dict.get("edit_count")
        except RevertError:
            break
        if recorded is not None and recorded <= edit_count:
            break
        found.append(version)
    return found


HISTORY_STARTS = "History starts: the monograph as it was first opened"


def ensure_recorded(drug: Drug) -> None:
    """Give a monograph made outside the admin and the importer a first revision.

    Drugs made in bulk, or before the history was kept, have none: without
    one, a conflicting save could not show what changed since the form opened.
    """
    if versions_of(drug.pk).exists():
        return
    with reversion.create_revision():
        reversion.set_comment(HISTORY_STARTS)
        reversion.add_to_revision(drug)


# Restoring and recovering: only the monograph's own part of a revision.

LINKS = {Section: "drug_id", SideEffect: "drug_id", Faq: "drug_id", Ingredient: "combination_id"}
# What restoring brings back: what the monograph says. Its place in the
# workflow, its review record and its counters stay as they are now.
RESTORED_FIELDS = ["title", "slug", "generic_name", "brand_names", "introduction"]


def version_of_drug(drug_pk, version_id) -> Version | None:
    """The recorded version ``version_id`` of this very drug, or None."""
    return versions_of(drug_pk).filter(pk=version_id).first()


def deleted_version(version_id) -> Version | None:
    """The last recorded version of a deleted drug, or None (a live drug's, a part's, …)."""
    return (
        Version.objects.get_deleted(Drug)
        .filter(pk=version_id)
        .select_related("revision__user")
        .first()
    )


def own_versions(
    version: Version, revision_versions=None
) -> dict[type[models.Model], list[Version]]:
    """The versions in ``version``'s revision that belong to its drug.

    A revision may hold several monographs (a bulk step recorded before each
    monograph got a revision of its own): the others are not this drug's.
    ``revision_versions``: all the revision's versions, where they were read already.
    """
    drug_pk = str(version.object_id)
    found: dict[type[models.Model], list[Version]] = {model: [] for model in FIELDS}
    if revision_versions is None:
        revision_versions = version.revision.version_set.select_related("content_type")
    for other in revision_versions:
        model = other._model
        if model not in found:
            continue
        if model is Drug:
            if other.object_id == drug_pk:
                found[Drug].append(other)
            continue
        try:
            owner = other.field_dict.get(LINKS[model])
        except RevertError:
            continue
        if str(owner) == drug_pk:
            found[model].append(other)
    return found


def own_state(version: Version, revision_versions=None) -> State:
    """The monograph (its drug and parts only) as ``version``'s revision recorded it."""
    state: State = {model: {} for model in FIELDS}
    for model, versions in own_versions(version, revision_versions).items():
        for other in versions:
            try:
                state[model][other.object_id] = other.field_dict
            except RevertError:
                continue
    return state


def own_states(versions: list[Version]) -> dict[int, State]:
    """:func:`own_state` of each of a drug's ``versions``, by version id, in one query."""
    recorded: dict[int, list[Version]] = {version.revision_id: [] for version in versions}
    for other in Version.objects.filter(revision_id__in=list(recorded)).order_by("pk"):
        recorded[other.revision_id].append(other)
    return {version.pk: own_state(version, recorded[version.revision_id]) for version in versions}


def write_parts(target: Drug, versions: dict[type[models.Model], list[Version]]) -> None:
    """Make ``target``'s parts those recorded: others deleted, recorded ones saved on it.

    A recorded part keeps its id where that id is free or already the
    target's; otherwise (a working draft, an id taken since) it is a new row.
    """
    for model in PARTS:
        link = LINKS[model]
        objects = []
        for version in versions.get(model, []):
            try:
                objects.append(version._object_version.object)
            except RevertError:
                continue
        kept = [obj.pk for obj in objects]
        model.objects.filter(**{link: target.pk}).exclude(pk__in=kept).delete()
        owners = dict(model.objects.filter(pk__in=kept).values_list("pk", link))
        for obj in objects:
            if obj.pk in owners and owners[obj.pk] != target.pk:
                obj.pk = None
            setattr(obj, link, target.pk)
            obj.save()


def restore(version: Version, target: Drug, user, *, request=None) -> Drug:
    """Write what ``version`` recorded of its monograph onto ``target``, as one revision
    and one event of the audit log.

    ``target`` is the monograph itself, or the working draft of a published
    one: restoring never changes a status, so nothing goes live by it.
    """
    versions = own_versions(version)
    (drug_version,) = versions[Drug]
    recorded = drug_version.field_dict
    for name in RESTORED_FIELDS:
        if name == "slug" and target.pk != int(drug_version.object_id):
            continue  # a working draft keeps its own address
        if name in recorded:
            setattr(target, name, recorded[name])
    target.mark_text_edited()
    when = version.revision.date_created
    with reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment(f"Restored the version saved on {when:%Y-%m-%d %H:%M}")
        target.save()
        write_parts(target, versions)
    audit.record(
        audit.Action.RESTORED,
        user=user,
        drug=target,
        request=request,
        version=version.pk,
        saved=when.isoformat(),
    )
    return target


def recover(version: Version, user, *, request=None) -> Drug:
    """Bring a deleted monograph back, with its parts, as a draft, as one revision
    and one event of the audit log."""
    from .choices import Status

    versions = own_versions(version)
    drug = version._object_version.object
    drug.status = Status.DRAFT  # back, but not public until a Reviewer publishes it
    drug.goes_live_at = drug.scheduled_by = drug.scheduled_at_edit = None  # nor approved
    drug.mark_text_edited()
    with reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment("Recovered after deletion, as a draft")
        drug.save(force_insert=True)
        drug.link_ingredients()
        write_parts(drug, versions)
    audit.record(audit.Action.RECOVERED, user=user, drug=drug, request=request, version=version.pk)
    return drug


def restore_changes(drug: Drug, version: Version) -> Comparison:
    """What restoring ``version`` would change in ``drug``: only what a restore writes
    (never its status or review record; a published monograph's address neither)."""
    now, restored = live_state(drug), own_state(version)
    current = next(iter(now[Drug].values()))
    kept = [name for name in FIELDS[Drug] if name not in RESTORED_FIELDS]
    if drug.edited_in_a_draft:
        kept.append("slug")  # restored into its working draft, which keeps its own
    for values in restored[Drug].values():
        for name in kept:
            attname = Drug._meta.get_field(name).attname
            values[attname] = current[name]  # (live states are keyed by name)
    return compare(now, restored)


def draft_changes(draft: Drug) -> Comparison:
    """What a working draft would change in its published monograph, if approved.

    Only what a draft may change is compared: not its own address, status or
    review record, which approval leaves as the live monograph has them.
    """
    live, proposed = live_state(draft.draft_of), live_state(draft)
    live_values = next(iter(live[Drug].values()))
    for values in proposed[Drug].values():
        for name in ("slug", "status", "reviewed_by", "reviewed_on", "review_due"):
            values[name] = live_values[name]
    return compare(live, proposed)
