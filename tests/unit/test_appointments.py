"""Appointments: takings a pull policy makes past an agent's capacity, at set instants.

For hand-built arrivals on a whole-minute grid (many simultaneous events) and random
appointments, a policy that keeps them (fifo with appointments) keeps the same books in
the fast and the full mode; every taking past the agent's capacity is an appointment's —
its agent and ticket, at its instant, with no more than its room in active work — and the
run counts them. A run with appointments never goes to the columnar kernel, which keeps
none.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import attrs
from hypothesis import event, given, settings, target
from hypothesis import strategies as st

from tests.unit.test_fast_mode import (
    EXAMPLES,
    SLA,
    all_features,
    assert_same_books,
    gridded_arrivals,
    gridded_staffing,
)
from ticketlog import (
    TicketAssigned,
    TicketAwaitingCustomer,
    TicketCustomerReplied,
)
from ticketlog.policies import Ordered
from ticketlog.projections import Workloads
from ticketlog.simulation import Arrival, Scenario, SimulationResult, draw_arrivals, simulate
from ticketlog.simulation.engine import Appointment
from ticketlog.simulation.scenario import AGENT_IDS


@attrs.frozen
class FifoKeeping(Ordered):
    """fifo, keeping ``booked``."""

    booked: tuple[Appointment, ...] = attrs.field(default=(), kw_only=True)

    def appointments(self) -> tuple[Appointment, ...]:
        return self.booked


@st.composite
def appointments(
    draw: st.DrawFn, *, arrivals: list[Arrival], agents: int
) -> tuple[Appointment, ...]:
    """Up to ten appointments of any agent for any ticket, within ten minutes of its
    arrival (when it may still wait)."""
    booked = []
    for _ in range(draw(st.integers(0, 10))):
        arrival = draw(st.sampled_from(arrivals))
        booked.append(
            Appointment(
                at=arrival.at + timedelta(minutes=draw(st.integers(0, 10))),
                agent_id=UUID(int=AGENT_IDS + draw(st.integers(0, agents - 1))),
                ticket_id=arrival.ticket_id,
                room=draw(st.integers(1, 4)),
            )
        )
    return tuple(booked)


def takings_past_capacity(
    staffing: Scenario, result: SimulationResult
) -> list[tuple[Appointment, int]]:
    """Each assignment after which its agent actively worked more tickets than their
    capacity (as an appointment with room 0), and how many they worked."""
    capacity = {spec.agent_id: spec.profile.capacity for spec in staffing.agent_specs()}
    workloads, paused, past = Workloads(), set[UUID](), []
    for happened in result.events:
        workloads.apply(happened)
        if isinstance(happened, TicketAwaitingCustomer):
            paused.add(happened.originator_id)
        elif isinstance(happened, TicketCustomerReplied):
            paused.discard(happened.originator_id)
        elif isinstance(happened, TicketAssigned):
            agent_id = happened.agent_id
            working = len(workloads.held_by(agent_id) - paused)
            if working > capacity[agent_id]:
                taking = Appointment(happened.at, agent_id, happened.originator_id, room=0)
                past.append((taking, working))
    return past


@settings(max_examples=2 * EXAMPLES, deadline=None)
@given(staffing=gridded_staffing(), data=st.data())
def test_takings_past_capacity_are_appointments_and_the_fast_mode_agrees(
    staffing: Scenario, data: st.DataObject
) -> None:
    single = tuple(group.model_copy(update={"capacity": 1}) for group in staffing.agents)
    staffing = staffing.model_copy(update={"agents": single})  # often full
    arrivals = data.draw(gridded_arrivals(), label="arrivals")
    booked = data.draw(
        appointments(arrivals=arrivals, agents=len(staffing.agent_specs())),
        label="appointments",
    )
    policy = FifoKeeping("fifo", booked=booked)
    full = simulate(staffing, arrivals, policy, sla=SLA)
    fast = simulate(staffing, arrivals, policy, sla=SLA, fast=True)
    assert_same_books(full, fast)
    assert fast.past_capacity == full.past_capacity
    target(full.past_capacity)  # look for runs that take many
    event(f"takings past capacity: {min(full.past_capacity, 2)}")
    past = takings_past_capacity(staffing, full)
    assert len(past) == full.past_capacity
    for taking, working in past:
        assert any(
            (a.at, a.agent_id, a.ticket_id) == (taking.at, taking.agent_id, taking.ticket_id)
            and working <= a.room
            for a in booked
        ), (taking, working)


def test_a_policy_keeping_appointments_runs_in_the_engine_not_the_columnar_kernel() -> None:
    scenario = all_features(100)
    drawn = draw_arrivals(scenario, seed=5)
    agent = scenario.agent_specs()[0].agent_id
    booked = tuple(Appointment(a.at, agent, a.ticket_id, room=3) for a in list(drawn)[::2])
    policy = FifoKeeping("fifo", booked=booked)
    fast = simulate(scenario, drawn, policy, fast=True)
    assert fast.columns is None
    assert fast.past_capacity > 0
    assert_same_books(simulate(scenario, drawn, policy), fast)
