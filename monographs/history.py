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


def _changes(model, before: dict, after: dict) -> list[Change]:
    changes = []
    for name in FIELDS[model]:
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
        for pk in new.keys() - old.keys():
            parts.append(
                PartChange("added", model, _label(model, new[pk]), _changes(model, {}, new[pk]))
            )
        for pk in old.keys() - new.keys():
            parts.append(
                PartChange("removed", model, _label(model, old[pk]), _changes(model, old[pk], {}))
            )
        for pk in old.keys() & new.keys():
            if changes := _changes(model, old[pk], new[pk]):
                parts.append(PartChange("changed", model, _label(model, new[pk]), changes))
    order = {model: i for i, model in enumerate(PARTS)}
    parts.sort(key=lambda p: (order[p.model], p.kind, p.name))
    return Comparison(_changes(Drug, drug_before, drug_after), parts)


TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    old, new = TOKENS.findall(before), TOKENS.findall(after)
    runs = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            runs.append(("same", "".join(old[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("removed", "".join(old[i1:i2])))
        if j2 > j1:
            runs.append(("added", "".join(new[j1:j2])))
    return runs


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


def ensure_recorded(drug: Drug) -> None:
    """Give a monograph made outside the admin and the importer a first revision.

    Drugs made in bulk, or before the history was kept, have none: without
    one, a conflicting save could not show what changed since the form opened.
    """
    if versions_of(drug.pk).exists():
        return
    with reversion.create_revision():
        reversion.set_comment("History starts: the monograph as it was first opened")
        reversion.add_to_revision(drug)
