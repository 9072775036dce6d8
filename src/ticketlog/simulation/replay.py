"""Trace replay: the arrivals and work of a recorded history, served again by another policy.

What a replay holds fixed:

- ticket by ticket, the arrival instant; the attributes as received (channel, category,
  priority, language, plan, customer value, first-time flag, queue, tier, required
  skills, and the estimated effort — without one, the work content stands in as an
  exact estimate); and its journey: the work content up to its first resolution (the time agents
  held it, in spells as :mod:`ticketlog.projections.spells` reckons them), its first
  handoff — a transfer to a queue or an escalation, after the work done before it in the
  history —, and its first reopen — as long after the first
  resolution as in the history, with the work it then took (automatic escalations are
  not part of the journey: they follow from the waits, see below);
- the agents: the history's agents with their latest profiles (tier, skills, languages,
  capacity) and their shifts — online and offline exactly when they were. An agent whose
  presence the history does not record (an imported log has none) gets the staffing
  :func:`~ticketlog.simulation.staffing.infer_staffing` reads from their ticket events
  instead: a calendar learned from when they took on work, the capacity they showed in
  active work, and the teams and tier of the tickets they took (added to their profile's);
  ``staffing`` rules override it (:class:`~ticketlog.simulation.staffing.StaffingRules`);
- the customers' ratings: when the history has rated tickets, a CSAT model of wait and
  resolution time is fitted to them (:meth:`CsatModel.fit`), and each customer who rated
  keeps their own deviation from it, so the same waits give back the same ratings.

What the policy changes: who serves which ticket and when, hence the waits, the
resolution times, the SLA attainment and breaches, the automatic escalations those
breaches trigger (when the trace's ``escalation`` is set), and the ratings that depend
on the waits. Later handoffs and reopens of a ticket are folded into the work of its stage, and
transfers straight to a named agent are not replayed (the same agent carries on); nor are
reassignments, releases and de-escalations yet: their time held counts as work of the
stage, and a released or de-escalated ticket's wait before someone takes it again is not
work (the later overhaul of replays gives them their own steps).
Replaying a history made by the simulation under the policy that produced it gives back
its waits, ticket for ticket (a test).

Tickets resolved in the history are replayed with their own work content. Tickets whose
customer gave up before anyone took them are replayed too, with the same patience (they
give up again after as long, unless served first) and, since their work was never
seen, the median work content of the resolved tickets of their category (of all
resolved tickets if the category has none). The others — still open, or abandoned
after an agent took them — are left out and counted in :attr:`Trace.skipped`.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

import attrs

from ticketlog.domain.errors import ConfigurationError
from ticketlog.domain.events import (
    AgentJoined,
    AgentProfileChanged,
    AgentWentOffline,
    AgentWentOnline,
    DomainEvent,
    TicketEscalated,
    TicketEvent,
    TicketReceived,
    TicketReopened,
    TicketResolved,
    TicketTransferred,
)
from ticketlog.domain.values import EscalationKind
from ticketlog.projections.base import fold
from ticketlog.projections.facts import TicketFacts, TicketFactsProjection
from ticketlog.projections.runner import EventSource
from ticketlog.projections.spells import MOVES, Spells, hold, holder_after
from ticketlog.simulation.fidelity import Record
from ticketlog.simulation.scenario import (
    ATTRIBUTES,
    AgentSpec,
    Arrival,
    AutoEscalation,
    CsatModel,
)
from ticketlog.simulation.staffing import (
    InferredStaffing,
    PersonStaffing,
    StaffingRules,
    infer_staffing,
)


@attrs.frozen
class RecordedShifts:
    """An agent's online intervals as recorded; the last may be open (``None``)."""

    intervals: tuple[tuple[datetime, datetime | None], ...]

    def next_shift(self, after: datetime) -> tuple[datetime, datetime | None] | None:
        """The recorded interval running at ``after`` (from then), or the next one."""
        for start, end in self.intervals:
            if end is None or end > after:
                return max(start, after), end
        return None


