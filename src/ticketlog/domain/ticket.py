"""The ticket aggregate: its state, the fold of its events, and its commands.

Each command checks the lifecycle table (:mod:`ticketlog.domain.lifecycle`) and its own
rules, then records one event. A rejected command raises a
:class:`~ticketlog.domain.errors.CommandRejected` and records nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

import attrs

from ticketlog.domain.agent import AgentState
from ticketlog.domain.aggregate import Aggregate, replacer, strict_int
from ticketlog.domain.errors import (
    AgentAtCapacity,
    AgentLacksSkill,
    AgentNotEligible,
    AgentOffline,
    AlreadyEscalated,
    AlreadyRated,
    InvalidTransition,
    InvalidValue,
    NotTheHolder,
    SameTarget,
    TierTooLow,
)
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
from ticketlog.domain.lifecycle import Command, check_allowed
from ticketlog.domain.values import (
    AssignedBy,
    Channel,
    EscalationKind,
    Priority,
    SlaTarget,
    TicketStatus,
)


@attrs.frozen
class TicketState:
    """A ticket as it stands after its latest event."""

    id: UUID
    status: TicketStatus
    channel: Channel
    customer_id: str
    category: str
    priority: Priority
    language: str
    plan: str | None
    customer_value: float
    first_time: bool
    estimated_effort: timedelta | None
    subject: str
    required_skills: frozenset[str]
    queue: str
    tier: int
    received_at: datetime
    last_at: datetime
    source: str | None = None
    """Where an imported ticket was recorded (``None`` for live tickets)."""
    source_id: str | None = None
    """The ticket's id in its source system."""
    agent_id: UUID | None = None
    """The agent holding the ticket now, if any."""
    last_agent_id: UUID | None = None
    """The agent who held the ticket most recently (kept after resolution, for affinity)."""
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    """Time of the latest resolution."""
    rated: bool = False
    """Whether the latest resolution was rated."""
    csat: int | None = None
    """The latest CSAT score given (kept across reopens)."""
    nps: int | None = None
    """The latest NPS score given (kept across reopens)."""
    transfers: int = 0
    escalations: int = 0
    reopens: int = 0
    reassignments: int = 0
    deescalations: int = 0
    awaiting_customer: bool = False
    """Whether the ticket waits on the customer (its SLA clock is stopped)."""
    escalated_breaches: frozenset[SlaTarget] = frozenset()
    """SLA targets whose miss was escalated automatically already."""

    @property
    def is_open(self) -> bool:
        """Waiting or assigned: work remains to be done."""
        return self.status in (TicketStatus.WAITING, TicketStatus.ASSIGNED)


_evolve = replacer(TicketState)
"""``attrs.evolve`` for TicketState, fast (the fold makes one per event)."""


class RoutableAgent(Protocol):
    """What eligibility needs to know of an agent (an ``AgentState`` or a ``Workload``)."""

    @property
    def name(self) -> str: ...
    @property
    def online(self) -> bool: ...
    @property
    def capacity(self) -> int: ...
    @property
    def tier(self) -> int: ...
    @property
    def skills(self) -> frozenset[str]: ...
    @property
    def languages(self) -> frozenset[str]: ...


class RoutableTicket(Protocol):
    """What eligibility needs to know of a ticket (a ``TicketState`` or a queued ticket)."""

    @property
    def tier(self) -> int: ...
    @property
    def required_skills(self) -> frozenset[str]: ...
    @property
    def language(self) -> str: ...


def availability_error(agent: RoutableAgent, holding: int) -> AgentNotEligible | None:
    """Why ``agent``, holding ``holding`` tickets, can take no ticket at all (or ``None``)."""
    if not agent.online:
        return AgentOffline(f"agent {agent.name!r} is offline")
    if holding >= agent.capacity:
        return AgentAtCapacity(f"agent {agent.name!r} holds {holding} of {agent.capacity} tickets")
    return None


