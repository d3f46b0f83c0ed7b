"""The file format, read and written without the database, one variant at a time."""

from dataclasses import replace

import pytest

from monographs.choices import Frequency, SectionKind, Severity, Status
from monographs.importer.parse import ParseError, decode, dump, parse
from monographs.importer.tiers import classify


def monograph(body: str, title: str = "Testamine", front: str = "") -> str:
    return f"---\nlayout: minimal-medicine\n{front}title: {title}\n---\n\n# {title}\n{body}"


def kinds(parsed) -> list[str]:
    return [section.kind for section in parsed.sections]


def test_headings_become_sections_in_their_order():
    parsed = parse(
        monograph("### Usage\nFor tests.\n\n### Dosage\nOnce.\n\n### Precautions\nNone.\n")
    )
    assert kinds(parsed) == [SectionKind.USAGE, SectionKind.DOSAGE, SectionKind.PRECAUTIONS]
    assert parsed.sections[0].body == "For tests."


def test_bold_labels_start_sections_too():
    parsed = parse(monograph("**Usage:**\nFor tests.\n\n**How it Works:** It works.\n"))
    assert kinds(parsed) == [SectionKind.USAGE, SectionKind.HOW_IT_WORKS]
    assert parsed.sections[1].body == "It works."


def test_generic_name_on_the_heading_line():
    assert parse(monograph("### Generic Name: Testamine HCl\n\n### Usage\nX.\n")).generic_name == (
        "Testamine HCl"
    )


def test_headings_with_colons_and_text_on_the_same_line():
    parsed = parse(monograph("### Usage:  Used for tests.\n### Dosage:\nOnce daily.\n"))
    assert kinds(parsed) == [SectionKind.USAGE, SectionKind.DOSAGE]
    assert parsed.sections[0].body == "Used for tests."


def test_heading_qualifier_keeps_its_kind():
    parsed = parse(monograph("### Usage (Alprazolam)\nFor anxiety.\n"))
    assert parsed.sections[0].kind == SectionKind.USAGE
    assert parsed.sections[0].heading == "Usage (Alprazolam)"


def test_combination_records_its_ingredients_and_their_sections():
    text = monograph(
        "### Alprazolam\n\n**Usage:** For anxiety.\n\n### Melatonin\n\n**Usage:** For sleep.\n",
        title="Alprazolam + Melatonin",
    )
    parsed = parse(text)
    assert parsed.ingredients == ["Alprazolam", "Melatonin"]
    assert [s.heading for s in parsed.sections] == ["Alprazolam – Usage", "Melatonin – Usage"]
    assert kinds(parsed) == [SectionKind.USAGE, SectionKind.USAGE]


def test_prose_before_the_first_section_is_the_introduction():
    parsed = parse(monograph("This is a fixed combination.\n\n### Usage\nX.\n"))
    assert parsed.introduction == "This is a fixed combination."


def test_side_effect_tiers_from_prose_lead_ins():
    parsed = parse(
        monograph(
            "### Side Effects\nSome are mild. Common side effects include:\n\n"
            "* Headache\n* Rash\n\n"
            "Less common but serious side effects include:\n\n"
            "* Pancreatitis (inflammation of the pancreas)\n"
        )
    )
    effects = {e.name: e for e in parsed.side_effects}
    assert (effects["Headache"].severity, effects["Headache"].frequency) == (
        Severity.MILD,
        Frequency.COMMON,
    )
    assert effects["Pancreatitis"].detail == "inflammation of the pancreas"
    assert effects["Pancreatitis"].severity == Severity.SERIOUS
    assert effects["Headache"].tier_label == "Some are mild. Common side effects include:"


def test_side_effect_tiers_from_label_lines():
    parsed = parse(
        monograph(
            "### Side Effects\n**Common Side Effects:**\n\n* Nausea\n\n"
            "**Serious Side Effects:**\n\n* Seizures\n"
        )
    )
    assert [(e.name, e.severity) for e in parsed.side_effects] == [
        ("Nausea", Severity.MILD),
        ("Seizures", Severity.SERIOUS),
    ]


