"""A reference model of the help desk: plain dicts, no event sourcing.

:class:`DeskModel` takes the same commands as :class:`~ticketlog.desk.HelpDesk` and
predicts, for each, whether the desk accepts it (and how many events it stores) or
rejects it (and with which exception class). It is written from the rules in the design
brief (section 4) and the lifecycle table, not from the aggregates' code, so that a
stateful test comparing the two (:mod:`ticketlog.testing.stateful`) checks the desk
against an independent statement of the rules.

Where a command breaks several rules at once, the model names the first broken rule in
this order: a taken id (for a new ticket or agent), an unknown ticket, an unknown agent,
the ticket's status, the command's own rules (target, holder, rating, values), and last
the agent's eligibility (online, capacity, tier, skills, language).

Each command returns the number of events the desk stores when it accepts (a ticket's
change of holder stores one more for each agent it leaves or reaches); a rejected command
raises and changes nothing.

Quality reviews (:meth:`DeskModel.claim_review`, :meth:`~DeskModel.review`,
:meth:`~DeskModel.release_review`, :meth:`~DeskModel.review_next`) follow the scorecards
the model is given. A review's rules are checked in this order: an unknown ticket, the
scorecard (named and unknown, or not exactly one covering the ticket's category), bad
scores (not every criterion once, an integer from 1 to 5), an unknown reviewer, the
reviewer role, the category, a ticket never resolved, the reviewer's own ticket (anyone who
ever held it), and a review of the ticket the reviewer holds or scored already. Scoring a
claim checks the scorecard (the claim's), the scores and, once more, that the ticket is
not the reviewer's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from ticketlog.domain.errors import (
    AgentAtCapacity,
    AgentLacksSkill,
    AgentNotEligible,
    AgentNotFound,
    AgentOffline,
    AlreadyRated,
    AlreadyReviewed,
    DuplicateId,
    InvalidTransition,
    InvalidValue,
    NotAReviewer,
    NotTheHolder,
    ReviewNotAllowed,
    ReviewNotFound,
    SameTarget,
    ScorecardNotFound,
    TicketAlreadyAssigned,
    TicketIsClosed,
    TicketNotFound,
    TierTooLow,
)
from ticketlog.domain.quality import Scorecard, review_id
from ticketlog.domain.values import MAX_TIER, EscalationKind, Priority, TicketStatus

__all__ = ["DeskModel", "ModelAgent", "ModelReview", "ModelTicket"]

_WAITING = TicketStatus.WAITING
_ASSIGNED = TicketStatus.ASSIGNED
_RESOLVED = TicketStatus.RESOLVED
_CLOSED = TicketStatus.CLOSED
_ABANDONED = TicketStatus.ABANDONED

_ACCEPTS: Mapping[TicketStatus, frozenset[str]] = {
    # In a queue: anything but work that needs a holder, or a solution.
    # The customer may write at any time it is open.
    _WAITING: frozenset(
        {
            "assign",
            "transfer",
            "escalate",
            "deescalate",
            "close",
            "abandon",
            "reprioritise",
            "customer",
        }
    ),
    # Held by an agent: work on it, wait on the customer, pass it to someone else, put it
    # back, move it, solve it; not assign again, not abandon.
    _ASSIGNED: frozenset(
        {
            "respond",
            "await",
            "customer",
            "transfer",
            "reassign",
            "release",
            "escalate",
            "deescalate",
            "resolve",
            "close",
            "reprioritise",
        }
    ),
    # Solved: the customer rates it or comes back; or it is closed.
    _RESOLVED: frozenset({"reopen", "rate", "close"}),
    # The customer gave up: it can only be closed.
    _ABANDONED: frozenset({"close"}),
    # Final.
    _CLOSED: frozenset(),
}
"""For each status, the commands a ticket in it accepts."""


@attrs.define
class ModelTicket:
    """What the model remembers about a ticket."""

    status: TicketStatus
    queue: str
    tier: int
    priority: Priority
    language: str
    required_skills: frozenset[str]
    holder: UUID | None = None
    """The agent holding the ticket, if any."""
    rated: bool = False
    """Whether the current resolution was rated."""
    awaiting: bool = False
    """Whether the holder waits on the customer (from await until the customer writes)."""
    category: str = "general"
    handlers: set[UUID] = attrs.Factory(set)
    """Everyone who ever held the ticket."""
    last_holder: UUID | None = None
    resolver: UUID | None = None
    """Who resolved it last (``None``: never resolved)."""
    reviews: list[ModelReview] = attrs.Factory(list)
    """Its review slots, slot 1 first."""

    @property
    def worker(self) -> UUID | None:
        """Whose work a review of the ticket scores: its last resolver, else last holder."""
        return self.resolver or self.last_holder

    def hold(self, agent_id: UUID | None) -> None:
        """``agent_id`` holds the ticket now (``None``: nobody)."""
        self.holder = agent_id
        if agent_id is not None:
            self.handlers.add(agent_id)
            self.last_holder = agent_id


@attrs.define
class ModelReview:
    """What the model remembers about one review slot of a ticket."""

    reviewer: UUID | None
    """Who holds or scored it (``None``: released)."""
    scorecard: str
    claimed_at: datetime
    scores: dict[str, int] | None = None
    agent_id: UUID | None = None
    """Whose work it scored."""


@attrs.define
class ModelAgent:
    """What the model remembers about an agent."""

    online: bool
    team: str
    tier: int
    capacity: int
    skills: frozenset[str]
    languages: frozenset[str]
    reviewer: bool = False

    def profile(self) -> tuple[str, int, int, frozenset[str], frozenset[str]]:
        """Team, tier, capacity, skills and languages, for comparing profiles."""
        return (self.team, self.tier, self.capacity, self.skills, self.languages)


class DeskModel:
    """A trivially correct desk: dicts of tickets and agents and the rules, nothing else."""

    def __init__(self, scorecards: Iterable[Scorecard] = ()) -> None:
        self.tickets: dict[UUID, ModelTicket] = {}
        self.agents: dict[UUID, ModelAgent] = {}
        self.scorecards = {card.name: card for card in scorecards}

    # --- queries -----------------------------------------------------------------

    def status(self, ticket_id: UUID) -> TicketStatus:
        """The status the ticket should have."""
        return self._ticket(ticket_id).status

    def holder(self, ticket_id: UUID) -> UUID | None:
        """The agent who should hold the ticket."""
        return self._ticket(ticket_id).holder

    def held_by(self, agent_id: UUID) -> frozenset[UUID]:
        """The tickets the agent should hold."""
        return frozenset(tid for tid, t in self.tickets.items() if t.holder == agent_id)

    def why_not(self, agent_id: UUID, ticket_id: UUID) -> type[AgentNotEligible] | None:
        """Why the agent could not be given the ticket now, status aside (``None``: they
        could)."""
        try:
            self._check_can_take(
                agent_id, self._agent(agent_id), ticket_id, self._ticket(ticket_id)
            )
        except AgentNotEligible as error:
            return type(error)
        return None

    def can_take(self, agent_id: UUID, ticket_id: UUID) -> bool:
        """Whether the agent could be given the ticket now, status aside."""
        return self.why_not(agent_id, ticket_id) is None

    # --- tickets -----------------------------------------------------------------

    def receive(
        self,
        ticket_id: UUID,
        *,
        queue: str = "general",
        tier: int = 1,
        priority: Priority | str = Priority.NORMAL,
        language: str = "en",
        required_skills: Iterable[str] = (),
        category: str = "general",
        **other: Any,
    ) -> int:
        """A new ticket waits in ``queue``; the other attributes do not affect the rules."""
        self._check_new_id(ticket_id)
        self.tickets[ticket_id] = ModelTicket(
            status=_WAITING,
            queue=queue,
            tier=tier,
            priority=Priority(priority),
            language=language,
            required_skills=frozenset(required_skills),
            category=category,
        )
        return 1

    def assign(self, ticket_id: UUID, agent_id: UUID) -> int:
        """A waiting ticket goes to an eligible agent."""
        ticket = self._ticket(ticket_id)
        holder = ticket.holder
        agent = self._agent(agent_id)
        self._check_accepts(ticket, "assign")
        self._check_can_take(agent_id, agent, ticket_id, ticket)
        ticket.status = _ASSIGNED
        ticket.hold(agent_id)
        return self._events(ticket, holder)

    def respond(self, ticket_id: UUID, agent_id: UUID) -> int:
        """The holder writes to the customer."""
        ticket = self._ticket(ticket_id)
        self._check_accepts(ticket, "respond")
        self._check_holder(ticket, agent_id)
        return 1

    def transfer(
        self, ticket_id: UUID, *, to_agent_id: UUID | None = None, to_queue: str | None = None
    ) -> int:
        """The ticket goes to another agent and/or queue (to a queue only: it waits there).

        An agent given the ticket must be able to take it; its holder, moving it to another
        queue, keeps it unchecked.
        """
        ticket = self._ticket(ticket_id)
        holder = ticket.holder
        agent = None if to_agent_id is None else self._agent(to_agent_id)
        self._check_accepts(ticket, "transfer")
        queue = ticket.queue if to_queue is None else to_queue
        if to_agent_id == ticket.holder and queue == ticket.queue:
            msg = "a transfer must go somewhere else"
            raise SameTarget(msg)
        if to_agent_id is not None and agent is not None and to_agent_id != ticket.holder:
            # The holder keeps a ticket they move to another queue, whatever their state.
            self._check_can_take(to_agent_id, agent, ticket_id, ticket)
        ticket.hold(to_agent_id)
        ticket.status = _WAITING if to_agent_id is None else _ASSIGNED
        ticket.queue = queue
        return self._events(ticket, holder)

    def reassign(self, ticket_id: UUID, to_agent_id: UUID) -> int:
        """The held ticket passes to someone else who can take it."""
        ticket = self._ticket(ticket_id)
        holder = ticket.holder
        agent = self._agent(to_agent_id)
        self._check_accepts(ticket, "reassign")
        if to_agent_id == ticket.holder:
            msg = "a reassignment must go to someone else"
            raise SameTarget(msg)
        self._check_can_take(to_agent_id, agent, ticket_id, ticket)
        ticket.hold(to_agent_id)
        return self._events(ticket, holder)

    def release(self, ticket_id: UUID, agent_id: UUID) -> int:
        """The holder puts the ticket back in its queue."""
        ticket = self._ticket(ticket_id)
        holder = ticket.holder
        self._check_accepts(ticket, "release")
        self._check_holder(ticket, agent_id)
        ticket.status = _WAITING
        ticket.holder = None
        return self._events(ticket, holder)

    def deescalate(
        self, ticket_id: UUID, *, to_tier: int | None = None, to_queue: str | None = None
    ) -> int:
        """The ticket goes down a tier (default: the next lower, never below 0) and/or to
        another queue, and waits there."""
        ticket = self._ticket(ticket_id)
        holder = ticket.holder
        self._check_accepts(ticket, "deescalate")
        to_tier = ticket.tier - 1 if to_tier is None else to_tier
        if not 0 <= to_tier < ticket.tier:
            msg = "a de-escalation goes down a tier"
            raise InvalidValue(msg)
        ticket.status = _WAITING
        ticket.holder = None
        ticket.tier = to_tier
        ticket.queue = ticket.queue if to_queue is None else to_queue
        return self._events(ticket, holder)

    def escalate(
        self,
        ticket_id: UUID,
        *,
        kind: EscalationKind | str,
        to_tier: int | None = None,
        to_queue: str | None = None,
    ) -> int:
        """The ticket goes up a tier (default: the next, or the same for functional
        escalations) and/or to another queue, and waits there."""
        ticket = self._ticket(ticket_id)
        holder = ticket.holder
        self._check_accepts(ticket, "escalate")
        if to_tier is None:
            same_tier = EscalationKind(kind) is EscalationKind.FUNCTIONAL
            to_tier = ticket.tier if same_tier else ticket.tier + 1
        queue = ticket.queue if to_queue is None else to_queue
        if to_tier < ticket.tier:
            msg = "an escalation never goes down a tier"
            raise InvalidValue(msg)
        if to_tier == ticket.tier and queue == ticket.queue:
            msg = "an escalation must go somewhere else"
            raise SameTarget(msg)
        if to_tier > MAX_TIER:
            msg = f"there is no tier above {MAX_TIER}"
            raise InvalidValue(msg)
        ticket.status = _WAITING
        ticket.holder = None
        ticket.tier = to_tier
        ticket.queue = queue
        return self._events(ticket, holder)

    def resolve(self, ticket_id: UUID, agent_id: UUID) -> int:
        """The holder solves the ticket; the new resolution is not rated yet."""
        ticket = self._ticket(ticket_id)
        holder = ticket.holder
        self._check_accepts(ticket, "resolve")
        self._check_holder(ticket, agent_id)
        ticket.status = _RESOLVED
        ticket.holder = None
        ticket.resolver = agent_id
        ticket.rated = False
        return self._events(ticket, holder)

    def reopen(self, ticket_id: UUID) -> int:
        """The customer comes back; the ticket waits in its queue."""
        ticket = self._ticket(ticket_id)
        self._check_accepts(ticket, "reopen")
        ticket.status = _WAITING
        ticket.awaiting = False
        return 1

    def await_customer(self, ticket_id: UUID, agent_id: UUID) -> int:
        """The holder waits on the customer (not twice in a row)."""
        ticket = self._ticket(ticket_id)
        self._check_accepts(ticket, "await")
        self._check_holder(ticket, agent_id)
        if ticket.awaiting:
            msg = "awaits the customer already"
            raise InvalidTransition(msg)
        ticket.awaiting = True
        return 1

    def customer_replied(self, ticket_id: UUID) -> int:
        """The customer writes, which ends any wait on them."""
        ticket = self._ticket(ticket_id)
        self._check_accepts(ticket, "customer")
        ticket.awaiting = False
        return 1

    def rate(self, ticket_id: UUID, *, csat: int | None = None, nps: int | None = None) -> int:
        """The customer rates the resolution once, with at least one score in range."""
        ticket = self._ticket(ticket_id)
        self._check_accepts(ticket, "rate")
        if ticket.rated:
            msg = "rated already"
            raise AlreadyRated(msg)
        if csat is None and nps is None:
            msg = "a rating needs a score"
            raise InvalidValue(msg)
        if csat is not None and not 1 <= csat <= 5:
            msg = f"CSAT {csat} is not in 1..5"
            raise InvalidValue(msg)
        if nps is not None and not 0 <= nps <= 10:
            msg = f"NPS {nps} is not in 0..10"
            raise InvalidValue(msg)
        ticket.rated = True
        return 1

    def close_ticket(self, ticket_id: UUID) -> int:
        """The ticket is closed for good; nobody holds it."""
        ticket = self._ticket(ticket_id)
        holder = ticket.holder
        self._check_accepts(ticket, "close")
        ticket.status = _CLOSED
        ticket.holder = None
        return self._events(ticket, holder)

    def abandon(self, ticket_id: UUID) -> int:
        """The customer gives up while waiting."""
        ticket = self._ticket(ticket_id)
        self._check_accepts(ticket, "abandon")
        ticket.status = _ABANDONED
        return 1

    def reprioritise(self, ticket_id: UUID, priority: Priority | str) -> int:
        """The ticket's priority changes to a different one."""
        ticket = self._ticket(ticket_id)
        self._check_accepts(ticket, "reprioritise")
        new = Priority(priority)
        if new is ticket.priority:
            msg = f"priority is {new} already"
            raise SameTarget(msg)
        ticket.priority = new
        return 1

    # --- agents ------------------------------------------------------------------

    def join_agent(
        self,
        agent_id: UUID,
        *,
        team: str = "general",
        tier: int = 1,
        capacity: int = 1,
        skills: Iterable[str] = (),
        languages: Iterable[str] = ("en",),
        online: bool = True,
        reviewer: bool = False,
        **other: Any,
    ) -> int:
        """A new agent joins (one event) and, unless ``online=False``, goes online (two)."""
        self._check_new_id(agent_id)
        self.agents[agent_id] = ModelAgent(
            online=online,
            team=team,
            tier=tier,
            capacity=capacity,
            skills=frozenset(skills),
            languages=frozenset(languages),
            reviewer=reviewer,
        )
        return 2 if online else 1

    def change_agent(self, agent_id: UUID, **changes: Any) -> int:
        """The agent's team, tier, capacity, skills or languages change (to something new)."""
        agent = self._agent(agent_id)
        fields: dict[str, Any] = {
            key: frozenset(value) if key in ("skills", "languages") else value
            for key, value in changes.items()
        }
        new = attrs.evolve(agent, **fields)
        if new.profile() == agent.profile():
            msg = "the profile is unchanged"
            raise SameTarget(msg)
        self.agents[agent_id] = new
        return 1

    def go_online(self, agent_id: UUID) -> int:
        """An offline agent becomes available."""
        agent = self._agent(agent_id)
        if agent.online:
            msg = "online already"
            raise InvalidTransition(msg)
        agent.online = True
        return 1

    def go_offline(self, agent_id: UUID) -> int:
        """An online agent becomes unavailable; the tickets they hold stay with them."""
        agent = self._agent(agent_id)
        if not agent.online:
            msg = "offline already"
            raise InvalidTransition(msg)
        agent.online = False
        return 1

    # --- quality reviews ----------------------------------------------------------

    def open_claims(self, reviewer_id: UUID) -> list[UUID]:
        """The tickets whose review the reviewer holds unscored, oldest claim first (ties
        by ticket id)."""
        claims = [
            (slot.claimed_at, ticket_id)
            for ticket_id, ticket in self.tickets.items()
            for slot in ticket.reviews
            if slot.reviewer == reviewer_id and slot.scores is None
        ]
        return [ticket_id for _, ticket_id in sorted(claims)]

    def claim_review(
        self, ticket_id: UUID, reviewer_id: UUID, *, at: datetime, scorecard: str | None = None
    ) -> int:
        """The reviewer claims the ticket's first free review slot."""
        ticket = self._ticket(ticket_id)
        card = self._scorecard(scorecard, ticket.category)
        self._check_may_review(reviewer_id, ticket, card)
        self._claim_slot(ticket, reviewer_id, card, at)
        return 1

    def review(
        self,
        ticket_id: UUID,
        reviewer_id: UUID,
        scores: Mapping[str, object],
        *,
        at: datetime,
        scorecard: str | None = None,
    ) -> int:
        """The reviewer scores their claim on the ticket, or claims and scores at once."""
        ticket = self._ticket(ticket_id)
        claimed = self._slot_held(ticket, reviewer_id)
        if claimed is None:
            card = self._scorecard(scorecard, ticket.category)
            checked = self._check_scores(card, scores)
            self._check_may_review(reviewer_id, ticket, card)
            slot = self._claim_slot(ticket, reviewer_id, card, at)
            slot.scores, slot.agent_id = checked, ticket.worker
            return 2
        card = self._scorecard(scorecard or claimed.scorecard, ticket.category)
        if card.name != claimed.scorecard:
            msg = f"claimed for scorecard {claimed.scorecard!r}, not {card.name!r}"
            raise InvalidValue(msg)
        checked = self._check_scores(card, scores)
        self._check_own_work(reviewer_id, ticket, card)
        claimed.scores, claimed.agent_id = checked, ticket.worker
        return 1

    def release_review(self, review: UUID, reviewer_id: UUID) -> int:
        """The reviewer gives their unscored claim back; the slot is free again."""
        slot = self._review(review)
        if slot.scores is not None:
            msg = "scored already"
            raise InvalidTransition(msg)
        if slot.reviewer != reviewer_id:
            msg = "not the claimant"
            raise NotTheHolder(msg)
        slot.reviewer = None
        return 1

    def review_next(
        self,
        reviewer_id: UUID,
        candidates: Iterable[tuple[UUID, int]],
        *,
        at: datetime,
        scorecard: str | None = None,
    ) -> tuple[UUID | None, int]:
        """The ticket a reviewer gets from a sampler's ``candidates`` (ticket, reviews wanted;
        best first), and the events stored: their oldest open claim; else the first candidate
        they may review with fewer reviews than wanted and a free slot within them, claimed;
        else none."""
        if not self._agent(reviewer_id).reviewer:
            msg = "not a reviewer"
            raise NotAReviewer(msg)
        claims = self.open_claims(reviewer_id)
        if claims:
            return claims[0], 0
        if scorecard is not None:
            self._scorecard(scorecard, "")
        for ticket_id, wanted in candidates:
            ticket = self._ticket(ticket_id)
            taken = [s for s in ticket.reviews if s.reviewer is not None or s.scores is not None]
            if len(taken) >= wanted or self._free_slot(ticket) > wanted:
                continue
            try:
                card = self._scorecard(scorecard, ticket.category)
                self._check_may_review(reviewer_id, ticket, card)
            except (ScorecardNotFound, ReviewNotAllowed, AlreadyReviewed):
                continue
            self._claim_slot(ticket, reviewer_id, card, at)
            return ticket_id, 1
        return None, 0

    def _scorecard(self, name: str | None, category: str) -> Scorecard:
        """The scorecard named, or the only one covering ``category``."""
        if name is not None:
            if name not in self.scorecards:
                raise ScorecardNotFound(name)
            return self.scorecards[name]
        covering = [c for c in self.scorecards.values() if c.applies_to(category)]
        if len(covering) != 1:
            msg = f"{len(covering)} scorecards cover {category!r}"
            raise ScorecardNotFound(msg)
        return covering[0]

    def _check_may_review(self, reviewer_id: UUID, ticket: ModelTicket, card: Scorecard) -> None:
        if not self._agent(reviewer_id).reviewer:
            msg = "not a reviewer"
            raise NotAReviewer(msg)
        if card.categories is not None and ticket.category not in card.categories:
            msg = "category not covered"
            raise ReviewNotAllowed(msg)
        if ticket.resolver is None and not card.allow_unresolved:
            msg = "never resolved"
            raise ReviewNotAllowed(msg)
        self._check_own_work(reviewer_id, ticket, card)
        if self._slot_of(ticket, reviewer_id) is not None:
            msg = "holds or scored a review of it"
            raise AlreadyReviewed(msg)

    @staticmethod
    def _check_own_work(reviewer_id: UUID, ticket: ModelTicket, card: Scorecard) -> None:
        if reviewer_id in ticket.handlers and not card.allow_self_review:
            msg = "their own ticket"
            raise ReviewNotAllowed(msg)

    @staticmethod
    def _check_scores(card: Scorecard, scores: Mapping[str, object]) -> dict[str, int]:
        names = [c.name for c in card.criteria]
        if set(scores) != set(names):
            msg = "not one score per criterion"
            raise InvalidValue(msg)
        checked: dict[str, int] = {}
        for name in names:
            score = scores[name]
            if type(score) is not int or not 1 <= score <= 5:
                msg = f"{score!r} is not a score from 1 to 5"
                raise InvalidValue(msg)
            checked[name] = score
        return checked

    @staticmethod
    def _free_slot(ticket: ModelTicket) -> int:
        """The number of the first slot nobody holds or scored (1-based)."""
        for number, slot in enumerate(ticket.reviews, start=1):
            if slot.reviewer is None and slot.scores is None:
                return number
        return len(ticket.reviews) + 1

    def _claim_slot(
        self, ticket: ModelTicket, reviewer_id: UUID, card: Scorecard, at: datetime
    ) -> ModelReview:
        number = self._free_slot(ticket)
        slot = ModelReview(reviewer=reviewer_id, scorecard=card.name, claimed_at=at)
        if number > len(ticket.reviews):
            ticket.reviews.append(slot)
        else:
            ticket.reviews[number - 1] = slot
        return slot

    @staticmethod
    def _slot_of(ticket: ModelTicket, reviewer_id: UUID) -> ModelReview | None:
        """The slot the reviewer holds or scored."""
        return next((s for s in ticket.reviews if s.reviewer == reviewer_id), None)

    def _slot_held(self, ticket: ModelTicket, reviewer_id: UUID) -> ModelReview | None:
        slot = self._slot_of(ticket, reviewer_id)
        return slot if slot is not None and slot.scores is None else None

    def _review(self, review: UUID) -> ModelReview:
        for ticket_id, ticket in self.tickets.items():
            for number, slot in enumerate(ticket.reviews, start=1):
                if review_id(ticket_id, number) == review:
                    return slot
        raise ReviewNotFound(review)

    # --- rules -------------------------------------------------------------------

    @staticmethod
    def _events(ticket: ModelTicket, holder: UUID | None) -> int:
        """The ticket's event, and one for each agent it left or reached (their holdings)."""
        if ticket.holder == holder:
            return 1
        return 1 + (holder is not None) + (ticket.holder is not None)

    def _check_new_id(self, new_id: UUID) -> None:
        if new_id in self.tickets or new_id in self.agents:
            raise DuplicateId(str(new_id))

    def _ticket(self, ticket_id: UUID) -> ModelTicket:
        if ticket_id not in self.tickets:
            raise TicketNotFound(ticket_id)
        return self.tickets[ticket_id]

    def _agent(self, agent_id: UUID) -> ModelAgent:
        if agent_id not in self.agents:
            raise AgentNotFound(agent_id)
        return self.agents[agent_id]

    @staticmethod
    def _check_accepts(ticket: ModelTicket, command: str) -> None:
        if command in _ACCEPTS[ticket.status]:
            return
        if ticket.status is _CLOSED:
            msg = "closed"
            raise TicketIsClosed(msg)
        if ticket.status is _ASSIGNED and command == "assign":
            msg = "held by someone already"
            raise TicketAlreadyAssigned(msg)
        msg = f"{command} on a {ticket.status} ticket"
        raise InvalidTransition(msg)

    @staticmethod
    def _check_holder(ticket: ModelTicket, agent_id: UUID) -> None:
        if ticket.holder != agent_id:
            msg = "not the holder"
            raise NotTheHolder(msg)

    def _check_can_take(
        self, agent_id: UUID, agent: ModelAgent, ticket_id: UUID, ticket: ModelTicket
    ) -> None:
        """An agent can be given a ticket when online, with room for one more ticket,
        serving its tier, with its required skills and its language."""
        if not agent.online:
            msg = "offline"
            raise AgentOffline(msg)
        if len(self.held_by(agent_id) - {ticket_id}) >= agent.capacity:
            msg = "no room"
            raise AgentAtCapacity(msg)
        if agent.tier < ticket.tier:
            msg = "tier too low"
            raise TierTooLow(msg)
        if not ticket.required_skills <= agent.skills:
            msg = "missing skills"
            raise AgentLacksSkill(msg)
        if ticket.language not in agent.languages:
            msg = "missing language"
            raise AgentLacksSkill(msg)
