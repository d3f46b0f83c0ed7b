"""Compare: side effects matched on their terms, mentions in the text, FAQs, no early warning."""

import re

import pytest
from django.urls import reverse

from monographs import terms
from monographs.choices import Frequency, SectionKind, Severity
from monographs.models import Faq, Section, SideEffect

from .factories import make_drug

COMPARE = reverse("monographs:compare")


def add(drug, name, severity=Severity.MILD, frequency=Frequency.NOT_KNOWN, position=100):
    return SideEffect.objects.create(
        drug=drug, name=name, severity=severity, frequency=frequency, position=position
    )


def add_precautions(drug, body: str) -> Section:
    return Section.objects.create(
        drug=drug, kind=SectionKind.PRECAUTIONS, heading="Precautions", body=body, position=9
    )


def rows_by_name(response) -> dict:
    return {row["name"]: row for row in response.context["side_effects"]}


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Headache", ["headache"]),
        ("Headaches or dizziness", ["headache", "dizziness"]),
        ("Nausea and vomiting", ["nausea", "vomiting"]),
        (
            "Pain, redness or swelling at the injection site",
            ["pain", "redness", "swelling at the injection site"],
        ),
        ("Rash (hives, itching)", ["rash"]),
        ("Dry skin and mucous membranes (lips, nose, eyes)", ["dry skin", "mucous membrane"]),
    ],
)
def test_a_listing_is_taken_apart_into_the_terms_it_names(name, expected):
    assert terms.parts(name) == expected


def test_headache_and_headache_or_dizziness_line_up(db, client):
    first, second = make_drug("Alphamine", side_effects=0), make_drug("Betamine", side_effects=0)
    add(first, "Headache", Severity.MILD, Frequency.COMMON)
    add(first, "Dizziness", Severity.SERIOUS, Frequency.RARE, position=101)
    add(second, "Headache or dizziness", Severity.MILD, Frequency.UNCOMMON)
    response = client.get(COMPARE, {"drug": ["alphamine", "betamine"]})
    rows = rows_by_name(response)
    assert "Headache or dizziness" not in rows
    for name in ["Headache", "Dizziness"]:
        cells = rows[name]["cells"]
        assert [[e.name for e in cell] for cell in cells][1] == ["Headache or dizziness"]
        assert len(cells[0]) == 1
    content = response.content.decode()
    assert content.count("as “Headache or dizziness”") == 2
    row = content.split('<th scope="row">Headache</th>')[1].split("</tr>")[0]
    assert "Mild" in row and "Common (≥1/100 to &lt;1/10)" in row  # how bad and how often
    assert "Uncommon (≥1/1,000 to &lt;1/100)" in row


def test_a_side_effect_only_one_lists_stays_a_row_of_its_own(db, client):
    first, second = make_drug("Alphamine", side_effects=0), make_drug("Betamine", side_effects=0)
    add(first, "Nausea or vomiting")
    add(second, "Rash")
    rows = rows_by_name(client.get(COMPARE, {"drug": ["alphamine", "betamine"]}))
    assert sorted(rows) == ["Nausea or vomiting", "Rash"]


def test_a_side_effect_the_other_text_names_is_mentioned_not_just_unlisted(db, client):
    first, second = make_drug("Alphamine", side_effects=0), make_drug("Betamine", side_effects=0)
    add(first, "Pancreatitis", Severity.SERIOUS)
    add(first, "Hair loss", position=101)
    add_precautions(second, "Tell your doctor if you have had **pancreatitis** before.")
    response = client.get(COMPARE, {"drug": ["alphamine", "betamine"]})
    rows = rows_by_name(response)
    assert rows["Pancreatitis"]["mentions"] == [
        None,
        {"where": "Precautions", "url": "/drugs/betamine/#precautions"},
    ]
    assert rows["Hair loss"]["mentions"] == [None, None]
    content = response.content.decode()
    pancreatitis = content.split('<th scope="row">Pancreatitis</th>')[1].split("</tr>")[0]
    assert '<a href="/drugs/betamine/#precautions">mentioned in the text</a> (Precautions)' in (
        pancreatitis
    )
    hair = content.split('<th scope="row">Hair loss</th>')[1].split("</tr>")[0]
    assert '<span class="muted">Not listed</span>' in hair


def test_a_plural_in_the_text_counts_as_a_mention(db, client):
    first, second = make_drug("Alphamine", side_effects=0), make_drug("Betamine", side_effects=0)
    add(first, "Nosebleed")
    add(second, "Severe nosebleeds", Severity.SERIOUS)
    rows = rows_by_name(client.get(COMPARE, {"drug": ["alphamine", "betamine"]}))
    assert rows["Nosebleed"]["mentions"][1]["where"] == "within another side effect"


def test_a_mention_is_found_in_any_case_plural_or_hyphenation(db, client):
    first, second = make_drug("Alphamine", side_effects=0), make_drug("Betamine", side_effects=0)
    add(first, "Allergy")
    add(first, "Blurred vision", position=101)
    add(first, "Dry mouth", position=102)
    add_precautions(second, "ALLERGIES to nuts; BLURRED-VISION at night.")
    rows = rows_by_name(client.get(COMPARE, {"drug": ["alphamine", "betamine"]}))
    assert rows["Allergy"]["mentions"][1] == {
        "where": "Precautions",
        "url": "/drugs/betamine/#precautions",
    }
    assert rows["Blurred vision"]["mentions"][1]["where"] == "Precautions"
    assert rows["Dry mouth"]["mentions"] == [None, None]


