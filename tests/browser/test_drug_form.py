"""The drug form in Chromium: a bar with Save and the parts that stays in view, the errors
listed at the top with links, rows added last and reordered by drag or keyboard, a new
monograph from the house template, and workflow steps that ask before they lose anything."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import Page, expect

from monographs.choices import Status
from monographs.models import Drug

from ..factories import make_drug
from .conftest import PROJECT_ROOT, csp_violations, sign_in, unpublish, wait_for_previews
from .test_quality import AXE, AXE_TAGS

pytestmark = pytest.mark.browser

SHOTS = PROJECT_ROOT / "docs" / "screenshots"


def open_form(page: Page, live_server, drug) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + reverse("admin:monographs_drug_change", args=[drug.pk]))
    wait_for_previews(page)


def in_view(page: Page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 900


def save(page: Page) -> None:
    page.locator("#form-bar").get_by_role("button", name="Save").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")


@pytest.fixture
def draft(live_seed_drug) -> Drug:
    unpublish(live_seed_drug)  # edited in place (a published one has a working draft)
    return Drug.objects.get(pk=live_seed_drug.pk)


def test_the_bar_with_save_and_the_parts_stays_in_view(
    live_server, draft, watched: Page, signed_in
):
    page = watched
    open_form(page, live_server, draft)
    bar = page.locator("#form-bar")
    links = bar.get_by_role("link")
    expect(links).to_have_text(
        ["Details", "Introduction", "Ingredients", "Sections", "Side effects", "FAQs"]
    )
    page.screenshot(path=SHOTS / "form-after-top.png")
    bar.get_by_role("link", name="FAQs").click()
    expect(page.locator("#faqs-group")).to_be_in_viewport()
    assert in_view(page, bar)  # far down the page, the bar is still there
    page.screenshot(path=SHOTS / "form-after.png")
    bar.get_by_role("link", name="Side effects").click()
    expect(page.locator("#side_effects-group h2")).to_be_in_viewport()
    # The parts fold, and start open.
    sections = page.locator("#sections-group details")
    expect(sections).to_have_attribute("open", "")
    sections.locator("summary").click()
    expect(page.locator("#id_sections-0-heading")).to_be_hidden()
    # Saved from the bar, far down the page.
    page.locator("#id_faqs-0-question").fill("What if I miss a dose of it?")
    save(page)
    assert draft.faqs.get(position=1).question == "What if I miss a dose of it?"
    assert csp_violations(page) == [] and page.dialogs == []


def test_the_errors_are_listed_at_the_top_with_links(live_server, draft, watched: Page, signed_in):
    page = watched
    open_form(page, live_server, draft)
    page.locator("#id_title").fill("")
    page.locator("#id_sections-2-heading").fill("")
    page.locator("#id_side_effects-4-name").fill("")
    page.locator("#form-bar").get_by_role("button", name="Save").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("Not saved: 3 problems to fix")
    expect(summary.get_by_role("link")).to_have_count(3)
    page.screenshot(path=SHOTS / "form-errors.png")
    summary.get_by_role("link", name="Sections, row 3, Heading").click()
    expect(page.locator("#id_sections-2-heading")).to_be_focused()
    expect(page.locator("#id_sections-2-heading")).to_be_in_viewport()
    page.locator("#form-bar").get_by_role("link", name="Details").click()
    summary.get_by_role("link", name="Side effects, row 5").click()
    expect(page.locator("#id_side_effects-4-name")).to_be_focused()
    assert csp_violations(page) == []


def test_new_rows_go_last_and_rows_move_by_drag_and_by_keyboard(
    live_server, draft, watched: Page, signed_in
):
    page = watched
    open_form(page, live_server, draft)
    faqs = list(draft.faqs.values_list("question", flat=True))
    effects = list(draft.side_effects.values_list("name", flat=True))
    sections = list(draft.sections.values_list("heading", flat=True))

    # Added with "Add another": after the last, whatever was there before.
    page.locator("#faqs-group .add-row a").click()
    new = page.locator("#faqs-group .inline-related:not(.empty-form)").last
    expect(new.locator("input.row-order")).to_have_value(str(len(faqs) + 1))
    new.locator("input[name$='-question']").fill("Can I drink alcohol?")
    new.locator("textarea[name$='-answer']").fill("Best not.")

    # By keyboard: the third section moves up twice, with its own buttons.
    third = page.locator("#sections-2")
    move_up = third.get_by_role("button", name=f"Move “{sections[2]}” up")
    move_up.focus()
    page.keyboard.press("Enter")
    expect(move_up).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#reorder-status")).to_have_text(f"“{sections[2]}” is now 1 of 7.")
    expect(third.locator("input.row-order")).to_have_value("1")

    # By drag: the fifth side effect dropped onto the top half of the first.
    handle = page.locator("#side_effects-4 .drag-handle")
    first = page.locator("#side_effects-0")
    first.scroll_into_view_if_needed()
    handle.drag_to(first, target_position={"x": 40, "y": 2})
    expect(page.locator("#side_effects-4 input.row-order")).to_have_value("1")
    page.screenshot(path=SHOTS / "form-reordered.png")
    save(page)

    assert list(draft.sections.values_list("heading", flat=True)) == [
        sections[2], sections[0], sections[1], *sections[3:]
    ]  # fmt: skip
    assert list(draft.side_effects.values_list("name", flat=True)) == [
        effects[4], *effects[:4], *effects[5:]
    ]  # fmt: skip
    assert list(draft.faqs.values_list("question", flat=True)) == [*faqs, "Can I drink alcohol?"]
    assert csp_violations(page) == [] and page.dialogs == []


def test_a_new_monograph_starts_with_the_standard_sections(
    live_server, superuser, watched: Page, signed_in
):
    page = watched
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + reverse("admin:monographs_drug_add"))
    rows = page.locator("#sections-group .inline-related:not(.empty-form)")
    headings = rows.locator("input[name$='-heading']")
    expect(headings).to_have_count(7)
    expect(page.locator("#id_title")).to_be_focused()  # not the bar's Save
    expect(headings.first).to_have_value("Usage")
    expect(page.locator("#content")).not_to_contain_text("review queue")
    expect(page.locator("#content")).not_to_contain_text("guards against lost edits")
    page.screenshot(path=SHOTS / "form-new-after.png", full_page=True)

    # A section added by hand: its type fills in its heading, until one is typed.
    page.locator("#sections-group .add-row a").click()
    row = page.locator("#sections-group .inline-related:not(.empty-form)").last
    expect(row.locator("input.row-order")).to_have_value("8")
    row.locator("select[name$='-kind']").select_option("precautions")
    expect(row.locator("input[name$='-heading']")).to_have_value("Precautions")
    row.locator("select[name$='-kind']").select_option("dosage")
    expect(row.locator("input[name$='-heading']")).to_have_value("Dosage")
    row.locator("input[name$='-heading']").fill("Storage")
    row.locator("select[name$='-kind']").select_option("other")
    expect(row.locator("input[name$='-heading']")).to_have_value("Storage")
    assert csp_violations(page) == []


def reviewer_account(editorial_roles):
    user = get_user_model().objects.create_user("rae", is_staff=True, first_name="Rae")
    user.groups.add(Group.objects.get(name="Reviewer"))
    return user


def test_a_step_asks_before_it_drops_unsaved_edits(live_server, draft, watched: Page, signed_in):
    page = watched
    open_form(page, live_server, draft)
    page.locator("#id_generic_name").fill("Typed, not saved")
    page.get_by_role("button", name="Submit for review").click()  # dismissed: stays
    assert "You have changes that are not saved" in page.dialogs[0]
    expect(page.locator("#id_generic_name")).to_have_value("Typed, not saved")
    assert Drug.objects.get(pk=draft.pk).status == Status.DRAFT

    save(page)
    page.locator("#note-submit").fill("Please check the dosage.")
    page.get_by_role("button", name="Submit for review").click()  # saved: no question
    expect(page.locator(".messagelist .success")).to_contain_text("Submitted for review")
    assert len(page.dialogs) == 1
    drug = Drug.objects.get(pk=draft.pk)
    assert (drug.status, drug.generic_name) == (Status.IN_REVIEW, "Typed, not saved")
    assert drug.review_note == "Please check the dosage."
    expect(page.locator(".review-note")).to_contain_text("Please check the dosage.")

    # Asked, and told to go ahead: the step is taken and the edit dropped.
    page.locator("#id_brand_names").fill("Dropped")
    page.confirm_answers = [True]
    page.get_by_role("button", name="Return to draft").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Returned to draft")
    drug = Drug.objects.get(pk=draft.pk)
    assert (drug.status, drug.brand_names) == (Status.DRAFT, "")
    assert csp_violations(page) == []


def test_publishing_and_archiving_ask_first(live_server, editorial_roles, watched: Page):
    page = watched
    sign_in(page.context, live_server, reviewer_account(editorial_roles))
    drug = make_drug("Askamine", status=Status.IN_REVIEW)
    open_form(page, live_server, drug)
    page.get_by_role("button", name="Review and publish").click()  # dismissed
    assert page.dialogs[-1].startswith("confirm: 'Review and publish?")
    assert "Readers will see this version" in page.dialogs[-1]
    assert Drug.objects.get(pk=drug.pk).status == Status.IN_REVIEW

    page.confirm_answers = [True]
    page.get_by_role("button", name="Review and publish").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Reviewed and published")
    page.get_by_role("button", name="Archive").click()  # dismissed
    assert page.dialogs[-1].startswith("confirm: 'Archive?")
    assert Drug.objects.get(pk=drug.pk).status == Status.PUBLISHED
    page.confirm_answers = [True]
    page.get_by_role("button", name="Archive").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Archived")
    assert Drug.objects.get(pk=drug.pk).status == Status.ARCHIVED
    assert len(page.dialogs) == 4 and csp_violations(page) == []


def test_the_drug_form_has_no_accessibility_violations(browser, live_server, draft, superuser):
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `npm ci`")
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    sign_in(context, live_server, superuser)
    page = context.new_page()
    source = AXE.read_text(encoding="utf-8")
    violations = {}
    for name, path in {
        "change": reverse("admin:monographs_drug_change", args=[draft.pk]),
        "add": reverse("admin:monographs_drug_add"),
    }.items():
        page.goto(live_server.url + path)
        page.evaluate(source)
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
        )
        found = [
            f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']]}"
            for v in result["violations"]
        ]
        if found:
            violations[name] = found
    context.close()
    assert violations == {}
