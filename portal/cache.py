"""Whole public pages kept for anonymous readers, never stale after an edit.

Every stored page records the *content generation* it was built under: a
token that changes whenever anything a public page shows changes, as the
monographs app announces it (``monographs.signals.content_changed``: a drug,
section, side effect, FAQ or ingredient saved or deleted, an import, a
restore, a reviewer renamed). A page is served only while the generation it
was built under is still the current one, so one change retires every page at
once, on every server that shares the cache.

The generation lives in the page cache itself when that cache is shared
(Redis); with the per-process local-memory cache it lives in a small file, so
that all worker processes of one machine see each change. Several machines
need a shared cache (``REDIS_URL``).

The generation changes when the transaction that made the change commits
(``transaction.on_commit``): a page a reader built from the old rows while the
transaction was open carries the old generation and is never served again.
"""

import logging
import os
import secrets
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import HttpResponse
from django.utils.cache import cc_delim_re

from monographs.signals import content_changed

logger = logging.getLogger(__name__)

GENERATION_KEY = "generation"

# The public pages, by URL name; anything else is never stored.
CACHEABLE_VIEWS = frozenset(
    {
        "monographs:home",
        "monographs:drug_list",
        "monographs:drug_detail",
        "monographs:drug_json",
        "monographs:side_effects",
        "monographs:compare",
        "monographs:feed",
        "django.contrib.sitemaps.views.sitemap",
    }
)

# Headers a response may vary on and still be stored: pages for requests
# without a session or messages cookie do not depend on any other cookie.
STORABLE_VARY = frozenset({"cookie"})

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def page_cache():
    return caches[settings.PAGE_CACHE_ALIAS]


def _generation_file() -> Path | None:
    """The file holding the generation, or None when the cache itself holds it."""
    if isinstance(page_cache(), LocMemCache):
        return Path(settings.PAGE_CACHE_GENERATION_FILE)
    return None


def _new_token() -> str:
    # Random, never a counter: a counter that was lost (an evicted key, a
    # restarted Redis) would start again at a value old pages were stored under.
    return secrets.token_hex(8)


def current_generation() -> str:
    path = _generation_file()
    if path is None:
        cache = page_cache()
        token = cache.get(GENERATION_KEY)
        if token is None:
            cache.add(GENERATION_KEY, _new_token(), timeout=None)
            token = cache.get(GENERATION_KEY)
        return token
    try:
        return path.read_text()
    except FileNotFoundError:
        _write_generation_file(path)
        return path.read_text()


def _write_generation_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside it and renamed over it: a reader sees the old token or the new one.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".page-generation-")
    with os.fdopen(fd, "w") as handle:
        handle.write(_new_token())
    os.replace(temporary, path)


def start_new_generation() -> None:
    """Retire every stored page now."""
    path = _generation_file()
    if path is None:
        page_cache().set(GENERATION_KEY, _new_token(), timeout=None)
    else:
        _write_generation_file(path)


def start_new_generation_on_commit(using: str = DEFAULT_DB_ALIAS) -> None:
    """Retire every stored page once the current transaction on ``using`` commits."""
    connection = connections[using]
    # One retirement per transaction is enough; a rolled-back savepoint takes
    # its pending callback with it, so the next change registers a new one.
    if connection.in_atomic_block and any(
        func is start_new_generation for _, func, _ in connection.run_on_commit
    ):
        return
    transaction.on_commit(start_new_generation, using=using)


def _on_content_changed(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    start_new_generation_on_commit(using)


def connect_receivers() -> None:
    """Listen to the monographs app's announcements of a change."""
    content_changed.connect(_on_content_changed, dispatch_uid="page-cache-content-changed")


def _bypasses(request) -> bool:
    """Requests that must see their own page: signed in, or carrying a message."""
    cookies = request.COOKIES
    return (
        settings.SESSION_COOKIE_NAME in cookies
        or "messages" in cookies
        or "HTTP_AUTHORIZATION" in request.META
    )


def _key(request) -> str:
    # Scheme and host appear in the pages' absolute links (feed, sitemap, JSON-LD).
    return f"page:{request.scheme}://{request.get_host()}{request.get_full_path()}"


def _storable(request, response) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name not in CACHEABLE_VIEWS:
        return False
    cache_control = {
        d.strip().split("=")[0].lower() for d in response.get("Cache-Control", "").split(",")
    }
    if cache_control & {"private", "no-store", "no-cache"}:
        return False
    vary = {h.strip().lower() for h in cc_delim_re.split(response.get("Vary", "")) if h.strip()}
    if not vary <= STORABLE_VARY:
        return False
    # A per-request CSP nonce or a view's own policy would not survive a replay.
    if isinstance(getattr(request, "_csp_nonce", None), str):
        return False
    return not any(
        hasattr(response, name)
        for name in ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt")
    )


class PageCacheMiddleware:
    """Serve and store anonymous GET/HEAD answers of the public pages.

    Placed before the session and authentication middleware: a stored page is
    answered without a session lookup or any query, while the security and CSP
    middleware above it still add their headers. Pages are stored after the
    middleware below them ran, so they carry X-Frame-Options and Vary.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.PAGE_CACHE_ENABLED:
            return self.get_response(request)
        if request.method in UNSAFE_METHODS:
            return self._after_unsafe(request)
        if request.method not in ("GET", "HEAD") or _bypasses(request):
            return self.get_response(request)

        key = _key(request)
        try:
            # Read before the page is built, never after: a page built from rows
            # older than a change must carry a generation older than it.
            generation = current_generation()
            entry = page_cache().get(key)
        except Exception:
            logger.exception("Page cache unavailable; answering without it")
            return self.get_response(request)
        if entry is not None and entry[0] == generation:
            _, content, headers = entry
            # HEAD: the stored headers (Content-Length included), no body.
            body = b"" if request.method == "HEAD" else content
            response = HttpResponse(body, headers=headers)
            response["X-Page-Cache"] = "hit"
            return response

        response = self.get_response(request)
        if _storable(request, response):
            entry = (generation, response.content, list(response.items()))
            try:
                page_cache().set(key, entry, settings.PAGE_CACHE_SECONDS)
            except Exception:
                logger.exception("Page cache unavailable; page not stored")
            response["X-Page-Cache"] = "miss"
        return response

    def _after_unsafe(self, request):
        response = self.get_response(request)
        # The admin's own actions may change content without a signal (a
        # QuerySet.update in an action, say); any write there retires the pages.
        # By now the admin's transactions have committed.
        if request.path_info.startswith(_admin_prefix()) and response.status_code < 400:
            try:
                start_new_generation()
            except Exception:
                logger.exception("Page cache unavailable; stored pages not retired")
        return response


def _admin_prefix() -> str:
    from django.urls import reverse

    return reverse("admin:index")
