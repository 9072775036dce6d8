"""A policy comparison as a static HTML report with PNG plots (the ``analysis`` extra).

:func:`write_report` writes ``index.html`` (the KPI table, mean ± 95 % half-width over
replications or batch means, as the page says) and four plots: the wait distribution,
SLA attainment, the backlog over time and the mean wait per customer segment. A replayed
history's page starts with its fidelity block (:mod:`ticketlog.simulation.fidelity`): a
warning first when the as-recorded baseline is off, the recorded and baseline KPIs with
their relative errors, the earth mover's distances, and a fifth plot, the recorded and
baseline backlog hour by hour. Given the quality reviews of the period
(:class:`~ticketlog.projections.quality.QualityOverview`), the page ends with their section:
QA per group with a plot (``quality.png``), reviewer calibration and QA against CSAT,
first reply and handle time. Plots are
drawn with matplotlib's object API on the Agg canvas (no pyplot state), at a fixed DPI and
without metadata, so the same comparison gives the same files byte for byte.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from html import escape
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING
from uuid import UUID

from ticketlog.domain.errors import ConfigurationError
from ticketlog.domain.values import Priority
from ticketlog.io.console import fidelity_warnings, past_capacity_text
from ticketlog.io.records import labelled
from ticketlog.projections.kpis import Dimension
from ticketlog.projections.quality import QaSummary, QualityOverview
from ticketlog.simulation.compare import BACKLOG_POINTS, METRICS, Comparison, RunSummary
from ticketlog.simulation.fidelity import Fidelity
from ticketlog.simulation.statistics import Estimate

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_DPI = 100
"""Resolution of every plot (pixels per inch)."""

_SLA_METRICS = ("sla_first_reply", "sla_resolution")
_SEGMENT_METRIC = "wait_mean_min"
_MISSING = "\N{EN DASH}"
"""What a table cell shows for an undefined figure."""


def _figure(width: float, height: float) -> Figure:
    """A blank figure on its own Agg canvas (no pyplot, nothing global to close)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415 - optional dependency
        from matplotlib.figure import Figure  # noqa: PLC0415 - optional dependency
    except ModuleNotFoundError:
        msg = "the report needs matplotlib: pip install 'ticketlog-es[analysis]'"
        raise ConfigurationError(msg) from None
    figure = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _label(text: str) -> str:
    """``text`` for a matplotlib label, shown literally (no mathtext)."""
    return text.replace("$", r"\$")


def _no_data(axes: Axes, message: str) -> None:
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes)


def _legend(figure: Figure, handles: Sequence[Artist], policies: Sequence[str]) -> None:
    """One legend beside the plots, so it never hides data."""
    # Explicit labels: a policy whose name starts with "_" still gets its entry.
    if handles:
        figure.legend(handles, [_label(p) for p in policies], loc="outside right upper")


def _mean(values: Iterable[float | None]) -> float:
    """The mean of the known values (NaN: none)."""
    known = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.fmean(known) if known else math.nan


def _by_policy(comparison: Comparison) -> dict[str, list[RunSummary]]:
    runs: dict[str, list[RunSummary]] = {policy: [] for policy in comparison.results}
    for run in comparison.runs:
        runs.setdefault(run.policy, []).append(run)
    return runs


def _pooled_quantiles(runs: Sequence[RunSummary]) -> list[float]:
    """The wait quantiles averaged level by level over the runs that took tickets."""
    taken = [run.wait_quantiles for run in runs if run.wait_quantiles]
    if not taken:
        return []
    levels = len(taken[0])
    same = [q for q in taken if len(q) == levels]
    return [statistics.fmean(values) for values in zip(*same, strict=True)]


def _waits_figure(runs: dict[str, list[RunSummary]]) -> Figure:
    figure = _figure(7, 4.5)
    axes = figure.add_subplot()
    handles: list[Artist] = []
    names: list[str] = []
    p99s: list[float] = []
    for index, (policy, mine) in enumerate(runs.items()):
        quantiles = _pooled_quantiles(mine)
        if not quantiles:
            continue
        shares = [100 * i / max(len(quantiles) - 1, 1) for i in range(len(quantiles))]
        (line,) = axes.plot(quantiles, shares, color=f"C{index}")
        handles.append(line)
        names.append(policy)
        p99 = quantiles[round(0.99 * (len(quantiles) - 1))]
        p99s.append(p99 if p99 > 0 else quantiles[-1])
    if not handles:
        _no_data(axes, "no ticket was taken")
    right = max(p99s, default=0.0)
    axes.set_xlim(0, 1.05 * right if right > 0 else 1)
    axes.set_ylim(0, 101)
    axes.set_xlabel("wait (minutes)")
    axes.set_ylabel("tickets taken within that wait (%)")
    axes.set_title("Wait distribution")
    axes.grid(visible=True, alpha=0.3)
    _legend(figure, handles, names)
    return figure