@attrs.frozen
class Trace:
    """A recorded period, ready to be served again (see the module docstring)."""

    start: datetime
    arrivals: tuple[Arrival, ...]
    agents: tuple[AgentSpec, ...]
    skipped: int
    """Tickets of the history left out: neither resolved nor abandoned untaken."""
    csat: CsatModel | None = None
    """The CSAT model fitted to the history's ratings (``None``: too few ratings)."""
    escalation: AutoEscalation | None = None
    """Automatic escalation in the replay (not read from the history: set it with
    ``attrs.evolve(trace, escalation=...)`` to replay the desk's escalator)."""
    staffing: InferredStaffing | None = None
    """The staffing inferred for the agents whose presence the history does not record
    (``None``: it records everyone's)."""
    recorded: Record | None = None
    """What the history recorded of the replayed tickets, for the fidelity of a replay
    (:mod:`ticketlog.simulation.fidelity`)."""

    def agent_specs(self) -> list[AgentSpec]:
        """The history's agents, in joining order."""
        return list(self.agents)


def trace_from_events(
    events: Iterable[DomainEvent], *, staffing: StaffingRules | None = None
) -> Trace:
    """The trace of a history given as events, in log order; ``staffing`` says how to
    infer the staffing of agents whose presence it does not record (default rules)."""
    history = list(events)
    if not history:
        msg = "an empty history has nothing to replay"
        raise ValueError(msg)
    facts = fold(TicketFactsProjection(), history)
    received = {e.originator_id: e for e in history if isinstance(e, TicketReceived)}
    try:
        csat: CsatModel | None = CsatModel.fit(facts)
    except ConfigurationError:
        csat = None
    journeys: dict[UUID, _Journey] = {}
    for event in history:
        if isinstance(event, TicketEvent) and event.originator_id in received:
            journeys.setdefault(event.originator_id, _Journey()).apply(event)
    resolved = [f for f in facts if f.resolutions > 0 and f.ticket_id in received]
    arrivals = [
        _arrival(received[f.ticket_id], f, csat, **journeys[f.ticket_id].outcomes(f))
        for f in resolved
    ]
    typical = _typical_work(resolved, journeys)
    for f in facts:  # customers who gave up before anyone took their ticket
        work = typical.get(f.category, typical.get(None))
        if f.abandoned_at is None or f.first_assigned_at is not None or work is None:
            continue
        patience = f.abandoned_at - f.received_at
        arrivals.append(_arrival(received[f.ticket_id], f, None, work=work, patience=patience))
    arrivals.sort(key=lambda a: (a.at, a.ticket_id))
    agents, inferred = _agents(history, staffing)
    return Trace(
        start=min(e.at for e in history),
        arrivals=tuple(arrivals),
        agents=agents,
        skipped=len(received) - len(arrivals),
        csat=csat,
        staffing=inferred,
        recorded=Record.of(history, {a.ticket_id for a in arrivals}),
    )


def _typical_work(
    resolved: list[TicketFacts], journeys: dict[UUID, _Journey]
) -> dict[str | None, timedelta]:
    """The median work content of resolved tickets per category, and overall (``None``)."""
    by_category: dict[str | None, list[timedelta]] = {None: []}
    for f in resolved:
        work = journeys[f.ticket_id].outcomes(f)["work"]
        by_category.setdefault(f.category, []).append(work)
        by_category[None].append(work)
    return {
        category: statistics.median_low(sorted(works))
        for category, works in by_category.items()
        if works
    }


def _agents(
    history: list[DomainEvent], rules: StaffingRules | None
) -> tuple[tuple[AgentSpec, ...], InferredStaffing | None]:
    """The history's agents with their latest profiles and their recorded shifts, or their
    inferred staffing when none is recorded; and that staffing."""
    specs: dict[UUID, AgentSpec] = {}
    shifts: dict[UUID, list[tuple[datetime, datetime | None]]] = {}
    recorded: set[UUID] = set()
    for event in history:
        agent_id = event.originator_id
        if isinstance(event, AgentJoined):
            specs[agent_id] = AgentSpec(agent_id, event.name, event.profile)
            shifts[agent_id] = []
        elif agent_id not in specs:
            continue
        elif isinstance(event, AgentProfileChanged):
            specs[agent_id] = attrs.evolve(specs[agent_id], profile=event.profile)
        elif isinstance(event, AgentWentOnline):
            shifts[agent_id].append((event.at, None))
            recorded.add(agent_id)
        elif isinstance(event, AgentWentOffline):
            recorded.add(agent_id)
            if shifts[agent_id]:
                shifts[agent_id][-1] = (shifts[agent_id][-1][0], event.at)
    agents = {
        agent_id: attrs.evolve(spec, rota=RecordedShifts(tuple(shifts[agent_id])))
        for agent_id, spec in specs.items()
    }
    if recorded >= agents.keys():
        return tuple(agents.values()), None
    inferred = infer_staffing(history, rules)
    for agent_id, person in inferred.people.items():
        if agent_id in agents and agent_id not in recorded:
            agents[agent_id] = _with_staffing(agents[agent_id], person)
    return tuple(agents.values()), inferred


