import re

import ftfy
import pytest
from django.core.management import CommandError, call_command

from monographs import search
from monographs.choices import Frequency, SectionKind, Severity, Status
from monographs.importer.parse import READER_VERSION
from monographs.models import Drug, SearchEntry, SideEffect

from . import textcheck
from .conftest import SEED

MONOGRAPH = """---
layout: minimal-medicine
title: {title}
---

# {title}
### Generic Name
{title}

### Usage
Used in tests.

### Side Effects
Common side effects include:

* Headache
* Nausea (feeling sick)

### FAQs
* **Q: Is this real?** A: No, it is a test.

**Disclaimer:** Not medical advice.
"""


def page_text(html: str) -> str:
    return normalise(textcheck.page_text(html))


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def source_fragments(path) -> list[str]:
    """Every sentence of a source file, with its Markdown markup taken off."""
    text = ftfy.fix_text(path.read_text(encoding="utf-8"), uncurl_quotes=False)
    body = text.split("---", 2)[2]
    fragments = []
    for line in body.splitlines():
        line = re.sub(r"^\s*(#+|[*+-])\s+", "", line)
        line = line.replace("**", "")
        for fragment in re.split(r"(?<=[.!?:])\s+", line):
            fragment = normalise(fragment).rstrip(":")
            if len(fragment) > 2:
                fragments.append(fragment)
    return fragments


def write(tmp_path, name, content, encoding="utf-8"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding=encoding)
    return path


def test_seed_becomes_a_structured_monograph(seed_drug):
    assert seed_drug.title == "Isotretinoin (Systemic)"
    assert seed_drug.generic_name == "Isotretinoin (Systemic)"
    assert seed_drug.status == Status.PUBLISHED
    assert [s.kind for s in seed_drug.sections.all()] == [
        SectionKind.USAGE,
        SectionKind.DOSAGE,
        SectionKind.SIDE_EFFECTS,
        SectionKind.HOW_IT_WORKS,
        SectionKind.PRECAUTIONS,
        SectionKind.FAQS,
        SectionKind.DISCLAIMER,
    ]
    assert seed_drug.faqs.count() == 6
    assert seed_drug.faqs.first().question == "How long does it take to see results?"


def test_side_effect_tiers_are_read_from_their_lead_in(seed_drug):
    effects = {e.name: e for e in seed_drug.side_effects.all()}
    assert len(effects) == 15
    assert effects["Nosebleeds"].severity == Severity.MILD
    assert effects["Nosebleeds"].frequency == Frequency.COMMON
    pancreatitis = effects["Pancreatitis"]
    assert pancreatitis.detail == "inflammation of the pancreas"
    assert pancreatitis.severity == Severity.SERIOUS
    assert pancreatitis.frequency == Frequency.UNCOMMON
    # An allergic reaction is left for a pharmacist to raise to an emergency.
    assert effects["Severe allergic reactions"].severity == Severity.SERIOUS


def test_every_sentence_of_the_seed_appears_on_its_page(seed_drug, client):
    text = page_text(client.get(seed_drug.get_absolute_url()).content.decode())
    missing = [f for f in source_fragments(SEED) if f not in text]
    assert missing == []


def test_mojibake_is_repaired(seed_drug):
    disclaimer = seed_drug.sections.get(kind=SectionKind.DISCLAIMER)
    assert "doctor’s instructions" in disclaimer.body
    assert "â€" not in disclaimer.body


def test_reimporting_an_unchanged_file_changes_nothing(seed_drug, capsys):
    before = Drug.objects.get(pk=seed_drug.pk)
    effect_ids = list(SideEffect.objects.values_list("pk", flat=True))
    call_command("import_monographs", str(SEED))
    after = Drug.objects.get(pk=seed_drug.pk)
    assert "0 created, 0 updated, 1 unchanged" in capsys.readouterr().out
    assert (after.edit_count, after.updated) == (before.edit_count, before.updated)
    assert list(SideEffect.objects.values_list("pk", flat=True)) == effect_ids


