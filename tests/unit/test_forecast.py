"""A run started from a desk's state (``simulate(..., start_from=view)``) continues it exactly.

The defining property: simulate a scenario, fold its events up to an instant ``t`` into a
:class:`DeskView` (as ``HelpDesk.view_as_of(t)`` does), start a run from that view serving the
same arrivals, and the run gives back the rest of the original, ticket for ticket — the same
facts for every ticket received after ``t`` and every ticket open at ``t``, the same events
after ``t``, the same end and the same workloads — in the full-event mode and in the fast
mode alike. Scenarios have shifts, priorities, SLA targets, capacities above one, patience,
transfers, escalations, automatic escalation, reopens (a ticket resolved before ``t`` and
reopened after it returns) and ratings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from uuid import UUID

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import START
from ticketlog import (
    Channel,
    ConfigurationError,
    DomainEvent,
    HelpDesk,
    Priority,
    TicketReopened,
)
from ticketlog.policies import (
    PullPolicy,
    affinity,
    easiest_first,
    fifo,
    priority,
    skills_based,
    sla_driven,
    tiered,
    tiered_skills,
    value_based,
)
from ticketlog.policies.reads import runs_fast
from ticketlog.projections import DeskView, SlaTargets, compute_kpis, fold
from ticketlog.projections.sla import Targets
from ticketlog.simulation import (
    AgentGroup,
    Arrival,
    CsatModel,
    Exponential,
    Handoff,
    LogNormal,
    Reopens,
    Scenario,
    Shift,
    SimulationResult,
    backlog_work,
    draw_arrivals,
    forecast,
    simulate,
    trace_from_events,
)
from ticketlog.simulation.forecast import FORECAST_IDS
from ticketlog.simulation.scenario import AutoEscalation

SLA = SlaTargets()

POLICIES: dict[str, PullPolicy] = {
    "fifo": fifo(),
    "priority": priority(),
    "sla": sla_driven(),
    "value": value_based({"pro": 50.0}),
    "easiest-first-aging": easiest_first(aging=0.05),
    "tiered": tiered(overflow=True),
    "skills": skills_based(),
    "tiered-skills": tiered_skills(),
    "affinity": affinity(),
}
"""Fast-mode policies (one whose order changes with time), and ``affinity``, which reads the
queues' memory of who served whom (the full-event mode only)."""


SKILLS = frozenset({"billing", "technical"})


def busy_day(tickets: int = 150) -> Scenario:
    """Two shifts, three priorities, capacity 2, patience, handoffs, escalation, ratings."""
    return Scenario(
        start=START,
        tickets=tickets,
        arrivals_per_hour=20,
        handle_time=LogNormal(mean_minutes=18, sd_minutes=10),
        patience=Exponential(mean_minutes=120),
        priorities={Priority.URGENT: 1, Priority.NORMAL: 3, Priority.LOW: 1},
        categories={"billing": 1, "technical": 2},
        plans={"free": 3, "pro": 1},
        transfers=Handoff(probability=0.2, queue="billing"),
        escalations=Handoff(probability=0.1, queue="technical"),
        escalation=AutoEscalation(path=((1, "general"), (2, "billing")), every_minutes=5),
        reopens=Reopens(probability=0.2, after=Exponential(mean_minutes=240)),
        csat=CsatModel(response_rate=0.6),
        agents=(
            AgentGroup(count=2, capacity=2, skills=SKILLS, shift=Shift(start_hour=8, hours=9)),
            AgentGroup(
                count=1,
                name="senior",
                tier=2,
                skills=SKILLS,
                shift=Shift(start_hour=10, hours=8, days=frozenset(range(7))),
            ),
        ),
    )


