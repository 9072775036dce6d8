"""An agent's own history keeps their holdings: every change of holder a ticket command
makes is saved with the agent's side of it (AgentStartedHolding / AgentStoppedHolding),
and older histories without those events still count what their tickets say."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from ticketlog import (
    AgentAtCapacity,
    AgentJoined,
    AgentProfile,
    AgentStartedHolding,
    AgentStoppedHolding,
    AgentWentOnline,
    DomainEvent,
    HelpDesk,
    ManualClock,
    TicketAssigned,
    TicketReceived,
)
from ticketlog.domain.values import Channel

Move = Callable[[HelpDesk, UUID, UUID, UUID], object]
"""A command moving ``ticket`` (held by ``ann``) on; ``bob`` is another online agent."""

MOVES_OFF: dict[str, Move] = {
    "resolve": lambda desk, ticket, ann, _: desk.resolve(ticket, ann),
    "release": lambda desk, ticket, ann, _: desk.release(ticket, ann),
    "transfer to a queue": lambda desk, ticket, _, __: desk.transfer(ticket, to_queue="billing"),
    "transfer to an agent": lambda desk, ticket, _, bob: desk.transfer(ticket, to_agent_id=bob),
    "reassign": lambda desk, ticket, _, bob: desk.reassign(ticket, bob),
    "escalate": lambda desk, ticket, _, __: desk.escalate(ticket, kind="hierarchical"),
    "deescalate": lambda desk, ticket, _, __: desk.deescalate(ticket, to_tier=1),
    "close": lambda desk, ticket, _, __: desk.close_ticket(ticket),
}


def holdings(desk: HelpDesk, agent_id: UUID) -> frozenset[UUID]:
    """What the agent's own history says they hold; it must agree with the tickets."""
    own = desk.agent(agent_id).holdings
    assert own == desk.held_by(agent_id)
    return own


