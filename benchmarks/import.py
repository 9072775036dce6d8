"""Import throughput: a generated status log into a fresh store, against the raw floor.

Writes a synthetic status log (:mod:`ticketlog.imports.synthetic`, grouped by case, as
exports usually are) of at least ``--rows`` rows, then times in the same run:

* ``raw``: ``sqlite3`` ``executemany`` of the same number of JSON rows (one JSON object
  per source row, shaped like a stored event) into a fresh file, in one transaction —
  the floor: no parsing, no interpretation, no validation;
* ``import``: ``ticketlog.imports.import_file`` of the file into a fresh SQLite store
  (both passes, agents, tickets, capacities);
* ``postgres`` (with ``--postgres URL``): the same import into a fresh schema.

The import shares its cases among ``--workers`` processes (default: as
:func:`~ticketlog.imports.import_file` chooses, one per core). It prints the rates in
rows/s, the ratio import/raw (of wall-clock times, and of CPU times — the importing
process's and its workers' together: steadier when other work shares the machine;
PostgreSQL's own CPU is not the import's, so its ratio is of wall-clock times only), how
many processes imported, and the peak resident memory of the importing process and of its
largest worker (measured in a subprocess per run, so runs do not share memory). With
``--repeat N`` each timing is the best of N runs, each into a fresh file or schema (on a
shared machine the best run is the one least disturbed by other work). ``--profile``
adds one import in one process under cProfile, its functions by cumulative time printed
to stderr.

    python benchmarks/import.py [--rows 200000] [--repeat 3] [--postgres postgresql://HOST/DB]
        [--workers auto|N] [--json] [--profile]
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from ticketlog.imports.synthetic import write_status_log

ROWS_PER_CASE = 6.0
"""About how many rows the generator writes per case (rounded up to reach ``--rows``)."""

_IMPORT = """
import json, resource, sys, time
from ticketlog import HelpDesk
from ticketlog.imports import import_file, preset
workers = None if sys.argv[3] == "auto" else int(sys.argv[3])
start, cpu = time.perf_counter(), time.process_time()
with HelpDesk(sys.argv[2]) as desk:
    report = import_file(desk, sys.argv[1], preset("status-log"), workers=workers)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
workers_cpu = sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu + workers_cpu, "peak_mb": peak,
                  "worker_peak_mb": worker_peak, "workers": report.workers,
                  "events": report.events_written, "cases": report.cases,
                  "people": report.people}))
"""

_PROFILE = """
import cProfile, pstats, sys
from ticketlog import HelpDesk
from ticketlog.imports import import_file, preset
with HelpDesk(sys.argv[2]) as desk:
    profile = cProfile.Profile()
    profile.runcall(import_file, desk, sys.argv[1], preset("status-log"), workers=1)
pstats.Stats(profile, stream=sys.stdout).sort_stats("cumulative").print_stats(40)
"""


def raw_floor(rows: int, directory: Path) -> tuple[float, float]:
    """Seconds (wall clock, then CPU) to insert ``rows`` JSON rows with ``executemany`` in
    one transaction (into a fresh file)."""
    payload = json.dumps(
        {
            "originator_id": str(uuid.uuid4()),
            "originator_version": 1,
            "at": "2026-01-05T08:00:00+00:00",
            "status": "Accepted",
            "sub_status": "In Progress",
            "team": "Service Desk",
            "support_level": "1st",
            "person": "Person 0001",
        }
    ).encode()
    records = [(uuid.uuid4().hex, 1, "ticketlog:Row", payload) for _ in range(rows)]
    path = directory / "raw.db"
    for stale in directory.glob("raw.db*"):
        stale.unlink()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(
        "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, "
        "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version)) WITHOUT ROWID"
    )
    start, cpu = time.perf_counter(), time.process_time()
    with connection:
        connection.executemany("INSERT INTO stored_events VALUES (?, ?, ?, ?)", records)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    connection.close()
    return seconds, cpu


def timed_import(log: Path, store: str, workers: str) -> dict[str, Any]:
    """Run one import in a fresh process; its timing, peak memory and counts."""
    output = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", _IMPORT, str(log), store, workers],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(output)
    return result


def profiled_import(log: Path, store: str) -> str:
    """One more import, in one process under cProfile (a profile sees no other process):
    its functions by cumulative time (the profiler's overhead inflates Python calls: read
    the shares, not the seconds)."""
    return subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", _PROFILE, str(log), store],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of several runs (and the least CPU), with the highest peak memory."""
    fastest = min(runs, key=lambda run: float(run["seconds"]))
    return {
        **fastest,
        "cpu_seconds": min(run["cpu_seconds"] for run in runs),
        "peak_mb": max(run["peak_mb"] for run in runs),
        "worker_peak_mb": max(run["worker_peak_mb"] for run in runs),
    }


