"""A published monograph changes only through review: edits wait in its working
draft, readers keep the approved text everywhere, and a Reviewer's approval
makes the draft live at once (four eyes unless a setting allows otherwise)."""

import pytest
from django.test import Client
from django.urls import reverse
from reversion.models import Version

from monographs import history, workflow
from monographs.choices import Severity, Status
from monographs.models import Drug, Faq, Ingredient, Section, SideEffect

from .factories import make_drug, make_user, signed_in
from .test_admin import form_data
from .test_history import restore_form


def change_url(drug) -> str:
    return reverse("admin:monographs_drug_change", args=[drug.pk])


def open_draft(client, live) -> Drug:
    response = client.post(reverse("admin:monographs_drug_working_draft", args=[live.pk]))
    assert response.status_code == 302
    return Drug.objects.get(draft_of=live)


def step(client, drug, name, **extra):
    drug = Drug.objects.get(pk=drug.pk)
    url = reverse("admin:monographs_drug_transition", args=[drug.pk, name])
    return client.post(url, {"opened_at_edit": drug.edit_count, **extra})


def edit_draft(client, draft) -> None:
    """Change a field, a section, a side effect's severity, a FAQ, and add an ingredient."""
    data = form_data(client.get(change_url(draft)))
    data.update(
        {
            "generic_name": "Newname",
            "sections-0-body": "New *usage* text.",
            "side_effects-0-severity": str(Severity.EMERGENCY),
            "faqs-0-answer": "A new answer.",
            "ingredients-TOTAL_FORMS": "1",
            "ingredients-0-name": "Newingredient",
            "ingredients-0-position": "1",
        }
    )
    response = client.post(change_url(draft), data)
    assert response.status_code == 302, response.context["errors"]


@pytest.fixture
def live(db):
    return make_drug("Livamine", side_effects=3)


PUBLIC = {
    "page": lambda d: d.get_absolute_url(),
    "json": lambda d: reverse("monographs:drug_json", args=[d.slug]),
    "feed": lambda d: "/feed/",
    "sitemap": lambda d: "/sitemap.xml",
    "search": lambda d: "/drugs/?q=newname",
    "lookup": lambda d: "/side-effects/?q=effect+0",
    "compare": lambda d: f"/compare/?drugs={d.slug},{d.slug}x",
}


def test_a_pharmacists_edit_waits_in_the_draft_while_readers_keep_the_live_text(live, pharmacist):
    client = signed_in(pharmacist)
    # The live monograph is read-only in the admin: its form cannot be saved.
    assert client.post(change_url(live), form_data(client.get(change_url(live)))).status_code == 403
    draft = open_draft(client, live)
    assert draft.slug != live.slug and draft.title == live.title
    assert draft.sections.count() == 3 and draft.side_effects.count() == 3
    edit_draft(client, draft)

    live = Drug.objects.get(pk=live.pk)
    assert live.generic_name == "" and live.status == Status.PUBLISHED
    assert live.sections.get(position=1).body == "About *Usage*."
    reader = Client()
    for name, url in PUBLIC.items():
        content = reader.get(url(live)).content.decode()
        assert "Newname" not in content and "New usage" not in content, name
        assert draft.slug not in content, name
    assert reader.get(draft.get_absolute_url()).status_code == 404
    assert reader.get(reverse("monographs:drug_json", args=[draft.slug])).status_code == 404


def test_an_approved_draft_becomes_the_live_monograph_in_one_step(live, pharmacist, reviewer):
    author, checker = signed_in(pharmacist), signed_in(reviewer)
    draft = open_draft(author, live)
    edit_draft(author, draft)
    assert step(author, draft, "submit").status_code == 302
    # The Reviewer sees what the draft changes.
    page = checker.get(change_url(draft))
    changes = page.context["draft_changes"]
    assert [c.label for c in changes.drug] == ["generic name"]
    assert {(p.kind, p.name) for p in changes.parts} >= {
        ("added", "Newingredient"),
        ("changed", "Effect 0"),
        ("changed", "Usage"),
    }
    assert step(checker, draft, "publish").status_code == 302

    assert not Drug.objects.filter(pk=draft.pk).exists()
    live = Drug.objects.get(pk=live.pk)
    assert (live.slug, live.generic_name, live.status) == ("livamine", "Newname", Status.PUBLISHED)
    assert live.reviewed_by == reviewer and not live.changed_since_review
    assert live.sections.get(position=1).body == "New *usage* text."
    assert live.side_effects.get(name="Effect 0").severity == Severity.EMERGENCY
    assert live.faqs.get(position=0).answer == "A new answer."
    assert [i.name for i in live.ingredients.all()] == ["Newingredient"]
    for model, link in history.LINKS.items():
        assert not model.objects.filter(**{link: draft.pk}).exists()
    content = Client().get(live.get_absolute_url()).content.decode()
    assert "Newname" in content and "<em>usage</em>" in content
    # One revision records the approval, with the live monograph's new parts.
    latest = history.versions_of(live.pk).first()
    assert latest.revision.get_comment().startswith("Reviewed and published")
    assert latest.revision.user == reviewer
    assert history.own_state(latest)[Section].keys() == {
        str(pk) for pk in live.sections.values_list("pk", flat=True)
    }
    # The draft leaves nothing to recover.
    assert not Version.objects.get_deleted(Drug).filter(object_id=str(draft.pk)).exists()


