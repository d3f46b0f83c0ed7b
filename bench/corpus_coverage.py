"""How much of a corpus the importer structures, for any folder of monographs.

    .venv/bin/python bench/corpus_coverage.py [FOLDER]   (default: tests/data/corpus)

Imports the folder into a throwaway SQLite database, renders every monograph's
page as staff sees it (drafts included) and prints three figures:

- side effects: of the files whose side-effects section lists at least three
  things (three bullets, or a sentence naming three: "a, b and c"), the share
  whose monograph has at least three structured side effects, each with a
  severity; the target is 99%;
- text lines: of all text lines of all files (front matter left out), the
  share whose words stand, in order, on the monograph's page; target 99.9%;
- FAQs: of the files with questions and answers, the share whose FAQs all
  come out clean (a question ending in "?", an answer without a leftover "A:"
  or bold marker); target 99.5%.

tests/test_corpus.py holds the sample to the same targets with the same code.
"""

import contextlib
import io
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIDE_EFFECTS = re.compile(
    r"(?ims)^(?:#+\s*(?:[\w /]+ – )?(?:[\w /]+\s)?(?:possible )?side effects\b[^\n]*"
    r"|\*\*(?:[\w /]+ – )?(?:possible )?side effects:?\*\*:?[^\n]*)\n?(.*?)"
    r"(?=^#+ |^\*\*(?:how it works|precautions|faqs?|dosage|usage|generic name)|\Z)"
)
FAQS = re.compile(r"(?ims)^(?:#+\s*faqs?|\*\*faqs?:?\*\*).*")
QUESTION = re.compile(r"(?m)^\s*(?:[*-]\s+)?\*\*(?:Q:)?[^*\n]*\?\s*\*\*|^\s*(?:[*-]\s+)?Q:")
BULLET = re.compile(r"(?m)^\s*(?:[*+-]|\d+[.)])\s+\S")
# Three things named in one sentence: "a, b and c", "a, b, or c" -- short
# phrases, none of them a clause ("if you experience any, especially if ...").
SENTENCE_LIST = re.compile(r"[^.,;:\n]+(?:,[^.,;:\n]+)+,?\s+(?:and|or)\s+[^.,;:\n]+")
CLAUSE_WORDS = re.compile(
    r"\b(if|you|your|may|can|could|should|would|is|are|was|were|has|have|had|not|any|this|"
    r"that|these|it|its|which|who|been|be|do|does|will)\b",
    re.I,
)

# Neither a side effect nor a list of them: a bullet that is a note ("**Important
# Note:** …") or advice ("If … occurs, stop …"); in a sentence, what to do
# ("If a rash occurs, stop use and see a doctor").
NOTE_BULLET = re.compile(
    r"(?im)^\s*(?:[*+-]|\d+[.)])\s+(?:\*\*)?(?:(?:important |please )?notes?|important|"
    r"disclaimer|warnings?|caution)\b|^\s*(?:[*+-]|\d+[.)])\s+(?:\*\*)?if\b"
)
ADVICE = re.compile(
    r"^\W*(?:discontinue|consult|seek|stop|contact|call|tell|talk|see|avoid)\b", re.I
)

QUALIFIER = re.compile(r"(?:especially|particularly|mainly|mostly|usually|typically)\b", re.I)

TARGETS = {"side_effects": 0.99, "lines": 0.999, "faqs": 0.995}


LABELLED_ITEM = re.compile(r"(?m)^\s*(?:[*+-]|\d+[.)])\s+\*\*[^*\n]+\*\*:?[ \t]*(\S[^\n]*)$")