def test_side_effect_tiers_as_bullets_with_percentages():
    parsed = parse(
        monograph(
            "### Side Effects\n"
            "* **Very Common (>10%):** headache, nausea (feeling sick), and rash.\n"
            "* **Common (1-10%):** dizziness; dry mouth\n"
        )
    )
    effects = {e.name: e for e in parsed.side_effects}
    assert set(effects) == {"headache", "nausea", "rash", "dizziness", "dry mouth"}
    assert effects["rash"].frequency == Frequency.VERY_COMMON
    assert effects["rash"].separator == ", and "
    assert effects["dry mouth"].frequency == Frequency.COMMON
    assert effects["nausea"].detail == "feeling sick"


def test_inline_tier_text_outside_a_list():
    parsed = parse(monograph("### Side Effects\n**Rare:** liver damage, seizures.\n"))
    assert [(e.name, e.frequency) for e in parsed.side_effects] == [
        ("liver damage", Frequency.RARE),
        ("seizures", Frequency.RARE),
    ]


def test_side_effects_grouped_by_organ_system():
    parsed = parse(
        monograph(
            "### Side Effects\nCommon side effects include:\n\n"
            "* **Cardiovascular:** Hypotension, tachycardia.\n* **Gastrointestinal:** Nausea.\n"
        )
    )
    assert [(e.name, e.body_system) for e in parsed.side_effects] == [
        ("Hypotension", "Cardiovascular"),
        ("tachycardia", "Cardiovascular"),
        ("Nausea", "Gastrointestinal"),
    ]
    assert parsed.side_effects[0].frequency == Frequency.COMMON


def test_a_flat_list_of_side_effects_has_no_tier():
    parsed = parse(monograph("### Side Effects\n* Nausea\n* Headache\n"))
    assert [(e.name, e.severity, e.frequency) for e in parsed.side_effects] == [
        ("Nausea", Severity.MILD, Frequency.NOT_KNOWN),
        ("Headache", Severity.MILD, Frequency.NOT_KNOWN),
    ]


def test_prose_in_a_side_effect_list_stays_text():
    parsed = parse(
        monograph(
            "### Side Effects\n"
            "* **Common:** Generally well tolerated, but some may experience nausea.\n"
        )
    )
    assert parsed.side_effects == []
    assert "Generally well tolerated" in parsed.sections[0].body


@pytest.mark.parametrize(
    "faqs",
    [
        "* **Q: Is it safe?** A: Mostly.\n* **Q: Can I drive?** A: Not at first.",
        "**Q: Is it safe?**\nA: Mostly.\n\n**Q: Can I drive?**\nA: Not at first.",
        "* **Q: Is it safe?**\n    * A: Mostly.\n* **Q: Can I drive?**\n    * A: Not at first.",
        "* **Q: Is it safe?**\n  **A:** Mostly.\n* **Q: Can I drive?**\n  **A:** Not at first.",
        "* **Is it safe?** Mostly.\n* **Can I drive?** Not at first.",
        "**Q: Is it safe?** A: Mostly.\n\n**Q: Can I drive?** A: Not at first.",
    ],
    ids=["bullet", "separate-lines", "nested", "bold-a", "question-bullet", "one-line"],
)
def test_every_faq_style_gives_questions_and_answers(faqs):
    parsed = parse(monograph(f"### FAQs\n{faqs}\n"))
    assert [(f.question, f.answer) for f in parsed.faqs] == [
        ("Is it safe?", "Mostly."),
        ("Can I drive?", "Not at first."),
    ]


