"""Side effects listed in a sentence: structured, with every word kept and written back."""

import io

import pytest
from django.core.management import call_command

from monographs.choices import Frequency, SectionKind, Severity
from monographs.importer.export import to_parsed
from monographs.importer.parse import dump, parse, parse_bytes
from monographs.models import Drug, SideEffect

from .conftest import DATA
from .factories import staff_login
from .test_import import MONOGRAPH, write
from .textcheck import missing_lines

SHAPES = DATA / "shapes"


def effects(name: str) -> list[tuple]:
    monograph = parse_bytes((SHAPES / name).read_bytes())
    return [(e.name, e.detail, e.severity, e.frequency) for e in monograph.side_effects]


def test_a_sentence_list_after_a_tier_label_is_structured_with_its_brackets_whole():
    listed = effects("p/prednisolone-systemic.md")
    assert listed[:3] == [
        ("fluid retention", "edema", Severity.MILD, Frequency.COMMON),
        ("high blood pressure", "hypertension", Severity.MILD, Frequency.COMMON),
        ("low potassium levels", "hypokalemia", Severity.MILD, Frequency.COMMON),
    ]
    assert ("mood changes", "irritability, euphoria, trouble sleeping") in [e[:2] for e in listed]
    serious = [e for e in listed if e[2] == Severity.SERIOUS]
    assert [e[0] for e in serious] == [
        "heart problems", "stomach ulcers", "bone thinning", "high blood sugar",
        "serious infections",
    ]  # fmt: skip
    assert {e[3] for e in serious} == {Frequency.UNCOMMON}


def test_plain_include_paragraphs_each_make_a_tier():
    listed = effects("t/tinidazole.md")
    assert [(e[0], e[2], e[3]) for e in listed[4:7]] == [
        ("stomach cramps", Severity.MILD, Frequency.UNCOMMON),
        ("headache", Severity.MILD, Frequency.UNCOMMON),
        ("dizziness", Severity.MILD, Frequency.UNCOMMON),
    ]
    assert listed[-1][:3] == (
        "<i>Clostridium difficile</i>-associated diarrhea",
        "",
        Severity.SERIOUS,
    )


def test_a_such_as_list_ends_at_its_and_or_or_and_the_sentence_goes_on():
    monograph = parse_bytes((SHAPES / "c" / "clonazepam.md").read_bytes())
    serious = [e for e in monograph.side_effects if e.severity == Severity.SERIOUS]
    assert [e.name for e in serious] == [
        "depression", "thoughts of self-harm", "memory problems", "slowed breathing",
    ]  # fmt: skip
    assert serious[-1].detail == "especially with opioids"
    assert serious[-1].list_end == ", need medical attention right away."
    assert serious[0].list_start == "Serious side effects, such as "


def test_a_sentence_that_is_no_list_stays_text():
    monograph = parse_bytes((SHAPES / "d" / "doxycycline.md").read_bytes())
    names = [e.name for e in monograph.side_effects]
    assert "side effects" not in names and "although not everybody gets them" not in names
    section = next(s for s in monograph.sections if s.kind == SectionKind.SIDE_EFFECTS)
    assert "Like all antibiotics, doxycycline can cause side effects" in section.body
    assert "including *C. difficile* colitis, can occur" in section.body


def test_an_ingredients_label_before_a_sentence_list_is_no_side_effect():
    names = [e[0] for e in effects("m/metformin-voglibose-.md")]
    assert "Voglibose" not in names and "Metformin" not in names
    assert names[-3:] == ["flatulence", "abdominal distension", "soft stools"]


@pytest.mark.parametrize("path", sorted(SHAPES.rglob("*.md")), ids=lambda p: p.name)
def test_every_shape_reads_back_the_same_after_export(path):
    monograph = parse_bytes(path.read_bytes())
    again = parse(dump(monograph))
    assert again.side_effects == monograph.side_effects
    assert again.sections == monograph.sections
    assert again.faqs == monograph.faqs


def test_a_pharmacists_severity_on_a_sentence_list_survives_export(db, tmp_path):
    call_command("import_monographs", str(SHAPES / "t" / "tinidazole.md"), verbosity=0)
    drug = Drug.objects.get()
    drug.side_effects.filter(name="seizures").update(severity=Severity.EMERGENCY)
    exported = dump(to_parsed(Drug.objects.for_detail().get()))
    again = {e.name: e for e in parse(exported).side_effects}
    assert again["seizures"].severity == Severity.EMERGENCY
    assert again["seizures"].list_start == "Serious side effects are rare and include "
    # The rest of its sentence keeps its own severity; every name is still listed.
    assert {e.name: e.severity for e in parse(exported).side_effects} == {
        e.name: e.severity for e in Drug.objects.get().side_effects.all()
    }


