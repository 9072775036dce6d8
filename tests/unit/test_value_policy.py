"""The ``value`` policy refuses tickets it cannot tell apart instead of serving FIFO."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ticketlog import ConfigurationError
from ticketlog.policies import fifo, value_based
from ticketlog.policies.builtin import check_policy_fits
from ticketlog.policies.protocol import PullPolicy
from ticketlog.policies.registry import pull_policy
from ticketlog.simulation import AgentGroup, Exponential, Scenario, draw_arrivals
from ticketlog.simulation.compare import compare


def scenario(**mixes: object) -> Scenario:
    return Scenario.model_validate(
        {
            "tickets": 60,
            "arrivals_per_hour": 24,
            "handle_time": Exponential(mean_minutes=4),
            "agents": (AgentGroup(count=2),),
            **mixes,
        }
    )


def test_value_by_name_on_tickets_all_worth_the_same_names_what_is_missing() -> None:
    arrivals = draw_arrivals(scenario(plans={"free": 3, "pro": 1}), seed=1)
    with pytest.raises(ConfigurationError) as refused:
        check_policy_fits(pull_policy("value"), arrivals)
    message = str(refused.value)
    assert "policy 'value' would serve these 60 tickets first come, first served" in message
    assert "plan values: none given" in message
    assert "customer values: 0" in message
    assert "first-time boost: 0" in message


@pytest.mark.parametrize(
    ("policy", "mixes"),
    [
        pytest.param(pull_policy("value"), {"customer_values": {0: 1, 500: 1}}, id="customer"),
        pytest.param(value_based({"pro": 100.0}), {"plans": {"free": 3, "pro": 1}}, id="plans"),
        pytest.param(
            value_based(first_time_boost=10.0), {"first_time_share": 0.5}, id="first-time"
        ),
    ],
)
def test_value_passes_when_some_tickets_are_worth_more(
    policy: PullPolicy, mixes: dict[str, Any]
) -> None:
    check_policy_fits(policy, draw_arrivals(scenario(**mixes), seed=1))


def test_plan_values_for_plans_nobody_has_are_refused_too() -> None:
    arrivals = draw_arrivals(scenario(plans={"free": 1}), seed=1)
    with pytest.raises(ConfigurationError, match="plan values: enterprise=1000"):
        check_policy_fits(value_based({"enterprise": 1000.0}), arrivals)


def test_other_policies_are_never_refused() -> None:
    check_policy_fits(fifo(), draw_arrivals(scenario(), seed=1))
    check_policy_fits(pull_policy("affinity"), draw_arrivals(scenario(), seed=1))


def test_compare_refuses_value_on_a_scenario_without_values() -> None:
    with (
        ThreadPoolExecutor(max_workers=2) as pool,
        pytest.raises(ConfigurationError, match="first come, first served"),
    ):
        compare(scenario(), ["fifo", "value"], replications=2, executor=pool)
    with ThreadPoolExecutor(max_workers=2) as pool:
        valued = compare(scenario(customer_values={0: 3, 50: 1}), ["value"], executor=pool)
    assert valued.results["value"]["resolved"].mean == 60
