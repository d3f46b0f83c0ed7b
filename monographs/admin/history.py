"""The history side of the drug admin: compare, restore, recover a deleted monograph."""

import reversion
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from .. import audit, history, search, workflow
from ..models import Drug
from .forms import Conflict
from .ids import numeric_id, posted_int


class HistoryMixin:
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
            loaded = posted_int(request, "opened_at_edit")
            with transaction.atomic():
                current = Drug.objects.select_for_update().get(pk=drug.pk)
                if loaded != current.edit_count:
                    conflict = Conflict(drug.pk, loaded, current.edit_count)
                elif current.edited_in_a_draft:
                    # Published: the restored text waits in its working draft for review.
                    current = workflow.open_working_draft(current, request.user, request=request)
                    history.restore(version, current, request.user, request=request)
                else:
                    history.restore(version, current, request.user, request=request)
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
            "comparison": history.restore_changes(drug, version),
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
                    drug = history.recover(version, request.user, request=request)
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

    def delete_model(self, request, obj):
        # The admin's delete page runs this in a transaction of its own.
        record_deletion(request, [obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # The list's action does not: the records and the deletion commit together.
        with transaction.atomic():
            drugs = list(queryset)
            record_deletion(request, drugs, from_list=True)
            super().delete_queryset(request, queryset)


def record_deletion(request, drugs, *, from_list: bool = False) -> None:
    """Keep a last revision of each monograph being deleted, so that it can be recovered,
    and an event of the audit log for each (the event keeps the monograph's title)."""
    with reversion.create_revision():
        reversion.set_user(request.user)
        reversion.set_comment("Deleted")
        for drug in drugs:
            reversion.add_to_revision(drug)
    for drug in drugs:
        detail = {"drug_id": drug.pk, "slug": drug.slug}
        if from_list:
            detail["with"] = len(drugs)  # deleted together, from the list
        audit.record(audit.Action.DELETED, user=request.user, drug=drug, request=request, **detail)
