"""The service KPIs, each checked against a hand computation of its definition.

The definitions are those of :mod:`ticketlog.projections.kpis` (DESIGN §6). Histories are
driven through an in-memory desk with explicit business times, so every expected number
below can be recomputed from the comments by hand.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Hashable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from typing import Any
from uuid import UUID

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticketlog import Channel, HelpDesk, ManualClock, Priority
from ticketlog.projections import (
    DeskView,
    Dimension,
    Durations,
    Kpis,
    SlaTargets,
    Targets,
    compute_kpis,
    fold,
    kpis_by,
)
from ticketlog.projections.kpis import ValueClass, percentile

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
"""Tuesday 24 November 2026, 09:00 UTC (ISO week 48), as in ``tests/conftest.py``."""

LATER = START + timedelta(days=60)
"""A ``now`` well after every history below."""


def at(minutes: float = 0, *, hours: float = 0, days: float = 0) -> datetime:
    """The business time ``days``, ``hours`` and ``minutes`` after :data:`START`."""
    return START + timedelta(days=days, hours=hours, minutes=minutes)


def mins(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


def receive(desk: HelpDesk, when: datetime = START, **attributes: Any) -> UUID:
    """A ticket received at ``when`` (email from ``c-1`` unless told otherwise)."""
    attributes.setdefault("channel", "email")
    attributes.setdefault("customer_id", "c-1")
    return desk.receive(at=when, **attributes)


def solved(desk: HelpDesk, agent: UUID, *, received: datetime = START, **attributes: Any) -> UUID:
    """A ticket taken by ``agent`` one minute after receipt and resolved a minute later."""
    ticket = receive(desk, received, **attributes)
    desk.assign(ticket, agent, at=received + mins(1))
    desk.resolve(ticket, agent, at=received + mins(2))
    return ticket


def kpis(desk: HelpDesk, now: datetime = LATER) -> Kpis:
    return desk.view().kpis(now=now)


@pytest.fixture
def ann(desk: HelpDesk) -> UUID:
    """Tier 1, team billing, room for many tickets."""
    return desk.join_agent("Ann", team="billing", capacity=20, agent_id=UUID(int=1))


@pytest.fixture
def bo(desk: HelpDesk) -> UUID:
    """Tier 1, team general."""
    return desk.join_agent("Bo", capacity=20, agent_id=UUID(int=2))


@pytest.fixture
def cy(desk: HelpDesk) -> UUID:
    """Tier 2, team specialists."""
    return desk.join_agent("Cy", team="specialists", tier=2, capacity=20, agent_id=UUID(int=3))


# --- percentiles ------------------------------------------------------------------------------


def test_percentile_interpolates_linearly_between_closest_ranks() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    # position = (n - 1) * q: 1.5 -> 2.5; 2.7 -> 3 + 0.7; 2.85 -> 3 + 0.85
    assert percentile(values, 0.5) == 2.5
    assert percentile(values, 0.9) == pytest.approx(3.7, abs=1e-12)
    assert percentile(values, 0.95) == pytest.approx(3.85, abs=1e-12)
    assert percentile(values, 0.0) == 1.0
    assert percentile(values, 1.0) == 4.0
    # 5 values: the median is the middle one, p90 at position 3.6 between 40 and 100.
    assert percentile([10.0, 20.0, 30.0, 40.0, 100.0], 0.5) == 30.0
    assert percentile([10.0, 20.0, 30.0, 40.0, 100.0], 0.9) == pytest.approx(76.0, abs=1e-9)


def test_percentile_of_one_value_is_that_value_and_of_none_is_an_error() -> None:
    assert percentile([7.0], 0.5) == percentile([7.0], 0.95) == 7.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)


@given(values=st.lists(st.integers(min_value=0, max_value=10**7), min_size=2, max_size=60))
def test_percentiles_equal_statistics_quantiles_inclusive(values: list[int]) -> None:
    """``method="inclusive"`` is the same interpolation (R's type 7) for two or more values."""
    cut_points = statistics.quantiles(values, n=100, method="inclusive")
    ordered = [float(v) for v in sorted(values)]
    for q in (1, 10, 25, 50, 75, 90, 95, 99):
        assert math.isclose(percentile(ordered, q / 100), cut_points[q - 1], abs_tol=1e-6)


def test_durations_summarise_count_mean_and_exact_percentiles() -> None:
    summary = Durations.of([mins(10), mins(1), mins(4), mins(2), mins(3)])
    # sorted 1 2 3 4 10: mean 4; p50 = 3; p90 at 3.6 = 4 + 0.6 * 6 = 7.6; p95 at 3.8 = 8.8
    assert summary == Durations(
        count=5,
        mean=mins(4),
        p50=mins(3),
        p90=mins(7.6),
        p95=mins(8.8),
    )


def test_durations_of_nothing_are_none() -> None:
    assert Durations.of([]) == Durations(count=0, mean=None, p50=None, p90=None, p95=None)


def test_durations_of_one_value_are_that_value() -> None:
    assert Durations.of([mins(5)]) == Durations(
        count=1, mean=mins(5), p50=mins(5), p90=mins(5), p95=mins(5)
    )


@given(
    values=st.lists(
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
        min_size=2,
        max_size=50,
    )
)
def test_duration_percentiles_match_statistics_to_the_microsecond(
    values: list[timedelta],
) -> None:
    summary = Durations.of(values)
    seconds = [v.total_seconds() for v in values]
    cut_points = statistics.quantiles(seconds, n=100, method="inclusive")
    for got, q in ((summary.p50, 50), (summary.p90, 90), (summary.p95, 95)):
        assert got is not None
        assert abs(got - timedelta(seconds=cut_points[q - 1])) <= timedelta(microseconds=1)
    assert summary.mean is not None
    assert abs(summary.mean - timedelta(seconds=statistics.fmean(seconds))) <= timedelta(
        microseconds=1
    )


@given(
    values=st.lists(
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3000)),
        min_size=1,
        max_size=50,
    )
)
def test_duration_percentiles_are_monotone_and_within_range(values: list[timedelta]) -> None:
    summary = Durations.of(values)
    assert summary.count == len(values)
    assert summary.p50 is not None
    assert summary.p90 is not None
    assert summary.p95 is not None
    assert summary.mean is not None
    assert min(values) <= summary.p50 <= summary.p90 <= summary.p95 <= max(values)
    assert min(values) <= summary.mean <= max(values)