@pytest.mark.parametrize(
    ("closing", "heading"),
    [
        ("**Disclaimer:** Not medical advice.", "Disclaimer"),
        ("**Important Note:** Not medical advice.", "Important Note"),
        ("**Note:** Not medical advice.", "Note"),
        ("Always consult your doctor before use. Not medical advice.", "Disclaimer"),
    ],
)
def test_closing_advice_becomes_the_disclaimer(closing, heading):
    parsed = parse(monograph(f"### FAQs\n* **Q: Is it safe?** A: Mostly.\n\n{closing}\n"))
    assert parsed.sections[-1].kind == SectionKind.DISCLAIMER
    assert parsed.sections[-1].heading == heading
    assert parsed.sections[-1].body.endswith("Not medical advice.")


def test_inline_html_is_kept_in_the_text():
    parsed = parse(
        monograph("### Usage\nRaises vitamin B<sub>12</sub> and 10<sup>6</sup> cells.\n")
    )
    assert parsed.sections[0].body == "Raises vitamin B<sub>12</sub> and 10<sup>6</sup> cells."


def test_extra_front_matter_keys_are_kept():
    parsed = parse(monograph("### Usage\nX.\n", front="nav_exclude: true\n"))
    assert parsed.front_matter == {"layout": "minimal-medicine", "nav_exclude": True}


def test_a_refusal_is_a_draft():
    parsed = parse(monograph("Please provide the full name of the medicine.\n", title="Omega-"))
    assert parsed.status == Status.DRAFT
    assert parsed.warnings


@pytest.mark.parametrize(
    ("wording", "severity", "frequency"),
    [
        ("Common side effects often include:", Severity.MILD, Frequency.COMMON),
        ("Less common but serious", Severity.SERIOUS, Frequency.UNCOMMON),
        ("Rare", Severity.MILD, Frequency.RARE),
        ("Very Common (>10%)", Severity.MILD, Frequency.VERY_COMMON),
        ("Common (1-10%)", Severity.MILD, Frequency.COMMON),
        ("Uncommon (0.1-1%)", Severity.MILD, Frequency.UNCOMMON),
        ("Very rare but life-threatening", Severity.SERIOUS, Frequency.VERY_RARE),
        ("Severe allergic reaction (anaphylaxis)", Severity.SERIOUS, Frequency.NOT_KNOWN),
        (
            "Rare (≥1/10,000 to <1/1,000), Emergency – get help now",
            Severity.EMERGENCY,
            Frequency.RARE,
        ),
    ],
)
def test_tier_wording_maps_onto_severity_and_frequency(wording, severity, frequency):
    assert classify(wording) == (severity, frequency)


def test_what_is_written_reads_back_the_same(seed_text):
    parsed = parse(seed_text)
    assert replace(parse(dump(parsed)), sha256="") == replace(parsed, sha256="")


def test_a_pharmacists_severity_survives_the_round_trip(seed_text):
    parsed = parse(seed_text)
    parsed.side_effects[8].severity = Severity.EMERGENCY  # severe allergic reactions
    again = parse(dump(parsed))

    def content(effects):
        return [(e.name, e.detail, e.severity, e.frequency) for e in effects]

    assert content(again.side_effects) == content(parsed.side_effects)
    assert "Rare" not in dump(parsed)  # the pharmacist's values are written as themselves
    assert "Uncommon (≥1/1,000 to <1/100), Emergency – get help now:" in dump(parsed)


def test_files_that_are_not_utf8_are_read_as_windows_1252():
    text, warnings = decode("caf\xe9 \u2013 ok".encode("cp1252"))
    assert text == "café – ok"
    assert "Windows-1252" in warnings[0]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02", "binary"),
        (b"x" * (3 * 1024 * 1024), "bytes"),
    ],
)
def test_unreadable_files_are_refused(raw, message):
    with pytest.raises(ParseError, match=message):
        decode(raw)


def test_a_parsed_side_effect_holds_the_side_effect_fields_a_file_gives():
    from dataclasses import fields

    from monographs.choices import SIDE_EFFECT_FIELDS, SIDE_EFFECT_LIST_FIELDS
    from monographs.importer.parse import ParsedSideEffect

    names = tuple(f.name for f in fields(ParsedSideEffect))
    assert names == SIDE_EFFECT_FIELDS + SIDE_EFFECT_LIST_FIELDS
