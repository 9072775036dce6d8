"""The quality KPIs, each checked against a hand computation of its definition
(:mod:`ticketlog.projections.quality`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.quality_support import SUPPORT, reviewed
from ticketlog import HelpDesk
from ticketlog.domain.errors import InvalidValue
from ticketlog.domain.quality import review_id
from ticketlog.domain.values import Channel, Priority, TicketStatus
from ticketlog.projections.facts import TicketFacts
from ticketlog.projections.kpis import Dimension, compute_kpis, kpis_by
from ticketlog.projections.quality import (
    QaDimension,
    QaSummary,
    ScoredReview,
    calibration,
    correlations,
    quality_by,
    quality_by_tickets,
    score_reviews,
    summarise,
    ticket_scores,
)
from ticketlog.projections.reviews import ReviewRecord

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
"""Tuesday of ISO week 48."""

ANN, BO = UUID(int=1), UUID(int=2)
R1, R2 = UUID(int=11), UUID(int=12)
T1, T2, T3 = UUID(int=21), UUID(int=22), UUID(int=23)


def record(
    ticket: UUID,
    reviewer: UUID,
    agent: UUID | None,
    scores: dict[str, int],
    *,
    at: datetime = START,
    version: int = 1,
    slot: int = 1,
    category: str = "billing",
) -> ReviewRecord:
    return ReviewRecord(
        review_id=review_id(ticket, slot),
        ticket_id=ticket,
        reviewer_id=reviewer,
        agent_id=agent,
        category=category,
        scorecard="support",
        scorecard_version=version,
        scores=scores,
        at=at,
    )


RECORDS = [
    # (2*4 + 3 + 5) / 4 = 4.0: passes.
    record(T1, R1, ANN, {"accuracy": 4, "empathy": 3, "clarity": 5}),
    # (2*2 + 5 + 5) / 4 = 3.5 reaches the mark, but accuracy 2 < 3 fails it.
    record(T1, R2, ANN, {"accuracy": 2, "empathy": 5, "clarity": 5}, slot=2),
    # 3.0 < 3.5: fails. A week later, another category.
    record(
        T2,
        R1,
        BO,
        {"accuracy": 3, "empathy": 3, "clarity": 3},
        at=START + timedelta(days=7),
        category="tech",
    ),
    # Version 2 was never given: equal weights, (5 + 4) / 2 = 4.5 >= 3.0 passes.
    record(T3, R1, BO, {"accuracy": 5, "empathy": 4}, at=START + timedelta(days=1), version=2),
]


@pytest.fixture
def scored() -> list[ScoredReview]:
    return score_reviews(RECORDS, [SUPPORT], teams={ANN: "billing"})


def test_each_review_is_judged_by_its_scorecard_version(scored: list[ScoredReview]) -> None:
    assert [r.score for r in scored] == [4.0, 3.5, 3.0, 4.5]
    assert [r.passed for r in scored] == [True, False, False, True]
    assert [r.known_version for r in scored] == [True, True, True, False]
    assert [r.pass_mark for r in scored] == [3.5, 3.5, 3.5, 3.0]
    assert [r.team for r in scored] == ["billing", "billing", None, None]


def test_a_scorecard_changed_without_a_version_bump_judges_like_an_unknown_version() -> None:
    # Version 1 as given has three criteria; a review on "version 1" with two of them.
    (review,) = score_reviews([record(T1, R1, ANN, {"accuracy": 2, "empathy": 5})], [SUPPORT])
    assert (review.known_version, review.score, review.passed) == (False, 3.5, True)


def test_qa_by_agent(scored: list[ScoredReview]) -> None:
    by_agent = quality_by(scored, QaDimension.AGENT)
    assert list(by_agent) == [ANN, BO]
    assert by_agent[ANN] == QaSummary(
        reviews=2,
        score=3.75,
        score_pct=68.75,  # (3.75 - 1) / 4
        pass_rate=50.0,
        criteria={"accuracy": 3.0, "empathy": 4.0, "clarity": 5.0},
    )
    assert by_agent[BO] == QaSummary(
        reviews=2,
        score=3.75,
        score_pct=68.75,
        pass_rate=50.0,
        criteria={"accuracy": 4.0, "empathy": 3.5, "clarity": 3.0},
        unknown_version=1,
    )


def test_qa_by_team_week_category_reviewer_and_scorecard(scored: list[ScoredReview]) -> None:
    by_team = quality_by(scored, "team")
    assert list(by_team) == ["billing", None]  # Bo's team is not known: last
    assert by_team["billing"].reviews == 2
    by_week = quality_by(scored, "week")
    assert {week: s.reviews for week, s in by_week.items()} == {"2026-W48": 3, "2026-W49": 1}
    assert by_week["2026-W48"].score == pytest.approx((4.0 + 3.5 + 4.5) / 3)
    assert {c: s.reviews for c, s in quality_by(scored, "category").items()} == {
        "billing": 3,
        "tech": 1,
    }
    by_reviewer = quality_by(scored, "reviewer")
    assert by_reviewer[R2].score == 3.5
    assert by_reviewer[R1].pass_rate == pytest.approx(200 / 3)
    assert quality_by(scored, "scorecard")["support"].reviews == 4


def test_qa_by_criterion_judges_each_score_by_its_pass_mark(scored: list[ScoredReview]) -> None:
    by_criterion = quality_by(scored, QaDimension.CRITERION)
    assert list(by_criterion) == ["accuracy", "clarity", "empathy"]
    # accuracy 4, 2, 3, 5: mean 3.5; 4 >= 3.5 and 5 >= 3.0 (the fallback's mark) reach it.
    assert by_criterion["accuracy"] == QaSummary(
        reviews=4,
        score=3.5,
        score_pct=62.5,
        pass_rate=50.0,
        criteria={"accuracy": 3.5},
        unknown_version=1,
    )
    # clarity 5, 5, 3 (the version-2 review has none): two of three reach 3.5.
    assert by_criterion["clarity"].reviews == 3
    assert by_criterion["clarity"].score == pytest.approx(13 / 3)
    assert by_criterion["clarity"].pass_rate == pytest.approx(200 / 3)


def test_qa_of_no_reviews_is_not_measured() -> None:
    assert summarise([]) == QaSummary(
        reviews=0, score=None, score_pct=None, pass_rate=None, criteria={}
    )


def test_qa_refuses_an_unknown_dimension(scored: list[ScoredReview]) -> None:
    with pytest.raises(InvalidValue, match="by one of agent, team"):
        quality_by(scored, "channel")


def facts(ticket: UUID, resolver: UUID | None, **fields: object) -> TicketFacts:
    """A ticket's facts, resolved by ``resolver`` unless it is ``None``."""
    made = TicketFacts(
        ticket_id=ticket,
        channel=Channel.EMAIL,
        category="billing",
        priority=Priority.NORMAL,
        language="en",
        plan=None,
        customer_value=0.0,
        first_time=False,
        queue="general",
        tier=1,
        received_at=START - timedelta(hours=2),
        resolver_id=resolver,
        resolutions=0 if resolver is None else 1,
        status=TicketStatus.WAITING if resolver is None else TicketStatus.RESOLVED,
    )
    for name, value in fields.items():
        setattr(made, name, value)
    return made


