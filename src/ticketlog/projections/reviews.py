"""Reviews: who claimed and scored which ticket's review slots, and every finished review.

The ledger is what review sampling reads (which tickets have been reviewed or are being
reviewed, by whom) and what the quality KPIs are computed from (one
:class:`ReviewRecord` per scored review).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from uuid import UUID

import attrs

from ticketlog.domain.events import ReviewClaimed, ReviewReleased, TicketReviewed
from ticketlog.domain.quality import review_id
from ticketlog.projections.base import Reducer, on


@attrs.frozen
class ReviewRecord:
    """One scored review, as the quality KPIs read it."""

    review_id: UUID
    ticket_id: UUID
    reviewer_id: UUID
    agent_id: UUID | None
    """The agent whose work was reviewed."""
    category: str
    scorecard: str
    scorecard_version: int
    scores: dict[str, int]
    at: datetime
    comment: str = ""


@attrs.define
class ReviewSlot:
    """One review slot of a ticket: its claimant (``None`` once released) and whether it
    was scored."""

    review_id: UUID
    reviewer_id: UUID | None
    claimed_at: datetime
    done: bool = False


class ReviewLedger(Reducer):
    """Folds review events into the slots of each ticket and the list of scored reviews."""

    def __init__(self) -> None:
        self.slots: dict[UUID, dict[UUID, ReviewSlot]] = defaultdict(dict)
        """Each reviewed ticket's slots by review id."""
        self.records: list[ReviewRecord] = []
        """Every scored review, in log order."""

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ReviewLedger)
            and dict(self.slots) == dict(other.slots)
            and self.records == other.records
        )

    __hash__ = None  # type: ignore[assignment]

    @on(ReviewClaimed)
    def _claimed(self, event: ReviewClaimed) -> None:
        self.slots[event.ticket_id][event.review_id] = ReviewSlot(
            event.review_id, event.reviewer_id, event.at
        )

    @on(TicketReviewed)
    def _reviewed(self, event: TicketReviewed) -> None:
        slot = self.slots[event.ticket_id].get(event.review_id)
        if slot is None:
            slot = self.slots[event.ticket_id][event.review_id] = ReviewSlot(
                event.review_id, event.reviewer_id, event.at
            )
        slot.done = True
        self.records.append(
            ReviewRecord(
                review_id=event.review_id,
                ticket_id=event.ticket_id,
                reviewer_id=event.reviewer_id,
                agent_id=event.agent_id,
                category=event.category,
                scorecard=event.scorecard,
                scorecard_version=event.scorecard_version,
                scores=dict(event.scores),
                at=event.at,
                comment=event.comment,
            )
        )

    @on(ReviewReleased)
    def _released(self, event: ReviewReleased) -> None:
        slot = self.slots[event.ticket_id].get(event.review_id)
        if slot is not None:
            slot.reviewer_id = None

    def taken(self, ticket_id: UUID) -> int:
        """How many of a ticket's slots are claimed or scored."""
        slots = self.slots.get(ticket_id, {})
        return sum(1 for s in slots.values() if s.done or s.reviewer_id is not None)

    def reviewers(self, ticket_id: UUID) -> set[UUID]:
        """Who holds or scored a review of the ticket."""
        slots = self.slots.get(ticket_id, {})
        return {s.reviewer_id for s in slots.values() if s.reviewer_id is not None}

    def claim_of(self, ticket_id: UUID, reviewer_id: UUID) -> UUID | None:
        """The review of ``ticket_id`` that ``reviewer_id`` claimed and has not scored."""
        for slot in self.slots.get(ticket_id, {}).values():
            if slot.reviewer_id == reviewer_id and not slot.done:
                return slot.review_id
        return None

    def open_claims(self, reviewer_id: UUID) -> list[UUID]:
        """The tickets whose review ``reviewer_id`` claimed and has not scored, oldest first."""
        claims = [
            (slot.claimed_at, ticket_id)
            for ticket_id, slots in self.slots.items()
            for slot in slots.values()
            if slot.reviewer_id == reviewer_id and not slot.done
        ]
        return [ticket_id for _, ticket_id in sorted(claims)]

    def free_slot(self, ticket_id: UUID) -> tuple[int, UUID | None]:
        """The ticket's first slot number not claimed or scored, and the id of its
        released stream (``None``: the slot was never claimed)."""
        slots = self.slots.get(ticket_id, {})
        slot = 1
        while True:
            rid = review_id(ticket_id, slot)
            existing = slots.get(rid)
            if existing is None:
                return slot, None
            if not existing.done and existing.reviewer_id is None:
                return slot, rid
            slot += 1
