"""Redis for the real-worker tests: db 5, emptied first; required in CI (KOKYAKU_REQUIRE_POSTGRES=1)."""

from __future__ import annotations

import os

import pytest

REDIS_TEST_URL = os.environ.get("KOKYAKU_TEST_BROKER_URL", "redis://127.0.0.1:6379/5")


@pytest.fixture
def redis_db5() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.ConnectionError as exc:
        if os.environ.get("KOKYAKU_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"KOKYAKU_REQUIRE_POSTGRES=1 (CI) but Redis at {REDIS_TEST_URL} is unreachable: {exc}", pytrace=False)
        pytest.skip(f"Redis at {REDIS_TEST_URL} is unreachable: {exc}")
