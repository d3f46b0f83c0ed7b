import reversion
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST
from markdownx.widgets import AdminMarkdownxWidget
from reversion.admin import VersionAdmin

from . import history, merge, search, workflow
from .choices import SIDE_EFFECT_FIELDS
from .forms import MarkdownField
from .models import Drug, Faq, Ingredient, Section, SideEffect, person_name

admin.site.site_header = "Drug monograph portal"
admin.site.site_title = "Monograph portal admin"
admin.site.index_title = "Monographs"


class MarkdownEditor(AdminMarkdownxWidget):
    """markdownx's admin editor, plus a script that shows why an upload was refused."""

    class Media:
        js = ["js/editor.js"]


MARKDOWN_EDITOR = {models.TextField: {"widget": MarkdownEditor, "form_class": MarkdownField}}

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


class IngredientInline(LiveIsReadOnly, admin.TabularInline):
    model = Ingredient
    fk_name = "combination"
    extra = 0
    fields = ["position", "name"]
    verbose_name_plural = "Ingredients (for a combination product)"


class SectionInline(LiveIsReadOnly, admin.StackedInline):
    model = Section
    extra = 0
    fields = [("position", "kind", "heading"), "body"]
    formfield_overrides = MARKDOWN_EDITOR

    def get_queryset(self, request):
        # Each form is titled with the section's str(), which names its drug.
        return super().get_queryset(request).select_related("drug")


class SideEffectInline(LiveIsReadOnly, admin.TabularInline):
    model = SideEffect
    extra = 0
    fields = ["position", *SIDE_EFFECT_FIELDS]


class FaqInline(LiveIsReadOnly, admin.StackedInline):
    model = Faq
    extra = 0
    fields = ["position", "question", "answer"]
    formfield_overrides = MARKDOWN_EDITOR


class Conflict:
    """Someone saved the monograph after this form was loaded: who, when, and what."""

    def __init__(self, drug_pk, loaded: int | None, current: int | None):
        self.deleted = current is None
        latest = history.versions_of(drug_pk).first()
        self.user = latest.revision.user if latest else None
        self.when = latest.revision.date_created if latest else None
        self.comment = latest.revision.get_comment() if latest else ""
        base = history.version_at_edit(drug_pk, loaded) if loaded is not None else None
        drug = None if self.deleted else Drug.objects.get(pk=drug_pk)
        self.changes = (
            history.compare(history.revision_state(base.revision), history.live_state(drug))
            if base is not None and drug is not None
            else None
        )

    @property
    def who(self) -> str:
        if self.user is None:
            return "someone (or the importer)"
        return person_name(self.user)

    def message(self) -> str:
        if self.deleted:
            return f"{self.who} deleted this monograph after you opened it; nothing was saved."
        when = (
            date_format(timezone.localtime(self.when), "j F Y, H:i") if self.when else "meanwhile"
        )
        return (
            f"{self.who} changed this monograph on {when}, after you opened it, so your "
            "changes were not saved. They are still in the form below, and what was "
            "changed is listed here. To keep both, open the monograph again and make your "
            "changes there; saving this form as it is replaces those changes with it."
        )


