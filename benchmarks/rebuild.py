"""Rebuild throughput: folding a large SQLite event log into the desk's read models.

Writes (once, then reuses) an SQLite store of realistic ticket histories, then times in
the same run:

* ``raw``: the same rows read with ``sqlite3`` in pages and each row's JSON decoded with
  orjson into plain dicts — the floor, with no typed events and no projection;
* ``events``: the same rows read and decoded into typed, validated events by
  ``HelpDesk.read_log`` (eventsourcing's recorder and ticketlog's mapper), no projection;
* ``rebuild``: a :class:`~ticketlog.projections.runner.Follower` rebuilding a
  :class:`~ticketlog.projections.view.DeskView` (queues, workloads, ticket facts, backlog)
  from position 0.

The figures are the rates in events/s and the ratios rebuild/raw and rebuild/events.

    python benchmarks/rebuild.py [--events 1000000] [--db PATH] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson

from ticketlog import HelpDesk, SQLiteStore
from ticketlog.domain.agent import Agent
from ticketlog.domain.events import AgentProfile
from ticketlog.domain.ticket import Ticket
from ticketlog.projections.runner import Follower
from ticketlog.projections.view import DeskView

CHANNELS = ["email", "chat", "phone", "portal", "social"]
CATEGORIES = ["billing", "shipping", "account", "api", "returns"]
PRIORITIES = ["low", "normal", "normal", "normal", "high", "urgent"]
AGENTS = 60
BATCH = 200


def write_store(path: Path, events: int, seed: int = 7) -> int:
    """Write ticket histories until at least ``events`` events are stored; return the count."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    written = 0
    with HelpDesk(SQLiteStore(path=path)) as desk:
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


def time_events(path: Path) -> tuple[int, float]:
    """Read and decode every event through the desk, folding nothing."""
    with HelpDesk(SQLiteStore(path=path)) as desk:
        started = time.perf_counter()
        count = sum(1 for _ in desk.read_log())
        return count, time.perf_counter() - started


def time_rebuild(path: Path) -> tuple[int, float]:
    """Rebuild a DeskView from the whole log through the public follower."""
    with HelpDesk(SQLiteStore(path=path)) as desk:
        follower = Follower(desk, DeskView)
        started = time.perf_counter()
        count = follower.catch_up()
        return count, time.perf_counter() - started


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument(
        "--db", type=Path, help="store to reuse (default: .bench/rebuild-<events>.db)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    path: Path = args.db or Path(".bench") / f"rebuild-{args.events}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        began = time.perf_counter()
        written = write_store(path, args.events)
        if not args.json:
            print(f"wrote {written:,} events to {path} in {time.perf_counter() - began:.0f} s")
    rates = {}
    for name, timer in (("raw", time_raw), ("events", time_events), ("rebuild", time_rebuild)):
        count, seconds = timer(path)
        rates[name] = count / seconds
    figures: dict[str, Any] = {
        "benchmark": "rebuild",
        "store": "sqlite",
        "events": count,
        "raw_events_per_s": round(rates["raw"]),
        "events_events_per_s": round(rates["events"]),
        "rebuild_events_per_s": round(rates["rebuild"]),
        "ratio_to_raw": round(rates["rebuild"] / rates["raw"], 3),
        "ratio_to_events": round(rates["rebuild"] / rates["events"], 3),
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{count:,} events from {path}")
    print(f"raw     sqlite3 + orjson dicts : {rates['raw']:>11,.0f} events/s")
    print(f"events  read_log, typed events : {rates['events']:>11,.0f} events/s")
    print(f"rebuild Follower(DeskView)     : {rates['rebuild']:>11,.0f} events/s")
    ratios = figures["ratio_to_raw"], figures["ratio_to_events"]
    print("ratio rebuild/raw {:.3f}, rebuild/events {:.3f}".format(*ratios))


if __name__ == "__main__":
    main()
