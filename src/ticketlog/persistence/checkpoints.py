"""Checkpoint stores for projection followers: one row per follower, in the event store.

Each store keeps ``(name, position, state)`` rows in a table ``ticketlog_checkpoints``
next to the events (the same SQLite file, the same PostgreSQL database and schema), and
replaces a row in one statement, so position and state always match.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing

from ticketlog.persistence.settings import MemoryStore, PostgresStore, SQLiteStore
from ticketlog.projections.runner import Checkpoints


class MemoryCheckpoints:
    """Checkpoints kept in this process (for in-memory stores and tests)."""

    def __init__(self) -> None:
        self._rows: dict[str, tuple[int, bytes]] = {}
        self._lock = threading.Lock()

    def load(self, name: str) -> tuple[int, bytes] | None:
        """The checkpoint saved under ``name``."""
        with self._lock:
            return self._rows.get(name)

    def save(self, name: str, position: int, state: bytes) -> None:
        """Replace the checkpoint under ``name``."""
        with self._lock:
            self._rows[name] = (position, state)

    def delete(self, name: str) -> None:
        """Forget the checkpoint under ``name``."""
        with self._lock:
            self._rows.pop(name, None)


class SQLiteCheckpoints:
    """Checkpoints in a table of the SQLite file that holds the events."""

    _CREATE = (
        "CREATE TABLE IF NOT EXISTS ticketlog_checkpoints "
        "(name TEXT PRIMARY KEY, position INTEGER NOT NULL, state BLOB NOT NULL)"
    )
    _SELECT = "SELECT position, state FROM ticketlog_checkpoints WHERE name = ?"
    _UPSERT = (
        "INSERT INTO ticketlog_checkpoints (name, position, state) VALUES (?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET position = excluded.position, state = excluded.state"
    )
    _DELETE = "DELETE FROM ticketlog_checkpoints WHERE name = ?"

    def __init__(self, store: SQLiteStore) -> None:
        self._path = store.path
        self._timeout = store.lock_timeout
        with closing(self._connect()) as db, db:
            db.execute(self._CREATE)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=self._timeout)

    def load(self, name: str) -> tuple[int, bytes] | None:
        """The checkpoint saved under ``name``."""
        with closing(self._connect()) as db:
            row = db.execute(self._SELECT, (name,)).fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def save(self, name: str, position: int, state: bytes) -> None:
        """Replace the checkpoint under ``name``."""
        with closing(self._connect()) as db, db:
            db.execute(self._UPSERT, (name, position, state))

    def delete(self, name: str) -> None:
        """Forget the checkpoint under ``name``."""
        with closing(self._connect()) as db, db:
            db.execute(self._DELETE, (name,))


def checkpoints_for(store: MemoryStore | SQLiteStore | PostgresStore) -> Checkpoints:
    """The checkpoint store that lives beside ``store``'s events."""
    if isinstance(store, SQLiteStore):
        return SQLiteCheckpoints(store)
    if isinstance(store, PostgresStore):
        from ticketlog.persistence.postgres import PostgresCheckpoints  # noqa: PLC0415 - extra

        return PostgresCheckpoints(store)
    return MemoryCheckpoints()
