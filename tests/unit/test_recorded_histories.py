"""Recorded histories (``Ticket.record``): every projection folds whatever a real log holds.

Hand-made sequences that no live command allows (a resolution by the system while the
ticket waits, by someone not holding it, a close while assigned, a reopen then a
resolution without an assignment...), then a property over random recorded histories:
the view followed live equals the view rebuilt from the log, and every ticket is in
exactly one place, held by at most one agent, where its own state says.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketlog import (
    HelpDesk,
    ManualClock,
    TicketAssigned,
    TicketAwaitingCustomer,
    TicketClosed,
    TicketDeescalated,
    TicketEvent,
    TicketReassigned,
    TicketReleased,
    TicketReopened,
    TicketResolved,
    TicketResponded,
    TicketState,
    TicketStatus,
)
from ticketlog.domain.ticket import Ticket
from ticketlog.projections import DeskView, fold
from ticketlog.testing import histories
from ticketlog.testing.histories import Fact, record

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
WAITING, ASSIGNED, RESOLVED, CLOSED, ABANDONED = TicketStatus


def minute(n: float) -> datetime:
    return START + timedelta(minutes=n)


@pytest.fixture
def desk() -> Iterator[HelpDesk]:
    with HelpDesk("memory://", clock=ManualClock(START)) as d:
        yield d


class History:
    """One imported ticket on a desk with Ann and Bob, recorded fact by fact."""

    def __init__(self, desk: HelpDesk, **received: Any) -> None:
        self.desk = desk
        self.ann = desk.join_agent("Ann", capacity=5, tier=3, at=START)
        self.bob = desk.join_agent("Bob", capacity=5, tier=3, at=START)
        received.setdefault("source", "status-log")
        received.setdefault("source_id", "INC0012345")
        self.ticket = Ticket.receive(
            ticket_id=uuid4(), at=START, channel="unknown", customer_id="c-1", **received
        )
        desk.save(self.ticket)

    def record(self, minutes: float, event_class: type[TicketEvent], **fields: Any) -> None:
        self.ticket.record(event_class, at=minute(minutes), **fields)
        self.desk.save(self.ticket)

    @property
    def state(self) -> TicketState:
        return self.desk.ticket(self.ticket.id)

    def view(self) -> DeskView:
        return self.desk.view()


def assert_consistent(desk: HelpDesk, ticket_ids: list[UUID], agents: list[UUID]) -> None:
    """Each ticket is in exactly one place, held by at most one agent, and every read model
    agrees with the ticket's own state (status, holder, queue, tier, open or not)."""
    view = desk.view()
    now = max(event.at for _, event in desk.read_log())
    held: dict[UUID, list[UUID]] = {}
    for agent_id in agents:
        assert set(view.workloads.held_by(agent_id)) == {
            ticket.ticket_id for ticket in view.queues.held_by(agent_id)
        }
        for ticket_id in view.workloads.held_by(agent_id):
            held.setdefault(ticket_id, []).append(agent_id)
    waiting = {
        ticket.ticket_id: queue
        for queue in view.queues.queue_names()
        for ticket in view.queues.waiting(queue)
    }
    for ticket_id in ticket_ids:
        state = desk.ticket(ticket_id)
        places = len(held.get(ticket_id, [])) + (ticket_id in waiting) + (not state.is_open)
        assert places == 1, (state, held.get(ticket_id), waiting.get(ticket_id))
        assert view.workloads.holder_of(ticket_id) == state.agent_id
        assert (state.status is ASSIGNED) == (state.agent_id is not None)
        queued = view.queues.get(ticket_id)
        assert (queued is not None) == state.is_open
        if queued is not None:
            assert (queued.agent_id, queued.queue, queued.tier) == (
                state.agent_id,
                state.queue,
                state.tier,
            )
            assert waiting.get(ticket_id, state.queue) == state.queue
        facts = view.facts.tickets[ticket_id]
        assert (facts.status, facts.holder_id, facts.queue, facts.tier) == (
            state.status,
            state.agent_id,
            state.queue,
            state.tier,
        )
        assert (facts.reassignments, facts.deescalations) == (
            state.reassignments,
            state.deescalations,
        )
    open_states = [desk.ticket(t) for t in ticket_ids if desk.ticket(t).is_open]
    assert view.backlog.at(now) == len(open_states)
    for queue in view.backlog.queues():
        assert view.backlog.at(now, queue=queue) == sum(s.queue == queue for s in open_states)


# --- hand-made recorded sequences ---------------------------------------------------------


