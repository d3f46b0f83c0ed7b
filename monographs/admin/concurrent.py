"""Two people saving one monograph: their changes combined, clashes settled by choice.

The drug form carries the edit count it was opened at (``opened_at_edit``).
When someone else saved the monograph since, the posted form is merged three
ways: the version the form was opened at (the base, from the history), the
monograph as it is now (theirs) and the posted form (mine), field by field for
the drug and row by row, by id, for its parts (sections, side effects, FAQs,
ingredients).

- What only one side changed is kept: a field or a row I did not touch keeps
  its current value (not the stale one my form still shows), rows they added
  stay, rows they deleted stay deleted, rows I added are added.
- What both changed alike is no clash, nor is a row each side changed in
  different fields (one its severity, the other its explanation; or one only
  moved it): it takes both changes.
- The same field of the drug changed differently, the same field of a row
  changed differently by both, or a row deleted by one and changed by the
  other is a clash. The
  form comes back holding the merged monograph, with both versions of each
  clash side by side and a "keep mine" / "keep theirs" choice; it is saved
  only once every clash is decided.

The merged form replaces the posted one before the admin reads it, so the
admin's own validation and saving apply unchanged. It says it was opened at
the current edit count: saving it (with the clashes decided) is an ordinary
save, merged again should yet another save come first.
"""

from contextvars import ContextVar
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify

from .. import history
from ..models import Drug, person_name

MINE, THEIRS = "mine", "theirs"
# The clash screen's inputs, posted with the drug form.
PENDING = "clash"  # the key of each clash still to decide
DECISION = "keep:"  # keep:<key> = mine | theirs
# clash-row:<key> = the new-row form that holds my version of a row they deleted
NEW_ROW = "clash-row:"
SINCE = "conflict_since"  # the edit count the form was first opened at: whose saves it met
OPENED = "opened_at_edit"

# A base that cannot be known (no recorded version of the edit the form was
# opened at): every difference between mine and theirs is then a clash.
UNKNOWN = object()


@dataclass
class Part:
    """One kind of part as its inline posts it."""

    prefix: str
    model: type
    fields: dict[str, forms.Field]
    fk: str
    can_delete: bool

    @classmethod
    def of(cls, formset_class) -> "Part":
        names = history.FIELDS[formset_class.model]
        base_fields = formset_class.form.base_fields
        return cls(
            prefix=formset_class.get_default_prefix(),
            model=formset_class.model,
            fields={name: base_fields[name] for name in names if name in base_fields},
            fk=formset_class.fk.name,
            can_delete=formset_class.can_delete,
        )

    @property
    def label(self) -> str:
        return str(self.model._meta.verbose_name)


@dataclass
class Row:
    """A row of an inline as the form posts it (``pk`` empty for a new row)."""

    pk: str
    values: dict[str, str]
    deleted: bool = False
    extra: dict[str, list[str]] = field(default_factory=dict)  # other posted keys of the row
    index: int | None = None  # its form's number in the posted form
    clash_key: str = ""  # a new row holding my version of a row they deleted, undecided


@dataclass
class Cell:
    label: str
    mine: str
    theirs: str
    choice: bool = False  # one of a list of choices: it differs whole, not word by word

    @property
    def differs(self) -> bool:
        return self.mine != self.theirs

    @property
    def runs(self) -> list[tuple[str, str]]:
        """Theirs to mine word by word: ("same" | "removed" (theirs only) | "added" (mine only))."""
        if self.choice and self.differs:
            return [("removed", self.theirs), ("added", self.mine)]
        return history.word_diff(self.theirs, self.mine)


