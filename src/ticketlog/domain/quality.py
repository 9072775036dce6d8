"""Quality reviews: scorecards, and the review aggregate that scores one ticket.

A :class:`Scorecard` is configuration (the desk configuration file's ``[scorecards.NAME]``):
named, weighted criteria, every one scored on the same five-point scale (1 poor … 5
excellent; the labels are configurable), some of them *critical* (a critical criterion
scored below ``critical_min`` fails the review on its own), and the ticket categories it
applies to. A review passes when its weighted mean reaches ``pass_mark`` and no critical
criterion fails.

A :class:`Review` is one reviewer's evaluation of one ticket. Its id is a *slot* of the
ticket (:func:`review_id`): the first review of a ticket is slot 1, a second opinion (for
calibration) slot 2, and so on. Two reviewers claiming the same slot write the first event
of the same stream, so the store lets one of them win, as it does for two agents taking
the same ticket.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID, uuid5

import attrs
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ticketlog.domain.aggregate import Aggregate, replacer, validated
from ticketlog.domain.errors import (
    InvalidTransition,
    InvalidValue,
    NotAReviewer,
    NotTheHolder,
    ReviewNotAllowed,
)
from ticketlog.domain.events import (
    AgentProfile,
    ReviewClaimed,
    ReviewEvent,
    ReviewReleased,
    TicketAssigned,
    TicketEvent,
    TicketReassigned,
    TicketReceived,
    TicketResolved,
    TicketResponded,
    TicketReviewed,
    TicketTransferred,
)
from ticketlog.domain.values import Name, QaScore

SCALE = range(1, 6)
"""The one scale of every criterion: 1 (poor) to 5 (excellent)."""

DEFAULT_LABELS = ("poor", "fair", "good", "very good", "excellent")
"""The labels of scores 1 to 5 unless a scorecard names its own."""


class Criterion(BaseModel):
    """One thing a reviewer scores (e.g. responsiveness, empathy, accuracy)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Name
    weight: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0
    critical: bool = False
    """A critical criterion scored below the scorecard's ``critical_min`` fails the review."""
    description: str = ""


class Scorecard(BaseModel):
    """A named, versioned set of weighted criteria on the common 1-5 scale."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Name
    version: Annotated[int, Field(ge=1)] = 1
    """Bump it when the criteria change: reviews record the version they were scored on."""
    criteria: tuple[Criterion, ...] = Field(min_length=1)
    labels: tuple[Name, Name, Name, Name, Name] = DEFAULT_LABELS
    """The labels of scores 1 to 5."""
    categories: frozenset[Name] | None = None
    """The ticket categories the scorecard applies to (``None``: every category)."""
    pass_mark: Annotated[float, Field(ge=1, le=5, allow_inf_nan=False)] = 3.0
    """The weighted mean a review must reach to pass."""
    critical_min: QaScore = 3
    """A critical criterion scored below this fails the review on its own."""
    allow_unresolved: bool = False
    """Whether a ticket that was never resolved may be reviewed."""
    allow_self_review: bool = False
    """Whether an agent who held the ticket may review it."""

    @model_validator(mode="after")
    def _criteria_are_distinct(self) -> Scorecard:
        names = [c.name for c in self.criteria]
        if len(set(names)) != len(names):
            msg = f"scorecard {self.name!r} names a criterion twice"
            raise ValueError(msg)
        return self

    @property
    def criterion_names(self) -> tuple[str, ...]:
        """The criteria's names, in the scorecard's order."""
        return tuple(c.name for c in self.criteria)

    def applies_to(self, category: str) -> bool:
        """Whether tickets of ``category`` are reviewed with this scorecard."""
        return self.categories is None or category in self.categories

    def label(self, score: int) -> str:
        """The label of a score on the scale (e.g. 5 → ``"excellent"``)."""
        return self.labels[score - 1]

    def check(self, scores: Mapping[str, object]) -> dict[str, int]:
        """``scores`` if they score every criterion exactly once on the scale; else
        :class:`~ticketlog.domain.errors.InvalidValue` naming what is wrong."""
        if not isinstance(scores, Mapping):
            msg = f"scores are a mapping of criterion to score, not {scores!r}"
            raise InvalidValue(msg)
        unknown = sorted(map(repr, set(scores) - set(self.criterion_names)))
        missing = [n for n in self.criterion_names if n not in scores]
        if unknown or missing:
            problems = [f"unknown {', '.join(unknown)}"] if unknown else []
            problems += [f"missing {', '.join(missing)}"] if missing else []
            msg = f"scores for scorecard {self.name!r}: {'; '.join(problems)}"
            raise InvalidValue(msg)
        checked: dict[str, int] = {}
        for name in self.criterion_names:
            score = scores[name]
            if isinstance(score, bool) or not isinstance(score, int) or score not in SCALE:
                msg = f"score of {name!r} must be an integer from 1 to 5, not {score!r}"
                raise InvalidValue(msg)
            checked[name] = score
        return checked

    def weighted(self, scores: Mapping[str, int]) -> float:
        """The weighted mean of a review's scores, on the 1-5 scale."""
        total = sum(c.weight for c in self.criteria)
        return sum(c.weight * scores[c.name] for c in self.criteria) / total

    def passes(self, scores: Mapping[str, int]) -> bool:
        """Whether a review with these scores passes (weighted mean and critical criteria)."""
        if any(c.critical and scores[c.name] < self.critical_min for c in self.criteria):
            return False
        return self.weighted(scores) >= self.pass_mark


