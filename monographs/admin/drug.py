"""The drug admin: the form, its inlines, and the list; review and history come from mixins."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST
from reversion.admin import VersionAdmin

from .. import history, search, workflow
from ..choices import SIDE_EFFECT_FIELDS
from ..models import Drug, Faq, Ingredient, Section, SideEffect
from . import parts
from .concurrent import ConcurrentEditsMixin, posted_merge
from .forms import MARKDOWN_EDITOR, DrugForm
from .history import HistoryMixin
from .review import STEP_CONSEQUENCES, ReviewMixin, refused_step

# Set only by the review workflow (workflow.py), never typed into the form.
WORKFLOW_FIELDS = [
    "status", "reviewed_by", "reviewed_on", "review_due", "changed_since_review",
    "text_changed_at",
]  # fmt: skip


class LiveIsReadOnly:
    """A published monograph's parts change only through its working draft."""

    def has_add_permission(self, request, obj=None):
        return not (obj and obj.edited_in_a_draft) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not (obj and obj.edited_in_a_draft) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj and obj.edited_in_a_draft) and super().has_delete_permission(request, obj)


class Part(LiveIsReadOnly):
    """One part of the monograph: its rows kept in order, collapsible, new rows last."""

    extra = 0
    formset = parts.InOrder
    classes = ["collapse"]


class IngredientInline(Part, admin.TabularInline):
    model = Ingredient
    form = parts.IngredientForm
    fk_name = "combination"
    fields = ["position", "name"]
    verbose_name_plural = "Ingredients (for a combination product)"


class SectionInline(Part, admin.StackedInline):
    model = Section
    form = parts.SectionForm
    fields = [("position", "kind", "heading"), "body"]
    formfield_overrides = MARKDOWN_EDITOR

    def get_extra(self, request, obj=None, **kwargs):
        # A new monograph starts from the house template (DrugAdmin.get_formset_kwargs).
        return len(parts.HOUSE_HEADINGS) if obj is None else 0

    def get_queryset(self, request):
        # Each form is titled with the section's str(), which names its drug.
        return super().get_queryset(request).select_related("drug")


class SideEffectInline(Part, admin.TabularInline):
    model = SideEffect
    form = parts.SideEffectForm
    fields = ["position", *SIDE_EFFECT_FIELDS]


class FaqInline(Part, admin.StackedInline):
    model = Faq
    form = parts.FaqForm
    fields = ["position", "question", "answer"]
    formfield_overrides = MARKDOWN_EDITOR


class ReviewFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return list(workflow.QUEUE_LABELS.items())

    def queryset(self, request, queryset):
        condition = workflow.queues().get(self.value())
        return queryset if condition is None else queryset.filter(condition)


