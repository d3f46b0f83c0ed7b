"""The page cache: anonymous readers get stored pages, and never a stale one.

Each test runs against the local-memory cache and against a real Redis
(``REDIS_URL``, or a local Redis on its default port).

Tests run inside a transaction that never commits, so the changes under test
are made inside ``django_capture_on_commit_callbacks(execute=True)``: their
on-commit work runs as it would after a real commit. One test commits for real.
"""

import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection

from monographs.choices import Severity, Status
from monographs.models import Drug, Faq, Section, SideEffect
from monographs.signals import announce_content_change
from portal import cache as portal_cache
from tests.factories import edit_published, make_drug
from tests.htmlforms import add_inline_form
from tests.redis_helpers import redis_url_for_tests, remove_keys, skip_unless_redis

from .factories import staff_login

DATA = Path(__file__).parent / "data"


@pytest.fixture(params=["locmem", "redis"])
def page_cache(request, settings, tmp_path):
    """The page cache turned on (the suite runs without it), on a fresh store."""
    prefix = f"test-pages-{uuid.uuid4().hex}"
    if request.param == "redis":
        url = redis_url_for_tests()
        skip_unless_redis(url)
        store = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    else:
        store = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": prefix}
        settings.PAGE_CACHE_TOKEN_DIR = tmp_path / "page-tokens"
    settings.CACHES = {**settings.CACHES, "pages": store}
    settings.PAGE_CACHE_ENABLED = True
    yield caches["pages"]
    if request.param == "redis":
        remove_keys(store["LOCATION"], prefix)


@pytest.fixture
def drug(db):
    return make_drug("Cachamine")


@pytest.fixture
def editor(db, client):
    user = get_user_model().objects.create_user(
        "editor", password="unused-in-tests", is_staff=True, is_superuser=True
    )
    return user


def page(client, url, **extra):
    response = client.get(url, **extra)
    assert response.status_code == 200, url
    return response.content.decode()


def served_from_cache(client, url, django_assert_num_queries) -> str:
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response.status_code == 200
    assert response["X-Page-Cache"] == "hit", url
    return response.content.decode()


def commit_pending() -> None:
    """Run what earlier steps left waiting for a commit (fixtures, say), as a commit would."""
    pending = connection.run_on_commit[:]
    connection.run_on_commit.clear()
    for _, callback, _ in pending:
        callback()


@contextmanager
def changes(django_capture_on_commit_callbacks):
    """A block run as its own transaction: its on-commit callbacks run at its end."""
    commit_pending()
    with django_capture_on_commit_callbacks(execute=True):
        yield


PUBLIC_PAGES = [
    "/",
    "/drugs/",
    "/drugs/?q=cachamine",
    "/drugs/cachamine/",
    "/drugs/cachamine/?severity=serious",
    "/drugs/cachamine.json",
    "/drugs/cachamine/changes/",
    "/side-effects/",
    "/side-effects/?q=effect+1",
    "/compare/?drugs=cachamine,other",
    "/sitemap.xml",
    "/sitemap-drugs.xml",
    "/feed/",
    "/drugs/cachamine.fhir.json",
    "/fhir/MedicationKnowledge/cachamine",
    "/fhir/CodeSystem/side-effect-frequency",
    "/api/",
    "/api/openapi.json",
    "/api/drugs/",
    "/api/drugs/?q=cachamine&page_size=1",
    "/api/drugs/cachamine/",
    "/api/side-effects/?q=effect+1",
]


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_a_public_page_is_answered_from_the_cache_without_a_query(
    page_cache, drug, client, url, django_assert_num_queries
):
    make_drug("Other")
    first = client.get(url)
    assert first.status_code == 200
    assert first["X-Page-Cache"] == "miss"
    assert served_from_cache(client, url, django_assert_num_queries) == first.content.decode()


