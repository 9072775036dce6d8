"""Handle-time spells (:mod:`ticketlog.projections.spells`): the accumulator against an
independent sum of the spells, the rule that time awaiting the customer is held, and the
replay of a history reading the same spells as the ticket facts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticketlog import HelpDesk, ManualClock, TicketAssigned, TicketReopened, TicketResolved
from ticketlog.domain.events import DomainEvent
from ticketlog.domain.ticket import Ticket
from ticketlog.projections import TicketFactsProjection, fold
from ticketlog.projections.spells import MOVES, Spells, held, hold, holder_after, running
from ticketlog.simulation import trace_from_events
from ticketlog.testing.histories import Fact, record, recorded_facts

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ANN, BOB = uuid4(), uuid4()


def minute(n: float) -> datetime:
    return START + timedelta(minutes=n)


Step = tuple[str, UUID | None, int]
"""What happens (``hold``, ``release`` or ``resolve``), to whom, and minutes after the last."""

steps = st.lists(
    st.tuples(
        st.sampled_from(("hold", "release", "resolve")),
        st.sampled_from((ANN, BOB)),
        st.integers(min_value=0, max_value=90),
    ),
    max_size=20,
)


@given(history=steps, later=st.integers(min_value=0, max_value=90))
def test_the_time_held_is_the_sum_of_the_spells(history: list[Step], later: int) -> None:
    record = Spells()
    spells: list[tuple[datetime, datetime]] = []
    holder: UUID | None = None
    since: datetime | None = None
    at = START
    for action, agent, gap in history:
        at += timedelta(minutes=gap)
        taker = agent if action == "hold" else None
        ended = hold(record, taker, at)
        if since is not None:
            spells.append((since, at))
        assert ended == (timedelta(0) if since is None else at - since)
        holder, since = taker, (at if taker is not None else None)
        assert (record.holder_id, record.spell_start) == (holder, since)
    now = at + timedelta(minutes=later)
    if since is not None:
        spells.append((since, now))
    assert held(record, now) == sum((end - start for start, end in spells), timedelta(0))
    assert record.handle_time == sum(
        (end - start for start, end in spells[: len(spells) - (since is not None)]), timedelta(0)
    )


def test_a_view_before_the_spell_began_sees_none_of_it() -> None:
    record = Spells()
    hold(record, ANN, minute(10))
    assert (running(record, minute(5)), held(record, minute(5))) == (timedelta(0),) * 2
    assert held(record, minute(25)) == timedelta(minutes=15)


@given(facts=recorded_facts(), gaps=st.lists(st.integers(min_value=0, max_value=30), min_size=12))
def test_ticket_facts_hold_by_the_rule_table_over_any_recorded_history(
    facts: list[Fact], gaps: list[int]
) -> None:
    ticket = Ticket.receive(ticket_id=uuid4(), at=START, channel="email", customer_id="c-1")
    at = START
    for fact, gap in zip(facts, gaps, strict=False):
        at += timedelta(minutes=gap)
        record(ticket, fact, agents=[ANN, BOB], at=at)
    events = list(ticket.collect_events())
    by_rule = Spells()
    for event in events:
        if isinstance(event, MOVES):
            hold(by_rule, holder_after(event), event.at)
    folded = next(iter(fold(TicketFactsProjection(), events)))
    assert (folded.holder_id, folded.spell_start, folded.handle_time) == (
        by_rule.holder_id,
        by_rule.spell_start,
        by_rule.handle_time,
    )
    assert folded.holder_id == ticket.state.agent_id


@pytest.fixture
def desk() -> Iterator[HelpDesk]:
    with HelpDesk("memory://", clock=ManualClock(START)) as d:
        yield d


def test_time_awaiting_the_customer_while_held_is_handle_time(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", capacity=2, at=START)
    ticket = desk.receive(channel="email", customer_id="c-1", at=START)
    desk.assign(ticket, ann, at=minute(5))
    desk.await_customer(ticket, ann, at=minute(10))
    desk.customer_replied(ticket, at=minute(40))
    desk.resolve(ticket, ann, at=minute(45))
    view = desk.view()
    assert view.facts.tickets[ticket].handle_time == timedelta(minutes=40)
    assert view.workloads.workload(ann, now=minute(60)).handle_time == timedelta(minutes=40)


def recorded(
    *facts: tuple[float, type[TicketAssigned | TicketResolved | TicketReopened], dict[str, UUID]],
) -> list[DomainEvent]:
    ticket = Ticket.receive(ticket_id=uuid4(), at=START, channel="email", customer_id="c-1")
    for minutes, event_class, fields in facts:
        ticket.record(event_class, at=minute(minutes), **fields)
    return list(ticket.collect_events())


def test_a_replay_ends_the_spell_of_someone_holding_a_resolved_ticket_at_its_reopen() -> None:
    # Bob takes the resolved ticket; the customer reopens it: nobody holds it any more, so
    # Bob's spell ends there (not when Ann takes it again).
    events = recorded(
        (0, TicketAssigned, {"agent_id": ANN}),
        (10, TicketResolved, {"actor_id": ANN}),
        (12, TicketAssigned, {"agent_id": BOB}),
        (15, TicketReopened, {}),
        (30, TicketAssigned, {"agent_id": ANN}),
        (34, TicketResolved, {"actor_id": ANN}),
    )
    facts = next(iter(fold(TicketFactsProjection(), events)))
    assert facts.handle_time == timedelta(minutes=10 + 3 + 4)
    (arrival,) = trace_from_events(events).arrivals
    assert arrival.reopen_work is not None
    assert (arrival.work, arrival.reopen_work) == (timedelta(minutes=10), timedelta(minutes=7))
    assert arrival.work + arrival.reopen_work == facts.handle_time
