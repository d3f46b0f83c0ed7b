"""The one search layer: the index, ranking, names first, prefixes and corrections.

Every reader-facing search goes through here — the drug list, the search
box's suggestions, compare, the side-effect lookup and the API — by way of
:meth:`monographs.models.DrugQuerySet.search` (a ranked, corrected search of
the drugs of a queryset) and :meth:`~monographs.models.DrugQuerySet.suggest`.

The index is one :class:`~monographs.models.SearchEntry` row a drug, holding
the words of its parts in columns weighted from names down to the rest of the
text, and the database's own full-text engine over it:

* SQLite: an FTS5 table kept by triggers, ranked by ``bm25()`` with column weights;
* PostgreSQL: a generated, weighted ``tsvector`` column with a GIN index,
  ranked by ``ts_rank_cd``.

Both read the same words: the columns hold plain lower-case words (accents
and punctuation removed here), so the two engines tokenise them alike and
give the same answers. A query is parsed here too, into plain words, so that
nothing a reader types is ever read as query syntax (quotes, ``AND``,
``NEAR(``, ``*``, ``col:``, ``^``).

A drug's index entry is written by :func:`reindex` (the admin after saving the
inlines, the importer, the scale data); a save of the drug alone refreshes
its names (:func:`connect_signals`).
"""

import itertools
import re
import unicodedata
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connection, connections, transaction
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from .choices import SectionKind
from .recent import RecentlyUsed

# The columns and their weights, names first (the order: title and
# generic name, then brand names and ingredients, then side effects, then the text).
COLUMNS = ("names", "other_names", "effects", "uses", "text")
SQLITE_WEIGHTS = (10.0, 6.0, 2.5, 2.5, 1.0)
# ts_rank_cd's weights are listed {D, C, B, A}: text, side effects and uses, other names, names.
POSTGRES_WEIGHTS = "{0.1, 0.25, 0.6, 1.0}"

# What a query may hold at most; the rest is ignored rather than refused.
MAX_WORDS = 12
MAX_QUERY_CHARACTERS = 200

_WORD = re.compile(r"[^\W_]+")

# A medicine's forms, filler that may also end a monograph's name: "Sterile Water for Injection".
FORMS = frozenset(
    [
        "tablet",
        "tablets",
        "capsule",
        "capsules",
        "syrup",
        "suspension",
        "injection",
        "cream",
        "gel",
        "ointment",
        "lotion",
        "drops",
        "spray",
    ]
)
# Words readers add to a medicine's name that name no medicine: "metformin
# side effects", "how does warfarin work", "dosage of amoxicillin".
FILLER = (
    frozenset(
        [
            "a",
            "an",
            "the",
            "of",
            "for",
            "to",
            "in",
            "on",
            "with",
            "and",
            "or",
            "plus",
            "vs",
            "versus",
            "what",
            "is",
            "are",
            "does",
            "do",
            "how",
            "work",
            "works",
            "working",
            "side",
            "effect",
            "effects",
            "adverse",
            "reaction",
            "reactions",
            "dosage",
            "dose",
            "doses",
            "dosing",
            "precaution",
            "precautions",
            "warning",
            "warnings",
            "use",
            "uses",
            "used",
            "usage",
            "interaction",
            "interactions",
            "faq",
            "faqs",
            "information",
            "info",
            "about",
            "mg",
            "mcg",
            "ml",
        ]
    )
    | FORMS
)
# Filler that never ends a monograph's name: set aside around a name first.
AROUND_A_NAME = FILLER - FORMS
# The salt or ester a pack adds to a medicine's name ("metformin hydrochloride",
# "amlodipine besylate", "diclofenac sodium"), while monographs name the
# medicine alone: left out of the words to match when one other word names
# it, kept when they are the name ("sodium chloride", "magnesium sulfate").
SALTS = frozenset(
    [
        "hydrochloride",
        "hcl",
        "dihydrochloride",
        "hydrobromide",
        "sodium",
        "potassium",
        "calcium",
        "magnesium",
        "besylate",
        "besilate",
        "maleate",
        "mesylate",
        "mesilate",
        "sulfate",
        "sulphate",
        "citrate",
        "acetate",
        "phosphate",
        "succinate",
        "tartrate",
        "fumarate",
        "bromide",
        "chloride",
        "hyclate",
        "propionate",
        "dipropionate",
        "valerate",
        "furoate",
        "monohydrate",
        "dihydrate",
        "trihydrate",
        "anhydrous",
    ]
)
# A strength as printed on a pack: "500 mg", "500mg", "5 ml".
UNITS = frozenset({"mg", "mcg", "g", "ml", "iu"})
_STRENGTH = re.compile(r"\d+(?:mg|mcg|g|ml|iu)")
# Words joining the parts of a combination's name: "amoxicillin and clavulanic acid".
CONNECTORS = frozenset({"and", "with", "plus"})


