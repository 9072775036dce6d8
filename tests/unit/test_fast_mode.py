"""The engine's fast mode keeps the same books as its full-event mode.

For random small scenarios — ticket mixes, capacities, patience, transfers, escalations,
reopens, ratings, shifts, several agent groups — and every :class:`Ordered` built-in
policy, ``simulate(..., fast=True)`` and ``simulate(...)`` must agree ticket by ticket
(the facts), on every KPI, on when the run ends, on the backlog over time and on every
agent's workload. The fast mode refuses the policies it cannot run, and the full mode's
view is the fold of its events.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeVar
from uuid import UUID

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketlog import (
    AgentWentOffline,
    AgentWentOnline,
    Channel,
    ConfigurationError,
    Priority,
    TicketAbandoned,
    TicketAssigned,
    TicketEscalated,
    TicketRated,
    TicketReopened,
    TicketTransferred,
)
from ticketlog.domain.values import AwaitedParty
from ticketlog.policies import (
    Affinity,
    Ordered,
    PullPolicy,
    Staged,
    easiest_first,
    fifo,
    priority,
    skills_based,
    sla_driven,
    team_queues,
    tiered,
    tiered_skills,
    value_based,
)
from ticketlog.policies.reads import runs_fast
from ticketlog.policies.registry import create, names, pull_policy
from ticketlog.projections import (
    DeskView,
    QueuedTicket,
    Queues,
    SlaTargets,
    Workload,
    Workloads,
    fold,
)
from ticketlog.projections.queues import by_priority
from ticketlog.simulation import (
    AgentGroup,
    Arrival,
    Exponential,
    LogNormal,
    Scenario,
    SimulationResult,
    draw_arrivals,
    simulate,
)
from ticketlog.simulation.compare import compare
from ticketlog.simulation.scenario import (
    AGENT_IDS,
    AutoEscalation,
    CsatModel,
    Empirical,
    Handoff,
    JourneyStep,
    Reopens,
    Shift,
    StepKind,
)

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
"""A Tuesday morning, as in ``tests/conftest.py``."""

CATEGORIES = ("general", "billing", "technical")
QUEUES = ("general", "billing", "technical")
PLANS = ("free", "pro", "enterprise")
HANDOFFS: list[Literal["transfer", "escalate"] | None] = [None, "transfer", "escalate"]

EXAMPLES = max(5, settings().max_examples // 4)
"""Examples per policy: a quarter of the active profile's (12 under ``dev``)."""

CHOSEN: dict[str, PullPolicy] = {
    "fifo": fifo(),
    "priority": priority(),
    "sla": sla_driven(),
    "easiest-first": easiest_first(),
    "easiest-first-aging": easiest_first(aging=0.05),
    "value": value_based({"pro": 50.0, "enterprise": 200.0}, first_time_boost=25.0),
    "tiered": tiered(),
    "tiered-overflow": tiered(overflow=True),
    "skills": skills_based(),
    "skills-by-priority": skills_based(key=by_priority),
    "tiered-skills": tiered_skills(),
    "team-queues": team_queues(),
    "team-queues-overflow": team_queues(overflow=True, key=by_priority),
}
"""Every built-in the fast mode runs, some also with options that change what they decide."""
POLICIES = list(CHOSEN.values())
IDS = list(CHOSEN)


def test_the_policies_under_test_are_every_built_in_the_fast_mode_runs() -> None:
    built_in = {name for name in names() if runs_fast(create(name))}
    assert built_in == {p.name for p in POLICIES}
    assert len(built_in) >= 9  # fifo, priority, sla, easiest-first, value, tiered, skills, ...
    assert all(isinstance(p, Ordered | Staged) for p in POLICIES)


# --- random scenarios --------------------------------------------------------------------------


Duration = Exponential | LogNormal | Empirical


