"""The ``ticketlog`` command: simulate a scenario, compare policies on it or on a history.

Errors in the input (a bad scenario file, an unknown policy or store) end the command
with one clear line on standard error and exit status 2 — never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from ticketlog.desk import HelpDesk
from ticketlog.domain.errors import ConfigurationError, TicketlogError
from ticketlog.io.console import comparison_table, figures_table
from ticketlog.policies.pull import Ordered
from ticketlog.policies.registry import pull_policy
from ticketlog.simulation.compare import Comparison, RunSummary, compare
from ticketlog.simulation.engine import simulate
from ticketlog.simulation.replay import Trace, trace_from_store
from ticketlog.simulation.scenario import draw_arrivals, load_scenario

app = typer.Typer(help="Event-sourced customer-service tickets.", no_args_is_help=True)
_out = Console()
_err = Console(stderr=True)

ScenarioFile = Annotated[Path, typer.Argument(help="Scenario file (TOML).")]
Source = Annotated[
    str, typer.Argument(help="Scenario file (TOML), or a store URL to replay its history.")
]
Seed = Annotated[int, typer.Option(help="Seed of the random draws.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
ReportDir = Annotated[
    Path | None, typer.Option("--report", help="Write an HTML report with plots to this folder.")
]


def _fail(error: Exception) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(code=2)


@app.command("simulate")
def simulate_command(
    scenario: ScenarioFile,
    *,
    policy: Annotated[str, typer.Option(help="Pull policy the agents use.")] = "fifo",
    seed: Seed = 0,
    store: Annotated[
        str | None, typer.Option(help="Save the run's events to this store URL (sqlite:///f.db).")
    ] = None,
    as_json: AsJson = False,
    report: ReportDir = None,
) -> None:
    """Serve one draw of SCENARIO with POLICY and print its KPIs."""
    try:
        model = load_scenario(scenario)
        pull = pull_policy(policy)
        if store is not None:
            _require_empty(store)
        # Events are needed only to save them; otherwise the fast mode gives the same KPIs.
        fast = store is None and isinstance(pull, Ordered)
        result = simulate(model, draw_arrivals(model, seed=seed), pull, fast=fast)
        if store is not None:
            with HelpDesk(store) as desk:
                desk.save(*result.events)
    except (TicketlogError, ValueError) as error:
        raise _fail(error) from None
    summary = RunSummary.of(result, pull.name, seed)
    _write_report(Comparison.of([summary], seed=seed), report)
    if as_json:
        _out.print_json(json.dumps({"policy": pull.name, "seed": seed, "kpis": summary.metrics}))
        return
    _out.print(figures_table(summary.metrics, title=f"{pull.name}, seed {seed}"))


@app.command("compare")
def compare_command(
    source: Source,
    *,
    policy: Annotated[list[str], typer.Option(help="A pull policy; repeat for each.")],
    replications: Annotated[int, typer.Option(min=1, help="Draws of the scenario.")] = 5,
    seed: Seed = 0,
    as_json: AsJson = False,
    report: ReportDir = None,
) -> None:
    """Serve the same draws of SOURCE with each POLICY and compare their KPIs (95 % CI).

    SOURCE is a scenario file, or a store URL (sqlite:///desk.db, postgresql://...) whose
    recorded history is replayed: same arrivals, work and shifts, another policy.
    """
    try:
        model = _trace(source) if "://" in source else load_scenario(source)
        for name in policy:
            pull_policy(name)  # fail here, in this process, before the workers start
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=_err,
            transient=True,
        ) as bar:
            task = bar.add_task("runs", total=None)
            comparison = compare(
                model,
                policy,
                replications=replications,
                seed=seed,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except (TicketlogError, ValueError) as error:
        raise _fail(error) from None
    _write_report(comparison, report)
    if as_json:
        _out.print_json(json.dumps(comparison.to_json()))
        return
    _out.print(comparison_table(comparison))


def _write_report(comparison: Comparison, directory: Path | None) -> None:
    if directory is None:
        return
    from ticketlog.io.report import write_report  # noqa: PLC0415 - matplotlib is optional

    try:
        index = write_report(comparison, directory)
    except (TicketlogError, OSError) as error:
        raise _fail(error) from None
    _err.print(f"report: {index}")


def _require_empty(url: str) -> None:
    """A simulated history goes into a store of its own (its ids would clash with others)."""
    with HelpDesk(url) as desk:
        if next(iter(desk.read_log()), None) is not None:
            msg = (
                f"{url} already holds events; --store writes a simulated history to an empty store"
            )
            raise ConfigurationError(msg)


def _trace(url: str) -> Trace:
    """The replayable trace of the history stored at ``url``."""
    with HelpDesk(url) as desk:
        return trace_from_store(desk)
