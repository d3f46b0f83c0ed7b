"""deploy/nginx.conf in front of gunicorn: what it keeps, what it passes by,
and how soon a published change reaches readers through it.

nginx runs as a child process with the deployed file's own directives
(bench/nginx.py reads them); the portal runs under production settings.
"""

import time
from pathlib import Path

import pytest

from bench.nginx import NGINX, nginx
from tests.conftest import SEED
from tests.servers import Browser, Gunicorn, free_port, manage, production_env

SHARED_MAX_AGE = 1  # seconds a proxy may keep a public page
PAGE = "/drugs/isotretinoin-systemic/"
ADDED = "A sentence the pharmacist added after the page was kept."


@pytest.fixture
def proxied(tmp_path, collected_static):
    if not Path(NGINX).exists():
        pytest.skip(f"{NGINX} not found: the proxy tests need Debian's nginx package")
    env = production_env(
        f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        collected_static,
        DJANGO_PAGE_SHARED_MAX_AGE=str(SHARED_MAX_AGE),
        DJANGO_PAGE_CACHE_TOKEN_DIR=str(tmp_path / "tokens"),
    )
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "import_monographs", str(SEED), "--verbosity", "0")
    with Gunicorn(env, tmp_path / "gunicorn.log", workers=1) as server:
        ports = (free_port(), free_port())
        with nginx(tmp_path, f"127.0.0.1:{server.port}", ports) as (proxy, _static):
            yield env, server, int(proxy.rsplit(":", 1)[1])


def get(port, path, **headers):
    return Browser(port).get(path, headers=headers)


def access_log(server) -> str:
    """gunicorn's log once every request it answered so far is in it.

    gunicorn writes a request's line after sending the answer, so a read right
    after a response may miss it. Its one worker answers in turn: once a marker
    request asked of it directly is logged, every request before it is too.
    """
    marker = f"/log-marker-{time.monotonic_ns()}/"
    Browser(server.port).get(marker)
    deadline = time.monotonic() + 10
    while marker not in (text := server.log.read_text()):
        assert time.monotonic() < deadline, "gunicorn never logged the marker request"
        time.sleep(0.05)
    return text


def test_public_pages_are_kept_and_answered_by_the_proxy(proxied):
    _env, server, port = proxied
    first = get(port, PAGE)
    assert first.status == 200
    assert first.headers["X-Proxy-Cache"] == "MISS"
    again = get(port, PAGE)
    assert again.headers["X-Proxy-Cache"] == "HIT"
    assert again.body == first.body
    assert again.headers["ETag"] == first.headers["ETag"]
    assert access_log(server).count(f'"GET {PAGE} HTTP/1.1" 200') == 1


def test_a_published_change_reaches_readers_within_s_maxage(proxied):
    env, _server, port = proxied
    assert ADDED not in get(port, PAGE).text
    assert get(port, PAGE).headers["X-Proxy-Cache"] == "HIT"
    manage(
        env,
        "shell",
        "-c",
        "from monographs.models import Section\n"
        f"section = Section.objects.filter(drug__slug={PAGE.split('/')[2]!r}).first()\n"
        f"section.body += '\\n\\n{ADDED}'\n"
        "section.save()\n",
    )
    changed = time.monotonic()
    # The kept copy until s-maxage is over, then one request revalidates it
    # in the background; the new page follows at once.
    while ADDED not in (answer := get(port, PAGE)).text:
        assert answer.status == 200
        assert time.monotonic() - changed < SHARED_MAX_AGE + 5, "the change never came through"
        time.sleep(0.1)
    # nginx counts whole seconds: a page kept at 0.9 s expires at 2 s.
    assert time.monotonic() - changed < SHARED_MAX_AGE + 2.5


def test_an_unchanged_page_is_revalidated_with_its_etag(proxied):
    _env, server, port = proxied
    kept = get(port, PAGE)
    time.sleep(SHARED_MAX_AGE + 0.5)
    deadline = time.monotonic() + 5
    while f'"GET {PAGE} HTTP/1.1" 304' not in server.log.read_text():
        assert get(port, PAGE).body == kept.body
        assert time.monotonic() < deadline, "nginx never revalidated the page"
        time.sleep(0.2)
    assert get(port, PAGE).headers["X-Proxy-Cache"] in {"HIT", "REVALIDATED"}


def test_readers_with_other_cookies_get_the_kept_page(proxied):
    # An analytics cookie, or the CSRF cookie left by a visit to the sign-in
    # page, changes nothing on a public page: such readers share the kept copy
    # with everyone else, and do not push it out for those without cookies.
    _env, server, port = proxied
    first = get(port, PAGE)
    assert first.headers["Vary"] == "Cookie"  # true of the portal's answers, kept for browsers
    for cookie in ("_ga=GA1.1.12345.67890", "csrftoken=abc; theme=dark", None):
        answer = get(port, PAGE, **({"Cookie": cookie} if cookie else {}))
        assert answer.headers["X-Proxy-Cache"] == "HIT", cookie
        assert answer.body == first.body
    assert access_log(server).count(f'"GET {PAGE} HTTP/1.1"') == 1


def test_signed_in_readers_and_the_admin_pass_the_proxy_by(proxied):
    _env, _server, port = proxied
    get(port, PAGE)
    assert get(port, PAGE, Cookie="sessionid=abc").headers["X-Proxy-Cache"] == "BYPASS"
    for _ in range(2):
        login = get(port, "/account/login/")  # sets a CSRF cookie: for this reader only
        assert login.status == 200
        assert login.headers["X-Proxy-Cache"] != "HIT"
        assert "private" in login.headers["Cache-Control"]


def test_readers_get_the_kept_pages_while_the_portal_does_not_answer(proxied):
    _env, server, port = proxied
    kept = get(port, PAGE)
    server.__exit__()  # gunicorn stopped
    deadline = time.monotonic() + SHARED_MAX_AGE + 5
    seen = []
    while len(seen) < 3 or seen[-1] == "HIT":
        answer = get(port, PAGE)
        assert answer.status == 200
        assert answer.body == kept.body
        seen.append(answer.headers["X-Proxy-Cache"])
        assert time.monotonic() < deadline, f"still {seen[-1]} past s-maxage"
        time.sleep(0.2)
    assert seen[-1] in {"STALE", "UPDATING"}
    assert get(port, "/drugs/").status == 502  # never kept: nothing to give