def words(text: str) -> list[str]:
    """Plain lower-case words, accents and punctuation removed: what the index holds."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _WORD.findall(text)


def plain(text: str) -> str:
    return " ".join(words(text))


def name_key(text: str) -> str:
    """A name compared whatever its case, punctuation or ``+``: "amoxicillin clavulanic acid"."""
    return " ".join(w for w in words(text) if w not in CONNECTORS)[:500]


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if re.search(r"(ch|sh|x|ss|z)es$", word) and not word.endswith("aches"):
        return word[:-2]
    if word.endswith("s") and len(word) > 3 and not re.search(r"(ss|us|is|ous|sis|xis)$", word):
        return word[:-1]
    return word


def variants(word: str) -> list[str]:
    """A word with its singular or plural: "nosebleed", "nosebleeds"."""
    one = singular(word)
    forms = [word, one] if one != word else [word, word + "s"]
    if one.endswith("y") and one != word:
        forms.append(one[:-1] + "ies")
    return list(dict.fromkeys(forms))


@dataclass(frozen=True)
class Query:
    """What a reader typed, as words to search for."""

    typed: str
    words: tuple[str, ...]
    # The words naming the medicine: the typed ones less "side effects", "dosage"...
    name_words: tuple[str, ...]
    # Whether the last word may be the start of a longer one ("atorvast").
    last_is_prefix: bool = True
    # The keys of the names it may be, closest to what was typed first (:meth:`keys`).
    names: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str, *, last_is_prefix: bool = True) -> "Query":
        found = tuple(words(text[:MAX_QUERY_CHARACTERS])[:MAX_WORDS])
        # Filler around a name that may hold some: "sterile water for injection uses".
        around = found
        while len(around) > 1 and around[-1] in AROUND_A_NAME:
            around = around[:-1]
        while len(around) > 1 and around[0] in AROUND_A_NAME:
            around = around[1:]
        without_filler = tuple(w for w in found if w not in FILLER) or found
        # "metformin hcl 500 mg": the words naming the medicine, less those of its pack
        # (a strength, a salt), unless they are all there is ("sodium chloride").
        amounts = {w for w, unit in itertools.pairwise(found) if w.isdigit() and unit in UNITS}
        without_strength = (
            tuple(w for w in without_filler if not (_STRENGTH.fullmatch(w) or w in amounts))
            or without_filler
        )
        naming = tuple(w for w in without_strength if w not in SALTS) or without_strength
        # A salt added after a name that holds one: "choline citrate sodium".
        salt_added = without_strength
        if len(salt_added) > 1 and salt_added[-1] in SALTS:
            salt_added = salt_added[:-1]
        names = (found, around, without_filler, without_strength, salt_added, naming)
        keys = tuple(name_key(" ".join(name)) or "-" for name in names)
        return cls(text, found, naming, last_is_prefix, keys)

    def __bool__(self) -> bool:
        return bool(self.words)

    @property
    def keys(self) -> tuple[str, ...]:
        """The name keys an exact name would have, closest to what was typed first:
        as typed; without filler around it; without any filler word; without a
        strength too; without a salt added after the name; without any salt."""
        return self.names

    def replaced(self, corrections: dict[str, str]) -> "Query":
        fixed = " ".join(corrections.get(w, w) for w in self.words)
        return Query.parse(fixed, last_is_prefix=False)

    def text(self) -> str:
        return " ".join(self.words)


def _named(query: Query, condition: str):
    """SQL true where the title or generic name holds a word starting with each name word.

    Such a drug is named by the query ("paracetamol" names Paracetamol and
    Paracetamol + Codeine, not a monograph that mentions it); a single
    medicine so named comes before the combinations so named.
    """
    sql = " AND ".join(f"({condition})" for _ in query.name_words) or "1 = 0"
    return f"({sql})", [f"% {word}%" for word in query.name_words]


def _exact(keys: list[str], cast: str = "") -> tuple[str, list[str]]:
    """SQL scoring a drug whose title or generic name is one of ``keys`` (closest
    first): "Zinc Citrate" typed finds Zinc Citrate before Zinc; "testosterone
    propionate precautions" finds Testosterone Propionate before Testosterone."""
    terms = [
        f"(e.title_key = %s){cast} * {2 * weight} + (e.generic_key = %s){cast} * {weight}"
        for weight in (243, 81, 27, 9, 3, 1)[: len(keys)]
    ]
    return " + ".join(terms), [key for key in keys for _ in range(2)]


