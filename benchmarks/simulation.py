"""Simulation throughput: ticketlog's engine against Ciw, SimPy and a bare heapq loop.

One model — Poisson arrivals at 100 tickets an hour, exponential handle times with a
mean of 5 minutes, 10 agents, first in first out — served in the same run by:

* ``ticketlog (fast)``: ``draw_arrivals`` + ``simulate(..., fast=True)`` + the full KPIs
  (``result.kpis()``);
* ``ticketlog (full events)``: the same with ``fast=False``, every domain event emitted
  and folded into the desk's read models (slower, so over ``--full-tickets`` tickets);
* ``Ciw``: ``ciw.create_network`` and ``Simulation.simulate_until_max_customers``, the
  mean wait and P(wait) read from its records;
* ``SimPy``: a ``Resource`` of 10 agents and one process per customer, as in SimPy's
  own examples;
* ``bare heapq loop``: the simplest correct FIFO M/M/c simulation, written here — the
  arrivals in order, a heap of the busy agents' finish times and a FIFO queue.

Each run includes drawing the random numbers and computing its mean wait and P(wait > 0),
which are printed next to Erlang C's so the implementations can be seen to agree (one run
of 200k tickets pins the mean wait only to about ±10 %: waits are autocorrelated). The
figures are tickets/s (the median over ``--repeats`` runs with the same seed) and the
ratios of ticketlog fast to each baseline.

The same run also serves the mid-sized demo desk (``examples/scenarios/mid_sized_desk.toml``:
shifts, priorities, transfers, escalations, reopens, abandonment, the SLA escalator, CSAT)
in ticketlog's fast mode, against a Ciw M/M/c model with the same number of arrivals and,
through feedback routing, about the same total number of services (agent assignments):
the ratio is services/s to services/s.

``--interpreted`` runs ticketlog's kernel with its interpreted loop, as a package
installed without a C compiler does (the compiled loop is the default when it is built);
the figures say which loop ran (``"loop"``).

``--million`` runs 1,000,000 tickets of the M/M/10 model in ticketlog's fast mode in a
subprocess and reports its run time and the child's peak resident memory
(``ru_maxrss``). Every target of issue 10 is printed as met or missed.

    python benchmarks/simulation.py [--tickets 200000] [--full-tickets 20000] [--json]
    python benchmarks/simulation.py --million [--json]
    (either with --interpreted)
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import statistics
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Generator
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple

from ticketlog import TicketAssigned
from ticketlog.policies.registry import pull_policy
from ticketlog.projections.columns import TicketColumns
from ticketlog.simulation import (
    AgentGroup,
    Exponential,
    Scenario,
    draw_arrivals,
    erlang_c,
    erlang_c_mean_wait,
    kernel,
    load_scenario,
    simulate,
)

ARRIVALS_PER_HOUR = 100.0
MEAN_HANDLE_MINUTES = 5.0
AGENTS = 10
ARRIVAL_RATE = ARRIVALS_PER_HOUR / 60  # per minute
SERVICE_RATE = 1 / MEAN_HANDLE_MINUTES  # per minute
DEMO_DESK = Path(__file__).parent.parent / "examples" / "scenarios" / "mid_sized_desk.toml"
"""The mid-sized demo scenario, every feature on."""
MILLION = 1_000_000

TARGETS: dict[str, tuple[str, float]] = {
    "ratio_fast_to_ciw": (">=", 10.0),
    "ratio_fast_to_bare_loop": (">=", 0.5),
    "ratio_every_feature_fast_to_ciw": (">=", 3.0),
    "million_seconds": ("<", 10.0),
    "million_peak_mb": ("<", 500.0),
}
"""Issue 10's targets: figure name to (comparison, threshold)."""


class Outcome(NamedTuple):
    """One timed run: how many tickets were served, in how long, and their waits."""

    tickets: int
    seconds: float
    mean_wait: float
    """Minutes."""
    p_wait: float
    """Share of tickets that waited at all."""


