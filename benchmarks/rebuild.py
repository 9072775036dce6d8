"""Rebuild throughput: folding a large SQLite event log into the desk's read models.

Writes (once, then reuses) an SQLite store of realistic ticket histories, then times in
the same run:

* ``raw``: the same rows read with ``sqlite3`` in pages and each row's JSON decoded with
  orjson into plain dicts — the floor, with no typed events and no projection;
* ``events``: the same rows read and decoded into typed, validated events by
  ``HelpDesk.read_log`` (eventsourcing's recorder and ticketlog's mapper), no projection;
* ``rebuild``: a :class:`~ticketlog.projections.runner.Follower` rebuilding a
  :class:`~ticketlog.projections.view.DeskView` (queues, workloads, ticket facts, backlog)
  from position 0;
* ``checkpoint``: saving and loading the rebuilt view as a checkpoint (ticketlog's JSON
  encoding) against ``pickle`` of the same view, CPU seconds (steadier than wall time on
  a shared machine) and bytes.

With ``--encrypted``, ``events`` and ``rebuild`` are timed again on a copy of the store
written with a cipher key (zlib + AES-GCM).

The figures are the rates in events/s and the ratios rebuild/raw and rebuild/events (and
encrypted/plain, checkpoint/pickle).

    python benchmarks/rebuild.py [--events 1000000] [--db PATH] [--encrypted] [--json]
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import sqlite3
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson

from ticketlog import HelpDesk, SQLiteStore
from ticketlog.domain.agent import Agent
from ticketlog.domain.events import AgentProfile
from ticketlog.domain.ticket import Ticket
from ticketlog.projections import checkpoint
from ticketlog.projections.runner import Follower
from ticketlog.projections.view import DeskView

CHANNELS = ["email", "chat", "phone", "portal", "social"]
CATEGORIES = ["billing", "shipping", "account", "api", "returns"]
PRIORITIES = ["low", "normal", "normal", "normal", "high", "urgent"]
AGENTS = 60
BATCH = 200
BENCHMARK_KEY = "dGlja2V0bG9nLWJlbmNobWFyay1rZXktMzItYnl0ZXM="
"""The encrypted store's cipher key (a fixed one, so the store can be reused)."""


def write_store(store: SQLiteStore, events: int, seed: int = 7) -> int:
    """Write ticket histories until at least ``events`` events are stored; return the count."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    written = 0
    with HelpDesk(store) as desk:
        agents = []
        for n in range(AGENTS):
            agent = Agent.join(
                agent_id=UUID(int=rng.getrandbits(128)),
                at=start,
                name=f"agent-{n}",
                profile=AgentProfile(
                    team=f"team-{n % 6}",
                    tier=1 + n % 2,
                    capacity=1000,
                    skills=frozenset(CATEGORIES),
                ),
            )
            agent.go_online(at=start)
            agents.append(agent)
        desk.save(*agents)
        written += 2 * AGENTS
        clock = start
        while written < events:
            batch = []
            for _ in range(BATCH):
                clock += timedelta(seconds=rng.expovariate(1 / 20))
                batch.append(_ticket_life(rng, clock, agents))
            desk.save(*batch)
            written += sum(t.version for t in batch)
    return written


def _ticket_life(rng: random.Random, at: datetime, agents: list[Agent]) -> Ticket:
    ticket = Ticket.receive(
        ticket_id=UUID(int=rng.getrandbits(128)),
        at=at,
        channel=rng.choice(CHANNELS),
        customer_id=f"c{rng.randrange(50_000)}",
        category=rng.choice(CATEGORIES),
        priority=rng.choice(PRIORITIES),
        subject="benchmark ticket",
    )

    def later(mean_minutes: float) -> datetime:
        nonlocal at
        at += timedelta(minutes=rng.expovariate(1 / mean_minutes))
        return at

    agent = rng.choice(agents).state
    ticket.assign(agent, holding=0, at=later(10))
    ticket.respond(agent_id=agent.id, at=later(5))
    if rng.random() < 0.15:
        other = rng.choice([a for a in agents if a.id != agent.id]).state
        ticket.transfer(at=later(10), to_agent=other, actor_id=agent.id, reason="skills")
        agent = other
    ticket.resolve(agent_id=agent.id, at=later(20))
    if rng.random() < 0.5:
        ticket.rate(at=later(60), csat=rng.randint(1, 5), nps=rng.randint(0, 10))
    ticket.close(at=later(120))
    return ticket


def time_raw(path: Path, page: int = 1000) -> tuple[int, float]:
    """Read every row's state in pages with sqlite3 and decode its JSON with orjson."""
    started = time.perf_counter()
    count = 0
    last = 0
    with sqlite3.connect(path) as db:
        while True:
            rows = db.execute(
                "SELECT rowid, state FROM stored_events WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (last, page),
            ).fetchall()
            for rowid, state in rows:
                orjson.loads(state)
                last = rowid
                count += 1
            if len(rows) < page:
                break
    return count, time.perf_counter() - started


def time_events(store: SQLiteStore) -> tuple[int, float]:
    """Read and decode every event through the desk, folding nothing."""
    with HelpDesk(store) as desk:
        started = time.perf_counter()
        count = sum(1 for _ in desk.read_log())
        return count, time.perf_counter() - started


