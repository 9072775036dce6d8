"""What makes a batch of events a valid history to store, checked before anything is written.

Commands produce valid histories by construction; events handed over as they are (a
simulated history, a batch built elsewhere) are checked here in one pass: each stream's
versions follow on without a gap, from 1 or from the version stored already, its first
event creates it, its times never go back (an agent's holdings events carry their
tickets' times, so only the agent's own events are held to it), and every agent a ticket
event names joined in the batch or the store. The store is asked only about streams
that continue and about agents the batch does not introduce, through the two callables
the caller passes (the domain reads no storage).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from uuid import UUID

from ticketlog.domain.errors import InvalidHistory
from ticketlog.domain.events import (
    AgentJoined,
    AgentStartedHolding,
    AgentStoppedHolding,
    DomainEvent,
    TicketEvent,
    TicketReceived,
)

AGENT_FIELDS = ("agent_id", "to_agent_id", "from_agent_id", "actor_id")
"""The fields of ticket events that name an agent."""

Head = tuple[int, datetime]
"""A stream's latest version and the time of its latest event."""

HOLDINGS = (AgentStartedHolding, AgentStoppedHolding)
"""Agent events dated by their tickets, outside the agent's own time order."""


def check_history(
    events: Iterable[DomainEvent],
    *,
    stored_head: Callable[[UUID], Head | None],
    is_stored_agent: Callable[[UUID], bool],
) -> None:
    """Raise :class:`InvalidHistory` naming every problem of ``events`` (in order to save).

    ``stored_head`` gives a stream's head in the store (``None``: no such stream);
    ``is_stored_agent`` whether the store holds an agent of that id.
    """
    problems: list[str] = []
    heads: dict[UUID, Head | None] = {}
    joined: set[UUID] = set()
    named: dict[UUID, DomainEvent] = {}
    for event in events:
        stream = event.originator_id
        if stream not in heads:
            heads[stream] = None if event.originator_version == 1 else stored_head(stream)
        head = heads[stream]
        problems += _stream_problems(event, head)
        at = head[1] if head is not None and isinstance(event, HOLDINGS) else event.at
        heads[stream] = (event.originator_version, at)
        if isinstance(event, AgentJoined):
            joined.add(stream)
        elif isinstance(event, TicketEvent):
            for field in AGENT_FIELDS:
                agent_id = getattr(event, field, None)
                if isinstance(agent_id, UUID):
                    named.setdefault(agent_id, event)
    problems += [
        f"{event.event_type} of {event.originator_id} v{event.originator_version} names "
        f"agent {agent_id}, who is neither in the batch nor in the store"
        for agent_id, event in named.items()
        if agent_id not in joined and not is_stored_agent(agent_id)
    ]
    if problems:
        msg = f"nothing was stored: {'; '.join(problems)}"
        raise InvalidHistory(msg)


def _stream_problems(event: DomainEvent, head: Head | None) -> list[str]:
    """What is wrong with ``event`` following ``head`` in its stream."""
    where = f"{event.event_type} of {event.originator_id} v{event.originator_version}"
    expected = 1 if head is None else head[0] + 1
    if event.originator_version != expected:
        return [f"{where} does not follow on (expected version {expected})"]
    if head is None and not isinstance(event, TicketReceived | AgentJoined):
        return [f"{where} starts a stream, which only TicketReceived or AgentJoined can"]
    if head is not None and event.at < head[1] and not isinstance(event, HOLDINGS):
        return [f"{where} at {event.at.isoformat()} is earlier than {head[1].isoformat()}"]
    return []
