"""The monograph file format, in both directions: :func:`parse` and :func:`dump`.

A file is Jekyll front matter (``title`` at least) followed by Markdown: a
``# Title`` line, sections under ``###`` headings (or bold ``**Usage:**``
labels), side effects as bulleted tiers, FAQs as question/answer pairs and a
closing ``**Disclaimer:**`` paragraph. The parser slices the source by the
line ranges markdown-it reports for each block, so whatever it cannot
structure stays in a section body verbatim: no sentence is dropped.

Nothing here touches the database.
"""

import hashlib
import itertools
import math
import re
from dataclasses import dataclass, field

import ftfy
import yaml
from django.utils.text import slugify
from markdown_it import MarkdownIt

from ..choices import Frequency, SectionKind, Severity, Status
from ..written_lists import written_runs
from .tiers import classify, export_label, is_export_label, is_tier

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_TITLE = 500
# Front matter holds a layout and a title; a few keys more at most.
MAX_FRONT_MATTER = 64 * 1024

_block_parser = MarkdownIt("commonmark")

# Heading wording -> section kind; matched against the heading with any
# trailing colon and "(qualifier)" removed, case-insensitively.
GENERIC_NAME = "generic_name"
SECTION_HEADINGS: list[tuple[str, str]] = [
    (r"generic names?", GENERIC_NAME),
    (r"usage|uses|indications?|what (is it|it is) used for", SectionKind.USAGE),
    (r"dosage( and administration)?|doses?|dosing", SectionKind.DOSAGE),
    (r"(possible )?side[- ]effects|adverse (effects|reactions)", SectionKind.SIDE_EFFECTS),
    (r"how (it|they) works?|how does it work\??|mechanism( of action)?", SectionKind.HOW_IT_WORKS),
    (r"precautions?( and warnings)?|warnings( and precautions)?", SectionKind.PRECAUTIONS),
    (r"faqs?|frequently asked questions", SectionKind.FAQS),
]
_BOLD_LABEL = re.compile(r"^\*\*(?P<label>[^*\n]+?)\s*(?::\s*\*\*|\*\*\s*:)\s*(?P<rest>.*)$", re.S)
_LIST_MARKER = re.compile(r"^\s*(?:[*+-]|\d+[.)])\s+")


# Raised whenever the same file comes to be read differently (more side effects
# structured, say), so that importing an unchanged corpus again reads it anew.
READER_VERSION = 2


