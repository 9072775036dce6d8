"""What a policy is: the extension points of assignment, gathered in one place.

Two directions, as desks work:

* **pull** — an agent asks "what next?": a :class:`PullPolicy` lists the waiting tickets
  the agent may take, best first;
* **push** — a router picks the agent for a waiting ticket: a :class:`Router` lists the
  agents who may take it, best first.

Policies read only projection views — :class:`~ticketlog.projections.queues.Queues`,
:class:`~ticketlog.projections.queues.QueuedTicket`,
:class:`~ticketlog.projections.workloads.Workload` — and the ``now`` they are given;
they never touch the store or the wall clock, and a policy that needs randomness takes
a ``random.Random`` when it is built. They return candidates, not effects: the desk
turns the first candidate that still works into an ``assign`` command, and moves on to
the next when another desk got there first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from ticketlog.projections.queues import QueuedTicket, Queues
from ticketlog.projections.workloads import Workload


@runtime_checkable
class PullPolicy(Protocol):
    """Chooses which waiting ticket an agent takes next."""

    @property
    def name(self) -> str:
        """Recorded in ``TicketAssigned.policy``."""
        ...

    def tickets_for(
        self, agent: Workload, queues: Queues, *, now: datetime
    ) -> Iterator[QueuedTicket]:
        """The waiting tickets ``agent`` may take, best first (lazily: the desk stops early)."""
        ...


@runtime_checkable
class Router(Protocol):
    """Chooses which agent a waiting ticket goes to."""

    @property
    def name(self) -> str:
        """Recorded in ``TicketAssigned.policy``."""
        ...

    def agents_for(
        self, ticket: QueuedTicket, agents: Sequence[Workload], queues: Queues, *, now: datetime
    ) -> Iterator[Workload]:
        """The agents (of ``agents``) who may take ``ticket``, best first."""
        ...
