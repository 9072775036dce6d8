"""The ``ticketlog`` command: read a desk's store, simulate a scenario, compare policies.

The read commands (``kpis``, ``quality``, ``timeline``, ``queue``, ``agents``) open an
existing store and never create one. They judge open tickets as of the latest event in
the store (the end of the history), not the wall clock, so a recorded history reads the
same tomorrow.
With ``--json`` they print one JSON object: durations in minutes (floats), times in ISO
8601, ``null`` for what was not measured.

Errors in the input (a bad scenario file, an unknown policy, ticket or store, a store
that cannot be reached) end the command with one clear line on standard error and exit
status 2 — never a traceback.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
from eventsourcing.persistence import PersistenceError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from typer.exceptions import TyperException

from ticketlog._version import __version__
from ticketlog.config import DeskConfig, load_desk_config, parse_duration
from ticketlog.desk import HelpDesk
from ticketlog.domain.errors import ConfigurationError, InvalidValue, TicketlogError
from ticketlog.domain.events import DomainEvent, TicketReceived
from ticketlog.imports import UnreadableFile, import_file, preset_names, resolve_mapping
from ticketlog.imports.importer import check_workers
from ticketlog.imports.shares import Progress as ImportProgress
from ticketlog.io.console import (
    Column,
    calibration_tables,
    comparison_table,
    correlations_table,
    duration_text,
    fidelity_table,
    fidelity_warnings,
    figures_table,
    jsonable,
    kpis_table,
    quality_table,
    records_table,
    share_text,
)
from ticketlog.io.records import (
    QUEUE_ORDERS,
    agent_names,
    agent_records,
    kpi_groups,
    labelled,
    qa_groups,
    quality_record,
    timeline_records,
    utc,
    waiting_record,
)
from ticketlog.persistence.settings import existing_store, parse_store_url
from ticketlog.policies import registry
from ticketlog.policies.builtin import check_policy_fits
from ticketlog.policies.protocol import PullPolicy
from ticketlog.processes import SlaEscalator, keep_escalating
from ticketlog.projections.kpis import Dimension
from ticketlog.projections.quality import QaDimension, overview
from ticketlog.projections.runner import Follower
from ticketlog.projections.sla import SlaTargets
from ticketlog.projections.view import DeskView
from ticketlog.simulation.compare import Comparison, RunSummary, compare
from ticketlog.simulation.draws import draw_arrivals
from ticketlog.simulation.engine import simulate
from ticketlog.simulation.fidelity import DEFAULT_THRESHOLD_PCT
from ticketlog.simulation.forecast import forecast
from ticketlog.simulation.replay import Trace
from ticketlog.simulation.scenario import Scenario, load_scenario
from ticketlog.simulation.warmup import Warmup

app = typer.Typer(help="Event-sourced customer-service tickets.", no_args_is_help=True)
_out = Console()
_err = Console(stderr=True)

ScenarioFile = Annotated[Path, typer.Argument(help="Scenario file (TOML).")]
Source = Annotated[
    str, typer.Argument(help="Scenario file (TOML), or a store URL to replay its history.")
]
Store = Annotated[
    str,
    typer.Argument(
        metavar="STORE",
        help="An existing store: sqlite:///desk.db, sqlite:////abs/desk.db, postgresql://...",
    ),
]
Seed = Annotated[int, typer.Option(help="Seed of the random draws.")]
AsJson = Annotated[
    bool,
    typer.Option("--json", help="Print one JSON object (durations in minutes, times in ISO 8601)."),
]
DeskFile = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="The desk configuration file (TOML): SLA targets, business hours, escalation, "
        "policy options, staffing rules (docs/config.md).",
    ),
]
ReportDir = Annotated[
    Path | None, typer.Option("--report", help="Write an HTML report with plots to this folder.")
]
_TIME_HELP = "ISO date or date-time (2026-11-24, 2026-11-24T09:00); naive times are UTC."


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"ticketlog {__version__}")
        raise typer.Exit


@app.callback()
def main(
    *,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Event-sourced customer-service tickets."""


def run() -> None:
    """The ``ticketlog`` command. Usage errors, like every other error, are one line of
    standard error (``error: ...``, with where to find help) and exit status 2."""
    command = typer.main.get_command(app)
    try:
        status = command.main(prog_name="ticketlog", standalone_mode=False)
    except TyperException as error:  # a usage error (a missing argument, an unknown option)
        context = getattr(error, "ctx", None)
        hint = "" if context is None else f" (see '{context.command_path} --help')"
        typer.echo(f"error: {' '.join(error.format_message().split())}{hint}", err=True)
        raise SystemExit(error.exit_code) from None
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        raise SystemExit(1) from None
    raise SystemExit(status if isinstance(status, int) else 0)


