"""Whole public pages kept for anonymous readers, never stale after an edit.

A stored page records the *tokens* of what it shows, and is served only while
each of them is still current:

- ``everything``: changes when a change may touch any page (an import, a
  reviewer renamed, a bulk update): every page depends on it;
- ``drug:<pk>``: changes when that monograph or one of its parts changes. A
  monograph's page and JSON depend on it (and on those of the monographs its
  ingredients link to), a comparison on each monograph it compares;
- ``listings``: changes with any monograph. Pages that list monographs (home,
  list and search, the side-effect lookup, sitemap, feed) depend on it.

The monographs app announces each change (``monographs.signals.content_changed``)
with the monographs it is confined to, and says which monographs a response
shows (``monographs.signals.shows``); a page that says nothing depends on
``listings``. The tokens change when the transaction that made the change
commits (``transaction.on_commit``), ``listings`` before the monographs' own.

Correct on several servers: the tokens live in the shared cache (Redis) beside
the pages, so a change made through one server retires the pages every
server stored. A page is stored under tokens read *before* it was built
(``everything`` and ``listings``), or, for a monograph's own token, read after
it was built while ``listings`` is still what it was before: since every
monograph change moves ``listings`` first, a page built from rows older than a
change can never be stored under a token newer than it. With the per-process
local-memory cache, the tokens live in a directory (``PAGE_CACHE_TOKEN_DIR``)
that every worker of one machine reads.

Every public page gets an ``ETag`` (from the tokens it was stored under and its
address, or from its bytes where it was not stored), answers ``304`` to a
matching ``If-None-Match`` (from the stored entry, without building the page),
and ``Cache-Control: public, max-age=0, s-maxage=N``: browsers revalidate, a
shared cache in front (``deploy/nginx.conf``) keeps it for N seconds. Answers
to signed-in requests say ``private, no-store``.

A cache that fails or hangs trips a per-process circuit breaker: for
``PAGE_CACHE_BREAKER_SECONDS`` the worker answers without asking the cache at
all, so a hanging Redis costs each worker one slow request, not one per
request. A change that could not be announced to the cache is owed and
announced (as "everything") once the cache answers again; the editor who made
it is told the change is saved and when readers will see it.
"""

import contextlib
import contextvars
import hashlib
import logging
import secrets
import threading
import time

from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import cc_delim_re
from django.utils.http import parse_etags

from monographs.signals import change_not_delivered, content_changed

logger = logging.getLogger(__name__)

EVERYTHING = "everything"
LISTINGS = "listings"


def drug_token(pk) -> str:
    return f"drug:{pk}"


# The public pages, by URL name; anything else is never stored.
CACHEABLE_VIEWS = frozenset(
    {
        "monographs:home",
        "monographs:drug_list",
        "monographs:drug_detail",
        "monographs:drug_json",
        "monographs:drug_changes",
        "monographs:side_effects",
        "monographs:compare",
        "monographs:feed",
        "django.contrib.sitemaps.views.index",
        "sitemap_section",
        "monographs:drug_fhir",
        "monographs:api",
        "monographs:openapi",
        "monographs:api_drugs",
        "monographs:api_drug",
        "monographs:api_side_effects",
        "monographs:fhir_medication_knowledge",
        "monographs:fhir_clinical_use_definition",
        "monographs:fhir_code_system",
    }
)

# Headers a response may vary on and still be stored: pages for requests
# without a session or messages cookie do not depend on any other cookie.
STORABLE_VARY = frozenset({"cookie"})

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Headers a 304 repeats from the page it stands for (RFC 9110, 15.4.5).
NOT_MODIFIED_HEADERS = ("Cache-Control", "Content-Location", "Date", "ETag", "Expires", "Vary")


def page_cache():
    return caches[settings.PAGE_CACHE_ALIAS]


_token_stores: dict = {}