def _sla_figure(comparison: Comparison) -> Figure:
    figure = _figure(7, 4.5)
    axes = figure.add_subplot()
    policies = list(comparison.results)
    width = 0.8 / max(len(policies), 1)
    handles: list[Artist] = []
    for index, policy in enumerate(policies):
        estimates = [comparison.results[policy].get(m) for m in _SLA_METRICS]
        xs = [m + (index - (len(policies) - 1) / 2) * width for m in range(len(_SLA_METRICS))]
        heights = [math.nan if e is None else e.mean for e in estimates]
        handles.extend(axes.bar(xs, heights, width, color=f"C{index}").patches[:1])
        for x, estimate in zip(xs, estimates, strict=True):
            if estimate is not None and math.isfinite(estimate.mean + estimate.half_width):
                axes.errorbar(
                    x,
                    estimate.mean,
                    yerr=estimate.half_width,
                    fmt="none",
                    ecolor="black",
                    capsize=4,
                )
    if not policies:
        _no_data(axes, "no policy was compared")
    axes.set_xticks(range(len(_SLA_METRICS)), ["first reply", "resolution"])
    axes.set_ylim(bottom=0)
    axes.set_ylabel("tickets within target (%)")
    axes.set_title(f"SLA attainment (95 % confidence intervals, {comparison.method})")
    axes.grid(visible=True, axis="y", alpha=0.3)
    _legend(figure, handles, policies)
    return figure


def _step_at(times: Sequence[float], counts: Sequence[int], at: float) -> int:
    """The sampled count in force at ``at`` (the last one after the end)."""
    return counts[max(bisect.bisect_right(times, at) - 1, 0)]


def _backlog_figure(runs: dict[str, list[RunSummary]]) -> Figure:
    figure = _figure(8, 4.5)
    axes = figure.add_subplot()
    # Runs end at different times, so each is read on one common grid of instants.
    series = {p: [r.backlog for r in mine if r.backlog] for p, mine in runs.items()}
    horizon = max((s[-1][0] for mine in series.values() for s in mine), default=0.0)
    grid = [horizon * i / (BACKLOG_POINTS - 1) for i in range(BACKLOG_POINTS)]
    handles: list[Artist] = []
    names: list[str] = []
    for index, (policy, mine) in enumerate(series.items()):
        if not mine:
            continue
        columns = [([t for t, _ in s], [n for _, n in s]) for s in mine]
        mean = [statistics.fmean(_step_at(t, n, at) for t, n in columns) for at in grid]
        (line,) = axes.plot(grid, mean, color=f"C{index}", drawstyle="steps-post")
        handles.append(line)
        names.append(policy)
    if not handles:
        _no_data(axes, "no backlog was recorded")
    axes.set_xlim(0, horizon if horizon > 0 else 1)
    axes.set_ylim(bottom=0)
    axes.set_xlabel("hours since the start")
    axes.set_ylabel("open tickets (mean over replications)")
    axes.set_title("Backlog")
    axes.grid(visible=True, alpha=0.3)
    _legend(figure, handles, names)
    return figure


def _fidelity_figure(fidelity: Fidelity) -> Figure:
    figure = _figure(8, 4.5)
    axes = figure.add_subplot()
    hours = [h for h, _, _ in fidelity.backlog]
    handles: list[Artist] = []
    for column in (1, 2):
        counts = [row[column] for row in fidelity.backlog]
        (line,) = axes.plot(hours, counts, color=f"C{column - 1}", drawstyle="steps-post")
        handles.append(line)
    if not hours:
        _no_data(axes, "no backlog was recorded")
    axes.set_xlim(0, hours[-1] if hours and hours[-1] > 0 else 1)
    axes.set_ylim(bottom=0)
    axes.set_xlabel("hours since the start")
    axes.set_ylabel("open tickets")
    axes.set_title("Backlog: the history and its as-recorded baseline")
    axes.grid(visible=True, alpha=0.3)
    _legend(figure, handles, ["recorded", fidelity.policy])
    return figure


