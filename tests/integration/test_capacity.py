"""Capacity is an invariant of the store, not of one process's view.

Two desks on one store interleave ``assign`` deterministically (the second desk's whole
assignment runs between the first one's reads and its save), and a storm of P = 2, 4, 8
processes fills and empties shared agents, each process with its own order of tickets
(:mod:`tests.integration.storm`). Replaying the log in commit order, no agent ever holds
more than their capacity, no ticket is given while held, none is lost, and every
agent's own holdings equal what the tickets' events say.

Run with ``-s`` to see the storm's figures (also recorded as junit properties).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from tests.integration.storm import Outcome, Storm, work_in_process
from tests.integration.support import in_spawned_processes
from ticketlog import (
    AgentAtCapacity,
    AgentJoined,
    AgentStartedHolding,
    AgentWentOnline,
    DomainEvent,
    HelpDesk,
    ManualClock,
    PostgresStore,
    SQLiteStore,
    TicketAssigned,
    TicketReceived,
    TicketResolved,
    TicketStatus,
)
from ticketlog.persistence.snapshots import INTERVAL

Store = SQLiteStore | PostgresStore

TIMEOUT = 60.0
AGENTS = 2
CAPACITY = 2
TICKETS = 60
"""Each worker wants up to two tickets at once: from P = 4 on, more than the agents' seats."""


