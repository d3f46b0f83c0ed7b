"""The XSS corpus and the checks every page it passes through must meet.

Shared by tests/test_xss.py (Django's test client, html.parser) and
tests/browser/test_xss.py (Chromium). ``PORTAL_XSS_VECTORS`` names more vector
files, in the corpus format, separated by the OS path separator: held-out
vectors that were never in the repository run through the same tests.
"""

import os
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.urls import reverse

from monographs.markdown import ALLOWED_URL_SCHEMES
from monographs.models import Drug, Faq, Section, SideEffect

CORPUS = Path(__file__).parent / "data" / "xss_vectors.txt"
EXTRA_CORPORA_VARIABLE = "PORTAL_XSS_VECTORS"

# Every field an editor types into, by model: the Markdown ones and the plain-text ones.
DRUG_FIELDS = ["title", "generic_name", "brand_names", "introduction"]
SECTION_FIELDS = ["heading", "body"]
SIDE_EFFECT_FIELDS = ["name", "detail", "body_system", "tier_label"]
FAQ_FIELDS = ["question", "answer"]
INLINE_FIELDS = {
    "sections": (Section, SECTION_FIELDS),
    "side_effects": (SideEffect, SIDE_EFFECT_FIELDS),
    "faqs": (Faq, FAQ_FIELDS),
}

# Attributes whose value a browser loads or navigates to.
URL_ATTRIBUTES = {
    "action", "background", "cite", "codebase", "data", "dynsrc", "formaction", "href",
    "icon", "longdesc", "lowsrc", "manifest", "ping", "poster", "profile", "src", "srcset",
    "usemap", "xlink:href",
}  # fmt: skip
# Elements that run, load or restyle content, or change how the page resolves URLs.
DANGEROUS_ELEMENTS = {
    "applet", "base", "embed", "frame", "frameset", "iframe", "isindex", "math", "object",
    "portal", "script", "style", "svg", "template",
}  # fmt: skip
# Where the portal's own script files live (the admin adds its translation catalogue).
OWN_SCRIPTS = ("/static/",)
ADMIN_SCRIPTS = ("/static/", "/admin/jsi18n/")
# Script elements a browser never runs: the page's own structured data, in the head.
DATA_BLOCK_TYPES = {"application/ld+json", "application/json"}
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)


@dataclass(frozen=True)
class Vector:
    source: str  # file:line, to name a failing vector
    text: str

    def __str__(self) -> str:
        return f"{self.source}: {self.text!r}"


def read_vectors(path: Path) -> list[Vector]:
    vectors = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#|"):
            continue
        vectors.append(Vector(f"{path.name}:{number}", line.replace("\\n", "\n")))
    return vectors


def corpus_files() -> list[Path]:
    extra = os.environ.get(EXTRA_CORPORA_VARIABLE, "")
    return [CORPUS, *(Path(p) for p in extra.split(os.pathsep) if p.strip())]


def load_vectors() -> list[Vector]:
    return [vector for path in corpus_files() for vector in read_vectors(path)]


def fit(model, name: str, text: str) -> str:
    """The vector as the field can hold it: a longer held-out vector is cut to the field's size."""
    max_length = model._meta.get_field(name).max_length
    return text[:max_length] if max_length else text


class AdminEntry:
    """Adds monographs through the admin's add form, as an editor would, one vector each.

    Each gets the vector in every field: the drug's own, and one of each inline
    (a Usage, a Side effects and an FAQs section, a side effect and an FAQ).
    """

    SECTION_KINDS = ["usage", "side_effects", "faqs"]

    def __init__(self, client):
        from tests.test_admin import form_data

        self.client = client
        self.url = reverse("admin:monographs_drug_add")
        self.blank = form_data(client.get(self.url))

    def add(self, text: str, slug: str) -> Drug:
        data = dict(self.blank)
        data.update({name: fit(Drug, name, text) for name in DRUG_FIELDS})
        data["slug"] = slug
        rows = {"sections": len(self.SECTION_KINDS), "side_effects": 1, "faqs": 1}
        for prefix, count in rows.items():
            model, names = INLINE_FIELDS[prefix]
            data[f"{prefix}-TOTAL_FORMS"] = str(count)
            for index in range(count):
                data[f"{prefix}-{index}-position"] = str(index + 1)
                data.update({f"{prefix}-{index}-{n}": fit(model, n, text) for n in names})
        for index, kind in enumerate(self.SECTION_KINDS):
            data[f"sections-{index}-kind"] = kind
        data.update({"side_effects-0-severity": "1", "side_effects-0-frequency": "6"})
        response = self.client.post(self.url, data)
        assert response.status_code == 302, response.context and response.context["errors"]
        # Readers see it once it is published, through the review workflow's buttons,
        # by a second person (four eyes: the author may not approve their own edit).
        drug = Drug.objects.get(slug=slug)
        for client, step in ((self.client, "submit"), (self.second_reviewer(), "publish")):
            url = reverse("admin:monographs_drug_transition", args=[drug.pk, step])
            loaded = Drug.objects.get(pk=drug.pk).edit_count
            assert client.post(url, {"opened_at_edit": loaded}).status_code == 302
        drug = Drug.objects.get(slug=slug)
        assert drug.is_published
        return drug

    @staticmethod
    def second_reviewer():
        from django.contrib.auth import get_user_model
        from django.test import Client

        from tests.factories import staff_login

        user, _ = get_user_model().objects.get_or_create(
            username="second-reviewer", defaults={"is_staff": True, "is_superuser": True}
        )
        return staff_login(Client(), user)


