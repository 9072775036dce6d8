"""Ticket facts: one flat record per ticket with everything the KPIs are computed from.

The fold keeps, per ticket, its attributes and the times and counts of what happened
to it. KPIs (:mod:`ticketlog.projections.kpis`) are pure functions of these records,
so every KPI can be explained from one row per ticket (and exported as a DataFrame).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from uuid import UUID

import attrs

from ticketlog.domain.events import (
    AgentJoined,
    AgentProfileChanged,
    TicketAbandoned,
    TicketAssigned,
    TicketAwaitingCustomer,
    TicketClosed,
    TicketCustomerReplied,
    TicketDeescalated,
    TicketEscalated,
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
from ticketlog.domain.values import Channel, Priority, TicketStatus
from ticketlog.projections import spells
from ticketlog.projections.base import Reducer, on
from ticketlog.projections.sla_clock import Pauses, paused, resumed


@attrs.define(slots=True)
class TicketFacts:
    """What happened to one ticket, as of the latest event folded."""

    ticket_id: UUID
    channel: Channel
    category: str
    priority: Priority
    """The ticket's current priority (after any reprioritisation)."""
    language: str
    plan: str | None
    customer_value: float
    first_time: bool
    queue: str
    """The queue the ticket is in now (or was in when it left)."""
    tier: int
    """The tier the ticket is at now (after escalations)."""
    received_at: datetime
    source: str | None = None
    """Where an imported ticket was recorded (``None``: a live ticket)."""
    source_id: str | None = None
    """The ticket's id in its source system."""
    status: TicketStatus = TicketStatus.WAITING
    first_assigned_at: datetime | None = None
    first_agent_id: UUID | None = None
    first_response_at: datetime | None = None
    """First public reply by an agent."""
    resolved_at: datetime | None = None
    """Latest resolution."""
    resolver_id: UUID | None = None
    """The agent of the latest resolution (``None``: the system, in a recorded history)."""
    resolver_team: str | None = None
    resolutions: int = 0
    closed_at: datetime | None = None
    abandoned_at: datetime | None = None
    transfers: int = 0
    escalations: int = 0
    reopens: int = 0
    reassignments: int = 0
    deescalations: int = 0
    handle_time: timedelta = timedelta(0)
    """Sum of the assignment spells that have ended (:mod:`ticketlog.projections.spells`)."""
    holder_id: UUID | None = None
    """Who holds the ticket now."""
    spell_start: datetime | None = None
    """When the running spell began (``None``: nobody holds the ticket)."""
    pauses: Pauses = ()
    """Times the ticket awaited the customer (its SLA clock stopped), oldest first."""
    csat: int | None = None
    """Latest CSAT rating."""
    nps: int | None = None
    """Latest NPS rating."""

    @property
    def wait(self) -> timedelta | None:
        """Received to first assignment (speed of answer)."""
        return None if self.first_assigned_at is None else self.first_assigned_at - self.received_at

    @property
    def first_reply_time(self) -> timedelta | None:
        """Received to first public reply."""
        return None if self.first_response_at is None else self.first_response_at - self.received_at

    @property
    def resolution_time(self) -> timedelta | None:
        """Received to latest resolution."""
        return None if self.resolved_at is None else self.resolved_at - self.received_at

    @property
    def first_contact_resolution(self) -> bool:
        """Resolved by the first agent who held it, with no handoff (transfer, reassignment,
        escalation, de-escalation) and no reopen."""
        return (
            self.is_resolved
            and self.resolver_id is not None
            and self.resolver_id == self.first_agent_id
            and self.transfers == 0
            and self.reassignments == 0
            and self.escalations == 0
            and self.deescalations == 0
            and self.reopens == 0
        )

    @property
    def is_resolved(self) -> bool:
        """Resolved at least once and not open again (resolved, or closed after a resolution)."""
        return self.resolutions > 0 and not self.is_open

    @property
    def is_open(self) -> bool:
        """Waiting or assigned."""
        return self.status in (TicketStatus.WAITING, TicketStatus.ASSIGNED)


