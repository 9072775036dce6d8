"""How faithfully a replay keeps an imported history's journeys: work, steps, pauses, fidelity.

A synthetic status log (:func:`ticketlog.imports.synthetic.write_status_log`, ``--cases``
cases, ``--seed``) is imported into an in-memory store with the ``status-log`` preset and
traced (:func:`~ticketlog.simulation.trace_from_store`). The figures: the mean work
content a replay gives a ticket (its active work) against the mean time people held it
(the work content replays used before); the steps of the journeys by kind; for the
tickets never reopened, the transfers and escalations and the SLA pauses per ticket, and
the resolution SLA attainment, recorded and replayed under fifo; the fidelity block of the
as-recorded baseline (:mod:`ticketlog.simulation.fidelity`, as ``compare --json`` gives it
but for its hour-by-hour backlog): each KPI recorded, as the baseline gives it back and
the relative error in %, the earth mover's distances of the waits and cycle times, and
how many of its takings went past the taker's capacity (at recorded takings of that many
tickets at once); the share of the recorded waiting time
(until the first taking) that came after the taker's first moment on their inferred
shift, which those calendars explain only by the taker being busy; and the mean wait of
what-if policies on the same staffing.

    python benchmarks/journeys.py [--cases 2000] [--seed 1] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from collections import Counter
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from ticketlog import HelpDesk
from ticketlog.imports import import_file, preset
from ticketlog.imports.synthetic import write_status_log
from ticketlog.policies import easiest_first, fifo, priority
from ticketlog.projections import TicketFacts, compute_kpis
from ticketlog.simulation import Trace, simulate, trace_from_store
from ticketlog.simulation.fidelity import Fidelity, as_recorded
from ticketlog.simulation.replay import team_queues_for


def minutes(durations: Iterable[timedelta | None]) -> float:
    """The mean of ``durations`` in minutes (``None`` ones left out)."""
    return statistics.fmean(d.total_seconds() / 60 for d in durations if d is not None)


def per_ticket(facts: list[TicketFacts]) -> dict[str, float]:
    """Handoffs and SLA pauses per ticket, and the resolution SLA attainment (%)."""
    now = max(f.resolved_at for f in facts if f.resolved_at is not None)
    return {
        "handoffs": statistics.fmean(f.transfers + f.escalations for f in facts),
        "pauses": statistics.fmean(len(f.pauses) for f in facts),
        "sla_resolution_pct": compute_kpis(facts, now=now).sla_resolution or 0.0,
    }


def waiting_after_on_shift_pct(trace: Trace) -> float:
    """The share (%) of the recorded waiting time, from arrival to the first taking, that
    came after the taker's first moment on shift since the arrival, in the replay's
    staffing: what a replay binding each ticket to its taker cuts if they have room."""
    assert trace.recorded is not None  # noqa: S101 - a trace of a history has its record
    rotas = {spec.agent_id: spec.rota for spec in trace.agents}
    waited = after = timedelta(0)
    for f in trace.recorded.facts:
        taken = trace.recorded.taken[f.ticket_id]
        rota = rotas[taken[0].agent_id] if taken else None
        if f.wait is None or rota is None:
            continue
        waited += f.wait
        shift = rota.next_shift(f.received_at)
        if shift is not None and shift[0] < taken[0].at:
            after += taken[0].at - shift[0]
    return 100 * after / waited


def figures(trace: Trace) -> dict[str, Any]:
    """The benchmark's figures for ``trace`` (see the module docstring)."""
    assert trace.recorded is not None  # noqa: S101 - a trace of a history has its record
    recorded = {f.ticket_id: f for f in trace.recorded.facts}
    served = [a for a in trace.arrivals if a.patience is None]
    replayed = {f.ticket_id: f for f in simulate(trace, trace.arrivals, fifo(), fast=True).facts}
    once = [t for t, f in recorded.items() if f.resolutions and not f.reopens]
    baseline = simulate(trace, trace.arrivals, as_recorded(trace.recorded))
    fidelity = Fidelity.of(trace.recorded, baseline)
    return {
        "tickets": len(trace.arrivals),
        "work_mean_min": round(minutes(a.work + a.reopen_work for a in served), 1),
        "held_mean_min": round(minutes(recorded[a.ticket_id].handle_time for a in served), 1),
        "steps": dict(Counter(s.kind for a in trace.arrivals for s in a.steps)),
        "never_reopened": len(once),
        "recorded": per_ticket([recorded[t] for t in once]),
        "replayed_fifo": per_ticket([replayed[t] for t in once]),
        "fidelity": {k: v for k, v in fidelity.to_json().items() if k != "backlog"},
        "recorded_wait_after_taker_on_shift_pct": round(waiting_after_on_shift_pct(trace), 1),
        "what_if_wait_mean_min": {
            name: minutes([simulate(trace, trace.arrivals, policy, fast=True).kpis().wait.mean])
            for name, policy in (
                ("fifo", fifo()),
                ("priority", priority()),
                ("easiest-first", easiest_first()),
                ("team-queues", team_queues_for(trace)),
            )
        },
    }


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, HelpDesk("memory://") as desk:
        log = Path(folder) / "status-log.csv"
        write_status_log(log, args.cases, seed=args.seed)
        import_file(desk, log, preset("status-log"))
        found = figures(trace_from_store(desk))
    if args.json:
        print(json.dumps(found, indent=2))
        return
    for name, value in found.items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
