"""A desk's events survive the store: a second desk on the same SQLite file or PostgreSQL
database reads back exactly what the first one wrote, and nothing a rejected command tried.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from uuid import UUID, uuid4

import attrs
import pytest
from eventsourcing.persistence import StoredEvent

from tests.integration.support import PostgresServer
from ticketlog import (
    AgentNotFound,
    AgentOffline,
    AlreadyRated,
    DomainEvent,
    DuplicateId,
    HelpDesk,
    InvalidTransition,
    ManualClock,
    NotTheHolder,
    OutOfOrder,
    PostgresStore,
    SQLiteStore,
    StoreUnavailable,
    TicketAlreadyAssigned,
    TicketIsClosed,
    TicketlogError,
    TicketNotFound,
    TicketStatus,
)

Store = SQLiteStore | PostgresStore

FUTURE_TOPIC = "ticketlog:FutureEvent"
"""The topic of an event type some later version of ticketlog might write."""

LIFE = [
    "TicketReceived",
    "TicketAssigned",
    "TicketResponded",
    "TicketResponded",
    "TicketTransferred",
    "TicketEscalated",
    "TicketAssigned",
    "TicketResolved",
    "TicketRated",
    "TicketReopened",
    "TicketAssigned",
    "TicketResolved",
    "TicketClosed",
]
"""The event types of :func:`live_a_full_life`, in order."""


@attrs.frozen
class Staff:
    """The agents of the scenario."""

    alice: UUID
    """Tier 1, first to take the ticket."""
    bob: UUID
    """Tier 1, takes the ticket over by transfer."""
    carol: UUID
    """Tier 2, solves it after the escalation."""
    dave: UUID
    """Tier 1, offline."""


def log(desk: HelpDesk) -> list[tuple[int, DomainEvent]]:
    """Everything ``desk`` can read from its store, with positions."""
    return list(desk.read_log())


def count(desk: HelpDesk) -> int:
    """How many (readable) events the store holds."""
    return sum(1 for _ in desk.read_log())


def hire(desk: HelpDesk, clock: ManualClock) -> Staff:
    """Four agents, one of whom changed profile and one who went offline."""
    alice = desk.join_agent("Alice", capacity=2, skills=["billing"], languages=["en", "fr"])
    bob = desk.join_agent("Bob", team="billing", capacity=3, skills=["billing"])
    carol = desk.join_agent("Carol", team="specialists", tier=2, capacity=5, skills=["billing"])
    dave = desk.join_agent("Dave", online=False)
    clock.advance(minutes=1)
    desk.change_agent(alice, capacity=4, skills=["billing", "refunds"])
    desk.go_offline(bob)
    desk.go_online(bob)
    return Staff(alice=alice, bob=bob, carol=carol, dave=dave)


def live_a_full_life(desk: HelpDesk, clock: ManualClock, staff: Staff) -> UUID:
    """One ticket from receipt to closure, through every kind of step."""
    ticket = desk.receive(
        channel="email",
        customer_id="cust-42",
        subject="Charged twice",
        category="billing",
        priority="high",
        plan="gold",
        customer_value=1250.5,
        first_time=True,
        estimated_effort=timedelta(minutes=20, seconds=30),
        required_skills=["billing"],
    )
    clock.advance(minutes=3)
    desk.assign(ticket, staff.alice, by="router", policy="least-loaded")
    clock.advance(minutes=7)
    desk.respond(ticket, staff.alice)
    clock.advance(seconds=45)
    desk.respond(ticket, staff.alice, public=False)
    clock.advance(minutes=2)
    desk.transfer(ticket, to_agent_id=staff.bob, to_queue="billing", actor_id=staff.alice)
    clock.advance(hours=1)
    desk.escalate(
        ticket, kind="hierarchical", to_queue="specialists", actor_id=staff.bob, reason="refund"
    )
    clock.advance(minutes=10)
    desk.assign(ticket, staff.carol)
    clock.advance(hours=2)
    desk.resolve(ticket, staff.carol, code="refunded")
    # A customer in another time zone: the instant survives the store (kept in UTC).
    rated_at = clock.advance(hours=20).astimezone(timezone(timedelta(hours=-5)))
    desk.rate(ticket, csat=2, nps=6, comment="took long", at=rated_at)
    clock.advance(hours=1)
    desk.reopen(ticket, reason="refund not received")
    clock.advance(minutes=5)
    desk.assign(ticket, staff.carol, by="supervisor", actor_id=staff.alice)
    clock.advance(minutes=30)
    desk.resolve(ticket, staff.carol)
    clock.advance(days=7)
    desk.close_ticket(ticket, reason="no reply in 7 days")
    return ticket


def test_a_new_desk_reads_back_exactly_what_another_desk_wrote(
    store: Store, clock: ManualClock
) -> None:
    with HelpDesk(store, clock=clock) as writer:
        staff = hire(writer, clock)
        waiting = writer.receive(channel="chat", customer_id="cust-7")
        ticket = live_a_full_life(writer, clock, staff)
        written_ticket = writer.ticket(ticket)
        written_events = writer.ticket_events(ticket)
        written_timeline = writer.timeline(ticket)
        written_agents = {a: writer.agent(a) for a in attrs.astuple(staff)}
        written_log = log(writer)
        written_holdings = {a: writer.held_by(a) for a in attrs.astuple(staff)}

    with HelpDesk(store, clock=clock) as reader:
        assert reader.ticket(ticket) == written_ticket
        assert reader.ticket_events(ticket) == written_events
        timeline = reader.timeline(ticket)
        assert timeline == written_timeline
        assert [(e.at, e.summary) for e in timeline] == [
            (e.at, e.summary) for e in written_timeline
        ]
        assert {a: reader.agent(a) for a in attrs.astuple(staff)} == written_agents
        assert log(reader) == written_log
        assert {a: reader.held_by(a) for a in attrs.astuple(staff)} == written_holdings
        assert reader.ticket(waiting).status is TicketStatus.WAITING

    state = written_ticket
    assert state.status is TicketStatus.CLOSED
    assert (state.transfers, state.escalations, state.reopens) == (1, 1, 1)
    assert (state.tier, state.queue, state.last_agent_id) == (2, "specialists", staff.carol)
    assert (state.rated, state.csat, state.nps) == (False, 2, 6)
    assert state.estimated_effort == timedelta(minutes=20, seconds=30)
    assert state.required_skills == frozenset({"billing"})
    assert [e.event_type for e in written_events] == LIFE
    rated = written_events[LIFE.index("TicketRated")]
    assert rated.at == written_events[LIFE.index("TicketResolved")].at + timedelta(hours=20)
    assert rated.at.utcoffset() == timedelta(0)
    assert [e.actor for e in written_timeline[1:4]] == [None, "Alice", "Alice"]  # router, replies
    assert "assigned to Carol (by supervisor)" in written_timeline[-3].summary
    assert written_agents[staff.alice].capacity == 4
    assert written_agents[staff.alice].skills == frozenset({"billing", "refunds"})
    assert not written_agents[staff.dave].online
    positions = [position for position, _ in written_log]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    # 4 agents joined, 3 went online with joining, alice changed, bob off and on again; the
    # agents' side of the 8 changes of holder (alice, alice to bob, bob off, carol 2 x 2).
    assert len(written_log) == 4 + 3 + 1 + 2 + 1 + len(LIFE) + 8


def test_times_and_log_positions_survive_exactly(store: Store, clock: ManualClock) -> None:
    with HelpDesk(store, clock=clock) as writer:
        first = writer.receive(channel="phone", customer_id="c1")
        clock.advance(microseconds=1)
        second = writer.receive(channel="phone", customer_id="c2", at=clock.now())
        written = log(writer)

    with HelpDesk(store, clock=clock) as reader:
        assert log(reader) == written
        assert reader.ticket(second).received_at - reader.ticket(first).received_at == timedelta(
            microseconds=1
        )
        assert [event.originator_id for _, event in reader.read_log(written[0][0])] == [second]
        assert list(reader.read_log(written[-1][0])) == []


def test_rejected_commands_write_nothing(store: Store, clock: ManualClock) -> None:
    with HelpDesk(store, clock=clock) as desk:
        staff = hire(desk, clock)
        ticket = desk.receive(channel="email", customer_id="c1")
        other = desk.receive(channel="chat", customer_id="c2")
        desk.assign(ticket, staff.alice)
        clock.advance(minutes=1)

        before = log(desk)
        with pytest.raises(TicketAlreadyAssigned):
            desk.assign(ticket, staff.bob)
        with pytest.raises(NotTheHolder):
            desk.respond(ticket, staff.bob)
        with pytest.raises(InvalidTransition):
            desk.reopen(ticket)
        with pytest.raises(OutOfOrder):
            desk.respond(ticket, staff.alice, at=datetime(2000, 1, 1, tzinfo=UTC))
        with pytest.raises(AgentOffline):
            desk.assign(other, staff.dave)
        with pytest.raises(AgentNotFound):
            desk.assign(other, uuid4())
        with pytest.raises(DuplicateId):  # the store's unique key turns it down
            desk.receive(channel="phone", customer_id="c3", ticket_id=other)
        with pytest.raises(DuplicateId):
            desk.join_agent("Alice again", agent_id=staff.alice)
        assert log(desk) == before

        desk.resolve(ticket, staff.alice)
        desk.rate(ticket, csat=5)
        rated = log(desk)
        with pytest.raises(AlreadyRated):
            desk.rate(ticket, nps=10)
        assert log(desk) == rated

        desk.close_ticket(ticket)
        closed = log(desk)
        with pytest.raises(TicketIsClosed):
            desk.close_ticket(ticket)
        with pytest.raises(TicketIsClosed):
            desk.assign(ticket, staff.alice)
        assert log(desk) == closed
        assert len(closed) == len(before) + 4  # and Alice's AgentStoppedHolding

    with HelpDesk(store, clock=clock) as reader:
        assert log(reader) == closed
        assert [e.event_type for e in reader.ticket_events(ticket)] == [
            "TicketReceived",
            "TicketAssigned",
            "TicketResolved",
            "TicketRated",
            "TicketClosed",
        ]
        assert reader.ticket(other).status is TicketStatus.WAITING
        assert reader.held_by(staff.alice) == frozenset()


def test_unknown_ids_raise_not_found(store: Store, clock: ManualClock) -> None:
    with HelpDesk(store, clock=clock) as desk:
        agent = desk.join_agent("Alice")
        ticket = desk.receive(channel="email", customer_id="c1")
        stored = count(desk)
        nobody = uuid4()

        with pytest.raises(TicketNotFound) as caught:
            desk.ticket(nobody)
        assert caught.value.ticket_id == nobody
        with pytest.raises(TicketNotFound):
            desk.ticket_events(nobody)
        with pytest.raises(TicketNotFound):
            desk.timeline(nobody)
        with pytest.raises(TicketNotFound):
            desk.assign(nobody, agent)
        with pytest.raises(TicketNotFound):
            desk.close_ticket(nobody)
        with pytest.raises(TicketNotFound):
            desk.ticket(agent)  # an agent is not a ticket
        with pytest.raises(AgentNotFound):
            desk.agent(ticket)  # nor a ticket an agent
        with pytest.raises(AgentNotFound):
            desk.go_online(nobody)
        assert desk.held_by(nobody) == frozenset()
        assert count(desk) == stored


def test_events_of_unknown_types_are_skipped_and_break_nothing(
    store: Store, clock: ManualClock
) -> None:
    with HelpDesk(store, clock=clock) as desk:
        agent = desk.join_agent("Alice", capacity=3)
        ticket = desk.receive(channel="email", customer_id="c1")
        known = log(desk)
        future = uuid4()
        desk.recorder.insert_events(
            [
                StoredEvent(
                    originator_id=future, originator_version=1, topic=FUTURE_TOPIC, state=b"{}"
                )
            ]
        )
        desk.assign(ticket, agent)
        after = log(desk)

    with HelpDesk(store, clock=clock) as reader:
        everything = log(reader)
        assert everything == after
        assert everything[: len(known)] == known
        assert len(everything) == len(known) + 2  # the assignment and Alice's holding
        # The unknown event took a position of its own, which the reader skipped.
        skipped = everything[-2][0] - known[-1][0]
        assert skipped >= 2
        assert list(reader.read_log(known[-1][0] + 1)) == everything[-2:]
        assert reader.ticket(ticket).agent_id == agent
        assert reader.held_by(agent) == {ticket}
        assert reader.agent(agent).name == "Alice"
        assert [e.event_type for e in reader.timeline(ticket)] == [
            "TicketReceived",
            "TicketAssigned",
        ]
        # Reading the unknown aggregate itself fails as a ticketlog error, not a crash.
        with pytest.raises(TicketlogError):
            reader.ticket(future)
        second = reader.receive(channel="chat", customer_id="c2")
        reader.assign(second, agent)
        assert reader.held_by(agent) == {ticket, second}


@pytest.mark.postgres
def test_rows_live_in_the_configured_postgres_schema(
    postgres_server: PostgresServer, postgres_store: PostgresStore, clock: ManualClock
) -> None:
    postgres_server.create_schema(postgres_store.dbname, "desk")
    in_schema = postgres_store.model_copy(update={"db_schema": "desk"})

    with HelpDesk(in_schema, clock=clock) as writer:
        staff = hire(writer, clock)
        ticket = live_a_full_life(writer, clock, staff)
        written = log(writer)
    with HelpDesk(in_schema, clock=clock) as reader:
        assert log(reader) == written
        assert reader.ticket(ticket).status is TicketStatus.CLOSED

    assert postgres_server.row_counts(postgres_store.dbname) == {
        f"desk.{HelpDesk.name}_events": len(written),
        f"desk.{HelpDesk.name}_snapshots": 0,  # agents this young have none yet
    }

    # The default schema of the same database is a different, empty desk.
    with HelpDesk(postgres_store, clock=clock) as elsewhere:
        assert log(elsewhere) == []
        with pytest.raises(TicketNotFound):
            elsewhere.ticket(ticket)


@pytest.mark.postgres
def test_a_missing_postgres_schema_is_reported_as_store_unavailable(
    postgres_store: PostgresStore,
) -> None:
    missing = postgres_store.model_copy(update={"db_schema": "nowhere"})
    with pytest.raises(StoreUnavailable, match="nowhere"):
        HelpDesk(missing)


@pytest.mark.postgres
def test_an_unreachable_postgres_raises_store_unavailable() -> None:
    unreachable = PostgresStore(dbname="ticketlog", port=1, connect_timeout=1)
    with pytest.raises(StoreUnavailable, match=re.escape("127.0.0.1:1/")) as caught:
        HelpDesk(unreachable)
    assert isinstance(caught.value, TicketlogError)
    assert caught.value.__suppress_context__  # no psycopg traceback chained to it


def test_an_sqlite_file_in_a_missing_directory_raises_store_unavailable(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match=re.escape("desk.db")):
        HelpDesk(SQLiteStore(path=tmp_path / "no" / "such" / "dir" / "desk.db"))
