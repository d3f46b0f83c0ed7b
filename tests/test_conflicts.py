"""No lost edits: a save made on a stale form is refused, says who and when, and keeps the input."""

import pytest
from django.test import Client
from django.urls import reverse

from monographs.choices import Severity, Status
from monographs.models import Drug

from .factories import make_drug, make_user, staff_login
from .test_admin import form_data


@pytest.fixture
def drug(db):
    return make_drug("Conflictamine", status=Status.DRAFT, side_effects=3)


@pytest.fixture
def first(db):
    client = Client()
    staff_login(client, make_user("ana", "Pharmacist", first_name="Ana", last_name="Silva"))
    return client


@pytest.fixture
def second(db):
    client = Client()
    staff_login(client, make_user("ben", "Pharmacist", first_name="Ben", last_name="Okoro"))
    return client


def url(drug) -> str:
    return reverse("admin:monographs_drug_change", args=[drug.pk])


def side_effect_index(drug, name) -> int:
    return [e.name for e in drug.side_effects.order_by("position", "id")].index(name)


def add_effect(data, name) -> dict:
    total = int(data["side_effects-TOTAL_FORMS"])
    return {
        **data,
        "side_effects-TOTAL_FORMS": str(total + 1),
        f"side_effects-{total}-name": name,
        f"side_effects-{total}-severity": str(Severity.SERIOUS),
        f"side_effects-{total}-frequency": "6",
        f"side_effects-{total}-position": "99",
    }


FIRST_SAVES = {
    "a field": lambda d, drug: {**d, "generic_name": "Ana's generic name"},
    "an added side effect": lambda d, drug: add_effect(d, "Ana's new effect"),
    "a changed side effect": lambda d, drug: {
        **d,
        f"side_effects-{side_effect_index(drug, 'Effect 1')}-detail": "Ana's detail",
    },
    "a deleted side effect": lambda d, drug: {
        **d,
        f"side_effects-{side_effect_index(drug, 'Effect 2')}-DELETE": "on",
    },
}


@pytest.mark.parametrize("change", FIRST_SAVES, ids=list(FIRST_SAVES))
def test_the_second_save_on_a_stale_form_is_refused_and_keeps_its_input(
    drug, first, second, change
):
    first_form = form_data(first.get(url(drug)))
    second_form = form_data(second.get(url(drug)))

    response = first.post(url(drug), FIRST_SAVES[change](first_form, drug))
    assert response.status_code == 302, response.context["errors"]
    after_first = Drug.objects.get(pk=drug.pk)
    effects_after_first = sorted(after_first.side_effects.values_list("name", "detail", "severity"))

    second_form["brand_names"] = "Ben's brand"
    second_form["faqs-0-answer"] = "Ben's answer."
    response = second.post(url(drug), second_form)

    # Refused: nothing of Ben's is saved, nothing of Ana's is lost.
    assert response.status_code == 200
    saved = Drug.objects.get(pk=drug.pk)
    assert saved.edit_count == after_first.edit_count
    assert saved.brand_names == ""
    assert saved.faqs.get(position=0).answer == "Answer **0**."
    assert sorted(saved.side_effects.values_list("name", "detail", "severity")) == (
        effects_after_first
    )
    # The message names who changed it and when; the form still holds Ben's input.
    page = response.content.decode()
    assert "Ana Silva changed this monograph on" in page
    assert "your changes were not saved" in page
    assert 'value="Ben&#x27;s brand"' in page
    assert "Ben&#x27;s answer." in page
    # And it shows what Ana changed.
    conflict = response.context["conflict"]
    assert conflict.changes, "the conflict lists what the other person changed"


def test_the_conflict_shows_exactly_what_the_other_person_changed(drug, first, second):
    first_form = form_data(first.get(url(drug)))
    second_form = form_data(second.get(url(drug)))
    index = side_effect_index(drug, "Effect 2")
    first.post(url(drug), {**first_form, f"side_effects-{index}-DELETE": "on"})
    response = second.post(url(drug), {**second_form, "brand_names": "Ben's brand"})
    parts = [(p.kind, p.name) for p in response.context["conflict"].changes.parts]
    assert parts == [("removed", "Effect 2")]
    assert response.context["conflict"].changes.drug == []


def test_saving_again_after_seeing_the_conflict_is_a_decision_and_goes_through(drug, first, second):
    first_form = form_data(first.get(url(drug)))
    second_form = form_data(second.get(url(drug)))
    first.post(url(drug), {**first_form, "generic_name": "Ana's generic name"})
    refused = second.post(url(drug), {**second_form, "brand_names": "Ben's brand"})
    assert refused.status_code == 200
    # The page shown with the conflict carries the edit count it was compared with.
    again = form_data(refused)
    assert int(again["opened_at_edit"]) == Drug.objects.get(pk=drug.pk).edit_count
    assert second.post(url(drug), again).status_code == 302
    saved = Drug.objects.get(pk=drug.pk)
    assert saved.brand_names == "Ben's brand"


def test_a_stale_form_of_a_deleted_monograph_saves_nothing(drug, second, db):
    reviewer = Client()
    staff_login(reviewer, make_user("rae", "Reviewer"))
    data = form_data(second.get(url(drug)))
    reviewer.post(reverse("admin:monographs_drug_delete", args=[drug.pk]), {"post": "yes"})
    response = second.post(url(drug), data)
    assert response.status_code == 302  # the admin says the monograph no longer exists
    assert not Drug.objects.filter(pk=drug.pk).exists()


def test_a_form_without_its_version_is_refused_rather_than_trusted(drug, first):
    data = form_data(first.get(url(drug)))
    del data["opened_at_edit"]
    response = first.post(url(drug), {**data, "generic_name": "no version"})
    assert response.status_code == 200
    assert Drug.objects.get(pk=drug.pk).generic_name == ""


def test_the_importer_leaves_a_monograph_edited_since_its_import(db, first, tmp_path):
    from django.core.management import call_command

    from .conftest import SEED

    call_command("import_monographs", str(SEED), verbosity=0)
    drug = Drug.objects.get(slug="isotretinoin-systemic")
    Drug.objects.filter(pk=drug.pk).update(status=Status.DRAFT)  # edited in place, not in a draft
    first.post(url(drug), {**form_data(first.get(url(drug))), "brand_names": "Edited"})
    changed = tmp_path / "isotretinoin.md"
    changed.write_text(SEED.read_text(encoding="utf-8") + "\nNew line.\n", encoding="utf-8")
    call_command("import_monographs", str(changed), verbosity=0)
    drug = Drug.objects.get(pk=drug.pk)
    assert drug.brand_names == "Edited"
    assert not drug.sections.filter(body__contains="New line.").exists()


def test_line_breaks_sent_by_a_browser_are_not_an_edit(drug, first):
    """Browsers send a textarea's line breaks as CR LF; saving unchanged text changes nothing."""
    section = drug.sections.get(position=1)
    section.body = "First paragraph.\n\nSecond paragraph."
    section.save()
    data = form_data(first.get(url(drug)))
    index = [s.pk for s in drug.sections.order_by("position", "id")].index(section.pk)
    data[f"sections-{index}-body"] = data[f"sections-{index}-body"].replace("\n", "\r\n")
    assert first.post(url(drug), data).status_code == 302
    section.refresh_from_db()
    assert section.body == "First paragraph.\n\nSecond paragraph."
    assert Drug.objects.get(pk=drug.pk).text_changed_at is None
