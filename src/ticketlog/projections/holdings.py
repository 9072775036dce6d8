"""Holdings: which agent holds which ticket right now.

A deterministic reducer over ticket events (no I/O, no clock). The desk keeps one up to
date from the event log to check agents' capacity before an assignment.
"""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

from ticketlog.domain.events import (
    DomainEvent,
    TicketAssigned,
    TicketClosed,
    TicketEscalated,
    TicketResolved,
    TicketTransferred,
)

HOLDING_EVENTS: tuple[type[DomainEvent], ...] = (
    TicketAssigned,
    TicketTransferred,
    TicketEscalated,
    TicketResolved,
    TicketClosed,
)
"""The only events that change who holds a ticket."""


class Holdings:
    """Ticket → holding agent, and agent → held tickets."""

    def __init__(self) -> None:
        self._holder: dict[UUID, UUID] = {}
        self._held: defaultdict[UUID, set[UUID]] = defaultdict(set)

    def apply(self, event: DomainEvent) -> None:
        """Fold one event in; events that change no holding are ignored."""
        if not isinstance(event, HOLDING_EVENTS):
            return
        ticket_id = event.originator_id
        self._release(ticket_id)
        new_holder = None
        if isinstance(event, TicketAssigned):
            new_holder = event.agent_id
        elif isinstance(event, TicketTransferred):
            new_holder = event.to_agent_id
        if new_holder is not None:
            self._holder[ticket_id] = new_holder
            self._held[new_holder].add(ticket_id)

    def _release(self, ticket_id: UUID) -> None:
        agent_id = self._holder.pop(ticket_id, None)
        if agent_id is not None:
            self._held[agent_id].discard(ticket_id)

    def held_by(self, agent_id: UUID) -> frozenset[UUID]:
        """The tickets ``agent_id`` holds."""
        return frozenset(self._held.get(agent_id, ()))

    def holder_of(self, ticket_id: UUID) -> UUID | None:
        """The agent holding ``ticket_id``, if any."""
        return self._holder.get(ticket_id)
