"""Snapshots of long-lived agents on real stores: the same agent with or without them, a
snapshot that cannot be read is ignored, snapshots are sealed by the store's cipher, and
time travel still folds the log.

Every test runs on an SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import pytest

from ticketlog import ConfigurationError, HelpDesk, ManualClock, PostgresStore, SQLiteStore
from ticketlog.domain.agent import Agent
from ticketlog.domain.events import AgentStartedHolding
from ticketlog.persistence import new_cipher_key
from ticketlog.persistence.snapshots import INTERVAL

Store = SQLiteStore | PostgresStore

TICKETS = 200
SHIFTS = 900
"""Each shift is an offline and an online event: with the tickets, 2,201 agent events."""


def long_lived_agent(desk: HelpDesk, clock: ManualClock, *, tickets: int, shifts: int) -> UUID:
    """An agent who took and resolved ``tickets`` tickets (holding the last two) and
    worked ``shifts`` shifts."""
    agent = desk.join_agent("Ann", capacity=3)
    for n in range(tickets):
        clock.advance(minutes=1)
        ticket = desk.receive(channel="chat", customer_id=f"c-{n}")
        desk.assign(ticket, agent)
        if n < tickets - 2:
            desk.resolve(ticket, agent)
    for _ in range(shifts):
        clock.advance(minutes=1)
        desk.go_offline(agent)
        desk.go_online(agent)
    return agent


@contextmanager
def snapshot_table(store: Store) -> Iterator[tuple[Any, str, str]]:
    """A connection to the store, its snapshot table's name and its parameter mark."""
    if isinstance(store, SQLiteStore):
        with sqlite3.connect(store.path) as db:
            yield db, "stored_snapshots", "?"
        return
    from ticketlog.persistence.postgres import connect  # noqa: PLC0415 - the postgres extra

    with connect(store) as db:
        yield db, "ticketlog_snapshots", "%s"


def snapshot_rows(store: Store, agent_id: UUID) -> list[tuple[int, bytes]]:
    """The agent's snapshots: version and stored state, oldest first."""
    with snapshot_table(store) as (db, table, _):
        rows = db.execute(
            f"SELECT originator_id, originator_version, state FROM {table}"  # noqa: S608 - ours
        ).fetchall()
    mine = [(int(v), bytes(state)) for i, v, state in rows if UUID(str(i)) == agent_id]
    return sorted(mine)


def overwrite_snapshot(store: Store, agent_id: UUID, version: int, state: bytes) -> None:
    """Overwrite the stored state of the agent's snapshot at ``version``."""
    with snapshot_table(store) as (db, table, mark):
        ids = db.execute(f"SELECT DISTINCT originator_id FROM {table}").fetchall()  # noqa: S608
        (stored_id,) = [i for (i,) in ids if UUID(str(i)) == agent_id]
        db.execute(
            f"UPDATE {table} SET state = {mark} "  # noqa: S608 - ours
            f"WHERE originator_id = {mark} AND originator_version = {mark}",
            (state, stored_id, version),
        )


class SpyingDesk(HelpDesk):
    """Records the versions after which each stream is read."""

    name = HelpDesk.name

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reads: list[tuple[UUID, int | None]] = []
        select = self.recorder.select_events

        def spied(originator_id: UUID, *, gt: int | None = None, **options: Any) -> Any:
            self.reads.append((originator_id, gt))
            return select(originator_id, gt=gt, **options)

        self.recorder.select_events = spied  # type: ignore[method-assign,assignment]


def test_an_agent_with_thousands_of_events_reads_back_equal_with_and_without_snapshots(
    store: Store, clock: ManualClock
) -> None:
    with HelpDesk(store, clock=clock) as desk:
        agent = long_lived_agent(desk, clock, tickets=TICKETS, shifts=SHIFTS)
        events = desk.agent_events(agent)
    assert len(events) == 1 + 1 + 2 * TICKETS - 2 + 2 * SHIFTS  # joined, online, ...
    versions = [version for version, _ in snapshot_rows(store, agent)]
    assert versions == list(range(INTERVAL, len(events) + 1, INTERVAL))

    folded = Agent.from_events(events)
    assert folded is not None
    with (
        SpyingDesk(store, clock=clock) as snapshotted,
        HelpDesk(store, clock=clock, snapshot_interval=None) as unsnapshotted,
    ):
        assert snapshotted.agent(agent) == unsnapshotted.agent(agent) == folded.state
        assert snapshotted.reads == [(agent, versions[-1])]  # only the events after it
        assert len(snapshotted.agent(agent).holdings) == 2
        # Commands go on from the snapshot, on the agent's real version.
        ticket = snapshotted.receive(channel="chat", customer_id="c-late")
        snapshotted.assign(ticket, agent)
        unsnapshotted.resolve(ticket, agent)
        assert snapshotted.agent(agent) == unsnapshotted.agent(agent)


