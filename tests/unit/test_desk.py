"""The help desk application on the in-memory store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from tests.support import assert_writes_nothing
from ticketlog.clock import ManualClock
from ticketlog.desk import HelpDesk
from ticketlog.domain.errors import (
    AgentAtCapacity,
    AgentLacksSkill,
    AgentNotFound,
    AgentOffline,
    AlreadyRated,
    DuplicateId,
    InvalidTime,
    InvalidTransition,
    InvalidValue,
    NotTheHolder,
    OutOfOrder,
    SameTarget,
    TicketAlreadyAssigned,
    TicketIsClosed,
    TicketlogError,
    TicketNotFound,
    TierTooLow,
)
from ticketlog.domain.events import (
    EVENT_TYPES,
    AgentJoined,
    AgentProfileChanged,
    AgentWentOnline,
    TicketAssigned,
    TicketEvent,
    TicketReceived,
    TicketResolved,
)
from ticketlog.domain.values import AssignedBy, EscalationKind, Priority, TicketStatus
from ticketlog.projections import DeskView

UNKNOWN = UUID("00000000-0000-4000-8000-00000000dead")


def new_ticket(desk: HelpDesk, **attributes: Any) -> UUID:
    return desk.receive(channel="email", customer_id="cust-1", **attributes)


# --- commands and ids -------------------------------------------------------------------------


def test_commands_return_the_ids_they_act_on(desk: HelpDesk, clock: ManualClock) -> None:
    ann = desk.join_agent("Ann", capacity=2, tier=2)
    bob = desk.join_agent("Bob", tier=2)
    ticket = new_ticket(desk)
    assert isinstance(ann, UUID)
    assert isinstance(ticket, UUID)
    assert len({ann, bob, ticket}) == 3

    clock.advance(minutes=1)
    assert desk.assign(ticket, ann) == ticket
    assert desk.respond(ticket, ann) == ticket
    assert desk.reprioritise(ticket, "high") == ticket
    assert desk.transfer(ticket, to_agent_id=bob) == ticket
    assert desk.escalate(ticket, kind="hierarchical") == ticket
    assert desk.assign(ticket, bob) == ticket
    assert desk.resolve(ticket, bob) == ticket
    assert desk.rate(ticket, csat=5) == ticket
    assert desk.reopen(ticket) == ticket
    assert desk.close_ticket(ticket) == ticket
    other = new_ticket(desk)
    assert desk.abandon(other) == other

    assert desk.go_offline(ann) == ann
    assert desk.go_online(ann) == ann
    assert desk.change_agent(ann, capacity=4) == ann

    assert desk.ticket(ticket).status is TicketStatus.CLOSED
    assert desk.ticket(other).status is TicketStatus.ABANDONED
    assert desk.agent(ann).capacity == 4


def test_explicit_ids_are_kept(desk: HelpDesk) -> None:
    ticket_id, agent_id = uuid4(), uuid4()
    assert desk.receive(channel="chat", customer_id="c", ticket_id=ticket_id) == ticket_id
    assert desk.join_agent("Ann", agent_id=agent_id) == agent_id
    assert desk.ticket(ticket_id).id == ticket_id
    assert desk.agent(agent_id).id == agent_id


def test_a_received_ticket_keeps_its_attributes(desk: HelpDesk, clock: ManualClock) -> None:
    ticket = desk.receive(
        channel="phone",
        customer_id="cust-7",
        category="billing",
        priority=Priority.HIGH,
        language="de",
        tier=2,
        required_skills={"sepa"},
    )
    state = desk.ticket(ticket)
    assert state.status is TicketStatus.WAITING
    assert (state.category, state.priority, state.language, state.tier) == (
        "billing",
        Priority.HIGH,
        "de",
        2,
    )
    assert state.required_skills == frozenset({"sepa"})
    assert state.received_at == clock.now()


def test_a_joining_agent_is_online_unless_told_otherwise(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", skills=["billing"], languages=["en", "de"])
    bob = desk.join_agent("Bob", online=False)

    assert desk.agent(ann).online
    assert not desk.agent(bob).online
    assert desk.agent(ann).skills == frozenset({"billing"})
    assert desk.agent(ann).languages == frozenset({"en", "de"})
    assert [type(e) for _, e in desk.read_log()] == [AgentJoined, AgentWentOnline, AgentJoined]


def test_a_skill_given_as_a_plain_string_is_refused_not_split_into_letters(
    desk: HelpDesk,
) -> None:
    assert_writes_nothing(desk, InvalidValue, lambda: desk.join_agent("Ann", skills="billing"))
    ann = desk.join_agent("Ann", skills=["billing"])
    assert_writes_nothing(desk, InvalidValue, lambda: desk.change_agent(ann, languages="de"))
    assert desk.agent(ann).skills == frozenset({"billing"})


def test_changing_an_agent_stores_the_new_profile(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann")
    desk.change_agent(ann, skills=["sepa", "billing"], tier=3)
    agent = desk.agent(ann)
    assert agent.skills == frozenset({"sepa", "billing"})
    assert agent.tier == 3
    last = list(desk.read_log())[-1][1]
    assert isinstance(last, AgentProfileChanged)
    assert last.profile == agent.profile


# --- unknown ids ------------------------------------------------------------------------------

TICKET_COMMANDS: dict[str, Callable[[HelpDesk, UUID, UUID], object]] = {
    "assign": lambda d, t, a: d.assign(t, a),
    "respond": lambda d, t, a: d.respond(t, a),
    "transfer": lambda d, t, a: d.transfer(t, to_queue="billing"),
    "escalate": lambda d, t, a: d.escalate(t, kind="hierarchical"),
    "resolve": lambda d, t, a: d.resolve(t, a),
    "reopen": lambda d, t, a: d.reopen(t),
    "rate": lambda d, t, a: d.rate(t, csat=5),
    "close_ticket": lambda d, t, a: d.close_ticket(t),
    "abandon": lambda d, t, a: d.abandon(t),
    "reprioritise": lambda d, t, a: d.reprioritise(t, "high"),
    "ticket": lambda d, t, a: d.ticket(t),
    "ticket_events": lambda d, t, a: d.ticket_events(t),
    "timeline": lambda d, t, a: d.timeline(t),
}

AGENT_COMMANDS: dict[str, Callable[[HelpDesk, UUID], object]] = {
    "agent": lambda d, a: d.agent(a),
    "go_online": lambda d, a: d.go_online(a),
    "go_offline": lambda d, a: d.go_offline(a),
    "change_agent": lambda d, a: d.change_agent(a, capacity=3),
}


@pytest.mark.parametrize("name", sorted(TICKET_COMMANDS))
def test_an_unknown_ticket_id_is_ticket_not_found(desk: HelpDesk, name: str) -> None:
    ann = desk.join_agent("Ann")
    error = assert_writes_nothing(
        desk, TicketNotFound, lambda: TICKET_COMMANDS[name](desk, UNKNOWN, ann)
    )
    assert isinstance(error, TicketNotFound)
    assert error.ticket_id == UNKNOWN
    assert str(UNKNOWN) in str(error)


@pytest.mark.parametrize("name", sorted(TICKET_COMMANDS))
def test_an_agent_id_is_not_a_ticket_id(desk: HelpDesk, name: str) -> None:
    ann = desk.join_agent("Ann")
    assert_writes_nothing(desk, TicketNotFound, lambda: TICKET_COMMANDS[name](desk, ann, ann))


@pytest.mark.parametrize("name", sorted(AGENT_COMMANDS))
def test_an_unknown_agent_id_is_agent_not_found(desk: HelpDesk, name: str) -> None:
    error = assert_writes_nothing(desk, AgentNotFound, lambda: AGENT_COMMANDS[name](desk, UNKNOWN))
    assert isinstance(error, AgentNotFound)
    assert error.agent_id == UNKNOWN


@pytest.mark.parametrize("name", sorted(AGENT_COMMANDS))
def test_a_ticket_id_is_not_an_agent_id(desk: HelpDesk, name: str) -> None:
    ticket = new_ticket(desk)
    assert_writes_nothing(desk, AgentNotFound, lambda: AGENT_COMMANDS[name](desk, ticket))


@pytest.mark.parametrize("wrong", ["unknown", "ticket"])
def test_assigning_to_an_unknown_agent_is_agent_not_found(desk: HelpDesk, wrong: str) -> None:
    ticket = new_ticket(desk)
    agent_id = UNKNOWN if wrong == "unknown" else new_ticket(desk)
    assert_writes_nothing(desk, AgentNotFound, lambda: desk.assign(ticket, agent_id))
    assert_writes_nothing(desk, AgentNotFound, lambda: desk.transfer(ticket, to_agent_id=agent_id))
    assert desk.ticket(ticket).status is TicketStatus.WAITING


def test_an_id_already_taken_is_refused_as_a_duplicate(desk: HelpDesk) -> None:
    ticket = new_ticket(desk)
    ann = desk.join_agent("Ann")
    assert_writes_nothing(
        desk,
        DuplicateId,
        lambda: desk.receive(channel="chat", customer_id="x", ticket_id=ticket),
    )
    assert_writes_nothing(desk, DuplicateId, lambda: desk.join_agent("Eve", agent_id=ann))
    assert_writes_nothing(desk, DuplicateId, lambda: desk.join_agent("Eve", agent_id=ticket))
    assert desk.ticket(ticket).customer_id == "cust-1"
    assert desk.agent(ann).name == "Ann"


# --- rejected commands write nothing ----------------------------------------------------------


def test_rejected_ticket_commands_write_nothing(desk: HelpDesk, clock: ManualClock) -> None:
    ann = desk.join_agent("Ann", capacity=5)
    bob = desk.join_agent("Bob", capacity=5)
    off = desk.join_agent("Off", online=False)
    ticket = new_ticket(desk)
    start = clock.now()
    clock.advance(minutes=5)

    assert_writes_nothing(desk, InvalidTransition, lambda: desk.respond(ticket, ann))
    assert_writes_nothing(desk, AgentOffline, lambda: desk.assign(ticket, off))
    assert_writes_nothing(desk, SameTarget, lambda: desk.transfer(ticket))
    assert_writes_nothing(desk, SameTarget, lambda: desk.reprioritise(ticket, "normal"))
    assert_writes_nothing(desk, InvalidValue, lambda: desk.reprioritise(ticket, "asap"))
    assert_writes_nothing(desk, InvalidValue, lambda: desk.escalate(ticket, kind="sideways"))
    assert_writes_nothing(desk, InvalidValue, lambda: desk.escalate(ticket, kind="x", to_tier=0))
    desk.assign(ticket, ann)
    assert_writes_nothing(desk, TicketAlreadyAssigned, lambda: desk.assign(ticket, bob))
    assert_writes_nothing(desk, NotTheHolder, lambda: desk.resolve(ticket, bob))
    assert_writes_nothing(desk, NotTheHolder, lambda: desk.respond(ticket, bob))
    assert_writes_nothing(desk, OutOfOrder, lambda: desk.respond(ticket, ann, at=start))
    naive = clock.now().replace(tzinfo=None)
    assert_writes_nothing(desk, InvalidTime, lambda: desk.respond(ticket, ann, at=naive))
    desk.resolve(ticket, ann)
    assert_writes_nothing(desk, InvalidTransition, lambda: desk.assign(ticket, bob))
    assert_writes_nothing(desk, InvalidValue, lambda: desk.rate(ticket, csat=6))
    assert_writes_nothing(desk, InvalidValue, lambda: desk.rate(ticket, nps=11))
    assert_writes_nothing(desk, InvalidValue, lambda: desk.rate(ticket, comment="no score"))
    desk.rate(ticket, csat=4)
    assert_writes_nothing(desk, AlreadyRated, lambda: desk.rate(ticket, nps=9))
    desk.close_ticket(ticket)
    assert_writes_nothing(desk, TicketIsClosed, lambda: desk.reopen(ticket))

    assert [e.event_type for e in desk.ticket_events(ticket)] == [
        "TicketReceived",
        "TicketAssigned",
        "TicketResolved",
        "TicketRated",
        "TicketClosed",
    ]


def test_rejected_agent_commands_write_nothing(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", capacity=2)
    assert_writes_nothing(desk, InvalidTransition, lambda: desk.go_online(ann))
    assert_writes_nothing(desk, SameTarget, lambda: desk.change_agent(ann, capacity=2))
    assert_writes_nothing(desk, InvalidValue, lambda: desk.change_agent(ann, capacity=0))
    assert_writes_nothing(desk, InvalidValue, lambda: desk.change_agent(ann, tier=9))
    assert_writes_nothing(desk, InvalidValue, lambda: desk.join_agent("Eve", capacity=0))
    assert_writes_nothing(desk, InvalidValue, lambda: desk.join_agent(""))
    assert_writes_nothing(desk, InvalidValue, lambda: desk.receive(channel="fax", customer_id="c"))
    desk.go_offline(ann)
    assert_writes_nothing(desk, InvalidTransition, lambda: desk.go_offline(ann))


# --- capacity ---------------------------------------------------------------------------------

RELEASES: dict[str, Callable[[HelpDesk, UUID, UUID, UUID], object]] = {
    "resolved": lambda d, t, ann, bob: d.resolve(t, ann),
    "transferred to another agent": lambda d, t, ann, bob: d.transfer(t, to_agent_id=bob),
    "transferred to a queue": lambda d, t, ann, bob: d.transfer(t, to_queue="billing"),
    "escalated": lambda d, t, ann, bob: d.escalate(t, kind="hierarchical"),
    "closed": lambda d, t, ann, bob: d.close_ticket(t),
}


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_an_agent_at_capacity_takes_another_ticket_only_after_letting_one_go(
    desk: HelpDesk, clock: ManualClock, release: str
) -> None:
    ann = desk.join_agent("Ann", capacity=1)
    bob = desk.join_agent("Bob", capacity=1, tier=5)
    first, second = new_ticket(desk), new_ticket(desk)
    desk.assign(first, ann)
    assert desk.held_by(ann) == frozenset({first})

    error = assert_writes_nothing(desk, AgentAtCapacity, lambda: desk.assign(second, ann))
    assert "1 of 1" in str(error)
    assert desk.ticket(second).status is TicketStatus.WAITING

    clock.advance(minutes=10)
    RELEASES[release](desk, first, ann, bob)
    assert desk.held_by(ann) == frozenset()

    desk.assign(second, ann)
    assert desk.held_by(ann) == frozenset({second})
    assert desk.ticket(second).agent_id == ann


def test_an_agent_holds_up_to_their_capacity(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", capacity=3)
    tickets = [new_ticket(desk) for _ in range(4)]
    for ticket in tickets[:3]:
        desk.assign(ticket, ann)
    assert desk.held_by(ann) == frozenset(tickets[:3])
    assert_writes_nothing(desk, AgentAtCapacity, lambda: desk.assign(tickets[3], ann))

    desk.change_agent(ann, capacity=4)
    desk.assign(tickets[3], ann)
    assert desk.held_by(ann) == frozenset(tickets)


def test_lowering_capacity_below_the_holding_blocks_new_assignments(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", capacity=2)
    first, second, third = new_ticket(desk), new_ticket(desk), new_ticket(desk)
    desk.assign(first, ann)
    desk.assign(second, ann)
    desk.change_agent(ann, capacity=1)
    assert desk.held_by(ann) == frozenset({first, second})
    assert_writes_nothing(desk, AgentAtCapacity, lambda: desk.assign(third, ann))


def test_held_by_an_unknown_agent_is_empty(desk: HelpDesk) -> None:
    assert desk.held_by(UNKNOWN) == frozenset()


def test_an_offline_agent_keeps_the_tickets_they_hold(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann")
    ticket = new_ticket(desk)
    desk.assign(ticket, ann)
    desk.go_offline(ann)
    assert desk.held_by(ann) == frozenset({ticket})
    assert desk.ticket(ticket).agent_id == ann
    desk.resolve(ticket, ann)
    assert desk.held_by(ann) == frozenset()


# --- transfer eligibility ---------------------------------------------------------------------


def test_a_transfer_checks_the_receiving_agents_capacity(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann")
    bob = desk.join_agent("Bob", capacity=1)
    mine, bobs = new_ticket(desk), new_ticket(desk)
    desk.assign(mine, ann)
    desk.assign(bobs, bob)

    assert_writes_nothing(desk, AgentAtCapacity, lambda: desk.transfer(mine, to_agent_id=bob))

    desk.resolve(bobs, bob)
    desk.transfer(mine, to_agent_id=bob)
    assert desk.held_by(bob) == frozenset({mine})
    assert desk.held_by(ann) == frozenset()


SKILLED = ("sepa", "billing")
INELIGIBLE: dict[str, tuple[Callable[[HelpDesk], UUID], type[TicketlogError]]] = {
    "offline": (
        lambda d: d.join_agent("T", tier=2, skills=SKILLED, languages=["de"], online=False),
        AgentOffline,
    ),
    "tier too low": (
        lambda d: d.join_agent("T", tier=1, skills=SKILLED, languages=["de"]),
        TierTooLow,
    ),
    "no German": (
        lambda d: d.join_agent("T", tier=2, skills=SKILLED, languages=["fr", "en"]),
        AgentLacksSkill,
    ),
    "no billing": (
        lambda d: d.join_agent("T", tier=2, skills=["sepa"], languages=["de"]),
        AgentLacksSkill,
    ),
}


@pytest.mark.parametrize("case", sorted(INELIGIBLE))
def test_a_transfer_checks_the_receiving_agents_eligibility(desk: HelpDesk, case: str) -> None:
    join_target, error = INELIGIBLE[case]
    ann = desk.join_agent("Ann", tier=2, skills=SKILLED, languages=["de", "en"])
    target = join_target(desk)
    ticket = new_ticket(desk, tier=2, language="de", required_skills=set(SKILLED))
    desk.assign(ticket, ann)

    assert_writes_nothing(desk, error, lambda: desk.transfer(ticket, to_agent_id=target))
    assert desk.ticket(ticket).agent_id == ann
    assert desk.held_by(target) == frozenset()


def test_a_transfer_to_an_eligible_agent_hands_the_ticket_over(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", tier=2, skills=SKILLED, languages=["de", "en"])
    target = desk.join_agent("T", tier=3, skills=[*SKILLED, "x"], languages=["de"])
    ticket = new_ticket(desk, tier=2, language="de", required_skills=set(SKILLED))
    desk.assign(ticket, ann)

    desk.transfer(ticket, to_agent_id=target)

    assert desk.ticket(ticket).agent_id == target
    assert desk.held_by(target) == frozenset({ticket})
    assert desk.held_by(ann) == frozenset()


def test_a_holder_at_capacity_can_move_their_ticket_to_another_queue(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", capacity=1)
    ticket = new_ticket(desk)
    desk.assign(ticket, ann)

    desk.transfer(ticket, to_agent_id=ann, to_queue="billing")

    assert desk.ticket(ticket).queue == "billing"
    assert desk.held_by(ann) == frozenset({ticket})


# --- time -------------------------------------------------------------------------------------


def test_commands_happen_at_the_clocks_time(desk: HelpDesk, clock: ManualClock) -> None:
    ann = desk.join_agent("Ann")
    ticket = new_ticket(desk)
    received_at = clock.now()
    assigned_at = clock.advance(minutes=7)
    desk.assign(ticket, ann)

    state = desk.ticket(ticket)
    assert state.received_at == received_at
    assert state.last_at == assigned_at
    assert [e.at for e in desk.ticket_events(ticket)] == [received_at, assigned_at]


def test_at_overrides_the_clock(desk: HelpDesk, clock: ManualClock) -> None:
    ann = desk.join_agent("Ann", at=clock.now() - timedelta(days=1))
    earlier = clock.now() - timedelta(hours=3)
    later = clock.now() + timedelta(hours=3)

    ticket = desk.receive(channel="email", customer_id="c", at=earlier)
    desk.assign(ticket, ann, at=earlier + timedelta(minutes=1))

    assert desk.agent(ann).joined_at == clock.now() - timedelta(days=1)
    assert desk.ticket(ticket).received_at == earlier
    assert desk.ticket(ticket).last_at == earlier + timedelta(minutes=1)

    desk.respond(ticket, ann)
    assert desk.ticket(ticket).first_response_at == clock.now()

    desk.resolve(ticket, ann, at=later)
    assert desk.ticket(ticket).resolved_at == later
    assert clock.now() == later - timedelta(hours=3)

    assert_writes_nothing(desk, OutOfOrder, lambda: desk.reopen(ticket))


# --- timeline ---------------------------------------------------------------------------------


def test_the_timeline_tells_the_whole_story_with_names_and_durations(
    desk: HelpDesk, clock: ManualClock
) -> None:
    ann = desk.join_agent("Ann", capacity=5, tier=3)
    bob = desk.join_agent("Bob", capacity=5, tier=3)
    supervisor = uuid4()  # acts, but is not an agent of the desk
    ticket = desk.receive(
        channel="chat", customer_id="cust-1", subject="Printer on fire", category="hardware"
    )
    start = clock.now()

    steps: list[tuple[float, Callable[[], object]]] = [
        (2, lambda: desk.assign(ticket, ann, by="router", policy="fifo")),
        (3, lambda: desk.respond(ticket, ann, public=False)),
        (5, lambda: desk.respond(ticket, ann)),
        (2, lambda: desk.await_customer(ticket, ann, reason="model number?")),
        (7, lambda: desk.customer_replied(ticket)),
        (1, lambda: desk.reprioritise(ticket, "urgent", actor_id=supervisor, reason="fire")),
        (4, lambda: desk.transfer(ticket, to_agent_id=bob, actor_id=ann, reason="shift end")),
        (6, lambda: desk.escalate(ticket, kind=EscalationKind.HIERARCHICAL, actor_id=bob)),
        (1, lambda: desk.assign(ticket, bob, by=AssignedBy.SUPERVISOR, actor_id=supervisor)),
        (2, lambda: desk.reassign(ticket, ann, actor_id=bob, reason="second opinion")),
        (3, lambda: desk.release(ticket, ann, reason="lunch")),
        (4, lambda: desk.deescalate(ticket, actor_id=supervisor, reason="push to front")),
        (1, lambda: desk.assign(ticket, bob, by=AssignedBy.SUPERVISOR, actor_id=supervisor)),
        (10, lambda: desk.resolve(ticket, bob, code="replaced")),
        (30, lambda: desk.rate(ticket, csat=2, nps=3, comment="slow")),
        (60, lambda: desk.reopen(ticket, reason="on fire again")),
        (5, lambda: desk.close_ticket(ticket, actor_id=supervisor, reason="duplicate")),
    ]
    for minutes, step in steps:
        clock.advance(minutes=minutes)
        step()
    other = desk.receive(channel="phone", customer_id="cust-2")
    clock.advance(minutes=3)
    desk.abandon(other)

    timeline = desk.timeline(ticket)

    assert [entry.event_type for entry in timeline] == [
        "TicketReceived",
        "TicketAssigned",
        "TicketResponded",
        "TicketResponded",
        "TicketAwaitingCustomer",
        "TicketCustomerReplied",
        "TicketReprioritised",
        "TicketTransferred",
        "TicketEscalated",
        "TicketAssigned",
        "TicketReassigned",
        "TicketReleased",
        "TicketDeescalated",
        "TicketAssigned",
        "TicketResolved",
        "TicketRated",
        "TicketReopened",
        "TicketClosed",
    ]
    assert [entry.summary for entry in timeline] == [
        "received by chat from customer cust-1 'Printer on fire' "
        "(hardware, normal priority, en, queue general, tier 1)",
        "assigned to Ann (by router, policy fifo)",
        "added an internal note",
        "replied to the customer",
        "waiting on the customer: model number?",
        "the customer replied",
        "priority normal -> urgent: fire",
        "transferred from Ann in general to Bob in general: shift end",
        "escalated (hierarchical) from tier 1 general to tier 2 general",
        "assigned to Bob (by supervisor)",
        "reassigned from Bob to Ann: second opinion",
        "released by Ann to its queue: lunch",
        "de-escalated from tier 2 general to tier 1 general: push to front",
        "assigned to Bob (by supervisor)",
        "resolved (replaced)",
        "rated CSAT 2/5, NPS 3/10: 'slow'",
        "reopened by the customer: on fire again",
        "closed: duplicate",
    ]
    assert [entry.actor for entry in timeline] == [
        None,
        None,
        "Ann",
        "Ann",
        "Ann",
        None,
        str(supervisor),
        "Ann",
        "Bob",
        str(supervisor),
        "Bob",
        "Ann",
        str(supervisor),
        str(supervisor),
        "Bob",
        None,
        None,
        str(supervisor),
    ]
    assert [entry.since_previous for entry in timeline] == [timedelta(0)] + [
        timedelta(minutes=m) for m, _ in steps
    ]
    assert timeline[0].since_received == timedelta(0)
    assert timeline[-1].since_received == timedelta(minutes=sum(m for m, _ in steps))
    assert all(entry.since_received == entry.at - start and entry.at >= start for entry in timeline)
    assert timeline[1].details["agent_id"] == ann
    assert timeline[1].details["policy"] == "fifo"
    assert "originator_id" not in timeline[1].details
    assert "Ann" in str(timeline[2])

    abandoned = desk.timeline(other)
    assert [entry.summary for entry in abandoned][1:] == [
        "abandoned by the customer before being served"
    ]
    assert abandoned[1].since_previous == abandoned[1].since_received == timedelta(minutes=3)

    ticket_event_types = {
        cls.__name__ for cls in EVENT_TYPES.values() if issubclass(cls, TicketEvent)
    }
    seen = {entry.event_type for entry in [*timeline, *abandoned]}
    assert seen == ticket_event_types
    assert all(entry.summary and entry.summary != entry.event_type for entry in timeline)


def test_a_timeline_matches_the_tickets_events(desk: HelpDesk, clock: ManualClock) -> None:
    ann = desk.join_agent("Ann")
    ticket = new_ticket(desk)
    clock.advance(minutes=1)
    desk.assign(ticket, ann)
    events = desk.ticket_events(ticket)
    timeline = desk.timeline(ticket)
    assert [(e.at, e.event_type, e.actor_id) for e in events] == [
        (t.at, t.event_type, t.actor_id) for t in timeline
    ]
    assert isinstance(events[0], TicketReceived)
    assert isinstance(events[1], TicketAssigned)


# --- the log ----------------------------------------------------------------------------------


def test_read_log_yields_every_event_in_order_with_increasing_positions(
    desk: HelpDesk, clock: ManualClock
) -> None:
    ann = desk.join_agent("Ann")
    ticket = new_ticket(desk)
    clock.advance(minutes=1)
    desk.assign(ticket, ann)
    desk.resolve(ticket, ann)

    log = list(desk.read_log())

    positions = [position for position, _ in log]
    assert positions == sorted(set(positions))
    assert positions[0] >= 1
    assert [e.event_type for _, e in log] == [
        "AgentJoined",
        "AgentWentOnline",
        "TicketReceived",
        "TicketAssigned",
        "AgentStartedHolding",
        "TicketResolved",
        "AgentStoppedHolding",
    ]
    assert [e for _, e in log if e.originator_id == ticket] == desk.ticket_events(ticket)


def test_read_log_continues_after_a_position(desk: HelpDesk) -> None:
    desk.join_agent("Ann")
    for _ in range(3):
        new_ticket(desk)
    log = list(desk.read_log())
    assert len(log) == 5

    for index, (position, _) in enumerate(log):
        assert list(desk.read_log(after=position)) == log[index + 1 :]
    assert list(desk.read_log(after=log[-1][0])) == []

    desk.join_agent("Bob")
    newer = list(desk.read_log(after=log[-1][0]))
    assert [e.event_type for _, e in newer] == ["AgentJoined", "AgentWentOnline"]
    assert newer[0][0] > log[-1][0]


def test_read_log_can_be_limited_to_some_topics(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann")
    ticket = new_ticket(desk)
    desk.assign(ticket, ann)
    desk.resolve(ticket, ann)

    resolutions = list(desk.read_log(topics=[TicketResolved.TOPIC]))

    assert [type(e) for _, e in resolutions] == [TicketResolved]
    assert resolutions == [
        entry for entry in desk.read_log() if entry[1].TOPIC == "ticketlog:TicketResolved"
    ]


def test_an_empty_desk_has_an_empty_log(desk: HelpDesk) -> None:
    assert list(desk.read_log()) == []


def test_followers_of_a_memory_desk_resume_from_checkpoints_kept_by_the_desk(
    desk: HelpDesk,
) -> None:
    new_ticket(desk)
    first = desk.follow(DeskView, name="ops")
    assert first.catch_up() == 1
    new_ticket(desk)
    second = desk.follow(DeskView, name="ops")
    assert second.position == first.position
    assert second.catch_up() == 1
    assert second.projection == desk.view()