class ParseError(ValueError):
    """A file that cannot be imported; ``line`` is 1-based where known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class ParsedSection:
    kind: str
    heading: str
    body: str


@dataclass
class ParsedSideEffect:
    # The fields of choices.SIDE_EFFECT_FIELDS and SIDE_EFFECT_LIST_FIELDS, in their order.
    name: str
    detail: str = ""
    severity: int = Severity.MILD
    frequency: int = Frequency.NOT_KNOWN
    body_system: str = ""
    tier_label: str = ""
    written_inline: bool = False
    separator: str = ""
    list_end: str = ""
    list_start: str = ""


@dataclass
class ParsedFaq:
    question: str
    answer: str


@dataclass
class ParsedMonograph:
    title: str
    slug: str
    sha256: str
    generic_name: str = ""
    introduction: str = ""
    status: str = Status.PUBLISHED
    sections: list[ParsedSection] = field(default_factory=list)
    side_effects: list[ParsedSideEffect] = field(default_factory=list)
    faqs: list[ParsedFaq] = field(default_factory=list)
    front_matter: dict = field(default_factory=dict)
    ingredients: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Block:
    """A top-level Markdown block, as it stands in the source."""

    type: str
    text: str
    line: int
    items: list[str] = field(default_factory=list)
    inline: str = ""


# -- decoding ---------------------------------------------------------------


def decode(raw: bytes) -> tuple[str, list[str]]:
    """Bytes to repaired text, with a warning for each repair made."""
    warnings: list[str] = []
    if not raw.strip():
        raise ParseError("the file is empty")
    if len(raw) > MAX_FILE_BYTES:
        raise ParseError(
            f"the file is {len(raw):,} bytes; monographs are at most {MAX_FILE_BYTES:,}"
        )
    if b"\x00" in raw:
        raise ParseError("the file is binary, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        text = raw.decode("cp1252", errors="replace")
        warnings.append(f"line {line}: not valid UTF-8; read as Windows-1252")
    fixed = ftfy.fix_text(
        text,
        uncurl_quotes=False,
        fix_latin_ligatures=False,
        fix_character_width=False,
        unescape_html=False,
        normalization=None,
    )
    if fixed != text:
        warnings.append("repaired garbled characters (mojibake)")
    return fixed.replace("\r\n", "\n").replace("\r", "\n"), warnings


# -- blocks -----------------------------------------------------------------


def _blocks(content: str, first_line: int) -> list[Block]:
    """Split Markdown into top-level blocks, each sliced verbatim from the source."""
    lines = content.split("\n")
    tokens = _block_parser.parse(content)
    blocks: list[Block] = []
    for index, token in enumerate(tokens):
        if token.level != 0 or token.nesting == -1 or token.map is None:
            continue
        start, end = token.map
        text = "\n".join(lines[start:end]).strip("\n")
        block = Block(type=token.type.removesuffix("_open"), text=text, line=first_line + start)
        if token.type in {"heading_open", "paragraph_open"}:
            block.inline = tokens[index + 1].content
            if token.type == "heading_open":
                block.type = token.tag
        elif token.type in {"bullet_list_open", "ordered_list_open"}:
            block.items = [
                "\n".join(lines[t.map[0] : t.map[1]]).strip("\n")
                for t in tokens[index + 1 :]
                if t.type == "list_item_open" and t.level == 1 and t.map
            ]
            # Items of one list end where the list ends.
            block.items = block.items[: _count_items(tokens, index)]
        blocks.append(block)
    return blocks


def _count_items(tokens, list_index: int) -> int:
    depth, count = 0, 0
    for token in tokens[list_index:]:
        depth += token.nesting
        if token.type == "list_item_open" and token.level == 1:
            count += 1
        if depth == 0:
            break
    return count


def _item_text(item: str) -> str:
    """A list item without its marker, continuation lines dedented."""
    first, *rest = item.split("\n")
    marker = _LIST_MARKER.match(first)
    indent = len(marker.group(0)) if marker else 0
    lines = [first[indent:]] + [
        line[indent:] if line[:indent].strip() == "" else line for line in rest
    ]
    return "\n".join(lines).strip()


def _plain(text: str) -> str:
    """Markdown emphasis removed and whitespace collapsed, for names and labels."""
    text = text.replace("**", "").replace("__", "")
    text = re.sub(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def _join(blocks: list[str]) -> str:
    return "\n\n".join(b for b in blocks if b.strip()).strip()


# -- sections ---------------------------------------------------------------


def _section_kind(heading: str) -> tuple[str, str]:
    """(kind, value after a colon) for a heading or a bold label."""
    text = _plain(heading)
    value = ""
    if ":" in text:
        text, value = (part.strip() for part in text.split(":", 1))
    key = re.sub(r"\s*\([^)]*\)\s*$", "", text).strip().lower()
    # "Alprazolam – Usage": a section of one ingredient of a combination.
    candidates = [key, key.rsplit(" – ", 1)[-1]] if " – " in key else [key]
    for candidate in candidates:
        for pattern, kind in SECTION_HEADINGS:
            if re.fullmatch(pattern, candidate):
                return kind, value
    return SectionKind.OTHER, value


def _named_section(heading: str, ingredients: list[str]) -> tuple[str, str] | None:
    """(ingredient, kind) for a heading that is an ingredient's name and a section's."""
    text = _plain(heading).rstrip(":").strip()
    for ingredient in ingredients:
        if text.casefold().startswith(ingredient.casefold() + " "):
            kind, value = _section_kind(text[len(ingredient) :])
            if kind not in {SectionKind.OTHER, GENERIC_NAME} and not value:
                return ingredient, kind
    return None


def _bold_section_label(block: Block) -> tuple[str, str, str] | None:
    """A paragraph opening with ``**Usage:**`` starts a section (kind, heading, rest)."""
    if block.type != "paragraph":
        return None
    match = _BOLD_LABEL.match(block.text)
    if not match:
        return None
    kind, _ = _section_kind(match["label"])
    if kind == SectionKind.OTHER:
        return None
    return kind, _plain(match["label"]), match["rest"].strip()


# -- side effects -----------------------------------------------------------

_TRAILING_DETAIL = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<detail>[^()]*(?:\([^()]*\)[^()]*)*)\)$")
_NAME_DETAIL = re.compile(
    r"^\*\*(?P<name>[^*]+?)\s*(?::\s*\*\*|\*\*\s*:|\*\*\s*[-–—])\s*(?P<detail>.+)$", re.S
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
# Words that make a phrase a sentence about side effects rather than the name of one.
_PROSE = re.compile(
    r"\b(can|could|may|might|is|are|was|were|should|will|would|include|includes|including|"
    r"generally|usually|consult|contact (?:your|a|the|us)|seek|report|reported|been|if|when|these|"
    r"this|such as)\b",
    re.I,
)
_MAX_NAME_WORDS = 10
# Phrases that stand where a side effect's name would, yet name none: a note
# ("**Important Note:** …"); only how often or how bad ("mild", "rare but
# possible"); the circumstances of what follows ("in rare cases"); "others …";
# words about side effects; a placeholder ("[Information not available …").
_NO_NAME = re.compile(
    r"^(?:(?:important |please |additional |general )?notes?|important|disclaimer|warnings?|"
    r"caution|reminder|tips?|summary|other|none(?: known| reported)?)$"
    r"|^(?:(?:very|usually|generally|typically|mostly|relatively|often|and|or|but|"
    r"also|more|less|most|least|mild|moderate|severe|serious|temporary|"
    r"transient|rare|rarely|common|uncommon|infrequent|frequent|possible|reversible|"
    r"short-lived|minor|harmless|self-limiting|well[- ]tolerated)\b[\s,]*)+$"
    r"|^(?:in|while|although|though|even|especially|particularly|not|associated|related|due|"
    r"others)\b|^(?:more|less|most) (?:of|likely)\b"
    r"|\bside effects?\b|^\[|\binformation (?:is )?(?:not |un)available\b"
    # How or by whom it is taken ("**Topical Application:**", "**Dietary
    # Supplements:**"), and what is said of the doses or the parts of a combination.
    r"|^(?:(?:topical|oral|ophthalmic|otic|nasal|dermal|skin|local|systemic|internal|"
    r"external|inhaled)\s+)?(?:application|ingestion|use|administration|inhalation|exposure)$"
    r"|^(?:high|large|excessive) doses? of\b|^(?:individual|other) (?:components|ingredients)$"
    r"|^(?:dietary supplements?|probiotics?)\b|-specific$",
    re.I,
)


def _split_terms(text: str) -> list[tuple[str, str]]:
    """Split "a, b (x, y), and c" into [("", "a"), (", ", "b (x, y)"), (", and ", "c")].

    Each term comes with the words that separated it from the one before, so
    the list can be written back exactly as it was. Commas in brackets stay.
    """
    separators = ";" if ";" in text else ",;"
    parts: list[tuple[str, str]] = []
    depth, current, separator = 0, [], ""
    for char in text.strip():
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        if char in separators and depth == 0:
            parts.append((separator, "".join(current)))
            current, separator = [], char
        else:
            current.append(char)
    parts.append((separator, "".join(current)))
    terms = []
    for separator, term in parts:
        match = re.match(r"^(\s*(?:(?:and|or)\s+)?)(.*?)\s*$", term, re.I | re.S)
        separator = separator + re.sub(r"\s+", " ", match[1]) if separator else match[1].strip()
        if match[2]:
            terms.append((separator, match[2]))
    return _join_body_parts(terms)


# "swelling of the face, lips, tongue, or throat" is one side effect: the parts
# of the body after "of the face" belong to it. "liver or kidney damage" too.
_BODY_PART = re.compile(
    r"^(?:the )?(?:face|lips|tongue|throat|mouth|eyes|eyelids|hands|feet|ankles|legs|arms|"
    r"neck|gums|nose|cheeks|extremities|chest|back|shoulders?|jaw)(?:\s*\([^()]*\))?$",
    re.I,
)
# Organs, and tissues, that name the place of what follows them ("liver or kidney damage").
_ORGANS = "liver|kidney|heart|nerve|muscle|bone|joint|eye|skin"
_ORGAN = re.compile(rf"^(?:{_ORGANS}|lung)s?$", re.I)


def _join_body_parts(terms: list[tuple[str, str]]) -> list[tuple[str, str]]:
    joined: list[tuple[str, str]] = []
    joining = False  # whether the last term ends in a part of the body it names
    for separator, term in terms:
        if joining and _BODY_PART.match(term):
            joined[-1] = (joined[-1][0], joined[-1][1] + separator + term)
        else:
            joined.append((separator, term))
            joining = bool(re.search(r"\b(?:of|in|around)(?: the)? \w+$", term))
    return joined


def _is_term(text: str) -> bool:
    """A short noun phrase such as "Dry mouth" or "Rash (itchy)"."""
    outside = re.sub(r"\([^)]*\)", "", text)
    # "<i>C. difficile</i>-associated diarrhea": tags and a genus's initial end no sentence.
    outside = re.sub(r"\b[A-Z]\.(?=\s+[a-z])", "C", re.sub(r"</?\w+>", "", outside))
    return (
        bool(outside.strip())
        and len(outside.split()) <= _MAX_NAME_WORDS
        and not _PROSE.search(outside)
        and not _NO_NAME.search(outside.strip().rstrip(".:;!"))
        and not _SENTENCE_END.search(outside.rstrip(".!?"))
    )


_QUALIFIER = re.compile(
    r"(?:especially|particularly|mainly|mostly|usually|typically|often|which|although|though|"
    r"but|rarely|in rare cases|depending)\b",
    re.I,
)
_PREDICATE = re.compile(
    r"\s+(?:(?:have|has) been|are|is|was|were|may|might|can|could|will|occurs?|occurred|tend)\b",
    re.I,
)


def _cut_predicate(term: str) -> tuple[str, str] | None:
    """ "drowsiness have been reported", a list's last term running on into the
    sentence's verb, as ("drowsiness", " have been reported"); None for a term."""
    if _is_term(_plain(term)):
        return None
    outside = re.sub(r"\([^()]*\)", lambda m: "_" * len(m[0]), term)
    match = _PREDICATE.search(outside)
    head = term[: match.start()] if match else ""
    return (head, term[len(head) :]) if head.strip() and _is_term(_plain(head)) else None


_PLAIN_NAME_DETAIL = re.compile(r"^(?P<name>[^:–—\n]+?)(?::| [–—-]) +(?P<detail>\S.*)$", re.S)


