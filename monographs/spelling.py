"""Corrects query words against the portal's own vocabulary.

The vocabulary is every word of the published monographs' names (titles,
generic names, brand names, ingredients) and side-effect terms, with the
number of monographs using it. A word it lacks — and the full-text index
lacks too — is replaced by the closest word within 1 edit for words of 5 to 8
letters and 2 for longer ones (Damerau's optimal string alignment: a swap of
two letters is one edit), the most used one first; shorter words are never
replaced, only offered.

The vocabulary is read from the search index and kept in the process; it is
read again when the index has changed (a newer entry), which one small query
tells.
"""

import functools
import threading
from dataclasses import dataclass

from django.db import connections
from rapidfuzz import process
from rapidfuzz.distance import OSA

from . import search
from .choices import Status


def allowed_edits(word: str) -> int:
    """1 edit for words of 5–8 letters, 2 for 9 and more, none below 5."""
    if len(word) >= 9:
        return 2
    if len(word) >= 5:
        return 1
    return 0


@dataclass
class Vocabulary:
    counts: dict[str, int]  # word -> monographs using it
    choices: list[str]
    terms: list[str]  # distinct side-effect terms ("nosebleed", "allergic reaction")
    term_words: dict[str, int]
    # Each word of the terms, singular, and the terms holding it, in the terms' order:
    # what a lookup reads instead of every term.
    terms_by_word: dict[str, list[str]]


_lock = threading.Lock()
_kept: dict[str, tuple] = {}


def fingerprint(using: str = "default"):
    """The search index's state: when its newest entry was written.

    Every write of an entry sets its ``indexed_at`` (a drug's save, the
    admin's inlines, the importer), and a drug's deletion touches the newest
    remaining entry (:mod:`monographs.search`), so any change moves it. One
    read from the end of ``indexed_at``'s index, whatever the number of
    entries (a count of them read every one: 15 ms at 10,000 on PostgreSQL).
    """
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT MAX(indexed_at) FROM monographs_searchentry")
        return cursor.fetchone()[0]


class IndexState:
    """The index's state, asked at most once: for the several steps of one search."""

    def __init__(self, using: str = "default"):
        self.using = using

    @functools.cached_property
    def value(self):
        return fingerprint(self.using)


def vocabulary(using: str = "default", state: IndexState | None = None) -> Vocabulary:
    """The current vocabulary, read again only when the index has changed."""
    state = (state or IndexState(using)).value
    kept = _kept.get(using)
    if kept is not None and kept[0] == state:
        return kept[1]
    with _lock:
        built = _build(using)
        _kept[using] = (state, built)
    return built


def forget() -> None:
    """Drop the kept vocabularies and ranked keys (tests that rebuild the database between them)."""
    _kept.clear()
    search.forget()


def _build(using: str) -> Vocabulary:
    from .models import SearchEntry, SideEffect

    counts: dict[str, int] = {}
    rows = (
        SearchEntry.objects.using(using)
        .filter(drug__status=Status.PUBLISHED)
        .values_list("names", "other_names", "effects")
    )
    for row in rows.iterator(chunk_size=2000):
        for word in set(" ".join(row).split()):
            if len(word) >= 3 and not word.isdigit():
                counts[word] = counts.get(word, 0) + 1
    terms = list(
        SideEffect.objects.using(using)
        .filter(drug__status=Status.PUBLISHED)
        .order_by("term")
        .values_list("term", flat=True)
        .distinct()
    )
    terms = [t for t in terms if t]
    term_words: dict[str, int] = {}
    terms_by_word: dict[str, list[str]] = {}
    for term in terms:
        for word in search.words(term):
            term_words[word] = term_words.get(word, 0) + 1
        for word in {search.singular(w) for w in term.split()}:
            terms_by_word.setdefault(word, []).append(term)
    return Vocabulary(counts, list(counts), terms, term_words, terms_by_word)


def _candidates(word: str, choices, counts, edits: int, limit: int = 5) -> list[str]:
    if edits < 1:
        return []
    found = process.extract(word, choices, scorer=OSA.distance, score_cutoff=edits, limit=50)
    # The nearest first; among equally near words, the most used.
    found.sort(key=lambda hit: (hit[1], -counts.get(hit[0], 0), hit[0]))
    return [hit[0] for hit in found[:limit]]


def _indexed(word: str, using: str) -> bool:
    sql, params = search.engine(using).knows(word)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        return bool(row and row[0])


def correct(words, *, using: str = "default", state=None) -> dict[str, str]:
    """Replacements for the words neither the vocabulary nor the index knows, where one is near."""
    known = vocabulary(using, state)
    fixed = {}
    for word in dict.fromkeys(words):
        if word in known.counts or word in search.FILLER or allowed_edits(word) == 0:
            continue
        near = _candidates(word, known.choices, known.counts, allowed_edits(word), limit=1)
        if near and not _indexed(word, using):
            fixed[word] = near[0]
    return fixed


def alternatives(words, *, using: str = "default", limit: int = 3, state=None) -> list[str]:
    """Other queries to offer ("Did you mean …?"), one edit looser than :func:`correct`."""
    known = vocabulary(using, state)
    options = {}
    for word in dict.fromkeys(words):
        if word in known.counts or word in search.FILLER or word.isdigit():
            continue
        near = _candidates(word, known.choices, known.counts, allowed_edits(word) + 1, limit)
        if near:
            options[word] = near
    if not options:
        return []
    first = next(iter(options))
    queries = []
    for choice in options[first]:
        replaced = {w: near[0] for w, near in options.items()}
        replaced[first] = choice
        queries.append(" ".join(replaced.get(w, w) for w in words))
    return list(dict.fromkeys(queries))[:limit]


def correct_term(term: str, *, using: str = "default", state=None) -> str | None:
    """A side-effect term with its unknown words corrected against the terms' words, or None."""
    known = vocabulary(using, state)
    choices = list(known.term_words)
    changed = False
    fixed = []
    for word in term.split():
        if word not in known.term_words:
            near = _candidates(word, choices, known.term_words, allowed_edits(word), limit=1)
            if near:
                fixed.append(near[0])
                changed = True
                continue
        fixed.append(word)
    return " ".join(fixed) if changed else None