@st.composite
def durations(draw: st.DrawFn, *, low: float, high: float) -> Duration:
    """An exponential, log-normal or empirical duration with a mean within [low, high]."""
    kind = draw(st.sampled_from(["exponential", "lognormal", "empirical"]))
    mean = draw(st.floats(low, high))
    if kind == "exponential":
        return Exponential(mean_minutes=mean)
    if kind == "lognormal":
        return LogNormal(mean_minutes=mean, sd_minutes=draw(st.floats(0.1 * mean, 2 * mean)))
    minutes = draw(st.lists(st.floats(low / 4, 2 * high), min_size=1, max_size=6))
    return Empirical(minutes=tuple(minutes))


def weights(keys: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, float]]:
    return st.dictionaries(keys, st.floats(0.1, 5.0), min_size=1, max_size=4)


shifts = st.builds(
    Shift,
    start_hour=st.sampled_from([0.0, 6.0, 8.5, 13.0, 22.0]),
    hours=st.floats(2.0, 24.0),
    days=st.frozensets(st.integers(0, 6), min_size=1),
)


@st.composite
def agent_groups(draw: st.DrawFn, *, tier: int, shifted: bool = False) -> AgentGroup:
    """A group of tier ``tier``; ``shifted``: it surely works in shifts."""
    return AgentGroup(
        count=draw(st.integers(1, 3)),
        name=f"tier{tier}-{draw(st.integers(0, 99))}",
        team=draw(st.sampled_from(QUEUES)),
        tier=tier,
        capacity=draw(st.integers(1, 3)),
        skills=draw(st.frozensets(st.sampled_from(CATEGORIES))),
        languages=draw(st.sampled_from([frozenset({"en"}), frozenset({"en", "de"})])),
        shift=draw(shifts if shifted else st.none() | shifts),
    )


T = TypeVar("T")


def optional(strategy: st.SearchStrategy[T], *, always: bool) -> st.SearchStrategy[T | None]:
    """``strategy``, or also ``None`` unless ``always``."""
    return strategy if always else st.none() | strategy


@st.composite
def scenarios(draw: st.DrawFn, *, every_feature: bool = False) -> Scenario:
    """A small scenario; ``every_feature`` turns on every optional part."""
    on = every_feature
    escalations = draw(
        optional(
            st.builds(Handoff, probability=st.floats(0.05, 0.4), queue=st.sampled_from(QUEUES)),
            always=on,
        )
    )
    auto_escalation = draw(
        optional(
            st.builds(
                AutoEscalation,
                path=st.sampled_from(
                    [((1, "general"), (2, "billing")), ((1, "billing"), (2, "technical"))]
                ),
                every_minutes=st.sampled_from([1.0, 5.0, 30.0]),
            ),
            always=on,
        )
    )
    groups = [draw(agent_groups(tier=1, shifted=on))]
    groups += draw(st.lists(agent_groups(tier=1), max_size=1))
    if escalations is not None or auto_escalation is not None or draw(st.booleans()):
        groups.append(draw(agent_groups(tier=2)))
    return Scenario(
        start=START + timedelta(hours=draw(st.integers(0, 7 * 24 - 1))),
        tickets=draw(st.integers(1, 150)),
        arrivals_per_hour=draw(st.floats(1.0, 40.0)),
        handle_time=draw(durations(low=1.0, high=30.0)),
        patience=draw(optional(durations(low=5.0, high=240.0), always=on)),
        priorities=draw(weights(st.sampled_from(list(Priority)))),
        categories=draw(weights(st.sampled_from(CATEGORIES))),
        channels=draw(weights(st.sampled_from(list(Channel)))),
        languages=draw(optional(weights(st.sampled_from(["en", "de"])), always=on)),
        plans=draw(optional(weights(st.sampled_from(PLANS)), always=on)),
        first_time_share=draw(st.floats(0.0, 1.0)),
        customer_values=draw(
            optional(
                st.dictionaries(
                    st.sampled_from([0.0, 10.0, 100.0]), st.floats(0.1, 5.0), min_size=1
                ),
                always=on,
            )
        ),
        transfers=draw(
            optional(
                st.builds(Handoff, probability=st.floats(0.05, 0.5), queue=st.sampled_from(QUEUES)),
                always=on,
            )
        ),
        escalations=escalations,
        reopens=draw(
            optional(
                st.builds(
                    Reopens,
                    probability=st.floats(0.05, 0.5),
                    after=durations(low=1.0, high=600.0),
                    work=durations(low=0.5, high=20.0),
                ),
                always=on,
            )
        ),
        csat=draw(optional(st.builds(CsatModel, response_rate=st.floats(0.1, 1.0)), always=on)),
        escalation=auto_escalation,
        agents=tuple(groups),
    )


