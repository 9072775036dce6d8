"""Routers (push): pick the agent for a waiting ticket.

Each router ranks the agents who may take the ticket by a key over their workloads;
ties go to the agent who joined first. All are deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs

from ticketlog.policies.eligibility import can_take
from ticketlog.projections.queues import QueuedTicket, Queues
from ticketlog.projections.workloads import Workload

_NEVER = datetime.min.replace(tzinfo=UTC)


def least_recently_assigned(agent: Workload) -> tuple[int, int]:
    """Round-robin: the agent whose latest assignment came first (never assigned first)."""
    return agent.last_assignment, agent.joined


def fewest_held(agent: Workload) -> tuple[int, int]:
    """Least-loaded: the agent holding the fewest tickets."""
    return agent.holding, agent.joined


def lowest_utilisation(agent: Workload) -> tuple[float, int, int]:
    """Capacity-aware: the lowest share of capacity in use, then the most headroom."""
    return agent.holding / agent.capacity, -agent.headroom, agent.joined


def longest_idle(agent: Workload) -> tuple[bool, datetime, int, int]:
    """Longest-idle: free agents by how long they have been free, then the least loaded."""
    return agent.idle_since is None, agent.idle_since or _NEVER, agent.holding, agent.joined


@attrs.frozen
class Ranked:
    """Agents who may take the ticket, smallest ``rank`` first."""

    name: str
    rank: Callable[[Workload], Any]

    def agents_for(
        self,
        ticket: QueuedTicket,
        agents: Sequence[Workload],
        queues: Queues,
        *,
        now: datetime,
    ) -> Iterator[Workload]:
        """Eligible agents, best first."""
        yield from sorted((a for a in agents if can_take(a, ticket)), key=self.rank)


@attrs.frozen
class AffinityRouter:
    """The agent who last served the ticket's customer, if eligible; else ``fallback``'s order."""

    fallback: Ranked = Ranked("least-loaded", fewest_held)
    name: str = "affinity-router"

    def agents_for(
        self, ticket: QueuedTicket, agents: Sequence[Workload], queues: Queues, *, now: datetime
    ) -> Iterator[Workload]:
        """The customer's last agent first, then the fallback's candidates."""
        last = queues.last_served_by(ticket.customer_id)
        first = [a for a in agents if a.agent_id == last and can_take(a, ticket)]
        yield from first
        for agent in self.fallback.agents_for(ticket, agents, queues, now=now):
            if agent.agent_id != last:
                yield agent
