"""What a projection is: a deterministic fold of events into a read model.

A projection reads nothing but the events it is given — no store, no wall clock — so
the same events in the same order give the same state whether they come live from the
store (:mod:`ticketlog.projections.runner`), from a rebuild, or from a simulator. For
speed, ``apply`` updates the projection's state in place; equality compares states.
Views that depend on time (breaches, occupancy) take ``now`` as an argument.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, TypeVar

from ticketlog.domain.events import DomainEvent


class Projection(Protocol):
    """A read model folded from events; unknown event types must be ignored."""

    def apply(self, event: DomainEvent) -> None:
        """Fold one event into the state."""
        ...


P = TypeVar("P", bound=Projection)


def fold(projection: P, events: Iterable[DomainEvent], *, until: datetime | None = None) -> P:
    """Apply ``events`` to ``projection`` and return it.

    With ``until``, only events that happened at or before that instant are applied:
    the read model as it was then ("time travel").
    """
    for event in events:
        if until is None or event.at <= until:
            projection.apply(event)
    return projection
