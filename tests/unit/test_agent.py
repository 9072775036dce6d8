"""The agent aggregate: joining, availability, and profile changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import hypothesis
import pytest
from hypothesis import strategies as st

from ticketlog.domain.agent import Agent
from ticketlog.domain.errors import (
    InvalidTransition,
    InvalidValue,
    OutOfOrder,
    SameTarget,
    TicketlogError,
)
from ticketlog.domain.events import (
    AgentEvent,
    AgentJoined,
    AgentProfile,
    AgentProfileChanged,
    AgentWentOffline,
    AgentWentOnline,
    TicketReceived,
)
from ticketlog.domain.values import MAX_TIER

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
AGENT_ID = UUID("00000000-0000-4000-8000-0000000000a1")
PROFILE = AgentProfile(team="billing", tier=2, capacity=3, skills=frozenset({"sepa"}))


def minute(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def joined(v: int = 1, at: datetime = T0, profile: AgentProfile = PROFILE) -> AgentJoined:
    return AgentJoined(
        originator_id=AGENT_ID, originator_version=v, at=at, name="Ann", profile=profile
    )


def went_online(v: int, at: datetime) -> AgentWentOnline:
    return AgentWentOnline(originator_id=AGENT_ID, originator_version=v, at=at)


def went_offline(v: int, at: datetime) -> AgentWentOffline:
    return AgentWentOffline(originator_id=AGENT_ID, originator_version=v, at=at)


def given(*events: AgentEvent) -> Agent:
    agent = Agent.from_events(events)
    assert agent is not None
    return agent


def only_event(agent: Agent) -> AgentEvent:
    events = agent.collect_events()
    assert len(events) == 1, events
    return events[0]


def assert_rejected(agent: Agent, error: type[TicketlogError], **changes: Any) -> str:
    """``change_profile(**changes)`` raises exactly ``error`` and records nothing."""
    state, version = agent.state, agent.version
    with pytest.raises(error) as excinfo:
        agent.change_profile(at=minute(10), **changes)
    assert type(excinfo.value) is error
    assert agent.collect_events() == []
    assert (agent.state, agent.version) == (state, version)
    return str(excinfo.value)


# --- join ---------------------------------------------------------------------------------


def test_a_new_agent_is_offline_until_they_go_online() -> None:
    agent = Agent.join(agent_id=AGENT_ID, at=T0, name="Ann", profile=PROFILE)

    assert only_event(agent) == joined()
    state = agent.state
    assert not state.online
    assert agent.id == state.id == AGENT_ID
    assert agent.version == 1
    assert state.name == "Ann"
    assert state.joined_at == state.last_at == T0
    assert (state.team, state.tier, state.capacity) == ("billing", 2, 3)
    assert state.skills == frozenset({"sepa"})
    assert state.languages == frozenset({"en"})

    agent.go_online(at=minute(1))

    assert only_event(agent) == went_online(2, minute(1))
    assert agent.state.online
    assert agent.state.last_at == minute(1)
    assert agent.state.joined_at == T0


def test_the_default_profile_is_one_first_line_ticket_in_english() -> None:
    profile = AgentProfile()
    assert (profile.team, profile.tier, profile.capacity) == ("general", 1, 1)
    assert profile.skills == frozenset()
    assert profile.languages == frozenset({"en"})


@pytest.mark.parametrize("name", ["", "x" * 201])
def test_an_agent_needs_a_short_non_empty_name(name: str) -> None:
    with pytest.raises(InvalidValue, match="name"):
        Agent.join(agent_id=AGENT_ID, at=T0, name=name, profile=PROFILE)


def test_an_agent_cannot_join_at_a_naive_time() -> None:
    with pytest.raises(InvalidValue):
        Agent.join(agent_id=AGENT_ID, at=T0.replace(tzinfo=None), name="Ann", profile=PROFILE)


# --- online / offline ---------------------------------------------------------------------


def test_an_agent_goes_offline_and_back_online() -> None:
    agent = given(joined(), went_online(2, minute(1)))
    assert agent.state.online

    agent.go_offline(at=minute(2))
    assert only_event(agent) == went_offline(3, minute(2))
    assert not agent.state.online

    agent.go_online(at=minute(3))
    assert only_event(agent) == went_online(4, minute(3))
    assert agent.state.online
    assert agent.version == 4


def test_going_online_twice_is_an_invalid_transition() -> None:
    agent = given(joined(), went_online(2, minute(1)))
    with pytest.raises(InvalidTransition, match="already online"):
        agent.go_online(at=minute(2))
    assert agent.collect_events() == []
    assert agent.version == 2
    assert agent.state.last_at == minute(1)


def test_going_offline_twice_is_an_invalid_transition() -> None:
    agent = given(joined(), went_online(2, minute(1)), went_offline(3, minute(2)))
    with pytest.raises(InvalidTransition, match="already offline"):
        agent.go_offline(at=minute(3))
    assert agent.collect_events() == []
    assert agent.version == 3


def test_a_new_agent_cannot_go_offline() -> None:
    agent = given(joined())
    with pytest.raises(InvalidTransition):
        agent.go_offline(at=minute(1))
    assert agent.collect_events() == []


def test_an_agent_cannot_go_online_before_their_latest_event() -> None:
    agent = given(joined(at=minute(5)))
    with pytest.raises(OutOfOrder):
        agent.go_online(at=minute(4))
    assert agent.collect_events() == []
    assert not agent.state.online


# --- profile ------------------------------------------------------------------------------


def test_changing_the_profile_records_the_whole_new_profile() -> None:
    agent = given(joined())

    agent.change_profile(at=minute(10), capacity=5, skills={"sepa", "refunds"})

    new_profile = AgentProfile(
        team="billing", tier=2, capacity=5, skills=frozenset({"sepa", "refunds"})
    )
    assert only_event(agent) == AgentProfileChanged(
        originator_id=AGENT_ID, originator_version=2, at=minute(10), profile=new_profile
    )
    assert agent.state.profile == new_profile
    assert agent.state.capacity == 5
    assert agent.state.skills == frozenset({"sepa", "refunds"})
    assert isinstance(agent.state.skills, frozenset)
    assert agent.state.last_at == minute(10)


def test_a_profile_change_keeps_the_agent_online() -> None:
    agent = given(joined(), went_online(2, minute(1)))
    agent.change_profile(at=minute(2), languages={"en", "de"})
    assert agent.state.online
    assert agent.state.languages == frozenset({"en", "de"})


def test_a_profile_change_that_changes_nothing_is_rejected() -> None:
    agent = given(joined())
    assert_rejected(agent, SameTarget)
    assert_rejected(agent, SameTarget, capacity=3, team="billing")
    assert_rejected(agent, SameTarget, skills=["sepa"])


@pytest.mark.parametrize(
    "changes",
    [
        {"capacity": 0},
        {"capacity": 1_001},
        {"tier": 9},
        {"tier": MAX_TIER + 1},
        {"tier": -1},
        {"team": ""},
        {"skills": {""}},
        {"nickname": "Annie"},
    ],
)
def test_a_malformed_profile_change_is_an_invalid_value(changes: dict[str, Any]) -> None:
    assert_rejected(given(joined()), InvalidValue, **changes)


@hypothesis.given(tier=st.integers(0, MAX_TIER), capacity=st.integers(1, 1_000))
def test_any_tier_and_capacity_in_range_can_be_set(tier: int, capacity: int) -> None:
    agent = given(joined())
    if (tier, capacity) == (PROFILE.tier, PROFILE.capacity):
        assert_rejected(agent, SameTarget, tier=tier, capacity=capacity)
    else:
        agent.change_profile(at=minute(1), tier=tier, capacity=capacity)
        assert (agent.state.tier, agent.state.capacity) == (tier, capacity)
        assert agent.version == 2


def test_a_profile_change_earlier_than_the_latest_event_is_out_of_order() -> None:
    assert_rejected(given(joined(at=minute(20))), OutOfOrder, capacity=9)


# --- history ------------------------------------------------------------------------------


def test_an_agent_history_must_start_with_agent_joined() -> None:
    with pytest.raises(TypeError, match="starts with AgentJoined"):
        Agent.from_events([went_online(1, T0)])


def test_ticket_events_do_not_belong_to_an_agent_history() -> None:
    received = TicketReceived(
        originator_id=AGENT_ID, originator_version=2, at=T0, channel="email", customer_id="c"
    )
    with pytest.raises(TypeError, match="does not belong"):
        Agent.from_events([joined(), received])  # type: ignore[list-item]


def test_no_events_make_no_agent() -> None:
    assert Agent.from_events([]) is None


def test_an_agent_rebuilt_from_its_events_has_the_same_state() -> None:
    agent = Agent.join(agent_id=AGENT_ID, at=T0, name="Ann", profile=PROFILE)
    agent.go_online(at=minute(1))
    agent.change_profile(at=minute(2), tier=3)
    agent.go_offline(at=minute(3))
    events = agent.collect_events()

    rebuilt = given(*events)

    assert [e.originator_version for e in events] == [1, 2, 3, 4]
    assert rebuilt.state == agent.state
    assert rebuilt.version == 4
    assert rebuilt.state.tier == 3
    assert not rebuilt.state.online
