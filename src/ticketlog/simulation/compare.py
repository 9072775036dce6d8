"""Comparing policies on the same scenario or recorded history, with confidence intervals.

Every policy is run on the same arrivals (common random numbers): replication ``r``
draws its tickets with seed ``seed + r`` and serves them once per policy. Each KPI is
reported as an :class:`~ticketlog.simulation.statistics.Estimate`: a mean with a 95 %
Student-t half-width, either over the replications or — with ``batches=k`` — over the
means of ``k`` consecutive batches of one long run (batch means; see
:mod:`ticketlog.simulation.statistics` for when they are valid). A ``warmup`` leaves the
first tickets of every run out of its figures (:mod:`ticketlog.simulation.warmup`).
Replications run on any ``concurrent.futures.Executor`` (a process pool by default), so
sweeps scale out. Runs use the engine's fast mode when the policy allows it (it gives
the same KPIs as the full-event mode). Besides the estimates, a comparison keeps a small
summary of every run (:class:`RunSummary`) for reports: wait quantiles, the backlog over
time, and KPIs per customer segment. A recorded history is also replayed once under its
as-recorded baseline, and the comparison leads with how closely that gives the history
back (:attr:`Comparison.fidelity`, :mod:`ticketlog.simulation.fidelity`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from datetime import timedelta
from typing import Any, Literal

import attrs

from ticketlog.domain.errors import ConfigurationError, InvalidValue
from ticketlog.policies.builtin import check_policy_fits
from ticketlog.policies.protocol import PullPolicy
from ticketlog.policies.registry import pull_policy
from ticketlog.projections.facts import TicketFacts
from ticketlog.projections.kpis import Dimension, Kpis, compute_kpis, kpis_by, percentile
from ticketlog.projections.sla import SlaTargets
from ticketlog.simulation.draws import draw_arrivals
from ticketlog.simulation.engine import SimulationResult, simulate
from ticketlog.simulation.fidelity import DEFAULT_THRESHOLD_PCT, Fidelity, as_recorded, minutes
from ticketlog.simulation.replay import Trace
from ticketlog.simulation.scenario import Scenario
from ticketlog.simulation.statistics import Estimate, check_batches, split
from ticketlog.simulation.warmup import Warmup, after_warmup, check_warmup

__all__ = [
    "BACKLOG_POINTS",
    "METRICS",
    "SEGMENTS",
    "Comparison",
    "Estimate",
    "RunSummary",
    "compare",
    "figures",
    "minutes",
]


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

SEGMENTS = (Dimension.PLAN, Dimension.CUSTOMER_VALUE, Dimension.PRIORITY)
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
    """:data:`METRICS` of the tickets that count (after the warm-up)."""
    wait_quantiles: tuple[float, ...]
    """Waits of the tickets taken (minutes) at quantiles 0, 0.01, ..., 1 (empty: none taken)."""
    backlog: tuple[tuple[float, int], ...]
    """Open tickets at :data:`BACKLOG_POINTS` instants: (hours since the start, count)."""
    segments: dict[str, dict[str, dict[str, float | None]]]
    """Dimension (plan, customer value, priority) to group (``"-"`` for none) to :data:`METRICS`."""
    batches: tuple[dict[str, float | None], ...] = ()
    """:data:`METRICS` of each batch of the tickets that count (empty: no batch means)."""

    @classmethod
    def of(
        cls,
        result: SimulationResult,
        policy: str,
        seed: int,
        *,
        warmup: Warmup | None = None,
        batches: int | None = None,
    ) -> RunSummary:
        """The summary of a finished run; its figures leave out the tickets of ``warmup``
        and, with ``batches``, are also given per batch (:func:`~.statistics.split`)."""
        counted = after_warmup(result.facts, warmup, start=result.start)
        waits = sorted(w.total_seconds() / 60 for f in counted if (w := f.wait) is not None)
        span = result.end - result.start
        instants = [result.start + span * i / (BACKLOG_POINTS - 1) for i in range(BACKLOG_POINTS)]
        samples = zip(instants, result.backlog.at_each(instants), strict=True)

        def kpis(facts: Sequence[TicketFacts]) -> Kpis:
            return compute_kpis(facts, now=result.end, sla=result.sla)

        return cls(
            policy=policy,
            seed=seed,
            metrics=figures(kpis(counted)),
            wait_quantiles=tuple(percentile(waits, q / 100) for q in range(101)) if waits else (),
            backlog=tuple(((at - result.start).total_seconds() / 3600, n) for at, n in samples),
            segments={
                str(dimension): {
                    "-" if group is None else str(group): figures(group_kpis)
                    for group, group_kpis in kpis_by(
                        counted, dimension, now=result.end, sla=result.sla
                    ).items()
                }
                for dimension in SEGMENTS
            },
            batches=()
            if batches is None
            else tuple(figures(kpis(batch)) for batch in _batches(counted, batches, policy)),
        )


def _batches(
    facts: Sequence[TicketFacts], batches: int, policy: str
) -> list[Sequence[TicketFacts]]:
    try:
        return split(facts, batches)
    except InvalidValue:
        msg = (
            f"{policy}: {len(facts)} tickets after the warm-up cannot fill {batches} batches; "
            "use fewer batches, a shorter warm-up or a longer run"
        )
        raise InvalidValue(msg) from None


Method = Literal["replications", "batches"]
"""Where a comparison's intervals come from: independent runs, or batches of one run."""


