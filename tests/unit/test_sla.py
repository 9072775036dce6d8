"""SLA time: business-hours calendars, pauses while awaiting the customer, and deadlines.

Every expected instant below is computed by hand in the comments. Calendar dates used:
November 2026 — Mon 23, Tue 24, Wed 25, Thu 26 (a holiday where said: Thanksgiving),
Fri 27, Sat 28, Sun 29, Mon 30, Tue 1 December. Europe/Paris moves to summer time on
Sunday 29 March 2026 (02:00 CET -> 03:00 CEST) and back on Sunday 25 October 2026
(03:00 CEST -> 02:00 CET); 09:00 in Paris is 08:00 UTC in winter and 07:00 UTC in summer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticketlog import (
    AlreadyEscalated,
    EscalationKind,
    HelpDesk,
    InvalidTransition,
    InvalidValue,
    ManualClock,
    NotTheHolder,
    Priority,
    SlaTarget,
    TicketIsClosed,
    TicketlogError,
)
from ticketlog.projections import SlaTargets, Targets, compute_kpis
from ticketlog.projections.queues import NEVER, QueuedTicket
from ticketlog.projections.sla import BusinessHours
from ticketlog.projections.sla_clock import sla_time

PARIS = ZoneInfo("Europe/Paris")
THANKSGIVING = date(2026, 11, 26)

OFFICE = BusinessHours()
"""09:00-17:00 UTC, Monday to Friday."""
OFFICE_WITH_HOLIDAY = BusinessHours(holidays=frozenset({THANKSGIVING}))
PARIS_OFFICE = BusinessHours(timezone="Europe/Paris")
"""09:00-17:00 Paris time, Monday to Friday."""


def utc(day: int, hour: int, minute: int = 0, *, month: int = 11) -> datetime:
    """A UTC instant in 2026 (November unless told otherwise)."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def hours(h: float) -> timedelta:
    return timedelta(hours=h)


def mins(m: float) -> timedelta:
    return timedelta(minutes=m)


def log_size(desk: HelpDesk) -> int:
    return sum(1 for _ in desk.read_log())


def assert_writes_nothing(
    desk: HelpDesk, error: type[TicketlogError], command: Callable[[], object]
) -> None:
    """``command`` raises exactly ``error`` and the log does not grow."""
    before = log_size(desk)
    with pytest.raises(error) as excinfo:
        command()
    assert type(excinfo.value) is error
    assert log_size(desk) == before


def queued(desk: HelpDesk, ticket: UUID) -> QueuedTicket:
    found = desk.view().queues.get(ticket)
    assert found is not None
    return found


@pytest.fixture
def office_desk(clock: ManualClock) -> Iterator[HelpDesk]:
    """An in-memory desk whose SLA targets count 09:00-17:00 UTC weekdays, Thanksgiving off."""
    with HelpDesk("memory://", clock=clock, sla=SlaTargets(calendar=OFFICE_WITH_HOLIDAY)) as d:
        yield d


