"""The simulation engine: checked against Erlang C, deterministic, speaking the desk's events."""

from __future__ import annotations

import math
import statistics
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from ticketlog import ConfigurationError, HelpDesk, Priority, TicketAssigned, TicketReceived
from ticketlog.io.frames import comparison_frame
from ticketlog.policies import fifo, priority
from ticketlog.policies.registry import pull_policy
from ticketlog.projections import DeskView, fold
from ticketlog.simulation import (
    AgentGroup,
    Arrival,
    CsatModel,
    Exponential,
    Handoff,
    Reopens,
    Scenario,
    Shift,
    SimulationResult,
    draw_arrivals,
    erlang_a_abandonment,
    erlang_c,
    erlang_c_mean_wait,
    load_scenario,
    simulate,
    trace_from_events,
    trace_from_store,
)
from ticketlog.simulation.compare import compare


def mmc(tickets: int, *, servers: int = 10) -> Scenario:
    """M/M/c: Poisson arrivals at 100/h, exponential handling with a 5 minute mean."""
    return Scenario(
        tickets=tickets,
        arrivals_per_hour=100,
        handle_time=Exponential(mean_minutes=5),
        agents=(AgentGroup(count=servers),),
    )


def test_erlang_c_matches_the_published_figures() -> None:
    assert erlang_c(100 / 60, 1 / 5, 10) == pytest.approx(0.4876, abs=5e-5)
    assert erlang_c_mean_wait(100 / 60, 1 / 5, 10) == pytest.approx(1.4628, abs=5e-5)
    with pytest.raises(ValueError, match="unstable"):
        erlang_c(2.0, 1.0, 2)


def test_the_same_seed_gives_the_same_history_and_policies_see_the_same_arrivals() -> None:
    scenario = mmc(500, servers=3)
    first = simulate(scenario, draw_arrivals(scenario, seed=7), fifo())
    again = simulate(scenario, draw_arrivals(scenario, seed=7), fifo())
    by_priority = simulate(scenario, draw_arrivals(scenario, seed=7), priority())
    assert first.events == again.events
    received = [e for e in first.events if isinstance(e, TicketReceived)]
    assert received == [e for e in by_priority.events if isinstance(e, TicketReceived)]
    assert len(received) == 500
    other_seed = simulate(scenario, draw_arrivals(scenario, seed=8), fifo())
    assert other_seed.events != first.events


def test_the_simulated_view_is_the_fold_of_its_events() -> None:
    scenario = mmc(300, servers=2)
    result = simulate(scenario, draw_arrivals(scenario, seed=3), fifo())
    assert fold(DeskView(), result.events) == result.view
    assert result.kpis().resolved == 300


def test_a_simulated_history_can_be_saved_to_a_store_and_read_back(tmp_path: Path) -> None:
    scenario = mmc(50, servers=2)
    result = simulate(scenario, draw_arrivals(scenario, seed=5), fifo())
    with HelpDesk(f"sqlite:///{tmp_path / 'sim.db'}") as desk:
        desk.save(*result.events)
        assert [event for _, event in desk.read_log()] == result.events
        assert desk.view() == result.view


def test_a_scenario_is_loaded_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "desk.toml"
    path.write_text(
        "tickets = 100\narrivals_per_hour = 20\n"
        '[handle_time]\nkind = "lognormal"\nmean_minutes = 8\nsd_minutes = 4\n'
        "[priorities]\nnormal = 3\nurgent = 1\n"
        '[[agents]]\ncount = 2\nskills = ["billing"]\n'
    )
    scenario = load_scenario(path)
    assert scenario.tickets == 100
    assert scenario.agents[0].skills == frozenset({"billing"})
    arrivals = draw_arrivals(scenario, seed=1)
    assert arrivals == draw_arrivals(scenario, seed=1)
    assert {a.priority for a in arrivals} == {"normal", "urgent"}
    assert all(a.work.total_seconds() > 0 for a in arrivals)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tickets = ", "not valid TOML"),
        ("tickets = 10\narrivals_per_hour = -1\n", "arrivals_per_hour"),
        ("tickets = 10\narrivals_per_hour = 5\n[handle_time]\nkind = 'gamma'\n", "handle_time"),
    ],
)
def test_a_bad_scenario_file_is_one_clear_configuration_error(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=message) as excinfo:
        load_scenario(path)
    assert "\n" not in str(excinfo.value)


def test_a_missing_scenario_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read scenario"):
        load_scenario(tmp_path / "missing.toml")


