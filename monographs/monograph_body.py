"""A monograph page's body — contents, sections, side effects, FAQs — rendered once.

The body is the page's costly part and the same for every reader, so the
first request after a change renders it and keeps it beside the drug, for
that edit of it (``Drug.rendered_for_edit``), under a key of its own that
workers keep it by (:func:`kept_parts`). Every save of a drug raises its
edit count, and a section, side effect or FAQ saved or deleted on its own
(outside the drug's form or the importer) voids the kept body too: a reader
never gets a body older than the monograph. Pages filtered by severity or
frequency, or grouped by frequency (``?group=frequency``), are rendered for
each request.

Severity (how bad) and frequency (how often) are two things: the side
effects are grouped by one and each shows the other, where it is known.
"""

import copy
import uuid
from collections import Counter
from itertools import groupby
from urllib.parse import urlencode

from django.db.models import prefetch_related_objects
from django.db.models.signals import post_delete, post_save
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

from .choices import Frequency, SectionKind, Severity
from .fhir import plain_text
from .filters import SideEffectFilter
from .markdown import render_inline
from .models import Drug, Faq, Section, SideEffect, part_prefetches
from .recent import RecentlyUsed
from .schema_org import dosage_forms
from .written_lists import written_runs

TEMPLATE = "monographs/includes/monograph_body.html"


def _runs(items, key):
    """Split a sequence into runs of neighbours that share ``key``."""
    return [list(run) for _, run in groupby(items, key=key)]


def severity_groups(side_effects, *, filtering: bool = False) -> list[dict]:
    """Side effects by severity; within each, the lists as the source wrote them.

    A tier is a run of neighbouring side effects under one introduction, so two
    "Common:" lists (say, one per ingredient) stay two tiers. Within a tier,
    side effects of one organ system form a list of their own. A list the
    source wrote as a sentence ("Common: a, b and c.") is shown as one,
    except while filtering, when gaps would break the sentence.
    """
    ordered = sorted(side_effects, key=lambda e: (e.severity, e.position))
    groups = []
    for members in _runs(ordered, key=lambda e: e.severity):
        tiers = []
        for tier in _contiguous(members, key=lambda e: e.tier_label):
            lists = []
            # The lists the source wrote: "* a, b, and c." among bullets reads as written.
            for run in written_runs(tier, key=lambda e: (e.body_system, e.written_inline)):
                inline = not filtering and all(e.written_inline for e in run)
                label = f"{run[0].body_system}:" if run[0].body_system else ""
                end = render_inline(run[-1].list_end)  # sanitised: the source's own emphasis
                frequency = shared_frequency(run)
                lists.append(
                    {
                        "label": label,
                        "inline": inline,
                        "effects": run,
                        "end_html": end,
                        "frequency": frequency,
                        # Said once for neighbouring lists of one tier that share it.
                        "says_frequency": frequency is not None
                        and (not lists or lists[-1]["frequency"] != frequency),
                    }
                )
            label = tier[0].tier_label
            if len(lists) == 1 and lists[0]["inline"] and not lists[0]["label"]:
                lists[0]["label"], label = label, ""  # "Common: a, b and c." reads as one line
            tiers.append({"label": label, "lists": lists})
        groups.append(
            {"severity": Severity(members[0].severity), "tiers": tiers, "count": len(members)}
        )
    return groups


def shared_frequency(effects) -> Frequency | None:
    """The frequency every one of these side effects has, where it is known: shown once
    for their list. Otherwise (none, or several) each shows its own, where known."""
    found = {effect.frequency for effect in effects}
    if len(found) == 1 and (only := found.pop()) != Frequency.NOT_KNOWN:
        return Frequency(only)
    return None


def frequency_groups(side_effects) -> list[dict]:
    """Side effects by how often they happen, the most frequent first; within each,
    the most severe first, then as the monograph lists them."""
    ordered = sorted(side_effects, key=lambda e: (e.frequency, -e.severity, e.position))
    return [
        {"frequency": Frequency(run[0].frequency), "effects": run, "count": len(run)}
        for run in _runs(ordered, key=lambda e: e.frequency)
    ]


GROUPINGS = {"severity": "Severity", "frequency": "How often"}


def grouping(params) -> str:
    """How the page groups its side effects: ``?group=frequency``, or by severity."""
    return "frequency" if params and params.get("group") == "frequency" else "severity"


