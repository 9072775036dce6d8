"""Clocks: where the desk gets the business time of the events it records.

The domain never reads the wall clock; the desk asks its clock, so tests, simulations
and imports control time completely.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Anything that tells the current business time as a timezone-aware datetime."""

    def now(self) -> datetime:
        """The current time (timezone-aware)."""
        ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        """The current UTC time."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to: for tests, demos and imports."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            msg = "ManualClock needs a timezone-aware start time"
            raise ValueError(msg)
        self._now = start

    def now(self) -> datetime:
        """The clock's current time."""
        return self._now

    def advance(self, delta: timedelta | None = None, /, **units: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**units)``; return the new time."""
        step = delta if delta is not None else timedelta(**units)
        if step < timedelta(0):
            msg = "a clock does not go backwards"
            raise ValueError(msg)
        self._now += step
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (timezone-aware, not earlier than now)."""
        if when.tzinfo is None:
            msg = "ManualClock.set needs a timezone-aware time"
            raise ValueError(msg)
        if when < self._now:
            msg = "a clock does not go backwards"
            raise ValueError(msg)
        self._now = when
