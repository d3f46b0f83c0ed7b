"""Each published monograph has a change log for readers: every version readers were
shown, newest first, with its date, who approved it, a one-line summary and what
changed from the version before. Nothing unpublished ever shows there."""

import re
from html import escape

import pytest
import reversion
from django.core.management import call_command
from django.urls import reverse

from monographs import changelog, history, workflow
from monographs.choices import Frequency, SectionKind, Severity, Status
from monographs.models import Drug, Faq, Section, SideEffect

from .factories import make_drug


def changes_url(drug) -> str:
    return reverse("monographs:drug_changes", args=[drug.slug])


def publish_first(drug, pharmacist, reviewer, note="") -> Drug:
    """A draft monograph submitted by a pharmacist and published by a Reviewer."""
    workflow.take_step(drug, "submit", pharmacist)
    return workflow.take_step(drug, "publish", reviewer, note=note)


def approve_edit(live, pharmacist, reviewer, edit) -> Drug:
    """``edit(draft)`` made in the live monograph's working draft, submitted and approved."""
    draft = workflow.open_working_draft(live, pharmacist)
    edit(draft)
    workflow.take_step(draft, "submit", pharmacist)
    return workflow.take_step(Drug.objects.get(pk=draft.pk), "publish", reviewer)


def edit_side_effects(draft):
    """Effect 0 (mild) becomes an emergency, Effect 1 very rare, Effect 2 goes, two come."""
    SideEffect.objects.filter(drug=draft, name="Effect 0").update(severity=Severity.EMERGENCY)
    SideEffect.objects.filter(drug=draft, name="Effect 1").update(frequency=Frequency.VERY_RARE)
    SideEffect.objects.filter(drug=draft, name="Effect 2").delete()
    for position, name in enumerate(["Pancreatitis", "Hair thinning"], start=10):
        SideEffect.objects.create(
            drug=draft, name=name, severity=Severity.SERIOUS, frequency=Frequency.RARE,
            position=position,
        )  # fmt: skip


def edit_usage(draft):
    section = Section.objects.get(drug=draft, kind=SectionKind.USAGE)
    section.body = "About *Usage* in adults over 18."
    section.save()


def edit_faqs(draft):
    faq = Faq.objects.get(drug=draft, question="Question 0?")
    faq.answer = "Take it with food."
    faq.save()
    Faq.objects.create(drug=draft, question="Can I drive?", answer="Yes.", position=5)
    Faq.objects.filter(drug=draft, question="Question 1?").delete()


@pytest.fixture
def three_versions(pharmacist, reviewer):
    """Livamine: first published, then its side effects edited, then its usage and FAQs."""
    drug = make_drug("Livamine", status=Status.DRAFT, side_effects=3)
    drug = publish_first(drug, pharmacist, reviewer)
    drug = approve_edit(drug, pharmacist, reviewer, edit_side_effects)
    return approve_edit(drug, pharmacist, reviewer, lambda d: (edit_usage(d), edit_faqs(d)))


def version_ids(content: str) -> list[str]:
    return re.findall(r'<section class="version" id="(v\d+|current)"', content)


def version_html(content: str, anchor: str) -> str:
    start = content.index(f'id="{anchor}"')
    end = content.find('<section class="version"', start)
    return content[start : end if end != -1 else None]


def test_the_change_log_lists_every_approved_version_newest_first(client, three_versions):
    response = client.get(changes_url(three_versions))
    assert response.status_code == 200
    content = response.content.decode()
    ids = version_ids(content)
    assert len(ids) == 3
    assert [int(i[1:]) for i in ids] == sorted((int(i[1:]) for i in ids), reverse=True)
    entries = response.context["page_obj"].object_list
    assert [e.heading for e in entries] == [
        "Reviewed and updated",
        "Reviewed and updated",
        "First published",
    ]
    # The reviewer as the monograph page names them; each date shown.
    assert all(e.byline == "Approved by Rae Okafor" for e in entries)
    assert content.count("Approved by Rae Okafor") == 3
    assert content.count("<time datetime=") == 3