def token_store():
    """Where the tokens live: the page cache when it is shared, else a directory."""
    cache = page_cache()
    if not isinstance(cache, LocMemCache):
        return cache
    folder = str(settings.PAGE_CACHE_TOKEN_DIR)
    store = _token_stores.get(folder)
    if store is None:
        store = _TokenFiles(folder, {"TIMEOUT": None})
        _token_stores[folder] = store
    return store


class _TokenFiles(FileBasedCache):
    """A token a file, never culled: a token lost would only retire its pages, and
    Django's culling lists the whole directory on every write (one token a
    monograph: an import of thousands of files would list thousands, thousands of
    times)."""

    def _cull(self) -> None:
        pass


def _new_token() -> str:
    # Random, never a counter: a counter that was lost (an evicted key, a
    # restarted Redis) would start again at a value old pages were stored under.
    return secrets.token_hex(8)


# --- the circuit breaker -------------------------------------------------------


class CacheUnavailable(Exception):
    """The cache failed just now, or failed recently and is not being asked."""


class Breaker:
    """Per process: after a failure, stop asking the cache for a while."""

    def __init__(self):
        self.open_until = 0.0
        self._lock = threading.Lock()

    def is_open(self) -> bool:
        return time.monotonic() < self.open_until

    def trip(self) -> None:
        with self._lock:
            self.open_until = time.monotonic() + settings.PAGE_CACHE_BREAKER_SECONDS

    def reset(self) -> None:
        self.open_until = 0.0

    def call(self, function, *args):
        if self.is_open():
            raise CacheUnavailable("the page cache failed recently; not asking it")
        try:
            return function(*args)
        except Exception as error:
            self.trip()
            logger.exception(
                "Page cache unavailable; answering without it for %s s",
                settings.PAGE_CACHE_BREAKER_SECONDS,
            )
            raise CacheUnavailable(str(error)) from error


breaker = Breaker()


# --- tokens ----------------------------------------------------------------------


def read_tokens(names, *, create: bool = True) -> dict:
    """The current value of each token, made up for those that have none (``create``)."""
    store = token_store()
    names = list(names)
    found = breaker.call(store.get_many, names)
    missing = [name for name in names if name not in found]
    if missing and create:
        for name in missing:
            breaker.call(store.add, name, _new_token(), None)
        found.update(breaker.call(store.get_many, missing))
    return found


def _entry_and_tokens(key: str):
    """A stored page and the two tokens every page reads, in one round trip where it can."""
    cache, store = page_cache(), token_store()
    if store is cache:
        found = breaker.call(cache.get_many, [key, EVERYTHING, LISTINGS])
        if EVERYTHING in found and LISTINGS in found:
            return found.get(key), {name: found[name] for name in (EVERYTHING, LISTINGS)}
        return found.get(key), read_tokens([EVERYTHING, LISTINGS])
    return breaker.call(cache.get, key), read_tokens([EVERYTHING, LISTINGS])


def retire(drug_ids=None) -> None:
    """Retire the pages showing these monographs and every listing; or, with None, every page."""
    store = token_store()
    if drug_ids is None:
        breaker.call(store.set, EVERYTHING, _new_token(), None)
        return
    # ``listings`` first: a page whose monograph token was read after this
    # write also reads the new ``listings`` and is not stored (see the module's text).
    tokens = {LISTINGS: _new_token(), **{drug_token(pk): _new_token() for pk in sorted(drug_ids)}}
    breaker.call(store.set_many, tokens, None)


def start_new_generation() -> None:
    """Retire every stored page now."""
    retire(None)


# What this process could not tell the cache: announced as "everything" once it answers.
owed = threading.Event()

# Set while a request's change could not reach the cache (for the editor's notice).
_change_not_announced = contextvars.ContextVar("change_not_announced", default=False)


class PendingRetirement:
    """The monographs one transaction changed, retired once when it commits."""

    def __init__(self):
        self.everything = False
        self.drug_ids: set = set()

    def add(self, drug_ids) -> None:
        if drug_ids is None:
            self.everything = True
        else:
            self.drug_ids.update(drug_ids)

    def __call__(self) -> None:
        announce(None if self.everything else self.drug_ids)