def _shortest_named(query: Query) -> tuple[str, list[str]]:
    """SQL ordering the drugs whose title holds the query's name words by the
    words in their title, fewest first, before those named otherwise.

    The start of a name ("techne") then finds Technetium before Technetium
    Tc-99m Fanolesomab, and the medicine before its variants (Amlodipine,
    then S-Amlodipine); a title naming it comes before a generic name
    ("levothyroxin": Levothyroxine before Thyroxine, whose generic name it is).
    """
    titled, params = _named(query, "' ' || e.title_key LIKE %s")
    spaces = "LENGTH(e.title_key) - LENGTH(REPLACE(e.title_key, ' ', ''))"
    return f"CASE WHEN {titled} THEN {spaces} ELSE 999 END", params


def _forms(query: Query, position: int) -> tuple[list[str], bool]:
    """A name word's forms to match, and whether as prefixes (the last word's).

    As prefixes, a form that another one starts ("nausea" for "nauseas") covers it.
    """
    word = query.name_words[position]
    prefix = query.last_is_prefix and position == len(query.name_words) - 1 and len(word) >= 3
    forms = variants(word)
    if prefix:
        forms = [f for f in forms if not any(f != o and f.startswith(o) for o in forms)]
    return forms, prefix


# --- The engines: the same question in FTS5 and in PostgreSQL's full text.


class SQLiteEngine:
    table = "monographs_searchentry_fts"

    def match(self, query: Query, columns=None) -> str:
        groups = []
        for position in range(len(query.name_words)):
            forms, prefix = _forms(query, position)
            quoted = [f'"{form}"' + ("*" if prefix else "") for form in forms]
            groups.append("(" + " OR ".join(quoted) + ")")
        expression = " AND ".join(groups)
        if columns:
            return "{" + " ".join(columns) + "} : (" + expression + ")"
        return expression

    def ranked(self, query: Query, scope_sql, scope_params, limit, offset, columns=None):
        exact, keys = _exact(query.keys)
        weights = ", ".join(str(w) for w in SQLITE_WEIGHTS)
        named, named_params = _named(query, "' ' || e.names LIKE %s")
        shortest, shortest_params = _shortest_named(query)
        # bm25() only answers in the query that matches: scored there, ranked outside.
        sql = f"""
            SELECT e.drug_id, COUNT(*) OVER ()
            FROM (
                SELECT rowid AS drug_id, bm25({self.table}, {weights}) AS score
                FROM {self.table} WHERE {self.table} MATCH %s
            ) AS m JOIN monographs_searchentry e ON e.drug_id = m.drug_id
            WHERE e.drug_id IN ({scope_sql})
            ORDER BY {exact} DESC,
                {named} DESC, {named} AND e.parts > 1, {shortest},
                m.score / e.parts, e.title_key, e.drug_id
            LIMIT %s OFFSET %s"""
        params = [
            self.match(query, columns),
            *scope_params,
            *keys,
            *named_params,
            *named_params,
            *shortest_params,
            limit,
            offset,
        ]
        return sql, params

    def matching(self, query: Query):
        return f"SELECT rowid FROM {self.table} WHERE {self.table} MATCH %s", [self.match(query)]

    def knows(self, word: str):
        return f"SELECT 1 FROM {self.table} WHERE {self.table} MATCH %s LIMIT 1", [f'"{word}"']


class PostgresEngine:
    def tsquery(self, query: Query, columns=None) -> str:
        weights = ""
        if columns:
            weights = "".join({"names": "A", "other_names": "B"}[c] for c in columns)
        groups = []
        for position in range(len(query.name_words)):
            forms, prefix = _forms(query, position)
            suffix = (":*" if prefix else ":" if weights else "") + weights
            groups.append("(" + " | ".join(f"'{form}'{suffix}" for form in forms) + ")")
        return " & ".join(groups)

    def ranked(self, query: Query, scope_sql, scope_params, limit, offset, columns=None):
        exact, keys = _exact(query.keys, "::int")
        named, named_params = _named(query, "' ' || e.names LIKE %s")
        shortest, shortest_params = _shortest_named(query)
        sql = f"""
            SELECT e.drug_id, COUNT(*) OVER ()
            FROM monographs_searchentry e, to_tsquery('simple', %s) q
            WHERE e.document @@ q AND e.drug_id IN ({scope_sql})
            ORDER BY {exact} DESC,
                {named} DESC, {named} AND e.parts > 1, {shortest},
                ts_rank_cd('{POSTGRES_WEIGHTS}', e.document, q) / e.parts DESC,
                e.title_key, e.drug_id
            LIMIT %s OFFSET %s"""
        params = [
            self.tsquery(query, columns),
            *scope_params,
            *keys,
            *named_params,
            *named_params,
            *shortest_params,
            limit,
            offset,
        ]
        return sql, params

    def matching(self, query: Query):
        return (
            "SELECT drug_id FROM monographs_searchentry WHERE document @@ to_tsquery('simple', %s)",
            [self.tsquery(query)],
        )

    def knows(self, word: str):
        # Counted, not LIMIT 1: asked for one row, the planner expects to find
        # it soon and reads the table in order, every row for a word it lacks;
        # counted, it asks the GIN index, at once for a rare word.
        return (
            "SELECT COUNT(*) FROM monographs_searchentry "
            "WHERE document @@ to_tsquery('simple', %s)",
            [f"'{word}'"],
        )