@dataclass
class Clash:
    key: str
    what: str  # "Generic name", "Side effect “Nosebleeds”"
    kind: str  # "field", "changed", "deleted_by_them", "deleted_by_me"
    cells: list[Cell]
    mine_deleted: bool = False
    theirs_deleted: bool = False
    new_row: str = ""  # deleted_by_them: the form that holds my version

    @property
    def input_name(self) -> str:
        return DECISION + self.key

    @property
    def html_id(self) -> str:
        return "clash-" + slugify(self.key.replace(":", "-").replace("_", "-"))

    @property
    def mine_label(self) -> str:
        return {
            "deleted_by_them": "Keep mine: add it back with my changes",
            "deleted_by_me": "Keep mine: delete it",
        }.get(self.kind, "Keep mine")

    @property
    def theirs_label(self) -> str:
        return {
            "deleted_by_them": "Keep theirs: leave it deleted",
            "deleted_by_me": "Keep theirs: keep it, with their changes",
        }.get(self.kind, "Keep theirs")


@dataclass
class EditMerge:
    """The posted form merged with the saves it met, ready for the admin to read."""

    drug: Drug
    data: QueryDict
    clashes: list[Clash]
    kept: list[str]  # their changes kept alongside mine, in words
    others: list  # the versions saved since the form was first opened, newest first
    merged: bool  # the form met someone else's save (not only decisions)
    since: int | None  # the edit count the form was first opened at

    @property
    def who(self) -> str:
        names = []
        for version in self.others:
            user = version.revision.user
            name = person_name(user) if user else "the importer or a script"
            if name not in names:
                names.append(name)
        if not names:
            return "Someone"
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    @property
    def when(self) -> str:
        if not self.others:
            return ""
        return date_format(timezone.localtime(self.others[0].revision.date_created), "j F Y, H:i")

    def message(self) -> str:
        count = len(self.clashes)
        clashes = "one clash" if count == 1 else f"{count} clashes"
        if not self.merged:
            return (
                f"Choose whose version to keep for each clash ({clashes} not decided yet), "
                "then save. Nothing was saved."
            )
        return (
            f"{self.who} changed this monograph after you opened it. Their changes and yours "
            f"are combined in the form below, except where you both changed the same thing "
            f"({clashes}): choose whose version to keep for each, then save. Nothing was "
            "saved yet."
        )

    def saved_message(self) -> str:
        if not self.merged:
            return "Saved with the versions you chose where your changes clashed."
        kept = "; ".join(self.kept) if self.kept else "nothing you can see in the form"
        return (
            f"{self.who} also saved this monograph after you opened it ({self.when}). "
            f"Your changes were saved together with theirs (theirs kept: {kept})."
        )