def test_each_version_has_a_one_line_summary_of_what_changed(client, three_versions):
    entries = client.get(changes_url(three_versions)).context["page_obj"].object_list
    assert [e.summary for e in entries] == [
        "Usage section changed; FAQs: 1 added, 1 removed, 1 changed",
        "Side effects: 2 added, 1 removed, 1 changed severity, 1 changed frequency",
        "3 sections, 3 side effects, 2 FAQs",
    ]


def test_a_changed_section_shows_its_words_removed_and_added(client, three_versions):
    content = client.get(changes_url(three_versions)).content.decode()
    newest = version_html(content, version_ids(content)[0])
    assert "<h4>Usage <span" in newest and "(changed)" in newest
    assert "<ins> in adults over 18</ins>" in newest
    # The words kept, unmarked; readers' words, not the Markdown ("*Usage*", "**0**").
    assert "<p>About Usage<ins> in adults over 18</ins>.</p>" in newest
    assert "*" not in newest
    # The FAQ's answer, word by word; the new question and the removed one.
    assert "<del>Answer</del><ins>Take</ins> <del>0</del><ins>it with food</ins>" in newest
    assert "Can I drive?" in newest and "<ins>Yes.</ins>" in newest
    assert "Question 1?" in newest and "This question was removed." in newest
    assert "Pancreatitis" not in newest  # that was the version before


def test_a_change_of_markup_alone_is_no_change_to_the_text(client, pharmacist, reviewer):
    drug = publish_first(make_drug("Markamine", status=Status.DRAFT), pharmacist, reviewer)

    def emphasis(draft):
        section = Section.objects.get(drug=draft, kind=SectionKind.USAGE)
        section.body = "About **Usage**."  # was "About *Usage*."
        section.save()
        Section.objects.filter(drug=draft, kind=SectionKind.SIDE_EFFECTS).update(
            body="About *Side effects*, **rare** ones too."
        )

    drug = approve_edit(drug, pharmacist, reviewer, emphasis)
    newest = client.get(changes_url(drug)).context["page_obj"].object_list[0]
    assert newest.summary == "Side effects section changed"
    [section] = newest.diff.sections
    [change] = section.changes
    assert (change.before, change.after) == (
        "About Side effects.",
        "About Side effects, rare ones too.",
    )


def test_side_effects_added_removed_and_changed_in_severity_or_frequency(client, three_versions):
    content = client.get(changes_url(three_versions)).content.decode()
    middle = version_html(content, version_ids(content)[1])
    added = re.search(r"Added:</span> <ins>Pancreatitis</ins>[^<]*", middle)
    assert added and escape(Severity.SERIOUS.label) in added[0]
    assert escape(Frequency.RARE.label) in added[0]
    assert "<ins>Hair thinning</ins>" in middle
    assert "Removed:</span> <del>Effect 2</del>" in middle
    severity = re.search(r"Changed:</span> Effect 0.*?</ul>", middle, re.S)[0]
    assert f"Severity: <del>{escape(Severity.MILD.label)}</del>" in severity
    assert f"<ins>{escape(Severity.EMERGENCY.label)}</ins>" in severity
    frequency = re.search(r"Changed:</span> Effect 1.*?</ul>", middle, re.S)[0]
    assert f"<del>{escape(Frequency.NOT_KNOWN.label)}</del>" in frequency
    assert f"<ins>{escape(Frequency.VERY_RARE.label)}</ins>" in frequency
    assert "Severity" not in frequency


def test_names_and_ingredients_changed(client, pharmacist, reviewer):
    drug = publish_first(make_drug("Namamine", status=Status.DRAFT), pharmacist, reviewer)

    def rename(draft):
        draft.generic_name = "namamine hydrochloride"
        draft.save()
        draft.ingredients.create(name="Codeine", position=1)

    drug = approve_edit(drug, pharmacist, reviewer, rename)
    entry = client.get(changes_url(drug)).context["page_obj"].object_list[0]
    assert entry.summary == "Generic name changed; Ingredients changed"
    content = client.get(changes_url(drug)).content.decode()
    assert "Generic name:</span> <ins>namamine hydrochloride</ins>" in content
    assert "<ins>Codeine</ins>" in content


