"""The event mapper: every event survives a trip to a stored event and back.

Stored topics are the storage contract, so the full list of topics is pinned here.
"""

from __future__ import annotations

import json
import types
import typing
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import hypothesis
import pytest
from eventsourcing.compressor import ZlibCompressor
from eventsourcing.persistence import StoredEvent
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from ticketlog.domain.events import (
    EVENT_TYPES,
    AgentJoined,
    AgentProfile,
    DomainEvent,
    TicketAwaitingCustomer,
    TicketDeescalated,
    TicketRated,
    TicketReceived,
    TicketResolved,
)
from ticketlog.domain.values import (
    MAX_ESTIMATED_EFFORT,
    MAX_TIER,
    AssignedBy,
    AwaitedParty,
    Channel,
    EscalationKind,
    Priority,
    SlaTarget,
)
from ticketlog.persistence.mapper import CorruptEvent, EventMapper, UnknownEventType

EXPECTED_TOPICS = {
    "ticketlog:TicketReceived",
    "ticketlog:TicketAssigned",
    "ticketlog:TicketResponded",
    "ticketlog:TicketTransferred",
    "ticketlog:TicketReassigned",
    "ticketlog:TicketReleased",
    "ticketlog:TicketEscalated",
    "ticketlog:TicketDeescalated",
    "ticketlog:TicketResolved",
    "ticketlog:TicketReopened",
    "ticketlog:TicketRated",
    "ticketlog:TicketClosed",
    "ticketlog:TicketAbandoned",
    "ticketlog:TicketReprioritised",
    "ticketlog:TicketAwaitingCustomer",
    "ticketlog:TicketCustomerReplied",
    "ticketlog:AgentJoined",
    "ticketlog:AgentProfileChanged",
    "ticketlog:AgentWentOnline",
    "ticketlog:AgentWentOffline",
    "ticketlog:AgentStartedHolding",
    "ticketlog:AgentStoppedHolding",
    "ticketlog:ReviewClaimed",
    "ticketlog:TicketReviewed",
    "ticketlog:ReviewReleased",
}

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ID = UUID("00000000-0000-4000-8000-000000000001")

# --- strategies -----------------------------------------------------------------------------

MAX_OFFSET_SECONDS = 24 * 3600 - 1

time_zones = st.integers(-MAX_OFFSET_SECONDS, MAX_OFFSET_SECONDS).map(
    lambda s: timezone(timedelta(seconds=s))
)
"""Fixed UTC offsets to the second (events store their times in UTC)."""

aware_datetimes = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=time_zones
)

names = st.text(min_size=1, max_size=30)
texts = st.text(max_size=60)
name_sets = st.frozensets(names, max_size=5)
tiers = st.integers(0, MAX_TIER)

efforts = st.timedeltas(min_value=timedelta(0), max_value=MAX_ESTIMATED_EFFORT)

profiles = st.builds(
    AgentProfile,
    team=names,
    teams=name_sets,
    tier=tiers,
    capacity=st.integers(1, 1_000),
    skills=name_sets,
    languages=name_sets,
    reviewer=st.booleans(),
)

FIELD_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    # envelope
    "originator_id": st.uuids(),
    "originator_version": st.integers(1, 2**62),
    "at": aware_datetimes,
    "actor_id": st.uuids(),
    # agents and ids
    "agent_id": st.uuids(),
    "from_agent_id": st.uuids(),
    "to_agent_id": st.uuids(),
    "ticket_id": st.uuids(),
    "reviewer_id": st.uuids(),
    # enumerations
    "channel": st.sampled_from(Channel),
    "priority": st.sampled_from(Priority),
    "old": st.sampled_from(Priority),
    "new": st.sampled_from(Priority),
    "by": st.sampled_from(AssignedBy),
    "kind": st.sampled_from(EscalationKind),
    "breach": st.sampled_from(SlaTarget),
    "party": st.sampled_from(AwaitedParty),
    # names and texts
    "customer_id": names,
    "category": names,
    "language": names,
    "plan": names,
    "policy": names,
    "queue": names,
    "from_queue": names,
    "to_queue": names,
    "code": names,
    "scorecard": names,
    "sampler": names,
    "name": names,
    "source": names,
    "source_id": names,
    "subject": texts,
    "reason": texts,
    "comment": texts,
    # numbers, flags, sets
    "tier": tiers,
    "from_tier": tiers,
    "to_tier": tiers,
    "csat": st.integers(1, 5),
    "nps": st.integers(0, 10),
    "customer_value": st.floats(min_value=0.0, allow_nan=False, allow_infinity=False),
    "first_time": st.booleans(),
    "public": st.booleans(),
    "estimated_effort": efforts,
    "required_skills": name_sets,
    "profile": profiles,
    "scorecard_version": st.integers(1, 2**31),
    "scores": st.dictionaries(names, st.integers(1, 5), max_size=6),
}
"""A strategy for the non-``None`` values of every event field, by field name."""


