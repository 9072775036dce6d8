"""Clocks: the manual clock of tests and simulations, and the UTC wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import hypothesis
import pytest
from hypothesis import strategies as st

from ticketlog.clock import Clock, ManualClock, SystemClock

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_a_manual_clock_refuses_a_naive_start() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 11, 24, 9, 0))


def test_a_manual_clock_stands_still_until_moved() -> None:
    clock = ManualClock(START)
    assert clock.now() == START
    assert clock.now() == START


def test_a_manual_clock_keeps_its_time_zone() -> None:
    paris = timezone(timedelta(hours=1))
    clock = ManualClock(START.astimezone(paris))
    assert clock.now().utcoffset() == timedelta(hours=1)
    assert clock.now() == START


def test_a_manual_clock_advances_by_a_delta_or_by_units() -> None:
    clock = ManualClock(START)
    assert clock.advance(timedelta(minutes=5)) == START + timedelta(minutes=5)
    assert clock.advance(hours=1, seconds=30) == START + timedelta(hours=1, minutes=5, seconds=30)
    assert clock.now() == START + timedelta(hours=1, minutes=5, seconds=30)
    assert clock.advance() == clock.now()


@hypothesis.given(
    steps=st.lists(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=9)))
)
def test_a_manual_clock_moves_by_the_sum_of_its_steps(steps: list[timedelta]) -> None:
    clock = ManualClock(START)
    for step in steps:
        clock.advance(step)
    assert clock.now() == START + sum(steps, timedelta(0))


@pytest.mark.parametrize("step", [timedelta(microseconds=-1), timedelta(days=-1)])
def test_a_manual_clock_does_not_advance_backwards(step: timedelta) -> None:
    clock = ManualClock(START)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(step)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(seconds=step.total_seconds())
    assert clock.now() == START


def test_a_manual_clock_jumps_forward_but_not_back() -> None:
    clock = ManualClock(START)
    later = START + timedelta(days=2)
    clock.set(later)
    assert clock.now() == later
    clock.set(later)
    assert clock.now() == later
    with pytest.raises(ValueError, match="backwards"):
        clock.set(START)
    assert clock.now() == later


def test_clocks_satisfy_the_clock_protocol() -> None:
    assert isinstance(ManualClock(START), Clock)
    assert isinstance(SystemClock(), Clock)


def test_the_system_clock_tells_aware_utc_time() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)
    assert now.tzinfo is UTC
    assert now.utcoffset() == timedelta(0)
    assert before <= now <= after
