import django_filters
from django import forms

from .choices import Severity
from .models import SideEffect


class SideEffectFilter(django_filters.FilterSet):
    """The side-effect filter on a monograph page: ``?severity=mild&severity=serious``."""

    severity = django_filters.MultipleChoiceFilter(
        label="Severity",
        choices=[(severity.slug, severity.label) for severity in Severity],
        widget=forms.CheckboxSelectMultiple,
        method="filter_severity",
    )

    class Meta:
        model = SideEffect
        fields = ["severity"]

    def filter_severity(self, queryset, name, value):
        return queryset.filter(severity__in=[Severity[slug.upper()] for slug in value])

    @property
    def is_filtering(self) -> bool:
        return self.is_bound and self.form.is_valid() and bool(self.form.cleaned_data["severity"])