def _fail(error: Exception) -> typer.Exit:
    """``error`` on one line of standard error; the exit to raise (status 2)."""
    typer.echo(f"error: {' '.join(str(error).split())}", err=True)
    return typer.Exit(code=2)


@contextmanager
def _errors_as_one_line() -> Iterator[None]:
    """Turn ticketlog's and the store's errors into ``error: ...`` and exit status 2."""
    try:
        yield
    except (TicketlogError, ValueError, PersistenceError) as error:
        raise _fail(error) from None


@app.command("simulate")
def simulate_command(
    scenario: ScenarioFile,
    *,
    policy: Annotated[str, typer.Option(help="Pull policy the agents use.")] = "fifo",
    seed: Seed = 0,
    store: Annotated[
        str | None, typer.Option(help="Save the run's events to this store URL (sqlite:///f.db).")
    ] = None,
    config: DeskFile = None,
    as_json: AsJson = False,
    report: ReportDir = None,
) -> None:
    """Serve one draw of SCENARIO with POLICY and print its KPIs."""
    with _errors_as_one_line():
        desk_config = _desk_config(config)
        model = desk_config.scenario(load_scenario(scenario))
        pull = desk_config.pull_policy(policy)
        if store is not None:
            _require_empty(store)
        arrivals = draw_arrivals(model, seed=seed)
        check_policy_fits(pull, arrivals)
        # Events are needed only to save them; otherwise the fast mode gives the same KPIs.
        fast = None if store is None else False
        result = simulate(model, arrivals, pull, sla=desk_config.sla, fast=fast)
        if store is not None:
            with HelpDesk(store) as desk:
                desk.save(*result.events)
    summary = RunSummary.of(result, pull.name, seed)
    _write_report(Comparison.of([summary], seed=seed), report, config=desk_config)
    if as_json:
        _out.print_json(json.dumps({"policy": pull.name, "seed": seed, "kpis": summary.metrics}))
        return
    _out.print(figures_table(summary.metrics, title=f"{pull.name}, seed {seed}"))


@app.command("compare")
def compare_command(
    source: Source,
    *,
    policy: Annotated[list[str], typer.Option(help="A pull policy; repeat for each.")],
    replications: Annotated[
        int | None,
        typer.Option(
            min=1,
            show_default=False,
            help="Draws of the scenario [default: 5]; a store is replayed once.",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            show_default=False,
            help="Seed of the first draw [default: 0]; a store's replay draws nothing.",
        ),
    ] = None,
    warmup: Annotated[
        str | None,
        typer.Option(
            help="Leave out of the KPIs the first tickets of every run: a number of tickets "
            "(500) or a time from the start (90s, 30m, 2h, 1d)."
        ),
    ] = None,
    batches: Annotated[
        str | None,
        typer.Option(
            help="Intervals from this many batch means of one long run (at least 2), "
            "instead of replications."
        ),
    ] = None,
    config: DeskFile = None,
    fidelity_threshold: Annotated[
        float,
        typer.Option(
            min=0,
            help="Warn (on standard error) for each KPI on which a store's as-recorded "
            "baseline misses the history by more than this relative error, in %.",
        ),
    ] = DEFAULT_THRESHOLD_PCT,
    as_json: AsJson = False,
    report: ReportDir = None,
) -> None:
    """Serve the same draws of SOURCE with each POLICY and compare their KPIs (95 % CI).

    SOURCE is a scenario file, or a store URL (sqlite:///desk.db, postgresql://...) whose
    recorded history is replayed: same arrivals, work and shifts, another policy. The
    intervals come from replications, or with --batches from batch means of one run.
    With --config, the policies take the file's options and the runs its escalator (and,
    for a store, its staffing rules). A store's history is also replayed under its
    as-recorded baseline first: the fidelity block (recorded KPIs, the baseline's, their
    relative errors) leads the output, with one warning line per KPI that is off.
    """
    with _errors_as_one_line():
        skip = None if warmup is None else _warmup(warmup)
        cut = None if batches is None else _whole(batches, "--batches")
        desk_config = _desk_config(config)
        if "://" in source:
            model: Scenario | Trace = _trace(source, desk_config)
        else:
            model = desk_config.scenario(load_scenario(source))
        # Built here, in this process, so a bad name fails before the workers start.
        pulls = [desk_config.pull_policy(name) for name in policy]
        with _runs_progress() as progress:
            comparison = compare(
                model,
                pulls,
                replications=replications,
                seed=seed,
                warmup=skip,
                batches=cut,
                sla=desk_config.sla,
                fidelity_threshold_pct=fidelity_threshold,
                progress=progress,
            )
    store = source if "://" in source else None
    with _errors_as_one_line():
        _write_report(comparison, report, store=store, config=desk_config)
    fidelity = comparison.fidelity
    for line in [] if fidelity is None else fidelity_warnings(fidelity):
        _err.print(f"warning: {line}", soft_wrap=True, highlight=False, markup=False)
    if as_json:
        _print_json(comparison.to_json())
        return
    if fidelity is not None:
        _out.print(fidelity_table(fidelity))
    _out.print(comparison_table(comparison))