# --- durations of the service -------------------------------------------------------------


def test_wait_runs_from_receipt_to_the_first_assignment(desk: HelpDesk, ann: UUID) -> None:
    for waited in (2, 4, 9):
        ticket = receive(desk)
        desk.assign(ticket, ann, at=at(waited))
    twice = receive(desk)
    desk.assign(twice, ann, at=at(1))
    desk.transfer(twice, to_queue="elsewhere", at=at(3))
    desk.assign(twice, ann, at=at(30))  # a second assignment does not change the wait
    receive(desk)  # never assigned: not in the denominator

    wait = kpis(desk).wait
    # waits 1 2 4 9: mean 4; p50 at 1.5 = 3; p90 at 2.7 = 4 + 0.7 * 5; p95 at 2.85
    assert wait == Durations(count=4, mean=mins(4), p50=mins(3), p90=mins(7.5), p95=mins(8.25))


def test_first_reply_counts_public_replies_only(desk: HelpDesk, ann: UUID) -> None:
    noted_first = receive(desk)
    desk.assign(noted_first, ann, at=at(0.5))
    desk.respond(noted_first, ann, public=False, at=at(1))
    desk.respond(noted_first, ann, at=at(5))
    only_notes = receive(desk)
    desk.assign(only_notes, ann, at=at(1))
    desk.respond(only_notes, ann, public=False, at=at(2))
    replied_twice = receive(desk)
    desk.assign(replied_twice, ann, at=at(1))
    desk.respond(replied_twice, ann, at=at(2))
    desk.respond(replied_twice, ann, at=at(3))

    first_reply = kpis(desk).first_reply
    assert first_reply.count == 2
    assert (first_reply.mean, first_reply.p50) == (mins(3.5), mins(3.5))
    facts = desk.view().facts.tickets
    assert facts[noted_first].first_reply_time == mins(5)
    assert facts[only_notes].first_reply_time is None
    assert facts[replied_twice].first_reply_time == mins(2)


def test_resolution_time_runs_to_a_reopened_tickets_final_resolution(
    desk: HelpDesk, ann: UUID
) -> None:
    ticket = receive(desk)
    desk.assign(ticket, ann, at=at(2))
    desk.resolve(ticket, ann, at=at(10))
    desk.reopen(ticket, at=at(20))
    desk.assign(ticket, ann, at=at(30))
    desk.resolve(ticket, ann, at=at(60))
    quick = solved(desk, ann)  # resolved 2 minutes after receipt

    result = kpis(desk)
    assert result.resolved == 2
    assert result.resolution == Durations(
        count=2, mean=mins(31), p50=mins(31), p90=mins(54.2), p95=mins(57.1)
    )
    facts = desk.view().facts.tickets
    assert facts[ticket].resolution_time == mins(60)
    assert facts[ticket].resolutions == 2
    assert facts[quick].resolution_time == mins(2)


