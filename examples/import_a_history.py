"""Bring your history, see your KPIs: import an IT-incident status log and read it back.

Imports a generated status log (the layout of the IT-service logs of process-mining
studies: case, time, status, sub-status, team, support level, person, impact, product,
country — grouped by case, as exports are) into an SQLite file with the ``status-log``
preset, prints the import report, the KPIs per support tier and one ticket's timeline,
then imports the same file again to show that nothing is added twice.

    python examples/import_a_history.py [--cases 1500] [--db history.db]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from rich.console import Console

from ticketlog import HelpDesk
from ticketlog.imports import import_file, preset, ticket_id
from ticketlog.imports.synthetic import write_status_log
from ticketlog.io.console import kpis_table


def main() -> None:
    """Import, report, read back, import again."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1500)
    parser.add_argument("--db", type=Path, help="keep the SQLite file here")
    args = parser.parse_args()
    out = Console()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "incidents.csv"
        rows = write_status_log(log, args.cases, seed=2)
        db = args.db or Path(tmp) / "history.db"
        with HelpDesk(f"sqlite:///{db}") as desk:
            report = import_file(desk, log, preset("status-log"))
            out.print(
                f"Imported {rows:,} rows: {report.cases:,} cases, {report.events_written:,} "
                f"events, {report.people:,} people, {report.open_at_end:,} cases still open."
            )
            for anomaly in report.sorted_anomalies():
                examples = ", ".join(anomaly.examples)
                out.print(f"  {anomaly.count:>6,}  {anomaly.kind} (e.g. {examples})")
            view = desk.view()
            end = max(facts.received_at for facts in view.facts)
            by_tier = {f"tier {tier}": kpis for tier, kpis in view.kpis_by("tier", now=end).items()}
            out.print(kpis_table(by_tier, title="The history's KPIs, by the tier tickets ended in"))
            out.print("Ticket INC0000003, as its next agent would read it:")
            for entry in desk.timeline(ticket_id("status-log", "INC0000003")):
                out.print(f"  {entry}")
            again = import_file(desk, log, preset("status-log"))
            out.print(
                f"Imported again: {again.cases_written} cases written, "
                f"{again.cases_skipped:,} already there."
            )


if __name__ == "__main__":
    main()
