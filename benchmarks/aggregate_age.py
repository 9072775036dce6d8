"""Aggregate age: a command's cost against the length of the agent's stream, with and
without snapshots.

One agent takes and resolves tickets (each adds an ``AgentStartedHolding`` and an
``AgentStoppedHolding`` to their stream) until their stream has each of ``--lengths``
events. At each length, ``--repeats`` times each: a fresh desk opens on the store (as a
restarted process, a CLI call or another machine does), catches up with the log
(untimed), and ``assign`` + ``resolve`` of one waiting ticket by that agent are timed —
the first command reads the agent, from their latest snapshot (``snapshots``, the
default of every desk) or by folding their whole stream (``events``,
``snapshot_interval=None``: the baseline, in the same run). The figures are medians in
ms, and the ratio of the cost at the longest stream to the cost at the shortest
(``ratio``: with snapshots; ``ratio_without_snapshots``: the baseline).

A desk that has read the agent already folds only their newer events either way; what
this measures is the first command on an agent in a desk.

    python benchmarks/aggregate_age.py [--lengths 10 100 1000 5000] [--repeats 7]
                                       [--postgres postgresql://postgres@127.0.0.1:5432/test]
                                       [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from uuid import UUID

from ticketlog import HelpDesk, PostgresStore, SQLiteStore
from ticketlog.persistence.settings import parse_store_url

Store = SQLiteStore | PostgresStore
MODES: dict[str, dict[str, Any]] = {"snapshots": {}, "events": {"snapshot_interval": None}}
"""Each mode's desk settings."""


def grow(store: Store, agent: UUID, length: int) -> None:
    """Assign and resolve tickets for ``agent`` until their stream has ``length`` events."""
    with HelpDesk(store) as desk:
        version = stream_length(desk, agent)
        while version < length:
            ticket = desk.receive(channel="email", customer_id="grower")
            desk.assign(ticket, agent)
            desk.resolve(ticket, agent)
            version += 2


def stream_length(desk: HelpDesk, agent: UUID) -> int:
    """How many events the agent's stream has."""
    return desk.agent_events(agent)[-1].originator_version


def command_ms(store: Store, agent: UUID, settings: dict[str, Any]) -> float:
    """Milliseconds of ``assign`` + ``resolve`` in a fresh desk caught up with the log."""
    with HelpDesk(store, **settings) as desk:
        ticket = desk.receive(channel="email", customer_id="timed")
        desk.view()
        began = time.perf_counter()
        desk.assign(ticket, agent)
        desk.resolve(ticket, agent)
        return (time.perf_counter() - began) * 1000


def measure(store: Store, lengths: list[int], repeats: int) -> dict[str, Any]:
    with HelpDesk(store) as desk:
        agent = desk.join_agent("Ann", capacity=3)
    for settings in MODES.values():
        command_ms(store, agent, settings)  # warm-up, untimed
    steps = []
    for length in lengths:
        grow(store, agent, length)
        with HelpDesk(store) as desk:
            events = stream_length(desk, agent)
        step: dict[str, Any] = {"events": events}
        for mode, settings in MODES.items():
            step[f"{mode}_ms"] = round(
                statistics.median(command_ms(store, agent, settings) for _ in range(repeats)), 2
            )
        steps.append(step)
    shortest, longest = steps[0], steps[-1]
    return {
        "steps": steps,
        "ratio": round(longest["snapshots_ms"] / shortest["snapshots_ms"], 2),
        "ratio_without_snapshots": round(longest["events_ms"] / shortest["events_ms"], 2),
        "ratio_snapshots_to_events_at_longest": round(
            longest["snapshots_ms"] / longest["events_ms"], 3
        ),
    }


def postgres_database(url: str) -> tuple[PostgresStore, str]:
    """A fresh database on the server of ``url``, and an admin URL to drop it with."""
    import psycopg  # noqa: PLC0415 - the postgres extra is optional

    server = parse_store_url(url)
    assert isinstance(server, PostgresStore)  # noqa: S101 - a postgresql:// URL
    database = f"ticketlog_aggregate_age_{uuid.uuid4().hex[:8]}"
    admin = f"postgresql://{server.user}@{server.host}:{server.port}/{server.dbname}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database}"')
    return server.model_copy(update={"dbname": database}), admin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[10, 100, 1000, 5000])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a database is created)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    report: dict[str, Any] = {"benchmark": "aggregate_age", "repeats": args.repeats}
    with tempfile.TemporaryDirectory() as tmp:
        report["sqlite"] = measure(
            SQLiteStore(path=Path(tmp) / "age.db"), args.lengths, args.repeats
        )
    if args.postgres:
        import psycopg  # noqa: PLC0415 - the postgres extra is optional

        store, admin = postgres_database(args.postgres)
        try:
            report["postgres"] = measure(store, args.lengths, args.repeats)
        finally:
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{store.dbname}" WITH (FORCE)')
    if args.json:
        print(json.dumps(report))
        return
    for name in ("sqlite", "postgres"):
        if name not in report:
            continue
        print(f"{name}: assign + resolve in a fresh desk, median ms")
        for step in report[name]["steps"]:
            print(
                f"  {step['events']:6,} agent events  snapshots {step['snapshots_ms']:8.2f}  "
                f"events only {step['events_ms']:8.2f}"
            )
        print(
            f"  longest/shortest: {report[name]['ratio']} with snapshots, "
            f"{report[name]['ratio_without_snapshots']} without"
        )


if __name__ == "__main__":
    main()
