"""Simulation throughput: the M/M/10 FIFO scenario in ticketlog, Ciw and SimPy.

One model — Poisson arrivals at 100 tickets an hour, exponential handle times with a
mean of 5 minutes, 10 agents, first in first out — served in the same run by:

* ``ticketlog (fast)``: ``draw_arrivals`` + ``simulate(..., fast=True)`` + the full KPIs
  (``result.kpis()``);
* ``ticketlog (full events)``: the same with ``fast=False``, every domain event emitted
  and folded into the desk's read models (slower, so over ``--full-tickets`` tickets);
* ``Ciw``: ``ciw.create_network`` and ``Simulation.simulate_until_max_customers``, the
  mean wait and P(wait) read from its records;
* ``SimPy``: a ``Resource`` of 10 agents and one process per customer, as in SimPy's
  own examples.

Each run includes drawing the random numbers and computing its mean wait and P(wait > 0),
which are printed next to Erlang C's so the three can be seen to agree (one run of 200k
tickets pins the mean wait only to about ±10 %: waits are autocorrelated). The figures
are tickets/s (the median over ``--repeats`` runs with the same seed) and the ratios
ticketlog fast / Ciw and ticketlog fast / SimPy. ``--million`` times ticketlog's fast
mode alone on 1M tickets (one run unless ``--repeats`` says otherwise).

    python benchmarks/simulation.py [--tickets 200000] [--full-tickets 20000] [--json]
    python benchmarks/simulation.py --million [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable, Generator
from importlib.metadata import version
from typing import Any, NamedTuple

import ciw  # type: ignore[import-untyped]
import simpy

from ticketlog.policies.registry import pull_policy
from ticketlog.simulation import (
    AgentGroup,
    Exponential,
    Scenario,
    draw_arrivals,
    erlang_c,
    erlang_c_mean_wait,
    simulate,
)

ARRIVALS_PER_HOUR = 100.0
MEAN_HANDLE_MINUTES = 5.0
AGENTS = 10
ARRIVAL_RATE = ARRIVALS_PER_HOUR / 60  # per minute
SERVICE_RATE = 1 / MEAN_HANDLE_MINUTES  # per minute


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


def run_ticketlog(tickets: int, seed: int, *, fast: bool) -> Outcome:
    """Draw the arrivals, simulate them under FIFO and compute the full KPIs."""
    scenario = Scenario(
        tickets=tickets,
        arrivals_per_hour=ARRIVALS_PER_HOUR,
        handle_time=Exponential(mean_minutes=MEAN_HANDLE_MINUTES),
        agents=(AgentGroup(count=AGENTS),),
    )
    policy = pull_policy("fifo")
    started = time.perf_counter()
    arrivals = draw_arrivals(scenario, seed=seed)
    result = simulate(scenario, arrivals, policy, fast=fast)
    kpis = result.kpis()
    waited = sum(1 for f in result.facts if f.wait)
    seconds = time.perf_counter() - started
    assert kpis.wait.mean is not None  # noqa: S101 - every ticket is served
    return Outcome(kpis.wait.count, seconds, kpis.wait.mean.total_seconds() / 60, waited / tickets)


def run_ciw(tickets: int, seed: int) -> Outcome:
    """Ciw's M/M/c: a one-node network run until ``tickets`` customers have completed."""
    started = time.perf_counter()
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=ARRIVAL_RATE)],
        service_distributions=[ciw.dists.Exponential(rate=SERVICE_RATE)],
        number_of_servers=[AGENTS],
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
    """ticketlog's fast mode."""
    return run_ticketlog(tickets, seed, fast=True)


def full(tickets: int, seed: int) -> Outcome:
    """ticketlog's full-event mode."""
    return run_ticketlog(tickets, seed, fast=False)


def compare(args: argparse.Namespace) -> None:
    """Time the four implementations and print the table (or one JSON object)."""
    repeats = args.repeats or 3
    runs: dict[str, tuple[str, Runner, int]] = {
        "ticketlog_fast": ("ticketlog (fast)", fast, args.tickets),
        "ticketlog_full": ("ticketlog (full events)", full, args.full_tickets),
        "ciw": (f"Ciw {version('ciw')}", run_ciw, args.tickets),
        "simpy": (f"SimPy {version('simpy')}", run_simpy, args.tickets),
    }
    rows = {
        name: measure(runner, tickets, seed=args.seed, repeats=repeats)
        for name, (_, runner, tickets) in runs.items()
    }
    rate = {name: row["tickets_per_s"] for name, row in rows.items()}
    erlang = theory()
    figures: dict[str, Any] = {
        "benchmark": "simulation",
        **SCENARIO,
        "repeats": repeats,
        "versions": {"ciw": version("ciw"), "simpy": version("simpy")},
        **rows,
        "erlang_c": erlang,
        "ratio_fast_to_ciw": round(rate["ticketlog_fast"] / rate["ciw"], 2),
        "ratio_fast_to_simpy": round(rate["ticketlog_fast"] / rate["simpy"], 2),
        "ratio_full_to_ciw": round(rate["ticketlog_full"] / rate["ciw"], 2),
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(
        f"M/M/10 FIFO, {ARRIVALS_PER_HOUR:.0f}/h, mean handle {MEAN_HANDLE_MINUTES:.0f} min; "
        f"median of {repeats} runs"
    )
    print("implementation            tickets   tickets/s  mean wait min  P(wait)")
    for name, row in rows.items():
        print(
            f"{runs[name][0]:<23} {row['tickets']:>9,} {row['tickets_per_s']:>11,} "
            f"{row['mean_wait_min']:>14.4f} {row['p_wait']:>8.4f}"
        )
    print(f"{'Erlang C':<23} {'':>21} {erlang['mean_wait_min']:>14.4f} {erlang['p_wait']:>8.4f}")
    print(
        f"ratio ticketlog fast/Ciw {figures['ratio_fast_to_ciw']:.2f}, "
        f"fast/SimPy {figures['ratio_fast_to_simpy']:.2f}, "
        f"full events/Ciw {figures['ratio_full_to_ciw']:.2f}"
    )


def million(args: argparse.Namespace) -> None:
    """Time ticketlog's fast mode alone on 1M tickets."""
    row = measure(fast, 1_000_000, seed=args.seed, repeats=args.repeats or 1)
    erlang = theory()
    if args.json:
        print(json.dumps({"benchmark": "simulation-million", **SCENARIO, "ticketlog_fast": row}))
        return
    print(
        f"ticketlog (fast), {row['tickets']:,} tickets: {row['seconds']:.1f} s "
        f"({row['tickets_per_s']:,} tickets/s); mean wait {row['mean_wait_min']:.4f} min, "
        f"P(wait) {row['p_wait']:.4f} (Erlang C {erlang['mean_wait_min']:.4f} min, "
        f"{erlang['p_wait']:.4f})"
    )


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
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.million:
        million(args)
    else:
        compare(args)


if __name__ == "__main__":
    main()