# --- BusinessHours.add --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar", "start", "duration", "expected"),
    [
        pytest.param(OFFICE, utc(24, 10), hours(3), utc(24, 13), id="inside-hours"),
        pytest.param(OFFICE, utc(24, 16), hours(1), utc(24, 17), id="ends-exactly-at-closing"),
        # Tue 15:00-17:00 is 2 h, the third hour is Wed 09:00-10:00.
        pytest.param(OFFICE, utc(24, 15), hours(3), utc(25, 10), id="across-the-evening"),
        pytest.param(OFFICE, utc(24, 7), hours(1), utc(24, 10), id="starts-before-opening"),
        pytest.param(OFFICE, utc(24, 18), hours(1), utc(25, 10), id="starts-after-closing"),
        # Fri 16:00-17:00 is 1 h; Saturday and Sunday do not count; Mon 09:00-10:00.
        pytest.param(OFFICE, utc(27, 16), hours(2), utc(30, 10), id="across-the-weekend"),
        pytest.param(OFFICE, utc(28, 12), hours(1), utc(30, 10), id="starts-on-saturday"),
        pytest.param(OFFICE, utc(28, 12), timedelta(0), utc(30, 9), id="nothing-from-saturday"),
        pytest.param(OFFICE, utc(24, 11), timedelta(0), utc(24, 11), id="nothing-inside-hours"),
        # Wed 16:00-17:00 is 1 h; Thanksgiving is off; Fri 09:00-10:00.
        pytest.param(
            OFFICE_WITH_HOLIDAY, utc(25, 16), hours(2), utc(27, 10), id="across-a-holiday"
        ),
        # Tue 13:00-17:00 4 h (17 left), Wed 8 h (9 left), Thu 8 h (1 left), Fri 09:00-10:00.
        pytest.param(OFFICE, utc(24, 13), hours(21), utc(27, 10), id="several-days"),
        # The same without Thursday: Tue 4, Wed 8, Fri 8 (1 left), Mon 30 09:00-10:00.
        pytest.param(
            OFFICE_WITH_HOLIDAY, utc(24, 13), hours(21), utc(30, 10), id="several-days-holiday"
        ),
        # Two working weeks of 40 h from Monday morning end on the second Friday at 17:00.
        pytest.param(OFFICE, utc(23, 9), hours(80), utc(4, 17, month=12), id="two-weeks"),
        pytest.param(OFFICE, utc(24, 10, 30), mins(45), utc(24, 11, 15), id="minutes"),
    ],
)
def test_adding_working_time(
    calendar: BusinessHours, start: datetime, duration: timedelta, expected: datetime
) -> None:
    assert calendar.add(start, duration) == expected


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Fri 27 March 16:00 CET (15:00 UTC) to 17:00 CET is 1 h; the second hour is Monday
        # 30 March 09:00-10:00 CEST, i.e. 07:00-08:00 UTC: summer time began on Sunday.
        pytest.param(utc(27, 15, month=3), hours(2), utc(30, 8, month=3), id="spring-forward"),
        # Fri 23 October 16:00 CEST (14:00 UTC) to 17:00 is 1 h; Monday 26 October
        # 09:00-10:00 CET is 08:00-09:00 UTC: winter time began on Sunday.
        pytest.param(utc(23, 14, month=10), hours(2), utc(26, 9, month=10), id="fall-back"),
        # 07:30 UTC is 09:30 in Paris in summer (inside hours) ...
        pytest.param(utc(30, 7, 30, month=3), hours(1), utc(30, 8, 30, month=3), id="summer"),
        # ... but 08:30 in winter (before opening): the hour runs 09:00-10:00 CET.
        pytest.param(utc(23, 7, 30, month=3), hours(1), utc(23, 9, month=3), id="winter"),
        # Tue 24 Nov 23:30 UTC is Wed 00:30 in Paris: the first working hour is Wed 09:00 CET.
        pytest.param(utc(24, 23, 30), hours(1), utc(25, 9), id="next-day-in-paris"),
    ],
)
def test_adding_working_time_in_paris(
    start: datetime, duration: timedelta, expected: datetime
) -> None:
    assert PARIS_OFFICE.add(start, duration) == expected


def test_a_start_given_in_local_time_means_the_same_instant() -> None:
    local = datetime(2026, 3, 27, 16, 0, tzinfo=PARIS)  # 15:00 UTC
    assert PARIS_OFFICE.add(local, hours(2)) == utc(30, 8, month=3)
    assert PARIS_OFFICE.working_time(local, utc(30, 8, month=3)) == hours(2)


NIGHT_DESK = BusinessHours(
    opens=time(0), closes=time(6), weekdays=frozenset(range(7)), timezone="Europe/Paris"
)
"""Open 00:00-06:00 Paris time every day, so the clock change falls inside opening hours."""


