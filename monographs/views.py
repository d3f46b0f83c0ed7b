from itertools import groupby

from django.conf import settings
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views import View
from django.views.generic import DetailView, ListView
from markdownx.views import ImageUploadView

from .choices import SectionKind, Severity
from .filters import SideEffectFilter
from .forms import EditorImageForm
from .markdown import render as render_markdown
from .models import Drug, SideEffect


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
            for run in _runs(tier, key=lambda e: e.body_system):
                inline = not filtering and all(e.written_inline for e in run)
                label = f"{run[0].body_system}:" if run[0].body_system else ""
                lists.append(
                    {"label": label, "inline": inline, "effects": run, "end": run[-1].list_end}
                )
            label = tier[0].tier_label
            if len(lists) == 1 and lists[0]["inline"] and not lists[0]["label"]:
                lists[0]["label"], label = label, ""  # "Common: a, b and c." reads as one line
            tiers.append({"label": label, "lists": lists})
        groups.append(
            {"severity": Severity(members[0].severity), "tiers": tiers, "count": len(members)}
        )
    return groups


def _contiguous(items, key):
    """Runs sharing ``key`` whose positions follow on; a gap starts a new run."""
    runs: list[list] = []
    for item in items:
        if runs and key(runs[-1][-1]) == key(item) and runs[-1][-1].position + 1 == item.position:
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


class PublishedDrugMixin:
    """Readers only ever see published monographs."""

    model = Drug

    def get_queryset(self):
        return Drug.objects.published()


class DrugListView(PublishedDrugMixin, ListView):
    paginate_by = 100

    def get_queryset(self):
        return super().get_queryset().only("title", "slug", "generic_name")


class DrugDetailView(PublishedDrugMixin, DetailView):
    def get_queryset(self):
        self.filterset = SideEffectFilter(
            self.request.GET or None, queryset=SideEffect.objects.all()
        )
        # Staff preview any monograph, whatever its status; the page says so.
        drugs = Drug.objects.all() if self.request.user.is_staff else super().get_queryset()
        return drugs.for_detail(side_effects=self.filterset.qs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        drug = self.object
        sections = list(drug.sections.all())
        anchors: set[str] = set()
        for section in sections:
            anchor = slugify(section.heading) or "section"
            while anchor in anchors:
                anchor += f"-{section.position}"
            anchors.add(anchor)
            section.anchor = anchor
        groups = severity_groups(drug.side_effects.all(), filtering=self.filterset.is_filtering)
        context.update(
            sections=sections,
            side_effects_section=next(
                (s for s in sections if s.kind == SectionKind.SIDE_EFFECTS), None
            ),
            faqs_section=next((s for s in sections if s.kind == SectionKind.FAQS), None),
            severity_groups=groups,
            filter=self.filterset,
            faqs=list(drug.faqs.all()),
        )
        return context


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
