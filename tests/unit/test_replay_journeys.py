"""A replay keeps a ticket's whole journey: every handoff, reassignment and pause, in order.

A recorded history of known journeys — several handoffs, a reassignment to a named
person, a dispatcher's transfer straight to someone, pauses awaiting the customer and a
third party (one running until the resolution) — is traced and replayed: the trace holds
the steps and the active work (holding time minus the pauses), and the replay's facts and
events show the same transfers, escalations, reassignments and SLA pauses as recorded;
only the waits for someone to take the ticket are the policy's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from ticketlog import (
    HelpDesk,
    ManualClock,
    TicketAssigned,
    TicketAwaitingCustomer,
    TicketClosed,
    TicketCustomerReplied,
    TicketEscalated,
    TicketEvent,
    TicketReassigned,
    TicketReopened,
    TicketResolved,
    TicketTransferred,
)
from ticketlog.domain.errors import InvalidValue
from ticketlog.domain.ticket import Ticket
from ticketlog.domain.values import AwaitedParty, EscalationKind
from ticketlog.projections import TicketFacts
from ticketlog.simulation import SimulationResult, simulate, trace_from_store
from ticketlog.simulation.replay import EffortRules, Trace, team_queues_for

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def minute(n: float) -> datetime:
    return START + timedelta(minutes=n)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


class Journeys:
    """A desk with Ann (general), Bob and Dan (billing), Cy (specialists, tier 2), all
    online from the start, and tickets recorded event by event."""

    def __init__(self, desk: HelpDesk) -> None:
        self.desk = desk
        self.ann = desk.join_agent("Ann", capacity=2, at=START)
        self.bob = desk.join_agent("Bob", team="billing", capacity=2, at=START)
        self.dan = desk.join_agent("Dan", team="billing", capacity=2, at=START)
        self.cy = desk.join_agent("Cy", team="specialists", tier=2, capacity=2, at=START)

    def ticket(self, at: float, *facts: tuple[float, type[TicketEvent], dict[str, Any]]) -> UUID:
        ticket = Ticket.receive(
            ticket_id=uuid4(), at=minute(at), channel="email", customer_id=f"c-{at}"
        )
        for when, event_class, fields in facts:
            ticket.record(event_class, at=minute(when), **fields)
        self.desk.save(ticket)
        return ticket.id

    def long_journey(self) -> UUID:
        """Ann works 8 minutes, awaits the customer an hour, works 5 more and transfers it
        to billing; Bob takes it, works 10 and hands it to Dan, who works 10 and escalates
        it; Cy works 5, awaits a vendor 90 minutes, and resolves it after 15 more."""
        ann, bob, dan, cy = self.ann, self.bob, self.dan, self.cy
        return self.ticket(
            0,
            (2, TicketAssigned, {"agent_id": ann, "actor_id": ann}),
            (10, TicketAwaitingCustomer, {"actor_id": ann}),
            (70, TicketCustomerReplied, {}),
            (75, TicketTransferred, _moved(ann, "general", "billing")),
            (80, TicketAssigned, {"agent_id": bob, "actor_id": bob}),
            (90, TicketReassigned, {"from_agent_id": bob, "to_agent_id": dan, "actor_id": bob}),
            (
                100,
                TicketEscalated,
                {
                    "kind": EscalationKind.HIERARCHICAL,
                    "from_tier": 1,
                    "to_tier": 2,
                    "from_queue": "billing",
                    "to_queue": "specialists",
                    "from_agent_id": dan,
                    "actor_id": dan,
                },
            ),
            (105, TicketAssigned, {"agent_id": cy, "actor_id": cy}),
            (110, TicketAwaitingCustomer, {"actor_id": cy, "party": AwaitedParty.THIRD_PARTY}),
            (200, TicketCustomerReplied, {}),
            (215, TicketResolved, {"actor_id": cy}),
        )

    def dispatched(self) -> UUID:
        """Awaits the customer half an hour before anyone takes it, then a dispatcher
        transfers it straight to Dan, who works it 8 minutes."""
        return self.ticket(
            300,
            (301, TicketAwaitingCustomer, {}),
            (331, TicketCustomerReplied, {}),
            (
                332,
                TicketTransferred,
                {**_moved(None, "general", "billing"), "to_agent_id": self.dan},
            ),
            (340, TicketResolved, {"actor_id": self.dan}),
        )

    def resolved_while_awaiting(self) -> UUID:
        """Ann works 5 minutes, asks the customer, and resolves it an hour later unanswered."""
        return self.ticket(
            500,
            (500, TicketAssigned, {"agent_id": self.ann, "actor_id": self.ann}),
            (505, TicketAwaitingCustomer, {"actor_id": self.ann}),
            (565, TicketResolved, {"actor_id": self.ann}),
        )


def _moved(agent: UUID | None, from_queue: str, to_queue: str) -> dict[str, Any]:
    return {
        "from_agent_id": agent,
        "actor_id": agent,
        "to_agent_id": None,
        "from_queue": from_queue,
        "to_queue": to_queue,
    }


@pytest.fixture
def journeys() -> Iterator[Journeys]:
    with HelpDesk("memory://", clock=ManualClock(START)) as desk:
        yield Journeys(desk)


def replayed(trace: Trace) -> SimulationResult:
    return simulate(trace, trace.arrivals, team_queues_for(trace))


def pause_lengths(facts: TicketFacts) -> list[timedelta]:
    return [end - start for start, end in facts.pauses if end is not None]


def test_a_trace_keeps_every_step_in_order_and_only_active_time_as_work(
    journeys: Journeys,
) -> None:
    ticket = journeys.long_journey()
    trace = trace_from_store(journeys.desk)
    (arrival,) = trace.arrivals
    assert trace.recorded is not None
    (recorded,) = trace.recorded.facts
    assert recorded.ticket_id == ticket
    assert recorded.handle_time == minutes(73 + 10 + 10 + 110)  # holding time
    assert arrival.work == minutes(8 + 5 + 10 + 10 + 5 + 15)  # active time only
    steps = [(s.kind, s.after, s.lasts, s.held) for s in arrival.steps]
    assert steps == [
        ("await", minutes(8), minutes(60), True),
        ("transfer", minutes(13), minutes(0), True),
        ("reassign", minutes(23), minutes(0), True),
        ("escalate", minutes(33), minutes(0), True),
        ("await", minutes(38), minutes(90), True),
    ]
    transfer, reassign, escalate = arrival.steps[1:4]
    assert (transfer.queue, transfer.agent_id) == ("billing", None)
    assert reassign.agent_id == journeys.dan
    assert (escalate.queue, escalate.tier) == ("specialists", 2)
    assert arrival.steps[-1].party is AwaitedParty.THIRD_PARTY


def test_a_replay_takes_every_handoff_reassignment_and_pause_as_recorded(
    journeys: Journeys,
) -> None:
    ticket = journeys.long_journey()
    trace = trace_from_store(journeys.desk)
    assert trace.recorded is not None
    (recorded,) = trace.recorded.facts
    result = replayed(trace)
    (facts,) = result.facts
    counts = ("transfers", "escalations", "reassignments", "resolutions")
    assert [getattr(facts, c) for c in counts] == [getattr(recorded, c) for c in counts]
    assert [getattr(facts, c) for c in counts] == [1, 1, 1, 1]
    assert pause_lengths(facts) == pause_lengths(recorded) == [minutes(60), minutes(90)]
    moves = [
        (type(e).__name__, getattr(e, "agent_id", None) or getattr(e, "to_agent_id", None))
        for e in result.events
        if e.originator_id == ticket
        and isinstance(e, TicketAssigned | TicketReassigned | TicketTransferred | TicketEscalated)
    ]
    j = journeys
    assert moves == [
        ("TicketAssigned", j.ann),
        ("TicketTransferred", None),
        ("TicketAssigned", j.bob),
        ("TicketReassigned", j.dan),
        ("TicketEscalated", None),
        ("TicketAssigned", j.cy),
    ]
    # Everyone was free: the replay takes the ticket at once where the record took 2, 5
    # and 5 minutes; work, pauses and handoffs take as long as recorded.
    assert facts.wait == timedelta(0)
    assert recorded.resolution_time is not None
    assert facts.resolution_time == recorded.resolution_time - minutes(2 + 5 + 5)
    assert facts.handle_time == recorded.handle_time  # each holder as long as recorded


def test_a_pause_in_the_queue_is_a_delay_and_a_dispatchers_transfer_goes_to_its_person(
    journeys: Journeys,
) -> None:
    journeys.dispatched()
    trace = trace_from_store(journeys.desk)
    (arrival,) = trace.arrivals
    assert [(s.kind, s.held, s.after) for s in arrival.steps] == [
        ("await", False, minutes(0)),
        ("transfer", False, minutes(0)),
    ]
    (facts,) = replayed(trace).facts
    # Ann was free, but nobody may take a ticket awaiting the customer; then it goes to Dan.
    assert facts.wait == minutes(30)
    assert facts.first_agent_id == facts.resolver_id == journeys.dan
    assert (facts.queue, facts.transfers) == ("billing", 1)
    assert pause_lengths(facts) == [minutes(30)]
    assert facts.resolution_time == minutes(30 + 8)


def test_a_ticket_resolved_while_awaiting_the_customer_waits_until_its_resolution(
    journeys: Journeys,
) -> None:
    journeys.resolved_while_awaiting()
    trace = trace_from_store(journeys.desk)
    (arrival,) = trace.arrivals
    assert arrival.work == minutes(5)
    (facts,) = replayed(trace).facts
    assert facts.resolution_time == minutes(65)
    assert facts.handle_time == minutes(65)  # held all along, as recorded


def test_while_a_ticket_awaits_the_customer_its_holder_may_take_another(
    journeys: Journeys,
) -> None:
    journeys.resolved_while_awaiting()  # Ann awaits the customer from minute 505 to 565
    for at in (510, 512):  # then two more arrive: Ann (capacity 2) takes both
        journeys.ticket(
            at,
            (at, TicketAssigned, {"agent_id": journeys.ann, "actor_id": journeys.ann}),
            (at + 20, TicketResolved, {"actor_id": journeys.ann}),
        )
    result = replayed(trace_from_store(journeys.desk))
    assert [f.wait for f in result.facts] == [timedelta(0)] * 3
    assert {f.resolver_id for f in result.facts} == {journeys.ann}


def test_effort_rules_count_the_waits_on_a_party_as_work(journeys: Journeys) -> None:
    journeys.long_journey()
    trace = trace_from_store(
        journeys.desk, effort=EffortRules(waits_are_work={AwaitedParty.THIRD_PARTY})
    )
    (arrival,) = trace.arrivals
    assert arrival.work == minutes(53 + 90)
    assert [s.kind for s in arrival.steps] == ["await", "transfer", "reassign", "escalate"]
    with pytest.raises(InvalidValue):
        EffortRules(waits_are_work={"the moon"})


def test_a_reopen_ended_by_a_closure_is_replayed_closed_not_resolved_again(
    journeys: Journeys,
) -> None:
    ann = journeys.ann
    journeys.ticket(
        0,
        (0, TicketAssigned, {"agent_id": ann, "actor_id": ann}),
        (10, TicketResolved, {"actor_id": ann}),
        (60, TicketReopened, {}),
        (60, TicketAssigned, {"agent_id": ann, "actor_id": ann}),
        (75, TicketClosed, {"actor_id": ann}),
    )
    trace = trace_from_store(journeys.desk)
    (arrival,) = trace.arrivals
    assert (arrival.reopen_work, arrival.reopen_closes) == (minutes(15), True)
    assert trace.recorded is not None
    (recorded,) = trace.recorded.facts
    (facts,) = replayed(trace).facts
    assert (facts.resolutions, facts.reopens) == (recorded.resolutions, recorded.reopens) == (1, 1)
    assert facts.resolution_time == recorded.resolution_time == minutes(10)
    assert facts.closed_at == recorded.closed_at == minute(75)