SLA = SlaTargets()


def assert_same_books(full: SimulationResult, fast: SimulationResult) -> None:
    """The fast run kept exactly the full run's books."""
    assert fast.events == []
    assert fast.view is None
    assert {f.ticket_id: f for f in fast.facts} == {f.ticket_id: f for f in full.facts}
    assert fast.end == full.end
    assert fast.start == full.start
    assert fast.kpis() == full.kpis()
    for dimension in ("priority", "queue", "tier", "agent"):
        assert fast.kpis_by(dimension) == full.kpis_by(dimension)
    assert fast.backlog.queues() == full.backlog.queues()
    step = max((full.end - full.start) / 50, timedelta(minutes=1))
    for queue in (None, *full.backlog.queues()):
        series = full.backlog.series(full.start, full.end, step, queue=queue)
        assert fast.backlog.series(full.start, full.end, step, queue=queue) == series
    assert fast.workloads.workloads(now=full.end) == full.workloads.workloads(now=full.end)


@pytest.mark.parametrize("policy", POLICIES, ids=IDS)
@settings(max_examples=EXAMPLES, deadline=None)
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_the_fast_mode_keeps_the_same_books_as_the_full_mode(
    policy: PullPolicy, scenario: Scenario, seed: int
) -> None:
    arrivals = draw_arrivals(scenario, seed=seed)
    full = simulate(scenario, arrivals, policy, sla=SLA)
    fast = simulate(scenario, arrivals, policy, sla=SLA, fast=True)
    assert len(full.facts) == scenario.tickets
    assert_same_books(full, fast)


@st.composite
def gridded_arrivals(draw: st.DrawFn) -> list[Arrival]:
    """Hand-built arrivals on a whole-minute grid (many simultaneous events), with tiers,
    languages and required skills the scenarios never draw."""
    count = draw(st.integers(1, 60))
    arrivals = []
    for n in range(count):
        handoff = draw(st.sampled_from(HANDOFFS))
        reopen = draw(st.none() | st.integers(0, 120))
        work = timedelta(minutes=draw(st.integers(0, 40)))
        arrivals.append(
            Arrival(
                ticket_id=UUID(int=n + 1),
                at=START + timedelta(minutes=draw(st.integers(0, 240))),
                priority=draw(st.sampled_from(list(Priority))),
                category=draw(st.sampled_from(CATEGORIES)),
                channel=draw(st.sampled_from(list(Channel))),
                work=work,
                customer_id=f"customer-{draw(st.integers(1, 8))}",
                language=draw(st.sampled_from(["en", "de"])),
                plan=draw(st.none() | st.sampled_from(PLANS)),
                customer_value=draw(st.sampled_from([0.0, 10.0, 100.0])),
                first_time=draw(st.booleans()),
                queue=draw(st.sampled_from(QUEUES)),
                tier=draw(st.integers(1, 2)),
                required_skills=draw(st.frozensets(st.sampled_from(["vip", "sso"]), max_size=1)),
                patience=draw(st.none() | st.integers(0, 60).map(lambda m: timedelta(minutes=m))),
                handoff=handoff,
                handoff_after=work * draw(st.sampled_from([0.0, 0.25, 0.5, 1.0])),
                handoff_queue=draw(st.sampled_from(QUEUES)),
                reopen_after=None if reopen is None else timedelta(minutes=reopen),
                reopen_work=timedelta(minutes=draw(st.integers(0, 10))),
                rating_noise=draw(st.none() | st.floats(-3.0, 3.0)),
            )
        )
    return arrivals