@admin.register(Drug)
class DrugAdmin(ConcurrentEditsMixin, ReviewMixin, HistoryMixin, VersionAdmin):
    form = DrugForm
    list_display = ["__str__", "generic_name", "status", "reviewed_on", "review_due", "updated"]
    list_filter = [ReviewFilter, "status", "side_effects__severity", "reviewed_on", "review_due"]
    search_fields = ["title", "generic_name", "brand_names"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = [
        *WORKFLOW_FIELDS, "edit_count", "created", "updated", "source_path",
        "since_review", "saves", "imported_from",
    ]  # fmt: skip
    formfield_overrides = MARKDOWN_EDITOR
    inlines = [IngredientInline, SectionInline, SideEffectInline, FaqInline]
    list_per_page = 50
    show_full_result_count = False
    history_latest_first = True
    object_history_template = "admin/monographs/drug/history.html"
    actions = list(workflow.TRANSITIONS)
    change_list_template = "admin/monographs/drug/change_list.html"

    # The review workflow: buttons on the change page, actions on the list.

    def has_change_permission(self, request, obj=None):
        # A published monograph is read-only here: "Edit" opens its working draft.
        if obj is not None and obj.edited_in_a_draft:
            return False
        return super().has_change_permission(request, obj)

    def may_edit(self, request) -> bool:
        """May this person edit monographs at all (their drafts, if published)?"""
        return super().has_change_permission(request)

    def get_fieldsets(self, request, obj=None):
        """Details and introduction; the review and the record only once there are any."""
        details = ["title", "slug", "generic_name", "brand_names", "status"]
        if obj is not None and self.has_change_permission(request, obj):
            details.append("opened_at_edit")  # the edit count the form was opened at
        fieldsets = [("Details", details), ("Introduction", ["introduction"])]
        if obj is not None and obj.reviewed_on is not None:
            reviewed = ("reviewed_by", "reviewed_on", "review_due")
            fieldsets.append(("Review", [reviewed, "since_review"]))
        if obj is not None:
            imported = ["imported_from"] if obj.source_path else []
            fieldsets.append(("Record", ["saves", "created", "updated", *imported]))
        return [(name, {"fields": fields, "classes": ["collapse"]}) for name, fields in fieldsets]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs.setdefault("labels", parts.DRUG_LABELS)
        kwargs.setdefault("help_texts", parts.DRUG_HELP)
        form = super().get_form(request, obj, change=change, **kwargs)
        refusal = refused_step.get()
        if refusal is None:
            return form

        class Refused(form):
            """The form as posted with a workflow step that was refused: shown again."""

            def _post_clean(self):
                super()._post_clean()
                self.add_error(None, ValidationError(refusal, code="unsaved"))

        return Refused

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        # Given when the page is opened only: rows of the template sent back
        # unchanged are kept, as sections of the new monograph.
        if isinstance(inline, SectionInline) and obj.pk is None and request.method != "POST":
            kwargs["initial"] = parts.house_sections()
        return kwargs

    @admin.display(description="Changed since")
    def since_review(self, obj):
        if not obj.changed_since_review:
            return "Not changed since its last review."
        when = obj.text_changed_at and date_format(timezone.localtime(obj.text_changed_at), "j F Y")
        return f"Changed on {when}: waiting for a Reviewer again." if when else "Changed."

    @admin.display(description="Saved")
    def saves(self, obj):
        return "once" if obj.edit_count == 1 else f"{obj.edit_count} times"

    @admin.display(description="Imported from")
    def imported_from(self, obj):
        return obj.source_path

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "slug"] if obj is not None and obj.is_working_draft else fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None and obj.is_working_draft else self.prepopulated_fields

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        drug = form.instance
        if form.has_changed() or any(f.has_changed() for f in formsets):
            drug.mark_text_edited()
            Drug.objects.filter(pk=drug.pk).update(
                text_changed_at=drug.text_changed_at,
                changed_since_review=drug.changed_since_review,
            )
        search.reindex(drug)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        context["conflict"] = form.conflict
        context["error_summary"] = parts.error_summary(form, context["inline_admin_formsets"])
        merge = posted_merge.get()
        context["edit_merge"] = merge if merge is not None and merge.clashes else None
        # A monograph made in bulk starts its history when first opened for editing.
        opened = obj is not None and change and request.method == "GET"
        if opened and self.may_edit(request):
            history.ensure_recorded(obj)
        if obj is not None and not add:
            context["transitions"] = workflow.available(request.user, obj)
            context["steps"] = [
                {
                    "name": step.name,
                    "label": self.step_label(obj, step),
                    "confirm": STEP_CONSEQUENCES.get(step.name, ""),
                }
                for step in context["transitions"]
            ]
            context["schedule"] = self.schedule_context(request, obj)
            context["may_edit"] = self.may_edit(request)
            if obj.is_working_draft:
                live = obj.draft_of
                context["live"] = live
                context["draft_changes"] = history.draft_changes(obj)
            elif obj.edited_in_a_draft:
                context["working_draft"] = Drug.objects.filter(draft_of=obj).first()
            context["opened_at_edit"] = form["opened_at_edit"].value()
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("review/", wrap(self.review_view), name="monographs_drug_review"),
            path("<path:object_id>/merge/", wrap(self.merge_view), name="monographs_drug_merge"),
            path(
                "recover/<str:version_id>/", wrap(self.recover_view), name="monographs_drug_recover"
            ),
            path(
                "<path:object_id>/history/compare/",
                wrap(self.compare_view),
                name="monographs_drug_compare",
            ),
            path(
                "<str:object_id>/history/<str:version_id>/",
                wrap(self.revision_view),
                name="monographs_drug_revision",
            ),
            path(
                "<path:object_id>/working-draft/",
                wrap(require_POST(self.working_draft_view)),
                name="monographs_drug_working_draft",
            ),
            path(
                "<path:object_id>/schedule/",
                wrap(require_POST(self.schedule_view)),
                name="monographs_drug_schedule",
            ),
            path(
                "<path:object_id>/schedule/cancel/",
                wrap(require_POST(self.unschedule_view)),
                name="monographs_drug_unschedule",
            ),
            path(
                "<path:object_id>/workflow/<slug:name>/",
                wrap(require_POST(self.transition_view)),
                name="monographs_drug_transition",
            ),
            *super().get_urls(),
        ]
