"""Automatic (time-based) escalation: SlaEscalator along an EscalationPath, once per breach.

Default targets (:mod:`ticketlog.projections.sla`): an urgent ticket gets 15 minutes to a
first reply and 4 hours to a resolution. Every desk below starts on Tuesday
24 November 2026 at 09:00 UTC (``tests/conftest.py``); expected instants are computed by
hand in the comments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from ticketlog import (
    EscalationKind,
    HelpDesk,
    ManualClock,
    SlaTarget,
    TicketEscalated,
    TicketStatus,
)
from ticketlog.processes import EscalationPath, SlaEscalator, Step
from ticketlog.projections import DeskView, SlaTargets
from ticketlog.projections.sla import BusinessHours

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
"""Tuesday 24 November 2026, 09:00 UTC, as in ``tests/conftest.py``."""

PATH = EscalationPath.of((1, "general"), (2, "experts"), (3, "engineering"))


def at(minutes: float = 0, *, hours: float = 0, days: float = 0) -> datetime:
    """The instant ``days``, ``hours`` and ``minutes`` after :data:`START`."""
    return START + timedelta(days=days, hours=hours, minutes=minutes)


def urgent(desk: HelpDesk, when: datetime = START, **attributes: Any) -> UUID:
    """An urgent ticket received at ``when``: first reply due 15 min later, resolution 4 h."""
    attributes.setdefault("customer_id", "c-1")
    return desk.receive(channel="chat", priority="urgent", at=when, **attributes)


def escalations(desk: HelpDesk, ticket: UUID) -> list[TicketEscalated]:
    return [e for e in desk.ticket_events(ticket) if isinstance(e, TicketEscalated)]


def place(desk: HelpDesk, ticket: UUID) -> tuple[int, str]:
    state = desk.ticket(ticket)
    return state.tier, state.queue


# --- when tick() escalates ----------------------------------------------------------------------


def test_an_urgent_ticket_is_escalated_once_its_first_reply_target_has_passed(
    desk: HelpDesk,
) -> None:
    ticket = urgent(desk)
    escalator = SlaEscalator(desk, PATH)

    assert escalator.tick(at(14)) == []
    assert escalator.tick(at(15) - timedelta(microseconds=1)) == []
    assert place(desk, ticket) == (1, "general")
    assert escalator.tick(at(15) + timedelta(microseconds=1)) == [ticket]
    assert place(desk, ticket) == (2, "experts")
    assert desk.ticket(ticket).status is TicketStatus.WAITING
    assert desk.ticket(ticket).escalated_breaches == frozenset({SlaTarget.FIRST_REPLY})


def test_the_resolution_target_escalates_again_to_the_next_step(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", tier=2, at=START)
    ticket = urgent(desk)
    escalator = SlaEscalator(desk, PATH)
    assert escalator.tick(at(16)) == [ticket]  # first reply missed: to experts

    desk.assign(ticket, ann, at=at(20))
    desk.respond(ticket, ann, at=at(25))
    # Resolution due 4 h after receipt, 13:00, whoever holds the ticket.
    assert escalator.tick(at(hours=4) - timedelta(seconds=1)) == []
    assert escalator.tick(at(hours=4, minutes=1)) == [ticket]
    assert place(desk, ticket) == (3, "engineering")
    assert desk.ticket(ticket).agent_id is None
    assert desk.held_by(ann) == frozenset()
    assert [(e.breach, e.to_queue, e.from_agent_id) for e in escalations(desk, ticket)] == [
        (SlaTarget.FIRST_REPLY, "experts", None),
        (SlaTarget.RESOLUTION, "engineering", ann),
    ]
    # Both breaches escalated: nothing more to do, however late.
    assert escalator.tick(at(days=30)) == []
    assert len(escalations(desk, ticket)) == 2


def test_a_ticket_replied_to_in_time_is_escalated_only_for_its_resolution(
    desk: HelpDesk,
) -> None:
    ann = desk.join_agent("Ann", at=START)
    ticket = urgent(desk)
    desk.assign(ticket, ann, at=at(5))
    desk.respond(ticket, ann, at=at(10))
    escalator = SlaEscalator(desk, PATH)

    assert escalator.tick(at(16)) == []
    assert escalator.tick(at(hours=3, minutes=59)) == []
    assert escalator.tick(at(hours=4, minutes=1)) == [ticket]
    [event] = escalations(desk, ticket)
    assert (event.breach, event.from_agent_id, event.to_queue) == (
        SlaTarget.RESOLUTION,
        ann,
        "experts",
    )


def test_tick_uses_the_desk_clock_by_default(desk: HelpDesk, clock: ManualClock) -> None:
    ticket = urgent(desk)
    escalator = SlaEscalator(desk, PATH)
    clock.advance(minutes=14)
    assert escalator.tick() == []
    clock.advance(minutes=2)
    assert escalator.tick() == [ticket]
    [event] = escalations(desk, ticket)
    assert event.at == at(16)


def test_two_breaches_missed_before_any_tick_are_each_escalated_once(desk: HelpDesk) -> None:
    ticket = urgent(desk)
    escalator = SlaEscalator(desk, PATH)
    late = at(hours=5)  # past 09:15 and 13:00
    returned = [escalator.tick(late) for _ in range(4)]

    assert {t for ids in returned for t in ids} == {ticket}
    assert returned[-1] == []
    assert [(e.breach, e.from_tier, e.to_tier, e.to_queue) for e in escalations(desk, ticket)] == [
        (SlaTarget.FIRST_REPLY, 1, 2, "experts"),
        (SlaTarget.RESOLUTION, 2, 3, "engineering"),
    ]


def test_a_ticket_is_not_escalated_at_the_very_instant_of_its_deadline(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", at=START)
    ticket = urgent(desk)
    assert SlaEscalator(desk, PATH).tick(at(15)) == []
    desk.assign(ticket, ann, at=at(15))
    desk.respond(ticket, ann, at=at(15))
    kpis = desk.view().kpis(now=at(15))
    assert (kpis.sla_first_reply, kpis.first_reply_breaches) == (100.0, 0)


# --- exactly once per breach --------------------------------------------------------------------


def test_ticking_again_and_again_escalates_a_breach_once(desk: HelpDesk) -> None:
    tickets = [urgent(desk, customer_id=f"c-{n}") for n in range(3)]
    escalator = SlaEscalator(desk, PATH)
    assert sorted(escalator.tick(at(16))) == sorted(tickets)
    for minute in (16, 16, 17, 30, 60, 239):
        assert escalator.tick(at(minute)) == []
    assert [len(escalations(desk, t)) for t in tickets] == [1, 1, 1]


def test_a_second_escalator_on_the_same_desk_finds_nothing_left_to_escalate(
    desk: HelpDesk,
) -> None:
    ticket = urgent(desk)
    first, second = SlaEscalator(desk, PATH), SlaEscalator(desk, PATH)
    assert first.tick(at(16)) == [ticket]
    assert second.tick(at(16)) == []
    assert second.tick(at(17)) == []
    assert len(escalations(desk, ticket)) == 1
    # The next breach is escalated by whichever ticks first, once.
    assert second.tick(at(hours=4, minutes=1)) == [ticket]
    assert first.tick(at(hours=4, minutes=1)) == []
    assert len(escalations(desk, ticket)) == 2


class InterruptedDesk(HelpDesk):
    """A desk on which someone else acts right after the escalator reads the view.

    It stands for another process writing between the escalator's read of the queues and
    its escalation: the view handed out does not show ``interruption``'s events yet.
    """

    name = HelpDesk.name
    interruption: Callable[[], object] | None = None

    def view(self) -> DeskView:
        """The caught-up view; then, once, the interruption (not folded into the view)."""
        view = super().view()
        interruption, self.interruption = self.interruption, None
        if interruption is not None:
            interruption()
        return view


@pytest.fixture
def interrupted(clock: ManualClock) -> Iterator[InterruptedDesk]:
    with InterruptedDesk("memory://", clock=clock) as d:
        yield d


def test_a_ticket_closed_meanwhile_is_skipped_and_the_others_escalated(
    interrupted: InterruptedDesk,
) -> None:
    desk = interrupted
    closed, other = urgent(desk, customer_id="c-1"), urgent(desk, customer_id="c-2")
    desk.interruption = lambda: desk.close_ticket(closed, at=at(16))
    assert SlaEscalator(desk, PATH).tick(at(16)) == [other]
    assert escalations(desk, closed) == []
    assert len(escalations(desk, other)) == 1


@pytest.mark.parametrize(
    ("tier", "queue"),
    [
        pytest.param(
            2,
            "experts",
            id="to-the-next-step",
        ),
        pytest.param(
            3,
            "engineering",
            id="beyond-the-next-step",
        ),
    ],
)
def test_a_ticket_escalated_by_hand_meanwhile_does_not_stop_the_tick(
    interrupted: InterruptedDesk, tier: int, queue: str
) -> None:
    desk = interrupted
    moved, other = urgent(desk, customer_id="c-1"), urgent(desk, customer_id="c-2")
    desk.interruption = lambda: desk.escalate(
        moved, kind="hierarchical", to_tier=tier, to_queue=queue, at=at(16)
    )
    escalated = SlaEscalator(desk, PATH).tick(at(16))
    assert other in escalated
    assert len(escalations(desk, other)) == 1
    assert place(desk, moved) == (tier, queue)


def test_a_tick_earlier_than_the_tickets_latest_event_skips_it(desk: HelpDesk) -> None:
    ticket = desk.receive(channel="chat", customer_id="c-1", at=START)
    desk.reprioritise(ticket, "urgent", at=at(30))  # first reply was due at 09:15
    escalator = SlaEscalator(desk, PATH)
    assert escalator.tick(at(20)) == []  # cannot record an event before 09:30
    assert escalations(desk, ticket) == []
    assert escalator.tick(at(31)) == [ticket]


# --- the path -----------------------------------------------------------------------------------


def test_a_ticket_at_the_last_step_stays_there(desk: HelpDesk) -> None:
    last = urgent(desk, customer_id="c-1", tier=3, queue="engineering")
    beyond = urgent(desk, customer_id="c-2", tier=4, queue="management")
    escalator = SlaEscalator(desk, PATH)
    for hour in (1, 5, 48):
        assert escalator.tick(at(hours=hour)) == []
    assert place(desk, last) == (3, "engineering")
    assert place(desk, beyond) == (4, "management")
    assert escalations(desk, last) == escalations(desk, beyond) == []
    assert desk.ticket(last).escalated_breaches == frozenset()


@pytest.mark.parametrize(
    ("tier", "queue", "expected"),
    [
        pytest.param(1, "general", Step(2, "experts"), id="first-step"),
        pytest.param(2, "experts", Step(3, "engineering"), id="middle-step"),
        pytest.param(3, "engineering", None, id="last-step"),
        pytest.param(0, "bot", Step(1, "general"), id="below-the-path"),
        pytest.param(1, "billing", Step(2, "experts"), id="off-path-tier-1"),
        pytest.param(2, "billing", Step(3, "engineering"), id="off-path-tier-2"),
        pytest.param(3, "billing", None, id="off-path-top-tier"),
        pytest.param(5, "general", None, id="above-the-path"),
        pytest.param(2, "general", Step(3, "engineering"), id="path-queue-at-another-tier"),
    ],
)
def test_the_step_after(tier: int, queue: str, expected: Step | None) -> None:
    assert PATH.after(tier, queue) == expected


def test_a_path_may_hop_queues_within_a_tier() -> None:
    path = EscalationPath.of((1, "general"), (1, "triage"), (2, "experts"))
    assert path.after(1, "general") == Step(1, "triage")
    assert path.after(1, "triage") == Step(2, "experts")
    assert path.after(1, "billing") == Step(2, "experts")


@pytest.mark.parametrize(
    "steps",
    [
        pytest.param((), id="empty"),
        pytest.param(((2, "experts"), (1, "general")), id="descending"),
        pytest.param(((1, "general"), (3, "engineering"), (2, "experts")), id="not-sorted"),
    ],
)
def test_a_path_needs_steps_in_ascending_tiers(steps: tuple[tuple[int, str], ...]) -> None:
    with pytest.raises(ValueError, match="ascending tiers"):
        EscalationPath.of(*steps)


def test_a_path_that_repeats_a_step_is_rejected() -> None:
    with pytest.raises(ValueError, match="step"):
        EscalationPath.of((1, "general"), (1, "general"), (2, "experts"))


def test_an_escalator_takes_its_path_as_tier_queue_pairs(desk: HelpDesk) -> None:
    escalator = SlaEscalator(desk, [(1, "general"), (2, "experts"), (3, "engineering")])
    assert escalator.path == PATH
    with pytest.raises(ValueError, match="ascending tiers"):
        SlaEscalator(desk, [(2, "experts"), (1, "general")])


def test_tickets_off_the_path_go_to_the_first_step_above_their_tier(desk: HelpDesk) -> None:
    billing = urgent(desk, customer_id="c-1", queue="billing")
    senior_billing = urgent(desk, customer_id="c-2", queue="billing", tier=2)
    bot = urgent(desk, customer_id="c-3", queue="bot", tier=0)
    assert sorted(SlaEscalator(desk, PATH).tick(at(16))) == sorted([billing, senior_billing, bot])
    assert place(desk, billing) == (2, "experts")
    assert place(desk, senior_billing) == (3, "engineering")
    assert place(desk, bot) == (1, "general")


# --- the recorded event -------------------------------------------------------------------------


def test_the_escalation_event_says_what_was_missed_and_where_it_went(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", at=START)
    ticket = urgent(desk)
    desk.assign(ticket, ann, at=at(2))
    assert SlaEscalator(desk, PATH).tick(at(16)) == [ticket]

    [event] = escalations(desk, ticket)
    assert event.kind is EscalationKind.AUTOMATIC
    assert event.breach is SlaTarget.FIRST_REPLY
    assert (event.from_tier, event.from_queue) == (1, "general")
    assert (event.to_tier, event.to_queue) == (2, "experts")
    assert event.from_agent_id == ann
    assert event.actor_id is None  # nobody acted: the process did
    assert event.at == at(16)
    assert event.reason == "deadline 2026-11-24 09:15 UTC passed"
    assert desk.ticket(ticket).status is TicketStatus.WAITING
    assert desk.held_by(ann) == frozenset()


def test_the_timeline_shows_an_automatic_escalation(desk: HelpDesk) -> None:
    ticket = urgent(desk)
    SlaEscalator(desk, PATH).tick(at(16))
    entry = desk.timeline(ticket)[-1]
    assert (entry.event_type, entry.actor_id, entry.actor) == ("TicketEscalated", None, None)
    assert entry.summary == (
        "escalated (automatic, first_reply target missed) from tier 1 general "
        "to tier 2 experts: deadline 2026-11-24 09:15 UTC passed"
    )
    assert str(entry) == f"2026-11-24 09:16:00 +0:16:00 {entry.summary}"
    assert entry.details["breach"] == SlaTarget.FIRST_REPLY


# --- pauses, business hours, finished tickets ---------------------------------------------------


def test_a_ticket_awaiting_the_customer_waits_for_its_shifted_deadline(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", capacity=2, at=START)
    ticket = urgent(desk, customer_id="c-1")
    forever = urgent(desk, customer_id="c-2")
    for t in (ticket, forever):
        desk.assign(t, ann, at=at(5))
        desk.await_customer(t, ann, at=at(10))  # 10 of the 15 minutes used
    escalator = SlaEscalator(desk, PATH)

    assert escalator.tick(at(16)) == []
    assert escalator.tick(at(hours=1)) == []
    desk.customer_replied(ticket, at=at(70))  # 10:10: 5 minutes left, due 10:15
    assert escalator.tick(at(74)) == []
    assert escalator.tick(at(76)) == [ticket]
    [event] = escalations(desk, ticket)
    assert event.reason == "deadline 2026-11-24 10:15 UTC passed"

    # A month later only its resolution (due 14:00, 4 h + 1 h on hold) is escalated: the
    # other ticket still waits on the customer, its clocks stopped.
    assert escalator.tick(at(days=30)) == [ticket]
    assert escalations(desk, forever) == []
    assert desk.ticket(forever).awaiting_customer


def test_the_resolution_deadline_moves_by_the_time_on_hold(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", at=START)
    ticket = urgent(desk)
    desk.assign(ticket, ann, at=at(5))
    desk.respond(ticket, ann, at=at(10))
    desk.await_customer(ticket, ann, at=at(20))
    desk.customer_replied(ticket, at=at(hours=2, minutes=20))  # 2 h on hold
    escalator = SlaEscalator(desk, PATH)
    # Resolution due 13:00 + 2 h = 15:00.
    assert escalator.tick(at(hours=5, minutes=59)) == []
    assert escalator.tick(at(hours=6, minutes=1)) == [ticket]
    [event] = escalations(desk, ticket)
    assert (event.breach, event.reason) == (
        SlaTarget.RESOLUTION,
        "deadline 2026-11-24 15:00 UTC passed",
    )


def office_desk(clock: ManualClock, calendar: BusinessHours) -> HelpDesk:
    return HelpDesk("memory://", clock=clock, sla=SlaTargets(calendar=calendar))


def test_a_ticket_received_on_friday_evening_is_not_escalated_over_the_weekend(
    clock: ManualClock,
) -> None:
    friday_evening = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    monday = datetime(2026, 11, 30, tzinfo=UTC)
    with office_desk(clock, BusinessHours()) as desk:  # 09:00-17:00 UTC, weekdays
        ticket = urgent(desk, friday_evening)
        escalator = SlaEscalator(desk, PATH)
        now = friday_evening
        while now < monday + timedelta(hours=9, minutes=15):  # every half hour until 09:15
            assert escalator.tick(now) == [], now
            now += timedelta(minutes=30)
        assert escalator.tick(monday + timedelta(hours=9, minutes=15, seconds=1)) == [ticket]
        [first] = escalations(desk, ticket)
        assert first.reason == "deadline 2026-11-30 09:15 UTC passed"
        # 4 working hours to the resolution: Monday 13:00.
        assert escalator.tick(monday + timedelta(hours=12, minutes=59)) == []
        assert escalator.tick(monday + timedelta(hours=13, minutes=1)) == [ticket]


def test_business_hours_in_another_timezone_set_the_deadline(clock: ManualClock) -> None:
    friday_evening = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # 19:00 in Paris
    # Monday 30 November 09:15 in Paris is 08:15 UTC.
    with office_desk(clock, BusinessHours(timezone="Europe/Paris")) as desk:
        ticket = urgent(desk, friday_evening)
        escalator = SlaEscalator(desk, PATH)
        assert escalator.tick(datetime(2026, 11, 30, 8, 14, tzinfo=UTC)) == []
        assert escalator.tick(datetime(2026, 11, 30, 8, 16, tzinfo=UTC)) == [ticket]
        [event] = escalations(desk, ticket)
        assert event.reason == "deadline 2026-11-30 08:15 UTC passed"


def test_resolved_closed_and_abandoned_tickets_are_not_escalated(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", capacity=3, at=START)
    resolved = urgent(desk, customer_id="c-1")
    closed = urgent(desk, customer_id="c-2")
    abandoned = urgent(desk, customer_id="c-3")
    desk.assign(resolved, ann, at=at(1))
    desk.resolve(resolved, ann, at=at(2))  # never replied to, but resolved
    desk.close_ticket(closed, at=at(3))
    desk.abandon(abandoned, at=at(4))
    escalator = SlaEscalator(desk, PATH)
    for hours in (1, 5, 48):
        assert escalator.tick(at(hours=hours)) == []
    for ticket in (resolved, closed, abandoned):
        assert escalations(desk, ticket) == []


def test_a_reopened_ticket_past_its_resolution_target_is_escalated(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", at=START)
    ticket = urgent(desk)
    desk.assign(ticket, ann, at=at(1))
    desk.respond(ticket, ann, at=at(2))
    desk.resolve(ticket, ann, at=at(10))
    escalator = SlaEscalator(desk, PATH)
    assert escalator.tick(at(hours=5)) == []  # resolved: nothing due
    desk.reopen(ticket, at=at(hours=5, minutes=30))
    assert escalator.tick(at(hours=5, minutes=31)) == [ticket]
    [event] = escalations(desk, ticket)
    assert (event.breach, event.reason) == (
        SlaTarget.RESOLUTION,
        "deadline 2026-11-24 13:00 UTC passed",
    )
