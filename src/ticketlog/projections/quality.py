"""Quality KPIs: QA scores of reviewed tickets, reviewer calibration, and QA against CSAT,
first reply time and handle time.

Pure functions of the review ledger's records
(:class:`~ticketlog.projections.reviews.ReviewRecord`), the scorecards and the ticket facts.
First :func:`score_reviews` judges every review by its scorecard; the KPIs are computed
from these :class:`ScoredReview` rows.

Definitions:

- A review's **QA score** is the weighted mean of its criterion scores on the 1-5 scale
  (:meth:`Scorecard.weighted`), its **percentage** ``(score - 1) / 4 · 100`` (1 is 0 %,
  5 is 100 %); it **passes** by :meth:`Scorecard.passes` (the weighted mean reaches the
  pass mark and no critical criterion is below ``critical_min``).
- A review is judged by the scorecard of its own name *and version*. One scored on a
  version that was not given (an older version no longer configured, or a scorecard since
  removed) still counts with its own scores: its criteria weigh equally, it has no critical
  criterion, and it passes at the default pass mark (3.0). So does a review whose criteria
  are not those of the version given (a scorecard changed without a version bump). Each
  summary counts such reviews (``unknown_version``); give the old versions too to judge
  them by their own rules.
- Per group (:class:`QaDimension`): ``reviews``, the mean QA ``score`` (and ``score_pct``),
  ``pass_rate`` (% of reviews passing) and the mean score of each ``criteria``. By
  **criterion**, a group is one criterion's scores (merged across scorecards naming it
  alike): ``score`` is their mean and ``pass_rate`` the share reaching the pass mark of
  their scorecard.
- **Agent** is the reviewed agent (the ticket's resolver, else its latest holder, when it
  was reviewed), **team** that agent's current team, **category** the ticket's category when
  it was reviewed, **week** the ISO week of the review (``YYYY-Www`` of its ``at``: when the
  work was judged, which does not move when a ticket is reopened and resolved again).
- A **ticket's QA** is the mean QA score of its reviews. :func:`quality_by_tickets` groups
  reviews by their ticket's KPI dimension (:class:`~ticketlog.projections.kpis.Dimension`),
  so QA sits beside the service KPIs of the same tickets; :func:`correlations` sets a
  ticket's QA against its CSAT, first reply time and handle time (resolved tickets).
- **Calibration** (:func:`calibration`) compares reviews of tickets reviewed more than once.
  Per criterion, the units are those tickets; overall, every (ticket, criterion). It gives
  the share of identical scores over all pairs of reviews of a unit, and Krippendorff's
  alpha (ordinal and interval; any number of reviewers, missing reviews allowed); per pair of
  reviewers, over the criteria both scored on the tickets both reviewed, the share of
  identical scores and Cohen's kappa (unweighted and quadratic-weighted). Formulas:
  :mod:`ticketlog.projections.agreement`.

Shares are percentages; a figure with nothing to measure is ``None``.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from datetime import timedelta
from enum import StrEnum
from uuid import UUID

import attrs

from ticketlog.domain.errors import InvalidValue
from ticketlog.domain.quality import Criterion, Scorecard
from ticketlog.projections.agreement import (
    Level,
    Weights,
    cohen_kappa,
    krippendorff_alpha,
    pearson,
    spearman,
)
from ticketlog.projections.facts import TicketFacts
from ticketlog.projections.kpis import GROUP_KEYS, Dimension, group_order, iso_week, share
from ticketlog.projections.reviews import ReviewRecord


@attrs.frozen
class ScoredReview:
    """One review judged by its scorecard."""

    record: ReviewRecord
    team: str | None
    """The reviewed agent's team (``None``: no agent, or one without a known team)."""
    score: float
    """The weighted mean of the scores, 1-5."""
    passed: bool
    pass_mark: float
    """The pass mark the review and its criteria were judged by."""
    known_version: bool
    """Whether the review's scorecard version was given, with the criteria it scored (else:
    equal weights)."""


def _fallback(record: ReviewRecord) -> Scorecard:
    """A stand-in for a scorecard version not given: the review's criteria, equal weights,
    none critical, the default pass mark (3.0)."""
    return Scorecard(
        name=record.scorecard,
        version=record.scorecard_version,
        criteria=tuple(Criterion(name=name) for name in record.scores),
    )