def test_time_travel_folds_the_log_not_a_later_snapshot(store: Store, clock: ManualClock) -> None:
    with HelpDesk(store, clock=clock, snapshot_interval=5) as desk:
        agent = long_lived_agent(desk, clock, tickets=12, shifts=0)
        events = desk.agent_events(agent)
        *_, (last_but_one, then), (last, _) = [
            (e.ticket_id, e.at) for e in events if isinstance(e, AgentStartedHolding)
        ]
        assert snapshot_rows(store, agent)[-1][0] == len(events) - len(events) % 5
        assert desk.agent(agent).holdings == {last_but_one, last}
        assert desk.view_as_of(then).workloads.held_by(agent) == {last_but_one}


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(b"\x00\xffnot json", id="not-json"),
        pytest.param(b'{"schema_version": 0, "state": {}}', id="older-schema"),
        pytest.param(b'{"schema_version": 99, "state": {}}', id="newer-schema"),
        pytest.param(b'{"schema_version": 1, "state": {"id": "x"}}', id="missing-fields"),
    ],
)
def test_a_snapshot_that_cannot_be_read_falls_back_to_the_events(
    store: Store, clock: ManualClock, damage: bytes
) -> None:
    with HelpDesk(store, clock=clock, snapshot_interval=10) as desk:
        agent = long_lived_agent(desk, clock, tickets=20, shifts=5)
        expected = desk.agent(agent)
    latest = snapshot_rows(store, agent)[-1][0]
    overwrite_snapshot(store, agent, latest, damage)
    with HelpDesk(store, clock=clock, snapshot_interval=10) as desk:
        assert desk.agent(agent) == expected
        ticket = desk.receive(channel="chat", customer_id="c-after")
        desk.assign(ticket, agent)  # the command does not fail
        assert ticket in desk.agent(agent).holdings


def test_a_snapshot_of_another_agent_is_not_taken_for_this_one(
    store: Store, clock: ManualClock
) -> None:
    with HelpDesk(store, clock=clock, snapshot_interval=10) as desk:
        ann = long_lived_agent(desk, clock, tickets=0, shifts=10)
        bob = long_lived_agent(desk, clock, tickets=2, shifts=10)
        expected = desk.agent(ann)
    (version, bobs), *_ = reversed(snapshot_rows(store, bob))
    overwrite_snapshot(store, ann, version, bobs)
    with HelpDesk(store, clock=clock, snapshot_interval=10) as desk:
        assert desk.agent(ann) == expected


def test_snapshots_are_sealed_by_the_store_cipher(store: Store, clock: ManualClock) -> None:
    key = new_cipher_key()
    secret = "Annabel Secretname"  # noqa: S105 - an agent's name, not a password
    with HelpDesk(store, clock=clock, cipher_key=key, snapshot_interval=2) as desk:
        agent = desk.join_agent(secret)
        desk.go_offline(agent)
        desk.go_online(agent)
        expected = desk.agent(agent)
    rows = snapshot_rows(store, agent)
    assert [version for version, _ in rows] == [2, 4]  # joined and online in one save
    # Sealed: neither the name nor the JSON's field names show (the first byte of a sealed
    # state is a random nonce's, so it may be any byte, "{" included).
    assert all(
        secret.encode() not in state and b'"schema_version"' not in state for _, state in rows
    )
    with HelpDesk(store, clock=clock, cipher_key=key, snapshot_interval=2) as desk:
        assert desk.agent(agent) == expected


def test_a_desk_in_memory_snapshots_its_agents(clock: ManualClock) -> None:
    with HelpDesk("memory://", clock=clock, snapshot_interval=10) as desk:
        agent = long_lived_agent(desk, clock, tickets=5, shifts=10)
        assert desk.snapshots is not None
        (latest,) = desk.snapshots.recorder.select_events(agent, desc=True, limit=1)
        assert latest.originator_version == 30
        folded = Agent.from_events(desk.agent_events(agent))
        assert folded is not None
        assert desk.agent(agent) == folded.state


def test_snapshot_interval_is_checked(store: Store) -> None:

    for bad in (0, -1, True, 2.5, "100"):
        with pytest.raises(ConfigurationError, match="snapshot_interval"):
            HelpDesk(store, snapshot_interval=bad)  # type: ignore[arg-type]