def eligibility_error(
    agent: RoutableAgent, ticket: RoutableTicket, holding: int
) -> AgentNotEligible | None:
    """Why ``agent``, holding ``holding`` tickets, cannot take ``ticket`` (``None`` if they can)."""
    unavailable = availability_error(agent, holding)
    if unavailable is not None:
        return unavailable
    if agent.tier < ticket.tier:
        return TierTooLow(
            f"agent {agent.name!r} is tier {agent.tier}; the ticket is tier {ticket.tier}"
        )
    missing = ticket.required_skills - agent.skills
    if missing:
        return AgentLacksSkill(f"agent {agent.name!r} lacks skills {sorted(missing)}")
    if ticket.language not in agent.languages:
        return AgentLacksSkill(f"agent {agent.name!r} does not speak {ticket.language!r}")
    return None


def check_eligible(agent: RoutableAgent, ticket: RoutableTicket, holding: int) -> None:
    """Raise the specific :class:`AgentNotEligible` if ``agent`` cannot take ``ticket``."""
    error = eligibility_error(agent, ticket, holding)
    if error is not None:
        raise error


def _received(event: TicketEvent) -> TicketState:
    """The state of a ticket just received."""
    if not isinstance(event, TicketReceived):
        msg = f"a ticket's history starts with TicketReceived, not {event.event_type}"
        raise TypeError(msg)
    return TicketState(
        id=event.originator_id,
        status=TicketStatus.WAITING,
        channel=event.channel,
        customer_id=event.customer_id,
        category=event.category,
        priority=event.priority,
        language=event.language,
        plan=event.plan,
        customer_value=event.customer_value,
        first_time=event.first_time,
        estimated_effort=event.estimated_effort,
        subject=event.subject,
        required_skills=event.required_skills,
        queue=event.queue,
        tier=event.tier,
        received_at=event.at,
        last_at=event.at,
        source=event.source,
        source_id=event.source_id,
    )