def test_working_time_is_real_time_when_the_clocks_change_during_opening_hours() -> None:
    # 29 March 2026: 00:00 CET is 23:00 UTC on the 28th, 06:00 CEST is 04:00 UTC.
    opens, closes = utc(28, 23, month=3), utc(29, 4, month=3)
    assert NIGHT_DESK.working_time(opens, closes) == hours(5)
    # Three real hours after 00:00 CET (23:00 UTC) is 02:00 UTC (04:00 CEST).
    assert NIGHT_DESK.add(opens, hours(3)) == utc(29, 2, month=3)
    # 25 October 2026: 00:00 CEST is 22:00 UTC on the 24th, 06:00 CET is 05:00 UTC: 7 h.
    assert NIGHT_DESK.working_time(utc(24, 22, month=10), utc(25, 5, month=10)) == hours(7)


# --- BusinessHours.working_time -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar", "start", "end", "expected"),
    [
        pytest.param(OFFICE, utc(24, 10), utc(24, 12), hours(2), id="inside-hours"),
        pytest.param(OFFICE, utc(24, 15), utc(25, 10), hours(3), id="across-the-evening"),
        pytest.param(OFFICE, utc(24, 7), utc(24, 10), hours(1), id="from-before-opening"),
        pytest.param(OFFICE, utc(24, 16), utc(24, 20), hours(1), id="until-after-closing"),
        pytest.param(OFFICE, utc(24, 18), utc(25, 8), timedelta(0), id="overnight-only"),
        pytest.param(OFFICE, utc(27, 16), utc(30, 10), hours(2), id="across-the-weekend"),
        pytest.param(OFFICE, utc(28, 0), utc(29, 23), timedelta(0), id="weekend-only"),
        pytest.param(
            OFFICE_WITH_HOLIDAY, utc(25, 16), utc(27, 10), hours(2), id="across-a-holiday"
        ),
        pytest.param(OFFICE, utc(25, 16), utc(27, 10), hours(10), id="no-holiday"),
        pytest.param(OFFICE, utc(23, 0), utc(7, 0, month=12), hours(80), id="two-weeks"),
        pytest.param(OFFICE, utc(24, 12), utc(24, 10), timedelta(0), id="end-before-start"),
        pytest.param(
            PARIS_OFFICE,
            utc(27, 15, month=3),
            utc(30, 8, month=3),
            hours(2),
            id="paris-spring-forward",
        ),
        pytest.param(
            PARIS_OFFICE,
            utc(23, 14, month=10),
            utc(26, 9, month=10),
            hours(2),
            id="paris-fall-back",
        ),
        # Paris opens at 08:00 UTC in winter: 07:00-09:00 UTC holds one working hour.
        pytest.param(PARIS_OFFICE, utc(24, 7), utc(24, 9), hours(1), id="paris-winter-morning"),
    ],
)
def test_working_time_between_two_instants(
    calendar: BusinessHours, start: datetime, end: datetime, expected: timedelta
) -> None:
    assert calendar.working_time(start, end) == expected


@given(
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
    ),
    minutes=st.integers(min_value=1, max_value=60 * 8 * 15),
    calendar=st.sampled_from([OFFICE, OFFICE_WITH_HOLIDAY, PARIS_OFFICE]),
)
def test_working_time_undoes_add(start: datetime, minutes: int, calendar: BusinessHours) -> None:
    deadline = calendar.add(start, mins(minutes))
    assert deadline > start
    assert calendar.working_time(start, deadline) == mins(minutes)
    # A moment earlier not all of it had passed.
    assert calendar.working_time(start, deadline - timedelta(microseconds=1)) < mins(minutes)