def _bar(*columns: ProgressColumn, auto_refresh: bool = True) -> Progress:
    """A transient progress bar on standard error: description, bar, done/total, ``columns``
    (``auto_refresh``: redrawn by a thread of rich's, else by its updates)."""
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        *columns,
        console=_err,
        transient=True,
        auto_refresh=auto_refresh,
    )


@contextmanager
def _runs_progress() -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar of the runs on a terminal's standard error (none elsewhere, so a
    piped error stays one line)."""
    if not _err.is_terminal:
        yield None
        return
    with _bar(TimeElapsedColumn()) as bar:
        task = bar.add_task("runs", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _write_report(
    comparison: Comparison, directory: Path | None, *, store: str | None = None, config: DeskConfig
) -> None:
    """Write the report into ``directory`` (none: nothing); a replayed ``store``'s ends
    with the quality reviews of its history, judged by ``config``'s scorecards."""
    if directory is None:
        return
    from ticketlog.io.report import write_report  # noqa: PLC0415 - matplotlib is optional

    quality, names = None, {}
    if store is not None:
        with _reading(store, config.sla) as desk:
            view = _history(desk)
        names = agent_names(view.workloads.workloads(now=view.now))
        quality = overview(view.scored_reviews(config.scorecards.values()), view.facts)
    try:
        index = write_report(comparison, directory, quality=quality, names=names)
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


def _trace(url: str, config: DeskConfig) -> Trace:
    """The replayable trace of the history stored at ``url`` (which must exist), with the
    configuration's escalator and staffing rules."""
    with _reading(url) as desk:
        return config.trace(desk)


def _desk_config(path: Path | None) -> DeskConfig:
    """The desk configuration in ``path`` (none: ticketlog's defaults)."""
    return DeskConfig() if path is None else load_desk_config(path)


# --- reading a store -------------------------------------------------------------


class _HistoryView(DeskView):
    """The desk view, and when the latest event it folded happened: the history's end."""

    def __init__(self, *, sla: SlaTargets | None = None) -> None:
        super().__init__(sla=sla)
        self.end: datetime | None = None

    def apply(self, event: DomainEvent) -> None:
        """Fold ``event`` and move the end on."""
        super().apply(event)
        if self.end is None or event.at > self.end:
            self.end = event.at

    @property
    def now(self) -> datetime:
        """The instant open tickets are judged at: the end (an empty history has no time;
        any instant gives its empty figures)."""
        return self.end or datetime.fromtimestamp(0, UTC)


@contextmanager
def _reading(url: str, sla: SlaTargets | None = None) -> Iterator[HelpDesk]:
    """The desk of the existing store at ``url`` (a missing SQLite file is not created),
    judging tickets by ``sla``."""
    with HelpDesk(existing_store(parse_store_url(url)), sla=sla) as desk:
        yield desk


def _history(desk: HelpDesk) -> _HistoryView:
    """The whole log folded, in one pass."""
    follower = Follower(desk, lambda: _HistoryView(sla=desk.sla))
    follower.catch_up()
    return follower.projection


