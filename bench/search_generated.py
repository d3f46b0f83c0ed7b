"""Scores the search on whatever corpus a database holds, with generated queries.

    DATABASE_URL=sqlite:///corpus.sqlite3 .venv/bin/python bench/search_generated.py [--seed 7]

tests/data/search_queries.tsv is written by hand for the sample corpus; this
makes queries of the same five kinds from the published monographs of any
database (import a corpus first with ``manage.py import_monographs``), so a
larger corpus can be scored without a hand-written set:

- exact: a title as it stands (150 single medicines, 50 combinations), first;
- misspelt: a one-word name of 5+ letters with one mistake (a letter dropped,
  doubled, swapped with the next or wrong; a second one in half the names of
  9+ letters), in the first 3;
- words: a single medicine's name with words around it ("… side effects",
  "how does … work", "… hydrochloride", "… 500 mg"), first;
- start: the first two thirds of a one-word name (5 letters at least), in the
  first 3;
- condition: a condition or symptom, expecting any monograph whose usage
  section names it, in the first 5.

Prints each kind's share against the targets of tests/search_quality.py and
the queries that missed.
"""

import argparse
import os
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AROUND = [
    "{} side effects",
    "{} dosage",
    "{} precautions",
    "how does {} work",
    "{} uses",
    "side effects of {}",
    "{} hydrochloride",
    "{} sodium",
    "{} 500 mg",
    "{} tablets",
    "what is {} used for",
    "{} interactions",
]
CONDITIONS = [
    "acne", "heartburn", "hypertension", "diabetes", "epilepsy", "asthma", "malaria",
    "tuberculosis", "migraine", "insomnia", "depression", "psoriasis", "gout", "glaucoma",
    "anemia", "HIV", "arthritis", "cough", "constipation", "diarrhea", "allergies",
    "fungal infections", "angina", "schizophrenia", "osteoporosis", "nausea", "pain", "fever",
    "eczema", "hypothyroidism", "parkinson's disease", "urinary tract infections",
    "erectile dysfunction", "heart failure", "high cholesterol", "worms", "scabies",
    "anxiety", "peptic ulcer", "vertigo",
]  # fmt: skip
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def mistake(word: str, rng: random.Random) -> str:
    """``word`` with one of the mistakes people make, inside the word."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["drop", "double", "swap", "wrong"])
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice(LETTERS.replace(word[i], "")) + word[i + 1 :]


def generate(rows: list[tuple[str, str]], usage: dict[str, str], rng: random.Random) -> list:
    """(kind, query, expected slugs, k) for the published ``rows`` of (slug, title)."""

    def key(title: str) -> str:
        return re.sub(r"[^a-z0-9]+", " ", title.lower()).strip()

    same_name = defaultdict(list)
    for slug, title in rows:
        same_name[key(title)].append(slug)
    singles = [(s, t) for s, t in rows if "+" not in t]
    combinations = [(s, t) for s, t in rows if "+" in t]
    one_word = [
        (s, t.strip().lower()) for s, t in singles if re.fullmatch(r"[A-Za-z]{5,}", t.strip())
    ]
    queries = []
    for _, title in rng.sample(singles, min(150, len(singles))) + rng.sample(
        combinations, min(50, len(combinations))
    ):
        queries.append(("exact", title, same_name[key(title)], 1))
    for _, word in rng.sample(one_word, min(150, len(one_word))):
        typed = mistake(word, rng)
        if len(word) >= 9 and rng.random() < 0.5:
            typed = mistake(typed, rng)
        if typed != word:
            queries.append(("misspelt", typed, same_name[key(word)], 3))
    for _, title in rng.sample(singles, min(100, len(singles))):
        typed = rng.choice(AROUND).format(title.lower())
        # "flucloxacillin sodium" may be a monograph's own name.
        expected = same_name[key(title)] + same_name.get(key(typed), [])
        queries.append(("words", typed, expected, 1))
    for _, word in rng.sample(one_word, min(100, len(one_word))):
        start = word[: max(5, round(len(word) * 2 / 3))]
        if start != word:
            queries.append(("start", start, same_name[key(word)], 3))
    for condition in CONDITIONS:
        named = condition.lower().removesuffix("s")
        expected = [slug for slug, text in usage.items() if named in text]
        if expected:
            queries.append(("condition", condition, expected, 5))
    return queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7, help="which names are picked (7)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from monographs import search
    from monographs.models import Drug, Section
    from tests.search_quality import TARGETS

    published = Drug.objects.published()
    rows = list(published.order_by("slug").values_list("slug", "title"))
    usage = defaultdict(str)
    sections = Section.objects.filter(drug__in=published, kind="usage")
    for slug, body in sections.values_list("drug__slug", "body"):
        usage[slug] += " " + body.lower()
    queries = generate(rows, usage, random.Random(args.seed))
    found, misses = defaultdict(lambda: [0, 0]), []
    for kind, query, expected, k in queries:
        top = [drug.slug for drug in published.only("slug").search(query).drugs[:k]]
        hit = bool(set(expected) & set(top))
        found[kind][0] += hit
        found[kind][1] += 1
        if not hit:
            misses.append((kind, query, expected[:3], top))
    print(f"{len(rows):,} published monographs, {search.backend_name()}, seed {args.seed}")
    for kind, (hits, total) in found.items():
        verdict = "met" if hits / total >= TARGETS[kind] else "MISSED"
        share = f"{hits:4}/{total:<4} {hits / total:7.1%}"
        print(f"  {kind:10} {share}  (target {TARGETS[kind]:.0%}: {verdict})")
    for miss in misses:
        print("  missed:", *miss)


if __name__ == "__main__":
    main()