@st.composite
def gridded_staffing(draw: st.DrawFn) -> Scenario:
    groups = [
        AgentGroup(
            count=draw(st.integers(1, 2)),
            name=f"group-{tier}",
            team=draw(st.sampled_from(QUEUES)),
            tier=tier,
            capacity=draw(st.integers(1, 3)),
            skills=draw(st.frozensets(st.sampled_from([*CATEGORIES, "vip", "sso"]))),
            languages=draw(st.sampled_from([frozenset({"en"}), frozenset({"en", "de"})])),
            shift=draw(
                st.none()
                | st.builds(
                    Shift,
                    start_hour=st.sampled_from([9.0, 10.0, 11.5]),
                    hours=st.sampled_from([1.0, 2.0, 24.0]),
                    days=st.just(frozenset(range(7))),
                )
            ),
        )
        for tier in (1, 2, 3)[: draw(st.integers(1, 3))]
    ]
    return Scenario(
        start=START,
        tickets=1,
        arrivals_per_hour=1,
        handle_time=Exponential(mean_minutes=1),
        csat=draw(st.none() | st.just(CsatModel())),
        agents=tuple(groups),
    )


@settings(max_examples=2 * EXAMPLES, deadline=None)
@given(staffing=gridded_staffing(), arrivals=gridded_arrivals(), policy=st.sampled_from(POLICIES))
def test_the_fast_mode_agrees_on_simultaneous_events_and_hand_built_tickets(
    staffing: Scenario, arrivals: list[Arrival], policy: PullPolicy
) -> None:
    full = simulate(staffing, arrivals, policy, sla=SLA)
    fast = simulate(staffing, arrivals, policy, sla=SLA, fast=True)
    assert_same_books(full, fast)


@st.composite
def journeys(
    draw: st.DrawFn, *, work: timedelta, reopen_work: timedelta | None, agents: int
) -> tuple[JourneyStep, ...]:
    """Up to five steps of every kind, in order of stage and work, some taken while the
    ticket waits, handing it to any of the first ``agents`` agents."""
    steps = []
    for reopened in (False, True) if reopen_work is not None else (False,):
        stage = reopen_work if reopened and reopen_work is not None else work
        shares = sorted(draw(st.lists(st.sampled_from([0.0, 0.3, 0.5, 1.0]), max_size=3)))
        for share in shares:
            kind = draw(st.sampled_from(STEP_KINDS))
            steps.append(
                JourneyStep(
                    kind,
                    stage * share,
                    reopened=reopened,
                    held=draw(st.booleans()),
                    queue=draw(st.none() | st.sampled_from(QUEUES)),
                    tier=draw(st.none() | st.integers(1, 3)),
                    agent_id=UUID(int=AGENT_IDS + draw(st.integers(0, agents - 1)))
                    if kind == "reassign" or (kind == "transfer" and draw(st.booleans()))
                    else None,
                    lasts=timedelta(minutes=draw(st.integers(0, 90))),
                    party=draw(st.sampled_from(list(AwaitedParty))),
                )
            )
    return tuple(steps)


STEP_KINDS: list[StepKind] = ["transfer", "escalate", "deescalate", "release", "reassign", "await"]


