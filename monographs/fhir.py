"""A monograph as FHIR R5 resources: a MedicationKnowledge and its side effects.

Each side effect becomes a ClinicalUseDefinition of type ``undesirable-effect``
which the MedicationKnowledge lists in ``clinicalUseIssue`` (R5 lets a
ClinicalUseDefinition's ``subject`` name a Medication or a product definition,
not a MedicationKnowledge, so the link runs that way). The frequency bands and
severities are code systems the portal defines; docs/FHIR.md describes them.

Resources are built as plain JSON-ready dicts from a drug fetched with
``Drug.objects.for_detail()``: no query of their own. The tests validate them
against the R5 models of ``fhir.resources``.
"""

import functools
import hashlib
import re
import xml.etree.ElementTree as ET
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urljoin

from django.conf import settings
from django.utils.html import strip_tags

from .choices import Frequency, SectionKind, Severity, Status

CONTENT_TYPE = "application/fhir+json"
XHTML = "http://www.w3.org/1999/xhtml"

# A FHIR id: letters, digits, "-" and ".", at most 64 of them.
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
ID_PREFIX = re.compile(r"[^A-Za-z0-9\-.]")

STATUS = {Status.PUBLISHED: "active", Status.ARCHIVED: "inactive"}


def canonical(path: str) -> str:
    return f"{settings.FHIR_CANONICAL_BASE}/{path}"


def frequency_system() -> str:
    return canonical("CodeSystem/side-effect-frequency")


def severity_system() -> str:
    return canonical("CodeSystem/side-effect-severity")


def severity_extension() -> str:
    return canonical("StructureDefinition/side-effect-severity")


def frequency_code(frequency) -> str:
    """ "very-common", "common", ..., "not-known": as the JSON and the filters spell them."""
    return Frequency(frequency).name.lower().replace("_", "-")