def _instant(text: str | None, option: str) -> datetime | None:
    """An ISO date or date-time; naive means UTC."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        msg = f"{option} {text!r} is not an ISO date or date-time (2026-11-24, 2026-11-24T09:00)"
        raise InvalidValue(msg) from None
    return utc(when)


def _duration(text: str, option: str) -> timedelta:
    """``90s``, ``30m``, ``2h`` or ``1d`` (a number and a unit)."""
    try:
        return parse_duration(text)
    except InvalidValue as error:
        msg = f"{option} {error}"
        raise InvalidValue(msg) from None


def _whole(text: str, option: str) -> int:
    """A whole number (its range is checked where it is used)."""
    if re.fullmatch(r"\s*-?\d+\s*", text) is None:
        msg = f"{option} {text!r} is not a whole number"
        raise InvalidValue(msg)
    return int(text)


def _warmup(text: str) -> Warmup:
    """``--warmup``: a number of tickets (``500``) or a duration (``2h``)."""
    if re.fullmatch(r"\s*-?\d+\s*", text) is not None:
        return int(text)  # its range is checked by compare
    try:
        return _duration(text, "--warmup")
    except InvalidValue:
        msg = (
            f"--warmup {text!r} is neither a number of tickets (500) "
            "nor a duration (90s, 30m, 2h, 1d)"
        )
        raise InvalidValue(msg) from None


def _choice(text: str, choices: Mapping[str, object] | list[str], option: str) -> str:
    if text not in choices:
        msg = f"{option} {text!r} is not one of {', '.join(choices)}"
        raise InvalidValue(msg)
    return text


def _print_json(data: Mapping[str, object]) -> None:
    """One JSON object on standard output (strictly JSON: never NaN)."""
    _out.print_json(json.dumps(jsonable(data), allow_nan=False))


def _as_of(view: _HistoryView) -> str:
    return "empty store" if view.end is None else f"as of {view.end.isoformat()}"


# --- import ------------------------------------------------------------------------

_REPORT_COLUMNS = (
    Column("kind", "anomaly", str, right=False),
    Column("count", "count"),
    Column("examples", "examples (case ids or lines)", ", ".join, right=False),
)


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="The export: CSV, Parquet, XES or JSON.")],
    *,
    store: Annotated[str, typer.Option(help="The store to import into (created if missing).")],
    preset: Annotated[
        str | None, typer.Option(help="A shipped mapping: " + ", ".join(preset_names()) + ".")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="A mapping file (TOML); may start from a preset.")
    ] = None,
    companion: Annotated[
        Path | None,
        typer.Option(help="The second file a source needs (e.g. ServiceNow's incidents)."),
    ] = None,
    strict: Annotated[bool, typer.Option(help="Stop at the first anomaly.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Processes that import the cases (default: one per core for a large file).",
            min=1,
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Import FILE into STORE: every case a ticket, every change an event, as it happened.

    Importing the same file again adds nothing; after an interruption, run it again to
    finish. The report counts every anomaly met, with example case ids.
    """
    with _errors_as_one_line():
        chosen = resolve_mapping(preset, mapping)
        check_workers(workers, strict=strict, store_kind=parse_store_url(store).kind)
        for path in (file, companion):
            if path is not None and not path.is_file():
                msg = f"no file {path}"
                raise UnreadableFile(msg)
        with HelpDesk(store) as desk, _import_progress(as_json) as progress:
            report = import_file(
                desk,
                file,
                chosen,
                strict=strict,
                companion=companion,
                progress=progress,
                workers=workers,
            )
    if as_json:
        _print_json(report.to_json())
        return
    counts = {key: value for key, value in report.to_json().items() if isinstance(value, int)}
    columns = [Column(key, key.replace("_", " ")) for key in counts]
    _out.print(records_table([counts], columns, title=f"{file.name} into {store}"))
    anomalies = [anomaly.to_json() for anomaly in report.sorted_anomalies()]
    if anomalies:
        _out.print(records_table(anomalies, _REPORT_COLUMNS, title="anomalies"))


REDRAW_EVERY = 0.1
"""Seconds between two redraws of the import's progress bar."""


@contextmanager
def _import_progress(quiet: bool) -> Iterator[ImportProgress | None]:
    """A progress bar of rows and cases on a terminal's standard error (none with ``--json``)."""
    if quiet or not _err.is_terminal:
        yield None
        return
    with _bar(
        TextColumn("rows, {task.fields[cases]:,} cases, {task.fields[rate]:,.0f} rows/s"),
        TimeRemainingColumn(),
        auto_refresh=False,  # no thread running when the import forks its workers
    ) as bar:
        task = bar.add_task("surveying", total=None, cases=0, rate=0.0)
        started = {"surveying": time.monotonic()}
        drawn = [0.0]

        def progress(rows: int, cases: int, total: int) -> None:
            stage = "surveying" if total == 0 else "importing"  # how many rows: known after
            now = time.monotonic()
            rate = rows / max(now - started.setdefault(stage, now), 1e-9)
            size = None if total == 0 else float(total)
            redraw = now - drawn[0] >= REDRAW_EVERY
            drawn[0] = now if redraw else drawn[0]
            bar.update(
                task,
                description=stage,
                total=size,
                completed=rows,
                cases=cases,
                rate=rate,
                refresh=redraw,
            )

        yield progress


