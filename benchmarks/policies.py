"""Replay cost per policy: a recorded trace of a large three-tier desk under every built-in.

The trace is built once, the way a real one is: a synthetic status log
(:func:`ticketlog.imports.synthetic.write_status_log`, ``--cases`` cases: about 95 % are
replayed, worked by ``--people`` people on three support levels) is imported into a
fresh SQLite store with the ``status-log`` preset, and
:func:`~ticketlog.simulation.trace_from_store` reads it back. A status log records no
shifts (no online or offline rows), so each person's staffing is inferred from their
ticket events (:mod:`ticketlog.simulation.staffing`: a weekly calendar of the hours they
took on work, within the period they appear in, and the capacity of their active work);
the figures say how many hours a week and how many tickets at once. The trace is pickled next
to the store, and each built-in pull policy (every name of
:mod:`ticketlog.policies.registry` that makes a pull policy) replays it in a subprocess
of its own, through :func:`~ticketlog.simulation.compare.compare` as an analyst would
(which picks the engine's mode for the policy). A policy whose replay does not finish
within ``--timeout`` seconds is reported as timed out and its subprocess is ended; a
policy that refuses to run without options is reported with its error.

The figures are the replay's seconds per policy (unpickling the trace is not counted)
and ``ratio_<policy>_to_fifo``, seconds over fifo's; the target is every built-in within
twice fifo's time. A policy that refuses the trace (``value`` when every ticket is worth
the same to it: it would be FIFO in disguise) is reported as refused, with its reason,
and is not a miss.

    python benchmarks/policies.py [--cases 8000] [--people 3000] [--timeout 300] [--json]
    python benchmarks/policies.py --replay POLICY --trace TRACE.pickle  # one replay, timed
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ticketlog import ConfigurationError, HelpDesk
from ticketlog.imports import import_file, preset
from ticketlog.imports.synthetic import write_status_log
from ticketlog.policies import PullPolicy
from ticketlog.policies.registry import create, names
from ticketlog.simulation import Calendar, Trace, trace_from_store
from ticketlog.simulation.compare import compare

TARGET = 2.0
"""Every built-in within this many times fifo's replay time."""


def pull_policies() -> list[str]:
    """The names of the registry's pull policies (routers are not replayed)."""
    found = []
    for name in names():
        try:
            policy = create(name)
        except ConfigurationError:  # it needs options: replayed, it reports its refusal
            found.append(name)
            continue
        if isinstance(policy, PullPolicy):
            found.append(name)
    return found


def build_trace(cases: int, people: int, seed: int, folder: Path) -> tuple[Path, dict[str, Any]]:
    """Write, import and read back the trace; pickle it in ``folder``. Return it and figures."""
    log, store, pickled = folder / "status-log.csv", folder / "desk.db", folder / "trace.pickle"
    started = time.perf_counter()
    rows = write_status_log(log, cases, seed=seed, people=people)
    written = time.perf_counter()
    with HelpDesk(f"sqlite:///{store}") as desk:
        report = import_file(desk, log, preset("status-log"))
        imported = time.perf_counter()
        recorded = trace_from_store(desk)
    read = time.perf_counter()
    trace = recorded
    pickled.write_bytes(pickle.dumps(trace))
    tiers = sorted({spec.profile.tier for spec in trace.agents})
    calendars = [spec.rota for spec in trace.agents if isinstance(spec.rota, Calendar)]
    hours = statistics.mean(c.hours_per_week for c in calendars) if calendars else 0.0
    return pickled, {
        "cases": cases,
        "rows": rows,
        "events": report.events_written,
        "tickets": len(trace.arrivals),
        "skipped": trace.skipped,
        "agents": len(trace.agents),
        "agents_on_inferred_calendars": len(calendars),
        "inferred_hours_per_week_mean": round(hours, 1),
        "inferred_capacities": dict(
            sorted(Counter(s.profile.capacity for s in trace.agents).items())
        ),
        "tiers": tiers,
        "write_s": round(written - started, 2),
        "import_s": round(imported - written, 2),
        "trace_s": round(read - imported, 2),
    }