# --- BusinessHours validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"opens": time(17), "closes": time(9)}, "open before", id="closes-first"),
        pytest.param({"opens": time(9), "closes": time(9)}, "open before", id="empty-day"),
        pytest.param({"weekdays": frozenset({7})}, "0 (Monday) to 6", id="weekday-7"),
        pytest.param({"weekdays": frozenset({-1, 2})}, "0 (Monday) to 6", id="weekday-minus-1"),
        pytest.param({"weekdays": frozenset()}, "at least 1", id="no-weekdays"),
        pytest.param({"timezone": ""}, "unknown timezone", id="empty-timezone"),
        pytest.param({"unknown": 1}, "Extra inputs", id="unknown-field"),
    ],
)
def test_malformed_business_hours_are_rejected(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(pydantic.ValidationError) as excinfo:
        BusinessHours(**fields)
    assert message in str(excinfo.value)


def test_an_unknown_timezone_is_a_validation_error() -> None:
    with pytest.raises(pydantic.ValidationError) as excinfo:
        BusinessHours(timezone="Europe/Atlantis")
    assert "Europe/Atlantis" in str(excinfo.value)


def test_business_hours_are_immutable() -> None:
    with pytest.raises(pydantic.ValidationError):
        OFFICE.opens = time(8)  # type: ignore[misc]


# --- SlaTargets ---------------------------------------------------------------------------------


def test_a_deadline_without_calendar_is_calendar_time_plus_pauses() -> None:
    sla = SlaTargets()
    assert sla.deadline(utc(24, 9), hours(4)) == utc(24, 13)
    assert sla.deadline(utc(24, 9), hours(4), paused=mins(30)) == utc(24, 13, 30)
    # Nights and weekends count.
    assert sla.deadline(utc(27, 16), hours(24)) == utc(28, 16)
    assert sla.elapsed(utc(27, 16), utc(28, 16)) == hours(24)
    assert sla.elapsed(utc(28, 16), utc(27, 16)) == timedelta(0)


def test_a_deadline_with_a_calendar_counts_working_time_and_pauses() -> None:
    sla = SlaTargets(calendar=OFFICE_WITH_HOLIDAY)
    # Tue 15:00 + 4 h: Tue 2 h, Wed 09:00-11:00.
    assert sla.deadline(utc(24, 15), hours(4)) == utc(25, 11)
    # One more working hour on hold: Wed 12:00.
    assert sla.deadline(utc(24, 15), hours(4), paused=hours(1)) == utc(25, 12)
    # Wed 16:00 + 4 h: Wed 1 h, Thanksgiving off, Fri 09:00-12:00.
    assert sla.deadline(utc(25, 16), hours(4)) == utc(27, 12)
    # Friday evening + 15 min: Monday 09:15.
    assert sla.deadline(utc(27, 18), mins(15)) == utc(30, 9, 15)
    assert sla.elapsed(utc(27, 18), utc(30, 9, 15)) == mins(15)


def test_targets_come_from_the_priority_unless_the_category_overrides_them() -> None:
    billing = Targets(
        first_reply={p: hours(2) for p in Priority}, resolution={p: hours(48) for p in Priority}
    )
    sla = SlaTargets(by_category={"billing": billing})
    assert sla.first_reply(Priority.URGENT, "general") == mins(15)
    assert sla.resolution(Priority.LOW, "general") == hours(72)
    assert sla.first_reply(Priority.URGENT, "billing") == hours(2)
    assert sla.resolution(Priority.LOW, "billing") == hours(48)


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"first_reply": {Priority.URGENT: mins(5)}}, id="missing-priorities"),
        pytest.param(
            {"resolution": {p: timedelta(0) for p in Priority}}, id="zero-resolution-target"
        ),
    ],
)
def test_incomplete_or_empty_targets_are_rejected(fields: dict[str, Any]) -> None:
    with pytest.raises(pydantic.ValidationError):
        Targets(**fields)


# --- Queues: due dates through a ticket's life ------------------------------------------------


