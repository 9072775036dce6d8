"""Fuzzing the public calls of a desk on SQLite and on PostgreSQL.

A hypothesis state machine calls the desk's commands and queries with arguments that are
often wrong: ids that are unknown, malformed or of another kind, naive or string times,
times before a stream's latest event or beyond the future horizon, tiers, scores and
capacities as bools, strings or floats. Every call must either succeed or raise a
:class:`~ticketlog.TicketlogError`; a call that raises must leave the log as it was; each
agent's own holdings must equal what the tickets' events say; and at the end a fresh fold
of the whole log must equal the desk's live view.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from tests.conftest import START
from ticketlog import (
    Criterion,
    HelpDesk,
    ManualClock,
    PostgresStore,
    Scorecard,
    SQLiteStore,
    TicketlogError,
)
from ticketlog.projections import DeskView
from ticketlog.projections.base import fold

Store = SQLiteStore | PostgresStore

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 12),
    st.floats(-1, 12, allow_nan=False),
    st.text(max_size=3),
    st.sampled_from(["2", "5", "00000000-0000-4000-8000-000000000000"]),
    st.uuids(),
).map(lambda value: value)
"""Values of the wrong type or range for most arguments (some happen to be right).

Mapped, so that ``x | JUNK`` draws from ``x`` half the time rather than once in eight."""

INTS = st.one_of(st.integers(-1, 12), JUNK)
"""Tiers, scores, capacities: mostly integers, some out of range, some of another type."""

TIMES = st.one_of(
    st.none(),
    st.timedeltas(timedelta(minutes=-10), timedelta(hours=2)),
    st.sampled_from(
        [
            datetime(2026, 11, 24, 9, 0),  # naive on purpose
            "2026-11-24T09:00:00+00:00",
            datetime(9999, 1, 1, tzinfo=UTC),
            timedelta(days=400),
        ]
    ),
)
"""``None`` (the clock), an offset from the clock (before or after), or a bad time."""

NAMES = st.one_of(st.sampled_from(["general", "billing", "en", "chat"]), JUNK)

CARD = Scorecard(name="qa", criteria=(Criterion(name="accuracy"), Criterion(name="tone")))
SCORES = st.one_of(
    st.fixed_dictionaries({"accuracy": INTS, "tone": INTS}),
    st.dictionaries(st.sampled_from(["accuracy", "tone", "speed"]), INTS, max_size=3),
    st.lists(st.sampled_from(["accuracy", "tone"]), max_size=2),
    JUNK,
)
"""Review scores: the scorecard's criteria with good and bad scores, wrong criteria, junk."""


