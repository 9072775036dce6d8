"""Reviews written straight into a desk's log, for tests of the quality KPIs."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ticketlog.domain.events import ReviewClaimed, TicketReviewed
from ticketlog.domain.quality import Criterion, Scorecard, review_id

SUPPORT = Scorecard(
    name="support",
    criteria=(
        Criterion(name="accuracy", weight=2, critical=True),
        Criterion(name="empathy"),
        Criterion(name="clarity"),
    ),
    pass_mark=3.5,
)
"""Accuracy counts double and fails a review below 3 on its own; a review passes at 3.5."""


def reviewed(
    ticket_id: UUID,
    reviewer_id: UUID,
    scores: dict[str, int],
    *,
    at: datetime,
    agent_id: UUID | None,
    slot: int = 1,
    category: str = "general",
    scorecard: Scorecard = SUPPORT,
    version: int | None = None,
) -> dict[UUID, list[ReviewClaimed | TicketReviewed]]:
    """The events of one review slot claimed and scored at ``at`` (for ``record_new``)."""
    rid = review_id(ticket_id, slot)
    common = {
        "originator_id": rid,
        "at": at,
        "ticket_id": ticket_id,
        "reviewer_id": reviewer_id,
        "scorecard": scorecard.name,
        "scorecard_version": scorecard.version if version is None else version,
    }
    return {
        rid: [
            ReviewClaimed(originator_version=1, **common),
            TicketReviewed(
                originator_version=2,
                scores=scores,
                agent_id=agent_id,
                category=category,
                **common,
            ),
        ]
    }
