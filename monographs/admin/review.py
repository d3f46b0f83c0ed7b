"""The review side of the drug admin: workflow steps, approvals to go live later, the
dashboard, merging duplicates."""

from contextvars import ContextVar

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from .. import merge, search, workflow
from ..models import Drug
from .forms import MergeForm, ScheduleForm
from .ids import numeric_id, posted_int

# What the workflow buttons of the drug's page send besides the step.
FROM_PAGE = "_from_page"  # pressed on the page (not a script or a list action)
FORM_SENT = "sections-TOTAL_FORMS"  # with the drug form's fields, edits and all
DISCARD = "_discard_changes"  # the person chose to take the step without saving
CONFIRMED = "_confirmed"  # asked "are you sure?" and said yes

# Steps that change what readers see: asked again before they are taken.
CONFIRMED_STEPS = ("publish", "archive")  # the steps of STEP_CONSEQUENCES
STEP_CONSEQUENCES = {
    "publish": "Readers will see this version of the monograph as soon as it is published.",
    "archive": "Readers will no longer find the monograph; it can be reopened as a draft later.",
}


# Why a workflow step sent with unsaved edits was refused, for the form shown
# again in its place (DrugAdmin.get_form): set for that one call only.
refused_step: ContextVar[str | None] = ContextVar("refused_step", default=None)


