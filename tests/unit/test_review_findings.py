"""Review rules the review machine (:mod:`ticketlog.testing.reviews`) found the desk
breaking, each as the smallest history that shows it, kept as regression tests."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest

from tests.unit.test_desk_stateful import START
from ticketlog import HelpDesk, ManualClock, ReviewNotAllowed
from ticketlog.policies.review import per_agent, random_share, unit_hash
from ticketlog.testing.reviews import BILLING, SUPPORT

SCORES = {"accuracy": 4, "empathy": 4, "clarity": 4}


@pytest.fixture
def desk() -> Iterator[HelpDesk]:
    with HelpDesk("memory://", clock=ManualClock(START), scorecards=[SUPPORT, BILLING]) as d:
        yield d


def test_review_next_offers_a_reviewer_their_own_ticket_when_the_scorecard_allows_it(
    desk: HelpDesk,
) -> None:
    reviewer = desk.join_agent("Rev", reviewer=True)
    ticket = desk.receive(channel="email", customer_id="c-1", category="billing")
    desk.assign(ticket, reviewer)
    desk.resolve(ticket, reviewer)
    claimed = desk.claim_review(ticket, reviewer)  # the billing scorecard allows it ...
    desk.release_review(claimed, reviewer)
    assert desk.review_next(reviewer, random_share(share=1.0)) == ticket  # ... review_next too


def test_a_claimant_who_has_since_handled_the_ticket_cannot_score_it(desk: HelpDesk) -> None:
    agent = desk.join_agent("Ann")
    reviewer = desk.join_agent("Rev", reviewer=True)
    ticket = desk.receive(channel="email", customer_id="c-1")
    desk.assign(ticket, agent)
    desk.resolve(ticket, agent)
    desk.claim_review(ticket, reviewer)
    desk.reopen(ticket)
    desk.assign(ticket, reviewer)
    desk.resolve(ticket, reviewer)  # now it is the reviewer's own work
    with pytest.raises(ReviewNotAllowed):
        desk.review(ticket, reviewer, SCORES)


def test_per_agent_sampling_reviews_n_tickets_per_agent_week_whoever_pulls(
    desk: HelpDesk,
) -> None:
    first, second = sorted([UUID(int=101), UUID(int=102)], key=lambda t: unit_hash(t, 0))
    early = desk.join_agent("Rev", reviewer=True)
    late = desk.join_agent("Eve", reviewer=True, online=False)
    agent = desk.join_agent("Ann", capacity=2)
    for ticket in (first, second):
        desk.receive(ticket_id=ticket, channel="email", customer_id="c-1")
    desk.assign(first, early)
    desk.reassign(first, agent)  # the early reviewer handled the sampled ticket
    desk.assign(second, agent)
    desk.resolve(first, agent)
    desk.resolve(second, agent)
    one_a_week = per_agent(n=1)
    desk.review_next(early, one_a_week)  # nothing for them: the sample is their own ticket
    desk.review_next(late, one_a_week)
    reviews = desk.view().reviews
    assert reviews.taken(first) + reviews.taken(second) == 1  # Ann's week: one review
