"""Agents in several processes pull from one queue with ``assign_next``: every ticket goes
to exactly one agent, none is skipped, and nothing of a lost race is stored.

The parent writes :data:`TICKETS` waiting tickets and :data:`AGENTS` online agents, each
able to hold every ticket. :data:`PROCESSES` spawned processes each open a desk of their
own on the shared SQLite file or PostgreSQL database and drive :data:`AGENTS` /
:data:`PROCESSES` agents in turn, each calling ``desk.assign_next(agent, "fifo")`` until
it returns ``None``. All pull from the head of the same FIFO queue, so they contend for
nearly every ticket.

Run with ``-s`` to see the figures (also recorded as junit properties).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from uuid import UUID

import attrs
import pytest

from tests.integration.policy_support import Pulled, Pulling, pull_in_process
from ticketlog import (
    AgentJoined,
    AgentStartedHolding,
    AgentWentOnline,
    AssignedBy,
    HelpDesk,
    ManualClock,
    PostgresStore,
    SQLiteStore,
    TicketAssigned,
    TicketReceived,
)

pytestmark = pytest.mark.slow

TICKETS = 200
AGENTS = 4
PROCESSES = 2
TIMEOUT = 60.0
"""Seconds any one wait (start signal, a worker's result) may take before the test fails."""

Store = SQLiteStore | PostgresStore


@attrs.frozen
class Prepared:
    """What the parent wrote before the race."""

    agent_ids: tuple[UUID, ...]
    ticket_ids: tuple[UUID, ...]
    """In FIFO order (received a second apart)."""


def prepare(store: Store, clock: ManualClock) -> Prepared:
    with HelpDesk(store, clock=clock) as desk:
        agent_ids = tuple(desk.join_agent(f"Agent {n}", capacity=TICKETS) for n in range(AGENTS))
        ticket_ids = []
        for n in range(TICKETS):
            clock.advance(seconds=1)
            ticket_ids.append(desk.receive(channel="chat", customer_id=f"customer-{n}"))
    return Prepared(agent_ids, tuple(ticket_ids))


def race(store: Store, prepared: Prepared, clock: ManualClock) -> tuple[list[Pulled], float]:
    """One spawned process per :data:`PROCESSES`, each driving its share of the agents."""
    pulling = Pulling(store=store, at=clock.now() + timedelta(hours=1), timeout=TIMEOUT)
    share = AGENTS // PROCESSES
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(PROCESSES + 1)
    opening = ctx.Lock()
    results = ctx.Queue()
    processes = [
        ctx.Process(
            target=pull_in_process,
            args=(pulling,),
            kwargs={
                "worker": n,
                "agent_ids": prepared.agent_ids[n * share : (n + 1) * share],
                "opening": opening,
                "start": start,
                "results": results,
            },
            name=f"puller-{n}",
        )
        for n in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    try:
        with contextlib.suppress(threading.BrokenBarrierError):  # the tallies tell why
            start.wait(TIMEOUT)
        began = time.perf_counter()
        tallies: list[Pulled] = [results.get(timeout=TIMEOUT) for _ in processes]
        seconds = time.perf_counter() - began
        for process in processes:
            process.join(TIMEOUT)
        assert [p.exitcode for p in processes] == [0] * PROCESSES
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join()
        results.close()
    return sorted(tallies, key=lambda t: t.worker), seconds


def test_agents_in_several_processes_pulling_fifo_get_each_ticket_exactly_once(
    store: Store, clock: ManualClock, record_property: Callable[[str, object], None]
) -> None:
    prepared = prepare(store, clock)
    tallies, seconds = race(store, prepared, clock)

    wins = {agent: tickets for t in tallies for agent, tickets in t.wins}
    counts = [len(wins[agent]) for agent in prepared.agent_ids]
    lost = [t.lost for t in tallies]
    conflicts = [t.conflicts for t in tallies]
    print(
        f"\n[{store.kind}] {PROCESSES} processes x {AGENTS // PROCESSES} agents pulled "
        f"{TICKETS} tickets in {seconds:.2f} s ({TICKETS / seconds:.0f} tickets/s); "
        f"wins per agent {counts}; calls {[t.calls for t in tallies]}; "
        f"candidates lost to the other process {lost}; lost saves {conflicts}; "
        f"worker busy time {[round(t.seconds, 2) for t in tallies]} s"
    )
    record_property("seconds", round(seconds, 3))
    record_property("wins", counts)
    record_property("lost_candidates", lost)
    record_property("lost_saves", conflicts)

    assert [t.failures for t in tallies] == [()] * PROCESSES
    assert sorted(wins) == sorted(prepared.agent_ids)
    won = [ticket for tickets in wins.values() for ticket in tickets]
    assert sorted(won) == sorted(prepared.ticket_ids)  # each ticket won once, none left out
    # No agent jumps the queue: what one agent wins comes in FIFO order.
    rank = {ticket: n for n, ticket in enumerate(prepared.ticket_ids)}
    for tickets in wins.values():
        assert [rank[t] for t in tickets] == sorted(rank[t] for t in tickets)
    # Every agent's last call found nothing: one more call per agent than tickets won.
    assert sum(t.calls for t in tallies) == TICKETS + AGENTS

    with HelpDesk(store, clock=clock) as reader:
        holder = {ticket: agent for agent, tickets in wins.items() for ticket in tickets}
        for ticket_id in prepared.ticket_ids:
            history = reader.ticket_events(ticket_id)
            assigned = [e for e in history if isinstance(e, TicketAssigned)]
            assert len(assigned) == 1, f"ticket {ticket_id}: {history}"
            assert len(history) == 2
            event = assigned[0]
            assert (event.agent_id, event.by, event.policy) == (
                holder[ticket_id],
                AssignedBy.SELF,
                "fifo",
            )
        view = reader.view()
        assert view.queues.waiting_count() == 0
        assert [len(reader.held_by(a)) for a in prepared.agent_ids] == counts

        log = [event for _, event in reader.read_log()]
        kinds = Counter(type(event) for event in log)
        assert kinds == {
            TicketReceived: TICKETS,
            TicketAssigned: TICKETS,
            AgentStartedHolding: TICKETS,
            AgentJoined: AGENTS,
            AgentWentOnline: AGENTS,
        }
        assert len(log) == 3 * TICKETS + 2 * AGENTS
