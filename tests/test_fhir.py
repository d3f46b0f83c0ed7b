"""FHIR R5: each published monograph as a MedicationKnowledge and its side effects as
ClinicalUseDefinitions, checked against the R5 models of fhir.resources.

fhir.resources checks structure, cardinality and value types; the narrative's
XHTML rules and the targets of references it leaves alone, so they are
checked here.
"""

import io
import json
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from fhir.resources import __fhir_version__
from fhir.resources.bundle import Bundle
from fhir.resources.clinicalusedefinition import ClinicalUseDefinition
from fhir.resources.codesystem import CodeSystem
from fhir.resources.medicationknowledge import MedicationKnowledge
from fhir.resources.operationoutcome import OperationOutcome
from reversion.models import Revision

from monographs import fhir
from monographs.choices import Frequency, Severity, Status
from monographs.models import Drug, Ingredient, Section, SideEffect

from .conftest import DATA
from .factories import make_drug

pytestmark = pytest.mark.django_db

XHTML = "{http://www.w3.org/1999/xhtml}"
# The narrative's HTML subset (FHIR R5, Narrative: txt-1 and txt-2).
NARRATIVE_TAGS = {
    "div", "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "a", "abbr", "b", "i", "em",
    "strong", "s", "sub", "sup", "code", "pre", "blockquote", "ul", "ol", "li", "table",
    "thead", "tbody", "tr", "th", "td", "span", "img",
}  # fmt: skip
NARRATIVE_ATTRIBUTES = {"href", "title", "start", "xmlns"}


def check_narrative(div: str) -> None:
    root = ET.fromstring(div)  # well-formed XML, or this raises
    assert root.tag == f"{XHTML}div"
    for element in root.iter():
        assert element.tag.startswith(XHTML), element.tag
        assert element.tag.removeprefix(XHTML) in NARRATIVE_TAGS, element.tag
        assert set(element.attrib) <= NARRATIVE_ATTRIBUTES, element.attrib
        href = element.get("href")
        assert href is None or href.startswith(("http://", "https://", "mailto:", "#")), href
    assert "".join(root.itertext()).strip()


def check_bundle(data: dict) -> Bundle:
    """Validate a Bundle and its resources, and the references between them."""
    bundle = Bundle.model_validate(data)
    assert bundle.type == "collection"
    ids = set()
    for entry in data["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"].endswith(f"/fhir/{resource['resourceType']}/{resource['id']}")
        ids.add(f"{resource['resourceType']}/{resource['id']}")
        if "text" in resource:
            check_narrative(resource["text"]["div"])
    knowledge = data["entry"][0]["resource"]
    assert knowledge["resourceType"] == "MedicationKnowledge"
    assert {r["reference"] for r in knowledge.get("clinicalUseIssue", [])} == ids - {
        f"MedicationKnowledge/{knowledge['id']}"
    }
    return bundle


def test_the_models_are_those_of_r5():
    assert __fhir_version__.startswith("5.")


# --- The 300-file sample ---------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        try:
            call_command("import_monographs", str(DATA / "corpus"), verbosity=0)
            yield
        finally:
            Drug.objects.all().delete()
            Revision.objects.all().delete()  # and the history the import recorded


def test_every_resource_of_the_sample_validates_as_fhir_r5(corpus, client):
    published = list(Drug.objects.published().values_list("slug", flat=True))
    assert len(published) > 250
    undesirable = 0
    for slug in published:
        response = client.get(f"/drugs/{slug}.fhir.json")
        assert response.status_code == 200, slug
        assert response["Content-Type"] == "application/fhir+json"
        bundle = check_bundle(json.loads(response.content))
        for entry in bundle.entry[1:]:
            assert isinstance(entry.resource, ClinicalUseDefinition)
            assert entry.resource.type == "undesirable-effect"
            undesirable += 1
        knowledge = bundle.entry[0].resource
        assert isinstance(knowledge, MedicationKnowledge)
        again = client.get(f"/fhir/MedicationKnowledge/{knowledge.id}")
        assert again.status_code == 200, slug
        MedicationKnowledge.model_validate_json(again.content)
    assert undesirable == SideEffect.objects.filter(drug__status=Status.PUBLISHED).count()


def test_the_sample_export_writes_one_valid_bundle_per_published_monograph(corpus, tmp_path):
    out = io.StringIO()
    call_command("export_monographs", str(tmp_path), "--format", "fhir", stdout=out)
    files = sorted(tmp_path.glob("*.fhir.json"))
    assert len(files) == Drug.objects.published().count()
    for file in files:
        check_bundle(json.loads(file.read_text(encoding="utf-8")))
    first = files[0].read_text(encoding="utf-8")
    call_command("export_monographs", str(tmp_path), "--format", "fhir", stdout=out)
    assert files[0].read_text(encoding="utf-8") == first  # exporting twice: identical files


def test_long_slugs_get_valid_ids_that_read_back(corpus, client):
    long = [d for d in Drug.objects.published() if len(d.slug) > 64]
    assert long
    for drug in long:
        resource_id = fhir.drug_id(drug)
        assert fhir.FHIR_ID.fullmatch(resource_id)
        response = client.get(f"/fhir/MedicationKnowledge/{resource_id}")
        assert response.status_code == 200
        assert json.loads(response.content)["identifier"][0]["value"] == drug.slug


# --- What the resources say ----------------------------------------------------------------


