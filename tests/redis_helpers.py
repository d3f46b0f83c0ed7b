"""A real Redis for the tests: REDIS_URL (CI sets it), else a local one."""

import os

import pytest


def redis_url_for_tests() -> str:
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/9"


def skip_unless_redis(url: str) -> None:
    """Skip where no Redis answers (outside CI only: CI fails on any skip)."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {url} ({error}); set REDIS_URL")


def remove_keys(url: str, prefix: str) -> None:
    """Remove what a test stored under its own key prefix, and nothing else."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