def test_a_rejected_draft_goes_back_to_its_author_with_the_reviewers_note(
    live, pharmacist, reviewer
):
    author = signed_in(pharmacist)
    draft = open_draft(author, live)
    edit_draft(author, draft)
    step(author, draft, "submit")
    assert step(signed_in(reviewer), draft, "reject", note="Cite the source").status_code == 302
    draft = Drug.objects.get(pk=draft.pk)
    assert draft.status == Status.DRAFT and draft.review_note == "Cite the source"
    assert "Cite the source" in author.get(change_url(draft)).content.decode()
    assert Drug.objects.get(pk=live.pk).generic_name == ""
    step(author, draft, "submit")
    assert Drug.objects.get(pk=draft.pk).review_note == ""


def test_edit_opens_the_same_draft_again(live, pharmacist):
    client = signed_in(pharmacist)
    assert open_draft(client, live).pk == open_draft(client, live).pk
    assert Drug.objects.filter(draft_of=live).count() == 1


def test_a_draft_cannot_take_the_title_of_another_monograph(live, pharmacist):
    make_drug("Otheramine")
    client = signed_in(pharmacist)
    draft = open_draft(client, live)
    data = {**form_data(client.get(change_url(draft))), "title": "Otheramine"}
    response = client.post(change_url(draft), data)
    assert response.status_code == 200
    assert "Another monograph has this title" in response.content.decode()


def test_a_working_draft_offers_only_the_drafts_steps(live, pharmacist, reviewer):
    draft = open_draft(signed_in(pharmacist), live)
    assert [t.name for t in workflow.available(reviewer, draft)] == ["submit"]
    with pytest.raises(workflow.TransitionError):
        workflow.take_step(draft, "archive", reviewer)


def test_restoring_a_published_monograph_writes_its_working_draft(live, pharmacist, reviewer):
    history.ensure_recorded(live)
    old = history.versions_of(live.pk).first()
    author = signed_in(pharmacist)
    draft = open_draft(author, live)
    edit_draft(author, draft)
    step(author, draft, "submit")
    step(signed_in(reviewer), draft, "publish")
    url = reverse("admin:monographs_drug_revision", args=[live.pk, old.pk])
    response = author.post(url, restore_form(author.get(url)))
    assert response.status_code == 302
    live = Drug.objects.get(pk=live.pk)
    assert live.generic_name == "Newname" and live.status == Status.PUBLISHED  # untouched
    draft = Drug.objects.get(draft_of=live)
    assert draft.generic_name == "" and draft.status == Status.DRAFT
    assert draft.sections.get(position=1).body == "About *Usage*."
    assert response["Location"] == change_url(draft)


def test_a_new_monograph_goes_draft_review_published_as_before(pharmacist, reviewer):
    drug = make_drug("Newamine", status=Status.DRAFT)
    step(signed_in(pharmacist), drug, "submit")
    step(signed_in(reviewer), drug, "publish")
    drug = Drug.objects.get(pk=drug.pk)
    assert drug.status == Status.PUBLISHED and not Drug.objects.filter(draft_of=drug).exists()


# Four eyes.


def test_a_reviewer_cannot_approve_a_draft_they_edited(live, reviewer):
    client = signed_in(reviewer)
    draft = open_draft(client, live)
    edit_draft(client, draft)
    step(client, draft, "submit")
    response = step(client, draft, "publish")
    assert response.status_code == 302
    assert Drug.objects.filter(pk=draft.pk, status=Status.IN_REVIEW).exists()
    assert Drug.objects.get(pk=live.pk).generic_name == ""
    other = signed_in(make_user("ola", "Reviewer"))
    step(other, draft, "publish")
    assert Drug.objects.get(pk=live.pk).generic_name == "Newname"


def test_self_approval_when_allowed_is_recorded(live, reviewer, settings):
    settings.MONOGRAPH_ALLOW_SELF_APPROVAL = True
    client = signed_in(reviewer)
    draft = open_draft(client, live)
    edit_draft(client, draft)
    step(client, draft, "submit")
    step(client, draft, "publish")
    assert Drug.objects.get(pk=live.pk).generic_name == "Newname"
    comment = history.versions_of(live.pk).first().revision.get_comment()
    assert "(self-approved)" in comment


def test_a_reviewer_who_only_submitted_may_approve(live, pharmacist, reviewer):
    draft = open_draft(signed_in(reviewer), live)  # opening is not an edit
    edit_draft(signed_in(pharmacist), draft)
    client = signed_in(reviewer)
    step(client, draft, "submit")
    step(client, draft, "publish")
    assert Drug.objects.get(pk=live.pk).generic_name == "Newname"


def test_parts_of_every_kind_are_copied_into_the_draft(live, pharmacist):
    Ingredient.objects.create(combination=live, name="Partamine", position=1)
    draft = open_draft(signed_in(pharmacist), live)
    for model in (Section, SideEffect, Faq, Ingredient):
        link = history.LINKS[model]
        assert (
            model.objects.filter(**{link: draft.pk}).count()
            == model.objects.filter(**{link: live.pk}).count()
        )
