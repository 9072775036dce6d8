"""Interval estimates for simulation output: Student-t half-widths and batch means.

One implementation serves both ways of getting independent samples of a KPI:

- **replications** — independent runs (different seeds); each run gives one value;
- **batch means** — one long run cut into ``k`` consecutive batches of equal size (by
  arrival order); each batch gives one value.

Either way the estimate is the mean of the values with a 95 % Student-t half-width on
``n - 1`` degrees of freedom (:meth:`Estimate.of`).

Batch means are valid only when the batches are long compared with the run's
autocorrelation: waits of consecutive tickets are strongly correlated in a busy desk (a
queue that is long now is long a little later), so batches must span many busy periods —
thousands of tickets for a desk near saturation, far fewer for a lightly loaded one —
and then their means are nearly independent. Too short batches give intervals that are
too narrow. A rough check: the batch means of neighbouring batches should not be
correlated (their lag-1 correlation near 0); if they are, use fewer, longer batches.
The start of a run is not steady state either: discard it with a warm-up
(:mod:`ticketlog.simulation.warmup`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import TypeVar

import attrs

from ticketlog.domain.errors import InvalidValue

_T_975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
          2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
          2.060, 2.056, 2.052, 2.048, 2.045, 2.042)  # fmt: skip
"""Student's t 97.5 % quantiles for 1 to 30 degrees of freedom."""

_Z_975 = 1.959963984540054
"""The standard normal 97.5 % quantile."""


def t_975(degrees_of_freedom: int) -> float:
    """Student's t 97.5 % quantile (the factor of a two-sided 95 % interval).

    Exact to three decimals from a table up to 30 degrees of freedom; beyond, the
    Cornish-Fisher expansion in ``1/df`` (Abramowitz and Stegun 26.7.5), within 1e-4.
    """
    if degrees_of_freedom < 1:
        msg = f"a t quantile needs at least 1 degree of freedom, not {degrees_of_freedom}"
        raise InvalidValue(msg)
    if degrees_of_freedom <= len(_T_975):
        return _T_975[degrees_of_freedom - 1]
    z, v = _Z_975, float(degrees_of_freedom)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / v + g2 / v**2 + g3 / v**3 + g4 / v**4


@attrs.frozen
class Estimate:
    """A KPI's mean over independent samples (replications or batches), with its 95 %
    confidence half-width (``NaN`` with fewer than two samples; the mean is ``NaN``
    with none)."""

    mean: float
    half_width: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Estimate:
        """The mean of ``values`` and its Student-t half-width (``len - 1`` degrees of freedom)."""
        if len(values) < 2:
            return cls(mean=values[0] if values else math.nan, half_width=math.nan)
        spread = statistics.stdev(values) / math.sqrt(len(values))
        return cls(mean=statistics.fmean(values), half_width=t_975(len(values) - 1) * spread)


T = TypeVar("T")


def check_batches(batches: object) -> int:
    """``batches`` if it is a whole number of at least 2, else :class:`InvalidValue`."""
    if isinstance(batches, bool) or not isinstance(batches, int) or batches < 2:
        msg = f"batches must be a whole number of at least 2, not {batches!r}"
        raise InvalidValue(msg)
    return batches


def split(items: Sequence[T], batches: int) -> list[Sequence[T]]:
    """``items`` cut into ``batches`` consecutive batches of equal size.

    The size is ``len(items) // batches``; the last ``len(items) % batches`` items (fewer
    than one batch) are left out. Raises :class:`InvalidValue` when there are fewer items
    than batches.
    """
    size = len(items) // check_batches(batches)
    if size == 0:
        msg = f"{len(items)} samples cannot fill {batches} batches"
        raise InvalidValue(msg)
    return [items[i * size : (i + 1) * size] for i in range(batches)]


def batch_means(values: Sequence[float], batches: int) -> Estimate:
    """The mean of ``values`` (in order) from ``batches`` batch means, with its interval."""
    return Estimate.of([statistics.fmean(batch) for batch in split(values, batches)])
