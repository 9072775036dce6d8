"""The agent aggregate: who can take which ticket, and when they are available."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from ticketlog.domain.aggregate import Aggregate, replacer, validated
from ticketlog.domain.errors import InvalidTransition, SameTarget
from ticketlog.domain.events import (
    AgentEvent,
    AgentJoined,
    AgentProfile,
    AgentProfileChanged,
    AgentStartedHolding,
    AgentStoppedHolding,
    AgentWentOffline,
    AgentWentOnline,
)


class HasProfile:
    """Routing attributes read from an agent's ``profile`` (mixed into agent views)."""

    __slots__ = ()

    profile: AgentProfile

    @property
    def team(self) -> str:
        """The agent's home team."""
        return self.profile.team

    @property
    def all_teams(self) -> frozenset[str]:
        """The home team and the other teams the agent belongs to (their queues are theirs)."""
        return self.profile.teams | {self.profile.team}

    @property
    def tier(self) -> int:
        """The highest ticket tier the agent serves."""
        return self.profile.tier

    @property
    def capacity(self) -> int:
        """How many tickets the agent may hold at once."""
        return self.profile.capacity

    @property
    def skills(self) -> frozenset[str]:
        """Skills (categories, products) the agent has."""
        return self.profile.skills

    @property
    def languages(self) -> frozenset[str]:
        """Languages the agent serves customers in."""
        return self.profile.languages


@attrs.frozen
class AgentState(HasProfile):
    """An agent as routing sees them."""

    id: UUID
    name: str
    profile: AgentProfile
    online: bool
    joined_at: datetime
    last_at: datetime
    holdings: frozenset[UUID] = frozenset()
    """Tickets the agent's own history says they hold (see :class:`AgentStartedHolding`).

    Empty for agents of stores older than that event, and blind to tickets a recorded
    history (an import) gave them: the desk adds what the tickets' events say."""


_evolve = replacer(AgentState)
"""``attrs.evolve`` for AgentState, fast (the fold makes one per event)."""


class Agent(Aggregate[AgentState, AgentEvent]):
    """An agent of the desk."""

    __slots__ = ()
    event_base = AgentEvent

    @classmethod
    def evolve(cls, state: AgentState | None, event: AgentEvent) -> AgentState:
        """Fold one agent event into the agent's state."""
        if state is None:
            if not isinstance(event, AgentJoined):
                msg = f"an agent's history starts with AgentJoined, not {event.event_type}"
                raise TypeError(msg)
            return AgentState(
                id=event.originator_id,
                name=event.name,
                profile=event.profile,
                online=False,
                joined_at=event.at,
                last_at=event.at,
            )
        match event:
            case AgentProfileChanged():
                return _evolve(state, profile=event.profile, last_at=event.at)
            case AgentWentOnline():
                return _evolve(state, online=True, last_at=event.at)
            case AgentWentOffline():
                return _evolve(state, online=False, last_at=event.at)
            case AgentStartedHolding():
                return _evolve(state, holdings=state.holdings | {event.ticket_id})
            case AgentStoppedHolding():
                return _evolve(state, holdings=state.holdings - {event.ticket_id})
        msg = f"{event.event_type} does not belong to an agent's history"
        raise TypeError(msg)

    @classmethod
    def join(
        cls,
        *,
        agent_id: UUID,
        at: datetime,
        name: str,
        profile: AgentProfile,
        source: str | None = None,
    ) -> Agent:
        """A new agent joins the desk, offline until :meth:`go_online`.

        ``source`` marks a person of an imported history (their ``name`` is the source's).
        """
        return cls._create(
            AgentJoined, originator_id=agent_id, at=at, name=name, profile=profile, source=source
        )

    def change_profile(self, *, at: datetime, **changes: Any) -> None:
        """Change any of team, tier, capacity, skills, languages."""
        current = self.state.profile
        profile = validated(AgentProfile, **{**current.model_dump(), **changes})
        if profile == current:
            msg = f"agent {self.state.name!r} already has this profile"
            raise SameTarget(msg)
        self._trigger(AgentProfileChanged, at=at, profile=profile)

    def go_online(self, *, at: datetime) -> None:
        """The agent becomes available for tickets."""
        if self.state.online:
            msg = f"agent {self.state.name!r} is already online"
            raise InvalidTransition(msg)
        self._trigger(AgentWentOnline, at=at)

    def go_offline(self, *, at: datetime) -> None:
        """The agent becomes unavailable."""
        if not self.state.online:
            msg = f"agent {self.state.name!r} is already offline"
            raise InvalidTransition(msg)
        self._trigger(AgentWentOffline, at=at)

    def start_holding(self, ticket_id: UUID, *, at: datetime) -> None:
        """Count ``ticket_id`` against the agent's capacity (the ticket checked eligibility).

        Holdings follow the tickets' own time order, not the agent's: ``at`` is the time of
        the ticket's event, which may be earlier than the agent's latest event (a history
        told one ticket at a time), and it leaves the agent's ``last_at`` as it is.
        """
        self._append(self._next(AgentStartedHolding, at=at, ticket_id=ticket_id))

    def stop_holding(self, ticket_id: UUID, *, at: datetime) -> None:
        """``ticket_id`` no longer counts against their capacity (as :meth:`start_holding`)."""
        self._append(self._next(AgentStoppedHolding, at=at, ticket_id=ticket_id))
