"""Fidelity: the as-recorded baseline gives a simulated history back; its block says how far
off a replay is, with exact earth mover's distances and JSON without NaN."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from uuid import uuid4

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.test_replay_journeys import START, Journeys, _moved, minute
from tests.unit.test_statistics import busy
from ticketlog import (
    HelpDesk,
    InvalidValue,
    ManualClock,
    TicketAssigned,
    TicketEscalated,
    TicketResolved,
    TicketTransferred,
)
from ticketlog.domain.ticket import Ticket
from ticketlog.domain.values import EscalationKind
from ticketlog.policies import fifo, priority
from ticketlog.policies.protocol import PullPolicy
from ticketlog.simulation import (
    AgentGroup,
    Exponential,
    Handoff,
    Reopens,
    Scenario,
    Shift,
    SimulationResult,
    Trace,
    draw_arrivals,
    simulate,
    trace_from_events,
    trace_from_store,
)
from ticketlog.simulation.compare import Comparison, compare
from ticketlog.simulation.fidelity import (
    KPIS,
    Fidelity,
    KpiFidelity,
    as_recorded,
    earth_movers_distance,
)

# --- the earth mover's distance ----------------------------------------------------------


@pytest.mark.parametrize(
    ("u", "v", "distance"),
    [
        ([0.0], [1.0], 1.0),  # one unit of mass moved by 1
        ([0.0, 1.0], [0.5], 0.5),  # half moved up by 0.5, half down by 0.5
        ([0.0, 0.0, 3.0], [1.0], 4 / 3),  # (1 + 1 + 2) / 3
        ([1.0, 2.0, 3.0], [3.0, 1.0, 2.0], 0.0),  # the same sample in another order
        ([1.0, 2.0], [11.0, 12.0], 10.0),  # a shift by 10
        ([0.0, 10.0], [0.0, 0.0, 0.0, 10.0], 2.5),  # F differs by 1/4 over [0, 10)
    ],
)
def test_the_earth_movers_distance_matches_hand_computed_examples(
    u: list[float], v: list[float], distance: float
) -> None:
    assert earth_movers_distance(u, v) == pytest.approx(distance)
    assert earth_movers_distance(v, u) == pytest.approx(distance)


def test_the_earth_movers_distance_of_an_empty_sample_is_undefined() -> None:
    assert earth_movers_distance([], [1.0]) is None
    assert earth_movers_distance([1.0], []) is None


@given(
    st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=30),
    st.floats(-1e3, 1e3),
)
def test_shifting_a_sample_moves_it_by_the_shift(values: list[float], shift: float) -> None:
    shifted = [v + shift for v in values]
    distance = earth_movers_distance(values, shifted)
    assert distance == pytest.approx(abs(shift), abs=1e-6)


# --- relative errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recorded", "baseline", "error", "off"),
    [
        (10.0, 10.5, 5.0, False),
        (10.0, 8.0, -20.0, True),
        (0.0, 0.0, 0.0, False),
        (0.0, 1.0, None, True),  # undefined, and not the same: off
        (None, 1.0, None, True),
        (None, None, None, False),
    ],
)
def test_a_kpi_is_off_when_its_relative_error_passes_the_threshold(
    recorded: float | None, baseline: float | None, error: float | None, off: bool
) -> None:
    kpi = KpiFidelity("wait_mean_min", recorded, baseline)
    assert kpi.relative_error_pct == (None if error is None else pytest.approx(error))
    assert kpi.off(10.0) is off


# --- the as-recorded baseline ------------------------------------------------------------


def journeys(tickets: int = 500) -> Scenario:
    """Tiers, shifts, transfers, escalations, reopens and two priorities: a desk whose
    history a FIFO replay does not give back when it was served by priority."""
    return Scenario(
        tickets=tickets,
        arrivals_per_hour=20,
        handle_time=Exponential(mean_minutes=5),
        priorities={"urgent": 1, "normal": 3},
        transfers=Handoff(probability=0.1, queue="billing"),
        escalations=Handoff(probability=0.1, queue="experts"),
        reopens=Reopens(probability=0.1, after=Exponential(mean_minutes=60)),
        agents=(
            AgentGroup(count=2, shift=Shift(start_hour=8, hours=8, days=frozenset(range(7)))),
            AgentGroup(count=1, tier=2, name="expert"),
        ),
    )


def recorded(scenario: Scenario, policy: str) -> tuple[SimulationResult, Trace]:
    pull = priority() if policy == "priority" else fifo()
    history = simulate(scenario, draw_arrivals(scenario, seed=11), pull)
    return history, trace_from_events(history.events)


def baseline(trace: Trace, policy: PullPolicy | None = None) -> SimulationResult:
    assert trace.recorded is not None
    pull = as_recorded(trace.recorded) if policy is None else policy
    return simulate(trace, trace.arrivals, pull, fast=None)


def waits(result: SimulationResult) -> dict[object, timedelta | None]:
    return {f.ticket_id: f.wait for f in result.facts}


def test_the_as_recorded_baseline_gives_back_who_took_what_and_when() -> None:
    history, trace = recorded(journeys(), "priority")
    again = baseline(trace)
    firsts = {f.ticket_id: f.first_agent_id for f in history.facts}
    assert {f.ticket_id: f.first_agent_id for f in again.facts} == firsts
    assert waits(again) == waits(history)
    assert waits(baseline(trace, fifo())) != waits(history)  # FIFO is not what happened


def test_the_baseline_of_a_desks_own_history_has_no_error_and_no_distance() -> None:
    history, trace = recorded(journeys(), "priority")
    assert trace.recorded is not None
    fidelity = Fidelity.of(trace.recorded, baseline(trace))
    assert [k.kpi for k in fidelity.kpis] == [*KPIS, "backlog_mean"]
    by_name = {k.kpi: k for k in fidelity.kpis}
    recorded_wait = history.kpis().wait.mean
    assert recorded_wait is not None
    assert by_name["wait_mean_min"].recorded == pytest.approx(recorded_wait / timedelta(minutes=1))
    assert by_name["escalation_rate"].recorded == pytest.approx(history.kpis().escalation_rate)
    assert all(k.relative_error_pct == pytest.approx(0.0) for k in fidelity.kpis), fidelity.kpis
    assert fidelity.off == ()
    assert fidelity.wait_emd_min == pytest.approx(0.0)
    assert fidelity.cycle_time_emd_min == pytest.approx(0.0)
    assert fidelity.backlog  # hour by hour, from the start
    assert [h for h, _, _ in fidelity.backlog[:3]] == [0.0, 1.0, 2.0]
    assert all(n == m for _, n, m in fidelity.backlog)
    assert fidelity.backlog_mae == 0.0


def test_a_replay_that_misses_the_history_is_off_and_says_by_how_much() -> None:
    _, trace = recorded(journeys(), "priority")
    assert trace.recorded is not None
    one_agent = attrs.evolve(trace, agents=trace.agents[:1] + trace.agents[2:])  # one less
    fidelity = Fidelity.of(trace.recorded, baseline(one_agent, fifo()))
    off = {k.kpi for k in fidelity.off}
    assert {"wait_mean_min", "backlog_mean"} <= off
    wait = next(k for k in fidelity.kpis if k.kpi == "wait_mean_min")
    assert wait.baseline is not None
    assert wait.recorded is not None
    assert wait.baseline > wait.recorded
    assert fidelity.wait_emd_min is not None
    assert fidelity.wait_emd_min > 0
    assert fidelity.backlog_mae is not None
    assert fidelity.backlog_mae > 0
    assert Fidelity.of(trace.recorded, baseline(one_agent, fifo()), threshold_pct=1e9).off == ()


def test_tickets_nobody_took_in_the_history_are_taken_by_nobody_in_the_baseline() -> None:
    scenario = busy(300).model_copy(update={"patience": Exponential(mean_minutes=3)})
    history, trace = recorded(scenario, "fifo")
    abandoned = {f.ticket_id for f in history.facts if f.abandoned_at is not None}
    assert abandoned  # the test has something to check
    again = {f.ticket_id: f for f in baseline(trace).facts}
    assert {t for t, f in again.items() if f.abandoned_at is not None} == abandoned


def test_a_ticket_passed_on_twice_goes_to_whoever_followed_its_holder_in_the_history() -> None:
    """Ann passes the ticket to billing, where Bob took it only an hour later though he
    was free; he escalates it to the specialists, where Cy takes it. The replay runs ahead
    of the record (Bob takes it at once), so when it reaches the specialists Bob's
    recorded assignment still lies ahead: the ticket is Cy's, who followed Bob, not Bob's
    again (a tier-1 agent, who could never take it)."""
    escalated = {
        "kind": EscalationKind.HIERARCHICAL,
        "from_tier": 1,
        "to_tier": 2,
        "from_queue": "billing",
        "to_queue": "specialists",
    }
    with HelpDesk("memory://", clock=ManualClock(START)) as desk:
        journeys = Journeys(desk)
        ann, bob, cy = journeys.ann, journeys.bob, journeys.cy
        journeys.ticket(
            0,
            (0, TicketAssigned, {"agent_id": ann, "actor_id": ann}),
            (10, TicketTransferred, _moved(ann, "general", "billing")),
            (60, TicketAssigned, {"agent_id": bob, "actor_id": bob}),
            (70, TicketEscalated, {**escalated, "from_agent_id": bob, "actor_id": bob}),
            (120, TicketAssigned, {"agent_id": cy, "actor_id": cy}),
            (130, TicketResolved, {"actor_id": cy}),
        )
        trace = trace_from_store(desk)
    assert trace.recorded is not None
    again = simulate(trace, trace.arrivals, as_recorded(trace.recorded), fast=False)
    takers = [e.agent_id for e in again.events if isinstance(e, TicketAssigned)]
    assert takers == [ann, bob, cy]
    (facts,) = again.facts
    assert (facts.resolver_id, facts.resolved_at) == (cy, minute(30))  # nobody waits


def test_a_recorded_taking_past_the_inferred_capacity_is_the_baselines_not_a_what_ifs(
    desk: HelpDesk, clock: ManualClock
) -> None:
    """Ann (no recorded presence) works one ticket from 10:00 to 13:00 and, ten minutes
    in, takes a second that arrived at 10:05 and is done by 10:15: her capacity is one
    (two at once for five minutes of her hour on shift), her shift ends at 11:00. The
    baseline gives her the second at 10:10, past her capacity, as the record shows; fifo
    on the same staffing keeps the capacity, and the second waits past her shift."""
    ann = desk.join_agent("ann", online=False)
    ten = clock.now().replace(hour=10, minute=0)
    took, done = {"agent_id": ann, "actor_id": ann}, {"actor_id": ann}
    first = Ticket.receive(ticket_id=uuid4(), at=ten, channel="email", customer_id="a")
    first.record(TicketAssigned, at=ten, **took)
    first.record(TicketResolved, at=ten + timedelta(hours=3), **done)
    second = Ticket.receive(
        ticket_id=uuid4(), at=ten + timedelta(minutes=5), channel="email", customer_id="b"
    )
    second.record(TicketAssigned, at=ten + timedelta(minutes=10), **took)
    second.record(TicketResolved, at=ten + timedelta(minutes=15), **done)
    desk.save(first, second)
    trace = trace_from_store(desk)
    assert trace.recorded is not None
    assert [spec.profile.capacity for spec in trace.agents] == [1]
    assert trace.recorded.taken[second.id][0].working == 2
    again = baseline(trace)
    facts = {f.ticket_id: f for f in again.facts}
    assert (facts[second.id].first_agent_id, facts[second.id].wait) == (ann, timedelta(minutes=5))
    assert again.past_capacity == 1
    fidelity = Fidelity.of(trace.recorded, again)
    assert fidelity.past_capacity == 1
    assert fidelity.to_json()["past_capacity_takings"] == 1
    assert fidelity.off == ()
    what_if = {f.ticket_id: f for f in baseline(trace, fifo()).facts}
    assert what_if[second.id].first_assigned_at is None


# --- in a comparison ---------------------------------------------------------------------


def compared(model: Scenario | Trace, **options: Any) -> Comparison:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return compare(model, ["fifo", "priority"], executor=pool, **options)


def test_a_replay_comparison_leads_its_json_with_the_fidelity_block() -> None:
    _, trace = recorded(busy(200), "fifo")
    comparison = compared(trace)
    assert comparison.fidelity is not None
    data = comparison.to_json()
    assert next(iter(data)) == "fidelity"
    text = json.dumps(data, allow_nan=False)  # strict JSON: null, never NaN
    block = json.loads(text)["fidelity"]
    assert block["policy"] == "as-recorded"
    assert block["threshold_pct"] == 10.0
    assert block["off"] == []
    assert block["kpis"]["wait_mean_min"]["relative_error_pct"] == pytest.approx(0.0)
    assert block["kpis"]["transfer_rate"]["recorded"] == 0.0
    assert json.loads(text)["policies"]["fifo"]["wait_mean_min"]["half_width"] is None


def test_a_scenario_comparison_has_no_fidelity_block() -> None:
    comparison = compared(busy(100), replications=1)
    assert comparison.fidelity is None
    assert comparison.to_json()["fidelity"] is None


def test_the_threshold_is_the_comparisons_and_must_be_a_percentage() -> None:
    _, trace = recorded(busy(200), "fifo")
    default = compared(trace).fidelity
    assert default is not None
    assert compared(trace, fidelity_threshold_pct=2.5).fidelity == attrs.evolve(
        default, threshold_pct=2.5
    )
    with pytest.raises(InvalidValue, match="at least 0, not -1"):
        compared(trace, fidelity_threshold_pct=-1)