def score_reviews(
    records: Iterable[ReviewRecord],
    scorecards: Iterable[Scorecard],
    *,
    teams: Mapping[UUID, str] | None = None,
) -> list[ScoredReview]:
    """Every review judged by its scorecard (by name and version, among ``scorecards``),
    with the reviewed agent's team from ``teams`` (agent id to team)."""
    cards = {(card.name, card.version): card for card in scorecards}
    teams = {} if teams is None else teams
    scored = []
    for record in records:
        card = cards.get((record.scorecard, record.scorecard_version))
        if card is not None and set(card.criterion_names) != set(record.scores):
            card = None
        judge = _fallback(record) if card is None else card
        scored.append(
            ScoredReview(
                record=record,
                team=None if record.agent_id is None else teams.get(record.agent_id),
                score=judge.weighted(record.scores),
                passed=judge.passes(record.scores),
                pass_mark=judge.pass_mark,
                known_version=card is not None,
            )
        )
    return scored


@attrs.frozen
class QaSummary:
    """The QA KPIs of a set of reviews (see the module docstring)."""

    reviews: int
    score: float | None
    """Mean QA score, 1-5."""
    score_pct: float | None
    """The mean QA score as a percentage of the scale (1: 0 %, 5: 100 %)."""
    pass_rate: float | None
    criteria: dict[str, float]
    """Mean score of each criterion scored, in order of first appearance."""
    unknown_version: int = 0
    """Reviews on a scorecard version not given (judged with equal weights)."""


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _percent_of_scale(score: float | None) -> float | None:
    return None if score is None else (score - 1) / 4 * 100


def _criterion_means(scored: Sequence[ScoredReview]) -> dict[str, float]:
    scores: defaultdict[str, list[float]] = defaultdict(list)
    for review in scored:
        for name, value in review.record.scores.items():
            scores[name].append(value)
    return {name: math.fsum(values) / len(values) for name, values in scores.items()}


def summarise(scored: Sequence[ScoredReview]) -> QaSummary:
    """The QA KPIs of ``scored``."""
    score = _mean([r.score for r in scored])
    return QaSummary(
        reviews=len(scored),
        score=score,
        score_pct=_percent_of_scale(score),
        pass_rate=share(sum(r.passed for r in scored), len(scored)),
        criteria=_criterion_means(scored),
        unknown_version=sum(not r.known_version for r in scored),
    )


def _criterion_summary(name: str, scored: Sequence[ScoredReview]) -> QaSummary:
    values = [(r.record.scores[name], r.pass_mark) for r in scored]
    score = _mean([value for value, _ in values])
    return QaSummary(
        reviews=len(values),
        score=score,
        score_pct=_percent_of_scale(score),
        pass_rate=share(sum(value >= mark for value, mark in values), len(values)),
        criteria={} if score is None else {name: score},
        unknown_version=sum(not r.known_version for r in scored),
    )


class QaDimension(StrEnum):
    """What QA KPIs can be grouped by."""

    AGENT = "agent"
    """The reviewed agent."""
    TEAM = "team"
    """The reviewed agent's current team."""
    CRITERION = "criterion"
    """One criterion's scores (a review counts in every criterion it scores)."""
    CATEGORY = "category"
    """The ticket's category when it was reviewed."""
    WEEK = "week"
    """The ISO week of the review (``YYYY-Www``)."""
    REVIEWER = "reviewer"
    """Who reviewed (a lenient or strict reviewer shows here)."""
    SCORECARD = "scorecard"
    """The scorecard's name."""


QA_GROUP_KEYS: Mapping[QaDimension, Callable[[ScoredReview], Hashable]] = {
    QaDimension.AGENT: lambda r: r.record.agent_id,
    QaDimension.TEAM: lambda r: r.team,
    QaDimension.CATEGORY: lambda r: r.record.category,
    QaDimension.WEEK: lambda r: iso_week(r.record.at),
    QaDimension.REVIEWER: lambda r: r.record.reviewer_id,
    QaDimension.SCORECARD: lambda r: r.record.scorecard,
}
"""How each dimension but ``criterion`` reads a review's group."""


