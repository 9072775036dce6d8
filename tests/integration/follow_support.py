"""The writer processes of the live-follow test (imported by ``spawn``ed processes).

:func:`write_tickets` opens a desk of its own on the shared store and writes tickets in
two halves: it signals ``halfway`` after the first and waits for ``resume`` before the
second, so the parent's follower is known to catch up (and restart) in mid-stream; the
second half is written, by every writer at once, while the parent polls.
"""

from __future__ import annotations

import multiprocessing.queues
import threading
import time
from datetime import datetime
from uuid import UUID

import attrs

from ticketlog import HelpDesk, ManualClock, PostgresStore, SQLiteStore


@attrs.frozen
class Writing:
    """What the writer writes, and where."""

    store: SQLiteStore | PostgresStore
    writer: int
    """Which writer this is (writers write at the same time, each its own tickets)."""
    ann: UUID
    """Takes every ticket; resolves some, keeps some."""
    bo: UUID
    """Resolves the tickets Ann transfers to him."""
    tickets: int
    start: datetime
    """Business time of the first command; each command is one minute after the last."""
    timeout: float
    """Seconds to wait for ``resume``."""
    pause: float = 0.005
    """Seconds between tickets of the second half (so the parent's polls interleave)."""


def events_per_ticket(n: int) -> int:
    """How many events ticket number ``n`` and its agents get from :func:`live_one`: the
    ticket's, and the agents' side of each change of holder (4, 2 and 1 of them)."""
    return (5 + 4, 4 + 2, 3 + 1)[n % 3]


def live_one(desk: HelpDesk, clock: ManualClock, writing: Writing, n: int) -> UUID:
    """Ticket ``n``: received, taken by Ann, replied to; then by ``n % 3``: transferred to
    Bo who resolves it (0), resolved by Ann (1), or kept by Ann (2)."""
    customer = f"customer-{writing.writer}-{n}"
    ticket = desk.receive(channel="chat", customer_id=customer, subject=f"ticket {n}")
    clock.advance(minutes=1)
    desk.assign(ticket, writing.ann)
    clock.advance(minutes=1)
    desk.respond(ticket, writing.ann)
    clock.advance(minutes=1)
    if n % 3 == 0:
        desk.transfer(ticket, to_agent_id=writing.bo)
        clock.advance(minutes=1)
        desk.resolve(ticket, writing.bo)
    elif n % 3 == 1:
        desk.resolve(ticket, writing.ann)
    clock.advance(minutes=1)
    return ticket


def write_tickets(
    writing: Writing,
    *,
    halfway: threading.Event,
    resume: threading.Event,
    results: multiprocessing.queues.Queue[tuple[int, list[UUID]] | str],
) -> None:
    """Process entry point: write the tickets; send back (writer, ticket ids), or the error."""
    try:
        clock = ManualClock(writing.start)
        ids: list[UUID] = []
        with HelpDesk(writing.store, clock=clock) as desk:
            half = writing.tickets // 2
            ids.extend(live_one(desk, clock, writing, n) for n in range(half))
            halfway.set()
            if not resume.wait(writing.timeout):
                msg = "the parent never said to resume"
                raise TimeoutError(msg)
            for n in range(half, writing.tickets):
                ids.append(live_one(desk, clock, writing, n))
                time.sleep(writing.pause)
    except Exception as error:  # reported to the parent, which fails the test
        results.put(f"{type(error).__name__}: {error}")
        halfway.set()  # do not keep the parent waiting
    else:
        results.put((writing.writer, ids))