class ReviewMixin:
    """Workflow buttons on the change page, actions on the list, and the dashboard."""

    def working_draft_view(self, request, object_id):
        """Open (making it on first use) the working draft of a published monograph."""
        live = get_object_or_404(Drug, pk=numeric_id(object_id))
        if not self.may_edit(request):
            raise PermissionDenied
        try:
            draft = workflow.open_working_draft(live, request.user, request=request)
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
                workflow.take_step(drug, transition.name, request.user, request=request)
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
        change_url = reverse("admin:monographs_drug_change", args=[drug.pk])
        # The page's buttons send the whole drug form with the step: edits not
        # saved yet must not be lost without a word.
        if FORM_SENT in request.POST and DISCARD not in request.POST:
            unsaved = self.unsaved_changes(request, drug)
            if unsaved:
                token = refused_step.set(
                    f"You have unsaved changes ({', '.join(unsaved)}): save them first, then "
                    f"{transition.label.lower()}. They are still in the form below."
                )
                try:
                    return self.changeform_view(request, str(drug.pk), form_url=change_url)
                finally:
                    refused_step.reset(token)
        note = request.POST.get(f"note_{name}", request.POST.get("note", "")).strip()[:2000]
        if FROM_PAGE in request.POST:
            if name == "reject" and not note:
                messages.error(request, "Say why you return it to its author: nothing was done.")
                return HttpResponseRedirect(change_url)
            if name in CONFIRMED_STEPS and not request.POST.get(CONFIRMED):
                return self.confirm_step_view(request, drug, transition, note)
        loaded = posted_int(request, "opened_at_edit")
        try:
            done = workflow.take_step(
                drug,
                name,
                request.user,
                expected_edit_count=loaded,
                note=note,
                request=request,
            )
        except workflow.TransitionError as refusal:
            messages.error(request, str(refusal))
            return HttpResponseRedirect(change_url)
        if done.pk != drug.pk:  # an approved working draft: now its live monograph
            messages.success(
                request, f"{transition.done}: “{done}” is live with its draft’s changes."
            )
        else:
            messages.success(request, f"{transition.done}: “{drug}”.")
        return HttpResponseRedirect(reverse("admin:monographs_drug_change", args=[done.pk]))

    def unsaved_changes(self, request, drug) -> list[str]:
        """What the drug form posted with a step changes of the saved monograph, by name."""
        if not self.has_change_permission(request, drug):
            return []  # a read-only page has nothing to save
        form = self.get_form(request, drug, change=True)(request.POST, request.FILES, instance=drug)
        changed = [
            str(form.fields[name].label or name)
            for name in form.changed_data
            if name != "opened_at_edit"  # compared by the workflow itself
        ]
        formsets, _ = self._create_formsets(request, drug, change=True)
        parts = [f.model._meta.verbose_name_plural for f in formsets if f.has_changed()]
        return changed + [str(capfirst(part)) for part in parts]

    def confirm_step_view(self, request, drug, transition, note):
        """Asks again before a step readers notice (publishing, archiving), without JavaScript."""
        context = {
            **self.admin_site.each_context(request),
            "title": f"{self.step_label(drug, transition)}: “{drug}”?",
            "opts": self.model._meta,
            "original": drug,
            "transition": transition,
            "label": self.step_label(drug, transition),
            "consequence": STEP_CONSEQUENCES.get(transition.name, ""),
            "note": note,
            "opened_at_edit": request.POST.get("opened_at_edit", ""),
        }
        return TemplateResponse(request, "admin/monographs/drug/confirm_step.html", context)

    @staticmethod
    def step_label(drug, transition) -> str:
        if drug.is_working_draft and transition.name == "publish":
            return "Approve: make it live"
        return transition.label

    # Approving to go live later, and taking that back.

    def schedule_view(self, request, object_id):
        drug = get_object_or_404(Drug, pk=numeric_id(object_id))
        if not (self.may_edit(request) and self.has_publish_permission(request)):
            raise PermissionDenied
        back = HttpResponseRedirect(reverse("admin:monographs_drug_change", args=[drug.pk]))
        form = ScheduleForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, f"Not scheduled: {error}")
            return back
        try:
            drug = workflow.schedule(
                drug, request.user, form.cleaned_data["goes_live_at"],
                expected_edit_count=form.cleaned_data["opened_at_edit"], request=request,
            )  # fmt: skip
        except workflow.TransitionError as refusal:
            messages.error(request, str(refusal))
            return back
        messages.success(
            request,
            f"Approved: “{drug}” goes live on {workflow.local_time(drug.goes_live_at)}. "
            "Readers see what they see now until then.",
        )
        return back

    def unschedule_view(self, request, object_id):
        drug = get_object_or_404(Drug, pk=numeric_id(object_id))
        if not (self.may_edit(request) and self.has_publish_permission(request)):
            raise PermissionDenied
        try:
            workflow.cancel_schedule(drug, request.user, request=request)
        except workflow.TransitionError as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, f"Cancelled: “{drug}” waits in review again.")
        if request.POST.get("back") == "dashboard":
            return HttpResponseRedirect(reverse("admin:monographs_drug_review"))
        return HttpResponseRedirect(reverse("admin:monographs_drug_change", args=[drug.pk]))

    def schedule_context(self, request, drug: Drug) -> dict:
        """What the change page says and offers of going live later."""
        may_publish = any(t.name == "publish" for t in workflow.available(request.user, drug))
        return {
            "may_schedule": may_publish,
            "may_cancel": drug.is_scheduled and self.has_publish_permission(request),
            # The earliest a browser's date-and-time field offers: now, in the site's zone.
            "earliest": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "when": workflow.local_time(drug.goes_live_at) if drug.is_scheduled else "",
            "time_zone": timezone.get_current_timezone_name(),
        }

    # The reviewers' dashboard.

    def review_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        counts = workflow.queue_counts(today)
        queues = []
        for name, condition in workflow.queues(today).items():
            drugs = Drug.objects.filter(condition).select_related("reviewed_by", "duplicate_of")
            if name == "in_review":
                # Longest waiting first; those that reached review otherwise (an import) last.
                drugs = workflow.with_submission(drugs).order_by(
                    F("submitted_at").asc(nulls_last=True), "title"
                )
            else:
                drugs = drugs.order_by("review_due", "title")
            queues.append(
                {
                    "name": name,
                    "label": workflow.QUEUE_LABELS[name],
                    "count": counts[name],
                    "drugs": list(drugs[:25]),
                }
            )
        work = [queue for queue in queues if queue["name"] in ("in_review", "overdue")]
        waiting = work[0]
        submitted = workflow.submissions(waiting["drugs"])
        waiting["rows"] = [(drug, submitted.get(drug.pk)) for drug in waiting["drugs"]]
        context = {
            **self.admin_site.each_context(request),
            "title": "Review dashboard",
            "opts": self.model._meta,
            "queues": queues,
            # The work first (waiting in review, overdue), then the chart, then the rest.
            "work": work,
            "rest": [queue for queue in queues if queue not in work],
            "chart": due_chart(workflow.due_by_month(today)),
            "scheduled": workflow.scheduled()[:50],
            "scheduled_count": workflow.scheduled().count(),
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
            merged = self._merge(request, duplicate, kept, form.cleaned_data)
            if merged is not None:
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

    def _merge(self, request, duplicate: Drug, kept: Drug, chosen: dict) -> Drug | None:
        """Merge the parts ``chosen`` on the merge screen; the monograph that took them,
        or None where the merge was refused (and the message says why)."""
        try:
            into = (
                workflow.open_working_draft(kept, request.user, request=request)
                if kept.edited_in_a_draft
                else None
            )
            merged = merge.merge(
                duplicate,
                {part.name: chosen[part.name] for part in merge.PARTS},
                request.user,
                expected_edit_counts=(chosen["kept_edit_count"], chosen["duplicate_edit_count"]),
                into=into,
                request=request,
            )
        except (merge.MergeError, workflow.TransitionError) as refusal:
            messages.error(request, str(refusal))
            return None
        if into is None:
            done = f"Merged “{duplicate}” into “{kept}”; it is archived."
        else:
            done = (
                f"Merged “{duplicate}” into the working draft of “{kept}”; it is "
                "archived. Readers see the merged text once a reviewer approves the draft."
            )
        messages.success(request, done)
        return merged


def _part_content(drug: Drug, part) -> dict:
    """What one side of the merge page shows of a part."""
    if part.model is None:
        return {"generic_name": drug.generic_name, "introduction_html": drug.introduction_html}
    return {"items": list(getattr(drug, part.name).all())}


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
