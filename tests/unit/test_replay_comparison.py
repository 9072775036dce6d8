"""A comparison of a replayed history says what it rests on, and refuses what means nothing.

A recorded history is served once per policy and draws nothing: more replications would
repeat the same run, and a seed would change nothing, so both are refused; its
estimates have intervals only from batch means, and when they have none the comparison
says why.
"""

from __future__ import annotations

import json
import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.unit.test_simulation import mmc
from tests.unit.test_statistics import busy
from ticketlog import ConfigurationError
from ticketlog.io.console import comparison_table, fidelity_table, fidelity_warnings
from ticketlog.io.frames import fidelity_frame
from ticketlog.policies import fifo
from ticketlog.simulation import (
    Scenario,
    Trace,
    draw_arrivals,
    simulate,
    trace_from_events,
)
from ticketlog.simulation.compare import Comparison, compare
from ticketlog.simulation.fidelity import Fidelity, KpiFidelity


def history() -> Trace:
    scenario = busy(300)
    return trace_from_events(simulate(scenario, draw_arrivals(scenario, seed=3), fifo()).events)


def compared(model: Scenario | Trace, **options: Any) -> Comparison:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return compare(model, ["fifo", "priority"], executor=pool, **options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"replications": 3}, "replications must be 1, not 3; for intervals use batches"),
        ({"seed": 4}, "draws nothing: a seed means nothing"),
    ],
    ids=["replications", "seed"],
)
def test_a_replay_refuses_what_would_mean_nothing(options: dict[str, int], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        compared(history(), **options)


def test_a_replay_says_it_is_one_run_per_policy_and_why_it_has_no_interval() -> None:
    comparison = compared(history())
    assert comparison.seed is None
    assert comparison.basis == "the recorded history, replayed once per policy"
    assert comparison.no_interval == "a replay is one run per policy; batches give intervals"
    assert json.loads(json.dumps(comparison.to_json()))["seed"] is None
    assert comparison_table(comparison).caption == (
        "No interval: a replay is one run per policy; batches give intervals."
    )


def test_batch_means_give_a_replay_intervals() -> None:
    comparison = compared(history(), batches=4)
    assert comparison.basis == "4 batch means of the recorded history, replayed once per policy"
    assert comparison.no_interval is None
    assert comparison_table(comparison).caption is None


def test_a_single_draw_of_a_scenario_says_why_it_has_no_interval() -> None:
    one = compared(mmc(200, servers=2), replications=1, seed=2)
    assert one.seed == 2
    assert one.no_interval == "one run per policy; more replications or batches give intervals"
    assert compared(mmc(200, servers=2), replications=2).no_interval is None


def test_the_fidelity_block_prints_as_a_table_a_frame_and_one_warning_per_kpi_off() -> None:
    fidelity = Fidelity(
        kpis=(
            KpiFidelity("wait_mean_min", 10.0, 15.0),
            KpiFidelity("resolution_mean_min", 20.0, 21.0),
            KpiFidelity("transfer_rate", 0.0, 2.5),
        ),
        wait_emd_min=5.0,
        cycle_time_emd_min=None,
        backlog=((0.0, 1, 2), (1.0, 4, 1)),
        past_capacity=3,
    )
    assert fidelity_warnings(fidelity) == [
        "the as-recorded baseline is off on wait_mean_min: 15.00 against 10.00 recorded "
        "(+50.0 %, threshold 10 %)",
        "the as-recorded baseline is off on transfer_rate: 2.50 against 0.00 recorded "
        "(recorded 0, threshold 10 %)",
    ]
    table = fidelity_table(fidelity)
    assert [c.header for c in table.columns] == ["KPI", "recorded", "baseline", "relative error"]
    assert list(table.columns[3].cells) == ["+50.0 % (off)", "+5.0 %", "recorded 0 (off)"]
    assert table.caption == (
        "Earth mover's distance, recorded to baseline: wait 5.00 min, cycle time — min. "
        "Hourly backlog: 2.00 tickets apart on average. 3 takings went past their taker's "
        "inferred capacity, where the record shows them working that many tickets at once."
    )
    frame = fidelity_frame(fidelity)
    assert list(frame.index) == ["wait_mean_min", "resolution_mean_min", "transfer_rate"]
    assert list(frame["off"]) == [True, False, True]
    assert math.isnan(frame["relative_error_pct"]["transfer_rate"])
    assert frame.attrs["wait_emd_min"] == 5.0
    assert frame.attrs["backlog_mae"] == 2.0  # (|1 - 2| + |4 - 1|) / 2
    assert frame.attrs["past_capacity"] == 3
