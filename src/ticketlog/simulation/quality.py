"""Simulated quality reviews, and how much review sampling it takes to rank agents.

A scenario's agent groups may carry an
:class:`~ticketlog.simulation.scenario.AgentQuality` (the score an error-free reviewer
would give) and its reviewers a noise level and bias
(:class:`~ticketlog.simulation.scenario.ReviewerGroup`). Every resolved ticket of an agent
with a quality level, of a category the scorecard applies to, can be reviewed; for a seed,
each such ticket draws a uniform number (it is sampled when the number is below the
share), a reviewer (uniformly among the scenario's reviewers), and one score per criterion:

    score = clip(rint(mean[agent, criterion] + sd[agent] * z + bias[reviewer]
                      + noise[reviewer] * e), 1, 5)

with ``z`` one standard normal per ticket and ``e`` one per ticket and criterion. The
draws are made for every ticket whatever the share, so a larger share reviews a superset of
a smaller one's tickets with the same scores (common random numbers), and replication ``r``
of :func:`review_sampling_sweep` is :func:`draw_reviews` with ``seed + r``.

An agent's QA mean is the mean over its reviews of the scorecard's weighted mean; agents
without a review are not ranked. The agent of lowest true quality (the weighted mean of its
criteria's means) is *ranked lowest* when it was reviewed and its QA mean is the lowest; a
tie at the lowest among ``k`` agents counts ``1/k`` (what a random tie-break gives on
average). Only numpy runs here: no desk, no events.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import attrs
import numpy as np
import numpy.typing as npt

from ticketlog.domain.errors import ConfigurationError, InvalidValue
from ticketlog.domain.quality import Scorecard, review_id
from ticketlog.projections.facts import TicketFacts
from ticketlog.projections.reviews import ReviewRecord
from ticketlog.simulation.engine import SimulationResult
from ticketlog.simulation.scenario import Scenario
from ticketlog.simulation.statistics import Estimate

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

REVIEWER_IDS = 1 << 65
"""Simulated reviewers' ids start here (after the agents', see ``AGENT_IDS``)."""

DEFAULT_SHARES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
"""The review shares a sweep tries unless told otherwise."""

_BLOCK_CELLS = 1 << 21
"""A sweep evaluates as many replications at once as keep its arrays about this big."""

_DECIMALS = 9
"""QA means are rounded to this many decimals, so means equal but for float rounding tie."""


@attrs.frozen
class _Draw:
    """One seed's draws for every reviewable ticket."""

    sampled_at: Floats
    """A ticket is reviewed at a share above its number."""
    reviewer: Ints
    """Index of its reviewer."""
    scores: Ints
    """Its scores, one column per criterion of the scorecard."""


@attrs.frozen
class _Population:
    """The reviewable tickets of a run, and the model that scores them."""

    scorecard: Scorecard
    tickets: tuple[TicketFacts, ...]
    agent_ids: tuple[UUID, ...]
    """The agents with a quality level, in the scenario's order."""
    agent_of: Ints
    """Each ticket's resolver, as an index of ``agent_ids``."""
    means: Floats
    """Each agent's mean true score per criterion (agents x criteria)."""
    spread: Floats
    reviewer_ids: tuple[UUID, ...]
    noise: Floats
    bias: Floats

    @classmethod
    def of(cls, result: SimulationResult, scenario: Scenario, scorecard: Scorecard) -> _Population:
        """The population of ``result``'s resolved tickets (``scenario`` the run's)."""
        qualities = {s.agent_id: s.quality for s in scenario.agent_specs() if s.quality is not None}
        if not qualities:
            msg = "no agent of the scenario has a quality level"
            raise ConfigurationError(msg)
        reviewers = [group for group in scenario.reviewers for _ in range(group.count)]
        if not reviewers:
            msg = "the scenario has no reviewers"
            raise ConfigurationError(msg)
        names = scorecard.criterion_names
        unknown = sorted({c for q in qualities.values() for c in q.by_criterion} - set(names))
        if unknown:
            msg = f"scorecard {scorecard.name!r} has no criterion {', '.join(unknown)}"
            raise ConfigurationError(msg)
        index = {agent_id: i for i, agent_id in enumerate(qualities)}
        tickets: list[TicketFacts] = []
        agent_of: list[int] = []
        for f in result.facts:
            resolver = f.resolver_id
            if f.is_resolved and resolver in index and scorecard.applies_to(f.category):
                tickets.append(f)
                agent_of.append(index[resolver])
        return cls(
            scorecard=scorecard,
            tickets=tuple(tickets),
            agent_ids=tuple(qualities),
            agent_of=np.asarray(agent_of, dtype=np.int64),
            means=np.asarray(
                [[q.by_criterion.get(c, q.mean) for c in names] for q in qualities.values()]
            ),
            spread=np.asarray([q.sd for q in qualities.values()]),
            reviewer_ids=tuple(UUID(int=REVIEWER_IDS + n) for n in range(len(reviewers))),
            noise=np.asarray([group.noise for group in reviewers]),
            bias=np.asarray([group.bias for group in reviewers]),
        )

    @property
    def weights(self) -> Floats:
        """The scorecard's criterion weights, normalised to sum to 1."""
        weights = np.asarray([c.weight for c in self.scorecard.criteria])
        normalised: Floats = weights / weights.sum()
        return normalised

    def draw(self, seed: int) -> _Draw:
        """Every ticket's draws for ``seed`` (the same for the same seed, always)."""
        rng = np.random.default_rng([seed < 0, abs(seed)])
        n, criteria = len(self.tickets), len(self.scorecard.criteria)
        sampled_at = rng.random(n)
        reviewer = rng.integers(len(self.reviewer_ids), size=n)
        ticket = self.spread[self.agent_of] * rng.standard_normal(n)
        error = self.noise[reviewer, None] * rng.standard_normal((n, criteria))
        true = self.means[self.agent_of] + ticket[:, None]
        scores = np.clip(np.rint(true + self.bias[reviewer, None] + error), 1, 5)
        return _Draw(sampled_at, reviewer, scores.astype(np.int64))


