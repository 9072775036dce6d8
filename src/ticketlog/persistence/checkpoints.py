"""Checkpoint stores for projection followers: one row per follower, in the event store.

Each store keeps ``(name, position, state)`` rows in a table ``ticketlog_checkpoints``
next to the events (the same SQLite file, the same PostgreSQL database and schema), and
replaces a row in one statement, so position and state always match. The state is the
follower's encoding (:mod:`ticketlog.projections.checkpoint`), zlib-compressed, and on an
encrypted store also encrypted like the events (:class:`SealedCheckpoints`).
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing

from eventsourcing.compressor import ZlibCompressor

from ticketlog.persistence.mapper import EventMapper
from ticketlog.persistence.settings import MemoryStore, PostgresStore, SQLiteStore
from ticketlog.projections.checkpoint import UnreadableCheckpoint
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


class SealedCheckpoints:
    """Checkpoints compressed (and encrypted) by a mapper's :meth:`~EventMapper.seal`."""

    def __init__(self, inner: Checkpoints, mapper: EventMapper) -> None:
        self._inner = inner
        self._mapper = mapper

    def load(self, name: str) -> tuple[int, bytes] | None:
        """The checkpoint saved under ``name``; :class:`UnreadableCheckpoint` if it does not
        decompress or decrypt (written with another key, or tampered with)."""
        saved = self._inner.load(name)
        if saved is None:
            return None
        try:
            return saved[0], self._mapper.unseal(saved[1])
        except ValueError as error:
            raise UnreadableCheckpoint(f"checkpoint {name!r} {error}") from None

    def save(self, name: str, position: int, state: bytes) -> None:
        """Replace the checkpoint under ``name``."""
        self._inner.save(name, position, self._mapper.seal(state))

    def delete(self, name: str) -> None:
        """Forget the checkpoint under ``name``."""
        self._inner.delete(name)


def checkpoints_for(
    store: MemoryStore | SQLiteStore | PostgresStore, mapper: EventMapper | None = None
) -> Checkpoints:
    """The checkpoint store that lives beside ``store``'s events: compressed, and encrypted
    like the events if ``mapper`` encrypts them."""
    checkpoints: Checkpoints
    if isinstance(store, SQLiteStore):
        checkpoints = SQLiteCheckpoints(store)
    elif isinstance(store, PostgresStore):
        from ticketlog.persistence.postgres import PostgresCheckpoints  # noqa: PLC0415 - extra

        checkpoints = PostgresCheckpoints(store)
    else:
        checkpoints = MemoryCheckpoints()
    if mapper is None or mapper.compressor is None:
        mapper = EventMapper(compressor=ZlibCompressor())
    return SealedCheckpoints(checkpoints, mapper)
