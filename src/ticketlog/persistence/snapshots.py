"""Snapshots of agents, so that loading one costs the same however long their history is.

An agent's stream grows with the desk's age: every ticket they take and give up adds an
:class:`~ticketlog.domain.events.AgentStartedHolding` and an
:class:`~ticketlog.domain.events.AgentStoppedHolding`. Every ``interval`` events the desk
stores the agent's folded state at that version in eventsourcing's snapshot store (its
own table beside the events: ``stored_snapshots`` in an SQLite file,
``ticketlog_snapshots`` in a PostgreSQL schema); a desk that has not read the agent yet
starts from the latest snapshot and folds only the events after it.

A snapshot is a cache, never the record: it is not in the notification log (followers,
rebuilds and ``view_as_of`` never see one), it is written after the events it sums up
are committed (a crash in between only loses the snapshot), and one that cannot be read
— damaged, of another schema version (:data:`SCHEMA_VERSION`), another key — is ignored:
the agent is folded from their events. The state is versioned JSON sealed by the store's
cipher and compressor, like the events.
"""

from __future__ import annotations

import contextlib
from uuid import UUID

import attrs
from eventsourcing.persistence import AggregateRecorder, PersistenceError, StoredEvent
from pydantic import BaseModel, ConfigDict

from ticketlog.domain.agent import AgentState
from ticketlog.domain.events import AgentProfile
from ticketlog.domain.values import Timestamp
from ticketlog.persistence.mapper import EventMapper

TOPIC = "ticketlog:AgentSnapshot"

SCHEMA_VERSION = 1
"""The version of the snapshot's stored shape. Bump it with any change to
:class:`~ticketlog.domain.agent.AgentState` or to how agent events fold: snapshots of
other versions are then ignored, never misread."""

INTERVAL = 100
"""Default: a snapshot of an agent every this many of their events."""


class _State(BaseModel):
    """:class:`~ticketlog.domain.agent.AgentState` as stored (field for field)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: UUID
    name: str
    profile: AgentProfile
    online: bool
    joined_at: Timestamp
    last_at: Timestamp
    holdings: frozenset[UUID]


if tuple(_State.model_fields) != tuple(field.name for field in attrs.fields(AgentState)):
    msg = "AgentState changed: change the snapshot's _State and bump SCHEMA_VERSION"
    raise TypeError(msg)


class _Snapshot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int
    state: _State


class AgentSnapshots:
    """The latest readable snapshot of an agent, and taking new ones."""

    def __init__(self, recorder: AggregateRecorder, mapper: EventMapper, interval: int) -> None:
        self._recorder = recorder
        self._mapper = mapper
        self.interval = interval

    def latest(self, agent_id: UUID) -> tuple[int, AgentState] | None:
        """The version and state of the agent's latest snapshot; ``None`` if there is none
        or it cannot be read (the caller folds the agent's events instead)."""
        try:
            rows = self._recorder.select_events(agent_id, desc=True, limit=1)
        except PersistenceError:
            return None
        if not rows or rows[0].topic != TOPIC:
            return None
        try:
            snapshot = _Snapshot.model_validate_json(self._mapper.unseal(rows[0].state))
        except ValueError:  # does not decrypt, is not JSON, or does not validate
            return None
        if snapshot.schema_version != SCHEMA_VERSION or snapshot.state.id != agent_id:
            return None
        return rows[0].originator_version, AgentState(**dict(snapshot.state))

    def take(self, version: int, state: AgentState) -> None:
        """Store ``state`` as the agent's at ``version``.

        The events are committed already, so a snapshot that cannot be stored (another
        desk stored it first, the store failed) never fails the command that took it: the
        next interval takes another."""
        fields = attrs.asdict(state, recurse=False)
        snapshot = _Snapshot(schema_version=SCHEMA_VERSION, state=_State(**fields))
        row = StoredEvent(
            originator_id=state.id,
            originator_version=version,
            topic=TOPIC,
            state=self._mapper.seal(snapshot.model_dump_json().encode()),
        )
        with contextlib.suppress(PersistenceError):
            self._recorder.insert_events([row])
