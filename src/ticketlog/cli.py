"""The ``ticketlog`` command: simulate a scenario, compare policies on it.

Errors in the input (a bad scenario file, an unknown policy) end the command with one
clear line on standard error and exit status 2 — never a traceback.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ticketlog.desk import HelpDesk
from ticketlog.domain.errors import TicketlogError
from ticketlog.policies.registry import pull_policy
from ticketlog.simulation.compare import METRICS, Comparison, compare
from ticketlog.simulation.engine import simulate
from ticketlog.simulation.replay import Trace, trace_from_store
from ticketlog.simulation.scenario import draw_arrivals, load_scenario

app = typer.Typer(help="Event-sourced customer-service tickets.", no_args_is_help=True)
_out = Console()

Scenario = Annotated[Path, typer.Argument(help="Scenario file (TOML).")]
Source = Annotated[
    str, typer.Argument(help="Scenario file (TOML), or a store URL to replay its history.")
]
Seed = Annotated[int, typer.Option(help="Seed of the random draws.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _fail(error: Exception) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(code=2)


@app.command("simulate")
def simulate_command(
    scenario: Scenario,
    policy: Annotated[str, typer.Option(help="Pull policy the agents use.")] = "fifo",
    seed: Seed = 0,
    as_json: AsJson = False,
) -> None:
    """Serve one draw of SCENARIO with POLICY and print its KPIs."""
    try:
        model = load_scenario(scenario)
        pull = pull_policy(policy)
    except (TicketlogError, ValueError) as error:
        raise _fail(error) from None
    result = simulate(model, draw_arrivals(model, seed=seed), pull)
    kpis = result.kpis()
    figures = {name: metric(kpis) for name, metric in METRICS.items()}
    if as_json:
        _out.print_json(json.dumps({"policy": pull.name, "seed": seed, "kpis": figures}))
        return
    table = Table(title=f"{pull.name}, seed {seed}")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for name, value in figures.items():
        table.add_row(name, "-" if value is None else f"{value:,.2f}")
    _out.print(table)


@app.command("compare")
def compare_command(
    source: Source,
    policy: Annotated[list[str], typer.Option(help="A pull policy; repeat for each.")],
    replications: Annotated[int, typer.Option(min=1, help="Draws of the scenario.")] = 5,
    seed: Seed = 0,
    as_json: AsJson = False,
) -> None:
    """Serve the same draws of SOURCE with each POLICY and compare their KPIs (95 % CI).

    SOURCE is a scenario file, or a store URL (sqlite:///desk.db, postgresql://...) whose
    recorded history is replayed: same arrivals and work, another policy.
    """
    try:
        model = _trace(source) if "://" in source else load_scenario(source)
        for name in policy:
            pull_policy(name)  # fail here, in this process, before the workers start
        comparison = compare(model, policy, replications=replications, seed=seed)
    except (TicketlogError, ValueError) as error:
        raise _fail(error) from None
    if as_json:
        _out.print_json(json.dumps(comparison.to_json()))
        return
    _out.print(_table(comparison))


def _table(comparison: Comparison) -> Table:
    table = Table(title=f"{comparison.replications} replications from seed {comparison.seed}")
    table.add_column("KPI")
    for name in comparison.results:
        table.add_column(name, justify="right")
    for metric in METRICS:
        cells = []
        for kpis in comparison.results.values():
            estimate = kpis[metric]
            spread = "" if math.isnan(estimate.half_width) else f" ± {estimate.half_width:,.2f}"
            cells.append(f"{estimate.mean:,.2f}{spread}")
        table.add_row(metric, *cells)
    return table


def _trace(url: str) -> Trace:
    """The replayable trace of the history stored at ``url``."""
    with HelpDesk(url) as desk:
        return trace_from_store(desk)