def engine(using: str = "default"):
    """The full-text engine of the database in use.

    Past one database, an engine for OpenSearch or Elasticsearch would answer
    the same three questions (ranked, matching, knows) from its own index of
    the same columns; see docs/PERFORMANCE_QUERIES.md.
    """
    vendor = connections[using].vendor
    if vendor == "postgresql":
        return PostgresEngine()
    if vendor == "sqlite":
        return SQLiteEngine()
    raise NotImplementedError(f"no full-text search on {vendor}")


def backend_name() -> str:
    """Which engine answers: "SQLiteEngine" or "PostgresEngine"."""
    return type(engine()).__name__


# --- Ranked results, a page at a time.


class KeptWhileIndexUnchanged:
    """Answers kept in the process while the search index is unchanged, least recently used
    dropped first: ranked keys (:data:`ranked_keys`), pages' rows and rendered pieces
    (:data:`kept_rows`), comparisons (:data:`monographs.comparison.kept`).

    A word in most monographs is scored by the engine for every match, which
    costs in proportion to the matches however small the page. Like a search
    engine's request cache, the answer (a page of keys and the total) is kept
    for the same statement and read again once the index has changed — the
    state the spelling vocabulary follows (:func:`monographs.spelling.fingerprint`,
    its newest entry). Under the statement alone only keys are kept: the
    page's drugs are still read through the caller's queryset. A caller that
    names all a page depends on besides the index (:class:`Ranked` and
    :class:`KeptSlices` with a ``key``) keeps the page's rows as well
    (:data:`kept_rows`): every change to a monograph or its parts moves the
    index (a save, a deletion, an announced change: :func:`touch`).
    """

    def __init__(self, size: int = 512):
        self._kept = RecentlyUsed(size)
        _every_kept.append(self)

    def rows(self, using: str, sql: str, params, state=None) -> list:
        def fetch():
            with connections[using].cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()

        return self.value(using, (sql, tuple(params)), fetch, state)

    def value(self, using: str, key, compute, state=None):
        """``compute()``'s answer, kept under ``key`` while the index is unchanged."""
        from .spelling import IndexState

        state = (state or IndexState(using)).value
        key = (using, key)
        kept = self._kept.get(key)
        if kept is not None and kept[0] == state:
            return kept[1]
        answer = compute()
        self._kept.put(key, (state, answer))
        return answer

    def clear(self) -> None:
        self._kept.clear()


_every_kept: list[KeptWhileIndexUnchanged] = []
ranked_keys = KeptWhileIndexUnchanged()
# Pages of rows read under a key their caller gave (what they depend on
# besides the index): read again while the index is unchanged, a page costs
# no query. Fifty drugs of a list, or fifty listings of the lookup, each; the
# reader pages' rendered pieces (monographs.views.kept_fragment) live here too.
kept_rows = KeptWhileIndexUnchanged(size=256)


def forget() -> None:
    """Drop everything kept while the index is unchanged: the ranked keys here, the
    comparisons (:mod:`monographs.comparison`); for tests that rebuild the database."""
    for kept in _every_kept:
        kept.clear()


def _statement(queryset) -> tuple:
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # e.g. ``term__in=[]``: nothing, whatever else it asks
        return ("nothing",)
    return sql, tuple(params)


