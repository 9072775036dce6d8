"""The desk view: queues, workloads, ticket facts, backlog and reviews, folded together."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from datetime import datetime

from ticketlog.domain.events import DomainEvent
from ticketlog.domain.quality import Scorecard
from ticketlog.domain.values import as_time
from ticketlog.projections.backlog import Backlog
from ticketlog.projections.facts import TicketFactsProjection
from ticketlog.projections.kpis import Dimension, Kpis, compute_kpis, kpis_by
from ticketlog.projections.quality import ScoredReview, score_reviews
from ticketlog.projections.queues import Queues
from ticketlog.projections.reviews import ReviewLedger
from ticketlog.projections.sla import SlaTargets
from ticketlog.projections.workloads import Workloads


class DeskView:
    """Every read model of a desk, fed by one stream of events."""

    def __init__(self, *, sla: SlaTargets | None = None) -> None:
        self.sla = SlaTargets() if sla is None else sla
        self.queues = Queues(sla=self.sla)
        self.workloads = Workloads()
        self.facts = TicketFactsProjection()
        self.backlog = Backlog()
        self.reviews = ReviewLedger()

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, DeskView)
            and self.queues == other.queues
            and self.workloads == other.workloads
            and self.facts == other.facts
            and self.backlog == other.backlog
            and self.reviews == other.reviews
        )

    __hash__ = None  # type: ignore[assignment]

    def apply(self, event: DomainEvent) -> None:
        """Fold one event into every read model."""
        self.queues.apply(event)
        self.workloads.apply(event)
        self.facts.apply(event)
        self.backlog.apply(event)
        self.reviews.apply(event)

    def kpis(self, *, now: datetime) -> Kpis:
        """The KPIs of every ticket, as of ``now`` (a timezone-aware datetime)."""
        return compute_kpis(self.facts, now=as_time(now), sla=self.sla)

    def kpis_by(self, by: Dimension | str, *, now: datetime) -> dict[Hashable, Kpis]:
        """The KPIs per group of ``by`` (channel, category, priority, tier, ...), as of ``now``."""
        return kpis_by(self.facts, by, now=as_time(now), sla=self.sla)

    def scored_reviews(self, scorecards: Iterable[Scorecard]) -> list[ScoredReview]:
        """Every scored review judged by ``scorecards`` (see :mod:`ticketlog.projections.quality`),
        with the reviewed agents' current teams."""
        return score_reviews(self.reviews.records, scorecards, teams=self.facts.teams)
