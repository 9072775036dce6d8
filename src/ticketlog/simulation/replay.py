"""Trace replay: the arrivals and work of a recorded history, served again by another policy.

What a replay holds fixed:

- ticket by ticket, the arrival instant; the attributes as received (channel, category,
  priority, language, plan, customer value, first-time flag, queue, tier, required
  skills, and the estimated effort — without one, the work content stands in as an
  exact estimate); and its whole journey (:class:`~ticketlog.simulation.scenario.JourneyStep`),
  every step in order after the work done before it: each transfer to a queue or
  straight to a person, escalation by an agent (the escalator's automatic ones are not
  steps: they follow from the waits, see below), de-escalation, release, reassignment to
  a named person, and each pause awaiting the customer or a third party, as long as it
  lasted; the work content up to the first resolution and, with the first reopen — as
  long after the first resolution as in the history —, the work it then took (later
  reopens fold into that stage's work) and whether a closure rather than a resolution
  ended it;
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

**Work content is active work, not holding time.** A log has one timestamp per status
change, so the estimator reads the time between changes by the state entered: a ticket
is *actively worked* from the moment someone takes it (an assignment, a reassignment or
a transfer to them) until it leaves them, except while it awaits the customer or a third
party (from ``TicketAwaitingCustomer`` until ``TicketCustomerReplied``; the importer maps
sub-statuses such as "Wait - User" or "Wait - Vendor" to those states, and a mapping
file's ``[states]`` decides which sub-statuses are waits). Time parked in a queue, or in
someone's holdings while it awaits someone, is not work; a wait running when something
else happens to the ticket (a move, a resolution) ends there. Each wait is replayed as a
delay no policy changes: the ticket's SLA clock stops as recorded, and it leaves its
holder's active work (they may take another ticket meanwhile, as the staffing's
capacity of active work assumes) or, waiting in a queue, cannot be taken; then the
holder works on, or it waits again. :class:`EffortRules` overrides what counts (e.g.
waits on a third party as work, with the clock running).

Steps taken while someone held the ticket are taken by whoever holds it in the replay
once they have done the work before it; steps taken while nobody held it (a dispatcher's
transfer, a pause in the queue) as soon as it waits with that work done. A handover to a
named person goes to them even past their capacity (they take nothing more until back
under it).

What the policy changes: who serves which ticket and when, hence the waits, the
resolution times, the SLA attainment and breaches, the automatic escalations those
breaches trigger (when the trace's ``escalation`` is set), and the ratings that depend
on the waits. :func:`team_queues_for` is the ``team-queues`` policy fit for a trace:
people take from their own teams' queues. :attr:`Trace.recorded` holds what the history
recorded of the replayed tickets, to compare a replay with. Replaying a history made by the
simulation under the policy that produced it gives back its waits, ticket for ticket (a
test).

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
from typing import Any
from uuid import UUID

import attrs
import pydantic
from pydantic import BaseModel, ConfigDict

from ticketlog.domain.aggregate import invalid_value
from ticketlog.domain.errors import ConfigurationError
from ticketlog.domain.events import (
    AgentJoined,
    AgentProfileChanged,
    AgentWentOffline,
    AgentWentOnline,
    DomainEvent,
    TicketAssigned,
    TicketAwaitingCustomer,
    TicketCustomerReplied,
    TicketDeescalated,
    TicketEscalated,
    TicketEvent,
    TicketReassigned,
    TicketReceived,
    TicketReleased,
    TicketReopened,
    TicketResolved,
    TicketTransferred,
)
from ticketlog.domain.values import AwaitedParty, EscalationKind
from ticketlog.policies.builtin import team_queues
from ticketlog.policies.pull import Staged
from ticketlog.projections.base import fold
from ticketlog.projections.facts import TicketFacts, TicketFactsProjection
from ticketlog.projections.runner import EventSource
from ticketlog.projections.spells import MOVES, holder_after
from ticketlog.simulation.fidelity import Record
from ticketlog.simulation.scenario import (
    ATTRIBUTES,
    AgentSpec,
    Arrival,
    AutoEscalation,
    CsatModel,
    JourneyStep,
    StepKind,
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


class EffortRules(BaseModel):
    """What counts as a replayed ticket's work (see the module docstring).

    Bad values raise :class:`~ticketlog.domain.errors.InvalidValue`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    waits_are_work: frozenset[AwaitedParty] = frozenset()
    """Whose waits count as work of the holder, not as pauses: e.g.
    ``{AwaitedParty.THIRD_PARTY}`` when "awaiting a vendor" means the desk's own
    specialists work it. Their waits are then replayed as work, with the SLA clock running."""

    def __init__(self, **data: Any) -> None:
        """Validate ``data``; bad values raise :class:`InvalidValue`."""
        try:
            super().__init__(**data)
        except pydantic.ValidationError as error:
            raise invalid_value(error) from None


def team_queues_for(trace: Trace) -> Staged:
    """The ``team-queues`` policy fit for ``trace``: people take from their own teams'
    queues, oldest first (a replay's inferred staffing gives each person the teams of the
    tickets they took), and anyone from the queues of ``trace`` that are nobody's team
    (overflowing to those only)."""
    queues = {a.queue for a in trace.arrivals}
    queues |= {s.queue for a in trace.arrivals for s in a.steps if s.queue is not None}
    teams = {team for spec in trace.agents for team in spec.profile.teams | {spec.profile.team}}
    nobodys = frozenset(queues - teams)
    return team_queues(overflow=nobodys) if nobodys else team_queues()


