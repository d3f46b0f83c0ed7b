"""The monograph page's schema.org JSON-LD describes the drug, read back with extruct
as a search engine would (not by matching strings)."""

import extruct
import pytest
from django.utils import timezone

from monographs.choices import SectionKind, Severity
from monographs.models import Drug, Ingredient, Section, SideEffect

from .factories import make_drug

pytestmark = pytest.mark.django_db


def json_ld(response) -> dict:
    assert response.status_code == 200
    found = extruct.extract(response.content.decode(), syntaxes=["json-ld"], uniform=True)
    [page] = found["json-ld"]
    return page


def names(outcomes) -> list[str]:
    return [outcome["name"] for outcome in outcomes]


def dosage_section(drug, body):
    Section.objects.create(
        drug=drug, kind=SectionKind.DOSAGE, heading="Dosage", body=body, position=5
    )


def test_the_seed_monograph_describes_its_drug(seed_drug, client, admin_user):
    seed_drug.reviewed_on = timezone.localdate()
    seed_drug.reviewed_by = admin_user
    seed_drug.save()
    page = json_ld(client.get(seed_drug.get_absolute_url()))
    assert page["@type"] == "MedicalWebPage"
    assert page["lastReviewed"] == seed_drug.reviewed_on.isoformat()
    assert page["reviewedBy"] == {"@type": "Person", "name": admin_user.username}
    drug = page["about"]
    assert drug["@type"] == "Drug"
    assert drug["name"] == "Isotretinoin (Systemic)"
    assert drug["nonProprietaryName"] == seed_drug.generic_name
    assert drug["activeIngredient"] == [seed_drug.generic_name]
    assert "Nosebleeds" in names(drug["adverseOutcome"])
    assert "Pancreatitis (inflammation of the pancreas)" in names(drug["seriousAdverseOutcome"])
    assert len(drug["adverseOutcome"]) + len(drug["seriousAdverseOutcome"]) == (
        seed_drug.side_effects.count()
    )
    assert "Category X" in drug["warning"] and "<" not in drug["warning"]


def test_serious_and_emergency_side_effects_are_serious_adverse_outcomes(client):
    drug = make_drug("Outcomamine", side_effects=0)
    for position, (name, severity) in enumerate(
        [
            ("Yawning", Severity.MILD),
            ("Fainting", Severity.SERIOUS),
            ("Anaphylaxis", Severity.EMERGENCY),
        ]
    ):
        SideEffect.objects.create(drug=drug, name=name, severity=severity, position=position)
    about = json_ld(client.get(drug.get_absolute_url()))["about"]
    assert names(about["adverseOutcome"]) == ["Yawning"]
    assert names(about["seriousAdverseOutcome"]) == ["Fainting", "Anaphylaxis"]


def test_a_filtered_page_still_describes_every_side_effect(client):
    drug = make_drug("Filtramine", side_effects=6)
    plain = json_ld(client.get(drug.get_absolute_url()))
    filtered = json_ld(client.get(drug.get_absolute_url(), {"severity": "emergency"}))
    assert filtered["about"] == plain["about"]
    assert len(plain["about"]["adverseOutcome"]) + len(plain["about"]["seriousAdverseOutcome"]) == 6


def test_the_structured_data_is_kept_and_renewed_with_the_body(client, django_assert_num_queries):
    drug = make_drug("Keptamine", side_effects=1)
    client.get(drug.get_absolute_url())  # renders and keeps the body and its facts
    drug.refresh_from_db()
    assert drug.rendered_body and drug.body_facts
    with django_assert_num_queries(1):  # the drug, its kept body and facts: nothing else
        client.get(drug.get_absolute_url())
    SideEffect.objects.create(drug=drug, name="Hiccups", severity=Severity.SERIOUS, position=9)
    page = client.get(drug.get_absolute_url())
    about = json_ld(page)["about"]
    assert "Hiccups" in names(about["seriousAdverseOutcome"])
    assert "Hiccups" in page.content.decode().split("<main")[1]  # the body says it too
    # A body kept by an older release (no facts, no key) gets them on its next view.
    Drug.objects.filter(pk=drug.pk).update(body_facts=None, body_key=None)
    assert json_ld(client.get(drug.get_absolute_url()))["about"] == about
    drug.refresh_from_db()
    assert drug.body_facts and drug.rendered_body


def test_a_combination_lists_its_active_ingredients_and_dosage_forms(client):
    drug = make_drug("Alphamine + Betamine (Topical)")
    Ingredient.objects.create(combination=drug, name="Alphamine", position=0)
    Ingredient.objects.create(combination=drug, name="Betamine", position=1)
    dosage_section(drug, "Apply the cream twice a day; the gel once. Creams stain.")
    about = json_ld(client.get(drug.get_absolute_url()))["about"]
    assert about["activeIngredient"] == ["Alphamine", "Betamine"]
    assert about["dosageForm"] == ["cream", "gel"]
    assert about["administrationRoute"] == "Topical"


def test_a_monograph_without_a_known_dosage_form_states_none(client):
    drug = make_drug("Plainamine")
    about = json_ld(client.get(drug.get_absolute_url()))["about"]
    assert "dosageForm" not in about and "warning" not in about


def test_the_title_names_its_dosage_forms_before_the_dosage_section(client):
    drug = make_drug("Gammamine Eye Drops")
    dosage_section(drug, "One drop in each eye; children may take the syrup or a tablet.")
    about = json_ld(client.get(drug.get_absolute_url()))["about"]
    assert about["dosageForm"] == ["eye drops", "syrup", "tablet"]


def test_markup_in_the_data_cannot_close_its_script_element(client):
    drug = make_drug("Délta</script><b>amine & co")
    SideEffect.objects.create(drug=drug, name="Rash <i>é</i>", severity=Severity.MILD, position=0)
    html = client.get(drug.get_absolute_url()).content.decode()
    script = html.split('type="application/ld+json"', 1)[1].split("</script>", 1)[0]
    assert "<" not in script.split(">", 1)[1] and "&" not in script
    data = json_ld(client.get(drug.get_absolute_url()))
    assert data["name"] == "Délta</script><b>amine & co"
    assert "Rash <i>é</i>" in names(data["about"]["adverseOutcome"])