class KeptSlices(Sequence):
    """An ordered queryset read a slice at a time, each slice's keys kept (:data:`ranked_keys`).

    For an order the database must sort every match to answer (the lookup's
    listings of a side effect most medicines list): the keys of a slice are
    sorted once while the index is unchanged, and the rows read by key, in the
    queryset, so a row that has left it since is not shown. Under a ``key``
    (what the queryset depends on besides the index) the rows are kept too
    (:data:`kept_rows`): every change to a monograph or its parts moves the index.
    """

    def __init__(self, queryset, count: int, state=None, *, key=None):
        self.queryset = queryset
        self._count = count
        self.state = state  # spelling.IndexState: the index's state, asked once
        self.key = key  # what the rows depend on, besides the index; else the SQL

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        if not isinstance(index, slice):
            found = self[index : index + 1]
            if not found:
                raise IndexError(index)
            return found[0]
        keys = self.queryset.values_list("pk", flat=True)[index]
        if self.key is None:
            key = ("slice", *_statement(keys))
        else:
            key = ("slice", self.key, index.start, index.stop, index.step)

        def read() -> list:
            ids = ranked_keys.value(self.queryset.db, key, lambda: list(keys), self.state)
            rows = self.queryset.order_by().in_bulk(ids)
            return [rows[pk] for pk in ids if pk in rows]

        if self.key is None:
            return read()
        return kept_rows.value(self.queryset.db, key, read, self.state)


def kept_count(queryset, count=None, state=None, *, key=None) -> int:
    """``count(queryset)`` (or its ``.count()``), kept while the index is unchanged,
    under ``key`` (what the queryset depends on, besides the index) or its SQL."""
    compute = (lambda: count(queryset)) if count else queryset.count
    key = ("count", *_statement(queryset.values("pk"))) if key is None else ("count", key)
    return ranked_keys.value(queryset.db, key, compute, state)


class Ranked(Sequence):
    """The drugs of a queryset matching a query, best first, read a page at a time.

    Slicing asks the database for that slice only (top-k: ``ORDER BY`` the
    score ``LIMIT`` k); the count comes with the first slice read, from the
    same query. Usable by Django's paginator as it is.
    """

    def __init__(
        self, queryset, query: Query, *, columns=None, first: int = 50, state=None, key=None
    ):
        self.queryset = queryset
        self.state = state  # spelling.IndexState: the index's state, asked once
        # What the queryset depends on besides the index, if its caller can say:
        # then a page's keys and rows are kept under it (not under the compiled SQL).
        self.key = key
        self.query = query
        self.columns = columns
        self.first = first
        self._total = None
        self._cache: dict[tuple[int, int], list] = {}

    def _ids(self, start: int, stop: int) -> list[int]:
        for (first, last), ids in self._cache.items():
            # A slice read already holds this one (or all there is of it).
            complete = self._total is not None and last >= self._total
            if first <= start and (stop <= last or complete):
                return ids[start - first : stop - first]
        if not self.query:
            self._total = 0
            return []
        db = self.queryset.db

        def ranked() -> list:
            scope = self.queryset.order_by().values("pk").query.sql_with_params()
            sql, params = engine(db).ranked(self.query, *scope, stop - start, start, self.columns)
            return ranked_keys.rows(db, sql, params, self.state)

        if self.key is None:
            rows = ranked()
        else:
            key = ("ranked", self.key, self.query, self.columns, start, stop)
            rows = ranked_keys.value(db, key, ranked, self.state)
        ids = [row[0] for row in rows]
        if rows:
            self._total = rows[0][1]
        elif start == 0:
            self._total = 0
        self._cache[(start, stop)] = ids
        return ids

    def count(self) -> int:
        if self._total is None:
            self._ids(0, self.first)
            if self._total is None:  # nothing at all
                self._total = 0
        return self._total

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, int):
            found = self[index : index + 1]
            if not found:
                raise IndexError(index)
            return found[0]
        start, stop = index.start or 0, index.stop
        if stop is None:
            stop = self.count()
        if stop <= start:
            return []
        ids = self._ids(start, stop)
        if not ids:
            return []

        def read() -> list:
            # The queryset's own filter again: a page never shows what it would not.
            by_id = self.queryset.in_bulk(ids)
            return [by_id[pk] for pk in ids if pk in by_id]

        if self.key is None:
            return read()
        key = ("ranked rows", self.key, self.query, self.columns, start, stop)
        return kept_rows.value(self.queryset.db, key, read, self.state)


@dataclass
class Results:
    """A search's answer: what was searched for, and the drugs found, best first.

    ``drugs`` is :class:`Ranked` (or an ordered queryset when sorted by name or
    date); ``corrected`` says that the typed words found nothing and their
    correction, ``searched``, was searched instead; ``did_you_mean`` lists other
    queries worth a link when nothing was found.
    """

    typed: str
    searched: str
    drugs: object
    corrected: bool = False
    did_you_mean: list[str] = field(default_factory=list)


