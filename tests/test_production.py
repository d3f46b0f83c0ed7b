"""Production settings (DJANGO_ENV=production), each run loaded fresh in its own process."""

import json
import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


def production_env(tmp_path, **overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="example.org",
        # Never the developer's database: a throwaway file the checks do not even open.
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def run(args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120
    )


def check_deploy(env) -> subprocess.CompletedProcess:
    return run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)


def python(code: str, env) -> subprocess.CompletedProcess:
    setup = "import django; django.setup()\n"
    return run(
        ["-c", setup + textwrap.dedent(code)], {**env, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    )


def test_check_deploy_reports_no_issue_under_production_settings(tmp_path):
    result = check_deploy(production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_passes_behind_a_tls_proxy_that_redirects_itself(tmp_path):
    env = production_env(tmp_path, DJANGO_BEHIND_TLS_PROXY="1", DJANGO_SECURE_SSL_REDIRECT="0")
    result = check_deploy(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_turning_off_the_ssl_redirect_without_a_proxy_is_reported(tmp_path):
    result = check_deploy(production_env(tmp_path, DJANGO_SECURE_SSL_REDIRECT="0"))
    assert result.returncode != 0
    assert "security.W008" in result.stderr


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY must be set when DJANGO_ENV=production."),
        ("DJANGO_ALLOWED_HOSTS", "DJANGO_ALLOWED_HOSTS must be set when DJANGO_ENV=production."),
    ],
)
def test_production_refuses_to_start_without(tmp_path, missing, message):
    result = check_deploy(production_env(tmp_path, **{missing: None}))
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {message}" in result.stderr


def test_production_settings_are_locked_down_whatever_debug_says(tmp_path):
    result = python(
        """
        import json
        from django.conf import settings as s
        print(json.dumps({
            "DEBUG": s.DEBUG,
            "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
            "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
            "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
            "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
            "SECURE_CONTENT_TYPE_NOSNIFF": s.SECURE_CONTENT_TYPE_NOSNIFF,
            "SECURE_REFERRER_POLICY": s.SECURE_REFERRER_POLICY,
            "CSP": s.CONTENT_SECURITY_POLICY["DIRECTIVES"],
        }))
        """,
        production_env(tmp_path, DJANGO_DEBUG="1"),
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values.pop("CSP")["script-src"] == ["'self'"]
    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
    }


def test_production_answers_with_the_security_headers(tmp_path):
    """A real request through the production middleware (static files as in development,
    so that the page renders without a collectstatic run)."""
    result = python(
        """
        import json
        from django.test import Client, override_settings
        plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
        with override_settings(STORAGES={"default": {}, "staticfiles": plain}):
            client = Client(SERVER_NAME="example.org")
            insecure = client.get("/no-such-page/")
            secure = client.get("/no-such-page/", secure=True)
        print(json.dumps({
            "insecure": [insecure.status_code, insecure.get("Location")],
            "secure": secure.status_code,
            "headers": dict(secure.headers),
        }))
        """,
        production_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["insecure"] == [301, "https://example.org/no-such-page/"]
    assert answer["secure"] == 404
    headers = answer["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