def test_handle_time_sums_the_assignment_spells_across_transfers_and_escalations(
    desk: HelpDesk, ann: UUID, bo: UUID, cy: UUID
) -> None:
    passed_on = receive(desk)
    desk.assign(passed_on, ann, at=at(5))
    desk.transfer(passed_on, to_agent_id=bo, at=at(15))  # Ann held it 10 min
    desk.escalate(passed_on, kind="hierarchical", at=at(25))  # Bo held it 10 min
    desk.assign(passed_on, cy, at=at(55))  # 30 min waiting at tier 2: not handle time
    desk.resolve(passed_on, cy, at=at(75))  # Cy held it 20 min
    requeued = receive(desk)
    desk.assign(requeued, ann, at=at(10))
    desk.transfer(requeued, to_queue="refunds", at=at(20))  # 10 min, then it waits
    desk.assign(requeued, bo, at=at(50))
    desk.resolve(requeued, bo, at=at(55))  # 5 min
    reopened = receive(desk)
    desk.assign(reopened, ann, at=at(2))
    desk.resolve(reopened, ann, at=at(10))  # 8 min
    desk.reopen(reopened, at=at(20))
    desk.assign(reopened, ann, at=at(30))
    desk.resolve(reopened, ann, at=at(60))  # 30 min more
    unresolved = receive(desk)
    desk.assign(unresolved, ann, at=at(0))

    facts = desk.view().facts.tickets
    assert facts[passed_on].handle_time == mins(40)
    assert facts[requeued].handle_time == mins(15)
    assert facts[reopened].handle_time == mins(38)
    handle = kpis(desk).handle
    # Only resolved tickets: 15, 38, 40 -> mean 31; p50 38; p90 at 1.8 = 38 + 0.8 * 2
    assert handle == Durations(count=3, mean=mins(31), p50=mins(38), p90=mins(39.6), p95=mins(39.8))
    assert kpis(desk).aht == mins(31)


def test_a_ticket_closed_while_held_ends_its_spell_at_the_close(desk: HelpDesk, ann: UUID) -> None:
    ticket = receive(desk)
    desk.assign(ticket, ann, at=at(5))
    desk.close_ticket(ticket, at=at(12))
    assert desk.view().facts.tickets[ticket].handle_time == mins(7)
    assert kpis(desk).handle.count == 0  # never resolved: not part of AHT


def test_aht_is_none_without_resolved_tickets(desk: HelpDesk, ann: UUID) -> None:
    ticket = receive(desk)
    desk.assign(ticket, ann, at=at(1))
    assert kpis(desk).aht is None
    assert kpis(desk).handle.count == 0


# --- first contact resolution ----------------------------------------------------------------


def test_fcr_counts_resolutions_by_the_first_agent_without_transfer_escalation_or_reopen(
    desk: HelpDesk, ann: UUID, bo: UUID, cy: UUID
) -> None:
    first_contact = solved(desk, ann)
    second_agent = receive(desk)
    desk.assign(second_agent, ann, at=at(1))
    desk.transfer(second_agent, to_agent_id=bo, at=at(2))
    desk.resolve(second_agent, bo, at=at(3))
    escalated = receive(desk)
    desk.assign(escalated, ann, at=at(1))
    desk.escalate(escalated, kind="functional", to_queue="specialists", at=at(2))
    desk.assign(escalated, cy, at=at(3))
    desk.resolve(escalated, cy, at=at(4))
    reopened = solved(desk, ann)
    desk.reopen(reopened, at=at(5))
    desk.assign(reopened, ann, at=at(6))
    desk.resolve(reopened, ann, at=at(7))
    moved_queue_only = receive(desk)
    desk.assign(moved_queue_only, ann, at=at(1))
    desk.transfer(moved_queue_only, to_agent_id=ann, to_queue="refunds", at=at(2))
    desk.resolve(moved_queue_only, ann, at=at(3))
    still_open = receive(desk)
    desk.assign(still_open, ann, at=at(1))

    facts = desk.view().facts.tickets
    assert [facts[t].first_contact_resolution for t in (first_contact, second_agent)] == [
        True,
        False,
    ]
    assert not facts[escalated].first_contact_resolution
    assert not facts[reopened].first_contact_resolution
    assert not facts[moved_queue_only].first_contact_resolution  # a transfer all the same
    assert not facts[still_open].first_contact_resolution
    result = kpis(desk)
    assert result.resolved == 5  # the open ticket is not in the denominator
    assert result.fcr == 20.0


def test_fcr_is_none_without_resolved_tickets(desk: HelpDesk) -> None:
    receive(desk)
    assert kpis(desk).fcr is None


# --- satisfaction -------------------------------------------------------------------------


def test_csat_is_the_share_of_fours_and_fives_and_their_mean(desk: HelpDesk, ann: UUID) -> None:
    for score in (5, 4, 3, 1):
        desk.rate(solved(desk, ann), csat=score, at=at(3))
    solved(desk, ann)  # resolved, never rated
    desk.rate(solved(desk, ann), nps=10, at=at(3))  # an NPS answer only

    result = kpis(desk)
    assert result.csat_count == 4
    assert result.csat == 50.0
    assert result.csat_mean == 3.25
    assert result.nps_count == 1


