"""The compiled run loop (``ticketlog.simulation._compiled``) is the interpreted one
(``Kernel.run_interpreted``): the same instant of the last happening, the same log of
happenings and the same outcome columns, on random scenarios with every feature on, under
every built-in policy the kernel runs and a user's partitioned filter."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.test_fast_mode import EXAMPLES, IDS, POLICIES, scenarios
from tests.unit.test_kernel import USER_FILTERS
from ticketlog.policies import Ordered, PullPolicy
from ticketlog.policies.registry import pull_policy
from ticketlog.projections import SlaTargets
from ticketlog.simulation import Scenario, draw_arrivals
from ticketlog.simulation import kernel as kernel_module
from ticketlog.simulation.engine import columnar_kernel
from ticketlog.simulation.kernel import Kernel, runs_columnar

pytestmark = pytest.mark.skipif(
    kernel_module.compiled_run is None, reason="installed without a C compiler: no compiled loop"
)
SLA = SlaTargets()
COLUMNAR = [
    (policy, name)
    for policy, name in zip(POLICIES, IDS, strict=True)
    if name not in {"sla", "team-queues", "team-queues-overflow"}  # they run in the engine
]


def kernels(scenario: Scenario, seed: int, policy: PullPolicy) -> Iterator[Kernel]:
    """Two kernels of the same run, not yet run."""
    drawn = draw_arrivals(scenario, seed=seed)
    assert runs_columnar(policy, drawn, sla=SLA)
    for _ in range(2):
        yield columnar_kernel(scenario, drawn, policy, SLA)


def assert_same_run(scenario: Scenario, seed: int, policy: PullPolicy) -> None:
    compiled, interpreted = kernels(scenario, seed, policy)
    end = compiled.run()
    assert end == interpreted.run_interpreted()
    assert compiled.log == interpreted.log
    ours, theirs = compiled.columns(end), interpreted.columns(end)
    for field in attrs.fields(type(ours)):
        assert np.array_equal(
            getattr(ours, field.name), getattr(theirs, field.name), equal_nan=True
        ), field.name


@pytest.mark.parametrize(("policy", "name"), COLUMNAR, ids=[name for _, name in COLUMNAR])
@settings(max_examples=EXAMPLES, deadline=None)
@given(
    scenario=st.booleans().flatmap(lambda on: scenarios(every_feature=on)),
    seed=st.integers(0, 2**32 - 1),
)
def test_the_compiled_loop_runs_every_built_in_as_the_interpreted_one(
    policy: PullPolicy, name: str, scenario: Scenario, seed: int
) -> None:
    assert_same_run(scenario, seed, policy)


@settings(max_examples=2 * EXAMPLES, deadline=None)
@given(scenario=scenarios(every_feature=True), seed=st.integers(0, 2**32 - 1), policy=USER_FILTERS)
def test_the_compiled_loop_runs_a_user_filter_as_the_interpreted_one(
    scenario: Scenario, seed: int, policy: Ordered
) -> None:
    assert_same_run(scenario, seed, policy)


def test_the_kernel_runs_the_compiled_loop_when_it_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compiled, interpreted = kernels(
        Scenario.model_validate(
            {
                "tickets": 50,
                "arrivals_per_hour": 20,
                "handle_time": {"kind": "exponential", "mean_minutes": 5},
                "agents": [{"count": 2}],
            }
        ),
        1,
        POLICIES[0],
    )
    expected = interpreted.run_interpreted()

    def interpreting(self: Kernel) -> int:
        raise AssertionError("the interpreted loop ran")

    monkeypatch.setattr(Kernel, "run_interpreted", interpreting)
    assert compiled.run() == expected
    assert compiled.log == interpreted.log


@pytest.mark.parametrize("name", ["fifo", "tiered", "priority"])
def test_the_compiled_loop_runs_a_large_staff_as_the_interpreted_one(name: str) -> None:
    """Hundreds of agents in three tiers, on shifts: large groups of idle and woken agents
    (kept sorted in the compiled loop, sorted when taken in the interpreted one)."""
    scenario = Scenario.model_validate(
        {
            "tickets": 4000,
            "arrivals_per_hour": 400,
            "hourly_profile": [0.3] * 8 + [2.0] * 10 + [0.5] * 6,
            "handle_time": {"kind": "lognormal", "mean_minutes": 40, "sd_minutes": 30},
            "patience": {"kind": "exponential", "mean_minutes": 240},
            "priorities": {"urgent": 1, "normal": 4, "low": 2},
            "escalations": {"probability": 0.1, "queue": "technical"},
            "transfers": {"probability": 0.1, "queue": "billing"},
            "reopens": {"probability": 0.05},
            "agents": [
                {"count": 300, "capacity": 3, "shift": {"start_hour": 8, "hours": 9}},
                {"count": 100, "tier": 2, "name": "senior", "capacity": 2},
                {"count": 40, "tier": 3, "name": "expert"},
            ],
        }
    )
    assert_same_run(scenario, 5, pull_policy(name))
