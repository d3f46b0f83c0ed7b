import copy
import string

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.http import QueryDict
from django.utils.functional import cached_property

from . import search
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


class SharedFieldsForm(forms.Form):
    """A form whose fields are shared by all its instances, not deep-copied for each.

    For forms whose fields nothing changes after they are declared: the
    filter forms (their choices are fixed). Each instance has its own data,
    errors and bound fields, as any form.
    """

    def __init__(self, *args, **kwargs):
        self.base_fields = {}  # nothing for Django to deep-copy...
        super().__init__(*args, **kwargs)
        del self.base_fields
        self.fields = dict(type(self).base_fields)  # ...the class's fields, shared


class FilterSet(django_filters.FilterSet):
    """A filter set whose filters and form fields are the same for every request.

    For each filter set django-filter deep-copies every filter (their choices,
    widgets and all), builds a new form class (a metaclass walk of its
    fields), and the form deep-copies its fields again. None of them changes
    between requests: each filter is copied shallowly, bound to this filter
    set as django-filter binds it, and the form class is built once a class,
    its fields shared by its forms (:class:`SharedFieldsForm`).
    """

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {name: self._bound(base) for name, base in self.base_filters.items()}

    def _bound(self, base):
        filter_ = copy.copy(base)
        filter_.model = self.queryset.model
        filter_.parent = self
        if base.method is not None:
            filter_.method = base.method  # calls through this filter set, not the base's
        return filter_

    def narrowing(self) -> tuple:
        """The filters chosen besides the search words, as a key to keep answers under."""
        chosen = self.form.cleaned_data if self.is_valid() else {}
        return tuple(sorted((name, repr(value)) for name, value in chosen.items() if name != "q"))

    def get_form_class(self):
        built = type(self).__dict__.get("_form_class")
        if built is None:
            fields = {name: filter_.field for name, filter_ in self.filters.items()}
            built = type(f"{type(self).__name__}Form", (SharedFieldsForm,), fields)
            type(self)._form_class = built
        return built


class SideEffectFilter(FilterSet):
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


class DrugFilter(FilterSet):
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


class DrugApiFilter(DrugFilter):
    """The drug list's filters, as the read API offers them: those of the page, plus
    the severities a monograph lists a side effect at and when it last changed."""

    severity = django_filters.MultipleChoiceFilter(
        label="Lists a side effect of this severity",
        choices=_slugs(Severity),
        method="filter_listed_severity",
    )
    updated_since = django_filters.IsoDateTimeFilter(
        label="Updated at or after (ISO 8601 date or date and time)",
        field_name="updated",
        lookup_expr="gte",
    )

    class Meta(DrugFilter.Meta):
        fields = [*DrugFilter.Meta.fields, "severity", "updated_since"]

    def filter_listed_severity(self, queryset, name, value):
        return queryset.filter(
            Exists(
                SideEffect.objects.filter(
                    drug=OuterRef("pk"), severity__in=_by_slug(Severity, value)
                )
            )
        )


class SideEffectLookupFilter(FilterSet):
    """The cross-drug lookup: ``/side-effects/?q=pancreatitis&severity=serious``."""

    q = django_filters.CharFilter(label="Side effect", method=applied_by_view, max_length=200)
    severity = SideEffectFilter.base_filters["severity"]

    class Meta:
        model = SideEffect
        fields = ["q", "severity"]

    @property
    def query(self) -> str:
        return self.form.cleaned_data.get("q", "") if self.is_valid() else ""

    @cached_property
    def index_state(self):
        """The search index's state, asked once for the steps of one lookup."""
        from .spelling import IndexState

        return IndexState(self.queryset.db)

    @cached_property
    def found(self):
        """The terms the query finds: itself or its correction, then longer terms holding it."""
        return search.side_effect_terms(self.query, state=self.index_state)

    @property
    def term(self) -> str:
        return self.found.term

    def listings(self):
        """The looked-up terms' listings in published monographs and how many there are:
        ``(listings, count)``, for the lookup's page and the API alike; the best
        matching term first, then the most severe."""
        every = self.filter_queryset(SideEffect.objects.filter(term__in=self.found.terms))
        matches = every.listings().best_match_first(self.found.terms)
        # Sorting every listing of a common term costs in proportion to them:
        # each page's keys and the count are kept while the index is unchanged.
        # Kept under what the rows depend on, not the SQL: compiling the query
        # to name it would cost as much as reading a kept page saves.
        key = (type(self).__name__, tuple(self.found.terms), self.narrowing())
        state = self.index_state
        count = search.kept_count(every, type(every).count_in_published, state, key=key)
        return search.KeptSlices(matches, count, state, key=key), count
