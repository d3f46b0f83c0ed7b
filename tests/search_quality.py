"""Scores the search against tests/data/search_queries.tsv (used by test_search_quality)."""

import csv
from collections import defaultdict
from pathlib import Path

QUERIES = Path(__file__).parent / "data" / "search_queries.tsv"

# What each kind must reach: the share of its queries finding an expected
# monograph within their k first results (issue 12).
TARGETS = {"exact": 1.0, "misspelt": 0.9, "words": 1.0, "start": 1.0, "condition": 2 / 3}


def load(path=QUERIES) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def score(search, rows) -> tuple[dict, list]:
    """Per kind: (found, total); and the queries that missed, with what came first."""
    found = defaultdict(lambda: [0, 0])
    misses = []
    for row in rows:
        k = int(row["k"])
        expected = set(row["expected"].split())
        top = search(row["query"], k)
        hit = bool(expected & set(top))
        found[row["kind"]][0] += hit
        found[row["kind"]][1] += 1
        if not hit:
            misses.append((row["kind"], row["query"], top))
    return {kind: tuple(counts) for kind, counts in found.items()}, misses


def report(figures) -> str:
    return ", ".join(
        f"{kind} {hits}/{total} ({hits / total:.0%})" for kind, (hits, total) in figures.items()
    )
