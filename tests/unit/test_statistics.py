"""Interval arithmetic, warm-ups and batch means: the statistics ``compare`` reports."""

from __future__ import annotations

import math
import statistics
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticketlog import ConfigurationError, InvalidValue
from ticketlog.policies import fifo
from ticketlog.projections.kpis import compute_kpis
from ticketlog.simulation import (
    AgentGroup,
    Exponential,
    Scenario,
    draw_arrivals,
    simulate,
    trace_from_events,
)
from ticketlog.simulation.compare import Comparison, compare, figures
from ticketlog.simulation.replay import Trace
from ticketlog.simulation.statistics import Estimate, batch_means, split, t_975
from ticketlog.simulation.warmup import after_warmup


def busy(tickets: int = 400) -> Scenario:
    """Two agents at about 80 % load, two priorities: waits vary from ticket to ticket."""
    return Scenario(
        tickets=tickets,
        arrivals_per_hour=24,
        handle_time=Exponential(mean_minutes=4),
        priorities={"urgent": 1, "normal": 3},
        agents=(AgentGroup(count=2),),
    )


def compared(model: Scenario | Trace, policies: list[str], **options: Any) -> Comparison:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return compare(model, policies, executor=pool, **options)


# --- t quantiles and estimates ------------------------------------------------------


@pytest.mark.parametrize(
    ("df", "quantile"),
    [(1, 12.706), (2, 4.303), (19, 2.093), (30, 2.042), (40, 2.0211), (60, 2.0003), (120, 1.9799)],
)
def test_t_quantiles_match_published_tables(df: int, quantile: float) -> None:
    assert t_975(df) == pytest.approx(quantile, abs=1e-4)


@given(st.integers(min_value=1, max_value=100_000))
def test_t_quantiles_fall_towards_the_normal_quantile(df: int) -> None:
    assert 1.959963 < t_975(df + 1) < t_975(df)


def test_a_t_quantile_needs_a_degree_of_freedom() -> None:
    with pytest.raises(InvalidValue, match="at least 1 degree of freedom"):
        t_975(0)


def test_an_estimate_is_the_mean_with_a_student_t_half_width() -> None:
    estimate = Estimate.of([1.0, 2.0, 6.0])
    assert estimate.mean == 3.0
    assert estimate.half_width == pytest.approx(4.303 * statistics.stdev([1, 2, 6]) / math.sqrt(3))
    assert math.isnan(Estimate.of([5.0]).half_width)
    assert Estimate.of([5.0]).mean == 5.0
    assert math.isnan(Estimate.of([]).mean)


# --- batches --------------------------------------------------------------------------


@given(st.lists(st.integers(), max_size=200), st.integers(min_value=2, max_value=20))
def test_batches_are_consecutive_equal_slices_leaving_out_less_than_one_batch(
    items: list[int], batches: int
) -> None:
    if len(items) < batches:
        with pytest.raises(InvalidValue, match=f"cannot fill {batches} batches"):
            split(items, batches)
        return
    cut = split(items, batches)
    size = len(items) // batches
    assert [len(batch) for batch in cut] == [size] * batches
    assert [item for batch in cut for item in batch] == items[: size * batches]
    assert len(items) - size * batches < batches


@pytest.mark.parametrize("batches", [1, 0, -3, True, 2.5, "4", None])
def test_batches_must_be_a_whole_number_of_at_least_two(batches: object) -> None:
    with pytest.raises(InvalidValue, match="batches must be a whole number of at least 2"):
        split([1.0, 2.0, 3.0, 4.0], batches)  # type: ignore[arg-type]


def test_batch_means_estimate_from_the_means_of_the_batches() -> None:
    values = [1.0, 3.0, 2.0, 2.0, 10.0, 0.0, 7.0]  # the seventh value fills no batch of 2
    assert batch_means(values, 3) == Estimate.of([2.0, 2.0, 5.0])


# --- warm-up --------------------------------------------------------------------------


@pytest.mark.parametrize("warmup", [-1, timedelta(minutes=-1), True, 2.0, "10", [3]])
def test_a_warmup_is_a_non_negative_count_or_duration(warmup: object) -> None:
    result = simulate(busy(20), draw_arrivals(busy(20), seed=1), fifo(), fast=True)
    with pytest.raises(InvalidValue, match="a warm-up is a number of tickets"):
        result.kpis(warmup=warmup)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="a warm-up is a number of tickets"):
        result.kpis_by("priority", warmup=warmup)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="a warm-up is a number of tickets"):
        compared(busy(20), ["fifo"], warmup=warmup)


