"""The two ways a simulated desk keeps its books: as domain events, or fast.

The engine (:mod:`ticketlog.simulation.engine`) decides when things happen; a desk
records them and answers one question, "which ticket does this agent take next?".

- :class:`EventDesk` emits the domain events a live desk records and folds them into a
  :class:`~ticketlog.projections.view.DeskView`; the policy decides from the view's
  queues and workloads, exactly as on a live desk. Any pull policy works.
- :class:`FastDesk` records no events. It calls the folds of the ticket facts, agent
  workloads and backlog directly (the same code the events reach) and keeps waiting
  tickets in heaps per class ordered by the policy's key
  (:class:`~ticketlog.simulation.waiting.WaitingTickets`). It runs the policies that
  :func:`~ticketlog.policies.reads.runs_fast` accepts — keyed, reading only what it keeps
  exact (every built-in pull policy but ``affinity``) — and gives the same facts, hence
  the same KPIs, as the event desk (tests check it ticket by ticket).

A desk also tells the engine which idle agents a ticket joining the queues could concern
(:meth:`Desk.agent_class`, :meth:`Desk.classes_taking`), so only those look again.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable, Iterable
from datetime import datetime
from typing import Any, Literal, Protocol
from uuid import UUID

import attrs

from ticketlog.domain.errors import ConfigurationError
from ticketlog.domain.events import (
    AgentJoined,
    AgentWentOffline,
    AgentWentOnline,
    DomainEvent,
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
    TicketResolved,
    TicketResponded,
    TicketTransferred,
)
from ticketlog.domain.values import AssignedBy, AwaitedParty, EscalationKind, SlaTarget
from ticketlog.policies.escalation import Step, breach_reason
from ticketlog.policies.protocol import PullPolicy
from ticketlog.policies.reads import runs_fast, stages_of
from ticketlog.projections.backlog import Backlog
from ticketlog.projections.facts import TicketFacts, TicketFactsProjection
from ticketlog.projections.queues import (
    QueuedTicket,
    awaiting,
    escalated,
    held,
    received,
    replied,
    requeued,
    resumed,
)
from ticketlog.projections.sla import SlaTargets
from ticketlog.projections.view import DeskView
from ticketlog.projections.workloads import Workload, Workloads
from ticketlog.simulation.scenario import AgentSpec, Arrival
from ticketlog.simulation.start import StartState
from ticketlog.simulation.waiting import StagedWaiting, WaitingTickets

MoveKind = Literal["transfer", "escalate", "deescalate", "release"]
"""How a holder moves a ticket on to wait elsewhere (or where it is: a release)."""


def active(workload: Workload, paused: set[UUID]) -> Workload:
    """``workload`` as a decision reads it: tickets awaiting the customer are out of the
    holder's active work, so they take no capacity (the staffing a replay infers counts
    active work only, :mod:`ticketlog.simulation.staffing`)."""
    if not paused or paused.isdisjoint(workload.held):
        return workload
    return attrs.evolve(workload, held=workload.held - paused)


class Desk(Protocol):
    """What the engine asks of a desk's books."""

    facts: TicketFactsProjection
    workloads: Workloads
    backlog: Backlog
    sla: SlaTargets

    def join(self, spec: AgentSpec, at: datetime) -> None:
        """An agent joined (offline)."""

    def resume(self, state: StartState) -> None:
        """Continue the books of ``state.view`` (copied): its tickets, agents and backlog."""

    def presence(self, agent_id: UUID, online: bool, at: datetime) -> None:
        """An agent went online or offline."""

    def receive(self, arrival: Arrival) -> None:
        """A ticket arrived and waits."""

    def next_for(self, agent_id: UUID, now: datetime) -> UUID | None:
        """The waiting ticket the policy gives ``agent_id`` (not yet assigned), if any."""

    def agent_class(self, agent_id: UUID, now: datetime) -> Hashable:
        """What of the agent the policy's verdicts depend on, as of ``now``."""

    def classes_taking(self, ticket_id: UUID, agent_classes: Iterable[Hashable]) -> list[Hashable]:
        """Those of ``agent_classes`` whose agents may take the waiting ticket (all of them
        when the desk cannot tell: they look)."""

    def assign(self, ticket_id: UUID, agent_id: UUID, at: datetime) -> None:
        """The agent takes the ticket and replies to the customer at once."""

    def move(
        self,
        ticket_id: UUID,
        agent_id: UUID | None,
        kind: MoveKind,
        to: tuple[str, int],
        at: datetime,
    ) -> None:
        """The holder (``agent_id``; ``None``: nobody holds it) transfers, escalates (an
        escalation to a higher tier is hierarchical, else functional), de-escalates or
        releases the ticket to ``to`` (queue, tier); it waits again."""

    def hand_to(
        self, ticket_id: UUID, agent_id: UUID | None, to_agent_id: UUID, queue: str, at: datetime
    ) -> None:
        """The ticket passes straight to ``to_agent_id`` in ``queue`` (from its holder
        ``agent_id``, or from the queue if ``None``): a reassignment within its queue, else
        a transfer; the new holder replies to the customer if nobody has yet."""

    def await_customer(self, ticket_id: UUID, party: AwaitedParty, at: datetime) -> None:
        """The ticket awaits ``party``: its SLA clock stops, and it leaves its holder's
        active work (or, waiting, cannot be taken) until :meth:`customer_replied`."""

    def customer_replied(self, ticket_id: UUID, at: datetime) -> None:
        """The awaited party wrote back: the ticket is worked (or may be taken) again."""

    def resolve(self, ticket_id: UUID, agent_id: UUID, at: datetime) -> None:
        """The agent resolved the ticket."""

    def close(self, ticket_id: UUID, agent_id: UUID, at: datetime) -> None:
        """The agent closed the ticket without resolving it (again)."""

    def forget(self, ticket_id: UUID) -> None:
        """The resolved ticket is done for good (no reopen, no rating to come)."""

    def reopen(self, ticket_id: UUID, at: datetime) -> None:
        """The customer reopened the ticket; it waits again."""

    def rate(self, ticket_id: UUID, csat: int, at: datetime) -> None:
        """The customer rated the ticket."""

    def record(self, ticket_id: UUID) -> QueuedTicket:
        """The open ticket as routing sees it (its SLA deadlines follow from it)."""

    def escalate(
        self, ticket_id: UUID, to: Step, breach: tuple[SlaTarget, datetime], at: datetime
    ) -> None:
        """The escalator moved the ticket to ``to`` for ``breach`` (target, deadline); a held
        ticket leaves its agent. It waits again."""

    def abandon(self, ticket_id: UUID, at: datetime) -> None:
        """The waiting customer gave up."""


