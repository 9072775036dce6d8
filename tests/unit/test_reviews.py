"""Quality reviews on the desk: scorecards, the review rules, claims, slots and samplers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.quality_support import SUPPORT
from ticketlog import (
    AlreadyReviewed,
    ConfigurationError,
    Criterion,
    EscalationKind,
    HelpDesk,
    InvalidValue,
    ManualClock,
    NotAReviewer,
    NotTheHolder,
    ReviewNotAllowed,
    ReviewNotFound,
    Scorecard,
    ScorecardNotFound,
)
from ticketlog.config import parse_desk_config
from ticketlog.domain.quality import review_id
from ticketlog.policies.review import (
    PerAgent,
    RandomShare,
    escalated_first,
    low_csat_first,
    sampler,
    unit_hash,
)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday

GOOD = {"accuracy": 4, "empathy": 5, "clarity": 3}


# --- scorecards ------------------------------------------------------------------------


def test_the_weighted_mean_counts_each_criterion_by_its_weight() -> None:
    assert SUPPORT.weighted(GOOD) == pytest.approx((2 * 4 + 5 + 3) / 4)
    assert SUPPORT.passes(GOOD)


def test_a_critical_criterion_below_its_minimum_fails_a_review_on_its_own() -> None:
    scores = {"accuracy": 2, "empathy": 5, "clarity": 5}
    assert SUPPORT.weighted(scores) == 3.5  # the mark is reached ...
    assert not SUPPORT.passes(scores)  # ... but accuracy is critical


def test_a_review_below_the_pass_mark_fails() -> None:
    assert not SUPPORT.passes({"accuracy": 3, "empathy": 4, "clarity": 3})


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({"accuracy": 4, "empathy": 5}, "missing clarity"),
        ({**GOOD, "speed": 3}, "unknown 'speed'"),
        (["accuracy", "empathy", "clarity"], "a mapping"),
        ({**GOOD, "clarity": 0}, "from 1 to 5"),
        ({**GOOD, "clarity": 6}, "from 1 to 5"),
        ({**GOOD, "clarity": True}, "from 1 to 5"),
        ({**GOOD, "clarity": "4"}, "from 1 to 5"),
        ({**GOOD, "clarity": 4.0}, "from 1 to 5"),
    ],
)
def test_scores_must_score_every_criterion_once_on_the_scale(
    scores: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidValue, match=message):
        SUPPORT.check(scores)


def test_a_scorecard_names_each_criterion_once_and_has_one() -> None:
    with pytest.raises(ValueError, match="twice"):
        Scorecard(name="x", criteria=(Criterion(name="a"), Criterion(name="a")))
    with pytest.raises(ValueError, match="at least 1"):
        Scorecard(name="x", criteria=())


def test_labels_default_to_poor_through_excellent() -> None:
    assert [SUPPORT.label(s) for s in (1, 5)] == ["poor", "excellent"]


@given(st.dictionaries(st.sampled_from(["accuracy", "empathy", "clarity"]), st.integers(1, 5)))
def test_a_weighted_mean_lies_on_the_scale(scores: dict[str, int]) -> None:
    full = {**GOOD, **scores}
    assert 1 <= SUPPORT.weighted(full) <= 5


# --- the desk --------------------------------------------------------------------------


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def desk(clock: ManualClock) -> Iterator[HelpDesk]:
    with HelpDesk("memory://", clock=clock, scorecards=[SUPPORT]) as desk:
        yield desk


def resolved_ticket(desk: HelpDesk, agent: UUID, *, category: str = "general") -> UUID:
    """A ticket received, taken and resolved by ``agent`` a minute after the previous one."""
    assert isinstance(desk.clock, ManualClock)
    desk.clock.advance(timedelta(minutes=1))
    ticket = desk.receive(channel="email", customer_id="acme", category=category)
    desk.assign(ticket, agent)
    desk.resolve(ticket, agent)
    return ticket


def test_a_reviewer_scores_a_resolved_ticket(desk: HelpDesk) -> None:
    ana = desk.join_agent("Ana")
    quinn = desk.join_agent("Quinn", reviewer=True, online=False)
    ticket = resolved_ticket(desk, ana)
    review = desk.review(ticket, quinn, GOOD, comment="clear answer")
    (record,) = desk.view().reviews.records
    assert review == review_id(ticket, 1) == record.review_id
    assert (record.ticket_id, record.reviewer_id, record.agent_id) == (ticket, quinn, ana)
    assert (record.scorecard, record.scorecard_version, record.scores) == ("support", 1, GOOD)
    assert (record.category, record.comment) == ("general", "clear answer")


@pytest.mark.parametrize(
    "refusal",
    ["not a reviewer", "unresolved", "own work", "uncovered category", "bad scores"],
)
def test_a_refused_review_writes_nothing(desk: HelpDesk, refusal: str) -> None:
    ana = desk.join_agent("Ana", reviewer=True)
    lee = desk.join_agent("Lee")
    quinn = desk.join_agent("Quinn", reviewer=True, online=False)
    ticket = resolved_ticket(desk, ana)
    open_ticket = desk.receive(channel="email", customer_id="acme")
    narrow = Scorecard(name="billing", criteria=(Criterion(name="accuracy"),), categories={"x"})
    desk.scorecards["billing"] = narrow
    position = desk.log_position()
    attempts: dict[str, tuple[type[Exception], Callable[[], object]]] = {
        "not a reviewer": (NotAReviewer, lambda: desk.review(ticket, lee, GOOD)),
        "unresolved": (ReviewNotAllowed, lambda: desk.review(open_ticket, quinn, GOOD)),
        "own work": (ReviewNotAllowed, lambda: desk.review(ticket, ana, GOOD)),
        "uncovered category": (
            ReviewNotAllowed,
            lambda: desk.review(ticket, quinn, {"accuracy": 3}, scorecard="billing"),
        ),
        "bad scores": (InvalidValue, lambda: desk.review(ticket, quinn, {**GOOD, "empathy": 9})),
    }
    error, attempt = attempts[refusal]
    with pytest.raises(error):
        attempt()
    assert desk.log_position() == position


def test_a_scorecard_may_allow_unresolved_tickets_and_self_review(desk: HelpDesk) -> None:
    desk.scorecards["support"] = SUPPORT.model_copy(
        update={"allow_unresolved": True, "allow_self_review": True}
    )
    ana = desk.join_agent("Ana", reviewer=True)
    ticket = desk.receive(channel="email", customer_id="acme")
    desk.assign(ticket, ana)
    desk.review(ticket, ana, GOOD)
    assert len(desk.view().reviews.records) == 1


def test_without_a_name_the_one_scorecard_covering_the_category_is_used(desk: HelpDesk) -> None:
    ana = desk.join_agent("Ana")
    quinn = desk.join_agent("Quinn", reviewer=True, online=False)
    desk.scorecards["second"] = SUPPORT.model_copy(update={"name": "second"})
    ticket = resolved_ticket(desk, ana)
    with pytest.raises(ScorecardNotFound, match="several scorecards cover"):
        desk.review(ticket, quinn, GOOD)
    with pytest.raises(ScorecardNotFound, match="no scorecard named 'nope'"):
        desk.review(ticket, quinn, GOOD, scorecard="nope")
    desk.review(ticket, quinn, GOOD, scorecard="second")
    assert desk.view().reviews.records[0].scorecard == "second"


def test_a_claim_is_completed_by_its_reviewer_only(desk: HelpDesk) -> None:
    ana = desk.join_agent("Ana")
    quinn = desk.join_agent("Quinn", reviewer=True, online=False)
    rae = desk.join_agent("Rae", reviewer=True, online=False)
    ticket = resolved_ticket(desk, ana)
    claimed = desk.claim_review(ticket, quinn)
    with pytest.raises(AlreadyReviewed):
        desk.claim_review(ticket, quinn)
    with pytest.raises(NotTheHolder):
        desk.release_review(claimed, rae)
    second = desk.review(ticket, rae, GOOD)  # a second opinion takes slot 2
    assert second == review_id(ticket, 2)
    assert desk.review(ticket, quinn, GOOD) == claimed == review_id(ticket, 1)
    with pytest.raises(AlreadyReviewed):
        desk.review(ticket, quinn, GOOD)
    assert [r.reviewer_id for r in desk.view().reviews.records] == [rae, quinn]


def test_a_released_slot_is_claimed_again(desk: HelpDesk) -> None:
    ana = desk.join_agent("Ana")
    quinn = desk.join_agent("Quinn", reviewer=True, online=False)
    rae = desk.join_agent("Rae", reviewer=True, online=False)
    ticket = resolved_ticket(desk, ana)
    claimed = desk.claim_review(ticket, quinn)
    desk.release_review(claimed, quinn, reason="out sick")
    assert desk.claim_review(ticket, rae) == claimed
    assert desk.view().reviews.taken(ticket) == 1
    with pytest.raises(ReviewNotFound):
        desk.release_review(review_id(ticket, 7), rae)


def test_a_claim_made_on_an_older_scorecard_version_is_not_scored_on_a_newer_one(
    desk: HelpDesk,
) -> None:
    ana = desk.join_agent("Ana")
    quinn = desk.join_agent("Quinn", reviewer=True, online=False)
    ticket = resolved_ticket(desk, ana)
    desk.claim_review(ticket, quinn)
    desk.scorecards["support"] = SUPPORT.model_copy(update={"version": 2})
    with pytest.raises(InvalidValue, match="v1"):
        desk.review(ticket, quinn, GOOD)


# --- review_next -----------------------------------------------------------------------


def test_review_next_claims_sampled_tickets_until_none_is_left(desk: HelpDesk) -> None:
    ana = desk.join_agent("Ana", capacity=10)
    quinn = desk.join_agent("Quinn", reviewer=True, online=False)
    tickets = [resolved_ticket(desk, ana) for _ in range(6)]
    every = RandomShare(share=1.0)
    seen = []
    while (ticket := desk.review_next(quinn, every)) is not None:
        assert desk.review_next(quinn, every) == ticket  # the open claim comes back first
        desk.review(ticket, quinn, GOOD)
        seen.append(ticket)
    assert seen == tickets  # oldest resolution first


def test_review_next_refuses_an_agent_without_the_reviewer_role(desk: HelpDesk) -> None:
    lee = desk.join_agent("Lee")
    with pytest.raises(NotAReviewer):
        desk.review_next(lee)


def test_review_next_skips_the_reviewers_own_work(desk: HelpDesk) -> None:
    ana = desk.join_agent("Ana", reviewer=True, capacity=5)
    lee = desk.join_agent("Lee", capacity=5)
    resolved_ticket(desk, ana)
    theirs = resolved_ticket(desk, lee)
    assert desk.review_next(ana, RandomShare(share=1.0)) == theirs


def test_second_opinions_give_a_ticket_two_reviewers_and_no_more(desk: HelpDesk) -> None:
    ana = desk.join_agent("Ana", capacity=10)
    reviewers = [desk.join_agent(n, reviewer=True, online=False) for n in ("Q", "R", "S")]
    tickets = [resolved_ticket(desk, ana) for _ in range(4)]
    twice = RandomShare(share=1.0, second_opinion=1.0)
    for reviewer in reviewers:
        while (ticket := desk.review_next(reviewer, twice)) is not None:
            desk.review(ticket, reviewer, GOOD)
    ledger = desk.view().reviews
    assert [ledger.taken(t) for t in tickets] == [2, 2, 2, 2]
    assert all(len(ledger.reviewers(t)) == 2 for t in tickets)


def test_a_random_share_is_stable_and_close_to_its_share() -> None:
    ids = [UUID(int=i) for i in range(4000)]
    share = RandomShare(share=0.1, seed=3)
    picked = [i for i in ids if unit_hash(i, 3) < share.share]
    assert picked == [i for i in ids if unit_hash(i, 3) < 0.1]  # the same in every process
    assert 0.085 < len(picked) / len(ids) < 0.115  # 5 standard deviations of a binomial


def test_per_agent_sampling_takes_n_per_agent_and_week(desk: HelpDesk, clock: ManualClock) -> None:
    ana = desk.join_agent("Ana", capacity=20)
    lee = desk.join_agent("Lee", capacity=20)
    quinn = desk.join_agent("Quinn", reviewer=True, online=False)
    for week in range(2):
        clock.set(T0 + timedelta(weeks=week))
        for _ in range(4):
            resolved_ticket(desk, ana)
        resolved_ticket(desk, lee)
    claimed = []
    while (ticket := desk.review_next(quinn, PerAgent(n=2))) is not None:
        desk.review(ticket, quinn, GOOD)
        claimed.append(ticket)
    facts = desk.view().facts.tickets
    strata = sorted(
        (str(facts[t].resolver_id), facts[t].resolved_at.isocalendar()[1])  # type: ignore[union-attr]
        for t in claimed
    )
    ana_weeks = Counter(week for agent, week in strata if agent == str(ana))
    assert sorted(ana_weeks.values()) == [2, 2]  # two in each of the two weeks
    assert len([s for s in strata if s[0] == str(lee)]) == 2  # Lee had one a week


def test_low_csat_first_orders_by_rating_then_adds_a_share_of_the_rest(desk: HelpDesk) -> None:
    ana = desk.join_agent("Ana", capacity=20)
    quinn = desk.join_agent("Quinn", reviewer=True, online=False)
    rated = {}
    for csat in (2, 5, 1, 3):
        ticket = resolved_ticket(desk, ana)
        desk.rate(ticket, csat=csat)
        rated[csat] = ticket
    unrated = resolved_ticket(desk, ana)
    order = []
    while (next_one := desk.review_next(quinn, low_csat_first(max_csat=3, share=1.0))) is not None:
        desk.review(next_one, quinn, GOOD)
        order.append(next_one)
    assert order == [rated[1], rated[2], rated[3], rated[5], unrated]
    only_low = low_csat_first(max_csat=2)
    view = desk.view()
    picked = [
        f.ticket_id
        for f, _ in only_low.candidates(view.facts.tickets.values(), view.reviews, now=T0)
    ]
    assert picked == [rated[1], rated[2]]


def test_escalated_first_puts_handed_up_tickets_first(desk: HelpDesk) -> None:
    ana = desk.join_agent("Ana", tier=2, capacity=20)
    quinn = desk.join_agent("Quinn", reviewer=True, online=False)
    plain = resolved_ticket(desk, ana)
    escalated = desk.receive(channel="email", customer_id="acme")
    desk.escalate(escalated, to_tier=2, kind=EscalationKind.HIERARCHICAL)
    desk.assign(escalated, ana)
    desk.resolve(escalated, ana)
    reopened = resolved_ticket(desk, ana)
    desk.reopen(reopened)
    desk.assign(reopened, ana)
    desk.resolve(reopened, ana)
    view = desk.view()
    order = [
        f.ticket_id
        for f, _ in escalated_first(share=1.0).candidates(
            view.facts.tickets.values(), view.reviews, now=T0
        )
    ]
    assert order == [escalated, reopened, plain]
    assert desk.review_next(quinn, "escalated-first") == escalated


def test_samplers_are_found_by_name_with_checked_options() -> None:
    assert sampler("per-agent", n=3) == PerAgent(n=3)
    with pytest.raises(ConfigurationError, match="unknown review sampler"):
        sampler("nope")
    with pytest.raises(ConfigurationError, match="unexpected keyword"):
        sampler("per-agent", m=3)
    with pytest.raises(InvalidValue, match="share must be a number from 0 to 1"):
        sampler("random-share", share=1.5)
    with pytest.raises(InvalidValue, match="positive integer"):
        PerAgent(n=0)


# --- the configuration file ------------------------------------------------------------

CONFIG = """
[scorecards.support]
version = 2
pass_mark = 3.5
categories = ["billing"]
labels = ["bad", "weak", "fine", "strong", "superb"]
criteria = [{ name = "accuracy", weight = 2, critical = true }, { name = "empathy" }]