def _with_staffing(spec: AgentSpec, person: PersonStaffing) -> AgentSpec:
    """``spec`` with the inferred staffing: calendar, capacity, teams and tier served."""
    profile = spec.profile
    served = person.tier if person.tier is not None else profile.tier
    profile = profile.model_copy(
        update={
            "capacity": person.capacity,
            "teams": profile.teams | (person.queues - {profile.team}),
            "tier": max(profile.tier, served),
        }
    )
    return attrs.evolve(spec, profile=profile, rota=person.calendar)


def trace_from_store(source: EventSource, *, staffing: StaffingRules | None = None) -> Trace:
    """The trace of everything a desk (or any event source) has recorded (``staffing``: as
    for :func:`trace_from_events`)."""
    return trace_from_events((event for _, event in source.read_log()), staffing=staffing)


@attrs.define
class _Journey:
    """What happened to one ticket, as the engine replays it: work per stage, the first
    handoff, the first resolution and the first reopen."""

    spells: Spells = attrs.Factory(Spells)
    """Who holds the ticket, and the work done so far: the time held in ended spells."""
    handoff: tuple[Literal["transfer", "escalate"], str, timedelta] | None = None
    """Kind, queue, and the work done before it."""
    resolved: tuple[datetime, timedelta] | None = None
    """The first resolution: when, and the work done by then."""
    reopened_at: datetime | None = None

    @property
    def worked(self) -> timedelta:
        """The work done so far (the spells that ended)."""
        return self.spells.handle_time

    def apply(self, event: TicketEvent) -> None:
        """Fold one of the ticket's events in."""
        if isinstance(event, MOVES):
            hold(self.spells, holder_after(event), event.at)
        if isinstance(event, TicketTransferred) and event.to_agent_id is None:
            self._handed_off("transfer", event.to_queue)
        elif isinstance(event, TicketEscalated) and event.kind is not EscalationKind.AUTOMATIC:
            self._handed_off("escalate", event.to_queue)  # the escalator's are replayed
        elif isinstance(event, TicketResolved) and self.resolved is None:
            self.resolved = (event.at, self.worked)
        elif isinstance(event, TicketReopened) and self.reopened_at is None:
            self.reopened_at = event.at

    def _handed_off(self, kind: Literal["transfer", "escalate"], queue: str) -> None:
        if self.handoff is None and self.resolved is None:
            self.handoff = (kind, queue, self.worked)

    def outcomes(self, facts: TicketFacts) -> dict[str, Any]:
        """The :class:`Arrival` fields of this journey."""
        assert self.resolved is not None  # noqa: S101 - only resolved tickets are replayed
        resolved_at, work = self.resolved
        drawn: dict[str, Any] = {"work": work}
        if self.handoff is not None:
            kind, queue, after = self.handoff
            drawn.update(handoff=kind, handoff_queue=queue, handoff_after=after)
        if self.reopened_at is not None and facts.is_resolved:
            drawn.update(
                reopen_after=self.reopened_at - resolved_at, reopen_work=self.worked - work
            )
        return drawn


def _arrival(
    event: TicketReceived, facts: TicketFacts, csat: CsatModel | None, **outcomes: Any
) -> Arrival:
    """The ticket as received, with its ``outcomes`` (work, handoff, reopen, patience)."""
    mood = None
    if csat is not None and facts.csat is not None:
        wait, resolution = facts.wait, facts.resolution_time
        if wait is not None and resolution is not None:
            expected = csat.score(wait, resolution, 0.0, rounded=False)
            mood = 0.0 if csat.sd == 0 else (facts.csat - expected) / csat.sd
    return Arrival(
        ticket_id=event.originator_id,
        at=event.at,
        customer_id=event.customer_id,
        required_skills=event.required_skills,
        estimated_effort=event.estimated_effort,
        rating_noise=mood,
        **{name: getattr(event, name) for name in ATTRIBUTES},
        **outcomes,
    )
