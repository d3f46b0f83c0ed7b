"""How the corpus's free-text side-effect tiers map onto severity and frequency.

The sources word their tiers freely ("Common side effects often include:",
"**Serious Side Effects:**", "Rare (<0.1%)"). The rules below are the whole
mapping: the first matching rule of each table wins. Severity is never raised
to EMERGENCY from wording alone; that call is left to a pharmacist.
"""

import re

from ..choices import Frequency, Severity

# The exporter's words for each severity. They are the file format's, not the
# pages' labels (which may change): files exported earlier must read back the
# same, and an export must write the same file again.
EXPORT_SEVERITY_WORDS: dict[Severity, str] = {
    Severity.MILD: "Common, usually mild",
    Severity.SERIOUS: "Serious – contact a doctor",
    Severity.EMERGENCY: "Emergency – get help now",
}

# (pattern, severity): words that say a reader should act on the side effect.
SEVERITY_RULES: list[tuple[str, Severity]] = [
    # The portal's own words, as the exporter writes them for a pharmacist's
    # choice: the only wording that yields EMERGENCY.
    *((re.escape(EXPORT_SEVERITY_WORDS[s].lower()), s) for s in reversed(Severity)),
    (r"\b(serious|severe|dangerous|life[- ]threatening|medical (attention|help)|"
     r"emergency|immediately|call (your|a) doctor|stop taking)\b", Severity.SERIOUS),
]  # fmt: skip

# (pattern, frequency): the first match wins, so the narrower wording comes first.
FREQUENCY_RULES: list[tuple[str, Frequency]] = [
    (r"\bnot known\b", Frequency.NOT_KNOWN),
    (r"\bvery rare(ly)?\b", Frequency.VERY_RARE),
    (r"\bvery common\b", Frequency.VERY_COMMON),
    (r"\b(less common|uncommon|less frequent|infrequent|occasional)\b", Frequency.UNCOMMON),
    (r"\brare(ly)?\b", Frequency.RARE),
    (r"\b(common|frequent|often|most likely)\b", Frequency.COMMON),
]

_PERCENT = re.compile(
    r"(?P<op>[<>≤≥]=?)?\s*(?P<low>\d+(?:\.\d+)?)\s*(?:[-–]\s*(?P<high>\d+(?:\.\d+)?))?\s*%"
)


def _frequency_from_percent(label: str) -> Frequency | None:
    """Read a band like "(1-10%)", "(>10%)" or "(<0.1%)" as an EU frequency band."""
    match = _PERCENT.search(label)
    if match is None:
        return None
    low = float(match["low"])
    high = float(match["high"]) if match["high"] else None
    op = (match["op"] or "").rstrip("=")
    upper = high if high is not None else low
    if op in {">", "≥"}:
        upper = 100.0
    if op in {"<", "≤"}:
        low = 0.0
    if low >= 10:
        return Frequency.VERY_COMMON
    if upper <= 0.01:
        return Frequency.VERY_RARE
    if upper <= 0.1:
        return Frequency.RARE
    if upper <= 1:
        return Frequency.UNCOMMON
    if upper <= 10:
        return Frequency.COMMON
    return Frequency.VERY_COMMON


def cues(text: str) -> tuple[Severity | None, Frequency | None]:
    """The severity and frequency a piece of wording names, where it names one."""
    text = text.lower()
    severity = next((value for pattern, value in SEVERITY_RULES if re.search(pattern, text)), None)
    frequency = _frequency_from_percent(text)
    if frequency is None:
        frequency = next(
            (value for pattern, value in FREQUENCY_RULES if re.search(pattern, text)), None
        )
    return severity, frequency


def classify(label: str, context: str = "") -> tuple[Severity, Frequency]:
    """Map a tier's wording onto a (severity, frequency) pair.

    ``label`` is the tier's own wording (the sentence just before its list, or
    its bold label); ``context`` is wording around it, consulted only when the
    label itself names neither. A label naming only a frequency ("Common side
    effects include:") is not made serious by a neighbouring sentence.
    """
    severity, frequency = cues(label)
    if severity is None and frequency is None:
        severity, frequency = cues(context)
    return severity or Severity.MILD, frequency or Frequency.NOT_KNOWN


def is_tier(label: str) -> bool:
    """Whether a short bold label ("Common", "Serious (rare)") names a tier."""
    severity, frequency = cues(label)
    return severity is not None or frequency is not None or "side effect" in label.lower()


def export_label(severity: int, frequency: int) -> str:
    """The portal's own wording for a list's severity and frequency, as the exporter writes it.

    "Rare (≥1/10,000 to <1/1,000), Emergency – get help now": :func:`classify`
    reads it back as exactly these values.
    """
    return f"{Frequency(frequency).label}, {EXPORT_SEVERITY_WORDS[Severity(severity)]}:"


_EXPORT_LABEL = re.compile(
    "^(" + "|".join(re.escape(f.label) for f in Frequency) + "), ("
    + "|".join(re.escape(words) for words in EXPORT_SEVERITY_WORDS.values()) + "):$"
)  # fmt: skip


def is_export_label(text: str) -> bool:
    """Whether ``text`` is a lead-in :func:`export_label` wrote."""
    return bool(_EXPORT_LABEL.match(text.strip()))