def _side_effect(
    text: str, lead: str = "", tier: str = "", *, ailment: bool = False, **fields
) -> ParsedSideEffect | None:
    """One bullet, "Pancreatitis (inflammation of the pancreas)", as a side effect.

    With ``ailment``, an organ system's label naming an ailment ("**Allergic
    reactions:** rare, but …") names the side effect, and so does a plain name
    before a colon or dash and what is said of it; else they are left to be read
    as the labels of the side effects their text lists."""
    if "\n" in text.strip():
        return None  # several paragraphs or a nested list: left as text
    match = _NAME_DETAIL.match(text.strip())
    if match:
        name, detail = _plain(match["name"]), _plain(match["detail"])
        system = _BODY_SYSTEM.match(name)
        if is_tier(name) or (system and not (ailment and _AILMENT.match(system["kind"] or ""))):
            return None  # "**Common:** prose" is a tier written as prose, not a side effect
    elif (
        ailment
        and (match := _PLAIN_NAME_DETAIL.match(_plain(text)))
        and match["name"].count("(") == match["name"].count(")")
        and _is_term(match["name"])
    ):
        # "Hypoglycemia (low blood sugar): This is serious …", "Angioedema – rare but …"
        name, detail = match["name"], match["detail"]
        if is_tier(name) or _BODY_SYSTEM.match(name):
            return None
    else:
        text = _plain(text).rstrip(".")
        match = _TRAILING_DETAIL.match(text)
        name, detail = (match["name"], match["detail"]) if match else (text, "")
    name, detail = name.strip().rstrip(":").strip(), detail.strip()
    if not name or not _is_term(name) or len(detail) > 500:
        return None
    severity, frequency = classify(tier or lead, lead if tier else "")
    return ParsedSideEffect(
        name=name, detail=detail, severity=severity, frequency=frequency, **fields
    )


_PLAIN_LABEL = re.compile(r"^(?P<label>[A-Z][^:\n*]{0,60}?):\s+(?P<rest>\S.*)$", re.S)
_BODY_SYSTEM = re.compile(
    r"^(cardiovascular|heart|gastrointestinal|digestive|nervous system|central nervous system|"
    r"cns|neurological|psychiatric|skin|dermatologic(al)?|respiratory|hepatic|liver|renal|"
    r"kidney|musculoskeletal|hematologic(al)?|blood|endocrine|metabolic|genitourinary|urinary|"
    r"reproductive|ocular|eyes?|ears?|immune system|allergic|other|"
    r"neuromuscular( and |/| & )skeletal|ophthalmic|otic|local|infections?|immunologic(al)?|"
    r"endocrine( and |/| & )metabolic|hypersensitivity|photosensitivity|hematologic( and |/)"
    r"oncologic|miscellaneous|others)"
    r"(?P<kind> system| effects?| issues| problems| reactions| disorders| side effects)?$",
    re.I,
)
# An organ system's word that makes its label the name of an ailment too.
_AILMENT = re.compile(r" (?:issues|problems|reactions|disorders)$")


def _label_kind(text: str, ingredients: list[str]) -> tuple[str, str, str] | None:
    """("tier" | "ingredient" | "system" | "other", the label, the text after it) for a
    labelled line; None for a line without a label, or with a plain label that names
    no tier, ingredient or organ system."""
    text = text.strip()
    match = _BOLD_LABEL.match(text)
    bold = match is not None
    match = match or _PLAIN_LABEL.match(text)
    if match is None:
        return None
    label, rest = _plain(match["label"]), match["rest"].strip()
    if "\n" in text[match.end("label") : match.start("rest")]:
        rest = "\n" + rest  # "**Common:**" alone on its line: its list starts on the next
    if is_tier(label):
        return "tier", label, rest
    if _ingredient(label, ingredients):
        return "ingredient", label, rest
    if _BODY_SYSTEM.match(label):
        return "system", label, rest
    return ("other", label, rest) if bold else None


def _labelled_terms(text: str, lead: str, ingredients: list[str]) -> list[ParsedSideEffect] | None:
    """A bullet or paragraph such as "**Common (1-10%):** a, b, c" or "Cardiovascular: a, b".

    The label is a tier when it names a severity or frequency, else an
    ingredient of the combination, else the organ system its terms belong to.
    A label followed by terms on its own line is a list written as a sentence;
    the separators and the closing text are kept to write it back as it was.
    """
    found = _label_kind(text, ingredients)
    if found is None:
        return None
    kind, label, rest = found
    first, *more = rest.split("\n")
    nested = [line for line in more if line.strip()]
    intro = list_end = ""
    if nested:
        if not all(_LIST_MARKER.match(line) for line in nested):
            return None
        if kind == "ingredient" and not first.strip():
            return _ingredients_tiers(label, nested, lead, ingredients)
        terms = [("", _LIST_MARKER.sub("", line).strip()) for line in nested]
        written_inline = False
        if first.strip():
            intro = _plain(first)  # a line such as "may include:" that opens the nested list
    else:
        terms, list_end = _terms_after_label(first)
        written_inline = True
    if kind == "other":
        # "**Drowsiness:** mostly mild" names one side effect; a category
        # label such as "**Allergic reactions:** rash, hives" lists several.
        if len(terms) < 2:
            return None
        kind = "system"
    if kind == "system":
        fields = {"body_system": label, "tier_label": _plain(lead)}
        tier = ""
    else:
        fields = {"tier_label": f"{label}: {intro}".strip()}
        tier = label if kind == "tier" else ""
    effects = [
        _side_effect(
            term,
            lead=_plain(lead),
            tier=tier,
            written_inline=written_inline,
            separator=separator if written_inline else "",
            **fields,
        )
        for separator, term in terms
    ]
    if not effects or any(effect is None for effect in effects):
        return None
    effects[-1].list_end = list_end
    return effects


def _terms_after_label(line: str) -> tuple[list[tuple[str, str]], str]:
    """ "a, b, and c. A sentence about them." after a label: the terms, and the text
    that closes them."""
    first_sentence, *others = _SENTENCE_END.split(line.strip())
    body = first_sentence.rstrip(".;")
    list_end = first_sentence[len(body) :] + "".join(f" {other}" for other in others)
    terms = _split_terms(body)
    qualified = next((i for i, (_, term) in enumerate(terms) if i and _QUALIFIER.match(term)), None)
    if qualified is not None and all(_is_term(_plain(t)) for _, t in terms[:qualified]):
        # "a (x) at the site, especially with undiluted oil.": the list ends at the
        # words that qualify it; they close the sentence.
        terms = terms[:qualified]
        listed = _end_of(body, terms)
        list_end = body[listed:] + list_end
    if terms and (cut := _cut_predicate(terms[-1][1])):
        # "a, b and c have been reported.": the list is the sentence's subject.
        terms[-1] = (terms[-1][0], cut[0])
        list_end = cut[1] + list_end
    return terms, list_end


def _ingredients_tiers(
    ingredient: str, lines: list[str], lead: str, ingredients: list[str]
) -> list[ParsedSideEffect] | None:
    """ "* **Dexrabeprazole:**" over "* Common: a, b" and "* Serious: c, d": each line a
    tier of that ingredient, written back as "* **Dexrabeprazole – Common:** a, b"."""
    effects: list[ParsedSideEffect] = []
    for line in lines:
        tier = _label_kind(_LIST_MARKER.sub("", line).strip(), ingredients)
        listed = tier and tier[0] == "tier" and _labelled_terms(tier[1] + ": " + tier[2], lead, [])
        if not listed:
            return None
        for effect in listed:
            effect.tier_label = f"{ingredient} – {effect.tier_label}"
        effects.extend(listed)
    return effects


