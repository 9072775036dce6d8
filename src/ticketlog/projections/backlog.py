"""Backlog: how many tickets were open (waiting or held), over time and per queue.

A ticket is open from its receipt until it is resolved, closed or abandoned, and again
from any event that puts it back in a queue or in someone's hands (a reopen; in a
recorded history also an assignment or a move after its end).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from ticketlog.domain.events import (
    TicketAbandoned,
    TicketAssigned,
    TicketClosed,
    TicketDeescalated,
    TicketEscalated,
    TicketReassigned,
    TicketReceived,
    TicketReleased,
    TicketReopened,
    TicketResolved,
    TicketTransferred,
)
from ticketlog.projections.base import Reducer, on


class Backlog(Reducer):
    """Folds ticket events into the changes of the open-ticket count of each queue."""

    def __init__(self) -> None:
        self._changes: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
        self._queue: dict[UUID, str] = {}
        """Every ticket's current queue."""
        self._open: set[UUID] = set()
        self._unsorted: set[str] = set()
        """Queues whose changes arrived out of time order since they were last sorted."""

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Backlog)
            and {q: sorted(c) for q, c in self._changes.items()}
            == {q: sorted(c) for q, c in other._changes.items()}
            and self._queue == other._queue
            and self._open == other._open
        )

    __hash__ = None  # type: ignore[assignment]

    @on(TicketReceived)
    def _received(self, event: TicketReceived) -> None:
        self.opened(event.originator_id, event.queue, event.at)

    @on(TicketTransferred, TicketEscalated, TicketDeescalated)
    def _moved(self, event: TicketTransferred | TicketEscalated | TicketDeescalated) -> None:
        self.moved(event.originator_id, event.to_queue, event.at)

    @on(TicketReopened, TicketAssigned, TicketReassigned, TicketReleased)
    def _reopened(
        self, event: TicketReopened | TicketAssigned | TicketReassigned | TicketReleased
    ) -> None:
        self.opened(event.originator_id, None, event.at)

    @on(TicketResolved, TicketClosed, TicketAbandoned)
    def _ended(self, event: TicketResolved | TicketClosed | TicketAbandoned) -> None:
        self.ended(event.originator_id, event.at)

    # The folds of the events above, callable without an event (the simulation's fast mode).

    def opened(self, ticket_id: UUID, queue: str | None, at: datetime) -> None:
        """The ticket was received in ``queue``, or reopened (``None``: where it was)."""
        if queue is not None:
            self._queue[ticket_id] = queue
        if ticket_id not in self._open:
            self._open.add(ticket_id)
            self._change(self._queue[ticket_id], at, +1)

    def moved(self, ticket_id: UUID, queue: str, at: datetime) -> None:
        """The ticket moved to ``queue`` (where it is open, even if it had ended)."""
        old = self._queue[ticket_id]
        if ticket_id not in self._open:
            self.opened(ticket_id, queue, at)
        elif old != queue:
            self._queue[ticket_id] = queue
            self._change(old, at, -1)
            self._change(queue, at, +1)

    def ended(self, ticket_id: UUID, at: datetime) -> None:
        """The ticket was resolved, closed or abandoned."""
        if ticket_id in self._open:
            self._open.discard(ticket_id)
            self._change(self._queue[ticket_id], at, -1)

    def _change(self, queue: str, at: datetime, delta: int) -> None:
        changes = self._changes[queue]
        if changes and changes[-1][0] > at:  # logs interleave tickets: sort when read
            self._unsorted.add(queue)
        changes.append((at, delta))

    def _in_order(self, queue: str) -> list[tuple[datetime, int]]:
        changes = self._changes.get(queue, [])
        if queue in self._unsorted:
            changes.sort()
            self._unsorted.discard(queue)
        return changes

    def queues(self) -> list[str]:
        """Every queue that ever had a ticket, sorted."""
        return sorted(self._changes)

    def at(self, when: datetime, *, queue: str | None = None) -> int:
        """Open tickets at ``when`` (in ``queue``, or in all queues)."""
        queues = self.queues() if queue is None else [queue]
        total = 0
        for name in queues:
            changes = self._in_order(name)
            end = bisect.bisect_right(changes, when, key=lambda change: change[0])
            total += sum(delta for _, delta in changes[:end])
        return total

    def series(
        self, start: datetime, end: datetime, step: timedelta, *, queue: str | None = None
    ) -> list[tuple[datetime, int]]:
        """Open tickets sampled at ``start``, ``start + step``, ... up to ``end`` inclusive."""
        if step <= timedelta(0):
            msg = "step must be positive"
            raise ValueError(msg)
        instants = []
        when = start
        while when <= end:
            instants.append(when)
            when += step
        return list(zip(instants, self.at_each(instants, queue=queue), strict=True))

    def at_each(self, instants: Sequence[datetime], *, queue: str | None = None) -> list[int]:
        """Open tickets at each of ``instants`` (in ascending order), in one pass."""
        queues = self.queues() if queue is None else [queue]
        changes = sorted(c for name in queues for c in self._in_order(name))
        counts: list[int] = []
        count = i = 0
        for when in instants:
            while i < len(changes) and changes[i][0] <= when:
                count += changes[i][1]
                i += 1
            counts.append(count)
        return counts