def test_the_due_date_follows_working_time_pauses_and_the_first_reply(
    office_desk: HelpDesk,
) -> None:
    desk = office_desk
    ann = desk.join_agent("Ann", at=utc(24, 9))
    ticket = desk.receive(channel="email", customer_id="c-1", at=utc(24, 15))

    # Normal priority: 4 h to the first reply. Tue 15:00-17:00 is 2 h; Wed 09:00-11:00.
    first = queued(desk, ticket)
    assert (first.due, first.paused_since, first.paused) == (utc(25, 11), None, timedelta(0))

    desk.assign(ticket, ann, at=utc(24, 15, 30))
    assert queued(desk, ticket).due == utc(25, 11)

    desk.await_customer(ticket, ann, reason="order number?", at=utc(24, 16))
    paused = queued(desk, ticket)
    assert (paused.due, paused.paused_since) == (NEVER, utc(24, 16))
    assert desk.view().queues.deadline(paused, SlaTarget.FIRST_REPLY) == NEVER

    # On hold Tue 16:00-17:00 and Wed 09:00-10:30: 2.5 working hours.
    desk.customer_replied(ticket, at=utc(25, 10, 30))
    resumed = queued(desk, ticket)
    assert (resumed.paused_since, resumed.paused) == (None, hours(2.5))
    # The clock ran Tue 15:00-16:00 (1 h) and runs again from Wed 10:30: 3 h more, 13:30.
    assert resumed.due == utc(25, 13, 30)

    # Replied: now the resolution target counts, 24 working hours plus the 2.5 on hold.
    # Tue 2 h (24.5 left), Wed 8 h (16.5), Thanksgiving off, Fri 8 h (8.5),
    # Mon 8 h (0.5): Tuesday 1 December 09:30.
    desk.respond(ticket, ann, at=utc(25, 12))
    replied = queued(desk, ticket)
    assert replied.replied
    assert replied.due == utc(1, 9, 30, month=12)

    # A second pause, Wed 14:00 to Fri 10:00: Wed 3 h + Fri 1 h = 4 h more on hold.
    desk.await_customer(ticket, ann, at=utc(25, 14))
    assert queued(desk, ticket).due == NEVER
    desk.customer_replied(ticket, at=utc(27, 10))
    again = queued(desk, ticket)
    assert again.paused == hours(6.5)
    # 24 + 6.5 working hours from Tue 15:00: Tue 2, Wed 8, Fri 8, Mon 8 (4.5 left): Tue 13:30.
    assert again.due == utc(1, 13, 30, month=12)

    # The KPIs measure the same SLA time: exactly the target at the due date.
    facts = desk.view().facts.tickets[ticket]
    assert sla_time(facts, again.due, desk.sla) == hours(24)
    assert sla_time(facts, again.due + mins(1), desk.sla) == hours(24) + mins(1)


