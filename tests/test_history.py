"""History: every save is a revision of the whole monograph; any can be compared and restored."""

import importlib
from types import SimpleNamespace

import reversion
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from reversion.models import Version

from monographs import history
from monographs.choices import Severity, Status
from monographs.models import Drug, SideEffect

from .conftest import SEED
from .factories import make_drug, make_user, signed_in
from .test_admin import form_data


def change_url(drug) -> str:
    return reverse("admin:monographs_drug_change", args=[drug.pk])


def edit(client, drug, **changes):
    """Open the drug's admin page, change some fields, save; the response."""
    data = {**form_data(client.get(change_url(drug))), **changes}
    return client.post(change_url(drug), data)


def delete_side_effect(client, drug, name) -> None:
    index = [e.name for e in drug.side_effects.order_by("position", "id")].index(name)
    response = edit(client, drug, **{f"side_effects-{index}-DELETE": "on"})
    assert response.status_code == 302, response.context["errors"]


def versions(drug):
    return list(Version.objects.get_for_object(drug).select_related("revision__user"))


def restore_form(page) -> dict:
    """The restore page's POST: the edit count it was opened at."""
    return {"opened_at_edit": page.context["opened_at_edit"]}


def restore(client, version):
    url = reverse("admin:monographs_drug_revision", args=[version.object_id, version.pk])
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, restore_form(page))


def test_an_admin_save_is_one_revision_with_every_part_its_user_and_a_comment(pharmacist):
    drug = make_drug(status=Status.DRAFT)
    client = signed_in(pharmacist)
    assert edit(client, drug, generic_name="Testamine base").status_code == 302
    latest, start = versions(drug)  # opening the form recorded where its history starts
    assert start.revision.get_comment().startswith("History starts")
    assert latest.revision.user == pharmacist
    assert "Generic name" in latest.revision.get_comment()
    recorded = {v.content_type.model for v in latest.revision.version_set.all()}
    assert recorded == {"drug", "section", "sideeffect", "faq"}
    assert latest.field_dict["generic_name"] == "Testamine base"


def test_an_import_is_a_revision_with_the_parts_it_wrote(db):
    call_command("import_monographs", str(SEED), verbosity=0)
    drug = Drug.objects.get(slug="isotretinoin-systemic")
    (revision,) = [v.revision for v in versions(drug)]
    assert revision.user is None
    assert revision.get_comment().startswith("Created by import from")
    side_effects = [v for v in revision.version_set.all() if v.content_type.model == "sideeffect"]
    assert len(side_effects) == drug.side_effects.count() > 10


def test_restoring_brings_back_a_deleted_side_effect(pharmacist):
    drug = make_drug(status=Status.DRAFT, side_effects=3)
    client = signed_in(pharmacist)
    edit(client, drug, generic_name="first save")
    delete_side_effect(client, drug, "Effect 1")
    assert not drug.side_effects.filter(name="Effect 1").exists()

    before_deletion = versions(drug)[1]
    response = restore(client, before_deletion)
    assert response.status_code == 302
    assert sorted(drug.side_effects.values_list("name", flat=True)) == [
        "Effect 0",
        "Effect 1",
        "Effect 2",
    ]
    latest = versions(drug)[0]
    assert latest.revision.get_comment().startswith("Restored the version saved on")
    assert latest.revision.user == pharmacist


def test_restoring_keeps_the_workflow_and_the_lock_moving_forward(pharmacist, reviewer):
    """A Pharmacist restoring a revision from when it was published does not publish it."""
    drug = make_drug(status=Status.IN_REVIEW)
    from monographs import workflow

    workflow.take_step(drug, "publish", reviewer)
    published = versions(drug)[0]
    workflow.take_step(drug, "unpublish", reviewer)
    current = Drug.objects.get(pk=drug.pk)

    assert restore(signed_in(pharmacist), published).status_code == 302
    restored = Drug.objects.get(pk=drug.pk)
    assert restored.status == Status.DRAFT
    assert restored.edit_count == current.edit_count + 1