def test_a_newer_reader_reads_an_unchanged_file_again(seed_drug, capsys):
    # As a monograph read by an earlier version of the importer is.
    Drug.objects.filter(pk=seed_drug.pk).update(read_by=READER_VERSION - 1)
    SideEffect.objects.filter(drug=seed_drug).delete()
    call_command("import_monographs", str(SEED))
    assert "0 created, 1 updated, 0 unchanged" in capsys.readouterr().out
    drug = Drug.objects.get(pk=seed_drug.pk)
    assert (drug.read_by, drug.side_effects.exists()) == (READER_VERSION, True)
    call_command("import_monographs", str(SEED))
    assert "0 created, 0 updated, 1 unchanged" in capsys.readouterr().out


def test_a_newer_reader_leaves_a_monograph_edited_in_the_portal_alone(seed_drug, capsys):
    Drug.objects.filter(pk=seed_drug.pk).update(read_by=READER_VERSION - 1)
    drug = Drug.objects.get(pk=seed_drug.pk)
    drug.introduction += " Edited."
    drug.save()
    call_command("import_monographs", str(SEED))
    assert "0 updated, 0 unchanged, 1 skipped" in capsys.readouterr().out
    assert Drug.objects.get(pk=seed_drug.pk).introduction.endswith(" Edited.")


def test_a_changed_file_updates_its_monograph(db, tmp_path):
    path = write(tmp_path, "t.md", MONOGRAPH.format(title="Testamine"))
    call_command("import_monographs", str(path), verbosity=0)
    path.write_text(MONOGRAPH.format(title="Testamine").replace("* Headache\n", ""))
    call_command("import_monographs", str(path), verbosity=0)
    drug = Drug.objects.get(slug="testamine")
    assert [e.name for e in drug.side_effects.all()] == ["Nausea"]


def test_a_monograph_edited_in_the_portal_is_not_overwritten(db, tmp_path, capsys):
    path = write(tmp_path, "t.md", MONOGRAPH.format(title="Testamine"))
    call_command("import_monographs", str(path), verbosity=0)
    drug = Drug.objects.get(slug="testamine")
    drug.generic_name = "Edited by a pharmacist"
    drug.save()
    path.write_text(MONOGRAPH.format(title="Testamine").replace("Used in tests.", "Changed."))
    call_command("import_monographs", str(path))
    captured = capsys.readouterr()
    assert "1 skipped" in captured.out
    assert "edited in the portal" in captured.err
    assert Drug.objects.get(pk=drug.pk).generic_name == "Edited by a pharmacist"
    call_command("import_monographs", str(path), "--force", verbosity=0)
    assert Drug.objects.get(pk=drug.pk).generic_name == "Testamine"


def test_dry_run_writes_nothing(db, capsys):
    call_command("import_monographs", str(SEED), "--dry-run")
    assert "Dry run, nothing written" in capsys.readouterr().out
    assert not Drug.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("# Title\n\nNo front matter here.\n", "no front matter"),
        ("---\nlayout: x\n---\n# X\n", "no 'title'"),
        ("---\ntitle: [unclosed\n---\n# X\n", "invalid YAML"),
    ],
)
def test_a_bad_file_is_named_and_the_others_still_import(db, tmp_path, capsys, content, message):
    bad = write(tmp_path, "bad.md", content)
    good = write(tmp_path, "good.md", MONOGRAPH.format(title="Testamine"))
    with pytest.raises(CommandError, match="1 of 2 files failed"):
        call_command("import_monographs", str(bad), str(good), verbosity=0)
    err = capsys.readouterr().err
    assert f"{bad}" in err and message in err
    assert list(Drug.objects.values_list("title", flat=True)) == ["Testamine"]