def test_warmup_tickets_still_load_the_desk_but_do_not_count() -> None:
    scenario = busy()
    arrivals = draw_arrivals(scenario, seed=3)
    result = simulate(scenario, arrivals, fifo(), fast=True)
    later = sorted(result.facts, key=lambda f: f.received_at)[100:]
    expected = compute_kpis(later, now=result.end, sla=result.sla)
    assert result.kpis(warmup=100) == expected
    cut = later[0].received_at - scenario.start
    assert result.kpis(warmup=cut) == expected  # received before start + cut: the same 100
    assert result.kpis(warmup=0) == result.kpis() == result.kpis(warmup=timedelta(0))
    assert result.kpis(warmup=100).tickets == 300
    # Served without the first 100, the later tickets would wait otherwise: they did not.
    alone = simulate(scenario, arrivals[100:], fifo(), fast=True)
    assert alone.kpis().wait != expected.wait
    by_priority = result.kpis_by("priority", warmup=100)
    assert sum(k.tickets for k in by_priority.values()) == 300


def test_a_warmup_of_every_ticket_is_refused_by_compare() -> None:
    with pytest.raises(InvalidValue, match="leaves none of the 20"):
        compared(busy(20), ["fifo"], warmup=20)


def test_compare_leaves_the_warmup_out_of_every_replication() -> None:
    scenario = busy()
    comparison = compared(scenario, ["fifo", "priority"], replications=3, seed=2, warmup=50)
    expected = []
    for seed in (2, 3, 4):
        run = simulate(scenario, draw_arrivals(scenario, seed=seed), fifo(), fast=True)
        expected.append(figures(run.kpis(warmup=50))["wait_mean_min"])
    estimate = comparison.results["fifo"]["wait_mean_min"]
    assert estimate == Estimate.of([e for e in expected if e is not None])
    assert comparison.results["fifo"]["resolved"].mean == 350
    assert comparison.to_json()["warmup"] == {"tickets": 50}


# --- batch means in compare ---------------------------------------------------------------


def test_compare_with_batches_estimates_from_the_batches_of_one_run() -> None:
    scenario = busy()
    comparison = compared(scenario, ["fifo", "priority"], seed=7, warmup=40, batches=6)
    assert (comparison.method, comparison.replications, comparison.batches) == (
        "batches",
        1,
        6,
    )
    run = simulate(scenario, draw_arrivals(scenario, seed=7), fifo(), fast=True)
    counted = after_warmup(run.facts, 40, start=run.start)
    per_batch = [
        figures(compute_kpis(batch, now=run.end, sla=run.sla))["wait_mean_min"]
        for batch in split(counted, 6)
    ]
    estimate = comparison.results["fifo"]["wait_mean_min"]
    assert estimate == Estimate.of([w for w in per_batch if w is not None])
    assert estimate.half_width > 0
    assert comparison.results["fifo"]["resolved"] == Estimate(60.0, 0.0)
    assert comparison.to_json()["method"] == "batches"
    assert comparison.basis == "6 batch means of 1 run from seed 7, after a warm-up of 40 tickets"


def test_batches_come_from_one_run() -> None:
    with pytest.raises(ConfigurationError, match="replications must be 1, not 3"):
        compared(busy(40), ["fifo"], replications=3, batches=4)
    assert compared(busy(40), ["fifo"], replications=1, batches=4).replications == 1


def test_too_few_tickets_for_the_batches_is_a_clear_error() -> None:
    with pytest.raises(InvalidValue, match="fifo: 5 tickets after the warm-up cannot fill 10"):
        compared(busy(20), ["fifo"], warmup=15, batches=10)


def test_a_replayed_history_gets_intervals_from_batch_means() -> None:
    scenario = busy(300)
    recorded = simulate(scenario, draw_arrivals(scenario, seed=4), fifo())
    trace = trace_from_events(recorded.events)
    without = compared(trace, ["fifo"])
    assert math.isnan(without.results["fifo"]["wait_mean_min"].half_width)
    batched = compared(trace, ["fifo", "priority"], batches=5)
    assert batched.results["fifo"]["wait_mean_min"].half_width > 0