def test_faqs_are_side_by_side(db, client):
    make_drug("Alphamine")
    second = make_drug("Betamine", faqs=0)
    Faq.objects.create(drug=second, question="Can I drink alcohol?", answer="Best not.")
    response = client.get(COMPARE, {"drug": ["alphamine", "betamine"]})
    [row] = [r for r in response.context["rows"] if r["kind"] == SectionKind.FAQS]
    assert [[f.question for f in faqs] for faqs in row["faqs"]] == [
        ["Question 0?", "Question 1?"],
        ["Can I drink alcohol?"],
    ]
    content = response.content.decode()
    faq_row = content.split('<th scope="row">FAQs</th>')[1].split("</tr>")[0]
    assert faq_row.count("<details") == 3
    assert "<summary>Can I drink alcohol?</summary><p>Best not.</p>" in faq_row


def test_a_monograph_links_to_compare_without_a_warning(db, client):
    drug = make_drug("Alphamine")
    page = client.get(drug.get_absolute_url()).content.decode()
    assert f'href="{COMPARE}?with=alphamine"' in page
    response = client.get(COMPARE, {"with": "alphamine"})
    content = response.content.decode()
    assert 'role="alert"' not in content and 'class="error"' not in content
    assert "Add one to three more medicines to compare with Alphamine." in content
    assert re.search(r'id="compare-drug-1" name="drug" value="Alphamine"', content)
    assert 'role="alert"' not in client.get(COMPARE).content.decode()


def test_a_submitted_form_that_cannot_compare_says_why(db, client):
    make_drug("Alphamine")
    one = client.get(COMPARE, {"drug": ["Alphamine", "", "", ""]}).content.decode()
    assert '<p class="error" role="alert">Add one to three more medicines' in one
    linked_then_sent = client.get(COMPARE, {"with": "alphamine", "drug": ["nosuchdrug"]})
    assert 'role="alert"' in linked_then_sent.content.decode()


def test_a_comparison_on_a_phone_labels_each_cell_with_its_medicine(db, client):
    make_drug("Alphamine")
    make_drug("Betamine")
    content = client.get(COMPARE, {"drug": ["alphamine", "betamine"]}).content.decode()
    assert 'class="compare compare-2"' in content
    assert content.count('<td data-medicine="Betamine">') >= 3


def test_a_comparison_follows_edits_saved_as_the_admin_saves_them(db, client):
    """A comparison is kept while the search index is unchanged: an edit that
    reindexes the monograph (as the admin and the importer do) shows at once,
    whichever names the comparison was asked for by."""
    from monographs import search

    first, second = make_drug("Alphamine", side_effects=0), make_drug("Betamine", side_effects=0)
    effect = add(first, "Headache", Severity.MILD)
    add(second, "Headache", Severity.MILD)
    for drug in (first, second):
        search.reindex(drug)

    def severities(params):
        [row] = client.get(COMPARE, params).context["side_effects"]
        return [[e.severity for e in cell] for cell in row["cells"]]

    by_address = {"drugs": "alphamine,betamine"}
    by_name = {"drug": ["Alphamine", "betamine"]}
    assert severities(by_address) == [[Severity.MILD], [Severity.MILD]]
    assert severities(by_name) == [[Severity.MILD], [Severity.MILD]]
    effect.severity = Severity.SERIOUS
    effect.save()
    search.reindex(first)
    assert severities(by_name) == [[Severity.SERIOUS], [Severity.MILD]]
    assert severities(by_address) == [[Severity.SERIOUS], [Severity.MILD]]
    precautions = add_precautions(second, "Avoid alcohol.")
    search.reindex(second)
    content = client.get(COMPARE, by_address).content.decode()
    assert "Avoid alcohol." in content
    precautions.body = "Avoid grapefruit juice."
    precautions.save()
    search.reindex(second)
    content = client.get(COMPARE, by_address).content.decode()
    assert "Avoid grapefruit juice." in content and "Avoid alcohol." not in content


def test_names_typed_follow_publications_and_withdrawals(db, client):
    """What a typed name means is kept while the monographs are unchanged: a monograph
    published or withdrawn afterwards changes it at once."""
    from monographs.choices import Status

    make_drug("Alphamine")
    typed = {"drug": ["Alphamine", "Gammamine"]}

    def compared():
        response = client.get(COMPARE, typed)
        return [d.title for d in response.context["drugs"]], response.context.get("error")

    assert compared() == (["Alphamine"], "Some names match no published monograph; see below.")
    gamma = make_drug("Gammamine")
    assert compared() == (["Alphamine", "Gammamine"], None)
    gamma.status = Status.DRAFT
    gamma.save()
    assert compared() == (["Alphamine"], "Some names match no published monograph; see below.")
    gamma.title = "Gammamine Forte"
    gamma.status = Status.PUBLISHED
    gamma.save()
    assert compared() == (["Alphamine", "Gammamine Forte"], None)
