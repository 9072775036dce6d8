"""The workload model and what the engine does with it.

Scenario validation and loading; the draws of transfers, escalations, reopens and
ratings (their shares, and common random numbers); empirical durations; the engine's
semantics on tiny hand-built cases (handoffs, reopens, ratings, capacity, shifts,
patience); fitting a CSAT model; and replaying a recorded history with shifts, capacity
and ratings.
"""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import attrs
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketlog import (
    AgentWentOffline,
    AgentWentOnline,
    Channel,
    ConfigurationError,
    DomainEvent,
    Priority,
    TicketAbandoned,
    TicketAssigned,
    TicketEscalated,
    TicketRated,
    TicketReopened,
    TicketResolved,
    TicketStatus,
    TicketTransferred,
)
from ticketlog.policies import PullPolicy, easiest_first, fifo, priority, sla_driven
from ticketlog.projections import TicketFacts, Workloads, fold
from ticketlog.simulation import (
    AgentGroup,
    Arrival,
    Exponential,
    Scenario,
    SimulationResult,
    draw_arrivals,
    load_scenario,
    simulate,
    trace_from_events,
)
from ticketlog.simulation.replay import RecordedShifts
from ticketlog.simulation.scenario import (
    AGENT_IDS,
    AutoEscalation,
    CsatModel,
    Empirical,
    Handoff,
    Reopens,
    Shift,
)

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
"""A Tuesday morning, as in ``tests/conftest.py``."""


def minutes(m: float) -> timedelta:
    return timedelta(minutes=m)


def desk(*groups: AgentGroup, csat: CsatModel | None = None, start: datetime = START) -> Scenario:
    """A scenario used only for its staffing (start, agents, CSAT model)."""
    return Scenario(
        start=start,
        tickets=1,
        arrivals_per_hour=1,
        handle_time=Exponential(mean_minutes=1),
        csat=csat,
        agents=groups or (AgentGroup(count=1),),
    )


def ticket(n: int, *, at: float, work: float, **fields: Any) -> Arrival:
    """Ticket ``n`` arriving ``at`` minutes after :data:`START`, needing ``work`` minutes."""
    return Arrival(
        ticket_id=UUID(int=n),
        at=START + minutes(at),
        priority=fields.pop("priority", Priority.NORMAL),
        category=fields.pop("category", "general"),
        channel=fields.pop("channel", Channel.EMAIL),
        work=minutes(work),
        **fields,
    )


def agent_ids(staffing: Scenario) -> list[UUID]:
    return [spec.agent_id for spec in staffing.agent_specs()]


def facts_of(result: SimulationResult) -> dict[int, TicketFacts]:
    """Facts by ticket number."""
    return {f.ticket_id.int: f for f in result.facts}


def of_ticket(result: SimulationResult, n: int) -> list[DomainEvent]:
    return [e for e in result.events if e.originator_id == UUID(int=n)]


def spells(events: Sequence[DomainEvent]) -> list[tuple[UUID, timedelta]]:
    """One ticket's assignment spells: (agent, how long they held it)."""
    held: list[tuple[UUID, timedelta]] = []
    holder: tuple[UUID, datetime] | None = None
    for event in events:
        if holder is not None and isinstance(
            event, TicketTransferred | TicketEscalated | TicketResolved
        ):
            held.append((holder[0], event.at - holder[1]))
            holder = None
        if isinstance(event, TicketAssigned):
            holder = (event.agent_id, event.at)
    return held


# --- scenario validation -----------------------------------------------------------------------


def scenario(**fields: Any) -> Scenario:
    """A small valid scenario (with a tier 2 agent) changed by ``fields``."""
    base: dict[str, Any] = {
        "tickets": 10,
        "arrivals_per_hour": 5,
        "handle_time": Exponential(mean_minutes=5),
        "agents": (AgentGroup(count=1), AgentGroup(count=1, tier=2)),
    }
    return Scenario(**(base | fields))


@given(
    transfer=st.floats(0.0, 1.0),
    escalation=st.floats(0.0, 1.0),
)
def test_transfer_and_escalation_probabilities_may_add_up_to_one_at_most(
    transfer: float, escalation: float
) -> None:
    fields = {
        "transfers": Handoff(probability=transfer),
        "escalations": Handoff(probability=escalation),
    }
    if transfer + escalation > 1.0:
        with pytest.raises(pydantic.ValidationError, match="add up to more than 1"):
            scenario(**fields)
    else:
        built = scenario(**fields)
        assert built.transfers == Handoff(probability=transfer)


@pytest.mark.parametrize(("transfer", "escalation"), [(0.6, 0.4), (0.7, 0.3), (1.0, 0.0)])
def test_handoff_probabilities_adding_up_to_exactly_one_are_accepted(
    transfer: float, escalation: float
) -> None:
    built = scenario(
        transfers=Handoff(probability=transfer), escalations=Handoff(probability=escalation)
    )
    assert built.escalations is not None
    assert built.escalations.probability == escalation


def test_escalations_need_agents_of_tier_two_or_more() -> None:
    tier_one = (AgentGroup(count=3), AgentGroup(count=1, name="other"))
    with pytest.raises(pydantic.ValidationError, match="escalations need agents of tier 2"):
        scenario(escalations=Handoff(probability=0.1), agents=tier_one)
    # Never escalating needs no tier 2; a tier 2 (or higher) group anywhere suffices.
    assert scenario(escalations=Handoff(probability=0.0), agents=tier_one).agents == tier_one
    assert scenario(transfers=Handoff(probability=0.5), agents=tier_one).transfers is not None
    higher = (AgentGroup(count=1, tier=3), AgentGroup(count=1))
    assert scenario(escalations=Handoff(probability=0.1), agents=higher).agents == higher


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Handoff(probability=1.5), "probability"),
        (lambda: Handoff(probability=-0.1), "probability"),
        (lambda: Reopens(probability=2.0), "probability"),
        (lambda: CsatModel(base=5.5), "base"),
        (lambda: CsatModel(response_rate=1.1), "response_rate"),
        (lambda: CsatModel(per_hour_waited=-0.1), "per_hour_waited"),
        (lambda: Shift(start_hour=24, hours=8), "start_hour"),
        (lambda: Shift(start_hour=9, hours=0), "hours"),
        (lambda: Shift(start_hour=9, hours=25), "hours"),
        (lambda: Shift(start_hour=9, hours=8, days=frozenset({7})), "days"),
        (lambda: Shift(start_hour=9, hours=8, days=frozenset()), "days"),
        (lambda: AgentGroup(count=1, capacity=0), "capacity"),
        (lambda: Empirical(minutes=()), "minutes"),
        (lambda: Empirical(minutes=(3.0, 0.0)), "minutes"),
    ],
)
def test_out_of_range_parts_of_a_scenario_are_rejected(
    build: Callable[[], object], field: str
) -> None:
    with pytest.raises(pydantic.ValidationError, match=field):
        build()


