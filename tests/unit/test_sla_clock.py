"""The SLA clock: one rule for SLA time, deadlines and breaches, shared by KPIs and escalator.

Calendar dates used: Tuesday 24 November 2026 onwards (``OFFICE`` is 09:00-17:00 UTC on
weekdays); expected instants are computed by hand in the comments.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketlog import (
    EscalationKind,
    HelpDesk,
    InvalidValue,
    ManualClock,
    Priority,
    SlaTarget,
    TicketlogError,
)
from ticketlog.policies.escalation import EscalationPath, missed, open_targets
from ticketlog.processes import SlaEscalator
from ticketlog.projections import DeskView, SlaTargets, Targets, compute_kpis
from ticketlog.projections.facts import TicketFacts
from ticketlog.projections.sla import BusinessHours
from ticketlog.projections.sla_clock import (
    NEVER,
    Pauses,
    Verdict,
    breached,
    deadline,
    paused,
    paused_since,
    resumed,
    sla_time,
    verdict,
)

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
"""Tuesday 24 November 2026, 09:00 UTC, as in ``tests/conftest.py``."""

OFFICE = SlaTargets(calendar=BusinessHours())
PATH = EscalationPath.of((1, "general"), (2, "experts"), (3, "engineering"))


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    """A UTC instant in November 2026."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


class Clock(NamedTuple):
    """The least a ticket needs to have an SLA clock."""

    received_at: datetime
    priority: Priority = Priority.NORMAL
    category: str = "general"
    pauses: Pauses = ()


# --- pauses ------------------------------------------------------------------------------------


def test_pausing_twice_keeps_the_first_stop_and_resuming_a_running_clock_changes_nothing() -> None:
    once = paused((), utc(24, 10))
    assert paused(once, utc(24, 11)) == once == ((utc(24, 10), None),)
    assert paused_since(once) == utc(24, 10)
    again = resumed(once, utc(24, 12))
    assert again == ((utc(24, 10), utc(24, 12)),)
    assert resumed(again, utc(24, 13)) is again
    assert paused_since(again) is None
    assert paused(again, utc(24, 14)) == ((utc(24, 10), utc(24, 12)), (utc(24, 14), None))


# --- deadlines: the last instant a target is met -----------------------------------------------


def test_a_deadline_at_closing_time_lasts_until_the_next_opening() -> None:
    # Normal priority, 4 h to the first reply from Tue 13:00: exactly 17:00, closing time.
    ticket = Clock(utc(24, 13))
    assert deadline(ticket, SlaTarget.FIRST_REPLY, OFFICE) == utc(25, 9)
    # No working time passes overnight: a reply at Wednesday 09:00 is on time.
    assert verdict(ticket, SlaTarget.FIRST_REPLY, OFFICE, done_at=utc(25, 9), now=utc(26, 9)) == (
        Verdict.MET
    )
    assert sla_time(ticket, utc(25, 9), OFFICE) == timedelta(hours=4)
    late = utc(25, 9) + timedelta(seconds=1)
    assert verdict(ticket, SlaTarget.FIRST_REPLY, OFFICE, done_at=late, now=late) == Verdict.MISSED


def test_a_target_missed_before_the_clock_stopped_stays_missed() -> None:
    # Urgent, 15 min to the first reply from 09:00; paused from 09:30 and still paused.
    ticket = Clock(utc(24, 9), Priority.URGENT, pauses=((utc(24, 9, 30), None),))
    assert deadline(ticket, SlaTarget.FIRST_REPLY, SlaTargets()) == utc(24, 9, 15)
    assert verdict(ticket, SlaTarget.FIRST_REPLY, SlaTargets(), done_at=None, now=utc(24, 10)) == (
        Verdict.MISSED
    )


def test_a_clock_stopped_before_its_deadline_has_none_until_it_runs_again() -> None:
    waiting = Clock(utc(24, 9), Priority.URGENT, pauses=((utc(24, 9, 10), None),))
    assert deadline(waiting, SlaTarget.FIRST_REPLY, SlaTargets()) == NEVER
    assert verdict(waiting, SlaTarget.FIRST_REPLY, SlaTargets(), done_at=None, now=NEVER) == (
        Verdict.OPEN
    )
    # Stopped at the very instant the target is reached: met while it stands still.
    at_the_limit = Clock(utc(24, 9), Priority.URGENT, pauses=((utc(24, 9, 15), utc(24, 10)),))
    assert deadline(at_the_limit, SlaTarget.FIRST_REPLY, SlaTargets()) == utc(24, 10)