@attrs.frozen
class Comparison:
    """KPIs per policy, side by side."""

    replications: int
    seed: int | None
    """The first replication's seed (``None``: a replayed history, which draws nothing)."""
    results: dict[str, dict[str, Estimate]]
    """Policy name to KPI name to estimate."""
    runs: tuple[RunSummary, ...] = ()
    """Every run, policy by policy, replications in order."""
    batches: int | None = None
    """How many batch means each estimate comes from (``None``: from replications)."""
    warmup: Warmup | None = None
    """The warm-up left out of every run's figures (``None``: none)."""
    fidelity: Fidelity | None = None
    """How closely the as-recorded baseline reproduces a replayed history (``None``: a
    scenario, or a trace without its record); see :mod:`ticketlog.simulation.fidelity`."""

    @property
    def method(self) -> Method:
        """Where the intervals come from: ``"replications"`` or ``"batches"``."""
        return "replications" if self.batches is None else "batches"

    @property
    def no_interval(self) -> str | None:
        """Why the estimates have no interval (``None``: they have one)."""
        if self.batches is not None or self.replications > 1:
            return None
        if self.seed is None:
            return "a replay is one run per policy; batches give intervals"
        return "one run per policy; more replications or batches give intervals"

    @property
    def basis(self) -> str:
        """What the estimates rest on, in words: ``5 replications from seed 0``, ``1 run from
        seed 0`` (no interval), ``10 batch means of 1 run from seed 0``, ``the recorded
        history, replayed once per policy``; then the warm-up."""
        runs = "1 run" if self.replications == 1 else f"{self.replications} replications"
        if self.seed is None:
            runs = "the recorded history, replayed once per policy"
        if self.batches is not None:
            runs = f"{self.batches} batch means of {runs}"
        text = runs if self.seed is None else f"{runs} from seed {self.seed}"
        if isinstance(self.warmup, timedelta):
            text += f", after a warm-up of {self.warmup.total_seconds() / 60:g} min"
        elif self.warmup:
            text += f", after a warm-up of {self.warmup} tickets"
        return text

    @classmethod
    def of(
        cls,
        runs: Sequence[RunSummary],
        *,
        seed: int | None,
        batches: int | None = None,
        warmup: Warmup | None = None,
        fidelity: Fidelity | None = None,
    ) -> Comparison:
        """The comparison of ``runs``: every policy's runs, replications in order; with
        ``batches``, every policy's estimates come from its runs' batch figures."""
        by_policy: dict[str, list[RunSummary]] = {}
        for run in runs:
            by_policy.setdefault(run.policy, []).append(run)
        results = {
            policy: {
                metric: Estimate.of(
                    [
                        v
                        for sample in _samples(mine, batched=batches is not None)
                        if (v := sample[metric]) is not None
                    ]
                )
                for metric in METRICS
            }
            for policy, mine in by_policy.items()
        }
        replications = max((len(mine) for mine in by_policy.values()), default=0)
        return cls(
            replications=replications,
            seed=seed,
            results=results,
            runs=tuple(runs),
            batches=batches,
            warmup=warmup,
            fidelity=fidelity,
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``None``, never ``NaN``, where undefined): the fidelity block
        (``None`` without one), how the intervals were made, then policies, then KPIs with
        mean and half-width (``warmup`` as ``{"tickets": n}`` or ``{"minutes": m}``)."""
        warmup: dict[str, float] | None = None
        if isinstance(self.warmup, timedelta):
            warmup = {"minutes": self.warmup.total_seconds() / 60}
        elif self.warmup is not None:
            warmup = {"tickets": self.warmup}
        return {
            "fidelity": None if self.fidelity is None else self.fidelity.to_json(),
            "method": self.method,
            "replications": self.replications,
            "batches": self.batches,
            "warmup": warmup,
            "seed": self.seed,
            "policies": {
                policy: {name: _finite(attrs.asdict(e)) for name, e in kpis.items()}
                for policy, kpis in self.results.items()
            },
        }


def _finite(estimate: dict[str, float]) -> dict[str, float | None]:
    """``estimate`` with ``None`` for ``NaN``."""
    return {name: None if math.isnan(value) else value for name, value in estimate.items()}


def _samples(runs: Sequence[RunSummary], *, batched: bool) -> list[dict[str, float | None]]:
    """The independent samples of a policy's figures: its runs, or their batches."""
    return (
        [batch for run in runs for batch in run.batches] if batched else [r.metrics for r in runs]
    )


