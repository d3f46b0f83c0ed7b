"""The drug form as the server sees it: rows kept in order, the house template of a new
monograph, labels in a pharmacist's words, and workflow steps that never drop unsaved edits."""

from django.urls import reverse

from monographs import history
from monographs.admin.parts import HOUSE_HEADINGS
from monographs.choices import SectionKind, Status
from monographs.models import Drug

from .factories import make_drug, signed_in
from .htmlforms import add_inline_form, form_fields

ADD_URL = reverse("admin:monographs_drug_add")


def change_url(drug) -> str:
    return reverse("admin:monographs_drug_change", args=[drug.pk])


def step_url(drug, name) -> str:
    return reverse("admin:monographs_drug_transition", args=[drug.pk, name])


def page_form(client, drug) -> dict:
    """The drug form as a browser without JavaScript would send it, as served."""
    response = client.get(change_url(drug))
    assert response.status_code == 200
    return form_fields(response.content.decode(), "drug_form")


def test_a_new_row_left_without_an_order_goes_last(pharmacist):
    """Without JavaScript a new row's order is typed, or left empty: then it goes last."""
    client = signed_in(pharmacist)
    drug = make_drug(status=Status.DRAFT)  # sections 1-3, side effects 0-2, FAQs 0-1
    data = page_form(client, drug)
    add_inline_form(data, "sections", kind="", heading="Storage", body="Keep cool.")
    add_inline_form(data, "faqs", question="Can I drive?", answer="Yes.")
    add_inline_form(data, "faqs", question="Can I drink?", answer="No.")
    for prefix in ("sections", "faqs"):  # the new rows' order left empty
        first_new = int(data[f"{prefix}-INITIAL_FORMS"][0])
        for index in range(first_new, int(data[f"{prefix}-TOTAL_FORMS"][0])):
            data[f"{prefix}-{index}-position"] = [""]
    response = client.post(change_url(drug), {**data, "_continue": "Save"})
    assert response.status_code == 302, response.context["error_summary"]
    sections = list(drug.sections.values_list("heading", "position", "kind"))
    assert sections[-1] == ("Storage", 4, SectionKind.OTHER)  # no type chosen: "Other"
    faqs = list(drug.faqs.values_list("question", "position"))
    assert faqs[-2:] == [("Can I drive?", 2), ("Can I drink?", 3)]


def test_a_new_monograph_starts_from_the_house_template(pharmacist):
    client = signed_in(pharmacist)
    response = client.get(ADD_URL)
    html = response.content.decode()
    data = form_fields(html, "drug_form")
    rows = int(data["sections-TOTAL_FORMS"][0])
    assert [
        (data[f"sections-{i}-kind"][0], data[f"sections-{i}-heading"][0]) for i in range(rows)
    ] == [(kind.value, heading) for kind, heading in HOUSE_HEADINGS.items()]
    assert list(HOUSE_HEADINGS) == [k for k in SectionKind if k != SectionKind.OTHER]
    # Nothing about reviews or versions on a monograph that has none.
    for words in ("review queue", "guards against lost edits", "Edit count", "Reviewed by"):
        assert words not in html
    # Saved as it came, with a title: the standard sections, in order.
    data["title"] = ["Newamine"]
    data["slug"] = ["newamine"]
    assert client.post(ADD_URL, {**data, "_save": "Save"}).status_code == 302
    drug = Drug.objects.get(slug="newamine")
    assert list(drug.sections.values_list("kind", "heading", "position")) == [
        (kind.value, heading, number)
        for number, (kind, heading) in enumerate(HOUSE_HEADINGS.items(), start=1)
    ]


def test_the_form_speaks_a_pharmacists_words(pharmacist):
    client = signed_in(pharmacist)
    html = client.get(change_url(make_drug(status=Status.DRAFT))).content.decode()
    for words in ("Page address", "Section type", "List heading", "Organ system", "How often"):
        assert words in html
    for jargon in (">Slug:<", ">Kind:<", ">Tier label<", ">Body system<"):
        assert jargon not in html


def test_a_step_taken_with_unsaved_changes_is_refused_and_keeps_them(pharmacist):
    client = signed_in(pharmacist)
    drug = make_drug(status=Status.DRAFT)
    data = page_form(client, drug)
    data["generic_name"] = ["Typed but not saved"]
    data["sections-0-body"] = ["A new usage text."]
    response = client.post(step_url(drug, "submit"), data)
    assert response.status_code == 200, response.get("Location")
    html = response.content.decode()
    assert "You have unsaved changes (Generic name, Sections): save them first" in html
    assert 'value="Typed but not saved"' in html and "A new usage text." in html
    assert 'id="error-summary"' in html
    drug = Drug.objects.get(pk=drug.pk)
    assert drug.status == Status.DRAFT and drug.generic_name == ""
    # The form shown again saves to the monograph, not to the step.
    assert f'action="{change_url(drug)}"' in html


