"""The workers of the ``assign_next`` contention test (imported by ``spawn``ed processes).

Each worker opens a desk of its own on the shared store and, once every worker is ready,
drives its agents in turn: each calls ``desk.assign_next(agent, "fifo")`` until it
returns ``None``. The tally says which tickets each agent won and how often a candidate
was lost to another desk.
"""

from __future__ import annotations

import multiprocessing.queues
import threading
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from tests.integration.support import CountingDesk
from ticketlog import HelpDesk, InvalidTransition, ManualClock, PostgresStore, SQLiteStore


class LosingDesk(CountingDesk):
    """A desk that also counts the candidates ``assign_next`` lost to another desk.

    ``assign_next`` calls :meth:`assign` for each candidate and moves on to the next when it
    raises :class:`~ticketlog.InvalidTransition` (someone else took the ticket meanwhile).
    """

    name = HelpDesk.name
    """The same name, hence the same tables (eventsourcing names a subclass's tables after it)."""
    lost: int = 0

    def assign(self, *args: Any, **kwargs: Any) -> UUID:
        """Assign as usual, counting candidates already taken by someone else."""
        try:
            return super().assign(*args, **kwargs)
        except InvalidTransition:
            self.lost += 1
            raise


@attrs.frozen
class Pulling:
    """Where the workers pull from, when, and how long they may wait."""

    store: SQLiteStore | PostgresStore
    at: datetime
    """The business time of the assignments."""
    timeout: float
    """Seconds to wait for the start signal."""


@attrs.frozen
class Pulled:
    """What one worker's agents won, in the order they won it."""

    worker: int
    wins: tuple[tuple[UUID, tuple[UUID, ...]], ...] = ()
    """Per agent (in the worker's order), the tickets ``assign_next`` gave them."""
    calls: int = 0
    """Calls of ``assign_next``, including the final ones that returned ``None``."""
    lost: int = 0
    """Candidates taken by another desk between reading the queue and assigning."""
    conflicts: int = 0
    """Saves lost to another writer (version conflicts, retried by the desk)."""
    failures: tuple[str, ...] = ()
    """Any exception, as ``"Type: message"``."""
    seconds: float = 0.0
    """Time from the start signal to the last call."""


def pull_until_empty(
    pulling: Pulling,
    *,
    worker: int,
    agent_ids: Sequence[UUID],
    opening: AbstractContextManager[object],
    start: threading.Barrier,
) -> Pulled:
    """Open a desk, wait for the start, let the agents take turns until none gets a ticket.

    Desks are opened one at a time (holding ``opening``), as in
    ``test_concurrent_assignment.py``: opening PostgreSQL desks at once can fail.
    """
    won: dict[UUID, list[UUID]] = {agent: [] for agent in agent_ids}
    calls = lost = conflicts = 0
    failures: list[str] = []
    seconds = 0.0
    try:
        with opening:
            try:
                desk = LosingDesk(pulling.store, clock=ManualClock(pulling.at))
            except BaseException:
                start.abort()  # nobody waits for a worker that cannot start
                raise
        with desk:
            desk.view()  # catch up before the race starts
            start.wait(pulling.timeout)
            began = time.perf_counter()
            active = list(agent_ids)
            while active:
                for agent in list(active):
                    calls += 1
                    ticket = desk.assign_next(agent, "fifo")
                    if ticket is None:
                        active.remove(agent)
                    else:
                        won[agent].append(ticket)
            seconds = time.perf_counter() - began
            lost, conflicts = desk.lost, desk.conflicts
    except Exception as error:  # reported to the parent, which fails the test
        failures.append(f"{type(error).__name__}: {error}")
    return Pulled(
        worker=worker,
        wins=tuple((agent, tuple(tickets)) for agent, tickets in won.items()),
        calls=calls,
        lost=lost,
        conflicts=conflicts,
        failures=tuple(failures),
        seconds=seconds,
    )


def pull_in_process(
    pulling: Pulling,
    *,
    worker: int,
    agent_ids: Sequence[UUID],
    opening: AbstractContextManager[object],
    start: threading.Barrier,
    results: multiprocessing.queues.Queue[Pulled],
) -> None:
    """Process entry point: :func:`pull_until_empty`, its tally sent back on ``results``."""
    results.put(
        pull_until_empty(pulling, worker=worker, agent_ids=agent_ids, opening=opening, start=start)
    )