[samplers.per-agent]
n = 3
"""


def test_the_desk_configuration_file_holds_scorecards_and_sampler_options() -> None:
    config = parse_desk_config(CONFIG)
    card = config.scorecards["support"]
    assert (card.name, card.version, card.pass_mark, card.categories) == (
        "support",
        2,
        3.5,
        frozenset({"billing"}),
    )
    assert [(c.name, c.weight, c.critical) for c in card.criteria] == [
        ("accuracy", 2.0, True),
        ("empathy", 1.0, False),
    ]
    assert card.label(5) == "superb"
    assert config.sampler("per-agent") == PerAgent(n=3)
    with HelpDesk("memory://", scorecards=config.scorecards) as desk:
        assert desk.scorecards == {"support": card}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[scorecards.s]\ncriteria = []", "scorecards.s.criteria"),
        ('[scorecards.s]\nname = "t"\ncriteria = [{ name = "a" }]', "named by its table"),
        ('[scorecards.s]\ncriteria = [{ name = "a", weight = 0 }]', "weight"),
        ("[samplers.per-agent]\nm = 3", "has no option 'm'"),
        ("[samplers.nope]\nn = 3", "unknown review sampler"),
        ("[samplers.random-share]\nshare = 2.0", "share must be a number from 0 to 1"),
    ],
)
def test_a_bad_scorecard_or_sampler_names_its_key(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_desk_config(text)


def test_a_sampler_named_to_review_next_takes_the_desks_options_for_it(clock: ManualClock) -> None:
    options = {"random-share": {"share": 1.0}}
    with HelpDesk("memory://", clock=clock, scorecards=[SUPPORT], sampler_options=options) as desk:
        ana = desk.join_agent("Ana")
        quinn = desk.join_agent("Quinn", reviewer=True, online=False)
        ticket = resolved_ticket(desk, ana)
        assert desk.review_next(quinn, "random-share") == ticket
        desk.sampler_options["random-share"] = {"share": 2.0}
        with pytest.raises(InvalidValue, match="share"):
            desk.review_next(desk.join_agent("Rae", reviewer=True), "random-share")
