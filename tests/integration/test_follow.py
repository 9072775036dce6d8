"""Followers on real stores: checkpoints beside the events, resuming after a restart,
rebuilding, and following a log that another process is writing.

Every test runs on an SQLite file and on a PostgreSQL database (the ``store`` fixture).
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from tests.integration.follow_support import Writing, events_per_ticket, write_tickets
from tests.integration.support import PostgresServer
from ticketlog import HelpDesk, ManualClock, PostgresStore, SQLiteStore
from ticketlog.persistence.checkpoints import checkpoints_for
from ticketlog.projections import DeskView, Follower, checkpoint, fold

Store = SQLiteStore | PostgresStore

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
"""The start of the ``clock`` fixture's business time (``tests/conftest.py``)."""
TIMEOUT = 60.0
"""Seconds any one wait on the writer process may take before the test fails."""

EVENTS_TABLE = {"sqlite": "stored_events", "postgres": "public.ticketlog_events"}
CHECKPOINTS_TABLE = {"sqlite": "ticketlog_checkpoints", "postgres": "public.ticketlog_checkpoints"}


def tables(store: Store) -> set[str]:
    """The tables of the store's SQLite file, or of its PostgreSQL database (``schema.name``)."""
    if isinstance(store, SQLiteStore):
        with closing(sqlite3.connect(store.path)) as db:
            rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return {str(name) for (name,) in rows}
    from ticketlog.persistence.postgres import connect  # noqa: PLC0415 - the postgres extra

    with connect(store) as db:
        rows = db.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables"
            " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
    return {str(name) for (name,) in rows}


def stored_positions(store: Store) -> dict[str, int]:
    """The checkpoint rows as stored: follower name to position (read with plain SQL)."""
    query = "SELECT name, position FROM ticketlog_checkpoints"
    if isinstance(store, SQLiteStore):
        with closing(sqlite3.connect(store.path)) as db:
            rows = db.execute(query).fetchall()
        return {str(name): int(position) for name, position in rows}
    from ticketlog.persistence.postgres import connect  # noqa: PLC0415 - the postgres extra

    with connect(store) as db:
        pg_rows = db.execute(query).fetchall()
    return {str(name): int(str(position)) for name, position in pg_rows}


def rebuilt(desk: HelpDesk) -> DeskView:
    return fold(DeskView(), (event for _, event in desk.read_log()))


def last_position(desk: HelpDesk) -> int:
    return max(position for position, _ in desk.read_log())


def some_history(desk: HelpDesk, clock: ManualClock, *, tickets: int, offset: int = 0) -> None:
    """Agents (once) and ``tickets`` tickets in various states."""
    if offset == 0:
        desk.join_agent("Ann", capacity=100, agent_id=UUID(int=1))
        desk.join_agent("Bo", capacity=100, agent_id=UUID(int=2))
    for n in range(offset, offset + tickets):
        clock.advance(minutes=1)
        ticket = desk.receive(channel="email", customer_id=f"c-{n}", queue=("a", "b")[n % 2])
        if n % 4 == 3:
            continue  # left waiting
        desk.assign(ticket, UUID(int=1 + n % 2))
        clock.advance(minutes=2)
        if n % 4 == 1:
            desk.escalate(ticket, kind="functional", to_queue="c")
        elif n % 4 == 2:
            desk.resolve(ticket, UUID(int=1 + n % 2))
            desk.rate(ticket, csat=1 + n % 5)


# --- checkpoints -------------------------------------------------------------------------------


def test_the_checkpoint_table_is_created_beside_the_events(
    store: Store, clock: ManualClock
) -> None:
    with HelpDesk(store, clock=clock) as desk:
        some_history(desk, clock, tickets=3)
        assert CHECKPOINTS_TABLE[store.kind] not in tables(store)
        follower = desk.follow(DeskView, name="desk-view")
        assert {EVENTS_TABLE[store.kind], CHECKPOINTS_TABLE[store.kind]} <= tables(store)
        assert stored_positions(store) == {}
        follower.catch_up()
        assert stored_positions(store) == {"desk-view": last_position(desk)}