def test_an_assignment_is_saved_with_the_agents_side_of_it(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", capacity=2)
    ticket = desk.receive(channel="chat", customer_id="c-1")
    desk.assign(ticket, ann)

    last = desk.agent_events(ann)[-1]
    assert isinstance(last, AgentStartedHolding)
    assert last.ticket_id == ticket
    assert last.at == desk.ticket_events(ticket)[-1].at
    assert holdings(desk, ann) == {ticket}


@pytest.mark.parametrize("move", MOVES_OFF.values(), ids=MOVES_OFF.keys())
def test_every_move_off_an_agent_gives_their_seat_back(desk: HelpDesk, move: Move) -> None:
    ann = desk.join_agent("Ann", tier=2, capacity=1)
    bob = desk.join_agent("Bob", tier=2, capacity=1)
    ticket = desk.receive(channel="chat", customer_id="c-1", tier=2)
    desk.assign(ticket, ann)

    move(desk, ticket, ann, bob)

    stopped = desk.agent_events(ann)[-1]
    assert isinstance(stopped, AgentStoppedHolding)
    assert stopped.ticket_id == ticket
    assert holdings(desk, ann) == frozenset()
    assert holdings(desk, bob) == desk.held_by(bob)
    other = desk.receive(channel="chat", customer_id="c-2", tier=2)
    desk.assign(other, ann)  # the seat is free again
    assert holdings(desk, ann) == {other}


def test_a_move_to_another_agent_fills_their_seat_in_the_same_save(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", capacity=1)
    bob = desk.join_agent("Bob", capacity=1)
    first = desk.receive(channel="chat", customer_id="c-1")
    second = desk.receive(channel="chat", customer_id="c-2")
    desk.assign(first, ann)
    desk.assign(second, bob)

    with pytest.raises(AgentAtCapacity):
        desk.reassign(first, bob)
    with pytest.raises(AgentAtCapacity):
        desk.transfer(first, to_agent_id=bob)
    desk.resolve(second, bob)
    desk.transfer(first, to_agent_id=bob)
    assert holdings(desk, ann) == frozenset()
    assert holdings(desk, bob) == {first}


def test_commands_that_keep_the_holder_write_nothing_on_the_agent(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann")
    ticket = desk.receive(channel="chat", customer_id="c-1")
    desk.assign(ticket, ann)
    before = len(desk.agent_events(ann))
    desk.respond(ticket, ann)
    desk.await_customer(ticket, ann)
    desk.customer_replied(ticket)
    desk.reprioritise(ticket, "high")
    desk.transfer(ticket, to_agent_id=ann, to_queue="billing")  # she keeps it
    assert len(desk.agent_events(ann)) == before
    assert holdings(desk, ann) == {ticket}


def test_holdings_follow_each_tickets_time_not_the_agents(
    desk: HelpDesk, clock: ManualClock
) -> None:
    """A history told one ticket at a time: the second ticket's assignment is dated before
    the first one's resolution, and both are accepted."""
    ann = desk.join_agent("Ann", capacity=2)
    first = desk.receive(channel="chat", customer_id="c-1")
    second = desk.receive(channel="chat", customer_id="c-2")
    start = clock.now()
    desk.assign(first, ann, at=start + timedelta(minutes=1))
    desk.resolve(first, ann, at=start + timedelta(minutes=30))
    desk.assign(second, ann, at=start + timedelta(minutes=2))
    assert holdings(desk, ann) == {second}
    assert desk.agent(ann).last_at == start  # holdings leave the agent's own time alone


def old_store_history(
    ann: UUID, held: UUID, waiting: UUID, clock: ManualClock
) -> list[DomainEvent]:
    """Events as a store written before AgentStartedHolding holds them (Ann holds ``held``)."""
    at = clock.now()
    return [
        AgentJoined(
            originator_id=ann, originator_version=1, at=at, name="Ann", profile=AgentProfile()
        ),
        AgentWentOnline(originator_id=ann, originator_version=2, at=at),
        TicketReceived(
            originator_id=held, originator_version=1, at=at, channel=Channel.CHAT, customer_id="c"
        ),
        TicketReceived(
            originator_id=waiting,
            originator_version=1,
            at=at,
            channel=Channel.CHAT,
            customer_id="d",
        ),
        TicketAssigned(originator_id=held, originator_version=2, at=at, agent_id=ann),
    ]


def test_an_agent_of_an_older_store_counts_what_their_tickets_say(
    desk: HelpDesk, clock: ManualClock
) -> None:
    ann, held, waiting = uuid4(), uuid4(), uuid4()
    desk.save(*old_store_history(ann, held, waiting, clock))
    assert desk.agent(ann).holdings == frozenset()  # their history knows nothing of it
    assert desk.held_by(ann) == {held}

    with pytest.raises(AgentAtCapacity):  # capacity 1, and the tickets say she holds one
        desk.assign(waiting, ann)
    desk.resolve(held, ann)
    desk.assign(waiting, ann)
    assert holdings(desk, ann) == {waiting}


def test_a_log_with_holdings_dated_by_their_tickets_can_be_saved_again_as_it_is(
    desk: HelpDesk, clock: ManualClock
) -> None:
    """Ann's holding is dated before her own latest event (she went offline and online
    again later): a copy of the log is still a valid history."""
    ann = desk.join_agent("Ann")
    ticket = desk.receive(channel="chat", customer_id="c-1")
    desk.go_offline(ann, at=clock.now() + timedelta(minutes=10))
    desk.go_online(ann, at=clock.now() + timedelta(minutes=20))
    desk.assign(ticket, ann, at=clock.now() + timedelta(minutes=5))
    log = [event for _, event in desk.read_log()]
    assert [type(e) for e in log][-1] is AgentStartedHolding

    with HelpDesk("memory://", clock=clock) as copy:
        copy.save(*log)
        assert holdings(copy, ann) == {ticket}
        assert copy.agent(ann).last_at == clock.now() + timedelta(minutes=20)