class DrugForm(forms.ModelForm):
    # The lock: the edit count the form was opened at, checked again when it is saved.
    opened_at_edit = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Drug
        fields = ["title", "slug", "generic_name", "brand_names", "introduction"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict: Conflict | None = None
        if self.instance.pk is not None:
            self.fields["opened_at_edit"].initial = self.instance.edit_count

    def clean_title(self):
        title = self.cleaned_data["title"]
        if self.instance.is_working_draft:
            taken = Drug.objects.filter(title=title, draft_of__isnull=True).exclude(
                pk=self.instance.draft_of_id
            )
            if taken.exists():
                raise ValidationError("Another monograph has this title.", code="unique")
        return title

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        # Held until the save commits: a second save waits, then sees this one.
        current = (
            Drug.objects.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list("edit_count", flat=True)
            .first()
        )
        loaded = cleaned.get("opened_at_edit")
        if loaded != current:
            self.conflict = Conflict(self.instance.pk, loaded, current)
            # Shown again, the form carries the edit count it was compared with:
            # saving it now is a decision taken with the changes in view.
            self.data = self.data.copy()
            self.data[self.add_prefix("opened_at_edit")] = current
            raise ValidationError(self.conflict.message(), code="conflict")
        return cleaned


class ReviewFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return list(workflow.QUEUE_LABELS.items())

    def queryset(self, request, queryset):
        condition = workflow.queues().get(self.value())
        return queryset if condition is None else queryset.filter(condition)


@admin.register(Drug)
class DrugAdmin(VersionAdmin):
    form = DrugForm
    list_display = ["__str__", "generic_name", "status", "reviewed_on", "review_due", "updated"]
    list_filter = [ReviewFilter, "status", "side_effects__severity", "reviewed_on", "review_due"]
    search_fields = ["title", "generic_name", "brand_names"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = [*WORKFLOW_FIELDS, "edit_count", "created", "updated", "source_path"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "generic_name", "brand_names", "status"]}),
        ("Introduction", {"fields": ["introduction"]}),
        (
            "Review",
            {
                "fields": [
                    ("reviewed_by", "reviewed_on", "review_due"),
                    ("changed_since_review", "text_changed_at"),
                ]
            },
        ),
        (
            "Record",
            {"fields": ["edit_count", "created", "updated", "source_path", "opened_at_edit"]},
        ),
    ]
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

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "slug"] if obj is not None and obj.is_working_draft else fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None and obj.is_working_draft else self.prepopulated_fields

    def working_draft_view(self, request, object_id):
        """Open (making it on first use) the working draft of a published monograph."""
        live = get_object_or_404(Drug, pk=numeric_id(object_id))
        if not self.may_edit(request):
            raise PermissionDenied
        try:
            draft = workflow.open_working_draft(live, request.user)
        except workflow.TransitionError as refusal:
            messages.error(request, str(refusal))
            return HttpResponseRedirect(reverse("admin:monographs_drug_change", args=[live.pk]))
        search.reindex(draft)
        return HttpResponseRedirect(reverse("admin:monographs_drug_change", args=[draft.pk]))

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm(workflow.PUBLISH)

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm(workflow.REVIEW)

    def get_actions(self, request):
        actions = super().get_actions(request)
        for name, transition in workflow.TRANSITIONS.items():
            if not workflow.allowed_for(request.user, transition):
                actions.pop(name, None)
        return actions

    def get_action(self, action):
        transition = workflow.TRANSITIONS.get(action)
        if transition is None:
            return super().get_action(action)

        def run(modeladmin, request, queryset):
            self.apply_to_many(request, queryset, transition)

        return run, action, transition.label

    def apply_to_many(self, request, queryset, transition) -> None:
        done, refused = [], []
        for drug in queryset:
            try:
                workflow.take_step(drug, transition.name, request.user)
                done.append(str(drug))
            except workflow.TransitionError as refusal:
                refused.append(str(refusal))
        if done:
            messages.success(request, f"{transition.done}: {', '.join(done)}.")
        for refusal in refused:
            messages.error(request, refusal)

    def transition_view(self, request, object_id, name):
        drug = get_object_or_404(Drug, pk=numeric_id(object_id))
        if not self.may_edit(request):
            raise PermissionDenied
        transition = workflow.TRANSITIONS.get(name)
        if transition is None:
            raise Http404("No such workflow step.")
        if not workflow.allowed_for(request.user, transition):
            raise PermissionDenied
        loaded = _posted_int(request, "opened_at_edit")
        try:
            done = workflow.take_step(
                drug, name, request.user, expected_edit_count=loaded,
                note=request.POST.get("note", "")[:2000],
            )  # fmt: skip
        except workflow.TransitionError as refusal:
            messages.error(request, str(refusal))
            return HttpResponseRedirect(reverse("admin:monographs_drug_change", args=[drug.pk]))
        if done.pk != drug.pk:  # an approved working draft: now its live monograph
            messages.success(
                request, f"{transition.done}: “{done}” is live with its draft’s changes."
            )
        else:
            messages.success(request, f"{transition.done}: “{drug}”.")
        return HttpResponseRedirect(reverse("admin:monographs_drug_change", args=[done.pk]))

    # The reviewers' dashboard.

    def review_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        counts = workflow.queue_counts(today)
        queues = [
            {
                "name": name,
                "label": workflow.QUEUE_LABELS[name],
                "count": counts[name],
                "drugs": Drug.objects.filter(condition)
                .select_related("reviewed_by", "duplicate_of")
                .order_by("review_due", "title")[:25],
            }
            for name, condition in workflow.queues(today).items()
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Review dashboard",
            "opts": self.model._meta,
            "queues": queues,
            "chart": due_chart(workflow.due_by_month(today)),
            "interval_months": settings.MONOGRAPH_REVIEW_INTERVAL_MONTHS,
        }
        return TemplateResponse(request, "admin/monographs/drug/review.html", context)

    # Possible duplicates from an import: compare the two and merge them.

    def merge_view(self, request, object_id):
        duplicate = get_object_or_404(Drug, pk=numeric_id(object_id), duplicate_of__isnull=False)
        kept = duplicate.duplicate_of
        # A published monograph takes the merged parts in its working draft,
        # which goes live only once a reviewer approves it.
        may_edit_kept = (
            self.may_edit(request)
            if kept.edited_in_a_draft
            else self.has_change_permission(request, kept)
        )
        if not (self.has_change_permission(request, duplicate) and may_edit_kept):
            raise PermissionDenied
        form = MergeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                into = (
                    workflow.open_working_draft(kept, request.user)
                    if kept.edited_in_a_draft
                    else None
                )
                merged = merge.merge(
                    duplicate,
                    {part.name: form.cleaned_data[part.name] for part in merge.PARTS},
                    request.user,
                    expected_edit_counts=(form.cleaned_data["kept_edit_count"],
                                       form.cleaned_data["duplicate_edit_count"]),
                    into=into,
                )  # fmt: skip
            except (merge.MergeError, workflow.TransitionError) as refusal:
                messages.error(request, str(refusal))
            else:
                if into is None:
                    done = f"Merged “{duplicate}” into “{kept}”; it is archived."
                else:
                    done = (
                        f"Merged “{duplicate}” into the working draft of “{kept}”; it is "
                        "archived. Readers see the merged text once a reviewer approves the draft."
                    )
                messages.success(request, done)
                return HttpResponseRedirect(
                    reverse("admin:monographs_drug_change", args=[merged.pk])
                )
        drugs = Drug.objects.prefetch_related("sections", "side_effects", "faqs")
        kept, duplicate = drugs.get(pk=kept.pk), drugs.get(pk=duplicate.pk)
        parts = [
            {
                "part": part,
                "field": form[part.name],
                "kept": _part_content(kept, part),
                "duplicate": _part_content(duplicate, part),
            }
            for part in merge.PARTS
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Merge “{duplicate}” into “{kept}”",
            "opts": self.model._meta,
            "kept": kept,
            "duplicate": duplicate,
            "parts": parts,
            "form": form,
            "edit_counts": (kept.edit_count, duplicate.edit_count),
        }
        return TemplateResponse(request, "admin/monographs/drug/merge.html", context)

    # History: compare two revisions, restore one, recover a deleted monograph.

    def compare_view(self, request, object_id):
        drug = get_object_or_404(Drug, pk=numeric_id(object_id))
        if not self.has_view_or_change_permission(request, drug):
            raise PermissionDenied
        versions = history.versions_of(drug.pk)

        def pick(key):
            value = request.GET.get(key, "")
            if value in ("", "current"):
                return None
            return get_object_or_404(versions, pk=numeric_id(value))

        before, after = pick("from"), pick("to")
        if before is None:
            raise Http404("Choose a revision to compare from.")
        after_state = history.revision_state(after.revision) if after else history.live_state(drug)
        comparison = history.compare(history.revision_state(before.revision), after_state)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Changes to “{drug}”",
            "opts": self.model._meta,
            "original": drug,
            "before": before,
            "after": after,
            "comparison": comparison,
            "has_change_permission": self.may_edit(request),
        }
        return TemplateResponse(request, "admin/monographs/drug/compare.html", context)

    def history_view(self, request, object_id, extra_context=None):
        # The revisions, newest first, with the ids the compare form needs: built
        # here once, in place of the list reversion's VersionAdmin would build.
        action_list = [
            {
                "revision": version.revision,
                "version_id": version.pk,
                "url": reverse(
                    "admin:monographs_drug_revision", args=[version.object_id, version.pk]
                ),
            }
            for version in history.versions_of(numeric_id(object_id))
        ]
        return admin.ModelAdmin.history_view(
            self, request, object_id, {"action_list": action_list, **(extra_context or {})}
        )

    def revision_view(self, request, object_id, version_id, extra_context=None):
        """Restore one recorded version of this very monograph: its own part of that revision."""
        drug = get_object_or_404(Drug, pk=numeric_id(object_id))
        if not self.may_edit(request):
            raise PermissionDenied
        version = history.version_of_drug(drug.pk, numeric_id(version_id))
        if version is None:
            raise Http404("No such version of this monograph.")
        conflict = None
        if request.method == "POST":
            loaded = _posted_int(request, "opened_at_edit")
            with transaction.atomic():
                current = Drug.objects.select_for_update().get(pk=drug.pk)
                if loaded != current.edit_count:
                    conflict = Conflict(drug.pk, loaded, current.edit_count)
                elif current.edited_in_a_draft:
                    # Published: the restored text waits in its working draft for review.
                    current = workflow.open_working_draft(current, request.user)
                    history.restore(version, current, request.user)
                else:
                    history.restore(version, current, request.user)
            if conflict is None:
                search.reindex(current)
                when = date_format(timezone.localtime(version.revision.date_created), "j F Y, H:i")
                messages.success(
                    request,
                    f"“{current}” now says what it said on {when}; its status is as it was.",
                )
                return HttpResponseRedirect(
                    reverse("admin:monographs_drug_change", args=[current.pk])
                )
            drug.refresh_from_db()
        context = {
            **self.admin_site.each_context(request),
            "title": f"Restore an earlier version of “{drug}”",
            "opts": self.model._meta,
            "original": drug,
            "version": version,
            "comparison": history.compare(history.live_state(drug), history.own_state(version)),
            "conflict": conflict,
            "opened_at_edit": drug.edit_count,
        }
        return TemplateResponse(request, "admin/monographs/drug/restore.html", context)

    def recover_view(self, request, version_id, extra_context=None):
        """Bring back a deleted monograph (only a deleted one, only its own parts) as a draft."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        version = history.deleted_version(numeric_id(version_id))
        if version is None:
            raise Http404("No such deleted monograph.")
        if request.method == "POST":
            try:
                with transaction.atomic():
                    drug = history.recover(version, request.user)
            except IntegrityError:
                messages.error(
                    request,
                    "This monograph can't be recovered: another monograph now has its title or "
                    "page address. Rename that one first.",
                )
                return HttpResponseRedirect(reverse("admin:monographs_drug_recoverlist"))
            search.reindex(drug)
            messages.success(request, f"“{drug}” is back, as a draft.")
            return HttpResponseRedirect(reverse("admin:monographs_drug_change", args=[drug.pk]))
        state = history.own_state(version)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Recover “{version.object_repr}”",
            "opts": self.model._meta,
            "version": version,
            "counts": [
                (model._meta.verbose_name_plural, len(state[model])) for model in history.PARTS
            ],
        }
        return TemplateResponse(request, "admin/monographs/drug/recover.html", context)

    def changelist_view(self, request, extra_context=None):
        # Not inside one revision for the whole request, as VersionAdmin has it:
        # each workflow step and each deletion of the list's actions records a
        # revision of its own monograph. A revision holding several monographs
        # would restore them all, and one saved after a deletion leaves the
        # deleted monographs out (nothing to recover them from).
        return admin.ModelAdmin.changelist_view(self, request, extra_context)

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

    def delete_model(self, request, obj):
        record_deletion(request, [obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        record_deletion(request, list(queryset))
        super().delete_queryset(request, queryset)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        context["conflict"] = form.conflict
        # A monograph made in bulk starts its history when first opened for editing.
        opened = obj is not None and change and request.method == "GET"
        if opened and self.may_edit(request):
            history.ensure_recorded(obj)
        if obj is not None and not add:
            context["transitions"] = workflow.available(request.user, obj)
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
                "<path:object_id>/workflow/<slug:name>/",
                wrap(require_POST(self.transition_view)),
                name="monographs_drug_transition",
            ),
            *super().get_urls(),
        ]


def numeric_id(value) -> int:
    """An id from an address or a form: digits 0-9 only, else there is no such page."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise Http404("No such page.")
    return int(text)


