"""What the ``ticketlog`` command prints: rich tables for people, plain JSON for programs.

Tables show durations with their unit (``12.5 min``, ``3.2 h``, ``2.1 d``), shares with
``%``, and ``—`` for a figure that was not measured. JSON (:func:`jsonable`) gives every
duration in minutes (floats), every time in ISO 8601, and ``null`` — never ``NaN`` — for
what was not measured.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from enum import Enum
from typing import Any
from uuid import UUID

import attrs
from rich.table import Table

from ticketlog.projections.kpis import Kpis
from ticketlog.projections.quality import Calibration, Correlation, QaSummary, summarise
from ticketlog.simulation.compare import METRICS, Comparison
from ticketlog.simulation.fidelity import Fidelity, KpiFidelity, minutes

NOT_MEASURED = "—"
"""What a table shows for a figure that was not measured (``None``)."""


def _number(value: float | None) -> str:
    return NOT_MEASURED if value is None or math.isnan(value) else f"{value:,.2f}"


def duration_text(value: timedelta | None) -> str:
    """A duration with its unit: minutes under an hour, hours under a day, else days."""
    if value is None:
        return NOT_MEASURED
    seconds = value.total_seconds()
    if abs(seconds) < 3600:
        return f"{seconds / 60:,.1f} min"
    if abs(seconds) < 86400:
        return f"{seconds / 3600:,.1f} h"
    return f"{seconds / 86400:,.1f} d"


def share_text(value: float | None) -> str:
    """A percentage, ``93.4 %``."""
    return NOT_MEASURED if value is None else f"{value:.1f} %"


def time_text(value: datetime | None) -> str:
    """An instant to the second, ISO 8601 with its offset."""
    return NOT_MEASURED if value is None else value.isoformat(timespec="seconds")


def cell(value: object) -> str:  # noqa: PLR0911 - one case per type
    """Any value as a table shows it (by its type)."""
    match value:
        case None:
            return NOT_MEASURED
        case bool():
            return "yes" if value else "no"
        case timedelta():
            return duration_text(value)
        case datetime():
            return time_text(value)
        case float():
            return _number(value)
        case int():
            return f"{value:,}"
    return str(value)


def jsonable(value: object) -> object:  # noqa: PLR0911 - one case per type
    """``value`` made of JSON types only: durations in minutes, times in ISO 8601, ids and
    enums as strings, sets as sorted lists, attrs records as objects, ``NaN`` as ``None``."""
    match value:
        case None | bool() | int() | str():
            return value.value if isinstance(value, Enum) else value
        case float():
            return None if math.isnan(value) or math.isinf(value) else value
        case timedelta():
            return minutes(value)
        case datetime():
            return value.isoformat()
        case UUID() | Enum():
            return str(value)
        case Mapping():
            return {str(jsonable(key)): jsonable(item) for key, item in value.items()}
        case set() | frozenset():
            return sorted((jsonable(item) for item in value), key=str)
        case list() | tuple():
            return [jsonable(item) for item in value]
    if attrs.has(type(value)):
        return jsonable(attrs.asdict(value, recurse=False))  # type: ignore[arg-type]
    if callable(value):
        return getattr(value, "__qualname__", repr(value))
    return repr(value)


@attrs.frozen
class Column:
    """One column of a :func:`records_table`: the record's key, its header, how it reads."""

    key: str
    header: str
    text: Callable[[Any], str] = cell
    right: bool = True


