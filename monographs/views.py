import functools

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.paginator import InvalidPage
from django.db import DEFAULT_DB_ALIAS
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView
from markdownx.views import ImageUploadView

from . import changelog, comparison, compiled, links, monograph_body, schema_org, search, workflow
from .api import DrugSerializer, site_root
from .filters import LETTERS, DrugFilter, SideEffectLookupFilter
from .forms import EditorImageForm
from .markdown import render as render_markdown
from .models import Drug, SideEffect, SideEffectTermCount
from .paging import CountedPaginator
from .signals import shows
from .spelling import IndexState


class PublishedDrugMixin:
    """Readers only ever see published monographs."""

    model = Drug

    def get_queryset(self):
        return Drug.objects.published()


class HomeView(TemplateView):
    template_engine = "jinja2"  # portal/jinja2.py
    template_name = "monographs/home.html"

    def get_context_data(self, **kwargs):
        published = Drug.objects.published().only("title", "slug", "reviewed_on", "updated")
        today = timezone.localdate()

        def recent() -> tuple[list, list]:
            # Only reviews that still hold: not overdue, nothing changed since.
            holding = published.filter(workflow.review_holds(today))
            return (
                list(holding.order_by("-reviewed_on", "title")[:6]),
                list(published.order_by("-updated", "title")[:6]),
            )

        # Kept while the index is unchanged (every save of a monograph moves it) and the day is.
        reviewed, updated = search.kept_rows.value(published.db, ("home", today), recent)
        return super().get_context_data(
            letters=LETTERS, recently_reviewed=reviewed, recently_updated=updated, **kwargs
        )


def refuses_nul(view):
    """A NUL character in the query string is no query: 400, never a database error."""

    @functools.wraps(view)
    def checked(request, *args, **kwargs):
        if any("\x00" in value for values in request.GET.lists() for value in values[1]):
            return HttpResponseBadRequest("The address holds a NUL character.")
        return view(request, *args, **kwargs)

    return checked


class RefusesNulMixin:
    @classmethod
    def as_view(cls, **initkwargs):
        return refuses_nul(super().as_view(**initkwargs))


class DrugListView(RefusesNulMixin, PublishedDrugMixin, ListView):
    """A–Z, filters and ranked full-text search, in one GET form."""

    template_engine = "jinja2"  # portal/jinja2.py
    template_name = "monographs/drug_list.html"
    context_object_name = "drug_list"
    paginate_by = 50

    def get_queryset(self):
        self.filterset = DrugFilter(self.request.GET or None, queryset=super().get_queryset())
        self.found = search.find_drugs(
            self.filterset,
            correct=self.request.GET.get("as_typed") != "1",
            per_page=self.paginate_by,
        )
        return self.found.drugs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(
            filter=self.filterset,
            letters=LETTERS,
            query=self.filterset.cleaned.get("q", ""),
            results=self.found.results,
            ranked=self.found.ranked,
            **kwargs,
        )
        if context["drug_list"]:
            scope = (type(self.filterset).__name__, self.filterset.narrowing())
            key = (*scope, context["query"], self.request.GET.get("as_typed") == "1")
            context["rows"] = kept_fragment(
                "monographs/drug_rows.html",
                (*key, context["page_obj"].number),
                {"drug_list": context["drug_list"]},
                state=getattr(self.found.drugs, "state", None),
            )
        return context