def test_a_working_drafts_edits_never_show_until_approved(client, three_versions, pharmacist):
    draft = workflow.open_working_draft(three_versions, pharmacist)
    Section.objects.filter(drug=draft, kind=SectionKind.USAGE).update(body="Secret draft words.")
    SideEffect.objects.create(drug=draft, name="Draftitis", severity=Severity.SERIOUS)
    draft.generic_name = "draftname"
    draft.save()
    workflow.take_step(draft, "submit", pharmacist)
    content = client.get(changes_url(three_versions)).content.decode()
    for text in ("Secret draft", "Draftitis", "draftname", draft.slug):
        assert text not in content
    assert len(version_ids(content)) == 3
    assert client.get(changes_url(draft)).status_code == 404


def test_edits_made_while_unpublished_show_only_as_the_next_published_version(
    client, three_versions, pharmacist, reviewer
):
    drug = workflow.take_step(three_versions, "unpublish", reviewer)
    assert client.get(changes_url(drug)).status_code == 404
    section = Section.objects.get(drug=drug, kind=SectionKind.USAGE)
    for words in ("Half-done draft wording.", "About *Usage* for everyone."):
        section.body = words
        with reversion.create_revision():
            section.save()
            drug.save()
    drug = publish_first(Drug.objects.get(pk=drug.pk), pharmacist, reviewer)
    content = client.get(changes_url(drug)).content.decode()
    assert len(version_ids(content)) == 4
    newest = version_html(content, version_ids(content)[0])
    assert "<del>in</del><ins>for</ins> <del>adults over 18</del><ins>everyone</ins>" in newest
    assert "Half-done" not in content


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW, Status.ARCHIVED])
def test_an_unpublished_monograph_has_no_change_log(db, client, status):
    drug = make_drug("Hiddenamine", status=status)
    assert client.get(changes_url(drug)).status_code == 404


def test_a_review_that_changes_nothing_is_no_new_version(client, three_versions, reviewer):
    workflow.take_step(three_versions, "review", reviewer)
    assert len(version_ids(client.get(changes_url(three_versions)).content.decode())) == 3


def test_reviewers_notes_never_show(client, pharmacist, reviewer):
    drug = make_drug("Notamine", status=Status.DRAFT)
    drug = publish_first(drug, pharmacist, reviewer, note="Internal: checked against SmPC")
    content = client.get(changes_url(drug)).content.decode()
    assert "Internal" not in content and "SmPC" not in content


def test_a_monograph_imported_as_published_starts_with_its_import(client, seed_drug):
    response = client.get(changes_url(seed_drug))
    (entry,) = response.context["page_obj"].object_list
    assert (entry.heading, entry.byline) == ("First published", "Imported from its source file")
    assert re.fullmatch(r"\d+ sections, \d+ side effects, \d+ FAQs", entry.summary)
    content = response.content.decode()
    assert "First published" in content and "Imported from its source file" in content
    assert "Approved by" not in content


def test_an_import_updating_a_published_monograph_is_a_version_without_a_reviewer(
    client, seed_drug, tmp_path, seed_text
):
    changed = tmp_path / "isotretinoin-systemic.md"
    changed.write_text(seed_text.replace("Joint pain", "Joint stiffness"), encoding="utf-8")
    call_command("import_monographs", str(changed), verbosity=0)
    newest = client.get(changes_url(seed_drug)).context["page_obj"].object_list[0]
    assert newest.byline == "Updated from its source file, not reviewed again"
    assert "Side effects: 1 added, 1 removed" in newest.summary


def test_a_monograph_without_recorded_history_lists_its_current_version(db, client):
    drug = make_drug("Oldamine")
    content = client.get(changes_url(drug)).content.decode()
    assert version_ids(content) == ["current"]
    assert "Current version" in content


def test_the_monograph_page_links_to_its_change_log(client, three_versions):
    content = client.get(three_versions.get_absolute_url()).content.decode()
    assert f'<a href="{changes_url(three_versions)}">See what changed</a>' in content