def test_compare_runs_every_policy_on_the_same_draws_with_confidence_intervals() -> None:
    scenario = Scenario(
        tickets=400,
        arrivals_per_hour=24,
        handle_time=Exponential(mean_minutes=4),
        priorities={"urgent": 1, "normal": 3},
        agents=(AgentGroup(count=2),),
    )
    with ThreadPoolExecutor(max_workers=2) as pool:
        comparison = compare(scenario, ["fifo", "priority"], replications=3, seed=9, executor=pool)
    assert set(comparison.results) == {"fifo", "priority"}
    for kpis in comparison.results.values():
        assert kpis["resolved"].mean == 400
        assert kpis["resolved"].half_width == 0
    # The FIFO figures are the mean and t-interval of single runs on seeds 9, 10 and 11.
    expected = []
    for replication in range(3):
        run = simulate(scenario, draw_arrivals(scenario, seed=9 + replication), fifo())
        wait = run.kpis().wait.mean
        assert wait is not None
        expected.append(wait.total_seconds() / 60)
    assert comparison.results["fifo"]["wait_mean_min"].mean == pytest.approx(
        statistics.fmean(expected)
    )
    half_width = T_975_2 * statistics.stdev(expected) / math.sqrt(3)
    assert comparison.results["fifo"]["wait_mean_min"].half_width == pytest.approx(half_width)


T_975_2 = 4.303
"""Student's t quantile for a two-sided 95 % interval with 2 degrees of freedom."""


