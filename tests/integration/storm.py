"""The capacity storm's worker: a desk in its own process filling shared agents.

Every worker tries every ticket, in an order of its own (shuffled with its worker number
as the seed), each time for the next of the shared agents in turn. After each success
it resolves the ticket it placed before, and when an agent is full it resolves its own
oldest, so agents fill and empty while the others write. Capacity must hold whichever
process wins: the agent's holdings are saved with each assignment, so two workers filling
one agent conflict on the agent's version.
"""

from __future__ import annotations

import multiprocessing.queues
import random
import threading
import time
from collections import deque
from contextlib import AbstractContextManager
from datetime import datetime
from uuid import UUID

import attrs

from tests.integration.support import CountingDesk
from ticketlog import (
    AgentAtCapacity,
    InvalidTransition,
    ManualClock,
    PostgresStore,
    SQLiteStore,
)


@attrs.frozen
class Storm:
    """What every worker of the storm shares."""

    store: SQLiteStore | PostgresStore
    agent_ids: tuple[UUID, ...]
    ticket_ids: tuple[UUID, ...]
    at: datetime
    timeout: float


@attrs.frozen
class Outcome:
    """What one worker achieved, as acknowledged by its desk."""

    worker: int
    assigned: tuple[tuple[UUID, UUID], ...] = ()
    """(ticket, agent) of every assignment the desk acknowledged."""
    resolved: tuple[UUID, ...] = ()
    """Tickets this worker resolved."""
    full: int = 0
    """Attempts refused with :class:`~ticketlog.AgentAtCapacity`."""
    taken: int = 0
    """Attempts refused because the ticket was held or resolved already."""
    conflicts: int = 0
    """Saves lost to another writer (retried by the desk)."""
    failures: tuple[str, ...] = ()
    seconds: float = 0.0


def work(
    storm: Storm, *, worker: int, opening: AbstractContextManager[object], start: threading.Barrier
) -> Outcome:
    """Open a desk, wait for the start, then try every ticket in this worker's order."""
    order = list(storm.ticket_ids)
    random.Random(worker).shuffle(order)  # noqa: S311 - a reproducible order, not a secret
    assigned: list[tuple[UUID, UUID]] = []
    placed: deque[tuple[UUID, UUID]] = deque()
    resolved: list[UUID] = []
    full = taken = 0
    failures: list[str] = []
    try:
        with opening:
            desk = CountingDesk(storm.store, clock=ManualClock(storm.at))
    except Exception as error:
        start.abort()
        return Outcome(worker=worker, failures=(f"{type(error).__name__}: {error}",))
    with desk:
        try:
            start.wait(storm.timeout)
        except threading.BrokenBarrierError:
            return Outcome(worker=worker, failures=("another worker could not start",))

        def resolve_oldest() -> None:
            oldest, holder = placed.popleft()
            try:
                desk.resolve(oldest, holder)
            except Exception as error:  # nobody else resolves this worker's tickets
                failures.append(f"{type(error).__name__}: {error}")
            else:
                resolved.append(oldest)

        began = time.perf_counter()
        for n, ticket_id in enumerate(order):
            agent_id = storm.agent_ids[(worker + n) % len(storm.agent_ids)]
            try:
                desk.assign(ticket_id, agent_id)
            except AgentAtCapacity:
                full += 1
                if placed:
                    resolve_oldest()  # give a seat back
                continue
            except InvalidTransition:
                taken += 1
                continue
            except Exception as error:  # any other error fails the test in the parent
                failures.append(f"{type(error).__name__}: {error}")
                continue
            assigned.append((ticket_id, agent_id))
            placed.append((ticket_id, agent_id))
            if len(placed) > 1:
                resolve_oldest()
        seconds = time.perf_counter() - began
        conflicts = desk.conflicts
    return Outcome(
        worker=worker,
        assigned=tuple(assigned),
        resolved=tuple(resolved),
        full=full,
        taken=taken,
        conflicts=conflicts,
        failures=tuple(failures),
        seconds=seconds,
    )


def work_in_process(
    storm: Storm,
    *,
    worker: int,
    opening: AbstractContextManager[object],
    start: threading.Barrier,
    results: multiprocessing.queues.Queue[Outcome],
) -> None:
    """Process entry point: :func:`work`, with the outcome sent back on ``results``."""
    results.put(work(storm, worker=worker, opening=opening, start=start))