def _run(
    model: Scenario | Trace,
    policy: str | PullPolicy,
    seed: int,
    *,
    warmup: Warmup | None,
    batches: int | None,
    sla: SlaTargets | None,
) -> RunSummary:
    pull = pull_policy(policy)
    arrivals = model.arrivals if isinstance(model, Trace) else draw_arrivals(model, seed=seed)
    check_policy_fits(pull, arrivals)
    result = simulate(model, arrivals, pull, sla=sla, fast=None)
    return RunSummary.of(result, pull.name, seed, warmup=warmup, batches=batches)


def _baseline(trace: Trace, *, sla: SlaTargets | None, threshold_pct: float) -> Fidelity:
    """The fidelity of ``trace``'s as-recorded baseline (a trace with its record)."""
    assert trace.recorded is not None  # noqa: S101 - only submitted with a record
    result = simulate(trace, trace.arrivals, as_recorded(trace.recorded), sla=sla, fast=None)
    return Fidelity.of(trace.recorded, result, threshold_pct=threshold_pct)


def compare(
    model: Scenario | Trace,
    policies: Sequence[str | PullPolicy],
    *,
    replications: int | None = None,
    seed: int | None = None,
    warmup: Warmup | None = None,
    batches: int | None = None,
    sla: SlaTargets | None = None,
    fidelity_threshold_pct: float = DEFAULT_THRESHOLD_PCT,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Run every policy on the same ``replications`` draws of a scenario; compare KPIs.

    Every run is judged by the SLA targets ``sla`` (the defaults when ``None``).
    ``replications`` defaults to 5, or to 1 with ``batches``. With ``batches=k`` (at
    least 2) each policy's single run is cut into ``k`` batches of its tickets that
    count, and each KPI is estimated from the batch means (``k - 1`` degrees of
    freedom); it needs ``replications`` 1 (a :class:`ConfigurationError` otherwise).
    ``warmup`` (a number of first arrivals, or a duration from the start) is left out of
    every figure but still served. A :class:`~ticketlog.simulation.replay.Trace` has
    fixed arrivals, work and shifts: it is served once per policy and draws nothing, so
    ``replications`` other than 1 and any ``seed`` are refused
    (:class:`~ticketlog.domain.errors.ConfigurationError`: they would mean nothing);
    intervals come only with ``batches``. ``seed`` defaults to 0 for a scenario. A
    malformed or negative ``warmup`` or ``batches``, or a warm-up of every ticket, raises
    :class:`~ticketlog.domain.errors.InvalidValue`; a ``value`` policy under which every
    ticket is worth the same raises :class:`~ticketlog.domain.errors.ConfigurationError`
    (:func:`~ticketlog.policies.builtin.check_policy_fits`). ``progress(done, total)`` is
    called as runs finish.

    A trace that keeps its record (every trace read from a history does) is also replayed
    once under its as-recorded baseline, and the comparison's :attr:`~Comparison.fidelity`
    says how closely that reproduces the history (:mod:`ticketlog.simulation.fidelity`;
    a KPI is off when its relative error exceeds ``fidelity_threshold_pct``, in %).
    """
    warmup = check_warmup(warmup)
    if batches is not None:
        check_batches(batches)
        if replications not in (None, 1):
            msg = f"batch means come from one long run: replications must be 1, not {replications}"
            raise ConfigurationError(msg)
    if isinstance(model, Trace):
        _check_replay(replications, seed, fidelity_threshold_pct)
    if isinstance(model, Trace) or batches is not None:
        replications = 1
    replications = 5 if replications is None else replications
    _check_policies(policies, replications)
    tickets = len(model.arrivals) if isinstance(model, Trace) else model.tickets
    if isinstance(warmup, int) and warmup >= tickets:
        msg = f"a warm-up of {warmup} tickets leaves none of the {tickets} to count"
        raise InvalidValue(msg)
    first = 0 if seed is None else seed
    runs = [(p, first + r) for p in policies for r in range(replications)]
    pool = ProcessPoolExecutor() if executor is None else executor
    futures: list[Future[RunSummary]] = []
    baseline: list[Future[Fidelity]] = []
    every: list[Future[Any]] = []
    try:
        if isinstance(model, Trace) and model.recorded is not None:
            threshold = fidelity_threshold_pct
            baseline = [pool.submit(_baseline, model, sla=sla, threshold_pct=threshold)]
        futures = [
            pool.submit(_run, model, policy, run_seed, warmup=warmup, batches=batches, sla=sla)
            for policy, run_seed in runs
        ]
        every = [*baseline, *futures]
        for done, finished in enumerate(as_completed(every), start=1):
            finished.result()  # the first failure stops the comparison
            if progress is not None:
                progress(done, len(every))
        outcomes = [future.result() for future in futures]
    finally:
        for pending in every:
            pending.cancel()
        if executor is None:
            pool.shutdown()
    return Comparison.of(
        outcomes,
        seed=None if isinstance(model, Trace) else first,
        batches=batches,
        warmup=warmup,
        fidelity=baseline[0].result() if baseline else None,
    )


def _check_policies(policies: Sequence[str | PullPolicy], replications: int) -> None:
    """Refuse a comparison of nothing, or of two policies under one name."""
    if replications < 1 or not policies:
        msg = "a comparison needs at least one policy and one replication"
        raise ValueError(msg)
    names = [p if isinstance(p, str) else p.name for p in policies]
    if len(set(names)) != len(names):
        msg = f"policy names must differ: {names}"
        raise ValueError(msg)


def _check_replay(replications: int | None, seed: int | None, threshold_pct: float) -> None:
    """Refuse what would mean nothing for a replayed history (it draws nothing), and a
    fidelity threshold that is not a percentage."""
    if replications not in (None, 1):
        msg = (
            f"a recorded history is replayed once per policy (its arrivals, work and shifts "
            f"are fixed): replications must be 1, not {replications}; for intervals use batches"
        )
        raise ConfigurationError(msg)
    if seed is not None:
        msg = "a recorded history is replayed as it was and draws nothing: a seed means nothing"
        raise ConfigurationError(msg)
    if not threshold_pct >= 0:  # NaN too
        msg = f"the fidelity threshold is a percentage of at least 0, not {threshold_pct}"
        raise InvalidValue(msg)
