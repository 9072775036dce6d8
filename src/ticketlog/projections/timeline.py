"""Timelines: a ticket's history told for the next agent who picks it up.

A pure function of the ticket's events: every step with its time, who acted, what
changed, and how long it came after the previous step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import attrs

from ticketlog.domain.events import (
    TicketAbandoned,
    TicketAssigned,
    TicketAwaitingCustomer,
    TicketClosed,
    TicketCustomerReplied,
    TicketDeescalated,
    TicketEscalated,
    TicketEvent,
    TicketRated,
    TicketReassigned,
    TicketReceived,
    TicketReleased,
    TicketReopened,
    TicketReprioritised,
    TicketResolved,
    TicketResponded,
    TicketTransferred,
)

_ENVELOPE = frozenset({"originator_id", "originator_version", "at", "actor_id"})


@attrs.frozen
class TimelineEntry:
    """One step of a ticket's history."""

    at: datetime
    event_type: str
    actor_id: UUID | None
    actor: str | None
    """The acting agent's name, if an agent acted."""
    summary: str
    """One human-readable line: what happened."""
    details: Mapping[str, Any]
    """The event's own fields."""
    since_previous: timedelta
    """Time since the previous step (zero for the first)."""
    since_received: timedelta

    def __str__(self) -> str:
        who = f" [{self.actor}]" if self.actor else ""
        return f"{self.at:%Y-%m-%d %H:%M:%S} +{self.since_previous}{who} {self.summary}"


def build_timeline(
    events: Iterable[TicketEvent], names: Mapping[UUID, str] | None = None
) -> list[TimelineEntry]:
    """The timeline of one ticket from its events, oldest first.

    ``names`` maps agent ids to display names; unknown agents show as their id.
    """
    names = names or {}

    def name(agent_id: UUID | None) -> str | None:
        return None if agent_id is None else names.get(agent_id, str(agent_id))

    entries: list[TimelineEntry] = []
    received = previous = None
    for event in events:
        received = received or event.at
        previous = previous or event.at
        entries.append(
            TimelineEntry(
                at=event.at,
                event_type=event.event_type,
                actor_id=event.actor_id,
                actor=name(event.actor_id),
                summary=describe(event, name),
                details=event.model_dump(exclude=set(_ENVELOPE)),
                since_previous=event.at - previous,
                since_received=event.at - received,
            )
        )
        previous = event.at
    return entries


def _place(agent: str | None, queue: str) -> str:
    return f"{agent} in {queue}" if agent else f"queue {queue}"


def _because(reason: str) -> str:
    return f": {reason}" if reason else ""


def describe(event: TicketEvent, name: Callable[[UUID | None], str | None]) -> str:  # noqa: PLR0911, PLR0912 - one case per event type
    """One line saying what ``event`` did, with agents shown by ``name``."""
    match event:
        case TicketReceived():
            subject = f" {event.subject!r}" if event.subject else ""
            return (
                f"received by {event.channel} from customer {event.customer_id}{subject} "
                f"({event.category}, {event.priority} priority, {event.language}, "
                f"queue {event.queue}, tier {event.tier})"
            )
        case TicketAssigned():
            policy = f", policy {event.policy}" if event.policy else ""
            return f"assigned to {name(event.agent_id)} (by {event.by}{policy})"
        case TicketResponded():
            return "replied to the customer" if event.public else "added an internal note"
        case TicketTransferred():
            return (
                f"transferred from {_place(name(event.from_agent_id), event.from_queue)} "
                f"to {_place(name(event.to_agent_id), event.to_queue)}{_because(event.reason)}"
            )
        case TicketReassigned():
            return (
                f"reassigned from {name(event.from_agent_id)} to {name(event.to_agent_id)}"
                f"{_because(event.reason)}"
            )
        case TicketReleased():
            return f"released by {name(event.from_agent_id)} to its queue{_because(event.reason)}"
        case TicketDeescalated():
            return (
                f"de-escalated from tier {event.from_tier} {event.from_queue} "
                f"to tier {event.to_tier} {event.to_queue}{_because(event.reason)}"
            )
        case TicketEscalated():
            breach = f", {event.breach} target missed" if event.breach else ""
            return (
                f"escalated ({event.kind}{breach}) from tier {event.from_tier} {event.from_queue} "
                f"to tier {event.to_tier} {event.to_queue}{_because(event.reason)}"
            )
        case TicketResolved():
            by = " by the system" if event.actor_id is None else ""
            return f"resolved{by} ({event.code})"
        case TicketReopened():
            return f"reopened by the customer{_because(event.reason)}"
        case TicketRated():
            scores = [f"CSAT {event.csat}/5"] * (event.csat is not None)
            scores += [f"NPS {event.nps}/10"] * (event.nps is not None)
            comment = f": {event.comment!r}" if event.comment else ""
            return f"rated {', '.join(scores)}{comment}"
        case TicketClosed():
            return f"closed{_because(event.reason)}"
        case TicketAbandoned():
            return "abandoned by the customer before being served"
        case TicketReprioritised():
            return f"priority {event.old} -> {event.new}{_because(event.reason)}"
        case TicketAwaitingCustomer():
            return f"waiting on the customer{_because(event.reason)}"
        case TicketCustomerReplied():
            return "the customer replied"
    return event.event_type
