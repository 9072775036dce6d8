"""PostgreSQL specifics: a fast first connection, safe table creation, projection checkpoints.

eventsourcing's table set-up (``CREATE ... IF NOT EXISTS`` plus ``CREATE OR REPLACE
FUNCTION``) is not safe when several processes open the same database at the same
moment ("tuple concurrently updated"). ticketlog therefore tells eventsourcing not to
create tables and does it here under a PostgreSQL advisory lock.

eventsourcing's connection pool retries a failing server in the background until its
timeout, and then reports only that it got no connection. :func:`check_connection`
connects once first, so a server that is down or a database that does not exist fails
at once with the server's own reason.
"""

from __future__ import annotations

from typing import cast

import psycopg
from eventsourcing.persistence import AggregateRecorder, OperationalError
from eventsourcing.postgres import PostgresRecorder
from psycopg import sql

from ticketlog.persistence.settings import PostgresStore

SETUP_LOCK_KEY = 0x7469636B65746C67
"""The advisory-lock key ("ticketlg") that serialises table creation in one database."""


def connect(store: PostgresStore) -> psycopg.Connection[tuple[object, ...]]:
    """A plain connection to the store's database (within ``connect_timeout`` seconds)."""
    return psycopg.connect(
        dbname=store.dbname,
        host=store.host,
        port=store.port,
        user=store.user,
        password=store.password.get_secret_value(),
        connect_timeout=store.connect_timeout,
    )


def check_connection(store: PostgresStore) -> None:
    """Connect once; eventsourcing's ``OperationalError`` with the server's reason if that fails.

    A refused connection or an unknown database fails at once; an unreachable host that
    does not answer fails after ``connect_timeout`` seconds.
    """
    try:
        connect(store).close()
    except psycopg.Error as error:
        raise OperationalError(" ".join(str(error).split())) from None


def create_tables(recorder: AggregateRecorder) -> None:
    """Create the recorder's tables, indexes and functions, one process at a time."""
    postgres = cast(PostgresRecorder, recorder)
    with postgres.datastore.get_connection() as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK_KEY,))
        try:
            postgres.create_table()
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK_KEY,))


CHECKPOINTS_TABLE = "ticketlog_checkpoints"


class PostgresCheckpoints:
    """Checkpoints in a table of the PostgreSQL database (and schema) that holds the events."""

    def __init__(self, store: PostgresStore) -> None:
        self._store = store
        table = (
            sql.Identifier(CHECKPOINTS_TABLE)
            if store.db_schema is None
            else sql.Identifier(store.db_schema, CHECKPOINTS_TABLE)
        )
        self._select = sql.SQL("SELECT position, state FROM {} WHERE name = %s").format(table)
        self._upsert = sql.SQL(
            "INSERT INTO {} (name, position, state) VALUES (%s, %s, %s) ON CONFLICT (name) "
            "DO UPDATE SET position = EXCLUDED.position, state = EXCLUDED.state"
        ).format(table)
        self._delete = sql.SQL("DELETE FROM {} WHERE name = %s").format(table)
        create = sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} "
            "(name TEXT PRIMARY KEY, position BIGINT NOT NULL, state BYTEA NOT NULL)"
        ).format(table)
        with self._connect() as db:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (SETUP_LOCK_KEY,))
            db.execute(create)

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return connect(self._store)

    def load(self, name: str) -> tuple[int, bytes] | None:
        """The checkpoint saved under ``name``."""
        with self._connect() as db:
            row = db.execute(self._select, (name,)).fetchone()
        return None if row is None else (int(cast(int, row[0])), bytes(cast(bytes, row[1])))

    def save(self, name: str, position: int, state: bytes) -> None:
        """Replace the checkpoint under ``name``."""
        with self._connect() as db:
            db.execute(self._upsert, (name, position, state))

    def delete(self, name: str) -> None:
        """Forget the checkpoint under ``name``."""
        with self._connect() as db:
            db.execute(self._delete, (name,))
