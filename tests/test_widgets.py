"""The site's widget templates (templates/django/forms/widgets/) write the same HTML as Django's."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, TemplatesSetting

from monographs.filters import DrugFilter, SideEffectFilter, SideEffectLookupFilter

CHOICES = [
    ("", "Any"),
    ("a", "Alpha & <b>"),
    (2, "Two"),
    ("Group", [("g1", "G one"), ("g2", "G two")]),
]

WIDGETS = {
    "select": (forms.Select(choices=CHOICES), "a"),
    "select, nothing chosen": (forms.Select(choices=CHOICES), None),
    "select in a group, with attributes": (
        forms.Select(choices=CHOICES, attrs={"id": "x", "class": "c", "required": True}),
        "g2",
    ),
    "select multiple": (forms.SelectMultiple(choices=CHOICES), ["a", "g1"]),
    "yes, no or unknown": (forms.NullBooleanSelect(), True),
    "checkboxes": (forms.CheckboxSelectMultiple(choices=CHOICES, attrs={"id": "c"}), ["a", "2"]),
    "checkboxes without an id": (forms.CheckboxSelectMultiple(choices=CHOICES), []),
    "radio buttons": (forms.RadioSelect(choices=CHOICES, attrs={"id": "r", "class": "k"}), "g1"),
}


@pytest.mark.parametrize("name", WIDGETS)
def test_a_widget_renders_as_django_renders_it(name):
    widget, value = WIDGETS[name]
    ours = widget.render("field", value, renderer=TemplatesSetting())
    djangos = widget.render("field", value, renderer=DjangoTemplates())
    assert ours == djangos


@pytest.mark.parametrize(
    "filterset, data",
    [
        (DrugFilter, {"letter": "K", "kind": "single", "sort": "updated"}),
        (DrugFilter, {"letter": "not a letter"}),
        (SideEffectFilter, {"severity": ["serious", "mild"], "frequency": "common"}),
        (SideEffectLookupFilter, {"q": "nausea", "severity": ["emergency"]}),
    ],
)
def test_the_sites_filter_forms_render_as_django_renders_them(db, filterset, data):
    ours = filterset(data).form
    djangos = filterset(data).form
    djangos.renderer = DjangoTemplates()
    for field in ours:
        assert field.as_widget() == djangos[field.name].as_widget(), field.name
