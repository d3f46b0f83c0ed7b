"""Fixtures for the browser tests: Debian's Chromium, driven by Playwright, against live_server."""

import os

# Playwright's sync API runs an event loop in the test thread; without this Django
# refuses ORM calls made from that thread (fixtures, assertions on the database).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from pathlib import Path

import pytest
from django.core.management import call_command

from monographs.models import Drug
from tests.conftest import SEED

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


@pytest.fixture
def live_seed_drug(transactional_db) -> Drug:
    """The reference monograph, committed so that the live server's thread can see it."""
    call_command("import_monographs", str(SEED), verbosity=0)
    return Drug.objects.get(slug="isotretinoin-systemic")


@pytest.fixture
def screenshots_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