class DrugDetailView(PublishedDrugMixin, DetailView):
    template_engine = "jinja2"  # portal/jinja2.py: the body is kept HTML, the frame compiled
    template_name = "monographs/drug_detail.html"

    def get_object(self, queryset=None):
        # Staff preview any monograph, whatever its status; the page says so.
        # A filtered page counts all side effects by severity in SQL; a plain
        # page counts those it shows, where its body is not kept already.
        page = _monograph_page(
            staff=may_preview(self.request.user), severity_counts=bool(self.request.GET)
        )
        drug = page.get(self.kwargs["slug"])
        if drug is None:
            raise Http404("No published monograph has this address.")
        return drug

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        return shows_monograph(response, self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The body first: rendering it keeps the facts the structured data reads.
        body = monograph_body.body_html(self.object, self.request.GET)
        # The canonical and printed address, and the schema.org data: every side
        # effect and warning, whether the body is kept or filtered.
        address = self.request.build_absolute_uri(self.object.get_absolute_url())
        facts = monograph_body.page_facts(self.object)
        data = schema_org.page_data(self.object, address, facts)
        context.update(body=body, json_ld=schema_org.script_text(data), address=address)
        return context


def may_preview(user) -> bool:
    """Staff signed in with the second factor (django-otp) who may read monographs in
    the admin see unpublished ones on their pages too."""
    return (
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.is_verified()
        and (user.has_perm("monographs.view_drug") or user.has_perm("monographs.change_drug"))
    )


def shows_monograph(response, drug: Drug):
    """A monograph's page or data shows it and the monographs its ingredients link to.

    An ingredient without a monograph of its own gets a link once one is
    published: the page then changes with any monograph's publication.
    """
    ingredients = drug.ingredient_list
    linked = [i.drug_id for i in ingredients if i.drug_id is not None]
    unlinked = any(i.drug_id is None for i in ingredients)
    return shows(response, drug_ids=[drug.pk, *linked], listings=unlinked)


@functools.cache
def _monograph_page(*, staff: bool, severity_counts: bool) -> compiled.CompiledLookup:
    """The monograph page's drug by its slug, in one query compiled to SQL once.

    Compiling its subqueries costs several times running the query, and
    requests differ only in the slug (monographs/compiled.py).
    """

    def build():
        drugs = Drug.objects.all() if staff else Drug.objects.published()
        # One row, unsorted; its kept body and facts are read by their key (kept_parts).
        drugs = drugs.for_page(severity_counts=severity_counts).order_by()
        return drugs.defer("body_html", "body_facts")

    return compiled.CompiledLookup(build, "slug")


@functools.cache
def _compared_queryset():
    """What a comparison reads of each monograph, built once (as the monograph page's)."""
    return Drug.objects.published().for_detail()


def drug_json(request, slug):
    """``/drugs/<slug>.json``: a published monograph as data."""
    drug = get_object_or_404(Drug.objects.published().for_detail(), slug=slug)
    data = DrugSerializer(drug, context={"base": site_root(request)}).data
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    return shows_monograph(response, drug)


@refuses_nul
def drug_changes(request, slug):
    """``/drugs/<slug>/changes/``: every version of a published monograph, newest first,
    each with what changed from the one before (monographs/changelog.py)."""
    drug = get_object_or_404(
        Drug.objects.published().only("title", "slug", "status", "text_changed_at", "updated"),
        slug=slug,
    )
    try:
        page = changelog.page_of(drug, request.GET.get("page"))
    except InvalidPage as error:
        raise Http404(str(error)) from error
    response = render(
        request,
        "monographs/drug_changes.html",
        {"drug": drug, "page_obj": page, "paragraphs": changelog.paragraphs},
        using="jinja2",
    )
    return shows(response, drug_ids=[drug.pk])


@refuses_nul
def suggest(request):
    """Names for the search box's suggestions, as JSON; the plain form works without it."""
    query = request.GET.get("q", "").strip()[:100]
    if len(query) < 2:
        return JsonResponse({"results": []})
    drugs = Drug.objects.published().only("title", "slug").suggest(query)
    return JsonResponse(
        {"results": [{"title": d.title, "url": d.get_absolute_url()} for d in drugs]}
    )


class SideEffectLookupView(RefusesNulMixin, TemplateView):
    """Which published drugs list a side effect, at what severity and frequency."""

    template_engine = "jinja2"  # portal/jinja2.py
    template_name = "monographs/sideeffect_lookup.html"
    paginate_by = 50

    def get_context_data(self, **kwargs):
        filterset = SideEffectLookupFilter(
            self.request.GET or None, queryset=SideEffect.objects.all()
        )
        query = filterset.query
        context = {"filter": filterset, "query": query, "term": filterset.term}
        context["found"] = filterset.found
        if query:
            matches, count = filterset.listings()
            # A common side effect is listed by most medicines: a page at a time.
            paginator = CountedPaginator(matches, self.paginate_by, count=count)
            page = paginator.get_page(self.request.GET.get("page"))
            context.update(matches=page.object_list, page_obj=page)
            if page.object_list:
                key = (tuple(filterset.found.terms), filterset.narrowing(), page.number)
                context["rows"] = kept_fragment(
                    "monographs/sideeffect_rows.html",
                    key,
                    {"matches": page.object_list},
                    state=filterset.index_state,
                )
        else:
            # Kept as listings change (monographs/term_counts.py): a few rows at any size.
            most_listed = SideEffectTermCount.objects.order_by("-drugs", "term")
            context["most_listed"] = most_listed.values("term", "drugs")[:60]
        return super().get_context_data(**context, **kwargs)


class CompareView(RefusesNulMixin, TemplateView):
    """Two to four monographs side by side."""

    template_engine = "jinja2"  # portal/jinja2.py
    template_name = "monographs/compare.html"
    limits = (2, 4)

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        context = response.context_data
        if "chosen" not in context:  # an address that names too few or too many
            # A medicine waiting for a second is named by a search, as below.
            return shows(response, drug_ids=[], listings="waiting" in context)
        # A name other than a page address is matched by searching every monograph
        # (and one matching none may match one published later): any change may
        # move it. Page addresses name their monographs alone.
        by_address = all(
            named.drug is not None and named.drug.slug == named.typed.strip().lower()
            for named in context["chosen"]
        )
        drug_ids = [d.pk for d in context["drugs"]]
        return shows(response, drug_ids=drug_ids, listings=not by_address)

    def get_context_data(self, **kwargs):
        # "Compare with another medicine" on a monograph page names it as ``with``:
        # the form waits for a second name, and nothing is wrong yet.
        given = [n.strip() for n in self.request.GET.getlist("with") if n.strip()]
        names = given + [n.strip() for n in self.request.GET.getlist("drug") if n.strip()]
        # Older links list page addresses: ?drugs=ibuprofen,paracetamol
        names += [n.strip() for n in self.request.GET.get("drugs", "").split(",") if n.strip()]
        names = list(dict.fromkeys(names))[:10]
        context = {"names": names, "limits": self.limits, "fields": range(self.limits[1])}
        if len(names) == 1 and len(given) == 1:
            context["waiting"] = True
        elif len(names) == 1:
            context["error"] = "Add one to three more medicines to compare with it."
        elif names and not self.limits[0] <= len(names) <= self.limits[1]:
            context["error"] = "Choose between two and four medicines to compare."
        if len(names) < 2 or "error" in context:
            if context.get("waiting"):
                published = Drug.objects.published().only("title", "slug")
                [named] = search.name_medicines(published, names)
                names = [named.drug.title if named.drug else named.typed]
                context["waiting"] = names[0]
            context["inputs"] = (names + [""] * self.limits[1])[: self.limits[1]]
            return super().get_context_data(**context, **kwargs)
        published = Drug.objects.published()
        state = IndexState(published.db)
        # What names mean changes only with the monographs: kept as the comparison is.
        chosen = search.kept_rows.value(
            published.db,
            ("compare-names", tuple(names)),
            lambda: search.name_medicines(published.only("title", "slug"), names),
            state,
        )
        context["inputs"] = [c.drug.title if c.drug else c.typed for c in chosen]
        context["inputs"] += [""] * (self.limits[1] - len(chosen))
        context["chosen"] = chosen
        pks = list(dict.fromkeys(c.drug.pk for c in chosen if c.drug))
        compared = comparison.compare(_compared_queryset(), pks, state)
        if any(c.drug is None for c in chosen):
            context["error"] = "Some names match no published monograph; see below."
        context["drugs"] = compared.drugs
        context["rows"] = compared.rows
        context["side_effects"] = compared.side_effects
        # A comparison's two tables are most of the page's cost (a cell for each side
        # effect of each medicine), and the same for any names typed for these monographs.
        context["tables"] = kept_fragment(
            "monographs/compare_tables.html", tuple(pks), vars(compared), state=state
        )
        return super().get_context_data(**context, **kwargs)


def kept_fragment(template_name: str, key, context: dict, *, state=None) -> str:
    """A piece of a reader page, rendered once while the search index is unchanged.

    ``key`` names all the piece depends on besides the published monographs
    (every change to one of them, or to its parts, moves the index): the
    filters chosen, the page number, the monographs compared. The piece's
    template is a Jinja2 one, rendered without the request. ``state``: the
    index's state (:class:`monographs.spelling.IndexState`) if the page has read it.
    """

    def render() -> str:
        return render_to_string(
            template_name, {**context, "monograph_path": links.monograph_paths()}, using="jinja2"
        )

    kept = (template_name, key, get_script_prefix())
    return mark_safe(search.kept_rows.value(DEFAULT_DB_ALIAS, kept, render, state))


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