def rebuilt(store: SQLiteStore) -> tuple[int, float, DeskView]:
    """Rebuild a DeskView from the whole log through the public follower."""
    with HelpDesk(store) as desk:
        follower = Follower(desk, DeskView)
        started = time.perf_counter()
        count = follower.catch_up()
        return count, time.perf_counter() - started, follower.projection


def time_checkpoint(view: DeskView) -> dict[str, float]:
    """CPU seconds to save and load ``view`` as a checkpoint and as a pickle, and bytes."""
    started = time.process_time()
    data = checkpoint.encode(view, 1)
    encoded = time.process_time()
    checkpoint.decode(data, DeskView, 1)
    decoded = time.process_time()
    pickled = pickle.dumps(view, protocol=pickle.HIGHEST_PROTOCOL)
    dumped = time.process_time()
    pickle.loads(pickled)  # noqa: S301 - the benchmark's own bytes, the baseline
    loaded = time.process_time()
    return {
        "checkpoint_save_s": round(encoded - started, 3),
        "checkpoint_load_s": round(decoded - encoded, 3),
        "checkpoint_bytes": len(data),
        "checkpoint_stored_bytes": len(zlib.compress(data)),
        "pickle_save_s": round(dumped - decoded, 3),
        "pickle_load_s": round(loaded - dumped, 3),
        "pickle_bytes": len(pickled),
        "checkpoint_to_pickle_save": round((encoded - started) / (dumped - decoded), 2),
        "checkpoint_to_pickle_load": round((decoded - encoded) / (loaded - dumped), 2),
    }


def ensure_store(store: SQLiteStore, events: int, *, quiet: bool) -> None:
    """Write ``store`` unless it exists."""
    if store.path.exists():
        return
    began = time.perf_counter()
    written = write_store(store, events)
    if not quiet:
        print(f"wrote {written:,} events to {store.path} in {time.perf_counter() - began:.0f} s")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument(
        "--db", type=Path, help="store to reuse (default: .bench/rebuild-<events>.db)"
    )
    parser.add_argument("--encrypted", action="store_true", help="also time an encrypted store")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    path: Path = args.db or Path(".bench") / f"rebuild-{args.events}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    store = SQLiteStore(path=path)
    ensure_store(store, args.events, quiet=args.json)
    rates = {}
    count, seconds = time_raw(path)
    rates["raw"] = count / seconds
    count, seconds = time_events(store)
    rates["events"] = count / seconds
    count, seconds, view = rebuilt(store)
    rates["rebuild"] = count / seconds
    figures: dict[str, Any] = {
        "benchmark": "rebuild",
        "store": "sqlite",
        "events": count,
        "raw_events_per_s": round(rates["raw"]),
        "events_events_per_s": round(rates["events"]),
        "rebuild_events_per_s": round(rates["rebuild"]),
        "ratio_to_raw": round(rates["rebuild"] / rates["raw"], 3),
        "ratio_to_events": round(rates["rebuild"] / rates["events"], 3),
    } | time_checkpoint(view)
    if args.encrypted:
        encrypted = SQLiteStore(
            path=path.with_name(f"{path.stem}-encrypted{path.suffix}"), cipher_key=BENCHMARK_KEY
        )
        ensure_store(encrypted, args.events, quiet=args.json)
        events, seconds = time_events(encrypted)
        figures["encrypted_events_events_per_s"] = round(events / seconds)
        events, seconds, _ = rebuilt(encrypted)
        figures["encrypted_rebuild_events_per_s"] = round(events / seconds)
        for name in ("events", "rebuild"):
            ratio = figures[f"encrypted_{name}_events_per_s"] / rates[name]
            figures[f"encrypted_{name}_ratio"] = round(ratio, 3)
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{count:,} events from {path}")
    print(f"raw     sqlite3 + orjson dicts : {rates['raw']:>11,.0f} events/s")
    print(f"events  read_log, typed events : {rates['events']:>11,.0f} events/s")
    print(f"rebuild Follower(DeskView)     : {rates['rebuild']:>11,.0f} events/s")
    ratios = figures["ratio_to_raw"], figures["ratio_to_events"]
    print("ratio rebuild/raw {:.3f}, rebuild/events {:.3f}".format(*ratios))
    print(
        f"checkpoint of the view: save {figures['checkpoint_save_s']} s, load "
        f"{figures['checkpoint_load_s']} s, {figures['checkpoint_bytes']:,} bytes "
        f"({figures['checkpoint_stored_bytes']:,} stored); pickle: "
        f"{figures['pickle_save_s']} s, {figures['pickle_load_s']} s, "
        f"{figures['pickle_bytes']:,} bytes"
    )
    if args.encrypted:
        print(
            f"encrypted: events {figures['encrypted_events_events_per_s']:,} events/s "
            f"({figures['encrypted_events_ratio']} of plain), rebuild "
            f"{figures['encrypted_rebuild_events_per_s']:,} events/s "
            f"({figures['encrypted_rebuild_ratio']} of plain)"
        )


if __name__ == "__main__":
    main()
