from itertools import groupby

from django.utils.text import slugify
from django.views.generic import DetailView, ListView

from .choices import SectionKind, Severity
from .filters import SideEffectFilter
from .models import Drug, SideEffect


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
        return super().get_queryset().for_detail(side_effects=self.filterset.qs)

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
        effects = sorted(drug.side_effects.all(), key=lambda e: (e.severity, e.position))
        groups = [
            {
                "severity": Severity(severity),
                "tiers": [
                    {"label": label, "effects": list(items)}
                    for label, items in groupby(members, key=lambda e: e.tier_label)
                ],
                "count": len(members),
            }
            for severity, grouped in groupby(effects, key=lambda e: e.severity)
            for members in [list(grouped)]
        ]
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