@pytest.mark.parametrize(
    ("policies", "replications", "message"),
    [
        ([], 3, "at least one policy"),
        (["fifo"], 0, "at least one"),
        (["fifo", "fifo"], 2, "differ"),
    ],
)
def test_compare_refuses_meaningless_requests(
    policies: list[str], replications: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        compare(mmc(10), policies, replications=replications)


def test_replaying_a_history_under_its_own_policy_reproduces_its_waits(tmp_path: Path) -> None:
    scenario = mmc(800, servers=3)
    original = simulate(scenario, draw_arrivals(scenario, seed=2), fifo())
    with HelpDesk(f"sqlite:///{tmp_path / 'history.db'}") as desk:
        desk.save(*original.events)
        trace = trace_from_store(desk)
    assert (len(trace.arrivals), trace.skipped, len(trace.agents)) == (800, 0, 3)
    replayed = simulate(trace, trace.arrivals, fifo())
    waits = {f.ticket_id: f.wait for f in original.facts}
    assert {f.ticket_id: f.wait for f in replayed.facts} == waits
    assert replayed.events == original.events


def test_a_replay_holds_arrivals_and_work_fixed_and_lets_the_policy_change_the_waits() -> None:
    scenario = Scenario(
        tickets=600,
        arrivals_per_hour=24,
        handle_time=Exponential(mean_minutes=4),
        priorities={"urgent": 1, "normal": 3},
        agents=(AgentGroup(count=2),),
    )
    history = simulate(scenario, draw_arrivals(scenario, seed=6), fifo())
    trace = trace_from_events(history.events)
    under_priority = simulate(trace, trace.arrivals, priority())
    facts = {f.ticket_id: f for f in history.facts}
    for f in under_priority.facts:
        assert f.received_at == facts[f.ticket_id].received_at
        assert f.handle_time == facts[f.ticket_id].handle_time
    by_priority = under_priority.kpis_by("priority")
    by_fifo = history.kpis_by("priority")
    urgent_under_priority = by_priority[Priority.URGENT].wait.mean
    urgent_under_fifo = by_fifo[Priority.URGENT].wait.mean
    assert urgent_under_priority is not None
    assert urgent_under_fifo is not None
    assert urgent_under_priority < urgent_under_fifo


def test_unresolved_tickets_are_left_out_of_a_trace_and_counted(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", capacity=2)
    done = desk.receive(channel="email", customer_id="a")
    desk.assign(done, ann)
    desk.resolve(done, ann)
    desk.receive(channel="email", customer_id="b")
    trace = trace_from_store(desk)
    assert [a.ticket_id for a in trace.arrivals] == [done]
    assert trace.skipped == 1
    assert trace.agents[0].profile.capacity == 2  # replayed agents keep their capacity


def test_erlang_a_becomes_a_poisson_tail_when_patience_equals_service() -> None:
    # With abandon rate = service rate every customer leaves at rate mu: the number in the
    # system is Poisson(load), as in M/M/infinity, so E[(N - c)+] has a closed form.
    load, servers = 4.0, 3
    poisson = [math.exp(-load) * load**k / math.factorial(k) for k in range(80)]
    queue_length = sum(max(k - servers, 0) * p for k, p in enumerate(poisson))
    assert erlang_a_abandonment(load, 1.0, servers, 1.0) == pytest.approx(queue_length / load)


def test_arrivals_follow_the_hourly_and_weekly_profiles() -> None:
    hourly = tuple(3.0 if 9 <= hour < 17 else 0.5 for hour in range(24))
    weekly = (1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0)  # nothing arrives at weekends
    scenario = Scenario(
        start=datetime(2026, 1, 5, 0, 0, tzinfo=UTC),  # a Monday
        tickets=20_000,
        arrivals_per_hour=20,
        hourly_profile=hourly,
        weekly_profile=weekly,
        handle_time=Exponential(mean_minutes=1),
        agents=(AgentGroup(count=1),),
    )
    arrivals = draw_arrivals(scenario, seed=4)
    assert all(a.at.weekday() < 5 for a in arrivals)
    days = (arrivals[-1].at - scenario.start).days  # whole days covered by the draw
    within = [a for a in arrivals if a.at < scenario.start + timedelta(days=days)]
    weekdays = sum(1 for d in range(days) if (scenario.start + timedelta(days=d)).weekday() < 5)
    office = sum(1 for a in within if 9 <= a.at.hour < 17)
    night = len(within) - office
    expected_office = 20 * 3.0 * 8 * weekdays
    expected_night = 20 * 0.5 * 16 * weekdays
    # Poisson counts: within 4 standard deviations of their expectation.
    assert abs(office - expected_office) < 4 * math.sqrt(expected_office)
    assert abs(night - expected_night) < 4 * math.sqrt(expected_night)


def test_a_comparison_is_a_dataframe_with_one_row_per_policy() -> None:
    scenario = mmc(200, servers=2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        comparison = compare(scenario, ["fifo", "sla"], replications=2, seed=1, executor=pool)
    frame = comparison_frame(comparison)
    assert list(frame.index) == ["fifo", "sla"]
    assert frame.index.name == "policy"
    assert frame.loc["sla", "resolved"] == 200
    fifo_wait = comparison.results["fifo"]["wait_mean_min"]
    assert frame.loc["fifo", "wait_mean_min"] == fifo_wait.mean
    assert frame.loc["fifo", "wait_mean_min_ci"] == fifo_wait.half_width


def test_languages_plans_and_first_time_customers_are_drawn_only_when_asked_for() -> None:
    plain = mmc(2_000, servers=2)
    mixed = plain.model_copy(
        update={
            "languages": {"en": 3.0, "de": 1.0},
            "plans": {"free": 1.0, "pro": 1.0},
            "first_time_share": 0.25,
        }
    )
    before = draw_arrivals(plain, seed=2)
    after = draw_arrivals(mixed, seed=2)
    assert {(a.language, a.plan, a.first_time) for a in before} == {("en", None, False)}
    assert [a.at for a in after] == [a.at for a in before]  # the other draws are unchanged
    assert [a.work for a in after] == [a.work for a in before]
    german = sum(a.language == "de" for a in after) / len(after)
    first_time = sum(a.first_time for a in after) / len(after)
    assert abs(german - 0.25) < 0.04
    assert abs(first_time - 0.25) < 0.04
    assert {a.plan for a in after} == {"free", "pro"}


@pytest.mark.parametrize("policy", ["fifo", "priority", "tiered"])
def test_replaying_a_history_with_every_journey_under_its_own_policy_gives_it_back(
    policy: str,
) -> None:
    scenario = Scenario(
        tickets=1_500,
        arrivals_per_hour=60,
        handle_time=Exponential(mean_minutes=8),
        priorities={Priority.HIGH: 1, Priority.NORMAL: 3},
        transfers=Handoff(probability=0.1, queue="billing"),
        escalations=Handoff(probability=0.05),
        reopens=Reopens(probability=0.1, after=Exponential(mean_minutes=60)),
        csat=CsatModel(),
        agents=(
            AgentGroup(count=5, capacity=2, shift=Shift(start_hour=8, hours=8, days=range(7))),
            AgentGroup(count=2, tier=2, name="senior"),
        ),
    )
    history = simulate(scenario, draw_arrivals(scenario, seed=3), pull_policy(policy))
    trace = trace_from_events(history.events)
    replayed = simulate(trace, trace.arrivals, pull_policy(policy))

    def journeys(result: SimulationResult) -> dict[object, tuple[object, ...]]:
        return {
            f.ticket_id: (f.wait, f.resolved_at, f.csat, f.transfers, f.escalations, f.reopens)
            for f in result.facts
        }

    assert trace.skipped == 0
    assert sum(f.transfers + f.escalations + f.reopens > 0 for f in history.facts) > 200
    assert sum(f.csat is not None for f in history.facts) > 300
    assert journeys(replayed) == journeys(history)
    assert replayed.end == history.end


@pytest.mark.parametrize("policy", ["fifo", "easiest-first"])
def test_customers_who_gave_up_are_replayed_and_give_up_again_under_the_same_policy(
    policy: str,
) -> None:
    scenario = Scenario(
        tickets=1_500,
        arrivals_per_hour=80,
        handle_time=Exponential(mean_minutes=8),
        categories={"billing": 1, "technical": 2},
        patience=Exponential(mean_minutes=30),
        agents=(AgentGroup(count=8),),
    )
    history = simulate(scenario, draw_arrivals(scenario, seed=4), pull_policy(policy))
    gave_up = {f.ticket_id for f in history.facts if f.abandoned_at is not None}
    assert len(gave_up) > 50
    trace = trace_from_events(history.events)
    assert trace.skipped == 0
    replayed = simulate(trace, trace.arrivals, pull_policy(policy))

    def outcome(result: SimulationResult) -> dict[object, tuple[object, ...]]:
        return {f.ticket_id: (f.wait, f.abandoned_at, f.resolved_at) for f in result.facts}

    assert outcome(replayed) == outcome(history)
    # Their work was never seen: the median of resolved tickets of their category stands in.
    resolved = {f.ticket_id: f for f in history.facts if f.resolutions}
    for arrival in (a for a in trace.arrivals if a.ticket_id in gave_up):
        same_category = sorted(
            f.handle_time for f in resolved.values() if f.category == arrival.category
        )
        assert arrival.work == statistics.median_low(same_category)
        assert arrival.patience is not None


def two_teams(tickets: int = 600) -> tuple[Scenario, list[Arrival]]:
    """Two general agents and one of billing; a third of the tickets are billing's."""
    scenario = Scenario(
        tickets=tickets,
        arrivals_per_hour=20,
        handle_time=Exponential(mean_minutes=6),
        transfers=Handoff(probability=0.1, queue="billing"),
        agents=(AgentGroup(count=2), AgentGroup(count=1, name="biller", team="billing")),
    )
    arrivals = [
        attrs.evolve(a, queue="billing") if n % 3 == 0 else a
        for n, a in enumerate(draw_arrivals(scenario, seed=8))
    ]
    return scenario, arrivals


def takers(result: SimulationResult) -> list[tuple[str, str]]:
    """(the ticket's queue, the taker's team) of every assignment of the run."""
    assert result.view is not None
    teams = {w.agent_id: w.team for w in result.workloads.workloads(now=result.end)}
    queues = DeskView()
    taken = []
    for event in result.events:
        if isinstance(event, TicketAssigned):
            record = queues.queues.get(event.originator_id)
            assert record is not None
            taken.append((record.queue, teams[event.agent_id]))
        queues.apply(event)
    return taken


def test_team_queues_keep_each_team_on_its_queues_unless_it_overflows() -> None:
    scenario, arrivals = two_teams()
    own = simulate(scenario, arrivals, pull_policy("team-queues"))
    assert len(own.facts) == 600
    assert all(queue == team for queue, team in takers(own))
    overflowing = simulate(scenario, arrivals, pull_policy("team-queues", overflow=True))
    crossed = [(q, t) for q, t in takers(overflowing) if q != t]
    assert crossed  # idle agents served the other team's queue
    pooled, apart = overflowing.kpis().wait.mean, own.kpis().wait.mean
    assert pooled is not None
    assert apart is not None
    assert pooled < apart  # pooling shortens waits
    for policy in (pull_policy("team-queues"), pull_policy("team-queues", overflow=True)):
        full = simulate(scenario, arrivals, policy)
        fast = simulate(scenario, arrivals, policy, fast=True)
        assert list(fast.facts) == list(full.facts)


def test_replaying_a_team_queues_history_under_team_queues_gives_it_back() -> None:
    scenario, arrivals = two_teams()
    history = simulate(scenario, arrivals, pull_policy("team-queues", overflow=True))
    trace = trace_from_events(history.events)
    assert trace.skipped == 0
    assert trace.recorded is not None
    assert {f.ticket_id for f in trace.recorded.facts} == {a.ticket_id for a in trace.arrivals}
    replayed = simulate(trace, trace.arrivals, pull_policy("team-queues", overflow=True))
    assert replayed.events == history.events
