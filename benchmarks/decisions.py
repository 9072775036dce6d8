"""Decision cost: how long a policy takes to pick an agent's next ticket, by queue size.

For each size (waiting tickets) and policy, in the same run:

* ``scan``: the naive baseline — ``min()`` of the policy's key over every waiting
  ticket the agent may take;
* ``decide``: ticketlog — the first candidate of ``policy.tickets_for`` (read from the
  queue's sorted index for that key);
* ``cycle``: one decision plus the index upkeep a live desk pays for it — the chosen
  ticket's assignment leaves the queue and a new arrival enters it.

Times are medians in microseconds; the index is built once before timing (``build_ms``).

    python benchmarks/decisions.py [--sizes 1000 10000 100000 1000000] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from ticketlog.domain.events import (
    AgentJoined,
    AgentProfile,
    AgentWentOnline,
    TicketAssigned,
    TicketReceived,
)
from ticketlog.policies import (
    Ordered,
    can_take,
    easiest_first,
    fifo,
    priority,
    sla_driven,
    value_based,
)
from ticketlog.projections.queues import Queues
from ticketlog.projections.workloads import Workloads

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
AGENT = UUID(int=1)
POLICIES: dict[str, Callable[[], Ordered]] = {
    "fifo": fifo,
    "priority": priority,
    "easiest-first": lambda: easiest_first(aging=0.05),
    "value": lambda: value_based({"enterprise": 1000.0, "pro": 100.0}, first_time_boost=50.0),
    "sla": sla_driven,
}


def arrivals(rng: random.Random) -> Iterator[TicketReceived]:
    """An endless stream of varied ticket arrivals."""
    at = START
    while True:
        at += timedelta(seconds=rng.expovariate(1.0))
        yield TicketReceived(
            originator_id=UUID(int=rng.getrandbits(128)),
            originator_version=1,
            at=at,
            channel=rng.choice(["email", "chat", "phone"]),
            customer_id=f"c{rng.randrange(100_000)}",
            category=rng.choice(["billing", "shipping", "account"]),
            priority=rng.choice(["low", "normal", "high", "urgent"]),
            plan=rng.choice([None, "pro", "enterprise"]),
            customer_value=rng.random() * 100,
            first_time=rng.random() < 0.1,
            estimated_effort=timedelta(minutes=rng.randint(1, 60)),
        )


def median_us(action: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``action`` in microseconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e6


def measure(size: int, name: str, seed: int = 11) -> dict[str, Any]:
    """Figures for one queue size and one policy."""
    rng = random.Random(seed)
    stream = arrivals(rng)
    queues = Queues()
    for _ in range(size):
        queues.apply(next(stream))
    workloads = Workloads()
    profile = AgentProfile(capacity=1000, skills=frozenset({"billing", "shipping", "account"}))
    workloads.apply(
        AgentJoined(originator_id=AGENT, originator_version=1, at=START, name="a", profile=profile)
    )
    workloads.apply(AgentWentOnline(originator_id=AGENT, originator_version=2, at=START))
    agent = workloads.workload(AGENT, now=START)
    policy = POLICIES[name]()
    now = START + timedelta(days=1)

    started = time.perf_counter()
    first = next(policy.tickets_for(agent, queues, now=now))
    build_ms = (time.perf_counter() - started) * 1e3

    scan_repeats = max(3, min(200, 2_000_000 // size))
    scan_us = median_us(
        lambda: min((t for t in queues.waiting() if can_take(agent, t)), key=policy.key),
        scan_repeats,
    )
    decide_us = median_us(lambda: next(policy.tickets_for(agent, queues, now=now)), 2_000)
    if first != min(queues.waiting(), key=policy.key):
        msg = f"{name}: the index disagrees with a scan"
        raise RuntimeError(msg)

    def cycle() -> None:
        ticket = next(policy.tickets_for(agent, queues, now=now))
        queues.apply(
            TicketAssigned(
                originator_id=ticket.ticket_id, originator_version=2, at=now, agent_id=AGENT
            )
        )
        queues.apply(next(stream))

    cycle_us = median_us(cycle, 2_000)
    return {
        "waiting": size,
        "policy": name,
        "build_ms": round(build_ms, 1),
        "scan_us": round(scan_us, 1),
        "decide_us": round(decide_us, 2),
        "cycle_us": round(cycle_us, 2),
        "scan_over_decide": round(scan_us / decide_us),
    }


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--policies", nargs="+", default=list(POLICIES), choices=list(POLICIES))
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    rows = [measure(size, name) for size in args.sizes for name in args.policies]
    if args.json:
        print(
            json.dumps({"benchmark": "decisions", "baseline": "min() over the queue", "rows": rows})
        )
        return
    print("  waiting policy          build ms    scan us  decide us  cycle us scan/decide")
    for r in rows:
        print(
            f"{r['waiting']:>9,} {r['policy']:<14} {r['build_ms']:>9} {r['scan_us']:>10,} "
            f"{r['decide_us']:>10} {r['cycle_us']:>9} {r['scan_over_decide']:>11,}"
        )


if __name__ == "__main__":
    main()
