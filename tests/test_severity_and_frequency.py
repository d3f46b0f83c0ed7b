"""Severity (how bad) and frequency (how often) are two things on every page that shows them."""

import re

import pytest

from monographs.choices import Frequency, Severity
from monographs.importer.tiers import classify, export_label, is_export_label
from monographs.models import SideEffect

from .factories import make_drug

MILD, SERIOUS, EMERGENCY = "Mild", "Serious – contact a doctor", "Emergency – get help now"


def listed(response) -> str:
    """The side effects' part of a monograph page."""
    return response.content.decode().split('id="side-effects-list"')[1].split("</div>")[0]


def add(drug, name, severity, frequency, position):
    return SideEffect.objects.create(
        drug=drug, name=name, severity=severity, frequency=frequency, position=position
    )


@pytest.fixture
def tongue(db):
    """A rare but mild side effect beside common mild ones."""
    drug = make_drug("Tonguamine", side_effects=0)
    add(drug, "Dry mouth", Severity.MILD, Frequency.COMMON, 1)
    add(drug, "Black hairy tongue", Severity.MILD, Frequency.RARE, 2)
    add(drug, "Anaphylaxis", Severity.EMERGENCY, Frequency.VERY_RARE, 3)
    add(drug, "Fatigue", Severity.MILD, Frequency.NOT_KNOWN, 4)
    return drug


def test_severity_labels_say_how_bad_not_how_often():
    assert [s.label for s in Severity] == [MILD, SERIOUS, EMERGENCY]
    assert not any("common" in s.label.lower() for s in Severity)


def test_no_reading_page_uses_the_old_mild_label(tongue, client):
    pages = [
        tongue.get_absolute_url(),
        tongue.get_absolute_url() + "?severity=mild",
        tongue.get_absolute_url() + "?group=frequency",
        "/side-effects/?q=dry+mouth",
        "/compare/?drug=tonguamine&drug=testamine",
        "/fhir/CodeSystem/side-effect-severity",
        f"/drugs/{tongue.slug}.fhir.json",
    ]
    make_drug("Testamine")
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "usually mild" not in response.content.decode(), url


def test_the_severity_filter_and_the_lookup_say_mild(tongue, client):
    page = client.get(tongue.get_absolute_url()).content.decode()
    assert re.search(r'value="mild"[^>]*>\s*Mild</label>', page)
    assert f'<span class="badge badge-mild">{MILD}: 3</span>' in page
    lookup = client.get("/side-effects/", {"q": "black hairy tongue"}).content.decode()
    assert f'<span class="badge badge-mild">{MILD}</span>' in lookup
    assert "Rare (≥1/10,000 to &lt;1/1,000)" in lookup


def test_api_codes_stay_and_fhir_displays_say_mild(tongue, client):
    data = client.get(f"/api/drugs/{tongue.slug}/").json()
    assert {e["name"]: e["severity"] for e in data["side_effects"]}["Black hairy tongue"] == "mild"
    system = client.get("/fhir/CodeSystem/side-effect-severity").json()
    assert [(c["code"], c["display"]) for c in system["concept"]] == [
        ("mild", MILD),
        ("serious", SERIOUS),
        ("emergency", EMERGENCY),
    ]
    effect = SideEffect.objects.get(name="Black hairy tongue")
    resource = client.get(f"/fhir/ClinicalUseDefinition/side-effect-{effect.pk}").json()
    [extension] = resource["undesirableEffect"]["extension"]
    assert extension["valueCoding"]["code"] == "mild"
    assert extension["valueCoding"]["display"] == MILD


def test_the_export_still_writes_its_own_words_and_reads_them_back():
    label = export_label(Severity.MILD, Frequency.RARE)
    assert label == "Rare (≥1/10,000 to <1/1,000), Common, usually mild:"
    assert is_export_label(label)
    assert classify(label) == (Severity.MILD, Frequency.RARE)
    emergency = export_label(Severity.EMERGENCY, Frequency.COMMON)
    assert emergency == "Common (≥1/100 to <1/10), Emergency – get help now:"
    assert classify(emergency) == (Severity.EMERGENCY, Frequency.COMMON)


def test_a_rare_mild_side_effect_says_mild_and_rare(tongue, client):
    mild = listed(client.get(tongue.get_absolute_url())).split('id="severity-mild"')[1]
    mild = mild.split("</section>")[0]
    assert mild.startswith(f">{MILD} <span")
    assert "Black hairy tongue" in mild
    item = re.search(r"<li>Black hairy tongue[^<]*<span[^>]*>([^<]*)</span></li>", mild)
    assert item and item[1] == "· Rare (≥1/10,000 to &lt;1/1,000)"
    assert re.search(r"<li>Dry mouth <span[^>]*>· Common", mild)
    assert "<li>Fatigue</li>" in mild  # how often is not known: nothing said


