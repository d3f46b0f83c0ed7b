"""generate_scale_data: many synthetic monographs built from the sample corpus."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.urls import reverse

from monographs import search
from monographs.choices import Status
from monographs.markdown import render
from monographs.models import Drug, Faq, SearchEntry, Section, SideEffect

LIST = reverse("monographs:drug_list")


def generate(**options) -> str:
    out = io.StringIO()
    call_command("generate_scale_data", stdout=out, **{"drugs": 20, "seed": 7, **options})
    return out.getvalue()


def synthetic():
    return Drug.objects.filter(source_path__startswith="synthetic:")


def titles(response) -> list[str]:
    return [drug.title for drug in response.context["drug_list"]]


def test_a_small_run_builds_published_monographs_of_typical_size(db):
    report = generate()
    assert "Created 20 synthetic monographs" in report
    drugs = synthetic().annotate(
        n_sections=Count("sections", distinct=True),
        n_side_effects=Count("side_effects", distinct=True),
        n_faqs=Count("faqs", distinct=True),
    )
    assert len(drugs) == 20
    assert {drug.status for drug in drugs} == {Status.PUBLISHED}
    assert all(drug.title.startswith("Synthetic 000") for drug in drugs)
    assert all(" — based on " in drug.title for drug in drugs)
    assert all(drug.slug.startswith("synthetic-000") for drug in drugs)
    assert all(drug.front_matter["synthetic"] is True for drug in drugs)

    def average(name):
        return sum(getattr(drug, name) for drug in drugs) / len(drugs)

    assert 4 <= average("n_sections") <= 12
    assert 27 <= average("n_side_effects") <= 33
    assert 5 <= average("n_faqs") <= 7
    assert all(drug.n_sections > 0 for drug in drugs)
    # Side effects are normalised for the cross-drug lookup, as the importer does.
    assert not SideEffect.objects.filter(term="").exists()


def test_markdown_is_rendered_by_the_portal_renderer(db):
    generate(drugs=5)
    for section in Section.objects.filter(drug__in=synthetic())[:20]:
        assert section.body_html == render(section.body)
    for faq in Faq.objects.filter(drug__in=synthetic())[:20]:
        assert faq.answer_html == render(faq.answer)
    for drug in synthetic():
        assert drug.introduction_html == render(drug.introduction)


def test_synthetic_monographs_are_found_through_the_real_index(db, client):
    assert search.backend_name() in {"SQLiteEngine", "PostgresEngine"}
    generate()
    assert SearchEntry.objects.count() == 20
    drug = synthetic().order_by("title").first()
    number = drug.title.split()[1]  # "00001"
    assert titles(client.get(LIST, {"q": f"synthetic {number}"})) == [drug.title]
    effect = drug.side_effects.order_by("position").first()
    found = titles(client.get(LIST, {"q": effect.name}))
    assert drug.title in found
    page = client.get(drug.get_absolute_url())
    assert page.status_code == 200
    assert effect.name in page.content.decode()


def test_the_same_seed_gives_the_same_data(db):
    generate(drugs=8)
    first = list(synthetic().order_by("title").values_list("title", "reviewed_on"))
    effects = list(
        SideEffect.objects.filter(drug__in=synthetic())
        .order_by("drug__title", "position")
        .values_list("name", flat=True)
    )
    generate(drugs=8, replace=True)
    assert list(synthetic().order_by("title").values_list("title", "reviewed_on")) == first
    assert (
        list(
            SideEffect.objects.filter(drug__in=synthetic())
            .order_by("drug__title", "position")
            .values_list("name", flat=True)
        )
        == effects
    )


def test_a_second_run_is_refused_unless_it_replaces(db, seed_drug):
    generate(drugs=5)
    with pytest.raises(CommandError, match="5 synthetic monographs already exist"):
        generate(drugs=5)
    assert synthetic().count() == 5
    generate(drugs=6, replace=True)
    assert synthetic().count() == 6
    assert SearchEntry.objects.count() == 7  # six synthetic, one real
    generate(delete=True)
    assert not synthetic().exists()
    # Real monographs are left alone, in the database and in the index.
    assert list(Drug.objects.all()) == [seed_drug]
    assert SearchEntry.objects.count() == 1


def test_drafts_are_made_on_request_and_stay_out_of_search(db, client):
    generate(drugs=10, drafts=0.5, seed=3)
    drafts = synthetic().filter(status=Status.DRAFT)
    assert 0 < drafts.count() < 10
    draft = drafts.first()
    number = draft.title.split()[1]
    assert titles(client.get(LIST, {"q": f"synthetic {number}"})) == []
    assert client.get(draft.get_absolute_url()).status_code == 404
    generate(drugs=3, status=Status.DRAFT, replace=True)
    assert set(synthetic().values_list("status", flat=True)) == {Status.DRAFT}
