"""The findings of issue 13, one regression test each: restores and recoveries
that could publish, unpublish or bring back other monographs, deletions left
out of the history, an import that put a refusal online, previews and staff
pages shared with caches, staff-only 500s, and a quadratic diff."""

import random

import pytest
import reversion
from django.core.management import call_command
from django.urls import reverse
from reversion.models import Version

from monographs import history, workflow
from monographs.choices import Status
from monographs.models import Drug, Section

from .factories import make_drug, make_user, signed_in
from .test_history import restore_form, versions


def revision_url(drug_pk, version_pk) -> str:
    return reverse("admin:monographs_drug_revision", args=[drug_pk, version_pk])


def recover_url(version_pk) -> str:
    return reverse("admin:monographs_drug_recover", args=[version_pk])


def recorded(*drugs, comment="Saved") -> None:
    with reversion.create_revision():
        reversion.set_comment(comment)
        for drug in drugs:
            reversion.add_to_revision(drug)


# Restore: only this drug's versions, only its part of a revision, never a status.


def test_a_version_of_another_model_with_the_drugs_id_is_no_version_of_the_drug(pharmacist):
    drug, other = make_drug(status=Status.ARCHIVED), make_drug(status=Status.ARCHIVED)
    # A section of another monograph whose id is this drug's id.
    Section.objects.filter(pk=drug.pk).delete()
    Section.objects.create(pk=drug.pk, drug=other, heading="Borrowed id", body="x")
    recorded(other)
    part = Version.objects.get(content_type__model="section", object_id=str(drug.pk))
    client = signed_in(pharmacist)
    assert client.get(revision_url(drug.pk, part.pk)).status_code == 404
    assert client.post(revision_url(drug.pk, part.pk), {"opened_at_edit": "1"}).status_code == 404


def test_another_drugs_version_is_not_found_at_this_drugs_restore_address(pharmacist):
    drug, other = make_drug(status=Status.DRAFT), make_drug(status=Status.ARCHIVED)
    recorded(other)
    version = versions(other)[0]
    assert signed_in(pharmacist).get(revision_url(drug.pk, version.pk)).status_code == 404


def test_restoring_from_a_revision_of_several_drugs_restores_only_this_one(pharmacist, reviewer):
    drug, other = make_drug("Onemine"), make_drug("Othermine")
    recorded(drug, other)  # as a list action used to record them
    shared = versions(drug)[0]
    workflow.take_step(Drug.objects.get(pk=other.pk), "archive", reviewer)
    Drug.objects.filter(pk=other.pk).update(generic_name="changed since")
    workflow.take_step(Drug.objects.get(pk=drug.pk), "unpublish", reviewer)
    client = signed_in(pharmacist)
    page = client.get(revision_url(drug.pk, shared.pk))
    assert client.post(revision_url(drug.pk, shared.pk), restore_form(page)).status_code == 302
    other = Drug.objects.get(pk=other.pk)
    assert other.status == Status.ARCHIVED and other.generic_name == "changed since"
    assert Drug.objects.get(pk=drug.pk).status == Status.DRAFT


def test_odd_version_and_drug_ids_are_not_found(pharmacist):
    drug = make_drug(status=Status.DRAFT)
    recorded(drug)
    version = versions(drug)[0]
    client = signed_in(pharmacist)
    for url in [
        f"/admin/monographs/drug/{drug.pk}/history/abc/",
        f"/admin/monographs/drug/{drug.pk}/history/%C2%B2/",
        f"/admin/monographs/drug/{drug.pk}/history/99999999999999999999999/",
        f"/admin/monographs/drug/abc/history/{version.pk}/",
        "/admin/monographs/drug/recover/abc/",
        "/admin/monographs/drug/recover/%C2%B2/",
    ]:
        assert client.get(url).status_code == 404, url


# Recover: only deleted drugs, only the deleted drug.


def test_recover_refuses_a_version_of_a_drug_that_was_never_deleted(pharmacist):
    drug = make_drug()  # published
    recorded(drug)
    client = signed_in(pharmacist)
    version = versions(drug)[0]
    assert client.get(recover_url(version.pk)).status_code == 404
    assert client.post(recover_url(version.pk)).status_code == 404
    assert Drug.objects.get(pk=drug.pk).status == Status.PUBLISHED


def test_recover_refuses_a_version_of_a_part(pharmacist):
    drug = make_drug(status=Status.DRAFT)
    recorded(drug)
    section = Version.objects.filter(content_type__model="section").first()
    drug.delete()
    assert signed_in(pharmacist).post(recover_url(section.pk)).status_code == 404


def test_a_bulk_delete_records_a_deleted_revision_for_each_drug(reviewer):
    first, second = make_drug("Firstamine"), make_drug("Secondamine")
    client = signed_in(reviewer)
    response = client.post(
        reverse("admin:monographs_drug_changelist"),
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )
    assert response.status_code == 302
    deleted = {v.object_repr: v for v in Version.objects.get_deleted(Drug)}
    assert set(deleted) == {"Firstamine", "Secondamine"}
    for version in deleted.values():
        assert version.revision.get_comment() == "Deleted"
        state = history.own_state(version)
        assert len(state[Section]) == 3


