"""The escalator processes of the escalation race (imported by ``spawn``ed processes).

:func:`tick_in_process` opens a desk of its own on the shared store and, round after
round, waits for the other escalators and then ticks an :class:`SlaEscalator` at the
round's business time, so the escalators look at the same breached tickets at once.
"""

from __future__ import annotations

import multiprocessing.queues
import threading
from contextlib import AbstractContextManager
from datetime import datetime
from uuid import UUID

import attrs

from ticketlog import HelpDesk, ManualClock, PostgresStore, SQLiteStore
from ticketlog.processes import EscalationPath, SlaEscalator


@attrs.frozen
class Ticking:
    """What every escalator does, and where."""

    store: SQLiteStore | PostgresStore
    path: EscalationPath
    rounds: tuple[datetime, ...]
    """The business time of each round's tick."""
    timeout: float
    """Seconds to wait for the other escalators at the start of a round."""


@attrs.frozen
class Escalated:
    """What one escalator achieved."""

    worker: int
    rounds: tuple[tuple[UUID, ...], ...] = ()
    """The tickets this escalator escalated, per round."""
    failures: tuple[str, ...] = ()
    """Any exception, as ``"Type: message"``."""


def tick_rounds(
    job: Ticking,
    *,
    worker: int,
    opening: AbstractContextManager[object],
    start: threading.Barrier,
) -> Escalated:
    """Open a desk (one at a time, holding ``opening``), then tick once per round.

    If the desk cannot be opened or a tick fails, ``start`` is broken so the other
    escalators stop waiting; the failure is reported, never raised.
    """
    rounds: list[tuple[UUID, ...]] = []
    try:
        with opening:
            desk = HelpDesk(job.store, clock=ManualClock(job.rounds[0]))
        with desk:
            escalator = SlaEscalator(desk, job.path)
            desk.view()  # read the log once before the race starts
            for when in job.rounds:
                start.wait(job.timeout)
                rounds.append(tuple(escalator.tick(when)))
    except Exception as error:  # reported to the parent, which fails the test
        start.abort()
        return Escalated(
            worker=worker,
            rounds=tuple(rounds),
            failures=(f"{type(error).__name__}: {' '.join(str(error).split())}",),
        )
    return Escalated(worker=worker, rounds=tuple(rounds))


def tick_in_process(
    job: Ticking,
    *,
    worker: int,
    opening: AbstractContextManager[object],
    start: threading.Barrier,
    results: multiprocessing.queues.Queue[Escalated],
) -> None:
    """Process entry point: :func:`tick_rounds`, with the outcome sent back on ``results``."""
    results.put(tick_rounds(job, worker=worker, opening=opening, start=start))
