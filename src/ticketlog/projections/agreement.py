"""Agreement and correlation coefficients: Cohen's kappa, Krippendorff's alpha, Pearson's r
and Spearman's rho, as documented formulas over numpy.

Why not a statistics package: ``krippendorff`` computes alpha only, scikit-learn
(``cohen_kappa_score``) kappa only, statsmodels has alpha only after 0.15.0; each would
be a new dependency for a core KPI, while the formulas are short. They are tested against
the published worked examples (Krippendorff 2011; Cohen's kappa examples).

Every coefficient is ``None`` where it is undefined (0/0), never ``NaN``:

- :func:`cohen_kappa` of two raters' paired ratings, κ = (p_o - p_e) / (1 - p_e)
  (Cohen 1960), p_o the share of pairs that agree and p_e the agreement expected from each
  rater's own marginal shares; the weighted variant (Cohen 1968) is
  κ_w = 1 - Σ w·o / Σ w·e over the observed (o) and expected (e) joint shares, with linear
  (|i - j|) or quadratic ((i - j)²) disagreement weights on the ratings' numeric values.
  Undefined when both raters give one and the same rating throughout (p_e = 1).
- :func:`krippendorff_alpha` of any number of raters with missing ratings,
  alpha = 1 - D_o / D_e, from the coincidence matrix o_ck = Σ_u (pairs c, k of values in unit u)
  / (m_u - 1), its margins n_c and n = Σ n_c: alpha = 1 - (n - 1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck
  (Krippendorff, "Computing Krippendorff's Alpha-Reliability", 2011). Units with fewer than
  two ratings are not pairable and are left out. δ² is the level's difference: nominal
  (c ≠ k), ordinal ((Σ_{g=c..k} n_g - (n_c + n_k)/2)²) or interval ((c - k)²). Undefined
  without pairable values or when every pairable value is the same (D_e = 0).
- :func:`pearson` and :func:`spearman` (Pearson's r of the ranks, ties given their mean
  rank) of paired values; undefined for fewer than three pairs or a constant side.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from ticketlog.domain.errors import InvalidValue

MIN_CORRELATION_PAIRS = 3
"""Fewer pairs than this give no correlation (``None``)."""


class Level(StrEnum):
    """The level of measurement Krippendorff's alpha judges differences by."""

    NOMINAL = "nominal"
    ORDINAL = "ordinal"
    INTERVAL = "interval"


class Weights(StrEnum):
    """Disagreement weights of Cohen's weighted kappa."""

    LINEAR = "linear"
    QUADRATIC = "quadratic"


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def cohen_kappa(
    first: Sequence[float], second: Sequence[float], *, weights: Weights | str | None = None
) -> float | None:
    """Cohen's kappa of two raters' ratings of the same items (``first[i]`` and ``second[i]``
    rate item ``i``), unweighted or with ``weights`` (``"linear"``, ``"quadratic"``)."""
    if len(first) != len(second):
        msg = f"kappa needs paired ratings, not {len(first)} and {len(second)}"
        raise InvalidValue(msg)
    if not first:
        return None
    values, codes = np.unique(np.asarray([*first, *second], dtype=float), return_inverse=True)
    joint = np.zeros((len(values), len(values)))
    np.add.at(joint, (codes[: len(first)], codes[len(first) :]), 1.0)
    joint /= len(first)
    expected = np.outer(joint.sum(axis=1), joint.sum(axis=0))
    distance = np.abs(values[:, None] - values[None, :])
    match None if weights is None else Weights(weights):
        case None:
            disagreement = (distance > 0).astype(float)
        case Weights.LINEAR:
            disagreement = distance
        case Weights.QUADRATIC:
            disagreement = distance**2
    ratio = _ratio(float((disagreement * joint).sum()), float((disagreement * expected).sum()))
    return None if ratio is None else 1.0 - ratio


def _differences(
    values: npt.NDArray[np.float64], totals: npt.NDArray[np.float64], level: Level
) -> npt.NDArray[np.float64]:
    """δ²_ck of every pair of ``values`` (ascending) whose margins are ``totals``."""
    match level:
        case Level.NOMINAL:
            return np.not_equal.outer(values, values).astype(np.float64)
        case Level.ORDINAL:
            cumulative = np.cumsum(totals)
            index = np.arange(len(values))
            low, high = np.minimum.outer(index, index), np.maximum.outer(index, index)
            between = cumulative[high] - cumulative[low] + totals[low]
            return (between - (totals[:, None] + totals[None, :]) / 2) ** 2
        case Level.INTERVAL:
            return (values[:, None] - values[None, :]) ** 2


def krippendorff_alpha(
    units: Iterable[Iterable[float | None]], *, level: Level | str = Level.ORDINAL
) -> float | None:
    """Krippendorff's alpha of ``units`` (each the ratings one item got, ``None`` for a rater
    who did not rate it) at ``level`` (``"nominal"``, ``"ordinal"``, ``"interval"``)."""
    chosen = Level(level)
    pairable = [
        kept for kept in ([v for v in unit if v is not None] for unit in units) if len(kept) > 1
    ]
    if not pairable:
        return None
    flat = np.concatenate([np.asarray(unit, dtype=float) for unit in pairable])
    values, codes = np.unique(flat, return_inverse=True)
    rows = np.repeat(np.arange(len(pairable)), [len(unit) for unit in pairable])
    counts = np.zeros((len(pairable), len(values)))
    np.add.at(counts, (rows, codes), 1.0)
    per_pair = counts / (counts.sum(axis=1, keepdims=True) - 1)
    coincidences = per_pair.T @ counts - np.diag(per_pair.sum(axis=0))
    totals = coincidences.sum(axis=1)
    delta = _differences(values, totals, chosen)
    observed = float((coincidences * delta).sum())
    expected = float((np.outer(totals, totals) * delta).sum())
    ratio = _ratio((totals.sum() - 1) * observed, expected)
    return None if ratio is None else 1.0 - ratio


def _paired(xs: Sequence[float], ys: Sequence[float]) -> tuple[npt.NDArray[np.float64], ...]:
    if len(xs) != len(ys):
        msg = f"a correlation needs paired values, not {len(xs)} and {len(ys)}"
        raise InvalidValue(msg)
    return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)


def _correlation(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float | None:
    if len(x) < MIN_CORRELATION_PAIRS:
        return None
    dx, dy = x - x.mean(), y - y.mean()
    spread = math.sqrt(float((dx * dx).sum()) * float((dy * dy).sum()))
    r = _ratio(float((dx * dy).sum()), spread)
    return None if r is None else max(-1.0, min(1.0, r))


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's correlation coefficient of paired values."""
    return _correlation(*_paired(xs, ys))


def _ranks(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Ranks 1..n of ``x``, tied values sharing their mean rank."""
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    last = np.cumsum(counts)
    mean_rank = last - (counts - 1) / 2
    return mean_rank[inverse].astype(float)


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman's rank correlation of paired values (ties: mean ranks)."""
    x, y = _paired(xs, ys)
    return _correlation(_ranks(x), _ranks(y))