# --- kpis --------------------------------------------------------------------------

_DIMENSIONS = [d.value for d in Dimension]


@app.command("kpis")
def kpis_command(
    store: Store,
    *,
    by: Annotated[
        str | None,
        typer.Option(help=f"Group the tickets by one of: {', '.join(_DIMENSIONS)}."),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help=f"Only tickets received at or after this. {_TIME_HELP}")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help=f"Only tickets received before this. {_TIME_HELP}")
    ] = None,
    config: DeskFile = None,
    as_json: AsJson = False,
) -> None:
    """The service KPIs of STORE's tickets (definitions: docs/kpis.md), SLA attainment by
    the targets of --config.

    Open tickets are judged as of the latest event in the store. Agents and teams are
    those of each ticket's latest resolution. When the store holds quality reviews, each
    group's QA follows its CSAT and NPS: the reviews of its tickets, their mean QA score
    (1-5) and pass rate by the scorecards of --config.
    """
    with _errors_as_one_line():
        dimension = None if by is None else Dimension(_choice(by, _DIMENSIONS, "--by"))
        start, end = _instant(since, "--since"), _instant(until, "--until")
        desk_config = _desk_config(config)
        with _reading(store, desk_config.sla) as desk:
            view = _history(desk)
        facts = [
            f
            for f in view.facts
            if (start is None or f.received_at >= start) and (end is None or f.received_at < end)
        ]
        workloads = view.workloads.workloads(now=view.now)
        names = agent_names(workloads)
        groups = kpi_groups(facts, dimension, now=view.now, sla=view.sla, names=names)
        scored = view.scored_reviews(desk_config.scorecards.values())
        quality = qa_groups(facts, dimension, scored, names=names)
    if as_json:
        _print_json(
            {
                "store": parse_store_url(store).url,
                "now": view.end,
                "by": by,
                "since": start,
                "until": end,
                "units": {"durations": "minutes", "shares": "percent", "qa_score": "1-5"},
                "groups": [
                    {"group": name, "kpis": kpis, "quality": quality.get(name)}
                    for name, kpis in groups.items()
                ],
            }
        )
        return
    default = "all" if dimension is None else "(none)"
    labels = labelled(groups, names, none=default)
    reviewed = labelled(quality, names, none=default) if scored else None
    title = f"KPIs{' by ' + by if by else ''}, {_as_of(view)}"
    _out.print(kpis_table(labels, title=title, quality=reviewed))


# --- quality -----------------------------------------------------------------------

_QA_DIMENSIONS = [d.value for d in QaDimension]


@app.command("quality")
def quality_command(
    store: Store,
    *,
    by: Annotated[
        str, typer.Option(help=f"Group the reviews by one of: {', '.join(_QA_DIMENSIONS)}.")
    ] = QaDimension.AGENT.value,
    config: DeskFile = None,
    as_json: AsJson = False,
) -> None:
    """Quality reviews of STORE's tickets: QA score and pass rate per group, reviewer
    calibration, and QA against CSAT, first reply time and handle time.

    Reviews are judged by the scorecards of --config; one scored on a scorecard version the
    file does not have counts with its criteria weighted equally and a pass mark of 3.
    Agents are the reviewed agents, weeks the ISO weeks of the reviews.
    """
    with _errors_as_one_line():
        dimension = QaDimension(_choice(by, _QA_DIMENSIONS, "--by"))
        desk_config = _desk_config(config)
        with _reading(store, desk_config.sla) as desk:
            view = _history(desk)
        names = agent_names(view.workloads.workloads(now=view.now))
        scored = view.scored_reviews(desk_config.scorecards.values())
        found = overview(scored, view.facts, by=dimension)
    if as_json:
        _print_json(
            {"store": parse_store_url(store).url, "now": view.end, **quality_record(found, names)}
        )
        return
    rows = {**labelled(found.groups, names), "(all)": found.overall}
    _out.print(quality_table(rows, title=f"QA by {dimension}, {_as_of(view)}", by=str(dimension)))
    if found.overall.unknown_version:
        _out.print(
            f"{found.overall.unknown_version} reviews were scored on scorecard versions the "
            "configuration does not have: their criteria count equally, their pass mark is 3."
        )
    for table in calibration_tables(found.calibration, names):
        _out.print(table)
    _out.print(correlations_table(found.correlations))


