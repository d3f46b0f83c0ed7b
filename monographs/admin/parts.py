"""The drug form's parts in a pharmacist's words: labels, help, the order of rows,
and the house template a new monograph starts from."""

import json

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.models import BaseInlineFormSet
from django.utils.text import capfirst

from ..choices import SectionKind
from ..models import Faq, Ingredient, Section, SideEffect

# The drug's own fields, as the form names them (the model's names are the code's).
DRUG_LABELS = {
    "title": "Title",
    "slug": "Page address",
    "generic_name": "Generic name",
    "brand_names": "Brand names",
    "introduction": "Introduction",
}
DRUG_HELP = {
    "title": "As the monograph names itself, e.g. “Isotretinoin (Systemic)”.",
    "slug": "The end of the page’s web address, e.g. isotretinoin-systemic for "
    "/drugs/isotretinoin-systemic/: lower-case letters, digits and hyphens. Filled in "
    "from the title; changing it later breaks links to the page.",
    "generic_name": "The medicine’s international non-proprietary name, e.g. “Isotretinoin”.",
    "brand_names": "Brand names, separated by commas, e.g. “Absorica, Claravis”.",
    "introduction": "Shown before the first section. Markdown: **bold**, *italic*, "
    "a list with “- ” at the start of each line.",
}

ORDER_HELP = "Lowest first. Left empty, the row goes last."

# The headings a monograph gives its standard sections, in the house's order.
HOUSE_HEADINGS = {
    SectionKind.USAGE: "Usage",
    SectionKind.DOSAGE: "Dosage",
    SectionKind.SIDE_EFFECTS: "Side Effects",
    SectionKind.HOW_IT_WORKS: "How it Works",
    SectionKind.PRECAUTIONS: "Precautions",
    SectionKind.FAQS: "FAQs",
    SectionKind.DISCLAIMER: "Disclaimer",
}


def house_sections() -> list[dict]:
    """The sections a new monograph starts with, as the rows' initial values."""
    return [
        {"kind": kind.value, "heading": heading, "position": number}
        for number, (kind, heading) in enumerate(HOUSE_HEADINGS.items(), start=1)
    ]


class OrderField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("label", "Order")
        kwargs.setdefault("help_text", ORDER_HELP)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "class": "vIntegerField row-order"}


class InOrder(BaseInlineFormSet):
    """Rows of one part; a row whose order is left empty goes after all the others.

    Without this a new row would take order 0 and come first on the page.
    """

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if getattr(form, "in_table", False):
            # A table's cells have no labels of their own: each control names
            # its column and row, for screen readers and voice control.
            row = "new row" if index is None else f"row {index + 1}"
            for name, field in form.fields.items():
                label = "Delete" if name == "DELETE" else field.label or name
                field.widget.attrs.setdefault("aria-label", f"{label}, {row}")

    def clean(self):
        super().clean()
        kept = [
            form
            for form in self.forms
            if hasattr(form, "cleaned_data")
            and not self._should_delete_form(form)
            and (form.instance.pk is not None or form.has_changed())
        ]
        last = max(
            (form.cleaned_data["position"] for form in kept if form.cleaned_data.get("position")),
            default=0,
        )
        for form in kept:
            if form.cleaned_data.get("position") is None:
                last += 1
                form.cleaned_data["position"] = last
                form.instance.position = last


class IngredientForm(forms.ModelForm):
    in_table = True
    position = OrderField()

    class Meta:
        model = Ingredient
        fields = ["position", "name"]
        labels = {"name": "Ingredient"}
        help_texts = {"name": "One active ingredient, e.g. “Codeine”."}


class SectionForm(forms.ModelForm):
    position = OrderField()

    class Meta:
        model = Section
        fields = ["position", "kind", "heading", "body"]
        labels = {"kind": "Section type", "heading": "Heading", "body": "Text"}
        help_texts = {
            "kind": "What the section is about. Choosing a type fills in an empty heading; "
            "“Other” (or none) for a heading of your own.",
            "heading": "As shown on the page.",
            "body": "Markdown: **bold**, *italic*, a list with “- ” at the start of each line.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        kind.choices = [("", "Choose a type…"), *SectionKind.choices]
        kind.required = False  # left unchosen: "Other" (clean_kind)
        if self.instance.pk is None:
            kind.initial = ""  # a new section's type is chosen, not assumed to be "Other"
        # The heading a type gives, for the script that fills in an empty heading.
        kind.widget.attrs["data-headings"] = json.dumps(
            {key.value: heading for key, heading in HOUSE_HEADINGS.items()}
        )

    def clean_kind(self):
        return self.cleaned_data["kind"] or SectionKind.OTHER


class SideEffectForm(forms.ModelForm):
    in_table = True
    position = OrderField()

    class Meta:
        model = SideEffect
        fields = ["position", "name", "detail", "severity", "frequency", "body_system",
                  "tier_label"]  # fmt: skip
        labels = {
            "name": "Side effect",
            "detail": "Explanation",
            "severity": "Severity",
            "frequency": "How often",
            "body_system": "Organ system",
            "tier_label": "List heading",
        }
        help_texts = {
            "name": "E.g. “Pancreatitis”.",
            "detail": "In plain words, e.g. “inflammation of the pancreas”.",
            "severity": "What a reader should do about it: what the public page groups by.",
            "frequency": "The EU frequency band, e.g. common: at least 1 in 100.",
            "body_system": "E.g. “Cardiovascular”, if known.",
            "tier_label": "The words introducing its list on the page, e.g. “Common side "
            "effects include:”.",
        }


class FaqForm(forms.ModelForm):
    position = OrderField()

    class Meta:
        model = Faq
        fields = ["position", "question", "answer"]
        labels = {"question": "Question", "answer": "Answer"}
        help_texts = {"answer": "Markdown, as in the sections."}


ROW_NAMES = ("heading", "name", "question")


def error_summary(form, inline_formsets) -> list[dict]:
    """Every error of the form and its parts, each with where to find it: the top of the page."""
    found = []
    for name, errors in form.errors.items():
        if name == NON_FIELD_ERRORS:
            href = "#conflict-title" if getattr(form, "conflict", None) else ""
            found += [{"text": str(error), "href": href} for error in errors]
            continue
        field = form.fields.get(name)
        label = (field.label if field and field.label else name.replace("_", " ")).capitalize()
        href = "" if field is None or field.widget.is_hidden else f"#{form[name].id_for_label}"
        found += [{"text": f"{label}: {error}", "href": href} for error in errors]
    for inline in inline_formsets:
        formset = inline.formset
        part = str(capfirst(inline.opts.verbose_name_plural))
        for error in formset.non_form_errors():
            found.append({"text": f"{part}: {error}", "href": f"#{formset.prefix}-group"})
        for number, row in enumerate(formset.forms):
            if not row.errors:
                continue
            title = next((str(row[n].value() or "") for n in ROW_NAMES if n in row.fields), "")
            where = f"{part}, row {number + 1}" + (f" “{title}”" if title else "")
            for name, errors in row.errors.items():
                field = row.fields.get(name)
                if field is None or name == NON_FIELD_ERRORS:
                    target, what = f"{formset.prefix}-{number}", where
                else:
                    target, what = row[name].id_for_label, f"{where}, {field.label or name}"
                found += [{"text": f"{what}: {error}", "href": f"#{target}"} for error in errors]
    return found