NEW_SECTIONS = """
tickets = 300
arrivals_per_hour = 12
start = 2026-11-23T00:00:00Z

[handle_time]
kind = "empirical"
minutes = [4.0, 9.5, 30.0]

[customer_values]
"0" = 3
"250.5" = 1

[transfers]
probability = 0.2
queue = "billing"

[escalations]
probability = 0.1
queue = "specialists"

[reopens]
probability = 0.15
after = { kind = "exponential", mean_minutes = 120 }
work = { kind = "lognormal", mean_minutes = 6, sd_minutes = 2 }

[csat]
base = 4.2
per_hour_waited = 0.3
response_rate = 0.4

[[agents]]
count = 2
capacity = 3
[agents.shift]
start_hour = 8.5
hours = 8
days = [0, 1, 2, 3, 4]

[[agents]]
count = 1
name = "specialist"
tier = 2
"""


def test_a_scenario_with_the_new_sections_is_loaded_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "desk.toml"
    path.write_text(NEW_SECTIONS)
    loaded = load_scenario(path)
    assert loaded.handle_time == Empirical(minutes=(4.0, 9.5, 30.0))
    assert loaded.customer_values == {0.0: 3.0, 250.5: 1.0}
    assert loaded.transfers == Handoff(probability=0.2, queue="billing")
    assert loaded.escalations == Handoff(probability=0.1, queue="specialists")
    assert loaded.reopens is not None
    assert loaded.reopens.after == Exponential(mean_minutes=120)
    assert loaded.reopens.work.kind == "lognormal"
    assert loaded.csat == CsatModel(base=4.2, per_hour_waited=0.3, response_rate=0.4)
    first, second = loaded.agents
    assert first.capacity == 3
    assert first.shift == Shift(start_hour=8.5, hours=8, days=frozenset(range(5)))
    assert (second.tier, second.shift, second.capacity) == (2, None, 1)
    specs = loaded.agent_specs()
    assert [(s.profile.capacity, s.rota) for s in specs] == [
        (3, first.shift),
        (3, first.shift),
        (1, None),
    ]
    arrivals = draw_arrivals(loaded, seed=1)
    assert {a.work for a in arrivals} <= {minutes(4.0), minutes(9.5), minutes(30.0)}
    assert {a.customer_value for a in arrivals} == {0.0, 250.5}
    assert {a.handoff for a in arrivals} == {None, "transfer", "escalate"}
    assert {a.handoff_queue for a in arrivals if a.handoff == "escalate"} == {"specialists"}
    result = simulate(loaded, arrivals, fifo(), fast=True)
    assert result.kpis().resolved == 300


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[transfers]\nprobability = 0.7\n[escalations]\nprobability = 0.4\n", "more than 1"),
        ("[escalations]\nprobability = 0.1\n", "tier 2"),
        ("[transfers]\nprobability = 1.5\n", "transfers.probability"),
        ("[reopens]\nprobability = 0.1\nafter = { kind = 'weibull' }\n", "reopens.after"),
        ("[reopens]\nprobability = 0.1\nwhen = 3\n", "reopens.when"),
        ("[csat]\nbase = 7\n", "csat.base"),
        ("[customer_values]\nlots = 1\n", "customer_values"),
    ],
)
def test_a_bad_scenario_file_with_the_new_sections_is_one_clear_configuration_error(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'tickets = 10\narrivals_per_hour = 5\n[handle_time]\nkind = "exponential"\n'
        f"mean_minutes = 5\n[[agents]]\ncount = 1\n{text}"
    )
    with pytest.raises(ConfigurationError, match=message) as excinfo:
        load_scenario(path)
    assert "\n" not in str(excinfo.value)
    assert str(path) in str(excinfo.value)


@pytest.mark.parametrize(
    ("agents", "message"),
    [
        ("[[agents]]\ncount = 1\ncapacity = 0\n", "agents.0.capacity"),
        ("[[agents]]\ncount = 1\n[agents.shift]\nstart_hour = 9\nhours = 8\ndays = [7]\n", "days"),
        ("[[agents]]\ncount = 1\n[agents.shift]\nhours = 8\n", "agents.0.shift.start_hour"),
    ],
)
def test_a_bad_agent_group_in_a_scenario_file_is_one_clear_configuration_error(
    tmp_path: Path, agents: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'tickets = 10\narrivals_per_hour = 5\n[handle_time]\nkind = "exponential"\n'
        f"mean_minutes = 5\n{agents}"
    )
    with pytest.raises(ConfigurationError, match=message) as excinfo:
        load_scenario(path)
    assert "\n" not in str(excinfo.value)


# --- draws -------------------------------------------------------------------------------------


def within_4_sigma(count: int, n: int, p: float) -> bool:
    return abs(count - n * p) <= 4 * math.sqrt(n * p * (1 - p))


SAME_TICKETS = ("ticket_id", "at", "priority", "category", "channel", "work", "customer_id")
"""What makes the same tickets: when they arrive, what they are, how much work they take."""


def drawn(arrivals: Sequence[Arrival], fields: Sequence[str]) -> list[tuple[Any, ...]]:
    """The ``fields`` of every arrival, in order."""
    return [tuple(getattr(a, name) for name in fields) for a in arrivals]


def test_transfers_escalations_reopens_and_ratings_are_drawn_at_their_configured_rates() -> None:
    n = 20_000
    model = scenario(
        tickets=n,
        transfers=Handoff(probability=0.2, queue="billing"),
        escalations=Handoff(probability=0.1, queue="specialists"),
        reopens=Reopens(
            probability=0.15, after=Exponential(mean_minutes=90), work=Exponential(mean_minutes=4)
        ),
        csat=CsatModel(response_rate=0.3),
    )
    arrivals = draw_arrivals(model, seed=3)
    kinds = Counter(a.handoff for a in arrivals)
    assert set(kinds) == {None, "transfer", "escalate"}
    assert within_4_sigma(kinds["transfer"], n, 0.2)
    assert within_4_sigma(kinds["escalate"], n, 0.1)
    reopening = [a for a in arrivals if a.reopen_after is not None]
    assert within_4_sigma(len(reopening), n, 0.15)
    rating = [a.rating_noise for a in arrivals if a.rating_noise is not None]
    assert within_4_sigma(len(rating), n, 0.3)
    # What comes with each outcome is drawn from its distribution.
    assert {a.handoff_queue for a in arrivals if a.handoff == "transfer"} == {"billing"}
    shares = [a.handoff_after / a.work for a in arrivals if a.handoff is not None]
    assert all(0.0 <= s < 1.0 for s in shares)
    assert abs(statistics.fmean(shares) - 0.5) < 4 * math.sqrt(1 / 12 / len(shares))
    assert all(a.handoff_after == timedelta(0) for a in arrivals if a.handoff is None)
    after = [a.reopen_after.total_seconds() / 60 for a in reopening if a.reopen_after]
    assert abs(statistics.fmean(after) - 90) < 4 * 90 / math.sqrt(len(after))
    assert all(a.reopen_work == timedelta(0) for a in arrivals if a.reopen_after is None)
    assert abs(statistics.fmean(rating)) < 4 / math.sqrt(len(rating))  # standard normal moods
    assert abs(statistics.stdev(rating) - 1) < 0.05


