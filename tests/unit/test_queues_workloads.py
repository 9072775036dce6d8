"""Queues, workloads and backlog: hand-computed scenarios, and invariants over random histories.

The random histories (:func:`histories`, played by :class:`Player`) are also used by
``test_replay_equivalence.py``: steps pick their ticket among those whose status accepts
the command, so most commands are accepted; the desk's rejections are ignored (a rejected
command writes nothing).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketlog import (
    AssignedBy,
    Channel,
    EscalationKind,
    HelpDesk,
    ManualClock,
    Priority,
    TicketlogError,
    TicketState,
    TicketStatus,
)
from ticketlog.projections import ORDERINGS, DeskView, Durations, QueuedTicket, Queues, fold
from ticketlog.testing import strategies as tls

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
"""Tuesday 24 November 2026, 09:00 UTC, as in ``tests/conftest.py``."""

WAITING, ASSIGNED, RESOLVED, CLOSED, ABANDONED = TicketStatus


def at(hour: int, minute: int = 0) -> datetime:
    """That time of :data:`START`'s day."""
    return START.replace(hour=hour, minute=minute)


def ids(tickets: Iterator[QueuedTicket] | list[QueuedTicket]) -> list[UUID]:
    return [ticket.ticket_id for ticket in tickets]


# --- queues: a hand-made morning -----------------------------------------------------------

A, B, C, D, E = (UUID(int=n) for n in (0xA, 0xB, 0xC, 0xD, 0x5))
"""Ticket ids; E sorts before D, so it wins their tie."""


@pytest.fixture
def morning(desk: HelpDesk) -> HelpDesk:
    """Five waiting tickets (default SLA targets; first reply due in brackets).

    ======  =====  ======  ========  =======  ===============
    ticket  time   queue   priority  channel  due
    ======  =====  ======  ========  =======  ===============
    A       09:00  general normal    email    13:00 (4 h)
    B       09:10  general low       email    17:10 (8 h)
    C       09:10  billing urgent    phone    09:25 (15 min)
    D       09:20  general high      email    10:20 (1 h)
    E       09:20  general high      email    10:20 (1 h)
    ======  =====  ======  ========  =======  ===============
    """
    for ticket_id, when, queue, priority, channel in (
        (A, at(9), "general", "normal", "email"),
        (B, at(9, 10), "general", "low", "email"),
        (C, at(9, 10), "billing", "urgent", "phone"),
        (D, at(9, 20), "general", "high", "email"),
        (E, at(9, 20), "general", "high", "email"),
    ):
        desk.receive(
            ticket_id=ticket_id,
            at=when,
            queue=queue,
            priority=priority,
            channel=channel,
            customer_id="c-1",
        )
    return desk


def order(desk: HelpDesk, queue: str = "*", by: str = "fifo") -> list[UUID]:
    return ids(desk.view().queues.waiting(queue, order=by))


@pytest.mark.parametrize(
    ("queue", "by", "expected"),
    [
        pytest.param("*", "fifo", [A, B, C, E, D], id="all-fifo"),
        pytest.param("general", "fifo", [A, B, E, D], id="general-fifo"),
        pytest.param("billing", "fifo", [C], id="billing-fifo"),
        pytest.param("*", "priority", [C, E, D, A, B], id="all-priority"),
        pytest.param("general", "priority", [E, D, A, B], id="general-priority"),
        pytest.param("*", "deadline", [C, E, D, A, B], id="all-deadline"),
        pytest.param("general", "deadline", [E, D, A, B], id="general-deadline"),
        pytest.param("nowhere", "fifo", [], id="unknown-queue"),
    ],
)
def test_waiting_tickets_in_each_ordering(
    morning: HelpDesk, queue: str, by: str, expected: list[UUID]
) -> None:
    assert order(morning, queue, by) == expected


