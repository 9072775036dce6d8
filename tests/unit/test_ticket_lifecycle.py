"""The ticket aggregate in given-events / when-command / then-events-or-error form.

Histories are built from explicit events (``originator_id``, ``originator_version`` and
``at`` spelled out), folded with ``Ticket.from_events``; a command is then run on the
rebuilt ticket and what it recorded (``collect_events``) or raised is checked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import hypothesis
import pytest
from hypothesis import strategies as st

from ticketlog.domain import lifecycle
from ticketlog.domain.agent import AgentState
from ticketlog.domain.errors import (
    AgentAtCapacity,
    AgentLacksSkill,
    AgentOffline,
    AlreadyRated,
    CommandRejected,
    InvalidTransition,
    InvalidValue,
    NotTheHolder,
    OutOfOrder,
    SameTarget,
    TicketAlreadyAssigned,
    TicketIsClosed,
    TicketlogError,
    TierTooLow,
)
from ticketlog.domain.events import (
    AgentProfile,
    TicketAbandoned,
    TicketAssigned,
    TicketAwaitingCustomer,
    TicketClosed,
    TicketCustomerReplied,
    TicketDeescalated,
    TicketEscalated,
    TicketEvent,
    TicketRated,
    TicketReassigned,
    TicketReceived,
    TicketReleased,
    TicketReopened,
    TicketReprioritised,
    TicketResolved,
    TicketResponded,
    TicketTransferred,
)
from ticketlog.domain.lifecycle import Command
from ticketlog.domain.ticket import Ticket
from ticketlog.domain.values import (
    MAX_TIER,
    AssignedBy,
    Channel,
    EscalationKind,
    Priority,
    TicketStatus,
)

WAITING, ASSIGNED, RESOLVED, CLOSED, ABANDONED = TicketStatus

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TICKET_ID = UUID("00000000-0000-4000-8000-000000000001")
ANN_ID = UUID("00000000-0000-4000-8000-0000000000a1")
BOB_ID = UUID("00000000-0000-4000-8000-0000000000b2")
SUPERVISOR_ID = UUID("00000000-0000-4000-8000-0000000000c3")


def minute(n: float) -> datetime:
    """The business time ``n`` minutes after :data:`T0`."""
    return T0 + timedelta(minutes=n)


LATER = minute(60)
"""When the command under test happens: after every event of every history below."""


def agent(
    agent_id: UUID = BOB_ID, name: str = "Bob", *, online: bool = True, **profile: Any
) -> AgentState:
    """An agent as routing sees them (default: online, tier 1, capacity 3, speaks en)."""
    profile.setdefault("capacity", 3)
    return AgentState(
        id=agent_id,
        name=name,
        profile=AgentProfile(**profile),
        online=online,
        joined_at=T0,
        last_at=T0,
    )


ANN = agent(ANN_ID, "Ann")
BOB = agent(BOB_ID, "Bob")


# --- given: events with an explicit envelope ------------------------------------------


def received(v: int, at: datetime, **fields: Any) -> TicketReceived:
    fields.setdefault("channel", Channel.EMAIL)
    fields.setdefault("customer_id", "cust-1")
    return TicketReceived(originator_id=TICKET_ID, originator_version=v, at=at, **fields)


def assigned(v: int, at: datetime, agent_id: UUID = ANN_ID, **fields: Any) -> TicketAssigned:
    fields.setdefault("actor_id", agent_id)
    return TicketAssigned(
        originator_id=TICKET_ID, originator_version=v, at=at, agent_id=agent_id, **fields
    )


def responded(v: int, at: datetime, actor_id: UUID = ANN_ID, *, public: bool) -> TicketResponded:
    return TicketResponded(
        originator_id=TICKET_ID, originator_version=v, at=at, actor_id=actor_id, public=public
    )


def transferred(v: int, at: datetime, **fields: Any) -> TicketTransferred:
    return TicketTransferred(originator_id=TICKET_ID, originator_version=v, at=at, **fields)


def escalated(v: int, at: datetime, **fields: Any) -> TicketEscalated:
    return TicketEscalated(originator_id=TICKET_ID, originator_version=v, at=at, **fields)


def resolved(v: int, at: datetime, actor_id: UUID = ANN_ID) -> TicketResolved:
    return TicketResolved(originator_id=TICKET_ID, originator_version=v, at=at, actor_id=actor_id)


def reopened(v: int, at: datetime) -> TicketReopened:
    return TicketReopened(originator_id=TICKET_ID, originator_version=v, at=at)


def rated(v: int, at: datetime, csat: int = 5) -> TicketRated:
    return TicketRated(originator_id=TICKET_ID, originator_version=v, at=at, csat=csat)


def closed(v: int, at: datetime) -> TicketClosed:
    return TicketClosed(originator_id=TICKET_ID, originator_version=v, at=at)


def abandoned(v: int, at: datetime) -> TicketAbandoned:
    return TicketAbandoned(originator_id=TICKET_ID, originator_version=v, at=at)


def given(*events: TicketEvent) -> Ticket:
    """The ticket rebuilt from ``events`` (with nothing pending)."""
    ticket = Ticket.from_events(events)
    assert ticket is not None
    assert ticket.collect_events() == []
    return ticket


def waiting_ticket(**fields: Any) -> Ticket:
    return given(received(1, minute(0), **fields))


def ticket_held_by_ann(**fields: Any) -> Ticket:
    return given(received(1, minute(0), **fields), assigned(2, minute(1), ANN_ID))


def resolved_ticket() -> Ticket:
    return given(received(1, minute(0)), assigned(2, minute(1)), resolved(3, minute(2)))


HISTORIES: dict[TicketStatus, tuple[TicketEvent, ...]] = {
    WAITING: (received(1, minute(0)),),
    ASSIGNED: (received(1, minute(0)), assigned(2, minute(1))),
    RESOLVED: (received(1, minute(0)), assigned(2, minute(1)), resolved(3, minute(2))),
    CLOSED: (received(1, minute(0)), assigned(2, minute(1)), closed(3, minute(2))),
    ABANDONED: (received(1, minute(0)), abandoned(2, minute(1))),
}
"""One history leading to each status; Ann holds the ticket when it is assigned."""


def only_event(ticket: Ticket) -> TicketEvent:
    """The one event the last command recorded."""
    events = ticket.collect_events()
    assert len(events) == 1, events
    return events[0]


def assert_rejected(
    ticket: Ticket, error: type[TicketlogError], command: Callable[[Ticket], None]
) -> str:
    """``command`` raises exactly ``error`` and leaves the ticket untouched; the message."""
    state, version = ticket.state, ticket.version
    with pytest.raises(error) as excinfo:
        command(ticket)
    assert type(excinfo.value) is error
    assert ticket.collect_events() == []
    assert ticket.version == version
    assert ticket.state == state
    return str(excinfo.value)


# --- the lifecycle table --------------------------------------------------------------

SPEC = """
assign         yes      no        no        no      no
respond        no       yes       no        no      no
transfer       yes      yes       no        no      no
reassign       no       yes       no        no      no
release        no       yes       no        no      no
escalate       yes      yes       no        no      no
deescalate     yes      yes       no        no      no
resolve        no       yes       no        no      no
reopen         no       no        yes       no      no
rate           no       no        yes       no      no
close          yes      yes       yes       no      yes
abandon        yes      no        no        no      no
reprioritise   yes      yes       no        no      no
await          no       yes       no        no      no
customer       yes      yes       no        no      no
"""
"""The table of DESIGN section 4, columns waiting, assigned, resolved, closed, abandoned."""


def parse_table(text: str) -> dict[tuple[Command, TicketStatus], bool]:
    table = {}
    for line in text.strip().splitlines():
        command, *cells = line.split()
        assert len(cells) == len(TicketStatus), line
        for status, cell in zip(TicketStatus, cells, strict=True):
            assert cell in ("yes", "no"), line
            table[Command(command), status] = cell == "yes"
    return table


TABLE = parse_table(SPEC)
ALLOWED_CASES = [key for key, allowed in TABLE.items() if allowed]
REJECTED_CASES = [key for key, allowed in TABLE.items() if not allowed]

WHEN: dict[Command, Callable[[Ticket], None]] = {
    Command.ASSIGN: lambda t: t.assign(BOB, holding=0, at=LATER),
    Command.RESPOND: lambda t: t.respond(agent_id=ANN_ID, at=LATER),
    Command.TRANSFER: lambda t: t.transfer(at=LATER, to_queue="billing"),
    Command.REASSIGN: lambda t: t.reassign(BOB, to_agent_holding=0, at=LATER),
    Command.RELEASE: lambda t: t.release(agent_id=ANN_ID, at=LATER),
    Command.ESCALATE: lambda t: t.escalate(at=LATER, kind=EscalationKind.HIERARCHICAL),
    Command.DEESCALATE: lambda t: t.deescalate(at=LATER),
    Command.RESOLVE: lambda t: t.resolve(agent_id=ANN_ID, at=LATER),
    Command.REOPEN: lambda t: t.reopen(at=LATER),
    Command.RATE: lambda t: t.rate(at=LATER, csat=4),
    Command.CLOSE: lambda t: t.close(at=LATER),
    Command.ABANDON: lambda t: t.abandon(at=LATER),
    Command.REPRIORITISE: lambda t: t.reprioritise(at=LATER, priority=Priority.URGENT),
    Command.AWAIT_CUSTOMER: lambda t: t.await_customer(agent_id=ANN_ID, at=LATER),
    Command.CUSTOMER_REPLIED: lambda t: t.customer_replied(at=LATER),
}
"""A valid attempt at each command (valid arguments; only the status may forbid it)."""

EVENT_OF: dict[Command, type[TicketEvent]] = {
    Command.ASSIGN: TicketAssigned,
    Command.RESPOND: TicketResponded,
    Command.TRANSFER: TicketTransferred,
    Command.REASSIGN: TicketReassigned,
    Command.RELEASE: TicketReleased,
    Command.ESCALATE: TicketEscalated,
    Command.DEESCALATE: TicketDeescalated,
    Command.RESOLVE: TicketResolved,
    Command.REOPEN: TicketReopened,
    Command.RATE: TicketRated,
    Command.CLOSE: TicketClosed,
    Command.ABANDON: TicketAbandoned,
    Command.REPRIORITISE: TicketReprioritised,
    Command.AWAIT_CUSTOMER: TicketAwaitingCustomer,
    Command.CUSTOMER_REPLIED: TicketCustomerReplied,
}

STATUS_AFTER: dict[Command, TicketStatus | None] = {
    Command.ASSIGN: ASSIGNED,
    Command.RESPOND: None,
    Command.TRANSFER: WAITING,  # to a queue, nobody named: it waits there
    Command.REASSIGN: ASSIGNED,
    Command.RELEASE: WAITING,
    Command.ESCALATE: WAITING,
    Command.DEESCALATE: WAITING,
    Command.RESOLVE: RESOLVED,
    Command.REOPEN: WAITING,
    Command.RATE: None,
    Command.CLOSE: CLOSED,
    Command.ABANDON: ABANDONED,
    Command.REPRIORITISE: None,
    Command.AWAIT_CUSTOMER: None,
    Command.CUSTOMER_REPLIED: None,
}
"""The status each command leads to (``None``: unchanged)."""


def test_the_table_covers_every_command_and_status() -> None:
    assert set(TABLE) == {(c, s) for c in Command for s in TicketStatus}


def test_the_lifecycle_rules_are_the_documented_table() -> None:
    assert {(c, s) for c in Command for s in lifecycle.ALLOWED[c]} == set(ALLOWED_CASES)


def test_the_lifecycle_module_docstring_shows_the_same_table() -> None:
    doc = lifecycle.__doc__
    assert doc is not None
    rows = [line for line in doc.splitlines() if line.split() and line.split()[0] in set(Command)]
    assert parse_table("\n".join(rows)) == TABLE


@pytest.mark.parametrize("status", list(TicketStatus))
def test_each_given_history_leads_to_its_status(status: TicketStatus) -> None:
    assert given(*HISTORIES[status]).state.status is status


@pytest.mark.parametrize(("command", "status"), ALLOWED_CASES)
def test_an_allowed_command_records_one_event_and_moves_the_ticket(
    command: Command, status: TicketStatus
) -> None:
    ticket = given(*HISTORIES[status])
    version = ticket.version

    WHEN[command](ticket)

    event = only_event(ticket)
    assert type(event) is EVENT_OF[command]
    assert event.originator_id == TICKET_ID
    assert event.originator_version == version + 1
    assert event.at == LATER
    assert ticket.version == version + 1
    assert ticket.state.last_at == LATER
    assert ticket.state.status is (STATUS_AFTER[command] or status)
    assert lifecycle.is_allowed(status, command)


@pytest.mark.parametrize(("command", "status"), REJECTED_CASES)
def test_a_disallowed_command_raises_the_specific_error_and_records_nothing(
    command: Command, status: TicketStatus
) -> None:
    ticket = given(*HISTORIES[status])
    expected: type[InvalidTransition]
    if status is CLOSED:
        expected = TicketIsClosed
    elif command is Command.ASSIGN and status is ASSIGNED:
        expected = TicketAlreadyAssigned
    else:
        expected = InvalidTransition

    message = assert_rejected(ticket, expected, WHEN[command])

    assert str(command) in message
    assert not lifecycle.is_allowed(status, command)


def test_a_resolved_ticket_cannot_be_assigned_until_reopened() -> None:
    ticket = resolved_ticket()
    message = assert_rejected(ticket, InvalidTransition, WHEN[Command.ASSIGN])
    assert "until it is reopened" in message

    ticket.reopen(at=minute(10))
    ticket.assign(BOB, holding=0, at=minute(11))

    assert [type(e) for e in ticket.collect_events()] == [TicketReopened, TicketAssigned]
    assert ticket.state.agent_id == BOB_ID


def test_a_closed_ticket_accepts_nothing() -> None:
    for command in Command:
        ticket = given(*HISTORIES[CLOSED])
        assert_rejected(ticket, TicketIsClosed, WHEN[command])


def test_an_abandoned_ticket_can_only_be_closed() -> None:
    for command in Command:
        ticket = given(*HISTORIES[ABANDONED])
        if command is Command.CLOSE:
            WHEN[command](ticket)
            assert ticket.state.status is CLOSED
        else:
            assert_rejected(ticket, InvalidTransition, WHEN[command])


def test_lifecycle_errors_are_command_rejections() -> None:
    assert issubclass(TicketIsClosed, InvalidTransition)
    assert issubclass(TicketAlreadyAssigned, InvalidTransition)
    assert issubclass(InvalidTransition, CommandRejected)


# --- history ----------------------------------------------------------------------------


def test_a_ticket_history_must_start_with_ticket_received() -> None:
    with pytest.raises(TypeError, match="starts with TicketReceived"):
        Ticket.from_events([assigned(1, minute(0))])


def test_no_events_make_no_ticket() -> None:
    assert Ticket.from_events([]) is None


def test_a_rebuilt_ticket_has_the_version_of_its_latest_event() -> None:
    ticket = given(*HISTORIES[RESOLVED])
    assert ticket.id == TICKET_ID
    assert ticket.version == 3


def test_a_ticket_rebuilt_from_its_recorded_events_has_the_same_state() -> None:
    ticket = Ticket.receive(ticket_id=TICKET_ID, at=minute(0), channel="chat", customer_id="c")
    ticket.assign(ANN, holding=0, at=minute(1))
    ticket.respond(agent_id=ANN_ID, at=minute(2))
    ticket.resolve(agent_id=ANN_ID, at=minute(3))
    ticket.rate(at=minute(4), nps=9)

    rebuilt = given(*ticket.collect_events())

    assert rebuilt.state == ticket.state
    assert rebuilt.version == ticket.version == 5


# --- receive ----------------------------------------------------------------------------


def test_receiving_a_request_records_ticket_received_and_the_ticket_waits() -> None:
    ticket = Ticket.receive(
        ticket_id=TICKET_ID,
        at=T0,
        channel="phone",
        customer_id="cust-9",
        category="billing",
        priority="high",
        language="de",
        plan="pro",
        customer_value=120.5,
        first_time=True,
        estimated_effort=timedelta(minutes=20),
        subject="Invoice twice",
        queue="finance",
        tier=2,
        required_skills={"billing", "sepa"},
    )

    event = only_event(ticket)
    assert event == TicketReceived(
        originator_id=TICKET_ID,
        originator_version=1,
        at=T0,
        channel=Channel.PHONE,
        customer_id="cust-9",
        category="billing",
        priority=Priority.HIGH,
        language="de",
        plan="pro",
        customer_value=120.5,
        first_time=True,
        estimated_effort=timedelta(minutes=20),
        subject="Invoice twice",
        queue="finance",
        tier=2,
        required_skills=frozenset({"billing", "sepa"}),
    )
    state = ticket.state
    assert ticket.id == state.id == TICKET_ID
    assert ticket.version == 1
    assert state.status is WAITING
    assert state.channel is Channel.PHONE
    assert state.priority is Priority.HIGH
    assert (state.queue, state.tier, state.language) == ("finance", 2, "de")
    assert state.required_skills == frozenset({"billing", "sepa"})
    assert state.received_at == state.last_at == T0
    assert state.agent_id is None
    assert state.last_agent_id is None
    assert state.first_response_at is None
    assert state.resolved_at is None
    assert (state.transfers, state.escalations, state.reopens) == (0, 0, 0)
    assert not state.rated
    assert state.is_open


def test_a_received_ticket_has_documented_defaults() -> None:
    state = Ticket.receive(ticket_id=TICKET_ID, at=T0, channel="email", customer_id="c").state
    assert state.category == "general"
    assert state.priority is Priority.NORMAL
    assert state.language == "en"
    assert state.queue == "general"
    assert state.tier == 1
    assert state.required_skills == frozenset()


@pytest.mark.parametrize(
    "fields",
    [
        {"channel": "fax"},
        {"customer_id": ""},
        {"priority": "critical"},
        {"tier": MAX_TIER + 1},
        {"tier": -1},
        {"customer_value": -1.0},
        {"customer_value": float("nan")},
        {"estimated_effort": timedelta(minutes=-1)},
        {"required_skills": {""}},
        {"unknown_field": 1},
    ],
)
def test_receiving_a_malformed_request_is_an_invalid_value(fields: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {"channel": "email", "customer_id": "c", **fields}
    with pytest.raises(InvalidValue):
        Ticket.receive(ticket_id=TICKET_ID, at=T0, **arguments)


# --- assign -------------------------------------------------------------------------------


def test_an_agent_taking_a_ticket_records_themselves_as_actor() -> None:
    ticket = waiting_ticket()

    ticket.assign(BOB, holding=0, at=LATER)

    assert only_event(ticket) == TicketAssigned(
        originator_id=TICKET_ID,
        originator_version=2,
        at=LATER,
        actor_id=BOB_ID,
        agent_id=BOB_ID,
        by=AssignedBy.SELF,
        policy=None,
    )
    assert ticket.state.status is ASSIGNED
    assert ticket.state.agent_id == BOB_ID
    assert ticket.state.last_agent_id == BOB_ID
    assert ticket.state.is_open


def test_a_router_assignment_has_no_actor_and_names_its_policy() -> None:
    ticket = waiting_ticket()

    ticket.assign(BOB, holding=0, at=LATER, by="router", policy="fifo")

    event = only_event(ticket)
    assert isinstance(event, TicketAssigned)
    assert event.by is AssignedBy.ROUTER
    assert event.actor_id is None
    assert event.policy == "fifo"


def test_a_supervisor_assignment_records_the_supervisor_as_actor() -> None:
    ticket = waiting_ticket()

    ticket.assign(BOB, holding=0, at=LATER, by=AssignedBy.SUPERVISOR, actor_id=SUPERVISOR_ID)

    event = only_event(ticket)
    assert isinstance(event, TicketAssigned)
    assert (event.by, event.actor_id, event.agent_id) == (
        AssignedBy.SUPERVISOR,
        SUPERVISOR_ID,
        BOB_ID,
    )


def test_an_assignment_by_an_unknown_kind_of_assigner_is_an_invalid_value() -> None:
    assert_rejected(
        waiting_ticket(), InvalidValue, lambda t: t.assign(BOB, holding=0, at=LATER, by="robot")
    )


def test_an_assigned_ticket_cannot_be_assigned_to_someone_else() -> None:
    assert_rejected(
        ticket_held_by_ann(), TicketAlreadyAssigned, lambda t: t.assign(BOB, holding=0, at=LATER)
    )


# --- eligibility --------------------------------------------------------------------------


def test_an_offline_agent_cannot_be_given_a_ticket() -> None:
    offline = agent(online=False)
    assert_rejected(
        waiting_ticket(), AgentOffline, lambda t: t.assign(offline, holding=0, at=LATER)
    )


def test_an_agent_at_capacity_cannot_be_given_a_ticket() -> None:
    busy = agent(capacity=2)
    message = assert_rejected(
        waiting_ticket(), AgentAtCapacity, lambda t: t.assign(busy, holding=2, at=LATER)
    )
    assert "2 of 2" in message


@hypothesis.given(capacity=st.integers(1, 1_000), holding=st.integers(0, 1_200))
def test_an_agent_can_take_a_ticket_exactly_while_under_capacity(
    capacity: int, holding: int
) -> None:
    ticket = waiting_ticket()
    candidate = agent(capacity=capacity)
    if holding < capacity:
        ticket.assign(candidate, holding=holding, at=LATER)
        assert ticket.state.agent_id == BOB_ID
    else:
        assert_rejected(
            ticket, AgentAtCapacity, lambda t: t.assign(candidate, holding=holding, at=LATER)
        )


def test_an_agent_below_the_tickets_tier_cannot_be_given_it() -> None:
    ticket = waiting_ticket(tier=2)
    assert_rejected(ticket, TierTooLow, lambda t: t.assign(agent(tier=1), holding=0, at=LATER))
    ticket.assign(agent(tier=2), holding=0, at=LATER)
    assert ticket.state.status is ASSIGNED


def test_a_higher_tier_agent_may_take_a_lower_tier_ticket() -> None:
    ticket = waiting_ticket(tier=1)
    ticket.assign(agent(tier=3), holding=0, at=LATER)
    assert ticket.state.status is ASSIGNED


def test_an_agent_lacking_a_required_skill_cannot_be_given_the_ticket() -> None:
    ticket = waiting_ticket(required_skills={"billing", "sepa"})
    message = assert_rejected(
        ticket,
        AgentLacksSkill,
        lambda t: t.assign(agent(skills={"billing"}), holding=0, at=LATER),
    )
    assert "sepa" in message
    ticket.assign(agent(skills={"billing", "sepa", "refunds"}), holding=0, at=LATER)
    assert ticket.state.status is ASSIGNED


def test_an_agent_not_speaking_the_tickets_language_cannot_be_given_it() -> None:
    ticket = waiting_ticket(language="de")
    message = assert_rejected(
        ticket,
        AgentLacksSkill,
        lambda t: t.assign(agent(languages={"en", "fr"}), holding=0, at=LATER),
    )
    assert "'de'" in message
    ticket.assign(agent(languages={"en", "de"}), holding=0, at=LATER)
    assert ticket.state.status is ASSIGNED


def test_the_lifecycle_is_checked_before_eligibility() -> None:
    assert_rejected(
        resolved_ticket(),
        InvalidTransition,
        lambda t: t.assign(agent(online=False), holding=0, at=LATER),
    )


# --- respond ------------------------------------------------------------------------------


def test_the_first_public_reply_sets_the_first_response_time() -> None:
    ticket = ticket_held_by_ann()

    ticket.respond(agent_id=ANN_ID, at=LATER)

    assert only_event(ticket) == TicketResponded(
        originator_id=TICKET_ID, originator_version=3, at=LATER, actor_id=ANN_ID, public=True
    )
    assert ticket.state.first_response_at == LATER
    assert ticket.state.status is ASSIGNED
    assert ticket.state.agent_id == ANN_ID


def test_an_internal_note_is_not_a_first_response() -> None:
    ticket = ticket_held_by_ann()

    ticket.respond(agent_id=ANN_ID, at=minute(10), public=False)

    event = only_event(ticket)
    assert isinstance(event, TicketResponded)
    assert not event.public
    assert ticket.state.first_response_at is None
    assert ticket.state.last_at == minute(10)


def test_only_the_first_public_reply_counts_as_first_response() -> None:
    ticket = given(
        received(1, minute(0)),
        assigned(2, minute(1)),
        responded(3, minute(2), public=False),
        responded(4, minute(3), public=True),
    )
    assert ticket.state.first_response_at == minute(3)

    ticket.respond(agent_id=ANN_ID, at=LATER)

    assert ticket.state.first_response_at == minute(3)
    assert ticket.state.last_at == LATER


def test_only_the_holder_can_respond() -> None:
    assert_rejected(
        ticket_held_by_ann(), NotTheHolder, lambda t: t.respond(agent_id=BOB_ID, at=LATER)
    )


# --- transfer -----------------------------------------------------------------------------


def test_a_transfer_to_another_agent_hands_the_ticket_over() -> None:
    ticket = ticket_held_by_ann()

    ticket.transfer(at=LATER, to_agent=BOB, actor_id=ANN_ID, reason="needs German")

    assert only_event(ticket) == TicketTransferred(
        originator_id=TICKET_ID,
        originator_version=3,
        at=LATER,
        actor_id=ANN_ID,
        from_agent_id=ANN_ID,
        to_agent_id=BOB_ID,
        from_queue="general",
        to_queue="general",
        reason="needs German",
    )
    state = ticket.state
    assert state.status is ASSIGNED
    assert state.agent_id == state.last_agent_id == BOB_ID
    assert state.queue == "general"
    assert state.transfers == 1


def test_a_transfer_to_a_queue_leaves_the_ticket_waiting_there() -> None:
    ticket = ticket_held_by_ann(tier=2)

    ticket.transfer(at=LATER, to_queue="billing")

    event = only_event(ticket)
    assert isinstance(event, TicketTransferred)
    assert (event.from_agent_id, event.to_agent_id) == (ANN_ID, None)
    assert (event.from_queue, event.to_queue) == ("general", "billing")
    state = ticket.state
    assert state.status is WAITING
    assert state.agent_id is None
    assert state.last_agent_id == ANN_ID
    assert state.queue == "billing"
    assert state.tier == 2
    assert state.transfers == 1


def test_a_waiting_ticket_can_be_transferred_straight_to_an_agent() -> None:
    ticket = waiting_ticket()

    ticket.transfer(at=LATER, to_agent=BOB, to_queue="vip")

    assert ticket.state.status is ASSIGNED
    assert ticket.state.agent_id == BOB_ID
    assert ticket.state.queue == "vip"


def test_transfers_are_counted() -> None:
    ticket = given(
        received(1, minute(0)),
        transferred(
            2, minute(1), from_agent_id=None, to_agent_id=None, from_queue="general", to_queue="a"
        ),
        transferred(
            3, minute(2), from_agent_id=None, to_agent_id=ANN_ID, from_queue="a", to_queue="b"
        ),
    )
    assert ticket.state.transfers == 2
    assert ticket.state.queue == "b"

    ticket.transfer(at=LATER, to_agent=BOB)

    assert ticket.state.transfers == 3


def test_a_transfer_to_the_same_agent_and_queue_is_rejected() -> None:
    ann = agent(ANN_ID, "Ann")
    assert_rejected(ticket_held_by_ann(), SameTarget, lambda t: t.transfer(at=LATER, to_agent=ann))
    assert_rejected(
        ticket_held_by_ann(),
        SameTarget,
        lambda t: t.transfer(at=LATER, to_agent=ann, to_queue="general"),
    )


def test_a_transfer_of_a_waiting_ticket_to_its_own_queue_is_rejected() -> None:
    assert_rejected(waiting_ticket(), SameTarget, lambda t: t.transfer(at=LATER))
    assert_rejected(
        waiting_ticket(), SameTarget, lambda t: t.transfer(at=LATER, to_queue="general")
    )


def test_the_holder_may_keep_a_ticket_while_moving_it_to_another_queue() -> None:
    ticket = ticket_held_by_ann()

    ticket.transfer(at=LATER, to_agent=agent(ANN_ID, "Ann"), to_agent_holding=1, to_queue="vip")

    assert ticket.state.agent_id == ANN_ID
    assert ticket.state.queue == "vip"


@pytest.mark.parametrize(
    ("target", "holding", "ticket_tier", "error"),
    [
        (agent(online=False), 0, 1, AgentOffline),
        (agent(capacity=1), 1, 1, AgentAtCapacity),
        (agent(tier=1), 0, 2, TierTooLow),
        (agent(languages={"fr"}), 0, 1, AgentLacksSkill),
    ],
)
def test_a_transfer_to_an_ineligible_agent_is_rejected(
    target: AgentState, holding: int, ticket_tier: int, error: type[TicketlogError]
) -> None:
    ticket = ticket_held_by_ann(tier=ticket_tier)
    assert_rejected(
        ticket, error, lambda t: t.transfer(at=LATER, to_agent=target, to_agent_holding=holding)
    )


# --- escalate -----------------------------------------------------------------------------


def test_a_hierarchical_escalation_defaults_to_the_next_tier_and_waits_there() -> None:
    ticket = ticket_held_by_ann()

    ticket.escalate(at=LATER, kind="hierarchical", actor_id=ANN_ID, reason="angry")

    assert only_event(ticket) == TicketEscalated(
        originator_id=TICKET_ID,
        originator_version=3,
        at=LATER,
        actor_id=ANN_ID,
        kind=EscalationKind.HIERARCHICAL,
        from_tier=1,
        to_tier=2,
        from_queue="general",
        to_queue="general",
        from_agent_id=ANN_ID,
        reason="angry",
    )
    state = ticket.state
    assert state.status is WAITING
    assert state.agent_id is None
    assert state.last_agent_id == ANN_ID
    assert state.tier == 2
    assert state.escalations == 1


@pytest.mark.parametrize(
    "kind", [EscalationKind.AUTOMATIC, EscalationKind.BOT_TO_HUMAN, EscalationKind.HIERARCHICAL]
)
def test_non_functional_escalations_default_to_the_next_tier(kind: EscalationKind) -> None:
    ticket = waiting_ticket(tier=0)

    ticket.escalate(at=LATER, kind=kind)

    event = only_event(ticket)
    assert isinstance(event, TicketEscalated)
    assert (event.from_tier, event.to_tier, event.kind) == (0, 1, kind)
    assert event.from_agent_id is None
    assert ticket.state.tier == 1


def test_a_functional_escalation_keeps_the_tier_and_moves_to_another_queue() -> None:
    ticket = ticket_held_by_ann(tier=2)

    ticket.escalate(at=LATER, kind=EscalationKind.FUNCTIONAL, to_queue="network")

    event = only_event(ticket)
    assert isinstance(event, TicketEscalated)
    assert (event.from_tier, event.to_tier) == (2, 2)
    assert (event.from_queue, event.to_queue) == ("general", "network")
    assert ticket.state.tier == 2
    assert ticket.state.queue == "network"
    assert ticket.state.status is WAITING


def test_a_functional_escalation_to_the_same_queue_is_rejected() -> None:
    assert_rejected(
        ticket_held_by_ann(), SameTarget, lambda t: t.escalate(at=LATER, kind="functional")
    )


def test_an_escalation_to_the_same_tier_and_queue_is_rejected() -> None:
    assert_rejected(
        ticket_held_by_ann(tier=2),
        SameTarget,
        lambda t: t.escalate(at=LATER, kind="hierarchical", to_tier=2, to_queue="general"),
    )


def test_an_escalation_may_jump_several_tiers() -> None:
    ticket = waiting_ticket(tier=1)
    ticket.escalate(at=LATER, kind="hierarchical", to_tier=3)
    assert ticket.state.tier == 3


def test_an_escalation_cannot_lower_the_tier() -> None:
    message = assert_rejected(
        waiting_ticket(tier=3),
        InvalidValue,
        lambda t: t.escalate(at=LATER, kind="hierarchical", to_tier=2, to_queue="other"),
    )
    assert "lower" in message


@pytest.mark.parametrize("to_tier", [None, MAX_TIER + 1])
def test_an_escalation_above_the_highest_tier_is_an_invalid_value(to_tier: int | None) -> None:
    assert_rejected(
        waiting_ticket(tier=MAX_TIER),
        InvalidValue,
        lambda t: t.escalate(at=LATER, kind="hierarchical", to_tier=to_tier),
    )


def test_an_escalation_of_an_unknown_kind_is_an_invalid_value() -> None:
    assert_rejected(waiting_ticket(), InvalidValue, lambda t: t.escalate(at=LATER, kind="sideways"))


def test_escalations_are_counted() -> None:
    ticket = given(
        received(1, minute(0), tier=0),
        escalated(
            2,
            minute(1),
            kind="bot_to_human",
            from_tier=0,
            to_tier=1,
            from_queue="general",
            to_queue="general",
        ),
    )
    assert ticket.state.escalations == 1
    ticket.escalate(at=LATER, kind="automatic")
    assert ticket.state.escalations == 2
    assert ticket.state.tier == 2


# --- resolve, reopen ----------------------------------------------------------------------


def test_the_holder_resolves_a_ticket() -> None:
    ticket = ticket_held_by_ann()

    ticket.resolve(agent_id=ANN_ID, at=LATER, code="workaround")

    assert only_event(ticket) == TicketResolved(
        originator_id=TICKET_ID,
        originator_version=3,
        at=LATER,
        actor_id=ANN_ID,
        code="workaround",
    )
    state = ticket.state
    assert state.status is RESOLVED
    assert state.resolved_at == LATER
    assert state.agent_id is None
    assert state.last_agent_id == ANN_ID
    assert not state.is_open


def test_the_default_resolution_code_is_solved() -> None:
    ticket = ticket_held_by_ann()
    ticket.resolve(agent_id=ANN_ID, at=LATER)
    event = only_event(ticket)
    assert isinstance(event, TicketResolved)
    assert event.code == "solved"


def test_only_the_holder_can_resolve() -> None:
    assert_rejected(
        ticket_held_by_ann(), NotTheHolder, lambda t: t.resolve(agent_id=BOB_ID, at=LATER)
    )


def test_reopening_puts_the_ticket_back_in_its_queue_unrated() -> None:
    ticket = given(
        received(1, minute(0), queue="billing"),
        assigned(2, minute(1)),
        resolved(3, minute(2)),
        rated(4, minute(3)),
    )
    assert ticket.state.rated

    ticket.reopen(at=LATER, reason="still broken")

    assert only_event(ticket) == TicketReopened(
        originator_id=TICKET_ID, originator_version=5, at=LATER, reason="still broken"
    )
    state = ticket.state
    assert state.status is WAITING
    assert state.queue == "billing"
    assert state.agent_id is None
    assert state.last_agent_id == ANN_ID
    assert not state.rated
    assert state.reopens == 1
    assert state.resolved_at == minute(2)


def test_a_second_resolution_moves_the_resolution_time() -> None:
    ticket = given(
        received(1, minute(0)),
        assigned(2, minute(1)),
        resolved(3, minute(2)),
        reopened(4, minute(3)),
        assigned(5, minute(4), agent_id=BOB_ID),
    )
    ticket.resolve(agent_id=BOB_ID, at=LATER)
    assert ticket.state.resolved_at == LATER
    assert ticket.state.reopens == 1
    assert ticket.state.last_agent_id == BOB_ID


# --- rate ---------------------------------------------------------------------------------


def test_a_customer_rates_a_resolved_ticket() -> None:
    ticket = resolved_ticket()

    ticket.rate(at=LATER, csat=4, nps=9, comment="quick")

    assert only_event(ticket) == TicketRated(
        originator_id=TICKET_ID, originator_version=4, at=LATER, csat=4, nps=9, comment="quick"
    )
    assert ticket.state.rated
    assert (ticket.state.csat, ticket.state.nps) == (4, 9)
    assert ticket.state.status is RESOLVED


@hypothesis.given(csat=st.integers(1, 5))
def test_any_csat_from_1_to_5_is_accepted(csat: int) -> None:
    ticket = resolved_ticket()
    ticket.rate(at=LATER, csat=csat)
    assert ticket.state.csat == csat
    assert ticket.state.nps is None


@hypothesis.given(nps=st.integers(0, 10))
def test_any_nps_from_0_to_10_is_accepted(nps: int) -> None:
    ticket = resolved_ticket()
    ticket.rate(at=LATER, nps=nps)
    assert ticket.state.nps == nps
    assert ticket.state.csat is None


@hypothesis.given(csat=st.integers().filter(lambda n: not 1 <= n <= 5))
def test_a_csat_outside_1_to_5_is_an_invalid_value(csat: int) -> None:
    message = assert_rejected(
        resolved_ticket(), InvalidValue, lambda t: t.rate(at=LATER, csat=csat)
    )
    assert "csat" in message


@hypothesis.given(nps=st.integers().filter(lambda n: not 0 <= n <= 10))
def test_an_nps_outside_0_to_10_is_an_invalid_value(nps: int) -> None:
    message = assert_rejected(resolved_ticket(), InvalidValue, lambda t: t.rate(at=LATER, nps=nps))
    assert "nps" in message


def test_a_rating_needs_a_score() -> None:
    message = assert_rejected(
        resolved_ticket(), InvalidValue, lambda t: t.rate(at=LATER, comment="meh")
    )
    assert "score" in message


def test_a_resolution_can_be_rated_only_once() -> None:
    ticket = given(*HISTORIES[RESOLVED], rated(4, minute(3)))
    assert_rejected(ticket, AlreadyRated, lambda t: t.rate(at=LATER, nps=3))


def test_a_ticket_can_be_rated_again_after_reopen_and_a_new_resolution() -> None:
    ticket = given(
        *HISTORIES[RESOLVED],
        rated(4, minute(3), csat=2),
        reopened(5, minute(4)),
        assigned(6, minute(5)),
        resolved(7, minute(6)),
    )
    assert not ticket.state.rated

    ticket.rate(at=LATER, csat=5)

    assert ticket.state.rated
    assert ticket.state.csat == 5
    assert ticket.version == 8


def test_a_reopened_ticket_cannot_be_rated_before_it_is_resolved_again() -> None:
    ticket = given(*HISTORIES[RESOLVED], rated(4, minute(3)), reopened(5, minute(4)))
    assert_rejected(ticket, InvalidTransition, lambda t: t.rate(at=LATER, csat=5))


# --- close, abandon, reprioritise ---------------------------------------------------------


@pytest.mark.parametrize("status", [WAITING, ASSIGNED, RESOLVED, ABANDONED])
def test_closing_a_ticket_ends_it(status: TicketStatus) -> None:
    ticket = given(*HISTORIES[status])
    version = ticket.version

    ticket.close(at=LATER, actor_id=SUPERVISOR_ID, reason="duplicate")

    assert only_event(ticket) == TicketClosed(
        originator_id=TICKET_ID,
        originator_version=version + 1,
        at=LATER,
        actor_id=SUPERVISOR_ID,
        reason="duplicate",
    )
    assert ticket.state.status is CLOSED
    assert ticket.state.agent_id is None
    assert not ticket.state.is_open


def test_a_waiting_customer_may_abandon() -> None:
    ticket = waiting_ticket()

    ticket.abandon(at=LATER)

    assert only_event(ticket) == TicketAbandoned(
        originator_id=TICKET_ID, originator_version=2, at=LATER
    )
    assert ticket.state.status is ABANDONED
    assert not ticket.state.is_open


@pytest.mark.parametrize("status", [WAITING, ASSIGNED])
def test_reprioritising_records_old_and_new_priority(status: TicketStatus) -> None:
    ticket = given(*HISTORIES[status])

    ticket.reprioritise(at=LATER, priority="urgent", actor_id=SUPERVISOR_ID, reason="outage")

    event = only_event(ticket)
    assert event == TicketReprioritised(
        originator_id=TICKET_ID,
        originator_version=ticket.version,
        at=LATER,
        actor_id=SUPERVISOR_ID,
        old=Priority.NORMAL,
        new=Priority.URGENT,
        reason="outage",
    )
    assert ticket.state.priority is Priority.URGENT
    assert ticket.state.status is status


@pytest.mark.parametrize("priority", [Priority.NORMAL, "normal"])
def test_reprioritising_to_the_same_priority_is_rejected(priority: Priority | str) -> None:
    assert_rejected(
        waiting_ticket(), SameTarget, lambda t: t.reprioritise(at=LATER, priority=priority)
    )


def test_reprioritising_to_an_unknown_priority_is_an_invalid_value() -> None:
    assert_rejected(
        waiting_ticket(), InvalidValue, lambda t: t.reprioritise(at=LATER, priority="asap")
    )


# --- time -----------------------------------------------------------------------------------


@hypothesis.given(
    earlier=st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=3650)),
    command=st.sampled_from(
        [Command.RESPOND, Command.TRANSFER, Command.ESCALATE, Command.RESOLVE, Command.CLOSE]
    ),
)
def test_a_command_earlier_than_the_latest_event_is_out_of_order(
    earlier: timedelta, command: Command
) -> None:
    ticket = ticket_held_by_ann()
    when = ticket.state.last_at - earlier
    attempts: dict[Command, Callable[[Ticket], None]] = {
        Command.RESPOND: lambda t: t.respond(agent_id=ANN_ID, at=when),
        Command.TRANSFER: lambda t: t.transfer(at=when, to_agent=BOB),
        Command.ESCALATE: lambda t: t.escalate(at=when, kind="hierarchical"),
        Command.RESOLVE: lambda t: t.resolve(agent_id=ANN_ID, at=when),
        Command.CLOSE: lambda t: t.close(at=when),
    }
    assert_rejected(ticket, OutOfOrder, attempts[command])


def test_a_command_at_the_same_time_as_the_latest_event_is_accepted() -> None:
    ticket = ticket_held_by_ann()
    ticket.respond(agent_id=ANN_ID, at=ticket.state.last_at)
    assert ticket.version == 3


def test_time_is_compared_as_instants_across_time_zones() -> None:
    ticket = ticket_held_by_ann()
    same_instant_elsewhere = ticket.state.last_at.astimezone(timezone(timedelta(hours=-5)))
    ticket.respond(agent_id=ANN_ID, at=same_instant_elsewhere)
    assert only_event(ticket).at == T0 + timedelta(minutes=1)
    assert_rejected(
        ticket,
        OutOfOrder,
        lambda t: t.resolve(agent_id=ANN_ID, at=same_instant_elsewhere - timedelta(seconds=1)),
    )


def test_a_ticket_cannot_be_received_at_a_naive_time() -> None:
    with pytest.raises(InvalidValue, match="timezone"):
        Ticket.receive(
            ticket_id=TICKET_ID, at=datetime(2026, 11, 24, 9, 0), channel="email", customer_id="c"
        )


@pytest.mark.parametrize("command", list(Command))
def test_a_command_at_a_naive_time_is_an_invalid_value(command: Command) -> None:
    status = next(s for s in TicketStatus if TABLE[command, s])
    ticket = given(*HISTORIES[status])
    naive = LATER.replace(tzinfo=None)
    attempts: dict[Command, Callable[[Ticket], None]] = {
        Command.ASSIGN: lambda t: t.assign(BOB, holding=0, at=naive),
        Command.RESPOND: lambda t: t.respond(agent_id=ANN_ID, at=naive),
        Command.TRANSFER: lambda t: t.transfer(at=naive, to_queue="billing"),
        Command.REASSIGN: lambda t: t.reassign(BOB, to_agent_holding=0, at=naive),
        Command.RELEASE: lambda t: t.release(agent_id=ANN_ID, at=naive),
        Command.ESCALATE: lambda t: t.escalate(at=naive, kind="hierarchical"),
        Command.DEESCALATE: lambda t: t.deescalate(at=naive),
        Command.RESOLVE: lambda t: t.resolve(agent_id=ANN_ID, at=naive),
        Command.REOPEN: lambda t: t.reopen(at=naive),
        Command.RATE: lambda t: t.rate(at=naive, csat=3),
        Command.CLOSE: lambda t: t.close(at=naive),
        Command.ABANDON: lambda t: t.abandon(at=naive),
        Command.REPRIORITISE: lambda t: t.reprioritise(at=naive, priority="high"),
        Command.AWAIT_CUSTOMER: lambda t: t.await_customer(agent_id=ANN_ID, at=naive),
        Command.CUSTOMER_REPLIED: lambda t: t.customer_replied(at=naive),
    }
    assert_rejected(ticket, InvalidValue, attempts[command])


def test_recorded_versions_follow_on_from_the_history() -> None:
    ticket = given(*HISTORIES[ASSIGNED])
    ticket.respond(agent_id=ANN_ID, at=minute(10))
    ticket.respond(agent_id=ANN_ID, at=minute(11), public=False)
    ticket.resolve(agent_id=ANN_ID, at=minute(12))
    events = ticket.collect_events()
    assert [e.originator_version for e in events] == [3, 4, 5]
    assert ticket.version == 5
    assert ticket.collect_events() == []