def test_a_new_follower_resumes_from_the_checkpoint_after_a_restart(
    store: Store, clock: ManualClock
) -> None:
    with HelpDesk(store, clock=clock) as desk:
        some_history(desk, clock, tickets=8)
        follower = desk.follow(DeskView, name="desk-view")
        before = follower.catch_up()
        checkpoint = follower.position
        assert before == sum(1 for _ in desk.read_log())
    assert stored_positions(store) == {"desk-view": checkpoint}

    with HelpDesk(store, clock=clock) as desk:  # another run writes more
        some_history(desk, clock, tickets=6, offset=8)
        added = sum(1 for position, _ in desk.read_log() if position > checkpoint)
        assert added > 0

    with HelpDesk(store, clock=clock) as desk:  # the restarted reader
        resumed = desk.follow(DeskView, name="desk-view")
        assert resumed.position == checkpoint
        assert len(resumed.projection.facts) == 8  # the checkpointed state, not a refold
        assert resumed.catch_up() == added
        assert resumed.position == last_position(desk)
        assert resumed.projection == rebuilt(desk) == desk.view()
        assert len(resumed.projection.facts) == 14
        assert stored_positions(store) == {"desk-view": resumed.position}
        other = desk.follow(DeskView, name="another-view")
        assert other.position == 0  # checkpoints are per name


class Watched:
    """Real checkpoints that note, at each save, whether a checkpoint existed just before."""

    def __init__(self, store: Store) -> None:
        self.inner = checkpoints_for(store)
        self.existed_before_save: list[bool] = []

    def load(self, name: str) -> tuple[int, bytes] | None:
        return self.inner.load(name)

    def save(self, name: str, position: int, state: bytes) -> None:
        self.existed_before_save.append(self.inner.load(name) is not None)
        self.inner.save(name, position, state)

    def delete(self, name: str) -> None:
        self.inner.delete(name)


def test_rebuild_deletes_the_checkpoint_and_recomputes(store: Store, clock: ManualClock) -> None:
    with HelpDesk(store, clock=clock) as desk:
        some_history(desk, clock, tickets=6)
        desk.follow(DeskView, name="desk-view").catch_up()
        everything = rebuilt(desk)
        end = last_position(desk)
        # A stale checkpoint at the end of the log: a follower trusts it and folds nothing.
        checkpoints_for(store).save("desk-view", end, checkpoint.encode(DeskView(), end))
        stale = desk.follow(DeskView, name="desk-view")
        assert (stale.position, stale.projection, stale.catch_up()) == (end, DeskView(), 0)

        watched = Watched(store)
        follower = Follower(desk, DeskView, name="desk-view", checkpoints=watched)
        assert follower.projection == DeskView()
        assert follower.rebuild() == sum(1 for _ in desk.read_log())
        assert watched.existed_before_save == [False]  # deleted first, then saved afresh
        assert follower.projection == everything
        assert stored_positions(store) == {"desk-view": end}
        assert desk.follow(DeskView, name="desk-view").projection == everything


@pytest.mark.postgres
def test_postgres_checkpoints_live_in_the_configured_schema(
    postgres_server: PostgresServer, postgres_store: PostgresStore, clock: ManualClock
) -> None:
    postgres_server.create_schema(postgres_store.dbname, "desk")
    store = postgres_server.store(postgres_store.dbname, db_schema="desk")
    with HelpDesk(store, clock=clock) as desk:
        some_history(desk, clock, tickets=2)
        follower = desk.follow(DeskView, name="desk-view")
        follower.catch_up()
        assert postgres_server.row_counts(postgres_store.dbname) == {
            "desk.ticketlog_events": sum(1 for _ in desk.read_log()),
            "desk.ticketlog_checkpoints": 1,
            "desk.ticketlog_snapshots": 0,  # agents this young have none yet
        }
        assert desk.follow(DeskView, name="desk-view").position == follower.position


def test_a_follower_running_in_a_thread_polls_the_store(store: Store, clock: ManualClock) -> None:
    with HelpDesk(store, clock=clock) as desk:
        some_history(desk, clock, tickets=2)
        follower = desk.follow(DeskView, name="polling")
        stop = threading.Event()
        poller = threading.Thread(target=follower.run, args=(stop,), kwargs={"interval": 0.01})
        poller.start()
        try:
            some_history(desk, clock, tickets=6, offset=2)
            end = last_position(desk)
            deadline = time.monotonic() + TIMEOUT
            while stored_positions(store).get("polling") != end and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            stop.set()
            poller.join(TIMEOUT)
        assert not poller.is_alive()
        assert follower.position == end
        assert follower.projection == rebuilt(desk)
        assert len(follower.projection.facts) == 8