def test_the_latest_csat_rating_of_a_ticket_counts(desk: HelpDesk, ann: UUID) -> None:
    changed_mind = solved(desk, ann)
    desk.rate(changed_mind, csat=1, at=at(3))
    desk.reopen(changed_mind, at=at(4))
    desk.assign(changed_mind, ann, at=at(5))
    desk.resolve(changed_mind, ann, at=at(6))
    desk.rate(changed_mind, csat=5, at=at(7))
    desk.rate(solved(desk, ann), csat=2, at=at(3))

    result = kpis(desk)
    assert result.csat_count == 2  # one rating per ticket: its latest
    assert result.csat == 50.0
    assert result.csat_mean == 3.5


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        pytest.param([10, 9, 8, 7, 6, 0], 0.0, id="2 promoters 2 passives 2 detractors"),
        pytest.param([10, 9, 9, 3], 50.0, id="3 promoters 1 detractor"),
        pytest.param([9, 6, 7, 8, 10], 20.0, id="2 promoters 1 detractor of 5"),
        pytest.param([7, 8], 0.0, id="passives only"),
        pytest.param([0, 6, 5], -100.0, id="detractors only"),
        pytest.param([10, 9], 100.0, id="promoters only"),
    ],
)
def test_nps_is_promoters_minus_detractors(
    desk: HelpDesk, ann: UUID, scores: list[int], expected: float
) -> None:
    for score in scores:
        desk.rate(solved(desk, ann), nps=score, at=at(3))
    result = kpis(desk)
    assert result.nps_count == len(scores)
    assert result.nps == pytest.approx(expected, abs=1e-12)
    assert result.csat is None  # no CSAT answers among them


def test_the_latest_nps_answer_of_a_ticket_counts(desk: HelpDesk, ann: UUID) -> None:
    ticket = solved(desk, ann)
    desk.rate(ticket, nps=0, at=at(3))
    desk.reopen(ticket, at=at(4))
    desk.assign(ticket, ann, at=at(5))
    desk.resolve(ticket, ann, at=at(6))
    desk.rate(ticket, nps=10, at=at(7))
    result = kpis(desk)
    assert (result.nps_count, result.nps) == (1, 100.0)


def test_unrated_tickets_are_in_no_satisfaction_score(desk: HelpDesk, ann: UUID) -> None:
    solved(desk, ann)
    solved(desk, ann)
    receive(desk)
    result = kpis(desk)
    assert (result.csat, result.csat_mean, result.csat_count) == (None, None, 0)
    assert (result.nps, result.nps_count) == (None, 0)
    assert result.resolved == 2


# --- SLA attainment -----------------------------------------------------------------------

SLA = SlaTargets(
    default=Targets(
        first_reply={
            Priority.LOW: timedelta(hours=4),
            Priority.NORMAL: timedelta(hours=2),
            Priority.HIGH: timedelta(hours=1),
            Priority.URGENT: timedelta(minutes=30),
        },
        resolution={
            Priority.LOW: timedelta(hours=48),
            Priority.NORMAL: timedelta(hours=8),
            Priority.HIGH: timedelta(hours=4),
            Priority.URGENT: timedelta(hours=2),
        },
    ),
    by_category={
        "vip": Targets(
            first_reply=dict.fromkeys(Priority, timedelta(minutes=10)),
            resolution=dict.fromkeys(Priority, timedelta(hours=1)),
        )
    },
)
"""Custom targets: normal tickets 2 h to reply and 8 h to resolve; ``vip`` 10 min and 1 h."""


@pytest.fixture
def sla_desk(clock: ManualClock) -> Iterator[HelpDesk]:
    with HelpDesk("memory://", clock=clock, sla=SLA) as desk:
        yield desk


def test_sla_attainment_counts_met_late_and_open_past_target(sla_desk: HelpDesk) -> None:
    desk = sla_desk
    agent = desk.join_agent("Ann", capacity=20)

    def replied(reply: datetime, resolution: datetime | None, **attributes: Any) -> UUID:
        ticket = receive(desk, **attributes)
        desk.assign(ticket, agent, at=at(1))
        desk.respond(ticket, agent, at=reply)
        if resolution is not None:
            desk.resolve(ticket, agent, at=resolution)
        return ticket

    replied(at(hours=2), at(hours=8))  # both exactly on target: met
    replied(at(121), at(hours=9))  # both late
    noted = receive(desk)  # only an internal note; open 10 h: misses both
    desk.assign(noted, agent, at=at(1))
    desk.respond(noted, agent, public=False, at=at(5))
    receive(desk, at(hours=9))  # open 1 h at `now`: not yet due, not counted
    gave_up = receive(desk)
    desk.abandon(gave_up, at=at(hours=3))  # abandoned unreplied: excluded from both
    replied(at(15), at(50), category="vip")  # vip: late reply (10 min), resolved in time (1 h)
    raised = receive(desk, priority="low")  # judged as urgent: 30 min and 2 h
    desk.reprioritise(raised, "urgent", at=at(5))
    desk.assign(raised, agent, at=at(6))
    desk.respond(raised, agent, at=at(40))
    desk.resolve(raised, agent, at=at(hours=3))

    result = desk.view().kpis(now=at(hours=10))
    # First reply: met 1 (on target); late: 2nd, noted, vip, raised
    assert (result.sla_first_reply, result.first_reply_breaches) == (20.0, 4)
    # Resolution: met: on target, vip; late: 2nd, raised; open past target: noted
    assert (result.sla_resolution, result.resolution_breaches) == (40.0, 3)