# -- side effects written as a sentence -------------------------------------

# Words after which a sentence lists side effects: "Common side effects
# include a, b and c.", "… such as a, b or c", "some people may experience a, b".
_LIST_OPENER = re.compile(
    r"(?:(?<![\w-])(?:includes?|including|included|such as|like|experiences?|involves?|"
    r"(?:are|is)(?: generally| usually| typically| mostly)?|consist of|comprise|"
    r"causes?|reported|leads? to|results? in)|:)[ \t]+",
    re.I,
)
_MIN_PROSE_TERMS = 2
# Each opener tried reads the rest of its sentence: a paragraph of thousands of
# "a: b: c:" would take minutes. The corpus's lists start at its fifth at most.
_MAX_OPENERS = 20


def _sentence_end(text: str, start: int, stops: str = ".!?;") -> int:
    """Where the sentence running through ``start`` ends: its full stop (or a semicolon,
    of ``stops``), outside brackets."""
    depth = 0
    for index in range(start, len(text)):
        char = text[index]
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        elif depth == 0 and char in stops and (index + 1 == len(text) or text[index + 1].isspace()):
            if char == "." and re.search(r"(\be\.g|\bi\.e|\betc|\bvs|\b[A-Z])$", text[start:index]):
                continue
            return index
    return len(text)


def _split_last(separator: str, term: str) -> list[tuple[str, str]]:
    """ "headache and dizziness", the last of a sentence's terms, as two (outside brackets)."""
    outside = re.sub(r"\([^()]*\)", lambda m: "_" * len(m[0]), term)
    matches = list(re.finditer(r" (and|or|and/or) ", outside))
    if not matches:
        return [(separator, term)]
    match = matches[-1]
    head, tail = term[: match.start()], term[match.end() :]
    if _ORGAN.match(head) or (_BODY_PART.match(tail) and len(matches) == 1 and " of " in head):
        return [(separator, term)]  # "liver or kidney damage", "swelling of the face or lips"
    return [(separator, head), (match[0], tail)]


def _prose_list(
    text: str, min_terms: int = _MIN_PROSE_TERMS
) -> tuple[str, list[tuple[str, str]], str] | None:
    """A sentence's list of side effects: (the words before it, its terms, the words after).

    "Common side effects include nausea, headache (mild, passing), and
    dizziness. They pass." gives ("Common side effects include ",
    [("", "nausea"), (", ", "headache (mild, passing)"), (", and ", "dizziness")],
    ". They pass."). The first sentence whose words after an opener are all
    short terms is the list; the rest of the text stays words around it.
    """
    if "\n" in text.strip():
        return None
    for opener in itertools.islice(_LIST_OPENER.finditer(text), _MAX_OPENERS):
        # A semicolon ends the sentence, unless it parts the list's own terms:
        # "include a (x, y); b; and c."
        ends = [_sentence_end(text, opener.end())]
        whole = _sentence_end(text, opener.end(), ".!?")
        if re.search(r";\s+(?:and|or)\s", text[opener.end() : whole]):
            ends.append(whole)
        for end in ends:
            if found := _list_in(text, opener.end(), end, min_terms):
                return found
    return None


def _list_in(
    text: str, start: int, end: int, min_terms: int
) -> tuple[str, list[tuple[str, str]], str] | None:
    """The list of side effects between an opener's ``start`` and its sentence's ``end``."""
    body = text[start:end]
    terms = _split_terms(body)
    terms[-1:] = _split_last(*terms[-1]) if terms else []
    # A list ends at its "and" or "or": "Serious ones, such as a, b, or c,
    # need attention" lists three; what follows is the sentence going on.
    last = max(
        (i for i, (separator, _) in enumerate(terms) if _AND_OR.search(separator)),
        default=len(terms) - 1,  # "include a, b, c.": without "and", the list ends with it
    )
    terms = terms[: last + 1]
    if terms and (cut := _cut_predicate(terms[-1][1])):
        terms[-1] = (terms[-1][0], cut[0])  # "… such as a or b may occur."
    if len(terms) < min_terms or terms[0][0]:
        return None
    if not all(_is_term(_plain(term)) and len(term) <= 255 for _, term in terms):
        return None
    listed = _end_of(body, terms)
    return text[:start], terms, body[listed:] + text[end:]


_AND_OR = re.compile(r"\b(and|or)\b", re.I)


def _end_of(body: str, terms: list[tuple[str, str]]) -> int:
    """Where the last of ``terms``, found in order in ``body``, ends."""
    position = 0
    for _, term in terms:
        position = body.index(term, position) + len(term)
    return position


def _is_lead_in(block: Block, following: Block | None) -> bool:
    return (
        block.type == "paragraph"
        and following is not None
        and following.type in {"bullet_list", "ordered_list"}
        and _plain(block.text).endswith(":")
    )


def _prose_effects(text: str, context: str, *, bullet: bool) -> list[ParsedSideEffect] | None:
    """A paragraph or bullet that lists side effects in a sentence, as side effects.

    The words before the list are its tier's wording, read for severity and
    frequency (else ``context``, the sentence introducing a bulleted list, is);
    they and the words after it are kept verbatim to write the text back.
    """
    # Under the portal's own wording, one term is a list too: the part of a
    # sentence list whose severity a pharmacist changed, written back apart.
    found = _prose_list(text, min_terms=1 if is_export_label(context) else _MIN_PROSE_TERMS)
    if found is None:
        return None
    start, terms, end = found
    label = _plain(start)
    # The portal's own wording for a pharmacist's choice is the whole answer.
    tier, lead = (context, "") if is_export_label(context) else (label, context)
    effects = [
        _side_effect(term, lead=lead, tier=tier, tier_label=label, written_inline=True,
                     separator=separator)
        for separator, term in terms
    ]  # fmt: skip
    if any(effect is None for effect in effects):
        return None
    effects[0].list_start = ("* " if bullet else "") + start
    effects[-1].list_end = end
    return effects


def _structure_side_effects(
    blocks: list[Block], ingredients: list[str]
) -> tuple[list[str], list[ParsedSideEffect]]:
    kept: list[str] = []
    found: list[ParsedSideEffect] = []
    lead = ""
    for index, block in enumerate(blocks):
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if _is_lead_in(block, following) or (
            block.type == "paragraph"
            and following is not None
            and following.type == "paragraph"
            and is_export_label(_plain(block.text))
        ):
            lead = block.text.strip()
            continue
        if block.type == "paragraph":
            labelled = _labelled_terms(block.text, "", ingredients) or _prose_effects(
                block.text, _plain(lead), bullet=False
            )
            if labelled:
                found.extend(labelled)
            else:
                if lead:
                    kept.append(lead)
                kept.append(block.text)
            lead = ""
            continue
        if block.type not in {"bullet_list", "ordered_list"}:
            kept.append(block.text)
            continue
        found.extend(_structure_list(block, lead, ingredients, kept))
        lead = ""
    return kept, found


