"""Simulated reviews: agents of known quality scored by noisy reviewers, and the sweep of
review shares (its statistical checks are in tests/validation/test_review_sampling.py)."""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticketlog import ConfigurationError, InvalidValue
from ticketlog.domain.quality import Criterion, Scorecard, review_id
from ticketlog.io.frames import sampling_frame
from ticketlog.policies import fifo
from ticketlog.projections.reviews import ReviewRecord
from ticketlog.simulation import (
    AgentGroup,
    AgentQuality,
    Exponential,
    ReviewerGroup,
    Scenario,
    SimulationResult,
    draw_arrivals,
    draw_reviews,
    review_sampling_sweep,
    simulate,
)

CARD = Scorecard(
    name="support",
    criteria=(
        Criterion(name="accuracy", weight=2.0),
        Criterion(name="empathy"),
        Criterion(name="clarity"),
    ),
)


def rated_desk(
    qualities: Sequence[AgentQuality | None],
    reviewers: Sequence[ReviewerGroup] = (ReviewerGroup(count=2),),
    *,
    tickets: int = 600,
) -> Scenario:
    """One agent per quality level (in order), 60 tickets an hour of 5 minutes' work."""
    return Scenario(
        tickets=tickets,
        arrivals_per_hour=60,
        handle_time=Exponential(mean_minutes=5),
        agents=tuple(AgentGroup(count=1, name=f"a{i}", quality=q) for i, q in enumerate(qualities)),
        reviewers=tuple(reviewers),
    )


def served(scenario: Scenario, seed: int = 1) -> SimulationResult:
    """The scenario's tickets served by FIFO."""
    return simulate(scenario, draw_arrivals(scenario, seed=seed), fifo(), fast=True)


FIVE = [AgentQuality(mean=m, sd=0.5) for m in (3.0, 3.5, 4.0, 4.2, 4.5)]
SCENARIO = rated_desk(FIVE)
RESULT = served(SCENARIO)
"""A desk of five agents of distinct quality; the quality levels do not change the run, so
tests vary them over this one result."""


def qa_means(records: Sequence[ReviewRecord]) -> dict[UUID, float]:
    """Each reviewed agent's mean weighted score, straight from the scorecard."""
    by_agent: defaultdict[UUID, list[float]] = defaultdict(list)
    for r in records:
        assert r.agent_id is not None
        by_agent[r.agent_id].append(CARD.weighted(r.scores))
    return {agent: statistics.fmean(scores) for agent, scores in by_agent.items()}