def test_a_head_request_is_answered_from_the_stored_page(
    page_cache, drug, client, django_assert_num_queries
):
    client.get("/drugs/cachamine/")
    with django_assert_num_queries(0):
        response = client.head("/drugs/cachamine/")
    assert response.status_code == 200
    assert response["X-Page-Cache"] == "hit"
    assert response.content == b""


def test_a_stored_page_keeps_the_security_headers(page_cache, drug, client):
    first = client.get("/drugs/cachamine/")
    again = client.get("/drugs/cachamine/")
    assert again["X-Page-Cache"] == "hit"
    for header in (
        "Content-Security-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
        "Content-Type",
    ):
        assert again[header] == first[header], header
    assert "script-src 'self'" in again["Content-Security-Policy"]


def test_query_strings_and_hosts_are_stored_apart(page_cache, drug, client):
    all_effects = page(client, "/drugs/cachamine/")
    serious = page(client, "/drugs/cachamine/?severity=serious")
    assert all_effects != serious
    assert page(client, "/drugs/cachamine/?severity=serious") == serious
    feed = page(client, "/feed/")
    other_host = page(client, "/feed/", HTTP_HOST="localhost")
    assert "http://testserver/" in feed and "http://localhost/" in other_host


def test_an_api_answer_changes_with_the_monograph(
    page_cache, drug, client, django_capture_on_commit_callbacks
):
    page(client, "/api/drugs/cachamine/")
    with changes(django_capture_on_commit_callbacks):
        drug.generic_name = "Cachaminum"
        drug.save()
    assert '"generic_name":"Cachaminum"' in page(client, "/api/drugs/cachamine/")


def test_saving_a_drug_shows_on_the_next_request(
    page_cache, drug, client, django_capture_on_commit_callbacks
):
    page(client, "/drugs/cachamine/")
    with changes(django_capture_on_commit_callbacks):
        drug.generic_name = "Cachaminum"
        drug.save()
    assert "Cachaminum" in page(client, "/drugs/cachamine/")


def test_pages_change_only_once_the_change_commits(
    page_cache, drug, client, django_capture_on_commit_callbacks
):
    commit_pending()
    before = page(client, "/drugs/")
    with django_capture_on_commit_callbacks() as callbacks:
        Drug.objects.filter(pk=drug.pk).update(title="Renamed")
        announce_content_change()
        announce_content_change()  # one retirement per transaction is enough
    assert page(client, "/drugs/") == before
    # One retirement of pages, one move of the search index's state (what the
    # list keeps its rows under), whatever the number of announcements.
    assert sorted(type(c).__name__ for c in callbacks) == ["PendingRetirement", "_TouchOnCommit"]
    for callback in callbacks:
        callback()
    assert "Renamed" in page(client, "/drugs/")


def test_unpublishing_removes_the_page_at_once_and_404s_are_not_stored(
    page_cache, drug, client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    page(client, "/drugs/cachamine/")
    with changes(django_capture_on_commit_callbacks):
        drug.status = Status.DRAFT
        drug.save()
    assert client.get("/drugs/cachamine/").status_code == 404
    response = client.get("/drugs/cachamine/")
    assert response.status_code == 404
    assert "X-Page-Cache" not in response
    with changes(django_capture_on_commit_callbacks):
        drug.status = Status.PUBLISHED
        drug.save()
    assert client.get("/drugs/cachamine/").status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            # A change without a signal voids the drug's kept page body itself
            # (monographs.monograph_body), as it retires the stored pages (below).
            lambda d: (
                Section.objects.filter(drug=d, position=1).update(body_html="<p>New</p>"),
                Drug.objects.filter(pk=d.pk).update(rendered_for_edit=None),
            ),
            id="no-signal",
        ),
        pytest.param(lambda d: d.side_effects.all().delete(), id="queryset-delete"),
        pytest.param(lambda d: Faq.objects.filter(drug=d).first().delete(), id="faq-delete"),
        pytest.param(
            lambda d: SideEffect.objects.create(
                drug=d, name="Hiccups", term="hiccup", severity=Severity.MILD, position=50
            ),
            id="side-effect-create",
        ),
        pytest.param(lambda d: Drug.objects.filter(pk=d.pk).delete(), id="drug-delete"),
    ],
)
def test_every_kind_of_change_retires_the_stored_pages(
    page_cache, drug, client, change, django_capture_on_commit_callbacks
):
    before = page(client, "/drugs/cachamine/")
    page(client, "/drugs/")
    with changes(django_capture_on_commit_callbacks):
        change(drug)
        # Changes that send no signal say so themselves, as the importer does.
        announce_content_change()
    after = client.get("/drugs/cachamine/")
    assert after.get("X-Page-Cache") != "hit"
    assert after.status_code == 404 or after.content.decode() != before