def drug_id(drug) -> str:
    """The MedicationKnowledge id: the monograph's slug, where it is a valid FHIR id.

    A FHIR id has at most 64 characters, and no "_". A longer slug (a
    combination of many ingredients, say) gives its first 55 characters and
    8 of its SHA-1: the same id in every database the monograph is in.
    """
    if FHIR_ID.fullmatch(drug.slug):
        return drug.slug
    digest = hashlib.sha1(drug.slug.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{ID_PREFIX.sub('-', drug.slug)[:55]}-{digest}"


def side_effect_id(effect) -> str:
    return f"side-effect-{effect.pk}"


@functools.lru_cache(maxsize=1024)
def plain_text(html: str) -> str:
    """Sanitised HTML as text: paragraphs and list items on lines of their own.

    Kept for the latest texts: the monograph page's structured data reads its
    sections' text on every view, and Django's ``strip_tags`` parses the HTML."""
    text = re.sub(r"</(p|li|h[1-6]|tr|blockquote|pre)>|<br\s*/?>", "\n", html)
    lines = (" ".join(unescape(strip_tags(line)).split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def medication_knowledge(drug, base: str) -> dict:
    """The monograph as a MedicationKnowledge; ``base`` is the site's absolute root URL."""
    names = [drug.title, drug.generic_name, *brand_names(drug)]
    ingredients = drug.ingredient_list
    resource = {
        "resourceType": "MedicationKnowledge",
        "id": drug_id(drug),
        "meta": {"lastUpdated": drug.updated.isoformat()},
        "text": {"status": "additional", "div": narrative(drug, base)},
        "identifier": [{"system": canonical("monograph"), "value": drug.slug}],
        "code": {"text": drug.title},
        "status": STATUS.get(drug.status, "inactive"),
        "name": list(dict.fromkeys(name for name in names if name)),
    }
    related = [i.page for i in ingredients if i.page is not None]
    if related:
        resource["relatedMedicationKnowledge"] = [
            {
                "type": {"text": "Ingredient with a monograph of its own"},
                "reference": [
                    {"reference": f"MedicationKnowledge/{drug_id(own)}", "display": own.title}
                    for own in related
                ],
            }
        ]
    effects = list(drug.side_effects.all())
    if effects:
        resource["clinicalUseIssue"] = [
            {"reference": f"ClinicalUseDefinition/{side_effect_id(e)}", "display": e.name}
            for e in effects
        ]
    usage = [plain_text(s.body_html) for s in drug.sections.all() if s.kind == SectionKind.USAGE]
    usage = [text for text in usage if text]
    if usage:
        resource["indicationGuideline"] = [
            {"indication": [{"concept": {"text": text}}]} for text in usage
        ]
    if ingredients:
        resource["definitional"] = {
            "ingredient": [{"item": {"concept": {"text": i.name}}} for i in ingredients]
        }
    return resource


def clinical_use_definition(effect) -> dict:
    """A side effect as an undesirable effect: what, in which organ system, how often, how bad."""
    severity = Severity(effect.severity)
    undesirable = {
        "extension": [
            {
                "url": severity_extension(),
                "valueCoding": {
                    "system": severity_system(),
                    "code": severity.slug,
                    "display": severity.label,
                },
            }
        ],
        "symptomConditionEffect": {"concept": {"text": effect.display_name}},
    }
    if effect.body_system:
        undesirable["classification"] = {"text": effect.body_system}
    frequency = Frequency(effect.frequency)
    undesirable["frequencyOfOccurrence"] = {
        "coding": [
            {
                "system": frequency_system(),
                "code": frequency_code(frequency),
                "display": frequency.label,
            }
        ],
        "text": frequency.label,
    }
    return {
        "resourceType": "ClinicalUseDefinition",
        "id": side_effect_id(effect),
        "type": "undesirable-effect",
        "undesirableEffect": undesirable,
    }


def bundle(drug, base: str) -> dict:
    """One monograph as a collection: its MedicationKnowledge, then a ClinicalUseDefinition
    per side effect, each with the address it is read from."""
    fhir_base = urljoin(base, "fhir/")
    resources = [
        medication_knowledge(drug, base),
        *(clinical_use_definition(e) for e in drug.side_effects.all()),
    ]
    return {
        "resourceType": "Bundle",
        "id": drug_id(drug),
        "type": "collection",
        "timestamp": drug.updated.isoformat(),
        "entry": [
            {
                "fullUrl": f"{fhir_base}{resource['resourceType']}/{resource['id']}",
                "resource": resource,
            }
            for resource in resources
        ],
    }


def code_system(name: str) -> dict | None:
    """The portal's code systems as CodeSystem resources, by the last part of their URL."""
    if name == "side-effect-frequency":
        concepts = [(frequency_code(f), f.label) for f in Frequency]
        title = "Side-effect frequency (EU SmPC bands)"
    elif name == "side-effect-severity":
        concepts = [(s.slug, s.label) for s in Severity]
        title = "Side-effect severity: what a reader should do"
    else:
        return None
    return {
        "resourceType": "CodeSystem",
        "id": name,
        "url": canonical(f"CodeSystem/{name}"),
        "name": "".join(part.title() for part in name.split("-")),
        "title": title,
        "status": "active",
        "content": "complete",
        "caseSensitive": True,
        "count": len(concepts),
        "concept": [{"code": code, "display": display} for code, display in concepts],
    }


def operation_outcome(message: str, code: str = "not-found") -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": message}],
    }


def brand_names(drug) -> list[str]:
    return [b.strip() for b in drug.brand_names.split(",") if b.strip()]


# --- The narrative -----------------------------------------------------------
# FHIR narratives are XHTML (well-formed XML in the XHTML namespace) limited to
# basic formatting: no scripts, forms, frames or objects, and no ins/del.
# The monograph's HTML is already sanitised (monographs.markdown); here it is
# rebuilt element by element with ElementTree, keeping only what the narrative
# rules allow, so the result is well-formed whatever the input.

NARRATIVE_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "i", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
        "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
NARRATIVE_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "ol": {"start"}}
RENAMED = {"del": "s"}  # ins/del are outside the narrative's HTML subset
VOID = frozenset({"br", "hr", "img"})
# Characters XML 1.0 does not allow at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class _Rebuild(HTMLParser):
    """Sanitised HTML into an ElementTree element, keeping the narrative's subset."""

    def __init__(self, parent: ET.Element, base: str):
        super().__init__(convert_charrefs=True)
        self.stack = [parent]
        self.base = base

    def _text(self, text: str) -> None:
        text = _NOT_XML.sub("", text)
        current = self.stack[-1]
        if len(current):
            current[-1].tail = (current[-1].tail or "") + text
        else:
            current.text = (current.text or "") + text

    def handle_starttag(self, tag, attrs):
        tag = RENAMED.get(tag, tag)
        if tag == "img":  # an image reads as its description
            self._text(dict(attrs).get("alt") or "")
            return
        if tag not in NARRATIVE_TAGS:
            return  # unwrapped: its text stays
        allowed = NARRATIVE_ATTRIBUTES.get(tag, set())
        kept = {name: value for name, value in attrs if name in allowed and value is not None}
        if "href" in kept:
            kept["href"] = urljoin(self.base, kept["href"])
        element = ET.SubElement(
            self.stack[-1], tag, {k: _NOT_XML.sub("", v) for k, v in kept.items()}
        )
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag):
        tag = RENAMED.get(tag, tag)
        if tag in VOID or tag not in NARRATIVE_TAGS:
            return
        # Close up to the matching element; a stray end tag closes nothing.
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self._text(data)


