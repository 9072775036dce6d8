"""Reassign, release and deescalate on the desk; and what ``desk.save`` accepts as it is.

Each command's accepted path (events, state, read models) and each of its rejections
(a specific error, nothing written); then events handed to ``desk.save`` directly: a
valid batch is stored, an invalid one is refused whole with :class:`InvalidHistory`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from uuid import UUID, uuid4

import pytest

from tests.support import assert_writes_nothing as rejected
from tests.support import log_size
from ticketlog import (
    AgentAtCapacity,
    AgentLacksSkill,
    AgentNotFound,
    AgentOffline,
    AgentProfile,
    DomainEvent,
    HelpDesk,
    InvalidHistory,
    InvalidTransition,
    InvalidValue,
    ManualClock,
    NotTheHolder,
    SameTarget,
    TicketAssigned,
    TicketDeescalated,
    TicketlogError,
    TicketReassigned,
    TicketReleased,
    TicketResolved,
    TicketStatus,
    TierTooLow,
)
from ticketlog.domain.agent import Agent
from ticketlog.domain.ticket import Ticket

WAITING, ASSIGNED = TicketStatus.WAITING, TicketStatus.ASSIGNED


def assert_writes_nothing(
    desk: HelpDesk, error: type[TicketlogError], command: Callable[[], object]
) -> str:
    """``command`` raises exactly ``error`` and the log does not grow; the message."""
    return str(rejected(desk, error, command))


@pytest.fixture
def team(desk: HelpDesk) -> tuple[UUID, UUID, UUID]:
    """Ann holds a tier-2 ticket; Bob (tier 2, capacity 2) could take it."""
    ann = desk.join_agent("Ann", tier=2, capacity=3)
    bob = desk.join_agent("Bob", tier=2, capacity=2)
    ticket = desk.receive(channel="email", customer_id="c-1", tier=2, queue="second-line")
    desk.assign(ticket, ann)
    return ann, bob, ticket


# --- reassign --------------------------------------------------------------------------------


def test_a_reassignment_passes_the_ticket_to_another_person_in_the_same_queue(
    desk: HelpDesk, clock: ManualClock, team: tuple[UUID, UUID, UUID]
) -> None:
    ann, bob, ticket = team
    clock.advance(minutes=5)

    desk.reassign(ticket, bob, actor_id=ann, reason="specialist")

    event = desk.ticket_events(ticket)[-1]
    assert isinstance(event, TicketReassigned)
    assert (event.from_agent_id, event.to_agent_id, event.actor_id, event.reason) == (
        ann,
        bob,
        ann,
        "specialist",
    )
    state = desk.ticket(ticket)
    assert (state.status, state.agent_id, state.queue, state.tier) == (
        ASSIGNED,
        bob,
        "second-line",
        2,
    )
    assert (state.reassignments, state.transfers) == (1, 0)
    assert desk.held_by(ann) == frozenset()
    assert desk.held_by(bob) == {ticket}
    facts = desk.view().facts.tickets[ticket]
    assert (facts.reassignments, facts.handle_time, facts.holder_id) == (
        1,
        timedelta(minutes=5),
        bob,
    )


def test_a_ticket_resolved_after_a_reassignment_is_no_first_contact_resolution(
    desk: HelpDesk, clock: ManualClock, team: tuple[UUID, UUID, UUID]
) -> None:
    _, bob, ticket = team
    desk.reassign(ticket, bob)
    clock.advance(minutes=10)
    desk.resolve(ticket, bob)

    kpis = desk.view().kpis(now=clock.now())

    assert (kpis.resolved, kpis.fcr) == (1, 0.0)
    assert (kpis.reassignment_rate, kpis.reassignments_per_ticket) == (100.0, 1.0)
    assert desk.view().workloads.workload(bob, now=clock.now()).handled == 1


def test_a_reassignment_needs_a_held_ticket_and_someone_else_who_can_take_it(
    desk: HelpDesk, team: tuple[UUID, UUID, UUID]
) -> None:
    ann, bob, ticket = team
    eve = desk.join_agent("Eve", tier=1)
    zoe = desk.join_agent("Zoe", tier=2, online=False)
    kim = desk.join_agent("Kim", tier=2, languages=["de"])
    waiting = desk.receive(channel="email", customer_id="c-2")
    for filler in range(2):
        other = desk.receive(channel="email", customer_id=f"c-{filler + 3}")
        desk.assign(other, bob)

    message = assert_writes_nothing(desk, SameTarget, lambda: desk.reassign(ticket, ann))
    assert "Ann" in message
    assert_writes_nothing(desk, InvalidTransition, lambda: desk.reassign(waiting, ann))
    assert_writes_nothing(desk, TierTooLow, lambda: desk.reassign(ticket, eve))
    assert_writes_nothing(desk, AgentOffline, lambda: desk.reassign(ticket, zoe))
    assert_writes_nothing(desk, AgentLacksSkill, lambda: desk.reassign(ticket, kim))
    assert_writes_nothing(desk, AgentAtCapacity, lambda: desk.reassign(ticket, bob))
    assert_writes_nothing(desk, AgentNotFound, lambda: desk.reassign(ticket, uuid4()))
    assert desk.ticket(ticket).agent_id == ann


# --- release ---------------------------------------------------------------------------------


def test_the_holder_releases_a_ticket_back_to_its_queue(
    desk: HelpDesk, clock: ManualClock, team: tuple[UUID, UUID, UUID]
) -> None:
    ann, bob, ticket = team
    clock.advance(minutes=3)

    desk.release(ticket, ann, reason="end of shift")

    event = desk.ticket_events(ticket)[-1]
    assert isinstance(event, TicketReleased)
    assert (event.from_agent_id, event.actor_id, event.reason) == (ann, ann, "end of shift")
    state = desk.ticket(ticket)
    assert (state.status, state.agent_id, state.last_agent_id) == (WAITING, None, ann)
    view = desk.view()
    assert [t.ticket_id for t in view.queues.waiting("second-line")] == [ticket]
    assert view.workloads.held_by(ann) == frozenset()
    assert view.facts.tickets[ticket].handle_time == timedelta(minutes=3)
    desk.assign(ticket, bob)  # waits to be taken again
    assert desk.held_by(bob) == {ticket}


def test_only_the_holder_releases_a_held_ticket(
    desk: HelpDesk, team: tuple[UUID, UUID, UUID]
) -> None:
    ann, bob, ticket = team
    assert_writes_nothing(desk, NotTheHolder, lambda: desk.release(ticket, bob))
    desk.release(ticket, ann)
    assert_writes_nothing(desk, InvalidTransition, lambda: desk.release(ticket, ann))


# --- deescalate ------------------------------------------------------------------------------


def test_a_deescalation_moves_the_ticket_one_tier_down_by_default_to_wait_there(
    desk: HelpDesk, clock: ManualClock, team: tuple[UUID, UUID, UUID]
) -> None:
    ann, _, ticket = team
    clock.advance(minutes=4)

    desk.deescalate(ticket, to_queue="first-line", actor_id=ann, reason="push to front")

    event = desk.ticket_events(ticket)[-1]
    assert isinstance(event, TicketDeescalated)
    assert (event.from_tier, event.to_tier, event.from_queue, event.to_queue) == (
        2,
        1,
        "second-line",
        "first-line",
    )
    assert event.from_agent_id == ann
    state = desk.ticket(ticket)
    assert (state.status, state.agent_id, state.tier, state.queue) == (
        WAITING,
        None,
        1,
        "first-line",
    )
    assert (state.deescalations, state.escalations, state.transfers) == (1, 0, 0)
    kpis = desk.view().kpis(now=clock.now())
    assert (kpis.deescalation_rate, kpis.escalation_rate, kpis.transfer_rate) == (100.0, 0.0, 0.0)
    assert desk.held_by(ann) == frozenset()


def test_a_deescalation_must_lower_the_tier(desk: HelpDesk, team: tuple[UUID, UUID, UUID]) -> None:
    _, _, ticket = team
    for to_tier in (2, 3, -1):
        message = assert_writes_nothing(
            desk, InvalidValue, partial(desk.deescalate, ticket, to_tier=to_tier)
        )
        assert f"from 2 to {to_tier}" in message
    desk.deescalate(ticket, to_tier=0)
    assert desk.ticket(ticket).tier == 0
    message = assert_writes_nothing(desk, InvalidValue, lambda: desk.deescalate(ticket))
    assert "lower the tier" in message
    desk.abandon(ticket)
    assert_writes_nothing(desk, InvalidTransition, lambda: desk.deescalate(ticket, to_tier=0))


def test_an_escalation_that_would_lower_the_tier_says_to_deescalate(
    desk: HelpDesk, team: tuple[UUID, UUID, UUID]
) -> None:
    _, _, ticket = team
    message = assert_writes_nothing(
        desk, InvalidValue, lambda: desk.escalate(ticket, kind="hierarchical", to_tier=1)
    )
    assert "deescalate instead" in message


def test_an_agent_belongs_to_their_home_team_and_their_other_teams(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", team="billing", teams=["refunds", "vip"])
    assert desk.agent(ann).all_teams == {"billing", "refunds", "vip"}
    assert desk.agent(ann).team == "billing"


# --- desk.save of events given as they are ---------------------------------------------------


def history(desk: HelpDesk) -> tuple[list[DomainEvent], UUID]:
    """A valid batch: Ann joins, a ticket arrives, Ann takes it (events, Ann's id)."""
    now = desk.clock.now()
    agent = Agent.join(
        agent_id=uuid4(), at=now, name="Ann", profile=AgentProfile(capacity=2, tier=2)
    )
    ticket = Ticket.receive(ticket_id=uuid4(), at=now, channel="email", customer_id="c-1")
    ticket.record(TicketAssigned, at=now + timedelta(minutes=1), agent_id=agent.id)
    events: list[DomainEvent] = [*agent.collect_events(), *ticket.collect_events()]
    return events, agent.id


def test_a_valid_batch_of_events_is_stored_as_it_is(desk: HelpDesk) -> None:
    events, ann = history(desk)

    desk.save(*events)

    assert log_size(desk) == 3
    assert desk.held_by(ann) == {events[-1].originator_id}


def test_events_naming_an_unknown_agent_are_refused_whole(desk: HelpDesk) -> None:
    events, _ = history(desk)
    stranger = uuid4()
    ticket_id = events[1].originator_id
    resolved = TicketResolved(
        originator_id=ticket_id, originator_version=3, at=events[-1].at, actor_id=stranger
    )

    message = assert_writes_nothing(desk, InvalidHistory, lambda: desk.save(*events, resolved))

    assert str(stranger) in message
    assert isinstance(InvalidHistory(), InvalidValue)


def test_an_agent_in_the_store_may_be_named_by_a_later_batch(desk: HelpDesk) -> None:
    bob = desk.join_agent("Bob", tier=2)
    events, _ = history(desk)
    ticket_id = events[1].originator_id
    later = events[-1].at + timedelta(minutes=5)
    desk.save(*events)

    desk.save(TicketResolved(originator_id=ticket_id, originator_version=3, at=later, actor_id=bob))

    assert desk.ticket(ticket_id).status is TicketStatus.RESOLVED


def test_events_out_of_time_order_are_refused(desk: HelpDesk) -> None:
    events, _ = history(desk)
    assigned = events[-1]
    early = assigned.model_copy(update={"at": events[1].at - timedelta(seconds=1)})

    message = assert_writes_nothing(desk, InvalidHistory, lambda: desk.save(*events[:2], early))

    assert "earlier than" in message


def test_events_with_a_gap_in_their_versions_are_refused(desk: HelpDesk) -> None:
    events, _ = history(desk)
    gap = events[-1].model_copy(update={"originator_version": 3})

    message = assert_writes_nothing(desk, InvalidHistory, lambda: desk.save(*events[:2], gap))

    assert "expected version 2" in message


def test_a_stream_must_start_with_its_creation_and_continue_the_store(desk: HelpDesk) -> None:
    events, _ = history(desk)
    orphan = events[-1].model_copy(update={"originator_version": 1})
    assert_writes_nothing(desk, InvalidHistory, lambda: desk.save(events[0], orphan))
    desk.save(*events[:2])
    too_far = events[-1].model_copy(update={"originator_version": 3})
    assert_writes_nothing(desk, InvalidHistory, lambda: desk.save(too_far))
    stale = events[-1].model_copy(update={"at": events[1].at - timedelta(minutes=1)})
    assert_writes_nothing(desk, InvalidHistory, lambda: desk.save(stale))

    desk.save(events[-1])  # follows on from the stored version, in time

    assert log_size(desk) == 3
    assert_writes_nothing(desk, InvalidHistory, lambda: desk.save(*events))  # stored already
