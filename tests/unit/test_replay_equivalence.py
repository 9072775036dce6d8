"""Projections are pure folds: fed live, rebuilt, resumed or stopped in time, they agree.

For random valid histories (played by the generator of ``test_queues_workloads.py``):
the live view (``desk.view()`` after every command), a rebuild from the whole log, and a
follower stopped at a random position and resumed by a new follower from its checkpoint
hold equal state and answer every query the same. ``fold(until=t)`` is the desk as it was
at ``t``. Also: unknown event types are skipped, checkpoints are taken when documented,
and the DataFrame exports hold exactly the facts and KPIs.
"""

from __future__ import annotations

import copy
import gc
import math
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import attrs
import pandas as pd
import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.test_queues_workloads import Player, Step, histories
from ticketlog import DomainEvent, HelpDesk, ManualClock, TicketEvent
from ticketlog.io.frames import facts_frame, kpi_frame
from ticketlog.persistence.checkpoints import MemoryCheckpoints
from ticketlog.projections import (
    ORDERINGS,
    DeskView,
    Dimension,
    Durations,
    Follower,
    Kpis,
    TicketFacts,
    fold,
)
from ticketlog.projections.kpis import ValueClass
from ticketlog.testing.strategies import QUEUES

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
"""Tuesday 24 November 2026, 09:00 UTC, as in ``tests/conftest.py``."""


def events_of(desk: HelpDesk) -> list[DomainEvent]:
    return [event for _, event in desk.read_log()]


def reads(view: DeskView, now: datetime, agents: list[UUID]) -> dict[str, Any]:
    """Everything a user can ask the view, as of ``now``."""
    queues = view.queues
    return {
        "waiting": {
            (queue, order): [t.ticket_id for t in queues.waiting(queue, order=order)]
            for queue in ("*", *QUEUES)
            for order in ORDERINGS
        },
        "queue names": queues.queue_names(),
        "held": {agent: queues.held_by(agent) for agent in agents},
        "breaching": queues.breaching(now=now, within=timedelta(hours=1)),
        "workloads": view.workloads.workloads(now=now),
        "holders": {f.ticket_id: view.workloads.holder_of(f.ticket_id) for f in view.facts},
        "facts": dict(view.facts.tickets),
        "kpis": view.kpis(now=now),
        "kpis by": {dimension: view.kpis_by(dimension, now=now) for dimension in Dimension},
        "backlog": view.backlog.series(START, now, timedelta(minutes=30)),
        "backlog per queue": {
            queue: view.backlog.series(START, now, timedelta(hours=1), queue=queue)
            for queue in view.backlog.queues()
        },
    }


# --- live, rebuilt, resumed -------------------------------------------------------------------


@settings(deadline=None)
@given(history=histories(), data=st.data())
def test_live_rebuilt_and_resumed_views_are_equal(history: list[Step], data: st.DataObject) -> None:
    clock = ManualClock(START)
    checkpoints = MemoryCheckpoints()
    stop_midway = data.draw(st.integers(min_value=0, max_value=len(history) - 1), label="midway")
    with HelpDesk("memory://", clock=clock) as desk:
        player = Player(desk, clock)
        for n, step in enumerate(history):
            player.play(step)
            live = desk.view()
            live.queues.first(order="deadline")  # an index kept up incrementally from now on
            if n == stop_midway:  # a follower stops here while the log keeps growing
                Follower(desk, DeskView, name="midway", checkpoints=checkpoints).catch_up()

        positions = [position for position, _ in desk.read_log()]
        rebuilt = fold(DeskView(), events_of(desk))

        # Stop after k events; a new follower resumes from the checkpoint.
        k = data.draw(st.integers(min_value=1, max_value=len(positions)), label="k")
        first = Follower(desk, DeskView, name="k", checkpoints=checkpoints)
        assert first.catch_up(limit=k) == k
        assert first.position == positions[k - 1]
        resumed = Follower(desk, DeskView, name="k", checkpoints=checkpoints)
        assert resumed.position == positions[k - 1]
        assert resumed.projection == first.projection
        assert resumed.catch_up() == len(positions) - k
        midway = Follower(desk, DeskView, name="midway", checkpoints=checkpoints)
        midway.catch_up()

        for other in (rebuilt, resumed.projection, midway.projection):
            assert live == other
        assert resumed.position == midway.position == positions[-1]
        now = clock.now() + timedelta(minutes=1)
        expected = reads(live, now, player.agents)
        for other in (rebuilt, resumed.projection, midway.projection):
            assert reads(other, now, player.agents) == expected