def draw_reviews(
    result: SimulationResult,
    scenario: Scenario,
    scorecard: Scorecard,
    *,
    share: float,
    seed: int,
) -> list[ReviewRecord]:
    """Reviews of a ``share`` of ``result``'s reviewable tickets (see the module docstring),
    one per ticket (slot 1), dated at the ticket's resolution; the same for the same seed."""
    population = _Population.of(result, scenario, scorecard)
    draw = population.draw(seed)
    names = scorecard.criterion_names
    records = []
    for i in np.flatnonzero(draw.sampled_at < _checked_share(share)):
        facts = population.tickets[i]
        assert facts.resolved_at is not None  # noqa: S101 - reviewable tickets are resolved
        records.append(
            ReviewRecord(
                review_id=review_id(facts.ticket_id, 1),
                ticket_id=facts.ticket_id,
                reviewer_id=population.reviewer_ids[draw.reviewer[i]],
                agent_id=population.agent_ids[population.agent_of[i]],
                category=facts.category,
                scorecard=scorecard.name,
                scorecard_version=scorecard.version,
                scores=dict(zip(names, draw.scores[i].tolist(), strict=True)),
                at=facts.resolved_at,
            )
        )
    return records


@attrs.frozen
class SamplingPoint:
    """What reviewing one share of tickets tells, over a sweep's replications."""

    share: float
    reviews: float
    """Mean number of reviews per replication."""
    agents_reviewed: float
    """Mean share of the agents with at least one review."""
    worst_ranked_lowest: Estimate
    """Probability that the agent of lowest true quality has the lowest QA mean."""
    rank_correlation: Estimate
    """Spearman correlation of the reviewed agents' QA means with their true quality (over
    the replications where it is defined: two reviewed agents, not all tied)."""


@attrs.frozen
class SamplingSweep:
    """How reliably reviews of each share of tickets rank the agents."""

    worst: UUID
    """The agent of lowest true quality."""
    agents: int
    """Agents with a quality level."""
    tickets: int
    """Reviewable tickets."""
    replications: int
    seed: int
    points: tuple[SamplingPoint, ...]


