"""Forecasts: a desk's next hours from its state now, under one policy or another.

:func:`forecast` starts a run (:func:`~ticketlog.simulation.engine.simulate` with
``start_from``) from a desk's view at an instant ``at`` — the team lead's question at 9 am,
"if we switch to value now, what does the afternoon look like?":

- **agents**: the view's, with their latest profiles. Those online at ``at`` stay on for the
  whole run and the others stay off — unless the scenario has an agent group with a shift
  for their team: then they work that group's shifts from ``at`` on (the scenario's own
  agents are not added);
- **arrivals**: the scenario's (rates, profiles, mixes, work content, outcomes) from ``at``
  for ``hours`` (:func:`arrivals_after`); without a scenario, none — the run serves the
  backlog only;
- **the backlog's work** (:func:`backlog_work`): a real desk does not know how much work its
  open tickets still need, so it is drawn with the seed from the scenario's handle-time
  model for the ticket's category (without a scenario, from the handle times of the view's
  resolved tickets). The draw is the work still to do from ``at``, whatever was done
  already — what a ticket took so far says little about what it still needs (exactly
  nothing for exponential handle times). No handoff, reopen, patience or rating is drawn
  for backlog tickets.

The run goes on after the horizon until the tickets are served (or nobody on shift can
serve them). Its KPIs cover the backlog tickets and the tickets arriving in the horizon.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from uuid import UUID

import attrs

from ticketlog.domain.errors import ConfigurationError
from ticketlog.policies.protocol import PullPolicy
from ticketlog.projections import spells
from ticketlog.projections.view import DeskView
from ticketlog.simulation.draws import draw_arrivals
from ticketlog.simulation.engine import SimulationResult, simulate
from ticketlog.simulation.replay import Trace
from ticketlog.simulation.scenario import (
    AgentSpec,
    Arrival,
    AutoEscalation,
    CsatModel,
    Duration,
    Empirical,
    Scenario,
    Shift,
)
from ticketlog.simulation.start import check_view_is_as_of

FORECAST_IDS = 2 << 64
"""Ids of forecast arrivals start here, clear of drawn tickets' and simulated agents' ids."""


@attrs.frozen
class DeskStaffing:
    """The staffing of a forecast: a view's agents from ``start`` (see the module docstring)."""

    start: datetime
    specs: tuple[AgentSpec, ...]
    csat: CsatModel | None = None
    escalation: AutoEscalation | None = None

    def agent_specs(self) -> list[AgentSpec]:
        """The view's agents, in joining order."""
        return list(self.specs)


def desk_staffing(
    view: DeskView,
    *,
    at: datetime,
    scenario: Scenario | None = None,
    escalation: AutoEscalation | None = None,
) -> DeskStaffing:
    """The view's agents from ``at``, on the shifts the scenario gives their teams; its
    customers' ratings; and ``escalation``, else the scenario's automatic escalation."""
    if scenario is None:
        return DeskStaffing(at, _specs(view, at, {}), escalation=escalation)
    shifts = {group.team: group.shift for group in scenario.agents if group.shift is not None}
    local = at.astimezone(scenario.start.tzinfo)
    escalator = scenario.escalation if escalation is None else escalation
    return DeskStaffing(local, _specs(view, at, shifts), scenario.csat, escalator)


def _specs(view: DeskView, at: datetime, shifts: Mapping[str, Shift]) -> tuple[AgentSpec, ...]:
    return tuple(
        AgentSpec(w.agent_id, w.name, w.profile, shifts.get(w.profile.team))
        for w in view.workloads.workloads(now=at)
    )


def arrivals_after(scenario: Scenario, *, at: datetime, hours: float, seed: int) -> list[Arrival]:
    """The scenario's arrivals in the ``hours`` after ``at`` for ``seed`` (the same list for
    the same seed), with ids from :data:`FORECAST_IDS` on."""
    start = at.astimezone(scenario.start.tzinfo)
    end = start + timedelta(hours=hours)
    expected = scenario.arrivals_per_hour * scenario.peak_factor * hours
    count = math.ceil(2 * expected) + 20
    while True:  # the first n draws are the same whatever the count: draw more until past the end
        model = scenario.model_copy(update={"start": start, "tickets": count})
        drawn = draw_arrivals(model, seed=seed)
        if drawn[-1].at > end:
            break
        count *= 2
    return [
        attrs.evolve(a, ticket_id=UUID(int=FORECAST_IDS + a.ticket_id.int))
        for a in drawn
        if a.at <= end
    ]


