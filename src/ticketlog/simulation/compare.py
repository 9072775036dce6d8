"""Comparing policies on the same scenario or recorded history, with confidence intervals.

Every policy is run on the same arrivals (common random numbers): replication ``r``
draws its tickets with seed ``seed + r`` and serves them once per policy. Each KPI is
reported as its mean over the replications with a 95 % Student-t half-width.
Replications run on any ``concurrent.futures.Executor`` (a process pool by default when
there is more than one run), so sweeps scale out.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

import attrs

from ticketlog.policies.protocol import PullPolicy
from ticketlog.policies.registry import pull_policy
from ticketlog.projections.kpis import Kpis
from ticketlog.simulation.engine import simulate
from ticketlog.simulation.replay import Trace
from ticketlog.simulation.scenario import Scenario, draw_arrivals

_T_975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
          2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
          2.060, 2.056, 2.052, 2.048, 2.045, 2.042)  # fmt: skip
"""Student's t 97.5 % quantiles for 1 to 30 degrees of freedom (1.96 beyond)."""

METRICS: dict[str, Callable[[Kpis], float | None]] = {
    "wait_mean_min": lambda k: None if k.wait.mean is None else k.wait.mean.total_seconds() / 60,
    "wait_p90_min": lambda k: None if k.wait.p90 is None else k.wait.p90.total_seconds() / 60,
    "resolution_mean_min": lambda k: (
        None if k.resolution.mean is None else k.resolution.mean.total_seconds() / 60
    ),
    "sla_first_reply": lambda k: k.sla_first_reply,
    "sla_resolution": lambda k: k.sla_resolution,
    "resolved": lambda k: float(k.resolved),
}
"""The KPIs a comparison reports (names as in DESIGN §6; durations in minutes)."""


@attrs.frozen
class Estimate:
    """A KPI's mean over replications, with its 95 % confidence half-width."""

    mean: float
    half_width: float


@attrs.frozen
class Comparison:
    """KPIs per policy, side by side."""

    replications: int
    seed: int
    results: dict[str, dict[str, Estimate]]
    """Policy name to KPI name to estimate."""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: policies, then KPIs with mean and half-width."""
        return {
            "replications": self.replications,
            "seed": self.seed,
            "policies": {
                policy: {name: attrs.asdict(e) for name, e in kpis.items()}
                for policy, kpis in self.results.items()
            },
        }


def _run(model: Scenario | Trace, policy: str | PullPolicy, seed: int) -> dict[str, float | None]:
    pull = pull_policy(policy)
    arrivals = model.arrivals if isinstance(model, Trace) else draw_arrivals(model, seed=seed)
    result = simulate(model, arrivals, pull)
    kpis = result.view.kpis(now=result.end)
    return {name: metric(kpis) for name, metric in METRICS.items()}


def _estimate(values: list[float]) -> Estimate:
    if len(values) < 2:
        return Estimate(mean=values[0] if values else math.nan, half_width=math.nan)
    t = _T_975[len(values) - 2] if len(values) - 1 <= len(_T_975) else 1.96
    return Estimate(
        mean=statistics.fmean(values),
        half_width=t * statistics.stdev(values) / math.sqrt(len(values)),
    )


def compare(
    model: Scenario | Trace,
    policies: Sequence[str | PullPolicy],
    *,
    replications: int = 5,
    seed: int = 0,
    executor: Executor | None = None,
) -> Comparison:
    """Run every policy on the same ``replications`` draws of a scenario; compare KPIs.

    A :class:`~ticketlog.simulation.replay.Trace` has fixed arrivals: it is served once
    per policy (one replication, no interval).
    """
    if isinstance(model, Trace):
        replications = 1
    if replications < 1 or not policies:
        msg = "a comparison needs at least one policy and one replication"
        raise ValueError(msg)
    names = [p if isinstance(p, str) else p.name for p in policies]
    if len(set(names)) != len(names):
        msg = f"policy names must differ: {names}"
        raise ValueError(msg)
    runs = [(p, seed + r) for p in policies for r in range(replications)]
    pool = ProcessPoolExecutor() if executor is None else executor
    try:
        outcomes = list(pool.map(_run, [model] * len(runs), *zip(*runs, strict=True)))
    finally:
        if executor is None:
            pool.shutdown()
    results: dict[str, dict[str, Estimate]] = {}
    for index, name in enumerate(names):
        mine = outcomes[index * replications : (index + 1) * replications]
        results[name] = {
            metric: _estimate([v for o in mine if (v := o[metric]) is not None])
            for metric in METRICS
        }
    return Comparison(replications=replications, seed=seed, results=results)
