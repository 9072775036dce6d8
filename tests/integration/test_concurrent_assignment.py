"""Conflict-free assignment: desks in separate processes (or threads) race for the same
tickets on one store, and every ticket still ends up with exactly one agent.

Each worker opens its own :class:`~ticketlog.HelpDesk` on the shared SQLite file or
PostgreSQL database and, once all are ready, tries to assign *every* ticket, in the same
order, to its own agent, so the workers contend for every ticket. A lost race, whether
seen when reading the ticket or as a version conflict when saving, must surface as
:class:`~ticketlog.TicketAlreadyAssigned` and leave nothing in the store.

The desks are opened one at a time: opening PostgreSQL desks at the same moment fails
(``test_processes_opening_a_postgres_desk_at_once_all_succeed``, an expected failure).

Run with ``-s`` to see the timings (also recorded as junit properties).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from uuid import UUID

import attrs
import pytest

from tests.integration.support import (
    PostgresServer,
    Race,
    Tally,
    assign_all,
    assign_all_in_process,
    open_desks,
)
from ticketlog import HelpDesk, ManualClock, PostgresStore, SQLiteStore, TicketAssigned

pytestmark = pytest.mark.slow

TICKETS = 200
TIMEOUT = 60.0
"""Seconds any one wait (start signal, a worker's result) may take before the test fails."""

Store = SQLiteStore | PostgresStore


@attrs.frozen
class Desk:
    """What the parent wrote before the race."""

    agent_ids: tuple[UUID, ...]
    ticket_ids: tuple[UUID, ...]
    events: int
    """Events stored before the race."""


@attrs.frozen
class Outcome:
    """The workers' tallies (in worker order) and the race's wall-clock time."""

    tallies: tuple[Tally, ...]
    seconds: float


def prepare(store: Store, clock: ManualClock, *, agents: int) -> Desk:
    """``agents`` online agents, each able to hold every ticket, and :data:`TICKETS` waiting."""
    with HelpDesk(store, clock=clock) as desk:
        agent_ids = tuple(desk.join_agent(f"Agent {n}", capacity=TICKETS) for n in range(agents))
        ticket_ids = tuple(
            desk.receive(channel="chat", customer_id=f"customer-{n}") for n in range(TICKETS)
        )
        events = sum(1 for _ in desk.read_log())
    assert events == TICKETS + 2 * agents  # received; joined and went online
    return Desk(agent_ids=agent_ids, ticket_ids=ticket_ids, events=events)


def in_processes(race: Race, agent_ids: tuple[UUID, ...]) -> Outcome:
    """One spawned OS process per agent."""
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(len(agent_ids) + 1)
    opening = ctx.Lock()
    results = ctx.Queue()
    processes = [
        ctx.Process(
            target=assign_all_in_process,
            args=(race,),
            kwargs={
                "worker": n,
                "agent_id": agent,
                "opening": opening,
                "start": start,
                "results": results,
            },
            name=f"assigner-{n}",
        )
        for n, agent in enumerate(agent_ids)
    ]
    for process in processes:
        process.start()
    try:
        with contextlib.suppress(threading.BrokenBarrierError):  # the tallies tell why
            start.wait(TIMEOUT)
        began = time.perf_counter()
        tallies: list[Tally] = [results.get(timeout=TIMEOUT) for _ in processes]
        seconds = time.perf_counter() - began
        for process in processes:
            process.join(TIMEOUT)
        assert [p.exitcode for p in processes] == [0] * len(processes)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join()
        results.close()
    return Outcome(tuple(sorted(tallies, key=lambda t: t.worker)), seconds)


def in_threads(race: Race, agent_ids: tuple[UUID, ...]) -> Outcome:
    """One thread per agent, each with a desk of its own."""
    start = threading.Barrier(len(agent_ids) + 1)
    opening = threading.Lock()
    with ThreadPoolExecutor(len(agent_ids), thread_name_prefix="assigner") as pool:
        futures = [
            pool.submit(assign_all, race, worker=n, agent_id=agent, opening=opening, start=start)
            for n, agent in enumerate(agent_ids)
        ]
        with contextlib.suppress(threading.BrokenBarrierError):  # the tallies tell why
            start.wait(TIMEOUT)
        began = time.perf_counter()
        tallies = tuple(future.result(TIMEOUT) for future in futures)
        seconds = time.perf_counter() - began
    return Outcome(tallies, seconds)


def run_race(
    store: Store,
    clock: ManualClock,
    *,
    workers: int,
    run: Callable[[Race, tuple[UUID, ...]], Outcome],
    label: str,
    record_property: Callable[[str, object], None],
) -> None:
    """Prepare, race, then check the store holds exactly one assignment per ticket."""
    desk = prepare(store, clock, agents=workers)
    race = Race(
        store=store,
        ticket_ids=desk.ticket_ids,
        at=clock.now() + timedelta(hours=1),
        timeout=TIMEOUT,
    )
    outcome = run(race, desk.agent_ids)
    tallies = outcome.tallies
    report(label, outcome, record_property)

    assert [t.failures for t in tallies] == [()] * workers
    assert sum(t.wins for t in tallies) == TICKETS
    assert [t.wins + t.rejections for t in tallies] == [TICKETS] * workers
    assert sum(t.wins + t.rejections for t in tallies) == workers * TICKETS

    with HelpDesk(store, clock=clock) as reader:
        for ticket_id in desk.ticket_ids:
            history = reader.ticket_events(ticket_id)
            assigned = [e for e in history if isinstance(e, TicketAssigned)]
            assert len(assigned) == 1, f"ticket {ticket_id}: {history}"
            assert len(history) == 2
            assert reader.ticket(ticket_id).agent_id == assigned[0].agent_id
        # Nothing lost, nothing of the losing attempts stored.
        # Each assignment is the ticket's event and the agent's AgentStartedHolding.
        assert sum(1 for _ in reader.read_log()) == desk.events + 2 * TICKETS
        assert desk.events + 2 * TICKETS == 3 * TICKETS + 2 * workers
        held = [reader.held_by(agent) for agent in desk.agent_ids]
    assert sum(len(h) for h in held) == TICKETS  # pairwise disjoint ...
    assert frozenset().union(*held) == frozenset(desk.ticket_ids)  # ... and covering all
    assert [len(h) for h in held] == [t.wins for t in tallies]


def report(label: str, outcome: Outcome, record_property: Callable[[str, object], None]) -> None:
    """Print the race's figures (visible with ``-s``) and record them as junit properties."""
    tallies = outcome.tallies
    attempts = sum(t.wins + t.rejections for t in tallies)
    wins = [t.wins for t in tallies]
    conflicts = [t.conflicts for t in tallies]
    rate = TICKETS / outcome.seconds
    print(
        f"\n[{label}] {len(tallies)} workers x {TICKETS} tickets in {outcome.seconds:.2f} s: "
        f"{rate:.0f} tickets/s, {attempts / outcome.seconds:.0f} attempts/s; "
        f"wins {wins}, rejections {[t.rejections for t in tallies]}, "
        f"lost saves (retried, then rejected) {conflicts}, "
        f"worker busy time {[round(t.seconds, 2) for t in tallies]} s"
    )
    record_property("seconds", round(outcome.seconds, 3))
    record_property("tickets_per_second", round(rate, 1))
    record_property("wins", wins)
    record_property("lost_saves", conflicts)


def test_processes_racing_for_the_same_tickets_assign_each_exactly_once(
    store: Store, clock: ManualClock, record_property: Callable[[str, object], None]
) -> None:
    run_race(
        store,
        clock,
        workers=2,
        run=in_processes,
        label=f"{store.kind}, processes",
        record_property=record_property,
    )


@pytest.mark.parametrize("threads", [2, 4])
def test_threads_racing_for_the_same_tickets_assign_each_exactly_once(
    sqlite_store: SQLiteStore,
    clock: ManualClock,
    record_property: Callable[[str, object], None],
    threads: int,
) -> None:
    run_race(
        sqlite_store,
        clock,
        workers=threads,
        run=in_threads,
        label=f"sqlite, {threads} threads",
        record_property=record_property,
    )


OPENERS = 4
ROUNDS = 8
"""Rounds of opening desks at once; a single round passes by luck too often."""


@pytest.mark.postgres
@pytest.mark.parametrize("tables", ["existing", "fresh"])
def test_processes_opening_a_postgres_desk_at_once_all_succeed(
    postgres_server: PostgresServer, postgres_store: PostgresStore, tables: str
) -> None:
    if tables == "existing":
        HelpDesk(postgres_store).close()  # creates the tables
        stores = [postgres_store] * ROUNDS
    else:
        schemas = [f"round_{n}" for n in range(ROUNDS)]
        for schema in schemas:
            postgres_server.create_schema(postgres_store.dbname, schema)
        stores = [postgres_store.model_copy(update={"db_schema": schema}) for schema in schemas]
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(OPENERS)
    results = ctx.Queue()
    processes = [
        ctx.Process(
            target=open_desks,
            args=(stores,),
            kwargs={"start": start, "timeout": TIMEOUT, "results": results},
        )
        for _ in range(OPENERS)
    ]
    for process in processes:
        process.start()
    try:
        outcomes: list[list[str]] = [results.get(timeout=TIMEOUT) for _ in processes]
    finally:
        for process in processes:
            process.join(TIMEOUT)
            if process.is_alive():
                process.terminate()
                process.join()
        results.close()
    failures = sorted({line for lines in outcomes for line in lines if line != "ok"})
    assert failures == []