def announce(drug_ids) -> None:
    """Retire pages now; if the cache cannot be told, owe it and say so."""
    try:
        retire(drug_ids)
    except CacheUnavailable as error:
        owed.set()
        _change_not_announced.set(True)
        logger.error("A change could not reach the page cache; it is announced when it answers")
        change_not_delivered.send(sender=announce, reason=str(error))


def settle_owed() -> None:
    """Announce a change the cache missed, once it answers again."""
    if owed.is_set() and not breaker.is_open():
        try:
            retire(None)
        except CacheUnavailable:
            return
        owed.clear()


def retire_on_commit(drug_ids=None, using: str = DEFAULT_DB_ALIAS) -> None:
    """Retire these monographs' pages (None: every page) once ``using``'s transaction commits."""
    connection = connections[using]
    if connection.in_atomic_block:
        # One retirement per transaction gathers its changes; a rolled-back
        # savepoint takes its pending callback with it, so the next change
        # registers a new one.
        for _, callback, _ in connection.run_on_commit:
            if isinstance(callback, PendingRetirement):
                callback.add(drug_ids)
                return
    pending = PendingRetirement()
    pending.add(drug_ids)
    transaction.on_commit(pending, using=using)


def start_new_generation_on_commit(using: str = DEFAULT_DB_ALIAS) -> None:
    """Retire every stored page once the current transaction on ``using`` commits."""
    retire_on_commit(None, using)


def _on_content_changed(sender, using=DEFAULT_DB_ALIAS, drug_ids=None, **kwargs):
    retire_on_commit(drug_ids, using)


def connect_receivers() -> None:
    """Listen to the monographs app's announcements of a change."""
    content_changed.connect(_on_content_changed, dispatch_uid="page-cache-content-changed")


# --- the middleware --------------------------------------------------------------


def _bypasses(request) -> bool:
    """Requests that must see their own page: signed in, or carrying a message."""
    cookies = request.COOKIES
    return (
        settings.SESSION_COOKIE_NAME in cookies
        or "messages" in cookies
        or "HTTP_AUTHORIZATION" in request.META
    )


def _key(request) -> str:
    # Scheme and host appear in the pages' absolute links (feed, sitemap, JSON-LD);
    # the release, so that a new release's pages are not answered with an old one's.
    return (
        f"page:{settings.PAGE_CACHE_RELEASE}:{request.scheme}://"
        f"{request.get_host()}{request.get_full_path()}"
    )


