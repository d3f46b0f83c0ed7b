import functools
import json

from django.conf import settings
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView
from markdownx.views import ImageUploadView

from . import monograph_body, search, terms
from .choices import Frequency, SectionKind, Severity, Status
from .filters import LETTERS, DrugFilter, SideEffectLookupFilter
from .forms import EditorImageForm
from .markdown import render as render_markdown
from .models import Drug, SideEffect
from .paging import CountedPaginator, UncountedPaginator


class PublishedDrugMixin:
    """Readers only ever see published monographs."""

    model = Drug

    def get_queryset(self):
        return Drug.objects.published()


class HomeView(TemplateView):
    template_name = "monographs/home.html"

    def get_context_data(self, **kwargs):
        published = Drug.objects.published().only("title", "slug", "reviewed_on", "updated")
        return super().get_context_data(
            letters=LETTERS,
            form=DrugFilter().form,
            recently_reviewed=published.filter(reviewed_on__isnull=False).order_by(
                "-reviewed_on", "title"
            )[:6],
            recently_updated=published.order_by("-updated", "title")[:6],
            **kwargs,
        )


LIST_FIELDS = ["title", "slug", "generic_name", "updated"]


# Searches finding more monographs than this are listed by name, not ranked.
RANKED_AT_MOST = 200


class DrugListView(PublishedDrugMixin, ListView):
    """A–Z, filters and ranked full-text search, in one GET form."""

    paginate_by = 50

    def get_queryset(self):
        self.filterset = DrugFilter(self.request.GET or None, queryset=super().get_queryset())
        drugs = self.filterset.qs.only(*LIST_FIELDS)
        cleaned = self.filterset.cleaned
        sort = cleaned.get("sort")
        order = {"updated": ["-updated", "title"]}.get(sort, ["title"])
        self.ranked = False
        self.hits = None  # counted by the paginator, unless a search counts them here
        if not cleaned.get("q"):
            return drugs.order_by(*order)
        if self.filterset.filters_beyond_search:
            # Filters the index cannot apply (joins, expressions) stay outside it.
            matching = search.matches(Drug.objects.all(), cleaned["q"]).values("pk")
            found = drugs.filter(pk__in=matching).order_by(*order)
        else:
            found = search.matches(drugs, cleaned["q"]).order_by(*order)
        # Ranking scores every match and counting reads every match, so only
        # the first matches are read, in page order, up to one past the cap.
        # Up to the cap they are counted and ranked; past it, a word found in
        # most monographs is listed in order without a total, and the page says so.
        self.first_keys = list(found.values_list("pk", flat=True)[: RANKED_AT_MOST + 1])
        self.hits = len(self.first_keys)
        self.listed = drugs.order_by(*order)
        if sort or self.hits > RANKED_AT_MOST:
            return found
        self.ranked = True
        ranking = Drug.objects.filter(pk__in=self.first_keys).only(*LIST_FIELDS)
        return search.search(ranking, cleaned["q"])

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True):
        if self.hits is None:
            return super().get_paginator(queryset, per_page, orphans, allow_empty_first_page)
        if self.hits > RANKED_AT_MOST:
            return UncountedPaginator(
                queryset,
                per_page,
                more_than=RANKED_AT_MOST,
                first_keys=self.first_keys,
                by_key=self.listed,
            )
        return CountedPaginator(queryset, per_page, count=self.hits, orphans=orphans)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            filter=self.filterset,
            letters=LETTERS,
            query=self.filterset.cleaned.get("q", ""),
            ranked=self.ranked,
            **kwargs,
        )