def test_an_open_ticket_breaches_only_once_past_its_target(sla_desk: HelpDesk) -> None:
    receive(sla_desk)  # normal: 2 h to reply, 8 h to resolve
    view = sla_desk.view()
    assert (
        view.kpis(now=at(hours=2)).sla_first_reply,
        view.kpis(now=at(hours=2)).sla_resolution,
    ) == (
        None,
        None,
    )
    past_reply = view.kpis(now=at(121))
    # breached, but no ticket of the set shows a reply or a resolution: not measured
    assert (past_reply.sla_first_reply, past_reply.first_reply_breaches) == (None, 1)
    assert (past_reply.sla_resolution, past_reply.resolution_breaches) == (None, 0)
    past_both = view.kpis(now=at(hours=8, minutes=1))
    assert (past_both.sla_resolution, past_both.resolution_breaches) == (None, 1)


def test_where_the_set_shows_replies_and_resolutions_an_overdue_ticket_misses(
    sla_desk: HelpDesk,
) -> None:
    agent = sla_desk.join_agent("Ann")
    late = receive(sla_desk)
    sla_desk.assign(late, agent, at=at(1))
    sla_desk.respond(late, agent, at=at(hours=3))  # past the 2 h target
    sla_desk.resolve(late, agent, at=at(hours=9))  # past the 8 h target
    receive(sla_desk)  # never answered

    kpis = sla_desk.view().kpis(now=at(hours=9, minutes=1))

    assert (kpis.sla_first_reply, kpis.first_reply_breaches) == (0.0, 2)
    assert (kpis.sla_resolution, kpis.resolution_breaches) == (0.0, 2)


def test_first_reply_attainment_is_not_measured_in_a_history_without_replies(
    sla_desk: HelpDesk,
) -> None:
    agent = sla_desk.join_agent("Ann", capacity=2)
    for _ in range(2):
        ticket = receive(sla_desk)
        sla_desk.assign(ticket, agent, at=at(1))
        sla_desk.resolve(ticket, agent, at=at(hours=3))  # no reply recorded, in time

    kpis = sla_desk.view().kpis(now=at(hours=4))

    assert (kpis.sla_first_reply, kpis.first_reply.count) == (None, 0)
    assert kpis.sla_resolution == 100.0


def test_a_category_override_sets_the_targets_of_its_tickets(sla_desk: HelpDesk) -> None:
    agent = sla_desk.join_agent("Ann", capacity=5)
    for category in ("vip", "general"):
        ticket = receive(sla_desk, category=category)
        sla_desk.assign(ticket, agent, at=at(1))
        sla_desk.respond(ticket, agent, at=at(30))  # vip target 10 min, normal 2 h
        sla_desk.resolve(ticket, agent, at=at(hours=1, minutes=30))  # vip 1 h, normal 8 h
    by_category = sla_desk.view().kpis_by(Dimension.CATEGORY, now=at(hours=10))
    assert (by_category["vip"].sla_first_reply, by_category["vip"].sla_resolution) == (0.0, 0.0)
    assert (by_category["general"].sla_first_reply, by_category["general"].sla_resolution) == (
        100.0,
        100.0,
    )


def test_abandoned_and_closed_unresolved_tickets_are_not_resolution_breaches(
    sla_desk: HelpDesk,
) -> None:
    agent = sla_desk.join_agent("Ann", capacity=5)
    gave_up = receive(sla_desk)
    sla_desk.abandon(gave_up, at=at(10))
    closed = receive(sla_desk)
    sla_desk.assign(closed, agent, at=at(1))
    sla_desk.respond(closed, agent, at=at(5))  # replied in time
    sla_desk.close_ticket(closed, at=at(20))
    result = sla_desk.view().kpis(now=at(days=3))
    assert (result.sla_resolution, result.resolution_breaches) == (None, 0)
    assert (result.sla_first_reply, result.first_reply_breaches) == (100.0, 0)


def test_a_ticket_closed_without_a_reply_breaches_first_reply_once_past_its_target(
    sla_desk: HelpDesk,
) -> None:
    """As documented: [tickets replied to, or past their target without a reply];
    only abandoned tickets are excluded."""
    spam = receive(sla_desk)
    sla_desk.close_ticket(spam, reason="spam", at=at(1))
    assert sla_desk.view().kpis(now=at(hours=3)).first_reply_breaches == 1


def test_a_reopened_ticket_open_past_its_target_breaches_resolution(sla_desk: HelpDesk) -> None:
    agent = sla_desk.join_agent("Ann", capacity=5)
    ticket = receive(sla_desk)  # normal: resolve within 8 h
    sla_desk.assign(ticket, agent, at=at(1))
    sla_desk.resolve(ticket, agent, at=at(30))
    sla_desk.reopen(ticket, at=at(hours=1))
    result = sla_desk.view().kpis(now=at(hours=10))  # open again, 10 h after receipt
    assert result.open == 1
    assert (result.sla_resolution, result.resolution_breaches) == (0.0, 1)


def test_default_targets_apply_without_custom_ones(desk: HelpDesk, ann: UUID) -> None:
    urgent = receive(desk, priority="urgent")  # default: 15 min to reply, 4 h to resolve
    desk.assign(urgent, ann, at=at(1))
    desk.respond(urgent, ann, at=at(15))
    desk.resolve(urgent, ann, at=at(hours=4, minutes=1))
    result = kpis(desk)
    assert (result.sla_first_reply, result.sla_resolution) == (100.0, 0.0)