class TicketFactsProjection(Reducer):
    """Folds ticket events into :class:`TicketFacts`, one per ticket."""

    def __init__(self) -> None:
        self.tickets: dict[UUID, TicketFacts] = {}
        self.teams: dict[UUID, str] = {}
        """Agent id to the agent's current team."""

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TicketFactsProjection)
            and self.tickets == other.tickets
            and self.teams == other.teams
        )

    __hash__ = None  # type: ignore[assignment]

    def __iter__(self) -> Iterator[TicketFacts]:
        return iter(self.tickets.values())

    def __len__(self) -> int:
        return len(self.tickets)

    @on(TicketReceived)
    def _received(self, event: TicketReceived) -> None:
        self.tickets[event.originator_id] = TicketFacts(
            ticket_id=event.originator_id,
            channel=event.channel,
            category=event.category,
            priority=event.priority,
            language=event.language,
            plan=event.plan,
            customer_value=event.customer_value,
            first_time=event.first_time,
            queue=event.queue,
            tier=event.tier,
            received_at=event.at,
            source=event.source,
            source_id=event.source_id,
        )

    @on(AgentJoined, AgentProfileChanged)
    def _profile(self, event: AgentJoined | AgentProfileChanged) -> None:
        self.teams[event.originator_id] = event.profile.team

    @on(TicketAssigned)
    def _assigned(self, event: TicketAssigned) -> None:
        self.assigned(event.originator_id, event.agent_id, event.at)

    @on(TicketResponded)
    def _responded(self, event: TicketResponded) -> None:
        if event.public:
            self.replied(event.originator_id, event.at)

    @on(TicketTransferred)
    def _transferred(self, event: TicketTransferred) -> None:
        self.transferred(event.originator_id, event.to_queue, event.to_agent_id, event.at)

    @on(TicketReassigned)
    def _reassigned(self, event: TicketReassigned) -> None:
        self.reassigned(event.originator_id, event.to_agent_id, event.at)

    @on(TicketReleased)
    def _released(self, event: TicketReleased) -> None:
        self.released(event.originator_id, event.at)

    @on(TicketEscalated)
    def _escalated(self, event: TicketEscalated) -> None:
        self.escalated(event.originator_id, event.to_queue, event.to_tier, event.at)

    @on(TicketDeescalated)
    def _deescalated(self, event: TicketDeescalated) -> None:
        self.deescalated(event.originator_id, event.to_queue, event.to_tier, event.at)

    @on(TicketResolved)
    def _resolved(self, event: TicketResolved) -> None:
        self.resolved(event.originator_id, event.actor_id, event.at)

    # The folds of the events above, callable without an event (the simulation's fast mode).

    def assigned(self, ticket_id: UUID, agent_id: UUID, at: datetime) -> None:
        """``agent_id`` took the ticket."""
        self._take(self.tickets[ticket_id], agent_id, at)

    def replied(self, ticket_id: UUID, at: datetime) -> None:
        """An agent replied publicly."""
        facts = self.tickets[ticket_id]
        if facts.first_response_at is None:
            facts.first_response_at = at

    def transferred(
        self, ticket_id: UUID, to_queue: str, to_agent_id: UUID | None, at: datetime
    ) -> None:
        """The ticket moved to ``to_queue`` (and to ``to_agent_id``, if given)."""
        facts = self.tickets[ticket_id]
        facts.transfers += 1
        facts.queue = to_queue
        if to_agent_id is None:
            self._wait(facts, at)
        else:  # handed straight to an agent: served
            self._take(facts, to_agent_id, at)

    def reassigned(self, ticket_id: UUID, to_agent_id: UUID, at: datetime) -> None:
        """The ticket passed straight to ``to_agent_id`` within its queue."""
        facts = self.tickets[ticket_id]
        facts.reassignments += 1
        self._take(facts, to_agent_id, at)

    def released(self, ticket_id: UUID, at: datetime) -> None:
        """The holder put the ticket back in its queue."""
        self._wait(self.tickets[ticket_id], at)

    def deescalated(self, ticket_id: UUID, to_queue: str, to_tier: int, at: datetime) -> None:
        """The ticket moved down to ``to_tier`` and waits in ``to_queue``."""
        facts = self.tickets[ticket_id]
        facts.deescalations += 1
        facts.queue, facts.tier = to_queue, to_tier
        self._wait(facts, at)

    def escalated(self, ticket_id: UUID, to_queue: str, to_tier: int, at: datetime) -> None:
        """The ticket moved up to ``to_tier`` and waits in ``to_queue``."""
        facts = self.tickets[ticket_id]
        facts.escalations += 1
        facts.queue, facts.tier = to_queue, to_tier
        self._wait(facts, at)

    def resolved(self, ticket_id: UUID, agent_id: UUID | None, at: datetime) -> None:
        """``agent_id`` resolved the ticket (``None``: the system, in a recorded history)."""
        facts = self.tickets[ticket_id]
        spells.hold(facts, None, at)
        facts.resolutions += 1
        facts.resolved_at = at
        facts.resolver_id = agent_id
        facts.resolver_team = None if agent_id is None else self.teams.get(agent_id)
        facts.status = TicketStatus.RESOLVED

    @on(TicketRated)
    def _rated(self, event: TicketRated) -> None:
        self.rated(event.originator_id, event.csat, event.nps)

    def rated(self, ticket_id: UUID, csat: int | None, nps: int | None = None) -> None:
        """The customer rated the ticket."""
        facts = self.tickets[ticket_id]
        if csat is not None:
            facts.csat = csat
        if nps is not None:
            facts.nps = nps

    @on(TicketClosed)
    def _closed(self, event: TicketClosed) -> None:
        self.closed(event.originator_id, event.at)

    def closed(self, ticket_id: UUID, at: datetime) -> None:
        """No further action is possible on the ticket."""
        facts = self.tickets[ticket_id]
        spells.hold(facts, None, at)
        facts.closed_at = at
        facts.status = TicketStatus.CLOSED

    @on(TicketAbandoned)
    def _abandoned(self, event: TicketAbandoned) -> None:
        self.abandoned(event.originator_id, event.at)

    def abandoned(self, ticket_id: UUID, at: datetime) -> None:
        """The customer gave up (in a recorded history, possibly while someone held it)."""
        facts = self.tickets[ticket_id]
        spells.hold(facts, None, at)
        facts.abandoned_at = at
        facts.status = TicketStatus.ABANDONED

    @on(TicketAwaitingCustomer)
    def _awaiting(self, event: TicketAwaitingCustomer) -> None:
        self.awaiting(event.originator_id, event.at)

    @on(TicketCustomerReplied)
    def _customer_replied(self, event: TicketCustomerReplied) -> None:
        self.customer_replied(event.originator_id, event.at)

    def awaiting(self, ticket_id: UUID, at: datetime) -> None:
        """The ticket awaits the customer (or a third party): its SLA clock stops."""
        facts = self.tickets[ticket_id]
        facts.pauses = paused(facts.pauses, at)

    def customer_replied(self, ticket_id: UUID, at: datetime) -> None:
        """The awaited party wrote back: the SLA clock runs again."""
        facts = self.tickets[ticket_id]
        facts.pauses = resumed(facts.pauses, at)

    @on(TicketReopened)
    def _reopened(self, event: TicketReopened) -> None:
        self.reopened(event.originator_id, event.at)

    def reopened(self, ticket_id: UUID, at: datetime) -> None:
        """The customer reopened the ticket."""
        facts = self.tickets[ticket_id]
        spells.hold(facts, None, at)
        facts.reopens += 1
        facts.status = TicketStatus.WAITING
        facts.pauses = resumed(facts.pauses, at)  # resolved while awaiting the customer

    @on(TicketReprioritised)
    def _reprioritised(self, event: TicketReprioritised) -> None:
        self.tickets[event.originator_id].priority = event.new

    @staticmethod
    def _wait(facts: TicketFacts, at: datetime) -> None:
        """Nobody holds the ticket from ``at``: it waits."""
        spells.hold(facts, None, at)
        facts.status = TicketStatus.WAITING

    @staticmethod
    def _take(facts: TicketFacts, agent_id: UUID, at: datetime) -> None:
        """``agent_id`` holds the ticket from ``at`` (the first holder serves it)."""
        if facts.first_agent_id is None:
            facts.first_agent_id = agent_id
            facts.first_assigned_at = at
        spells.hold(facts, agent_id, at)
        facts.status = TicketStatus.ASSIGNED