def _ordered(groups: Mapping[Hashable, list[ScoredReview]]) -> dict[Hashable, QaSummary]:
    return {group: summarise(groups[group]) for group in sorted(groups, key=group_order)}


def quality_by(scored: Iterable[ScoredReview], by: QaDimension | str) -> dict[Hashable, QaSummary]:
    """QA KPIs per group of ``by``, groups in ascending order (``None`` last).

    Raises :class:`~ticketlog.domain.errors.InvalidValue` for a ``by`` that is no dimension.
    """
    try:
        dimension = QaDimension(by)
    except ValueError:
        msg = f"QA cannot be grouped by {by!r}; by one of {', '.join(QaDimension)}"
        raise InvalidValue(msg) from None
    groups: defaultdict[Hashable, list[ScoredReview]] = defaultdict(list)
    if dimension is QaDimension.CRITERION:
        for review in scored:
            for name in review.record.scores:
                groups[name].append(review)
        names = sorted(groups, key=str)
        return {name: _criterion_summary(str(name), groups[name]) for name in names}
    key = QA_GROUP_KEYS[dimension]
    for review in scored:
        groups[key(review)].append(review)
    return _ordered(groups)


def quality_by_tickets(
    scored: Iterable[ScoredReview], facts: Iterable[TicketFacts], by: Dimension | str | None
) -> dict[Hashable, QaSummary]:
    """QA KPIs of the reviews of ``facts``' tickets, per group of the KPI dimension ``by``
    (the groups :func:`~ticketlog.projections.kpis.kpis_by` puts the tickets in; ``None``:
    one group, ``None``). Reviews of other tickets are left out."""
    key = None if by is None else GROUP_KEYS[Dimension(by)]
    group_of = {f.ticket_id: None if key is None else key(f) for f in facts}
    groups: defaultdict[Hashable, list[ScoredReview]] = defaultdict(list)
    for review in scored:
        ticket = review.record.ticket_id
        if ticket in group_of:
            groups[group_of[ticket]].append(review)
    return _ordered(groups)


def ticket_scores(scored: Iterable[ScoredReview]) -> dict[UUID, float]:
    """Each reviewed ticket's QA: the mean score of its reviews."""
    scores: defaultdict[UUID, list[float]] = defaultdict(list)
    for review in scored:
        scores[review.record.ticket_id].append(review.score)
    return {ticket: math.fsum(values) / len(values) for ticket, values in scores.items()}


@attrs.frozen
class Correlation:
    """How a ticket's QA goes with one of its measures, over the tickets that have both."""

    n: int
    pearson: float | None
    spearman: float | None
    """Spearman's rank correlation: monotone, insensitive to outliers and units."""


