"""A queryset compiled once and run with each value reads what the queryset reads."""

import pytest
from django.db import connections

from monographs.choices import Severity, Status
from monographs.compiled import CompiledLookup
from monographs.models import Drug, Ingredient, SideEffect

from .factories import make_drug


def page_queryset():
    return Drug.objects.published().for_page(severity_counts=True)


def fields_of(drug) -> dict:
    return {
        name: value
        for name, value in vars(drug).items()
        if not name.startswith("_") and name != "ingredient_list"
    }


def test_a_compiled_lookup_reads_the_rows_and_annotations_the_queryset_reads(db):
    part = make_drug("Codeine")
    drug = make_drug("Co-codamol", side_effects=0)
    Ingredient.objects.create(combination=drug, name="Codeine", drug=part, position=1)
    Ingredient.objects.create(combination=drug, name="Paracetamol", position=2)
    SideEffect.objects.create(drug=drug, name="Drowsiness", severity=Severity.SERIOUS, position=1)
    lookup = CompiledLookup(page_queryset, "slug")
    for slug in ("co-codamol", "codeine"):
        expected = page_queryset().get(slug=slug)
        found = lookup.get(slug)
        assert type(found) is Drug and found.pk == expected.pk
        assert fields_of(found) == fields_of(expected)
        assert found._state.db == expected._state.db and not found._state.adding
    # JSON and dates come converted, as the ORM gives them.
    found = lookup.get("co-codamol")
    assert [i.name for i in found.ingredient_list] == ["Codeine", "Paracetamol"]
    assert found.serious_count == 1 and found.mild_count == 0
    assert found.updated == Drug.objects.get(pk=drug.pk).updated


def test_a_compiled_lookup_runs_its_query_each_time_with_the_value_given(
    db, django_assert_num_queries
):
    drug = make_drug("Alphamine")
    lookup = CompiledLookup(page_queryset, "slug")
    with django_assert_num_queries(1):
        assert lookup.get("alphamine").title == "Alphamine"
    assert lookup.get("betamine") is None
    assert lookup.get("alphamine'; --") is None  # a parameter, never SQL
    drug.title = "Alphamine Forte"
    drug.save()
    assert lookup.get("alphamine").title == "Alphamine Forte"
    drug.status = Status.DRAFT
    drug.save()
    assert lookup.get("alphamine") is None  # the queryset's own filters still hold
    with django_assert_num_queries(1):
        lookup.get("alphamine")


def test_fields_left_out_are_deferred_as_the_orm_defers_them(db, django_assert_num_queries):
    make_drug("Alphamine")
    Drug.objects.filter(slug="alphamine").update(introduction="About it.")

    def build():
        return page_queryset().defer("introduction", "front_matter")

    lookup = CompiledLookup(build, "slug")
    expected = build().get(slug="alphamine")
    with django_assert_num_queries(1):
        found = lookup.get("alphamine")
    assert (
        found.get_deferred_fields()
        == expected.get_deferred_fields()
        == {
            "introduction",
            "front_matter",
        }
    )
    assert fields_of(found) == fields_of(expected)
    with django_assert_num_queries(1):  # read when asked for, as Django reads it
        assert found.introduction == "About it."


@pytest.mark.parametrize(
    "build",
    [
        lambda: Drug.objects.select_related("reviewed_by"),
        lambda: Drug.objects.prefetch_related("sections"),
        lambda: Drug.objects.values("title"),
    ],
)
def test_a_compiled_lookup_refuses_what_it_cannot_build(db, build):
    with pytest.raises(ValueError):
        CompiledLookup(build, "slug").get("alphamine")


def test_the_compiled_sql_is_the_databases_own(db):
    lookup = CompiledLookup(page_queryset, "slug")
    lookup.get("alphamine")
    compiled = lookup._compiled(None)
    assert compiled.compiler.connection is connections["default"]
    expected = page_queryset().filter(slug="x").query.get_compiler("default").as_sql()
    assert compiled.sql == expected[0]
