"""The reviewers' dashboard starts with the work, and two editors' clashing saves are
settled side by side, in Chromium."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from monographs import workflow
from monographs.choices import Severity, Status
from monographs.models import Drug

from ..factories import make_drug
from .conftest import PROJECT_ROOT, sign_in, unpublish

pytestmark = pytest.mark.browser

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]


def staff(username, role, first, last):
    user = get_user_model().objects.create_user(
        username, is_staff=True, first_name=first, last_name=last
    )
    user.groups.add(Group.objects.get(name=role))
    return user


def axe_violations(page, selector) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "([selector, tags]) => axe.run(document.querySelector(selector),"
        " {runOnly: {type: 'tag', values: tags}})",
        [selector, AXE_TAGS],
    )
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in result["violations"]]


@pytest.fixture
def busy_dashboard(editorial_roles):
    """Two monographs submitted with a note, one imported straight into review,
    overdue and due reviews, and a long tail of never-reviewed monographs."""
    ana = staff("ana", "Pharmacist", "Ana", "Silva")
    ben = staff("ben", "Pharmacist", "Ben", "Okoro")
    today = timezone.localdate()
    for title, who, note in [
        ("Waitamine", ana, "New dosing table from the 2026 label."),
        ("Queueamine", ben, "Split the side effects by organ system; please check the severities."),
    ]:
        drug = make_drug(title, status=Status.DRAFT)
        workflow.take_step(drug, "submit", who, note=note)
    make_drug("Importamine", status=Status.IN_REVIEW)
    for i, due_in in enumerate([-40, -3]):
        drug = make_drug(f"Overdueamine {i + 1}")
        Drug.objects.filter(pk=drug.pk).update(
            reviewed_on=today - datetime.timedelta(days=1100),
            review_due=today + datetime.timedelta(days=due_in),
        )
    soon = make_drug("Soonamine")
    Drug.objects.filter(pk=soon.pk).update(
        reviewed_on=today - datetime.timedelta(days=1000),
        review_due=today + datetime.timedelta(days=12),
    )
    for i in range(8):
        make_drug(f"Neveramine {i + 1}")
    return {"ana": ana, "ben": ben}


def test_the_dashboard_starts_with_what_waits_in_review(
    busy_dashboard, browser, live_server, screenshots_dir
):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    sign_in(context, live_server, staff("rae", "Reviewer", "Rae", "Okafor"))
    page = context.new_page()
    page.goto(live_server.url + reverse("admin:monographs_drug_review"))
    page.screenshot(path=screenshots_dir / "review-dashboard-work-first.png", full_page=True)

    headings = page.locator("section.queue h2").all_inner_texts()
    assert headings[0].startswith("Waiting in review")
    assert headings[1].startswith("Overdue for review")
    waiting = page.locator("#in_review tbody tr")
    expect(waiting).to_have_count(3)
    # Longest waiting first; the import that was never submitted says so.
    expect(waiting.nth(0)).to_contain_text("Waitamine")
    expect(waiting.nth(0)).to_contain_text("Ana Silva")
    expect(waiting.nth(0)).to_contain_text("New dosing table from the 2026 label.")
    expect(waiting.nth(1)).to_contain_text("Ben Okoro")
    expect(waiting.nth(1)).to_contain_text("please check the severities")
    expect(waiting.nth(2)).to_contain_text("Importamine")
    assert axe_violations(page, "#content-main") == []
    context.close()


def side_effect_row(page, name):
    return page.locator(f'#side_effects-group tr:has(input[value="{name}"])')


def test_a_clash_is_shown_side_by_side_and_saved_as_chosen(
    editorial_roles, browser, live_server, live_seed_drug, screenshots_dir
):
    unpublish(live_seed_drug)  # edited in place (a published one is edited in its draft)
    url = live_server.url + reverse("admin:monographs_drug_change", args=[live_seed_drug.pk])
    pages = []
    for user in (
        staff("ana", "Pharmacist", "Ana", "Silva"),
        staff("ben", "Pharmacist", "Ben", "Okoro"),
    ):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        sign_in(context, live_server, user)
        pages.append(context.new_page())
    ana, ben = pages
    ana.goto(url)
    ben.goto(url)

    ana.locator("#id_generic_name").fill("isotretinoin (oral capsules)")
    side_effect_row(ana, "Nosebleeds").locator('input[name$="-detail"]').fill(
        "from a dry nasal lining"
    )
    ana.locator("#id_introduction").fill("Ana's introduction.")
    ana.locator('input[name="_continue"]').click()
    expect(ana.locator(".messagelist")).to_contain_text("was changed successfully")

    # Ben changes the same field and the same side effect's explanation (and its
    # severity), and the brand names.
    ben.locator("#id_generic_name").fill("isotretinoin")
    side_effect_row(ben, "Nosebleeds").locator('input[name$="-detail"]').fill("from dry air")
    side_effect_row(ben, "Nosebleeds").locator('select[name$="-severity"]').select_option(
        str(Severity.SERIOUS)
    )
    ben.locator("#id_brand_names").fill("Absorica, Claravis")
    ben.locator('input[name="_continue"]').click()

    clashes = ben.locator("section.clashes")
    expect(clashes).to_contain_text("Not saved yet: 2 clashes with Ana Silva’s changes")
    generic = clashes.locator("fieldset", has_text="Generic name")
    expect(generic.locator("thead th")).to_have_text(["Field", "Yours", "Theirs"])
    expect(generic.locator("tbody td").nth(0)).to_have_text("isotretinoin")
    expect(generic.locator("tbody td").nth(1)).to_have_text("isotretinoin (oral capsules)")
    nosebleeds = clashes.locator("fieldset", has_text="Side effect “Nosebleeds”")
    expect(nosebleeds.locator("tr.differs th")).to_have_text(["Explanation", "Severity"])
    # Their other change is already in the form; his input is still there.
    expect(ben.locator("#id_introduction")).to_have_value("Ana's introduction.")
    expect(ben.locator("#id_brand_names")).to_have_value("Absorica, Claravis")
    clashes.screenshot(path=screenshots_dir / "conflict-after.png")
    assert axe_violations(ben, "section.clashes") == []
    saved = Drug.objects.get(pk=live_seed_drug.pk)
    assert (saved.generic_name, saved.brand_names) == ("isotretinoin (oral capsules)", "")

    # Saving without choosing is refused again.
    ben.locator('input[name="_continue"]').click()
    expect(ben.locator("section.clashes")).to_contain_text("2 clashes")
    expect(ben.locator("#error-summary")).to_be_visible()  # the save was refused
    assert Drug.objects.get(pk=live_seed_drug.pk).brand_names == ""

    # Keep his generic name, keep her side effect; save.
    clashes = ben.locator("section.clashes")
    clashes.locator("fieldset", has_text="Generic name").get_by_label("Keep mine").check()
    clashes.locator("fieldset", has_text="Nosebleeds").get_by_label("Keep theirs").check()
    ben.locator('input[name="_continue"]').click()
    expect(ben.locator(".messagelist")).to_contain_text("was changed successfully")
    saved = Drug.objects.get(pk=live_seed_drug.pk)
    assert saved.generic_name == "isotretinoin"
    assert saved.brand_names == "Absorica, Claravis"
    assert saved.introduction == "Ana's introduction."
    nosebleeds = saved.side_effects.get(name="Nosebleeds")
    assert nosebleeds.detail == "from a dry nasal lining"
    assert nosebleeds.severity != Severity.SERIOUS
    for page in pages:
        page.context.close()


def test_the_restore_page_says_what_changes_next_to_its_button(
    editorial_roles, browser, live_server, live_seed_drug, screenshots_dir
):
    import reversion

    from monographs import history

    unpublish(live_seed_drug)
    drug = Drug.objects.get(pk=live_seed_drug.pk)
    earlier = history.versions_of(drug.pk).first()
    with reversion.create_revision():
        drug.generic_name = "isotretinoin (oral)"
        drug.save()
        for section in drug.sections.all()[:3]:
            section.body += "\n\nA new paragraph."
            section.save()
        drug.side_effects.filter(name__in=["Nosebleeds", "Joint pain"]).delete()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    sign_in(context, live_server, staff("pat", "Pharmacist", "Pat", "Lee"))
    page = context.new_page()
    page.goto(
        live_server.url + reverse("admin:monographs_drug_revision", args=[drug.pk, earlier.pk])
    )
    summary = page.locator(".restore-summary")
    expect(summary.locator(".restore-changes")).to_have_text(
        "Generic name changed, 3 sections changed, 2 side effects added."
    )
    expect(summary.get_by_role("button", name="Restore this version")).to_be_in_viewport()
    expect(page.locator("table.comparison").first).to_be_hidden()
    page.screenshot(path=screenshots_dir / "restore-summary.png")
    assert axe_violations(page, "#content-main") == []
    page.get_by_text("Every change, field by field").click()
    expect(page.locator("table.comparison").first).to_be_visible()
    summary.get_by_role("button", name="Restore this version").click()
    expect(page.locator(".messagelist")).to_contain_text("now says what it said on")
    drug = Drug.objects.get(pk=drug.pk)
    assert drug.generic_name == earlier.field_dict["generic_name"] != "isotretinoin (oral)"
    assert drug.side_effects.filter(name="Nosebleeds").exists()
    context.close()