@settings(deadline=None)
@given(history=histories(), data=st.data())
def test_fold_until_a_time_is_the_live_view_at_that_time(
    history: list[Step], data: st.DataObject
) -> None:
    clock = ManualClock(START)
    snapshot_after = data.draw(st.integers(min_value=0, max_value=len(history) - 1), label="at")
    with HelpDesk("memory://", clock=clock) as desk:
        player = Player(desk, clock)
        snapshot: DeskView | None = None
        then = START
        for n, step in enumerate(history):
            player.play(step)
            desk.view().queues.first(order="priority")
            if n == snapshot_after:
                snapshot, then = copy.deepcopy(desk.view()), clock.now()
                clock.advance(seconds=1)  # whatever comes next happens after `then`
        assert snapshot is not None

        as_of = desk.view_as_of(then)
        folded = fold(DeskView(), events_of(desk), until=then)
        assert as_of.queues == folded.queues == snapshot.queues
        assert as_of.workloads == folded.workloads == snapshot.workloads
        assert as_of == snapshot
        agents = player.agents
        assert reads(as_of, then, agents) == reads(snapshot, then, agents)
        assert fold(DeskView(), events_of(desk), until=clock.now()) == desk.view()


# --- followers --------------------------------------------------------------------------------

FUTURE_TOPIC = "ticketlog:FutureEvent"
"""The topic of an event type some later version of ticketlog might write."""


def future_event() -> StoredEvent:
    return StoredEvent(originator_id=uuid4(), originator_version=1, topic=FUTURE_TOPIC, state=b"{}")