class EventDesk:
    """Books kept as domain events, folded into a :class:`DeskView` (see module docstring)."""

    def __init__(self, policy: PullPolicy, sla: SlaTargets) -> None:
        self.policy = policy
        self.sla = sla
        self.view = DeskView(sla=sla)
        self.facts = self.view.facts
        self.workloads = self.view.workloads
        self.backlog = self.view.backlog
        self.events: list[DomainEvent] = []
        self._versions: dict[UUID, int] = {}
        self._paused: set[UUID] = set()
        """Tickets awaiting the customer: out of their holder's active work, or not offered."""

    def _emit(
        self, event_type: type[DomainEvent], originator_id: UUID, at: datetime, /, **fields: Any
    ) -> None:
        """Record one event (the next version of its originator) and fold it."""
        version = self._versions.get(originator_id, 0) + 1
        self._versions[originator_id] = version
        event = event_type(originator_id=originator_id, originator_version=version, at=at, **fields)
        self.events.append(event)
        self.view.apply(event)

    def resume(self, state: StartState) -> None:
        """Continue the books of ``state.view`` (copied); the run's events follow them.

        Event versions restart from 1: the events continue the view, not a store's log.
        """
        self.view = copy.deepcopy(state.view)
        self.facts, self.workloads = self.view.facts, self.view.workloads
        self.backlog = self.view.backlog

    def join(self, spec: AgentSpec, at: datetime) -> None:
        """An agent joined (offline)."""
        self._emit(AgentJoined, spec.agent_id, at, name=spec.name, profile=spec.profile)

    def presence(self, agent_id: UUID, online: bool, at: datetime) -> None:
        """An agent went online or offline."""
        self._emit(AgentWentOnline if online else AgentWentOffline, agent_id, at)

    def receive(self, arrival: Arrival) -> None:
        """A ticket arrived and waits."""
        self._emit(TicketReceived, arrival.ticket_id, arrival.at, **arrival.as_received())

    def next_for(self, agent_id: UUID, now: datetime) -> UUID | None:
        """The waiting ticket the policy gives ``agent_id``, from the view's projections."""
        workload = active(self.workloads.workload(agent_id, now=now), self._paused)
        tickets = self.policy.tickets_for(workload, self.view.queues, now=now)
        paused = self._paused
        ticket = next((t for t in tickets if t.ticket_id not in paused), None)
        return None if ticket is None else ticket.ticket_id

    def agent_class(self, agent_id: UUID, now: datetime) -> Hashable:
        """One class: any policy may read anything."""
        return None

    def classes_taking(self, ticket_id: UUID, agent_classes: Iterable[Hashable]) -> list[Hashable]:
        """All of them: the agents look."""
        return list(agent_classes)

    def assign(self, ticket_id: UUID, agent_id: UUID, at: datetime) -> None:
        """The agent takes the ticket and replies to the customer at once."""
        self._emit(
            TicketAssigned,
            ticket_id,
            at,
            actor_id=agent_id,
            agent_id=agent_id,
            by=AssignedBy.SELF,
            policy=self.policy.name,
        )
        self._emit(TicketResponded, ticket_id, at, actor_id=agent_id)

    def move(
        self,
        ticket_id: UUID,
        agent_id: UUID | None,
        kind: MoveKind,
        to: tuple[str, int],
        at: datetime,
    ) -> None:
        """The holder (if any) moves the ticket on; it waits again."""
        ticket = self.record(ticket_id)
        (queue, tier), by = to, {"actor_id": agent_id, "from_agent_id": agent_id}
        moved = {"from_queue": ticket.queue, "to_queue": queue, **by}
        if kind == "release":
            self._emit(TicketReleased, ticket_id, at, **by)
        elif kind == "transfer":
            self._emit(TicketTransferred, ticket_id, at, to_agent_id=None, **moved)
        elif kind == "deescalate":
            self._emit(
                TicketDeescalated, ticket_id, at, from_tier=ticket.tier, to_tier=tier, **moved
            )
        else:
            hierarchical = tier > ticket.tier
            self._emit(
                TicketEscalated,
                ticket_id,
                at,
                kind=EscalationKind.HIERARCHICAL if hierarchical else EscalationKind.FUNCTIONAL,
                from_tier=ticket.tier,
                to_tier=tier,
                **moved,
            )

    def hand_to(
        self, ticket_id: UUID, agent_id: UUID | None, to_agent_id: UUID, queue: str, at: datetime
    ) -> None:
        """The ticket passes straight to ``to_agent_id``, who replies if nobody has yet."""
        ticket = self.record(ticket_id)
        if agent_id is not None and queue == ticket.queue:
            self._emit(
                TicketReassigned,
                ticket_id,
                at,
                actor_id=agent_id,
                from_agent_id=agent_id,
                to_agent_id=to_agent_id,
            )
        else:
            self._emit(
                TicketTransferred,
                ticket_id,
                at,
                actor_id=agent_id,
                from_agent_id=agent_id,
                to_agent_id=to_agent_id,
                from_queue=ticket.queue,
                to_queue=queue,
            )
        if not ticket.replied:
            self._emit(TicketResponded, ticket_id, at, actor_id=to_agent_id)

    def await_customer(self, ticket_id: UUID, party: AwaitedParty, at: datetime) -> None:
        """The ticket awaits ``party``; the policy is not offered it meanwhile."""
        holder = self.record(ticket_id).agent_id
        self._emit(TicketAwaitingCustomer, ticket_id, at, actor_id=holder, party=party)
        self._paused.add(ticket_id)

    def customer_replied(self, ticket_id: UUID, at: datetime) -> None:
        """The awaited party wrote back."""
        self._emit(TicketCustomerReplied, ticket_id, at)
        self._paused.discard(ticket_id)

    def resolve(self, ticket_id: UUID, agent_id: UUID, at: datetime) -> None:
        """The agent resolved the ticket."""
        self._emit(TicketResolved, ticket_id, at, actor_id=agent_id)

    def close(self, ticket_id: UUID, agent_id: UUID, at: datetime) -> None:
        """The agent closed the ticket."""
        self._emit(TicketClosed, ticket_id, at, actor_id=agent_id)

    def forget(self, ticket_id: UUID) -> None:
        """Nothing to do: the events keep the whole history."""

    def reopen(self, ticket_id: UUID, at: datetime) -> None:
        """The customer reopened the ticket; it waits again."""
        self._emit(TicketReopened, ticket_id, at)

    def rate(self, ticket_id: UUID, csat: int, at: datetime) -> None:
        """The customer rated the ticket."""
        self._emit(TicketRated, ticket_id, at, csat=csat)

    def record(self, ticket_id: UUID) -> QueuedTicket:
        """The open ticket as the view's queues hold it."""
        ticket = self.view.queues.get(ticket_id)
        assert ticket is not None  # noqa: S101 - the engine asks about open tickets only
        return ticket

    def escalate(
        self, ticket_id: UUID, to: Step, breach: tuple[SlaTarget, datetime], at: datetime
    ) -> None:
        """The escalator moved the ticket (as :class:`~ticketlog.processes.SlaEscalator`)."""
        ticket = self.record(ticket_id)
        target, deadline = breach
        self._emit(
            TicketEscalated,
            ticket_id,
            at,
            kind=EscalationKind.AUTOMATIC,
            from_tier=ticket.tier,
            to_tier=to.tier,
            from_queue=ticket.queue,
            to_queue=to.queue,
            from_agent_id=ticket.agent_id,
            breach=target,
            reason=breach_reason(deadline),
        )

    def abandon(self, ticket_id: UUID, at: datetime) -> None:
        """The waiting customer gave up."""
        self._emit(TicketAbandoned, ticket_id, at)