class DeskFuzz(RuleBasedStateMachine):
    """Random, often invalid calls on a desk of a real store (set :attr:`store`)."""

    store: ClassVar[Store]
    outcomes: ClassVar[Counter[str]]
    """How often calls were accepted, and refused by each error class (over all runs)."""
    tickets = Bundle("tickets")
    agents = Bundle("agents")
    reviews = Bundle("reviews")

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(START)
        self.desk = HelpDesk(self.store, clock=self.clock, scorecards=[CARD])
        self.position = max((p for p, _ in self.desk.read_log()), default=0)
        self.agent_ids: set[UUID] = set()

    def teardown(self) -> None:
        """The log folded afresh equals the live view."""
        try:
            events = (event for _, event in self.desk.read_log())
            assert fold(DeskView(sla=self.desk.sla), events) == self.desk.view()
        finally:
            self.desk.close()

    def when(self, spec: object) -> Any:
        """An offset from the clock as a time; anything else as it is."""
        return self.clock.now() + spec if isinstance(spec, timedelta) else spec

    def attempt(self, call: Callable[[], object]) -> object | None:
        """Make the call: it succeeds, or raises a TicketlogError and writes nothing."""
        try:
            result = call()
        except TicketlogError as error:
            self.outcomes[type(error).__name__] += 1
            assert list(self.desk.read_log(self.position)) == []
            return None
        self.outcomes["accepted"] += 1
        self.position = max(
            (p for p, _ in self.desk.read_log(self.position)), default=self.position
        )
        return result

    def created(self, *results: object) -> MultipleResults[Any]:
        """The ids of what the calls created (none for a call that failed)."""
        return multiple(*(result for result in results if result is not None))

    def new_ticket(self, channel: Any, tier: Any, priority: Any, at: Any) -> object | None:
        return self.attempt(
            lambda: self.desk.receive(
                channel=channel, customer_id="c", tier=tier, priority=priority, at=self.when(at)
            )
        )

    def new_agent(
        self, tier: Any, capacity: Any, online: bool, at: Any, *, reviewer: Any = False
    ) -> object | None:
        result = self.attempt(
            lambda: self.desk.join_agent(
                "Agent",
                tier=tier,
                capacity=capacity,
                online=online,
                reviewer=reviewer,
                at=self.when(at),
            )
        )
        if isinstance(result, UUID):
            self.agent_ids.add(result)
        return result

    # --- new tickets and agents ---------------------------------------------------

    @initialize(target=agents)
    def staff(self) -> MultipleResults[Any]:
        return self.created(*(self.new_agent(2, 2, online=True, at=None) for _ in range(2)))

    @initialize(target=tickets)
    def backlog(self) -> MultipleResults[Any]:
        return self.created(*(self.new_ticket("chat", 1, "normal", None) for _ in range(3)))

    @rule(
        target=tickets,
        tier=st.integers(0, 2),
        priority=st.sampled_from(["low", "normal", "urgent"]),
        at=TIMES,
    )
    def receive(self, tier: int, priority: str, at: Any) -> MultipleResults[Any]:
        return self.created(self.new_ticket("chat", tier, priority, at))

    @rule(target=tickets, channel=NAMES, tier=INTS, priority=NAMES, at=TIMES)
    def receive_any(self, channel: Any, tier: Any, priority: Any, at: Any) -> MultipleResults[Any]:
        return self.created(self.new_ticket(channel, tier, priority, at))

    @rule(target=agents, tier=st.integers(0, 2), capacity=st.integers(1, 3), at=TIMES)
    def join_agent(self, tier: int, capacity: int, at: Any) -> MultipleResults[Any]:
        return self.created(self.new_agent(tier, capacity, online=True, at=at))

    @rule(target=agents, tier=INTS, capacity=INTS, online=st.booleans(), at=TIMES)
    def join_any(self, tier: Any, capacity: Any, online: bool, at: Any) -> MultipleResults[Any]:
        return self.created(self.new_agent(tier, capacity, online, at))

    @rule(target=agents, reviewer=st.booleans() | JUNK, at=TIMES)
    def join_reviewer(self, reviewer: Any, at: Any) -> MultipleResults[Any]:
        return self.created(self.new_agent(1, 1, online=False, at=at, reviewer=reviewer))

    # --- quality reviews -----------------------------------------------------------

    @rule(
        target=reviews,
        ticket=tickets | JUNK,
        reviewer=agents | JUNK,
        scorecard=st.none() | st.just("qa") | NAMES | st.lists(NAMES, max_size=1),
        at=TIMES,
    )
    def claim_review(
        self, ticket: Any, reviewer: Any, scorecard: Any, at: Any
    ) -> MultipleResults[Any]:
        return self.created(
            self.attempt(
                lambda: self.desk.claim_review(
                    ticket, reviewer, scorecard=scorecard, at=self.when(at)
                )
            )
        )

    @rule(
        target=reviews,
        ticket=tickets | JUNK,
        reviewer=agents | JUNK,
        scores=SCORES,
        comment=st.just("") | JUNK,
        at=TIMES,
    )
    def review(
        self, ticket: Any, reviewer: Any, scores: Any, comment: Any, at: Any
    ) -> MultipleResults[Any]:
        return self.created(
            self.attempt(
                lambda: self.desk.review(
                    ticket, reviewer, scores, comment=comment, at=self.when(at)
                )
            )
        )

    @rule(
        reviewer=agents | JUNK,
        sampler=st.sampled_from(["random-share", "per-agent", "low-csat-first", "nope"]) | JUNK,
        at=TIMES,
    )
    def review_next(self, reviewer: Any, sampler: Any, at: Any) -> None:
        self.attempt(lambda: self.desk.review_next(reviewer, sampler, at=self.when(at)))

    @rule(review=reviews | JUNK, reviewer=agents | JUNK, at=TIMES)
    def release_review(self, review: Any, reviewer: Any, at: Any) -> None:
        self.attempt(lambda: self.desk.release_review(review, reviewer, at=self.when(at)))

    # --- ticket commands -----------------------------------------------------------

    @rule(ticket=tickets | JUNK, agent=agents | JUNK, at=TIMES)
    def assign(self, ticket: Any, agent: Any, at: Any) -> None:
        self.attempt(lambda: self.desk.assign(ticket, agent, at=self.when(at)))

    @rule(agent=agents | JUNK, policy=st.sampled_from(["fifo", "value", "nope"]), at=TIMES)
    def assign_next(self, agent: Any, policy: str, at: Any) -> None:
        self.attempt(lambda: self.desk.assign_next(agent, policy, at=self.when(at)))

    @rule(ticket=tickets | JUNK, at=TIMES)
    def route(self, ticket: Any, at: Any) -> None:
        self.attempt(lambda: self.desk.route(ticket, at=self.when(at)))

    @rule(
        command=st.sampled_from(["respond", "release", "resolve", "await_customer"]),
        ticket=tickets | JUNK,
        agent=agents | JUNK,
        at=TIMES,
    )
    def holder_command(self, command: str, ticket: Any, agent: Any, at: Any) -> None:
        call = getattr(self.desk, command)
        self.attempt(lambda: call(ticket, agent, at=self.when(at)))

    @rule(
        command=st.sampled_from(["reopen", "customer_replied", "close_ticket", "abandon"]),
        ticket=tickets | JUNK,
        at=TIMES,
    )
    def ticket_command(self, command: str, ticket: Any, at: Any) -> None:
        call = getattr(self.desk, command)
        self.attempt(lambda: call(ticket, at=self.when(at)))

    @rule(ticket=tickets | JUNK, agent=st.none() | agents | JUNK, queue=st.none() | NAMES)
    def transfer(self, ticket: Any, agent: Any, queue: Any) -> None:
        self.attempt(lambda: self.desk.transfer(ticket, to_agent_id=agent, to_queue=queue))

    @rule(ticket=tickets | JUNK, agent=agents | JUNK)
    def reassign(self, ticket: Any, agent: Any) -> None:
        self.attempt(lambda: self.desk.reassign(ticket, agent))

    @rule(
        ticket=tickets | JUNK,
        kind=st.sampled_from(["functional", "hierarchical", "automatic", "sideways"]),
        to_tier=st.none() | INTS,
        breach=st.sampled_from([None, "first_reply", "resolution", "never"]),
    )
    def escalate(self, ticket: Any, kind: str, to_tier: Any, breach: Any) -> None:
        self.attempt(lambda: self.desk.escalate(ticket, kind=kind, to_tier=to_tier, breach=breach))

    @rule(ticket=tickets | JUNK, to_tier=st.none() | INTS)
    def deescalate(self, ticket: Any, to_tier: Any) -> None:
        self.attempt(lambda: self.desk.deescalate(ticket, to_tier=to_tier))

    @rule(ticket=tickets | JUNK, csat=st.none() | INTS, nps=st.none() | INTS, at=TIMES)
    def rate(self, ticket: Any, csat: Any, nps: Any, at: Any) -> None:
        self.attempt(lambda: self.desk.rate(ticket, csat=csat, nps=nps, at=self.when(at)))

    @rule(ticket=tickets | JUNK, priority=NAMES | st.sampled_from(["low", "high", "urgent"]))
    def reprioritise(self, ticket: Any, priority: Any) -> None:
        self.attempt(lambda: self.desk.reprioritise(ticket, priority))

    # --- agents, queries and time ----------------------------------------------------

    @rule(agent=agents | JUNK, online=st.booleans(), at=TIMES)
    def go_online_or_offline(self, agent: Any, online: bool, at: Any) -> None:
        call = self.desk.go_online if online else self.desk.go_offline
        self.attempt(lambda: call(agent, at=self.when(at)))

    @rule(agent=agents | JUNK, capacity=INTS, tier=INTS)
    def change_agent(self, agent: Any, capacity: Any, tier: Any) -> None:
        self.attempt(lambda: self.desk.change_agent(agent, capacity=capacity, tier=tier))

    @rule(ticket=tickets | JUNK, agent=agents | JUNK, at=TIMES)
    def queries(self, ticket: Any, agent: Any, at: Any) -> None:
        self.attempt(lambda: self.desk.ticket(ticket))
        self.attempt(lambda: self.desk.timeline(ticket))
        self.attempt(lambda: self.desk.agent(agent))
        self.attempt(lambda: self.desk.held_by(agent))
        self.attempt(lambda: self.desk.view_as_of(self.when(at)))
        self.attempt(lambda: self.desk.view().kpis(now=self.when(at)))

    @rule(seconds=st.integers(0, 600))
    def advance(self, seconds: int) -> None:
        self.clock.advance(seconds=seconds)

    @invariant()
    def agents_hold_what_their_tickets_say(self) -> None:
        for agent_id in self.agent_ids:
            assert self.desk.agent(agent_id).holdings == self.desk.held_by(agent_id)


FUZZ = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_random_calls_on_a_desk_succeed_or_raise_a_ticketlog_error_and_write_nothing(
    store: Store,
) -> None:
    outcomes: Counter[str] = Counter()
    machine = type("Fuzz", (DeskFuzz,), {"store": store, "outcomes": outcomes})
    run_state_machine_as_test(machine, settings=FUZZ)
    print(f"\n[{store.kind}] {sum(outcomes.values())} calls: {dict(outcomes.most_common())}")
    refusals = set(outcomes) - {"accepted"}
    assert outcomes["accepted"] > 0
    assert {"InvalidId", "InvalidTime", "InvalidValue", "NotFound"} & refusals