# --- rates and counts ------------------------------------------------------------------------


def test_transfer_escalation_reopen_and_abandonment_rates_and_means(
    desk: HelpDesk, ann: UUID, bo: UUID
) -> None:
    passed_around = receive(desk)
    desk.assign(passed_around, ann, at=at(1))
    desk.transfer(passed_around, to_agent_id=bo, at=at(2))
    desk.transfer(passed_around, to_agent_id=ann, at=at(3))
    moved_up = receive(desk)
    desk.assign(moved_up, ann, at=at(1))
    desk.transfer(moved_up, to_agent_id=bo, at=at(2))
    desk.escalate(moved_up, kind="automatic", at=at(3))
    receive(desk)  # nothing happened to it
    gave_up = receive(desk)
    desk.abandon(gave_up, at=at(4))
    came_back = solved(desk, ann)
    desk.reopen(came_back, at=at(3))
    desk.assign(came_back, ann, at=at(4))
    desk.resolve(came_back, ann, at=at(5))
    desk.reopen(came_back, at=at(6))
    desk.assign(came_back, ann, at=at(7))
    desk.resolve(came_back, ann, at=at(8))

    result = kpis(desk)
    assert result.tickets == 5
    assert (result.transfer_rate, result.transfers_per_ticket) == (40.0, 0.6)
    assert (result.escalation_rate, result.escalations_per_ticket) == (20.0, 0.2)
    assert (result.reopen_rate, result.reopens_per_ticket) == (20.0, 0.4)
    assert result.abandonment_rate == 20.0
    # Open: held, escalated (waiting), untouched; not the abandoned or the resolved one.
    assert (result.open, result.resolved) == (3, 1)


def test_a_ticket_abandoned_and_then_closed_still_counts_as_abandoned(desk: HelpDesk) -> None:
    gave_up = receive(desk)
    desk.abandon(gave_up, at=at(5))
    desk.close_ticket(gave_up, at=at(10))
    receive(desk)
    result = kpis(desk)
    assert result.abandonment_rate == 50.0


def test_kpis_of_no_tickets_are_none() -> None:
    result = compute_kpis([], now=START)
    empty = Durations(count=0, mean=None, p50=None, p90=None, p95=None)
    assert (result.tickets, result.open, result.resolved) == (0, 0, 0)
    assert result.wait == result.first_reply == result.resolution == result.handle == empty
    assert result.aht is None
    assert [
        result.fcr,
        result.csat,
        result.csat_mean,
        result.nps,
        result.sla_first_reply,
        result.sla_resolution,
        result.transfer_rate,
        result.escalation_rate,
        result.reopen_rate,
        result.abandonment_rate,
        result.transfers_per_ticket,
        result.escalations_per_ticket,
        result.reopens_per_ticket,
    ] == [None] * 13
    assert (result.csat_count, result.nps_count) == (0, 0)
    assert (result.first_reply_breaches, result.resolution_breaches) == (0, 0)
    assert kpis_by([], Dimension.CHANNEL, now=START) == {}


def test_a_desk_with_agents_only_has_empty_kpis(desk: HelpDesk, ann: UUID) -> None:
    assert kpis(desk) == compute_kpis([], now=LATER)


def test_kpis_of_a_fold_equal_those_of_the_live_view(desk: HelpDesk, ann: UUID, bo: UUID) -> None:
    solved(desk, ann)
    ticket = receive(desk, channel="chat")
    desk.assign(ticket, bo, at=at(3))
    rebuilt = fold(DeskView(), (event for _, event in desk.read_log()))
    assert rebuilt.kpis(now=LATER) == kpis(desk)


# --- grouping ---------------------------------------------------------------------------------

ANN, BO = UUID(int=1), UUID(int=2)