class Ticket(Aggregate[TicketState, TicketEvent]):
    """One customer request, from receipt to closure."""

    __slots__ = ()
    event_base = TicketEvent

    # --- the fold ----------------------------------------------------------------

    @classmethod
    def evolve(cls, state: TicketState | None, event: TicketEvent) -> TicketState:  # noqa: PLR0911, PLR0912 - one case per event type
        """Fold one ticket event into the ticket's state."""
        if state is None:
            return _received(event)
        at = event.at
        match event:
            case TicketAssigned():
                return _evolve(
                    state,
                    status=TicketStatus.ASSIGNED,
                    agent_id=event.agent_id,
                    last_agent_id=event.agent_id,
                    last_at=at,
                )
            case TicketResponded():
                first = state.first_response_at
                if first is None and event.public:
                    first = at
                return _evolve(state, first_response_at=first, last_at=at)
            case TicketTransferred():
                to_agent = event.to_agent_id
                return _evolve(
                    state,
                    status=TicketStatus.WAITING if to_agent is None else TicketStatus.ASSIGNED,
                    agent_id=to_agent,
                    last_agent_id=to_agent or state.last_agent_id,
                    queue=event.to_queue,
                    transfers=state.transfers + 1,
                    last_at=at,
                )
            case TicketReassigned():
                return _evolve(
                    state,
                    status=TicketStatus.ASSIGNED,
                    agent_id=event.to_agent_id,
                    last_agent_id=event.to_agent_id,
                    reassignments=state.reassignments + 1,
                    last_at=at,
                )
            case TicketReleased():
                return _evolve(state, status=TicketStatus.WAITING, agent_id=None, last_at=at)
            case TicketDeescalated():
                return _evolve(
                    state,
                    status=TicketStatus.WAITING,
                    agent_id=None,
                    tier=event.to_tier,
                    queue=event.to_queue,
                    deescalations=state.deescalations + 1,
                    last_at=at,
                )
            case TicketEscalated():
                breaches = state.escalated_breaches
                if event.breach is not None:
                    breaches = breaches | {event.breach}
                return _evolve(
                    state,
                    status=TicketStatus.WAITING,
                    agent_id=None,
                    tier=event.to_tier,
                    queue=event.to_queue,
                    escalations=state.escalations + 1,
                    escalated_breaches=breaches,
                    last_at=at,
                )
            case TicketAwaitingCustomer():
                return _evolve(state, awaiting_customer=True, last_at=at)
            case TicketCustomerReplied():
                return _evolve(state, awaiting_customer=False, last_at=at)
            case TicketResolved():
                return _evolve(
                    state, status=TicketStatus.RESOLVED, agent_id=None, resolved_at=at, last_at=at
                )
            case TicketReopened():
                return _evolve(
                    state,
                    status=TicketStatus.WAITING,
                    agent_id=None,
                    awaiting_customer=False,
                    rated=False,
                    reopens=state.reopens + 1,
                    last_at=at,
                )
            case TicketRated():
                return _evolve(
                    state,
                    rated=True,
                    csat=state.csat if event.csat is None else event.csat,
                    nps=state.nps if event.nps is None else event.nps,
                    last_at=at,
                )
            case TicketClosed():
                return _evolve(state, status=TicketStatus.CLOSED, agent_id=None, last_at=at)
            case TicketAbandoned():
                return _evolve(state, status=TicketStatus.ABANDONED, agent_id=None, last_at=at)
            case TicketReprioritised():
                return _evolve(state, priority=event.new, last_at=at)
        msg = f"{event.event_type} does not belong to a ticket's history"
        raise TypeError(msg)

    # --- commands ----------------------------------------------------------------

    @classmethod
    def receive(
        cls,
        *,
        ticket_id: UUID,
        at: datetime,
        channel: Channel | str,
        customer_id: str,
        **attributes: Any,
    ) -> Ticket:
        """A request becomes a ticket waiting in its queue.

        ``attributes`` are the optional fields of
        :class:`~ticketlog.domain.events.TicketReceived` (category, priority, language, plan,
        customer_value, first_time, estimated_effort, subject, queue, tier, required_skills).
        """
        return cls._create(
            TicketReceived,
            originator_id=ticket_id,
            at=at,
            channel=channel,
            customer_id=customer_id,
            **attributes,
        )

    def assign(
        self,
        agent: AgentState,
        *,
        holding: int,
        at: datetime,
        by: AssignedBy | str = AssignedBy.SELF,
        actor_id: UUID | None = None,
        policy: str | None = None,
    ) -> None:
        """Give the waiting ticket to ``agent``, who holds ``holding`` tickets already.

        ``actor_id`` defaults to the agent when they take it themselves (``by`` self).
        """
        check_allowed(self.state.status, Command.ASSIGN)
        check_eligible(agent, self.state, holding)
        if actor_id is None and by == AssignedBy.SELF:
            actor_id = agent.id
        self._trigger(
            TicketAssigned, at=at, agent_id=agent.id, by=by, actor_id=actor_id, policy=policy
        )

    def respond(self, *, agent_id: UUID, at: datetime, public: bool = True) -> None:
        """The holding agent replies to the customer (or, with ``public=False``, notes)."""
        check_allowed(self.state.status, Command.RESPOND)
        self._check_holder(agent_id)
        self._trigger(TicketResponded, at=at, actor_id=agent_id, public=public)

    def transfer(
        self,
        *,
        at: datetime,
        to_agent: AgentState | None = None,
        to_agent_holding: int = 0,
        to_queue: str | None = None,
        actor_id: UUID | None = None,
        reason: str = "",
    ) -> None:
        """Move the ticket to another agent and/or queue, keeping its tier.

        With ``to_agent`` the ticket is held by them (they must be eligible, unless they
        hold it already and only the queue changes); without it, it waits unassigned in
        ``to_queue``. ``to_agent_holding`` counts the tickets ``to_agent`` holds besides
        this one.
        """
        state = self.state
        check_allowed(state.status, Command.TRANSFER)
        queue = state.queue if to_queue is None else to_queue
        to_agent_id = None if to_agent is None else to_agent.id
        if (to_agent_id, queue) == (state.agent_id, state.queue):
            msg = "a transfer must name another agent or another queue"
            raise SameTarget(msg)
        if to_agent is not None and to_agent_id != state.agent_id:
            check_eligible(to_agent, state, to_agent_holding)
        self._trigger(
            TicketTransferred,
            at=at,
            actor_id=actor_id,
            from_agent_id=state.agent_id,
            to_agent_id=to_agent_id,
            from_queue=state.queue,
            to_queue=queue,
            reason=reason,
        )

    def reassign(
        self,
        to_agent: AgentState,
        *,
        to_agent_holding: int,
        at: datetime,
        actor_id: UUID | None = None,
        reason: str = "",
    ) -> None:
        """Pass the held ticket to another person of its queue and tier (an assignee change).

        ``to_agent`` must be eligible, like for :meth:`assign`, and someone other than the
        holder (:class:`SameTarget`); ``to_agent_holding`` counts the tickets they hold.
        """
        state = self.state
        check_allowed(state.status, Command.REASSIGN)
        if to_agent.id == state.agent_id:
            msg = f"agent {to_agent.name!r} holds the ticket already"
            raise SameTarget(msg)
        check_eligible(to_agent, state, to_agent_holding)
        self._trigger(
            TicketReassigned,
            at=at,
            actor_id=actor_id,
            from_agent_id=state.agent_id,
            to_agent_id=to_agent.id,
            reason=reason,
        )

    def release(self, *, agent_id: UUID, at: datetime, reason: str = "") -> None:
        """The holding agent puts the ticket back in its queue, where it waits unassigned."""
        check_allowed(self.state.status, Command.RELEASE)
        self._check_holder(agent_id)
        self._trigger(
            TicketReleased, at=at, actor_id=agent_id, from_agent_id=agent_id, reason=reason
        )

    def escalate(
        self,
        *,
        at: datetime,
        kind: EscalationKind | str,
        to_tier: int | None = None,
        to_queue: str | None = None,
        actor_id: UUID | None = None,
        reason: str = "",
        breach: SlaTarget | str | None = None,
    ) -> None:
        """Move the ticket up a tier or to a specialised queue, where it waits unassigned.

        ``to_tier`` defaults to the next tier, except for functional escalations, which
        default to the same tier (another team). An escalation never lowers the tier.
        ``breach`` names the SLA target whose miss triggers an automatic escalation;
        each breach is escalated at most once (:class:`AlreadyEscalated`).
        """
        state = self.state
        check_allowed(state.status, Command.ESCALATE)
        if breach is not None:
            if kind != EscalationKind.AUTOMATIC:
                msg = "only automatic escalations name an SLA breach"
                raise InvalidValue(msg)
            if breach in state.escalated_breaches:
                msg = f"the {breach} breach of ticket {self.label} was escalated already"
                raise AlreadyEscalated(msg)
        if to_tier is None:
            to_tier = state.tier if kind == EscalationKind.FUNCTIONAL else state.tier + 1
        else:
            to_tier = strict_int(to_tier, "to_tier")
        queue = state.queue if to_queue is None else to_queue
        if to_tier < state.tier:
            msg = f"an escalation cannot lower the tier ({state.tier} to {to_tier}); "
            msg += "deescalate instead"
            raise InvalidValue(msg)
        if (to_tier, queue) == (state.tier, state.queue):
            msg = "an escalation must name a higher tier or another queue"
            raise SameTarget(msg)
        self._trigger(
            TicketEscalated,
            at=at,
            actor_id=actor_id,
            kind=kind,
            from_tier=state.tier,
            to_tier=to_tier,
            from_queue=state.queue,
            to_queue=queue,
            from_agent_id=state.agent_id,
            reason=reason,
            breach=breach,
        )

    def deescalate(
        self,
        *,
        at: datetime,
        to_tier: int | None = None,
        to_queue: str | None = None,
        actor_id: UUID | None = None,
        reason: str = "",
    ) -> None:
        """Move the ticket down a tier (default: the next lower), where it waits unassigned.

        A de-escalation must lower the tier (:class:`InvalidValue` otherwise); ``to_queue``
        defaults to the ticket's queue.
        """
        state = self.state
        check_allowed(state.status, Command.DEESCALATE)
        to_tier = state.tier - 1 if to_tier is None else strict_int(to_tier, "to_tier")
        if not 0 <= to_tier < state.tier:
            msg = f"a de-escalation must lower the tier (from {state.tier} to {to_tier})"
            raise InvalidValue(msg)
        self._trigger(
            TicketDeescalated,
            at=at,
            actor_id=actor_id,
            from_tier=state.tier,
            to_tier=to_tier,
            from_queue=state.queue,
            to_queue=state.queue if to_queue is None else to_queue,
            from_agent_id=state.agent_id,
            reason=reason,
        )

    def await_customer(self, *, agent_id: UUID, at: datetime, reason: str = "") -> None:
        """The holding agent waits on the customer; the SLA clock stops."""
        check_allowed(self.state.status, Command.AWAIT_CUSTOMER)
        self._check_holder(agent_id)
        if self.state.awaiting_customer:
            msg = "the ticket awaits the customer already"
            raise InvalidTransition(msg)
        self._trigger(TicketAwaitingCustomer, at=at, actor_id=agent_id, reason=reason)

    def customer_replied(self, *, at: datetime) -> None:
        """The customer wrote back; a stopped SLA clock runs again."""
        check_allowed(self.state.status, Command.CUSTOMER_REPLIED)
        self._trigger(TicketCustomerReplied, at=at)

    def resolve(self, *, agent_id: UUID, at: datetime, code: str = "solved") -> None:
        """The holding agent gives a solution."""
        check_allowed(self.state.status, Command.RESOLVE)
        self._check_holder(agent_id)
        self._trigger(TicketResolved, at=at, actor_id=agent_id, code=code)

    def reopen(self, *, at: datetime, reason: str = "") -> None:
        """The customer comes back after a resolution; the ticket waits in its queue."""
        check_allowed(self.state.status, Command.REOPEN)
        self._trigger(TicketReopened, at=at, reason=reason)

    def rate(
        self, *, at: datetime, csat: int | None = None, nps: int | None = None, comment: str = ""
    ) -> None:
        """The customer rates the latest resolution (once per resolution)."""
        check_allowed(self.state.status, Command.RATE)
        if self.state.rated:
            msg = "this resolution is rated already"
            raise AlreadyRated(msg)
        self._trigger(TicketRated, at=at, csat=csat, nps=nps, comment=comment)

    def close(self, *, at: datetime, actor_id: UUID | None = None, reason: str = "") -> None:
        """No further action is possible; the ticket accepts nothing after this."""
        check_allowed(self.state.status, Command.CLOSE)
        self._trigger(TicketClosed, at=at, actor_id=actor_id, reason=reason)

    def abandon(self, *, at: datetime) -> None:
        """The customer gives up while the ticket waits."""
        check_allowed(self.state.status, Command.ABANDON)
        self._trigger(TicketAbandoned, at=at)

    def reprioritise(
        self,
        *,
        at: datetime,
        priority: Priority | str,
        actor_id: UUID | None = None,
        reason: str = "",
    ) -> None:
        """Change the ticket's priority."""
        state = self.state
        check_allowed(state.status, Command.REPRIORITISE)
        if priority == state.priority:
            msg = f"the ticket's priority is {state.priority} already"
            raise SameTarget(msg)
        self._trigger(
            TicketReprioritised,
            at=at,
            actor_id=actor_id,
            old=state.priority,
            new=priority,
            reason=reason,
        )

    def record(self, event_class: type[TicketEvent], *, at: datetime, **fields: Any) -> None:
        """Record a fact of a history that happened elsewhere (an import), as it happened.

        Live-desk rules (lifecycle, eligibility, holder) judge commands, not the record of
        the past: only the event's own validation and the time order of the ticket's
        history apply. The importer decides which facts a source row stands for.
        """
        self._trigger(event_class, at=at, **fields)

    @property
    def label(self) -> str:
        """How messages name the ticket: its source system's id if imported, else its id."""
        state = self.state
        return str(state.id) if state.source_id is None else f"{state.source_id} ({state.id})"

    def _check_holder(self, agent_id: UUID) -> None:
        if agent_id != self.state.agent_id:
            msg = f"agent {agent_id} does not hold ticket {self.label}"
            raise NotTheHolder(msg)