def test_followers_skip_events_of_unknown_types(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", capacity=3)
    ticket = desk.receive(channel="email", customer_id="c-1")
    checkpoints = MemoryCheckpoints()
    early = Follower(desk, DeskView, name="early", checkpoints=checkpoints)
    assert early.catch_up() == 3
    desk.view()
    desk.recorder.insert_events([future_event()])
    desk.assign(ticket, ann)
    other = desk.receive(channel="chat", customer_id="c-2")
    desk.recorder.insert_events([future_event()])  # the last event of the log

    known = list(desk.read_log())
    assert len(known) == 6  # the assignment is two: the ticket's and Ann's holding
    assert desk.recorder.max_notification_id() == known[-1][0] + 1
    resumed = Follower(desk, DeskView, name="early", checkpoints=checkpoints)
    assert resumed.catch_up() == 3
    fresh = Follower(desk, DeskView, name="fresh", checkpoints=checkpoints)
    assert fresh.catch_up() == 6
    assert fresh.position == resumed.position == known[-1][0]
    assert fresh.catch_up() == 0  # the unknown last event is skipped again, not counted
    rebuilt = fold(DeskView(), (event for _, event in known))
    assert desk.view() == fresh.projection == resumed.projection == rebuilt
    assert desk.view().workloads.held_by(ann) == {ticket}
    assert desk.view().queues.first() == desk.view().queues.get(other)
    assert len(desk.view().facts) == 2


class TicketSnoozed(TicketEvent):
    """A user's own event type (no ``TOPIC``): the built-in projections do not know it."""

    until: datetime


def test_projections_ignore_event_types_they_do_not_know(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", capacity=2)
    ticket = desk.receive(channel="email", customer_id="c-1")
    desk.assign(ticket, ann)
    events = events_of(desk)
    snoozed = TicketSnoozed(
        originator_id=ticket, originator_version=4, at=START, until=START + timedelta(days=1)
    )
    of_agent = TicketSnoozed(originator_id=ann, originator_version=9, at=START, until=START)
    with_unknown = [*events[:3], snoozed, of_agent, *events[3:], snoozed]
    assert fold(DeskView(), with_unknown) == fold(DeskView(), events) == desk.view()
    assert fold(DeskView(), [snoozed]) == DeskView()


def test_catch_up_folds_at_most_its_limit(desk: HelpDesk) -> None:
    for n in range(3):
        desk.receive(channel="email", customer_id=f"c-{n}")
    positions = [position for position, _ in desk.read_log()]
    checkpoints = RecordedCheckpoints()
    follower = Follower(desk, DeskView, name="limited", checkpoints=checkpoints)
    assert follower.catch_up(limit=0) == 0
    assert (follower.position, follower.projection, checkpoints.saved) == (0, DeskView(), [])
    assert follower.catch_up(limit=2) == 2
    assert (follower.position, checkpoints.saved) == (positions[1], [positions[1]])
    assert follower.catch_up(limit=100) == 1
    assert follower.projection == desk.view()


class RecordedCheckpoints(MemoryCheckpoints):
    """In-memory checkpoints that remember every position saved and every deletion."""

    def __init__(self) -> None:
        super().__init__()
        self.saved: list[int] = []
        self.calls: list[str] = []

    def save(self, name: str, position: int, state: bytes) -> None:
        self.saved.append(position)
        self.calls.append(f"save {name} {position}")
        super().save(name, position, state)

    def delete(self, name: str) -> None:
        self.calls.append(f"delete {name}")
        super().delete(name)


def test_a_follower_checkpoints_every_n_events_and_after_each_catch_up(desk: HelpDesk) -> None:
    desk.join_agent("Ann")  # joined, went online
    for n in range(3):
        desk.receive(channel="email", customer_id=f"c-{n}")
    positions = [position for position, _ in desk.read_log()]
    checkpoints = RecordedCheckpoints()
    follower = Follower(desk, DeskView, name="n", checkpoints=checkpoints, checkpoint_every=2)
    assert follower.catch_up() == 5
    assert checkpoints.saved == [positions[1], positions[3], positions[4]]
    assert follower.catch_up() == 0
    assert checkpoints.saved == [positions[1], positions[3], positions[4]]  # nothing new
    desk.receive(channel="email", customer_id="c-9")
    assert follower.catch_up() == 1
    assert len(checkpoints.saved) == 4
    saved = checkpoints.load("n")
    assert saved is not None
    assert saved[0] == follower.position == max(p for p, _ in desk.read_log())


def test_rebuild_forgets_the_checkpoint_and_folds_everything_again(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann", capacity=2)
    ticket = desk.receive(channel="email", customer_id="c-1")
    desk.assign(ticket, ann)
    checkpoints = RecordedCheckpoints()
    follower = Follower(desk, DeskView, name="r", checkpoints=checkpoints)
    follower.catch_up()
    last = follower.position
    checkpoints.save("r", last, b"not a view")  # a corrupt checkpoint would fail to load
    checkpoints.calls.clear()
    follower.projection = DeskView()  # whatever the follower held is thrown away
    assert follower.rebuild() == 5  # joined, online, received, assigned, Ann's holding
    assert checkpoints.calls == ["delete r", f"save r {last}"]
    assert follower.projection == desk.view()
    assert follower.position == last
    restarted = Follower(desk, DeskView, name="r", checkpoints=checkpoints)
    assert restarted.projection == desk.view()


def test_rebuild_of_an_empty_log_leaves_no_checkpoint(desk: HelpDesk) -> None:
    checkpoints = MemoryCheckpoints()
    follower = Follower(desk, DeskView, name="empty", checkpoints=checkpoints)
    checkpoints.save("empty", 7, b"stale")
    assert follower.rebuild() == 0
    assert checkpoints.load("empty") is None
    assert (follower.position, follower.projection) == (0, DeskView())


def test_a_memory_desk_follows_with_in_memory_checkpoints(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann")
    desk.assign(desk.receive(channel="email", customer_id="c-1"), ann)
    follower = desk.follow(DeskView, name="memory")
    assert follower.catch_up() == 5  # with Ann's AgentStartedHolding
    assert follower.projection == desk.view()


@pytest.mark.parametrize("enabled", [True, False], ids=["gc-on", "gc-off"])
def test_catching_up_leaves_the_garbage_collector_as_it_was(desk: HelpDesk, enabled: bool) -> None:
    desk.receive(channel="email", customer_id="c-1")
    follower = Follower(desk, DeskView)
    was = gc.isenabled()
    try:
        if enabled:
            gc.enable()
        else:
            gc.disable()
        assert follower.catch_up() == 1
        assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()


# --- DataFrames -------------------------------------------------------------------------------

FACT_COLUMNS = [field.name for field in attrs.fields(TicketFacts)] + [
    "wait",
    "first_reply_time",
    "resolution_time",
    "first_contact_resolution",
    "customer_value_class",
]
"""One column per fact, then the derived durations, FCR and value class (``facts_frame``)."""

DURATION_KPIS = ("wait", "first_reply", "resolution", "handle")
KPI_COLUMNS = [
    column
    for field in attrs.fields(Kpis)
    for column in (
        [f"{field.name}_{stat}" for stat in ("count", "mean", "p50", "p90", "p95")]
        if field.name in DURATION_KPIS
        else [field.name]
    )
]
"""Every KPI; each duration flattened to ``<kpi>_count``, ``<kpi>_mean``, ... (``kpi_frame``)."""


@pytest.fixture
def mixed_desk(desk: HelpDesk, clock: ManualClock) -> HelpDesk:
    """Tickets in every state: resolved and rated, held, waiting, abandoned."""
    ann = desk.join_agent("Ann", capacity=5)
    quick = desk.receive(channel="chat", customer_id="c-1", plan="pro")
    clock.advance(minutes=3)
    desk.assign(quick, ann)
    clock.advance(minutes=2)
    desk.respond(quick, ann)
    clock.advance(minutes=5)
    desk.resolve(quick, ann)
    desk.rate(quick, csat=5, nps=9)
    held = desk.receive(channel="email", customer_id="c-2")
    clock.advance(minutes=7)
    desk.assign(held, ann)
    desk.receive(channel="email", customer_id="c-3", priority="urgent")
    gone = desk.receive(channel="phone", customer_id="c-4")
    clock.advance(minutes=1)
    desk.abandon(gone)
    clock.advance(hours=1)
    return desk


def same(cell: Any, value: object) -> bool:
    """A frame cell equals the Python value (missing values are NaN, NaT or None)."""
    if value is None:
        return bool(pd.isna(cell))
    if isinstance(value, float):
        return isinstance(cell, float) and math.isclose(cell, value)
    return bool(cell == value)


def test_facts_frame_has_one_row_per_ticket_with_its_facts(
    mixed_desk: HelpDesk, clock: ManualClock
) -> None:
    facts = list(mixed_desk.view().facts)
    frame = facts_frame(facts)
    assert list(frame.columns) == FACT_COLUMNS
    assert len(frame) == len(facts) == 4
    for column in ("handle_time", "wait", "first_reply_time", "resolution_time"):
        assert frame[column].dtype.kind == "m", column  # timedelta64
    for row, f in zip(frame.to_dict("records"), facts, strict=True):
        assert row["ticket_id"] == f.ticket_id
        for name in ("handle_time", "wait", "first_reply_time", "resolution_time"):
            assert same(row[name], getattr(f, name)), name
        for name in ("channel", "priority", "status", "queue", "transfers", "resolutions"):
            assert row[name] == getattr(f, name), name
        assert row["first_contact_resolution"] == f.first_contact_resolution
        assert row["customer_value_class"] == str(ValueClass.of(f.customer_value))
    assert frame["wait"].iloc[0] == pd.Timedelta(minutes=3)
    assert frame["first_reply_time"].iloc[0] == pd.Timedelta(minutes=5)
    assert frame["resolution_time"].iloc[0] == pd.Timedelta(minutes=10)
    assert frame["handle_time"].iloc[0] == pd.Timedelta(minutes=7)


def test_facts_frame_of_no_tickets_has_the_columns_and_no_rows() -> None:
    frame = facts_frame([])
    assert (list(frame.columns), len(frame)) == (FACT_COLUMNS, 0)


def check_kpi_row(frame: pd.DataFrame, position: int, kpis: Kpis) -> None:
    row = frame.iloc[position]
    group = frame.index[position]
    for field in attrs.fields(Kpis):
        value = getattr(kpis, field.name)
        if isinstance(value, Durations):
            for stat in ("count", "mean", "p50", "p90", "p95"):
                column = f"{field.name}_{stat}"
                assert same(row[column], getattr(value, stat)), (group, column)
        else:
            assert same(row[field.name], value), (group, field.name)


def test_kpi_frame_has_one_row_of_the_kpis(mixed_desk: HelpDesk, clock: ManualClock) -> None:
    kpis = mixed_desk.view().kpis(now=clock.now())
    frame = kpi_frame(kpis)
    assert list(frame.columns) == KPI_COLUMNS
    assert (list(frame.index), frame.index.name) == (["all"], "group")
    check_kpi_row(frame, 0, kpis)
    assert frame.loc["all", "wait_mean"] == pd.Timedelta(minutes=5)  # 3 and 7 minutes
    for kpi in DURATION_KPIS:
        for stat in ("mean", "p50", "p90", "p95"):
            assert frame[f"{kpi}_{stat}"].dtype.kind == "m", (kpi, stat)


@pytest.mark.parametrize("dimension", [Dimension.CHANNEL, Dimension.AGENT, Dimension.PLAN])
def test_kpi_frame_has_one_row_per_group(
    mixed_desk: HelpDesk, clock: ManualClock, dimension: Dimension
) -> None:
    groups = mixed_desk.view().kpis_by(dimension, now=clock.now())
    frame = kpi_frame(groups, index=dimension.value)
    assert len(frame.index) == len(groups)
    for label, group in zip(frame.index, groups, strict=True):
        assert same(label, group)  # pandas may show the group None as NaN
    assert frame.index.name == dimension.value
    assert list(frame.columns) == KPI_COLUMNS
    for position, kpis in enumerate(groups.values()):
        check_kpi_row(frame, position, kpis)
    for kpi in DURATION_KPIS:
        assert frame[f"{kpi}_p90"].dtype.kind == "m"