def grouping_links(action: str, params, current: str) -> list[dict]:
    """The grouping control: a link for each way, keeping the filter that is chosen."""
    given = params.lists() if params else []
    kept = [(k, v) for k, values in given if k not in ("group", "page") for v in values]
    links = []
    for value, label in GROUPINGS.items():
        query = kept + ([("group", value)] if value != "severity" else [])
        href = f"{action}?{urlencode(query)}" if query else action
        links.append(
            {"label": label, "href": f"{href}#side-effect-filter", "current": value == current}
        )
    return links


# How the printed note names a severity or a frequency.
_SEVERITY_WORDS = {
    Severity.MILD: "mild",
    Severity.SERIOUS: "serious",
    Severity.EMERGENCY: "emergency",
}
_FREQUENCY_WORDS = {f: f.label.split(" (")[0].lower() for f in Frequency} | {
    Frequency.NOT_KNOWN: "of unknown frequency"
}


def _words(items: list[str], last: str) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"


def filter_note(filterset, shown: int, total: int) -> str:
    """What a filtered page leaves out, for its printed copy: "Showing only serious side
    effects; 12 others left out." Empty where nothing is filtered."""
    if not filterset.is_filtering:
        return ""
    data = filterset.form.cleaned_data
    severities = [
        _SEVERITY_WORDS[s] for s in Severity if s.name.lower() in data.get("severity", [])
    ]
    frequencies = [
        _FREQUENCY_WORDS[f]
        for f in Frequency
        if f.name.lower().replace("_", "-") in data.get("frequency", [])
    ]
    what = "Showing only "
    what += f"{_words(severities, 'and')} side effects" if severities else "side effects"
    if frequencies:
        what += f" that are {_words(frequencies, 'or')}"
    others = total - shown
    left = f"{others} other{'s' if others != 1 else ''} left out" if others > 0 else "none left out"
    return f"{what}; {left} (of {total})."


def _contiguous(items, key):
    """Runs sharing ``key`` whose positions follow on; a gap starts a new run."""
    runs: list[list] = []
    for item in items:
        if runs and key(runs[-1][-1]) == key(item) and runs[-1][-1].position + 1 == item.position:
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


def body_html(drug: Drug, params) -> SafeString:
    """The body for a request with these query parameters: kept if it can be,
    rendered (and kept) if not. Parameters filter the side effects.

    ``drug`` comes from ``Drug.objects.for_page()``.
    """
    if not params and (kept := kept_parts(drug)):
        return mark_safe(kept[0])  # rendered from sanitised HTML and escaped text below
    filterset = SideEffectFilter(params or None, queryset=SideEffect.objects.all())
    prefetch_related_objects([drug], *part_prefetches(filterset.qs))
    html = render_to_string(TEMPLATE, body_context(drug, filterset, params))
    if not filterset.is_bound:
        # Kept only if nobody saved the drug meanwhile (its edit count unchanged).
        kept = {"body_html": html, "body_facts": part_facts(drug), "body_key": uuid.uuid4()}
        if Drug.objects.filter(pk=drug.pk, edit_count=drug.edit_count).update(
            **kept, rendered_for_edit=drug.edit_count
        ):
            vars(drug).update(kept, rendered_for_edit=drug.edit_count)
            _kept_under.put(drug._state.db, drug.pk, kept["body_key"], (html, kept["body_facts"]))
    return mark_safe(html)


def kept_parts(drug: Drug) -> tuple[str, dict | None] | None:
    """The body and facts kept for the drug's current edit, if they are.

    A drug read with its page's query leaves them out (``defer()``): they are
    tens of kilobytes a row, the same for every request until the next edit.
    Each worker then reads them once under their key and keeps the most
    recently shown (``_kept_under``); a body kept anew gets a new key.
    """
    if drug.rendered_for_edit != drug.edit_count:
        return None
    if "body_html" not in drug.get_deferred_fields():
        return drug.body_html, drug.body_facts
    if drug.body_key is None:  # kept before bodies had keys: kept anew
        return None
    return _kept_under.get(drug._state.db, drug.pk, drug.body_key)


