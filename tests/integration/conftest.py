"""Fixtures for the integration tests: real SQLite files and a real PostgreSQL server.

Each PostgreSQL test gets a database of its own (``ticketlog_test_<hex>``), created on the
server's ``postgres`` database and dropped afterwards. When the server is unreachable the
PostgreSQL tests are skipped, unless the environment variable ``CI`` is ``true`` or ``1``:
then they fail, so a CI job without its database cannot pass by skipping everything.

The server is found through ``TICKETLOG_TEST_PG_HOST`` / ``TICKETLOG_TEST_PG_PORT`` /
``TICKETLOG_TEST_PG_USER`` / ``TICKETLOG_TEST_PG_PASSWORD`` (default
``postgres@127.0.0.1:5432``, no password).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from tests.integration.support import PostgresServer
from ticketlog import PostgresStore, SQLiteStore


def in_ci() -> bool:
    """Whether the environment says this is a CI run (``CI`` is ``true`` or ``1``)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


def unavailable(reason: str) -> NoReturn:
    """Skip the test for want of PostgreSQL, or fail it when running in CI."""
    if in_ci():
        pytest.fail(f"{reason}; CI is set, so PostgreSQL tests must not be skipped")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    """The reachable PostgreSQL server; skips (or, in CI, fails) when there is none."""
    server = PostgresServer(
        host=os.environ.get("TICKETLOG_TEST_PG_HOST", "127.0.0.1"),
        port=int(os.environ.get("TICKETLOG_TEST_PG_PORT", "5432")),
        user=os.environ.get("TICKETLOG_TEST_PG_USER", "postgres"),
        password=os.environ.get("TICKETLOG_TEST_PG_PASSWORD", ""),
    )
    try:
        import psycopg  # noqa: PLC0415 - the postgres extra is optional
    except ModuleNotFoundError:
        unavailable("psycopg is not installed: pip install 'ticketlog-es[postgres]'")
    try:
        with server.connect() as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        reason = " ".join(str(error).split())
        unavailable(
            f"PostgreSQL is unreachable at {server.user}@{server.host}:{server.port}: {reason}"
        )
    return server


@pytest.fixture
def postgres_store(postgres_server: PostgresServer) -> Iterator[PostgresStore]:
    """A fresh, empty database of this test's own, dropped (connections and all) afterwards."""
    name = postgres_server.create_database()
    try:
        yield postgres_server.store(name)
    finally:
        postgres_server.drop_database(name)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> SQLiteStore:
    """Store settings for a fresh SQLite file in the test's temporary directory."""
    return SQLiteStore(path=tmp_path / "desk.db")


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def store(request: pytest.FixtureRequest) -> SQLiteStore | PostgresStore:
    """Each real store in turn: an SQLite file, then a PostgreSQL database."""
    settings: SQLiteStore | PostgresStore = request.getfixturevalue(f"{request.param}_store")
    return settings