def test_qa_sits_beside_the_kpis_of_the_same_tickets(scored: list[ScoredReview]) -> None:
    # T1 and T3 were resolved by Bo, T2 by Ann: the KPI grouping (resolver) is the ticket's.
    tickets = [facts(T1, BO), facts(T2, ANN), facts(T3, BO)]
    by_resolver = quality_by_tickets(scored, tickets, Dimension.AGENT)
    assert list(by_resolver) == [ANN, BO]
    assert by_resolver[ANN].reviews == 1
    assert by_resolver[BO].score == pytest.approx((4.0 + 3.5 + 4.5) / 3)
    # Without a dimension, one group; reviews of tickets not given are left out.
    assert quality_by_tickets(scored, tickets[:1], None) == {None: summarise(scored[:2])}


def test_a_tickets_qa_is_the_mean_of_its_reviews(scored: list[ScoredReview]) -> None:
    assert ticket_scores(scored) == {T1: 3.75, T2: 3.0, T3: 4.5}


def test_qa_correlates_with_csat_frt_and_handle_time(scored: list[ScoredReview]) -> None:
    tickets = [
        facts(T1, ANN, csat=4, first_response_at=START, handle_time=timedelta(minutes=30)),
        facts(T2, BO, csat=2, first_response_at=START, handle_time=timedelta(minutes=10)),
        facts(T3, None, csat=5, handle_time=timedelta(minutes=50)),  # open: no handle time
    ]
    found = correlations(scored, tickets)
    # QA (3.75, 3.0, 4.5) against CSAT (4, 2, 5): dx = (0, -.75, .75), dy = (1/3, -5/3, 4/3);
    # r = 2.25 / sqrt(1.125 * 42/9); the ranks agree, so rho = 1.
    assert found["csat"].n == 3
    assert found["csat"].pearson == pytest.approx(2.25 / (1.125 * 42 / 9) ** 0.5)
    assert found["csat"].spearman == pytest.approx(1.0)
    # Two tickets replied to and two resolved: too few for a correlation.
    assert found["first_reply_minutes"].n == 2
    assert found["first_reply_minutes"].pearson is None
    assert found["handle_minutes"].n == 2
    assert found["handle_minutes"].spearman is None


