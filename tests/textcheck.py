"""Is every line of a source file on its page? The check behind the corpus tests.

A line counts as present when its words, in order, appear contiguously in the
page's text. Comparing words is what "normalising whitespace, quotes and
Markdown markup" comes to: emphasis, list markers, headings, link targets and
inline tags carry no words of their own. The "Q:" and "A:" labels of FAQs are
markup too: the page shows questions and answers as such.
"""

import re
from html.parser import HTMLParser

BLOCK_TAGS = {
    "p", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "div", "section",
    "summary", "details", "br", "td", "th", "tr", "header", "footer", "nav", "main",
    "article", "legend", "label", "fieldset", "form", "title",
}  # fmt: skip
SKIP_TAGS = {"script", "style", "template"}
_WORD = re.compile(r"\w+")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "′": "'"})


class _PageText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self.skipping += 1
        if tag in BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        if tag in BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def page_text(html: str) -> str:
    parser = _PageText()
    parser.feed(html)
    return "".join(parser.parts)


def words(text: str) -> str:
    """The words of a text, lower-cased and space-separated, with a space on each side."""
    text = text.translate(_QUOTES)
    text = re.sub(r"\]\([^)]*\)", " ", text)  # Markdown link targets
    text = re.sub(r"</?[a-zA-Z][^>]*>", "", text)  # inline tags
    text = re.sub(r"(?<!\w)[QA]:", " ", text)  # FAQ labels
    return " " + " ".join(w.casefold() for w in _WORD.findall(text.replace("_", " "))) + " "


def source_lines(text: str) -> list[str]:
    """The text lines of a monograph file, front matter left out."""
    if text.startswith("---"):
        parts = text.split("\n---", 1)
        text = parts[1].split("\n", 1)[1] if len(parts) > 1 else ""
    return [line for line in text.splitlines() if words(line).strip()]


def line_words(line: str) -> str:
    """The words of a source line; an ordered list's numbers are markup too."""
    return words(re.sub(r"^\s*\d+[.)]\s+", "", line))


def missing_lines(source: str, html: str) -> list[str]:
    page = words(page_text(html))
    return [line for line in source_lines(source) if line_words(line) not in page]