def _int(text) -> int | None:
    text = str(text or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _raw(form_field, value) -> str:
    """A stored value as the form posts it."""
    value = form_field.prepare_value(value)
    return "" if value is None else str(value)


def _differ(form_field, a: str, b: str) -> bool:
    """Do two posted values differ, as the form field reads them (CR LF, spaces, choices)?"""
    try:
        return form_field.has_changed(form_field.to_python(b), a)
    except ValidationError:
        return a != b


def _changed_fields(fields, a: dict, b: dict) -> set[str]:
    return {name for name, f in fields.items() if _differ(f, a.get(name, ""), b.get(name, ""))}


def _cell(form_field, name, mine: str, theirs: str) -> Cell:
    return Cell(
        _label(form_field, name),
        _display(form_field, mine),
        _display(form_field, theirs),
        choice=bool(getattr(form_field, "choices", None)),
    )


def _display(form_field, value: str) -> str:
    choices = getattr(form_field, "choices", None)
    if choices:
        for key, label in choices:
            if str(key) == value:
                return str(label)
    return value


def _row_name(part: Part, values: dict) -> str:
    for name in ("name", "heading", "question"):
        if values.get(name):
            return f"{part.label.capitalize()} “{values[name]}”"
    return part.label.capitalize()


def _state(state, drug_fields, parts) -> tuple[dict, dict]:
    """A history state as posted values: the drug's, and each part's rows by id."""
    drug_values = next(iter(state[Drug].values()), {})
    drug = {name: _raw(f, drug_values.get(name)) for name, f in drug_fields.items()}
    rows = {}
    for part in parts:
        rows[part.prefix] = {
            str(pk): {name: _raw(f, values.get(name)) for name, f in part.fields.items()}
            for pk, values in state.get(part.model, {}).items()
        }
    return drug, rows


def _live(drug: Drug, drug_fields, parts) -> tuple[dict, dict]:
    """The monograph as it is now, as posted values; each part's rows in the page's order."""
    values = {name: _raw(f, getattr(drug, name)) for name, f in drug_fields.items()}
    rows = {}
    for part in parts:
        objects = part.model.objects.filter(**{part.fk: drug}).order_by("position", "pk")
        rows[part.prefix] = {
            str(obj.pk): {name: _raw(f, getattr(obj, name)) for name, f in part.fields.items()}
            for obj in objects
        }
    return values, rows


def _posted_rows(data: QueryDict, part: Part) -> list[Row]:
    prefix = part.prefix
    total = _int(data.get(f"{prefix}-TOTAL_FORMS")) or 0
    rows = []
    for i in range(min(total, 1000)):
        start = f"{prefix}-{i}-"
        keys = {k[len(start) :]: data.getlist(k) for k in data if k.startswith(start)}
        if not keys:
            continue
        pk = (keys.pop("id", [""]) or [""])[-1]
        keys.pop(part.fk, None)
        keys.pop("DELETE", None)
        deleted = part.can_delete and forms.CheckboxInput().value_from_datadict(
            data, {}, f"{start}DELETE"
        )
        values = {name: (keys.pop(name, [""]) or [""])[-1] for name in part.fields}
        rows.append(Row(pk=pk, values=values, deleted=bool(deleted), extra=keys, index=i))
    return rows


def _marked_row(posted, key, rows: list[Row]) -> Row | None:
    """The new row that holds my version of a row they deleted, as the clash screen marked it."""
    index = _int(str(posted.get(NEW_ROW + key, "")).rpartition("-")[2])
    return next((row for row in rows if not row.pk and row.index == index), None)


def merge_posted(drug: Drug, posted: QueryDict, drug_fields: dict, parts: list[Part]):
    """The posted drug form merged with what was saved since it was opened.

    ``drug`` is the monograph as it is now (locked for the save);
    ``drug_fields`` the drug form's editable fields, ``parts`` its inlines.
    None when there is nothing to merge: the form is as fresh as the monograph.
    """
    loaded = _int(posted.get(OPENED))
    current = drug.edit_count
    pending = list(dict.fromkeys(key for key in posted.getlist(PENDING) if key))
    if loaded == current and not pending:
        return None
    since = _int(posted.get(SINCE))
    since = loaded if since is None else since

    theirs_drug, theirs_rows = _live(drug, drug_fields, parts)
    base_drug, base_rows = theirs_drug, theirs_rows
    if loaded != current:
        base_drug, base_rows = _base(drug, loaded, drug_fields, parts)

    mine_drug = {name: posted.get(name, "") for name in drug_fields}
    mine_rows = {part.prefix: _posted_rows(posted, part) for part in parts}
    by_prefix = {part.prefix: part for part in parts}

    # The decisions taken on a clash screen. "Theirs" is the version the form
    # was merged with: the monograph at the edit count the form now carries.
    reference = (theirs_drug, theirs_rows) if base_drug is UNKNOWN else (base_drug, base_rows)
    undecided = _apply_decisions(
        posted, pending, (mine_drug, mine_rows), reference, drug_fields, by_prefix
    )

    merger = _Merger(drug_fields, base_drug, base_rows, theirs_drug, theirs_rows)
    if loaded != current:
        merger.merge_drug(mine_drug)
        for part in parts:
            merger.merge_rows(part, mine_rows[part.prefix])
    else:
        merger.rows = {prefix: list(rows) for prefix, rows in mine_rows.items()}
    drug_out = {**mine_drug, **merger.drug}

    # Clashes left undecided stay clashes, whatever this merge found.
    found = {clash.key for clash in merger.clashes}
    for key in undecided:
        if key not in found and (clash := merger.still_pending(key, drug_out, by_prefix)):
            merger.clashes.append(clash)

    data, new_rows = _serialise(posted, drug, drug_out, merger.rows, parts, current)
    for clash in merger.clashes:
        clash.new_row = new_rows.get(clash.key, "")
    return EditMerge(
        drug=drug,
        data=data,
        clashes=merger.clashes,
        kept=merger.kept,
        others=history.versions_since(drug.pk, since),
        merged=loaded != current,
        since=since,
    )


def _base(drug: Drug, loaded, drug_fields: dict, parts: list[Part]):
    """The monograph as the form was opened on (its edit ``loaded``), or UNKNOWN twice
    where its history does not hold that edit."""
    version = history.version_at_edit(drug.pk, loaded) if loaded is not None else None
    if version is None:
        return UNKNOWN, UNKNOWN
    return _state(history.own_state(version), drug_fields, parts)


def _apply_decisions(posted, pending, mine, reference, drug_fields, by_prefix) -> list[str]:
    """Take the clash screen's decisions into ``mine`` (the posted drug and rows):
    "theirs" puts back ``reference``'s value or row, or drops my copy of a row they
    deleted. Returns the clashes left undecided, each marked on its row."""
    mine_drug, mine_rows = mine
    reference_drug, reference_rows = reference
    undecided = []
    for key in pending:
        choice = posted.get(DECISION + key)
        what, _, name = key.partition(":")
        part = by_prefix.get(what)
        if choice not in (MINE, THEIRS):
            undecided.append(key)
            if part is not None and (row := _marked_row(posted, key, mine_rows[what])):
                row.clash_key = key
        elif choice == MINE:
            continue
        elif what == "drug" and name in drug_fields:
            mine_drug[name] = reference_drug[name]
        elif part is not None and posted.get(NEW_ROW + key) is not None:
            # My version of a row they deleted, held as a new row: dropped.
            if row := _marked_row(posted, key, mine_rows[what]):
                mine_rows[what].remove(row)
        elif part is not None and name in reference_rows[what]:
            for row in mine_rows[what]:
                if row.pk == name:
                    row.values, row.deleted = dict(reference_rows[what][name]), False
    return undecided


class _Merger:
    def __init__(self, drug_fields, base_drug, base_rows, theirs_drug, theirs_rows):
        self.drug_fields = drug_fields
        self.base_drug, self.base_rows = base_drug, base_rows
        self.theirs_drug, self.theirs_rows = theirs_drug, theirs_rows
        self.drug: dict[str, str] = {}  # fields that take their value
        self.rows: dict[str, list[Row]] = {}
        self.clashes: list[Clash] = []
        self.kept: list[str] = []

    def merge_drug(self, mine: dict) -> None:
        for name, form_field in self.drug_fields.items():
            theirs = self.theirs_drug[name]
            if self.base_drug is UNKNOWN:
                mine_changed = their_changed = True
            else:
                base = self.base_drug[name]
                mine_changed = _differ(form_field, mine[name], base)
                their_changed = _differ(form_field, theirs, base)
            if not their_changed:
                continue
            label = _label(form_field, name)
            if not mine_changed:
                self.drug[name] = theirs
                self.kept.append(label.lower())
            elif _differ(form_field, mine[name], theirs):
                cell = _cell(form_field, name, mine[name], theirs)
                self.clashes.append(Clash(f"drug:{name}", label, "field", [cell]))

    def merge_rows(self, part: Part, posted: list[Row]) -> None:
        fields = part.fields
        base_rows = None if self.base_rows is UNKNOWN else self.base_rows[part.prefix]
        mine_by_pk = {row.pk: row for row in posted if row.pk}
        out: list[Row] = []
        for pk, theirs in self.theirs_rows[part.prefix].items():
            row = mine_by_pk.pop(pk, None)
            base = None if base_rows is None else base_rows.get(pk)
            if row is None:  # not in my form: as it is
                out.append(Row(pk, dict(theirs)))
                if base_rows is not None and base is None:
                    self.kept.append(f"{_row_name(part, theirs)} added")
                continue
            mine = None if row.deleted else row.values
            if base is None:  # nothing tells who changed what: any difference clashes
                mine_changed = their_changed = True
            else:
                mine_changed = mine is None or bool(_changed_fields(fields, mine, base))
                their_changed = bool(_changed_fields(fields, theirs, base))
            if not mine_changed:
                out.append(Row(pk, dict(theirs), extra=row.extra))
                if their_changed:
                    self.kept.append(f"{_row_name(part, theirs)} changed")
            elif not their_changed or (mine and not _changed_fields(fields, mine, theirs)):
                out.append(row)
            elif mine is None:
                self._clash(part, pk, "deleted_by_me", None, theirs)
                out.append(Row(pk, dict(theirs), deleted=True, extra=row.extra))
            elif base is not None and (combined := _combine(part, base, mine, theirs)):
                out.append(Row(pk, combined, extra=row.extra))
                self.kept.append(f"{_row_name(part, theirs)} changed")
            else:
                self._clash(part, pk, "changed", mine, theirs)
                out.append(row)
        out += [row for row in posted if not row.pk]
        for pk, row in mine_by_pk.items():  # in my form, no longer in the monograph
            base = None if base_rows is None else base_rows.get(pk)
            if row.deleted:
                continue
            if base is not None and not _changed_fields(fields, row.values, base):
                self.kept.append(f"{_row_name(part, base)} deleted")
                continue
            key = self._clash(part, pk, "deleted_by_them", row.values, None)
            out.append(Row("", row.values, extra=row.extra, clash_key=key))
        self.rows[part.prefix] = out

    def _clash(self, part, pk, kind, mine, theirs) -> str:
        key = f"{part.prefix}:{pk}"
        self.clashes.append(_row_clash(part, key, kind, mine, theirs))
        return key

    def still_pending(self, key, drug_out, by_prefix) -> Clash | None:
        """A clash shown before and not decided yet, as the merged form now holds it."""
        what, _, name = key.partition(":")
        if what == "drug":
            form_field = self.drug_fields.get(name)
            if form_field is None:
                return None
            cell = _cell(form_field, name, drug_out[name], self.theirs_drug[name])
            return Clash(key, cell.label, "field", [cell])
        part = by_prefix.get(what)
        if part is None:
            return None
        theirs = self.theirs_rows[part.prefix].get(name)
        for row in self.rows[part.prefix]:
            if row.clash_key == key:
                return _row_clash(part, key, "deleted_by_them", row.values, None)
            if row.pk == name and theirs is not None:
                kind, mine = ("deleted_by_me", None) if row.deleted else ("changed", row.values)
                return _row_clash(part, key, kind, mine, theirs)
        return None


def _label(form_field, name) -> str:
    return str(form_field.label or name.replace("_", " ")).capitalize()


def _combine(part: Part, base: dict, mine: dict, theirs: dict) -> dict | None:
    """A row each side changed in different fields (or moved): both changes, or None
    where a field was changed by both."""
    by_me = _changed_fields(part.fields, mine, base)
    by_them = _changed_fields(part.fields, theirs, base)
    if by_me & by_them:
        return None
    combined = dict(base)
    combined.update({name: mine[name] for name in by_me})
    combined.update({name: theirs[name] for name in by_them})
    return combined


def _row_clash(part, key, kind, mine, theirs) -> Clash:
    cells = [
        _cell(
            form_field,
            name,
            mine[name] if mine is not None else "",
            theirs[name] if theirs is not None else "",
        )
        for name, form_field in part.fields.items()
    ]
    return Clash(
        key,
        _row_name(part, mine if mine is not None else theirs),
        kind,
        cells,
        mine_deleted=mine is None,
        theirs_deleted=theirs is None,
    )


def _serialise(posted, drug, drug_out, out_rows, parts, current):
    """The merged form as the admin reads a posted one; and where each clash's new row went."""
    data = QueryDict(mutable=True)
    starts = tuple(f"{part.prefix}-" for part in parts)
    for key in posted:
        if key.startswith(starts) or key in (PENDING, SINCE) or key.startswith((DECISION, NEW_ROW)):
            continue
        data.setlist(key, posted.getlist(key))
    for name, value in drug_out.items():
        data[name] = value
    data[OPENED] = str(current)
    new_rows = {}
    for part in parts:
        prefix = part.prefix
        rows = [row for row in out_rows[prefix] if row.pk] + [
            row for row in out_rows[prefix] if not row.pk
        ]
        for i, row in enumerate(rows):
            start = f"{prefix}-{i}-"
            for name, values in row.extra.items():
                data.setlist(start + name, values)
            data[start + "id"] = row.pk
            data[start + part.fk] = str(drug.pk)
            for name, value in row.values.items():
                data[start + name] = value
            if row.deleted and part.can_delete:
                data[start + "DELETE"] = "on"
            if row.clash_key:
                new_rows[row.clash_key] = f"{prefix}-{i}"
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = str(sum(1 for row in rows if row.pk))
        data[f"{prefix}-MIN_NUM_FORMS"] = posted.get(f"{prefix}-MIN_NUM_FORMS", "0")
        data[f"{prefix}-MAX_NUM_FORMS"] = posted.get(f"{prefix}-MAX_NUM_FORMS", "1000")
    data._mutable = False
    return data, new_rows


# The merge of the form being saved, for the admin's steps of this one call
# (its form, its formsets, its page): set and reset around the call, never
# carried on the request.
posted_merge: ContextVar[EditMerge | None] = ContextVar("posted_merge", default=None)


class ConcurrentEditsMixin:
    """The drug admin's side: a posted form is merged before the admin reads it."""

    def _changeform_view(self, request, object_id, form_url, extra_context):
        # Runs in the admin's transaction: the lock below holds until the save commits.
        merge = None
        if request.method == "POST" and object_id is not None and "_saveasnew" not in request.POST:
            merge = self._merge_posted(request, object_id)
        token = posted_merge.set(merge)
        try:
            response = super()._changeform_view(request, object_id, form_url, extra_context)
        finally:
            posted_merge.reset(token)
        if merge is not None and not merge.clashes and response.status_code == 302:
            messages.info(request, merge.saved_message())
        return response

    def _merge_posted(self, request, object_id) -> EditMerge | None:
        pk = _int(unquote(object_id))
        drug = Drug.objects.select_for_update().filter(pk=pk).first() if pk else None
        if drug is None or not self.has_change_permission(request, drug):
            return None  # the admin says why
        fields = flatten_fieldsets(self.get_fieldsets(request, drug))
        form_class = self.get_form(request, drug, change=True, fields=fields)
        drug_fields = {
            name: form_field
            for name, form_field in form_class.base_fields.items()
            if name in history.FIELDS[Drug]
        }
        parts = [Part.of(formset) for formset, _ in self.get_formsets_with_inlines(request, drug)]
        return merge_posted(drug, request.POST, drug_fields, parts)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        merge = posted_merge.get()
        if merge is None:
            return form

        def __init__(self, data=None, *args, **kwargs):
            # The merged form stands for what was posted; the form refuses to
            # save while a clash is undecided.
            form.__init__(self, merge.data if data is not None else None, *args, **kwargs)

        return type(form.__name__, (form,), {"edit_merge": merge, "__init__": __init__})

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        merge = posted_merge.get()
        if merge is not None and "data" in kwargs:
            kwargs["data"] = merge.data
        return kwargs
