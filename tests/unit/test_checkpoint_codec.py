"""The checkpoint encoding: what it round-trips, what it refuses to write or to read."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta, timezone
from fractions import Fraction
from typing import Any, NamedTuple
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs
import hypothesis
import pytest
from hypothesis import strategies as st

import ticketlog
from ticketlog import HelpDesk, ManualClock, Priority
from ticketlog.domain.agent import Agent
from ticketlog.domain.events import AgentProfile, DomainEvent
from ticketlog.domain.ticket import Ticket
from ticketlog.projections import DeskView, Queues, fold
from ticketlog.projections.checkpoint import (
    NotCheckpointable,
    UnreadableCheckpoint,
    decode,
    encode,
)
from ticketlog.testing.histories import Fact, record, recorded_facts


class Pair(NamedTuple):
    left: Any
    right: Any


@attrs.define
class Record:
    name: str
    items: list[int]


class Holder:
    """A user projection: plain attributes holding anything."""

    def __init__(self, **state: Any) -> None:
        self.__dict__.update(state)

    def apply(self, event: DomainEvent) -> None:
        """Fold nothing."""


def round_trip(holder: Holder) -> Holder:
    return decode(encode(holder, 3), Holder, 3)


def test_a_desk_view_comes_back_equal_to_the_fold(desk: HelpDesk, clock: ManualClock) -> None:
    ann = desk.join_agent("Ann", capacity=5, skills={"refunds"})
    for n in range(6):
        clock.advance(minutes=5)
        ticket = desk.receive(channel="chat", customer_id=f"c{n}", priority="high", plan="pro")
        if n % 2:
            desk.assign(ticket, ann)
            desk.respond(ticket, ann)
        if n % 3 == 2:
            desk.escalate(ticket, kind="hierarchical", to_tier=2)
    view = desk.view()

    restored = decode(encode(view, 9), DeskView, 9)

    assert restored == view == fold(DeskView(), (e for _, e in desk.read_log()))
    assert restored.workloads.workload(ann, now=clock.now()) == view.workloads.workload(
        ann, now=clock.now()
    )


def test_values_of_every_supported_type_come_back_equal_and_typed() -> None:
    values = {
        "text": "x",
        "number": 3,
        "flag": True,
        "nothing": None,
        "real": 0.25,
        "infinite": math.inf,
        "id": UUID(int=7),
        "when": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=2))),
        "day": date(2026, 1, 2),
        "hour": time(9, 30),
        "span": timedelta(days=-1, seconds=5, microseconds=3),
        "zone": ZoneInfo("Europe/Paris"),
        "utc": UTC,
        "enum": Priority.URGENT,
        "model": AgentProfile(team="t", teams=frozenset({"a"}), capacity=3),
        "tuple": (1, "a"),
        "named": Pair(UUID(int=1), [1]),
        "set": {1, 2},
        "frozen": frozenset({"a"}),
        "keys": {UUID(int=1): "a", (1, 2): "b", Priority.LOW: "c"},
        "counts": defaultdict(list, {"a": [1]}),
        "record": Record("r", [1, 2]),
    }

    restored = round_trip(Holder(**values)).__dict__

    assert restored == values
    assert {k: type(v) for k, v in restored.items()} == {k: type(v) for k, v in values.items()}
    assert restored["counts"].default_factory is list


def test_shared_containers_stay_shared() -> None:
    shared = [1, 2]
    record = Record("r", shared)

    restored = vars(round_trip(Holder(a=shared, b={"x": shared}, c=record, d=record)))

    assert restored["a"] is restored["b"]["x"] is restored["c"].items
    assert restored["c"] is restored["d"]
    restored["a"].append(3)
    assert restored["c"].items == [1, 2, 3]


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (lambda: 1, "function"),
        (Fraction(1, 3), "fractions.Fraction"),
        (defaultdict(lambda: 0), "defaultdict"),
        (int, "type"),
    ],
)
def test_a_state_the_encoding_cannot_load_is_refused_when_saving(value: Any, named: str) -> None:
    with pytest.raises(NotCheckpointable, match=named):
        encode(Holder(value=value), 1)


def test_a_reference_cycle_is_refused_when_saving() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(NotCheckpointable, match="cycle"):
        encode(Holder(value=cycle), 1)


def test_the_document_names_its_format_version_class_and_position() -> None:
    document = json.loads(encode(Holder(value=UUID(int=1)), 42))
    assert document == {
        "format": "ticketlog-checkpoint",
        "version": 1,
        "ticketlog": ticketlog.__version__,
        "projection": f"{__name__}:Holder",
        "position": 42,
        "state": {
            "object": [f"{__name__}:Holder", {"dict": [["value", {"uuid": "0" * 31 + "1"}]]}]
        },
    }


@pytest.mark.parametrize(
    "state",
    [
        {"list": [{"unknown-tag": 1}]},
        {"list": [{"list": 1, "set": 2}]},
        {"uuid": 5},
        {"timedelta": ["1", 0, 0]},
        {"defaultdict": ["os.system", {"dict": []}]},
        {"enum": ["ticketlog.domain.values:Priority", "no-such-priority"]},
        {"namedtuple": ["ticketlog.projections.view:DeskView", []]},
        {"object": ["ticketlog.domain.values:Priority", {"dict": []}]},
        {"object": [f"{__name__}:Holder", {"list": []}]},
        [1, 2],
    ],
)
def test_a_malformed_state_is_an_unreadable_checkpoint(state: Any) -> None:
    document = json.loads(encode(Holder(), 1)) | {"state": state}
    with pytest.raises(UnreadableCheckpoint):
        decode(json.dumps(document).encode(), Holder, 1)


def test_a_checkpoint_whose_state_is_another_type_is_unreadable() -> None:
    data = encode(Queues(), 1)
    document = json.loads(data) | {"projection": "ticketlog.projections.view:DeskView"}
    with pytest.raises(UnreadableCheckpoint, match="holds a Queues"):
        decode(json.dumps(document).encode(), DeskView, 1)


T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def recorded_events(histories: list[list[Fact]]) -> list[DomainEvent]:
    """Two agents and one ticket per history, each fact a minute after the last."""
    agents = []
    for n, name in enumerate(("Ann", "Bob")):
        agent = Agent.join(
            agent_id=UUID(int=n + 1), at=T0, name=name, profile=AgentProfile(capacity=50)
        )
        agent.go_online(at=T0)
        agents.append(agent)
    events: list[DomainEvent] = [e for agent in agents for e in agent.collect_events()]
    ids = [agent.id for agent in agents]
    for n, facts in enumerate(histories):
        at = T0 + timedelta(minutes=n)
        ticket = Ticket.receive(ticket_id=UUID(int=100 + n), at=at, channel="chat", customer_id="c")
        for minutes, fact in enumerate(facts, start=1):
            record(ticket, fact, agents=ids, at=at + timedelta(minutes=minutes))
        events.extend(ticket.collect_events())
    return sorted(events, key=lambda e: e.at)


@hypothesis.given(
    histories=st.lists(recorded_facts(max_size=8), max_size=6), cut=st.integers(0, 60)
)
def test_a_restored_view_folds_on_exactly_like_the_one_it_was_taken_from(
    histories: list[list[Fact]], cut: int
) -> None:
    events = recorded_events(histories)
    before, after = events[:cut], events[cut:]
    live = fold(DeskView(), before)

    restored = decode(encode(live, len(before)), DeskView, len(before))

    assert restored == live
    assert fold(restored, after) == fold(live, after) == fold(DeskView(), events)
    assert restored.queues.index("general", "fifo") == live.queues.index("general", "fifo")