# Words that go on about the side effect before them rather than name another:
# "Low blood pressure, particularly upon standing", "…, requiring sun protection".
_GOES_ON = re.compile(
    r"^(?:requiring|causing|leading|resulting|including|involving|affecting|lasting|"
    r"occurring|needing|making|potentially|possibly|sometimes|often|usually|mostly|"
    r"typically|especially|particularly|mainly|rarely|which|that|with|without|for|from|to|"
    r"an?|the|increasing|decreasing|raising|indicating|suggesting|characteri[sz]ed|manifested|"
    r"seen|reported|associated|related|due|reducing|lowering|ranging|preventing|limiting|"
    r"necessitating|warranting|prompting)\b"
    r"|^(?:a )?(?:triad|combination|cluster|group|set|range|variety|number) of\b",
    re.I,
)
# A word that describes the noun after it: "Dry, persistent cough", "Black, tarry stools".
_ADJECTIVE = re.compile(
    r"^(?:dry|persistent|chronic|acute|painful|itchy|sudden|swollen|sore|prolonged|"
    r"excessive|unusual|irregular|rapid|slow|frequent|severe|mild|minor|major|serious|"
    r"black|dark|pale|yellow|white|blue|red|bloody|cloudy|foamy|[\w-]+-degree)$",
    re.I,
)
# "Gastrointestinal, intracranial, and pulmonary hemorrhage": a word of this shape
# alone qualifies the noun at the list's end.
_ADJECTIVE_SHAPE = re.compile(r"(?:al|ic|ary|ous|ive)$", re.I)
# What a blood test measures: "Changes in serum albumin, calcium, and glucose" is one
# finding, whatever the lengths of the list.
_ANALYTE = re.compile(
    r"^(?:[\w-]+ )?(?:albumin|calcium|sodium|potassium|magnesium|phosph\w*|glucose|triglycerides|"
    r"cholesterol|creatinine|bilirubin|urea|uric acid|transferase|dehydrogenase|kinase|"
    r"counts?|levels?|hemoglobin|hematocrit|neutrophils|platelets|lymphocytes|leukocytes|"
    r"ALT|AST|ALP)$",
    re.I,
)
_AT_A_SITE = re.compile(r"\b(?:at|on) (?:the |an? )?(?:\w+ )?(?:site|area)s?\b", re.I)
# A first term whose words may stand for every term after it.
_SHARED_HEAD = re.compile(
    r"^(?:(?:decreased|increased|elevated|reduced|raised|low|high|abnormal|changes?|"
    rf"severe|mild|dry|other)\b.*|.*\b(?:{_ORGANS}|blood)"
    r"|.*\b(?:of|in|on|around)(?: the)? \w+)$",
    re.I,
)


def _bullet_of_terms(
    text: str, lead: str, tier: str, label: str, ingredients: list[str]
) -> list[ParsedSideEffect] | None:
    """ "* Headache, insomnia, abnormal dreams (nightmares), and dizziness.": a bullet
    that lists several side effects, each one of them; written back as that bullet."""
    text = text.strip()
    outside = re.sub(r"\([^()]*\)", "", _plain(text))
    if "\n" in text or text.startswith("**") or re.search(r":\s| [–—-] ", outside):
        return None  # a name and what is said of it, or a label and its list
    body = text.rstrip(".")
    terms = _split_terms(body)
    if len(terms) < 2 or _AT_A_SITE.search(terms[-1][1]):
        return None  # "Pain, redness, or swelling at the injection site": one place for all
    words = [re.sub(r"\s*\([^()]*\)", "", term).split() for _, term in terms]
    if len(terms) <= 6 and _SHARED_HEAD.match(terms[0][1]) and any(len(w) == 1 for w in words[1:]):
        return None  # "Decreased albumin, calcium, and sodium", "Irritation of the eyes, skin"
    if any(
        _GOES_ON.match(term)
        or _ADJECTIVE.match(term)
        or _BODY_PART.match(term)
        or _ANALYTE.search(term)
        or (len(term_words) == 1 and _ADJECTIVE_SHAPE.search(term_words[0]))
        or _ingredient(term, ingredients)
        for (_, term), term_words in zip(terms, words, strict=True)
    ):
        return None  # "…, increasing the risk of infection", "Dry, persistent cough"
    effects = [
        _side_effect(term, lead=lead, tier=tier, tier_label=label, written_inline=True,
                     separator=separator)
        for separator, term in terms
    ]  # fmt: skip
    if any(effect is None for effect in effects):
        return None
    effects[0].list_start = _BULLET_START
    effects[-1].list_end = text[len(body) :]
    return effects


# The list_start of a bullet that lists several side effects, under its list's lead-in.
_BULLET_START = "* "


def _structure_list(
    block: Block, lead: str, ingredients: list[str], kept: list[str]
) -> list[ParsedSideEffect]:
    """The side effects a list under ``lead`` (its lead-in, or "") holds; what is no
    side effect, and a lead-in its items do not carry, go on ``kept`` as text."""
    leftovers: list[str] = []
    listed: list[ParsedSideEffect] = []
    lead_is_export_label = is_export_label(_plain(lead))
    label = "" if lead_is_export_label else _plain(lead)
    for item in block.items:
        text = _item_text(item)
        result = _labelled_terms(text, lead, ingredients)
        if result:
            for effect in result:
                if effect.body_system:
                    effect.tier_label = label
            listed.extend(result)
            continue
        # The sentence that introduced the list is the tier's wording.
        last_sentence = _SENTENCE_END.split(_plain(lead))[-1] if lead else ""
        if block.type == "bullet_list" and (
            several := _bullet_of_terms(text, _plain(lead), last_sentence, label, ingredients)
        ):
            listed.extend(several)
            continue
        effect = _side_effect(text, lead=_plain(lead), tier=last_sentence, tier_label=label)
        if effect is not None and _ingredient(effect.name, ingredients):
            effect = None  # "**Cyproheptadine:** Common side effects include a, b": a list
        if effect is not None:
            listed.append(effect)
        elif block.type == "bullet_list" and (
            prose := _prose_effects(text, _plain(lead), bullet=True)
        ):
            listed.extend(prose)
        elif (
            effect := _side_effect(
                text, lead=_plain(lead), tier=last_sentence, tier_label=label, ailment=True
            )
        ) and not _ingredient(effect.name, ingredients):
            listed.append(effect)  # "**Allergic reactions:** rare, but …" lists no terms
        else:
            leftovers.append(item)
    # A lead-in stays in the text unless its list's own items carry it
    # (a tier's bullets, or organ-system lists under it).
    # A list written in a sentence carries its own words, whatever its lead-in.
    bulleted = [e for e in listed if not e.written_inline or e.tier_label == label]
    carried = bulleted and all(e.tier_label == label for e in bulleted)
    if lead and not lead_is_export_label and not (carried and label):
        kept.append(lead)
        for effect in listed:
            if effect.tier_label == label and effect.list_start in ("", _BULLET_START):
                effect.tier_label = ""
    if leftovers:
        text = "\n".join(leftovers)
        if kept and _is_list_text(kept[-1]) and kept[-1].lstrip()[:1] == text.lstrip()[:1]:
            kept[-1] += "\n" + text  # what was read as two lists would read back as one
        else:
            kept.append(text)
    return listed


# -- FAQs -------------------------------------------------------------------

_Q_BOLD = re.compile(r"^\*\*\s*(?:Q:\s*)?(?P<q>[^*]+?\?)\s*\*\*\s*(?P<rest>.*)$", re.S)
_Q_PLAIN = re.compile(r"^Q:\s*(?P<q>.+?\?)\s*(?P<rest>.*)$", re.S)
_A_PREFIX = re.compile(r"^(?:[*+-]\s+)?(?:\*\*A:\*\*|\*\*A\*\*:|A:)\s*", re.S)