def allows_none(event_class: type[DomainEvent], field: str) -> bool:
    annotation = event_class.model_fields[field].annotation
    is_union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    return is_union and type(None) in typing.get_args(annotation)


def field_strategy(event_class: type[DomainEvent], field: str) -> st.SearchStrategy[Any]:
    strategy = FIELD_STRATEGIES[field]
    return st.none() | strategy if allows_none(event_class, field) else strategy


def events_of(event_class: type[DomainEvent]) -> st.SearchStrategy[DomainEvent]:
    """Valid instances of ``event_class`` with every field drawn (defaults included)."""
    fields = {name: field_strategy(event_class, name) for name in event_class.model_fields}
    if event_class is TicketRated:
        scores = st.tuples(fields.pop("csat"), fields.pop("nps")).filter(
            lambda s: s != (None, None)
        )
        return scores.flatmap(
            lambda s: st.builds(TicketRated, csat=st.just(s[0]), nps=st.just(s[1]), **fields)
        )
    if event_class is TicketDeescalated:
        lower = st.tuples(fields.pop("from_tier"), fields.pop("to_tier")).filter(
            lambda t: t[1] < t[0]
        )
        return lower.flatmap(
            lambda t: st.builds(
                TicketDeescalated, from_tier=st.just(t[0]), to_tier=st.just(t[1]), **fields
            )
        )
    return st.builds(event_class, **fields)


any_event = st.sampled_from(sorted(EVENT_TYPES)).flatmap(lambda t: events_of(EVENT_TYPES[t]))

ALL_CLASSES = [EVENT_TYPES[topic] for topic in sorted(EVENT_TYPES)]


def assert_same_types(original: BaseModel, decoded: BaseModel) -> None:
    """Every field value came back as the same Python type (recursing into models).

    Equality alone would not notice an enum decoded as a plain string: ``StrEnum``
    members equal their values.
    """
    assert type(decoded) is type(original)
    for name in type(original).model_fields:
        before, after = getattr(original, name), getattr(decoded, name)
        assert type(after) is type(before), (name, before, after)
        if isinstance(before, BaseModel):
            assert_same_types(before, after)
        if isinstance(before, frozenset):
            assert {type(x) for x in after} == {type(x) for x in before}


# --- the contract ---------------------------------------------------------------------------


def test_the_stored_topics_are_exactly_the_twenty_five_event_types() -> None:
    assert set(EVENT_TYPES) == EXPECTED_TOPICS
    assert len(EVENT_TYPES) == 25


@pytest.mark.parametrize("event_class", ALL_CLASSES, ids=lambda c: c.__name__)
def test_each_topic_is_ticketlog_colon_class_name(event_class: type[DomainEvent]) -> None:
    topic = event_class.TOPIC
    assert topic == f"ticketlog:{event_class.__name__}"
    assert EVENT_TYPES[topic] is event_class


def test_every_event_field_has_a_strategy() -> None:
    fields = {name for cls in ALL_CLASSES for name in cls.model_fields}
    assert fields <= set(FIELD_STRATEGIES), fields - set(FIELD_STRATEGIES)


def test_a_second_class_with_a_used_topic_is_refused() -> None:
    with pytest.raises(TypeError, match="already used"):

        class Impostor(DomainEvent):
            TOPIC = "ticketlog:TicketReceived"

    assert EVENT_TYPES["ticketlog:TicketReceived"] is TicketReceived


# --- the round trip -------------------------------------------------------------------------


