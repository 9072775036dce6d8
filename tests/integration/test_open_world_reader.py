"""The open-world reader on real stores: rows this ticketlog cannot use stop nothing else.

Rows are written as raw stored events through the store's own recorder (the mapper is
bypassed), as a newer ticketlog, an older one, or damage would have left them. Every test
runs on an SQLite file and on a PostgreSQL database.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from ticketlog import HelpDesk, ManualClock, PostgresStore, Priority, SQLiteStore
from ticketlog.domain.events import TicketReceived
from ticketlog.domain.values import AwaitedParty, TicketStatus
from ticketlog.persistence.mapper import CorruptEvent
from ticketlog.projections import DeskView, fold

Store = SQLiteStore | PostgresStore

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ANN = UUID(int=0xA1)
OLD, NEW = UUID(int=1), UUID(int=2)


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def row(stream: UUID, version: int, topic: str, state: dict[str, Any] | bytes) -> StoredEvent:
    """A raw stored event (``state`` as JSON, or bytes as they are)."""
    if isinstance(state, dict):
        ids = {"originator_id": str(stream), "originator_version": version}
        state = json.dumps(ids | state).encode()
    return StoredEvent(originator_id=stream, originator_version=version, topic=topic, state=state)


RECEIVED_V1: dict[str, Any] = {
    "actor_id": None,
    "channel": "email",
    "customer_id": "cust-old",
    "category": "billing",
    "priority": "urgent",
    "language": "en",
    "plan": "pro",
    "customer_value": 12.5,
    "first_time": False,
    "estimated_effort": 600.0,
    "subject": "invoice",
    "queue": "general",
    "tier": 1,
    "required_skills": [],
}
"""A TicketReceived as ticketlog wrote it before schema versions (no source ids)."""


def predecessor_rows() -> list[StoredEvent]:
    """Ann and one ticket, in the shapes the previous release stored (schema version 1)."""
    profile = {"team": "general", "tier": 2, "capacity": 3, "skills": [], "languages": ["en"]}
    return [
        row(ANN, 1, "ticketlog:AgentJoined", {"at": at(0), "name": "Ann", "profile": profile}),
        row(ANN, 2, "ticketlog:AgentWentOnline", {"at": at(0)}),
        row(ANN, 3, "ticketlog:AgentProfileChanged", {"at": at(1), "profile": profile}),
        row(OLD, 1, "ticketlog:TicketReceived", {"at": at(2)} | RECEIVED_V1),
        row(
            OLD,
            2,
            "ticketlog:TicketEscalated",
            {
                "at": at(3),
                "actor_id": None,
                "kind": "functional",
                "from_tier": 1,
                "to_tier": 2,
                "from_queue": "general",
                "to_queue": "experts",
                "from_agent_id": None,
                "reason": "",
            },
        ),
        row(
            OLD,
            3,
            "ticketlog:TicketAssigned",
            {"at": at(4), "actor_id": None, "agent_id": str(ANN), "by": "self", "policy": None},
        ),
        row(
            OLD,
            4,
            "ticketlog:TicketAwaitingCustomer",
            {"at": at(5), "actor_id": str(ANN), "reason": "which invoice?"},
        ),
    ]


def test_a_store_written_with_the_predecessor_event_shapes_reads_and_works(
    store: Store, clock: ManualClock
) -> None:
    with HelpDesk(store, clock=clock) as desk:
        desk.recorder.insert_events(predecessor_rows())
        clock.set(T0 + timedelta(minutes=10))

        ticket = desk.ticket(OLD)
        assert (ticket.priority, ticket.category, ticket.source, ticket.tier) == (
            Priority.URGENT,
            "billing",
            None,
            2,
        )
        assert ticket.awaiting_customer
        events = desk.ticket_events(OLD)
        assert [e.event_type for e in events][-1] == "TicketAwaitingCustomer"
        assert getattr(events[-1], "party", None) is AwaitedParty.CUSTOMER
        assert getattr(events[1], "breach", "unset") is None
        agent = desk.agent(ANN)
        assert (agent.profile.teams, agent.profile.tier, agent.online) == (frozenset(), 2, True)
        assert agent.profile.reviewer is False  # upcast: a version 2 profile had no role
        assert desk.held_by(ANN) == {OLD}
        assert desk.health().ok

        desk.customer_replied(OLD)
        desk.resolve(OLD, ANN)
        assert desk.ticket(OLD).status is TicketStatus.RESOLVED
        new = desk.receive(channel="chat", customer_id="cust-new")
        stored = desk.recorder.select_events(new)[0]
        assert json.loads(stored.state)["class_version"] == TicketReceived.class_version == 2
        assert desk.ticket(new).status is TicketStatus.WAITING
        assert desk.view() == fold(DeskView(), (e for _, e in desk.read_log()))


def two_tickets(desk: HelpDesk, clock: ManualClock) -> None:
    """Ann online; ticket OLD received first, then NEW (FIFO offers OLD first)."""
    desk.join_agent("Ann", capacity=5, agent_id=ANN)
    clock.advance(minutes=1)
    desk.receive(channel="email", customer_id="cust-old", ticket_id=OLD)
    clock.advance(minutes=1)
    desk.receive(channel="email", customer_id="cust-new", ticket_id=NEW)
    clock.advance(minutes=1)


def test_an_unknown_event_type_is_skipped_counted_and_appended_after(
    store: Store, clock: ManualClock
) -> None:
    with HelpDesk(store, clock=clock) as desk:
        two_tickets(desk, clock)
        merged = {"at": at(2), "actor_id": None, "into": str(NEW)}
        desk.recorder.insert_events([row(OLD, 2, "ticketlog:TicketMerged", merged)])

        assert desk.assign_next(ANN, "fifo") == OLD
        assert [e.originator_version for e in desk.ticket_events(OLD)] == [1, 3]
        assert desk.held_by(ANN) == {OLD}
        health = desk.health()
        assert dict(health.unknown_topics) == {"ticketlog:TicketMerged": 1}
        assert health.quarantined == ()
        # Read again from 0: 7 rows (the assignment is saved with Ann's holding), one unknown.
        assert len(list(desk.read_log())) == 6
        assert dict(desk.health().unknown_topics) == {"ticketlog:TicketMerged": 1}  # once


UNREADABLE: dict[str, tuple[str, dict[str, Any] | bytes, str]] = {
    "extra field": (
        "ticketlog:TicketResponded",
        {"at": at(2), "actor_id": str(ANN), "public": True, "mood": "grumpy"},
        "mood",
    ),
    "missing field": (
        "ticketlog:TicketResponded",
        {"at": at(2), "actor_id": str(ANN)},
        "required fields missing: public",
    ),
    "not JSON": ("ticketlog:TicketResponded", b"\x00\x01 not json", "not a JSON object"),
    "newer schema version": (
        "ticketlog:TicketEscalated",
        {"class_version": 3, "at": at(2), "kind": "functional"},
        "schema version 3",
    ),
}


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_an_unreadable_row_is_quarantined_and_the_rest_of_the_desk_works(
    store: Store, clock: ManualClock, case: str
) -> None:
    topic, state, reason = UNREADABLE[case]
    assigned = {"at": at(3), "actor_id": None, "agent_id": str(ANN), "by": "self", "policy": None}
    with HelpDesk(store, clock=clock) as desk:
        two_tickets(desk, clock)
        desk.recorder.insert_events([row(OLD, 2, topic, state)])
        position = max(n.id for n in desk.recorder.select_notifications(start=1, limit=100))
        desk.recorder.insert_events([row(OLD, 3, "ticketlog:TicketAssigned", assigned)])

        assert desk.assign_next(ANN, "fifo") == NEW  # OLD is offered first, and skipped
        assert desk.held_by(ANN) == {NEW}  # OLD's later, readable assignment is held back
        with pytest.raises(CorruptEvent, match=reason) as excinfo:
            desk.ticket(OLD)
        assert excinfo.value.originator_id == OLD
        desk.resolve(NEW, ANN)
        assert desk.ticket(NEW).status is TicketStatus.RESOLVED

        (quarantined,) = desk.health().quarantined
        assert (quarantined.originator_id, quarantined.originator_version) == (OLD, 2)
        assert (quarantined.topic, quarantined.position) == (topic, position)
        assert reason in quarantined.reason
        assert desk.health().quarantined_streams == {OLD}
        assert desk.view() == fold(DeskView(), (e for _, e in desk.read_log()))


def test_a_ticket_stored_without_priority_is_an_error_for_that_ticket_never_normal(
    store: Store, clock: ManualClock
) -> None:
    received = {"at": at(2)} | {k: v for k, v in RECEIVED_V1.items() if k != "priority"}
    with HelpDesk(store, clock=clock) as desk:
        two_tickets(desk, clock)
        bad = UUID(int=3)
        desk.recorder.insert_events([row(bad, 1, "ticketlog:TicketReceived", received)])

        with pytest.raises(CorruptEvent, match="required fields missing: priority"):
            desk.ticket(bad)
        with pytest.raises(CorruptEvent):
            desk.assign(bad, ANN)
        assert desk.view().queues.get(bad) is None
        assert desk.assign_next(ANN, "fifo") == OLD
        assert desk.health().quarantined_streams == {bad}
        assert desk.recorder.select_events(bad)[-1].originator_version == 1  # nothing written


def test_an_unreadable_agent_is_passed_over_by_routing_and_named_by_id(
    store: Store, clock: ManualClock
) -> None:
    bo = UUID(int=0xB0)
    with HelpDesk(store, clock=clock) as desk:
        desk.join_agent("Ann", capacity=5, agent_id=ANN)
        desk.join_agent("Bo", capacity=5, agent_id=bo)
        tickets = [desk.receive(channel="chat", customer_id=f"c-{n}") for n in range(4)]
        for ticket, agent in zip(tickets, (bo, ANN, ANN), strict=False):
            desk.assign(ticket, agent)
        clock.advance(minutes=1)
        following = len(desk.recorder.select_events(bo)) + 1  # after Bo's holdings too
        desk.recorder.insert_events([row(bo, following, "ticketlog:AgentWentOffline", b"{")])

        # least-loaded offers Bo (one ticket) before Ann (two); Bo's stream is unreadable
        assert desk.route(tickets[3], "least-loaded") == ANN
        with pytest.raises(CorruptEvent):
            desk.agent(bo)
        (held_by_bo,) = (e for e in desk.timeline(tickets[0]) if e.event_type == "TicketAssigned")
        assert str(bo) in held_by_bo.summary  # its name cannot be read
        assert desk.health().quarantined_streams == {bo}
