"""The review-sampling sweep against answers known in closed form.

Each replication gives the worst agent a credit in [0, 1] (1 or 0, or 1/k for a k-way tie
at the lowest QA mean) whose mean is the probability estimated; its variance is at most
p(1 - p), so over R replications the estimate lies within 4·sqrt(p(1 - p)/R) of p but for
a chance of about 6e-5 per figure (the normal approximation of the binomial bound). The
seeds are fixed, never chosen per run.
"""

from __future__ import annotations

import math
from collections import Counter

from tests.unit.test_review_simulation import CARD, rated_desk, served
from ticketlog.simulation import AgentQuality, ReviewerGroup, review_sampling_sweep
from ticketlog.simulation.statistics import t_975

REPLICATIONS = 2_000
SHARES = (0.005, 0.01, 0.02, 0.05, 0.2, 1.0)


def bound(p: float) -> float:
    """Four standard deviations of a mean of REPLICATIONS values in [0, 1] with mean p."""
    return 4 * math.sqrt(p * (1 - p) / REPLICATIONS)


def test_without_noise_the_worst_agent_is_ranked_lowest_exactly_when_it_was_reviewed() -> None:
    # Every score is its criterion's true mean, 2 for the worst agent and 4 for the others,
    # so the worst is ranked lowest if and only if one of its n tickets was sampled.
    exact = [AgentQuality(mean=2.0, sd=0.0)] + [AgentQuality(mean=4.0, sd=0.0)] * 4
    scenario = rated_desk(exact, [ReviewerGroup(count=2, noise=0.0)])
    result = served(scenario)
    worst = scenario.agent_specs()[0].agent_id
    n = Counter(f.resolver_id for f in result.facts if f.is_resolved)[worst]
    assert n > 50  # enough tickets for the small shares to matter
    sweep = review_sampling_sweep(
        result, scenario, CARD, shares=SHARES, replications=REPLICATIONS, seed=11
    )
    for point in sweep.points:
        p = 1 - (1 - point.share) ** n
        assert abs(point.worst_ranked_lowest.mean - p) <= bound(p), point
    assert sweep.points[-1].worst_ranked_lowest.mean == 1.0
    assert sweep.points[-1].rank_correlation.mean == 1.0  # 1 vs 4 tied agents, both ways


def test_with_overwhelming_noise_the_ranking_is_a_lottery() -> None:
    # Scores are 1 or 5 at random whatever the agent, so each of N reviewed agents is ranked
    # lowest with probability 1/N, and QA means are uncorrelated with the truth.
    levels = [AgentQuality(mean=m, sd=0.0) for m in (2.0, 3.0, 3.5, 4.0, 4.5)]
    scenario = rated_desk(levels, [ReviewerGroup(count=2, noise=1e6)])
    sweep = review_sampling_sweep(
        served(scenario), scenario, CARD, shares=(0.2, 1.0), replications=REPLICATIONS, seed=5
    )
    for point in sweep.points:
        assert point.agents_reviewed == 1.0
        assert abs(point.worst_ranked_lowest.mean - 1 / 5) <= bound(1 / 5), point
        assert abs(point.rank_correlation.mean) <= 4 / math.sqrt(REPLICATIONS), point


def test_more_reviews_rank_the_worst_agent_more_reliably() -> None:
    # Five agents a quarter of a point apart, reviewers with noise 0.8: the probability
    # grows with the share. Consecutive estimates may cross only by sampling error: the
    # standard deviation of a difference is at most the sum of the two (whatever their
    # correlation), each recovered from its 95 % half-width.
    levels = [AgentQuality(mean=m, sd=0.6) for m in (3.25, 3.5, 3.75, 4.0, 4.25)]
    scenario = rated_desk(levels, [ReviewerGroup(count=3, noise=0.8)], tickets=2_000)
    sweep = review_sampling_sweep(
        served(scenario), scenario, CARD, shares=SHARES, replications=REPLICATIONS, seed=2
    )
    t = t_975(REPLICATIONS - 1)
    for before, after in zip(sweep.points, sweep.points[1:], strict=False):
        for kpi in ("worst_ranked_lowest", "rank_correlation"):
            low, high = getattr(before, kpi), getattr(after, kpi)
            assert high.mean - low.mean >= -4 * (low.half_width + high.half_width) / t, kpi
    first, last = sweep.points[0], sweep.points[-1]
    assert last.worst_ranked_lowest.mean - first.worst_ranked_lowest.mean > 0.5
    assert last.rank_correlation.mean > 0.95
