"""Automatic escalation on real stores: once per breach across restarts and processes.

The escalator keeps no state of its own: what was escalated is in the log (each
``TicketEscalated`` names its ``breach``) and the ticket refuses a second escalation of
the same breach. So a desk and escalator opened afresh on the same SQLite file or
PostgreSQL database, or two escalators in two OS processes ticking at the same moment,
never record a breach twice.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from tests.integration.escalation_support import Escalated, Ticking, tick_in_process
from ticketlog import (
    AlreadyEscalated,
    EscalationKind,
    HelpDesk,
    ManualClock,
    PostgresStore,
    SlaTarget,
    SQLiteStore,
    TicketEscalated,
)
from ticketlog.processes import EscalationPath, SlaEscalator

Store = SQLiteStore | PostgresStore

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
"""Tuesday 24 November 2026, 09:00 UTC."""

PATH = EscalationPath.of((1, "general"), (2, "experts"), (3, "engineering"))

FIRST_REPLY_MISSED = START + timedelta(minutes=16)
"""Urgent tickets received at START were due a first reply at 09:15."""
RESOLUTION_MISSED = START + timedelta(hours=4, minutes=1)
"""... and a resolution at 13:00; normal ones a first reply at 13:00."""

TICKETS = 50
TIMEOUT = 60.0
"""Seconds any one wait (a round's start, a worker's result) may take before failing."""


def breaches(desk: HelpDesk, ticket: UUID) -> list[tuple[SlaTarget | None, str]]:
    """The breach and destination of each stored escalation of ``ticket``, oldest first."""
    return [
        (e.breach, e.to_queue) for e in desk.ticket_events(ticket) if isinstance(e, TicketEscalated)
    ]


def test_an_escalator_restarted_on_the_same_store_escalates_each_breach_once(
    store: Store,
) -> None:
    clock = ManualClock(START)
    with HelpDesk(store, clock=clock) as desk:
        urgent = [
            desk.receive(channel="chat", customer_id=f"c-{n}", priority="urgent", at=START)
            for n in range(3)
        ]
        normal = desk.receive(channel="email", customer_id="c-9", at=START)
        assert sorted(SlaEscalator(desk, PATH).tick(FIRST_REPLY_MISSED)) == sorted(urgent)

    with HelpDesk(store, clock=clock) as desk:  # a restart: new desk, new escalator
        escalator = SlaEscalator(desk, PATH)
        assert desk.ticket(urgent[0]).escalated_breaches == frozenset({SlaTarget.FIRST_REPLY})
        assert escalator.tick(FIRST_REPLY_MISSED) == []
        assert escalator.tick(FIRST_REPLY_MISSED + timedelta(minutes=10)) == []
        # The stored ticket itself refuses the same breach again, view or no view.
        events = sum(1 for _ in desk.read_log())
        with pytest.raises(AlreadyEscalated):
            desk.escalate(
                urgent[0],
                kind=EscalationKind.AUTOMATIC,
                breach=SlaTarget.FIRST_REPLY,
                to_tier=3,
                to_queue="engineering",
                at=FIRST_REPLY_MISSED + timedelta(minutes=11),
            )
        assert sum(1 for _ in desk.read_log()) == events
        # Later, new breaches: the urgent tickets' resolution, the normal one's first reply.
        assert sorted(escalator.tick(RESOLUTION_MISSED)) == sorted([*urgent, normal])

    with HelpDesk(store, clock=clock) as desk:  # and once more
        escalator = SlaEscalator(desk, PATH)
        assert escalator.tick(RESOLUTION_MISSED) == []
        assert escalator.tick(RESOLUTION_MISSED + timedelta(hours=1)) == []
        for ticket in urgent:
            assert breaches(desk, ticket) == [
                (SlaTarget.FIRST_REPLY, "experts"),
                (SlaTarget.RESOLUTION, "engineering"),
            ]
        assert breaches(desk, normal) == [(SlaTarget.FIRST_REPLY, "experts")]
        [stored] = [e for e in desk.ticket_events(normal) if isinstance(e, TicketEscalated)]
        assert stored.breach is SlaTarget.FIRST_REPLY
        assert stored.kind is EscalationKind.AUTOMATIC
        assert stored.actor_id is None
        assert stored.at == RESOLUTION_MISSED
        assert stored.reason == "deadline 2026-11-24 13:00 UTC passed"


def race(job: Ticking, workers: int) -> list[Escalated]:
    """One spawned OS process per escalator; their outcomes in worker order."""
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(workers)
    opening = ctx.Lock()
    results = ctx.Queue()
    processes = [
        ctx.Process(
            target=tick_in_process,
            args=(job,),
            kwargs={"worker": n, "opening": opening, "start": start, "results": results},
            name=f"escalator-{n}",
        )
        for n in range(workers)
    ]
    for process in processes:
        process.start()
    try:
        outcomes: list[Escalated] = [results.get(timeout=TIMEOUT) for _ in processes]
        for process in processes:
            process.join(TIMEOUT)
        assert [p.exitcode for p in processes] == [0] * workers
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join()
        results.close()
    return sorted(outcomes, key=lambda o: o.worker)


@pytest.mark.slow
def test_escalators_in_two_processes_escalate_each_breach_once_in_total(
    store: Store, record_property: Callable[[str, object], None]
) -> None:
    with HelpDesk(store, clock=ManualClock(START)) as desk:
        tickets = [
            desk.receive(channel="chat", customer_id=f"c-{n}", priority="urgent", at=START)
            for n in range(TICKETS)
        ]
    job = Ticking(
        store=store, path=PATH, rounds=(FIRST_REPLY_MISSED, RESOLUTION_MISSED), timeout=TIMEOUT
    )

    outcomes = race(job, workers=2)

    assert [o.failures for o in outcomes] == [(), ()]
    shares = [[len(escalated) for escalated in o.rounds] for o in outcomes]
    record_property("escalated_per_worker_and_round", shares)  # how the work was split
    for round_ in range(2):
        escalated = Counter(t for o in outcomes for t in o.rounds[round_])
        assert sorted(escalated) == sorted(tickets), f"round {round_}"
        assert set(escalated.values()) == {1}, f"round {round_}: escalated twice"
    with HelpDesk(store) as reader:
        for ticket in tickets:
            assert breaches(reader, ticket) == [
                (SlaTarget.FIRST_REPLY, "experts"),
                (SlaTarget.RESOLUTION, "engineering"),
            ]
        assert sum(1 for _ in reader.read_log()) == 3 * TICKETS