def _posted_int(request, name) -> int | None:
    text = request.POST.get(name, "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


class MergeForm(forms.Form):
    """Where each part of the merged monograph comes from."""

    kept_edit_count = forms.IntegerField(widget=forms.HiddenInput)
    duplicate_edit_count = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for part in merge.PARTS:
            self.fields[part.name] = forms.ChoiceField(
                label=part.label,
                choices=[
                    (merge.KEPT, "Keep this monograph's"),
                    (merge.DUPLICATE, "Take the duplicate's"),
                ],
                initial=merge.KEPT,
                widget=forms.RadioSelect,
            )


def _part_content(drug: Drug, part) -> dict:
    """What one side of the merge page shows of a part."""
    if part.model is None:
        return {"generic_name": drug.generic_name, "introduction_html": drug.introduction_html}
    return {"items": list(getattr(drug, part.name).all())}


def record_deletion(request, drugs) -> None:
    """Keep a last revision of each monograph being deleted, so that it can be recovered."""
    with reversion.create_revision():
        reversion.set_user(request.user)
        reversion.set_comment("Deleted")
        for drug in drugs:
            reversion.add_to_revision(drug)


def due_chart(months, *, width=640, height=200) -> dict:
    """Bars for a server-drawn SVG: reviews falling due in each month."""
    top = max((n for _, n in months), default=0) or 1
    left, bottom, gap = 32, 28, 6
    slot = (width - left) / max(len(months), 1)
    bars = []
    for i, (month, n) in enumerate(months):
        bar_height = round((height - bottom - 16) * n / top)
        x = round(left + i * slot + gap / 2, 1)
        bars.append(
            {
                "x": x,
                "y": height - bottom - bar_height,
                "width": round(slot - gap, 1),
                "height": bar_height,
                "label_x": round(x + (slot - gap) / 2, 1),
                "month": month,
                "count": n,
            }
        )
    return {"width": width, "height": height, "bars": bars, "top": top,
            "baseline": height - bottom, "left": left}  # fmt: skip
