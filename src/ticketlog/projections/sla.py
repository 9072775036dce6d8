"""Service-level targets: how soon each ticket should get a first reply and a resolution.

Targets are set per priority and may be overridden per category. They are configuration
of the read side (KPIs, queues' breach views, automatic escalation); the event log never
stores them, so the same history can be judged against other targets.

Targets are measured in *SLA time*: calendar time, or working time when a
:class:`BusinessHours` calendar is given, and never the time a ticket spent waiting on
the customer (between ``TicketAwaitingCustomer`` and ``TicketCustomerReplied``). A
target is missed once a ticket's SLA time since receipt exceeds it: the ticket's clock is
:mod:`ticketlog.projections.sla_clock`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ticketlog.domain.values import Priority

DEFAULT_FIRST_REPLY = MappingProxyType(
    {
        Priority.URGENT: timedelta(minutes=15),
        Priority.HIGH: timedelta(hours=1),
        Priority.NORMAL: timedelta(hours=4),
        Priority.LOW: timedelta(hours=8),
    }
)
"""Default first-reply targets, in calendar time."""

DEFAULT_RESOLUTION = MappingProxyType(
    {
        Priority.URGENT: timedelta(hours=4),
        Priority.HIGH: timedelta(hours=8),
        Priority.NORMAL: timedelta(hours=24),
        Priority.LOW: timedelta(hours=72),
    }
)
"""Default resolution targets, in calendar time."""


class Targets(BaseModel):
    """First-reply and resolution targets for every priority."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first_reply: Mapping[Priority, timedelta] = Field(
        default_factory=lambda: dict(DEFAULT_FIRST_REPLY)
    )
    resolution: Mapping[Priority, timedelta] = Field(
        default_factory=lambda: dict(DEFAULT_RESOLUTION)
    )

    @model_validator(mode="after")
    def _complete_and_positive(self) -> Targets:
        for name, targets in (("first_reply", self.first_reply), ("resolution", self.resolution)):
            missing = set(Priority) - set(targets)
            if missing:
                msg = f"{name} targets miss priorities {sorted(missing)}"
                raise ValueError(msg)
            if any(target <= timedelta(0) for target in targets.values()):
                msg = f"{name} targets must be positive"
                raise ValueError(msg)
        return self


class BusinessHours(BaseModel):
    """Working hours: the same opening hours on the given weekdays, minus holidays."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    opens: time = time(9)
    closes: time = time(17)
    weekdays: frozenset[int] = Field(default=frozenset(range(5)), min_length=1)
    """0 is Monday."""
    timezone: str = "UTC"
    holidays: frozenset[date] = frozenset()

    @model_validator(mode="after")
    def _valid(self) -> BusinessHours:
        if self.opens >= self.closes:
            msg = "business hours must open before they close"
            raise ValueError(msg)
        if not self.weekdays <= set(range(7)):
            msg = "weekdays are 0 (Monday) to 6 (Sunday)"
            raise ValueError(msg)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"unknown timezone {self.timezone!r}"
            raise ValueError(msg) from None
        return self

    def _periods(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working periods (open, close) from the day of ``start`` on, in order."""
        zone = ZoneInfo(self.timezone)
        day = start.astimezone(zone).date()
        while True:
            if day.weekday() in self.weekdays and day not in self.holidays:
                # In UTC, so that differences count real time across clock changes.
                yield (
                    datetime.combine(day, self.opens, zone).astimezone(UTC),
                    datetime.combine(day, self.closes, zone).astimezone(UTC),
                )
            day += timedelta(days=1)

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        """Working time between ``start`` and ``end`` (zero if ``end`` is not later)."""
        total = timedelta(0)
        for opens, closes in self._periods(start):
            if opens >= end:
                return total
            overlap = min(closes, end) - max(opens, start)
            if overlap > timedelta(0):
                total += overlap
        raise AssertionError  # pragma: no cover - _periods never ends

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when ``duration`` of working time has passed since ``start``."""
        return self._reach(start, duration, past_closing=False)

    def last_within(self, start: datetime, duration: timedelta) -> datetime:
        """The last instant at which at most ``duration`` of working time has passed since
        ``start``: :meth:`add`, except that a closing time lasts until the next opening."""
        return self._reach(start, duration, past_closing=True)

    def _reach(self, start: datetime, duration: timedelta, *, past_closing: bool) -> datetime:
        left = duration
        for opens, closes in self._periods(start):
            begin = max(opens, start)
            if begin >= closes:
                continue
            end = begin + left
            if end < closes or (end == closes and not past_closing):
                return end
            left -= closes - begin
        raise AssertionError  # pragma: no cover - _periods never ends


class SlaTargets(BaseModel):
    """Targets per priority (``default``), optionally overridden per category.

    With ``calendar``, targets count working time only.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: Targets = Field(default_factory=Targets)
    by_category: Mapping[str, Targets] = Field(default_factory=dict)
    calendar: BusinessHours | None = None

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """SLA time between ``start`` and ``end`` (pauses not subtracted)."""
        if self.calendar is None:
            return max(end - start, timedelta(0))
        return self.calendar.working_time(start, end)

    def deadline(
        self, start: datetime, target: timedelta, *, paused: timedelta = timedelta(0)
    ) -> datetime:
        """The last instant at which at most ``target`` of SLA time has passed since
        ``start``, after ``paused`` on hold (with a calendar, a deadline at closing time
        lasts until the next opening: no working time passes in between)."""
        if self.calendar is None:
            return start + target + paused
        return self.calendar.last_within(start, target + paused)

    def first_reply(self, priority: Priority, category: str) -> timedelta:
        """How long a ticket of this priority and category may wait for a first reply."""
        return self.by_category.get(category, self.default).first_reply[priority]

    def resolution(self, priority: Priority, category: str) -> timedelta:
        """How long a ticket of this priority and category may take to be resolved."""
        return self.by_category.get(category, self.default).resolution[priority]