def _labelled_terms(sections: str) -> int:
    """Things named after bullets' labels ("* **Common:** a, b, c."), beyond one a bullet."""
    extra = 0
    for rest in LABELLED_ITEM.findall(sections):
        first = re.sub(r"\([^)]*\)", "", re.split(r"(?<=[.!?])\s", rest, maxsplit=1)[0])
        terms = [t for t in re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", first) if t.strip()]
        # "Allergic reactions, particularly in …" names one thing: a list ends at its qualifier.
        qualified = [i for i, t in enumerate(terms) if i and QUALIFIER.match(t.strip())]
        terms = terms[: qualified[0]] if qualified else terms
        if len(terms) > 1 and all(
            len(t.split()) <= 6 and not CLAUSE_WORDS.search(t) for t in terms
        ):
            extra += len(terms) - 1
    return extra


def lists_side_effects(text: str) -> bool:
    """Whether a file's side-effects section lists at least three things."""
    sections = "\n".join(SIDE_EFFECTS.findall(text))
    bullets = len(BULLET.findall(sections)) - len(NOTE_BULLET.findall(sections))
    if bullets + _labelled_terms(sections) >= 3:
        return True
    for match in SENTENCE_LIST.finditer(re.sub(r"\([^)]*\)", "", sections)):
        terms = re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", match[0])
        named = [t for t in terms[1:] if t.strip() and len(t.split()) <= 6]
        clauses = any(CLAUSE_WORDS.search(term) or ADVICE.search(term) for term in terms[1:])
        if len(terms) >= 3 and len(named) == len(terms) - 1 and not clauses:
            return True
    return False


def has_faqs(text: str) -> bool:
    faqs = FAQS.search(text)
    return bool(faqs and QUESTION.search(faqs[0]))


def faqs_clean(faqs) -> bool:
    return bool(faqs) and all(
        f.question.endswith("?") and not f.answer.startswith(("A:", "**")) for f in faqs
    )


@dataclass
class Coverage:
    files: int = 0
    listing: list[Path] = field(default_factory=list)
    structured: list[Path] = field(default_factory=list)
    lines: int = 0
    missing: dict[Path, list[str]] = field(default_factory=dict)
    with_faqs: list[Path] = field(default_factory=list)
    clean_faqs: list[Path] = field(default_factory=list)

    def share(self, name: str) -> float:
        if name == "side_effects":
            return len(self.structured) / len(self.listing) if self.listing else 1.0
        if name == "lines":
            lost = sum(len(lines) for lines in self.missing.values())
            return 1 - lost / self.lines if self.lines else 1.0
        return len(self.clean_faqs) / len(self.with_faqs) if self.with_faqs else 1.0

    def report(self) -> str:
        lost = sum(len(lines) for lines in self.missing.values())
        rows = [
            (
                "side effects",
                "side_effects",
                f"{len(self.structured)} of {len(self.listing)} files",
            ),
            ("text lines", "lines", f"{self.lines - lost} of {self.lines} lines"),
            ("FAQs clean", "faqs", f"{len(self.clean_faqs)} of {len(self.with_faqs)} files"),
        ]
        out = [f"{self.files} files"]
        for label, name, detail in rows:
            share, target = self.share(name), TARGETS[name]
            verdict = "met" if share >= target else "MISSED"
            out.append(
                f"{label:13} {100 * share:7.2f} %  ({detail}; target {100 * target:g} %: {verdict})"
            )
        return "\n".join(out)


def measure(files: list[Path], drug_for, page_for) -> Coverage:
    """The figures for ``files``, given each one's drug and its page's HTML."""
    from monographs.importer.parse import decode
    from tests.textcheck import missing_lines, source_lines

    coverage = Coverage(files=len(files))
    for path in files:
        text = decode(path.read_bytes())[0]
        drug = drug_for(path)
        if lists_side_effects(text):
            coverage.listing.append(path)
            if drug is not None and drug.side_effects.count() >= 3:  # each has a severity
                coverage.structured.append(path)
        coverage.lines += len(source_lines(text))
        missing = missing_lines(text, page_for(drug)) if drug is not None else source_lines(text)
        if missing:
            coverage.missing[path] = missing
        if has_faqs(text):
            coverage.with_faqs.append(path)
            if drug is not None and faqs_clean(list(drug.faqs.all())):
                coverage.clean_faqs.append(path)
    return coverage


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "data" / "corpus"
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/coverage.sqlite3"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
        os.environ["DJANGO_PAGE_CACHE"] = "0"
        import django

        django.setup()
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.core.management import CommandError, call_command
        from django.test import Client

        from monographs.models import Drug

        settings.ALLOWED_HOSTS = ["*"]
        call_command("migrate", verbosity=0)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.suppress(CommandError):
            call_command("import_monographs", str(folder), stdout=out, stderr=err)
        print(out.getvalue().strip())
        files = sorted(
            p for p in folder.rglob("*") if p.is_file() and p.suffix in {".md", ".markdown", ".txt"}
        )
        drugs = {drug.source_path: drug for drug in Drug.objects.all()}
        # Drafts show on their pages only to staff who may edit them and who
        # passed the second factor, as a code from an authenticator app does.
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        staff = get_user_model().objects.create_superuser("coverage")
        client = Client()
        client.force_login(staff)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.create(
            user=staff, name="coverage", confirmed=True
        ).persistent_id
        session.save()
        coverage = measure(
            files,
            lambda path: drugs.get(str(path)),
            lambda drug: client.get(drug.get_absolute_url()).content.decode(),
        )
        print(coverage.report())
        worst = sorted(coverage.missing.items(), key=lambda item: -len(item[1]))[:5]
        for path, lines in worst:
            print(f"  {path}: {len(lines)} lines not on its page, e.g. {lines[0][:100]!r}")
        for path in sorted(set(coverage.listing) - set(coverage.structured))[:20]:
            print(f"  side effects not structured: {path}")


if __name__ == "__main__":
    main()