def review_id(ticket_id: UUID, slot: int) -> UUID:
    """The id of review slot ``slot`` (1, 2, …) of a ticket: the same in every process."""
    return uuid5(ticket_id, f"ticketlog:review:{slot}")


@attrs.frozen
class ReviewState:
    """One review slot of a ticket, as of its latest event."""

    id: UUID
    ticket_id: UUID
    reviewer_id: UUID | None
    """Who holds or scored the slot (``None``: released, free)."""
    scorecard: str
    scorecard_version: int
    claimed_at: datetime
    last_at: datetime
    scores: dict[str, int] | None = None
    """The scores, once reviewed."""

    @property
    def done(self) -> bool:
        """Whether the review was scored (a scored review accepts nothing more)."""
        return self.scores is not None


_evolve = replacer(ReviewState)


class Review(Aggregate[ReviewState, ReviewEvent]):
    """One review slot of a ticket: claimed, then scored or released (and claimed again)."""

    __slots__ = ()
    event_base = ReviewEvent

    @classmethod
    def evolve(cls, state: ReviewState | None, event: ReviewEvent) -> ReviewState:
        match event:
            case ReviewClaimed() if state is None:
                return ReviewState(
                    id=event.originator_id,
                    ticket_id=event.ticket_id,
                    reviewer_id=event.reviewer_id,
                    scorecard=event.scorecard,
                    scorecard_version=event.scorecard_version,
                    claimed_at=event.at,
                    last_at=event.at,
                )
            case ReviewClaimed():
                assert state is not None  # noqa: S101 - the first case took None
                return _evolve(
                    state,
                    reviewer_id=event.reviewer_id,
                    scorecard=event.scorecard,
                    scorecard_version=event.scorecard_version,
                    claimed_at=event.at,
                    last_at=event.at,
                )
            case TicketReviewed() if state is not None:
                return _evolve(state, scores=dict(event.scores), last_at=event.at)
            case ReviewReleased() if state is not None:
                return _evolve(state, reviewer_id=None, last_at=event.at)
        msg = f"{event.event_type} cannot follow {state!r}"
        raise InvalidTransition(msg)

    @classmethod
    def claim(
        cls,
        *,
        ticket_id: UUID,
        slot: int,
        reviewer_id: UUID,
        scorecard: Scorecard,
        at: datetime,
        sampler: str | None = None,
    ) -> Review:
        """A new review slot, claimed by ``reviewer_id``."""
        return cls._create(
            ReviewClaimed,
            originator_id=review_id(ticket_id, slot),
            **_claim(ticket_id, reviewer_id, scorecard, at, sampler),
        )

    def reclaim(
        self, *, reviewer_id: UUID, scorecard: Scorecard, at: datetime, sampler: str | None = None
    ) -> None:
        """Claim a released slot again."""
        if self.state.done or self.state.reviewer_id is not None:
            msg = f"review {self.id} is taken"
            raise InvalidTransition(msg)
        self._trigger(
            ReviewClaimed, **_claim(self.state.ticket_id, reviewer_id, scorecard, at, sampler)
        )

    def score(
        self,
        *,
        reviewer_id: UUID,
        scorecard: Scorecard,
        scores: Mapping[str, object],
        agent_id: UUID | None,
        category: str,
        comment: str,
        at: datetime,
    ) -> None:
        """Record the claimant's scores (checked against the scorecard)."""
        self._check_claimant(reviewer_id)
        if (scorecard.name, scorecard.version) != (
            self.state.scorecard,
            self.state.scorecard_version,
        ):
            msg = (
                f"review {self.id} was claimed for scorecard {self.state.scorecard!r} "
                f"v{self.state.scorecard_version}, not {scorecard.name!r} v{scorecard.version}"
            )
            raise InvalidValue(msg)
        self._trigger(
            TicketReviewed,
            at=at,
            ticket_id=self.state.ticket_id,
            reviewer_id=reviewer_id,
            scorecard=scorecard.name,
            scorecard_version=scorecard.version,
            scores=scorecard.check(scores),
            agent_id=agent_id,
            category=category,
            comment=comment,
        )

    def release(self, *, reviewer_id: UUID, reason: str, at: datetime) -> None:
        """Give the claimed slot back unscored."""
        self._check_claimant(reviewer_id)
        self._trigger(
            ReviewReleased,
            at=at,
            ticket_id=self.state.ticket_id,
            reviewer_id=reviewer_id,
            reason=reason,
        )

    def _check_claimant(self, reviewer_id: UUID) -> None:
        if self.state.done:
            msg = f"review {self.id} was scored already"
            raise InvalidTransition(msg)
        if self.state.reviewer_id != reviewer_id:
            msg = f"review {self.id} is not claimed by {reviewer_id}"
            raise NotTheHolder(msg)