def test_recovering_one_drug_of_a_bulk_deletion_leaves_the_others_deleted(reviewer):
    first, second = make_drug("Firstamine"), make_drug("Secondamine")
    recorded(first, second, comment="Deleted")  # one revision holding both
    first.delete()
    second.delete()
    version = Version.objects.get_deleted(Drug).get(object_repr="Firstamine")
    assert signed_in(reviewer).post(recover_url(version.pk)).status_code == 302
    assert list(Drug.objects.values_list("title", "status")) == [("Firstamine", Status.DRAFT)]
    assert Drug.objects.get().sections.count() == 3


def test_a_list_action_records_one_revision_per_drug(reviewer):
    drugs = [make_drug(status=Status.IN_REVIEW) for _ in range(2)]
    signed_in(reviewer).post(
        reverse("admin:monographs_drug_changelist"),
        {"action": "publish", "_selected_action": [d.pk for d in drugs]},
    )
    for drug in drugs:
        latest = versions(drug)[0]
        assert {v.object_id for v in latest.revision.version_set.filter(
            content_type__model="drug")} == {str(drug.pk)}  # fmt: skip


# The importer never leaves a refusal on a published page.

WITH_SECTIONS = """---
title: Refusamine
---

# Refusamine

### Usage
Used in tests.
"""

WITHOUT_SECTIONS = """---
title: Refusamine
---

# Refusamine

Sorry, this is not a medicine we can describe.
"""


def test_a_file_without_sections_over_a_published_monograph_is_skipped(db, tmp_path, capsys):
    path = tmp_path / "refusamine.md"
    path.write_text(WITH_SECTIONS)
    call_command("import_monographs", str(path), verbosity=0)
    drug = Drug.objects.get(slug="refusamine")
    assert drug.status == Status.PUBLISHED
    path.write_text(WITHOUT_SECTIONS)
    call_command("import_monographs", str(path))
    captured = capsys.readouterr()
    assert "1 skipped" in captured.out
    assert "has no sections; left as it is" in captured.err
    drug = Drug.objects.get(pk=drug.pk)
    assert drug.status == Status.PUBLISHED
    assert [s.heading for s in drug.sections.all()] == ["Usage"]
    assert "Sorry" not in drug.introduction


# Previews and caches.


def test_staff_without_permission_do_not_preview_drafts(client, db):
    draft = make_drug("Draftamine", status=Status.DRAFT)
    nobody = signed_in(make_user("nobody"))
    assert nobody.get(draft.get_absolute_url()).status_code == 404
    pharmacist = signed_in(make_user("pat", "Pharmacist"))
    assert pharmacist.get(draft.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("url", ["/", "/drugs/", "/admin/"])
def test_every_answer_to_a_signed_in_person_is_private_and_never_stored(db, url):
    make_drug()
    response = signed_in(make_user("pat", "Pharmacist")).get(url)
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives


def test_a_readers_answer_is_not_marked_private(client, db):
    make_drug()
    assert "private" not in client.get("/drugs/").get("Cache-Control", "")


# Staff-only 500s.


def test_a_compare_with_a_superscript_digit_is_not_found(pharmacist):
    drug = make_drug(status=Status.DRAFT)
    url = reverse("admin:monographs_drug_compare", args=[drug.pk])
    assert signed_in(pharmacist).get(f"{url}?from=%C2%B2").status_code == 404


def test_a_workflow_step_on_a_non_numeric_drug_is_not_found(reviewer):
    response = signed_in(reviewer).post("/admin/monographs/drug/abc/workflow/review/")
    assert response.status_code == 404


# The word diff.


def test_a_long_shuffled_text_is_diffed_whole_and_still_reads_back_both_sides():
    random.seed(13)
    words = [f"word{random.randint(0, 400)}" for _ in range(3_500)]  # ~19 KB a side
    shuffled = random.sample(words, len(words))
    before, after = " ".join(words), " ".join(shuffled)
    runs = history.word_diff(before, after)
    assert "".join(text for kind, text in runs if kind != "added") == before
    assert "".join(text for kind, text in runs if kind != "removed") == after
    # Past the limit, the changed stretch is one removal and one addition.
    assert [kind for kind, _ in runs] == ["removed", "added"]


def test_a_long_text_with_a_few_changed_lines_is_diffed_line_then_word():
    lines = [f"Line {i} says something about dose {i}." for i in range(1_000)]
    changed = lines.copy()
    changed[500] = "Line 500 says something else about dose 500."
    runs = history.word_diff("\n".join(lines), "\n".join(changed))
    assert [(kind, text) for kind, text in runs if kind != "same"] == [("added", "else ")]