# --- timeline ----------------------------------------------------------------------


@app.command("timeline")
def timeline_command(
    store: Store,
    ticket: Annotated[
        str, typer.Argument(help="The ticket's id, or its id in the source system (INC0012345).")
    ],
    *,
    as_json: AsJson = False,
) -> None:
    """Everything that happened to TICKET: when, who, what, and how long after the step before.

    Finding a ticket by its source id reads every TicketReceived event of the store.
    """
    with _errors_as_one_line(), _reading(store) as desk:
        ticket_id = _ticket_id(desk, ticket)
        entries = desk.timeline(ticket_id)
    records = timeline_records(entries)
    if as_json:
        _print_json({"ticket_id": ticket_id, "entries": records})
        return
    columns = [
        Column("at", "at", right=False),
        Column("since_previous", "after"),
        Column("actor", "who", right=False),
        Column("summary", "what", right=False),
    ]
    _out.print(records_table(records, columns, title=f"ticket {ticket_id}"))


def _ticket_id(desk: HelpDesk, ticket: str) -> UUID:
    """The id of the ticket ``ticket`` names: its UUID, or its source system's id.

    A source id is looked up by reading every ``TicketReceived`` of the log (O(tickets)).
    """
    try:
        return UUID(ticket)
    except ValueError:
        pass
    found = [
        event.originator_id
        for _, event in desk.read_log(topics=[TicketReceived.TOPIC])
        if isinstance(event, TicketReceived) and event.source_id == ticket
    ]
    if not found:
        msg = f"no ticket with id or source id {ticket!r}"
        raise InvalidValue(msg)
    if len(found) > 1:
        msg = f"source id {ticket!r} names {len(found)} tickets: {', '.join(map(str, found))}"
        raise InvalidValue(msg)
    return found[0]


# --- queue -------------------------------------------------------------------------


@app.command("queue")
def queue_command(
    store: Store,
    *,
    order: Annotated[str, typer.Option(help=f"One of: {', '.join(QUEUE_ORDERS)}.")] = "fifo",
    breaching: Annotated[
        str | None,
        typer.Option(
            help="Only tickets past their SLA deadline or within this of it: 90s, 30m, 2h, 1d."
        ),
    ] = None,
    config: DeskFile = None,
    as_json: AsJson = False,
) -> None:
    """The tickets waiting in STORE's queues, with age, priority, tier, queue and SLA due.

    Ages and deadlines are as of the latest event in the store; deadlines by the SLA
    targets of --config.
    """
    with _errors_as_one_line():
        key = QUEUE_ORDERS[_choice(order, list(QUEUE_ORDERS), "--order")]
        within = None if breaching is None else _duration(breaching, "--breaching")
        with _reading(store, _desk_config(config).sla) as desk:
            view = _history(desk)
    queues, now = view.queues, view.now
    tickets = (
        list(queues.waiting(order=key))
        if within is None
        else sorted(queues.breaching(now=now, within=within), key=key)
    )
    records = [waiting_record(ticket, now) for ticket in tickets]
    if as_json:
        _print_json({"now": view.end, "order": order, "breaching": within, "tickets": records})
        return
    columns = [
        Column("ticket_id", "ticket", right=False),
        Column("age", "age"),
        Column("priority", "priority", right=False),
        Column("tier", "tier"),
        Column("queue", "queue", right=False),
        Column("due_in", "SLA due in"),
    ]
    title = f"{len(records)} waiting, {order} order, {_as_of(view)}"
    _out.print(records_table(records, columns, title=title))


# --- agents ------------------------------------------------------------------------


@app.command("agents")
def agents_command(store: Store, *, as_json: AsJson = False) -> None:
    """Every agent's workload: team, tier, online, holding/capacity, handle time, occupancy.

    Times run to the latest event in the store.
    """
    with _errors_as_one_line(), _reading(store) as desk:
        view = _history(desk)
    records = agent_records(view.workloads.workloads(now=view.now))
    if as_json:
        _print_json({"now": view.end, "units": {"occupancy": "percent"}, "agents": records})
        return
    columns = [
        Column("name", "agent", right=False),
        Column("team", "team", right=False),
        Column("tier", "tier"),
        Column("online", "online"),
        Column("holding", "holding"),
        Column("capacity", "capacity"),
        Column("handled", "resolved"),
        Column("handle_time", "handle time"),
        Column("occupancy", "occupancy", share_text),
    ]
    _out.print(records_table(records, columns, title=f"agents, {_as_of(view)}"))