def _segment_groups(runs: Iterable[RunSummary]) -> dict[str, list[str]]:
    """Dimension to its groups, in the order the runs report them."""
    groups: dict[str, list[str]] = {}
    for run in runs:
        for dimension, by_group in run.segments.items():
            known = groups.setdefault(dimension, [])
            known.extend(g for g in by_group if g not in known)
    if Dimension.PRIORITY in groups:  # lowest first, not alphabetically
        ranks = {str(p): p.rank for p in Priority}
        groups[Dimension.PRIORITY].sort(key=lambda g: ranks.get(g, len(ranks)))
    return groups


def _segments_figure(runs: dict[str, list[RunSummary]]) -> Figure:
    groups = _segment_groups(run for mine in runs.values() for run in mine)
    shown = {d: g for d, g in groups.items() if len(g) > 1}
    if not shown:  # nothing to break down: show the one group of the first dimension
        shown = dict(list(groups.items())[:1])
    figure = _figure(2 + 4 * max(len(shown), 1), 4.5)
    if not shown:
        axes = figure.add_subplot()
        _no_data(axes, "no customer segment was recorded")
        axes.set_title("Mean wait per customer segment")
        return figure
    width = 0.8 / max(len(runs), 1)
    for column, (dimension, labels) in enumerate(shown.items(), start=1):
        axes = figure.add_subplot(1, len(shown), column)
        handles: list[Artist] = []
        for index, mine in enumerate(runs.values()):
            xs = [g + (index - (len(runs) - 1) / 2) * width for g in range(len(labels))]
            heights = [
                _mean(
                    run.segments.get(dimension, {}).get(label, {}).get(_SEGMENT_METRIC)
                    for run in mine
                )
                for label in labels
            ]
            handles.extend(axes.bar(xs, heights, width, color=f"C{index}").patches[:1])
        axes.set_xticks(range(len(labels)), [_label(g) for g in labels])
        axes.set_ylim(bottom=0)
        axes.set_xlabel(_label(dimension))
        axes.set_ylabel("mean wait (minutes)")
        axes.set_title(f"Mean wait by {_label(dimension)}")
        axes.grid(visible=True, axis="y", alpha=0.3)
    _legend(figure, handles, list(runs))
    return figure


def _cell(estimate: Estimate | None) -> str:
    if estimate is None or math.isnan(estimate.mean):
        return _MISSING
    if math.isnan(estimate.half_width):
        return f"{estimate.mean:,.2f} ± {_MISSING}"
    return f"{estimate.mean:,.2f} ± {estimate.half_width:,.2f}"


def _table(comparison: Comparison) -> str:
    policies = list(comparison.results)
    head = "".join(f'<th scope="col">{escape(p)}</th>' for p in policies)
    rows = [
        f'<tr><th scope="row">{escape(metric)}</th>'
        + "".join(f"<td>{escape(_cell(comparison.results[p].get(metric)))}</td>" for p in policies)
        + "</tr>"
        for metric in METRICS
    ]
    return (
        f'<table>\n<thead><tr><th scope="col">KPI</th>{head}</tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody>\n</table>"
    )


def _number(value: float | None) -> str:
    return _MISSING if value is None else f"{value:,.2f}"


def _fidelity_block(fidelity: Fidelity) -> str:
    """The fidelity section: a warning when the baseline is off, then its table."""
    warnings = fidelity_warnings(fidelity)
    verdict = (
        f'<p class="off"><strong>Warning: the as-recorded baseline does not reproduce the '
        f"history</strong> ({len(warnings)} of {len(fidelity.kpis)} KPIs off by more than "
        f"{fidelity.threshold_pct:g} %); the policies below are compared on a model that "
        "misses the real period:</p>\n<ul>\n"
        + "\n".join(f"<li>{escape(line)}</li>" for line in warnings)
        + "\n</ul>"
        if warnings
        else f"<p>The as-recorded baseline reproduces the history: every KPI within "
        f"{fidelity.threshold_pct:g} %.</p>"
    )
    rows = [
        f'<tr><th scope="row">{escape(k.kpi)}</th><td>{escape(_number(k.recorded))}</td>'
        f"<td>{escape(_number(k.baseline))}</td><td>{escape(_error(k.relative_error_pct))}"
        f"{' (off)' if k.off(fidelity.threshold_pct) else ''}</td></tr>"
        for k in fidelity.kpis
    ]
    distances = (
        f"Earth mover's distance between the recorded and the baseline distributions: wait "
        f"{_number(fidelity.wait_emd_min)} min, cycle time "
        f"{_number(fidelity.cycle_time_emd_min)} min. The hourly backlogs are "
        f"{_number(fidelity.backlog_mae)} tickets apart on average. " + past_capacity_text(fidelity)
    )
    return (
        f"<h2>Fidelity</h2>\n<p>The recorded history replayed under its {fidelity.policy} "
        "baseline (its inferred staffing, each ticket to the agent who took it, in the order "
        f"taken), against the record.</p>\n{verdict}\n<table>\n<thead><tr>"
        '<th scope="col">KPI</th><th scope="col">recorded</th><th scope="col">baseline</th>'
        '<th scope="col">relative error</th></tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + f"\n</tbody>\n</table>\n<p>{escape(distances)}</p>\n"
        '<figure>\n<img src="fidelity.png" alt="Open tickets per hour, recorded and baseline">'
        "\n<figcaption>Open tickets at every hour of the period, as recorded and in the "
        "as-recorded baseline.</figcaption>\n</figure>\n<h2>Policies</h2>"
    )


