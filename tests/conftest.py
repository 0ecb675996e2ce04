"""The base fixture set: one team with a manager, a strong rep, a developing rep and an admin.

Named people make failures readable: Sato is the manager, Tanaka the strong rep and
Suzuki the developing rep.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabaseWrapper
from django.dispatch import receiver
from django.test import Client, override_settings
from django.utils import translation

from kokyaku.crm.models import Account, Deal, Rep, Team
from kokyaku.crm.services import login_create
from kokyaku.users.roles import Role
from tests.portfolio.pages_demo import NOW, Demo, load_demo

PASSWORD = "correct-horse-9"
CHROMIUM = "/usr/bin/chromium"
# What production (DEBUG off, as in tests) stores static files with: hashed names from collectstatic's manifest.
PRODUCTION_STORAGES = dict(settings.STORAGES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip PostgreSQL-only tests on SQLite and browser tests without Chromium, unless CI requires them."""
    on_postgres = connection.vendor == "postgresql"
    require_pg = os.environ.get("KOKYAKU_REQUIRE_POSTGRES") == "1"
    have_browser = os.path.exists(CHROMIUM) or shutil.which("chromium") is not None
    require_browser = os.environ.get("KOKYAKU_REQUIRE_BROWSER") == "1"
    if require_browser and not have_browser:
        raise pytest.UsageError(f"KOKYAKU_REQUIRE_BROWSER=1 but {CHROMIUM} is missing (apt-get install chromium)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            # With KOKYAKU_REQUIRE_POSTGRES=1 the same test runs in the PostgreSQL pass of CI;
            # the skip is reported (-ra), never silent.
            reason = "PostgreSQL only; runs in the DATABASE_URL=postgres:// pass" + (" (required in CI)" if require_pg else "")
            item.add_marker(pytest.mark.skip(reason=reason))
        if "browser" in item.keywords and not have_browser:
            item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} not installed"))


@pytest.fixture(scope="session", autouse=True)
def _static_files_without_collectstatic() -> Iterator[None]:
    """Pages render without running collectstatic first: the same WhiteNoise storage, minus the manifest.

    Production's manifest storage needs collectstatic's staticfiles.json to name any file; tests read the
    app folders through WhiteNoise's finders, as before. tests/web/test_static_files.py runs collectstatic
    into a temporary folder and checks the production storage itself.
    """
    plain = {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}
    with override_settings(STORAGES={**PRODUCTION_STORAGES, "staticfiles": plain}):
        yield


@pytest.fixture(scope="session", autouse=True)
def _require_postgres_reachable() -> None:
    """In CI, fail the whole run if PostgreSQL is not there, instead of quietly running SQLite only."""
    if os.environ.get("KOKYAKU_REQUIRE_POSTGRES") != "1":
        return
    import psycopg

    url = os.environ.get("KOKYAKU_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        pytest.fail(f"KOKYAKU_REQUIRE_POSTGRES=1 but PostgreSQL at {url} is unreachable: {exc}", pytrace=False)


@receiver(connection_created)
def _shared_cache_readers_do_not_wait(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    """Reads in the SQLite test database go past a writer, as they do in production.

    Production's SQLite is a WAL file: a page read while an import job writes sees the last commit
    and never waits. The test runs' database is SQLite's shared-cache memory database (one database
    for the test, the live server and the job worker threads), where a reader of a table another
    connection is writing gets "database table is locked" at once (shared cache has no busy wait):
    a job's progress page answered 503 about one run in three. ``read_uncommitted`` is shared-cache
    mode's switch for readers not to take table locks (it does nothing outside that mode). PostgreSQL
    runs keep their isolation, and the test of what a reader sees before the commit runs there.
    """
    if isinstance(connection, SQLiteDatabaseWrapper) and connection.is_in_memory_db():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA read_uncommitted = 1")


@pytest.fixture(autouse=True)
def _empty_cache_before_each_test() -> None:
    """Cached reads (per-snapshot row counts, retention) are keyed by ids and times that a rolled-back test on
    SQLite may hand out again with other rows behind them: every test starts with an empty cache."""
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language_after_each_test() -> Iterator[None]:
    """A test request with Accept-Language: ja leaves Japanese active in this thread (LocaleMiddleware activates,
    nothing deactivates); in the product every request activates its own and the CLI starts fresh in English.
    Reset it, so that code outside a request (the rejects file of import_run) sees what the CLI would."""
    yield
    translation.deactivate()


@pytest.fixture
def team(db: None) -> Team:
    return Team.objects.create(name="Tokyo")


def _login(username: str, role: Role, rep: Rep | None = None) -> User:
    return login_create(actor=None, username=username, password=PASSWORD, role=role, rep_id=rep.pk if rep else None)


@pytest.fixture
def strong_rep(team: Team) -> Rep:
    rep = Rep.objects.create(name="Tanaka Hiroshi", email="tanaka@example.com", team=team, tier=Rep.Tier.STRONG, capacity=40)
    _login("tanaka", Role.REP, rep)
    rep.refresh_from_db()
    return rep


@pytest.fixture
def developing_rep(team: Team) -> Rep:
    rep = Rep.objects.create(name="Suzuki Yui", email="suzuki@example.com", team=team, tier=Rep.Tier.DEVELOPING, capacity=30)
    _login("suzuki", Role.REP, rep)
    rep.refresh_from_db()
    return rep


@pytest.fixture
def manager(team: Team) -> User:
    rep = Rep.objects.create(name="Sato Kenji", email="sato@example.com", team=team, tier=Rep.Tier.STRONG, capacity=10)
    return _login("sato", Role.MANAGER, rep)


@pytest.fixture
def admin_user(db: None) -> User:
    return _login("admin", Role.ADMIN)


@pytest.fixture
def strong_account(strong_rep: Rep) -> Account:
    account = Account.objects.create(external_id="ACC-1", name="Fuji Seiki", industry="manufacturing", owner=strong_rep)
    Deal.objects.create(
        external_id="D-1", account=account, owner=strong_rep, name="Line upgrade", amount=Decimal("1200000"),
        status=Deal.Status.WON, opened_on=date(2026, 1, 10), closed_on=date(2026, 3, 1),
    )  # fmt: skip
    return account


@pytest.fixture
def developing_account(developing_rep: Rep) -> Account:
    return Account.objects.create(external_id="ACC-2", name="Aoba Labs", industry="it", owner=developing_rep)


def client_for(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def rep_client(strong_rep: Rep) -> Client:
    return client_for("tanaka")


@pytest.fixture
def developing_client(developing_rep: Rep) -> Client:
    return client_for("suzuki")


@pytest.fixture
def manager_client(manager: User) -> Client:
    return client_for("sato")


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[Demo]:
    """The small seeded demo of tests/portfolio/pages_demo.py, loaded once per test module.

    It is loaded inside a transaction rolled back when the module is done; each test runs in a
    savepoint within it (pytest-django's ``django_db``), so no test's writes reach the next one.
    Not for ``transactional_db`` tests (the browser's), which load their own.
    """
    with django_db_blocker.unblock(), time_machine.travel(NOW, tick=False), transaction.atomic():
        yield load_demo()
        transaction.set_rollback(True)
