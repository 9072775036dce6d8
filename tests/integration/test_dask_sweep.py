"""A comparison swept on a Dask cluster gives the same figures as the local process pool.

``compare`` takes any ``concurrent.futures.Executor``; here it is the executor of a
``distributed.Client`` connected to a ``LocalCluster`` of two worker processes (the
``dask`` extra). The workers unpickle the scenario and the policies, run the
replications and send back run summaries, which must equal the local pool's run for run.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from tests.integration.conftest import in_ci
from ticketlog import Priority
from ticketlog.policies import PullPolicy, priority
from ticketlog.simulation import AgentGroup, Comparison, Exponential, Scenario, compare

if not in_ci():  # in CI a missing extra is a failure, not a skip
    pytest.importorskip("distributed", reason="needs the dask extra: pip install '.[dask]'")
from distributed import Client, LocalCluster

pytestmark = pytest.mark.slow

SCENARIO = Scenario(
    tickets=300,
    arrivals_per_hour=40,
    handle_time=Exponential(mean_minutes=8),
    patience=Exponential(mean_minutes=30),
    priorities={Priority.URGENT: 1, Priority.NORMAL: 3, Priority.LOW: 1},
    agents=(AgentGroup(count=5),),
)
"""Busy enough that the two policies wait, abandon and serve differently."""


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """A client of a two-process local cluster, closed with it at the end."""
    with (
        LocalCluster(  # type: ignore[no-untyped-call]  # distributed's __init__ is unannotated
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


def same(a: float, b: float) -> bool:
    """Equal, counting two NaNs (no figure on either side) as equal."""
    return a == b or (math.isnan(a) and math.isnan(b))


def test_a_sweep_on_a_dask_cluster_gives_the_local_pools_comparison(
    client: Client,
) -> None:
    policies: list[str | PullPolicy] = ["fifo", priority()]
    executor = client.get_executor()  # type: ignore[no-untyped-call]
    on_dask = compare(SCENARIO, policies, replications=3, seed=4, executor=executor)
    local = compare(SCENARIO, policies, replications=3, seed=4)
    assert on_dask.runs == local.runs
    assert on_dask.results.keys() == local.results.keys() == {"fifo", "priority"}
    for policy, kpis in local.results.items():
        for metric, estimate in kpis.items():
            theirs = on_dask.results[policy][metric]
            assert same(theirs.mean, estimate.mean), (policy, metric)
            assert same(theirs.half_width, estimate.half_width), (policy, metric)
    assert_policies_differ(local)


def assert_policies_differ(comparison: Comparison) -> None:
    """The scenario tells the policies apart, so equal comparisons are not trivially equal."""
    fifo, by_priority = (comparison.results[p]["wait_mean_min"] for p in ("fifo", "priority"))
    assert fifo.mean != by_priority.mean
    assert comparison.replications == 3
    assert len(comparison.runs) == 6
