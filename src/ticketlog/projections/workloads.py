"""Agent workloads: who holds what, capacity and headroom, handle time and occupancy.

Occupancy is the time an agent held at least one ticket while online, divided by the
time they were online. Times are accumulated at each event that changes an agent's
online state or holdings; views add the still-running interval up to ``now``.

Holdings are keyed by ticket, one spell record each while someone holds it
(:mod:`ticketlog.projections.spells`, which also says which events end a spell): whatever
event moves a ticket on, its holder loses it, whoever acted — in a recorded history
someone not holding a ticket may resolve it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import attrs

from ticketlog.domain.agent import HasProfile
from ticketlog.domain.events import (
    AgentJoined,
    AgentProfile,
    AgentProfileChanged,
    AgentWentOffline,
    AgentWentOnline,
    TicketEvent,
    TicketResolved,
)
from ticketlog.projections import spells
from ticketlog.projections.base import Reducer, on


@attrs.define(slots=True)
class _Load:
    """Mutable per-agent accumulators of the fold."""

    name: str
    joined: int
    profile: AgentProfile
    online: bool
    since: datetime
    """Time of the latest change of online state or holdings."""
    held: set[UUID] = attrs.Factory(set)
    """Held tickets (their spells are the workloads' records)."""
    idle_since: datetime | None = None
    """When the agent last held no ticket (``None`` while holding one)."""
    last_assigned_at: datetime | None = None
    last_assignment: int = 0
    """Sequence number of the agent's latest assignment among all agents' (0: never)."""
    handled: int = 0
    handle_time: timedelta = timedelta(0)
    """Time held in the agent's ended spells."""
    online_time: timedelta = timedelta(0)
    busy_time: timedelta = timedelta(0)

    def advance(self, at: datetime) -> None:
        if self.online and at > self.since:
            elapsed = at - self.since
            self.online_time += elapsed
            if self.held:
                self.busy_time += elapsed
        self.since = max(self.since, at)


@attrs.frozen
class Workload(HasProfile):
    """One agent's workload as of a given time."""

    agent_id: UUID
    name: str
    profile: AgentProfile
    online: bool
    held: frozenset[UUID]
    handled: int
    """Tickets this agent resolved."""
    handle_time: timedelta
    """Time spent holding tickets (ended spells and those still running)."""
    online_time: timedelta
    busy_time: timedelta
    idle_since: datetime | None
    """Since when the agent has held no ticket (``None`` while they hold one)."""
    last_assigned_at: datetime | None
    """When the agent was last given a ticket (``None``: never)."""
    last_assignment: int
    """Sequence number of that assignment among all agents' (0: never); orders round-robin."""
    joined: int
    """The agent's position in joining order (0 for the first), a stable tie-break."""

    @property
    def holding(self) -> int:
        """How many tickets the agent holds."""
        return len(self.held)

    @property
    def headroom(self) -> int:
        """How many more tickets the agent could take (never negative)."""
        return max(self.capacity - len(self.held), 0)

    @property
    def occupancy(self) -> float | None:
        """Share (0-100) of online time spent holding at least one ticket."""
        if self.online_time <= timedelta(0):
            return None
        return 100.0 * self.busy_time / self.online_time


class Workloads(Reducer):
    """Folds agent and ticket events into per-agent workloads."""

    def __init__(self) -> None:
        self._agents: dict[UUID, _Load] = {}
        self._spells: dict[UUID, spells.Spells] = {}
        """Held tickets' running spells (a ticket nobody holds has none)."""
        self._assignments = 0

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Workloads)
            and self._agents == other._agents
            and self._spells == other._spells
        )

    __hash__ = None  # type: ignore[assignment]

    @on(AgentJoined)
    def _joined(self, event: AgentJoined) -> None:
        self.joined(event.originator_id, event.name, event.profile, event.at)

    @on(AgentProfileChanged)
    def _profile(self, event: AgentProfileChanged) -> None:
        self._agent(event.originator_id, event.at).profile = event.profile

    @on(AgentWentOnline, AgentWentOffline)
    def _presence(self, event: AgentWentOnline | AgentWentOffline) -> None:
        self.presence(event.originator_id, isinstance(event, AgentWentOnline), event.at)

    @on(*spells.MOVES)
    def _moved(self, event: TicketEvent) -> None:
        if isinstance(event, TicketResolved):  # the resolver is credited as well
            self.resolved(event.originator_id, event.at, resolver_id=event.actor_id)
        else:
            self.hold(event.originator_id, spells.holder_after(event), event.at)

    # The folds of the events above, callable without an event (the simulation's fast mode).

    def joined(self, agent_id: UUID, name: str, profile: AgentProfile, at: datetime) -> None:
        """The agent joined, offline."""
        self._agents[agent_id] = _Load(
            name=name,
            joined=len(self._agents),
            profile=profile,
            online=False,
            since=at,
            idle_since=at,
        )

    def presence(self, agent_id: UUID, online: bool, at: datetime) -> None:
        """The agent went online (or offline)."""
        self._agent(agent_id, at).online = online

    def resolved(self, ticket_id: UUID, at: datetime, *, resolver_id: UUID | None) -> None:
        """``resolver_id`` resolved the ticket (``None``: the system); its holder loses it.

        The resolver is credited with the ticket (``handled``); live, they are the holder.
        """
        self.hold(ticket_id, None, at)
        resolver = self._agents.get(resolver_id) if resolver_id is not None else None
        if resolver is not None:
            resolver.handled += 1

    def _agent(self, agent_id: UUID, at: datetime) -> _Load:
        load = self._agents[agent_id]
        load.advance(at)
        return load

    def hold(self, ticket_id: UUID, agent_id: UUID | None, at: datetime) -> None:
        """``agent_id`` holds the ticket from ``at`` (``None``: nobody does)."""
        spell = self._spells.pop(ticket_id, None)
        if spell is not None:
            previous = spell.holder_id
            assert previous is not None  # noqa: S101 - only held tickets have a record
            load = self._agent(previous, at)
            load.handle_time += spells.hold(spell, None, at)
            load.held.discard(ticket_id)
            if not load.held:
                load.idle_since = at
        if agent_id is not None and agent_id in self._agents:
            load = self._agent(agent_id, at)
            load.held.add(ticket_id)
            load.idle_since = None
            load.last_assigned_at = at
            self._assignments += 1
            load.last_assignment = self._assignments
            self._spells[ticket_id] = spells.Spells(agent_id, at)

    def holder_of(self, ticket_id: UUID) -> UUID | None:
        """The agent holding ``ticket_id``, if any."""
        spell = self._spells.get(ticket_id)
        return None if spell is None else spell.holder_id

    def held_by(self, agent_id: UUID) -> frozenset[UUID]:
        """The tickets ``agent_id`` holds."""
        load = self._agents.get(agent_id)
        return frozenset(() if load is None else load.held)

    def agent_ids(self) -> list[UUID]:
        """Every agent who joined, in joining order."""
        return list(self._agents)

    def workload(self, agent_id: UUID, *, now: datetime) -> Workload:
        """One agent's workload as of ``now`` (``KeyError`` for an unknown agent)."""
        load = self._agents[agent_id]
        online = now - load.since if load.online and now > load.since else timedelta(0)
        running = sum((spells.running(self._spells[t], now) for t in load.held), timedelta(0))
        return Workload(
            agent_id=agent_id,
            name=load.name,
            profile=load.profile,
            online=load.online,
            held=frozenset(load.held),
            handled=load.handled,
            handle_time=load.handle_time + running,
            online_time=load.online_time + online,
            busy_time=load.busy_time + (online if load.held else timedelta(0)),
            idle_since=load.idle_since,
            last_assigned_at=load.last_assigned_at,
            last_assignment=load.last_assignment,
            joined=load.joined,
        )

    def workloads(self, *, now: datetime) -> list[Workload]:
        """Every agent's workload as of ``now``, in joining order."""
        return [self.workload(agent_id, now=now) for agent_id in self._agents]