def test_a_paused_ticket_is_never_breaching(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", capacity=2, at=utc(24, 9))
    paused = desk.receive(channel="email", customer_id="c-1", priority="urgent", at=utc(24, 9))
    running = desk.receive(channel="email", customer_id="c-2", priority="urgent", at=utc(24, 9))
    desk.assign(paused, ann, at=utc(24, 9, 1))
    desk.await_customer(paused, ann, at=utc(24, 9, 2))
    # Back to the queue, still awaiting the customer: breaching() looks at waiting tickets.
    desk.escalate(paused, kind="hierarchical", at=utc(24, 9, 3))
    assert desk.ticket(paused).awaiting_customer

    queues = desk.view().queues
    far = utc(24, 9) + timedelta(days=365)
    assert [t.ticket_id for t in queues.breaching(now=far)] == [running]
    assert [t.ticket_id for t in queues.breaching(now=utc(24, 10), within=hours(24))] == [running]
    # The EDF ordering puts it last, behind every ticket with a running clock.
    assert [t.ticket_id for t in queues.waiting(order="deadline")] == [running, paused]

    # Once the customer replies, its first-reply clock has used 2 of its 15 minutes.
    desk.customer_replied(paused, at=utc(24, 11))
    queues = desk.view().queues
    assert queued(desk, paused).due == utc(24, 11, 13)
    assert [t.ticket_id for t in queues.breaching(now=utc(24, 11, 13))] == [running, paused]


def test_reprioritising_recomputes_the_due_date(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", at=utc(24, 9))
    ticket = desk.receive(channel="email", customer_id="c-1", at=utc(24, 9))
    assert queued(desk, ticket).due == utc(24, 13)  # normal: 4 h to the first reply

    desk.reprioritise(ticket, "urgent", at=utc(24, 9, 5))
    assert queued(desk, ticket).due == utc(24, 9, 15)
    assert [t.ticket_id for t in desk.view().queues.breaching(now=utc(24, 9, 20))] == [ticket]

    # 30 minutes on hold shift every later deadline.
    desk.assign(ticket, ann, at=utc(24, 9, 6))
    desk.await_customer(ticket, ann, at=utc(24, 9, 7))
    desk.reprioritise(ticket, "high", at=utc(24, 9, 8))
    assert queued(desk, ticket).due == NEVER  # still on hold
    desk.customer_replied(ticket, at=utc(24, 9, 37))
    assert queued(desk, ticket).due == utc(24, 10, 30)  # high: 1 h + 30 min on hold

    desk.respond(ticket, ann, at=utc(24, 9, 40))
    assert queued(desk, ticket).due == utc(24, 17, 30)  # high: 8 h resolution + 30 min
    desk.reprioritise(ticket, "low", at=utc(24, 9, 45))
    assert queued(desk, ticket).due == utc(27, 9, 30)  # low: 72 h + 30 min


def test_a_ticket_resolved_while_on_hold_and_reopened_gets_a_deadline_again(
    desk: HelpDesk,
) -> None:
    ann = desk.join_agent("Ann", at=utc(24, 9))
    ticket = desk.receive(channel="email", customer_id="c-1", priority="urgent", at=utc(24, 9))
    desk.assign(ticket, ann, at=utc(24, 9, 1))
    desk.respond(ticket, ann, at=utc(24, 9, 2))
    desk.await_customer(ticket, ann, at=utc(24, 9, 3))
    desk.resolve(ticket, ann, at=utc(24, 9, 4))
    desk.reopen(ticket, at=utc(24, 10))

    # On hold 09:03-10:00 (57 min), as the KPIs count it; 4 h resolution target: 13:57.
    facts = desk.view().facts.tickets[ticket]
    assert sla_time(facts, utc(24, 13, 57), desk.sla) == hours(4)
    reopened = queued(desk, ticket)
    assert reopened.due == utc(24, 13, 57)
    assert desk.view().queues.deadline(reopened, SlaTarget.RESOLUTION) == utc(24, 13, 57)


# --- KPIs count SLA time ------------------------------------------------------------------------


def test_a_reply_late_in_calendar_time_but_on_time_in_working_time_is_met(
    office_desk: HelpDesk,
) -> None:
    desk = office_desk
    ann = desk.join_agent("Ann", capacity=5, at=utc(24, 9))
    on_time = desk.receive(channel="email", customer_id="c-1", at=utc(24, 16))
    late = desk.receive(channel="email", customer_id="c-2", at=utc(24, 16))
    for ticket in (on_time, late):
        desk.assign(ticket, ann, at=utc(24, 16, 5))
    # 19 h later in calendar time; Tue 16-17 + Wed 9-11 = 3 working hours <= 4 h.
    desk.respond(on_time, ann, at=utc(25, 11))
    # Tue 16-17 + Wed 9-13:30 = 5.5 working hours > 4 h.
    desk.respond(late, ann, at=utc(25, 13, 30))
    # Resolution target 24 working hours: Tue 1, Wed 8, Thanksgiving off, Fri 8, Mon 7 =
    # 24 h at Mon 30 16:00 exactly (met); the other one minute later (missed).
    desk.resolve(on_time, ann, at=utc(30, 16))
    desk.resolve(late, ann, at=utc(30, 16, 1))

    kpis = desk.view().kpis(now=utc(1, 12, month=12))
    assert (kpis.sla_first_reply, kpis.first_reply_breaches) == (50.0, 1)
    assert (kpis.sla_resolution, kpis.resolution_breaches) == (50.0, 1)

    # In calendar time both replies (19 h, 21.5 h) and resolutions (6 days) miss.
    calendar = compute_kpis(desk.view().facts, now=utc(1, 12, month=12), sla=SlaTargets())
    assert (calendar.sla_first_reply, calendar.first_reply_breaches) == (0.0, 2)
    assert (calendar.sla_resolution, calendar.resolution_breaches) == (0.0, 2)


def test_time_awaiting_the_customer_does_not_count_against_the_targets(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", capacity=5, at=utc(24, 9))
    met = desk.receive(channel="chat", customer_id="c-1", priority="urgent", at=utc(24, 9))
    missed = desk.receive(channel="chat", customer_id="c-2", priority="urgent", at=utc(24, 9))
    on_hold = desk.receive(channel="chat", customer_id="c-3", priority="urgent", at=utc(24, 9))
    for ticket in (met, missed, on_hold):
        desk.assign(ticket, ann, at=utc(24, 9, 5))
        desk.await_customer(ticket, ann, at=utc(24, 9, 10))
    for ticket in (met, missed):
        desk.customer_replied(ticket, at=utc(24, 10, 10))
    # 75 min after receipt, 60 of them on hold: 15 min of SLA time, the urgent target.
    desk.respond(met, ann, at=utc(24, 10, 15))
    desk.respond(missed, ann, at=utc(24, 10, 16))  # 16 min
    # Resolution: 4 h of SLA time is 5 h after receipt.
    desk.resolve(met, ann, at=utc(24, 14))
    desk.resolve(missed, ann, at=utc(24, 14, 1))

    kpis = desk.view().kpis(now=utc(27, 9))
    # The ticket still on hold after three days has used 10 minutes: no breach, no reply.
    assert (kpis.sla_first_reply, kpis.first_reply_breaches) == (50.0, 1)
    assert (kpis.sla_resolution, kpis.resolution_breaches) == (50.0, 1)

    # Its clock runs again when the customer replies: 5 more minutes miss the first reply,
    # 3 h 50 min more miss the resolution.
    desk.customer_replied(on_hold, at=utc(27, 9))
    assert desk.view().kpis(now=utc(27, 9, 5)).first_reply_breaches == 1
    assert desk.view().kpis(now=utc(27, 9, 5) + timedelta(seconds=1)).first_reply_breaches == 2
    assert desk.view().kpis(now=utc(27, 12, 50)).resolution_breaches == 1
    assert desk.view().kpis(now=utc(27, 12, 51)).resolution_breaches == 2


def test_sla_time_subtracts_pauses_in_working_time(office_desk: HelpDesk) -> None:
    desk = office_desk
    ann = desk.join_agent("Ann", at=utc(24, 9))
    ticket = desk.receive(channel="email", customer_id="c-1", at=utc(24, 15))
    desk.assign(ticket, ann, at=utc(24, 15, 30))
    desk.await_customer(ticket, ann, at=utc(24, 16))
    facts = desk.view().facts.tickets[ticket]
    # Still on hold: Tue 15:00-16:00 only.
    assert sla_time(facts, utc(27, 12), desk.sla) == hours(1)
    desk.customer_replied(ticket, at=utc(25, 10, 30))
    facts = desk.view().facts.tickets[ticket]
    # Tue 15:00-16:00 and Wed 10:30-12:00.
    assert sla_time(facts, utc(25, 12), desk.sla) == hours(2.5)
    # Before the pause nothing is subtracted.
    assert sla_time(facts, utc(24, 15, 45), desk.sla) == mins(45)


# --- ticket rules for pauses and breaches --------------------------------------------------------


def test_only_the_holder_may_wait_on_the_customer_and_only_once(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", at=utc(24, 9))
    bob = desk.join_agent("Bob", at=utc(24, 9))
    ticket = desk.receive(channel="email", customer_id="c-1", at=utc(24, 9))

    assert_writes_nothing(
        desk, InvalidTransition, lambda: desk.await_customer(ticket, ann, at=utc(24, 9, 1))
    )  # waiting: nobody holds it
    desk.assign(ticket, ann, at=utc(24, 9, 1))
    assert_writes_nothing(
        desk, NotTheHolder, lambda: desk.await_customer(ticket, bob, at=utc(24, 9, 2))
    )
    desk.await_customer(ticket, ann, at=utc(24, 9, 2))
    assert desk.ticket(ticket).awaiting_customer
    assert_writes_nothing(
        desk, InvalidTransition, lambda: desk.await_customer(ticket, ann, at=utc(24, 9, 3))
    )
    desk.customer_replied(ticket, at=utc(24, 9, 4))
    assert not desk.ticket(ticket).awaiting_customer
    desk.await_customer(ticket, ann, at=utc(24, 9, 5))  # a new pause is fine
    assert desk.ticket(ticket).awaiting_customer


def test_the_customer_may_write_to_waiting_or_assigned_tickets_only(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", at=utc(24, 9))
    ticket = desk.receive(channel="email", customer_id="c-1", at=utc(24, 9))
    desk.customer_replied(ticket, at=utc(24, 9, 1))  # waiting, never on hold: allowed
    desk.assign(ticket, ann, at=utc(24, 9, 2))
    desk.customer_replied(ticket, at=utc(24, 9, 3))  # assigned: allowed
    assert not desk.ticket(ticket).awaiting_customer
    assert queued(desk, ticket).paused == timedelta(0)

    desk.resolve(ticket, ann, at=utc(24, 9, 4))
    assert_writes_nothing(
        desk, InvalidTransition, lambda: desk.customer_replied(ticket, at=utc(24, 9, 5))
    )
    desk.close_ticket(ticket, at=utc(24, 9, 6))
    assert_writes_nothing(
        desk, TicketIsClosed, lambda: desk.customer_replied(ticket, at=utc(24, 9, 7))
    )


@pytest.mark.parametrize(
    "kind",
    [EscalationKind.HIERARCHICAL, EscalationKind.FUNCTIONAL, EscalationKind.BOT_TO_HUMAN],
)
def test_only_an_automatic_escalation_names_a_breach(desk: HelpDesk, kind: EscalationKind) -> None:
    ticket = desk.receive(channel="email", customer_id="c-1", at=utc(24, 9))
    assert_writes_nothing(
        desk,
        InvalidValue,
        lambda: desk.escalate(
            ticket, kind=kind, to_tier=2, to_queue="experts", breach="first_reply", at=utc(24, 10)
        ),
    )
    assert desk.ticket(ticket).escalated_breaches == frozenset()


def test_each_breach_is_escalated_once(desk: HelpDesk) -> None:
    ticket = desk.receive(channel="email", customer_id="c-1", at=utc(24, 9))
    assert desk.ticket(ticket).escalated_breaches == frozenset()

    desk.escalate(ticket, kind="automatic", breach=SlaTarget.FIRST_REPLY, at=utc(24, 10))
    state = desk.ticket(ticket)
    assert state.escalated_breaches == frozenset({SlaTarget.FIRST_REPLY})
    assert (state.tier, state.escalations) == (2, 1)

    assert_writes_nothing(
        desk,
        AlreadyEscalated,
        lambda: desk.escalate(ticket, kind="automatic", breach="first_reply", at=utc(24, 11)),
    )
    # Manual escalations and automatic ones without a breach record no breach ...
    desk.escalate(ticket, kind="hierarchical", at=utc(24, 12))
    desk.escalate(ticket, kind="automatic", at=utc(24, 13))
    assert desk.ticket(ticket).escalated_breaches == frozenset({SlaTarget.FIRST_REPLY})
    # ... and the other target is a breach of its own.
    desk.escalate(ticket, kind="automatic", breach="resolution", at=utc(24, 14))
    state = desk.ticket(ticket)
    assert state.escalated_breaches == frozenset(SlaTarget)
    assert (state.tier, state.escalations) == (5, 4)
    assert_writes_nothing(
        desk,
        AlreadyEscalated,
        lambda: desk.escalate(
            ticket, kind="automatic", to_queue="elsewhere", breach="resolution", at=utc(24, 15)
        ),
    )


def test_an_unknown_breach_is_an_invalid_value(desk: HelpDesk) -> None:
    ticket = desk.receive(channel="email", customer_id="c-1", at=utc(24, 9))
    assert_writes_nothing(
        desk,
        InvalidValue,
        lambda: desk.escalate(ticket, kind="automatic", breach="too_slow", at=utc(24, 10)),
    )
