"""How the corpus's free-text side-effect tiers map onto severity and frequency.

The sources word their tiers freely ("Common side effects often include:",
"**Serious Side Effects:**", "Rare (<0.1%)"). The rules below are the whole
mapping: the first matching rule of each table wins. Severity is never raised
to EMERGENCY from wording alone; that call is left to a pharmacist.
"""

import re

from ..choices import Frequency, Severity

# (pattern, severity): words that say a reader should act on the side effect.
SEVERITY_RULES: list[tuple[str, Severity]] = [
    (r"\b(serious|severe|dangerous|life[- ]threatening|medical (attention|help)|"
     r"emergency|immediately|call (your|a) doctor|stop taking)\b", Severity.SERIOUS),
]  # fmt: skip

# (pattern, frequency): the first match wins, so the narrower wording comes first.
FREQUENCY_RULES: list[tuple[str, Frequency]] = [
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


def classify(label: str) -> tuple[Severity, Frequency]:
    """Map a tier's wording onto a (severity, frequency) pair."""
    text = label.lower()
    severity = Severity.MILD
    for pattern, value in SEVERITY_RULES:
        if re.search(pattern, text):
            severity = value
            break
    frequency = _frequency_from_percent(text)
    if frequency is None:
        frequency = Frequency.NOT_KNOWN
        for pattern, value in FREQUENCY_RULES:
            if re.search(pattern, text):
                frequency = value
                break
    return severity, frequency