class InterleavingDesk(HelpDesk):
    """A desk that runs ``before_save`` once, between a command's reads and its save."""

    name = HelpDesk.name
    before_save: Callable[[], object] | None = None

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Run the pending interleaving step, then save as usual."""
        step, self.before_save = self.before_save, None
        if step is not None:
            step()
        return super().save(*objs, **kwargs)


# --- the deterministic interleaving -------------------------------------------------


SNAPSHOTS = pytest.mark.parametrize(
    "snapshots", [INTERVAL, 1], ids=["snapshots-by-default", "a-snapshot-every-event"]
)


@SNAPSHOTS
def test_two_desks_interleaving_assign_cannot_fill_an_agent_past_capacity(
    store: Store, clock: ManualClock, snapshots: int
) -> None:
    with HelpDesk(store, clock=clock, snapshot_interval=snapshots) as setup:
        ann = setup.join_agent("Ann", capacity=1)
        first = setup.receive(channel="chat", customer_id="c-1")
        second = setup.receive(channel="chat", customer_id="c-2")
    with (
        InterleavingDesk(store, clock=clock, snapshot_interval=snapshots) as one,
        HelpDesk(store, clock=clock, snapshot_interval=snapshots) as other,
    ):
        # ``one`` reads Ann holding nothing; before it saves, ``other`` gives her ``second``.
        one.before_save = lambda: other.assign(second, ann)
        with pytest.raises(AgentAtCapacity):
            one.assign(first, ann)
        assert one.held_by(ann) == {second}
        assert one.agent(ann).holdings == {second}
        assert one.ticket(first).status is TicketStatus.WAITING
        assert [type(e) for e in one.ticket_events(first)] == [TicketReceived]


@SNAPSHOTS
def test_an_assignment_that_loses_to_a_release_on_the_agent_retries_and_succeeds(
    store: Store, clock: ManualClock, snapshots: int
) -> None:
    with HelpDesk(store, clock=clock, snapshot_interval=snapshots) as setup:
        ann = setup.join_agent("Ann", capacity=2)
        held = setup.receive(channel="chat", customer_id="c-1")
        waiting = setup.receive(channel="chat", customer_id="c-2")
        setup.assign(held, ann)
    with (
        InterleavingDesk(store, clock=clock, snapshot_interval=snapshots) as one,
        HelpDesk(store, clock=clock, snapshot_interval=snapshots) as other,
    ):
        # The resolve changes Ann's version too: ``one``'s save conflicts, and its retry
        # reads her holding nothing.
        one.before_save = lambda: other.resolve(held, ann)
        one.assign(waiting, ann)
        assert one.agent(ann).holdings == {waiting} == one.held_by(ann)
        assert one.ticket(held).status is TicketStatus.RESOLVED
        started = [e for e in one.agent_events(ann) if isinstance(e, AgentStartedHolding)]
        assert [e.ticket_id for e in started] == [held, waiting]


# --- the storm ------------------------------------------------------------------------


def prepare(store: Store, clock: ManualClock) -> Storm:
    """:data:`AGENTS` agents of :data:`CAPACITY` and :data:`TICKETS` waiting tickets."""
    with HelpDesk(store, clock=clock) as desk:
        agent_ids = tuple(desk.join_agent(f"Agent {n}", capacity=CAPACITY) for n in range(AGENTS))
        ticket_ids = tuple(
            desk.receive(channel="chat", customer_id=f"c-{n}") for n in range(TICKETS)
        )
    return Storm(
        store=store,
        agent_ids=agent_ids,
        ticket_ids=ticket_ids,
        at=clock.now() + timedelta(minutes=1),
        timeout=TIMEOUT,
    )


def storm_in_processes(storm: Storm, processes: int) -> tuple[list[Outcome], float]:
    """One spawned process per worker; their outcomes in worker order, and the seconds."""
    outcomes, seconds = in_spawned_processes(
        work_in_process, (storm,), workers=processes, timeout=TIMEOUT
    )
    return sorted(outcomes, key=lambda o: o.worker), seconds


def peak_holdings(log: Iterable[DomainEvent]) -> tuple[Counter[UUID], int]:
    """Replay the tickets' events in log order: each agent's peak holding, and how often a
    ticket was assigned while someone held it."""
    holder: dict[UUID, UUID] = {}
    holding: Counter[UUID] = Counter()
    peak: Counter[UUID] = Counter()
    doubles = 0
    for event in log:
        if isinstance(event, TicketAssigned):
            doubles += event.ticket_id in holder
            holder[event.ticket_id] = event.agent_id
            holding[event.agent_id] += 1
            peak[event.agent_id] = max(peak[event.agent_id], holding[event.agent_id])
        elif isinstance(event, TicketResolved):
            holding[holder.pop(event.ticket_id)] -= 1
    return peak, doubles


@pytest.mark.slow
@pytest.mark.parametrize("processes", [2, 4, 8])
def test_a_storm_of_processes_never_fills_an_agent_past_capacity(
    store: Store,
    clock: ManualClock,
    processes: int,
    record_property: Callable[[str, object], None],
) -> None:
    storm = prepare(store, clock)
    outcomes, seconds = storm_in_processes(storm, processes)

    assert [o.failures for o in outcomes] == [()] * processes
    assigned = [pair for o in outcomes for pair in o.assigned]
    resolved = {ticket for o in outcomes for ticket in o.resolved}
    with HelpDesk(store, clock=clock) as reader:
        log = [event for _, event in reader.read_log()]
        peak, doubles = peak_holdings(log)
        assert max(peak.values()) <= CAPACITY
        assert doubles == 0
        # Every acknowledged assignment is in the log, and nothing else is.
        in_log = [(e.ticket_id, e.agent_id) for e in log if isinstance(e, TicketAssigned)]
        assert sorted(in_log) == sorted(assigned)
        assert len({ticket for ticket, _ in assigned}) == len(assigned)
        # No ticket lost: each waits, is held by the agent it was given to, or is resolved.
        given = dict(assigned)
        for ticket_id in storm.ticket_ids:
            state = reader.ticket(ticket_id)
            if ticket_id in resolved:
                assert state.status is TicketStatus.RESOLVED
            elif ticket_id in given:
                assert state.agent_id == given[ticket_id]
            else:
                assert state.status is TicketStatus.WAITING
        for agent_id in storm.agent_ids:
            assert reader.agent(agent_id).holdings == reader.held_by(agent_id)
            assert len(reader.held_by(agent_id)) <= CAPACITY
    started = sum(isinstance(e, AgentStartedHolding) for e in log)
    assert started == len(assigned)
    assert sum(isinstance(e, AgentJoined | AgentWentOnline) for e in log) == 2 * AGENTS
    full = sum(o.full for o in outcomes)
    conflicts = sum(o.conflicts for o in outcomes)
    print(
        f"\n[{store.kind}, {processes} processes] {len(assigned)} assignments, "
        f"{len(resolved)} resolved, {full} refused at capacity, {conflicts} lost saves, "
        f"peak holdings {sorted(peak.values())} of {CAPACITY}, {seconds:.2f} s"
    )
    record_property("assignments", len(assigned))
    record_property("refused_at_capacity", full)
    record_property("lost_saves", conflicts)
    record_property("seconds", round(seconds, 3))