class DrugDetailView(PublishedDrugMixin, DetailView):
    def get_queryset(self):
        # Staff preview any monograph, whatever its status; the page says so.
        # A filtered page counts all side effects by severity in SQL; a plain
        # page counts those it shows, where its body is not kept already.
        return _monograph_page_queryset(
            staff=self.request.user.is_staff, severity_counts=bool(self.request.GET)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        data = structured_data(self.object, self.request)
        context.update(
            body=monograph_body.body_html(self.object, self.request.GET),
            json_ld=json_script_data(data),
            address=data["url"],  # the canonical and printed address
        )
        return context


@functools.cache
def _monograph_page_queryset(*, staff: bool, severity_counts: bool):
    """The monograph page's queryset, built once and only ever cloned (by ``filter``).

    Resolving its ingredient subquery costs more than running the query, so
    each request starts from the built one rather than building it anew.
    """
    drugs = Drug.objects.all() if staff else Drug.objects.published()
    return drugs.for_page(severity_counts=severity_counts)


def structured_data(drug: Drug, request) -> dict:
    """schema.org: a medical web page about a drug."""
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "name": drug.title,
        "url": request.build_absolute_uri(drug.get_absolute_url()),
        "dateModified": drug.updated.isoformat(),
        "about": {
            "@type": "Drug",
            "name": drug.title,
            **({"nonProprietaryName": drug.generic_name} if drug.generic_name else {}),
            **({"activeIngredient": [i.name for i in drug.ingredient_list]}
               if drug.ingredient_list else {}),
        },
    }  # fmt: skip
    if drug.reviewed_on:
        data["lastReviewed"] = drug.reviewed_on.isoformat()
        if drug.reviewer_name:
            data["reviewedBy"] = {"@type": "Person", "name": drug.reviewer_name}
    return data


def json_script_data(data: dict) -> str:
    """JSON safe to place inside a <script> element."""
    text = json.dumps(data, ensure_ascii=False, cls=DjangoJSONEncoder)
    return mark_safe(text.translate(_SCRIPT_ESCAPES))  # <, > and & escaped: no markup left


_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def drug_json(request, slug):
    """``/drugs/<slug>.json``: a published monograph as data."""
    drug = get_object_or_404(Drug.objects.published().for_detail(), slug=slug)
    data = {
        "title": drug.title,
        "slug": drug.slug,
        "url": request.build_absolute_uri(drug.get_absolute_url()),
        "generic_name": drug.generic_name,
        "brand_names": [b.strip() for b in drug.brand_names.split(",") if b.strip()],
        "ingredients": [i.name for i in drug.ingredient_list],
        "reviewed_on": drug.reviewed_on,
        "updated": drug.updated,
        "introduction": drug.introduction,
        "sections": [
            {"kind": s.kind, "heading": s.heading, "body": s.body} for s in drug.sections.all()
        ],
        "side_effects": [
            {
                "name": e.name,
                "detail": e.detail,
                "severity": Severity(e.severity).slug,
                "frequency": Frequency(e.frequency).name.lower().replace("_", "-"),
                "body_system": e.body_system,
            }
            for e in drug.side_effects.all()
        ],
        "faqs": [{"question": f.question, "answer": f.answer} for f in drug.faqs.all()],
    }
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})


def suggest(request):
    """Titles for the search box's suggestions, as JSON; the plain form works without it."""
    query = request.GET.get("q", "").strip()[:100]
    if len(query) < 2:
        return JsonResponse({"results": []})
    drugs = search.autocomplete(Drug.objects.published().only("title", "slug"), query)[:8]
    return JsonResponse(
        {"results": [{"title": d.title, "url": d.get_absolute_url()} for d in drugs]}
    )


