"""A week at a mid-sized desk: simulate it, store it, look at it, replay it under four policies.

1. One draw of ``examples/scenarios/mid_sized_desk.toml`` (about 4,300 tickets, 28 agents
   on shifts, two tiers, transfers, escalations, reopens and ratings) is served by FIFO,
   and its events are written to the embedded SQLite store.
2. The desk is opened from the store and its views are printed: the queues at the
   busiest moment of the week, the teams' workloads, and the week's KPIs per channel.
3. The recorded week is replayed under the four named policies — ``fifo``,
   ``easiest-first``, ``value`` (enterprise and pro plans first) and ``tiered`` (idle
   specialists help tier 1) — with the same arrivals, journeys, shifts and SLA escalator.
   First, the fidelity block: the week replayed under its as-recorded baseline against
   the record. Then the KPIs are printed side by side and a report with plots is written
   to disk.

The SLA targets, the escalator and the policies' options are the desk's configuration,
``examples/desk.toml``: ``ticketlog compare STORE --config examples/desk.toml`` with the
same policies gives the same figures.

    python examples/week_at_the_desk.py [--db week.db] [--report week-report] [--json week.json]

Without ``--db`` the store is a temporary file; the report goes to ``week-report/``;
``--json`` also writes the comparison as JSON (``Comparison.to_json()``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ticketlog import HelpDesk, SQLiteStore
from ticketlog.config import load_desk_config
from ticketlog.io.console import comparison_table, fidelity_table
from ticketlog.io.report import write_report
from ticketlog.policies import fifo
from ticketlog.projections import DeskView, Dimension
from ticketlog.simulation import draw_arrivals, load_scenario, simulate
from ticketlog.simulation.compare import compare

SCENARIO = Path(__file__).parent / "scenarios" / "mid_sized_desk.toml"
DESK = Path(__file__).parent / "desk.toml"
POLICIES = ("fifo", "easiest-first", "value", "tiered")

out = Console()


def record_week(db: Path) -> int:
    """Simulate the week under FIFO and write its events to ``db``; return how many."""
    scenario = load_scenario(SCENARIO)
    result = simulate(scenario, draw_arrivals(scenario, seed=7), fifo())
    with HelpDesk(SQLiteStore(path=db)) as desk:
        desk.save(*result.events)
    return len(result.events)


def busiest_moment(view: DeskView, start: datetime, end: datetime) -> datetime:
    """When the most tickets were open, sampled every 10 minutes."""
    series = view.backlog.series(start, end, timedelta(minutes=10))
    return max(series, key=lambda sample: sample[1])[0]


def show_queues(view: DeskView, when: datetime) -> None:
    table = Table(title=f"Queues at the busiest moment, {when:%a %H:%M}")
    table.add_column("queue")
    table.add_column("waiting", justify="right")
    table.add_column("by priority")
    table.add_column("oldest waits", justify="right")
    for queue in view.queues.queue_names():
        waiting = list(view.queues.waiting(queue))
        if not waiting:
            continue
        priorities = Counter(str(t.priority) for t in waiting)
        oldest = when - waiting[0].queued_at
        table.add_row(
            queue,
            str(len(waiting)),
            ", ".join(f"{n} {p}" for p, n in priorities.most_common()),
            f"{oldest.total_seconds() / 60:.0f} min",
        )
    out.print(table)


def show_workloads(view: DeskView, now: datetime) -> None:
    table = Table(title="Workloads over the week, per team")
    for column in ("team", "agents", "resolved", "handle h", "online h", "occupancy"):
        table.add_column(column, justify="left" if column == "team" else "right")
    teams: dict[str, list[float]] = {}
    for w in view.workloads.workloads(now=now):
        total = teams.setdefault(w.team, [0, 0, 0.0, 0.0, 0.0])
        total[0] += 1
        total[1] += w.handled
        total[2] += w.handle_time.total_seconds() / 3600
        total[3] += w.online_time.total_seconds() / 3600
        total[4] += w.busy_time.total_seconds() / 3600
    for team, (agents, handled, handle, online, busy) in teams.items():
        occupancy = f"{100 * busy / online:.0f} %" if online else "-"
        table.add_row(
            team, f"{agents:.0f}", f"{handled:.0f}", f"{handle:.0f}", f"{online:.0f}", occupancy
        )
    out.print(table)


def show_kpis(view: DeskView, now: datetime) -> None:
    table = Table(title="The week's KPIs (FIFO), per channel")
    columns = ("tickets", "wait min", "FRT p90 min", "resolution h", "FCR %", "CSAT %", "SLA %")
    table.add_column("channel")
    for column in columns:
        table.add_column(column, justify="right")
    groups = {"all": view.kpis(now=now), **view.kpis_by(Dimension.CHANNEL, now=now)}
    for group, k in groups.items():
        table.add_row(
            str(group),
            str(k.tickets),
            _minutes(k.wait.mean),
            _minutes(k.first_reply.p90),
            "-" if k.resolution.mean is None else f"{k.resolution.mean / timedelta(hours=1):.1f}",
            _share(k.fcr),
            _share(k.csat),
            _share(k.sla_first_reply),
        )
    out.print(table)


def _minutes(duration: timedelta | None) -> str:
    return "-" if duration is None else f"{duration.total_seconds() / 60:.1f}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="SQLite file to write (default: a temporary file)")
    parser.add_argument("--report", type=Path, default=Path("week-report"), help="report folder")
    parser.add_argument("--json", type=Path, help="also write the comparison to this JSON file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db: Path = args.db or Path(tmp) / "week.db"
        if db.exists():
            parser.error(f"{db} exists; the demo writes a fresh store")
        run(db, args.report, args.json)


def run(db: Path, report: Path, as_json: Path | None = None) -> None:
    """Record the week in ``db``, show it, replay it, and write the report to ``report``
    (and the comparison to ``as_json``)."""
    count = record_week(db)
    out.print(f"Simulated a week under FIFO: {count:,} events written to {db}\n")

    config = load_desk_config(DESK)
    with HelpDesk(SQLiteStore(path=db), sla=config.sla) as desk:
        events = [event for _, event in desk.read_log()]
        start, end = events[0].at, events[-1].at
        view = desk.view()
        peak = busiest_moment(view, start, end)
        show_queues(desk.view_as_of(peak), peak)
        show_workloads(view, end)
        show_kpis(view, end)
        # The escalator is the desk's configuration, not its history: replay it too.
        trace = config.trace(desk)

    out.print(
        f"\nReplaying the recorded week ({len(trace.arrivals):,} tickets, "
        f"{len(trace.agents)} agents and their shifts) under {', '.join(POLICIES)}:"
    )
    comparison = compare(trace, [config.pull_policy(name) for name in POLICIES])
    if as_json is not None:
        as_json.write_text(json.dumps(comparison.to_json(), indent=2))
    if comparison.fidelity is not None:  # first: does the replay give the week back?
        out.print(fidelity_table(comparison.fidelity))
    out.print(comparison_table(comparison, title="The same week under four policies"))
    index = write_report(comparison, report, title="A week at a mid-sized desk")
    out.print(f"Report with plots: {index}")


if __name__ == "__main__":
    main()