def test_every_line_of_every_shape_is_on_its_page(db, client, admin_user):
    call_command("import_monographs", str(SHAPES), stdout=io.StringIO(), stderr=io.StringIO())
    staff_login(client, admin_user)  # drafts (the flagged duplicates) show to staff
    missing = {}
    for path in sorted(SHAPES.rglob("*.md")):
        drug = Drug.objects.get(source_path=str(path))
        html = client.get(drug.get_absolute_url()).content.decode()
        if lines := missing_lines(path.read_text(), html):
            missing[path.name] = lines
    assert missing == {}


def test_inline_tags_in_a_side_effect_render_as_markup_and_nothing_else_does(db, client, tmp_path):
    content = MONOGRAPH.format(title="Tagamine").replace(
        "* Nausea (feeling sick)\n",
        "* <i>Clostridium difficile</i>-associated diarrhea\n"
        "* <script>alert(1)</script> rash\n"
        "* H<sub>2</sub> flushing\n",
    )
    call_command("import_monographs", str(write(tmp_path, "t.md", content)), verbosity=0)
    html = client.get("/drugs/tagamine/").content.decode()
    assert "<i>Clostridium difficile</i>-associated diarrhea" in html
    assert "&lt;i&gt;" not in html
    assert "H<sub>2</sub> flushing" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; rash" in html


WRITTEN = "w/wenlorin-tazabrel.md"


def test_a_heading_naming_an_ingredient_holds_that_ingredients_side_effects():
    listed = parse_bytes((SHAPES / WRITTEN).read_bytes()).side_effects
    wenlorin = [e for e in listed if e.tier_label.startswith("Wenlorin – ")]
    assert [e.name for e in wenlorin] == [
        "Headache", "nausea", "acne-like eruptions", "allergic contact dermatitis", "insomnia",
        "Arrhythmias", "seizures",
    ]  # fmt: skip
    assert {e.severity for e in wenlorin[-2:]} == {Severity.SERIOUS}


def test_a_weak_opener_before_a_list_gives_no_side_effects_of_its_adjectives():
    names = [e[0] for e in effects(WRITTEN)]
    assert "mild" not in names and "temporary" not in names
    assert names[7:11] == ["hiccups", "fatigue", "dry mouth", "constipation"]
    # A list without "and" runs to the end of its sentence.
    assert names[-4:] == ["bloating", "heartburn", "loss of appetite",
                          "increased appetite with weight gain"]  # fmt: skip


def test_a_list_that_is_its_sentences_subject_keeps_its_verb_as_text():
    listed = {e.name: e for e in parse_bytes((SHAPES / WRITTEN).read_bytes()).side_effects}
    assert listed["drowsiness"].list_end == " have been reported in some cases."
    assert listed["tremor"].frequency == Frequency.RARE
    irritation = listed["Mild skin irritation (burning or stinging) at the application site"]
    assert irritation.severity == Severity.SERIOUS
    assert irritation.list_end.startswith(", especially with long use.")
    assert [e.name for e in listed.values() if e.tier_label.startswith("Rare: ")] == [
        "liver damage", "kidney damage", "confusion",
    ]  # fmt: skip


def test_notes_and_circumstances_are_no_side_effects():
    names = {e[0].casefold() for e in effects(WRITTEN)}
    assert not names & {"important note", "note", "in some cases", "especially with long use"}
    monograph = parse_bytes((SHAPES / WRITTEN).read_bytes())
    kept = "\n".join(s.body for s in monograph.sections if s.kind == SectionKind.SIDE_EFFECTS)
    assert "* **Important Note:** If you experience any side effects" in kept


def test_an_ingredients_tiers_nested_under_its_name_are_that_ingredients():
    listed = parse_bytes((SHAPES / "p/pelvanor-quistadine.md").read_bytes()).side_effects
    assert (listed[4].name, listed[4].severity) == (
        "Increased risk of bone fractures",
        Severity.SERIOUS,
    )
    assert listed[4].tier_label == "Pelvanor – Less Common but Serious:"
    assert [e.name for e in listed if e.tier_label == "Quistadine – Common:"] == [
        "Drowsiness", "dizziness", "dry mouth",
    ]  # fmt: skip


def test_a_label_alone_on_its_line_leads_every_bullet_under_it():
    monograph = parse_bytes((SHAPES / "p/pelvanor-quistadine.md").read_bytes())
    common = [e.name for e in monograph.side_effects if e.tier_label == "Common Side Effects:"]
    assert common == ["Constipation", "Gas"]
    # A route of use over its own bullets groups them as an organ system does.
    topical = [e.name for e in monograph.side_effects if e.body_system == "Topical Application"]
    assert topical == ["Mild stinging upon application", "Redness or irritation",
                       "Dryness or peeling of the skin"]  # fmt: skip