@settings(max_examples=2 * EXAMPLES, deadline=None)
@given(staffing=gridded_staffing(), data=st.data(), policy=st.sampled_from(POLICIES))
def test_the_fast_mode_agrees_on_journeys_of_every_step(
    staffing: Scenario, data: st.DataObject, policy: PullPolicy
) -> None:
    agents = len(staffing.agent_specs())
    arrivals = [
        attrs.evolve(
            arrival,
            handoff=None,
            handoff_after=timedelta(0),
            reopen_closes=data.draw(st.booleans(), label=f"closes {arrival.ticket_id.int}"),
            steps=data.draw(
                journeys(
                    work=arrival.work,
                    reopen_work=None if arrival.reopen_after is None else arrival.reopen_work,
                    agents=agents,
                ),
                label=f"steps of {arrival.ticket_id.int}",
            ),
        )
        for arrival in data.draw(gridded_arrivals(), label="arrivals")
    ]
    full = simulate(staffing, arrivals, policy, sla=SLA)
    fast = simulate(staffing, arrivals, policy, sla=SLA, fast=True)
    assert_same_books(full, fast)
    facts = {f.ticket_id: f for f in full.facts}
    for arrival in arrivals:  # a ticket resolved for good took every step: each pause once
        done = facts[arrival.ticket_id]
        if done.resolutions and arrival.reopen_after is None:
            assert len(done.pauses) == sum(step.kind == "await" for step in arrival.steps)
            moves = done.transfers + done.escalations + done.deescalations + done.reassignments
            assert moves <= sum(step.kind != "await" for step in arrival.steps)


def all_features(tickets: int = 400) -> Scenario:
    """A scenario with every feature on, busy enough that every path is taken."""
    return Scenario(
        start=START,
        tickets=tickets,
        arrivals_per_hour=14,
        handle_time=LogNormal(mean_minutes=12, sd_minutes=8),
        patience=Exponential(mean_minutes=90),
        priorities={Priority.URGENT: 1, Priority.NORMAL: 3, Priority.LOW: 1},
        categories={"billing": 1, "technical": 2},
        plans={"free": 3, "pro": 1},
        first_time_share=0.2,
        customer_values={0.0: 3, 100.0: 1},
        transfers=Handoff(probability=0.15, queue="billing"),
        escalations=Handoff(probability=0.1, queue="technical"),
        reopens=Reopens(probability=0.2, after=Exponential(mean_minutes=120)),
        csat=CsatModel(response_rate=0.6),
        agents=(
            AgentGroup(
                count=2,
                capacity=2,
                skills=frozenset({"billing", "technical"}),
                shift=Shift(start_hour=8, hours=9),
            ),
            AgentGroup(
                count=1,
                name="senior",
                tier=2,
                skills=frozenset({"billing", "technical"}),
                shift=Shift(start_hour=10, hours=8, days=frozenset(range(7))),
            ),
        ),
    )


def most_held_at_once(result: SimulationResult) -> int:
    """The most tickets any agent held at one instant of the run."""
    workloads, most = Workloads(), 0
    for event in result.events:
        workloads.apply(event)
        if isinstance(event, TicketAssigned):
            most = max(most, len(workloads.held_by(event.agent_id)))
    return most


@pytest.mark.parametrize("policy", POLICIES, ids=IDS)
def test_a_run_with_every_feature_takes_every_path_and_the_fast_mode_agrees(
    policy: PullPolicy,
) -> None:
    scenario = all_features()
    full = simulate(scenario, draw_arrivals(scenario, seed=11), policy, sla=SLA)
    kinds = {type(event) for event in full.events}
    for kind in (
        TicketTransferred,
        TicketEscalated,
        TicketReopened,
        TicketRated,
        TicketAbandoned,
        AgentWentOnline,
        AgentWentOffline,
    ):
        assert kind in kinds, kind.__name__  # the comparison below covers this path
    assert most_held_at_once(full) == 2  # agents of capacity 2 did hold two tickets
    fast = simulate(scenario, draw_arrivals(scenario, seed=11), policy, sla=SLA, fast=True)
    assert_same_books(full, fast)


# --- what the fast mode refuses ----------------------------------------------------------------


class _Newest:
    """A pull policy that is not :class:`Ordered`: newest waiting ticket first."""

    name = "newest"

    def tickets_for(
        self, agent: Workload, queues: Queues, *, now: datetime
    ) -> Iterator[QueuedTicket]:
        return iter(sorted(queues.waiting(), key=lambda t: t.received_at, reverse=True))