@pytest.fixture
def grouped(desk: HelpDesk) -> dict[str, UUID]:
    """Four tickets that differ in every dimension.

    ======  =======  =========  ========  ====  =======  ========  =====  ==========  ========
    ticket  channel  category   priority  tier  queue    resolver  plan   day (UTC)   ISO week
    ======  =======  =========  ========  ====  =======  ========  =====  ==========  ========
    t1      email    billing    high      1     billing  Ann       pro    2026-11-24  2026-W48
    t2      phone    technical  low       2     tech     Bo        -      2026-11-25  2026-W48
    t3      chat     billing    normal    0     general  -         free   2026-11-30  2026-W49
    t4      email    general    urgent    1     general  Bo        pro    2026-12-31  2026-W53
    ======  =======  =========  ========  ====  =======  ========  =====  ==========  ========

    Ann is in team billing, Bo in team tech; t2 was escalated from tier 1, queue general.
    Customer values: t1 5000, t2 none (0), t3 50, t4 9.99.
    t4 arrived at 01:00 on 1 January 2027 in UTC+2: 23:00 UTC the day before.
    """
    desk.join_agent("Ann", team="billing", capacity=9, agent_id=ANN)
    desk.join_agent("Bo", team="tech", tier=2, capacity=9, agent_id=BO)
    t1 = receive(
        desk, category="billing", priority="high", queue="billing", plan="pro", customer_value=5000
    )
    desk.assign(t1, ANN, at=at(1))
    desk.resolve(t1, ANN, at=at(2))
    t2 = receive(desk, at(days=1), channel="phone", category="technical", priority="low")
    desk.assign(t2, ANN, at=at(1, days=1))
    desk.escalate(t2, kind="hierarchical", to_queue="tech", at=at(2, days=1))
    desk.assign(t2, BO, at=at(3, days=1))
    desk.resolve(t2, BO, at=at(4, days=1))
    t3 = receive(
        desk, at(days=6), channel="chat", category="billing", tier=0, plan="free", customer_value=50
    )
    new_year = datetime(2027, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=2)))
    t4 = receive(
        desk, new_year, category="general", priority="urgent", plan="pro", customer_value=9.99
    )
    desk.assign(t4, BO, at=new_year + mins(1))
    desk.resolve(t4, BO, at=new_year + mins(2))
    return {"t1": t1, "t2": t2, "t3": t3, "t4": t4}


GROUPS: dict[Dimension, list[tuple[Hashable, set[str]]]] = {
    Dimension.CHANNEL: [
        (Channel.CHAT, {"t3"}),
        (Channel.EMAIL, {"t1", "t4"}),
        (Channel.PHONE, {"t2"}),
    ],
    Dimension.CATEGORY: [("billing", {"t1", "t3"}), ("general", {"t4"}), ("technical", {"t2"})],
    Dimension.PRIORITY: [  # by severity, not by name
        (Priority.LOW, {"t2"}),
        (Priority.NORMAL, {"t3"}),
        (Priority.HIGH, {"t1"}),
        (Priority.URGENT, {"t4"}),
    ],
    Dimension.TIER: [(0, {"t3"}), (1, {"t1", "t4"}), (2, {"t2"})],
    Dimension.QUEUE: [("billing", {"t1"}), ("general", {"t3", "t4"}), ("tech", {"t2"})],
    Dimension.AGENT: [(ANN, {"t1"}), (BO, {"t2", "t4"}), (None, {"t3"})],
    Dimension.TEAM: [("billing", {"t1"}), ("tech", {"t2", "t4"}), (None, {"t3"})],
    Dimension.PLAN: [("free", {"t3"}), ("pro", {"t1", "t4"}), (None, {"t2"})],
    Dimension.DAY: [
        ("2026-11-24", {"t1"}),
        ("2026-11-25", {"t2"}),
        ("2026-11-30", {"t3"}),
        ("2026-12-31", {"t4"}),
    ],
    Dimension.WEEK: [("2026-W48", {"t1", "t2"}), ("2026-W49", {"t3"}), ("2026-W53", {"t4"})],
    Dimension.SOURCE: [(None, {"t1", "t2", "t3", "t4"})],  # all live; imports: test_imports
    Dimension.CUSTOMER_VALUE: [  # by value, not by label
        (ValueClass.NONE, {"t2"}),
        (ValueClass.UNDER_10, {"t4"}),
        (ValueClass.TENS, {"t3"}),
        (ValueClass.THOUSANDS, {"t1"}),
    ],
}
"""Per dimension: the expected groups, in order (ascending, ``None`` last), and their tickets."""


def test_every_dimension_has_expected_groups() -> None:
    assert set(GROUPS) == set(Dimension)


@pytest.mark.parametrize("dimension", list(Dimension), ids=str)
def test_kpis_by_groups_tickets_by_dimension(
    desk: HelpDesk, grouped: dict[str, UUID], dimension: Dimension
) -> None:
    view = desk.view()
    groups = view.kpis_by(dimension, now=LATER)
    expected = GROUPS[dimension]
    assert list(groups) == [key for key, _ in expected]
    for key, names in expected:
        members = [view.facts.tickets[grouped[name]] for name in sorted(names)]
        assert groups[key] == compute_kpis(members, now=LATER, sla=view.sla)
        assert groups[key].tickets == len(names)
    assert sum(k.tickets for k in groups.values()) == 4
    assert view.kpis_by(dimension.value, now=LATER) == groups  # by name, too


def test_kpis_per_group_are_hand_computed(desk: HelpDesk, grouped: dict[str, UUID]) -> None:
    by_agent = desk.view().kpis_by(Dimension.AGENT, now=LATER)
    assert (by_agent[BO].resolved, by_agent[BO].escalation_rate) == (2, 50.0)
    assert by_agent[BO].resolution.mean == mins((4 + 2) / 2)
    assert by_agent[None].open == 1
    assert by_agent[None].resolution.count == 0
    by_week = desk.view().kpis_by(Dimension.WEEK, now=LATER)
    assert by_week["2026-W48"].wait.mean == mins(1)
    assert by_week["2026-W48"].fcr == 50.0  # t1 yes; t2 escalated