def on_the_tick(scenario: Scenario, at: datetime) -> datetime:
    """The first instant from ``at`` on the escalator's ticks (``at`` itself without one)."""
    if scenario.escalation is None:
        return at
    every = timedelta(minutes=scenario.escalation.every_minutes)
    return scenario.start - ((scenario.start - at) // every) * every


def busiest(run: SimulationResult, instants: list[datetime]) -> datetime:
    """The first of ``instants`` (ascending) at which the most tickets both wait and are
    held (the smaller of the two counts, then the larger), by the run's own view."""
    view, events, best, score = DeskView(sla=SLA), run.events, instants[0], (-1, -1)
    position = 0
    for at in instants:
        while position < len(events) and events[position].at <= at:
            view.apply(events[position])
            position += 1
        tickets = list(view.queues.open_tickets())
        held = sum(t.agent_id is not None for t in tickets)
        counts = sorted((held, len(tickets) - held))
        if (counts[0], counts[1]) > score:
            best, score = at, (counts[0], counts[1])
    return best


def by_instant(events: Iterable[DomainEvent]) -> list[tuple[datetime, list[str]]]:
    """The events instant by instant, each instant's as a sorted list of their contents but
    their versions (a run from a view numbers its events afresh). Within an instant, agents
    off at the start who come on shift together do so in joining order, not in the order
    they went off, with the same outcome: only the set of an instant's events is compared."""
    instants: dict[datetime, list[str]] = {}
    for event in events:
        content = event.model_dump(exclude={"originator_version"})
        instants.setdefault(event.at, []).append(f"{type(event).__name__} {content}")
    return [(at, sorted(contents)) for at, contents in instants.items()]


@attrs.frozen
class Continued:
    """A whole run, its view at ``at``, and the runs from that view (by ``fast``)."""

    whole: SimulationResult
    at: datetime
    view: DeskView
    parts: dict[bool, SimulationResult]


def continued(
    scenario: Scenario, arrivals: Sequence[Arrival], policy: PullPolicy, at: datetime
) -> Continued:
    """The whole run, and the runs from its view at ``at`` (full mode, and fast if it can)."""
    whole = simulate(scenario, arrivals, policy, sla=SLA)
    view = fold(DeskView(sla=SLA), whole.events, until=at)
    staffing = scenario.model_copy(update={"start": at})
    modes = [False, True] if runs_fast(policy) else [False]
    parts = {
        fast: simulate(staffing, arrivals, policy, start_from=view, fast=fast) for fast in modes
    }
    return Continued(whole, at, view, parts)


def assert_continues(run: Continued, part: SimulationResult) -> None:
    """``part`` is the whole run after ``at``, ticket for ticket."""
    whole, at = run.whole, run.at
    facts = {f.ticket_id: f for f in whole.facts}
    backlog = {t.ticket_id for t in run.view.queues.open_tickets()}
    moving = {e.originator_id for e in whole.events if e.at > at and e.originator_id in facts}
    got = {f.ticket_id: f for f in part.facts}
    assert set(got) == backlog | moving | {i for i, f in facts.items() if f.received_at > at}
    assert got == {i: facts[i] for i in got}
    assert part.start == at
    assert part.end == max(whole.end, at)  # nothing happens after an instant past the end
    assert part.kpis() == compute_kpis(got.values(), now=whole.end, sla=SLA)
    assert part.workloads.workloads(now=whole.end) == whole.workloads.workloads(now=whole.end)
    if part.view is not None:
        assert by_instant(part.events) == by_instant(e for e in whole.events if e.at > at)


@pytest.mark.parametrize("name", list(POLICIES))
def test_a_run_from_a_busy_instant_gives_back_the_rest_of_the_run_ticket_for_ticket(
    name: str,
) -> None:
    scenario, policy = busy_day(), POLICIES[name]
    arrivals = draw_arrivals(scenario, seed=3)
    whole = simulate(scenario, arrivals, policy, sla=SLA)
    at = busiest(whole, [on_the_tick(scenario, a.at) for a in arrivals[50:100]])
    run = continued(scenario, arrivals, policy, at)
    backlog = list(run.view.queues.open_tickets())
    assert sum(t.agent_id is not None for t in backlog) >= 2  # some held, their spells go on
    assert sum(t.agent_id is None for t in backlog) >= 2  # some wait, with their SLA clocks
    assert len(run.parts) == (1 if name == "affinity" else 2)
    resolved = {f.ticket_id for f in run.view.facts if f.is_resolved}
    reopened = [e for e in run.whole.events if isinstance(e, TicketReopened) and e.at > at]
    assert any(e.originator_id in resolved for e in reopened)  # some resolved ones return
    for part in run.parts.values():
        assert_continues(run, part)
        backlog_facts = [f for f in part.facts if f.received_at <= at]
        assert any(f.escalations for f in backlog_facts)
        assert any(f.transfers for f in backlog_facts)


# --- the property ------------------------------------------------------------------------


durations = st.builds(
    LogNormal, mean_minutes=st.floats(2.0, 30.0), sd_minutes=st.floats(1.0, 30.0)
) | st.builds(Exponential, mean_minutes=st.floats(2.0, 30.0))
shifts = st.builds(
    Shift,
    start_hour=st.sampled_from([0.0, 8.0, 9.5, 13.0]),
    hours=st.floats(2.0, 12.0),
    days=st.frozensets(st.integers(0, 6), min_size=1),
)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A small scenario with every feature, each on or off."""
    groups = [
        AgentGroup(
            count=draw(st.integers(1, 3)),
            name=f"tier{tier}",
            tier=tier,
            capacity=draw(st.integers(1, 3)),
            skills=draw(st.frozensets(st.sampled_from(["billing", "technical"]))),
            shift=draw(st.none() | shifts),
        )
        for tier in (1, 2)[: draw(st.integers(1, 2))]
    ]
    two_tiers = len(groups) == 2
    handoff = st.builds(
        Handoff, probability=st.floats(0.05, 0.4), queue=st.sampled_from(["general", "billing"])
    )
    return Scenario(
        start=START + timedelta(hours=draw(st.integers(0, 47))),
        tickets=draw(st.integers(2, 80)),
        arrivals_per_hour=draw(st.floats(2.0, 30.0)),
        handle_time=draw(durations),
        patience=draw(st.none() | durations),
        priorities=draw(
            st.dictionaries(st.sampled_from(list(Priority)), st.floats(0.5, 3.0), min_size=1)
        ),
        categories={"billing": 1.0, "technical": 1.0},
        channels={Channel.EMAIL: 1.0, Channel.CHAT: 1.0},
        plans=draw(st.none() | st.just({"free": 2.0, "pro": 1.0})),
        transfers=draw(st.none() | handoff),
        escalations=draw(st.none() | handoff) if two_tiers else None,
        escalation=draw(
            st.none()
            | st.builds(
                AutoEscalation,
                path=st.just(((1, "general"), (2, "billing")) if two_tiers else ((1, "general"),)),
                every_minutes=st.sampled_from([1.0, 5.0, 30.0]),
            )
        ),
        reopens=draw(
            st.none() | st.builds(Reopens, probability=st.floats(0.05, 0.5), after=durations)
        ),
        csat=draw(st.none() | st.just(CsatModel(response_rate=0.5))),
        agents=tuple(groups),
    )


@settings(max_examples=max(10, settings().max_examples // 2), deadline=None)
@given(
    scenario=scenarios(),
    seed=st.integers(0, 2**32 - 1),
    split=st.floats(0.0, 1.0),
    name=st.sampled_from(list(POLICIES)),
)
def test_a_run_from_any_instant_of_a_run_continues_it_exactly(
    scenario: Scenario, seed: int, split: float, name: str
) -> None:
    arrivals = draw_arrivals(scenario, seed=seed)
    span = arrivals[-1].at - scenario.start
    at = on_the_tick(scenario, scenario.start + span * split)
    run = continued(scenario, arrivals, POLICIES[name], at)
    for part in run.parts.values():
        assert_continues(run, part)


# --- what a start state needs ---------------------------------------------------------------


def midway() -> tuple[Scenario, Sequence[Arrival], DeskView, datetime]:
    scenario = busy_day(tickets=60)
    arrivals = draw_arrivals(scenario, seed=5)
    at = on_the_tick(scenario, arrivals[30].at)
    whole = simulate(scenario, arrivals, fifo(), sla=SLA)
    view = fold(DeskView(sla=SLA), whole.events, until=at)
    return scenario.model_copy(update={"start": at}), arrivals, view, at


def test_an_open_ticket_without_an_arrival_saying_its_work_is_refused() -> None:
    staffing, arrivals, view, at = midway()
    later = [a for a in arrivals if a.at > at]
    with pytest.raises(ConfigurationError, match="no arrival saying how much work"):
        simulate(staffing, later, fifo(), start_from=view)


def test_an_arrival_before_the_start_that_the_view_does_not_know_is_refused() -> None:
    staffing, arrivals, view, _ = midway()
    stranger = attrs.evolve(arrivals[0], ticket_id=UUID(int=10**6))
    with pytest.raises(ConfigurationError, match="the view has no such ticket"):
        simulate(staffing, [*arrivals, stranger], fifo(), start_from=view)


def test_an_arrival_after_the_start_reusing_a_ticket_id_of_the_view_is_refused() -> None:
    staffing, arrivals, view, at = midway()
    again = attrs.evolve(arrivals[0], at=at + timedelta(hours=1))
    with pytest.raises(ConfigurationError, match="reuses a ticket id"):
        simulate(staffing, [*arrivals[1:], again], fifo(), start_from=view)


def test_a_view_with_tickets_received_after_the_start_is_refused() -> None:
    staffing, arrivals, view, at = midway()
    earlier = staffing.model_copy(update={"start": at - timedelta(hours=1)})
    with pytest.raises(ConfigurationError, match="received after the start"):
        simulate(earlier, arrivals, fifo(), start_from=view)


def test_other_sla_targets_than_the_views_are_refused() -> None:
    staffing, arrivals, view, _ = midway()
    other = SlaTargets(by_category={"billing": Targets()})
    with pytest.raises(ConfigurationError, match="keeps the view's SLA targets"):
        simulate(staffing, arrivals, fifo(), start_from=view, sla=other)


def test_a_ticket_held_by_an_agent_the_run_does_not_staff_is_refused() -> None:
    staffing, arrivals, view, _ = midway()
    assert any(t.agent_id is not None for t in view.queues.open_tickets())
    nobody = staffing.model_copy(update={"agents": (AgentGroup(count=1, name="x", tier=2),)})
    with pytest.raises(ConfigurationError, match="who is not staffed"):
        simulate(nobody, arrivals, fifo(), start_from=view)


def test_the_view_passed_in_is_left_as_it_was() -> None:
    staffing, arrivals, view, at = midway()
    before = fold(DeskView(sla=SLA), simulate(busy_day(60), arrivals, fifo()).events, until=at)
    simulate(staffing, arrivals, fifo(), start_from=view)
    simulate(staffing, arrivals, fifo(), start_from=view, fast=True)
    assert view == before


# --- forecasting a real desk ----------------------------------------------------------------


@attrs.frozen
class NineAm:
    """A desk at 9 am: Ana (capacity 2) holds one ticket, Lee (tier 2) one, Kim is off; three
    tickets wait (normal, low, urgent, in order of receipt); two were resolved earlier."""

    view: DeskView
    ana: UUID
    lee: UUID
    kim: UUID
    held: dict[UUID, UUID]
    """Held ticket to holder."""
    waiting: list[UUID]


def record_nine_am(desk: HelpDesk) -> tuple[UUID, UUID, UUID, dict[UUID, UUID], list[UUID]]:
    """Record the desk of :class:`NineAm` (its history starts at 7:30)."""

    def at(hour: int, minute: int) -> datetime:
        return START.replace(hour=hour, minute=minute)

    ana = desk.join_agent("Ana", team="billing", capacity=2, at=at(7, 0))
    lee = desk.join_agent("Lee", team="tech", tier=2, at=at(7, 0))
    kim = desk.join_agent("Kim", team="evening", online=False, at=at(7, 0))
    for received, agent, taken, resolved in ((30, lee, 35, 75), (60, ana, 65, 85)):
        done = desk.receive(
            channel="email", customer_id=f"c{received}", at=at(7, 0) + timedelta(minutes=received)
        )
        desk.assign(done, agent, at=at(7, 0) + timedelta(minutes=taken))
        desk.resolve(done, agent, at=at(7, 0) + timedelta(minutes=resolved))
    held = {}
    for minute, agent, taken in ((10, ana, 30), (20, lee, 40)):
        ticket = desk.receive(channel="chat", customer_id=f"h{minute}", at=at(8, minute))
        desk.assign(ticket, agent, at=at(8, taken))
        held[ticket] = agent
    waiting = [
        desk.receive(channel="phone", customer_id=f"w{minute}", priority=p, at=at(8, minute))
        for minute, p in ((45, "normal"), (50, "low"), (55, "urgent"))
    ]
    return ana, lee, kim, held, waiting


@pytest.fixture
def nine_am(desk: HelpDesk) -> NineAm:
    ana, lee, kim, held, waiting = record_nine_am(desk)
    return NineAm(desk.view_as_of(START), ana, lee, kim, held, waiting)


AFTERNOON = Scenario(
    start=START,
    tickets=1,
    arrivals_per_hour=6,
    handle_time=Exponential(mean_minutes=20),
    priorities={Priority.URGENT: 1, Priority.NORMAL: 3},
    agents=(
        AgentGroup(
            count=1, team="evening", shift=Shift(start_hour=10, hours=4, days=frozenset(range(7)))
        ),
    ),
)
"""Six tickets an hour; the evening team works 10:00 to 14:00."""


@pytest.mark.parametrize("fast", [False, True])
def test_a_forecast_keeps_held_tickets_with_their_holders_and_serves_the_rest(
    nine_am: NineAm, fast: bool
) -> None:
    result = forecast(
        nine_am.view, fifo(), at=START, hours=3, scenario=AFTERNOON, seed=1, fast=fast
    )
    facts = {f.ticket_id: f for f in result.facts}
    arriving = [f for f in facts.values() if f.received_at > START]
    assert set(facts) == {*nine_am.held, *nine_am.waiting, *(f.ticket_id for f in arriving)}
    assert 8 <= len(arriving) <= 35  # six an hour for three hours
    assert all(START < f.received_at <= START + timedelta(hours=3) for f in arriving)
    assert all(f.ticket_id.int >= FORECAST_IDS for f in arriving)
    for ticket, holder in nine_am.held.items():
        assert facts[ticket].first_agent_id == holder
        assert facts[ticket].resolver_id == holder
    assert all(f.is_resolved for f in facts.values())
    takers = {f.first_agent_id for f in facts.values()}
    assert nine_am.kim in takers  # the evening shift came at 10
    assert all(
        f.first_assigned_at >= START.replace(hour=10)
        for f in facts.values()
        if f.first_agent_id == nine_am.kim and f.first_assigned_at is not None
    )
    assert result.kpis().resolved == len(facts)


def test_the_policy_decides_who_of_the_backlog_goes_first(nine_am: NineAm) -> None:
    normal, _, urgent = nine_am.waiting
    first = {}
    for policy in (fifo(), priority()):
        facts = {f.ticket_id: f for f in forecast(nine_am.view, policy, at=START, hours=1).facts}
        first[policy.name] = next(t for t in nine_am.waiting if facts[t].first_assigned_at == START)
        assert facts[first[policy.name]].first_agent_id == nine_am.ana  # the one with room
    assert first == {"fifo": normal, "priority": urgent}


def test_the_backlogs_work_is_drawn_again_alike_for_the_same_seed(nine_am: NineAm) -> None:
    def work(seed: int) -> list[timedelta]:
        drawn = backlog_work(nine_am.view, at=START, seed=seed, scenario=AFTERNOON)
        assert {a.ticket_id for a in drawn} == {*nine_am.held, *nine_am.waiting}
        return [a.work for a in drawn]

    assert work(1) == work(1)
    assert work(1) != work(2)
    held = {a.ticket_id: a for a in backlog_work(nine_am.view, at=START, seed=1)}
    ana_held = next(t for t, a in nine_am.held.items() if a == nine_am.ana)
    assert held[ana_held].work > timedelta(minutes=30)  # held since 8:30: that much is done
    # without a scenario, drawn from the resolved tickets' handle times (40 and 20 minutes)
    assert {held[t].work for t in nine_am.waiting} <= {timedelta(minutes=40), timedelta(minutes=20)}


def test_a_forecast_refuses_no_hours_and_a_view_past_its_start(nine_am: NineAm) -> None:
    with pytest.raises(ConfigurationError, match="positive number of hours"):
        forecast(nine_am.view, fifo(), at=START, hours=0)
    with pytest.raises(ConfigurationError, match="received after"):
        forecast(nine_am.view, fifo(), at=START.replace(hour=8), hours=1)


def test_a_forecast_without_a_scenario_needs_resolved_tickets(desk: HelpDesk) -> None:
    desk.join_agent("Ana", at=START)
    desk.receive(channel="email", customer_id="c", at=START)
    with pytest.raises(ConfigurationError, match="no resolved ticket"):
        forecast(desk.view_as_of(START), fifo(), at=START, hours=1)


# --- a recorded period -------------------------------------------------------------------


def recorded_history(policy: PullPolicy) -> SimulationResult:
    """A desk's own week-day, recorded as events: shifts, priorities, capacity 2, patience,
    transfers and escalations (no automatic escalation: the history does not record one)."""
    scenario = busy_day(tickets=120).model_copy(update={"escalation": None, "reopens": None})
    return simulate(scenario, draw_arrivals(scenario, seed=8), policy, sla=SLA)


@pytest.mark.parametrize("name", ["fifo", "priority", "tiered"])
def test_a_recorded_period_forecast_under_the_historys_policy_gives_the_history_back(
    name: str,
) -> None:
    """From the desk as it was at an instant, serving the tickets it recorded after it
    under the policy it ran gives back every ticket's facts, backlog and later arrivals."""
    policy = POLICIES[name]
    history = recorded_history(policy)
    trace = trace_from_events(history.events)
    arrivals = sorted(trace.arrivals, key=lambda a: a.at)
    at = arrivals[len(arrivals) // 2].at
    view = fold(DeskView(sla=SLA), history.events, until=at)
    assert any(True for _ in view.queues.open_tickets())  # the cut leaves a backlog
    run = forecast(view, policy, at=at, hours=24 * 7, recorded=trace)
    recorded = {f.ticket_id: f for f in history.facts}
    got = {f.ticket_id: f for f in run.facts}
    assert any(f.received_at > at for f in got.values())
    assert got == {ticket: recorded[ticket] for ticket in got}


def test_a_recorded_period_forecast_tells_policies_apart_and_refuses_a_scenario_too() -> None:
    history = recorded_history(POLICIES["fifo"])
    trace = trace_from_events(history.events)
    at = sorted(trace.arrivals, key=lambda a: a.at)[60].at
    view = fold(DeskView(sla=SLA), history.events, until=at)
    fifo_run = forecast(view, POLICIES["fifo"], at=at, hours=48, recorded=trace)
    priority_run = forecast(view, POLICIES["priority"], at=at, hours=48, recorded=trace)
    assert fifo_run.kpis().wait != priority_run.kpis().wait
    with pytest.raises(ConfigurationError, match="not both"):
        forecast(view, POLICIES["fifo"], at=at, hours=8, recorded=trace, scenario=busy_day())