def record_of(arrival: Arrival, sla: SlaTargets) -> QueuedTicket:
    """The routing record of ``arrival`` just received, as the queues hold it."""
    return received(arrival.ticket_id, arrival.at, sla, **arrival.as_received())


class FastDesk:
    """Books kept without events, with waiting tickets indexed by class (see module docstring).

    A ticket's record is the one the event desk's queues hold: the policy's key and
    eligibility, and the SLA deadlines, see the same fields. An agent's workload is rebuilt
    when the agent's holdings or presence change, not at every decision: its time totals
    (handle, online, busy time) are as of that change, which is why a policy that reads
    them (:attr:`~ticketlog.policies.reads.Read.AGENT_TIME`) runs in the event mode.
    """

    def __init__(self, policy: PullPolicy, sla: SlaTargets) -> None:
        if not runs_fast(policy):
            msg = (
                f"the fast mode runs keyed policies that read only tickets and holdings; "
                f"{policy.name!r} needs the full-event mode"
            )
            raise ConfigurationError(msg)
        self.policy = policy
        self.sla = sla
        self.facts = TicketFactsProjection()
        self.workloads = Workloads()
        self.backlog = Backlog()
        self._tickets: dict[UUID, QueuedTicket] = {}
        """Open tickets' routing records, as of when they last entered the queues."""
        stages = stages_of(policy)
        assert stages is not None  # noqa: S101 - runs_fast checks it
        self._waiting = WaitingTickets(stages[0]) if len(stages) == 1 else StagedWaiting(stages)
        self._paused: set[UUID] = set()
        """Tickets awaiting the customer: out of the index, or of their holder's active work."""
        self._agents: dict[UUID, tuple[Workload, Hashable]] = {}
        """Agents' workloads and classes, as of the last change of holdings or presence."""

    def resume(self, state: StartState) -> None:
        """Continue the books of ``state.view`` (copied): its facts, workloads, backlog, and
        the routing records of its open tickets (the waiting ones wait here too) and of
        the resolved ones to be reopened."""
        view = state.view
        self.facts = copy.deepcopy(view.facts)
        self.workloads = copy.deepcopy(view.workloads)
        self.backlog = copy.deepcopy(view.backlog)
        for ticket in view.queues.open_tickets():
            if ticket.agent_id is None:
                self._enqueue(ticket)
            else:
                self._tickets[ticket.ticket_id] = ticket
        for returning in state.returning:
            self._tickets[returning.record.ticket_id] = returning.record

    def join(self, spec: AgentSpec, at: datetime) -> None:
        """An agent joined (offline)."""
        self.workloads.joined(spec.agent_id, spec.name, spec.profile, at)
        self.facts.teams[spec.agent_id] = spec.profile.team

    def presence(self, agent_id: UUID, online: bool, at: datetime) -> None:
        """An agent went online or offline."""
        self.workloads.presence(agent_id, online, at)
        self._agents.pop(agent_id, None)

    def _enqueue(self, ticket: QueuedTicket) -> None:
        self._tickets[ticket.ticket_id] = ticket
        self._waiting.add(ticket)

    def receive(self, arrival: Arrival) -> None:
        """A ticket arrived and waits."""
        at, ticket_id = arrival.at, arrival.ticket_id
        self.facts.tickets[ticket_id] = TicketFacts(
            ticket_id, received_at=at, **arrival.attributes()
        )
        self.backlog.opened(ticket_id, arrival.queue, at)
        self._enqueue(record_of(arrival, self.sla))

    def _requeue(self, ticket_id: UUID, at: datetime, **changes: Any) -> None:
        """The ticket waits again, as the event desk's queues record it."""
        self._enqueue(requeued(self._tickets[ticket_id], at, self.sla, **changes))

    def _workload(self, agent_id: UUID, now: datetime) -> tuple[Workload, Hashable]:
        known = self._agents.get(agent_id)
        if known is None:
            workload = active(self.workloads.workload(agent_id, now=now), self._paused)
            known = self._agents[agent_id] = workload, self._waiting.agent_class(workload)
        return known

    def next_for(self, agent_id: UUID, now: datetime) -> UUID | None:
        """The first waiting ticket in the policy's order that it lets the agent take."""
        workload, agent_class = self._workload(agent_id, now)
        if not workload.online or workload.headroom <= 0:
            return None
        ticket = self._waiting.best_for(workload, agent_class)
        return None if ticket is None else ticket.ticket_id

    def agent_class(self, agent_id: UUID, now: datetime) -> Hashable:
        """The agent's class in the policy's partition."""
        return self._workload(agent_id, now)[1]

    def classes_taking(self, ticket_id: UUID, agent_classes: Iterable[Hashable]) -> list[Hashable]:
        """Those of ``agent_classes`` the policy lets take the waiting ticket."""
        return self._waiting.classes_taking(ticket_id, agent_classes)

    def assign(self, ticket_id: UUID, agent_id: UUID, at: datetime) -> None:
        """The agent takes the ticket and replies to the customer at once."""
        self._waiting.remove(ticket_id)
        self._tickets[ticket_id] = replied(held(self._tickets[ticket_id], agent_id), self.sla)
        self.facts.assigned(ticket_id, agent_id, at)
        self.facts.replied(ticket_id, at)
        self.workloads.hold(ticket_id, agent_id, at)
        self._agents.pop(agent_id, None)

    def move(
        self,
        ticket_id: UUID,
        agent_id: UUID | None,
        kind: MoveKind,
        to: tuple[str, int],
        at: datetime,
    ) -> None:
        """The holder (if any) moves the ticket on; it waits again."""
        queue, tier = to
        if kind == "release":
            self.facts.released(ticket_id, at)
        elif kind == "transfer":
            self.facts.transferred(ticket_id, queue, None, at)
        elif kind == "deescalate":
            self.facts.deescalated(ticket_id, queue, tier, at)
        else:
            self.facts.escalated(ticket_id, queue, tier, at)
        self._requeue(ticket_id, at, queue=queue, tier=tier)
        if agent_id is not None:
            self.workloads.hold(ticket_id, None, at)
            self._agents.pop(agent_id, None)
        if kind != "release":
            self.backlog.moved(ticket_id, queue, at)

    def hand_to(
        self, ticket_id: UUID, agent_id: UUID | None, to_agent_id: UUID, queue: str, at: datetime
    ) -> None:
        """The ticket passes straight to ``to_agent_id``, who replies if nobody has yet."""
        record = self._tickets[ticket_id]
        if agent_id is None:
            self._waiting.remove(ticket_id)
        else:
            self._agents.pop(agent_id, None)
        if agent_id is not None and queue == record.queue:
            self.facts.reassigned(ticket_id, to_agent_id, at)
        else:
            self.facts.transferred(ticket_id, queue, to_agent_id, at)
            self.backlog.moved(ticket_id, queue, at)
        self._tickets[ticket_id] = replied(held(record, to_agent_id, queue=queue), self.sla)
        self.facts.replied(ticket_id, at)
        self.workloads.hold(ticket_id, to_agent_id, at)
        self._agents.pop(to_agent_id, None)

    def await_customer(self, ticket_id: UUID, party: AwaitedParty, at: datetime) -> None:
        """The ticket awaits the customer: out of the index, or out of its holder's work."""
        record = self._tickets[ticket_id]
        self.facts.awaiting(ticket_id, at)
        self._tickets[ticket_id] = awaiting(record, at, self.sla)
        self._paused.add(ticket_id)
        if record.agent_id is None:
            self._waiting.remove(ticket_id)
        else:
            self._agents.pop(record.agent_id, None)

    def customer_replied(self, ticket_id: UUID, at: datetime) -> None:
        """The awaited party wrote back: the ticket is worked, or waits in the index again."""
        record = self._tickets[ticket_id] = resumed(self._tickets[ticket_id], at, self.sla)
        self.facts.customer_replied(ticket_id, at)
        self._paused.discard(ticket_id)
        if record.agent_id is None:
            self._waiting.add(record)
        else:
            self._agents.pop(record.agent_id, None)

    def resolve(self, ticket_id: UUID, agent_id: UUID, at: datetime) -> None:
        """The agent resolved the ticket."""
        self.facts.resolved(ticket_id, agent_id, at)
        self.workloads.resolved(ticket_id, at, resolver_id=agent_id)
        self._agents.pop(agent_id, None)
        self.backlog.ended(ticket_id, at)

    def close(self, ticket_id: UUID, agent_id: UUID, at: datetime) -> None:
        """The agent closed the ticket."""
        self.facts.closed(ticket_id, at)
        self.workloads.hold(ticket_id, None, at)
        self._agents.pop(agent_id, None)
        self.backlog.ended(ticket_id, at)

    def forget(self, ticket_id: UUID) -> None:
        """The ticket is done for good: its routing record is no longer needed."""
        del self._tickets[ticket_id]

    def reopen(self, ticket_id: UUID, at: datetime) -> None:
        """The customer reopened the ticket; it waits again."""
        self.facts.reopened(ticket_id, at)
        self.backlog.opened(ticket_id, None, at)
        self._requeue(ticket_id, at)

    def rate(self, ticket_id: UUID, csat: int, at: datetime) -> None:
        """The customer rated the ticket."""
        self.facts.rated(ticket_id, csat)

    def record(self, ticket_id: UUID) -> QueuedTicket:
        """The open ticket's routing record."""
        return self._tickets[ticket_id]

    def escalate(
        self, ticket_id: UUID, to: Step, breach: tuple[SlaTarget, datetime], at: datetime
    ) -> None:
        """The escalator moved the ticket; it waits again at ``to``."""
        ticket = self._tickets[ticket_id]
        if ticket.agent_id is None:
            self._waiting.remove(ticket_id)
        else:
            self.workloads.hold(ticket_id, None, at)
            self._agents.pop(ticket.agent_id, None)
        self.facts.escalated(ticket_id, to.queue, to.tier, at)
        self.backlog.moved(ticket_id, to.queue, at)
        self._enqueue(
            escalated(ticket, at, self.sla, queue=to.queue, tier=to.tier, breach=breach[0])
        )

    def abandon(self, ticket_id: UUID, at: datetime) -> None:
        """The waiting customer gave up."""
        self._waiting.remove(ticket_id)
        self.forget(ticket_id)
        self.facts.abandoned(ticket_id, at)
        self.backlog.ended(ticket_id, at)