def test_a_resolution_by_the_system_while_the_ticket_waits_is_folded_everywhere(
    desk: HelpDesk,
) -> None:
    history = History(desk)
    history.record(30, TicketResolved, actor_id=None, code="auto-closed")

    view = history.view()
    facts = view.facts.tickets[history.ticket.id]
    assert (facts.status, facts.resolutions, facts.resolver_id, facts.resolver_team) == (
        RESOLVED,
        1,
        None,
        None,
    )
    assert (facts.source, facts.source_id) == ("status-log", "INC0012345")
    assert not facts.first_contact_resolution
    assert view.queues.get(history.ticket.id) is None
    assert view.backlog.at(minute(29)) == 1
    assert view.backlog.at(minute(30)) == 0
    assert view.workloads.workload(history.ann, now=minute(30)).handled == 0
    kpis = view.kpis(now=minute(60))
    assert (kpis.resolved, kpis.fcr, kpis.handle.mean) == (1, 0.0, timedelta(0))
    assert_consistent(desk, [history.ticket.id], [history.ann, history.bob])


def test_a_resolution_by_someone_not_holding_it_takes_it_from_the_holder(
    desk: HelpDesk,
) -> None:
    history = History(desk)
    history.record(1, TicketAssigned, agent_id=history.ann)
    history.record(11, TicketResolved, actor_id=history.bob)

    view = history.view()
    assert view.workloads.held_by(history.ann) == frozenset()
    ann = view.workloads.workload(history.ann, now=minute(20))
    bob = view.workloads.workload(history.bob, now=minute(20))
    assert (ann.handled, ann.handle_time, ann.idle_since) == (0, timedelta(minutes=10), minute(11))
    assert (bob.handled, bob.handle_time) == (1, timedelta(0))
    facts = view.facts.tickets[history.ticket.id]
    assert (facts.resolver_id, facts.handle_time) == (history.bob, timedelta(minutes=10))
    assert not facts.first_contact_resolution  # the first holder did not resolve it
    assert_consistent(desk, [history.ticket.id], [history.ann, history.bob])


def test_a_reassignment_ends_the_first_holders_spell_and_starts_the_next(
    desk: HelpDesk,
) -> None:
    history = History(desk)
    history.record(1, TicketAssigned, agent_id=history.ann)
    history.record(6, TicketReassigned, from_agent_id=history.ann, to_agent_id=history.bob)
    history.record(16, TicketResolved, actor_id=history.bob)

    view = history.view()
    facts = view.facts.tickets[history.ticket.id]
    assert (facts.first_agent_id, facts.reassignments, facts.transfers) == (history.ann, 1, 0)
    assert facts.handle_time == timedelta(minutes=15)
    assert not facts.first_contact_resolution
    assert view.workloads.workload(history.ann, now=minute(20)).handle_time == timedelta(minutes=5)
    assert view.workloads.workload(history.bob, now=minute(20)).handle_time == timedelta(minutes=10)
    kpis = view.kpis(now=minute(20))
    assert (kpis.reassignment_rate, kpis.reassignments_per_ticket) == (100.0, 1.0)
    assert (kpis.transfer_rate, kpis.escalation_rate, kpis.fcr) == (0.0, 0.0, 0.0)
    assert_consistent(desk, [history.ticket.id], [history.ann, history.bob])


def test_a_deescalation_while_held_is_neither_an_escalation_nor_a_transfer(
    desk: HelpDesk,
) -> None:
    history = History(desk, tier=2, queue="second-line")
    history.record(1, TicketAssigned, agent_id=history.ann)
    history.record(
        4,
        TicketDeescalated,
        from_tier=2,
        to_tier=1,
        from_queue="second-line",
        to_queue="first-line",
        from_agent_id=history.ann,
    )

    view = history.view()
    facts = view.facts.tickets[history.ticket.id]
    assert (facts.deescalations, facts.escalations, facts.transfers) == (1, 0, 0)
    assert (facts.status, facts.tier, facts.queue) == (WAITING, 1, "first-line")
    assert facts.handle_time == timedelta(minutes=3)
    waiting = view.queues.get(history.ticket.id)
    assert waiting is not None
    assert (waiting.agent_id, waiting.queued_at, waiting.tier) == (None, minute(4), 1)
    assert view.backlog.at(minute(5), queue="first-line") == 1
    assert view.backlog.at(minute(5), queue="second-line") == 0
    kpis = view.kpis(now=minute(5))
    assert (kpis.deescalation_rate, kpis.deescalations_per_ticket) == (100.0, 1.0)
    assert (kpis.escalation_rate, kpis.transfer_rate) == (0.0, 0.0)
    assert_consistent(desk, [history.ticket.id], [history.ann, history.bob])