def replay(policy: str, pickled: Path) -> dict[str, Any]:
    """Replay the pickled trace under ``policy`` in this process; its seconds and a KPI."""
    trace: Trace = pickle.loads(pickled.read_bytes())  # noqa: S301 - the benchmark's own file
    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=1) as here:
            comparison = compare(trace, [policy], executor=here)
    except ConfigurationError as refusal:  # e.g. value on tickets all worth the same
        return {"refused": " ".join(str(refusal).split())}
    seconds = time.perf_counter() - started
    (kpis,) = comparison.results.values()
    wait = kpis["wait_mean_min"].mean  # NaN when no ticket was served: JSON says null
    return {"seconds": round(seconds, 3), "wait_mean_min": wait if math.isfinite(wait) else None}


def in_subprocess(policy: str, pickled: Path, timeout: float) -> dict[str, Any]:
    """:func:`replay` in a child process, ended after ``timeout`` seconds."""
    command = [sys.executable, __file__, "--replay", policy, "--trace", str(pickled)]
    try:
        child = subprocess.run(  # noqa: S603 - this interpreter and fixed arguments
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "seconds": None, "timeout_s": timeout}
    if child.returncode != 0:
        last = (child.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"status": "error", "seconds": None, "error": last}
    figures = json.loads(child.stdout)
    if "refused" in figures:
        return {"status": "refused", "seconds": None, "error": figures["refused"]}
    return {"status": "ok", **figures}


def run(args: argparse.Namespace) -> None:
    """Build the trace, replay it under every pull policy, print the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        pickled, trace = build_trace(args.cases, args.people, args.seed, Path(tmp))
        policies = {name: in_subprocess(name, pickled, args.timeout) for name in pull_policies()}
    fifo = policies["fifo"]["seconds"]
    ratios = {
        f"ratio_{name.replace('-', '_')}_to_fifo": (
            None if row["seconds"] is None or fifo is None else round(row["seconds"] / fifo, 2)
        )
        for name, row in policies.items()
        if name != "fifo" and row["status"] != "refused"
    }
    met = all(ratio is not None and ratio <= TARGET for ratio in ratios.values())
    figures = {
        "benchmark": "policies",
        "trace": trace,
        "timeout_s": args.timeout,
        "policies": policies,
        **ratios,
        "target": f"every ratio <= {TARGET:g}",
        "target_met": met,
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(
        f"Trace: {trace['tickets']:,} tickets replayed ({trace['skipped']:,} left out), "
        f"{trace['agents']:,} agents on tiers {trace['tiers']} "
        f"({trace['agents_on_inferred_calendars']:,} on inferred calendars, "
        f"{trace['inferred_hours_per_week_mean']:g} h a week on average, capacities "
        f"{trace['inferred_capacities']}); built from {trace['rows']:,} "
        f"rows in {trace['write_s'] + trace['import_s'] + trace['trace_s']:.1f} s"
    )
    print("policy           seconds  ratio to fifo  mean wait min")
    for name, row in policies.items():
        if row["status"] == "refused":  # not a slow replay: the policy has nothing to rank by
            print(f"{name:<15} refused to run: {row['error']}")
            continue
        ratio = 1.0 if name == "fifo" else ratios[f"ratio_{name.replace('-', '_')}_to_fifo"]
        if row["status"] == "ok":
            wait = "none served" if row["wait_mean_min"] is None else f"{row['wait_mean_min']:.2f}"
            print(f"{name:<15} {row['seconds']:>8.2f} {ratio:>14.2f} {wait:>14}")
        elif row["status"] == "timeout":
            print(f"{name:<15} did not finish within {args.timeout:g} s")
        else:
            print(f"{name:<15} failed: {row['error']}")
    print(f"target every built-in within {TARGET:g}x of fifo: {'met' if met else 'MISSED'}")


def main() -> None:
    """Run the benchmark (or, with ``--replay``, one replay) and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=8_000, help="cases in the status log")
    parser.add_argument("--people", type=int, default=3_000, help="people working them")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per policy")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--replay", metavar="POLICY", help="replay --trace under POLICY only")
    parser.add_argument("--trace", type=Path, help="a trace pickled by this benchmark")
    args = parser.parse_args()
    if args.replay is None:
        run(args)
    elif args.trace is None:
        parser.error("--replay needs --trace")
    else:
        print(json.dumps(replay(args.replay, args.trace)))


if __name__ == "__main__":
    main()