ROUTES = "o/orvimex.md"


def test_a_route_of_use_labels_the_side_effects_its_sentence_lists():
    names = [e[0] for e in effects(ROUTES)]
    assert not {"Topical Application", "Oral Ingestion"} & set(names)
    assert names[:6] == [
        "mild stinging", "flaking", "redness", "heartburn", "stomach cramps", "loose stools",
    ]  # fmt: skip


def test_an_ailment_labelled_as_an_organ_system_names_a_side_effect_when_no_list_follows():
    listed = {e[0]: e for e in effects(ROUTES)}
    assert listed["Allergic reactions"][1] == "Rare, but possible in people sensitive to the dye."
    # With a list after it, the same kind of label groups the side effects.
    grouped = parse_bytes((SHAPES / ROUTES).read_bytes()).side_effects
    assert [e.name for e in grouped if e.body_system == "Gastrointestinal issues"] == [
        "Nausea", "vomiting", "bloating",
    ]  # fmt: skip


def test_the_parts_of_the_body_one_side_effect_names_stay_in_it():
    serious = [e[0] for e in effects(ROUTES) if e[2] == Severity.SERIOUS]
    assert serious == [
        "swelling of the face, lips, tongue, or throat", "liver or kidney damage", "fainting",
    ]  # fmt: skip
    monograph = parse_bytes((SHAPES / ROUTES).read_bytes())
    assert parse(dump(monograph)).side_effects == monograph.side_effects


def test_a_plain_name_before_a_colon_or_dash_names_a_side_effect_and_the_rest_tells_of_it():
    listed = {e[0]: e[1] for e in effects(ROUTES)}
    shaky = "This can make you shaky; eat something sweet."
    assert listed["Hypoglycemia (low blood sugar)"] == shaky
    assert listed["Sunburn"] == "it comes sooner in strong sun and may blister."
    monograph = parse_bytes((SHAPES / ROUTES).read_bytes())
    assert parse(dump(monograph)).side_effects == monograph.side_effects


def test_a_bullet_listing_several_side_effects_gives_each_one():
    monograph = parse_bytes((SHAPES / ROUTES).read_bytes())
    less = [e for e in monograph.side_effects if e.tier_label == "Less common side effects:"]
    assert [(e.name, e.detail) for e in less] == [
        ("Headache", ""), ("insomnia", "trouble sleeping"), ("dizziness", ""),
        # One side effect each: a shared adjective, a shared place.
        ("Dry, persistent cough", ""), ("Pain, redness, or swelling at the application site", ""),
    ]  # fmt: skip
    assert {e.frequency for e in less} == {Frequency.UNCOMMON}
    written = dump(monograph)
    assert (
        "Less common side effects:\n\n* Headache, insomnia (trouble sleeping), and dizziness.\n"
        in written
    )
    assert parse(written).side_effects == monograph.side_effects


def test_a_detail_that_is_a_sentence_or_follows_brackets_is_shown_after_a_colon():
    shown = {e[0]: SideEffect(name=e[0], detail=e[1]).display_name for e in effects(ROUTES)}
    assert shown["Hypoglycemia (low blood sugar)"] == (
        "Hypoglycemia (low blood sugar): This can make you shaky; eat something sweet."
    )
    assert shown["insomnia"] == "insomnia (trouble sleeping)"


def test_a_bullet_listing_several_reads_as_written_among_its_tiers_bullets(db, client):
    call_command("import_monographs", str(SHAPES / ROUTES), stdout=io.StringIO())
    html = client.get(Drug.objects.get().get_absolute_url()).content.decode()
    assert (
        '<p class="inline-list"><span class="effect">Headache</span>, '
        '<span class="effect">insomnia (trouble sleeping)</span>, and '
        '<span class="effect">dizziness</span>.</p>'
    ) in html
    # The tier's two lists share how often: it is said once.
    assert html.count("How often: Uncommon") == 1


def test_a_list_whose_terms_semicolons_part_is_one_list():
    monograph = parse_bytes((SHAPES / ROUTES).read_bytes())
    rare = [e for e in monograph.side_effects if e.tier_label == "Rare effects include"]
    assert [(e.name, e.detail, e.separator) for e in rare] == [
        ("nerve effects", "tingling, numbness", ""),
        ("hearing problems", "", "; "),
        ("hair thinning", "", "; and "),
    ]
    assert {e.frequency for e in rare} == {Frequency.RARE}
    assert parse(dump(monograph)).side_effects == monograph.side_effects