def test_customer_values_are_drawn_by_weight_without_changing_the_tickets() -> None:
    plain = scenario(tickets=20_000)
    valued = plain.model_copy(update={"customer_values": {0.0: 3.0, 100.0: 1.0, 2500.0: 0.5}})
    before, after = draw_arrivals(plain, seed=4), draw_arrivals(valued, seed=4)
    assert {a.customer_value for a in before} == {0.0}
    values = Counter(a.customer_value for a in after)
    assert set(values) == {0.0, 100.0, 2500.0}
    assert within_4_sigma(values[100.0], 20_000, 1.0 / 4.5)
    assert within_4_sigma(values[2500.0], 20_000, 0.5 / 4.5)
    assert drawn(after, SAME_TICKETS) == drawn(before, SAME_TICKETS)


def test_without_the_new_sections_nothing_is_handed_off_reopened_or_rated() -> None:
    arrivals = draw_arrivals(scenario(tickets=2_000), seed=3)
    assert {(a.handoff, a.reopen_after, a.rating_noise) for a in arrivals} == {(None, None, None)}


def test_every_drawn_outcome_happens_in_the_run() -> None:
    model = scenario(
        tickets=2_000,
        transfers=Handoff(probability=0.2, queue="billing"),
        escalations=Handoff(probability=0.1, queue="specialists"),
        reopens=Reopens(probability=0.15, after=Exponential(mean_minutes=90)),
        csat=CsatModel(response_rate=0.3),
        agents=(AgentGroup(count=3), AgentGroup(count=2, tier=2)),
    )
    arrivals = draw_arrivals(model, seed=5)
    result = simulate(model, arrivals, fifo(), fast=True)
    facts = {f.ticket_id: f for f in result.facts}
    for a in arrivals:
        f = facts[a.ticket_id]
        assert f.transfers == (a.handoff == "transfer")
        assert f.escalations == (a.handoff == "escalate")
        assert f.reopens == (a.reopen_after is not None)
        assert f.resolutions == 1 + f.reopens
        assert (f.csat is not None) == (a.rating_noise is not None)
        assert f.handle_time == a.work + a.reopen_work
    kpis = result.kpis()
    assert kpis.transfer_rate == pytest.approx(
        100 * sum(a.handoff == "transfer" for a in arrivals) / 2_000
    )
    assert kpis.csat_count == sum(a.rating_noise is not None for a in arrivals)


@settings(max_examples=20)
@given(
    seed=st.integers(0, 2**32 - 1),
    probability=st.floats(0.0, 1.0),
    others=st.booleans(),
)
def test_adding_transfers_keeps_the_same_tickets_for_the_same_seed(
    seed: int, probability: float, others: bool
) -> None:
    base = scenario(
        tickets=200,
        priorities={Priority.URGENT: 1, Priority.NORMAL: 4},
        categories={"billing": 1, "technical": 1},
        plans={"free": 1, "pro": 1} if others else None,
        customer_values={0.0: 2, 500.0: 1} if others else None,
        reopens=Reopens(probability=0.3) if others else None,
        csat=CsatModel() if others else None,
    )
    with_transfers = base.model_copy(update={"transfers": Handoff(probability=probability)})
    before, after = draw_arrivals(base, seed=seed), draw_arrivals(with_transfers, seed=seed)
    fields = (*SAME_TICKETS, "plan", "customer_value", "first_time", "language")
    assert drawn(after, fields) == drawn(before, fields)
    assert {a.handoff for a in before} == {None}


def test_adding_patience_keeps_the_same_tickets_for_the_same_seed() -> None:
    base = scenario(tickets=200, priorities={Priority.URGENT: 1, Priority.NORMAL: 4})
    patient = base.model_copy(update={"patience": Exponential(mean_minutes=30)})
    before, after = draw_arrivals(base, seed=1), draw_arrivals(patient, seed=1)
    assert drawn(after, SAME_TICKETS) == drawn(before, SAME_TICKETS)


def test_adding_reopens_or_ratings_keeps_the_same_handoffs_for_the_same_seed() -> None:
    base = scenario(
        tickets=500, transfers=Handoff(probability=0.3), escalations=Handoff(probability=0.1)
    )
    plain = drawn(draw_arrivals(base, seed=1), ("handoff", "handoff_after"))
    for update in ({"reopens": Reopens(probability=0.3)}, {"csat": CsatModel()}):
        richer = draw_arrivals(base.model_copy(update=update), seed=1)
        assert drawn(richer, ("handoff", "handoff_after")) == plain, update


def test_adding_transfers_keeps_the_same_reopens_and_ratings_for_the_same_seed() -> None:
    base = scenario(tickets=500, reopens=Reopens(probability=0.3), csat=CsatModel())
    with_transfers = base.model_copy(update={"transfers": Handoff(probability=0.3)})
    fields = ("reopen_after", "reopen_work", "rating_noise")
    assert drawn(draw_arrivals(with_transfers, seed=1), fields) == drawn(
        draw_arrivals(base, seed=1), fields
    )


# --- empirical durations -----------------------------------------------------------------------


@given(
    observed=st.lists(st.floats(0.01, 10_000.0), min_size=1, max_size=20),
    seed=st.integers(0, 2**32 - 1),
)
def test_an_empirical_distribution_draws_only_observed_values(
    observed: list[float], seed: int
) -> None:
    distribution = Empirical(minutes=tuple(observed))
    rng = random.Random(seed)  # noqa: S311 - a seeded stream, as the engine passes in
    draws = [distribution.draw(rng) for _ in range(200)]
    assert set(draws) <= set(observed)


def test_an_empirical_distribution_draws_each_observation_equally_often() -> None:
    distribution = Empirical(minutes=(1.0, 2.0, 3.0, 3.0))  # 3.0 observed twice
    rng = random.Random(7)  # noqa: S311 - a seeded stream, as the engine passes in
    counts = Counter(distribution.draw(rng) for _ in range(20_000))
    assert within_4_sigma(counts[1.0], 20_000, 0.25)
    assert within_4_sigma(counts[2.0], 20_000, 0.25)
    assert within_4_sigma(counts[3.0], 20_000, 0.5)


def test_a_scenario_with_empirical_handle_times_gives_tickets_only_observed_work() -> None:
    observed = (2.5, 7.0, 45.0)
    model = scenario(tickets=1_000, handle_time=Empirical(minutes=observed))
    works = Counter(a.work for a in draw_arrivals(model, seed=2))
    assert set(works) == {minutes(m) for m in observed}


@given(st.lists(st.integers(-600, 6_000).map(lambda s: timedelta(seconds=s)), max_size=30))
def test_empirical_of_durations_keeps_the_positive_ones_in_minutes(
    durations: list[timedelta],
) -> None:
    positive = [d.total_seconds() / 60 for d in durations if d > timedelta(0)]
    if not positive:
        with pytest.raises(ConfigurationError, match="at least one positive duration"):
            Empirical.of(durations)
    else:
        assert Empirical.of(durations).minutes == tuple(positive)


def test_empirical_of_drops_zero_durations_and_refuses_none_at_all() -> None:
    assert Empirical.of([minutes(3), timedelta(0), minutes(0.5)]).minutes == (3.0, 0.5)
    with pytest.raises(ConfigurationError):
        Empirical.of([])
    with pytest.raises(ConfigurationError):
        Empirical.of([timedelta(0), timedelta(0)])


# --- engine semantics ----------------------------------------------------------------------------