Runner = Callable[[int, int], Outcome]
"""Serves (tickets, seed) and times it."""


def interpret() -> None:
    """Run the kernel's interpreted loop from now on (as installed without a C compiler)."""
    kernel.compiled_run = None


def loop() -> str:
    """Which of the kernel's loops runs."""
    return "interpreted" if kernel.compiled_run is None else "compiled"


def mmc(tickets: int) -> Scenario:
    """The M/M/10 FIFO scenario."""
    return Scenario(
        tickets=tickets,
        arrivals_per_hour=ARRIVALS_PER_HOUR,
        handle_time=Exponential(mean_minutes=MEAN_HANDLE_MINUTES),
        agents=(AgentGroup(count=AGENTS),),
    )


def run_ticketlog(scenario: Scenario, seed: int, *, fast: bool) -> Outcome:
    """Draw the arrivals, simulate them under FIFO and compute the full KPIs."""
    policy = pull_policy("fifo")
    started = time.perf_counter()
    arrivals = draw_arrivals(scenario, seed=seed)
    result = simulate(scenario, arrivals, policy, fast=fast)
    kpis = result.kpis()
    columns = result.columns or TicketColumns.of(result.facts, now=result.end, sla=result.sla)
    waited = int((columns.first_assigned > columns.received).sum())
    seconds = time.perf_counter() - started
    assert kpis.wait.mean is not None  # noqa: S101 - tickets are served
    mean_wait = kpis.wait.mean.total_seconds() / 60
    return Outcome(kpis.wait.count, seconds, mean_wait, waited / kpis.wait.count)


def run_ciw(
    tickets: int,
    seed: int,
    *,
    arrival_rate: float = ARRIVAL_RATE,
    service_rate: float = SERVICE_RATE,
    servers: int = AGENTS,
    feedback: float = 0.0,
) -> Outcome:
    """Ciw's M/M/c: a one-node network run until ``tickets`` customers have completed.

    ``feedback`` is the probability that a served customer queues again (more services
    than arrivals). The outcome counts services (Ciw's records), their waits included.
    """
    import ciw  # type: ignore[import-untyped]  # noqa: PLC0415 - not in the --million child

    started = time.perf_counter()
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=arrival_rate)],
        service_distributions=[ciw.dists.Exponential(rate=service_rate)],
        number_of_servers=[servers],
        routing=[[feedback]],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_customers(tickets, method="Complete")
    waits = [record.waiting_time for record in sim.get_all_records()]
    mean_wait = statistics.fmean(waits)
    p_wait = sum(1 for w in waits if w > 0) / len(waits)
    seconds = time.perf_counter() - started
    return Outcome(len(waits), seconds, mean_wait, p_wait)


def run_simpy(tickets: int, seed: int) -> Outcome:
    """SimPy's M/M/c: agents as a ``Resource``, one process per customer."""
    import simpy  # noqa: PLC0415 - not in the --million child

    rng = random.Random(seed)
    started = time.perf_counter()
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=AGENTS)
    waits: list[float] = []

    def customer(handle: float) -> Generator[simpy.Event, Any, None]:
        arrived = env.now
        with agents.request() as request:
            yield request
            waits.append(env.now - arrived)
            yield env.timeout(handle)

    def source() -> Generator[simpy.Event, Any, None]:
        for _ in range(tickets):
            yield env.timeout(rng.expovariate(ARRIVAL_RATE))
            env.process(customer(rng.expovariate(SERVICE_RATE)))

    env.process(source())
    env.run()
    mean_wait = statistics.fmean(waits)
    p_wait = sum(1 for w in waits if w > 0) / len(waits)
    seconds = time.perf_counter() - started
    return Outcome(len(waits), seconds, mean_wait, p_wait)