def _append_html(parent: ET.Element, html: str, base: str) -> None:
    builder = _Rebuild(parent, base)
    builder.feed(html)
    builder.close()


def _element(parent: ET.Element, tag: str, text: str = "") -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = _NOT_XML.sub("", text)
    return element


def narrative(drug, base: str) -> str:
    """The monograph's text as a narrative ``div``: title, sections with their side
    effects (by severity, with how often) and questions, and where to read it."""
    div = ET.Element("div", {"xmlns": XHTML})
    page = urljoin(base, drug.get_absolute_url())
    _element(div, "h1", drug.title)
    if drug.generic_name and drug.generic_name != drug.title:
        _element(div, "p", f"Generic name: {drug.generic_name}")
    if drug.ingredient_list:
        _element(div, "p", "Contains: " + " + ".join(i.name for i in drug.ingredient_list))
    if drug.brand_names:
        _element(div, "p", f"Brand names: {drug.brand_names}")
    if drug.introduction_html:
        _append_html(div, drug.introduction_html, base)
    sections = list(drug.sections.all())
    effects = list(drug.side_effects.all())
    faqs = list(drug.faqs.all())
    kinds = {section.kind for section in sections}
    for section in sections:
        _element(div, "h2", section.heading)
        _append_html(div, section.body_html, base)
        if section.kind == SectionKind.SIDE_EFFECTS:
            _side_effects(div, effects)
            effects = []
        if section.kind == SectionKind.FAQS:
            _faqs(div, faqs, base)
            faqs = []
    if effects:
        _element(div, "h2", "Side effects")
        _side_effects(div, effects)
    if faqs and SectionKind.FAQS not in kinds:
        _element(div, "h2", "Questions")
        _faqs(div, faqs, base)
    source = _element(div, "p", "The monograph: ")
    link = ET.SubElement(source, "a", {"href": page})
    link.text = page
    return ET.tostring(div, encoding="unicode")


def _side_effects(div: ET.Element, effects) -> None:
    for severity in Severity:
        members = [e for e in effects if e.severity == severity]
        if not members:
            continue
        _element(div, "h3", severity.label)
        items = ET.SubElement(div, "ul")
        for effect in members:
            parts = [effect.display_name]
            if effect.body_system:
                parts.append(effect.body_system)
            if effect.frequency != Frequency.NOT_KNOWN:
                parts.append(Frequency(effect.frequency).label)
            _element(items, "li", " — ".join(parts))


def _faqs(div: ET.Element, faqs, base: str) -> None:
    for faq in faqs:
        _element(div, "h3", faq.question)
        _append_html(div, faq.answer_html, base)