@given(
    work=st.integers(1, 10**10).map(lambda us: timedelta(microseconds=us)),
    share=st.floats(0.0, 1.0, exclude_max=True),
    agents=st.integers(1, 2),
)
def test_a_transferred_ticket_is_held_in_two_spells_that_add_up_to_its_work(
    work: timedelta, share: float, agents: int
) -> None:
    staffing = desk(AgentGroup(count=agents))
    arrival = attrs.evolve(
        ticket(1, at=0, work=0),
        work=work,
        handoff="transfer",
        handoff_after=work * share,
        handoff_queue="billing",
    )
    result = simulate(staffing, [arrival], fifo())
    held = spells(of_ticket(result, 1))
    assert len(held) == 2
    assert held[0][1] + held[1][1] == work
    f = facts_of(result)[1]
    assert (f.transfers, f.escalations, f.resolutions, f.queue) == (1, 0, 1, "billing")
    assert f.handle_time == work
    assert f.resolved_at == START + work  # nobody else to serve: no wait in between
    assert not f.first_contact_resolution
    [transfer] = [e for e in result.events if isinstance(e, TicketTransferred)]
    assert (transfer.from_queue, transfer.to_queue, transfer.to_agent_id) == (
        "general",
        "billing",
        None,
    )
    assert transfer.at == START + held[0][1]


def test_a_transferred_ticket_goes_to_whoever_the_policy_picks_next() -> None:
    staffing = desk(AgentGroup(count=2))
    first, second = agent_ids(staffing)
    arrivals = [
        ticket(
            1, at=0, work=40, handoff="transfer", handoff_after=minutes(10), handoff_queue="billing"
        ),
        ticket(2, at=1, work=100),
    ]
    result = simulate(staffing, arrivals, fifo())
    # The first agent takes 1, the second 2; the first transfers 1 after 10 minutes and,
    # free again, takes it back from the queue.
    assert spells(of_ticket(result, 1)) == [(first, minutes(10)), (first, minutes(30))]
    assert spells(of_ticket(result, 2)) == [(second, minutes(100))]


def test_an_escalated_ticket_ends_at_tier_two_resolved_by_a_tier_two_agent() -> None:
    staffing = desk(AgentGroup(count=2, name="first-line"), AgentGroup(count=1, tier=2))
    ann, bob, senior = agent_ids(staffing)
    arrivals = [
        ticket(1, at=0, work=120),
        ticket(
            2, at=1, work=20, handoff="escalate", handoff_after=minutes(10), handoff_queue="experts"
        ),
        ticket(3, at=2, work=120),
    ]
    result = simulate(staffing, arrivals, fifo())
    # Bob escalates ticket 2 at minute 11; although Bob is free, only the senior agent may
    # take it, once done with ticket 3 at minute 122.
    assert spells(of_ticket(result, 2)) == [(bob, minutes(10)), (senior, minutes(10))]
    [escalated] = [e for e in result.events if isinstance(e, TicketEscalated)]
    assert (escalated.at, escalated.from_tier, escalated.to_tier) == (START + minutes(11), 1, 2)
    assert (escalated.from_queue, escalated.to_queue) == ("general", "experts")
    f = facts_of(result)[2]
    assert (f.tier, f.queue, f.escalations, f.transfers) == (2, "experts", 1, 0)
    assert (f.first_agent_id, f.resolver_id) == (bob, senior)
    assert f.resolved_at == START + minutes(132)
    assert f.handle_time == minutes(20)
    assert facts_of(result)[3].first_agent_id == senior
    assert facts_of(result)[1].first_agent_id == ann


def test_a_reopened_ticket_is_resolved_twice_and_its_resolution_time_counts_the_last() -> None:
    staffing = desk()
    arrival = ticket(1, at=0, work=10, reopen_after=minutes(60), reopen_work=minutes(5))
    result = simulate(staffing, [arrival], fifo())
    kinds = [type(e).__name__ for e in of_ticket(result, 1)]
    assert kinds == [
        "TicketReceived",
        "TicketAssigned",
        "TicketResponded",
        "TicketResolved",
        "TicketReopened",
        "TicketAssigned",
        "TicketResponded",
        "TicketResolved",
    ]
    resolved = [e.at for e in result.events if isinstance(e, TicketResolved)]
    assert resolved == [START + minutes(10), START + minutes(75)]
    [reopened] = [e for e in result.events if isinstance(e, TicketReopened)]
    assert reopened.at == resolved[0] + minutes(60)  # reopen_after after the first
    f = facts_of(result)[1]
    assert (f.resolutions, f.reopens, f.status) == (2, 1, TicketStatus.RESOLVED)
    assert f.resolution_time == minutes(75)
    assert f.wait == timedelta(0)
    assert f.handle_time == minutes(15)
    kpis = result.kpis()
    assert kpis.resolution.mean == minutes(75)
    assert (kpis.reopen_rate, kpis.fcr) == (100.0, 0.0)
    assert result.backlog.at(START + minutes(30)) == 0  # resolved until the customer returns
    assert result.backlog.at(START + minutes(72)) == 1
    assert result.end == START + minutes(75)


MODEL = CsatModel(base=4.6, per_hour_waited=1.5, per_hour_to_resolve=0.6, sd=0.8)


def test_a_rating_comes_at_the_final_resolution_and_follows_the_csat_model() -> None:
    staffing = desk(csat=MODEL)
    arrivals = [
        ticket(1, at=0, work=50, rating_noise=0.4),
        ticket(2, at=10, work=30, rating_noise=-1.3),  # waits 40 minutes for the agent
        ticket(3, at=20, work=5),  # does not rate
        ticket(4, at=30, work=10, rating_noise=0.9, reopen_after=minutes(90)),
    ]
    result = simulate(staffing, arrivals, fifo())
    facts = facts_of(result)
    ratings = {e.originator_id.int: e for e in result.events if isinstance(e, TicketRated)}
    assert set(ratings) == {1, 2, 4}
    for n, noise in ((1, 0.4), (2, -1.3), (4, 0.9)):
        f = facts[n]
        assert f.wait is not None
        assert f.resolution_time is not None
        assert ratings[n].at == f.resolved_at
        assert ratings[n].csat == f.csat == MODEL.score(f.wait, f.resolution_time, noise)
    assert facts[2].wait == minutes(40)
    # Ticket 4 is rated once, after it was resolved the second time.
    assert facts[4].resolutions == 2
    rated_at = ratings[4].at
    assert rated_at == max(e.at for e in of_ticket(result, 4) if isinstance(e, TicketResolved))
    # By hand: 4.6 - 1.5 * wait - 0.6 * resolution (hours) + 0.8 * mood, rounded.
    # 1: 4.6 - 0 - 0.5 + 0.32 = 4.42; 2: 4.6 - 1 - 0.7 - 1.04 = 1.86;
    # 4 (waits 55 minutes, resolved after 155): 4.6 - 1.375 - 1.55 + 0.72 = 2.395.
    assert [ratings[n].csat for n in (1, 2, 4)] == [4, 2, 2]


def test_without_a_csat_model_nobody_rates() -> None:
    result = simulate(desk(), [ticket(1, at=0, work=5, rating_noise=2.0)], fifo())
    assert not any(isinstance(e, TicketRated) for e in result.events)
    assert result.kpis().csat_count == 0


