"""The columnar kernel runs the engine's model exactly: the same facts, KPIs, workloads and
backlog as the fast desk and the full-event mode, ticket by ticket, and it runs only the
runs it can run exactly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.test_fast_mode import EXAMPLES, IDS, POLICIES, assert_same_books, scenarios
from tests.unit.test_policy_reads import Urgent
from ticketlog.policies import Ordered, PullPolicy, fifo, sla_driven, tiered
from ticketlog.policies.eligibility import DOMAIN_RULE, all_of, same_tier, skills_match
from ticketlog.policies.orderings import EasiestFirst, ValueFirst, by_arrival, by_priority
from ticketlog.policies.reads import Read, declares
from ticketlog.projections import SlaTargets, compute_kpis
from ticketlog.projections.columns import TicketColumns, _verdicts_one_by_one
from ticketlog.projections.kpis import kpis_of
from ticketlog.projections.queues import Ordering
from ticketlog.projections.sla import BusinessHours
from ticketlog.simulation import (
    AgentGroup,
    Exponential,
    Scenario,
    draw_arrivals,
    simulate,
)
from ticketlog.simulation import kernel as kernel_module
from ticketlog.simulation.kernel import runs_columnar
from ticketlog.simulation.scenario import AutoEscalation

SLA = SlaTargets()


@pytest.mark.parametrize("policy", POLICIES, ids=IDS)
@settings(max_examples=EXAMPLES, deadline=None)
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_the_kernel_keeps_the_books_of_the_fast_desk_and_of_the_event_mode(
    policy: PullPolicy, scenario: Scenario, seed: int
) -> None:
    drawn = draw_arrivals(scenario, seed=seed)
    kernel = simulate(scenario, drawn, policy, sla=SLA, fast=True)
    fast_desk = simulate(scenario, list(drawn), policy, sla=SLA, fast=True)
    full = simulate(scenario, drawn, policy, sla=SLA)
    # The kernel ran (every policy under test but sla, whose key moves with the SLA clock,
    # and the staged team-queues, which the engine runs).
    assert (kernel.columns is not None) is (policy.name not in {"sla", "team-queues"})
    assert fast_desk.columns is None  # a list of arrivals goes to the engine
    assert_same_books(full, kernel)
    assert_same_books(full, fast_desk)
    assert kernel.kpis() == compute_kpis(full.facts, now=full.end, sla=SLA)


@pytest.mark.parametrize("loop", ["as built", "interpreted"])
def test_every_feature_the_kernel_runs_is_on_in_one_run_and_it_agrees(
    loop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shifts, capacity, priorities, patience, transfers, escalations, reopens, ratings,
    two tiers and the tiered policy with overflow, on one busy week; with the loop as
    installed (compiled when built) and with the interpreted one, as without a compiler."""
    if loop == "interpreted":
        monkeypatch.setattr(kernel_module, "compiled_run", None)
    scenario = Scenario.model_validate(
        {
            "tickets": 1500,
            "arrivals_per_hour": 14,
            "hourly_profile": [0.3] * 8 + [2.0] * 10 + [0.5] * 6,
            "handle_time": {"kind": "lognormal", "mean_minutes": 12, "sd_minutes": 9},
            "patience": {"kind": "exponential", "mean_minutes": 180},
            "priorities": {"urgent": 1, "normal": 4, "low": 2},
            "categories": {"billing": 1, "technical": 1},
            "plans": {"free": 3, "pro": 1},
            "transfers": {"probability": 0.1, "queue": "billing"},
            "escalations": {"probability": 0.1, "queue": "technical"},
            "reopens": {"probability": 0.1},
            "csat": {"response_rate": 0.5},
            "agents": [
                {"count": 3, "capacity": 2, "shift": {"start_hour": 8, "hours": 9}},
                {"count": 1, "tier": 2, "name": "senior"},
            ],
        }
    )
    policy = tiered(overflow=True)
    drawn = draw_arrivals(scenario, seed=11)
    kernel = simulate(scenario, drawn, policy, fast=True)
    full = simulate(scenario, drawn, policy)
    assert kernel.columns is not None
    facts = full.facts
    assert all(
        (
            any(f.abandoned_at for f in facts),
            any(f.transfers for f in facts),
            any(f.escalations for f in facts),
            any(f.reopens for f in facts),
            any(f.csat is not None for f in facts),
            any(f.tier == 2 and f.resolver_team == "general" for f in facts),
        )
    )
    assert_same_books(full, kernel)


def user_eligibility(agent: object, ticket: object) -> bool:
    return True


class UrgentByField(Urgent):
    """The user's partitioned filter, naming the record field its ticket classes read."""

    ticket_fields = frozenset({"priority"})


COLUMN_KEYS: dict[str, Ordering] = {
    "fifo": by_arrival,
    "priority": by_priority,
    "easiest-first-aged": EasiestFirst(aging=0.05),
    "value": ValueFirst.of({"pro": 50.0}, first_time_boost=5.0),
}
"""Orderings with a column form."""


