"""Comparing policies on the same scenario or recorded history, with confidence intervals.

Every policy is run on the same arrivals (common random numbers): replication ``r``
draws its tickets with seed ``seed + r`` and serves them once per policy. Each KPI is
reported as its mean over the replications with a 95 % Student-t half-width.
Replications run on any ``concurrent.futures.Executor`` (a process pool by default), so
sweeps scale out. Runs use the engine's fast mode when the policy allows it (it gives
the same KPIs as the full-event mode). Besides the estimates, a comparison keeps a small
summary of every run (:class:`RunSummary`) for reports: wait quantiles, the backlog over
time, and KPIs per customer segment.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from datetime import timedelta
from typing import Any

import attrs

from ticketlog.policies.protocol import PullPolicy
from ticketlog.policies.registry import pull_policy
from ticketlog.projections.kpis import Dimension, Kpis, percentile
from ticketlog.simulation.engine import SimulationResult, simulate
from ticketlog.simulation.replay import Trace
from ticketlog.simulation.scenario import Scenario, draw_arrivals

_T_975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
          2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
          2.060, 2.056, 2.052, 2.048, 2.045, 2.042)  # fmt: skip
"""Student's t 97.5 % quantiles for 1 to 30 degrees of freedom (1.96 beyond)."""


def minutes(duration: timedelta | None) -> float | None:
    """``duration`` in minutes (``None`` stays ``None``)."""
    return None if duration is None else duration.total_seconds() / 60


METRICS: dict[str, Callable[[Kpis], float | None]] = {
    "wait_mean_min": lambda k: minutes(k.wait.mean),
    "wait_p90_min": lambda k: minutes(k.wait.p90),
    "first_reply_mean_min": lambda k: minutes(k.first_reply.mean),
    "resolution_mean_min": lambda k: minutes(k.resolution.mean),
    "resolution_p90_min": lambda k: minutes(k.resolution.p90),
    "aht_min": lambda k: minutes(k.aht),
    "sla_first_reply": lambda k: k.sla_first_reply,
    "sla_resolution": lambda k: k.sla_resolution,
    "fcr": lambda k: k.fcr,
    "csat": lambda k: k.csat,
    "transfer_rate": lambda k: k.transfer_rate,
    "escalation_rate": lambda k: k.escalation_rate,
    "reopen_rate": lambda k: k.reopen_rate,
    "abandonment_rate": lambda k: k.abandonment_rate,
    "resolved": lambda k: float(k.resolved),
}
"""The KPIs a comparison reports (see docs/kpis.md; durations in minutes, shares in %)."""

SEGMENTS = (Dimension.PLAN, Dimension.PRIORITY)
"""The customer segments a run summary breaks its KPIs down by."""

BACKLOG_POINTS = 200
"""How many instants a run summary samples the backlog at."""


def figures(kpis: Kpis) -> dict[str, float | None]:
    """The :data:`METRICS` of ``kpis``."""
    return {name: metric(kpis) for name, metric in METRICS.items()}


@attrs.frozen
class RunSummary:
    """One policy on one draw: its KPIs and what a report plots of it."""

    policy: str
    seed: int
    metrics: dict[str, float | None]
    wait_quantiles: tuple[float, ...]
    """Waits of the tickets taken (minutes) at quantiles 0, 0.01, ..., 1 (empty: none taken)."""
    backlog: tuple[tuple[float, int], ...]
    """Open tickets at :data:`BACKLOG_POINTS` instants: (hours since the start, count)."""
    segments: dict[str, dict[str, dict[str, float | None]]]
    """Dimension (plan, priority) to group (``"-"`` for none) to :data:`METRICS`."""

    @classmethod
    def of(cls, result: SimulationResult, policy: str, seed: int) -> RunSummary:
        """The summary of a finished run."""
        waits = sorted(w.total_seconds() / 60 for f in result.facts if (w := f.wait) is not None)
        span = result.end - result.start
        instants = [result.start + span * i / (BACKLOG_POINTS - 1) for i in range(BACKLOG_POINTS)]
        samples = zip(instants, result.backlog.at_each(instants), strict=True)
        return cls(
            policy=policy,
            seed=seed,
            metrics=figures(result.kpis()),
            wait_quantiles=tuple(percentile(waits, q / 100) for q in range(101)) if waits else (),
            backlog=tuple(((at - result.start).total_seconds() / 3600, n) for at, n in samples),
            segments={
                str(dimension): {
                    "-" if group is None else str(group): figures(kpis)
                    for group, kpis in result.kpis_by(dimension).items()
                }
                for dimension in SEGMENTS
            },
        )


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
    runs: tuple[RunSummary, ...] = ()
    """Every run, policy by policy, replications in order."""

    @classmethod
    def of(cls, runs: Sequence[RunSummary], *, seed: int) -> Comparison:
        """The comparison of ``runs``: every policy's runs, replications in order."""
        by_policy: dict[str, list[RunSummary]] = {}
        for run in runs:
            by_policy.setdefault(run.policy, []).append(run)
        results = {
            policy: {
                metric: _estimate([v for run in mine if (v := run.metrics[metric]) is not None])
                for metric in METRICS
            }
            for policy, mine in by_policy.items()
        }
        replications = max((len(mine) for mine in by_policy.values()), default=0)
        return cls(replications=replications, seed=seed, results=results, runs=tuple(runs))

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


def _run(model: Scenario | Trace, policy: str | PullPolicy, seed: int) -> RunSummary:
    pull = pull_policy(policy)
    arrivals = model.arrivals if isinstance(model, Trace) else draw_arrivals(model, seed=seed)
    result = simulate(model, arrivals, pull, fast=None)
    return RunSummary.of(result, pull.name, seed)


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
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Run every policy on the same ``replications`` draws of a scenario; compare KPIs.

    A :class:`~ticketlog.simulation.replay.Trace` has fixed arrivals: it is served once
    per policy (one replication, no interval). ``progress(done, total)`` is called as
    runs finish.
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
        futures = [pool.submit(_run, model, policy, run_seed) for policy, run_seed in runs]
        for done, _ in enumerate(as_completed(futures), start=1):
            if progress is not None:
                progress(done, len(futures))
        outcomes = [future.result() for future in futures]
    finally:
        if executor is None:
            pool.shutdown()
    return Comparison.of(outcomes, seed=seed)