class _KeptBodies:
    """Bodies and facts by (database, drug, key), the most recently shown kept:
    256 of 10–60 kB each, a few megabytes a worker."""

    def __init__(self):
        self._recent = RecentlyUsed(256)

    def get(self, using: str, pk: int, key) -> tuple[str, dict | None] | None:
        if (found := self._recent.get((using, pk, key))) is not None:
            return found
        row = Drug.objects.using(using).filter(pk=pk, body_key=key)
        found = row.values_list("body_html", "body_facts").first()
        if found is not None:  # else kept anew meanwhile, under another key
            self.put(using, pk, key, tuple(found))
        return found

    def put(self, using: str, pk: int, key, parts: tuple[str, dict | None]) -> None:
        self._recent.put((using, pk, key), parts)


_kept_under = _KeptBodies()


def page_facts(drug: Drug) -> dict:
    """What the page's structured data says of the drug's parts (:func:`part_facts`),
    kept with its body.

    Where none are kept (a filtered page: its drug holds some side effects
    only; or a body kept before its facts were), the whole body is rendered
    and kept once more, on a copy of the drug, and its facts with it.
    """
    if (kept := kept_parts(drug)) and kept[1] is not None:
        return kept[1]
    whole = copy.copy(drug)
    whole._prefetched_objects_cache = {}
    whole.rendered_for_edit = None
    body_html(whole, {})
    return part_facts(whole)


def part_facts(drug: Drug) -> dict:
    """From all of a drug's fetched parts: each side effect as ``[severity, name]``
    (its detail in brackets), the Precautions sections' text, and the dosage forms
    its Dosage sections name (:func:`schema_org.dosage_forms`)."""
    sections = drug.sections.all()
    warnings = (plain_text(s.body_html) for s in sections if s.kind == SectionKind.PRECAUTIONS)
    dosage = " ".join(s.body_html for s in sections if s.kind == SectionKind.DOSAGE)
    return {
        "side_effects": [
            [e.severity, f"{e.name} ({e.detail})" if e.detail else e.name]
            for e in drug.side_effects.all()
        ],
        "warning": "\n\n".join(text for text in warnings if text),
        "dosage_forms": dosage_forms(plain_text(dosage)),
    }


def add_anchors(sections) -> list:
    """Give each section the id of its heading on the page (``section.anchor``)."""
    anchors: set[str] = set()
    for section in sections:
        anchor = slugify(section.heading) or "section"
        while anchor in anchors:
            anchor += f"-{section.position}"
        anchors.add(anchor)
        section.anchor = anchor
    return sections


def body_context(drug: Drug, filterset, params=None) -> dict:
    sections = add_anchors(list(drug.sections.all()))
    effects = drug.side_effects.all()
    counts = severity_counts(drug, filterset)
    group = grouping(params)
    action = drug.get_absolute_url()
    return {
        "drug": drug,
        "sections": sections,
        "side_effects_section": next(
            (s for s in sections if s.kind == SectionKind.SIDE_EFFECTS), None
        ),
        "faqs_section": next((s for s in sections if s.kind == SectionKind.FAQS), None),
        "severity_groups": severity_groups(effects, filtering=filterset.is_filtering),
        "frequency_groups": frequency_groups(effects) if group == "frequency" else [],
        "group": group,
        "group_links": grouping_links(action, params, group),
        "severity_counts": counts,
        "filter": filterset,
        "filter_note": filter_note(filterset, len(effects), sum(n for _, n in counts)),
        "faqs": list(drug.faqs.all()),
    }


def severity_counts(drug: Drug, filterset) -> list[tuple[Severity, int]]:
    """All its side effects, counted by severity, whichever of them are shown."""
    if filterset.is_bound:  # counted in SQL: Drug.objects.for_page(severity_counts=True)
        return [(s, getattr(drug, f"{s.slug}_count")) for s in Severity]
    counts = Counter(effect.severity for effect in drug.side_effects.all())
    return [(s, counts[s]) for s in Severity]


def _void_kept_body(sender, instance, **kwargs):
    Drug.objects.filter(pk=instance.drug_id).update(rendered_for_edit=None)


def connect_signals() -> None:
    for model in (Section, SideEffect, Faq):
        uid = f"kept-body-{model._meta.label_lower}"
        post_save.connect(_void_kept_body, sender=model, dispatch_uid=uid)
        post_delete.connect(_void_kept_body, sender=model, dispatch_uid=uid)