def _quality_figure(groups: Mapping[str, QaSummary]) -> Figure:
    figure = _figure(7, 4.5)
    axes = figure.add_subplot()
    labels = list(groups)
    scores = [math.nan if q.score is None else q.score for q in groups.values()]
    bars = axes.bar(range(len(labels)), scores, color="C0")
    for bar, q in zip(bars, groups.values(), strict=True):
        if q.pass_rate is not None:
            axes.annotate(
                f"{q.pass_rate:.0f} % pass",
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=8,
            )
    if not labels:
        _no_data(axes, "no ticket was reviewed")
    axes.set_xticks(range(len(labels)), [_label(g) for g in labels])
    axes.set_ylim(1, 5.4)
    axes.set_ylabel("mean QA score (1-5)")
    axes.set_title("QA score and pass rate")
    axes.grid(visible=True, axis="y", alpha=0.3)
    return figure


def _rows(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """An HTML table: the first cell of each row is its header."""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in header)
    body = "\n".join(
        f'<tr><th scope="row">{escape(first)}</th>'
        + "".join(f"<td>{escape(cell)}</td>" for cell in rest)
        + "</tr>"
        for first, *rest in rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _share(value: float | None) -> str:
    return _MISSING if value is None else f"{value:.1f} %"


def _quality_block(quality: QualityOverview, names: Mapping[UUID, str]) -> str:
    """The quality section: QA per group and overall, calibration, correlations."""
    groups = {**labelled(quality.groups, names), "(all)": quality.overall}
    qa = _rows(
        (str(quality.by), "reviews", "QA score (1-5)", "QA %", "pass"),
        (
            (g, f"{q.reviews:,}", _number(q.score), _share(q.score_pct), _share(q.pass_rate))
            for g, q in groups.items()
        ),
    )
    calibration = quality.calibration
    agreement = _rows(
        ("criterion", "units", "pairs", "identical", "alpha ordinal", "alpha interval"),
        (
            (
                name,
                f"{a.units:,}",
                f"{a.pairs:,}",
                _share(a.identical),
                _number(a.alpha_ordinal),
                _number(a.alpha_interval),
            )
            for name, a in {"(all)": calibration.overall, **calibration.criteria}.items()
        ),
    )
    pairs = _rows(
        ("reviewers", "tickets", "identical", "kappa", "kappa quadratic"),
        (
            (
                " / ".join(names.get(r, str(r)) for r in p.reviewers),
                f"{p.tickets:,}",
                _share(p.identical),
                _number(p.kappa),
                _number(p.kappa_quadratic),
            )
            for p in calibration.pairs
        ),
    )
    correlations = _rows(
        ("measure", "tickets", "Pearson r", "Spearman rho"),
        (
            (m, f"{c.n:,}", _number(c.pearson), _number(c.spearman))
            for m, c in quality.correlations.items()
        ),
    )
    unknown = quality.overall.unknown_version
    note = (
        f"<p>{unknown:,} reviews were scored on scorecard versions not given: their criteria "
        "count equally and their pass mark is 3.</p>\n"
        if unknown
        else ""
    )
    return (
        "<h2>Quality reviews</h2>\n<p>The period's reviews as recorded (a replay does not "
        f"re-review): QA score per {escape(str(quality.by))}, the weighted mean of the "
        "criteria on the 1-5 scale, and the share of reviews passing.</p>\n"
        f"{note}{qa}\n"
        '<figure>\n<img src="quality.png" alt="Mean QA score and pass rate per group">\n'
        "<figcaption>Mean QA score per group, its pass rate above each bar.</figcaption>\n"
        "</figure>\n<h3>Reviewer calibration</h3>\n<p>Tickets reviewed more than once: "
        "share of identical scores and Krippendorff's alpha, per criterion; Cohen's kappa "
        f"per pair of reviewers.</p>\n{agreement}\n{pairs}\n"
        "<h3>QA against the tickets' measures</h3>\n<p>Each reviewed ticket's mean QA "
        "score against its CSAT, first reply time and handle time.</p>\n"
        f"{correlations}"
    )


def _error(error: float | None) -> str:
    return _MISSING if error is None else f"{error:+.1f} %"


_PLOTS: tuple[tuple[str, str, Callable[[Comparison], Figure]], ...] = (
    (
        "waits.png",
        "Share of the tickets taken that waited at most a given time, per policy "
        "(quantiles averaged over replications, cut at the largest 99th percentile).",
        lambda c: _waits_figure(_by_policy(c)),
    ),
    (
        "sla.png",
        "Share of tickets meeting their first-reply and resolution targets, per policy, "
        "with 95 % confidence intervals over {over}.",
        _sla_figure,
    ),
    (
        "backlog.png",
        "Open tickets over time, per policy, averaged over replications.",
        lambda c: _backlog_figure(_by_policy(c)),
    ),
    (
        "segments.png",
        "Mean wait per customer plan, customer value class and priority, per policy, "
        "averaged over replications.",
        lambda c: _segments_figure(_by_policy(c)),
    ),
)

_PAGE = Template("""\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>$title</title>
<style>
body { font-family: sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; }
td { text-align: right; font-variant-numeric: tabular-nums; }
thead th { background: #f3f3f3; }
tbody th { text-align: left; font-weight: normal; font-family: monospace; }
figure { margin: 2em 0; }
p.off { color: #a00; }
img { max-width: 100%; }
</style>
</head>
<body>
<h1>$title</h1>
$fidelity
<p>$summary</p>
$table
$figures
$quality
</body>
</html>
""")


def write_report(
    comparison: Comparison,
    directory: Path | str,
    *,
    title: str = "Policy comparison",
    quality: QualityOverview | None = None,
    names: Mapping[UUID, str] | None = None,
) -> Path:
    """Write ``comparison`` as ``index.html`` and four PNG plots into ``directory`` (five,
    with a fidelity block: ``fidelity.png``; one more with ``quality``: ``quality.png``,
    agents and reviewers by ``names``).

    The directory is created if needed and existing files of the same names are
    replaced. Returns the path of ``index.html``. Needs matplotlib (the ``analysis``
    extra); without it, raises :class:`~ticketlog.domain.errors.ConfigurationError`
    before writing anything.
    """
    over = "replications" if comparison.batches is None else "the batch means of one run"
    figures = [
        (name, caption.format(over=over), draw(comparison)) for name, caption, draw in _PLOTS
    ]
    fidelity = comparison.fidelity
    plots = [(name, figure) for name, _, figure in figures]
    if fidelity is not None:
        plots.append(("fidelity.png", _fidelity_figure(fidelity)))
    names = {} if names is None else names
    if quality is not None:
        plots.append(("quality.png", _quality_figure(labelled(quality.groups, names))))
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    for name, figure in plots:
        figure.savefig(target / name, format="png", dpi=_DPI, metadata={"Software": None})
        figure.clear()
    samples = "replications" if comparison.batches is None else "batch means"
    summary = (
        f"{comparison.basis}; each cell is the mean ± the half-width of its 95 % "
        f"confidence interval over the {samples} ({_MISSING} where undefined)."
        if comparison.no_interval is None
        else f"{comparison.basis}; each cell is its run's figure (no interval: "
        f"{comparison.no_interval})."
    )
    blocks = [
        f'<figure>\n<img src="{escape(name)}" alt="{escape(caption)}">\n'
        f"<figcaption>{escape(caption)}</figcaption>\n</figure>"
        for name, caption, _ in figures
    ]
    index = target / "index.html"
    index.write_text(
        _PAGE.substitute(
            title=escape(title),
            fidelity="" if fidelity is None else _fidelity_block(fidelity),
            summary=escape(summary),
            table=_table(comparison),
            figures="\n".join(blocks),
            quality="" if quality is None else _quality_block(quality, names),
        ),
        encoding="utf-8",
    )
    return index