def test_a_change_that_sends_a_signal_needs_no_call(
    page_cache, drug, client, django_capture_on_commit_callbacks
):
    page(client, "/drugs/cachamine/")
    with changes(django_capture_on_commit_callbacks):
        SideEffect.objects.filter(drug=drug, name="Effect 1").delete()  # signals per row
    assert "Effect 1" not in page(client, "/drugs/cachamine/")


def test_renaming_the_reviewer_shows_on_the_page(
    page_cache, drug, client, editor, django_capture_on_commit_callbacks
):
    with changes(django_capture_on_commit_callbacks):
        drug.reviewed_by = editor
        drug.reviewed_on = drug.created.date()
        drug.save()
    assert "Ann Checker" not in page(client, "/drugs/cachamine/")
    with changes(django_capture_on_commit_callbacks):
        editor.first_name, editor.last_name = "Ann", "Checker"
        editor.save()
    assert "Ann Checker" in page(client, "/drugs/cachamine/")


def test_importing_a_changed_file_shows_on_the_next_request(
    page_cache, db, client, tmp_path, django_capture_on_commit_callbacks
):
    source = tmp_path / "isotretinoin.md"
    text = (DATA / "isotretinoin-systemic.md").read_text()
    source.write_text(text)
    with changes(django_capture_on_commit_callbacks):
        call_command("import_monographs", str(source), verbosity=0)
    before = page(client, "/drugs/isotretinoin-systemic/")
    assert "Glowing skin" not in before
    source.write_text(text.replace("Nosebleeds", "Glowing skin"))
    with changes(django_capture_on_commit_callbacks):
        call_command("import_monographs", str(source), verbosity=0)
    after = page(client, "/drugs/isotretinoin-systemic/")
    assert "Glowing skin" in after and "Nosebleeds" not in after


class TestAdminEdits:
    """Real admin POSTs: the drug and each kind of inline change."""

    @pytest.fixture
    def editing(self, page_cache, drug, client, editor, django_capture_on_commit_callbacks):
        editor_client = type(client)()
        staff_login(editor_client, editor)

        def submit(edit):
            # A published monograph is edited in its working draft; the page
            # changes when a second Reviewer approves it.
            with changes(django_capture_on_commit_callbacks):
                edit_published(editor_client, drug, edit)

        page(client, "/drugs/cachamine/")
        return submit

    def test_changing_the_drug(self, editing, client):
        editing(lambda data: data.update(generic_name=["Cachaminum"]))
        assert "Cachaminum" in page(client, "/drugs/cachamine/")

    def test_adding_a_side_effect(self, editing, client):
        editing(lambda data: add_inline_form(data, "side_effects", name="Hiccups", position=9))
        assert "Hiccups" in page(client, "/drugs/cachamine/")

    def test_changing_a_side_effect(self, editing, client):
        editing(lambda data: data.update({"side_effects-1-name": ["Yawning"]}))
        body = page(client, "/drugs/cachamine/")
        assert "Yawning" in body and "Effect 1" not in body

    def test_deleting_a_side_effect(self, editing, client):
        editing(lambda data: data.update({"side_effects-1-DELETE": ["on"]}))
        assert "Effect 1" not in page(client, "/drugs/cachamine/")

    def test_changing_a_section(self, editing, client):
        editing(lambda data: data.update({"sections-0-body": ["Take it *with* water."]}))
        assert "Take it <em>with</em> water." in page(client, "/drugs/cachamine/")


