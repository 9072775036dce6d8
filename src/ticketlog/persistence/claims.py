"""Claims: which waiting tickets another desk is assigning at this moment.

When many agents pull at once they all see the same head of the queue; without claims
each desk decides on the same ticket, one save wins and the others fail on the ticket's
version, read again, and move on — wasted round trips that grow with the number of desks.
``assign_next`` therefore claims a candidate before deciding on it: a candidate another
desk has claimed is tried last, after the others (as ``SELECT ... FOR UPDATE SKIP
LOCKED`` queues do), and then only after that desk is done with it. Without contention
the first candidate is always free, so a policy's choice is unchanged (FIFO gives the
oldest ticket). Finding the first free candidate of a list is one round trip.

Claims only save work; the store's version checks keep assignments correct without them.
On PostgreSQL a claim is a session advisory lock on one connection per desk (released
with the assignment, or by the server when the desk's process dies); a claims connection
that fails is dropped and the desk goes on unclaimed. SQLite serialises writers anyway
and an in-memory store has one writer: there, every ticket is free.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, cast
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

    def first_free(self, ticket_ids: Sequence[UUID]) -> AbstractContextManager[UUID | None]:
        """Hold a claim on the first of ``ticket_ids`` no other desk holds, for the ``with``
        block; yields it (``None``: other desks hold every one)."""
        return nullcontext(ticket_ids[0] if ticket_ids else None)

    def claim(self, ticket_id: UUID) -> AbstractContextManager[None]:
        """Hold a claim on ``ticket_id`` for the ``with`` block, once the desk holding it
        (if any) is done with it, or after :data:`WAIT`."""
        return nullcontext()

    def close(self) -> None:
        """Release every claim and connection."""


class _Unclaimed(Exception):
    """The claims connection could not answer (lost, or waiting timed out)."""


_FIRST_FREE = (
    "SELECT key FROM unnest(%s::int4[]) AS key WHERE pg_try_advisory_lock(%s, key) LIMIT 1"
)
"""One round trip for a candidate list: the executor tries the keys in array order and
stops at the first it locks (a function scan under a limit)."""


class PostgresClaims(Claims):
    """Claims as session advisory locks on a connection of this desk's own."""

    def __init__(self, store: PostgresStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None

    @contextmanager
    def first_free(self, ticket_ids: Sequence[UUID]) -> Iterator[UUID | None]:
        """See :meth:`Claims.first_free`."""
        keyed: dict[int, UUID] = {}
        for ticket_id in ticket_ids:
            keyed.setdefault(claim_key(ticket_id), ticket_id)
        try:
            rows = self._query(_FIRST_FREE, ([*keyed], NAMESPACE))
        except _Unclaimed:
            yield ticket_ids[0] if ticket_ids else None
            return
        if not rows:
            yield None
            return
        key = int(cast(int, rows[0][0]))
        try:
            yield keyed[key]
        finally:
            self._release(key)

    @contextmanager
    def claim(self, ticket_id: UUID) -> Iterator[None]:
        """See :meth:`Claims.claim`."""
        key = claim_key(ticket_id)
        try:
            self._query("SELECT true FROM pg_advisory_lock(%s, %s)", (NAMESPACE, key))
        except _Unclaimed:
            yield
            return
        try:
            yield
        finally:
            self._release(key)

    def close(self) -> None:
        """Close the claims connection (the server releases its claims)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _release(self, key: int) -> None:
        with contextlib.suppress(_Unclaimed):  # a lost connection released it
            self._query("SELECT pg_advisory_unlock(%s, %s)", (NAMESPACE, key))

    def _query(self, statement: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
        """The statement's rows; :class:`_Unclaimed` if the claims connection cannot answer
        (a failed connection is dropped: the next claim opens another)."""
        import psycopg  # noqa: PLC0415 - the postgres extra

        with self._lock:
            try:
                return self._connect().execute(statement, params).fetchall()
            except psycopg.errors.LockNotAvailable:
                raise _Unclaimed from None
            except psycopg.Error:
                if self._connection is not None:
                    self._connection.close()
                self._connection = None
                raise _Unclaimed from None

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._connection is None:
            from ticketlog.persistence.postgres import connect  # noqa: PLC0415 - the extra

            connection = connect(self._store)
            connection.autocommit = True
            connection.execute(f"SET lock_timeout = '{WAIT}'")
            connection.execute(f"SET application_name = '{APPLICATION_NAME}'")
            self._connection = connection
        return self._connection


def claim_key(ticket_id: UUID) -> int:
    """The second key of a ticket's advisory lock (two tickets may share one: a claim only
    saves work)."""
    return int.from_bytes(ticket_id.bytes[:4], "big", signed=True)


def claims_for(store: MemoryStore | SQLiteStore | PostgresStore) -> Claims:
    """The claims of a desk on ``store``."""
    return PostgresClaims(store) if isinstance(store, PostgresStore) else Claims()