def search(
    queryset, text: str, *, order: str | None = None, correct: bool = True, first=50, key=None
):
    """See :meth:`monographs.models.DrugQuerySet.search`."""
    from . import spelling

    query = Query.parse(text)
    state = spelling.IndexState(queryset.db)
    found = _found(queryset, query, order, first, state, key)
    results = Results(typed=text, searched=query.text(), drugs=found)
    if not query or not correct or _count(found):
        return results
    fixed = spelling.correct(query.words, using=queryset.db, state=state)
    if fixed:
        corrected = query.replaced(fixed)
        found = _found(queryset, corrected, order, first, state, key)
        if _count(found):
            return Results(text, corrected.text(), found, corrected=True)
    results.did_you_mean = [
        alternative
        for alternative in spelling.alternatives(query.words, using=queryset.db, state=state)
        if alternative != query.text()
    ][:3]
    return results


def _found(queryset, query: Query, order, first, state=None, key=None):
    if order is None:
        return Ranked(queryset, query, first=first, state=state, key=key)
    if not query:
        return queryset.none()
    sql, params = engine(queryset.db).matching(query)
    return queryset.filter(pk__in=RawSQL(sql, params)).order_by(*order)


def _count(found) -> int:
    return found.count()


def suggest(queryset, text: str, *, limit: int = 8) -> list:
    """Drugs whose names (titles, generic, brand or ingredient names) match as typed so far.

    The last word is a prefix ("atorvast"); a word the names do not know is
    corrected against the portal's vocabulary.
    """
    from . import spelling

    query = Query.parse(text)
    if not query:
        return []
    state = spelling.IndexState(queryset.db)
    found = _suggested(queryset, query, limit, state)
    if found:
        return found
    fixed = spelling.correct(query.words, using=queryset.db, state=state)
    if not fixed:
        return []
    return _suggested(queryset, query.replaced(fixed), limit, state)


def _suggested(queryset, query: Query, limit: int, state) -> list:
    """The names starting with what was typed, then the names holding its words."""
    found = _names_starting(queryset, query, limit)
    if len(found) < limit:
        # Fewer names start so than are shown: the names holding a word so
        # starting ("Atenolol + Atorvastatin") fill the rest, ranked.
        shown = {drug.pk for drug in found}
        columns = ("names", "other_names")
        more = Ranked(queryset, query, columns=columns, first=limit, state=state)
        found += [drug for drug in more[: limit + len(found)] if drug.pk not in shown]
    return found[:limit]


def _names_starting(queryset, query: Query, limit: int) -> list:
    """The drugs whose title or generic name starts with the typed words, in key order.

    A range of the ``title_key`` and ``generic_key`` indexes (``key >= 'synth'
    AND key < 'syntі'``), read in order and stopped after a few rows: the cost
    does not grow with the names sharing the start. An exact name sorts before
    the longer ones it starts. Read a few more than asked, since the queryset
    may leave some out (drafts); the caller fills up what is missing.
    """
    start = name_key(" ".join(query.words))
    if not start:
        return []
    end = start[:-1] + chr(ord(start[-1]) + 1)
    read = limit * 3
    sql = (
        "SELECT * FROM (SELECT drug_id, title_key FROM monographs_searchentry"
        " WHERE title_key >= %s AND title_key < %s ORDER BY title_key LIMIT %s) AS t"
        " UNION ALL SELECT * FROM (SELECT drug_id, generic_key FROM monographs_searchentry"
        " WHERE generic_key >= %s AND generic_key < %s ORDER BY generic_key LIMIT %s) AS g"
    )
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, [start, end, read, start, end, read])
        rows = cursor.fetchall()
    ids = list(dict.fromkeys(pk for pk, _ in sorted(rows, key=lambda row: (row[1], row[0]))))
    by_id = queryset.in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id][:limit]


@dataclass
class Named:
    """The medicine a reader meant by a name they typed (compare), or None."""

    typed: str
    drug: object | None
    corrected: bool = False
    did_you_mean: list[str] = field(default_factory=list)


def name_medicines(queryset, names: list[str]) -> list[Named]:
    """The drugs of ``queryset`` typed names mean: a page address as it is, else the best match."""
    by_slug = queryset.in_bulk([n.strip().lower() for n in names], field_name="slug")
    chosen = []
    for text in names:
        exact = by_slug.get(text.strip().lower())
        if exact is not None:
            chosen.append(Named(text, exact))
            continue
        results = search(queryset, text, first=1)
        best = results.drugs[:1]
        if best:
            chosen.append(Named(text, best[0], corrected=results.corrected))
        else:
            chosen.append(Named(text, None, did_you_mean=results.did_you_mean))
    return chosen


