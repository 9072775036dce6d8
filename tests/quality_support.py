"""Reviews written straight into a desk's log, for tests of the quality KPIs."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from ticketlog import HelpDesk, ManualClock
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

SUPPORT_TOML = """\
[scorecards.support]
pass_mark = 3.5
criteria = [
  { name = "accuracy", weight = 2, critical = true },
  { name = "empathy" },
  { name = "clarity" },
]
"""
""":data:`SUPPORT` in a desk configuration file."""


def review_history(desk: HelpDesk, clock: ManualClock) -> list[UUID]:
    """Ann resolves two tickets (CSAT 5 and 4), Bo one (CSAT 2); Rita reviews all three and
    Sam Ann's first. Returns the tickets.

    With :data:`SUPPORT` the reviews score 4.0 (passes), 3.5 (fails: accuracy 2 is
    critical), 3.0 (fails) and 5.0: Ann's QA is 4.17 and passes 2 in 3, Bo's 3.0.
    """
    ann = desk.join_agent("Ann", team="billing", capacity=5)
    bo = desk.join_agent("Bo", capacity=5)
    rita = desk.join_agent("Rita", team="qa", reviewer=True)
    sam = desk.join_agent("Sam", team="qa", reviewer=True)
    tickets = []
    for agent, csat in ((ann, 5), (bo, 2), (ann, 4)):
        ticket = desk.receive(channel="email", customer_id="c-1")
        desk.assign(ticket, agent)
        clock.advance(timedelta(minutes=10))
        desk.respond(ticket, agent)
        desk.resolve(ticket, agent)
        desk.rate(ticket, csat=csat)
        tickets.append(ticket)
    clock.advance(timedelta(hours=1))
    first, second, third = tickets
    desk.review(first, rita, {"accuracy": 4, "empathy": 3, "clarity": 5})
    desk.review(first, sam, {"accuracy": 2, "empathy": 5, "clarity": 5})
    desk.review(second, rita, {"accuracy": 3, "empathy": 3, "clarity": 3})
    desk.review(third, rita, {"accuracy": 5, "empathy": 5, "clarity": 5})
    return tickets


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