def sqlite_import(log: Path, directory: Path, repeat: int, workers: str) -> dict[str, Any]:
    """The best of ``repeat`` imports, each into a fresh SQLite file."""
    stores = [f"sqlite:///{directory / f'desk-{run}.db'}" for run in range(repeat)]
    return best([timed_import(log, store, workers) for store in stores])


def postgres_import(log: Path, url: str, repeat: int, workers: str) -> dict[str, Any]:
    """The best of ``repeat`` imports, each into a fresh schema of the database at ``url``."""
    runs = []
    for _ in range(repeat):
        schema, store = fresh_schema(url)
        try:
            runs.append(timed_import(log, store, workers))
        finally:
            drop_schema(url, schema)
    return best(runs)


def fresh_schema(url: str) -> tuple[str, str]:
    """A new schema in the database at ``url`` (no query part), and the store URL of it."""
    import psycopg  # noqa: PLC0415 - only with --postgres

    schema = f"bench_import_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    return schema, f"{url}?schema={schema}"


def drop_schema(url: str, schema: str) -> None:
    """Drop the run's schema again."""
    import psycopg  # noqa: PLC0415 - only with --postgres

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs each")
    parser.add_argument("--postgres", help="also import into a fresh schema of this database")
    parser.add_argument(
        "--workers", default="auto", help="processes importing the cases (default: auto)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--profile", action="store_true", help="also profile one import (printed to stderr)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        log = directory / "status-log.csv"
        cases = int(args.rows / ROWS_PER_CASE) + 1
        rows = write_status_log(log, cases, seed=1)
        while rows < args.rows:
            cases = int(cases * args.rows / rows) + 1
            rows = write_status_log(log, cases, seed=1)
        floors = [raw_floor(rows, directory) for _ in range(args.repeat)]
        raw, raw_cpu = min(wall for wall, _ in floors), min(cpu for _, cpu in floors)
        sqlite = sqlite_import(log, directory, args.repeat, args.workers)
        figures: dict[str, Any] = {
            "rows": rows,
            "cases": cases,
            "events": sqlite["events"],
            "people": sqlite["people"],
            "raw_rows_per_s": rows / raw,
            "import_rows_per_s": rows / sqlite["seconds"],
            "import_ratio_to_raw": raw / sqlite["seconds"],
            "import_cpu_ratio_to_raw": raw_cpu / sqlite["cpu_seconds"],
            "import_workers": sqlite["workers"],
            "import_peak_rss_mb": sqlite["peak_mb"],
            "import_worker_peak_rss_mb": sqlite["worker_peak_mb"],
        }
        if args.postgres:
            postgres = postgres_import(log, args.postgres, args.repeat, args.workers)
            figures["postgres_rows_per_s"] = rows / postgres["seconds"]
            figures["postgres_ratio_to_raw"] = raw / postgres["seconds"]
            figures["postgres_peak_rss_mb"] = postgres["peak_mb"]
            figures["postgres_worker_peak_rss_mb"] = postgres["worker_peak_mb"]
        if args.profile:
            print(profiled_import(log, f"sqlite:///{directory / 'profiled.db'}"), file=sys.stderr)
    figures["benchmark_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.json:
        print(json.dumps(figures))
        return
    for key, value in figures.items():
        print(f"{key:>24}: {value:,.2f}" if isinstance(value, float) else f"{key:>24}: {value:,}")


if __name__ == "__main__":
    main()
