"""The 300-file sample of the public corpus, which covers every format variant."""

import filecmp
import io
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from reversion.models import Revision

from bench import corpus_coverage
from monographs.importer.parse import decode
from monographs.models import Drug

from .conftest import DATA
from .factories import staff_login
from .textcheck import missing_lines

CORPUS = DATA / "corpus"
FILES = sorted(CORPUS.rglob("*.md"))
# Two files of the sample share the title "L-Methyl Folate + Methylcobalamin +
# Pyridoxal-" (the upstream generator dropped the digits of "Pyridoxal-5"):
# the second is kept as a draft, flagged as a possible duplicate of the first.
SHARED_TITLE = CORPUS / "l" / "l-methyl-folate-methylcobalamin-pyridoxal-.md"
SIDE_EFFECTS = re.compile(
    r"(?ims)^(?:#+\s*(?:[\w /]+ – )?(?:possible )?side effects\b[^\n]*"
    r"|\*\*(?:possible )?side effects:?\*\*:?[^\n]*)\n(.*?)"
    r"(?=^#+ |^\*\*(?:how it works|precautions|faqs?|dosage|usage|generic name)|\Z)"
)
FAQS = re.compile(r"(?ims)^(?:#+\s*faqs?|\*\*faqs?:?\*\*).*")
QUESTION = re.compile(r"(?m)^\s*(?:[*-]\s+)?\*\*(?:Q:)?[^*\n]*\?\s*\*\*|^\s*(?:[*-]\s+)?Q:")

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def imported(django_db_setup, django_db_blocker):
    """The whole sample, imported once through the command, with what it reported."""
    with django_db_blocker.unblock():
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("import_monographs", str(CORPUS), stdout=out, stderr=err)
            staff = get_user_model().objects.create_user("corpus-reader", is_staff=True)
            # Previewing drafts takes a permission to read monographs in the admin.
            staff.user_permissions.add(Permission.objects.get(codename="view_drug"))
            yield {"out": out.getvalue(), "err": err.getvalue(), "staff": staff}
        finally:
            # What this module committed must not leak into the tests after it.
            Drug.objects.all().delete()
            Revision.objects.all().delete()  # and the history the import recorded
            get_user_model().objects.filter(username="corpus-reader").delete()


def listed_side_effects(text: str) -> int:
    """How many side effects the source lists as bullets, counting "a, b, c" after a label."""
    count = 0
    for section in SIDE_EFFECTS.findall(text):
        for item in re.findall(r"(?m)^\s*(?:[*+-]|\d+[.)])\s+(\S.*)$", section):
            labelled = re.match(r"\*\*[^*]+\*\*:?\s*(.*)", item)
            count += labelled[1].count(",") + 1 if labelled and labelled[1] else 1
    return count


def drug_for(path: Path) -> Drug:
    return Drug.objects.get(source_path=str(path))


def test_the_sample_imports_with_its_second_file_of_a_title_flagged(imported):
    assert "300 files: 300 created" in imported["out"]
    assert "1 duplicates, 0 failed" in imported["out"]
    assert [line for line in imported["err"].splitlines() if ": error: " in line] == []
    first = drug_for(SHARED_TITLE.with_name("l-methyl-folate-methylcobalamin-pyridoxal.md"))
    second = drug_for(SHARED_TITLE)
    assert (second.duplicate_of, second.status, second.slug) == (first, "draft", f"{first.slug}-2")


def test_every_line_of_every_sample_file_is_on_its_page(imported, client):
    staff_login(client, imported["staff"])  # drafts are shown to staff only
    missing = {}
    for path in FILES:
        response = client.get(drug_for(path).get_absolute_url())
        assert response.status_code == 200
        lines = missing_lines(decode(path.read_bytes())[0], response.content.decode())
        if lines:
            missing[str(path.relative_to(CORPUS))] = lines
    assert missing == {}


def test_files_that_list_side_effects_yield_structured_ones(imported):
    listing = [p for p in FILES if listed_side_effects(p.read_text()) >= 3]
    structured = [p for p in listing if drug_for(p).side_effects.count() >= 3]
    assert len(listing) > 200
    assert len(structured) / len(listing) >= 0.95, sorted(set(listing) - set(structured))