def run_bare_loop(tickets: int, seed: int) -> Outcome:
    """The simplest correct FIFO M/M/c loop: a heap of finish times and a FIFO queue."""
    rng = random.Random(seed)
    started = time.perf_counter()
    busy: list[float] = []
    """Finish times of the busy agents."""
    waiting: deque[tuple[float, float]] = deque()
    """(arrival, handle) of the tickets in the queue, oldest first."""
    waits: list[float] = []

    def finish_until(now: float) -> None:
        """Free every agent done by ``now``; each takes the oldest waiting ticket."""
        while busy and busy[0] <= now:
            done = heapq.heappop(busy)
            if waiting:
                arrived, handle = waiting.popleft()
                waits.append(done - arrived)
                heapq.heappush(busy, done + handle)

    now = 0.0
    for _ in range(tickets):
        now += rng.expovariate(ARRIVAL_RATE)
        handle = rng.expovariate(SERVICE_RATE)
        finish_until(now)
        if len(busy) < AGENTS:
            waits.append(0.0)
            heapq.heappush(busy, now + handle)
        else:
            waiting.append((now, handle))
    finish_until(math.inf)
    mean_wait = statistics.fmean(waits)
    p_wait = sum(1 for w in waits if w > 0) / len(waits)
    seconds = time.perf_counter() - started
    return Outcome(len(waits), seconds, mean_wait, p_wait)


def measure(runner: Runner, tickets: int, *, seed: int, repeats: int) -> dict[str, Any]:
    """Figures of ``runner``: the median time over ``repeats`` runs with the same seed."""
    outcomes = [runner(tickets, seed) for _ in range(repeats)]
    seconds = statistics.median(o.seconds for o in outcomes)
    first = outcomes[0]
    return {
        "tickets": first.tickets,
        "seconds": round(seconds, 3),
        "tickets_per_s": round(first.tickets / seconds),
        "mean_wait_min": round(first.mean_wait, 4),
        "p_wait": round(first.p_wait, 4),
    }


def theory() -> dict[str, float]:
    """Erlang C for the scenario."""
    return {
        "mean_wait_min": round(erlang_c_mean_wait(ARRIVAL_RATE, SERVICE_RATE, AGENTS), 4),
        "p_wait": round(erlang_c(ARRIVAL_RATE, SERVICE_RATE, AGENTS), 4),
    }


SCENARIO = {
    "model": "M/M/10 FIFO",
    "arrivals_per_hour": ARRIVALS_PER_HOUR,
    "mean_handle_min": MEAN_HANDLE_MINUTES,
    "agents": AGENTS,
}


def fast(tickets: int, seed: int) -> Outcome:
    """ticketlog's fast mode on M/M/10."""
    return run_ticketlog(mmc(tickets), seed, fast=True)


def full(tickets: int, seed: int) -> Outcome:
    """ticketlog's full-event mode on M/M/10."""
    return run_ticketlog(mmc(tickets), seed, fast=False)


def every_feature(args: argparse.Namespace, repeats: int) -> dict[str, Any]:
    """The demo desk in ticketlog's fast mode against Ciw on the same counts.

    One untimed full-event run of the demo desk counts its arrivals and services (its
    ``TicketAssigned`` events) and measures its span and mean handle time per service;
    Ciw then serves an M/M/c model of the same arrivals, as many servers as the desk has
    ticket slots, and feedback routing that gives the same expected number of services.
    """
    scenario = load_scenario(DEMO_DESK)
    counted = simulate(scenario, draw_arrivals(scenario, seed=args.seed), pull_policy("fifo"))
    services = sum(1 for event in counted.events if isinstance(event, TicketAssigned))
    arrivals = len(counted.facts)
    span_min = (counted.end - counted.start).total_seconds() / 60
    handle_min = sum(f.handle_time.total_seconds() for f in counted.facts) / 60 / services
    slots = sum(group.count * group.capacity for group in scenario.agents)

    def demo(_: int, seed: int) -> Outcome:
        return run_ticketlog(scenario, seed, fast=True)

    def baseline(tickets: int, seed: int) -> Outcome:
        return run_ciw(
            tickets,
            seed,
            arrival_rate=arrivals / span_min,
            service_rate=1 / handle_min,
            servers=slots,
            feedback=max(0.0, 1 - arrivals / services),
        )

    ours = measure(demo, arrivals, seed=args.seed, repeats=repeats)
    ciws = measure(baseline, arrivals, seed=args.seed, repeats=repeats)
    ours_rate = services / ours["seconds"]
    ciw_rate = ciws["tickets"] / ciws["seconds"]
    return {
        "scenario": DEMO_DESK.name,
        "arrivals": arrivals,
        "services": services,
        "ticketlog_fast": {"seconds": ours["seconds"], "services_per_s": round(ours_rate)},
        "ciw_same_counts": {
            "arrivals": arrivals,
            "services": ciws["tickets"],
            "servers": slots,
            "seconds": ciws["seconds"],
            "services_per_s": round(ciw_rate),
        },
        "ratio_every_feature_fast_to_ciw": round(ours_rate / ciw_rate, 2),
    }


