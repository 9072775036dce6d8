"""The desk against the reference model, driven by random command sequences.

Also checks that the public strategies in :mod:`ticketlog.testing.strategies` only draw
values the desk accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings

from ticketlog import HelpDesk, ManualClock, TicketStatus
from ticketlog.domain.values import MAX_TIER
from ticketlog.testing.stateful import DeskMachine
from ticketlog.testing.strategies import (
    AgentProfileArguments,
    TicketAttributes,
    agent_profiles,
    csat_scores,
    nps_scores,
    ticket_attributes,
)

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
"""Business time at which each desk of the plain tests starts."""

_profile = settings()
"""The loaded profile (dev, nightly or ci), which the machine's settings build on."""

TestDesk = DeskMachine.TestCase
"""Every command on a real in-memory desk, checked against the model after each step."""
TestDesk.settings = settings(
    _profile,
    max_examples=max(_profile.max_examples, 100),
    stateful_step_count=40,
    deadline=None,
)


@given(attributes=ticket_attributes())
def test_drawn_ticket_attributes_are_accepted_by_receive(attributes: TicketAttributes) -> None:
    with HelpDesk("memory://", clock=ManualClock(START)) as desk:
        ticket_id = desk.receive(**attributes)
        state = desk.ticket(ticket_id)
    assert state.status is TicketStatus.WAITING
    assert (state.queue, state.tier, state.language) == (
        attributes["queue"],
        attributes["tier"],
        attributes["language"],
    )
    assert state.required_skills == attributes["required_skills"]


@given(profile=agent_profiles())
def test_drawn_agent_profiles_are_accepted_by_join_agent(profile: AgentProfileArguments) -> None:
    with HelpDesk("memory://", clock=ManualClock(START)) as desk:
        agent_id = desk.join_agent(**profile)
        state = desk.agent(agent_id)
    assert state.online is profile["online"]
    assert (state.tier, state.capacity, state.skills, state.languages) == (
        profile["tier"],
        profile["capacity"],
        profile["skills"],
        profile["languages"],
    )


@given(csat=csat_scores(), nps=nps_scores())
def test_drawn_scores_are_accepted_by_rate(csat: int, nps: int) -> None:
    with HelpDesk("memory://", clock=ManualClock(START)) as desk:
        agent_id = desk.join_agent("Ann")
        ticket_id = desk.receive(channel="email", customer_id="c-1")
        desk.assign(ticket_id, agent_id)
        desk.resolve(ticket_id, agent_id)
        desk.rate(ticket_id, csat=csat, nps=nps)
        state = desk.ticket(ticket_id)
    assert (state.csat, state.nps, state.rated) == (csat, nps, True)


@pytest.mark.parametrize(
    "make",
    [
        lambda: ticket_attributes(max_tier=MAX_TIER + 1),
        lambda: ticket_attributes(max_tier=-1),
        lambda: agent_profiles(max_tier=MAX_TIER + 1),
        lambda: agent_profiles(max_capacity=0),
    ],
)
def test_strategies_refuse_bounds_the_desk_would_reject(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="must be"):
        make()


def test_an_agent_at_capacity_can_move_the_ticket_they_hold_to_another_queue(
    desk: HelpDesk,
) -> None:
    """The holder keeps the ticket; it does not count against their capacity twice."""
    agent_id = desk.join_agent("Ann", capacity=1)
    ticket_id = desk.receive(channel="email", customer_id="c-1")
    desk.assign(ticket_id, agent_id)

    desk.transfer(ticket_id, to_agent_id=agent_id, to_queue="billing")

    state = desk.ticket(ticket_id)
    assert (state.agent_id, state.queue) == (agent_id, "billing")
    assert desk.held_by(agent_id) == {ticket_id}