# --- policies ----------------------------------------------------------------------


# --- escalate ----------------------------------------------------------------------


@app.command("escalate")
def escalate_command(
    store: Store,
    *,
    config: Annotated[
        Path,
        typer.Option(
            "--config", help="The desk configuration file (TOML) with the [escalation] path."
        ),
    ],
    every: Annotated[
        str | None,
        typer.Option(help="How often to tick (90s, 5m, 1h; default: the file's every)."),
    ] = None,
) -> None:
    """Run the SLA escalator on STORE until stopped (Ctrl-C or SIGTERM): every tick
    escalates the tickets past an SLA target along the file's path, once per breach, and
    prints a line when it escalated any. Several may run on one store at once."""
    with _errors_as_one_line():
        desk_config = _desk_config(config)
        if desk_config.escalation is None:
            msg = f"{config} has no [escalation] table: nothing to escalate along"
            raise ConfigurationError(msg)
        path = desk_config.escalation.steps()
        period = (
            timedelta(minutes=desk_config.escalation.every_minutes)
            if every is None
            else _duration(every, "--every")
        )
        stop = _stopped_by_signals()
        with _reading(store, desk_config.sla) as desk:
            keep_escalating(SlaEscalator(desk, path), period, stop, ticked=_report_tick)


def _report_tick(when: datetime, escalated: list[UUID]) -> None:
    if escalated:
        ids = ", ".join(map(str, escalated))
        _out.print(f"{when.isoformat()} escalated {len(escalated)}: {ids}", soft_wrap=True)