@pytest.mark.parametrize("event_class", ALL_CLASSES, ids=lambda c: c.__name__)
@hypothesis.given(data=st.data())
def test_every_event_survives_a_round_trip(
    event_class: type[DomainEvent], data: st.DataObject
) -> None:
    event = data.draw(events_of(event_class))
    mapper = EventMapper()

    stored = mapper.to_stored_event(event)
    decoded = mapper.to_domain_event(stored)

    assert stored.topic == event_class.TOPIC == f"ticketlog:{event_class.__name__}"
    assert stored.originator_id == event.originator_id
    assert stored.originator_version == event.originator_version
    assert isinstance(stored.state, bytes)
    assert type(decoded) is event_class
    assert decoded == event
    assert decoded.at.utcoffset() == event.at.utcoffset()
    assert_same_types(event, decoded)
    # Stored again, the decoded event gives the very same row.
    assert mapper.to_stored_event(decoded) == stored


@hypothesis.given(event=any_event)
def test_a_compressed_round_trip_gives_the_same_event(event: DomainEvent) -> None:
    mapper = EventMapper(compressor=ZlibCompressor())
    stored = mapper.to_stored_event(event)
    assert stored.state != EventMapper().to_stored_event(event).state
    assert mapper.to_domain_event(stored) == event


def test_values_come_back_with_their_types() -> None:
    event = TicketReceived(
        originator_id=ID,
        originator_version=1,
        at=T0,
        actor_id=UUID(int=7),
        channel="chat",
        customer_id="c",
        priority="urgent",
        estimated_effort=timedelta(minutes=90, microseconds=5),
        required_skills={"billing", "sepa"},
    )
    mapper = EventMapper()

    decoded = mapper.to_domain_event(mapper.to_stored_event(event))

    assert isinstance(decoded, TicketReceived)
    assert decoded.channel is Channel.CHAT
    assert decoded.priority is Priority.URGENT
    assert type(decoded.required_skills) is frozenset
    assert decoded.required_skills == frozenset({"billing", "sepa"})
    assert type(decoded.originator_id) is UUID
    assert decoded.actor_id == UUID(int=7)
    assert type(decoded.actor_id) is UUID
    assert type(decoded.estimated_effort) is timedelta
    assert decoded.estimated_effort == timedelta(minutes=90, microseconds=5)
    assert decoded.at == T0
    assert decoded.at.utcoffset() == timedelta(0)


def test_the_stored_state_is_the_events_json() -> None:
    event = TicketRated(originator_id=ID, originator_version=4, at=T0, csat=5, comment="ok")
    state = json.loads(EventMapper().to_stored_event(event).state)
    assert state == {
        "originator_id": str(ID),
        "originator_version": 4,
        "at": "2026-11-24T09:00:00Z",
        "actor_id": None,
        "csat": 5,
        "nps": None,
        "comment": "ok",
    }


@hypothesis.given(skills=st.lists(names, unique=True, max_size=8), data=st.data())
def test_equal_skill_sets_store_equal_bytes_in_any_insertion_order(
    skills: list[str], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(skills))
    mapper = EventMapper()

    def stored(order: list[str]) -> bytes:
        skill_set = frozenset(order)
        profile = AgentProfile(skills=skill_set, languages=skill_set | {"en"})
        received = TicketReceived(
            originator_id=ID,
            originator_version=1,
            at=T0,
            channel="email",
            customer_id="c",
            required_skills=skill_set,
        )
        joined = AgentJoined(
            originator_id=ID, originator_version=1, at=T0, name="Ann", profile=profile
        )
        return mapper.to_stored_event(received).state + mapper.to_stored_event(joined).state

    assert stored(skills) == stored(shuffled)
    assert stored(skills) == stored(list(reversed(skills)))
    state = json.loads(
        mapper.to_stored_event(
            TicketReceived(
                originator_id=ID,
                originator_version=1,
                at=T0,
                channel="email",
                customer_id="c",
                required_skills=frozenset(shuffled),
            )
        ).state
    )
    assert state["required_skills"] == sorted(skills)


# --- what cannot be read --------------------------------------------------------------------


@pytest.mark.parametrize(
    "topic",
    [
        "ticketlog:TicketMerged",
        "ticketlog.domain.events:TicketReceived",
        "TicketReceived",
        "",
    ],
)
def test_an_unknown_topic_is_an_unknown_event_type(topic: str) -> None:
    good = EventMapper().to_stored_event(
        TicketReceived(
            originator_id=ID, originator_version=1, at=T0, channel="email", customer_id="c"
        )
    )
    stored = StoredEvent(originator_id=ID, originator_version=1, topic=topic, state=good.state)
    with pytest.raises(UnknownEventType, match="unknown event topic"):
        EventMapper().to_domain_event(stored)


