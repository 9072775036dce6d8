"""Contention: P processes pulling tickets from one queue at once, against raw transactions.

For P in ``--processes`` (1, 2, 4, 8) and each store (a fresh SQLite file; a fresh
PostgreSQL database with ``--postgres URL``): ``--tickets`` tickets wait and ``2 * P``
agents of capacity 1,000 have joined; each of P worker processes calls ``assign_next``
for its two agents in turn until nothing is left for them. Measured: assignments/s
(from the start barrier to the last worker's end), the saves lost to another writer per
assignment (each lost save is retried by the desk), and, in the same run, the rate of
as many raw single-row transactions (an ``INSERT`` and a commit per row, P writers at
once) on the same kind of store — the floor the ratio is taken against.

    python benchmarks/contention.py [--tickets 400] [--processes 1 2 4 8]
                                    [--postgres postgresql://postgres@127.0.0.1:5432/test]
                                    [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from ticketlog import HelpDesk, PostgresStore, SQLiteStore
from ticketlog.persistence.settings import parse_store_url

Store = SQLiteStore | PostgresStore


class CountingDesk(HelpDesk):
    """Counts the saves lost to another writer (the desk retries them)."""

    name = HelpDesk.name
    lost = 0

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        try:
            return super().save(*objs, **kwargs)
        except IntegrityError:
            self.lost += 1
            raise


def worker(store: Store, agents: list[UUID], start: Any, results: Any) -> None:
    with CountingDesk(store) as desk:
        start.wait()
        began, won = time.perf_counter(), 0
        active = list(agents)
        while active:
            for agent in list(active):
                if desk.assign_next(agent) is None:
                    active.remove(agent)
                else:
                    won += 1
        results.put((won, desk.lost, began, time.perf_counter()))


def pull(store: Store, processes: int, tickets: int) -> dict[str, float]:
    with HelpDesk(store) as desk:
        agents = [desk.join_agent(f"agent-{n}", capacity=1000) for n in range(2 * processes)]
        for n in range(tickets):
            desk.receive(channel="email", customer_id=f"c{n}")
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(processes), context.Queue()
    workers = [
        context.Process(target=worker, args=(store, agents[2 * i : 2 * i + 2], start, results))
        for i in range(processes)
    ]
    for process in workers:
        process.start()
    outcomes = [results.get(timeout=600) for _ in workers]
    for process in workers:
        process.join()
    won, lost = sum(o[0] for o in outcomes), sum(o[1] for o in outcomes)
    seconds = max(o[3] for o in outcomes) - min(o[2] for o in outcomes)
    return {
        "assignments": won,
        "assignments_per_s": round(won / seconds, 1),
        "lost_saves_per_assignment": round(lost / max(won, 1), 2),
    }


def raw_writer(url: str, rows: int, start: Any, results: Any) -> None:
    """Single-row transactions: an insert and a commit each."""
    if url.startswith("sqlite"):
        connection: Any = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=60)
        insert = "INSERT INTO rows (id, body) VALUES (?, ?)"
    else:
        import psycopg  # noqa: PLC0415 - the postgres extra is optional

        connection = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
        insert = "INSERT INTO rows (id, body) VALUES (%s, %s)"
    start.wait()
    began = time.perf_counter()
    for _ in range(rows):
        connection.execute(insert, (str(uuid.uuid4()), '{"a": 1}'))
        connection.commit()
    results.put((began, time.perf_counter()))
    connection.close()


def raw(url: str, processes: int, rows: int) -> float:
    """Rows/s of ``processes`` writers committing ``rows`` single-row transactions in all."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(processes), context.Queue()
    each = max(rows // processes, 1)
    writers = [
        context.Process(target=raw_writer, args=(url, each, start, results))
        for _ in range(processes)
    ]
    for process in writers:
        process.start()
    outcomes = [results.get(timeout=600) for _ in writers]
    for process in writers:
        process.join()
    seconds = max(o[1] for o in outcomes) - min(o[0] for o in outcomes)
    return round(float(each * processes / seconds), 1)


def sqlite_setup(folder: Path, name: str) -> tuple[Store, str]:
    path = folder / f"{name}.db"
    rows = folder / f"{name}-raw.db"
    with sqlite3.connect(rows) as connection:
        connection.execute("CREATE TABLE rows (id TEXT PRIMARY KEY, body TEXT)")
        # WAL once, here: the mode stays with the file, and P writers switching it at once
        # may find the database locked (the switch does not wait on the busy timeout).
        connection.execute("PRAGMA journal_mode=WAL")
    return SQLiteStore(path=path), f"sqlite:///{rows}"


def postgres_setup(url: str, name: str) -> tuple[Store, str, str]:
    import psycopg  # noqa: PLC0415 - the postgres extra is optional

    server = parse_store_url(url)
    assert isinstance(server, PostgresStore)  # noqa: S101 - a postgresql:// URL
    database = f"ticketlog_contention_{name}_{uuid.uuid4().hex[:8]}"
    admin = f"postgresql://{server.user}@{server.host}:{server.port}/{server.dbname}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database}"')
    raw_url = f"postgresql://{server.user}@{server.host}:{server.port}/{database}"
    with psycopg.connect(raw_url, autocommit=True) as connection:
        connection.execute("CREATE TABLE rows (id TEXT PRIMARY KEY, body TEXT)")
    store = server.model_copy(update={"dbname": database})
    return store, raw_url, database


def postgres_drop(url: str, database: str) -> None:
    import psycopg  # noqa: PLC0415 - the postgres extra is optional

    server = parse_store_url(url)
    assert isinstance(server, PostgresStore)  # noqa: S101 - a postgresql:// URL
    admin = f"postgresql://{server.user}@{server.host}:{server.port}/{server.dbname}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=400)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a database is created)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    report: dict[str, Any] = {"tickets": args.tickets}
    with tempfile.TemporaryDirectory() as tmp:
        for processes in args.processes:
            store, raw_url = sqlite_setup(Path(tmp), f"p{processes}")
            run = pull(store, processes, args.tickets)
            run["raw_transactions_per_s"] = raw(raw_url, processes, args.tickets)
            report[f"sqlite_p{processes}"] = run
            report[f"ratio_sqlite_p{processes}_to_raw"] = round(
                run["assignments_per_s"] / run["raw_transactions_per_s"], 3
            )
    if args.postgres:
        for processes in args.processes:
            store, raw_url, database = postgres_setup(args.postgres, f"p{processes}")
            try:
                run = pull(store, processes, args.tickets)
                run["raw_transactions_per_s"] = raw(raw_url, processes, args.tickets)
            finally:
                postgres_drop(args.postgres, database)
            report[f"postgres_p{processes}"] = run
            report[f"ratio_postgres_p{processes}_to_raw"] = round(
                run["assignments_per_s"] / run["raw_transactions_per_s"], 3
            )
    if args.json:
        print(json.dumps(report))
        return
    print(f"{args.tickets} tickets; assignments/s, lost saves per assignment, raw commits/s")
    for key, value in report.items():
        if isinstance(value, dict):
            rate, lost = value["assignments_per_s"], value["lost_saves_per_assignment"]
            floor, ratio = value["raw_transactions_per_s"], report[f"ratio_{key}_to_raw"]
            print(f"{key:14} {rate:8,.1f}/s  lost {lost:5.2f}  raw {floor:9,.1f}/s  ratio {ratio}")


if __name__ == "__main__":
    main()