def test_queue_views_count_and_find_waiting_tickets(morning: HelpDesk) -> None:
    queues = morning.view().queues
    assert queues.queue_names() == ["billing", "general"]
    assert (queues.waiting_count(), queues.waiting_count("general")) == (5, 4)
    assert queues.waiting_count("nowhere") == 0
    assert [queues.first(), queues.first(order="priority")] == [queues.get(A), queues.get(C)]
    by_phone = queues.first(where=lambda t: t.channel is Channel.PHONE)
    assert by_phone is not None
    assert by_phone.ticket_id == C
    assert queues.first("general", where=lambda t: t.channel is Channel.PHONE) is None
    high = queues.first("general", order="fifo", where=lambda t: t.priority is Priority.HIGH)
    assert high is not None
    assert high.ticket_id == E
    assert ids(queues.waiting(where=lambda t: t.priority is Priority.HIGH)) == [E, D]
    assert queues.first("nowhere") is None


def test_a_queued_ticket_carries_its_attributes_and_deadline(morning: HelpDesk) -> None:
    ticket = morning.view().queues.get(C)
    assert ticket is not None
    assert (ticket.queue, ticket.priority, ticket.channel, ticket.tier) == (
        "billing",
        Priority.URGENT,
        Channel.PHONE,
        1,
    )
    assert (ticket.received_at, ticket.queued_at, ticket.due) == (at(9, 10), at(9, 10), at(9, 25))
    assert (ticket.replied, ticket.agent_id, ticket.last_agent_id) == (False, None, None)


@pytest.mark.parametrize(
    ("now", "within", "queue", "expected"),
    [
        pytest.param(at(9), timedelta(0), "*", [], id="nothing-due-yet"),
        pytest.param(at(9, 25), timedelta(0), "*", [C], id="due-now-counts"),
        pytest.param(at(9, 30), timedelta(0), "*", [C], id="past-due"),
        pytest.param(at(9, 30), timedelta(minutes=49), "*", [C], id="just-short-of-D-and-E"),
        pytest.param(at(9, 30), timedelta(minutes=50), "*", [C, E, D], id="D-and-E-within"),
        pytest.param(at(9, 30), timedelta(hours=1), "general", [E, D], id="one-queue"),
        pytest.param(at(18), timedelta(0), "*", [C, E, D, A, B], id="all-past-due"),
    ],
)
def test_breaching_lists_tickets_past_or_near_their_deadline(
    morning: HelpDesk, now: datetime, within: timedelta, queue: str, expected: list[UUID]
) -> None:
    assert ids(morning.view().queues.breaching(now=now, within=within, queue=queue)) == expected


def test_commands_move_tickets_between_queues_and_agents(morning: HelpDesk) -> None:
    desk = morning
    ann = desk.join_agent("Ann", capacity=3, tier=2)
    bo = desk.join_agent("Bo", capacity=3, tier=2)
    desk.view().queues.first(order="deadline")  # build an index: it must follow every move

    def queues() -> Queues:
        return desk.view().queues  # caught up with the log

    desk.reprioritise(B, "urgent", at=at(9, 40))  # B is due at 09:10 + 15 min now
    assert order(desk, by="priority") == [B, C, E, D, A]  # B and C tie: B's id is smaller
    assert order(desk, by="deadline") == [B, C, E, D, A]
    assert ids(queues().breaching(now=at(9, 40))) == [B, C]

    desk.assign(C, ann, at=at(9, 45))
    assert order(desk) == [A, B, E, D]
    assert ids(queues().held_by(ann)) == [C]
    held = queues().get(C)
    assert held is not None
    assert (held.agent_id, held.last_agent_id) == (ann, ann)
    assert ids(queues().breaching(now=at(9, 45))) == [B]  # held tickets are not in the queue

    desk.respond(C, ann, public=False, at=at(9, 47))  # a note: the first reply is still due
    assert queues().get(C) == held
    desk.respond(C, ann, at=at(9, 50))
    replied = queues().get(C)
    assert replied is not None
    assert (replied.replied, replied.due) == (True, at(13, 10))  # urgent: resolve in 4 h

    desk.transfer(C, to_queue="general", at=at(10))
    assert ids(queues().held_by(ann)) == []
    assert order(desk, "billing") == []
    assert order(desk, "general") == [A, B, C, E, D]
    assert order(desk, "general", "deadline") == [B, E, D, A, C]
    requeued = queues().get(C)
    assert requeued is not None
    assert (requeued.queue, requeued.queued_at, requeued.agent_id) == ("general", at(10), None)
    assert requeued.last_agent_id == ann

    desk.assign(C, ann, at=at(10, 1))
    desk.transfer(C, to_agent_id=bo, at=at(10, 2))
    assert (ids(queues().held_by(ann)), ids(queues().held_by(bo))) == ([], [C])
    moved = queues().get(C)
    assert moved is not None
    assert (moved.agent_id, moved.last_agent_id, moved.queue) == (bo, bo, "general")

    desk.escalate(D, kind="hierarchical", to_queue="specialists", at=at(10, 5))
    assert order(desk, "general") == [A, B, E]
    assert order(desk, "specialists") == [D]
    escalated = queues().get(D)
    assert escalated is not None
    assert (escalated.tier, escalated.queued_at) == (2, at(10, 5))
    assert queues().queue_names() == ["billing", "general", "specialists"]

    desk.assign(A, ann, at=at(10, 10))
    desk.resolve(A, ann, at=at(10, 20))
    assert queues().get(A) is None
    assert order(desk) == [B, E, D]
    desk.reopen(A, at=at(10, 30))
    reopened = queues().get(A)
    assert reopened is not None
    assert (reopened.agent_id, reopened.last_agent_id, reopened.queued_at) == (
        None,
        ann,
        at(10, 30),
    )
    assert order(desk) == [A, B, E, D]  # FIFO goes by receipt: A is still the oldest

    desk.abandon(E, at=at(10, 40))
    desk.close_ticket(B, at=at(10, 45))
    assert order(desk) == [A, D]
    assert order(desk, by="priority") == [D, A]
    assert (queues().get(B), queues().get(E)) == (None, None)
    assert queues().waiting_count() == 2