@dataclass
class TermMatch:
    """The side-effect terms a lookup lists, the best match first."""

    typed: str
    term: str  # what is looked up: the typed words normalised, or their correction
    terms: list[str]
    corrected: bool = False


def side_effect_terms(
    text: str, *, using: str = "default", limit: int = 12, state=None
) -> TermMatch:
    """The terms listing what was typed: itself (singular or plural alike), then longer terms
    holding all its words ("headache" also finds "severe headache"), the shortest first.

    A term no monograph lists is corrected against the terms' own words.
    """
    from . import spelling, terms

    term = terms.normalise(text[:MAX_QUERY_CHARACTERS])
    if not term:
        return TermMatch(text, term, [])
    known = spelling.vocabulary(using, state)
    corrected = False
    if not _terms_holding(term, known.terms_by_word, 1):
        fixed = spelling.correct_term(term, using=using, state=state)
        if fixed and _terms_holding(fixed, known.terms_by_word, 1):
            term, corrected = fixed, True
    return TermMatch(text, term, _terms_holding(term, known.terms_by_word, limit), corrected)


def _terms_holding(term: str, terms_by_word: dict[str, list[str]], limit: int) -> list[str]:
    """``term`` itself if listed, then the terms holding each of its words, the shortest first.

    Read from the vocabulary's terms by word: the fewest terms holding one of the
    words, checked for the others, whatever the number of terms in all."""
    wanted = {singular(w) for w in term.split()}
    fewest = min((terms_by_word.get(w, []) for w in wanted), key=len, default=[])
    found = [term] if term in fewest else []
    found += sorted(
        (t for t in fewest if t != term and wanted <= {singular(w) for w in t.split()}),
        key=lambda t: (len(t.split()), t),
    )
    return found[:limit]


# --- Keeping the index: what each column holds for a drug.


def document(drug) -> dict:
    """The index entry's columns for a drug whose parts are at hand (prefetched or not)."""
    ingredients = [i.name for i in drug.ingredients.all()]
    sections = list(drug.sections.all())
    brands = drug.brand_names
    return {
        "names": plain(f"{drug.title} {drug.generic_name}"),
        "other_names": plain(" ".join([brands, *ingredients])),
        "effects": plain(" ".join(e.name for e in drug.side_effects.all())),
        "uses": plain(" ".join(s.body for s in sections if s.kind == SectionKind.USAGE)),
        "text": plain(
            " ".join(
                [
                    drug.introduction,
                    *(s.body for s in sections if s.kind != SectionKind.USAGE),
                    *(f"{f.question} {f.answer}" for f in drug.faqs.all()),
                ]
            )
        ),
        "title_key": name_key(drug.title),
        "generic_key": name_key(drug.generic_name)[:255],
        "parts": max(1, min(len(ingredients), 100)),
    }


def _names(drug) -> dict:
    return {
        "names": plain(f"{drug.title} {drug.generic_name}"),
        "title_key": name_key(drug.title),
        "generic_key": name_key(drug.generic_name)[:255],
    }


PARTS = ("sections", "side_effects", "faqs", "ingredients")


def reindex(drug) -> None:
    """Index a drug with its parts as they are now."""
    from .models import Drug

    fresh = Drug.objects.prefetch_related(*PARTS).get(pk=drug.pk)
    index_all(Drug, _entry_model(), [fresh.pk], drugs=[fresh])


def reindex_many(model, pks) -> None:
    """Index many drugs at once, a few queries a batch: for bulk loads."""
    index_all(model, _entry_model(), list(pks))


def index_all(drug_model, entry_model, pks=None, *, drugs=None, batch: int = 500) -> None:
    """Write the index entries of the drugs ``pks`` (all drugs when None), in batches.

    Takes the models as arguments so that a migration can index with its own.
    """
    if pks is None:
        pks = list(drug_model.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), batch):
        chunk = pks[start : start + batch]
        rows = drugs
        if rows is None:
            rows = drug_model.objects.filter(pk__in=chunk).prefetch_related(*PARTS)
        entries = [entry_model(drug_id=drug.pk, **document(drug)) for drug in rows]
        # Replaced rather than updated: the triggers keep FTS5 in step either way,
        # and one delete and one insert a batch is the fewest statements.
        entry_model.objects.filter(drug_id__in=[e.drug_id for e in entries]).delete()
        entry_model.objects.bulk_create(entries)


def _entry_model():
    from .models import SearchEntry

    return SearchEntry


def _drug_saved(sender, instance, raw=False, **kwargs):
    """A drug saved on its own: its names or status may have changed; parts come with reindex."""
    if raw:
        return
    entry = _entry_model()
    names = {**_names(instance), "indexed_at": timezone.now()}
    if not entry.objects.filter(drug_id=instance.pk).update(**names):
        reindex(instance)