def review_sampling_sweep(
    result: SimulationResult,
    scenario: Scenario,
    scorecard: Scorecard,
    *,
    shares: Sequence[float] = DEFAULT_SHARES,
    replications: int = 200,
    seed: int = 0,
) -> SamplingSweep:
    """For each review share, over ``replications`` draws of the reviews of ``result``'s
    tickets (seeds ``seed``, ``seed + 1``, …), how often the agent of lowest true quality
    is ranked lowest, and how well the QA means rank all agents (module docstring).

    :class:`ConfigurationError` when fewer than two agents have a quality level or the
    lowest true quality is shared; :class:`InvalidValue` for a share outside (0, 1] or
    fewer than one replication."""
    thresholds = [_checked_share(s) for s in shares]
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        msg = f"replications must be a whole number of at least 1, not {replications!r}"
        raise InvalidValue(msg)
    population = _Population.of(result, scenario, scorecard)
    weights = population.weights
    truth = population.means @ weights
    worst = int(np.argmin(truth))
    if len(truth) < 2 or np.count_nonzero(truth == truth[worst]) > 1:
        msg = "ranking agents needs two or more with a quality level and one unique lowest"
        raise ConfigurationError(msg)
    agents = len(truth)
    # (reviews, agents reviewed, worst ranked lowest, rank correlation) per share and replication
    outcomes = np.empty((4, len(thresholds), replications))
    block = max(1, _BLOCK_CELLS // max(len(population.tickets), agents * agents))
    for first in range(0, replications, block):
        draws = [population.draw(seed + r) for r in range(first, min(first + block, replications))]
        sampled_at = np.stack([d.sampled_at for d in draws])
        qa = np.stack([d.scores for d in draws]) @ weights
        key = np.arange(len(draws))[:, None] * agents + population.agent_of
        for i, share in enumerate(thresholds):
            sampled = sampled_at < share
            counts = np.bincount(key[sampled], minlength=len(draws) * agents)
            sums = np.bincount(key[sampled], qa[sampled], len(draws) * agents).astype(np.float64)
            outcomes[:, i, first : first + len(draws)] = _rankings(
                counts.reshape(len(draws), agents), sums.reshape(len(draws), agents), truth, worst
            )
    reviews, reviewed, found, rho = outcomes
    points = tuple(
        SamplingPoint(
            share=share,
            reviews=float(reviews[i].mean()),
            agents_reviewed=float(reviewed[i].mean()),
            worst_ranked_lowest=Estimate.of(found[i].tolist()),
            rank_correlation=Estimate.of(rho[i][~np.isnan(rho[i])].tolist()),
        )
        for i, share in enumerate(thresholds)
    )
    return SamplingSweep(
        worst=population.agent_ids[worst],
        agents=len(truth),
        tickets=len(population.tickets),
        replications=replications,
        seed=seed,
        points=points,
    )


def _checked_share(share: float) -> float:
    if not 0 < share <= 1:
        msg = f"a review share is in (0, 1], not {share!r}"
        raise InvalidValue(msg)
    return float(share)


def _rankings(counts: Ints, sums: Floats, truth: Floats, worst: int) -> Floats:
    """Per replication (rows of ``counts`` and ``sums``, reviews and summed QA scores per
    agent): the reviews, the share of agents reviewed, the credit of agent ``worst`` for
    being ranked lowest, and Spearman's correlation of QA means with ``truth`` over the
    reviewed agents (``NaN`` with fewer than two or a constant side)."""
    ranked = counts > 0
    with np.errstate(invalid="ignore"):
        means = np.where(ranked, np.round(sums / counts, _DECIMALS), np.inf)
    lowest = ranked & (means == means.min(axis=1, keepdims=True))
    found = lowest[:, worst] / np.maximum(lowest.sum(axis=1), 1)
    qa_ranks, true_ranks = _ranks(means, ranked), _ranks(np.where(ranked, truth, np.inf), ranked)
    n = ranked.sum(axis=1, keepdims=True)
    x = np.where(ranked, qa_ranks - (n + 1) / 2, 0.0)  # average ranks of n values sum to
    y = np.where(ranked, true_ranks - (n + 1) / 2, 0.0)  # n(n+1)/2 whatever the ties
    with np.errstate(invalid="ignore"):  # 0/0 where a side is constant
        rho = (x * y).sum(axis=1) / np.sqrt((x * x).sum(axis=1) * (y * y).sum(axis=1))
    return np.stack([counts.sum(axis=1), ranked.mean(axis=1), found, rho])


def _ranks(values: Floats, ranked: npt.NDArray[np.bool_]) -> Floats:
    """Each row's 1-based ranks among its ``ranked`` entries, ties given their average rank."""
    mine, theirs = values[:, :, None], values[:, None, :]
    below = ((theirs < mine) & ranked[:, None, :]).sum(axis=2)
    tied = ((theirs == mine) & ranked[:, None, :]).sum(axis=2)
    ranks: Floats = below + (tied + 1) / 2
    return ranks
