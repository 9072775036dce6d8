"""Trace replay: the arrivals and work of a recorded history, served again by another policy.

What a replay holds fixed, ticket by ticket: the arrival instant; the attributes as
received (channel, category, priority, language, plan, customer value, first-time flag,
queue, tier, required skills); and the work content — the total time agents held the
ticket in the history (its handle time). The agents are the history's agents with
their latest profiles, all online from the start of the trace, each working one ticket
at a time. What the policy changes: who serves which ticket and when, hence the waits,
the resolution times and the SLA attainment.

Only tickets resolved in the history are replayed, since only their work content is
known; the others are counted in :attr:`Trace.skipped`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from uuid import UUID

import attrs

from ticketlog.domain.events import AgentJoined, AgentProfileChanged, DomainEvent, TicketReceived
from ticketlog.projections.base import fold
from ticketlog.projections.facts import TicketFactsProjection
from ticketlog.projections.runner import EventSource
from ticketlog.simulation.scenario import AgentSpec, Arrival


@attrs.frozen
class Trace:
    """A recorded period, ready to be served again (see the module docstring)."""

    start: datetime
    arrivals: tuple[Arrival, ...]
    agents: tuple[AgentSpec, ...]
    skipped: int
    """Tickets of the history left out because they were never resolved."""

    def agent_specs(self) -> list[AgentSpec]:
        """The history's agents, in joining order."""
        return list(self.agents)


def trace_from_events(events: Iterable[DomainEvent]) -> Trace:
    """The trace of a history given as events, in log order."""
    history = list(events)
    if not history:
        msg = "an empty history has nothing to replay"
        raise ValueError(msg)
    facts = fold(TicketFactsProjection(), history)
    received = {e.originator_id: e for e in history if isinstance(e, TicketReceived)}
    agents: dict[UUID, AgentSpec] = {}
    for event in history:
        if isinstance(event, AgentJoined):
            agents[event.originator_id] = AgentSpec(event.originator_id, event.name, event.profile)
        elif isinstance(event, AgentProfileChanged) and event.originator_id in agents:
            agents[event.originator_id] = attrs.evolve(
                agents[event.originator_id], profile=event.profile
            )
    arrivals = [
        _arrival(received[f.ticket_id], f.handle_time)
        for f in facts
        if f.resolutions > 0 and f.ticket_id in received
    ]
    arrivals.sort(key=lambda a: (a.at, a.ticket_id))
    one_at_a_time = tuple(
        attrs.evolve(spec, profile=spec.profile.model_copy(update={"capacity": 1}))
        for spec in agents.values()
    )
    return Trace(
        start=min(e.at for e in history),
        arrivals=tuple(arrivals),
        agents=one_at_a_time,
        skipped=len(received) - len(arrivals),
    )


def trace_from_store(source: EventSource) -> Trace:
    """The trace of everything a desk (or any event source) has recorded."""
    return trace_from_events(event for _, event in source.read_log())


def _arrival(event: TicketReceived, work: timedelta) -> Arrival:
    return Arrival(
        ticket_id=event.originator_id,
        at=event.at,
        priority=event.priority,
        category=event.category,
        channel=event.channel,
        work=work,
        customer_id=event.customer_id,
        language=event.language,
        plan=event.plan,
        customer_value=event.customer_value,
        first_time=event.first_time,
        queue=event.queue,
        tier=event.tier,
        required_skills=event.required_skills,
    )