def test_restore_of_a_revision_is_refused_if_the_monograph_changed_meanwhile(pharmacist):
    drug = make_drug(status=Status.DRAFT)
    client = signed_in(pharmacist)
    edit(client, drug, generic_name="one")
    edit(client, drug, generic_name="two")
    oldest = versions(drug)[-1]
    url = reverse("admin:monographs_drug_revision", args=[drug.pk, oldest.pk])
    data = restore_form(client.get(url))
    edit(signed_in(make_user("other", "Pharmacist")), drug, generic_name="three")
    response = client.post(url, data)
    assert response.status_code == 200
    assert Drug.objects.get(pk=drug.pk).generic_name == "three"
    assert "after you opened it" in response.content.decode()


def test_the_diff_shows_changed_fields_and_removed_and_added_parts(pharmacist):
    drug = make_drug(status=Status.DRAFT, side_effects=2)
    client = signed_in(pharmacist)
    edit(client, drug, generic_name="old name")
    delete_side_effect(client, drug, "Effect 0")
    edit(
        client,
        drug,
        generic_name="new name",
        **{
            "side_effects-TOTAL_FORMS": "2",
            "side_effects-1-name": "Brand new effect",
            "side_effects-1-severity": str(Severity.SERIOUS),
            "side_effects-1-frequency": "6",
            "side_effects-1-position": "9",
        },
    )
    newest, _, oldest = versions(drug)[:3]
    url = reverse("admin:monographs_drug_compare", args=[drug.pk])
    page = client.get(url, {"from": oldest.pk, "to": newest.pk})
    assert page.status_code == 200
    comparison = page.context["comparison"]
    assert [(c.label, c.before, c.after) for c in comparison.drug] == [
        ("generic name", "old name", "new name")
    ]
    kinds = {(p.kind, p.name) for p in comparison.parts}
    assert kinds == {("removed", "Effect 0"), ("added", "Brand new effect")}
    html = page.content.decode()
    assert "<del>old</del>" in html and "<ins>new</ins>" in html
    assert "Serious – contact a doctor" in html
    # Compared with the monograph as it is now, the newest save differs in nothing.
    assert not client.get(url, {"from": newest.pk, "to": "current"}).context["comparison"]


def test_the_history_page_lists_every_save_newest_first_with_a_compare_form(pharmacist):
    drug = make_drug(status=Status.DRAFT)
    client = signed_in(pharmacist)
    edit(client, drug, generic_name="one")
    edit(client, drug, generic_name="two")
    page = client.get(reverse("admin:monographs_drug_history", args=[drug.pk]))
    actions = page.context["action_list"]
    assert [a["version_id"] for a in actions] == [v.pk for v in versions(drug)]
    assert reverse("admin:monographs_drug_compare", args=[drug.pk]) in page.content.decode()


