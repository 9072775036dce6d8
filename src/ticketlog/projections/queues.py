"""Queues: the open tickets, where they wait and who holds them.

Waiting tickets are addressable by queue, and by any attribute through
:meth:`Queues.waiting`. Orderings (FIFO, priority, SLA deadline, or any key a policy
registers) are kept as sorted indexes per queue, so finding the first ticket of an
ordering costs O(log n), not a scan. An index is built the first time it is used and
maintained incrementally from then on, so rebuilding the projection from a long log pays
for no index nobody reads.

Tickets no longer open (resolved, closed, abandoned) keep their record, so the fold
accepts any sequence a recorded history holds: an event that puts a ticket in a queue or
in someone's hands (a reopen, an assignment, a move) brings it back, whatever its status.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from uuid import UUID

from sortedcontainers import SortedKeyList

from ticketlog.domain.events import (
    TicketAbandoned,
    TicketAssigned,
    TicketAwaitingCustomer,
    TicketClosed,
    TicketCustomerReplied,
    TicketDeescalated,
    TicketEscalated,
    TicketReassigned,
    TicketReceived,
    TicketReleased,
    TicketReopened,
    TicketReprioritised,
    TicketResolved,
    TicketResponded,
    TicketTransferred,
)
from ticketlog.domain.values import Channel, Priority, SlaTarget
from ticketlog.projections import sla_clock
from ticketlog.projections.base import Reducer, on
from ticketlog.projections.sla import SlaTargets
from ticketlog.projections.sla_clock import NEVER, Pauses

__all__ = [
    "ALL_QUEUES",
    "NEVER",
    "ORDERINGS",
    "Ordering",
    "QueuedTicket",
    "Queues",
    "by_arrival",
    "by_deadline",
    "by_priority",
    "due",
]


class QueuedTicket(NamedTuple):
    """An open ticket as routing sees it (immutable).

    A named tuple rather than an attrs class: queues replace these records at every
    move, and tuples are built three times faster, which rebuilds of long logs feel.
    """

    ticket_id: UUID
    queue: str
    tier: int
    priority: Priority
    channel: Channel
    category: str
    language: str
    required_skills: frozenset[str]
    customer_id: str
    plan: str | None
    customer_value: float
    first_time: bool
    estimated_effort: timedelta | None
    received_at: datetime
    queued_at: datetime
    """When the ticket last entered its queue (received, reopened, transferred, escalated)."""
    replied: bool
    """Whether an agent has replied publicly."""
    due: datetime
    """The next SLA deadline: first reply if not replied yet, else resolution."""
    agent_id: UUID | None = None
    """The holder, for assigned tickets."""
    last_agent_id: UUID | None = None
    """The agent who held the ticket most recently."""
    pauses: Pauses = ()
    """When the ticket awaited the customer (its SLA clock stopped), oldest first."""
    paused: timedelta = timedelta(0)
    """SLA time spent awaiting the customer in earlier, finished pauses (of ``pauses``)."""
    escalated: frozenset[SlaTarget] = frozenset()
    """SLA targets whose miss was escalated automatically already."""

    @property
    def paused_since(self) -> datetime | None:
        """Since when the ticket awaits the customer (its SLA clock stopped), if it does."""
        return sla_clock.paused_since(self.pauses)


Ordering = Callable[[QueuedTicket], Any]
"""A sort key over queued tickets; the smallest key comes first."""


def by_arrival(ticket: QueuedTicket) -> tuple[datetime, UUID]:
    """Oldest received first (FIFO); ties broken by ticket id."""
    return ticket.received_at, ticket.ticket_id


def by_priority(ticket: QueuedTicket) -> tuple[int, datetime, UUID]:
    """Most severe first, then oldest received, then ticket id."""
    return -ticket.priority.rank, ticket.received_at, ticket.ticket_id


def by_deadline(ticket: QueuedTicket) -> tuple[datetime, datetime, UUID]:
    """Earliest SLA deadline first (EDF), then oldest received, then ticket id."""
    return ticket.due, ticket.received_at, ticket.ticket_id


ORDERINGS: dict[str, Ordering] = {
    "fifo": by_arrival,
    "priority": by_priority,
    "deadline": by_deadline,
}
"""The orderings every :class:`Queues` knows by name."""

ALL_QUEUES = "*"
"""The name under which :meth:`Queues.first` and friends look across every queue."""


def received(ticket_id: UUID, at: datetime, sla: SlaTargets, **attributes: Any) -> QueuedTicket:
    """The record of a ticket just received: waiting, not replied, due for a first reply.

    ``attributes`` are the routing fields of ``TicketReceived`` (queue, tier, priority,
    channel, category, language, required skills, customer, plan, value, first time,
    estimated effort). This and the transitions below are the one place routing records
    change: the queues' fold uses them, and so does the simulation's fast path.
    """
    ticket = QueuedTicket(
        ticket_id=ticket_id, received_at=at, queued_at=at, replied=False, due=NEVER, **attributes
    )
    return ticket._replace(due=due(ticket, sla))


def held(ticket: QueuedTicket, agent_id: UUID, **changes: Any) -> QueuedTicket:
    """``ticket`` held by ``agent_id`` (with ``changes``, e.g. another queue)."""
    return ticket._replace(agent_id=agent_id, last_agent_id=agent_id, **changes)


def replied(ticket: QueuedTicket, sla: SlaTargets) -> QueuedTicket:
    """``ticket`` after its first public reply: due for resolution now."""
    if ticket.replied:
        return ticket
    answered = ticket._replace(replied=True)
    return answered._replace(due=due(answered, sla))


def requeued(ticket: QueuedTicket, at: datetime, sla: SlaTargets, **changes: Any) -> QueuedTicket:
    """``ticket`` waiting unassigned from ``at`` (in its queue unless ``changes`` move it)."""
    waiting = ticket._replace(agent_id=None, queued_at=at, **changes)
    return waiting._replace(due=due(waiting, sla))


def escalated(
    ticket: QueuedTicket,
    at: datetime,
    sla: SlaTargets,
    *,
    queue: str,
    tier: int,
    breach: SlaTarget | None,
) -> QueuedTicket:
    """``ticket`` moved up to ``queue`` and ``tier`` (for ``breach``, if automatic), waiting."""
    marks = ticket.escalated if breach is None else ticket.escalated | {breach}
    return requeued(ticket, at, sla, queue=queue, tier=tier, escalated=marks)


def awaiting(ticket: QueuedTicket, at: datetime, sla: SlaTargets) -> QueuedTicket:
    """``ticket`` awaiting the customer from ``at``: its SLA clock stops."""
    waiting = ticket._replace(pauses=sla_clock.paused(ticket.pauses, at))
    return waiting._replace(due=due(waiting, sla))


def resumed(ticket: QueuedTicket, at: datetime, sla: SlaTargets) -> QueuedTicket:
    """``ticket`` with its SLA clock running again from ``at`` (itself if it runs)."""
    pauses = sla_clock.resumed(ticket.pauses, at)
    if pauses is ticket.pauses:
        return ticket
    running = ticket._replace(pauses=pauses, paused=sla_clock.held(pauses, sla))
    return running._replace(due=due(running, sla))


class Queues(Reducer):
    """Folds ticket events into the set of open tickets, waiting or held."""

    def __init__(
        self, *, sla: SlaTargets | None = None, orderings: dict[str, Ordering] | None = None
    ) -> None:
        self.sla = SlaTargets() if sla is None else sla
        self._orderings = dict(ORDERINGS if orderings is None else orderings)
        self._open: dict[UUID, QueuedTicket] = {}
        self._done: dict[UUID, QueuedTicket] = {}
        """Tickets no longer open (as they were when they left), kept so they can come back."""
        self._waiting: dict[str, dict[UUID, QueuedTicket]] = {}
        self._held: dict[UUID, dict[UUID, QueuedTicket]] = {}
        self._last_agent: dict[str, UUID] = {}
        """Customer to the agent who was last given one of their tickets."""
        self._by_customer: dict[str, dict[UUID, QueuedTicket]] = {}
        """Waiting tickets by customer."""
        self._affine: dict[UUID, dict[UUID, QueuedTicket]] = {}
        """Waiting tickets by the agent who last served their customer."""
        self._indexes: dict[tuple[str, str | Ordering], SortedKeyList[QueuedTicket, Any]] = {}

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Queues)
            and self._open == other._open
            and self._done == other._done
            and self._last_agent == other._last_agent
        )

    __hash__ = None  # type: ignore[assignment]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_orderings"] = {}  # registered keys may not pickle; re-register after loading
        state["_indexes"] = {}  # rebuilt on first use
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._orderings = dict(ORDERINGS)

    # --- the fold ----------------------------------------------------------------

    @on(TicketReceived)
    def _received(self, event: TicketReceived) -> None:
        self._enter(
            received(
                event.originator_id,
                event.at,
                self.sla,
                queue=event.queue,
                tier=event.tier,
                priority=event.priority,
                channel=event.channel,
                category=event.category,
                language=event.language,
                required_skills=event.required_skills,
                customer_id=event.customer_id,
                plan=event.plan,
                customer_value=event.customer_value,
                first_time=event.first_time,
                estimated_effort=event.estimated_effort,
            )
        )

    @on(TicketReopened)
    def _reopened(self, event: TicketReopened) -> None:
        ticket = self._take(event.originator_id)
        # Resolved while awaiting the customer: the clock runs again.
        reopened = resumed(ticket._replace(queued_at=event.at, agent_id=None), event.at, self.sla)
        self._enter(reopened._replace(due=self._due(reopened)))

    @on(TicketAssigned)
    def _assigned(self, event: TicketAssigned) -> None:
        self._hand(event.originator_id, event.agent_id)

    @on(TicketReassigned)
    def _reassigned(self, event: TicketReassigned) -> None:
        self._hand(event.originator_id, event.to_agent_id)

    @on(TicketTransferred)
    def _transferred(self, event: TicketTransferred) -> None:
        if event.to_agent_id is None:
            self._queue(event.originator_id, event.at, queue=event.to_queue)
        else:
            self._hand(event.originator_id, event.to_agent_id, queue=event.to_queue)

    @on(TicketReleased)
    def _released(self, event: TicketReleased) -> None:
        self._queue(event.originator_id, event.at)

    @on(TicketEscalated)
    def _escalated(self, event: TicketEscalated) -> None:
        ticket = self._take(event.originator_id)
        self._enter(
            escalated(
                ticket,
                event.at,
                self.sla,
                queue=event.to_queue,
                tier=event.to_tier,
                breach=event.breach,
            )
        )

    @on(TicketDeescalated)
    def _deescalated(self, event: TicketDeescalated) -> None:
        self._queue(event.originator_id, event.at, queue=event.to_queue, tier=event.to_tier)

    @on(TicketAwaitingCustomer)
    def _awaiting(self, event: TicketAwaitingCustomer) -> None:
        waiting = awaiting(self._find(event.originator_id), event.at, self.sla)
        self._update(event.originator_id, pauses=waiting.pauses, due=waiting.due)

    @on(TicketCustomerReplied)
    def _customer_replied(self, event: TicketCustomerReplied) -> None:
        ticket = self._find(event.originator_id)
        running = resumed(ticket, event.at, self.sla)
        if running is not ticket:
            self._update(
                event.originator_id, pauses=running.pauses, paused=running.paused, due=running.due
            )

    @on(TicketResponded)
    def _responded(self, event: TicketResponded) -> None:
        ticket = self._find(event.originator_id)
        if event.public and not ticket.replied:
            answered = replied(ticket, self.sla)
            self._update(event.originator_id, replied=True, due=answered.due)

    @on(TicketReprioritised)
    def _reprioritised(self, event: TicketReprioritised) -> None:
        ticket = self._find(event.originator_id)
        changed = ticket._replace(priority=event.new)
        self._update(event.originator_id, priority=event.new, due=self._due(changed))

    @on(TicketResolved, TicketClosed, TicketAbandoned)
    def _ended(self, event: TicketResolved | TicketClosed | TicketAbandoned) -> None:
        ticket = self._take(event.originator_id)
        self._done[event.originator_id] = ticket._replace(agent_id=None)

    def _find(self, ticket_id: UUID) -> QueuedTicket:
        """The ticket's record, open or not."""
        ticket = self._open.get(ticket_id)
        return self._done[ticket_id] if ticket is None else ticket

    def _take(self, ticket_id: UUID) -> QueuedTicket:
        """Remove the ticket from wherever it is (open or not) and return its record."""
        ticket = self._open.get(ticket_id)
        if ticket is None:
            return self._done.pop(ticket_id)
        self._leave(ticket)
        return ticket

    def _update(self, ticket_id: UUID, **changes: Any) -> None:
        """Change the ticket's record where it is."""
        ticket = self._open.get(ticket_id)
        if ticket is None:
            self._done[ticket_id] = self._done[ticket_id]._replace(**changes)
        else:
            self._move(ticket, **changes)

    def _hand(self, ticket_id: UUID, agent_id: UUID, **changes: Any) -> None:
        """``agent_id`` holds the ticket now (it may have been elsewhere, even done)."""
        ticket = self._take(ticket_id)
        self._enter(held(ticket, agent_id, **changes))
        self._served(ticket.customer_id, agent_id)

    def _queue(self, ticket_id: UUID, at: datetime, **changes: Any) -> None:
        """The ticket waits unassigned from ``at`` (in its queue unless ``changes`` move it)."""
        self._enter(requeued(self._take(ticket_id), at, self.sla, **changes))

    def deadline(self, ticket: QueuedTicket, target: SlaTarget) -> datetime:
        """The last instant at which ``ticket`` meets ``target`` (:data:`NEVER` while its
        clock stopped short of it)."""
        return sla_clock.deadline(ticket, target, self.sla)

    def _due(self, ticket: QueuedTicket) -> datetime:
        return due(ticket, self.sla)

    def open_tickets(self) -> Iterator[QueuedTicket]:
        """Every open ticket, waiting or held, in no particular order."""
        return iter(list(self._open.values()))

    def _served(self, customer_id: str, agent_id: UUID) -> None:
        """Remember that ``agent_id`` now serves ``customer_id`` (for affinity)."""
        previous = self._last_agent.get(customer_id)
        if previous == agent_id:
            return
        self._last_agent[customer_id] = agent_id
        for ticket_id, ticket in self._by_customer.get(customer_id, {}).items():
            if previous is not None:
                del self._affine[previous][ticket_id]
            self._affine.setdefault(agent_id, {})[ticket_id] = ticket

    def _enter(self, ticket: QueuedTicket) -> None:
        self._open[ticket.ticket_id] = ticket
        if ticket.agent_id is None:
            self._waiting.setdefault(ticket.queue, {})[ticket.ticket_id] = ticket
            self._by_customer.setdefault(ticket.customer_id, {})[ticket.ticket_id] = ticket
            served_by = self._last_agent.get(ticket.customer_id)
            if served_by is not None:
                self._affine.setdefault(served_by, {})[ticket.ticket_id] = ticket
            if self._indexes:
                self._index_all(ticket, SortedKeyList.add)
        else:
            self._held.setdefault(ticket.agent_id, {})[ticket.ticket_id] = ticket

    def _leave(self, ticket: QueuedTicket) -> None:
        del self._open[ticket.ticket_id]
        if ticket.agent_id is None:
            del self._waiting[ticket.queue][ticket.ticket_id]
            del self._by_customer[ticket.customer_id][ticket.ticket_id]
            served_by = self._last_agent.get(ticket.customer_id)
            if served_by is not None:
                del self._affine[served_by][ticket.ticket_id]
            if self._indexes:
                self._index_all(ticket, SortedKeyList.remove)
        else:
            del self._held[ticket.agent_id][ticket.ticket_id]

    def _index_all(
        self,
        ticket: QueuedTicket,
        change: Callable[[SortedKeyList[QueuedTicket, Any], QueuedTicket], None],
    ) -> None:
        """Add ``ticket`` to (or remove it from) every index of its queue.

        An index whose key fails on the ticket (a policy's bug) is dropped rather than
        let it stop the fold that every other reader shares; the policy meets the error
        when it next asks for its index.
        """
        for name in [name for name in self._indexes if name[0] in (ticket.queue, ALL_QUEUES)]:
            try:
                change(self._indexes[name], ticket)
            except Exception:
                del self._indexes[name]

    def _move(self, ticket: QueuedTicket, **changes: Any) -> None:
        self._leave(ticket)
        self._enter(ticket._replace(**changes))

    # --- views -------------------------------------------------------------------

    def get(self, ticket_id: UUID) -> QueuedTicket | None:
        """The open ticket ``ticket_id`` (waiting or held), or ``None``."""
        return self._open.get(ticket_id)

    def record(self, ticket_id: UUID) -> QueuedTicket | None:
        """The ticket's routing record, open or not (a closed one as it was when it left,
        which is where a reopen takes it from), or ``None`` for a ticket never received."""
        ticket = self._open.get(ticket_id)
        return self._done.get(ticket_id) if ticket is None else ticket

    def queue_names(self) -> list[str]:
        """Every queue that has ever had a waiting ticket, sorted."""
        return sorted(self._waiting)

    def waiting_count(self, queue: str = ALL_QUEUES) -> int:
        """How many tickets wait (in ``queue``, or in all queues)."""
        if queue == ALL_QUEUES:
            return sum(len(tickets) for tickets in self._waiting.values())
        return len(self._waiting.get(queue, {}))

    def waiting(
        self,
        queue: str = ALL_QUEUES,
        *,
        order: str | Ordering = "fifo",
        where: Callable[[QueuedTicket], bool] | None = None,
    ) -> Iterator[QueuedTicket]:
        """Waiting tickets of ``queue`` in ``order``, optionally only those ``where`` holds."""
        for ticket in self.index(queue, order):
            if where is None or where(ticket):
                yield ticket

    def first(
        self,
        queue: str = ALL_QUEUES,
        *,
        order: str | Ordering = "fifo",
        where: Callable[[QueuedTicket], bool] | None = None,
    ) -> QueuedTicket | None:
        """The first waiting ticket in ``order`` (that satisfies ``where``), or ``None``."""
        return next(self.waiting(queue, order=order, where=where), None)

    def last_served_by(self, customer_id: str) -> UUID | None:
        """The agent who was last given a ticket of ``customer_id``."""
        return self._last_agent.get(customer_id)

    def waiting_for(self, agent_id: UUID, *, order: str | Ordering = "fifo") -> list[QueuedTicket]:
        """Waiting tickets of customers ``agent_id`` served last (affinity), in ``order``."""
        return sorted(self._affine.get(agent_id, {}).values(), key=self._key(order))

    def held_by(self, agent_id: UUID) -> list[QueuedTicket]:
        """The tickets ``agent_id`` holds, most severe first, then oldest."""
        return sorted(self._held.get(agent_id, {}).values(), key=by_priority)

    def breaching(
        self, *, now: datetime, within: timedelta = timedelta(0), queue: str = ALL_QUEUES
    ) -> list[QueuedTicket]:
        """Waiting tickets whose SLA deadline is past, or falls within ``within`` of ``now``."""
        index = self.index(queue, "deadline")
        horizon = now + within
        return list(
            index.irange_key(
                max_key=(horizon, datetime.max.replace(tzinfo=horizon.tzinfo), _MAX_UUID)
            )
        )

    def register_ordering(self, name: str, key: Ordering) -> None:
        """Add an ordering (e.g. a policy's sort key); its indexes are built on first use."""
        if name in self._orderings:
            msg = f"ordering {name!r} is already registered"
            raise ValueError(msg)
        self._orderings[name] = key

    def _key(self, order: str | Ordering) -> Ordering:
        if not isinstance(order, str):
            return order
        try:
            return self._orderings[order]
        except KeyError:
            msg = f"unknown ordering {order!r}; known: {sorted(self._orderings)}"
            raise KeyError(msg) from None

    def index(self, queue: str, order: str | Ordering) -> SortedKeyList[QueuedTicket, Any]:
        """The sorted index of ``queue``'s waiting tickets by ``order`` (built on first use).

        ``order`` names a registered ordering or is a key function itself (a policy's);
        the index is kept per key function object, so reuse the same function.
        """
        try:
            return self._indexes[queue, order]
        except KeyError:
            pass
        key = self._key(order)
        if queue == ALL_QUEUES:
            tickets = [t for waiting in self._waiting.values() for t in waiting.values()]
        else:
            tickets = list(self._waiting.get(queue, {}).values())
        index = SortedKeyList(tickets, key=key)
        self._indexes[queue, order] = index
        return index


_MAX_UUID = UUID(int=(1 << 128) - 1)


def due(ticket: QueuedTicket, sla: SlaTargets) -> datetime:
    """The ticket's next deadline (its ``due``): first reply until replied, then resolution."""
    target = SlaTarget.RESOLUTION if ticket.replied else SlaTarget.FIRST_REPLY
    return sla_clock.deadline(ticket, target, sla)
