"""Helpers for the integration tests that import without pytest.

Worker processes started with ``spawn`` import this module (not the test modules) to run
:func:`assign_all_in_process`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.queues
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs
from eventsourcing.persistence import IntegrityError, Recording

from ticketlog import HelpDesk, ManualClock, PostgresStore, SQLiteStore, TicketAlreadyAssigned

if TYPE_CHECKING:
    import psycopg


@attrs.frozen
class PostgresServer:
    """Where the test server listens, and how to log in as a superuser."""

    host: str
    port: int
    user: str
    password: str

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        """An autocommit connection to ``dbname`` (for CREATE/DROP DATABASE and checks)."""
        import psycopg  # noqa: PLC0415 - the postgres extra is optional

        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=dbname,
            autocommit=True,
            connect_timeout=3,
        )

    def create_database(self) -> str:
        """Create a fresh, empty database ``ticketlog_test_<hex>``; return its name."""
        from psycopg import sql  # noqa: PLC0415 - the postgres extra is optional

        name = f"ticketlog_test_{secrets.token_hex(6)}"
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        """Drop the database ``name``, closing any connections left to it."""
        from psycopg import sql  # noqa: PLC0415 - the postgres extra is optional

        with self.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def create_schema(self, dbname: str, schema: str) -> None:
        """Create the schema ``schema`` in the database ``dbname``."""
        from psycopg import sql  # noqa: PLC0415 - the postgres extra is optional

        with self.connect(dbname) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))

    def row_counts(self, dbname: str) -> dict[str, int]:
        """Rows per table (``schema.table``) in the user schemas of ``dbname``."""
        from psycopg import sql  # noqa: PLC0415 - the postgres extra is optional

        with self.connect(dbname) as conn:
            tables = conn.execute(
                "SELECT table_schema, table_name FROM information_schema.tables"
                " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
            ).fetchall()
            counts: dict[str, int] = {}
            for schema, table in tables:
                query = sql.SQL("SELECT count(*) FROM {}").format(
                    sql.Identifier(str(schema), str(table))
                )
                row = conn.execute(query).fetchone()
                counts[f"{schema}.{table}"] = int(str(row[0])) if row else 0
        return counts

    def store(self, dbname: str, **settings: object) -> PostgresStore:
        """Store settings for ``dbname`` on this server."""
        return PostgresStore.model_validate(
            {
                "dbname": dbname,
                "host": self.host,
                "port": self.port,
                "user": self.user,
                "password": self.password,
                **settings,
            }
        )


class CountingDesk(HelpDesk):
    """A desk that counts the saves it lost to another writer (version conflicts).

    :class:`HelpDesk` retries those itself; the count only shows how often the race was
    decided at the store rather than by reading an already assigned ticket.
    """

    name = HelpDesk.name
    """The same name, hence the same tables (eventsourcing names a subclass's tables after it)."""
    conflicts: int = 0

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Save as usual, counting :class:`IntegrityError`."""
        try:
            return super().save(*objs, **kwargs)
        except IntegrityError:
            self.conflicts += 1
            raise


@attrs.frozen
class Tally:
    """What one worker of the assignment race achieved."""

    worker: int
    wins: int = 0
    """Tickets this worker assigned to its agent."""
    rejections: int = 0
    """Attempts refused with :class:`TicketAlreadyAssigned`."""
    conflicts: int = 0
    """Saves lost to the other writer (then retried by the desk and rejected)."""
    failures: tuple[str, ...] = ()
    """Any other exception, as ``"Type: message"``."""
    seconds: float = 0.0
    """Time from the start signal to the last attempt."""


@attrs.frozen
class Race:
    """The shared part of the assignment race: where, which tickets, when."""

    store: SQLiteStore | PostgresStore
    ticket_ids: Sequence[UUID]
    """Every worker tries these, in this order."""
    at: datetime
    """The business time of the assignments."""
    timeout: float
    """Seconds to wait for the start signal."""


def open_desk(race: Race, start: threading.Barrier) -> CountingDesk:
    """A desk on the race's store; if it cannot be opened, break ``start`` for everyone."""
    try:
        return CountingDesk(race.store, clock=ManualClock(race.at))
    except BaseException:
        start.abort()  # nobody waits for a worker that cannot start
        raise


def assign_all(
    race: Race,
    *,
    worker: int,
    agent_id: UUID,
    opening: AbstractContextManager[object],
    start: threading.Barrier,
) -> Tally:
    """Open a desk of this worker's own, wait for the start, try to assign every ticket.

    Desks are opened one at a time (holding ``opening``): opening PostgreSQL desks at the
    same moment can fail (see ``test_processes_opening_a_postgres_desk_at_once``); the
    race under test starts only after every desk is open.
    """
    wins = rejections = conflicts = 0
    failures: list[str] = []
    seconds = 0.0
    try:
        with opening:
            desk = open_desk(race, start)
        with desk:
            try:
                desk.agent(agent_id)  # read once before the race starts
            except BaseException:
                start.abort()
                raise
            start.wait(race.timeout)
            began = time.perf_counter()
            for ticket_id in race.ticket_ids:
                try:
                    desk.assign(ticket_id, agent_id)
                except TicketAlreadyAssigned:
                    rejections += 1
                except Exception as error:  # any other error fails the test in the parent
                    failures.append(f"{type(error).__name__}: {error}")
                else:
                    wins += 1
            seconds = time.perf_counter() - began
            conflicts = desk.conflicts
    except Exception as error:  # opening the desk or the start signal failed
        failures.append(f"{type(error).__name__}: {error}")
    return Tally(
        worker=worker,
        wins=wins,
        rejections=rejections,
        conflicts=conflicts,
        failures=tuple(failures),
        seconds=seconds,
    )


def assign_all_in_process(
    race: Race,
    *,
    worker: int,
    agent_id: UUID,
    opening: AbstractContextManager[object],
    start: threading.Barrier,
    results: multiprocessing.queues.Queue[Tally],
) -> None:
    """Process entry point: :func:`assign_all`, with the tally sent back on ``results``."""
    tally = assign_all(race, worker=worker, agent_id=agent_id, opening=opening, start=start)
    results.put(tally)


def open_desks(
    stores: Sequence[PostgresStore],
    *,
    start: threading.Barrier,
    timeout: float,
    results: multiprocessing.queues.Queue[list[str]],
) -> None:
    """Process entry point: for each store, wait for the others, then open a desk on it.

    Sends back one line per store: ``"ok"`` or the error's type and message.
    """
    outcomes: list[str] = []
    for store in stores:
        try:
            start.wait(timeout)
            HelpDesk(store).close()
        except Exception as error:  # reported to the parent, which fails the test
            outcomes.append(f"{type(error).__name__}: {' '.join(str(error).split())}")
        else:
            outcomes.append("ok")
    results.put(outcomes)


def in_spawned_processes(
    target: Callable[..., None], args: tuple[Any, ...], *, workers: int, timeout: float
) -> tuple[list[Any], float]:
    """Run ``target(*args, worker=n, opening=, start=, results=)`` in ``workers`` spawned
    processes, which open their desks one at a time (``opening``, a lock), wait for the
    ``start`` barrier and put one result on ``results``.

    Returns the results (in the order they came) and the seconds from the start to the
    last result; every process must exit cleanly.
    """
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(workers + 1)
    opening = ctx.Lock()
    results = ctx.Queue()
    processes = [
        ctx.Process(
            target=target,
            args=args,
            kwargs={"worker": n, "opening": opening, "start": start, "results": results},
        )
        for n in range(workers)
    ]
    for process in processes:
        process.start()
    try:
        with contextlib.suppress(threading.BrokenBarrierError):  # the results tell why
            start.wait(timeout)
        began = time.perf_counter()
        outcomes = [results.get(timeout=timeout) for _ in processes]
        seconds = time.perf_counter() - began
        for process in processes:
            process.join(timeout)
        assert [p.exitcode for p in processes] == [0] * workers
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join()
        results.close()
    return outcomes, seconds