def records_table(
    records: Sequence[Mapping[str, object]], columns: Sequence[Column], *, title: str
) -> Table:
    """One row per record, one column per :class:`Column`."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column.header, justify="right" if column.right else "left")
    for record in records:
        table.add_row(*(column.text(record[column.key]) for column in columns))
    return table


def _count(value: int) -> str:
    return f"{value:,}"


KPI_ROWS: tuple[tuple[str, Callable[[Kpis], str]], ...] = (
    ("tickets", lambda k: _count(k.tickets)),
    ("open", lambda k: _count(k.open)),
    ("resolved", lambda k: _count(k.resolved)),
    ("wait mean", lambda k: duration_text(k.wait.mean)),
    ("wait p90", lambda k: duration_text(k.wait.p90)),
    ("first reply mean", lambda k: duration_text(k.first_reply.mean)),
    ("first reply p90", lambda k: duration_text(k.first_reply.p90)),
    ("resolution mean", lambda k: duration_text(k.resolution.mean)),
    ("resolution p90", lambda k: duration_text(k.resolution.p90)),
    ("AHT (mean handle time)", lambda k: duration_text(k.aht)),
    ("FCR", lambda k: share_text(k.fcr)),
    ("CSAT (4-5 of 5)", lambda k: share_text(k.csat)),
    ("CSAT mean", lambda k: NOT_MEASURED if k.csat_mean is None else f"{k.csat_mean:.2f} / 5"),
    ("NPS (-100 to 100)", lambda k: NOT_MEASURED if k.nps is None else f"{k.nps:+.1f}"),
    ("SLA first reply met", lambda k: share_text(k.sla_first_reply)),
    ("first-reply breaches", lambda k: _count(k.first_reply_breaches)),
    ("SLA resolution met", lambda k: share_text(k.sla_resolution)),
    ("resolution breaches", lambda k: _count(k.resolution_breaches)),
    ("transfer rate", lambda k: share_text(k.transfer_rate)),
    ("escalation rate", lambda k: share_text(k.escalation_rate)),
    ("reassignment rate", lambda k: share_text(k.reassignment_rate)),
    ("de-escalation rate", lambda k: share_text(k.deescalation_rate)),
    ("reopen rate", lambda k: share_text(k.reopen_rate)),
    ("abandonment rate", lambda k: share_text(k.abandonment_rate)),
)
"""The rows of :func:`kpis_table`: a label and how the figure reads (see docs/kpis.md)."""


def qa_score_text(score: float | None) -> str:
    """A QA score on its scale, ``3.75 / 5``."""
    return NOT_MEASURED if score is None else f"{score:.2f} / 5"


QA_ROWS: tuple[tuple[str, Callable[[QaSummary], str]], ...] = (
    ("reviews", lambda q: _count(q.reviews)),
    ("QA score", lambda q: qa_score_text(q.score)),
    ("QA pass", lambda q: share_text(q.pass_rate)),
)
"""The QA rows :func:`kpis_table` adds after CSAT and NPS."""

_EMPTY_QA = summarise(())


def kpis_table(
    groups: Mapping[str, Kpis],
    *,
    title: str,
    quality: Mapping[str, QaSummary] | None = None,
) -> Table:
    """KPIs as rows, groups as columns; with ``quality``, each group's QA after its CSAT and
    NPS (a group without reviews shows 0 and ``—``)."""
    table = Table(title=title)
    table.add_column("KPI")
    for group in groups:
        table.add_column(group, justify="right")
    for label, text in KPI_ROWS:
        table.add_row(label, *(text(kpis) for kpis in groups.values()))
        if quality is not None and label.startswith("NPS"):
            for qa_label, qa_text in QA_ROWS:
                table.add_row(qa_label, *(qa_text(quality.get(g, _EMPTY_QA)) for g in groups))
    return table


def quality_table(groups: Mapping[str, QaSummary], *, title: str, by: str) -> Table:
    """One row per group: reviews, QA score and percentage, pass rate, and (unless the
    groups are criteria) the mean score of each criterion."""
    criteria = (
        []
        if by == "criterion"
        else list(dict.fromkeys(name for q in groups.values() for name in q.criteria))
    )
    table = Table(title=title)
    table.add_column(by)
    for header in ("reviews", "QA score", "QA %", "pass", *criteria):
        table.add_column(header, justify="right")
    for group, q in groups.items():
        means = (_number(q.criteria.get(name)) for name in criteria)
        pct = NOT_MEASURED if q.score_pct is None else f"{q.score_pct:.1f} %"
        table.add_row(
            group, _count(q.reviews), qa_score_text(q.score), pct, share_text(q.pass_rate), *means
        )
    return table


def calibration_tables(calibration: Calibration, names: Mapping[UUID, str]) -> list[Table]:
    """Reviewer agreement: overall and per criterion, then per pair of reviewers."""
    agreement = Table(title="Reviewer calibration (tickets reviewed more than once)")
    for header in ("criterion", "units", "pairs", "identical", "alpha ordinal", "alpha interval"):
        agreement.add_column(header, justify="left" if header == "criterion" else "right")
    rows = {"(all)": calibration.overall, **calibration.criteria}
    for name, a in rows.items():
        agreement.add_row(
            name,
            _count(a.units),
            _count(a.pairs),
            share_text(a.identical),
            _number(a.alpha_ordinal),
            _number(a.alpha_interval),
        )
    pairs = Table(title="Reviewer pairs")
    for header in ("reviewers", "tickets", "scores", "identical", "kappa", "kappa quadratic"):
        pairs.add_column(header, justify="left" if header == "reviewers" else "right")
    for p in calibration.pairs:
        pairs.add_row(
            " / ".join(names.get(r, str(r)) for r in p.reviewers),
            _count(p.tickets),
            _count(p.scores),
            share_text(p.identical),
            _number(p.kappa),
            _number(p.kappa_quadratic),
        )
    return [agreement, pairs]


def correlations_table(correlations: Mapping[str, Correlation]) -> Table:
    """A ticket's QA against each measure: pairs, Pearson's r and Spearman's rho."""
    table = Table(title="QA against ticket measures (per reviewed ticket)")
    for header in ("measure", "tickets", "Pearson r", "Spearman rho"):
        table.add_column(header, justify="left" if header == "measure" else "right")
    for measure, c in correlations.items():
        table.add_row(measure, _count(c.n), _number(c.pearson), _number(c.spearman))
    return table


