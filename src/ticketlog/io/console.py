"""Tables for the terminal (rich): a policy comparison, the KPIs of one run."""

from __future__ import annotations

import math
from collections.abc import Mapping

from rich.table import Table

from ticketlog.simulation.compare import METRICS, Comparison


def _number(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:,.2f}"


def comparison_table(comparison: Comparison, *, title: str | None = None) -> Table:
    """KPIs as rows, policies as columns, each cell ``mean ± 95 % half-width``."""
    runs = "1 run" if comparison.replications == 1 else f"{comparison.replications} replications"
    table = Table(title=title or f"{runs} from seed {comparison.seed}")
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


def figures_table(figures: Mapping[str, float | None], *, title: str) -> Table:
    """One run's KPIs (see :data:`~ticketlog.simulation.compare.METRICS`)."""
    table = Table(title=title)
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for name, value in figures.items():
        table.add_row(name, _number(value))
    return table