def test_a_release_puts_the_ticket_back_in_its_queue(desk: HelpDesk) -> None:
    history = History(desk)
    history.record(1, TicketAssigned, agent_id=history.ann)
    history.record(3, TicketReleased, from_agent_id=history.ann, actor_id=history.ann)

    view = history.view()
    assert view.workloads.held_by(history.ann) == frozenset()
    assert [t.ticket_id for t in view.queues.waiting("general")] == [history.ticket.id]
    assert view.facts.tickets[history.ticket.id].handle_time == timedelta(minutes=2)
    assert_consistent(desk, [history.ticket.id], [history.ann, history.bob])


def test_closed_while_assigned_reopened_then_resolved_without_an_assignment(
    desk: HelpDesk,
) -> None:
    history = History(desk)
    history.record(1, TicketAssigned, agent_id=history.ann)
    history.record(2, TicketAwaitingCustomer, actor_id=history.ann)
    history.record(5, TicketClosed)
    assert_consistent(desk, [history.ticket.id], [history.ann, history.bob])
    history.record(8, TicketReopened)
    assert history.state.status is WAITING
    assert_consistent(desk, [history.ticket.id], [history.ann, history.bob])
    history.record(9, TicketResponded, actor_id=history.bob)
    history.record(12, TicketResolved, actor_id=None)

    view = history.view()
    facts = view.facts.tickets[history.ticket.id]
    assert (facts.status, facts.reopens, facts.handle_time) == (RESOLVED, 1, timedelta(minutes=4))
    assert facts.first_response_at == minute(9)
    assert view.backlog.at(minute(6)) == 0
    assert view.backlog.at(minute(8)) == 1
    assert view.backlog.at(minute(12)) == 0
    assert_consistent(desk, [history.ticket.id], [history.ann, history.bob])


def test_assigned_to_two_people_in_a_row_only_the_second_holds_it(desk: HelpDesk) -> None:
    history = History(desk)
    history.record(1, TicketAssigned, agent_id=history.ann)
    history.record(2, TicketAssigned, agent_id=history.bob)
    history.record(2, TicketAwaitingCustomer, actor_id=history.bob)

    view = history.view()
    assert view.workloads.held_by(history.ann) == frozenset()
    assert view.workloads.held_by(history.bob) == {history.ticket.id}
    assert_consistent(desk, [history.ticket.id], [history.ann, history.bob])


def test_awaiting_the_customer_while_waiting_stops_the_clock_of_a_queued_ticket(
    desk: HelpDesk,
) -> None:
    history = History(desk)
    history.record(1, TicketAwaitingCustomer, actor_id=history.ann)

    waiting = history.view().queues.get(history.ticket.id)
    assert waiting is not None
    assert (waiting.agent_id, waiting.paused_since) == (None, minute(1))
    assert_consistent(desk, [history.ticket.id], [history.ann, history.bob])


# --- random recorded histories ---------------------------------------------------------------

_profile = settings()
"""The loaded profile (dev, nightly or ci), which this property's settings build on."""


@settings(_profile, max_examples=max(_profile.max_examples, 400))
@given(
    agents=st.integers(min_value=1, max_value=3),
    tickets=st.integers(min_value=1, max_value=3),
    steps=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=2),
            histories.facts(),
            st.integers(min_value=0, max_value=600),
        ),
        max_size=25,
    ),
)
def test_any_recorded_history_folds_the_same_live_and_rebuilt_with_tickets_in_one_place(
    agents: int, tickets: int, steps: list[tuple[int, Fact, int]]
) -> None:
    with HelpDesk("memory://", clock=ManualClock(START)) as desk:
        agent_ids = [desk.join_agent(f"Agent {n}", at=START) for n in range(agents)]
        ticket_list = [
            Ticket.receive(ticket_id=uuid4(), at=START, channel="unknown", customer_id=f"c-{n}")
            for n in range(tickets)
        ]
        desk.save(*ticket_list)
        live = DeskView()
        for _, event in desk.read_log():
            live.apply(event)
        now = START
        for which, fact, seconds in steps:
            now += timedelta(seconds=seconds)
            ticket = ticket_list[which % len(ticket_list)]
            if record(ticket, fact, agents=agent_ids, at=now):
                (event,) = ticket.collect_events()
                desk.save(event)  # as it is: checked by desk.save
                live.apply(event)
                desk.view()  # followed step by step

        rebuilt = fold(DeskView(), (event for _, event in desk.read_log()))
        assert desk.view() == live
        assert rebuilt == live
        assert_consistent(desk, [t.id for t in ticket_list], agent_ids)