def _claim(
    ticket_id: UUID, reviewer_id: UUID, scorecard: Scorecard, at: datetime, sampler: str | None
) -> dict[str, Any]:
    """The fields of a :class:`ReviewClaimed`."""
    return {
        "at": at,
        "ticket_id": ticket_id,
        "reviewer_id": reviewer_id,
        "scorecard": scorecard.name,
        "scorecard_version": scorecard.version,
        "sampler": sampler,
    }


def check_reviewer(reviewer_id: UUID, profile: AgentProfile) -> None:
    """Raise :class:`~ticketlog.domain.errors.NotAReviewer` unless the agent has the role."""
    if not profile.reviewer:
        msg = f"agent {reviewer_id} has no reviewer role"
        raise NotAReviewer(msg)


@attrs.frozen
class ReviewSubject:
    """What the review rules read of a ticket: its category, whether it was ever resolved,
    who handled it, and whose work a review of it scores."""

    ticket_id: UUID
    category: str
    resolved: bool
    handlers: frozenset[UUID]
    """Everyone who held, answered or resolved the ticket."""
    agent_id: UUID | None
    """The agent of the latest resolution, else the latest holder (``None``: nobody)."""

    @classmethod
    def of(cls, events: Iterable[TicketEvent]) -> ReviewSubject:
        """The subject of a ticket's events (its first event is :class:`TicketReceived`)."""
        category, resolved, ticket_id = "", False, None
        handlers: set[UUID] = set()
        holder: UUID | None = None
        resolver: UUID | None = None
        for event in events:
            match event:
                case TicketReceived():
                    category, ticket_id = event.category, event.originator_id
                case TicketAssigned():
                    holder = event.agent_id
                case TicketReassigned() | TicketTransferred() if event.to_agent_id is not None:
                    holder = event.to_agent_id
                case TicketResolved():
                    resolved, resolver = True, event.actor_id
                case TicketResponded():
                    handlers.add(event.actor_id)
            if holder is not None:
                handlers.add(holder)
            if resolver is not None:
                handlers.add(resolver)
        assert ticket_id is not None  # noqa: S101 - a ticket's history starts with receipt
        return cls(ticket_id, category, resolved, frozenset(handlers), resolver or holder)

    def check(self, reviewer_id: UUID, profile: AgentProfile, scorecard: Scorecard) -> None:
        """Raise if ``scorecard`` does not let this reviewer review the ticket."""
        check_reviewer(reviewer_id, profile)
        if not scorecard.applies_to(self.category):
            msg = f"scorecard {scorecard.name!r} does not cover category {self.category!r}"
            raise ReviewNotAllowed(msg)
        if not self.resolved and not scorecard.allow_unresolved:
            msg = f"ticket {self.ticket_id} was never resolved"
            raise ReviewNotAllowed(msg)
        if reviewer_id in self.handlers and not scorecard.allow_self_review:
            msg = f"agent {reviewer_id} handled ticket {self.ticket_id}: not their own review"
            raise ReviewNotAllowed(msg)


def scorecards_by_name(scorecards: Any) -> dict[str, Scorecard]:
    """Scorecards keyed by name, from a mapping or an iterable of them (checked)."""
    items = list(scorecards.values() if isinstance(scorecards, Mapping) else scorecards)
    cards = [c if isinstance(c, Scorecard) else validated(Scorecard, **c) for c in items]
    by_name = {c.name: c for c in cards}
    if len(by_name) != len(cards):
        msg = "two scorecards have the same name"
        raise InvalidValue(msg)
    return by_name