def _drug_deleted(sender, instance, using="default", **kwargs):
    """A drug deleted takes its entry with it: the newest remaining entry is touched."""
    touch(using)


def touch(using: str = "default") -> None:
    """Move the index's state (:func:`monographs.spelling.fingerprint`, its newest
    entry's time): whatever is kept for the state it had is dropped — ranked keys,
    the vocabulary, the pages' rows and pieces kept under it."""
    entry = _entry_model().objects.using(using)
    newest = list(entry.order_by("-indexed_at").values_list("pk", flat=True)[:1])
    entry.filter(pk__in=newest).update(indexed_at=timezone.now())


class _TouchOnCommit:
    """Touches the index once the transaction that changed content commits."""

    def __init__(self, using: str):
        self.using = using

    def __call__(self) -> None:
        touch(self.using)


def _on_content_changed(sender, using="default", **kwargs):
    """Any change the app announces (a part saved on its own, a bulk update, a
    reviewer renamed) moves the index's state too, once a transaction: what is
    kept under it must not outlive what it was read from."""
    pending = connections[using].run_on_commit if connections[using].in_atomic_block else []
    if not any(isinstance(callback, _TouchOnCommit) for _, callback, _ in pending):
        transaction.on_commit(_TouchOnCommit(using), using=using)


def connect_signals() -> None:
    from .models import Drug
    from .signals import content_changed

    post_save.connect(_drug_saved, sender=Drug, dispatch_uid="search-names")
    post_delete.connect(_drug_deleted, sender=Drug, dispatch_uid="search-deleted")
    content_changed.connect(_on_content_changed, dispatch_uid="search-content-changed")


@contextmanager
def saves_not_indexed(model):
    """Saving ``model`` does not index it meanwhile: the caller indexes afterwards.

    For a loader that saves an object, then its parts, then indexes the whole.
    Meant for management commands, which run in one thread.
    """
    post_save.disconnect(_drug_saved, sender=model, dispatch_uid="search-names")
    try:
        yield
    finally:
        post_save.connect(_drug_saved, sender=model, dispatch_uid="search-names")


def update_statistics() -> None:
    """Let the database's planner see the tables as they now are (ANALYZE), after a bulk load.

    Without them SQLite reads a search the wrong way round, trying the whole
    index against each monograph, which costs more the more drugs there are
    (docs/PERFORMANCE.md, "Measured by hand").
    """
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- The drug list's one query, for its page and the API alike.

# What a list of monographs reads of each: enough for a link and a line.
LIST_FIELDS = ["title", "slug", "generic_name", "brand_names", "reviewed_on", "updated"]


@dataclass
class FoundDrugs:
    """Published monographs matching a drug filter (and its search words), in order.

    ``drugs`` is what a page lists (:class:`Ranked`, best first, when searched
    and not sorted); ``results`` the search's answer (its correction or
    alternatives), None without search words.
    """

    drugs: object
    ranked: bool = False
    results: Results | None = None

    def paginator(self, per_page: int, orphans: int = 0):
        # Ranked counts with its first page, in the same statement.
        return Paginator(self.drugs, per_page, orphans=orphans)


def find_drugs(filterset, *, correct: bool = True, per_page: int = 50) -> FoundDrugs:
    """The drug list's one query layer, for its page and the API alike.

    ``filterset`` is a bound :class:`monographs.filters.DrugFilter` (or a
    subclass) over published drugs. Its search words go through
    :func:`search`, ranked over whatever the other filters leave (their SQL is
    the ranking's scope) — corrected unless ``correct`` is False — or ordered by
    name or update when a sort is asked for.
    """
    from .spelling import IndexState

    drugs = filterset.qs.only(*LIST_FIELDS)
    cleaned = filterset.cleaned
    order = {"updated": ["-updated", "title"], "name": ["title"]}.get(cleaned.get("sort"))
    # What the rows depend on besides the index and the words: pages are kept under it.
    scope = (type(filterset).__name__, filterset.narrowing())
    if not cleaned.get("q"):
        ordered = drugs.order_by(*(order or ["title"]))
        state, key = IndexState(drugs.db), (*scope, tuple(ordered.query.order_by))
        count = kept_count(ordered, state=state, key=key)
        return FoundDrugs(KeptSlices(ordered, count, state, key=key))
    results = drugs.search(cleaned["q"], order=order, correct=correct, first=per_page, key=scope)
    return FoundDrugs(results.drugs, ranked=order is None, results=results)
