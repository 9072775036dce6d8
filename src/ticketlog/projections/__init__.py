"""Read models: deterministic folds of the event log (no I/O, no wall clock).

:class:`DeskView` bundles the queues, workloads, ticket facts, backlog and reviews; KPIs
are computed from ticket facts (:mod:`ticketlog.projections.kpis`), quality KPIs from
reviews (:mod:`ticketlog.projections.quality`); a :class:`Follower`
keeps any projection up to date with a store and resumes from checkpoints.
"""

from __future__ import annotations

from ticketlog.projections.backlog import Backlog
from ticketlog.projections.base import Projection, fold
from ticketlog.projections.facts import TicketFacts, TicketFactsProjection
from ticketlog.projections.kpis import Dimension, Durations, Kpis, compute_kpis, kpis_by
from ticketlog.projections.quality import (
    QaDimension,
    QaSummary,
    QualityOverview,
    ScoredReview,
    calibration,
    correlations,
    overview,
    quality_by,
    score_reviews,
)
from ticketlog.projections.queues import ORDERINGS, QueuedTicket, Queues
from ticketlog.projections.runner import Checkpoints, EventSource, Follower
from ticketlog.projections.sla import SlaTargets, Targets
from ticketlog.projections.timeline import TimelineEntry, build_timeline
from ticketlog.projections.view import DeskView
from ticketlog.projections.workloads import Workload, Workloads

__all__ = [
    "ORDERINGS",
    "Backlog",
    "Checkpoints",
    "DeskView",
    "Dimension",
    "Durations",
    "EventSource",
    "Follower",
    "Kpis",
    "Projection",
    "QaDimension",
    "QaSummary",
    "QualityOverview",
    "QueuedTicket",
    "Queues",
    "ScoredReview",
    "SlaTargets",
    "Targets",
    "TicketFacts",
    "TicketFactsProjection",
    "TimelineEntry",
    "Workload",
    "Workloads",
    "build_timeline",
    "calibration",
    "compute_kpis",
    "correlations",
    "fold",
    "kpis_by",
    "overview",
    "quality_by",
    "score_reviews",
]
