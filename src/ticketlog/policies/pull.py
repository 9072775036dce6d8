"""Pull policies: an agent asks "what next?".

:class:`Ordered` composes an eligibility filter with an ordering (a lexicographic sort
key): the candidates are the waiting tickets the agent may take, in key order, read
from the queue's sorted index for that key — no scan of the queue to find the first.
:class:`Affinity` puts the tickets of customers the agent served last in front.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from datetime import datetime

import attrs

from ticketlog.policies.eligibility import DOMAIN_RULE, Eligibility, anyone, can_take
from ticketlog.policies.reads import Partitioned, Read, all_reads, joint
from ticketlog.projections.queues import ALL_QUEUES, Ordering, QueuedTicket, Queues, by_arrival
from ticketlog.projections.workloads import Workload


def _available(agent: Workload) -> bool:
    return agent.online and agent.headroom > 0


@attrs.frozen
class Ordered:
    """Waiting tickets in ``key`` order that the agent may take and ``eligible`` accepts.

    ``serves`` limits the queues the policy draws from (default: every queue).
    """

    name: str
    key: Ordering = by_arrival
    eligible: Eligibility = anyone
    serves: frozenset[str] | None = None

    def tickets_for(
        self, agent: Workload, queues: Queues, *, now: datetime
    ) -> Iterator[QueuedTicket]:
        """Eligible waiting tickets, best first."""
        if not _available(agent):
            return
        for ticket in queues.index(ALL_QUEUES, self.key):
            if self.accepts(agent, ticket):
                yield ticket

    def accepts(self, agent: Workload, ticket: QueuedTicket) -> bool:
        """Whether this policy would give ``ticket`` to ``agent`` (queue, filter, domain rules)."""
        if self.serves is not None and ticket.queue not in self.serves:
            return False
        return can_take(agent, ticket) and self.eligible(agent, ticket)

    @property
    def reads(self) -> frozenset[Read] | None:
        """What the policy reads: what its key and filter declare, and the domain rule."""
        return all_reads(self.key, self.eligible, DOMAIN_RULE)

    @property
    def partition(self) -> Partitioned | None:
        """The domain rule's, the served queues' and the filter's partitions together
        (``None`` if the filter does not declare one)."""
        return joint(DOMAIN_RULE, _Serves(self.serves), self.eligible)


@attrs.frozen
class _Serves:
    """The partition of :attr:`Ordered.serves`: served queue or not."""

    serves: frozenset[str] | None
    ticket_fields = frozenset({"queue"})

    def agent_class(self, agent: Workload) -> Hashable:
        return ()

    def ticket_class(self, ticket: QueuedTicket) -> Hashable:
        return self.serves is None or ticket.queue in self.serves


@attrs.frozen
class Affinity:
    """A returning customer's tickets go to the agent who served them last, if eligible.

    The agent first gets the waiting tickets of customers they were last assigned to
    (oldest first) that ``fallback`` would let them take, then whatever ``fallback`` offers.
    """

    fallback: Ordered = Ordered("fifo")
    name: str = "affinity"
    reads = frozenset({Read.TICKET, Read.HOLDINGS, Read.QUEUES})

    def tickets_for(
        self, agent: Workload, queues: Queues, *, now: datetime
    ) -> Iterator[QueuedTicket]:
        """Affine tickets first, then the fallback's candidates."""
        if not _available(agent):
            return
        affine = [t for t in queues.waiting_for(agent.agent_id) if self.fallback.accepts(agent, t)]
        yield from affine
        seen = {t.ticket_id for t in affine}
        for ticket in self.fallback.tickets_for(agent, queues, now=now):
            if ticket.ticket_id not in seen:
                yield ticket
