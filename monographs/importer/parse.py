"""The monograph file format, read into plain dataclasses.

A file is Jekyll front matter (``title`` at least) followed by Markdown: a
``# Title`` line, sections under ``###`` headings (or bold ``**Usage:**``
labels), side effects as bulleted tiers, FAQs as question/answer pairs and a
closing ``**Disclaimer:**`` paragraph. The parser slices the source by the
line ranges markdown-it reports for each block, so whatever it cannot
structure stays in a section body verbatim: no sentence is dropped.

Nothing here touches the database.
"""

import hashlib
import re
from dataclasses import dataclass, field

import frontmatter
import ftfy
import yaml
from django.utils.text import slugify
from markdown_it import MarkdownIt

from ..choices import Frequency, SectionKind, Severity, Status
from .tiers import classify

MAX_FILE_BYTES = 2 * 1024 * 1024

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
_DISCLAIMER = re.compile(r"^\*\*\s*disclaimer\s*(?::\s*\*\*|\*\*\s*:)\s*", re.I)
_LIST_MARKER = re.compile(r"^\s*(?:[*+-]|\d+[.)])\s+")


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
    name: str
    detail: str = ""
    severity: int = Severity.MILD
    frequency: int = Frequency.NOT_KNOWN
    body_system: str = ""
    tier_label: str = ""


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
    text = re.sub(r"(\*\*|__|(?<!\w)\*(?!\s)|(?<!\w)_(?!\s))", "", text)
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
    for pattern, kind in SECTION_HEADINGS:
        if re.fullmatch(pattern, key):
            return kind, value
    return SectionKind.OTHER, value


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
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


def _side_effect(text: str, label: str = "") -> ParsedSideEffect | None:
    if "\n" in text.strip():
        return None  # several paragraphs or a nested list: left as text
    text = _plain(text)
    if not text or len(text) > 200:
        return None
    severity, frequency = classify(label)
    match = _TRAILING_DETAIL.match(text)
    if match:
        name, detail = match["name"].strip(), match["detail"].strip()
    else:
        name, detail = text, ""
    return ParsedSideEffect(
        name=name[:1].upper() + name[1:],
        detail=detail,
        severity=severity,
        frequency=frequency,
        tier_label=_plain(label),
    )


def _structure_side_effects(blocks: list[Block]) -> tuple[list[str], list[ParsedSideEffect]]:
    kept: list[str] = []
    found: list[ParsedSideEffect] = []
    label = ""
    for index, block in enumerate(blocks):
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if (
            block.type == "paragraph"
            and following is not None
            and following.type in {"bullet_list", "ordered_list"}
            and _plain(block.text).endswith(":")
        ):
            sentences = _SENTENCE_END.split(block.text.strip())
            label = sentences[-1]
            kept.append(" ".join(sentences[:-1]))
            continue
        if block.type not in {"bullet_list", "ordered_list"}:
            kept.append(block.text)
            label = ""
            continue
        leftovers: list[str] = []
        for item in block.items:
            effect = _side_effect(_item_text(item), label)
            if effect is None:
                leftovers.append(item)
            else:
                found.append(effect)
        if leftovers:
            if label:
                kept.append(label)
            kept.append("\n".join(leftovers))
        label = ""
    return kept, found


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


def _front_matter(text: str) -> tuple[dict, str, int]:
    """(metadata, content, line number of the content's first line)."""
    if not text.startswith("---"):
        raise ParseError("no front matter: the file must start with a '---' line", 1)
    lines = text.split("\n")
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        raise ParseError("front matter is not closed by a '---' line", 1) from None
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as error:
        # Point at where the broken construct starts, within the front matter.
        mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
        # The YAML text starts on the opening "---" line, after its newline.
        line = min(mark.line + 1, end + 1) if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error).split("\n")[0]
        raise ParseError(f"invalid YAML in front matter: {problem}", line) from None
    metadata = dict(post.metadata)
    title = metadata.get("title")
    if not isinstance(title, str | int | float) or not str(title).strip():
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


def parse(text: str) -> ParsedMonograph:
    metadata, content, first_line = _front_matter(text)
    title = re.sub(r"\s+", " ", str(metadata["title"])).strip()
    slug = slugify(title)
    if not slug:
        raise ParseError(f"the title {title!r} gives an empty page address", 2)
    monograph = ParsedMonograph(
        title=title,
        slug=slug,
        sha256=sha256(text.encode()),
        front_matter={k: v for k, v in metadata.items() if k != "title"},
    )

    # Split into the introduction and sections.
    introduction: list[Block] = []
    chunks: list[tuple[str, str, list[Block], list[str]]] = []  # kind, heading, blocks, lead
    seen_title = False
    for block in _blocks(content, first_line):
        if block.type == "h1" and not seen_title:
            seen_title = True
            if _plain(block.inline).casefold() != title.casefold():
                introduction.append(block)
            continue
        if block.type in {"h2", "h3", "h4", "h5", "h6"}:
            kind, value = _section_kind(block.inline)
            heading = _plain(block.inline).rstrip(":").strip()
            if kind == GENERIC_NAME and value:
                heading = heading.split(":", 1)[0].strip()
            chunks.append((kind, heading, [], [value] if value else []))
            continue
        label = _bold_section_label(block)
        if label is not None:
            kind, heading, rest = label
            chunks.append((kind, heading, [], [rest] if rest else []))
            continue
        if chunks:
            chunks[-1][2].append(block)
        else:
            introduction.append(block)

    # The closing disclaimer is the last labelled paragraph and all after it.
    tail = chunks[-1][2] if chunks else introduction
    disclaimer: list[Block] = []
    for index, block in enumerate(tail):
        if block.type == "paragraph" and _DISCLAIMER.match(block.text):
            disclaimer = tail[index:]
            del tail[index:]
            break

    monograph.introduction = _join([b.text for b in introduction])
    for kind, heading, blocks, lead in chunks:
        if kind == GENERIC_NAME:
            body = _join(lead + [b.text for b in blocks])
            if not monograph.generic_name and body and "\n" not in body and len(body) <= 255:
                monograph.generic_name = _plain(body)
                continue
            kind = SectionKind.OTHER
        if kind == SectionKind.SIDE_EFFECTS:
            kept, effects = _structure_side_effects(blocks)
            monograph.side_effects.extend(effects)
            body = _join(lead + kept)
        elif kind == SectionKind.FAQS:
            kept, faqs = _structure_faqs(blocks)
            monograph.faqs.extend(faqs)
            body = _join(lead + kept)
        else:
            body = _join(lead + [b.text for b in blocks])
        monograph.sections.append(ParsedSection(kind=kind, heading=heading, body=body))

    if disclaimer:
        first = _DISCLAIMER.sub("", disclaimer[0].text, count=1)
        body = _join([first] + [b.text for b in disclaimer[1:]])
        monograph.sections.append(
            ParsedSection(kind=SectionKind.DISCLAIMER, heading="Disclaimer", body=body)
        )

    if not chunks:
        monograph.status = Status.DRAFT
        monograph.warnings.append("no sections: not a monograph, imported as a draft")
    return monograph
