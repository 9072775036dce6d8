"""KPIs per customer value class: decades of the customer's value, in order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ticketlog.io.frames import facts_frame, kpi_frame
from ticketlog.policies import fifo
from ticketlog.projections.kpis import Dimension, ValueClass
from ticketlog.simulation import AgentGroup, Exponential, Scenario, draw_arrivals, simulate

values = st.floats(min_value=0, max_value=1e12, allow_nan=False)


@given(values, values)
def test_a_higher_value_is_never_in_a_lower_class(low: float, high: float) -> None:
    low, high = sorted((low, high))
    assert ValueClass.of(low).rank <= ValueClass.of(high).rank


def test_classes_are_decades_with_the_lower_bound_included() -> None:
    assert [ValueClass.of(v) for v in (0, 0.01, 9.99, 10, 99.9, 100, 999, 1000, 9999, 1e4)] == [
        ValueClass.NONE,
        ValueClass.UNDER_10,
        ValueClass.UNDER_10,
        ValueClass.TENS,
        ValueClass.TENS,
        ValueClass.HUNDREDS,
        ValueClass.HUNDREDS,
        ValueClass.THOUSANDS,
        ValueClass.THOUSANDS,
        ValueClass.TEN_THOUSANDS_UP,
    ]
    assert [str(c) for c in ValueClass] == ["0", "0-10", "10-100", "100-1k", "1k-10k", "10k+"]


def test_a_run_reports_kpis_per_value_class_and_the_frames_carry_the_class() -> None:
    scenario = Scenario(
        tickets=200,
        arrivals_per_hour=24,
        handle_time=Exponential(mean_minutes=4),
        customer_values={0: 2, 5000: 1, 50: 1},
        agents=(AgentGroup(count=2),),
    )
    result = simulate(scenario, draw_arrivals(scenario, seed=3), fifo(), fast=True)
    groups = result.kpis_by(Dimension.CUSTOMER_VALUE)
    assert list(groups) == [ValueClass.NONE, ValueClass.TENS, ValueClass.THOUSANDS]
    assert result.kpis_by("customer_value") == groups  # the field's name works too
    expected = {
        klass: sum(ValueClass.of(f.customer_value) == klass for f in result.facts)
        for klass in groups
    }
    assert {klass: kpis.tickets for klass, kpis in groups.items()} == expected
    frame = facts_frame(result.facts)
    assert frame.groupby("customer_value_class").size().to_dict() == {
        str(k): n for k, n in expected.items()
    }
    table = kpi_frame(groups, index="customer_value")
    assert list(table.index) == ["0", "10-100", "1k-10k"]
    assert table["tickets"].sum() == 200
