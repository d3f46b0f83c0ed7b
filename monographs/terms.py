"""The normalised form of a side-effect name, by which drugs are matched to each other.

"Nosebleeds", "nosebleed" and "Nosebleed (epistaxis)" are one term: case,
a trailing explanation in brackets and a simple English plural are ignored.
"""

import re

_KEEP = re.compile(r"(ss|us|is|ics|ous|ies|sis|xis)$")


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("aches"):
        return word[:-1]  # headaches, backaches
    if re.search(r"(ch|sh|x|ss|z)es$", word):
        return word[:-2]
    if word.endswith("s") and len(word) > 3 and not _KEEP.search(word):
        return word[:-1]
    return word


def normalise(name: str) -> str:
    """ "Allergic reactions (rash, hives)" -> "allergic reaction"."""
    text = re.sub(r"</?\w+\s*/?>", "", name.casefold())  # inline tags: <i>C. difficile</i>
    text = re.sub(r"\([^)]*\)", " ", text)
    text = re.sub(r"[^\w\s'-]", " ", text)
    words = text.split()
    if words and words[0] in {"a", "an", "the"}:
        words = words[1:]
    if words:
        words[-1] = _singular(words[-1])
    return " ".join(words)[:255]


_JOINS = re.compile(r",|;|/|&|\bor\b|\band\b", re.IGNORECASE)


def parts(name: str) -> list[str]:
    """The terms a listing names, each normalised: "Headache or dizziness" ->
    ["headache", "dizziness"]; a listing naming one thing -> its own term.

    Words joined by "or", "and", commas or slashes (outside brackets) are
    taken apart, so that a monograph listing "Headache" and one listing
    "Headache or dizziness" can be matched on "headache".
    """
    whole = normalise(name)
    outside = re.sub(r"\([^)]*\)", " ", re.sub(r"</?\w+\s*/?>", "", name))
    found = [term for piece in _JOINS.split(outside) if (term := normalise(piece))]
    found = list(dict.fromkeys(found))
    return found if len(found) > 1 else [whole]


def pattern(term: str) -> re.Pattern:
    """Where a normalised term is written in text, in the singular or the plural,
    whatever the case: "headache" finds "Headaches"."""
    words = [re.escape(word) for word in term.split()]
    if not words:
        return re.compile(r"(?!)")
    last = term.split()[-1]
    endings = [re.escape(last) + "(?:e?s)?"]
    if last.endswith("y"):
        endings.append(re.escape(last[:-1]) + "ies")
    words[-1] = "(?:" + "|".join(endings) + ")"
    return re.compile(r"(?<!\w)" + r"[\s-]+".join(words) + r"(?!\w)", re.IGNORECASE)


def needle_of(term: str) -> str:
    """A piece of text, casefolded, that every match of ``pattern(term)`` holds, for
    a cheap substring test before the pattern: the first word, or a single word
    less the "y" its plural "-ies" drops."""
    words = term.casefold().split()
    if len(words) > 1:
        return words[0]
    word = words[0] if words else ""
    return word[:-1] if word.endswith("y") else word
