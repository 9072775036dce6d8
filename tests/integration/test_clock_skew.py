"""Two desks on one store whose clocks are 2 s apart: the one behind still assigns, pulls
and routes (its commands are recorded at the streams' times), until the gap exceeds the
skew tolerance; then a ticket changed too late for its time is passed over."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ticketlog import HelpDesk, ManualClock, OutOfOrder, PostgresStore, SQLiteStore

Store = SQLiteStore | PostgresStore


def test_a_desk_whose_clock_is_2_seconds_behind_assigns_pulls_and_routes(
    store: Store, clock: ManualClock
) -> None:
    ahead = ManualClock(clock.now() + timedelta(seconds=2))
    with HelpDesk(store, clock=ahead) as front, HelpDesk(store, clock=clock) as behind:
        ann = front.join_agent("Ann", capacity=3)
        tickets = []
        for n in range(3):
            tickets.append(front.receive(channel="chat", customer_id=f"c-{n}"))
            ahead.advance(seconds=1)
        clock.advance(seconds=2)  # still 2 s behind, and before the last ticket

        assert behind.assign_next(ann, "fifo") == tickets[0]
        assert behind.route(tickets[1]) == ann
        behind.assign(tickets[2], ann)

        assert behind.held_by(ann) == set(tickets) == behind.agent(ann).holdings
        last = front.ticket_events(tickets[2])
        assert last[-1].at == last[0].at  # recorded at the ticket's own latest time


def test_beyond_the_tolerance_the_desk_behind_passes_the_ticket_over(
    store: Store, clock: ManualClock
) -> None:
    ahead = ManualClock(clock.now() + timedelta(seconds=2))
    with (
        HelpDesk(store, clock=ahead) as front,
        HelpDesk(store, clock=clock, skew_tolerance=timedelta(seconds=0.5)) as behind,
    ):
        ann = front.join_agent("Ann")
        early = behind.receive(channel="chat", customer_id="c-1")
        clock.advance(seconds=1)
        later = behind.receive(channel="chat", customer_id="c-2")
        front.reprioritise(early, "high")  # at the front's time, 1 s after ``later``'s

        with pytest.raises(OutOfOrder):
            behind.assign(early, ann)
        assert behind.assign_next(ann, "fifo") == later
        assert behind.ticket(early).agent_id is None