def dangerous_url(value: str) -> bool:
    """Would a browser follow this URL into something other than http(s) or mail?"""
    # Browsers drop tabs and line breaks anywhere in a URL, and control characters
    # and spaces around it, before they read the scheme; so must the check.
    url = re.sub(r"[\t\n\r]", "", value).strip(_C0_AND_SPACE)
    match = _SCHEME.match(url)
    return match is not None and match.group(1).lower() not in ALLOWED_URL_SCHEMES


class Audit(HTMLParser):
    """Everything on a page that could run script, found by parsing it as a browser would.

    ``scripts`` are the addresses the page's own script files come from, and the
    head may hold JSON data blocks; any other script element, any handler and any
    script URL is a finding.
    """

    def __init__(self, *, scripts: tuple[str, ...] = OWN_SCRIPTS, allow_svg: bool = False):
        super().__init__(convert_charrefs=True)
        self.scripts, self.allow_svg = scripts, allow_svg
        self.findings: list[str] = []
        self.in_head = False

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)
        if tag == "head":
            self.in_head = True

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False

    def _check(self, tag, attrs):
        if tag == "script":
            src = dict(attrs).get("src") or ""
            data_block = (dict(attrs).get("type") or "").lower() in DATA_BLOCK_TYPES
            if not (src and src.startswith(self.scripts)) and not (data_block and self.in_head):
                self.findings.append(f"<script {attrs}> element")
        elif tag in DANGEROUS_ELEMENTS and not (self.allow_svg and tag == "svg"):
            self.findings.append(f"<{tag}> element")
        if tag in {"link", "meta"} and not self.in_head:
            self.findings.append(f"<{tag}> outside the head")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.findings.append(f"<{tag} {name}={value!r}> event handler")
            elif name in {"style", "srcdoc", "http-equiv"}:
                self.findings.append(f"<{tag} {name}={value!r}>")
            elif name in URL_ATTRIBUTES and any(dangerous_url(url) for url in urls(name, value)):
                self.findings.append(f"<{tag} {name}={value!r}> script URL")


def urls(attribute: str, value: str) -> list[str]:
    if attribute == "srcset":  # "a.png 1x, b.png 2x"
        return [candidate.strip().split(" ")[0] for candidate in value.split(",")]
    return [value]


def audit(
    html: str, *, scripts: tuple[str, ...] = OWN_SCRIPTS, allow_svg: bool = False
) -> list[str]:
    parser = Audit(scripts=scripts, allow_svg=allow_svg)
    parser.feed(html)
    parser.close()
    return parser.findings


class _Text(HTMLParser):
    def __init__(self, tag: str, class_name: str | None):
        super().__init__(convert_charrefs=True)
        self.tag, self.class_name = tag, class_name
        self.depth, self.done, self.parts = 0, False, []

    def handle_starttag(self, tag, attrs):
        if tag != self.tag or self.done:
            return
        classes = (dict(attrs).get("class") or "").split()
        if self.depth or self.class_name is None or self.class_name in classes:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == self.tag and self.depth:
            self.depth -= 1
            self.done = self.depth == 0

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def text_of(html: str, tag: str, class_name: str | None = None) -> str:
    """The text of the page's first ``tag`` element (of that class), as a reader sees it."""
    parser = _Text(tag, class_name)
    parser.feed(html)
    return "".join(parser.parts)
