"""The XSS corpus, entered through the admin, in a real Chromium: nothing runs.

Each vector is typed into every field of a new monograph through the admin's add
form; Chromium then opens its public page, the A–Z list and the admin list. No
dialog may open and the live DOM may hold no script, handler or script URL that
the page did not bring itself.

It runs twice: with the Content Security Policy on, as in production, and with
it off, to show that the sanitiser and the templates hold on their own and not
only behind the CSP. Without the CSP Chromium also opens every monograph's admin
page, where the markdownx live preview renders each Markdown field in the
browser. ``PORTAL_XSS_VECTORS`` adds held-out vectors (see tests/xss.py).
"""

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page

from tests.xss import DATA_BLOCK_TYPES, URL_ATTRIBUTES, AdminEntry, load_vectors

from ..factories import staff_login
from .conftest import csp_violations, wait_for_previews

pytestmark = pytest.mark.browser

VECTORS = load_vectors()

# The same rules as tests/xss.py's Audit, on the DOM as Chromium built it (after
# the admin's scripts and the markdownx previews have run), with URLs resolved by
# the browser itself.
DOM_AUDIT = """
([urlAttributes, dataBlockTypes]) => {
  const SAFE = new Set(["http:", "https:", "mailto:"]);
  const OWN_SCRIPTS = [location.origin + "/static/", location.origin + "/admin/jsi18n/"];
  const isDataBlock = (el) =>
    el.parentElement === document.head && dataBlockTypes.includes((el.type || "").toLowerCase());
  const EMBEDDING = new Set(
    ["applet", "base", "embed", "frame", "frameset", "iframe", "object", "portal"]);
  const findings = [];
  const describe = (el) => el.outerHTML.slice(0, 160);
  for (const el of document.querySelectorAll("*")) {
    const tag = el.localName;
    if (tag === "script" && !isDataBlock(el)
        && !OWN_SCRIPTS.some((own) => (el.src || "").startsWith(own))) {
      findings.push("script: " + describe(el));
    }
    if (EMBEDDING.has(tag)) findings.push(tag + ": " + describe(el));
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) {
        findings.push("handler: " + describe(el));
      } else if (name === "srcdoc") {
        findings.push("srcdoc: " + describe(el));
      } else if (urlAttributes.includes(name)) {
        const values = name === "srcset"
          ? attr.value.split(",").map((c) => c.trim().split(/\\s+/)[0]) : [attr.value];
        for (const value of values) {
          let protocol;
          try { protocol = new URL(value, document.baseURI).protocol; } catch (e) { continue; }
          if (!SAFE.has(protocol)) findings.push("url: " + describe(el));
        }
      }
    }
  }
  return findings;
}
"""


@pytest.fixture
def vector_drugs(superuser):
    client = Client()
    staff_login(client, superuser)
    entry = AdminEntry(client)
    return [(vector, entry.add(vector.text, f"xss-{n}")) for n, vector in enumerate(VECTORS)]


@pytest.mark.parametrize("policy", ["csp-on", "csp-off"])
def test_no_vector_entered_through_the_admin_runs_in_chromium(
    signed_in: Page, watched: Page, live_server, vector_drugs, settings, policy
):
    page = watched
    if policy == "csp-off":
        settings.CONTENT_SECURITY_POLICY = None
    findings: list[str] = []

    def visit(path: str, label: str, *, previews: bool = False) -> None:
        response = page.goto(live_server.url + path)
        assert response.ok, f"{path}: {response.status}"
        assert ("content-security-policy" in response.headers) == (policy == "csp-on")
        if previews:
            wait_for_previews(page)
        found = page.evaluate(DOM_AUDIT, [sorted(URL_ATTRIBUTES), sorted(DATA_BLOCK_TYPES)])
        findings.extend(f"{label} {path}: {finding}" for finding in found)

    for vector, drug in vector_drugs:
        visit(drug.get_absolute_url(), str(vector))
        if policy == "csp-off":
            admin_page = reverse("admin:monographs_drug_change", args=[drug.pk])
            visit(admin_page, str(vector), previews=True)
    visit(reverse("monographs:drug_list"), "A–Z list")
    visit(reverse("admin:monographs_drug_changelist") + "?all=", "admin list")

    assert page.dialogs == []
    assert findings == []
    assert csp_violations(page) == []