def _stopped_by_signals() -> threading.Event:
    """An event set by SIGINT or SIGTERM (a long-running command then ends cleanly)."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop.set())
    return stop


# --- serve -------------------------------------------------------------------------


@app.command("serve")
def serve_command(
    store: Annotated[
        str, typer.Argument(metavar="STORE", help="The store to serve (created if missing).")
    ],
    *,
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.")] = 8080,
    token: Annotated[
        list[str] | None,
        typer.Option(
            help="A bearer token clients must send (repeatable; also TICKETLOG_API_TOKENS, "
            "comma-separated). Without one, only a loopback address is served."
        ),
    ] = None,
    config: DeskFile = None,
    escalate: Annotated[
        bool, typer.Option(help="Also run the SLA escalator of --config's [escalation].")
    ] = False,
) -> None:
    """Serve STORE's desk over HTTP: commands, reads and the event stream (OpenAPI at
    /docs), until stopped with Ctrl-C or SIGTERM."""
    tokens = [*(token or []), *_env_tokens()]
    with _errors_as_one_line():
        try:
            from ticketlog.service.serve import check_binding, serve  # noqa: PLC0415
        except ModuleNotFoundError as error:
            msg = f"serving needs {error.name!r}: pip install 'ticketlog-es[service]'"
            raise ConfigurationError(msg) from None
        check_binding(host, tokens)
        desk_config = _desk_config(config)
        if escalate and desk_config.escalation is None:
            msg = "--escalate needs --config with an [escalation] table"
            raise ConfigurationError(msg)
        escalating = _escalating(store, desk_config if escalate else None)
        desk = HelpDesk(
            store,
            sla=desk_config.sla,
            scorecards=desk_config.scorecards,
            sampler_options=desk_config.samplers,
        )
        with desk, escalating:
            serve(desk, host=host, port=port, tokens=tokens)


@contextmanager
def _escalating(store: str, config: DeskConfig | None) -> Iterator[None]:
    """With ``config``, its escalator ticking on a desk of its own in a thread, until the
    block ends."""
    if config is None or config.escalation is None:
        yield
        return
    stop = threading.Event()
    every = timedelta(minutes=config.escalation.every_minutes)
    with HelpDesk(store, sla=config.sla) as desk:
        escalator = SlaEscalator(desk, config.escalation.steps())
        thread = threading.Thread(
            target=keep_escalating, args=(escalator, every, stop), name="escalator", daemon=True
        )
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def _env_tokens() -> list[str]:
    return [t.strip() for t in os.environ.get("TICKETLOG_API_TOKENS", "").split(",") if t.strip()]


@app.command("policies")
def policies_command(*, as_json: AsJson = False) -> None:
    """Every policy available by name (built-in, registered, installed), with its options."""
    with _errors_as_one_line():
        records = [_policy_record(name) for name in registry.names()]
    if as_json:
        _print_json({"policies": records})
        return
    columns = [
        Column("name", "name", right=False),
        Column("kind", "kind", right=False),
        Column("options", "options (defaults)", _options_text, right=False),
        Column("description", "what it does", right=False),
    ]
    _out.print(records_table(records, columns, title="policies"))


def _policy_record(name: str) -> dict[str, object]:
    """A policy's name, kind (pull policy or router), options with defaults, description."""
    factory = registry.factory(name)
    policy = registry.create(name)
    options = {
        parameter.name: parameter.default
        for parameter in inspect.signature(factory).parameters.values()
        if parameter.kind in (parameter.KEYWORD_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    }
    return {
        "name": name,
        "kind": "pull" if isinstance(policy, PullPolicy) else "router",
        "options": options,
        "description": (inspect.getdoc(factory) or "").split("\n")[0].replace("``", ""),
    }


def _options_text(options: Mapping[str, object]) -> str:
    """``name=default, ...`` (functions by name)."""
    return ", ".join(
        f"{name}={'(required)' if default is inspect.Parameter.empty else _named(default)}"
        for name, default in options.items()
    )


def _named(value: object) -> str:
    """A default as code reads it: functions by name, durations with their unit."""
    if isinstance(value, timedelta):
        return duration_text(value)
    return str(getattr(value, "__qualname__", None) or repr(value))


# --- forecast ----------------------------------------------------------------------


@app.command("forecast")
def forecast_command(
    store: Store,
    *,
    policy: Annotated[list[str], typer.Option(help="A pull policy; repeat for each.")],
    hours: Annotated[float, typer.Option(help="Hours of arrivals to serve.")] = 8.0,
    scenario: Annotated[
        Path | None,
        typer.Option(help="Scenario file (TOML): the arrivals' rates and work, teams' shifts."),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(help=f"Start from the desk as it was then (default: its end). {_TIME_HELP}"),
    ] = None,
    recorded: Annotated[
        bool,
        typer.Option(
            "--recorded",
            help="Serve the store's own recorded tickets after --at (its history replayed from "
            "there, with its staffing), instead of a scenario's.",
        ),
    ] = False,
    seed: Seed = 0,
    config: DeskFile = None,
    as_json: AsJson = False,
) -> None:
    """Forecast STORE's next hours from its state at --at, under each POLICY side by side.

    The run starts from the desk as it was: its open tickets (with their ages and SLA
    clocks), who holds which, who is online. Tickets arrive at the scenario's rates for
    --hours (none without a scenario); the open tickets' remaining work is drawn from the
    scenario's handle times (without one, from the store's resolved tickets). Agents online
    at --at stay on, the others off, unless the scenario gives their team a shift. The KPIs
    cover the open tickets and the arrivals, served to the end. With --recorded, the
    arrivals are the tickets the store recorded after --at, with their recorded work, and
    the agents work as the history shows (the question: what if we had switched then?).
    With --config, SLA clocks and the escalator are the file's, and the policies take its
    options.
    """
    with _errors_as_one_line():
        desk_config = _desk_config(config)
        model = None if scenario is None else load_scenario(scenario)
        pulls = [desk_config.pull_policy(name) for name in policy]
        when = _instant(at, "--at")
        if recorded and model is not None:
            msg = "give --scenario or --recorded, not both"
            raise ConfigurationError(msg)
        view: DeskView
        with _reading(store, desk_config.sla) as desk:
            if when is None:
                history = _history(desk)
                view, when = history, history.end
            else:
                view = desk.view_as_of(when)
            trace = desk_config.trace(desk) if recorded else None
        if when is None:
            msg = f"{store} holds no events: give --at to forecast an empty desk"
            raise ConfigurationError(msg)
        backlog = len(list(view.queues.open_tickets()))
        results = {
            pull.name: forecast(
                view,
                pull,
                at=when,
                hours=hours,
                scenario=model,
                recorded=trace,
                seed=seed,
                escalation=desk_config.escalation,
            )
            for pull in pulls
        }
    arriving = max((len(r.facts) - backlog for r in results.values()), default=0)
    kpis = {name: result.kpis() for name, result in results.items()}
    if as_json:
        _print_json(
            {
                "store": parse_store_url(store).url,
                "at": when,
                "hours": hours,
                "seed": seed,
                "backlog": backlog,
                "arrivals": arriving,
                "units": {"durations": "minutes", "shares": "percent"},
                "policies": kpis,
            }
        )
        return
    title = (
        f"forecast from {when.isoformat()}: {backlog} open, {arriving} arriving "
        f"in {hours:g} h, seed {seed}"
    )
    _out.print(kpis_table(kpis, title=title))