def test_calibration_compares_the_reviews_of_a_ticket_reviewed_twice() -> None:
    found = calibration(RECORDS)
    # T1: accuracy (4, 2), empathy (3, 5), clarity (5, 5): one pair of three identical.
    assert (found.overall.units, found.overall.pairs) == (3, 3)
    assert found.overall.identical == pytest.approx(100 / 3)
    # Values 2, 3, 4, 5, 5, 5 (n = 6): observed sum o*d^2 = 2*4 + 2*4 = 16, expected
    # sum n_c n_k d^2 = 2 * (1 + 4 + 27 + 1 + 12 + 3) = 96: 1 - 5 * 16 / 96 = 1/6.
    assert found.overall.alpha_interval == pytest.approx(1 / 6)
    assert found.criteria["clarity"].identical == 100.0
    assert found.criteria["clarity"].alpha_interval is None  # one value throughout
    assert found.criteria["accuracy"].identical == 0.0
    (pair,) = found.pairs
    assert pair.reviewers == (R1, R2)
    assert (pair.tickets, pair.scores) == (1, 3)
    # p_o = 1/3 (5, 5); p_e = P1(5) P2(5) = 1/3 * 2/3: kappa = (1/3 - 2/9) / (7/9) = 1/7.
    assert pair.kappa == pytest.approx(1 / 7)


@given(st.permutations(RECORDS))
def test_calibration_does_not_depend_on_the_order_of_the_reviews(
    records: list[ReviewRecord],
) -> None:
    found, expected = calibration(records), calibration(RECORDS)
    assert found.overall.units == expected.overall.units
    assert found.overall.identical == pytest.approx(expected.overall.identical)
    assert found.overall.alpha_ordinal == pytest.approx(expected.overall.alpha_ordinal)
    assert found.overall.alpha_interval == pytest.approx(expected.overall.alpha_interval)
    assert found.pairs == expected.pairs


def test_calibration_without_second_opinions_measures_nothing() -> None:
    found = calibration(RECORDS[2:])
    assert found.overall.units == 0
    assert found.overall.identical is None
    assert found.overall.alpha_ordinal is None
    assert found.criteria == {}
    assert found.pairs == []


scores = st.fixed_dictionaries(
    {name: st.integers(1, 5) for name in ("accuracy", "empathy", "clarity")}
)


@given(
    st.lists(st.tuples(st.sampled_from([ANN, BO, None]), scores, st.integers(0, 20)), max_size=25)
)
def test_qa_is_on_the_scale_and_every_review_is_in_one_agent_group(
    reviews: list[tuple[UUID | None, dict[str, int], int]],
) -> None:
    records = [
        record(UUID(int=100 + i), R1, agent, s, at=START + timedelta(days=days))
        for i, (agent, s, days) in enumerate(reviews)
    ]
    scored = score_reviews(records, [SUPPORT])
    groups = quality_by(scored, "agent")
    assert sum(g.reviews for g in groups.values()) == len(records)
    for summary in [*groups.values(), *quality_by(scored, "criterion").values()]:
        assert summary.score is not None
        assert 1 <= summary.score <= 5
        assert summary.score_pct is not None
        assert 0 <= summary.score_pct <= 100
        assert summary.pass_rate is not None
        assert 0 <= summary.pass_rate <= 100
        assert all(1 <= mean <= 5 for mean in summary.criteria.values())


