"""A page cache that refuses or hangs: readers are served, editors are told.

A Redis that refuses connections or stops answering makes each worker stop
asking it for a while (the circuit breaker in portal/cache.py): the hang
costs one request, not every request. An edit saved while the cache cannot
be reached is saved; the editor is told when readers will see it, and the
change is announced once the cache answers again.
"""

import socket
import threading
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from monographs.models import Drug
from portal import cache
from tests.factories import make_drug, staff_login
from tests.htmlforms import form_fields
from tests.redis_helpers import redis_url_for_tests, remove_keys, skip_unless_redis


class SilentServer:
    """Accepts connections and never answers: a Redis that hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(connection)  # held open, never read or answered

    def close(self):
        self.sock.close()
        for connection in self.accepted:
            connection.close()


def redis_store(location, prefix, timeout=0.3):
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": location,
        "KEY_PREFIX": prefix,
        "OPTIONS": {
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout,
            "retry": Retry(NoBackoff(), 0),
        },
    }


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once it is closed


def use_store(settings, store):
    settings.CACHES = {**settings.CACHES, "pages": store}
    settings.PAGE_CACHE_ENABLED = True


@pytest.fixture
def silent_redis():
    server = SilentServer()
    yield server
    server.close()


def test_a_hanging_cache_costs_each_worker_one_slow_request(db, client, settings, silent_redis):
    make_drug("Hangamine")
    use_store(settings, redis_store(f"redis://127.0.0.1:{silent_redis.port}/0", "hang"))
    for _ in range(5):
        response = client.get("/drugs/hangamine/")
        assert response.status_code == 200
        assert "Hangamine" in response.content.decode()
        assert "X-Page-Cache" not in response
    # Only the first request asked the cache (and waited for it); the others did not.
    assert len(silent_redis.accepted) == 1
    assert cache.breaker.is_open()
    # Once the pause is over the worker asks again, once.
    cache.breaker.reset()
    assert client.get("/drugs/").status_code == 200
    assert client.get("/drugs/").status_code == 200
    assert len(silent_redis.accepted) == 2


def test_readers_are_served_while_the_cache_refuses(db, client, settings):
    make_drug("Refusamine")
    use_store(settings, redis_store(f"redis://127.0.0.1:{closed_port()}/0", "refused"))
    for url in ("/", "/drugs/", "/drugs/refusamine/", "/drugs/refusamine.json", "/sitemap.xml"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "ETag" in response  # from the page itself
    assert cache.breaker.is_open()


@pytest.fixture
def shared_redis(settings):
    url = redis_url_for_tests()
    skip_unless_redis(url)
    prefix = f"test-outage-{uuid.uuid4().hex}"
    yield redis_store(url, prefix, timeout=1)
    remove_keys(url, prefix)


@pytest.mark.django_db(transaction=True)
def test_an_edit_saved_while_the_cache_is_unreachable_is_saved_and_the_editor_told(
    client, settings, shared_redis
):
    drug = make_drug("Outamine")
    use_store(settings, shared_redis)
    reader = type(client)()
    assert reader.get("/drugs/outamine/").status_code == 200
    assert reader.get("/drugs/outamine/")["X-Page-Cache"] == "hit"

    # A published monograph is edited in its working draft; the change reaches
    # readers when a second Reviewer approves it, while the cache is unreachable.
    editor = get_user_model().objects.create_superuser("editor", password="unused")
    staff_login(client, editor)
    client.post(reverse("admin:monographs_drug_working_draft", args=[drug.pk]))
    draft = Drug.objects.get(draft_of=drug)
    url = reverse("admin:monographs_drug_change", args=[draft.pk])
    data = form_fields(client.get(url).content.decode(), "drug_form")
    data["generic_name"] = ["Outaminum"]
    data["_save"] = ["Save"]
    assert client.post(url, data).status_code == 302

    def step(who, name):
        edit_count = Drug.objects.get(pk=draft.pk).edit_count
        transition = reverse("admin:monographs_drug_transition", args=[draft.pk, name])
        return who.post(transition, {"opened_at_edit": edit_count}, follow=True)

    step(client, "submit")
    approver = type(client)()
    staff_login(approver, get_user_model().objects.create_superuser("approver", password="x"))
    use_store(
        settings, redis_store(f"redis://127.0.0.1:{closed_port()}/0", shared_redis["KEY_PREFIX"])
    )
    saved = step(approver, "publish")
    assert saved.status_code == 200
    text = saved.content.decode()
    assert "Your change is saved. The page cache could not be reached" in text
    drug.refresh_from_db()
    assert drug.generic_name == "Outaminum"

    # The cache answers again: the change it missed is announced with the next request.
    use_store(settings, shared_redis)
    cache.breaker.reset()
    after = reader.get("/drugs/outamine/")
    assert after.get("X-Page-Cache") != "hit"
    assert "Outaminum" in after.content.decode()