def user_filter(key: str, with_skills: bool) -> Ordered:
    """A user's partitioned filter under an ordering with a column form, with skills or not."""
    eligible = all_of(UrgentByField(), skills_match()) if with_skills else UrgentByField()
    return Ordered(f"{key}/urgent", COLUMN_KEYS[key], eligible)


USER_FILTERS = st.builds(user_filter, st.sampled_from(sorted(COLUMN_KEYS)), st.booleans())
"""The user's filters under every ordering with a column form."""


@settings(max_examples=4 * EXAMPLES, deadline=None)
@given(
    scenario=scenarios(every_feature=True),
    seed=st.integers(0, 2**32 - 1),
    policy=USER_FILTERS,
)
def test_a_user_filter_naming_its_ticket_fields_runs_in_the_kernel_with_the_same_books(
    scenario: Scenario, seed: int, policy: Ordered
) -> None:
    drawn = draw_arrivals(scenario, seed=seed)
    kernel = simulate(scenario, drawn, policy, sla=SLA, fast=True)
    assert kernel.columns is not None
    assert_same_books(simulate(scenario, drawn, policy, sla=SLA), kernel)


@pytest.mark.parametrize(
    ("change", "columnar"),
    [
        ({}, True),
        ({"arrivals": "list"}, False),
        ({"escalation": True}, True),
        ({"calendar": True}, False),
        ({"policy": sla_driven()}, False),  # its key moves with the SLA clock
        ({"policy": Ordered("user-key", declares(Read.TICKET)(lambda t: t.ticket_id))}, False),
        ({"policy": Ordered("undeclared", eligible=user_eligibility)}, False),
        ({"policy": Ordered("tier-only", eligible=same_tier())}, True),
    ],
    ids=["fifo", "list", "escalator", "business-hours", "sla", "user-key", "user-filter", "tier"],
)
def test_the_kernel_runs_only_what_it_can_run_exactly(
    change: dict[str, object], columnar: bool
) -> None:
    scenario = Scenario(
        tickets=50,
        arrivals_per_hour=20,
        handle_time=Exponential(mean_minutes=5),
        agents=(AgentGroup(count=2), AgentGroup(count=1, tier=2)),
    )
    if change.get("escalation"):
        path = AutoEscalation(path=((1, "general"), (2, "general")))
        scenario = scenario.model_copy(update={"escalation": path})
    sla = SlaTargets(calendar=BusinessHours()) if change.get("calendar") else SLA
    policy = change.get("policy", fifo())
    assert isinstance(policy, PullPolicy)
    drawn = draw_arrivals(scenario, seed=1)
    arrivals = list(drawn) if change.get("arrivals") else drawn
    assert runs_columnar(policy, arrivals, sla=sla) is columnar
    result = simulate(scenario, arrivals, policy, sla=sla, fast=None)
    assert (result.columns is not None) is columnar
    reference = simulate(scenario, list(drawn), policy, sla=sla)
    assert result.kpis() == reference.kpis()


def test_the_domain_rule_names_the_fields_its_ticket_classes_read() -> None:
    fields = getattr(DOMAIN_RULE, "ticket_fields", None)
    assert fields == frozenset({"tier", "required_skills", "language"})
    partition = tiered().partition
    assert partition is not None
    assert getattr(partition, "ticket_fields", None) == fields | {"queue"}


@settings(max_examples=EXAMPLES, deadline=None)
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1), cut=st.floats(0.0, 1.0))
def test_vectorised_sla_verdicts_equal_each_tickets_clock_at_any_instant(
    scenario: Scenario, seed: int, cut: float
) -> None:
    """The columns judge calendar-time clocks without pauses in one vectorised step; the
    SLA clock judges each ticket; they agree at any ``now`` within the run."""
    result = simulate(scenario, draw_arrivals(scenario, seed=seed), fifo(), sla=SLA)
    now = result.start + (result.end - result.start) * cut
    facts = list(result.facts)
    columns = TicketColumns.of(facts, now=now, sla=SLA)
    reply, resolution = _verdicts_one_by_one(facts, now, SLA)
    assert np.array_equal(columns.reply_verdict, reply)
    assert np.array_equal(columns.resolution_verdict, resolution)
    assert kpis_of(columns) == compute_kpis(facts, now=now, sla=SLA)


def test_kernel_results_make_their_books_once_and_only_when_read() -> None:
    scenario = Scenario(
        tickets=30, arrivals_per_hour=10, handle_time=Exponential(mean_minutes=5),
        agents=(AgentGroup(count=1),),
    )  # fmt: skip
    result = simulate(scenario, draw_arrivals(scenario, seed=2), fifo(), fast=True)
    assert result.columns is not None
    assert not result._kept
    kpis = result.kpis()
    assert not result._kept  # the KPIs come from the columns
    assert result.facts is result.facts
    assert len(result._kept) == 1
    assert compute_kpis(result.facts, now=result.end, sla=result.sla) == kpis