HANDOFFS: list[Literal["transfer", "escalate"] | None] = [None, "transfer", "escalate"]


@st.composite
def rated_runs(draw: st.DrawFn) -> list[Arrival]:
    count = draw(st.integers(1, 30))
    arrivals = []
    for n in range(count):
        work = draw(st.floats(0.5, 60.0))
        arrivals.append(
            ticket(
                n + 1,
                at=draw(st.integers(0, 300)),
                work=work,
                rating_noise=draw(st.none() | st.floats(-3.0, 3.0)),
                reopen_after=draw(st.none() | st.integers(1, 600).map(minutes)),
                reopen_work=minutes(draw(st.floats(0.0, 10.0))),
                handoff=draw(st.sampled_from(HANDOFFS)),
                handoff_after=minutes(work) * draw(st.floats(0.0, 1.0, exclude_max=True)),
            )
        )
    return arrivals


@settings(max_examples=30, deadline=None)
@given(arrivals=rated_runs(), base=st.floats(1.0, 5.0), per_hour=st.floats(0.0, 3.0))
def test_every_customer_who_rates_does_so_once_by_the_model(
    arrivals: list[Arrival], base: float, per_hour: float
) -> None:
    model = CsatModel(base=base, per_hour_waited=per_hour, per_hour_to_resolve=per_hour / 4)
    staffing = desk(AgentGroup(count=1), AgentGroup(count=1, tier=2), csat=model)
    result = simulate(staffing, arrivals, fifo())
    facts = {f.ticket_id: f for f in result.facts}
    ratings = [e for e in result.events if isinstance(e, TicketRated)]
    assert len({e.originator_id for e in ratings}) == len(ratings)  # at most once each
    expected = {a.ticket_id for a in arrivals if a.rating_noise is not None}
    assert {e.originator_id for e in ratings} == expected
    noise = {a.ticket_id: a.rating_noise for a in arrivals}
    for event in ratings:
        f = facts[event.originator_id]
        assert f.status is TicketStatus.RESOLVED
        assert event.at == f.resolved_at
        mood = noise[event.originator_id]
        assert f.wait is not None
        assert f.resolution_time is not None
        assert mood is not None
        assert event.csat == model.score(f.wait, f.resolution_time, mood)


def test_an_agent_of_capacity_two_holds_two_tickets_at_once() -> None:
    arrivals = [
        ticket(1, at=0, work=30),
        ticket(2, at=1, work=30),
        ticket(3, at=2, work=30),
    ]
    two = simulate(desk(AgentGroup(count=1, capacity=2)), arrivals, fifo())
    [agent] = two.workloads.agent_ids()
    held = fold(Workloads(), two.events, until=START + minutes(5)).held_by(agent)
    assert held == {UUID(int=1), UUID(int=2)}
    facts = facts_of(two)
    assert [facts[n].wait for n in (1, 2, 3)] == [timedelta(0), timedelta(0), minutes(28)]
    assert [facts[n].resolved_at for n in (1, 2, 3)] == [
        START + minutes(30),
        START + minutes(31),
        START + minutes(60),
    ]
    one = simulate(desk(AgentGroup(count=1)), arrivals, fifo())
    assert [facts_of(one)[n].wait for n in (1, 2, 3)] == [timedelta(0), minutes(29), minutes(58)]


def shift_history() -> tuple[Scenario, SimulationResult]:
    """Four and a half days of tickets, served by agents of capacity 2 working 9 to 17 on
    weekdays and one working 15:30 to 21:30 on Monday, Wednesday, Friday and Saturday."""
    model = Scenario(
        start=datetime(2026, 11, 23, 0, 0, tzinfo=UTC),  # a Monday, midnight
        tickets=300,
        arrivals_per_hour=3,
        handle_time=Exponential(mean_minutes=40),
        agents=(
            AgentGroup(count=2, capacity=2, shift=Shift(start_hour=9, hours=8)),
            AgentGroup(
                count=1,
                name="evening",
                shift=Shift(start_hour=15.5, hours=6, days=frozenset({0, 2, 4, 5})),
            ),
        ),
    )
    return model, simulate(model, draw_arrivals(model, seed=8), fifo())


Interval = tuple[datetime, datetime | None]


def online_intervals(events: Sequence[DomainEvent]) -> dict[UUID, list[Interval]]:
    """Each agent's online intervals, from their presence events (``None``: still online)."""
    intervals: dict[UUID, list[Interval]] = defaultdict(list)
    for event in events:
        if isinstance(event, AgentWentOnline):
            intervals[event.originator_id].append((event.at, None))
        elif isinstance(event, AgentWentOffline):
            start, end = intervals[event.originator_id][-1]
            assert end is None  # offline only after online
            intervals[event.originator_id][-1] = (start, event.at)
    return intervals


def online(intervals: Sequence[Interval], at: datetime, *, until_end: bool = False) -> bool:
    """Whether ``at`` falls in one of ``intervals`` (their ends included with ``until_end``)."""
    return any(
        start <= at and (end is None or at < end or (until_end and at == end))
        for start, end in intervals
    )


def test_agents_take_tickets_only_during_their_shifts() -> None:
    model, result = shift_history()
    intervals = online_intervals(result.events)
    assignments = [e for e in result.events if isinstance(e, TicketAssigned)]
    assert len(assignments) == 300
    specs = {spec.agent_id: spec for spec in model.agent_specs()}
    for event in assignments:
        assert online(intervals[event.agent_id], event.at)
        shift = specs[event.agent_id].rota
        assert isinstance(shift, Shift)
        hours = event.at.hour + event.at.minute / 60 + event.at.second / 3600
        assert event.at.weekday() in shift.days
        assert shift.start_hour <= hours < shift.start_hour + shift.hours


def test_agents_finish_the_tickets_they_hold_after_their_shift_ends() -> None:
    _, result = shift_history()
    intervals = online_intervals(result.events)
    holder: dict[UUID, UUID] = {}
    late = 0
    for event in result.events:
        if isinstance(event, TicketAssigned):
            holder[event.originator_id] = event.agent_id
        elif isinstance(event, TicketResolved):
            agent = holder[event.originator_id]
            assert event.actor_id == agent  # whoever took it resolves it, shift or not
            late += not online(intervals[agent], event.at, until_end=True)
    assert late > 0  # the case happens in this history


def test_agents_go_online_and_offline_once_per_working_day() -> None:
    model, result = shift_history()
    day_shift, evening = model.agents[0].shift, model.agents[1].shift
    assert day_shift is not None
    assert evening is not None
    names = {spec.agent_id: spec.name for spec in model.agent_specs()}
    last_day = result.end.date()
    for agent, name in names.items():
        shift = evening if name.startswith("evening") else day_shift
        went = [
            (type(e).__name__, e.at)
            for e in result.events
            if e.originator_id == agent and isinstance(e, AgentWentOnline | AgentWentOffline)
        ]
        expected: list[tuple[str, datetime]] = []
        day = model.start
        while day.date() <= last_day:
            if day.weekday() in shift.days:
                on = day + timedelta(hours=shift.start_hour)
                off = on + timedelta(hours=shift.hours)
                expected += [("AgentWentOnline", on), ("AgentWentOffline", off)]
            day += timedelta(days=1)
        expected = [(kind, at) for kind, at in expected if at <= result.end]
        assert went == expected, name
    assert (result.end - model.start).days >= 4  # several working days were covered


