"""Handle-time spells: the one place where the time agents hold a ticket is reckoned.

A **spell** runs from the moment an agent takes a ticket until the ticket moves on. Each
read model that counts handle time (ticket facts for the KPIs, agent workloads, the
work content a trace replay reads from a history) keeps a :class:`Held` record — who
holds the ticket since when, and the time held in ended spells — and changes it only
with :func:`hold`; views as of ``now`` add the running spell with :func:`held`.

The rules:

- A spell's length is calendar time from its start to its end. Time the ticket awaits
  the customer (or a third party) while held counts: handle time is holding time, not
  effort (the SLA clock's pauses, :mod:`ticketlog.projections.sla_clock`, do not stop it).
- Every event in :data:`MOVES` ends the running spell; an assignment, a reassignment or a
  transfer straight to an agent starts the next one (:func:`holder_after`). A reopen ends
  it too: live, nobody holds a resolved ticket, but a recorded history may show someone
  taking one before the customer comes back, and their spell ends with the reopen, as the
  ticket's state (nobody holds a reopened ticket) says.
- A view before a spell began sees none of it (the running spell counts from zero).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

import attrs

from ticketlog.domain.events import (
    TicketAbandoned,
    TicketAssigned,
    TicketClosed,
    TicketDeescalated,
    TicketEscalated,
    TicketEvent,
    TicketReassigned,
    TicketReleased,
    TicketReopened,
    TicketResolved,
    TicketTransferred,
)


class Held(Protocol):
    """What the spell rules keep of a ticket (ticket facts and :class:`Spells` have it)."""

    holder_id: UUID | None
    """Who holds the ticket (``None``: nobody)."""
    spell_start: datetime | None
    """When the running spell began (``None``: no spell runs)."""
    handle_time: timedelta
    """Time held in the spells that have ended."""


@attrs.define(slots=True)
class Spells:
    """A :class:`Held` record on its own, for read models that keep nothing else per ticket."""

    holder_id: UUID | None = None
    spell_start: datetime | None = None
    handle_time: timedelta = timedelta(0)


def hold(record: Held, holder_id: UUID | None, at: datetime) -> timedelta:
    """End the running spell at ``at`` and start one for ``holder_id`` (``None``: nobody).

    Returns the length of the spell that ended (zero if none ran).
    """
    ended = timedelta(0) if record.spell_start is None else at - record.spell_start
    record.handle_time += ended
    record.holder_id = holder_id
    record.spell_start = None if holder_id is None else at
    return ended


def running(record: Held, now: datetime) -> timedelta:
    """The running spell's length as of ``now`` (zero if none runs or it begins later)."""
    start = record.spell_start
    return now - start if start is not None and now > start else timedelta(0)


def held(record: Held, now: datetime) -> timedelta:
    """Time held as of ``now``: the ended spells and the running one."""
    return record.handle_time + running(record, now)


def _nobody(_: Any) -> None:
    return None


_HOLDER_AFTER: dict[type[TicketEvent], Callable[[Any], UUID | None]] = {
    TicketAssigned: lambda event: event.agent_id,
    TicketReassigned: lambda event: event.to_agent_id,
    TicketTransferred: lambda event: event.to_agent_id,
    TicketReleased: _nobody,
    TicketEscalated: _nobody,
    TicketDeescalated: _nobody,
    TicketResolved: _nobody,
    TicketClosed: _nobody,
    TicketReopened: _nobody,
    TicketAbandoned: _nobody,
}

MOVES: tuple[type[TicketEvent], ...] = tuple(_HOLDER_AFTER)
"""The ticket events that end the running spell (and may start the next)."""


def holder_after(event: TicketEvent) -> UUID | None:
    """Who holds the ticket after ``event``, one of :data:`MOVES` (``None``: nobody)."""
    return _HOLDER_AFTER[type(event)](event)
