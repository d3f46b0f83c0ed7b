"""The one place where Markdown becomes HTML.

Every piece of Markdown the portal shows -- section bodies, FAQ answers, the
admin preview -- goes through :func:`render`. markdown-it-py parses with raw
HTML turned off, and nh3 then cleans whatever came out against an explicit
allowlist, so a parser quirk can never let markup through on its own.
"""

import functools
import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

# The few inline tags monographs use for chemistry and emphasis (H<sub>2</sub>O,
# 10<sup>6</sup>, <i>in vitro</i>). Only these, bare, with no attributes, are
# passed through; any other HTML stays text.
INLINE_TAGS = ("sub", "sup", "i", "em", "b", "strong", "br")
_INLINE_TAG = re.compile(r"<(/?)(" + "|".join(INLINE_TAGS) + r")\s*/?>", re.IGNORECASE)


def _inline_tag(state: StateInline, silent: bool) -> bool:
    match = _INLINE_TAG.match(state.src, state.pos)
    if match is None:
        return False
    if not silent:
        token = state.push("html_inline", "", 0)
        token.content = match.group(0).lower()
    state.pos = match.end()
    return True


_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_parser.enable("table")
_parser.enable("strikethrough")
_parser.inline.ruler.before("html_inline", "inline_tag", _inline_tag)

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4",
        "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup",
        "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})


def sanitise(html: str) -> str:
    """Clean HTML against the portal's allowlist."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render(text: str) -> str:
    """Render Markdown to sanitised HTML."""
    if not text:
        return ""
    return sanitise(_parser.render(text))


@functools.lru_cache(maxsize=8192)
def render_inline(text: str) -> str:
    """Render one line of Markdown (a side effect's name, a list's wording) without a paragraph.

    The same inline markup as in sections: emphasis and the bare inline tags
    (``<i>Clostridium difficile</i>-associated diarrhea``); any other HTML is text.
    Kept for the most recent names: pages list the same side effects again and again.
    """
    if not text:
        return ""
    return sanitise(_parser.renderInline(text))
