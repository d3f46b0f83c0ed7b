import os
from pathlib import Path

import pytest
from django.core.management import call_command

from monographs.models import Drug

DATA = Path(__file__).parent / "data"
SEED = DATA / "isotretinoin-systemic.md"


def pytest_report_header(config):
    from django.conf import settings

    database = settings.DATABASES["default"]
    return f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}"


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped test is a failed test: nothing may pass by not running."""
    if os.environ.get("PORTAL_FAIL_ON_SKIP") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(
            f"PORTAL_FAIL_ON_SKIP=1: {len(skipped)} test(s) skipped; failing the run.", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _page_cache_off(settings):
    """Tests run in transactions that never commit, so the page cache would never
    see their changes; tests/test_page_cache.py turns it on where it is tested."""
    settings.PAGE_CACHE_ENABLED = False


@pytest.fixture(autouse=True)
def _page_cache_breaker_closed():
    """Each test starts with a page cache that has not failed yet in this process."""
    from portal import cache

    cache.breaker.reset()
    cache.owed.clear()
    yield
    cache.breaker.reset()
    cache.owed.clear()


@pytest.fixture(autouse=True)
def _search_keeps_nothing_from_other_tests():
    """What the search layer keeps a process (vocabulary, ranked keys, lookup pages) is
    keyed by the index's state, which two tests' databases may share."""
    from monographs import spelling

    spelling.forget()
    yield
    spelling.forget()


@pytest.fixture
def seed_drug(db) -> Drug:
    """The reference monograph, imported through the real command."""
    call_command("import_monographs", str(SEED), verbosity=0)
    return Drug.objects.get(slug="isotretinoin-systemic")


@pytest.fixture
def seed_text() -> str:
    from monographs.importer.parse import decode

    return decode(SEED.read_bytes())[0]


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory) -> Path:
    """Static files collected once, as production serves them (hashed and compressed)."""
    from tests.servers import manage, production_env

    folder = tmp_path_factory.mktemp("staticfiles")
    unused = f"sqlite:///{folder.parent / 'unused.sqlite3'}"
    manage(production_env(unused, folder), "collectstatic", "--noinput", "--verbosity", "0")
    return folder


@pytest.fixture
def pharmacist(db):
    from .factories import make_user

    return make_user("pat", "Pharmacist", first_name="Pat", last_name="Lee")


@pytest.fixture
def reviewer(db):
    from .factories import make_user

    return make_user("rae", "Reviewer", first_name="Rae", last_name="Okafor")