def test_a_step_taken_from_the_form_as_loaded_goes_ahead_with_its_note(pharmacist, reviewer):
    client = signed_in(pharmacist)
    drug = make_drug(status=Status.DRAFT)
    data = page_form(client, drug)
    assert data["_from_page"] == ["1"] and "note_submit" in data
    data["note_submit"] = ["Dosage checked against the SmPC."]
    response = client.post(step_url(drug, "submit"), data)
    assert response.status_code == 302
    drug = Drug.objects.get(pk=drug.pk)
    assert drug.status == Status.IN_REVIEW
    assert drug.review_note == "Dosage checked against the SmPC."
    # The reviewer reads it on the monograph's page, and in its history.
    html = signed_in(reviewer).get(change_url(drug)).content.decode()
    assert "Note from its author for the Reviewer: “Dosage checked against the SmPC.”" in html
    assert history.versions_of(drug.pk).first().revision.get_comment() == (
        "Submitted for review: Dosage checked against the SmPC."
    )


def test_a_step_may_drop_unsaved_changes_when_asked_to(pharmacist):
    client = signed_in(pharmacist)
    drug = make_drug(status=Status.DRAFT)
    data = page_form(client, drug)
    data["generic_name"] = ["Not wanted"]
    response = client.post(step_url(drug, "submit"), {**data, "_discard_changes": "yes"})
    assert response.status_code == 302
    drug = Drug.objects.get(pk=drug.pk)
    assert drug.status == Status.IN_REVIEW and drug.generic_name == ""


def test_publishing_and_archiving_from_the_page_ask_again_without_javascript(reviewer):
    client = signed_in(reviewer)
    drug = make_drug(status=Status.IN_REVIEW)
    data = page_form(client, drug)
    response = client.post(step_url(drug, "publish"), data)
    assert response.status_code == 200
    assert "Readers will see this version" in response.content.decode()
    assert Drug.objects.get(pk=drug.pk).status == Status.IN_REVIEW
    confirmation = form_fields(response.content.decode(), "confirm-step")
    assert client.post(step_url(drug, "publish"), confirmation).status_code == 302
    assert Drug.objects.get(pk=drug.pk).status == Status.PUBLISHED

    # Published, the page is read-only: its buttons are forms of their own, asked again too.
    live_page = client.get(change_url(drug)).content.decode()
    response = client.post(step_url(drug, "archive"), form_fields(live_page, "workflow-archive"))
    assert response.status_code == 200
    assert Drug.objects.get(pk=drug.pk).status == Status.PUBLISHED
    confirmation = form_fields(response.content.decode(), "confirm-step")
    assert client.post(step_url(drug, "archive"), confirmation).status_code == 302
    assert Drug.objects.get(pk=drug.pk).status == Status.ARCHIVED


def test_returning_to_the_author_from_the_page_needs_a_reason(reviewer):
    client = signed_in(reviewer)
    drug = make_drug(status=Status.IN_REVIEW)
    data = page_form(client, drug)
    response = client.post(step_url(drug, "reject"), data, follow=True)
    assert "Say why you return it" in response.content.decode()
    assert Drug.objects.get(pk=drug.pk).status == Status.IN_REVIEW
    data["note_reject"] = ["Cite the source."]
    assert client.post(step_url(drug, "reject"), data).status_code == 302
    drug = Drug.objects.get(pk=drug.pk)
    assert (drug.status, drug.review_note) == (Status.DRAFT, "Cite the source.")


def test_the_error_summary_lists_every_error_with_a_link(pharmacist):
    client = signed_in(pharmacist)
    drug = make_drug(status=Status.DRAFT)
    data = page_form(client, drug)
    data["title"] = [""]
    data["sections-1-heading"] = [""]
    data["side_effects-2-name"] = [""]
    response = client.post(change_url(drug), {**data, "_continue": "Save"})
    assert response.status_code == 200
    summary = response.context["error_summary"]
    assert [(e["text"], e["href"]) for e in summary] == [
        ("Title: This field is required.", "#id_title"),
        ("Sections, row 2, Heading: This field is required.", "#id_sections-1-heading"),
        ("Side effects, row 3, Side effect: This field is required.", "#id_side_effects-2-name"),
    ]
    html = response.content.decode()
    assert "Not saved: 3 problems to fix" in html
    assert '<a href="#id_sections-1-heading">' in html
