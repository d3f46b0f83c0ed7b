"""A corpus's second file of one title: kept, flagged, and merged by a person."""

import io
import shutil

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from reversion.models import Version

from monographs import merge, workflow
from monographs.choices import Status
from monographs.models import Drug

from .conftest import DATA
from .factories import signed_in

SHAPES = DATA / "shapes"
FILES = len(list(SHAPES.rglob("*.md")))


def imported(path=SHAPES, *args) -> str:
    out = io.StringIO()
    call_command("import_monographs", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def drug_from(name: str, folder=SHAPES) -> Drug:
    return Drug.objects.get(source_path=str(folder / name))


def test_titles_that_clean_up_alike_become_a_flagged_draft_each(db):
    out = imported()
    assert "0 failed" in out and "4 duplicates" in out
    pairs = {
        "c/clonazepam-.md": ("c/clonazepam.md", "clonazepam-2"),
        "o/omega--.md": ("o/omega-.md", "omega-2"),
        "l/l--glutamine.md": ("l/l-glutamine.md", "l-glutamine-2"),
        "m/metformin-voglibose-.md": ("m/metformin-voglibose.md", "metformin-voglibose-2"),
    }
    for second, (first, slug) in pairs.items():
        copy, original = drug_from(second), drug_from(first)
        assert (copy.slug, copy.status, copy.duplicate_of) == (slug, Status.DRAFT, original)
        assert original.duplicate_of is None and original.status == Status.PUBLISHED
    # Two files of the very same title: each keeps its own text.
    assert drug_from("o/omega--.md").title == drug_from("o/omega-.md").title == "Omega-"
    assert drug_from("o/omega--.md").generic_name == "Omega-6 fatty acids"


def test_reimporting_keeps_each_file_in_its_own_monograph(db):
    imported()
    before = dict(Drug.objects.values_list("source_path", "pk"))
    out = imported()
    assert f"0 created, 0 updated, {FILES} unchanged" in out
    assert dict(Drug.objects.values_list("source_path", "pk")) == before


def test_a_changed_duplicate_file_updates_its_own_monograph_only(db, tmp_path):
    folder = tmp_path / "corpus"
    shutil.copytree(SHAPES, folder)
    imported(folder)
    second = folder / "c" / "clonazepam-.md"
    second.write_text(second.read_text().replace("Usually within an hour.", "Within hours."))
    out = imported(folder)
    assert f"0 created, 1 updated, {FILES - 1} unchanged" in out
    copy = drug_from("c/clonazepam-.md", folder)
    assert copy.faqs.get().answer == "Within hours."
    assert copy.duplicate_of == drug_from("c/clonazepam.md", folder)
    assert drug_from("c/clonazepam.md", folder).faqs.count() == 2


def test_the_same_corpus_from_another_folder_matches_by_file_name(db, tmp_path):
    imported()
    before = set(Drug.objects.values_list("pk", flat=True))
    shutil.copytree(SHAPES, tmp_path / "copy")
    out = imported(tmp_path / "copy")
    assert "0 created" in out and "0 duplicates" in out
    assert set(Drug.objects.values_list("pk", flat=True)) == before
    # A changed copy updates the monograph its file name matches.
    changed = tmp_path / "copy" / "o" / "omega--.md"
    changed.write_text(changed.read_text().replace("Omega-6 fatty acids\n", "Omega-6 acids\n"))
    assert "1 updated" in imported(tmp_path / "copy")
    omega = drug_from("o/omega--.md", tmp_path / "copy")
    assert omega.slug == "omega-2" and omega.generic_name == "Omega-6 acids"
    assert drug_from("o/omega-.md").generic_name == "Omega-3 fatty acids"


def test_an_export_of_duplicates_imports_back_into_the_same_monographs(db, tmp_path):
    imported()
    before = {d.pk: (d.title, d.slug, d.generic_name) for d in Drug.objects.all()}
    call_command("export_monographs", str(tmp_path / "out"), stdout=io.StringIO())
    out = imported(tmp_path / "out")
    assert "0 created" in out
    assert {d.pk: (d.title, d.slug, d.generic_name) for d in Drug.objects.all()} == before


def test_the_review_dashboard_lists_possible_duplicates_with_a_merge_link(db, pharmacist):
    imported()
    copy = drug_from("c/clonazepam-.md")
    response = signed_in(pharmacist).get(reverse("admin:monographs_drug_review"))
    html = response.content.decode()
    assert "Possible duplicates to merge (4)" in html
    assert reverse("admin:monographs_drug_merge", args=[copy.pk]) in html
    assert "possible duplicate of" in html
    change = signed_in(pharmacist).get(reverse("admin:monographs_drug_change", args=[copy.pk]))
    assert "Possible duplicate of" in change.content.decode()


def test_the_merge_page_shows_both_monographs_part_by_part(db, pharmacist):
    imported()
    copy = drug_from("c/clonazepam-.md")
    response = signed_in(pharmacist).get(reverse("admin:monographs_drug_merge", args=[copy.pk]))
    html = response.content.decode()
    for words in [
        "Lennox-Gastaut",  # the duplicate's usage
        "to prevent seizures",  # the original's
        "respiratory depression",  # a side effect of the duplicate
        "thoughts of self-harm",  # and of the original
        "How long does clonazepam take to work?",
        "Can I drive while taking clonazepam?",
    ]:
        assert words in html, words


def merge_post(client, copy, **choices):
    kept = Drug.objects.get(pk=copy.duplicate_of_id)
    copy = Drug.objects.get(pk=copy.pk)
    data = {"kept_edit_count": kept.edit_count, "duplicate_edit_count": copy.edit_count}
    data.update({part.name: choices.get(part.name, merge.KEPT) for part in merge.PARTS})
    return client.post(reverse("admin:monographs_drug_merge", args=[copy.pk]), data)


def test_a_merge_takes_each_part_from_either_and_archives_the_duplicate(db, pharmacist):
    imported()
    kept, copy = drug_from("c/clonazepam.md"), drug_from("c/clonazepam-.md")
    kept_usage = kept.sections.get(kind="usage").body
    copy_effects = [(e.name, e.detail, e.severity) for e in copy.side_effects.all()]
    copy_faqs = [(f.question, f.answer) for f in copy.faqs.all()]
    live_effects = [(e.name, e.detail, e.severity) for e in kept.side_effects.all()]
    response = merge_post(
        signed_in(pharmacist), copy, side_effects=merge.DUPLICATE, faqs=merge.DUPLICATE
    )
    assert response.status_code == 302
    kept, copy = Drug.objects.get(pk=kept.pk), Drug.objects.get(pk=copy.pk)
    assert copy.status == Status.ARCHIVED
    # The published monograph takes the parts in its working draft; readers keep
    # the approved text until a reviewer approves it.
    assert kept.status == Status.PUBLISHED and kept.slug == "clonazepam"
    assert [(e.name, e.detail, e.severity) for e in kept.side_effects.all()] == live_effects
    draft = Drug.objects.get(draft_of=kept)
    assert response["Location"] == reverse("admin:monographs_drug_change", args=[draft.pk])
    assert draft.sections.get(kind="usage").body == kept_usage
    assert [(e.name, e.detail, e.severity) for e in draft.side_effects.all()] == copy_effects
    assert [(f.question, f.answer) for f in draft.faqs.all()] == copy_faqs
    # The duplicate's own parts stay with it, archived, for the record.
    assert copy.side_effects.count() == len(copy_effects)
    assert merge.possible_duplicates().filter(pk=copy.pk).exists() is False
    assert workflow.queue_counts()["duplicates"] == 3


def test_a_merge_is_one_revision_holding_both_monographs(db, pharmacist):
    imported()
    kept, copy = drug_from("c/clonazepam.md"), drug_from("c/clonazepam-.md")
    merge_post(signed_in(pharmacist), copy, introduction=merge.DUPLICATE)
    draft = Drug.objects.get(draft_of=kept)  # the published monograph's working draft
    revision = Version.objects.get_for_object(draft).first().revision
    assert revision.user == pharmacist
    assert "Merged" in revision.get_comment()
    held = {(v.content_type.model, v.object_id) for v in revision.version_set.all()}
    assert {("drug", str(draft.pk)), ("drug", str(copy.pk))} <= held
    assert ("faq", str(draft.faqs.first().pk)) in held
    assert Version.objects.get_for_object(copy).first().revision == revision


def test_a_merge_of_monographs_changed_meanwhile_is_refused(db, pharmacist):
    imported()
    kept, copy = drug_from("c/clonazepam.md"), drug_from("c/clonazepam-.md")
    client = signed_in(pharmacist)
    data = {"kept_edit_count": kept.edit_count, "duplicate_edit_count": copy.edit_count}
    data.update({part.name: merge.DUPLICATE for part in merge.PARTS})
    kept.brand_names = "Klonopin"
    kept.save()  # someone else's edit, after the merge page was opened
    response = client.post(reverse("admin:monographs_drug_merge", args=[copy.pk]), data)
    assert response.status_code == 200
    assert "was changed after you opened this page" in response.content.decode()
    assert Drug.objects.get(pk=copy.pk).status == Status.DRAFT


def test_a_monograph_that_is_no_duplicate_has_no_merge_page(db, pharmacist):
    imported()
    url = reverse("admin:monographs_drug_merge", args=[drug_from("c/clonazepam.md").pk])
    assert signed_in(pharmacist).get(url).status_code == 404


def test_a_merge_without_the_csrf_token_is_refused(db, pharmacist):
    imported()
    copy = drug_from("c/clonazepam-.md")
    client = Client(enforce_csrf_checks=True)
    client.force_login(pharmacist)
    response = merge_post(client, copy, sections=merge.DUPLICATE)
    assert response.status_code == 403
    assert Drug.objects.get(pk=copy.pk).status == Status.DRAFT


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW, Status.PUBLISHED])
def test_new_monographs_land_where_status_says_and_a_reimport_keeps_theirs(db, tmp_path, status):
    out = imported(SHAPES, "--status", status)
    assert "0 failed" in out
    firsts = Drug.objects.filter(duplicate_of__isnull=True)
    assert set(firsts.values_list("status", flat=True)) == {status}
    assert set(
        Drug.objects.filter(duplicate_of__isnull=False).values_list("status", flat=True)
    ) == {Status.DRAFT}
    imported(SHAPES, "--status", Status.PUBLISHED)
    assert set(firsts.values_list("status", flat=True)) == {status}