def _question(text: str) -> tuple[str, str] | None:
    match = _Q_BOLD.match(text) or _Q_PLAIN.match(text)
    if not match:
        return None
    return _plain(match["q"]), _A_PREFIX.sub("", match["rest"].strip(), count=1).strip()


def _structure_faqs(blocks: list[Block]) -> tuple[list[str], list[ParsedFaq]]:
    # Flatten lists into their items so a question and its answer may sit in
    # neighbouring paragraphs or items alike.
    units: list[tuple[str, str]] = []  # (verbatim source, text to match)
    for block in blocks:
        if block.type in {"bullet_list", "ordered_list"}:
            units.extend((item, _item_text(item)) for item in block.items)
        else:
            units.append((block.text, block.text))
    kept: list[str] = []
    faqs: list[ParsedFaq] = []
    index = 0
    while index < len(units):
        source, text = units[index]
        pair = _question(text)
        if pair is not None:
            question, answer = pair
            if not answer and index + 1 < len(units):
                next_text = units[index + 1][1]
                if _A_PREFIX.match(next_text):
                    answer = _A_PREFIX.sub("", next_text, count=1).strip()
                    index += 1
            if answer:
                faqs.append(ParsedFaq(question=question, answer=answer))
                index += 1
                continue
        kept.append(source)
        index += 1
    return kept, faqs


# -- the whole file ---------------------------------------------------------


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML's safe loader, bounded: no aliases, and dates kept as the text they were.

    An alias repeats a node wherever it is named, so a few hundred bytes of
    aliases to aliases expand to megabytes (a "billion laughs"); the corpus
    never uses them. A date or time stays the text the file wrote, which is
    what the front matter is kept (and written back) as.
    """

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not accepted in front matter", mark
            )
        return super().compose_node(parent, index)


_FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)


def _as_data(value):
    """Front matter values as JSON can hold them; anything else as its text."""
    if isinstance(value, dict):
        return {str(key): _as_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_data(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, set):
        return sorted(str(item) for item in value)
    return str(value)


def _front_matter(text: str) -> tuple[dict, str, int]:
    """(metadata, content, line number of the content's first line)."""
    if not text.startswith("---"):
        raise ParseError("no front matter: the file must start with a '---' line", 1)
    lines = text.split("\n")
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        raise ParseError("front matter is not closed by a '---' line", 1) from None
    header = "\n".join(lines[1:end])
    if len(header) > MAX_FRONT_MATTER:
        raise ParseError(
            f"the front matter is {len(header):,} characters; at most {MAX_FRONT_MATTER:,}", 2
        )
    try:
        metadata = yaml.load(header, Loader=_FrontMatterLoader)
    except yaml.YAMLError as error:
        # Point at where the broken construct starts, within the front matter.
        mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
        # The YAML text starts on the line after the opening "---".
        line = min(mark.line + 2, end + 1) if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error).split("\n")[0]
        raise ParseError(f"invalid YAML in front matter: {problem}", line) from None
    except RecursionError:
        raise ParseError("invalid YAML in front matter: nested too deeply", 2) from None
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise ParseError("front matter is not a list of keys and values", 2)
    metadata = _as_data(metadata)
    title = metadata.get("title")
    if isinstance(title, bool) or not isinstance(title, str | int | float):
        title = None
    if title is None or not str(title).strip():
        raise ParseError("front matter has no 'title'", 2)
    return metadata, "\n".join(lines[end + 1 :]), end + 2


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def parse_bytes(raw: bytes) -> ParsedMonograph:
    text, warnings = decode(raw)
    # The digest is of the repaired text, so a file that differs only in
    # garbled characters counts as the same content.
    monograph = parse(text)
    monograph.warnings[:0] = warnings
    return monograph


_CLOSING = re.compile(
    r"^\*\*\s*(?P<label>disclaimer|important note|note)\s*(?::\s*\*\*|\*\*\s*:)\s*", re.I
)
_ADVICE = re.compile(
    r"\b(consult|healthcare (professional|provider)|medical (advice|professional)|doctor|"
    r"pharmacist|physician)\b",
    re.I,
)


def _ingredient(text: str, ingredients: list[str]) -> str:
    """The ingredient a heading such as "### Alprazolam" or "**1. Folic Acid (B9):**" names."""
    name = re.sub(r"^\d+[.)]\s*", "", _plain(text)).split(":", 1)[0].strip()
    name = re.sub(r"\s*\([^)]*\)$", "", name).strip().casefold()
    return next((i for i in ingredients if i.casefold() == name), "") if name else ""


def _closing(blocks: list[Block]) -> tuple[str, list[Block]]:
    """A labelled closing paragraph ("**Disclaimer:**") and all that follows it."""
    for index, block in enumerate(blocks):
        match = _CLOSING.match(block.text) if block.type == "paragraph" else None
        if match and all(b.type == "paragraph" for b in blocks[index:]):
            label = match["label"].title()
            closing = blocks[index:]
            del blocks[index:]
            return label, closing
    return "", []


def _is_list_text(text: str) -> bool:
    return bool(_LIST_MARKER.match(text))


@dataclass
class Chunk:
    """A section as it stands in the source: its heading and the blocks under it."""

    kind: str
    heading: str
    blocks: list[Block] = field(default_factory=list)
    lead: list[str] = field(default_factory=list)  # text on the heading's own line
    ingredient: str = ""  # in a combination, the ingredient it is about
    kept: list[str] = field(default_factory=list)  # its text, once lists are taken out


@dataclass
class Reading:
    """A file on its way through :func:`parse`: each step reads a part and records it."""

    text: str
    monograph: ParsedMonograph | None = None
    content: str = ""  # the Markdown after the front matter
    first_line: int = 1  # the content's first line in the file
    metadata: dict = field(default_factory=dict)
    introduction: list[Block] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    sections: list[Chunk] = field(default_factory=list)  # the chunks that become sections
    closing_label: str = ""
    closing: list[Block] = field(default_factory=list)


def parse(text: str) -> ParsedMonograph:
    """A monograph file's text as a :class:`ParsedMonograph`; :func:`dump` writes it back."""
    reading = Reading(text)
    for step in (_read_front_matter, _read_title, _read_sections, _read_side_effects,
                 _read_faqs, _read_closing_advice):  # fmt: skip
        step(reading)
    return reading.monograph


def _read_front_matter(reading: Reading) -> None:
    reading.metadata, reading.content, reading.first_line = _front_matter(reading.text)


def _read_title(reading: Reading) -> None:
    """The title, its page address and, for a combination, its ingredients."""
    title = re.sub(r"\s+", " ", str(reading.metadata["title"])).strip()
    slug = slugify(title)
    if not slug:
        raise ParseError(f"the title {title!r} gives an empty page address", 2)
    if len(title) > MAX_TITLE:
        raise ParseError(f"the title is {len(title)} characters; at most {MAX_TITLE}", 2)
    # "Metformin + Voglibose .": stray punctuation after the last name is no part of it.
    ingredients = (
        [re.sub(r"(?<=\w)[\s.,;:]+$", "", part.strip()) for part in title.split(" + ")]
        if " + " in title
        else []
    )
    reading.monograph = ParsedMonograph(
        title=title,
        slug=slug,
        sha256=sha256(reading.text.encode()),
        front_matter={k: v for k, v in reading.metadata.items() if k != "title"},
        ingredients=ingredients,
    )


