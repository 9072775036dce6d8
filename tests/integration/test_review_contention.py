"""Reviewers on several desks pull reviews at once: every sampled ticket gets exactly the
number of reviews its sampler wants, each from a different reviewer, and none is lost.

The parent writes :data:`TICKETS` resolved tickets; :data:`REVIEWERS` threads, each with a
desk of its own on the shared SQLite file or PostgreSQL database, call ``review_next`` and
``review`` until nothing is left. All start from the oldest resolution, so they contend
for the same review slots.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime
from uuid import UUID

import pytest

from ticketlog import Criterion, HelpDesk, ManualClock, PostgresStore, Scorecard, SQLiteStore
from ticketlog.policies.review import RandomShare

pytestmark = pytest.mark.slow

TICKETS = 40
REVIEWERS = 4
TIMEOUT = 60.0
CARD = Scorecard(name="support", criteria=(Criterion(name="accuracy"), Criterion(name="tone")))
SAMPLER = RandomShare(share=1.0, second_opinion=0.5, seed=7)


def prepare(
    store: SQLiteStore | PostgresStore, clock: ManualClock
) -> tuple[list[UUID], list[UUID]]:
    with HelpDesk(store, clock=clock, scorecards=[CARD]) as desk:
        ana = desk.join_agent("Ana", capacity=TICKETS)
        reviewers = [
            desk.join_agent(f"Reviewer {n}", reviewer=True, online=False) for n in range(REVIEWERS)
        ]
        tickets = []
        for n in range(TICKETS):
            clock.advance(seconds=1)
            ticket = desk.receive(channel="chat", customer_id=f"customer-{n}")
            desk.assign(ticket, ana)
            desk.resolve(ticket, ana)
            tickets.append(ticket)
    return reviewers, tickets


def review_all(
    store: SQLiteStore | PostgresStore,
    clock: ManualClock,
    reviewer: UUID,
    start: threading.Barrier,
    done: list[UUID],
) -> None:
    with HelpDesk(store, clock=clock, scorecards=[CARD]) as desk:
        desk.view()
        start.wait(TIMEOUT)
        while (ticket := desk.review_next(reviewer, SAMPLER)) is not None:
            desk.review(ticket, reviewer, {"accuracy": 4, "tone": 5})
            done.append(ticket)


def test_concurrent_reviewers_give_each_ticket_the_reviews_it_wants(
    store: SQLiteStore | PostgresStore,
) -> None:
    clock = ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    reviewers, tickets = prepare(store, clock)
    start = threading.Barrier(REVIEWERS)
    done: list[UUID] = []
    threads = [
        threading.Thread(target=review_all, args=(store, clock, r, start, done)) for r in reviewers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)
    with HelpDesk(store, clock=clock, scorecards=[CARD]) as desk:
        view = desk.view()
        facts = view.facts.tickets
        wanted = {t: SAMPLER.wanted(facts[t]) for t in tickets}
        records = view.reviews.records
    per_ticket = Counter(r.ticket_id for r in records)
    assert per_ticket == Counter(wanted)  # exactly as many reviews as wanted, none lost
    assert sorted(done) == sorted(r.ticket_id for r in records)  # every one acknowledged
    pairs = Counter((r.ticket_id, r.reviewer_id) for r in records)
    assert set(pairs.values()) == {1}  # never the same reviewer twice on a ticket
    assert 2 in per_ticket.values()  # second opinions were wanted and given