def test_held_tickets_come_most_severe_first_then_oldest(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", capacity=3)
    normal = desk.receive(channel="chat", customer_id="c", at=at(9))
    high = desk.receive(channel="chat", customer_id="c", priority="high", at=at(9, 10))
    urgent = desk.receive(channel="chat", customer_id="c", priority="urgent", at=at(9, 30))
    for ticket in (normal, high, urgent):
        desk.assign(ticket, ann, at=at(9, 40))
    assert ids(desk.view().queues.held_by(ann)) == [urgent, high, normal]
    desk.reprioritise(normal, "urgent", at=at(9, 50))
    assert ids(desk.view().queues.held_by(ann)) == [normal, urgent, high]


def test_register_ordering_adds_a_sort_key_built_on_first_use(desk: HelpDesk) -> None:
    low = desk.receive(channel="chat", customer_id="c", customer_value=10.0, at=at(9))
    top = desk.receive(channel="chat", customer_id="c", customer_value=900.0, at=at(9, 5))
    queues = desk.view().queues
    queues.first(order="fifo")  # other indexes exist already
    queues.register_ordering("value", lambda t: (-t.customer_value, t.received_at, t.ticket_id))
    assert ids(queues.waiting(order="value")) == [top, low]
    richer = desk.receive(channel="chat", customer_id="c", customer_value=5000.0, at=at(9, 10))
    desk.view()
    assert ids(queues.waiting(order="value")) == [richer, top, low]
    assert ids(queues.waiting("general", order="value")) == [richer, top, low]
    with pytest.raises(ValueError, match="already registered"):
        queues.register_ordering("value", lambda t: t.received_at)
    with pytest.raises(ValueError, match="already registered"):
        queues.register_ordering("fifo", lambda t: t.received_at)
    with pytest.raises(KeyError, match="unknown ordering 'easiest'"):
        queues.first(order="easiest")


def test_an_index_built_early_equals_a_fresh_sort_after_later_events(morning: HelpDesk) -> None:
    desk = morning
    ann = desk.join_agent("Ann", capacity=5, tier=3)
    queues = desk.view().queues
    names = ["*", "general", "billing", "specialists"]
    for name in names:
        for by in ORDERINGS:
            queues.first(name, order=by)  # build every index before the events below

    desk.assign(E, ann, at=at(9, 30))
    desk.reprioritise(A, "urgent", at=at(9, 31))
    desk.transfer(C, to_queue="general", at=at(9, 32))
    desk.escalate(D, kind="functional", to_queue="specialists", at=at(9, 33))
    desk.transfer(E, to_queue="billing", at=at(9, 34))
    desk.receive(ticket_id=UUID(int=1), channel="chat", customer_id="c", at=at(9, 35))
    desk.abandon(B, at=at(9, 36))
    desk.assign(A, ann, at=at(9, 37))
    desk.respond(A, ann, at=at(9, 38))
    desk.transfer(A, to_queue="specialists", at=at(9, 39))

    queues = desk.view().queues  # caught up
    fresh = fold(Queues(), (event for _, event in desk.read_log()))
    for name in names:
        for by, key in ORDERINGS.items():
            live = list(queues.waiting(name, order=by))
            assert live == list(fresh.waiting(name, order=by)), (name, by)
            assert live == sorted(live, key=key)
    assert ids(queues.waiting("specialists", order="deadline")) == [D, A]
    assert ids(queues.waiting(order="fifo")) == [A, C, E, D, UUID(int=1)]


# --- workloads ------------------------------------------------------------------------------


def test_occupancy_is_time_holding_a_ticket_over_time_online(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", capacity=2, at=at(9))
    ticket = desk.receive(channel="chat", customer_id="c", at=at(9))
    desk.assign(ticket, ann, at=at(10))
    desk.resolve(ticket, ann, at=at(12))

    load = desk.view().workloads.workload(ann, now=at(17))
    assert (load.online_time, load.busy_time) == (timedelta(hours=8), timedelta(hours=2))
    assert load.occupancy == 25.0
    assert (load.handled, load.handle_time) == (1, timedelta(hours=2))
    assert (load.held, load.holding, load.headroom) == (frozenset(), 0, 2)


def test_workloads_add_spells_and_leave_out_offline_time(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", team="billing", capacity=2, at=at(9))
    bo = desk.join_agent("Bo", capacity=2, at=at(9))
    dee = desk.join_agent("Dee", online=False, at=at(9))
    t1, t2, t3 = (desk.receive(channel="chat", customer_id="c", at=at(9)) for _ in range(3))
    desk.assign(t1, ann, at=at(10))
    desk.assign(t2, ann, at=at(11))
    desk.transfer(t2, to_agent_id=bo, at=at(11, 30))  # Ann held it 30 min
    desk.resolve(t1, ann, at=at(12))  # 2 h
    desk.assign(t3, ann, at=at(12, 30))
    desk.go_offline(ann, at=at(13))  # she keeps t3 while offline
    desk.go_online(ann, at=at(15))

    workloads = desk.view().workloads
    load = workloads.workload(ann, now=at(17))
    # Online 09-13 and 15-17; holding something 10-12, 12:30-13 and 15-17 of that.
    assert (load.online_time, load.busy_time) == (timedelta(hours=6), timedelta(hours=4.5))
    assert load.occupancy == 75.0
    # Handle time does not stop while offline: 2 h + 30 min + 12:30-17:00 still running.
    assert load.handle_time == timedelta(hours=7)
    assert (load.handled, load.held, load.headroom) == (1, frozenset({t3}), 1)
    assert (load.name, load.team, load.tier, load.capacity, load.online) == (
        "Ann",
        "billing",
        1,
        2,
        True,
    )
    bo_load = workloads.workload(bo, now=at(17))
    assert (bo_load.online_time, bo_load.busy_time, bo_load.handle_time) == (
        timedelta(hours=8),
        timedelta(hours=5, minutes=30),
        timedelta(hours=5, minutes=30),
    )
    assert (bo_load.held, bo_load.handled) == (frozenset({t2}), 0)
    dee_load = workloads.workload(dee, now=at(17))
    assert (dee_load.online_time, dee_load.occupancy) == (timedelta(0), None)

    assert workloads.agent_ids() == [ann, bo, dee]
    assert [w.agent_id for w in workloads.workloads(now=at(17))] == [ann, bo, dee]
    assert (workloads.holder_of(t2), workloads.holder_of(t1)) == (bo, None)
    assert workloads.held_by(ann) == frozenset({t3})
    with pytest.raises(KeyError):
        workloads.workload(UUID(int=99), now=at(17))


def test_headroom_is_never_negative(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", capacity=2)
    for _ in range(2):
        desk.assign(desk.receive(channel="chat", customer_id="c"), ann)
    desk.change_agent(ann, capacity=1)
    load = desk.view().workloads.workload(ann, now=START)
    assert (load.capacity, load.holding, load.headroom) == (1, 2, 0)


def test_closing_a_held_ticket_releases_it(desk: HelpDesk, clock: ManualClock) -> None:
    ann = desk.join_agent("Ann", capacity=2)
    ticket = desk.receive(channel="chat", customer_id="c")
    desk.assign(ticket, ann)
    clock.advance(minutes=20)
    desk.close_ticket(ticket)
    load = desk.view().workloads.workload(ann, now=clock.now() + timedelta(hours=1))
    assert (load.held, load.handled, load.handle_time) == (frozenset(), 0, timedelta(minutes=20))


# --- backlog --------------------------------------------------------------------------------


@pytest.fixture
def busy_day(desk: HelpDesk) -> HelpDesk:
    """Open tickets per queue over a day.

    09:00 t1 general; 09:30 t2 billing; 10:00 t3 general; 11:00 t1 resolved;
    11:30 t2 to general; 12:00 t1 reopened; 12:30 t3 abandoned; 13:00 t3 closed;
    13:30 t2 escalated to specialists.
    """
    ann = desk.join_agent("Ann", capacity=3, at=at(9))
    t1 = desk.receive(channel="chat", customer_id="c", at=at(9))
    t2 = desk.receive(channel="chat", customer_id="c", queue="billing", at=at(9, 30))
    t3 = desk.receive(channel="chat", customer_id="c", at=at(10))
    desk.assign(t1, ann, at=at(10, 30))
    desk.resolve(t1, ann, at=at(11))
    desk.transfer(t2, to_queue="general", at=at(11, 30))
    desk.reopen(t1, at=at(12))
    desk.abandon(t3, at=at(12, 30))
    desk.close_ticket(t3, at=at(13))
    desk.escalate(t2, kind="functional", to_queue="specialists", at=at(13, 30))
    return desk


@pytest.mark.parametrize(
    ("when", "everywhere", "per_queue"),
    [
        (at(8, 59), 0, (0, 0, 0)),
        (at(9), 1, (1, 0, 0)),
        (at(9, 30), 2, (1, 1, 0)),
        (at(10), 3, (2, 1, 0)),
        (at(10, 59), 3, (2, 1, 0)),
        (at(11), 2, (1, 1, 0)),
        (at(11, 30), 2, (2, 0, 0)),
        (at(12), 3, (3, 0, 0)),
        (at(12, 30), 2, (2, 0, 0)),
        (at(13), 2, (2, 0, 0)),
        (at(13, 30), 2, (1, 0, 1)),
    ],
    ids=lambda value: value.strftime("%H:%M") if isinstance(value, datetime) else None,
)
def test_backlog_at_counts_open_tickets_per_queue(
    busy_day: HelpDesk, when: datetime, everywhere: int, per_queue: tuple[int, int, int]
) -> None:
    """``per_queue``: general, billing, specialists."""
    backlog = busy_day.view().backlog
    assert backlog.at(when) == everywhere
    assert (
        backlog.at(when, queue="general"),
        backlog.at(when, queue="billing"),
        backlog.at(when, queue="specialists"),
    ) == per_queue


def test_backlog_series_samples_every_step(busy_day: HelpDesk) -> None:
    backlog = busy_day.view().backlog
    hours = [at(h) for h in range(9, 15)]
    assert backlog.queues() == ["billing", "general", "specialists"]
    assert backlog.series(at(9), at(14), timedelta(hours=1)) == list(
        zip(hours, [1, 3, 2, 3, 2, 2], strict=True)
    )
    assert backlog.series(at(9), at(14), timedelta(hours=1), queue="general") == list(
        zip(hours, [1, 2, 1, 3, 2, 1], strict=True)
    )
    assert backlog.series(at(9), at(14), timedelta(hours=1), queue="billing") == list(
        zip(hours, [0, 1, 1, 0, 0, 0], strict=True)
    )
    assert backlog.series(at(9), at(9, 59), timedelta(hours=1)) == [(at(9), 1)]
    assert backlog.series(at(9), at(14), timedelta(hours=1), queue="nowhere") == list(
        zip(hours, [0] * 6, strict=True)
    )
    with pytest.raises(ValueError, match="positive"):
        backlog.series(at(9), at(14), timedelta(0))


# --- random histories ---------------------------------------------------------------------


@attrs.frozen
class Receive:
    """A request arrives."""

    attributes: tls.TicketAttributes
    seconds: int = 0


@attrs.frozen
class Join:
    """An agent joins."""

    profile: tls.AgentProfileArguments
    seconds: int = 0


@attrs.frozen
class Act:
    """A command on the ``pick``-th ticket whose status accepts it; ``other`` chooses the
    agent, queue, score or priority."""

    command: str
    pick: int
    other: int
    seconds: int = 0


Step = Receive | Join | Act

COMMANDS = {
    "assign": 4,
    "respond": 2,
    "note": 1,
    "resolve": 3,
    "transfer": 2,
    "escalate": 1,
    "reopen": 1,
    "rate": 2,
    "close": 1,
    "abandon": 1,
    "reprioritise": 1,
    "presence": 1,
    "profile": 1,
}
"""Every command, with its weight: work on tickets is more common than closing them."""
SECONDS = st.integers(min_value=0, max_value=3600) | st.just(0)
TICKETS = tls.ticket_attributes(languages=("en",), skills=("billing",), max_tier=1)
AGENTS = tls.agent_profiles(languages=("en",), skills=("billing",), max_tier=3)
OPEN = (WAITING, ASSIGNED)


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """Mostly commands, sometimes an arrival or a new agent."""
    roll = draw(st.integers(min_value=0, max_value=11))
    seconds = draw(SECONDS)
    if roll == 0:
        return Join(draw(AGENTS), seconds)
    if roll <= 2:
        return Receive(draw(TICKETS), seconds)
    command = draw(st.sampled_from([c for c, weight in COMMANDS.items() for _ in range(weight)]))
    pick = draw(st.integers(min_value=0, max_value=15))
    return Act(command, pick, draw(st.integers(min_value=0, max_value=15)), seconds)


def histories(max_steps: int = 50) -> st.SearchStrategy[list[Step]]:
    """Some agents, some tickets, then ``max_steps`` steps at most."""
    return st.builds(
        lambda agents, tickets, rest: [*agents, *tickets, *rest],
        st.lists(st.builds(Join, AGENTS, SECONDS), min_size=1, max_size=3),
        st.lists(st.builds(Receive, TICKETS, SECONDS), min_size=1, max_size=4),
        st.lists(steps(), min_size=min(15, max_steps), max_size=max_steps),
    )


class Player:
    """Plays steps on a desk, moving its clock; rejected commands are ignored."""

    def __init__(self, desk: HelpDesk, clock: ManualClock) -> None:
        self.desk = desk
        self.clock = clock
        self.tickets: list[UUID] = []
        self.agents: list[UUID] = []

    def play(self, step: Step) -> bool:
        """Apply one step; return whether the desk accepted it."""
        self.clock.advance(seconds=step.seconds)
        if isinstance(step, Receive):
            self.tickets.append(self.desk.receive(**step.attributes))
            return True
        if isinstance(step, Join):
            self.agents.append(self.desk.join_agent(**step.profile))
            return True
        try:
            return self._act(step)
        except TicketlogError:
            return False

    def _act(self, step: Act) -> bool:  # noqa: PLR0912 - one branch per command
        desk, other = self.desk, step.other
        states = [desk.ticket(ticket_id) for ticket_id in self.tickets]

        def among(*statuses: TicketStatus) -> TicketState | None:
            pool = [state for state in states if state.status in statuses]
            return pool[step.pick % len(pool)] if pool else None

        anyone = self.agents[other % len(self.agents)]
        if step.command == "presence":
            if desk.agent(anyone).online:
                desk.go_offline(anyone)
            else:
                desk.go_online(anyone)
            return True
        if step.command == "profile":
            desk.change_agent(anyone, capacity=1 + step.pick % 3, tier=step.pick % 4)
            return True
        online = [a for a in self.agents if desk.agent(a).online] or self.agents
        agent = online[other % len(online)]  # mostly an agent who can take tickets
        queue = tls.QUEUES[other // 2 % len(tls.QUEUES)]
        wanted: dict[str, tuple[TicketStatus, ...]] = {
            "assign": (WAITING,),
            "respond": (ASSIGNED,),
            "note": (ASSIGNED,),
            "resolve": (ASSIGNED,),
            "reopen": (RESOLVED,),
            "rate": (RESOLVED,),
            "abandon": (WAITING,),
            "close": (WAITING, ASSIGNED, RESOLVED, ABANDONED),
        }
        ticket = among(*wanted.get(step.command, OPEN))
        if ticket is None:
            return False
        tid, holder = ticket.id, ticket.agent_id
        match step.command:
            case "assign":
                desk.assign(tid, agent, by=list(AssignedBy)[other % len(AssignedBy)])
            case "respond" | "note":
                assert holder is not None
                desk.respond(tid, holder, public=step.command == "respond")
            case "resolve":
                assert holder is not None
                desk.resolve(tid, holder)
            case "transfer" if other % 2:
                desk.transfer(tid, to_queue=queue)
            case "transfer":
                desk.transfer(tid, to_agent_id=agent, to_queue=None if other % 4 else queue)
            case "escalate":
                kind = list(EscalationKind)[other % len(EscalationKind)]
                desk.escalate(tid, kind=kind, to_queue=queue if other % 3 else None)
            case "reopen":
                desk.reopen(tid)
            case "rate":
                csat = 1 + (step.pick + other) % 5
                nps = (step.pick * 3 + other) % 11
                desk.rate(
                    tid, csat=csat if other % 3 != 1 else None, nps=nps if other % 3 else None
                )
            case "close":
                desk.close_ticket(tid)
            case "abandon":
                desk.abandon(tid)
            case _:
                desk.reprioritise(tid, list(Priority)[other % len(Priority)])
        return True


def played(history: list[Step], *, after: Callable[[Player], None] | None = None) -> Player:
    """A fresh in-memory desk with ``history`` played on it (the desk is left open)."""
    clock = ManualClock(START)
    player = Player(HelpDesk("memory://", clock=clock), clock)
    for step in history:
        player.play(step)
        if after is not None:
            after(player)
    return player


def check_durations(durations: Durations) -> None:
    if durations.count == 0:
        assert durations == Durations(count=0, mean=None, p50=None, p90=None, p95=None)
        return
    assert durations.p50 is not None
    assert durations.p90 is not None
    assert durations.p95 is not None
    assert timedelta(0) <= durations.p50 <= durations.p90 <= durations.p95


def check_invariants(player: Player) -> None:  # noqa: PLR0912 - one invariant after another
    desk, now = player.desk, player.clock.now()
    view: DeskView = desk.view()
    queues, workloads = view.queues, view.workloads
    states = {ticket_id: desk.ticket(ticket_id) for ticket_id in player.tickets}

    # Every received ticket is in exactly one place, the one its status says.
    places: Counter[UUID] = Counter()
    where: dict[UUID, str] = {}
    for queue in queues.queue_names():
        for queued in queues.waiting(queue):
            places[queued.ticket_id] += 1
            where[queued.ticket_id] = f"waiting in {queue}"
    for agent in player.agents:
        for ticket_id in workloads.held_by(agent):
            places[ticket_id] += 1
            where[ticket_id] = f"held by {agent}"
    for facts in view.facts:
        if facts.status in (RESOLVED, CLOSED, ABANDONED):
            places[facts.ticket_id] += 1
            where[facts.ticket_id] = str(facts.status)
    assert places == Counter(player.tickets), "a ticket is in no place or in two"
    for ticket_id, state in states.items():
        expected = {WAITING: f"waiting in {state.queue}", ASSIGNED: f"held by {state.agent_id}"}
        assert where[ticket_id] == expected.get(state.status, str(state.status))
        assert view.facts.tickets[ticket_id].status is state.status
        assert workloads.holder_of(ticket_id) == state.agent_id
        found = queues.get(ticket_id)
        if state.is_open:
            assert found is not None
            assert (found.queue, found.tier, found.priority, found.agent_id) == (
                state.queue,
                state.tier,
                state.priority,
                state.agent_id,
            )
        else:
            assert found is None

    # Holdings agree between the projections and with the tickets.
    held = [state for state in states.values() if state.status is ASSIGNED]
    loads = workloads.workloads(now=now)
    assert sum(load.holding for load in loads) == len(held)
    for load in loads:
        assert {t.ticket_id for t in queues.held_by(load.agent_id)} == load.held
        assert load.headroom >= 0
        assert timedelta(0) <= load.busy_time <= load.online_time
        assert load.occupancy is None or 0.0 <= load.occupancy <= 100.0
    assert sum(load.handled for load in loads) == sum(f.resolutions for f in view.facts)
    running = sum(
        (now - f.spell_start for f in view.facts if f.spell_start is not None), timedelta(0)
    )
    assert sum((load.handle_time for load in loads), timedelta(0)) == (
        sum((f.handle_time for f in view.facts), timedelta(0)) + running
    )

    # Waiting counts, orderings (indexes maintained since their first use) and backlog.
    waiting = [state for state in states.values() if state.status is WAITING]
    assert queues.waiting_count() == len(waiting)
    for queue in ["*", *tls.QUEUES]:
        expected_waiting = [
            listed
            for s in waiting
            if queue in ("*", s.queue) and (listed := queues.get(s.id)) is not None
        ]
        assert len(expected_waiting) == sum(queue in ("*", s.queue) for s in waiting)
        for by, key in ORDERINGS.items():
            assert list(queues.waiting(queue, order=by)) == sorted(expected_waiting, key=key)
    open_tickets = [state for state in states.values() if state.is_open]
    assert view.backlog.at(now) == len(open_tickets)
    for queue in view.backlog.queues():
        assert view.backlog.at(now, queue=queue) == sum(s.queue == queue for s in open_tickets)

    # KPIs count the tickets and stay in range.
    overall = view.kpis(now=now)
    assert (overall.tickets, overall.open) == (len(states), len(open_tickets))
    for kpis in (view.kpis(now=now), *view.kpis_by("channel", now=now).values()):
        assert kpis.csat is None or 0.0 <= kpis.csat <= 100.0
        assert kpis.csat_mean is None or 1.0 <= kpis.csat_mean <= 5.0
        assert kpis.nps is None or -100.0 <= kpis.nps <= 100.0
        for value in (
            kpis.fcr,
            kpis.sla_first_reply,
            kpis.sla_resolution,
            kpis.transfer_rate,
            kpis.escalation_rate,
            kpis.reopen_rate,
            kpis.abandonment_rate,
        ):
            assert value is None or 0.0 <= value <= 100.0
        for durations in (kpis.wait, kpis.first_reply, kpis.resolution, kpis.handle):
            check_durations(durations)


@settings(deadline=None)
@given(history=histories())
def test_invariants_hold_after_every_step_of_a_random_history(history: list[Step]) -> None:
    player = played(history, after=check_invariants)
    with player.desk:
        assert len(player.tickets) == sum(isinstance(step, Receive) for step in history)


@settings(deadline=None)
@given(history=histories(), data=st.data())
def test_indexes_built_at_any_point_match_a_fresh_sort(
    history: list[Step], data: st.DataObject
) -> None:
    built_at = data.draw(st.integers(min_value=0, max_value=len(history)), label="built_at")
    names = ["*", *tls.QUEUES]

    def build(player: Player) -> None:
        if len(player.tickets) + len(player.agents) == built_at:
            for name in names:
                for by in ORDERINGS:
                    player.desk.view().queues.first(name, order=by)

    player = played(history, after=build)
    with player.desk:
        live = player.desk.view().queues
        fresh = fold(Queues(), (event for _, event in player.desk.read_log()))
        assert live == fresh
        for name in names:
            for by in ORDERINGS:
                assert list(live.waiting(name, order=by)) == list(fresh.waiting(name, order=by))


def test_the_random_histories_reach_every_status() -> None:
    """A guard on the generator: the histories above exercise the whole lifecycle."""
    seen: set[TicketStatus] = set()
    commands: Counter[str] = Counter()

    @settings(deadline=None, max_examples=40, database=None)
    @given(history=histories())
    def collect(history: list[Step]) -> None:
        def note(player: Player) -> None:
            seen.update(player.desk.ticket(t).status for t in player.tickets)

        player = played(history, after=note)
        player.desk.close()
        commands.update(step.command for step in history if isinstance(step, Act))

    collect()
    assert seen == set(TicketStatus)
    assert set(commands) == set(COMMANDS)
