"""In Chromium: a Reviewer approves a monograph to go live later (JavaScript off), the
review dashboard lists it, it goes live when `publish_scheduled` runs, and the audit
log shows who did what. Both pages pass axe; their screenshots are the README's."""

import datetime
import importlib
import io

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from monographs import workflow
from monographs.choices import Status
from monographs.models import Drug
from tests.factories import make_drug

from .conftest import PROJECT_ROOT, sign_in
from .test_quality import AXE, AXE_TAGS

pytestmark = pytest.mark.browser

SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"


def staff(name, role, first, last):
    user = get_user_model().objects.create_user(
        name, is_staff=True, first_name=first, last_name=last
    )
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def reviewers_read_the_log(editorial_roles):
    """The Reviewer group's right to read the log, as migration 0011 gives it."""
    app_config = apps.get_app_config("monographs")
    models_module = app_config.models_module
    try:
        importlib.import_module("monographs.migrations.0011_audit_log").let_reviewers_read_the_log(
            apps, None
        )
    finally:
        app_config.models_module = models_module


def axe_violations(page, selector: str) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "([selector, tags]) => axe.run(document.querySelector(selector),"
        " {runOnly: {type: 'tag', values: tags}})",
        [selector, AXE_TAGS],
    )
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}) "
        + " ".join(str(n["target"]) for n in v["nodes"])
        for v in result["violations"]
    ]


def test_a_reviewer_approves_for_later_and_the_log_shows_it_all(
    browser, live_server, reviewers_read_the_log, screenshots_dir
):
    rae = staff("rae", "Reviewer", "Rae", "Okafor")
    ria = staff("ria", "Reviewer", "Ria", "Sen")
    pat = staff("pat", "Pharmacist", "Pat", "Lee")
    laterine = make_drug("Laterine", status=Status.IN_REVIEW)
    workflow.take_step(make_drug("Amlodipine", status=Status.DRAFT), "submit", pat)
    live = make_drug("Lisinopril")
    draft = workflow.open_working_draft(live, pat)
    workflow.take_step(draft, "submit", pat)
    workflow.schedule(draft, ria, timezone.now() + datetime.timedelta(days=6, hours=3))
    workflow.schedule(
        make_drug("Metformin", status=Status.IN_REVIEW),
        ria,
        timezone.now() + datetime.timedelta(days=13),
    )

    # Approving needs no JavaScript: a plain form with a date-and-time field.
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=False, bypass_csp=True
    )
    sign_in(context, live_server, rae)
    page = context.new_page()
    page.goto(live_server.url + reverse("admin:monographs_drug_change", args=[laterine.pk]))
    when = timezone.localtime() + datetime.timedelta(days=2)
    page.locator("#id_goes_live_at").fill(when.strftime("%Y-%m-%dT09:00"))
    page.locator(".workflow").screenshot(path=screenshots_dir / "schedule-form.png")
    page.get_by_role("button", name="Approve to go live then").click()
    expect(page.locator(".messagelist .success")).to_contain_text("goes live on")
    expect(page.locator(".schedule")).to_contain_text("Approved to go live on")
    page.locator(".workflow").screenshot(path=screenshots_dir / "schedule-approved.png")
    assert Drug.objects.get(pk=laterine.pk).scheduled_by == rae
    context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    sign_in(context, live_server, rae)
    page = context.new_page()
    page.goto(live_server.url + reverse("admin:monographs_drug_review"))
    scheduled = page.locator("#scheduled")
    expect(scheduled).to_contain_text("Approved to go live later (3)")
    expect(scheduled.locator("tbody tr").first).to_contain_text("Laterine")
    expect(scheduled).to_contain_text("Ria Sen")
    scheduled.screenshot(path=SCREENSHOTS / "scheduled.png")
    assert axe_violations(page, "#scheduled") == []

    # The time comes for Laterine; cron runs the command.
    Drug.objects.filter(pk=laterine.pk).update(
        goes_live_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    out = io.StringIO()
    call_command("publish_scheduled", stdout=out)
    assert "“Laterine” is live" in out.getvalue()
    reader = browser.new_page()
    reader.goto(live_server.url + laterine.get_absolute_url())
    expect(reader.locator("h1")).to_contain_text("Laterine")

    page.goto(live_server.url + reverse("admin:monographs_auditevent_changelist"))
    page.locator("#toggle-nav-sidebar").click()  # the list, as wide as the window
    rows = page.locator("#result_list tbody tr")
    expect(rows.first).to_contain_text("Went live as scheduled")
    expect(page.locator("#result_list")).to_contain_text("Approved to go live later")
    expect(page.locator("#changelist-filter")).to_contain_text("By monograph")
    page.screenshot(path=SCREENSHOTS / "audit-log.png", full_page=True)
    assert axe_violations(page, "#content") == []

    # A Pharmacist is not shown the log.
    context = browser.new_context()
    sign_in(context, live_server, pat)
    pharmacist = context.new_page()
    pharmacist.goto(live_server.url + reverse("admin:index"))
    expect(pharmacist.locator("#content-main")).not_to_contain_text("Audit events")