def test_a_desk_view_scores_its_reviews_with_the_agents_teams(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", team="billing")
    reviewer = desk.join_agent("Rita", team="qa")
    ticket = desk.receive(channel="email", customer_id="c-1")
    desk.assign(ticket, ann)
    desk.resolve(ticket, ann)
    scores = {"accuracy": 5, "empathy": 4, "clarity": 4}
    desk.record_new(reviewed(ticket, reviewer, scores, at=START, agent_id=ann))
    (review,) = desk.view().scored_reviews([SUPPORT])
    assert review.team == "billing"
    assert review.score == 4.5
    assert review.record.reviewer_id == reviewer


def test_the_quality_dataframes(scored: list[ScoredReview]) -> None:
    pytest.importorskip("pandas")
    from ticketlog.io.frames import (  # noqa: PLC0415 - pandas is an extra
        calibration_frame,
        kpi_frame,
        quality_frame,
        reviews_frame,
    )

    reviews = reviews_frame(scored)
    assert len(reviews) == 4
    assert list(reviews["score"]) == [4.0, 3.5, 3.0, 4.5]
    assert list(reviews["week"]) == ["2026-W48", "2026-W48", "2026-W49", "2026-W48"]
    assert reviews["score_clarity"].isna().tolist() == [False, False, False, True]
    by_agent = quality_frame(quality_by(scored, "agent"), index="agent")
    assert by_agent["score_pct"].to_dict()[ANN] == 68.75
    assert by_agent["empathy_mean"].to_dict()[BO] == 3.5
    assert by_agent["unknown_version"].to_dict()[BO] == 1
    agreement = calibration_frame(calibration(RECORDS))
    assert list(agreement.index) == ["(all)", "accuracy", "clarity", "empathy"]
    assert agreement.loc["(all)", "alpha_interval"] == pytest.approx(1 / 6)
    assert agreement["alpha_interval"].isna().tolist() == [False, False, True, False]
    # QA beside the KPIs of the same tickets: one join on the group.
    tickets = [facts(T1, BO), facts(T2, ANN), facts(T3, BO)]
    kpis = kpi_frame(kpis_by(tickets, "agent", now=START))
    joined = kpis.join(quality_frame(quality_by_tickets(scored, tickets, "agent")))
    assert joined["reviews"].to_dict()[BO] == 3
    assert joined["tickets"].to_dict()[BO] == 2
    # Without reviews, the frames still have their columns.
    assert list(reviews_frame([]).columns)[:3] == ["review_id", "ticket_id", "reviewer_id"]
    assert list(quality_frame({}).columns) == [
        "reviews",
        "score",
        "score_pct",
        "pass_rate",
        "unknown_version",
    ]


def test_the_kpi_table_shows_qa_after_csat_and_nps_and_dashes_without_reviews(
    scored: list[ScoredReview],
) -> None:
    from rich.console import Console  # noqa: PLC0415 - only this test prints

    from ticketlog.io.console import kpis_table  # noqa: PLC0415

    tickets = [facts(T1, BO), facts(T2, ANN)]
    kpis = {"Bo": compute_kpis(tickets[:1], now=START), "Ann": compute_kpis(tickets[1:], now=START)}
    quality = {"Bo": summarise(scored[:2])}
    console = Console(width=120, record=True)
    console.print(kpis_table(kpis, title="KPIs", quality=quality))
    lines = console.export_text().splitlines()
    labels = [line.split("│")[1].strip() for line in lines if line.startswith("│")]
    nps = labels.index("NPS (-100 to 100)")
    assert labels[nps + 1 : nps + 4] == ["reviews", "QA score", "QA pass"]
    qa = next(line for line in lines if line.startswith("│ QA score"))
    assert [cell.strip() for cell in qa.split("│")[2:4]] == ["3.75 / 5", "—"]