def test_a_handoff_after_more_than_the_work_is_refused_or_keeps_the_log_in_time_order() -> None:
    try:
        arrival = ticket(1, at=0, work=10, handoff="transfer", handoff_after=minutes(30))
        result = simulate(desk(), [arrival], fifo())
    except (ValueError, ConfigurationError):
        return  # refused: fine
    instants = [event.at for event in result.events]
    assert instants == sorted(instants)


def test_a_ticket_arriving_after_a_quiet_spell_is_served_at_the_next_shift() -> None:
    staffing = desk(
        AgentGroup(count=1, shift=Shift(start_hour=8, hours=8, days=frozenset(range(7))))
    )
    arrivals = [ticket(1, at=0, work=10), ticket(2, at=10 * 24 * 60 + 11 * 60, work=10)]
    result = simulate(staffing, arrivals, fifo())
    late = facts_of(result)[2]  # arrives at 20:00, ten days after ticket 1; shift at 8:00
    assert late.first_assigned_at == datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


def test_patience_abandons_only_tickets_nobody_has_taken() -> None:
    staffing = desk()
    arrivals = [
        # Taken at once, transferred after 30 minutes, then waits behind the urgent
        # ticket 2 until minute 130: long past its patience, yet not abandoned.
        ticket(
            1,
            at=0,
            work=60,
            patience=minutes(40),
            handoff="transfer",
            handoff_after=minutes(30),
        ),
        ticket(2, at=1, work=100, priority=Priority.URGENT),
        ticket(3, at=2, work=5, patience=minutes(45)),  # never taken: gives up at minute 47
    ]
    result = simulate(staffing, arrivals, priority())
    facts = facts_of(result)
    assert facts[1].abandoned_at is None
    assert spells(of_ticket(result, 1))[1][1] == minutes(30)
    assert facts[1].resolved_at == START + minutes(160)
    assert facts[3].abandoned_at == START + minutes(47)
    assert facts[3].first_assigned_at is None
    assert [e.originator_id.int for e in result.events if isinstance(e, TicketAbandoned)] == [3]


def test_a_reopened_ticket_waiting_past_the_customers_patience_is_not_abandoned() -> None:
    arrivals = [
        ticket(
            1,
            at=0,
            work=10,
            patience=minutes(30),
            reopen_after=minutes(5),
            reopen_work=minutes(10),
        ),
        ticket(2, at=12, work=100, priority=Priority.URGENT),
    ]
    result = simulate(desk(), arrivals, priority())
    f = facts_of(result)[1]
    assert f.abandoned_at is None
    assert (f.resolutions, f.resolved_at) == (2, START + minutes(122))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    patience=st.floats(1.0, 60.0),
    transfers=st.floats(0.0, 0.5),
)
def test_abandoned_tickets_were_never_taken_and_gave_up_when_their_patience_ran_out(
    seed: int, patience: float, transfers: float
) -> None:
    model = scenario(
        tickets=120,
        arrivals_per_hour=30,
        handle_time=Exponential(mean_minutes=6),
        patience=Exponential(mean_minutes=patience),
        transfers=Handoff(probability=transfers),
        agents=(AgentGroup(count=2),),
    )
    arrivals = draw_arrivals(model, seed=seed)
    result = simulate(model, arrivals, fifo(), fast=True)
    facts = {f.ticket_id: f for f in result.facts}
    for a in arrivals:
        f = facts[a.ticket_id]
        assert a.patience is not None
        if f.abandoned_at is not None:
            assert f.first_assigned_at is None
            assert f.abandoned_at == a.at + a.patience
        else:
            assert f.wait is not None
            assert f.wait < a.patience
            assert f.resolutions == 1


# --- fitting a CSAT model ----------------------------------------------------------------------


def rated(n: int, wait: timedelta, resolution: timedelta, csat: int | None) -> TicketFacts:
    """A resolved ticket's facts with the given wait, resolution time and rating."""
    return TicketFacts(
        ticket_id=UUID(int=n),
        channel=Channel.EMAIL,
        category="general",
        priority=Priority.NORMAL,
        language="en",
        plan=None,
        customer_value=0.0,
        first_time=False,
        queue="general",
        tier=1,
        received_at=START,
        status=TicketStatus.RESOLVED,
        first_assigned_at=START + wait,
        resolved_at=START + resolution,
        resolutions=1,
        csat=csat,
    )


