"""Claims: which waiting tickets another desk is assigning at this moment.

When many agents pull at once they all see the same head of the queue; without claims
each desk decides on the same ticket, one save wins and the others fail on the ticket's
version, read again, and move on — wasted round trips that grow with the number of desks.
``assign_next`` therefore claims a candidate before deciding on it: a candidate another
desk has claimed is tried last, after the others (as ``SELECT ... FOR UPDATE SKIP
LOCKED`` queues do), and then only after that desk is done with it. Without contention
the first candidate is always free, so a policy's choice is unchanged (FIFO gives the
oldest ticket).

Claims only save work; the store's version checks keep assignments correct without them.
On PostgreSQL a claim is a session advisory lock on one connection per desk (released
with the assignment, or by the server when the desk's process dies); a claims connection
that fails is dropped and the desk goes on unclaimed. SQLite serialises writers anyway
and an in-memory store has one writer: there, every ticket is free.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING
from uuid import UUID

from ticketlog.persistence.settings import MemoryStore, PostgresStore, SQLiteStore

if TYPE_CHECKING:
    import psycopg

NAMESPACE = 0x746B7420
"""The first key of ticketlog's two-key advisory locks ("tkt "): the second is the ticket's."""

APPLICATION_NAME = "ticketlog claims"
"""The claims connections' ``application_name`` (as ``pg_stat_activity`` shows them)."""

WAIT = "5s"
"""How long a desk waits for another desk's claim before trying the ticket unclaimed."""


class Claims:
    """No claims (SQLite, memory): every ticket is free at once."""

    def claim(self, ticket_id: UUID, *, wait: bool) -> AbstractContextManager[bool]:
        """Hold a claim on ``ticket_id`` for the ``with`` block; yields whether to try the
        ticket now (``False``: another desk holds it and ``wait`` is false)."""
        return _free()

    def close(self) -> None:
        """Release every claim and connection."""


@contextmanager
def _free() -> Iterator[bool]:
    yield True


class PostgresClaims(Claims):
    """Claims as session advisory locks on a connection of this desk's own."""

    def __init__(self, store: PostgresStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None

    @contextmanager
    def claim(self, ticket_id: UUID, *, wait: bool) -> Iterator[bool]:
        """See :meth:`Claims.claim`."""
        key = int.from_bytes(ticket_id.bytes[:4], "big", signed=True)
        held = self._acquire(key, wait=wait)
        try:
            yield held is not False
        finally:
            if held:
                self._run("SELECT pg_advisory_unlock(%s, %s)", key)

    def close(self) -> None:
        """Close the claims connection (the server releases its claims)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _acquire(self, key: int, *, wait: bool) -> bool | None:
        """Whether the claim was taken; ``None`` if it could not be asked for (no
        connection, or waiting timed out): the caller goes ahead unclaimed."""
        if wait:
            return self._run("SELECT true FROM pg_advisory_lock(%s, %s)", key)
        return self._run("SELECT pg_try_advisory_lock(%s, %s)", key)

    def _run(self, statement: str, key: int) -> bool | None:
        import psycopg  # noqa: PLC0415 - the postgres extra

        with self._lock:
            try:
                connection = self._connect()
                row = connection.execute(statement, (NAMESPACE, key)).fetchone()
            except psycopg.errors.LockNotAvailable:
                return None
            except psycopg.Error:
                if self._connection is not None:
                    self._connection.close()
                self._connection = None
                return None
        return None if row is None else bool(row[0])

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._connection is None:
            from ticketlog.persistence.postgres import connect  # noqa: PLC0415 - the extra

            connection = connect(self._store)
            connection.autocommit = True
            connection.execute(f"SET lock_timeout = '{WAIT}'")
            connection.execute(f"SET application_name = '{APPLICATION_NAME}'")
            self._connection = connection
        return self._connection


def claims_for(store: MemoryStore | SQLiteStore | PostgresStore) -> Claims:
    """The claims of a desk on ``store``."""
    return PostgresClaims(store) if isinstance(store, PostgresStore) else Claims()
