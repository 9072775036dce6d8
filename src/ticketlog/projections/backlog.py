"""Backlog: how many tickets were open (waiting or held), over time and per queue."""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import datetime, timedelta
from uuid import UUID

from ticketlog.domain.events import (
    DomainEvent,
    TicketAbandoned,
    TicketClosed,
    TicketEscalated,
    TicketReceived,
    TicketReopened,
    TicketResolved,
    TicketTransferred,
)


class Backlog:
    """Folds ticket events into the changes of the open-ticket count of each queue."""

    def __init__(self) -> None:
        self._changes: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
        self._queue: dict[UUID, str] = {}
        """Every ticket's current queue."""
        self._open: set[UUID] = set()

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Backlog)
            and dict(self._changes) == dict(other._changes)
            and self._queue == other._queue
            and self._open == other._open
        )

    __hash__ = None  # type: ignore[assignment]

    def apply(self, event: DomainEvent) -> None:
        """Fold one event in; events that open, close or move no ticket are ignored."""
        ticket_id, at = event.originator_id, event.at
        if isinstance(event, TicketReceived):
            self._queue[ticket_id] = event.queue
            self._open.add(ticket_id)
            self._change(event.queue, at, +1)
        elif ticket_id not in self._queue:
            return
        elif isinstance(event, TicketTransferred | TicketEscalated):
            old, new = self._queue[ticket_id], event.to_queue
            if old != new:
                self._queue[ticket_id] = new
                self._change(old, at, -1)
                self._change(new, at, +1)
        elif isinstance(event, TicketReopened) and ticket_id not in self._open:
            self._open.add(ticket_id)
            self._change(self._queue[ticket_id], at, +1)
        elif (
            isinstance(event, TicketResolved | TicketClosed | TicketAbandoned)
            and ticket_id in self._open
        ):
            self._open.discard(ticket_id)
            self._change(self._queue[ticket_id], at, -1)

    def _change(self, queue: str, at: datetime, delta: int) -> None:
        changes = self._changes[queue]
        if changes and changes[-1][0] > at:  # imported history may arrive out of time order
            bisect.insort(changes, (at, delta))
        else:
            changes.append((at, delta))

    def queues(self) -> list[str]:
        """Every queue that ever had a ticket, sorted."""
        return sorted(self._changes)

    def at(self, when: datetime, *, queue: str | None = None) -> int:
        """Open tickets at ``when`` (in ``queue``, or in all queues)."""
        queues = self.queues() if queue is None else [queue]
        total = 0
        for name in queues:
            changes = self._changes.get(name, [])
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
        queues = self.queues() if queue is None else [queue]
        changes = sorted(c for name in queues for c in self._changes.get(name, []))
        samples: list[tuple[datetime, int]] = []
        count = i = 0
        when = start
        while when <= end:
            while i < len(changes) and changes[i][0] <= when:
                count += changes[i][1]
                i += 1
            samples.append((when, count))
            when += step
        return samples