@pytest.mark.parametrize(
    "state",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b"{}",
        b'{"originator_id": "x", "originator_version": 1, "at": "2026-11-24T09:00:00Z"}',
        # valid JSON of the wrong shape: a rating without a score
        b'{"originator_id": "00000000-0000-4000-8000-000000000001", "originator_version": 1,'
        b' "at": "2026-11-24T09:00:00Z", "csat": null, "nps": null}',
        # a score out of range
        b'{"originator_id": "00000000-0000-4000-8000-000000000001", "originator_version": 1,'
        b' "at": "2026-11-24T09:00:00Z", "csat": 7}',
        # a naive time
        b'{"originator_id": "00000000-0000-4000-8000-000000000001", "originator_version": 1,'
        b' "at": "2026-11-24T09:00:00", "csat": 5}',
        # a field the event does not have
        b'{"originator_id": "00000000-0000-4000-8000-000000000001", "originator_version": 1,'
        b' "at": "2026-11-24T09:00:00Z", "csat": 5, "stars": 5}',
    ],
)
def test_garbage_state_is_a_corrupt_event(state: bytes) -> None:
    stored = StoredEvent(
        originator_id=ID, originator_version=3, topic="ticketlog:TicketRated", state=state
    )
    with pytest.raises(CorruptEvent, match="ticketlog:TicketRated") as excinfo:
        EventMapper().to_domain_event(stored)
    assert str(ID) in str(excinfo.value)
    assert "v3" in str(excinfo.value)


# --- known losses (bugs) --------------------------------------------------------------------


@pytest.mark.parametrize(
    "effort", [timedelta.max, MAX_ESTIMATED_EFFORT + timedelta(microseconds=1)]
)
def test_an_estimated_effort_beyond_a_year_is_refused(effort: timedelta) -> None:
    with pytest.raises(ValidationError, match="estimated_effort"):
        TicketReceived(
            originator_id=ID,
            originator_version=1,
            at=T0,
            channel="email",
            customer_id="c",
            estimated_effort=effort,
        )


def test_the_longest_estimated_effort_keeps_its_microseconds() -> None:
    effort = MAX_ESTIMATED_EFFORT - timedelta(microseconds=1)
    event = TicketReceived(
        originator_id=ID,
        originator_version=1,
        at=T0,
        channel="email",
        customer_id="c",
        estimated_effort=effort,
    )
    mapper = EventMapper()
    decoded = mapper.to_domain_event(mapper.to_stored_event(event))
    assert isinstance(decoded, TicketReceived)
    assert decoded.estimated_effort == effort


def test_a_time_with_a_seconds_offset_keeps_its_instant_and_is_stored_in_utc() -> None:
    at = datetime(1970, 1, 1, 12, 0, tzinfo=timezone(timedelta(minutes=-44, seconds=-30)))
    event = TicketReceived(
        originator_id=ID, originator_version=1, at=at, channel="email", customer_id="c"
    )
    mapper = EventMapper()
    decoded = mapper.to_domain_event(mapper.to_stored_event(event)).at
    assert decoded == at
    assert decoded.utcoffset() == timedelta(0)


OLD_STATES: dict[str, dict[str, Any]] = {
    "ticketlog:TicketResolved": {
        "originator_id": str(ID),
        "originator_version": 3,
        "at": "2026-11-24T09:00:00Z",
        "actor_id": "00000000-0000-4000-8000-0000000000a1",
        "code": "solved",
    },
    "ticketlog:AgentJoined": {
        "originator_id": str(ID),
        "originator_version": 1,
        "at": "2026-11-24T09:00:00Z",
        "name": "Ann",
        "profile": {
            "team": "billing",
            "tier": 2,
            "capacity": 3,
            "skills": ["refunds"],
            "languages": ["en"],
        },
    },
    "ticketlog:TicketReceived": {
        "originator_id": str(ID),
        "originator_version": 1,
        "at": "2026-11-24T09:00:00Z",
        "actor_id": None,
        "channel": "email",
        "customer_id": "cust-1",
        "category": "general",
        "priority": "normal",
        "language": "en",
        "plan": None,
        "customer_value": 0.0,
        "first_time": False,
        "estimated_effort": None,
        "subject": "",
        "queue": "general",
        "tier": 1,
        "required_skills": [],
    },
    "ticketlog:TicketAwaitingCustomer": {
        "originator_id": str(ID),
        "originator_version": 4,
        "at": "2026-11-24T09:00:00Z",
        "actor_id": "00000000-0000-4000-8000-0000000000a1",
        "reason": "asked for the invoice",
    },
}
"""States as stores written before resolutions without a holder, several teams and source
ids (schema version 1, no ``class_version`` stored): every field they had, none of the fields
added since."""


