"""Quality reviews on a real desk against the reference model, driven by random command
sequences (:class:`ticketlog.testing.reviews.ReviewMachine`), and the review strategies."""

from __future__ import annotations

from hypothesis import given, settings

from tests.unit.test_desk_stateful import START
from ticketlog import HelpDesk, ManualClock
from ticketlog.testing.reviews import BILLING, SUPPORT, ReviewMachine
from ticketlog.testing.strategies import review_scores

_profile = settings()
"""The loaded profile (dev, nightly or ci), which the machine's settings build on."""

TestReviews = ReviewMachine.TestCase
"""Ticket, agent and review commands, every built-in sampler, checked after each step."""
TestReviews.settings = settings(
    _profile,
    max_examples=max(_profile.max_examples, 100),
    stateful_step_count=50,
    deadline=None,
)


@given(scores=review_scores(SUPPORT))
def test_drawn_review_scores_are_accepted_by_review(scores: dict[str, int]) -> None:
    with HelpDesk("memory://", clock=ManualClock(START), scorecards=[SUPPORT, BILLING]) as desk:
        agent_id = desk.join_agent("Ann")
        reviewer_id = desk.join_agent("Rev", reviewer=True, online=False)
        ticket_id = desk.receive(channel="email", customer_id="c-1")
        desk.assign(ticket_id, agent_id)
        desk.resolve(ticket_id, agent_id)
        desk.review(ticket_id, reviewer_id, scores)
        (record,) = desk.view().reviews.records
    assert (record.scores, record.agent_id, record.scorecard) == (scores, agent_id, "support")
