"""Fixtures for the browser tests: Debian's Chromium, driven by Playwright, against live_server."""

import os
import threading
import time

# Playwright's sync API runs an event loop in the test thread; without this Django
# refuses ORM calls made from that thread (fixtures, assertions on the database).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from pathlib import Path

import pytest

from monographs.models import Drug
from tests.factories import staff_login

CHROMIUM = Path("/usr/bin/chromium")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch the system Chromium; Playwright must never download a browser."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: the browser tests need Debian's Chromium package")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-background-networking",
            "--disable-gpu",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


class RequestsInFlight:
    """How many requests the live server's threads are handling now.

    Counted from Django's request_started and request_finished signals, which
    the server's threads send; request_finished is sent once the response has
    been written (or the browser has hung up), after the request's own work.
    """

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    def started(self, **kwargs):
        with self.lock:
            self.count += 1

    def finished(self, **kwargs):
        with self.lock:
            self.count -= 1

    def wait_until_idle(self, quiet=0.1, limit=15.0) -> None:
        """Until no request has been in flight for ``quiet`` seconds (at most ``limit``)."""
        deadline = time.monotonic() + limit
        idle_since = None
        while time.monotonic() < deadline:
            if self.count > 0:
                idle_since = None
            elif idle_since is None:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since >= quiet:
                return
            time.sleep(0.01)


@pytest.fixture(scope="session")
def requests_in_flight():
    from django.core.signals import request_finished, request_started

    counter = RequestsInFlight()
    request_started.connect(counter.started, dispatch_uid="browser-tests-started")
    request_finished.connect(counter.finished, dispatch_uid="browser-tests-finished")
    yield counter
    request_started.disconnect(dispatch_uid="browser-tests-started")
    request_finished.disconnect(dispatch_uid="browser-tests-finished")


@pytest.fixture(autouse=True)
def live_server_settles(transactional_db, requests_in_flight):
    """Before the tables are emptied, let the live server finish what it is handling.

    Closing the browser page does not stop a request the server has begun (a
    markdownx preview sent as the page loaded): emptying the tables under it
    fails the flush, and the request's session save with it. Set up after the
    database and before any page, this waits after the page is closed and
    before the tables are emptied.
    """
    yield
    requests_in_flight.wait_until_idle()


@pytest.fixture
def live_seed_drug(transactional_db, seed_drug) -> Drug:
    """The reference monograph (tests/conftest.py), committed so that the live
    server's thread can see it: with transactional_db, nothing is rolled back."""
    return seed_drug


@pytest.fixture
def screenshots_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def superuser(transactional_db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("editor", password=None)


@pytest.fixture
def signed_in(page, live_server, superuser):
    """The browser page, signed in to the admin as ``superuser`` (no login form, so no lockout)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    staff_login(client, superuser)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page


@pytest.fixture
def watched(page):
    """The page, recording every dialog it opens and every CSP violation it reports.

    ``page.dialogs`` and ``csp_violations(page)`` tell afterwards. Dialogs are
    dismissed, so that a vector that did run cannot stall the test; a test that
    expects the page to ask (a workflow step's "are you sure?") puts its answers
    in ``page.confirm_answers``, and a confirm dialog takes the next one.
    """
    page.dialogs = []
    page.confirm_answers = []

    def record(dialog):
        page.dialogs.append(f"{dialog.type}: {dialog.message!r} on {page.url}")
        if dialog.type == "confirm" and page.confirm_answers and page.confirm_answers.pop(0):
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", record)
    page.add_init_script(WATCH)
    return page


WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) =>
  window.__cspViolations.push(event.effectiveDirective + " blocked " + event.blockedURI));
// markdownx announces each preview it renders (or fails to) on the editor's box.
window.__previews = 0;
for (const type of ["markdownx.update", "markdownx.updateError"]) {
  document.addEventListener(type, () => window.__previews++, true);
}
"""


def csp_violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


def wait_for_previews(page) -> None:
    """Until every markdownx editor on the page has rendered its first preview."""
    page.wait_for_function(
        "() => window.__previews >= document.querySelectorAll('[data-markdownx-init]').length"
    )


@pytest.fixture
def editorial_roles(transactional_db):
    """The Pharmacist and Reviewer groups as the migrations make them.

    Transactional tests empty every table afterwards, groups included, so the
    roles are made again here by the migrations' own functions.
    """
    import importlib

    from django.apps import apps

    app_config = apps.get_app_config("monographs")
    models_module = app_config.models_module  # which the migration functions overwrite
    try:
        importlib.import_module("monographs.migrations.0003_roles").create_roles(apps, None)
        importlib.import_module("monographs.migrations.0005_workflow").grant_ingredients(apps, None)
    finally:
        app_config.models_module = models_module


def sign_in(context, live_server, user) -> None:
    """Give a browser context the session of ``user`` (no login form, so no lockout)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    staff_login(client, user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def unpublish(drug) -> None:
    """Make a published monograph a draft, recorded in its history (edited in place then)."""
    import reversion

    drug.status = "draft"
    with reversion.create_revision():
        reversion.set_comment("Unpublished (back to draft)")
        drug.save()
