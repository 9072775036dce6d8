"""Policies declare what they read; the fast mode runs only those it keeps exact.

A user policy that reads an agent's time totals (which the fast mode does not keep up to
date) must run in the event mode, and a comparison must choose that by itself; any
policy declaring only tickets and holdings — built in or written by a user, with or
without a partition — must give the same books in both modes, ticket by ticket.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.test_fast_mode import EXAMPLES, SLA, all_features, assert_same_books, scenarios
from ticketlog import ConfigurationError, Priority
from ticketlog.policies import Ordered, fifo
from ticketlog.policies.eligibility import Eligibility, all_of, same_tier, skills_match
from ticketlog.policies.reads import Read, declares, runs_fast
from ticketlog.policies.registry import create, names
from ticketlog.projections import QueuedTicket, Workload
from ticketlog.projections.queues import by_arrival
from ticketlog.simulation import AgentGroup, Exponential, Scenario, draw_arrivals, simulate
from ticketlog.simulation.compare import METRICS, compare

THIRTY_MINUTES = timedelta(minutes=30)


def tired(agent: Workload, ticket: QueuedTicket) -> bool:
    """No new ticket after 30 busy minutes (reads the agent's busy time)."""
    return agent.busy_time < THIRTY_MINUTES


def test_every_keyed_built_in_runs_fast_and_affinity_does_not() -> None:
    fast = {name for name in names() if runs_fast(create(name))}
    assert fast == {name for name in names() if isinstance(create(name), Ordered)}
    assert "affinity" not in fast
    assert {"fifo", "priority", "sla", "easiest-first", "value", "tiered", "skills"} <= fast


@pytest.mark.parametrize(
    ("eligible", "fast"),
    [
        (tired, False),  # declares nothing: it may read anything
        (declares(Read.HOLDINGS, Read.AGENT_TIME)(tired), False),
        (declares(Read.TICKET, Read.HOLDINGS)(lambda a, t: a.holding == 0), True),
        (all_of(same_tier(), tired), False),
        (all_of(same_tier(), skills_match()), True),
    ],
    ids=["undeclared", "agent-time", "holdings", "all-of-undeclared", "all-of-declared"],
)
def test_a_policy_runs_fast_only_if_all_it_reads_is_exact_there(
    eligible: Eligibility, fast: bool
) -> None:
    policy = Ordered("mine", by_arrival, eligible)
    assert runs_fast(policy) is fast
    if not fast:
        with pytest.raises(ConfigurationError, match="'mine' needs the full-event mode"):
            simulate(all_features(tickets=5), [], policy, fast=True)


def test_the_busy_time_policy_is_run_in_the_event_mode_by_a_comparison() -> None:
    """Regression: the fast mode's workloads keep busy time as of the last change of
    holdings, so with agents holding several tickets this policy decided differently
    there (17 tickets resolved instead of 12 on the draw of the time), and comparisons ran
    it fast."""
    scenario = Scenario(
        tickets=200,
        arrivals_per_hour=10,
        handle_time=Exponential(mean_minutes=20),
        agents=(AgentGroup(count=3, capacity=3),),
    )
    policy = Ordered("tired", by_arrival, tired)
    arrivals = draw_arrivals(scenario, seed=5)
    event_mode = simulate(scenario, arrivals, policy)
    assert simulate(scenario, arrivals, policy, fast=None).events  # it chose the events
    with ThreadPoolExecutor(max_workers=2) as pool:
        comparison = compare(scenario, [policy, fifo()], replications=1, seed=5, executor=pool)
    expected = event_mode.kpis()
    # Tired agents stop taking tickets: they resolve fewer than fifo's on the same tickets.
    assert expected.resolved < simulate(scenario, arrivals, fifo()).kpis().resolved
    for metric in ("wait_mean_min", "resolved"):
        assert comparison.results["tired"][metric].mean == pytest.approx(METRICS[metric](expected))


# --- random user policies ----------------------------------------------------------------------

KEYS: dict[str, Callable[[QueuedTicket], Any]] = {
    name: declares(Read.TICKET)(key)
    for name, key in {
        "channel": lambda t: (t.channel.value, t.received_at, t.ticket_id),
        "customer-value": lambda t: (-t.customer_value, t.received_at, t.ticket_id),
        "category-desc": lambda t: (tuple(-ord(c) for c in t.category), t.ticket_id),
        "tier-desc-then-due": lambda t: (-t.tier, t.due, t.received_at, t.ticket_id),
        "newest": lambda t: (-t.received_at.timestamp(), t.ticket_id),
    }.items()
}
"""Static sort keys a user might write over a ticket's fields."""


class Urgent:
    """Idle agents take anything; busy ones only urgent tickets (partitioned)."""

    reads = frozenset({Read.TICKET, Read.HOLDINGS})

    def __call__(self, agent: Workload, ticket: QueuedTicket) -> bool:
        return agent.holding == 0 or ticket.priority is Priority.URGENT

    def agent_class(self, agent: Workload) -> Hashable:
        return agent.holding == 0

    def ticket_class(self, ticket: QueuedTicket) -> Hashable:
        return ticket.priority is Priority.URGENT


def _urgent(agent: Workload, ticket: QueuedTicket) -> bool:
    """:class:`Urgent`'s verdict without its partition."""
    return Urgent()(agent, ticket)


def _seniors_for_technical(agent: Workload, ticket: QueuedTicket) -> bool:
    return agent.tier >= 2 or ticket.category != "technical"


def _first_agent_idle_only(agent: Workload, ticket: QueuedTicket) -> bool:
    return agent.joined != 0 or agent.holding == 0


FILTERS: dict[str, Eligibility] = {
    "urgent-partitioned": Urgent(),
    "urgent-unpartitioned": declares(Read.TICKET, Read.HOLDINGS)(_urgent),
    "seniors-for-technical": declares(Read.TICKET, Read.HOLDINGS)(_seniors_for_technical),
    "first-agent-idle-only": declares(Read.HOLDINGS)(_first_agent_idle_only),
    "urgent-and-skills": all_of(Urgent(), skills_match()),
}
"""Eligibility filters a user might write over a ticket's fields and an agent's holdings."""


@settings(max_examples=4 * EXAMPLES, deadline=None)
@given(
    scenario=scenarios(every_feature=True),
    seed=st.integers(0, 2**32 - 1),
    key=st.sampled_from(sorted(KEYS)),
    eligible=st.sampled_from(sorted(FILTERS)),
)
def test_a_user_policy_reading_tickets_and_holdings_keeps_the_same_books_fast(
    scenario: Any, seed: int, key: str, eligible: str
) -> None:
    policy = Ordered(f"{key}/{eligible}", KEYS[key], FILTERS[eligible])
    assert runs_fast(policy)
    arrivals = draw_arrivals(scenario, seed=seed)
    full = simulate(scenario, arrivals, policy, sla=SLA)
    assert_same_books(full, simulate(scenario, arrivals, policy, sla=SLA, fast=True))