def backlog_work(
    view: DeskView, *, at: datetime, seed: int, scenario: Scenario | None = None
) -> list[Arrival]:
    """An arrival for each open ticket of ``view``: its attributes as the queues hold them and
    work drawn as the module docstring says (the same for the same seed)."""
    rng = random.Random(f"backlog-{seed}")
    typical = None if scenario is not None else _resolved_handle_times(view)
    arrivals = []
    records = sorted(view.queues.open_tickets(), key=lambda r: (r.received_at, r.ticket_id))
    for record in records:
        model: Duration
        if scenario is not None:
            model = scenario.handle_time_by_category.get(record.category, scenario.handle_time)
        else:
            assert typical is not None  # noqa: S101 - set without a scenario
            model = typical
        still = timedelta(minutes=model.draw(rng))
        arrivals.append(
            Arrival(
                ticket_id=record.ticket_id,
                at=record.received_at,
                priority=record.priority,
                category=record.category,
                channel=record.channel,
                work=spells.held(view.facts.tickets[record.ticket_id], at) + still,
                customer_id=record.customer_id,
                language=record.language,
                plan=record.plan,
                customer_value=record.customer_value,
                first_time=record.first_time,
                queue=record.queue,
                tier=record.tier,
                required_skills=record.required_skills,
                estimated_effort=record.estimated_effort,
            )
        )
    return arrivals


def recorded_period(
    view: DeskView, recorded: Trace, *, at: datetime, hours: float, seed: int
) -> list[Arrival]:
    """A recorded period's arrivals for a run from ``view`` at ``at``: the trace's tickets
    received by ``at + hours`` — those open at ``at`` with the work the history recorded —
    and, for open tickets the trace left out (still open at the history's end), work drawn
    as :func:`backlog_work` draws it."""
    end = at + timedelta(hours=hours)
    period = [a for a in recorded.arrivals if a.at <= end]
    known = {a.ticket_id for a in period}
    if all(t.ticket_id in known for t in view.queues.open_tickets()):
        return period
    return period + [a for a in backlog_work(view, at=at, seed=seed) if a.ticket_id not in known]


def _resolved_handle_times(view: DeskView) -> Empirical:
    times = [f.handle_time for f in view.facts if f.is_resolved]
    if not any(t > timedelta(0) for t in times):
        msg = (
            "no resolved ticket with a handle time to draw the backlog's work from; give a scenario"
        )
        raise ConfigurationError(msg)
    return Empirical.of(times)


def forecast(
    view: DeskView,
    policy: PullPolicy,
    *,
    at: datetime,
    hours: float,
    scenario: Scenario | None = None,
    recorded: Trace | None = None,
    seed: int = 0,
    escalation: AutoEscalation | None = None,
    fast: bool | None = None,
) -> SimulationResult:
    """The desk of ``view`` (as of ``at``) served by ``policy`` for ``hours`` of the
    scenario's arrivals, and until its tickets are done (see the module docstring);
    ``escalation`` replaces the scenario's escalator (e.g. a desk configuration's).

    Raises :class:`~ticketlog.domain.errors.ConfigurationError` for ``hours`` not positive
    or a view with tickets received after ``at``
    (:func:`~ticketlog.simulation.start.check_view_is_as_of`).
    """
    if not hours > 0:
        msg = f"a forecast covers a positive number of hours, not {hours}"
        raise ConfigurationError(msg)
    check_view_is_as_of(view, at)
    if recorded is not None:
        if scenario is not None:
            msg = "a forecast serves a scenario's arrivals or a recorded period's, not both"
            raise ConfigurationError(msg)
        return simulate(
            attrs.evolve(recorded, start=at, escalation=escalation or recorded.escalation),
            recorded_period(view, recorded, at=at, hours=hours, seed=seed),
            policy,
            start_from=view,
            fast=fast,
        )
    arrivals = backlog_work(view, at=at, seed=seed, scenario=scenario)
    if scenario is not None:
        arrivals += arrivals_after(scenario, at=at, hours=hours, seed=seed)
    staffing = desk_staffing(view, at=at, scenario=scenario, escalation=escalation)
    return simulate(staffing, arrivals, policy, start_from=view, fast=fast)
