"""A hypothesis state machine for quality reviews and review samplers.

:class:`ReviewMachine` is :class:`~ticketlog.testing.stateful.DeskMachine` with
reviewers, the machine's :attr:`~ReviewMachine.scorecards` and
:attr:`~ReviewMachine.samplers`: besides every ticket and agent command, reviewers join,
claim reviews, score them (or scores that break the scorecard), give them back, and pull
their next review with ``review_next`` from each sampler. Desk and model must agree on
every command, and on the ticket ``review_next`` returns. After every step it checks:

* every review slot and scored review is as the model says;
* no ticket has more review slots taken than a sampler asked for when ``review_next``
  claimed it (tickets claimed directly, which have no limit, aside);
* no reviewer scored a ticket they had held, answered or resolved before, unless the
  scorecard allows it;
* every scored review scores every criterion of its scorecard, on 1-5;
* the desk's review ledger equals one folded afresh from the log.

Put your own samplers (and scorecards) under test by subclassing::

    from hypothesis import settings

    from ticketlog.testing.reviews import ReviewMachine


    class MySamplers(ReviewMachine):
        samplers = (MySampler(share=0.3),)


    TestMySamplers = MySamplers.TestCase
    TestMySamplers.settings = settings(max_examples=100, stateful_step_count=50, deadline=None)
"""

from __future__ import annotations

from collections import defaultdict
from itertools import cycle
from typing import Any, ClassVar
from uuid import UUID

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

from ticketlog.desk import HelpDesk
from ticketlog.domain.events import (
    TicketAssigned,
    TicketReassigned,
    TicketResolved,
    TicketResponded,
    TicketReviewed,
    TicketTransferred,
)
from ticketlog.domain.quality import Criterion, Scorecard, review_id
from ticketlog.domain.values import MAX_TIER, TicketStatus
from ticketlog.persistence.settings import MemoryStore
from ticketlog.policies.review import (
    ReviewSampler,
    escalated_first,
    low_csat_first,
    per_agent,
    random_share,
)
from ticketlog.projections.base import fold
from ticketlog.projections.reviews import ReviewLedger
from ticketlog.testing.model import DeskModel
from ticketlog.testing.stateful import WAITS, DeskMachine, Step, pick
from ticketlog.testing.strategies import AGENT_NAMES, LANGUAGES, SKILLS, review_scores

__all__ = ["BILLING", "SUPPORT", "ReviewMachine"]

SUPPORT = Scorecard(
    name="support",
    criteria=(
        Criterion(name="accuracy", weight=2.0, critical=True),
        Criterion(name="empathy"),
        Criterion(name="clarity"),
    ),
    categories=frozenset({"general", "technical", "account"}),
)
"""The machine's scorecard for every category but billing: resolved tickets only, no
reviews of one's own tickets."""

BILLING = Scorecard(
    name="billing",
    criteria=(Criterion(name="accuracy"), Criterion(name="tone")),
    categories=frozenset({"billing"}),
    allow_unresolved=True,
    allow_self_review=True,
)
"""The machine's scorecard for billing tickets, which allows what the other refuses."""

_ANY_SCORES = st.dictionaries(
    st.sampled_from(("accuracy", "empathy", "clarity", "tone", "speed")),
    st.integers(min_value=0, max_value=6) | st.sampled_from((True, 2.5)),
)
"""Scores that mostly break some scorecard: missing, unknown or off-scale criteria."""

_SCORECARD_NAMES = st.none() | st.sampled_from((SUPPORT.name, BILLING.name, "unknown"))
"""Scorecards a command names: none (the one covering the ticket), the default ones, or
one the desk does not have."""

_VALUES = st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=6)
"""Valid scores for any scorecard, given to its criteria in turn."""


