"""Clock skew and time errors: a command dated a little before a stream's latest event
(another machine's clock wrote it) is recorded at that event's time; further back it is
refused, and ``assign_next`` tries the next candidate; a time too far in the future, or
not a timezone-aware datetime, is refused before anything is read or written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support import assert_writes_nothing
from ticketlog import (
    ConfigurationError,
    HelpDesk,
    InvalidTime,
    ManualClock,
    OutOfOrder,
)


def test_a_command_dated_within_the_tolerance_gets_the_streams_time(
    desk: HelpDesk, clock: ManualClock
) -> None:
    ann = desk.join_agent("Ann")
    ticket = desk.receive(channel="chat", customer_id="c-1")
    latest = clock.now() + timedelta(seconds=10)
    desk.reprioritise(ticket, "high", at=latest)  # written by a desk whose clock is ahead

    desk.assign(ticket, ann, at=latest - timedelta(seconds=2))

    assigned = desk.ticket_events(ticket)[-1]
    assert assigned.at == latest
    assert desk.agent_events(ann)[-1].at == latest
    assert desk.ticket(ticket).agent_id == ann


def test_a_command_dated_further_back_than_the_tolerance_is_refused(
    desk: HelpDesk, clock: ManualClock
) -> None:
    ann = desk.join_agent("Ann")
    ticket = desk.receive(channel="chat", customer_id="c-1")
    latest = clock.now() + timedelta(seconds=10)
    desk.reprioritise(ticket, "high", at=latest)
    too_early = latest - desk.skew_tolerance - timedelta(microseconds=1)
    assert_writes_nothing(desk, OutOfOrder, lambda: desk.assign(ticket, ann, at=too_early))


def test_without_tolerance_any_earlier_time_is_refused(clock: ManualClock) -> None:
    with HelpDesk("memory://", clock=clock, skew_tolerance=timedelta(0)) as desk:
        ticket = desk.receive(channel="chat", customer_id="c-1")
        desk.reprioritise(ticket, "high", at=clock.now() + timedelta(seconds=1))
        assert_writes_nothing(desk, OutOfOrder, lambda: desk.reprioritise(ticket, "low"))


def test_assign_next_skips_a_candidate_changed_later_than_its_time(
    desk: HelpDesk, clock: ManualClock
) -> None:
    ann = desk.join_agent("Ann")
    oldest = desk.receive(channel="chat", customer_id="c-1")
    clock.advance(seconds=1)
    newer = desk.receive(channel="chat", customer_id="c-2")
    desk.reprioritise(oldest, "low", at=clock.now() + timedelta(minutes=5))

    assert desk.assign_next(ann, "fifo") == newer
    assert desk.ticket(oldest).agent_id is None


def test_a_desk_whose_clock_is_behind_still_assigns(clock: ManualClock) -> None:
    """Two desks on one store, the second's clock 2 s behind the first's (within the
    default tolerance): ``assign_next`` and ``route`` work on both."""
    with HelpDesk("memory://", clock=clock) as desk:
        ann = desk.join_agent("Ann", capacity=2)
        first = desk.receive(channel="chat", customer_id="c-1")
        clock.advance(seconds=1)
        second = desk.receive(channel="chat", customer_id="c-2")
        ahead = clock.now() + timedelta(seconds=2)
        desk.reprioritise(first, "high", at=ahead)
        desk.reprioritise(second, "high", at=ahead)
        assert desk.assign_next(ann, "fifo") == first
        assert desk.route(second) == ann
        assert desk.ticket(first).last_at == ahead


@pytest.mark.parametrize("far", [False, True], ids=["just beyond", "year 9999"])
def test_a_time_beyond_the_future_horizon_is_refused(
    desk: HelpDesk, clock: ManualClock, far: bool
) -> None:
    ann = desk.join_agent("Ann")
    ticket = desk.receive(channel="chat", customer_id="c-1")
    assert desk.future_horizon is not None
    horizon = clock.now() + desk.future_horizon
    when = datetime(9999, 1, 1, tzinfo=UTC) if far else horizon + timedelta(microseconds=1)
    calls: list[Callable[[], object]] = [
        lambda: desk.assign(ticket, ann, at=when),
        lambda: desk.go_offline(ann, at=when),
        lambda: desk.receive(channel="chat", customer_id="c", at=when),
        lambda: desk.assign_next(ann, at=when),
    ]
    for call in calls:
        assert_writes_nothing(desk, InvalidTime, call)
    desk.assign(ticket, ann, at=horizon)  # the horizon itself is fine


def test_the_future_horizon_is_configurable(clock: ManualClock) -> None:
    with HelpDesk("memory://", clock=clock, future_horizon=timedelta(minutes=1)) as desk:
        ticket = desk.receive(channel="chat", customer_id="c-1")
        later = clock.now() + timedelta(minutes=2)
        assert_writes_nothing(desk, InvalidTime, lambda: desk.reprioritise(ticket, "low", at=later))
    with HelpDesk("memory://", clock=clock, future_horizon=None) as desk:
        ticket = desk.receive(channel="chat", customer_id="c-1")
        desk.reprioritise(ticket, "low", at=datetime(9999, 1, 1, tzinfo=UTC))
        assert desk.ticket(ticket).last_at.year == 9999


@pytest.mark.parametrize(
    "settings",
    [
        {"skew_tolerance": timedelta(seconds=-1)},
        {"skew_tolerance": 5},
        {"future_horizon": timedelta(days=-1)},
        {"future_horizon": "1 day"},
    ],
)
def test_malformed_time_settings_are_a_configuration_error(settings: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        HelpDesk("memory://", **settings)


NAIVE = datetime(2026, 11, 24, 9, 0)
BAD_TIMES: list[object] = [NAIVE, "2026-11-24T09:00:00+00:00", 1_700_000_000, True]


@pytest.mark.parametrize("when", BAD_TIMES, ids=repr)
def test_every_call_taking_a_time_refuses_anything_but_an_aware_datetime(
    desk: HelpDesk, when: Any
) -> None:
    ann = desk.join_agent("Ann")
    ticket = desk.receive(channel="chat", customer_id="c-1")
    calls: list[Callable[[], object]] = [
        lambda: desk.assign(ticket, ann, at=when),
        lambda: desk.assign_next(ann, at=when),
        lambda: desk.route(ticket, at=when),
        lambda: desk.receive(channel="chat", customer_id="c", at=when),
        lambda: desk.go_offline(ann, at=when),
        lambda: desk.view_as_of(when),
        lambda: desk.view().kpis(now=when),
        lambda: desk.view().kpis_by("channel", now=when),
    ]
    for call in calls:
        assert_writes_nothing(desk, InvalidTime, call)