def test_files_with_faqs_yield_clean_questions_and_answers(imported):
    with_faqs = [
        p for p in FILES if (faqs := FAQS.search(p.read_text())) and QUESTION.search(faqs[0])
    ]

    def clean(path):
        faqs = list(drug_for(path).faqs.all())
        return faqs and all(
            f.question.endswith("?") and not f.answer.startswith(("A:", "**")) for f in faqs
        )

    good = [p for p in with_faqs if clean(p)]
    assert len(with_faqs) > 200
    assert len(good) / len(with_faqs) >= 0.95, sorted(set(with_faqs) - set(good))


def test_the_sample_meets_the_coverage_targets_as_the_coverage_script_measures_them(
    imported, client
):
    staff_login(client, imported["staff"])
    coverage = corpus_coverage.measure(
        FILES, drug_for, lambda drug: client.get(drug.get_absolute_url()).content.decode()
    )
    assert len(coverage.listing) > 200 and len(coverage.with_faqs) > 200
    for name, target in corpus_coverage.TARGETS.items():
        assert coverage.share(name) >= target, (name, coverage.report())


def test_refusals_are_drafts_that_the_importer_never_publishes(imported):
    for name in ["h/hydrochloride.md", "o/omega.md"]:
        assert drug_for(CORPUS / name).status == "draft"


def test_reimporting_the_sample_changes_nothing(imported):
    before = list(Drug.objects.order_by("pk").values_list("pk", "edit_count", "updated"))
    out = io.StringIO()
    call_command("import_monographs", str(CORPUS), stdout=out, stderr=io.StringIO())
    assert "0 created, 0 updated, 300 unchanged" in out.getvalue()
    assert list(Drug.objects.order_by("pk").values_list("pk", "edit_count", "updated")) == before


SIDE_EFFECT_FIELDS = [
    "name", "detail", "severity", "frequency", "body_system",
    "tier_label", "written_inline", "separator", "list_end", "list_start",
]  # fmt: skip


def content() -> dict:
    """Everything a monograph says, without ids, dates or import bookkeeping."""
    return {
        drug.slug: (
            drug.title,
            drug.generic_name,
            drug.introduction,
            drug.status,
            drug.front_matter,
            [i.name for i in drug.ingredients.all()],
            [(s.kind, s.heading, s.body) for s in drug.sections.all()],
            [[getattr(e, field) for field in SIDE_EFFECT_FIELDS] for e in drug.side_effects.all()],
            [(f.question, f.answer) for f in drug.faqs.all()],
        )
        for drug in Drug.objects.for_detail()
    }


def test_import_export_import_changes_nothing(imported, tmp_path):
    before = content()
    call_command("export_monographs", str(tmp_path / "first"), stdout=io.StringIO())
    call_command("export_monographs", str(tmp_path / "second"), stdout=io.StringIO())
    comparison = filecmp.dircmp(tmp_path / "first", tmp_path / "second")
    assert not comparison.diff_files and not comparison.left_only and not comparison.right_only

    out = io.StringIO()
    call_command("import_monographs", str(tmp_path / "first"), stdout=out, stderr=io.StringIO())
    assert "0 created, 300 updated" in out.getvalue()
    assert content() == before


def test_acne_ranks_isotretinoin_in_the_top_three(imported, client):
    response = client.get("/drugs/", {"q": "acne"})
    top = [drug.slug for drug in response.context["drug_list"][:3]]
    assert any(slug.startswith("isotretinoin") for slug in top), top


def test_the_lookup_for_serious_pancreatitis_lists_isotretinoin(imported, client):
    response = client.get("/side-effects/", {"q": "pancreatitis", "severity": "serious"})
    assert "isotretinoin-systemic" in [e.drug.slug for e in response.context["matches"]]


@pytest.mark.parametrize(
    "section, lists",
    [
        ("* Rash\n* Itching\n* **Important Note:** If any occur, see a doctor.", False),
        ("* Rash\n* Itching\n* If any occur, see a doctor.", False),
        ("If any reaction occurs, discontinue use and consult a doctor.", False),
        ("* **Common:** Nausea, headache, dizziness.", True),
        ("* Rash\n* **Serious:** Seizures, fainting.", True),
        ("Common side effects include nausea, headache and dizziness.", True),
    ],
)
def test_the_coverage_counts_lists_of_side_effects_not_notes_or_advice(section, lists):
    text = f"### Side Effects\n\n{section}\n\n### How it Works\n\nIt works.\n"
    assert corpus_coverage.lists_side_effects(text) is lists
