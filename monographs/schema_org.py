"""A monograph page's schema.org data (JSON-LD): a medical web page about a drug.

What it says of the drug's parts (side effects, warnings, dosage forms) is
worked out once with the page's kept body (``monograph_body.part_facts``); a
request adds the drug's own fields and its address.
"""

import json
import re

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import SafeString, mark_safe

from .choices import Severity
from .fhir import brand_names

# Dosage forms a monograph may name in its title or its Dosage section, as
# schema.org's examples write them. The portal records no dosage form of its
# own: these are "where known", from the monograph's words.
DOSAGE_FORMS = [
    "tablet", "capsule", "oral solution", "oral suspension", "syrup", "injection",
    "infusion", "cream", "ointment", "gel", "lotion", "eye drops", "ear drops",
    "nasal spray", "inhaler", "patch", "suppository", "lozenge",
]  # fmt: skip
_DOSAGE_FORM = re.compile(
    r"\b(" + "|".join(re.escape(form).replace("drops", "drop") for form in DOSAGE_FORMS) + r")s?\b",
    re.IGNORECASE,
)
# Routes a title names in brackets: "Isotretinoin (Topical)".
ROUTES = {"topical", "oral", "nasal", "ophthalmic", "otic", "inhalation", "rectal", "vaginal"}


def dosage_forms(text: str) -> list[str]:
    """The dosage forms ``text`` names, in the order it first names them."""
    found = (match.lower() for match in _DOSAGE_FORM.findall(text))
    return list(dict.fromkeys(form if form in DOSAGE_FORMS else form + "s" for form in found))


def administration_route(title: str) -> str:
    qualifier = re.search(r"\(([^)]*)\)\s*$", title)
    if qualifier and qualifier[1].strip().lower() in ROUTES:
        return qualifier[1].strip()
    return ""


def page_data(drug, url: str, facts: dict) -> dict:
    """The page and the drug it is about; ``facts`` are its parts' (``part_facts``)."""
    ingredients = [i.name for i in drug.ingredient_list] or (
        [drug.generic_name] if drug.generic_name else []
    )
    about = {
        "@type": "Drug",
        "name": drug.title,
        "url": url,
        **({"nonProprietaryName": drug.generic_name} if drug.generic_name else {}),
        **({"proprietaryName": names} if (names := brand_names(drug)) else {}),
        **({"activeIngredient": ingredients} if ingredients else {}),
    }
    outcomes = {"adverseOutcome": [], "seriousAdverseOutcome": []}
    for severity, name in facts["side_effects"]:
        key = "adverseOutcome" if severity == Severity.MILD else "seriousAdverseOutcome"
        outcomes[key].append({"@type": "MedicalEntity", "name": name})
    about.update({key: value for key, value in outcomes.items() if value})
    if facts["warning"]:
        about["warning"] = facts["warning"]
    # The title's forms first, then the Dosage sections' (found when the facts were kept).
    if forms := list(dict.fromkeys(dosage_forms(drug.title) + facts["dosage_forms"])):
        about["dosageForm"] = forms
    if route := administration_route(drug.title):
        about["administrationRoute"] = route
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "name": drug.title,
        "url": url,
        "dateModified": drug.updated.isoformat(),
        "about": about,
    }
    if drug.reviewed_on:
        data["lastReviewed"] = drug.reviewed_on.isoformat()
        if drug.reviewer_name:
            data["reviewedBy"] = {"@type": "Person", "name": drug.reviewer_name}
    return data


def script_text(data: dict) -> SafeString:
    """JSON safe to place inside a <script> element: <, > and & escaped, no markup left.

    (``str.replace`` three times: ``str.translate`` with a table walks the text
    a character at a time once it holds any non-ASCII letter.)
    """
    text = json.dumps(data, ensure_ascii=False, cls=DjangoJSONEncoder)
    text = text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")
    return mark_safe(text)