def average_ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties sharing their average rank."""
    order = sorted(values)
    return [order.index(v) + (order.count(v) + 1) / 2 for v in values]


qualities = st.builds(AgentQuality, mean=st.floats(1.0, 5.0), sd=st.floats(0.0, 3.0))
noisy_reviewers = st.builds(
    ReviewerGroup, count=st.integers(1, 3), noise=st.floats(0.0, 50.0), bias=st.floats(-4.0, 4.0)
)


@given(
    scenario=st.builds(
        rated_desk,
        st.lists(st.none() | qualities, min_size=5, max_size=5).filter(any),
        st.lists(noisy_reviewers, min_size=1, max_size=3),
    ),
    share=st.floats(0.01, 1.0),
    seed=st.integers(-(2**31), 2**31),
)
def test_every_review_scores_every_criterion_on_the_scale_and_a_seed_gives_the_same_reviews(
    scenario: Scenario, share: float, seed: int
) -> None:
    reviews = draw_reviews(RESULT, scenario, CARD, share=share, seed=seed)
    assert reviews == draw_reviews(RESULT, scenario, CARD, share=share, seed=seed)
    resolvers = {f.ticket_id: f.resolver_id for f in RESULT.facts if f.is_resolved}
    agents = {spec.agent_id for spec in scenario.agent_specs()}
    assert len({r.reviewer_id for r in reviews}) <= sum(g.count for g in scenario.reviewers)
    assert not {r.reviewer_id for r in reviews} & agents
    for r in reviews:
        assert CARD.check(r.scores) == r.scores  # every criterion, once, on 1-5
        assert r.agent_id == resolvers[r.ticket_id]
        assert r.review_id == review_id(r.ticket_id, 1)
        assert (r.scorecard, r.scorecard_version) == (CARD.name, CARD.version)


def test_other_seeds_give_other_reviews_and_a_larger_share_reviews_more_of_the_same() -> None:
    small = draw_reviews(RESULT, SCENARIO, CARD, share=0.1, seed=3)
    large = draw_reviews(RESULT, SCENARIO, CARD, share=0.4, seed=3)
    assert small != draw_reviews(RESULT, SCENARIO, CARD, share=0.1, seed=4)
    assert len(small) < len(large)
    assert all(r in large for r in small)  # the same tickets, reviewers and scores
    resolved = sum(1 for f in RESULT.facts if f.is_resolved)
    assert resolved == 600
    everything = draw_reviews(RESULT, SCENARIO, CARD, share=1.0, seed=3)
    assert len(everything) == resolved
    assert abs(len(large) - 0.4 * resolved) < 4 * math.sqrt(resolved * 0.4 * 0.6)


def test_reviews_score_an_agent_by_its_true_quality_per_criterion_without_noise() -> None:
    quality = AgentQuality(mean=4.0, by_criterion={"accuracy": 2.0}, sd=0.0)
    scenario = rated_desk([quality, None], [ReviewerGroup(noise=0.0, bias=0.4)])
    reviews = draw_reviews(RESULT, scenario, CARD, share=1.0, seed=0)
    first = scenario.agent_specs()[0].agent_id
    assert {r.agent_id for r in reviews} == {first}  # an agent without a level is not reviewed
    assert len(reviews) == Counter(f.resolver_id for f in RESULT.facts if f.is_resolved)[first]
    assert all(r.scores == {"accuracy": 2, "empathy": 4, "clarity": 4} for r in reviews)


def test_only_tickets_of_the_scorecards_categories_are_reviewed() -> None:
    scenario = SCENARIO.model_copy(update={"categories": {"billing": 1.0, "tech": 1.0}})
    result = served(scenario)
    card = CARD.model_copy(update={"categories": frozenset({"billing"})})
    reviews = draw_reviews(result, scenario, card, share=1.0, seed=0)
    billing = [f for f in result.facts if f.category == "billing" and f.is_resolved]
    assert 0 < len(reviews) == len(billing) < len(result.facts)


def test_the_sweep_ranks_as_the_reviews_drawn_with_the_same_seed_do() -> None:
    shares = (0.02, 0.1, 1.0)
    for seed in range(5):
        sweep = review_sampling_sweep(
            RESULT, SCENARIO, CARD, shares=shares, replications=1, seed=seed
        )
        for share, point in zip(shares, sweep.points, strict=True):
            reviews = draw_reviews(RESULT, SCENARIO, CARD, share=share, seed=seed)
            means = qa_means(reviews)
            lowest = [a for a, m in means.items() if math.isclose(m, min(means.values()))]
            found = 1 / len(lowest) if sweep.worst in lowest else 0.0
            truth = {s.agent_id: s.quality.mean for s in SCENARIO.agent_specs() if s.quality}
            agents = list(means)
            rho = math.nan  # undefined for fewer than two agents or equal QA means
            if len(set(means.values())) > 1:
                rho = statistics.correlation(
                    average_ranks([means[a] for a in agents]),
                    average_ranks([truth[a] for a in agents]),
                )
            assert point.reviews == len(reviews)
            assert point.agents_reviewed == len(means) / 5
            assert point.worst_ranked_lowest.mean == pytest.approx(found)
            assert point.rank_correlation.mean == pytest.approx(rho, nan_ok=True)


def test_the_sweep_names_the_worst_agent_and_gives_a_frame() -> None:
    sweep = review_sampling_sweep(RESULT, SCENARIO, CARD, shares=(0.05, 0.5), replications=20)
    assert sweep.worst == SCENARIO.agent_specs()[0].agent_id
    assert (sweep.agents, sweep.tickets, sweep.replications) == (5, 600, 20)
    frame = sampling_frame(sweep)
    assert list(frame.index) == [0.05, 0.5]
    assert frame["worst_ranked_lowest"].iloc[1] == sweep.points[1].worst_ranked_lowest.mean
    assert frame["rank_correlation_half_width"].iloc[0] > 0


def test_bad_quality_models_and_sweeps_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="no agent of the scenario has a quality level"):
        draw_reviews(RESULT, rated_desk([None] * 5), CARD, share=0.1, seed=0)
    with pytest.raises(ConfigurationError, match="no reviewers"):
        draw_reviews(RESULT, rated_desk(FIVE, []), CARD, share=0.1, seed=0)
    typo = rated_desk([AgentQuality(mean=3.0, by_criterion={"acuracy": 2.0})])
    with pytest.raises(ConfigurationError, match="no criterion acuracy"):
        draw_reviews(RESULT, typo, CARD, share=0.1, seed=0)
    with pytest.raises(InvalidValue, match=r"a review share is in \(0, 1\], not 0"):
        draw_reviews(RESULT, SCENARIO, CARD, share=0, seed=0)
    with pytest.raises(InvalidValue, match="replications must be"):
        review_sampling_sweep(RESULT, SCENARIO, CARD, replications=0)
    tied = rated_desk([AgentQuality(mean=3.0), AgentQuality(mean=3.0), AgentQuality(mean=4.0)])
    with pytest.raises(ConfigurationError, match="one unique lowest"):
        review_sampling_sweep(RESULT, tied, CARD)
    with pytest.raises(ConfigurationError, match="one unique lowest"):
        review_sampling_sweep(RESULT, rated_desk([AgentQuality(mean=3.0)]), CARD)


def test_quality_levels_and_reviewers_are_scenario_fields_that_default_to_none() -> None:
    plain = Scenario.model_validate(
        {
            "tickets": 10,
            "arrivals_per_hour": 6,
            "handle_time": {"kind": "exponential", "mean_minutes": 5},
            "agents": [{"count": 2}],
        }
    )
    assert plain.reviewers == ()
    assert [spec.quality for spec in plain.agent_specs()] == [None, None]
    rated = Scenario.model_validate(
        {
            "tickets": 10,
            "arrivals_per_hour": 6,
            "handle_time": {"kind": "exponential", "mean_minutes": 5},
            "agents": [{"count": 2, "quality": {"mean": 3.5, "by_criterion": {"empathy": 4}}}],
            "reviewers": [{"count": 2, "noise": 0.8, "bias": -0.2}],
        }
    )
    assert rated.agent_specs()[1].quality == AgentQuality(mean=3.5, by_criterion={"empathy": 4.0})
    assert rated.reviewers == (ReviewerGroup(count=2, noise=0.8, bias=-0.2),)
    with pytest.raises(ValueError, match="less than or equal to 5"):
        AgentQuality(mean=5.5)
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        ReviewerGroup(noise=-1.0)