def _minutes(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds() / 60


MEASURES: Mapping[str, Callable[[TicketFacts], float | None]] = {
    "csat": lambda f: f.csat,
    "first_reply_minutes": lambda f: _minutes(f.first_reply_time),
    "handle_minutes": lambda f: _minutes(f.handle_time) if f.is_resolved else None,
}
"""The ticket measures QA is correlated with: CSAT (1-5), first reply time and handle
time (resolved tickets) in minutes."""


def correlations(
    scored: Iterable[ScoredReview], facts: Iterable[TicketFacts]
) -> dict[str, Correlation]:
    """Pearson's and Spearman's correlation of tickets' QA with each of :data:`MEASURES`
    (``None`` for fewer than three tickets or a constant side)."""
    qa = ticket_scores(scored)
    reviewed = [f for f in facts if f.ticket_id in qa]
    result = {}
    for name, measure in MEASURES.items():
        pairs = [(qa[f.ticket_id], value) for f in reviewed if (value := measure(f)) is not None]
        xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
        result[name] = Correlation(n=len(pairs), pearson=pearson(xs, ys), spearman=spearman(xs, ys))
    return result


@attrs.frozen
class Agreement:
    """How alike reviewers scored the same units (see the module docstring)."""

    units: int
    """Units reviewed more than once."""
    pairs: int
    """Pairs of reviews of the same unit compared."""
    identical: float | None
    """% of those pairs with the same score."""
    alpha_ordinal: float | None
    alpha_interval: float | None


@attrs.frozen
class PairAgreement:
    """How alike two reviewers scored the tickets both reviewed."""

    reviewers: tuple[UUID, UUID]
    tickets: int
    scores: int
    """Paired criterion scores compared."""
    identical: float | None
    kappa: float | None
    """Cohen's kappa, unweighted."""
    kappa_quadratic: float | None
    """Cohen's kappa with quadratic weights (near misses count less)."""


@attrs.frozen
class Calibration:
    """Reviewer agreement: overall, per criterion and per pair of reviewers."""

    overall: Agreement
    criteria: dict[str, Agreement]
    pairs: list[PairAgreement]


def _agreement(units: Sequence[Sequence[int]]) -> Agreement:
    pairs = [(a, b) for unit in units for a, b in itertools.combinations(unit, 2)]
    return Agreement(
        units=len(units),
        pairs=len(pairs),
        identical=share(sum(a == b for a, b in pairs), len(pairs)),
        alpha_ordinal=krippendorff_alpha(units, level=Level.ORDINAL),
        alpha_interval=krippendorff_alpha(units, level=Level.INTERVAL),
    )


def _pair_agreement(
    first: UUID, second: UUID, common: Sequence[tuple[dict[str, int], dict[str, int]]]
) -> PairAgreement:
    paired = [(a[name], b[name]) for a, b in common for name in a if name in b]
    xs, ys = [x for x, _ in paired], [y for _, y in paired]
    return PairAgreement(
        reviewers=(first, second),
        tickets=len(common),
        scores=len(paired),
        identical=share(sum(x == y for x, y in paired), len(paired)),
        kappa=cohen_kappa(xs, ys),
        kappa_quadratic=cohen_kappa(xs, ys, weights=Weights.QUADRATIC),
    )


def calibration(records: Iterable[ReviewRecord]) -> Calibration:
    """Agreement among the reviews of tickets reviewed more than once (a reviewer's latest
    review of a ticket counts)."""
    by_ticket: defaultdict[UUID, dict[UUID, dict[str, int]]] = defaultdict(dict)
    for record in records:
        by_ticket[record.ticket_id][record.reviewer_id] = record.scores
    multiple = {t: reviews for t, reviews in by_ticket.items() if len(reviews) > 1}
    per_criterion: defaultdict[str, list[list[int]]] = defaultdict(list)
    for reviews in multiple.values():
        names = dict.fromkeys(name for scores in reviews.values() for name in scores)
        for name in names:
            unit = [scores[name] for scores in reviews.values() if name in scores]
            if len(unit) > 1:
                per_criterion[name].append(unit)
    common: defaultdict[tuple[UUID, UUID], list[tuple[dict[str, int], dict[str, int]]]]
    common = defaultdict(list)
    for reviews in multiple.values():
        for first, second in itertools.combinations(sorted(reviews), 2):
            common[first, second].append((reviews[first], reviews[second]))
    return Calibration(
        overall=_agreement([unit for units in per_criterion.values() for unit in units]),
        criteria={name: _agreement(per_criterion[name]) for name in sorted(per_criterion)},
        pairs=[_pair_agreement(a, b, common[a, b]) for a, b in sorted(common)],
    )


@attrs.frozen
class QualityOverview:
    """The QA of a set of reviews at a glance: per group, calibration and correlations."""

    by: QaDimension
    groups: dict[Hashable, QaSummary]
    overall: QaSummary
    calibration: Calibration
    correlations: dict[str, Correlation]


def overview(
    scored: Sequence[ScoredReview],
    facts: Iterable[TicketFacts],
    *,
    by: QaDimension | str = QaDimension.AGENT,
) -> QualityOverview:
    """The QA of ``scored`` per group of ``by``, overall, its calibration and its
    correlations with the measures of the reviewed tickets (from ``facts``)."""
    groups = quality_by(scored, by)  # checks ``by``
    return QualityOverview(
        by=QaDimension(by),
        groups=groups,
        overall=summarise(scored),
        calibration=calibration(r.record for r in scored),
        correlations=correlations(scored, facts),
    )