class ReviewMachine(DeskMachine):
    """The desk machine with reviewers, scorecards and review samplers (module docstring)."""

    scorecards: ClassVar[tuple[Scorecard, ...]] = (SUPPORT, BILLING)
    """The desk's scorecards."""
    samplers: ClassVar[tuple[ReviewSampler, ...]] = (
        random_share(share=0.8, second_opinion=0.5),
        per_agent(n=1),
        low_csat_first(max_csat=3, share=0.5),
        escalated_first(share=0.5),
    )
    """The samplers reviewers pull with (override with your own)."""
    max_reviewers: ClassVar[int] = 3
    """Stop adding reviewers after this many."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: dict[UUID, int] = {}
        """Per ticket ``review_next`` claimed, the most reviews a sampler wanted then."""
        self.unlimited: set[UUID] = set()
        """Tickets with a review claimed directly (``claim_review``, ``review``)."""

    def make_desk(self) -> HelpDesk:
        """A fresh in-memory desk on :attr:`clock` with the machine's scorecards."""
        return HelpDesk(MemoryStore(), clock=self.clock, scorecards=self.scorecards)

    def make_model(self) -> DeskModel:
        """The reference model with the machine's scorecards."""
        return DeskModel(self.scorecards)

    def reviewer_ids(self) -> list[UUID]:
        """The agents with the reviewer role, in joining order."""
        return [agent_id for agent_id, agent in self.model.agents.items() if agent.reviewer]

    # --- reviewers join --------------------------------------------------------------

    @initialize(target=DeskMachine.agents, name=st.sampled_from(AGENT_NAMES), online=st.booleans())
    def first_reviewer(self, name: str, online: bool) -> UUID:
        """Every run has a reviewer from the start (online: they may also take tickets)..."""
        return self._join_reviewer(name, online)

    @initialize(target=DeskMachine.agents)
    def generalist(self) -> UUID:
        """...and an agent who can take any ticket, so that there are tickets to review."""
        return self._join_agent(
            {
                "name": "Gil",
                "team": "general",
                "teams": frozenset(),
                "tier": MAX_TIER,
                "capacity": 3,
                "skills": frozenset(SKILLS),
                "languages": frozenset(LANGUAGES),
                "online": True,
            }
        )

    @precondition(lambda self: len(self.reviewer_ids()) < self.max_reviewers)
    @rule(
        target=DeskMachine.agents,
        name=st.sampled_from(AGENT_NAMES),
        online=st.booleans(),
        seconds=WAITS,
    )
    def join_reviewer(self, name: str, online: bool, seconds: int) -> UUID:
        """A reviewer joins: dedicated (offline) or an agent who also takes tickets."""
        self.wait(seconds)
        return self._join_reviewer(name, online)

    def _join_reviewer(self, name: str, online: bool) -> UUID:
        agent_id = self.desk.join_agent(name, reviewer=True, online=online, agent_id=self.new_id())
        self.expected_events += self.model.join_agent(agent_id, online=online, reviewer=True)
        return agent_id

    # --- any review command on any ticket and agent ------------------------------------

    @rule(
        ticket=DeskMachine.tickets,
        reviewer=DeskMachine.agents,
        scorecard=_SCORECARD_NAMES,
        seconds=WAITS,
    )
    def claim_review(
        self, ticket: UUID, reviewer: UUID, scorecard: str | None, seconds: int
    ) -> None:
        """Someone claims a review of a ticket."""
        self.wait(seconds)
        self.compare(*self._claim_review_step(ticket, reviewer, scorecard, ""))

    @rule(
        ticket=DeskMachine.tickets,
        reviewer=DeskMachine.agents,
        scores=review_scores(SUPPORT) | review_scores(BILLING) | _ANY_SCORES,
        scorecard=_SCORECARD_NAMES,
        seconds=WAITS,
    )
    def review(
        self,
        ticket: UUID,
        reviewer: UUID,
        scores: dict[str, Any],
        scorecard: str | None,
        seconds: int,
    ) -> None:
        """Someone scores a ticket (their claim, or claiming and scoring at once)."""
        self.wait(seconds)
        self.compare(*self._score_step(ticket, reviewer, scores, scorecard, ""))

    @rule(
        ticket=DeskMachine.tickets,
        slot=st.integers(min_value=1, max_value=3),
        reviewer=DeskMachine.agents,
        seconds=WAITS,
    )
    def release_review(self, ticket: UUID, slot: int, reviewer: UUID, seconds: int) -> None:
        """Someone gives back a review slot of a ticket (perhaps not theirs, or none)."""
        self.wait(seconds)
        self.compare(*self._release_review_step(review_id(ticket, slot), reviewer, ""))

    @rule(
        reviewer=DeskMachine.agents,
        sampler=st.integers(min_value=0),
        scorecard=_SCORECARD_NAMES,
        seconds=WAITS,
    )
    def review_next(
        self, reviewer: UUID, sampler: int, scorecard: str | None, seconds: int
    ) -> None:
        """Someone asks a sampler for their next review."""
        self.wait(seconds)
        self._review_next(reviewer, self.samplers[sampler % len(self.samplers)], scorecard)

    # --- steps that make progress --------------------------------------------------------

    @precondition(lambda self: bool(self.reviewer_ids()))
    @rule(
        reviewer=st.integers(min_value=0),
        sampler=st.integers(min_value=0),
        moves=st.lists(st.tuples(st.integers(min_value=0), _VALUES), min_size=1, max_size=4),
        seconds=WAITS,
    )
    def a_reviewer_works(
        self,
        reviewer: int,
        sampler: int,
        moves: list[tuple[int, list[int]]],
        seconds: int,
    ) -> None:
        """A reviewer pulls their next review from a sampler, then scores a claim (the
        move's values, criterion by criterion), gives one back, or claims another resolved
        ticket."""
        self.wait(seconds)
        reviewers = self.reviewer_ids()
        reviewer_id = reviewers[reviewer % len(reviewers)]
        self._review_next(reviewer_id, self.samplers[sampler % len(self.samplers)], None)
        for move, values in moves:
            steps = []
            for ticket_id in self.model.open_claims(reviewer_id):
                slots = self.model.tickets[ticket_id].reviews
                number = next(n for n, s in enumerate(slots, 1) if s.reviewer == reviewer_id)
                card = self.model.scorecards[slots[number - 1].scorecard]
                scores = dict(zip(card.criterion_names, cycle(values), strict=False))
                steps.append(self._score_step(ticket_id, reviewer_id, scores, None, "claimed: "))
                rid = review_id(ticket_id, number)
                steps.append(self._release_review_step(rid, reviewer_id, "claimed: "))
            for ticket_id, ticket in self.model.tickets.items():
                if ticket.resolver is not None:
                    steps.append(
                        self._claim_review_step(ticket_id, reviewer_id, None, "resolved: ")
                    )
            if steps:
                self.compare(*pick(steps, move))

    @precondition(lambda self: bool(self.open_tickets()))
    @rule(which=st.integers(min_value=0), seconds=WAITS)
    def a_ticket_is_solved(self, which: int, seconds: int) -> None:
        """A waiting ticket goes to an agent who can take it, who resolves it: tickets to
        review."""
        self.wait(seconds)
        tickets = self.model.tickets
        waiting = [t for t in self.open_tickets() if tickets[t].status is TicketStatus.WAITING]
        able = [(t, a) for t in waiting for a in self.model.agents if self.model.can_take(a, t)]
        if able:
            ticket, agent_id = able[which % len(able)]
            if self.compare(*self._assign_step(ticket, agent_id, "solve: ")):
                self.compare(
                    "solve: resolve",
                    lambda: self.desk.resolve(ticket, agent_id),
                    lambda: self.model.resolve(ticket, agent_id),
                )

    # --- commands shared by several rules ------------------------------------------------

    def _claim_review_step(
        self, ticket: UUID, reviewer: UUID, scorecard: str | None, label: str
    ) -> Step:
        def on_model() -> int:
            events = self.model.claim_review(
                ticket, reviewer, at=self.clock.now(), scorecard=scorecard
            )
            self.unlimited.add(ticket)
            return events

        return (
            f"{label}claim review",
            lambda: self.desk.claim_review(ticket, reviewer, scorecard=scorecard),
            on_model,
        )

    def _score_step(
        self,
        ticket: UUID,
        reviewer: UUID,
        scores: dict[str, Any],
        scorecard: str | None,
        label: str,
    ) -> Step:
        def on_model() -> int:
            events = self.model.review(
                ticket, reviewer, scores, at=self.clock.now(), scorecard=scorecard
            )
            if events == 2:  # claimed and scored at once
                self.unlimited.add(ticket)
            return events

        return (
            f"{label}review",
            lambda: self.desk.review(ticket, reviewer, scores, scorecard=scorecard),
            on_model,
        )

    def _release_review_step(self, review: UUID, reviewer: UUID, label: str) -> Step:
        return (
            f"{label}release review",
            lambda: self.desk.release_review(review, reviewer),
            lambda: self.model.release_review(review, reviewer),
        )

    def _review_next(self, reviewer: UUID, sampler: ReviewSampler, scorecard: str | None) -> None:
        """``review_next`` on desk and model, which must return the same ticket. The model
        gets the sampler's candidates among the tickets the desk's scorecards cover."""
        view, now = self.desk.view(), self.clock.now()
        cards = list(self.model.scorecards.values())
        if scorecard is not None:
            cards = [c for c in cards if c.name == scorecard]
        covered = [f for f in view.facts if any(c.applies_to(f.category) for c in cards)]
        candidates = [
            (f.ticket_id, n) for f, n in sampler.candidates(covered, view.reviews, now=now)
        ]
        got: list[UUID | None] = []
        expected: list[tuple[UUID | None, int]] = []

        def on_model() -> int:
            expected.append(
                self.model.review_next(reviewer, candidates, at=now, scorecard=scorecard)
            )
            return expected[-1][1]

        if not self.compare(
            f"review next ({sampler.name})",
            lambda: got.append(self.desk.review_next(reviewer, sampler, scorecard=scorecard)),
            on_model,
        ):
            return
        (ticket, claimed), given = expected[0], got[0]
        if given != ticket:
            msg = f"review_next gave ticket {given}, the model expected {ticket}"
            raise AssertionError(msg)
        outcome = "nothing" if ticket is None else "claimed" if claimed else "an open claim"
        event(f"review next: {outcome}")
        if claimed and ticket is not None:
            wanted = next(n for t, n in candidates if t == ticket)
            self.asked[ticket] = max(self.asked.get(ticket, 0), wanted)

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def reviews_are_as_the_model_says(self) -> None:
        """Every ticket's review slots (claimant, scored or not) and every scored review
        (reviewer, scorecard, scores, the agent reviewed) match the model."""
        ledger = self.desk.view().reviews
        wanted: dict[UUID, tuple[UUID | None, bool]] = {}
        records: dict[UUID, tuple[UUID | None, str, dict[str, int], UUID | None]] = {}
        for ticket_id, ticket in self.model.tickets.items():
            for number, slot in enumerate(ticket.reviews, start=1):
                rid = review_id(ticket_id, number)
                wanted[rid] = (slot.reviewer, slot.scores is not None)
                if slot.scores is not None:
                    records[rid] = (slot.reviewer, slot.scorecard, slot.scores, slot.agent_id)
        actual = {
            rid: (slot.reviewer_id, slot.done)
            for slots in ledger.slots.values()
            for rid, slot in slots.items()
        }
        if actual != wanted:
            msg = f"review slots are {actual}; the model says {wanted}"
            raise AssertionError(msg)
        scored = {
            r.review_id: (r.reviewer_id, r.scorecard, r.scores, r.agent_id) for r in ledger.records
        }
        if scored != records:
            msg = f"scored reviews are {scored}; the model says {records}"
            raise AssertionError(msg)

    @invariant()
    def no_ticket_has_more_reviews_than_its_sampler_asked(self) -> None:
        """Tickets ``review_next`` claimed have no more slots taken than a sampler wanted."""
        ledger = self.desk.view().reviews
        for ticket_id, wanted in self.asked.items():
            taken = ledger.taken(ticket_id)
            if ticket_id not in self.unlimited and taken > wanted:
                msg = f"ticket {ticket_id} has {taken} reviews taken; its sampler wanted {wanted}"
                raise AssertionError(msg)

    @invariant()
    def no_reviewer_scored_their_own_ticket(self) -> None:
        """In log order, nobody scores a ticket they held, answered or resolved earlier,
        unless the scorecard allows it."""
        handlers: defaultdict[UUID, set[UUID]] = defaultdict(set)
        for _, logged in self.desk.read_log():
            match logged:
                case (
                    TicketAssigned(agent_id=UUID() as agent)
                    | TicketTransferred(to_agent_id=UUID() as agent)
                    | TicketReassigned(to_agent_id=UUID() as agent)
                    | TicketResponded(actor_id=UUID() as agent)
                    | TicketResolved(actor_id=UUID() as agent)
                ):
                    handlers[logged.originator_id].add(agent)
                case TicketReviewed() if logged.reviewer_id in handlers[logged.ticket_id]:
                    if not self.model.scorecards[logged.scorecard].allow_self_review:
                        msg = f"{logged.reviewer_id} reviewed their own ticket {logged.ticket_id}"
                        raise AssertionError(msg)

    @invariant()
    def every_scored_review_scores_every_criterion_on_the_scale(self) -> None:
        """Each scored review has one score from 1 to 5 per criterion of its scorecard."""
        for record in self.desk.view().reviews.records:
            names = self.model.scorecards[record.scorecard].criterion_names
            if sorted(record.scores) != sorted(names) or not all(
                1 <= s <= 5 for s in record.scores.values()
            ):
                msg = f"review {record.review_id} scores {record.scores} on {names}"
                raise AssertionError(msg)

    @invariant()
    def the_review_ledger_equals_a_fresh_fold(self) -> None:
        """The desk's live ledger equals one folded from the whole log."""
        rebuilt = fold(ReviewLedger(), (event for _, event in self.desk.read_log()))
        if rebuilt != self.desk.view().reviews:
            msg = "the live review ledger differs from a fresh fold of the log"
            raise AssertionError(msg)