def test_staff_and_session_holders_bypass_the_cache(page_cache, drug, client, editor):
    page(client, "/drugs/cachamine/")
    assert client.get("/drugs/cachamine/")["X-Page-Cache"] == "hit"
    staff_login(client, editor)
    response = client.get("/drugs/cachamine/")
    assert "X-Page-Cache" not in response
    # Staff preview drafts; such a page must never reach a reader.
    drafted = make_drug("Draftamine", status=Status.DRAFT)
    assert client.get(drafted.get_absolute_url()).status_code == 200
    client.logout()
    assert client.get(drafted.get_absolute_url()).status_code == 404


def test_a_session_cookie_alone_bypasses_the_cache(page_cache, drug, client, settings):
    page(client, "/drugs/cachamine/")
    client.cookies[settings.SESSION_COOKIE_NAME] = "anything"
    assert "X-Page-Cache" not in client.get("/drugs/cachamine/")


def test_the_admin_and_suggestions_are_never_stored(page_cache, drug, client):
    client.get("/admin/login/")
    assert "X-Page-Cache" not in client.get("/admin/login/")
    client.get("/search/suggest/?q=ca")
    assert "X-Page-Cache" not in client.get("/search/suggest/?q=ca")


def test_the_page_cache_can_be_turned_off(page_cache, drug, client, settings):
    settings.PAGE_CACHE_ENABLED = False
    page(client, "/drugs/cachamine/")
    assert "X-Page-Cache" not in client.get("/drugs/cachamine/")


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_shows_without_any_help(page_cache, client):
    drug = make_drug("Committamine")
    page(client, drug.get_absolute_url())
    assert client.get(drug.get_absolute_url())["X-Page-Cache"] == "hit"
    drug.generic_name = "Committaminum"
    drug.save()  # autocommit: the transaction commits here
    assert "Committaminum" in page(client, drug.get_absolute_url())


def test_restoring_an_earlier_revision_shows_on_the_next_request(
    page_cache, drug, client, django_capture_on_commit_callbacks
):
    import reversion
    from reversion.models import Version

    with changes(django_capture_on_commit_callbacks), reversion.create_revision():
        reversion.add_to_revision(drug)
    with changes(django_capture_on_commit_callbacks):
        drug.side_effects.filter(name="Effect 1").delete()
        drug.generic_name = "Cachaminum"
        drug.save()
    edited = page(client, "/drugs/cachamine/")
    assert "Cachaminum" in edited and "Effect 1" not in edited
    with changes(django_capture_on_commit_callbacks):
        Version.objects.get_for_object(drug).first().revision.revert(delete=True)
    restored = page(client, "/drugs/cachamine/")
    assert "Cachaminum" not in restored and "Effect 1" in restored


def test_tokens_are_written_without_listing_their_folder(settings, tmp_path, monkeypatch):
    # Django's file cache lists its whole folder on every write to decide whether
    # to cull: with a token a monograph, a large import would list it each time.
    settings.CACHES = {
        **settings.CACHES,
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"},
    }
    settings.PAGE_CACHE_TOKEN_DIR = tmp_path / "page-tokens"
    store = portal_cache.token_store()

    def listed():
        raise AssertionError("the token folder was listed")

    monkeypatch.setattr(store, "_list_cache_files", listed)
    portal_cache.retire([1, 2, 3])
    assert len(list(settings.PAGE_CACHE_TOKEN_DIR.iterdir())) == 4  # listings and three drugs