def synthetic_history(
    *, base: float, per_wait: float, per_resolution: float, sd: float, n: int, seed: int
) -> list[TicketFacts]:
    """``n`` rated tickets whose ratings follow the model (rounded, clamped to 1-5), and as
    many resolved tickets nobody rated."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data from a seeded stream
    facts = []
    for i in range(n):
        wait = rng.uniform(0.0, 2.0)
        resolution = wait + rng.uniform(0.1, 28.0)
        raw = base - per_wait * wait - per_resolution * resolution + sd * rng.gauss()
        score = min(max(round(raw), 1), 5)
        facts.append(rated(i + 1, timedelta(hours=wait), timedelta(hours=resolution), score))
        facts.append(rated(n + i + 1, timedelta(hours=wait), timedelta(hours=resolution), None))
    return facts


def test_fitting_a_csat_model_recovers_the_coefficients_that_made_the_ratings() -> None:
    facts = synthetic_history(base=4.0, per_wait=0.3, per_resolution=0.05, sd=0.5, n=4_000, seed=1)
    fitted = CsatModel.fit(facts)
    assert fitted.base == pytest.approx(4.0, abs=0.1)
    assert fitted.per_hour_waited == pytest.approx(0.3, abs=0.06)
    assert fitted.per_hour_to_resolve == pytest.approx(0.05, abs=0.005)
    # The residual spread is the mood's plus the rounding's (uniform, variance 1/12).
    assert fitted.sd == pytest.approx(math.sqrt(0.5**2 + 1 / 12), abs=0.05)
    assert fitted.response_rate == pytest.approx(0.5)


def test_fitting_noise_free_ratings_recovers_the_model_exactly() -> None:
    # Waiting w hours and then working r more: csat = 5 - w - r / 4
    # = 5 - 0.75 * wait - 0.25 * resolution, an integer on this grid.
    grid = [(w, r) for w in range(2) for r in (0, 4, 8, 12)]
    facts = [
        rated(n, timedelta(hours=w), timedelta(hours=w + r), 5 - w - r // 4)
        for n, (w, r) in enumerate(grid, start=1)
    ]
    assert len({f.csat for f in facts}) > 2
    fitted = CsatModel.fit(facts)
    assert fitted.base == pytest.approx(5.0, abs=1e-9)
    assert fitted.per_hour_waited == pytest.approx(0.75, abs=1e-9)
    assert fitted.per_hour_to_resolve == pytest.approx(0.25, abs=1e-9)
    assert fitted.sd == pytest.approx(0.0, abs=1e-9)
    assert fitted.response_rate == 1.0


@settings(max_examples=20, deadline=None)
@given(
    base=st.floats(3.0, 4.5),
    per_wait=st.floats(0.0, 0.5),
    per_resolution=st.floats(0.0, 0.05),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_fitted_csat_model_predicts_the_mean_rating_it_was_fitted_to(
    base: float, per_wait: float, per_resolution: float, seed: int
) -> None:
    facts = synthetic_history(
        base=base, per_wait=per_wait, per_resolution=per_resolution, sd=0.6, n=400, seed=seed
    )
    fitted = CsatModel.fit(facts)
    predicted, scores = [], []
    for f in facts:
        if f.csat is not None and f.wait is not None and f.resolution_time is not None:
            predicted.append(fitted.score(f.wait, f.resolution_time, 0.0, rounded=False))
            scores.append(f.csat)
    # Least squares with an intercept: residuals sum to zero, unless a clamp stepped in.
    if fitted.per_hour_waited > 0 and fitted.per_hour_to_resolve > 0 and 1 < fitted.base < 5:
        assert statistics.fmean(predicted) == pytest.approx(statistics.fmean(scores), abs=1e-9)
    assert 1.0 <= fitted.base <= 5.0
    assert fitted.per_hour_waited >= 0
    assert fitted.per_hour_to_resolve >= 0
    assert fitted.response_rate == pytest.approx(0.5)


def test_fitting_a_csat_model_needs_at_least_four_ratings() -> None:
    three = [rated(n, minutes(n), minutes(10 * n * n), 4) for n in (1, 2, 3)]
    unrated = [rated(9, minutes(1), minutes(5), None)]
    with pytest.raises(ConfigurationError, match="at least 4 rated tickets, not 3"):
        CsatModel.fit(three + unrated)
    four = [*three, rated(4, minutes(7), minutes(20), 2)]
    assert CsatModel.fit(four + unrated).response_rate == pytest.approx(0.8)


@pytest.mark.parametrize(
    "resolution",
    [
        lambda wait: wait + timedelta(hours=1),  # a constant handle time
        lambda wait: 3 * wait,
    ],
    ids=["wait-plus-constant", "proportional"],
)
def test_fitting_a_csat_model_refuses_collinear_waits_and_resolution_times(
    resolution: Callable[[timedelta], timedelta],
) -> None:
    facts = [rated(n, minutes(7 * n), resolution(minutes(7 * n)), 1 + n % 5) for n in range(1, 30)]
    with pytest.raises(ConfigurationError, match="do not vary independently"):
        CsatModel.fit(facts)


def test_a_resolution_time_that_never_varies_is_left_out_of_the_fit() -> None:
    # Every ticket resolved five hours after it arrived: only the wait explains ratings.
    facts = [
        rated(n, minutes(6 * n), timedelta(hours=5), round(5 - 0.5 * (6 * n) / 60))
        for n in range(1, 30)
    ]
    model = CsatModel.fit(facts)
    assert model.per_hour_to_resolve == 0.0
    assert model.per_hour_waited == pytest.approx(0.5, abs=0.1)
    assert model.base == pytest.approx(5.0, abs=0.2)


def test_a_fit_leaves_out_ratings_without_a_wait_or_a_resolution() -> None:
    facts = [
        rated(n, minutes(5 * n), minutes(5 * n + 30 * (n % 3)), 1 + n % 5) for n in range(1, 9)
    ]
    never_taken = attrs.evolve(rated(50, minutes(0), minutes(9), 1), first_assigned_at=None)
    unresolved = attrs.evolve(rated(51, minutes(1), minutes(0), 1), resolved_at=None, resolutions=0)
    alone, with_others = CsatModel.fit(facts), CsatModel.fit([*facts, never_taken, unresolved])
    assert with_others.model_copy(update={"response_rate": 1.0}) == alone
    assert with_others.response_rate == pytest.approx(8 / 9)  # 8 rated of 9 resolved


# --- trace replay ------------------------------------------------------------------------------


def rated_history(policy: PullPolicy, *, csat: CsatModel | None) -> SimulationResult:
    model = Scenario(
        start=datetime(2026, 11, 23, 6, 0, tzinfo=UTC),
        tickets=350,
        arrivals_per_hour=6,
        handle_time=Exponential(mean_minutes=25),
        priorities={Priority.URGENT: 1, Priority.NORMAL: 3},
        csat=csat,
        agents=(
            AgentGroup(count=2, capacity=2, shift=Shift(start_hour=7, hours=9)),
            AgentGroup(
                count=1,
                name="late",
                capacity=2,
                shift=Shift(start_hour=12, hours=10, days=frozenset({0, 2, 4, 5})),
            ),
        ),
    )
    return simulate(model, draw_arrivals(model, seed=4), policy)


REPLAYED = [fifo(), priority(), sla_driven(), easiest_first()]


@pytest.mark.parametrize("policy", REPLAYED, ids=[p.name for p in REPLAYED])
def test_replaying_a_history_with_shifts_and_capacity_gives_back_its_waits_and_ratings(
    policy: PullPolicy,
) -> None:
    history = rated_history(policy, csat=CsatModel(response_rate=0.5))
    trace = trace_from_events(history.events)
    assert (len(trace.arrivals), trace.skipped) == (350, 0)
    assert [spec.profile.capacity for spec in trace.agents] == [2, 2, 2]
    assert all(isinstance(spec.rota, RecordedShifts) for spec in trace.agents)
    assert trace.csat is not None
    replayed = simulate(trace, trace.arrivals, policy)
    waits = {f.ticket_id: f.wait for f in history.facts}
    assert {f.ticket_id: f.wait for f in replayed.facts} == waits
    assert len(set(waits.values())) > 100  # the waits vary: the replay has something to match
    ratings = {f.ticket_id: f.csat for f in history.facts}
    assert sum(r is not None for r in ratings.values()) > 100
    assert {f.ticket_id: f.csat for f in replayed.facts} == ratings
    presence = (AgentWentOnline, AgentWentOffline)
    assert [e for e in replayed.events if isinstance(e, presence)] == [
        e for e in history.events if isinstance(e, presence)
    ]


def test_a_replay_under_another_policy_rates_by_the_new_waits() -> None:
    history = rated_history(fifo(), csat=CsatModel(response_rate=0.5, per_hour_waited=0.5))
    trace = trace_from_events(history.events)
    assert trace.csat is not None
    replayed = simulate(trace, trace.arrivals, priority())
    facts = {f.ticket_id: f for f in replayed.facts}
    before = {f.ticket_id: f for f in history.facts}
    moods = {a.ticket_id: a.rating_noise for a in trace.arrivals}
    changed = 0
    for ticket_id, f in facts.items():
        mood = moods[ticket_id]
        assert (f.csat is None) == (mood is None)
        if f.csat is not None and mood is not None:
            assert f.wait is not None
            assert f.resolution_time is not None
            assert f.csat == trace.csat.score(f.wait, f.resolution_time, mood)
            changed += f.wait != before[ticket_id].wait
    assert changed > 0


def test_a_history_without_ratings_replays_without_ratings() -> None:
    history = rated_history(fifo(), csat=None)
    trace = trace_from_events(history.events)
    assert trace.csat is None
    assert all(a.rating_noise is None for a in trace.arrivals)
    replayed = simulate(trace, trace.arrivals, fifo())
    assert {f.ticket_id: f.wait for f in replayed.facts} == {
        f.ticket_id: f.wait for f in history.facts
    }
    assert replayed.kpis().csat_count == 0


def test_a_history_where_nobody_waited_keeps_its_ratings_on_replay() -> None:
    overstaffed = Scenario(
        start=START,
        tickets=200,
        arrivals_per_hour=2,
        handle_time=Exponential(mean_minutes=5),
        csat=CsatModel(response_rate=0.8),
        agents=(AgentGroup(count=10),),
    )
    history = simulate(overstaffed, draw_arrivals(overstaffed, seed=1), fifo())
    assert {f.wait for f in history.facts} == {timedelta(0)}
    ratings = {f.ticket_id: f.csat for f in history.facts}
    assert sum(r is not None for r in ratings.values()) > 100
    trace = trace_from_events(history.events)
    replayed = simulate(trace, trace.arrivals, fifo())
    assert {f.ticket_id: f.csat for f in replayed.facts} == ratings


def test_a_trace_keeps_each_agents_recorded_shifts() -> None:
    history = rated_history(fifo(), csat=None)
    trace = trace_from_events(history.events)
    intervals = online_intervals(history.events)
    for spec in trace.agents:
        assert isinstance(spec.rota, RecordedShifts)
        assert list(spec.rota.intervals) == intervals[spec.agent_id]
        (first_start, first_end), *_ = spec.rota.intervals
        assert spec.rota.next_shift(trace.start) == (first_start, first_end)
        assert first_end is not None
        midway = first_start + (first_end - first_start) / 2
        assert spec.rota.next_shift(midway) == (midway, first_end)
        *_, (_, last_end) = spec.rota.intervals
        if last_end is not None:  # after the last recorded shift, the agent works no more
            assert spec.rota.next_shift(last_end) is None


# --- automatic escalation (the desk's SlaEscalator, in a simulation) ---------------------------

PATH = AutoEscalation(path=((1, "general"), (2, "experts")), every_minutes=5)


def escalating(*groups: AgentGroup) -> Scenario:
    return Scenario.model_validate({**dict(desk(*groups)), "escalation": PATH})


def test_a_ticket_waiting_past_its_first_reply_target_is_escalated_at_the_next_tick() -> None:
    staffing = escalating(AgentGroup(count=1), AgentGroup(count=1, tier=2, name="senior"))
    arrivals = [
        ticket(1, at=0, work=300, priority=Priority.LOW),  # keeps the senior busy 5 hours
        ticket(2, at=1, work=300, priority=Priority.LOW),  # keeps the tier-1 agent busy
        ticket(3, at=2, work=10, priority=Priority.URGENT),  # first reply due at 9:17
    ]
    result = simulate(staffing, arrivals, fifo())
    escalated = [e for e in of_ticket(result, 3) if isinstance(e, TicketEscalated)]
    assert len(escalated) == 1
    event = escalated[0]
    assert (event.kind, event.breach) == ("automatic", "first_reply")
    assert event.at == START + minutes(20)  # deadline 9:17, ticks every 5 minutes: 9:20
    assert (event.from_tier, event.to_tier, event.to_queue) == (1, 2, "experts")
    assert facts_of(result)[3].tier == 2


def test_a_held_ticket_past_its_resolution_target_leaves_its_agent_with_its_work_done() -> None:
    staffing = escalating(AgentGroup(count=1), AgentGroup(count=1, tier=2, name="senior"))
    # Urgent: resolution due 4 hours after 9:00; the work takes 5 hours.
    result = simulate(staffing, [ticket(1, at=0, work=300, priority=Priority.URGENT)], fifo())
    events = of_ticket(result, 1)
    escalation = next(e for e in events if isinstance(e, TicketEscalated))
    assert escalation.at == START + minutes(245)  # 13:00 passed, the next tick is 13:05
    assert escalation.breach == "resolution"
    assert escalation.from_agent_id == UUID(int=AGENT_IDS)  # taken from the tier-1 agent
    assigned = [e for e in events if isinstance(e, TicketAssigned)]
    assert [a.agent_id for a in assigned] == [UUID(int=AGENT_IDS), UUID(int=AGENT_IDS + 1)]
    facts = facts_of(result)[1]
    assert facts.handle_time == minutes(300)  # the senior does what was left, no more
    assert facts.resolved_at == START + minutes(300)  # the senior took it over at once


def test_a_ticket_escalated_once_per_target_and_never_past_the_path() -> None:
    staffing = escalating(AgentGroup(count=1, tier=2, name="senior"))
    busy = ticket(1, at=0, work=24 * 60, priority=Priority.LOW)
    waiting = ticket(2, at=1, work=10, priority=Priority.URGENT)
    result = simulate(staffing, [busy, waiting], fifo())
    escalations = [e for e in of_ticket(result, 2) if isinstance(e, TicketEscalated)]
    # First reply missed at tier 1 (to tier 2), resolution missed at tier 2: the end of
    # the path, so it stays.
    assert [(e.breach, e.to_tier) for e in escalations] == [("first_reply", 2)]


def test_an_escalation_path_above_every_agent_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="up to tier 2, above every agent"):
        escalating(AgentGroup(count=1))


@pytest.mark.parametrize(
    "policy", [fifo(), priority(), sla_driven()], ids=["fifo", "priority", "sla"]
)
def test_replaying_a_history_with_automatic_escalations_gives_them_back(policy: PullPolicy) -> None:
    scenario = Scenario(
        start=START,
        tickets=600,
        arrivals_per_hour=48,
        handle_time=Exponential(mean_minutes=12),
        priorities={Priority.URGENT: 1, Priority.HIGH: 2, Priority.NORMAL: 3},
        escalation=PATH,
        agents=(AgentGroup(count=3, capacity=2), AgentGroup(count=1, tier=2, name="senior")),
    )
    history = simulate(scenario, draw_arrivals(scenario, seed=5), policy)
    automatic = [e for e in history.events if isinstance(e, TicketEscalated)]
    assert len(automatic) > 20
    trace = attrs.evolve(trace_from_events(history.events), escalation=PATH)
    replayed = simulate(trace, trace.arrivals, policy)
    assert trace.skipped == 0
    assert [e for e in replayed.events if isinstance(e, TicketEscalated)] == automatic
    assert facts_of(replayed) == facts_of(history)
    without = simulate(trace_from_events(history.events), trace.arrivals, policy)
    assert not any(isinstance(e, TicketEscalated) for e in without.events)


def test_an_escalation_handoff_at_the_top_tier_goes_to_another_team_within_it() -> None:
    staffing = desk(AgentGroup(count=1), AgentGroup(count=2, tier=2, name="senior"))
    arrival = ticket(
        1,
        at=0,
        work=30,
        tier=2,
        handoff="escalate",
        handoff_after=minutes(10),
        handoff_queue="experts",
    )
    result = simulate(staffing, [arrival], fifo())
    escalation = next(e for e in of_ticket(result, 1) if isinstance(e, TicketEscalated))
    assert (escalation.kind, escalation.from_tier, escalation.to_tier) == ("functional", 2, 2)
    assert escalation.to_queue == "experts"
    facts = facts_of(result)[1]
    assert facts.is_resolved
    assert facts.handle_time == minutes(30)