# --- following a log written by another process ------------------------------------------------

TICKETS = 30
"""Tickets per writer."""
WRITERS = 2


@pytest.mark.slow
def test_a_follower_keeps_up_with_other_processes_writing(store: Store, clock: ManualClock) -> None:
    spawn = multiprocessing.get_context("spawn")
    with HelpDesk(store, clock=clock) as desk:
        ann = desk.join_agent("Ann", capacity=WRITERS * TICKETS)
        bo = desk.join_agent("Bo", capacity=WRITERS * TICKETS)
        follower = desk.follow(DeskView, name="live")
        assert follower.catch_up() == 4  # joined and went online, twice
        halfway = [spawn.Event() for _ in range(WRITERS)]
        resume = spawn.Event()
        results = spawn.Queue()
        writers = [
            spawn.Process(
                target=write_tickets,
                args=(
                    Writing(
                        store=store,
                        writer=w,
                        ann=ann,
                        bo=bo,
                        tickets=TICKETS,
                        start=START + timedelta(hours=1),
                        timeout=TIMEOUT,
                    ),
                ),
                kwargs={"halfway": halfway[w], "resume": resume, "results": results},
                name=f"ticket-writer-{w}",
            )
            for w in range(WRITERS)
        ]
        for writer in writers:
            writer.start()
        try:
            for w, reached in enumerate(halfway):
                assert reached.wait(TIMEOUT), f"writer {w} never got halfway"
            first_half = follower.catch_up()
            assert first_half == WRITERS * sum(events_per_ticket(n) for n in range(TICKETS // 2))
            # The reader restarts in mid-stream: a new follower resumes from the checkpoint.
            follower = desk.follow(DeskView, name="live")
            assert follower.position == last_position(desk)
            resume.set()
            polls: list[int] = []
            deadline = time.monotonic() + TIMEOUT
            while any(w.is_alive() for w in writers) and time.monotonic() < deadline:
                polls.append(follower.catch_up())
                time.sleep(0.01)
            outcomes = [results.get(timeout=TIMEOUT) for _ in writers]
            for writer in writers:
                writer.join(TIMEOUT)
            assert [writer.exitcode for writer in writers] == [0] * WRITERS
        finally:
            for writer in writers:
                if writer.is_alive():
                    writer.terminate()
                    writer.join()
            results.close()
        failures = [outcome for outcome in outcomes if isinstance(outcome, str)]
        assert failures == []
        written: dict[int, list[UUID]] = dict(outcomes)
        polls.append(follower.catch_up())

        # Every event was folded exactly once, and the result is what a rebuild gives.
        assert 4 + first_half + sum(polls) == sum(1 for _ in desk.read_log())
        assert follower.position == last_position(desk)
        view = follower.projection
        assert view == rebuilt(desk)
        assert stored_positions(store)["live"] == follower.position

        # Every ticket was counted exactly once.
        tickets = [ticket for w in range(WRITERS) for ticket in written[w]]
        assert sorted(view.facts.tickets) == sorted(tickets)
        assert len(set(tickets)) == WRITERS * TICKETS
        assert view.kpis(now=START + timedelta(days=1)).tickets == WRITERS * TICKETS
        for ids in written.values():
            for n, ticket in enumerate(ids):
                facts = view.facts.tickets[ticket]
                assert (facts.transfers, facts.resolutions) == ((1, 1), (0, 1), (0, 0))[n % 3]
        kept = {ticket for ids in written.values() for n, ticket in enumerate(ids) if n % 3 == 2}
        assert view.workloads.held_by(ann) == kept
        assert view.backlog.at(START + timedelta(days=1)) == len(kept)
        handled = {w.agent_id: w.handled for w in view.workloads.workloads(now=START)}
        assert handled == {
            bo: WRITERS * len(range(0, TICKETS, 3)),
            ann: WRITERS * len(range(1, TICKETS, 3)),
        }