def comparison_table(comparison: Comparison, *, title: str | None = None) -> Table:
    """KPIs as rows, policies as columns, each cell ``mean ± 95 % half-width`` (the caption
    says why when there is no interval)."""
    table = Table(title=title or comparison.basis, caption=_no_interval(comparison))
    table.add_column("KPI")
    for name in comparison.results:
        table.add_column(name, justify="right")
    for metric in METRICS:
        cells = []
        for kpis in comparison.results.values():
            estimate = kpis[metric]
            spread = "" if math.isnan(estimate.half_width) else f" ± {estimate.half_width:,.2f}"
            cells.append(f"{_number(estimate.mean)}{spread}")
        table.add_row(metric, *cells)
    return table


def _no_interval(comparison: Comparison) -> str | None:
    reason = comparison.no_interval
    return None if reason is None else f"No interval: {reason}."


def figures_table(figures: Mapping[str, float | None], *, title: str) -> Table:
    """One run's KPIs (see :data:`~ticketlog.simulation.compare.METRICS`)."""
    table = Table(title=title)
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for name, value in figures.items():
        table.add_row(name, _number(value))
    return table


def _error_text(kpi: KpiFidelity) -> str:
    error = kpi.relative_error_pct
    if error is not None:
        return f"{error:+.1f} %"
    return NOT_MEASURED if kpi.recorded is None or kpi.baseline is None else "recorded 0"


def fidelity_warnings(fidelity: Fidelity) -> list[str]:
    """One line per KPI on which the as-recorded baseline is off (none: it is not)."""
    return [
        f"the as-recorded baseline is off on {k.kpi}: {_number(k.baseline)} against "
        f"{_number(k.recorded)} recorded ({_error_text(k)}, threshold "
        f"{fidelity.threshold_pct:g} %)"
        for k in fidelity.off
    ]


def past_capacity_text(fidelity: Fidelity) -> str:
    """How often the baseline went past an inferred capacity (at recorded takings)."""
    if not fidelity.past_capacity:
        return "No taking went past its taker's inferred capacity."
    return (
        f"{fidelity.past_capacity} takings went past their taker's inferred capacity, where "
        "the record shows them working that many tickets at once."
    )


def fidelity_table(fidelity: Fidelity) -> Table:
    """The fidelity block: per KPI the recorded value, the baseline's and the relative error;
    the earth mover's distances, the hourly backlog's mean gap and the takings past
    capacity in the caption."""
    caption = (
        f"Earth mover's distance, recorded to baseline: wait "
        f"{_number(fidelity.wait_emd_min)} min, cycle time "
        f"{_number(fidelity.cycle_time_emd_min)} min. Hourly backlog: "
        f"{_number(fidelity.backlog_mae)} tickets apart on average. " + past_capacity_text(fidelity)
    )
    table = Table(
        title=f"Fidelity: the history replayed under its {fidelity.policy} baseline",
        caption=caption,
    )
    for header in ("KPI", "recorded", "baseline", "relative error"):
        table.add_column(header, justify="left" if header == "KPI" else "right")
    for kpi in fidelity.kpis:
        off = kpi.off(fidelity.threshold_pct)
        error = _error_text(kpi) + (" (off)" if off else "")
        table.add_row(kpi.kpi, _number(kpi.recorded), _number(kpi.baseline), error)
    return table