def _read_sections(reading: Reading) -> None:
    """The introduction, the sections under their headings, the generic name.

    In a combination, a heading naming one ingredient starts that
    ingredient's run of sections. A labelled closing paragraph
    ("**Disclaimer:**") at the end is set aside for the closing advice.
    """
    monograph, ingredients = reading.monograph, reading.monograph.ingredients
    seen_title = False
    ingredient = ""
    for block in _blocks(reading.content, reading.first_line):
        if block.type == "h1" and not seen_title:
            seen_title = True
            if _plain(block.inline).casefold() != monograph.title.casefold():
                reading.introduction.append(block)
            continue
        if block.type in {"h2", "h3", "h4", "h5", "h6"}:
            kind, value = _section_kind(block.inline)
            if kind == SectionKind.OTHER and (named := _named_section(block.inline, ingredients)):
                # "### Acebrophylline Side Effects": that ingredient's section of a kind.
                ingredient, kind = named
                heading = _plain(block.inline).rstrip(":").strip()
                reading.chunks.append(Chunk(kind, heading, ingredient=ingredient))
                continue
            heading = _plain(block.inline).rstrip(":").strip()
            if kind == SectionKind.OTHER:
                value = ""  # "### Alprazolam: Usage and Dosage" is one heading
            elif value:
                heading = heading.split(":", 1)[0].strip()  # "### Usage: text" starts the text
            named = _ingredient(value if kind == GENERIC_NAME else block.inline, ingredients)
            if not named and " – " in block.inline:
                # "### Lactobacillus – How it Works", as an export writes it back.
                named = _ingredient(block.inline.split(" – ", 1)[0], ingredients)
            if named:
                ingredient = named
                if kind == SectionKind.OTHER:
                    reading.chunks.append(Chunk(kind, heading, ingredient=ingredient))
                    continue
            lead = [value] if value else []
            reading.chunks.append(Chunk(kind, heading, lead=lead, ingredient=ingredient))
            continue
        label = _bold_section_label(block)
        if label is not None:
            kind, heading, rest = label
            lead = [rest] if rest else []
            reading.chunks.append(Chunk(kind, heading, lead=lead, ingredient=ingredient))
            continue
        if block.type == "paragraph" and (bold := _BOLD_LABEL.match(block.text)):
            ingredient = _ingredient(bold["label"], ingredients) or ingredient
        if reading.chunks:
            reading.chunks[-1].blocks.append(block)
        else:
            reading.introduction.append(block)

    last = reading.chunks[-1].blocks if reading.chunks else reading.introduction
    reading.closing_label, reading.closing = _closing(last)
    monograph.introduction = _join([b.text for b in reading.introduction])

    _keep_sections(reading)


def _keep_sections(reading: Reading) -> None:
    """The chunks that are sections, headed with their ingredient in a combination;
    the generic name's own chunk and a bare ingredient heading are not."""
    for chunk in reading.chunks:
        about = chunk.ingredient
        if (
            about
            and chunk.kind != SectionKind.OTHER
            and about.casefold() not in chunk.heading.casefold()
        ):
            # "Alprazolam – Usage": the ingredient leads, so the heading's own
            # words still run straight into its text.
            chunk.heading = f"{about} – {chunk.heading}"
        if chunk.kind == GENERIC_NAME and _take_generic_name(reading.monograph, chunk):
            continue
        if (
            chunk.kind == SectionKind.OTHER
            and not chunk.blocks
            and not chunk.lead
            and chunk.heading == about
        ):
            continue  # an ingredient's own heading: its name now qualifies the sections after it
        reading.sections.append(chunk)


def _take_generic_name(monograph: ParsedMonograph, chunk: Chunk) -> bool:
    """Read the generic name from its section's first line; whether nothing else is left.

    Anything after the name stays, as a section of its own.
    """
    paragraphs = [*chunk.lead, *(b.text for b in chunk.blocks)]
    first = paragraphs[0].strip() if paragraphs else ""
    ingredients = monograph.ingredients
    if (
        not monograph.generic_name
        and chunk.heading.casefold() == "generic name"
        and first
        and "\n" not in first
        and len(first) <= 255
        and not (ingredients and _ingredient(first, ingredients))
    ):
        monograph.generic_name = _plain(first)
        if len(paragraphs) == 1:
            return True
        chunk.lead, chunk.blocks = paragraphs[1:], []
    chunk.kind = SectionKind.OTHER
    return False


def _read_side_effects(reading: Reading) -> None:
    """Side effects out of their sections; what is no list stays the sections' text."""
    ingredients = reading.monograph.ingredients
    for chunk in reading.sections:
        if chunk.kind != SectionKind.SIDE_EFFECTS:
            continue
        # Text on the heading's own line stays text: on the page it follows
        # the heading, as in the source, and the lists come after it.
        texts, effects = _structure_side_effects(chunk.blocks, ingredients)
        _name_ingredient(effects, chunk.ingredient, ingredients)
        reading.monograph.side_effects.extend(effects)
        chunk.kept = [*chunk.lead, *texts]


def _name_ingredient(effects: list[ParsedSideEffect], about: str, ingredients: list[str]) -> None:
    """In a combination's section about one ingredient, tier labels name it."""
    in_sentence = ended = False  # a list in a sentence keeps its own words
    for effect in effects if about else []:
        label = effect.tier_label
        in_sentence = bool(effect.list_start) or (in_sentence and not ended)
        ended = bool(effect.list_end)
        if (
            not in_sentence
            and label
            # Already named: written back, every ingredient's lists stand in the first
            # side-effects section, each label naming its own ingredient.
            and not any(label.startswith(f"{name} – ") for name in ingredients)
            and not _ingredient(label, ingredients)
        ):
            effect.tier_label = f"{about} – {label}"


def _read_faqs(reading: Reading) -> None:
    """Questions and answers out of the FAQ sections; the text of the others as it stands."""
    for chunk in reading.sections:
        if chunk.kind == SectionKind.SIDE_EFFECTS:
            continue
        if chunk.kind == SectionKind.FAQS:
            texts, faqs = _structure_faqs(chunk.blocks)
            reading.monograph.faqs.extend(faqs)
        else:
            texts = [b.text for b in chunk.blocks]
        chunk.kept = [*chunk.lead, *texts]


def _read_closing_advice(reading: Reading) -> None:
    """The closing advice: a labelled paragraph, or else the last section's trailing
    paragraphs that tell the reader to consult a professional. Then the sections."""
    monograph = reading.monograph
    closing_label = reading.closing_label
    closing_texts = [b.text for b in reading.closing]
    if closing_texts:
        closing_texts[0] = _CLOSING.sub("", closing_texts[0], count=1)
    elif reading.sections:
        kept = reading.sections[-1].kept
        while kept and not _is_list_text(kept[-1]) and _ADVICE.search(kept[-1]):
            closing_texts.insert(0, kept.pop())
        closing_label = "Disclaimer" if closing_texts else ""

    for chunk in reading.sections:
        monograph.sections.append(
            ParsedSection(kind=chunk.kind, heading=chunk.heading, body=_join(chunk.kept))
        )
    if closing_texts:
        monograph.sections.append(
            ParsedSection(
                kind=SectionKind.DISCLAIMER, heading=closing_label, body=_join(closing_texts)
            )
        )
    if not reading.chunks:
        monograph.status = Status.DRAFT
        monograph.warnings.append("no sections: not a monograph, imported as a draft")


# -- writing ----------------------------------------------------------------


def _set_marker(block: str, marker: str) -> str:
    return "\n".join(
        marker + line[1:] if line.startswith(("* ", "- ")) else line for line in block.split("\n")
    )