def test_a_list_of_one_frequency_says_it_once(seed_drug, client):
    page = listed(client.get(seed_drug.get_absolute_url()))
    assert page.count("How often: Common (≥1/100 to &lt;1/10)") == 1
    assert page.count("How often: Uncommon (≥1/1,000 to &lt;1/100)") == 1
    assert page.index("How often: Common") < page.index("Nosebleeds")
    assert page.index("How often: Uncommon") < page.index("Pancreatitis")


def test_side_effects_group_by_severity_unless_asked_for_frequency(tongue, client):
    by_severity = listed(client.get(tongue.get_absolute_url()))
    headings = re.findall(r'<h3 id="([a-z-]+)">', by_severity)
    assert headings == ["severity-mild", "severity-emergency"]
    by_frequency = listed(client.get(tongue.get_absolute_url(), {"group": "frequency"}))
    headings = re.findall(r'<h3 id="frequency-\d">([^<]*) <span', by_frequency)
    assert headings == [
        "Common (≥1/100 to &lt;1/10)",
        "Rare (≥1/10,000 to &lt;1/1,000)",
        "Very rare (&lt;1/10,000)",
        "Not known",
    ]
    rare = by_frequency.split("Rare (≥1/10,000")[1].split("</section>")[0]
    assert f'Black hairy tongue <span class="badge badge-mild">{MILD}</span>' in rare
    very_rare = by_frequency.split("Very rare")[1].split("</section>")[0]
    assert f'Anaphylaxis <span class="badge badge-emergency">{EMERGENCY}</span>' in very_rare


def test_the_grouping_control_is_links_that_keep_the_filter(tongue, client):
    url = tongue.get_absolute_url()
    plain = client.get(url).content.decode()
    nav = plain.split('aria-label="Group side effects"')[1].split("</nav>")[0]
    assert f'<a href="{url}#side-effect-filter" aria-current="true">Severity</a>' in nav
    assert f'<a href="{url}?group=frequency#side-effect-filter">How often</a>' in nav
    filtered = client.get(url, {"severity": "mild", "group": "frequency"}).content.decode()
    nav = filtered.split('aria-label="Group side effects"')[1].split("</nav>")[0]
    assert f'<a href="{url}?severity=mild#side-effect-filter">Severity</a>' in nav
    both = f"{url}?severity=mild&amp;group=frequency#side-effect-filter"
    assert f'<a href="{both}" aria-current="true">How often</a>' in nav
    # The filter form keeps the grouping when it is sent again.
    assert '<input type="hidden" name="group" value="frequency">' in filtered
    listed_now = listed(client.get(url, {"severity": "mild", "group": "frequency"}))
    assert "Anaphylaxis" not in listed_now and "Black hairy tongue" in listed_now


def test_grouping_by_frequency_is_rendered_for_each_request_and_the_plain_page_kept(tongue, client):
    grouped = client.get(tongue.get_absolute_url(), {"group": "frequency"}).content.decode()
    assert 'id="frequency-' in grouped
    tongue.refresh_from_db()
    # What is kept (with the structured data's facts) is the plain page, grouped by severity.
    assert 'id="severity-mild"' in tongue.rendered_body
    assert 'id="frequency-' not in tongue.rendered_body
    client.get(tongue.get_absolute_url())
    tongue.refresh_from_db()
    assert 'id="severity-mild"' in tongue.rendered_body


def test_a_printed_filtered_page_says_what_was_left_out(seed_drug, client):
    def note(**params):
        content = client.get(seed_drug.get_absolute_url(), params).content.decode()
        found = re.search(r'<p class="print-only filter-note">([^<]*)</p>', content)
        return found[1] if found else None

    assert note() is None
    serious = "Showing only serious side effects; 8 others left out (of 15)."
    assert note(severity="serious") == serious
    assert note(severity=["mild", "serious"]) == (
        "Showing only mild and serious side effects; none left out (of 15)."
    )
    assert note(frequency=["rare", "not-known"]) == (
        "Showing only side effects that are rare or of unknown frequency;"
        " 15 others left out (of 15)."
    )
    assert note(severity="serious", frequency="uncommon") == (
        "Showing only serious side effects that are uncommon; 8 others left out (of 15)."
    )
    assert note(severity="bogus") is None  # not filtered: the page says so, all are shown
