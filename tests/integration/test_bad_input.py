"""Bad input raises a specific :class:`~ticketlog.TicketlogError` on every store, and the
same one on SQLite and PostgreSQL: malformed ids and times, loose types for tiers, scores
and capacities, a file that is not a database, calls after ``close()``. Nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from tests.support import assert_writes_nothing
from ticketlog import (
    HelpDesk,
    InvalidId,
    InvalidTime,
    InvalidValue,
    ManualClock,
    PostgresStore,
    SQLiteStore,
    StoreClosed,
    StoreUnavailable,
    TicketlogError,
)

Store = SQLiteStore | PostgresStore
Call = Callable[[HelpDesk, UUID, UUID], object]
"""A call on a desk with one online agent and one ticket (waiting, then held by them)."""

NOT_AN_ID = "not-a-uuid"
NAIVE = datetime(2026, 11, 24, 9, 0)

BAD_IDS: dict[str, Call] = {
    "ticket": lambda desk, _, __: desk.ticket(NOT_AN_ID),  # type: ignore[arg-type]
    "agent": lambda desk, _, __: desk.agent(NOT_AN_ID),  # type: ignore[arg-type]
    "ticket_events": lambda desk, _, __: desk.ticket_events(NOT_AN_ID),  # type: ignore[arg-type]
    "timeline": lambda desk, _, __: desk.timeline(NOT_AN_ID),  # type: ignore[arg-type]
    "held_by": lambda desk, _, __: desk.held_by(NOT_AN_ID),  # type: ignore[arg-type]
    "assign ticket": lambda desk, _, ann: desk.assign(NOT_AN_ID, ann),  # type: ignore[arg-type]
    "assign agent": lambda desk, ticket, _: desk.assign(ticket, NOT_AN_ID),  # type: ignore[arg-type]
    "assign int": lambda desk, ticket, _: desk.assign(ticket, 7),  # type: ignore[arg-type]
    "respond": lambda desk, ticket, _: desk.respond(ticket, NOT_AN_ID),  # type: ignore[arg-type]
    "transfer": lambda desk, ticket, _: desk.transfer(ticket, to_agent_id=NOT_AN_ID),  # type: ignore[arg-type]
    "go_online": lambda desk, _, __: desk.go_online(NOT_AN_ID),  # type: ignore[arg-type]
    "assign_next": lambda desk, _, __: desk.assign_next(NOT_AN_ID),  # type: ignore[arg-type]
    "route": lambda desk, _, __: desk.route(NOT_AN_ID),  # type: ignore[arg-type]
}

BAD_SCORES: dict[str, Call] = {
    "csat True": lambda desk, ticket, _: desk.rate(ticket, csat=True),
    "csat '5'": lambda desk, ticket, _: desk.rate(ticket, csat="5"),  # type: ignore[arg-type]
    "csat 5.0": lambda desk, ticket, _: desk.rate(ticket, csat=5.0),  # type: ignore[arg-type]
    "nps '9'": lambda desk, ticket, _: desk.rate(ticket, nps="9"),  # type: ignore[arg-type]
}
"""Calls on a resolved ticket."""

BAD_VALUES: dict[str, Call] = {
    "escalate to tier '2'": lambda desk, ticket, _: desk.escalate(
        ticket,
        kind="hierarchical",
        to_tier="2",  # type: ignore[arg-type]
    ),
    "escalate to tier True": lambda desk, ticket, _: desk.escalate(
        ticket, kind="hierarchical", to_tier=True
    ),
    "deescalate to tier 0.0": lambda desk, ticket, _: desk.deescalate(
        ticket,
        to_tier=0.0,  # type: ignore[arg-type]
    ),
    "receive tier '2'": lambda desk, _, __: desk.receive(channel="chat", customer_id="c", tier="2"),
    "join capacity True": lambda desk, _, __: desk.join_agent("Bo", capacity=True),
    "join capacity '3'": lambda desk, _, __: desk.join_agent("Bo", capacity="3"),  # type: ignore[arg-type]
    "join tier 2.0": lambda desk, _, __: desk.join_agent("Bo", tier=2.0),  # type: ignore[arg-type]
    "change capacity 2.0": lambda desk, _, ann: desk.change_agent(ann, capacity=2.0),
}

BAD_TIMES: dict[str, Call] = {
    "assign naive": lambda desk, ticket, ann: desk.assign(ticket, ann, at=NAIVE),
    "assign_next string": lambda desk, _, ann: desk.assign_next(ann, at="2026-11-24"),  # type: ignore[arg-type]
    "route naive": lambda desk, ticket, _: desk.route(ticket, at=NAIVE),
    "kpis naive": lambda desk, _, __: desk.view().kpis(now=NAIVE),
    "view_as_of string": lambda desk, _, __: desk.view_as_of("yesterday"),  # type: ignore[arg-type]
}


@pytest.fixture
def opened(store: Store, clock: ManualClock) -> Iterator[tuple[HelpDesk, UUID, UUID]]:
    """A desk on each real store with Ann online and one waiting ticket."""
    with HelpDesk(store, clock=clock) as desk:
        ann = desk.join_agent("Ann", capacity=2)
        ticket = desk.receive(channel="chat", customer_id="c-1")
        yield desk, ticket, ann


def assert_refused(
    opened: tuple[HelpDesk, UUID, UUID], call: Call, error: type[TicketlogError]
) -> None:
    desk, ticket, ann = opened
    assert_writes_nothing(desk, error, lambda: call(desk, ticket, ann))


@pytest.mark.parametrize("call", BAD_IDS.values(), ids=BAD_IDS.keys())
def test_a_malformed_id_is_invalid_on_every_store(
    opened: tuple[HelpDesk, UUID, UUID], call: Call
) -> None:
    assert_refused(opened, call, InvalidId)


@pytest.mark.parametrize("call", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_loose_tiers_and_capacities_are_invalid(
    opened: tuple[HelpDesk, UUID, UUID], call: Call
) -> None:
    assert_refused(opened, call, InvalidValue)


@pytest.mark.parametrize("call", BAD_SCORES.values(), ids=BAD_SCORES.keys())
def test_loose_scores_are_invalid(opened: tuple[HelpDesk, UUID, UUID], call: Call) -> None:
    desk, ticket, ann = opened
    desk.assign(ticket, ann)
    desk.resolve(ticket, ann)
    assert_refused(opened, call, InvalidValue)


@pytest.mark.parametrize("call", BAD_TIMES.values(), ids=BAD_TIMES.keys())
def test_a_time_that_is_not_an_aware_datetime_is_invalid(
    opened: tuple[HelpDesk, UUID, UUID], call: Call
) -> None:
    assert_refused(opened, call, InvalidTime)


def test_a_uuid_string_is_an_id_on_every_store(opened: tuple[HelpDesk, UUID, UUID]) -> None:
    desk, ticket, ann = opened
    assert desk.assign(str(ticket), str(ann)) == ticket  # type: ignore[arg-type]
    assert desk.ticket(str(ticket)).agent_id == ann  # type: ignore[arg-type]
    assert desk.held_by(str(ann)) == {ticket}  # type: ignore[arg-type]
    assert desk.resolve(str(ticket), str(ann)) == ticket  # type: ignore[arg-type]
    assert desk.agent(str(ann).upper()).holdings == frozenset()  # type: ignore[arg-type]


def test_every_call_after_close_says_the_desk_is_closed(store: Store, clock: ManualClock) -> None:
    desk = HelpDesk(store, clock=clock)
    ann = desk.join_agent("Ann")
    ticket = desk.receive(channel="chat", customer_id="c-1")
    desk.close()
    calls: list[Callable[[], Any]] = [
        lambda: desk.ticket(ticket),
        lambda: desk.agent(ann),
        lambda: desk.assign(ticket, ann),
        lambda: desk.assign_next(ann),
        lambda: desk.receive(channel="chat", customer_id="c-2"),
        lambda: desk.join_agent("Bo"),
        desk.view,
        lambda: list(desk.read_log()),
        lambda: desk.view_as_of(clock.now()),
        lambda: desk.record_new({}),
    ]
    for call in calls:
        with pytest.raises(StoreClosed, match="closed"):
            call()
    with HelpDesk(store, clock=clock) as reader:
        assert reader.ticket(ticket).agent_id is None  # nothing was written


@pytest.mark.parametrize("content", [b"this is not a database" * 100, b"SQLite format 3\0junk"])
def test_a_file_that_is_not_a_database_is_unavailable(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    with pytest.raises(StoreUnavailable, match=r"notes\.db"):
        HelpDesk(SQLiteStore(path=path))
    assert path.read_bytes() == content