def test_a_path_without_steps_is_invalid() -> None:
    with pytest.raises(InvalidValue):
        EscalationPath(())


# --- properties of the clock -------------------------------------------------------------------

BASES = (START, datetime(2026, 3, 27, 9, tzinfo=UTC), datetime(2026, 10, 23, 9, tzinfo=UTC))
"""A Tuesday in November, and Fridays before Europe's and America's clock changes."""


@st.composite
def calendars(draw: st.DrawFn) -> BusinessHours | None:
    """No calendar, or random opening hours, weekdays, timezone and holidays."""
    if draw(st.booleans()):
        return None
    opens = draw(st.integers(0, 22 * 60))
    closes = draw(st.integers(opens + 30, 23 * 60 + 59))
    holidays = draw(st.frozensets(st.dates(date(2026, 3, 20), date(2026, 12, 31)), max_size=20))
    return BusinessHours(
        opens=time(opens // 60, opens % 60),
        closes=time(closes // 60, closes % 60),
        weekdays=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        timezone=draw(st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"])),
        holidays=holidays,
    )


minutes = st.integers(1, 3 * 24 * 60).map(lambda m: timedelta(minutes=m))


@st.composite
def sla_targets(draw: st.DrawFn) -> SlaTargets:
    """Default or random targets, a random override for the ``billing`` category."""
    by_category = {}
    if draw(st.booleans()):
        by_category["billing"] = Targets(
            first_reply={p: draw(minutes) for p in Priority},
            resolution={p: draw(minutes) for p in Priority},
        )
    return SlaTargets(by_category=by_category, calendar=draw(calendars()))


@st.composite
def clocks(draw: st.DrawFn) -> Clock:
    """A ticket's clock with a few pauses, the last one possibly still running."""
    received = draw(st.sampled_from(BASES)) + draw(minutes)
    pauses: Pauses = ()
    at = received
    for _ in range(draw(st.integers(0, 4))):
        at += draw(st.integers(0, 2 * 24 * 60).map(lambda m: timedelta(minutes=m)))
        pauses = paused(pauses, at)
        if draw(st.booleans()):
            at += draw(minutes)
            pauses = resumed(pauses, at)
    return Clock(
        received,
        draw(st.sampled_from(Priority)),
        draw(st.sampled_from(["general", "billing"])),
        pauses,
    )


@settings(deadline=None)
@given(clocks(), sla_targets(), st.sampled_from(SlaTarget))
def test_the_deadline_is_the_last_instant_the_sla_time_is_within_the_target(
    ticket: Clock, sla: SlaTargets, target: SlaTarget
) -> None:
    limit = sla.first_reply(ticket.priority, ticket.category)
    if target is SlaTarget.RESOLUTION:
        limit = sla.resolution(ticket.priority, ticket.category)
    when = deadline(ticket, target, sla)
    if when == NEVER:  # stopped within the target, and not running again
        since = paused_since(ticket.pauses)
        assert since is not None
        assert sla_time(ticket, since, sla) <= limit
    else:
        assert sla_time(ticket, when, sla) == limit
        assert sla_time(ticket, when + timedelta(microseconds=1), sla) > limit
        assert not breached(when, when)
        assert breached(when, when + timedelta(microseconds=1))


# --- the KPIs' verdict and the escalator's agree -----------------------------------------------


class Desk(NamedTuple):
    """A desk under test, its escalator and its one agent."""

    desk: HelpDesk
    escalator: SlaEscalator
    agent: UUID
    tickets: list[UUID]


def kpi_breaches(facts: TicketFacts, now: datetime, sla: SlaTargets) -> set[SlaTarget]:
    """The targets the KPIs count as breached for this one ticket at ``now``."""
    kpis = compute_kpis([facts], now=now, sla=sla)
    return {
        target
        for target, breaches in (
            (SlaTarget.FIRST_REPLY, kpis.first_reply_breaches),
            (SlaTarget.RESOLUTION, kpis.resolution_breaches),
        )
        if breaches
    }


def expected_escalations(view: DeskView, now: datetime, sla: SlaTargets) -> set[UUID]:
    """The tickets a tick at ``now`` must escalate, by the KPIs' verdict; on the way, every
    open ticket's escalator verdict is checked against the KPIs'."""
    expected = set()
    for record in view.queues.open_tickets():
        facts = view.facts.tickets[record.ticket_id]
        by_kpis = kpi_breaches(facts, now, sla)
        watched = open_targets(record)
        first = next((target for target in watched if target in by_kpis), None)
        found = missed(record, now, sla)
        assert (None if found is None else found[0]) == first
        assert SlaEscalator.breach(view.queues, record, now) == found
        # Replied already: the KPI's verdict is the one the escalator's deadline gives.
        if facts.first_response_at is not None:
            late = breached(
                view.queues.deadline(record, SlaTarget.FIRST_REPLY), facts.first_response_at
            )
            assert late == (SlaTarget.FIRST_REPLY in by_kpis)
        if first is not None and PATH.after(record.tier, record.queue) is not None:
            expected.add(record.ticket_id)
    return expected


def tick(d: Desk, now: datetime) -> None:
    """The escalator escalates exactly the tickets the KPIs count a watched breach for."""
    expected = expected_escalations(d.desk.view(), now, d.desk.sla)
    assert set(d.escalator.tick(now)) == expected


def held(d: Desk, ticket: UUID, at: datetime) -> UUID:
    """``ticket``, taken by the agent first unless she holds it already."""
    if d.desk.ticket(ticket).agent_id != d.agent:
        d.desk.assign(ticket, d.agent, at=at)
    return ticket


Action = Callable[[Desk, UUID, datetime], object]

ACTIONS: dict[str, Action] = {
    "assign": lambda d, t, at: d.desk.assign(t, d.agent, at=at),
    "reply": lambda d, t, at: d.desk.respond(held(d, t, at), d.agent, at=at),
    "note": lambda d, t, at: d.desk.respond(held(d, t, at), d.agent, public=False, at=at),
    "await": lambda d, t, at: d.desk.await_customer(held(d, t, at), d.agent, at=at),
    "customer": lambda d, t, at: d.desk.customer_replied(t, at=at),
    "resolve": lambda d, t, at: d.desk.resolve(held(d, t, at), d.agent, at=at),
    "reopen": lambda d, t, at: d.desk.reopen(t, at=at),
    "urgent": lambda d, t, at: d.desk.reprioritise(t, Priority.URGENT, at=at),
    "low": lambda d, t, at: d.desk.reprioritise(t, Priority.LOW, at=at),
    "escalate": lambda d, t, at: d.desk.escalate(t, kind=EscalationKind.HIERARCHICAL, at=at),
    "abandon": lambda d, t, at: d.desk.abandon(t, at=at),
    "close": lambda d, t, at: d.desk.close_ticket(t, at=at),
}
"""What may happen to a ticket; an action its state forbids raises and writes nothing."""

STEPS = [*ACTIONS, "reply", "await", "await", "customer", "resolve", "reopen", *["tick"] * 3]
"""The steps of a history, pauses, resolutions and reopens more often than endings."""

gaps = st.one_of(st.integers(0, 90), st.integers(0, 3 * 24 * 60)).map(
    lambda m: timedelta(minutes=m)
)
"""Time between two steps: minutes mostly, sometimes days (nights, weekends)."""

arrivals = st.tuples(gaps, st.sampled_from(Priority), st.sampled_from(["general", "billing"]))
steps = st.tuples(
    gaps,
    st.sampled_from(STEPS),
    st.integers(0, 2),
)


@settings(deadline=None)
@given(
    sla_targets(),
    st.sampled_from(BASES),
    st.lists(arrivals, min_size=1, max_size=3),
    st.lists(steps, min_size=10, max_size=40),
    st.lists(gaps, min_size=1, max_size=5),
)
def test_the_kpis_and_the_escalator_judge_every_breach_alike(
    sla: SlaTargets,
    base: datetime,
    received: list[tuple[timedelta, Priority, str]],
    history: list[tuple[timedelta, str, int]],
    later: list[timedelta],
) -> None:
    clock = ManualClock(base)
    with HelpDesk("memory://", clock=clock, sla=sla) as desk:
        agent = desk.join_agent("Ann", tier=3, capacity=100, at=base)
        d = Desk(desk, SlaEscalator(desk, PATH), agent, [])
        now = base
        for wait, priority, category in received:
            now += wait
            customer = f"c-{len(d.tickets)}"
            ticket = desk.receive(
                channel="email", customer_id=customer, priority=priority, category=category, at=now
            )
            d.tickets.append(ticket)
        for wait, action, which in history:
            now += wait
            if action == "tick":
                tick(d, now)
                continue
            with contextlib.suppress(TicketlogError):  # not allowed in the ticket's state
                ACTIONS[action](d, d.tickets[which % len(d.tickets)], now)
        # Instants after the last event: nights, weekends, long pauses.
        for wait in later:
            now += wait
            tick(d, now)