@pytest.mark.parametrize("topic", sorted(OLD_STATES))
def test_events_stored_before_the_recorded_history_fields_read_back(topic: str) -> None:
    stored = StoredEvent(
        originator_id=ID,
        originator_version=OLD_STATES[topic]["originator_version"],
        topic=topic,
        state=json.dumps(OLD_STATES[topic]).encode(),
    )

    event = EventMapper().to_domain_event(stored)

    assert type(event) is EVENT_TYPES[topic]
    assert event.at == T0
    if isinstance(event, AgentJoined):
        assert (event.source, event.profile.team, event.profile.teams) == (
            None,
            "billing",
            frozenset(),
        )
    elif isinstance(event, TicketReceived):
        assert (event.source, event.source_id, event.channel) == (None, None, Channel.EMAIL)
    elif isinstance(event, TicketAwaitingCustomer):
        assert event.party is AwaitedParty.CUSTOMER
    else:
        assert isinstance(event, TicketResolved)
        assert event.actor_id == UUID("00000000-0000-4000-8000-0000000000a1")


# --- schema versions ------------------------------------------------------------------------


def test_an_event_class_of_a_new_version_must_say_how_to_upcast_the_old_ones() -> None:
    with pytest.raises(TypeError, match="lacks upcasters upcast_v2_v3"):

        class _Half(DomainEvent):
            class_version = 3

            @staticmethod
            def upcast_v1_v2(state: dict[str, Any]) -> None:
                state.setdefault("x", 1)


def test_a_versioned_event_stores_its_version_and_reads_back() -> None:
    event = TicketReceived(
        originator_id=ID, originator_version=1, at=T0, channel="email", customer_id="c"
    )
    stored = EventMapper().to_stored_event(event)
    assert stored.state.startswith(b'{"class_version":2,')
    assert json.loads(stored.state)["class_version"] == TicketReceived.class_version == 2
    assert EventMapper().to_domain_event(stored) == event
    unversioned = EventMapper().to_stored_event(
        TicketResolved(originator_id=ID, originator_version=2, at=T0)
    )
    assert b"class_version" not in unversioned.state


def stored_received(**changes: Any) -> StoredEvent:
    state = json.loads(
        EventMapper()
        .to_stored_event(
            TicketReceived(
                originator_id=ID, originator_version=1, at=T0, channel="email", customer_id="c"
            )
        )
        .state
    )
    state.update(changes)
    state = {k: v for k, v in state.items() if v is not ...}
    return StoredEvent(
        originator_id=ID,
        originator_version=1,
        topic=TicketReceived.TOPIC,
        state=json.dumps(state).encode(),
    )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"priority": ...}, "required fields missing: priority"),
        ({"priority": ..., "class_version": 1}, "required fields missing: priority"),
        ({"class_version": 3}, "schema version 3: this ticketlog reads versions 1 to 2"),
        ({"class_version": "2"}, "schema version '2'"),
        ({"class_version": 0}, "schema version 0"),
        ({"originator_version": 5}, "its state says v5"),
    ],
)
def test_a_stored_event_that_is_not_its_version_complete_is_corrupt(
    changes: dict[str, Any], reason: str
) -> None:
    with pytest.raises(CorruptEvent, match=reason):
        EventMapper().to_domain_event(stored_received(**changes))


def test_a_missing_field_of_a_nested_profile_is_never_defaulted() -> None:
    state = dict(OLD_STATES["ticketlog:AgentJoined"])
    state["profile"] = {k: v for k, v in state["profile"].items() if k != "capacity"}
    stored = StoredEvent(
        originator_id=ID,
        originator_version=1,
        topic=AgentJoined.TOPIC,
        state=json.dumps(state).encode(),
    )
    with pytest.raises(CorruptEvent, match=r"required fields missing: profile\.capacity"):
        EventMapper().to_domain_event(stored)