def test_a_monograph_becomes_a_medication_knowledge_with_its_names_and_usage(client):
    drug = make_drug("Namamine")
    drug.generic_name = "namaminum"
    drug.brand_names = "Namax, Namolin"
    drug.save()
    data = json.loads(client.get("/fhir/MedicationKnowledge/namamine").content)
    knowledge = MedicationKnowledge.model_validate(data)
    assert knowledge.status == "active"
    assert knowledge.name == ["Namamine", "namaminum", "Namax", "Namolin"]
    assert knowledge.indicationGuideline[0].indication[0].concept.text == "About Usage."
    assert knowledge.text.status == "additional"
    check_narrative(knowledge.text.div)
    narrative = "".join(ET.fromstring(knowledge.text.div).itertext())
    for expected in ("Namamine", "About Usage.", "Effect 1", "Question 0?", "Answer 0."):
        assert expected in narrative


def test_a_combination_names_its_ingredients_and_links_their_monographs(client):
    make_drug("Alphamine")
    combination = make_drug("Alphamine + Betamine")
    Ingredient.objects.create(combination=combination, name="Alphamine", position=0)
    Ingredient.objects.create(combination=combination, name="Betamine", position=1)
    data = json.loads(client.get(f"/fhir/MedicationKnowledge/{combination.slug}").content)
    knowledge = MedicationKnowledge.model_validate(data)
    items = [i.item.concept.text for i in knowledge.definitional.ingredient]
    assert items == ["Alphamine", "Betamine"]
    related = knowledge.relatedMedicationKnowledge[0].reference
    assert [r.reference for r in related] == ["MedicationKnowledge/alphamine"]


def test_a_side_effect_becomes_an_undesirable_effect_with_its_codes(client):
    drug = make_drug("Effectamine", side_effects=0)
    effect = SideEffect.objects.create(
        drug=drug,
        name="Pancreatitis",
        detail="inflammation of the pancreas",
        severity=Severity.SERIOUS,
        frequency=Frequency.RARE,
        body_system="Gastrointestinal",
    )
    response = client.get(f"/fhir/ClinicalUseDefinition/side-effect-{effect.pk}")
    assert response["Content-Type"] == "application/fhir+json"
    use = ClinicalUseDefinition.model_validate_json(response.content)
    assert use.type == "undesirable-effect"
    undesirable = use.undesirableEffect
    assert undesirable.symptomConditionEffect.concept.text == (
        "Pancreatitis (inflammation of the pancreas)"
    )
    assert undesirable.classification.text == "Gastrointestinal"
    coding = undesirable.frequencyOfOccurrence.coding[0]
    assert (coding.system, coding.code) == (fhir.frequency_system(), "rare")
    severity = undesirable.extension[0]
    assert severity.url == fhir.severity_extension()
    assert (severity.valueCoding.system, severity.valueCoding.code) == (
        fhir.severity_system(),
        "serious",
    )


def test_the_code_systems_define_every_code_the_resources_use(client):
    for name, system, codes in [
        (
            "side-effect-frequency",
            fhir.frequency_system(),
            {fhir.frequency_code(f) for f in Frequency},
        ),
        ("side-effect-severity", fhir.severity_system(), {s.slug for s in Severity}),
    ]:
        response = client.get(f"/fhir/CodeSystem/{name}")
        code_system = CodeSystem.model_validate_json(response.content)
        assert code_system.url == system
        assert {c.code for c in code_system.concept} == codes


def test_the_narrative_keeps_only_what_fhir_allows(client):
    drug = make_drug("Markamine", side_effects=0, faqs=0)
    Section.objects.filter(drug=drug, kind="usage").update(
        body_html=(
            '<p>See <a href="/drugs/other/" rel="noopener">this</a> ~~and~~ <del>gone</del>'
            '<img src="/media/x.png" alt="a chart">&amp; H<sub>2</sub>O\x0b &nbsp;</p>'
            "<table><tr><td>cell</td></tr></table>"
        )
    )
    drug.save()
    data = json.loads(client.get("/fhir/MedicationKnowledge/markamine").content)
    div = data["text"]["div"]
    check_narrative(div)
    assert '<a href="http://testserver/drugs/other/">this</a>' in div
    assert "<s>gone</s>" in div and "a chart" in div and "<img" not in div


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW, Status.ARCHIVED])
def test_unpublished_monographs_have_no_fhir_resources(client, status):
    drug = make_drug("Drafamine", status=status)
    effect = drug.side_effects.first()
    for path in (
        f"/drugs/{drug.slug}.fhir.json",
        f"/fhir/MedicationKnowledge/{drug.slug}",
        f"/fhir/ClinicalUseDefinition/side-effect-{effect.pk}",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/fhir+json"
        OperationOutcome.model_validate_json(response.content)


def test_unknown_fhir_resources_are_404s(client):
    for path in (
        "/fhir/MedicationKnowledge/no-such-drug",
        "/fhir/ClinicalUseDefinition/side-effect-999999",
        "/fhir/ClinicalUseDefinition/nonsense",
        "/fhir/CodeSystem/no-such-system",
    ):
        assert client.get(path).status_code == 404, path


def test_the_json_export_writes_the_api_document(client, tmp_path):
    drug = make_drug("Exportamine")
    make_drug("Draftexport", status=Status.DRAFT)
    call_command(
        "export_monographs",
        str(tmp_path),
        "--format",
        "json",
        "--base-url",
        "http://testserver",
        stdout=io.StringIO(),
    )
    names = {p.name for p in tmp_path.iterdir()}
    assert "exportamine.json" in names and "draftexport.json" not in names
    assert len(names) == Drug.objects.published().count()
    written = json.loads((tmp_path / "exportamine.json").read_text(encoding="utf-8"))
    assert written == client.get(f"/api/drugs/{drug.slug}/").json()