def test_a_deleted_monograph_can_be_recovered_with_its_parts_as_a_draft(reviewer):
    drug = make_drug("Lostamine", status=Status.PUBLISHED, side_effects=4)
    pk = drug.pk
    client = signed_in(reviewer)
    response = client.post(reverse("admin:monographs_drug_delete", args=[pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Drug.objects.filter(pk=pk).exists()

    listing = client.get(reverse("admin:monographs_drug_recoverlist"))
    (deleted,) = listing.context["deleted"]
    assert deleted.object_repr == "Lostamine"
    url = reverse("admin:monographs_drug_recover", args=[deleted.pk])
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302

    recovered = Drug.objects.get(pk=pk)
    assert recovered.title == "Lostamine"
    assert recovered.status == Status.DRAFT  # back, but readers wait for a Reviewer
    assert SideEffect.objects.filter(drug=recovered).count() == 4
    assert recovered.sections.count() == 3 and recovered.faqs.count() == 2


def test_a_pharmacist_cannot_see_another_drugs_revision_through_this_one(pharmacist):
    drug, other = make_drug(status=Status.DRAFT), make_drug(status=Status.DRAFT)
    client = signed_in(pharmacist)
    edit(client, other, generic_name="other")
    version = versions(other)[0]
    url = reverse("admin:monographs_drug_compare", args=[drug.pk])
    assert client.get(url, {"from": version.pk}).status_code == 404


RENAMES = importlib.import_module("monographs.migrations.0010_history_uses_new_drug_field_names")


def test_a_revision_recorded_under_the_old_field_names_still_restores_its_edit_count_and_text_time(
    db,
):
    drug = make_drug("Oldnamine")
    drug.mark_text_edited()
    with reversion.create_revision():
        drug.save()
    version = history.versions_of(drug.pk).first()
    recorded = version.field_dict  # (its times as the history stores them: to the millisecond)
    # As a revision recorded before the fields were renamed stored it.
    old_names = {new: old for old, new in RENAMES.OLD_TO_NEW.items()}
    old_data = RENAMES.renamed_fields(version.serialized_data, old_names)
    assert '"version": ' in old_data and '"content_changed": ' in old_data
    Version.objects.filter(pk=version.pk).update(serialized_data=old_data)
    assert history.version_at_edit(drug.pk, recorded["edit_count"]) is None  # unreadable as stored

    RENAMES.forwards(apps, SimpleNamespace(connection=connection))

    version = history.version_at_edit(drug.pk, recorded["edit_count"])
    assert version is not None
    drug.generic_name = "changed since"
    drug.mark_text_edited()
    drug.save()
    version.revision.revert()
    restored = Drug.objects.get(pk=drug.pk)
    assert recorded["text_changed_at"] is not None
    assert (restored.edit_count, restored.text_changed_at) == (
        recorded["edit_count"],
        recorded["text_changed_at"],
    )
    assert restored.generic_name == recorded["generic_name"]

    RENAMES.backwards(apps, SimpleNamespace(connection=connection))
    assert Version.objects.get(pk=version.pk).serialized_data == old_data


def test_the_restore_page_opens_with_a_summary_and_its_button_the_details_folded_below(
    pharmacist,
):
    drug = make_drug(status=Status.DRAFT, side_effects=3, faqs=2)
    client = signed_in(pharmacist)
    assert edit(client, drug, generic_name="first").status_code == 302
    earlier = versions(drug)[0]
    changes = {
        "generic_name": "second",
        **{f"sections-{i}-body": f"Rewritten {i}." for i in range(3)},
        "side_effects-TOTAL_FORMS": "5",
        "faqs-1-DELETE": "on",
    }
    for i in (3, 4):
        changes.update(
            {
                f"side_effects-{i}-name": f"New effect {i}",
                f"side_effects-{i}-severity": str(Severity.SERIOUS),
                f"side_effects-{i}-frequency": "6",
                f"side_effects-{i}-position": str(10 + i),
            }
        )
    assert edit(client, drug, **changes).status_code == 302
    Drug.objects.filter(pk=drug.pk).update(status=Status.IN_REVIEW)  # not what a restore changes

    url = reverse("admin:monographs_drug_revision", args=[drug.pk, earlier.pk])
    page = client.get(url)
    assert page.context["comparison"].summary == [
        "generic name changed",
        "3 sections changed",
        "2 side effects removed",
        "1 FAQ added",
    ]
    html = page.content.decode()
    summary = html.index(
        "Generic name changed, 3 sections changed, 2 side effects removed, 1 FAQ added."
    )
    button = html.index("Restore this version</button>")
    details = html.index('<details class="restore-details">')
    assert summary < button < details
    assert html.index('<table class="comparison"') > details  # folded away, below
    assert "Status" not in html[details:]  # the status stays: not listed as a change

    assert client.post(url, restore_form(page)).status_code == 302
    restored = Drug.objects.get(pk=drug.pk)
    assert restored.generic_name == "first" and restored.status == Status.IN_REVIEW
    assert restored.side_effects.count() == 3 and restored.faqs.count() == 2