def _separate_lists(blocks: list[str], after: str = "") -> list[str]:
    """Give neighbouring lists different bullets, so that they read back as separate lists.

    In Markdown two lists with one bullet character and only a blank line
    between them are one list; a change of bullet character starts a new one.
    ``after`` is the text that will follow the blocks.
    """
    following = after.lstrip()[:2]
    result = list(blocks)
    for index in range(len(result) - 1, -1, -1):
        if not result[index].startswith(("* ", "- ")):
            following = ""
            continue
        marker = "-" if following == "* " else "*"
        result[index] = _set_marker(result[index], marker)
        following = f"{marker} "
    return result


def _item(effect: ParsedSideEffect, *, bullet: bool = False) -> str:
    """ "Pancreatitis (inflammation of the pancreas)"; "**Name** – detail" where brackets clash.

    A bullet's name that reads as several ("Nausea, vomiting, and diarrhea", one
    side effect as a pharmacist keeps it) goes in bold, so that it reads back as one.
    """
    if not effect.detail:
        item = effect.name
    elif "(" in effect.detail or ")" in effect.detail or "(" in effect.name:
        return f"**{effect.name}** – {effect.detail}"
    else:
        item = f"{effect.name} ({effect.detail})"
    if bullet and _bullet_of_terms(item, "", "", "", []):
        return f"**{effect.name}**" + (f" – {effect.detail}" if effect.detail else "")
    return item


def _read_back(effect: ParsedSideEffect, lead: str) -> tuple[int, int]:
    """The severity and frequency the parser will give ``effect`` as written, under ``lead``."""
    if effect.body_system or not effect.written_inline or effect.list_start == _BULLET_START:
        wording = _SENTENCE_END.split(lead)[-1] if lead and not effect.body_system else lead
        return classify(wording, lead if wording != lead else "")
    label = effect.tier_label.split(":", 1)[0]
    return classify(label, lead) if is_tier(label) else classify(lead)


def _side_effect_lists(effects: list[ParsedSideEffect]) -> list[str]:
    """Side effects written back as the lists they were read from.

    Where a list's own wording no longer gives its severity and frequency (a
    pharmacist changed them), a line in the portal's own words for both goes
    before it; the parser reads that line as exactly those values.
    """
    runs = _runs_written_alike(effects)

    # Runs under one introduction make one list, as they were read: a new
    # list starts only where a new introduction does.
    blocks: list[str] = []
    current: str | None = None  # the introduction of the list being written
    for run in runs:
        first = run[0]
        bullet = first.list_start == _BULLET_START  # a bullet listing several, under a lead-in
        if first.list_start and not bullet:
            # A list written in a sentence goes back as the sentence it was.
            if classify(first.tier_label) != (first.severity, first.frequency):
                blocks.append(export_label(first.severity, first.frequency))
            terms = _sentence_terms(run)
            blocks.append(f"{first.list_start}{terms}{run[-1].list_end}")
            current = None
            continue
        labelled = (first.written_inline and not bullet) or bool(first.body_system)
        # Bullets and organ-system lists sit under their tier's wording; a
        # labelled sentence list ("**Common:** a, b") carries its own.
        lead = first.tier_label if (first.body_system or not labelled) else ""
        if _read_back(first, lead) != (first.severity, first.frequency):
            lead = export_label(first.severity, first.frequency)
        if bullet:
            items = f"{_BULLET_START}{_sentence_terms(run)}{run[-1].list_end}"
        elif first.written_inline:
            label = f"{first.body_system}:" if first.body_system else first.tier_label
            terms = _sentence_terms(run)
            items = f"* **{label.rstrip(':')}:** {terms}{run[-1].list_end}"
        elif first.body_system:
            nested = "\n".join(f"    * {_item(effect, bullet=True)}" for effect in run)
            items = f"* **{first.body_system}:**\n{nested}"
        else:
            items = "\n".join(f"* {_item(effect, bullet=True)}" for effect in run)
        key = lead or ("" if labelled else None)
        if lead and lead != current:
            blocks.append(lead if lead.endswith(":") else f"{lead}:")
        elif key is not None and key == current and blocks:
            blocks[-1] += "\n" + items
            continue
        blocks.append(items)
        current = key
    return blocks


def _runs_written_alike(effects: list[ParsedSideEffect]) -> list[list[ParsedSideEffect]]:
    """Neighbouring side effects of one list: the same wording, organ system, form,
    severity and frequency, and no list ending or starting between them."""
    return written_runs(
        effects,
        key=lambda e: (e.tier_label, e.body_system, e.written_inline, e.severity, e.frequency),
    )


def _sentence_terms(run: list[ParsedSideEffect]) -> str:
    """A list's side effects as the sentence wrote them: "a, b and c"."""
    return "".join(
        (effect.separator if index else "") + _item(effect) for index, effect in enumerate(run)
    )


def _faq_list(faqs: list[ParsedFaq]) -> str:
    lines = []
    for faq in faqs:
        answer = faq.answer.strip().replace("\n", "\n  ")
        lines.append(f"* **Q: {faq.question}** A: {answer}")
    return "\n".join(lines)


def dump(monograph: ParsedMonograph) -> str:
    """A monograph in the file format, such that :func:`parse` reads it back the same."""
    front = {"layout": "minimal-medicine", **monograph.front_matter, "title": monograph.title}
    header = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=10_000).strip()
    parts = [f"---\n{header}\n---", f"# {monograph.title}"]
    if monograph.introduction:
        parts.append(monograph.introduction)
    sections = list(monograph.sections)
    if monograph.generic_name:
        parts.append(f"### Generic Name\n{monograph.generic_name}")
        if (
            sections
            and sections[0].kind == SectionKind.OTHER
            and sections[0].heading == "Generic Name"
        ):
            parts.append(sections.pop(0).body)
    closing = [s for s in sections if s.kind == SectionKind.DISCLAIMER]
    effects_written = faqs_written = False
    for section in sections:
        if section.kind == SectionKind.DISCLAIMER:
            continue
        parts.append(f"### {section.heading}")
        body = section.body.strip()
        if section.kind == SectionKind.SIDE_EFFECTS:
            first, _, rest = body.partition("\n\n")
            if first and "\n" not in first and _prose_list(first) and not _is_list_text(first):
                # Text that stood on the heading's line, where it was not read as a list.
                # A bold label keeps its spacing, which a heading's line would not.
                parts[-1] = f"**{section.heading}:** {first}"
                body = rest
        if section.kind == SectionKind.SIDE_EFFECTS and not effects_written:
            # The lists come first: a paragraph of the text ending in a colon
            # would otherwise read back as the introduction of the list after it.
            effects_written = True
            parts.extend(_separate_lists(_side_effect_lists(monograph.side_effects), after=body))
        elif section.kind == SectionKind.FAQS and not faqs_written and monograph.faqs:
            faqs_written = True
            if body:
                parts.append(body)
            last_line = body.rstrip().rsplit("\n", 1)[-1].lstrip() if body else ""
            parts.append(
                _set_marker(_faq_list(monograph.faqs), "-" if last_line[:2] == "* " else "*")
            )
            continue
        if body:
            parts.append(body)
    for section in closing:
        label = section.heading if _CLOSING.match(f"**{section.heading}:**") else "Disclaimer"
        parts.append(f"**{label}:** {section.body.strip()}")
    return "\n\n".join(part.strip("\n") for part in parts if part.strip()) + "\n"
