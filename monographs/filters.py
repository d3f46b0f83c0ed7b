import string

import django_filters
from django import forms
from django.db.models import Exists, OuterRef

from .choices import Frequency, Severity
from .models import Drug, FirstLetter, Ingredient, SideEffect

LETTERS = [*string.ascii_uppercase, "0-9"]


def _slugs(choices) -> list[tuple[str, str]]:
    return [(choice.name.lower().replace("_", "-"), choice.label) for choice in choices]


def _by_slug(choices, slugs) -> list[int]:
    return [choices[slug.upper().replace("-", "_")] for slug in slugs]


def applied_by_view(queryset, name, value):
    """A parameter the view applies itself (the search words, through the
    index; the order): the filter set only validates it."""
    return queryset


def filter_severity(queryset, name, value):
    return queryset.filter(severity__in=_by_slug(Severity, value))


class SideEffectFilter(django_filters.FilterSet):
    """The side-effect filter of a monograph page: ``?severity=serious&frequency=rare``."""

    severity = django_filters.MultipleChoiceFilter(
        label="Severity",
        choices=_slugs(Severity),
        widget=forms.CheckboxSelectMultiple,
        method=filter_severity,
    )
    frequency = django_filters.MultipleChoiceFilter(
        label="How often",
        choices=_slugs(Frequency),
        widget=forms.CheckboxSelectMultiple,
        method="filter_frequency",
    )

    class Meta:
        model = SideEffect
        fields = ["severity", "frequency"]

    def filter_frequency(self, queryset, name, value):
        return queryset.filter(frequency__in=_by_slug(Frequency, value))

    @property
    def is_filtering(self) -> bool:
        if not (self.is_bound and self.form.is_valid()):
            return False
        return any(self.form.cleaned_data.get(name) for name in self.filters)


class DrugFilter(django_filters.FilterSet):
    """The drug list: search, A–Z, kind, serious side effects, review, sort.

    The search words themselves are applied by the view, through the index;
    this filter set narrows and orders everything else.
    """

    q = django_filters.CharFilter(label="Search", method=applied_by_view, max_length=200)
    letter = django_filters.ChoiceFilter(
        label="Starts with",
        choices=[(letter, letter) for letter in LETTERS],
        method="filter_letter",
        empty_label="Any letter",
    )
    kind = django_filters.ChoiceFilter(
        label="Kind",
        choices=[("single", "Single medicines"), ("combination", "Combinations")],
        method="filter_kind",
        empty_label="All medicines",
    )
    serious = django_filters.ChoiceFilter(
        label="Side effects",
        choices=[("yes", "Lists a serious side effect")],
        method="filter_serious",
        empty_label="Any",
    )
    reviewed = django_filters.ChoiceFilter(
        label="Review",
        choices=[("yes", "Reviewed by a pharmacist"), ("no", "Not yet reviewed")],
        method="filter_reviewed",
        empty_label="Any",
    )
    sort = django_filters.ChoiceFilter(
        label="Sort by",
        choices=[("name", "Name"), ("updated", "Recently updated")],
        method=applied_by_view,
        empty_label="Best match",
    )

    class Meta:
        model = Drug
        fields = ["q", "letter", "kind", "serious", "reviewed", "sort"]

    def filter_letter(self, queryset, name, value):
        # The indexed expression, so that the A–Z list reads an index, not the table.
        letters = list(string.digits) if value == "0-9" else [value.upper()]
        return queryset.alias(initial=FirstLetter("title")).filter(initial__in=letters)

    def filter_kind(self, queryset, name, value):
        combination = Exists(Ingredient.objects.filter(combination=OuterRef("pk")))
        return queryset.filter(combination if value == "combination" else ~combination)

    def filter_serious(self, queryset, name, value):
        return queryset.filter(
            Exists(SideEffect.objects.filter(drug=OuterRef("pk"), severity__gte=Severity.SERIOUS))
        )

    def filter_reviewed(self, queryset, name, value):
        return queryset.filter(reviewed_on__isnull=(value == "no"))

    @property
    def cleaned(self) -> dict:
        return self.form.cleaned_data if self.is_bound and self.form.is_valid() else {}

    @property
    def filters_beyond_search(self) -> bool:
        """Whether a filter beyond the search words and the order applies."""
        return any(value for name, value in self.cleaned.items() if name not in ("q", "sort"))


class SideEffectLookupFilter(django_filters.FilterSet):
    """The cross-drug lookup: ``/side-effects/?q=pancreatitis&severity=serious``."""

    q = django_filters.CharFilter(label="Side effect", method=applied_by_view, max_length=200)
    severity = SideEffectFilter.base_filters["severity"]

    class Meta:
        model = SideEffect
        fields = ["q", "severity"]