def test_the_team_of_a_resolution_is_the_resolvers_team_when_resolving(
    desk: HelpDesk, grouped: dict[str, UUID]
) -> None:
    desk.change_agent(ANN, team="retention")
    assert list(desk.view().kpis_by(Dimension.TEAM, now=LATER)) == ["billing", "tech", None]


def test_an_unknown_dimension_is_an_error(desk: HelpDesk) -> None:
    with pytest.raises(ValueError, match="colour"):
        desk.view().kpis_by("colour", now=LATER)


# --- definitions settled after review -------------------------------------------------------


def test_a_waiting_ticket_handed_straight_to_an_agent_counts_as_served(
    desk: HelpDesk, clock: ManualClock
) -> None:
    ann = desk.join_agent("Ann")
    ticket = desk.receive(channel="email", customer_id="c")
    clock.advance(minutes=7)
    desk.transfer(ticket, to_agent_id=ann, reason="supervisor hands it over")
    facts = desk.view().facts.tickets[ticket]
    assert facts.first_agent_id == ann
    assert facts.wait == timedelta(minutes=7)
    assert desk.view().kpis(now=clock.now()).wait.count == 1


def test_a_reopened_ticket_counts_as_resolved_only_once_resolved_again(
    desk: HelpDesk, clock: ManualClock
) -> None:
    ann = desk.join_agent("Ann")
    ticket = desk.receive(channel="email", customer_id="c")
    desk.assign(ticket, ann)
    clock.advance(minutes=30)
    desk.resolve(ticket, ann)
    desk.reopen(ticket)
    kpis = desk.view().kpis(now=clock.now())
    assert (kpis.open, kpis.resolved, kpis.resolution.count, kpis.handle.count) == (1, 0, 0, 0)
    desk.assign(ticket, ann)
    clock.advance(minutes=30)
    desk.resolve(ticket, ann)
    kpis = desk.view().kpis(now=clock.now())
    assert (kpis.open, kpis.resolved) == (0, 1)
    assert kpis.resolution.mean == timedelta(hours=1)
    assert kpis.fcr == 0.0  # reopened: not a first-contact resolution


def test_a_partial_rating_keeps_the_other_score_on_the_ticket_and_in_the_kpis(
    desk: HelpDesk,
) -> None:
    ann = desk.join_agent("Ann")
    ticket = desk.receive(channel="email", customer_id="c")
    desk.assign(ticket, ann)
    desk.resolve(ticket, ann)
    desk.rate(ticket, csat=2)
    desk.reopen(ticket)
    desk.assign(ticket, ann)
    desk.resolve(ticket, ann)
    desk.rate(ticket, nps=10)
    state = desk.ticket(ticket)
    facts = desk.view().facts.tickets[ticket]
    assert (state.csat, state.nps) == (facts.csat, facts.nps) == (2, 10)


def test_what_was_not_measured_stays_unmeasured_in_tables_frames_and_comparisons(
    sla_desk: HelpDesk,
) -> None:
    pytest.importorskip("pandas")
    from ticketlog.io.console import NOT_MEASURED, figures_table  # noqa: PLC0415 - rich is an extra
    from ticketlog.io.frames import kpi_frame  # noqa: PLC0415 - pandas is an extra
    from ticketlog.simulation.compare import Comparison, RunSummary, figures  # noqa: PLC0415

    agent = sla_desk.join_agent("Ann")
    ticket = receive(sla_desk)
    sla_desk.assign(ticket, agent, at=at(1))
    sla_desk.resolve(ticket, agent, at=at(hours=3))  # no reply recorded
    kpis = sla_desk.view().kpis(now=at(hours=4))

    shown = figures(kpis)
    assert (shown["sla_first_reply"], shown["sla_resolution"]) == (None, 100.0)
    table = figures_table(shown, title="one run")
    assert list(table.columns[1].cells)[list(shown).index("sla_first_reply")] == NOT_MEASURED
    frame = kpi_frame(kpis)
    assert frame["sla_first_reply"].dtype == float
    assert frame["sla_first_reply"].isna().all()
    assert frame.loc["all", "sla_resolution"] == 100.0
    run = RunSummary(
        policy="fifo", seed=0, metrics=shown, wait_quantiles=(), backlog=(), segments={}
    )
    estimate = Comparison.of([run], seed=0).results["fifo"]["sla_first_reply"]
    assert math.isnan(estimate.mean)


@given(st.lists(st.integers(0, 10**12), min_size=1, max_size=50))
def test_a_mean_duration_is_the_exact_total_over_the_count(micros: list[int]) -> None:
    mean = Durations.of_microseconds(np.asarray(micros, dtype=np.int64)).mean
    assert mean == timedelta(microseconds=round(Fraction(sum(micros), len(micros))))


def test_a_mean_of_durations_whose_total_overflows_int64_is_still_exact() -> None:
    huge = [2**62, 2**62 + 2, 2**62 + 4]  # their int64 sum would wrap around
    mean = Durations.of_microseconds(np.asarray(huge, dtype=np.int64)).mean
    assert mean == timedelta(microseconds=2**62 + 2)