@pytest.mark.parametrize("policy", [pull_policy("affinity"), _Newest()], ids=["affinity", "custom"])
def test_the_fast_mode_refuses_a_policy_that_is_not_ordered_and_consumes_nothing(
    policy: PullPolicy,
) -> None:
    scenario = all_features(tickets=20)
    drawn = draw_arrivals(scenario, seed=1)
    taken: list[Arrival] = []

    def arrivals() -> Iterator[Arrival]:
        for arrival in drawn:
            taken.append(arrival)
            yield arrival

    with pytest.raises(ConfigurationError, match=f"{policy.name!r} needs the full-event mode"):
        simulate(scenario, arrivals(), policy, fast=True)
    assert taken == []  # refused before reading a single arrival
    full = simulate(scenario, drawn, policy)  # the full mode runs it
    assert len(full.facts) == 20
    assert {e.policy for e in full.events if isinstance(e, TicketAssigned)} == {policy.name}


def test_the_fast_mode_refuses_affinity_even_though_it_wraps_an_ordered_fallback() -> None:
    policy = pull_policy("affinity")
    assert isinstance(policy, Affinity)
    assert isinstance(policy.fallback, Ordered)
    with pytest.raises(ConfigurationError, match="read only tickets and holdings"):
        simulate(all_features(tickets=5), [], policy, fast=True)


def test_a_comparison_runs_affinity_in_the_full_mode_and_ordered_policies_fast() -> None:
    scenario = all_features(tickets=120)
    with ThreadPoolExecutor(max_workers=2) as pool:
        comparison = compare(scenario, ["affinity", "fifo"], replications=1, seed=4, executor=pool)
    arrivals = draw_arrivals(scenario, seed=4)
    for name in ("affinity", "fifo"):
        expected = simulate(scenario, arrivals, pull_policy(name)).kpis()
        resolved = comparison.results[name]["resolved"].mean
        assert resolved == expected.resolved
        wait = comparison.results[name]["wait_mean_min"].mean
        assert expected.wait.mean is not None
        assert wait == pytest.approx(expected.wait.mean.total_seconds() / 60)


# --- the full mode's view is the fold of its events --------------------------------------------


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    scenario=scenarios(every_feature=True),
    seed=st.integers(0, 2**32 - 1),
    policy=st.sampled_from([*POLICIES, pull_policy("affinity")]),
)
def test_the_full_modes_view_is_the_fold_of_its_events_with_every_feature_on(
    scenario: Scenario, seed: int, policy: PullPolicy
) -> None:
    sla = SlaTargets()
    result = simulate(scenario, draw_arrivals(scenario, seed=seed), policy, sla=sla)
    assert result.view is not None
    rebuilt = fold(DeskView(sla=sla), result.events)
    assert rebuilt == result.view
    assert rebuilt.kpis(now=result.end) == result.kpis()
    assert rebuilt.workloads.workloads(now=result.end) == result.workloads.workloads(now=result.end)
    # A view's equality looks at what it holds: a fold of one event fewer differs.
    if len(result.events) > 1:
        assert fold(DeskView(sla=sla), result.events[:-1]) != result.view


def test_the_full_modes_view_is_the_fold_of_its_events_in_a_busy_run() -> None:
    scenario = all_features()
    result = simulate(scenario, draw_arrivals(scenario, seed=5), sla_driven(), sla=SLA)
    assert fold(DeskView(sla=SLA), result.events) == result.view
    versions: dict[UUID, int] = {}
    for event in result.events:  # every aggregate's events are numbered 1, 2, 3, ...
        versions[event.originator_id] = versions.get(event.originator_id, 0) + 1
        assert event.originator_version == versions[event.originator_id]
    instants = [event.at for event in result.events]
    assert instants == sorted(instants)  # the log is in business-time order
    assert instants[-1] <= result.end