def _is_public_view(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.view_name in CACHEABLE_VIEWS


def _storable(request, response) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if not _is_public_view(request):
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


def _etag(*parts) -> str:
    digest = hashlib.blake2b(digest_size=12)
    for part in parts:
        digest.update(part if isinstance(part, bytes) else str(part).encode())
        digest.update(b"\0")
    return f'"{digest.hexdigest()}"'


def _public_headers(response, etag: str) -> None:
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age=0, s-maxage={settings.PAGE_SHARED_MAX_AGE}"


def _matches(request, etag: str) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    wanted = parse_etags(header)
    # Weak comparison (RFC 9110, 13.1.2), as If-None-Match asks.
    return "*" in wanted or etag.removeprefix("W/") in {e.removeprefix("W/") for e in wanted}


def _not_modified(headers) -> HttpResponseNotModified:
    response = HttpResponseNotModified()
    for name in NOT_MODIFIED_HEADERS:
        if name in headers:
            response[name] = headers[name]
    return response


def _answer_conditionally(request, response, etag: str):
    if _matches(request, etag):
        return _not_modified(response)
    return response


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
        settle_owed()
        if request.method in UNSAFE_METHODS:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        if _bypasses(request):
            return self._private(request, self.get_response(request))
        if not settings.PAGE_CACHE_ENABLED:
            return self._without_cache(request, self.get_response(request))
        try:
            return self._through_cache(request)
        except _Uncached as uncached:
            response = uncached.response
            if response is None:
                response = self.get_response(request)
            return self._without_cache(request, response)

    def _private(self, request, response):
        # Built for this visitor (a staff preview, say): no shared cache may keep it.
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "private, no-store"
        return response

    def _without_cache(self, request, response):
        """A public page's ETag from its bytes: conditional GET without the cache."""
        if not _storable(request, response):
            return response
        _public_headers(response, _etag(settings.PAGE_CACHE_RELEASE, response.content))
        return _answer_conditionally(request, response, response["ETag"])

    def _through_cache(self, request):
        key = _key(request)
        try:
            entry, tokens = _entry_and_tokens(key)
            if entry is not None:
                depends_on, etag, content, headers = entry
                current = dict(tokens)
                unread = [name for name in depends_on if name not in current]
                if unread:
                    current.update(read_tokens(unread, create=False))
                if all(current.get(name) == token for name, token in depends_on.items()):
                    return self._stored(request, etag, content, headers)
        except CacheUnavailable:
            raise _Uncached() from None

        # Read before the page is built: a page built from rows older than a
        # change must carry tokens older than it.
        response = self.get_response(request)
        if not _storable(request, response):
            return response
        try:
            depends_on = self._depends_on(response, tokens)
        except CacheUnavailable:
            raise _Uncached(response) from None
        if depends_on is None:  # a change committed while it was built
            raise _Uncached(response)
        etag = _etag(key, *sorted(depends_on.items()))
        _public_headers(response, etag)
        entry = (depends_on, etag, response.content, list(response.items()))
        with contextlib.suppress(CacheUnavailable):
            breaker.call(page_cache().set, key, entry, settings.PAGE_CACHE_SECONDS)
        response["X-Page-Cache"] = "miss"
        return _answer_conditionally(request, response, etag)

    def _depends_on(self, response, before: dict) -> dict | None:
        """The tokens a built page is stored under, or None if it cannot be stored."""
        drug_ids = getattr(response, "shows_drug_ids", None)
        depends_on = {EVERYTHING: before[EVERYTHING]}
        if drug_ids is None or getattr(response, "shows_listings", False):
            depends_on[LISTINGS] = before[LISTINGS]
        if drug_ids:
            # Read now, after the page was built: trusted only while ``listings``
            # and ``everything`` are as they were before it, since every change
            # to a monograph moves ``listings`` before the monograph's own token.
            names = [drug_token(pk) for pk in sorted(drug_ids)]
            after = read_tokens([*names, EVERYTHING, LISTINGS])
            if any(after[name] != before[name] for name in (EVERYTHING, LISTINGS)):
                return None
            depends_on.update((name, after[name]) for name in names)
        return depends_on

    def _stored(self, request, etag, content, headers):
        headers = dict(headers)
        if _matches(request, etag):
            response = _not_modified(headers)
        else:
            # HEAD: the stored headers (Content-Length included), no body.
            body = b"" if request.method == "HEAD" else content
            response = HttpResponse(body, headers=headers)
        response["X-Page-Cache"] = "hit"
        return response


class _Uncached(Exception):
    """The cache cannot be used for this request: answer (or keep the answer) without it."""

    def __init__(self, response=None):
        super().__init__()
        self.response = response


class ChangeNoticeMiddleware:
    """Tell an editor whose saved change the page cache did not hear when readers will see it.

    Placed after the messages middleware, so that its message is stored with the response.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _change_not_announced.set(False)
        try:
            response = self.get_response(request)
            if _change_not_announced.get() and hasattr(request, "_messages"):
                minutes = max(1, round(settings.PAGE_CACHE_SECONDS / 60))
                messages.warning(
                    request,
                    "Your change is saved. The page cache could not be reached, so some "
                    "readers may see the previous version until it answers again, and for at "
                    f"most {minutes} minutes.",
                )
            return response
        finally:
            _change_not_announced.reset(token)
