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
