"""The drug form and its parts: the Markdown editor, the edit lock's conflict, the merge form."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from markdownx.widgets import AdminMarkdownxWidget

from .. import history, merge
from ..forms import MarkdownField
from ..models import Drug, person_name


class MarkdownEditor(AdminMarkdownxWidget):
    """markdownx's admin editor, plus a script that shows why an upload was refused."""

    class Media:
        js = ["js/editor.js"]


MARKDOWN_EDITOR = {models.TextField: {"widget": MarkdownEditor, "form_class": MarkdownField}}


class Conflict:
    """Someone saved the monograph after this form was loaded: who, when, and what."""

    def __init__(self, drug_pk, loaded: int | None, current: int | None):
        self.deleted = current is None
        latest = history.versions_of(drug_pk).first()
        self.user = latest.revision.user if latest else None
        self.when = latest.revision.date_created if latest else None
        self.comment = latest.revision.get_comment() if latest else ""
        base = history.version_at_edit(drug_pk, loaded) if loaded is not None else None
        drug = None if self.deleted else Drug.objects.get(pk=drug_pk)
        self.changes = (
            history.compare(history.revision_state(base.revision), history.live_state(drug))
            if base is not None and drug is not None
            else None
        )

    @property
    def who(self) -> str:
        if self.user is None:
            return "someone (or the importer)"
        return person_name(self.user)

    def message(self) -> str:
        if self.deleted:
            return f"{self.who} deleted this monograph after you opened it; nothing was saved."
        when = (
            date_format(timezone.localtime(self.when), "j F Y, H:i") if self.when else "meanwhile"
        )
        return (
            f"{self.who} changed this monograph on {when}, after you opened it, so your "
            "changes were not saved. They are still in the form below, and what was "
            "changed is listed here. To keep both, open the monograph again and make your "
            "changes there; saving this form as it is replaces those changes with it."
        )


class DrugForm(forms.ModelForm):
    # The lock: the edit count the form was opened at, checked again when it is saved.
    opened_at_edit = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Set by the admin on a form merged with someone else's save (concurrent.py).
    edit_merge = None

    class Meta:
        model = Drug
        fields = ["title", "slug", "generic_name", "brand_names", "introduction"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict: Conflict | None = None
        if self.instance.pk is not None:
            self.fields["opened_at_edit"].initial = self.instance.edit_count

    def clean_title(self):
        title = self.cleaned_data["title"]
        if self.instance.is_working_draft:
            taken = Drug.objects.filter(title=title, draft_of__isnull=True).exclude(
                pk=self.instance.draft_of_id
            )
            if taken.exists():
                raise ValidationError("Another monograph has this title.", code="unique")
        return title

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        if self.edit_merge is not None and self.edit_merge.clashes:
            raise ValidationError(self.edit_merge.message(), code="clash")
        # Held until the save commits: a second save waits, then sees this one.
        current = (
            Drug.objects.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list("edit_count", flat=True)
            .first()
        )
        loaded = cleaned.get("opened_at_edit")
        if loaded != current:
            self.conflict = Conflict(self.instance.pk, loaded, current)
            # Shown again, the form carries the edit count it was compared with:
            # saving it now is a decision taken with the changes in view.
            self.data = self.data.copy()
            self.data[self.add_prefix("opened_at_edit")] = current
            raise ValidationError(self.conflict.message(), code="conflict")
        return cleaned


class ScheduleForm(forms.Form):
    """A Reviewer's approval to go live later: when, in the site's time zone."""

    goes_live_at = forms.DateTimeField(
        label="Goes live at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        # What a browser's date-and-time field sends, and what a person types without one.
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )
    opened_at_edit = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_goes_live_at(self):
        when = self.cleaned_data["goes_live_at"]
        if when <= timezone.now():
            shown = date_format(timezone.localtime(when), "j F Y, H:i T")
            raise ValidationError(f"{shown} has passed: choose a time to come.", code="past")
        return when


class MergeForm(forms.Form):
    """Where each part of the merged monograph comes from."""

    kept_edit_count = forms.IntegerField(widget=forms.HiddenInput)
    duplicate_edit_count = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for part in merge.PARTS:
            self.fields[part.name] = forms.ChoiceField(
                label=part.label,
                choices=[
                    (merge.KEPT, "Keep this monograph's"),
                    (merge.DUPLICATE, "Take the duplicate's"),
                ],
                initial=merge.KEPT,
                widget=forms.RadioSelect,
            )