def test_invalid_yaml_is_reported_with_its_line(db, tmp_path, capsys):
    bad = write(tmp_path, "bad.md", "---\nlayout: x\ntitle: [unclosed\n---\n")
    with pytest.raises(CommandError):
        call_command("import_monographs", str(bad), verbosity=0)
    assert f"{bad}:3: error: invalid YAML" in capsys.readouterr().err


def test_windows_1252_text_is_decoded_with_a_warning(db, tmp_path, capsys):
    content = MONOGRAPH.format(title="Testamine").replace(
        "Used in tests.", "Used in tests – daily."
    )
    path = write(tmp_path, "t.md", content, encoding="cp1252")
    call_command("import_monographs", str(path))
    assert "read as Windows-1252" in capsys.readouterr().err
    usage = Drug.objects.get().sections.get(kind=SectionKind.USAGE)
    assert usage.body == "Used in tests – daily."


def test_a_file_without_sections_is_imported_as_a_draft(db, tmp_path, capsys):
    path = write(
        tmp_path,
        "refusal.md",
        "---\ntitle: Omega-\n---\n\n# Omega-\n\nPlease provide the full name of the medicine.\n",
    )
    call_command("import_monographs", str(path))
    drug = Drug.objects.get()
    assert drug.status == Status.DRAFT
    assert drug.introduction == "Please provide the full name of the medicine."
    assert "imported as a draft" in capsys.readouterr().err


def test_folders_are_searched_recursively(db, tmp_path):
    (tmp_path / "a").mkdir()
    write(tmp_path / "a", "one.md", MONOGRAPH.format(title="Testamine"))
    write(tmp_path, "two.md", MONOGRAPH.format(title="Otheramine"))
    call_command("import_monographs", str(tmp_path), verbosity=0)
    assert Drug.objects.count() == 2


def test_unstructured_side_effect_text_stays_in_the_section(db, tmp_path):
    content = MONOGRAPH.format(title="Testamine").replace(
        "* Nausea (feeling sick)\n",
        "* Nausea (feeling sick)\n\n  A second paragraph inside the item.\n",
    )
    call_command("import_monographs", str(write(tmp_path, "t.md", content)), verbosity=0)
    section = Drug.objects.get().sections.get(kind=SectionKind.SIDE_EFFECTS)
    assert "A second paragraph inside the item." in section.body


def test_a_10_mb_file_is_refused_without_being_read(db, tmp_path, capsys):
    big = tmp_path / "big.md"
    with big.open("wb") as handle:
        handle.write(MONOGRAPH.format(title="Bigamine").encode())
        handle.write(b"x" * (10 * 1024 * 1024))
    with pytest.raises(CommandError):
        call_command("import_monographs", str(big), verbosity=0)
    assert f"{big}: error: the file is 10," in capsys.readouterr().err
    assert not Drug.objects.exists()


def test_dry_run_reports_what_a_real_run_would_do(db, tmp_path, capsys):
    good = write(tmp_path, "good.md", MONOGRAPH.format(title="Testamine"))
    bad = write(tmp_path, "bad.md", "no front matter")
    with pytest.raises(CommandError):
        call_command("import_monographs", str(good), str(bad), "--dry-run")
    captured = capsys.readouterr()
    assert "Dry run, nothing written: 2 files: 1 created" in captured.out
    assert "1 failed" in captured.out
    assert f"{bad}:1: error: no front matter" in captured.err
    assert not Drug.objects.exists()


def test_an_imported_drug_is_indexed_as_a_full_reindex_would_index_it(seed_drug):
    def entry():
        return SearchEntry.objects.values(
            "names", "other_names", "effects", "uses", "text", "title_key", "parts"
        ).get(drug=seed_drug)

    imported = entry()
    assert "pancreatitis" in imported["effects"].split()
    search.reindex(Drug.objects.get(pk=seed_drug.pk))
    assert entry() == imported


def test_saving_a_drug_indexes_it_again_after_an_import(seed_drug):
    drug = Drug.objects.create(title="Newamine", status=Status.PUBLISHED)
    assert SearchEntry.objects.filter(drug=drug).exists()