def trace_from_events(
    events: Iterable[DomainEvent],
    *,
    staffing: StaffingRules | None = None,
    effort: EffortRules | None = None,
) -> Trace:
    """The trace of a history given as events, in log order; ``staffing`` says how to
    infer the staffing of agents whose presence it does not record, ``effort`` what
    counts as work (default rules both)."""
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
    effort = EffortRules() if effort is None else effort
    journeys: dict[UUID, _Journey] = {}
    for event in history:
        if isinstance(event, TicketEvent) and event.originator_id in received:
            journeys.setdefault(event.originator_id, _Journey(effort)).apply(event)
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


def trace_from_store(
    source: EventSource,
    *,
    staffing: StaffingRules | None = None,
    effort: EffortRules | None = None,
) -> Trace:
    """The trace of everything a desk (or any event source) has recorded (``staffing``,
    ``effort``: as for :func:`trace_from_events`)."""
    events = (event for _, event in source.read_log())
    return trace_from_events(events, staffing=staffing, effort=effort)


@attrs.define
class _Journey:
    """What happened to one ticket, as the engine replays it: its active work, its steps
    in order, its first resolution and its first reopen (see the module docstring)."""

    effort: EffortRules
    holder: UUID | None = None
    since: datetime | None = None
    """Since when the holder actively works it (``None``: nobody does)."""
    worked: timedelta = timedelta(0)
    """The active work done so far."""
    pause: tuple[datetime, AwaitedParty, bool] | None = None
    """The running pause: since when, awaiting whom, and whether someone held it then."""
    steps: list[JourneyStep] = attrs.Factory(list)
    resolved: tuple[datetime, timedelta] | None = None
    """The first resolution: when, and the work done by then."""
    reopened_at: datetime | None = None
    resolved_again: bool = False
    """Whether a resolution came after the first reopen (else a closure ended it)."""

    def apply(self, event: TicketEvent) -> None:
        """Fold one of the ticket's events in."""
        at = event.at
        if isinstance(event, TicketAwaitingCustomer):
            if self.pause is None and event.party not in self.effort.waits_are_work:
                self._stop_work(at)
                self.pause = (at, event.party, self.holder is not None)
        elif isinstance(event, TicketCustomerReplied):
            self._end_pause(at)
            if self.holder is not None and self.since is None:
                self.since = at
        elif isinstance(event, MOVES):
            self._end_pause(at)
            self._stop_work(at)
            self._moved(event)
            self.holder = holder_after(event)
            self.since = None if self.holder is None else at

    def _moved(self, event: TicketEvent) -> None:
        """The step ``event`` is, if any (automatic escalations follow from the waits)."""
        if isinstance(event, TicketAssigned):
            if self.holder is not None and self.holder != event.agent_id:
                self._step("reassign", agent_id=event.agent_id)
        elif isinstance(event, TicketReassigned):
            self._step("reassign", agent_id=event.to_agent_id)
        elif isinstance(event, TicketTransferred):
            self._step("transfer", queue=event.to_queue, agent_id=event.to_agent_id)
        elif isinstance(event, TicketEscalated) and event.kind is not EscalationKind.AUTOMATIC:
            self._step("escalate", queue=event.to_queue, tier=event.to_tier)
        elif isinstance(event, TicketDeescalated):
            self._step("deescalate", queue=event.to_queue, tier=event.to_tier)
        elif isinstance(event, TicketReleased):
            self._step("release")
        elif isinstance(event, TicketResolved):
            if self.resolved is None:
                self.resolved = (event.at, self.worked)
            self.resolved_again = self.reopened_at is not None
        elif isinstance(event, TicketReopened) and self.reopened_at is None:
            self.reopened_at = event.at

    def _stop_work(self, at: datetime) -> None:
        if self.since is not None:
            self.worked += at - self.since
            self.since = None

    def _end_pause(self, at: datetime) -> None:
        if self.pause is not None:
            since, party, held = self.pause
            self.pause = None
            self._step("await", held=held, lasts=at - since, party=party)

    def _step(self, kind: StepKind, *, held: bool | None = None, **fields: Any) -> None:
        """A step after the work of its stage so far (held: whether someone holds it)."""
        reopened = self.resolved is not None
        after = self.worked - self.resolved[1] if self.resolved is not None else self.worked
        held = self.holder is not None if held is None else held
        self.steps.append(JourneyStep(kind, after, reopened=reopened, held=held, **fields))

    def outcomes(self, facts: TicketFacts) -> dict[str, Any]:
        """The :class:`Arrival` fields of this journey."""
        assert self.resolved is not None  # noqa: S101 - only resolved tickets are replayed
        resolved_at, work = self.resolved
        reopens = self.reopened_at is not None and facts.is_resolved
        steps = tuple(step for step in self.steps if reopens or not step.reopened)
        drawn: dict[str, Any] = {"work": work, "steps": steps}
        if reopens:
            assert self.reopened_at is not None  # noqa: S101 - reopens says so
            drawn.update(
                reopen_after=self.reopened_at - resolved_at,
                reopen_work=self.worked - work,
                reopen_closes=not self.resolved_again,
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
