"""KPI tables, per-ticket facts, reviews and their QA, policy comparisons and fidelity
blocks as pandas DataFrames.

Needs the ``analysis`` extra (``pip install 'ticketlog-es[analysis]'``).

Durations stay durations (``timedelta64`` columns, ``NaT`` where undefined); shares are
percentages (``float`` columns, ``NaN`` where not measured); a KPI table has one row per
group with the ``Durations`` fields flattened to ``<kpi>_<stat>`` columns (``wait_mean``,
``wait_p90``, ...).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ticketlog.domain.errors import ConfigurationError
from ticketlog.projections.facts import TicketFacts
from ticketlog.projections.kpis import Durations, Kpis, ValueClass, iso_week
from ticketlog.projections.quality import Calibration, QaSummary, ScoredReview
from ticketlog.projections.reviews import ReviewRecord
from ticketlog.simulation.compare import Comparison
from ticketlog.simulation.fidelity import Fidelity
from ticketlog.simulation.quality import SamplingSweep

if TYPE_CHECKING:
    import pandas as pd


def _pandas() -> Any:
    try:
        import pandas  # noqa: PLC0415 - optional dependency
    except ModuleNotFoundError:
        msg = "DataFrames need pandas: pip install 'ticketlog-es[analysis]'"
        raise ConfigurationError(msg) from None
    return pandas


_FACT_DURATIONS = ("wait", "first_reply_time", "resolution_time")


def facts_frame(facts: Iterable[TicketFacts]) -> pd.DataFrame:
    """One row per ticket: its attributes, times, counts, ratings and derived durations,
    and ``customer_value_class`` (the :class:`~ticketlog.projections.kpis.ValueClass`
    that ``kpis_by(..., "customer-value")`` groups it in, as its label)."""
    rows = []
    for f in facts:
        row = attrs.asdict(f, recurse=False)
        row.update({name: getattr(f, name) for name in _FACT_DURATIONS})
        row["first_contact_resolution"] = f.first_contact_resolution
        row["customer_value_class"] = str(ValueClass.of(f.customer_value))
        rows.append(row)
    columns = [a.name for a in attrs.fields(TicketFacts)] + [
        *_FACT_DURATIONS,
        "first_contact_resolution",
        "customer_value_class",
    ]
    frame: pd.DataFrame = _pandas().DataFrame(rows, columns=columns)
    for name in ("handle_time", *_FACT_DURATIONS):
        frame[name] = _pandas().to_timedelta(frame[name])
    return frame


def _kpi_row(kpis: Kpis) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, value in attrs.asdict(kpis, recurse=False).items():
        if isinstance(value, Durations):
            for stat, stat_value in attrs.asdict(value).items():
                row[f"{name}_{stat}"] = stat_value
        else:
            row[name] = value
    return row


def kpi_frame(kpis: Kpis | Mapping[Hashable, Kpis], *, index: str = "group") -> pd.DataFrame:
    """A KPI table: one row for a :class:`Kpis`, or one row per group of a mapping."""
    pandas = _pandas()
    groups = {"all": kpis} if isinstance(kpis, Kpis) else kpis
    rows = [_kpi_row(k) for k in groups.values()]
    frame: pd.DataFrame = pandas.DataFrame(rows, index=pandas.Index(list(groups), name=index))
    for column in _DURATION_COLUMNS:
        if column in frame.columns:
            frame[column] = pandas.to_timedelta(frame[column])
    for column in _SHARE_COLUMNS:
        frame[column] = frame[column].astype(float)
    return frame


_DURATION_COLUMNS = [
    f"{field.name}_{stat}"
    for field in attrs.fields(Kpis)
    if field.type in (Durations, "Durations")
    for stat in ("mean", "p50", "p90", "p95")
]


_SHARE_COLUMNS = [field.name for field in attrs.fields(Kpis) if str(field.type) == "float | None"]
"""Shares and means, ``None`` where not measured: ``NaN`` in a frame, as pandas has it."""


_REVIEW_COLUMNS = [
    *(a.name for a in attrs.fields(ReviewRecord) if a.name != "scores"),
    *("team", "week", "score", "passed", "known_version"),
]
"""The columns of :func:`reviews_frame` before the criteria's scores."""


def reviews_frame(scored: Iterable[ScoredReview]) -> pd.DataFrame:
    """One row per review: who reviewed whose work on which ticket and when (``week`` its
    ISO week), the scorecard and version, ``score`` (1-5), ``passed``, ``known_version``,
    and one column per criterion with its score (``NaN`` where a review has none)."""
    rows = []
    for review in scored:
        row = attrs.asdict(review.record, recurse=False)
        scores = row.pop("scores")
        row.update(
            team=review.team,
            week=iso_week(review.record.at),
            score=review.score,
            passed=review.passed,
            known_version=review.known_version,
        )
        rows.append({**row, **{f"score_{name}": value for name, value in scores.items()}})
    criteria = dict.fromkeys(key for row in rows for key in row if key.startswith("score_"))
    frame: pd.DataFrame = _pandas().DataFrame(rows, columns=[*_REVIEW_COLUMNS, *criteria])
    return frame