def test_the_change_log_is_paged(client, pharmacist, reviewer, monkeypatch):
    monkeypatch.setattr(changelog, "PER_PAGE", 2)
    drug = publish_first(make_drug("Pagamine", status=Status.DRAFT), pharmacist, reviewer)
    for words in ("one", "two"):
        drug = approve_edit(
            drug, pharmacist, reviewer,
            lambda d, w=words: Section.objects.filter(drug=d, kind=SectionKind.USAGE).update(
                body=f"Usage {w}."
            ),
        )  # fmt: skip
    first = client.get(changes_url(drug))
    assert len(version_ids(first.content.decode())) == 2
    # The last on the page is compared with the first of the next page.
    assert first.context["page_obj"].object_list[-1].summary == "Usage section changed"
    second = client.get(changes_url(drug), {"page": 2})
    assert second.context["page_obj"].object_list[0].heading == "First published"
    assert client.get(changes_url(drug), {"page": 3}).status_code == 404
    assert client.get(changes_url(drug), {"page": "x"}).status_code == 404


def test_the_feed_links_an_updated_monograph_to_its_change(client, three_versions):
    history.ensure_recorded(make_drug("Newamine"))
    feed = client.get(reverse("monographs:feed")).content.decode()
    newest = version_ids(client.get(changes_url(three_versions)).content.decode())[0]
    link = f'<link href="http://testserver{changes_url(three_versions)}#{newest}" rel="alternate"'
    assert link in feed
    # Its entry keeps the monograph's page as its id; a new monograph links its page.
    assert "<id>http://testserver/drugs/livamine/</id>" in feed
    assert '<link href="http://testserver/drugs/newamine/" rel="alternate"' in feed


def test_the_change_log_costs_as_many_queries_for_twelve_versions_as_for_three(
    client, pharmacist, reviewer, django_assert_max_num_queries
):
    counts = []
    for name, edits in (("Fewamine", 2), ("Manyamine", 11)):
        drug = publish_first(make_drug(name, status=Status.DRAFT), pharmacist, reviewer)
        for i in range(edits):
            drug = approve_edit(
                drug, pharmacist, reviewer,
                lambda d, i=i: Section.objects.filter(drug=d, kind=SectionKind.USAGE).update(
                    body=f"Usage {i}."
                ),
            )  # fmt: skip
        client.get(changes_url(drug))
        with django_assert_max_num_queries(3) as captured:
            assert client.get(changes_url(drug)).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_a_deleted_reviewer_leaves_an_unnamed_approval(client, three_versions, reviewer):
    reviewer.delete()
    entries = client.get(changes_url(three_versions)).context["page_obj"].object_list
    assert {e.byline for e in entries} == {"Approved by a reviewer"}


def test_a_long_section_shows_only_its_changed_paragraphs(client, pharmacist, reviewer):
    drug = make_drug("Longamine", status=Status.DRAFT)
    paragraphs = [f"Paragraph {i} says something of its own." for i in range(8)]
    Section.objects.filter(drug=drug, kind=SectionKind.USAGE).update(body="\n\n".join(paragraphs))
    drug = publish_first(drug, pharmacist, reviewer)
    paragraphs[4] = "Paragraph 4 says something new."
    drug = approve_edit(
        drug, pharmacist, reviewer,
        lambda d: Section.objects.filter(drug=d, kind=SectionKind.USAGE).update(
            body="\n\n".join(paragraphs)
        ),
    )  # fmt: skip
    content = client.get(changes_url(drug)).content.decode()
    newest = version_html(content, version_ids(content)[0])
    assert "Paragraph 4 says something <del>of its own</del><ins>new</ins>." in newest
    assert "Paragraph 3" not in newest and "Paragraph 5" not in newest
    assert newest.count("Unchanged text left out.") == 2


def test_markup_in_what_changed_is_shown_as_text(client, pharmacist, reviewer):
    drug = publish_first(make_drug("Markamine", status=Status.DRAFT), pharmacist, reviewer)
    vector = '<script>alert(1)</script><img src=x onerror="alert(2)">'

    def edit(draft):
        Section.objects.filter(drug=draft, kind=SectionKind.USAGE).update(body=f"Usage {vector}")
        SideEffect.objects.create(drug=draft, name=f"Rash {vector}", severity=Severity.MILD)
        Faq.objects.filter(drug=draft, question="Question 0?").update(answer=vector)
        draft.brand_names = vector
        draft.save()

    drug = approve_edit(drug, pharmacist, reviewer, edit)
    content = client.get(changes_url(drug)).content.decode()
    assert "<script>alert" not in content and "<img" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
