"""What a policy reads, so a simulation knows where it can run it exactly.

A pull policy decides from projection views (:class:`~ticketlog.projections.queues.QueuedTicket`,
:class:`~ticketlog.projections.workloads.Workload`, :class:`~ticketlog.projections.queues.Queues`).
The simulation's fast path keeps some of what those views hold exact and not the rest
(it rebuilds an agent's workload when their holdings or presence change, not at every
decision). So a policy declares what it reads, as a frozenset of :class:`Read` in a
``reads`` attribute — of the policy, its ordering key, its eligibility filter, an effort
estimator — and the simulation runs it on the fast path only when everything it reads
is exact there (:data:`EXACT_ON_THE_FAST_PATH`); anything else runs in the event mode.
A part that declares nothing may read anything.

A filter may also declare how it *partitions* agents and tickets (:class:`Partitioned`):
its verdict depends only on an agent's class and a ticket's class. The fast path then
keeps waiting tickets per class and asks the filter once per pair of classes, so a
decision touches only the tickets an agent could take. A partition that also names the
record fields its ticket classes read (``ticket_fields``, a frozenset of
``QueuedTicket`` field names), and whose agent classes depend only on an agent's profile,
presence and number of held tickets (not on which), runs in the simulation's columnar
kernel too (:mod:`ticketlog.simulation.kernel`), which classes tickets by those fields.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable
from typing import Protocol, TypeVar, runtime_checkable

import attrs

from ticketlog.projections.queues import QueuedTicket, by_arrival, by_deadline, by_priority
from ticketlog.projections.workloads import Workload


class Read(enum.Enum):
    """A part of the desk's views a policy may read."""

    TICKET = "ticket"
    """The waiting ticket's record: every field of ``QueuedTicket`` (attributes, queue,
    tier, ages, SLA due date)."""
    HOLDINGS = "holdings"
    """The agent's identity, profile, presence and holdings: every field of ``Workload``
    but its time totals."""
    AGENT_TIME = "agent-time"
    """The agent's time totals: handle, online and busy time, occupancy."""
    QUEUES = "queues"
    """The queues beyond the waiting tickets in order: who was assigned which customer,
    tickets waiting for a named agent."""


EXACT_ON_THE_FAST_PATH = frozenset({Read.TICKET, Read.HOLDINGS})
"""What the simulation's fast path keeps exact at every decision."""

_Part = TypeVar("_Part")


def declares(*reads: Read) -> Callable[[_Part], _Part]:
    """Mark a key, filter or estimator (a function or an instance) as reading ``reads``.

    >>> @declares(Read.TICKET)
    ... def by_channel(ticket):
    ...     return ticket.channel, ticket.received_at, ticket.ticket_id
    """

    def mark(part: _Part) -> _Part:
        setattr(part, "reads", frozenset(reads))  # noqa: B010 - functions take attributes
        return part

    return mark


_TICKET_KEYS = (by_arrival, by_priority, by_deadline)
"""The queues' own orderings (a lower layer, so they cannot declare themselves)."""


def reads_of(part: object) -> frozenset[Read] | None:
    """What ``part`` declares it reads (``None``: it declares nothing, so anything)."""
    if any(part is key for key in _TICKET_KEYS):
        return frozenset({Read.TICKET})
    reads = getattr(part, "reads", None)
    return reads if isinstance(reads, frozenset) else None


def all_reads(*parts: object) -> frozenset[Read] | None:
    """What ``parts`` read together (``None`` if any of them declares nothing)."""
    together: frozenset[Read] = frozenset()
    for part in parts:
        reads = reads_of(part)
        if reads is None:
            return None
        together |= reads
    return together


@runtime_checkable
class Partitioned(Protocol):
    """A filter whose verdict depends only on the agent's class and the ticket's class."""

    def agent_class(self, agent: Workload) -> Hashable:
        """What of ``agent`` the verdict depends on."""
        ...

    def ticket_class(self, ticket: QueuedTicket) -> Hashable:
        """What of ``ticket`` the verdict depends on."""
        ...


@attrs.frozen
class _Joint:
    parts: tuple[Partitioned, ...]

    @property
    def ticket_fields(self) -> frozenset[str] | None:
        """The fields every part's ticket classes read (``None`` if a part does not say)."""
        together: frozenset[str] = frozenset()
        for part in self.parts:
            fields = getattr(part, "ticket_fields", None)
            if not isinstance(fields, frozenset):
                return None
            together |= fields
        return together

    def agent_class(self, agent: Workload) -> Hashable:
        return tuple(part.agent_class(agent) for part in self.parts)

    def ticket_class(self, ticket: QueuedTicket) -> Hashable:
        return tuple(part.ticket_class(ticket) for part in self.parts)


def partition_of(part: object) -> Partitioned | None:
    """How ``part`` partitions (itself, or its ``partition``; ``None``: it does not)."""
    if isinstance(part, Partitioned):
        return part
    partition = getattr(part, "partition", None)
    return partition if isinstance(partition, Partitioned) else None


def joint(*parts: object) -> Partitioned | None:
    """The partition of ``parts`` together: classes are the tuples of theirs (``None`` if
    any of them does not partition)."""
    partitions = [partition_of(part) for part in parts]
    if any(p is None for p in partitions):
        return None
    return _Joint(tuple(p for p in partitions if p is not None))


@runtime_checkable
class KeyedPolicy(Protocol):
    """A pull policy given as a sort key and an acceptance test, with what it reads and
    how it partitions: the form the simulation's fast path runs (see :func:`runs_fast`)."""

    @property
    def name(self) -> str:
        """Recorded in ``TicketAssigned.policy``."""
        ...

    @property
    def reads(self) -> frozenset[Read] | None:
        """What the policy reads (``None``: anything)."""
        ...

    def key(self, ticket: QueuedTicket) -> object:
        """The sort key of a waiting ticket (smallest first); static while it waits."""
        ...

    def accepts(self, agent: Workload, ticket: QueuedTicket) -> bool:
        """Whether the policy would give ``ticket`` to ``agent``."""
        ...

    @property
    def partition(self) -> Partitioned | None:
        """How :meth:`accepts` partitions agents and tickets (``None``: it does not, so
        every waiting ticket is asked about)."""
        ...


def runs_fast(policy: object) -> bool:
    """Whether the fast path runs ``policy`` exactly: a :class:`KeyedPolicy` reading only
    what the fast path keeps exact."""
    if not isinstance(policy, KeyedPolicy):
        return False
    reads = policy.reads
    return reads is not None and reads <= EXACT_ON_THE_FAST_PATH