class SideEffectLookupView(TemplateView):
    """Which published drugs list a side effect, at what severity and frequency."""

    template_name = "monographs/sideeffect_lookup.html"
    paginate_by = 50

    def get_context_data(self, **kwargs):
        filterset = SideEffectLookupFilter(
            self.request.GET or None, queryset=SideEffect.objects.all()
        )
        query = filterset.form.cleaned_data.get("q", "") if filterset.is_valid() else ""
        context = {"filter": filterset, "query": query, "term": terms.normalise(query)}
        if query:
            every = filterset.filter_queryset(SideEffect.objects.filter(term=context["term"]))
            matches = (
                every.filter(drug__status=Status.PUBLISHED)
                .select_related("drug")
                .only("name", "detail", "severity", "frequency", "drug__title", "drug__slug")
                .order_by("-severity", "drug__title", "position")
            )
            # Counted as every listing less those in unpublished monographs: both
            # from the index, not by looking up the monograph of each listing.
            unpublished = Drug.objects.filter(
                status__in=[status for status in Status if status != Status.PUBLISHED]
            )
            count = every.count() - every.filter(drug__in=unpublished).count()
            # A common side effect is listed by most medicines: a page at a time.
            paginator = CountedPaginator(matches, self.paginate_by, count=count)
            page = paginator.get_page(self.request.GET.get("page"))
            context.update(matches=page.object_list, page_obj=page)
        else:
            # Read from the lookup's index alone: every listing is counted.
            context["most_listed"] = (
                SideEffect.objects.filter(drug__status=Status.PUBLISHED)
                .values("term")
                .annotate(drugs=Count("drug", distinct=True))
                .order_by("-drugs", "term")[:60]
            )
        return super().get_context_data(**context, **kwargs)


class CompareView(TemplateView):
    """Two to four monographs side by side."""

    template_name = "monographs/compare.html"
    limits = (2, 4)

    def get_context_data(self, **kwargs):
        slugs = [s for s in self.request.GET.get("drugs", "").replace(" ", "").split(",") if s]
        slugs = list(dict.fromkeys(slugs))
        context = {"slugs": slugs, "limits": self.limits}
        if len(slugs) == 1:
            context["error"] = "Add one to three more medicines to compare with it."
            return super().get_context_data(**context, **kwargs)
        if not self.limits[0] <= len(slugs) <= self.limits[1]:
            context["error"] = "Choose between two and four medicines to compare."
            return super().get_context_data(**context, **kwargs)
        found = {d.slug: d for d in Drug.objects.published().for_detail().filter(slug__in=slugs)}
        drugs = [found[slug] for slug in slugs if slug in found]
        missing = [slug for slug in slugs if slug not in found]
        if missing:
            context["error"] = "No published monograph at: " + ", ".join(missing)
        kinds = [k for k in SectionKind if k not in (SectionKind.OTHER, SectionKind.DISCLAIMER)]
        context["drugs"] = drugs
        context["rows"] = [
            {
                "kind": kind,
                "cells": [[s for s in d.sections.all() if s.kind == kind] for d in drugs],
            }
            for kind in kinds
            if any(s.kind == kind for d in drugs for s in d.sections.all())
        ]
        effects: dict[str, dict] = {}
        for column, drug in enumerate(drugs):
            for effect in drug.side_effects.all():
                row = effects.setdefault(
                    effect.term, {"name": effect.name, "cells": [None] * len(drugs)}
                )
                row["cells"][column] = row["cells"][column] or effect
        context["side_effects"] = sorted(
            effects.values(),
            key=lambda r: (-sum(c is not None for c in r["cells"]), r["name"].casefold()),
        )
        return super().get_context_data(**context, **kwargs)


# The Markdown editor's endpoints. portal/urls.py puts them behind a staff login;
# on top of that they serve only staff who may edit monographs.


class EditorPermissionMixin(PermissionRequiredMixin):
    permission_required = "monographs.change_drug"
    raise_exception = True


class MarkdownPreviewView(EditorPermissionMixin, View):
    """The editor's live preview: the same sanitised HTML the page will show."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        return HttpResponse(render_markdown(request.POST.get("content", "")))


class EditorImageUploadView(EditorPermissionMixin, ImageUploadView):
    """An image dropped into the editor: a JSON answer either way, for the editor's script."""

    http_method_names = ["post"]
    form_class = EditorImageForm

    def form_valid(self, form):
        return JsonResponse({"image_code": f"![]({form.save()})"})

    def form_invalid(self, form):
        message = " ".join(error for errors in form.errors.values() for error in errors)
        return JsonResponse({"error": message, **form.errors}, status=400)


def locked_out(request, original_response=None, credentials=None):
    """What django-axes answers once an account is locked from an address."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