def quality_frame(groups: Mapping[Hashable, QaSummary], *, index: str = "group") -> pd.DataFrame:
    """A QA table: one row per group with ``reviews``, ``score`` (1-5), ``score_pct``,
    ``pass_rate``, ``unknown_version`` and ``<criterion>_mean`` per criterion (``NaN``:
    not measured)."""
    pandas = _pandas()
    rows = []
    for summary in groups.values():
        row = attrs.asdict(summary, recurse=False)
        criteria = row.pop("criteria")
        rows.append({**row, **{f"{name}_mean": value for name, value in criteria.items()}})
    means = dict.fromkeys(key for row in rows for key in row if key.endswith("_mean"))
    columns = ["reviews", "score", "score_pct", "pass_rate", "unknown_version", *means]
    frame: pd.DataFrame = pandas.DataFrame(
        rows, index=pandas.Index(list(groups), name=index), columns=columns
    )
    for column in ("score", "score_pct", "pass_rate", *means):
        frame[column] = frame[column].astype(float)
    return frame


def calibration_frame(calibration: Calibration) -> pd.DataFrame:
    """Reviewer agreement: one row overall (``(all)``) and one per criterion, with
    ``units``, ``pairs``, ``identical`` (%), ``alpha_ordinal`` and ``alpha_interval``."""
    rows = {"(all)": calibration.overall, **calibration.criteria}
    frame: pd.DataFrame = _pandas().DataFrame.from_dict(
        {name: attrs.asdict(agreement) for name, agreement in rows.items()}, orient="index"
    )
    frame.index.name = "criterion"
    for column in ("identical", "alpha_ordinal", "alpha_interval"):
        frame[column] = frame[column].astype(float)
    return frame


def sampling_frame(sweep: SamplingSweep) -> pd.DataFrame:
    """A review-sampling sweep, one row per share reviewed."""
    rows = [
        {
            "share": p.share,
            "reviews": p.reviews,
            "agents_reviewed": p.agents_reviewed,
            "worst_ranked_lowest": p.worst_ranked_lowest.mean,
            "worst_ranked_lowest_half_width": p.worst_ranked_lowest.half_width,
            "rank_correlation": p.rank_correlation.mean,
            "rank_correlation_half_width": p.rank_correlation.half_width,
        }
        for p in sweep.points
    ]
    frame: pd.DataFrame = _pandas().DataFrame(rows).set_index("share")
    return frame


def comparison_frame(comparison: Comparison) -> pd.DataFrame:
    """A policy comparison: one row per policy, ``<kpi>`` and ``<kpi>_ci`` (95 % half-width
    over replications or batch means: ``frame.attrs["method"]``, ``frame.attrs["basis"]``)."""
    rows = {
        policy: {
            column: value
            for name, estimate in kpis.items()
            for column, value in ((name, estimate.mean), (f"{name}_ci", estimate.half_width))
        }
        for policy, kpis in comparison.results.items()
    }
    frame: pd.DataFrame = _pandas().DataFrame.from_dict(rows, orient="index")
    frame.index.name = "policy"
    frame.attrs.update(method=comparison.method, basis=comparison.basis)
    return frame


def fidelity_frame(fidelity: Fidelity) -> pd.DataFrame:
    """A fidelity block: one row per KPI with ``recorded``, ``baseline``,
    ``relative_error_pct`` (``NaN`` where undefined) and ``off``; the earth mover's
    distances, the hourly backlog's mean gap, the takings past capacity, the threshold and
    the baseline's policy in ``frame.attrs``."""
    rows = {
        k.kpi: {
            "recorded": k.recorded,
            "baseline": k.baseline,
            "relative_error_pct": k.relative_error_pct,
            "off": k.off(fidelity.threshold_pct),
        }
        for k in fidelity.kpis
    }
    frame: pd.DataFrame = _pandas().DataFrame.from_dict(rows, orient="index")
    frame.index.name = "kpi"
    for column in ("recorded", "baseline", "relative_error_pct"):
        frame[column] = frame[column].astype(float)
    frame.attrs.update(
        policy=fidelity.policy,
        threshold_pct=fidelity.threshold_pct,
        wait_emd_min=fidelity.wait_emd_min,
        cycle_time_emd_min=fidelity.cycle_time_emd_min,
        backlog_mae=fidelity.backlog_mae,
        past_capacity=fidelity.past_capacity,
    )
    return frame
