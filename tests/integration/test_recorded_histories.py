"""Recorded histories and handoffs in real stores: written by one desk, read back by another.

An imported ticket (source ids, a resolution by the system, a reassignment, a release, a
de-escalation) survives an SQLite file and a PostgreSQL database event for event, with the
same view rebuilt; a batch of events naming an unknown agent writes nothing at all.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from ticketlog import (
    HelpDesk,
    InvalidHistory,
    ManualClock,
    PostgresStore,
    SQLiteStore,
    TicketAssigned,
    TicketResolved,
    TicketStatus,
)
from ticketlog.domain.ticket import Ticket

Store = SQLiteStore | PostgresStore


def test_handoffs_and_a_recorded_history_read_back_exactly(
    store: Store, clock: ManualClock
) -> None:
    with HelpDesk(store, clock=clock) as writer:
        ann = writer.join_agent("Ann", tier=2, capacity=3, teams=["vip"])
        bob = writer.join_agent("Bob", tier=2, capacity=3)
        live = writer.receive(channel="email", customer_id="c-1", tier=2)
        writer.assign(live, ann)
        clock.advance(minutes=5)
        writer.reassign(live, bob, reason="specialist")
        clock.advance(minutes=5)
        writer.release(live, bob)
        writer.deescalate(live, reason="push to front")
        imported = Ticket.receive(
            ticket_id=uuid4(),
            at=clock.now(),
            channel="unknown",
            customer_id="c-2",
            source="status-log",
            source_id="INC0012345",
        )
        imported.record(TicketAssigned, at=clock.now() + timedelta(minutes=1), agent_id=ann)
        imported.record(TicketResolved, at=clock.now() + timedelta(minutes=9), actor_id=None)
        writer.save(imported)
        written = {t: (writer.ticket(t), writer.ticket_events(t)) for t in (live, imported.id)}
        written_view = writer.view()
        written_timeline = writer.timeline(live)

    with HelpDesk(store, clock=clock) as reader:
        assert {t: (reader.ticket(t), reader.ticket_events(t)) for t in written} == written
        assert reader.view() == written_view
        assert reader.timeline(live) == written_timeline
        assert reader.agent(ann).all_teams == {"general", "vip"}
        state = reader.ticket(imported.id)
        assert (state.status, state.source, state.source_id) == (
            TicketStatus.RESOLVED,
            "status-log",
            "INC0012345",
        )
        facts = reader.view().facts.tickets[imported.id]
        assert (facts.resolver_id, facts.handle_time) == (None, timedelta(minutes=8))
    assert [e.event_type for e in written[live][1]][-3:] == [
        "TicketReassigned",
        "TicketReleased",
        "TicketDeescalated",
    ]


def test_a_batch_naming_an_unknown_agent_writes_nothing(store: Store, clock: ManualClock) -> None:
    with HelpDesk(store, clock=clock) as desk:
        ann = desk.join_agent("Ann")
        before = sum(1 for _ in desk.read_log())
        ticket = Ticket.receive(ticket_id=uuid4(), at=clock.now(), channel="chat", customer_id="c")
        ticket.record(TicketAssigned, at=clock.now(), agent_id=ann)
        ticket.record(TicketResolved, at=clock.now(), actor_id=uuid4())

        with pytest.raises(InvalidHistory, match="neither in the batch nor in the store"):
            desk.save(*ticket.collect_events())

    with HelpDesk(store, clock=clock) as reader:
        assert sum(1 for _ in reader.read_log()) == before