def verdicts(figures: dict[str, float]) -> dict[str, dict[str, Any]]:
    """Each target among ``figures``: its value, the target, and whether it is met."""
    checks: dict[str, Callable[[float, float], bool]] = {
        ">=": lambda value, bound: value >= bound,
        "<": lambda value, bound: value < bound,
    }
    return {
        name: {
            "value": figures[name],
            "target": f"{op} {bound:g}",
            "met": checks[op](figures[name], bound),
        }
        for name, (op, bound) in TARGETS.items()
        if name in figures
    }


def print_verdicts(targets: dict[str, dict[str, Any]]) -> None:
    """One line per target: met or missed."""
    for name, verdict in targets.items():
        state = "met" if verdict["met"] else "MISSED"
        print(f"target {name} {verdict['target']}: {verdict['value']:g} ({state})")


def compare(args: argparse.Namespace) -> None:
    """Time the implementations and print the table (or one JSON object)."""
    repeats = args.repeats or 3
    runs: dict[str, tuple[str, Runner, int]] = {
        "ticketlog_fast": ("ticketlog (fast)", fast, args.tickets),
        "ticketlog_full": ("ticketlog (full events)", full, args.full_tickets),
        "ciw": (f"Ciw {version('ciw')}", run_ciw, args.tickets),
        "simpy": (f"SimPy {version('simpy')}", run_simpy, args.tickets),
        "bare_loop": ("bare heapq loop", run_bare_loop, args.tickets),
    }
    rows = {
        name: measure(runner, tickets, seed=args.seed, repeats=repeats)
        for name, (_, runner, tickets) in runs.items()
    }
    rate = {name: row["tickets_per_s"] for name, row in rows.items()}
    erlang = theory()
    demo = every_feature(args, repeats)
    ratios = {
        "ratio_fast_to_ciw": round(rate["ticketlog_fast"] / rate["ciw"], 2),
        "ratio_fast_to_simpy": round(rate["ticketlog_fast"] / rate["simpy"], 2),
        "ratio_fast_to_bare_loop": round(rate["ticketlog_fast"] / rate["bare_loop"], 2),
        "ratio_full_to_ciw": round(rate["ticketlog_full"] / rate["ciw"], 2),
        "ratio_every_feature_fast_to_ciw": demo["ratio_every_feature_fast_to_ciw"],
    }
    targets = verdicts(ratios)
    figures: dict[str, Any] = {
        "benchmark": "simulation",
        **SCENARIO,
        "repeats": repeats,
        "loop": loop(),
        "versions": {"ciw": version("ciw"), "simpy": version("simpy")},
        **rows,
        "erlang_c": erlang,
        "every_feature": demo,
        **ratios,
        "targets": targets,
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(
        f"M/M/10 FIFO, {ARRIVALS_PER_HOUR:.0f}/h, mean handle {MEAN_HANDLE_MINUTES:.0f} min; "
        f"median of {repeats} runs; ticketlog's kernel loop {loop()}"
    )
    print("implementation            tickets   tickets/s  mean wait min  P(wait)")
    for name, row in rows.items():
        print(
            f"{runs[name][0]:<23} {row['tickets']:>9,} {row['tickets_per_s']:>11,} "
            f"{row['mean_wait_min']:>14.4f} {row['p_wait']:>8.4f}"
        )
    print(f"{'Erlang C':<23} {'':>21} {erlang['mean_wait_min']:>14.4f} {erlang['p_wait']:>8.4f}")
    ciw_demo = demo["ciw_same_counts"]
    print(
        f"\n{demo['scenario']}, every feature on: {demo['arrivals']:,} arrivals, "
        f"{demo['services']:,} services; ticketlog fast "
        f"{demo['ticketlog_fast']['services_per_s']:,} services/s, Ciw M/M/{ciw_demo['servers']} "
        f"with feedback ({ciw_demo['services']:,} services) {ciw_demo['services_per_s']:,}/s"
    )
    print(", ".join(f"{name} {value:.2f}" for name, value in ratios.items()))
    print_verdicts(targets)


_CHILD = """
import json, resource, sys
sys.path.insert(0, sys.argv[1])
from simulation import fast, interpret
if sys.argv[4] == "interpreted":
    interpret()
outcome = fast(int(sys.argv[2]), int(sys.argv[3]))
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({**outcome._asdict(), "peak_mb": peak_mb}))
"""
"""One fast-mode run in a fresh interpreter: its outcome and the child's peak memory."""


def in_subprocess(tickets: int, seed: int) -> dict[str, Any]:
    """:func:`fast` on ``tickets`` tickets in a child process, with its peak memory (MB)."""
    folder = str(Path(__file__).parent)
    child = subprocess.run(  # noqa: S603 - this interpreter and fixed arguments
        [sys.executable, "-c", _CHILD, folder, str(tickets), str(seed), loop()],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, Any] = json.loads(child.stdout)
    return figures


def million(args: argparse.Namespace) -> None:
    """Time ticketlog's fast mode alone on 1M tickets, each run in a fresh subprocess."""
    runs = [in_subprocess(MILLION, args.seed) for _ in range(args.repeats or 1)]
    seconds = statistics.median(run["seconds"] for run in runs)
    peak_mb = max(run["peak_mb"] for run in runs)
    first = runs[0]
    row = {
        "tickets": first["tickets"],
        "seconds": round(seconds, 3),
        "tickets_per_s": round(first["tickets"] / seconds),
        "peak_mb": round(peak_mb, 1),
        "mean_wait_min": round(first["mean_wait"], 4),
        "p_wait": round(first["p_wait"], 4),
    }
    targets = verdicts({"million_seconds": row["seconds"], "million_peak_mb": row["peak_mb"]})
    erlang = theory()
    if args.json:
        print(
            json.dumps(
                {
                    "benchmark": "simulation-million",
                    **SCENARIO,
                    "repeats": len(runs),
                    "loop": loop(),
                    "ticketlog_fast": row,
                    "erlang_c": erlang,
                    "targets": targets,
                }
            )
        )
        return
    print(
        f"ticketlog (fast, {loop()} loop), {row['tickets']:,} tickets: {row['seconds']:.1f} s "
        f"({row['tickets_per_s']:,} tickets/s), peak memory {row['peak_mb']:.0f} MB; "
        f"mean wait {row['mean_wait_min']:.4f} min, P(wait) {row['p_wait']:.4f} "
        f"(Erlang C {erlang['mean_wait_min']:.4f} min, {erlang['p_wait']:.4f})"
    )
    print_verdicts(targets)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument(
        "--full-tickets", type=int, default=20_000, help="tickets for ticketlog's full-event mode"
    )
    parser.add_argument("--repeats", type=int, help="runs per figure (default 3; 1 with --million)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--million", action="store_true", help="only ticketlog's fast mode, on 1M tickets"
    )
    parser.add_argument(
        "--interpreted", action="store_true", help="run the kernel's interpreted loop"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.interpreted:
        interpret()
    if args.million:
        million(args)
    else:
        compare(args)


if __name__ == "__main__":
    main()
