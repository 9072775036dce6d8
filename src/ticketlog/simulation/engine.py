"""The discrete-event engine: a virtual clock driving ticketlog's own policies and projections.

The engine emits the same domain events a live desk records (``TicketReceived``,
``TicketAssigned``, a public ``TicketResponded`` at the same instant — the agent answers
as they take the ticket —, ``TicketResolved``, and the agents' ``AgentJoined`` /
``AgentWentOnline``) and folds them into a :class:`~ticketlog.projections.view.DeskView`,
so KPIs mean the same thing in a simulation as on a live desk, and the events can be
saved to any store.

Time advances from one instant to the next. At each instant the engine first handles
every completion (in the order they were scheduled), then every arrival (in arrival
order), then every customer whose patience ends (a ticket still waiting is abandoned),
and only then lets each free agent pull its next ticket with the policy, in the order
the agents joined. Nothing is ever decided at random: the same scenario, seed and
policy give the same events. Each agent works one ticket at a time; a ticket's work
content is also its ``estimated_effort`` (exact estimates, as shortest-job-first theory
assumes).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

import attrs

from ticketlog.domain.events import (
    AgentJoined,
    AgentWentOnline,
    DomainEvent,
    TicketAbandoned,
    TicketAssigned,
    TicketReceived,
    TicketResolved,
    TicketResponded,
)
from ticketlog.domain.values import AssignedBy
from ticketlog.policies.protocol import PullPolicy
from ticketlog.projections.sla import SlaTargets
from ticketlog.projections.view import DeskView
from ticketlog.simulation.scenario import AgentSpec, Arrival

_COMPLETION, _ARRIVAL, _PATIENCE = 0, 1, 2
"""At one instant, completions are handled first, then arrivals, then customers giving up."""


@attrs.frozen
class SimulationResult:
    """What a run produced: every event, in order, and the read models they built."""

    events: list[DomainEvent]
    view: DeskView
    end: datetime
    """The instant of the last event."""


class Staffing(Protocol):
    """Who works, from when: a :class:`Scenario`, or a trace of a recorded history."""

    @property
    def start(self) -> datetime:
        """When the agents come online."""
        ...

    def agent_specs(self) -> list[AgentSpec]:
        """The agents, in joining order."""
        ...


def simulate(
    staffing: Staffing,
    arrivals: Iterable[Arrival],
    policy: PullPolicy,
    *,
    sla: SlaTargets | None = None,
) -> SimulationResult:
    """Serve ``arrivals`` with the agents of ``staffing`` pulling by ``policy``."""
    run = _Run(DeskView(sla=sla))
    agents = run.join_agents(staffing)
    queue: list[tuple[datetime, int, int, Arrival | tuple[UUID, UUID]]] = []
    for n, arrival in enumerate(arrivals):
        heapq.heappush(queue, (arrival.at, _ARRIVAL, n, arrival))
        if arrival.patience is not None:
            heapq.heappush(queue, (arrival.at + arrival.patience, _PATIENCE, n, arrival))
    free = list(agents)
    scheduled = 0
    while queue:
        now = queue[0][0]
        while queue and queue[0][0] == now:
            _, kind, _, payload = heapq.heappop(queue)
            if kind == _ARRIVAL:
                assert isinstance(payload, Arrival)  # noqa: S101 - by construction
                run.receive(payload)
            elif kind == _PATIENCE:
                assert isinstance(payload, Arrival)  # noqa: S101 - by construction
                run.give_up(payload.ticket_id, now)
            else:
                assert isinstance(payload, tuple)  # noqa: S101 - by construction
                ticket_id, agent_id = payload
                run.resolve(ticket_id, agent_id, now)
                free.append(agent_id)
        free.sort(key=agents.index)
        for agent_id in list(free):
            workload = run.view.workloads.workload(agent_id, now=now)
            ticket = next(policy.tickets_for(workload, run.view.queues, now=now), None)
            if ticket is None:
                continue
            run.assign(ticket.ticket_id, agent_id, now, policy.name)
            free.remove(agent_id)
            done = now + run.work[ticket.ticket_id]
            scheduled += 1
            heapq.heappush(queue, (done, _COMPLETION, scheduled, (ticket.ticket_id, agent_id)))
    end = run.events[-1].at if run.events else staffing.start
    return SimulationResult(events=run.events, view=run.view, end=end)


class _Run:
    """The mutable state of one run: emits events and folds them into the view."""

    def __init__(self, view: DeskView) -> None:
        self.view = view
        self.events: list[DomainEvent] = []
        self.work: dict[UUID, timedelta] = {}
        self.version: dict[UUID, int] = {}

    def emit(self, event: DomainEvent) -> None:
        self.events.append(event)
        self.view.apply(event)

    def join_agents(self, staffing: Staffing) -> list[UUID]:
        at = staffing.start
        agents = []
        for spec in staffing.agent_specs():
            self.emit(
                AgentJoined(
                    originator_id=spec.agent_id,
                    originator_version=1,
                    at=at,
                    name=spec.name,
                    profile=spec.profile,
                )
            )
            self.emit(AgentWentOnline(originator_id=spec.agent_id, originator_version=2, at=at))
            agents.append(spec.agent_id)
        return agents

    def _next(self, ticket_id: UUID) -> int:
        self.version[ticket_id] = self.version.get(ticket_id, 0) + 1
        return self.version[ticket_id]

    def receive(self, arrival: Arrival) -> None:
        self.work[arrival.ticket_id] = arrival.work
        self.emit(
            TicketReceived(
                originator_id=arrival.ticket_id,
                originator_version=self._next(arrival.ticket_id),
                at=arrival.at,
                channel=arrival.channel,
                customer_id=arrival.customer_id or f"customer-{arrival.ticket_id.int}",
                category=arrival.category,
                priority=arrival.priority,
                language=arrival.language,
                plan=arrival.plan,
                customer_value=arrival.customer_value,
                first_time=arrival.first_time,
                queue=arrival.queue,
                tier=arrival.tier,
                required_skills=arrival.required_skills,
                estimated_effort=arrival.work,
            )
        )

    def assign(self, ticket_id: UUID, agent_id: UUID, at: datetime, policy: str) -> None:
        self.emit(
            TicketAssigned(
                originator_id=ticket_id,
                originator_version=self._next(ticket_id),
                at=at,
                actor_id=agent_id,
                agent_id=agent_id,
                by=AssignedBy.SELF,
                policy=policy,
            )
        )
        self.emit(  # the agent answers as they take the ticket: first reply time = wait
            TicketResponded(
                originator_id=ticket_id,
                originator_version=self._next(ticket_id),
                at=at,
                actor_id=agent_id,
            )
        )

    def give_up(self, ticket_id: UUID, at: datetime) -> None:
        waiting = self.view.queues.get(ticket_id)
        if waiting is not None and waiting.agent_id is None:
            self.emit(
                TicketAbandoned(
                    originator_id=ticket_id, originator_version=self._next(ticket_id), at=at
                )
            )

    def resolve(self, ticket_id: UUID, agent_id: UUID, at: datetime) -> None:
        self.emit(
            TicketResolved(
                originator_id=ticket_id,
                originator_version=self._next(ticket_id),
                at=at,
                actor_id=agent_id,
            )
        )
