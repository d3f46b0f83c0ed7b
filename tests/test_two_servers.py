"""Two app servers on one database and one Redis: an edit on one is read on the other.

PostgreSQL when DATABASE_URL points at it (a throwaway ``<name>_twoservers``
database), otherwise a SQLite file both servers share.
"""

import os
import re
import secrets
import uuid
from base64 import b32decode
from contextlib import contextmanager
from urllib.parse import urlsplit

from django_otp.oath import totp

from tests.conftest import SEED
from tests.htmlforms import form_fields
from tests.redis_helpers import redis_url_for_tests, remove_keys, skip_unless_redis
from tests.servers import Gunicorn, manage, production_env


@contextmanager
def throwaway_database(tmp_path):
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        yield f"sqlite:///{tmp_path / 'shared.sqlite3'}"
        return
    import psycopg

    # The test database's own name, without the test_ prefix pytest-django added.
    name = f"{urlsplit(os.environ['DATABASE_URL']).path.lstrip('/')}_twoservers"
    server = {
        k: v
        for k, v in {
            "host": database["HOST"],
            "port": database["PORT"],
            "user": database["USER"],
            "password": database["PASSWORD"],
        }.items()
        if v
    }

    def admin(sql):
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as connection:
            connection.execute(sql)

    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{name}"')
    try:
        user = f"{server['user']}@" if "user" in server else ""
        yield f"postgres://{user}{server.get('host', '')}:{server.get('port', 5432)}/{name}"
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sign_in(browser, username, password):
    """Through the real pages: the password, then (a first sign-in) enrolling an
    authenticator app with the code computed from the key the page shows."""
    login_url = "/account/login/?next=/admin/"
    login = browser.get(login_url)
    assert login.status == 200
    data = form_fields(login.text, "sign-in")
    data.update({"auth-username": [username], "auth-password": [password]})
    answer = browser.post(login_url, data)
    assert answer.status == 302, answer.text[:2000]
    setup_url = "/account/two-factor/setup/"
    welcome = browser.get(setup_url)
    generator = browser.post(setup_url, form_fields(welcome.text, "enrol"))
    secret = b32decode(re.search(r'<code class="secret">([A-Z2-7]+)</code>', generator.text)[1])
    data = form_fields(generator.text, "enrol")
    data["generator-token"] = [f"{totp(secret):06d}"]
    enrolled = browser.post(setup_url, data)
    assert enrolled.status == 302, enrolled.text[:2000]
    assert "sessionid" in browser.cookies


def test_an_edit_through_one_server_is_read_at_once_through_the_other(
    db, tmp_path, collected_static
):
    redis_url = redis_url_for_tests()
    skip_unless_redis(redis_url)
    prefix = f"test-twoservers-{uuid.uuid4().hex}"
    password = secrets.token_urlsafe(16)

    with throwaway_database(tmp_path) as database_url:
        env = production_env(
            database_url,
            collected_static,
            REDIS_URL=redis_url,
            DJANGO_CACHE_KEY_PREFIX=prefix,
            # One account edits and approves here (a one-person team).
            MONOGRAPH_ALLOW_SELF_APPROVAL="1",
        )
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        manage(env, "import_monographs", str(SEED), "--verbosity", "0")
        manage(
            env,
            *("createsuperuser", "--noinput", "--username", "editor", "--email", "e@example.org"),
            extra_env={"DJANGO_SUPERUSER_PASSWORD": password},
        )
        url = "/drugs/isotretinoin-systemic/"
        try:
            with (
                Gunicorn(env, tmp_path / "a.log") as server_a,
                Gunicorn(env, tmp_path / "b.log") as server_b,
            ):
                reader_a, reader_b = server_a.client(), server_b.client()
                for reader in (reader_a, reader_b, reader_a, reader_b):
                    before = reader.get(url)
                    assert before.status == 200
                assert before.headers["X-Page-Cache"] == "hit"  # B serves a stored page
                old_text = "Isotretinoin is a powerful medication"
                assert old_text in before.text

                editor = server_a.client()
                sign_in(editor, "editor", password)
                found = editor.get("/admin/monographs/drug/?q=isotretinoin")
                change = re.search(r'href="(/admin/monographs/drug/\d+/change/)[^"]*"', found.text)
                assert change, found.text[:2000]
                # Published: its edits go to a working draft, live once approved.
                live_page = editor.get(change[1])
                opened = editor.post(
                    f"{change[1].removesuffix('change/')}working-draft/",
                    form_fields(live_page.text, "working-draft-form"),
                )
                assert opened.status == 302, opened.text[:2000]
                draft_change = opened.headers["Location"]
                form = editor.get(draft_change)
                assert form.status == 200
                data = form_fields(form.text, "drug_form")
                body = "sections-0-body"
                assert old_text in data[body][0]
                marker = f"Reworded on server A ({uuid.uuid4().hex[:8]})."
                data[body] = [marker]
                data["_save"] = ["Save"]
                saved = editor.post(draft_change, data)
                assert saved.status == 302, saved.text[:3000]
                assert old_text in reader_b.get(url).text  # not live before approval
                for step in ("submit", "publish"):
                    page = editor.get(draft_change).text
                    # The page's step buttons send the drug form; approving asks
                    # "are you sure?" first, answered here.
                    done = editor.post(
                        f"{draft_change.removesuffix('change/')}workflow/{step}/",
                        {**form_fields(page, "drug_form"), "_confirmed": ["yes"]},
                    )
                    assert done.status == 302, done.text[:2000]

                after = reader_b.get(url)
                assert after.status == 200
                assert marker in after.text
                assert old_text not in after.text
                assert marker in reader_a.get(url).text
        finally:
            remove_keys(redis_url, prefix)
