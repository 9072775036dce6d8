"""Eligibility: which agent may take which ticket.

:func:`can_take` is the domain's own rule (online, under capacity, tier high enough,
required skills and language) and every policy applies it. The filters here narrow it
further and combine with any ordering (see :class:`~ticketlog.policies.ordered.Ordered`).
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from ticketlog.domain.ticket import eligibility_error
from ticketlog.projections.queues import QueuedTicket
from ticketlog.projections.workloads import Workload

Eligibility = Callable[[Workload, QueuedTicket], bool]
"""A filter: may this agent take this ticket?"""


def can_take(agent: Workload, ticket: QueuedTicket) -> bool:
    """The domain's rule: the desk would accept this assignment."""
    return eligibility_error(agent, ticket, agent.holding) is None


def anyone(agent: Workload, ticket: QueuedTicket) -> bool:
    """No restriction beyond :func:`can_take`."""
    return True


@attrs.frozen
class _SkillsMatch:
    category: bool
    channel: bool

    def __call__(self, agent: Workload, ticket: QueuedTicket) -> bool:
        if self.category and ticket.category not in agent.skills:
            return False
        return not self.channel or f"channel:{ticket.channel}" in agent.skills


def skills_match(*, category: bool = True, channel: bool = False) -> Eligibility:
    """Agents skilled in the ticket's category (and, optionally, its channel).

    A channel skill is written ``"channel:<name>"`` (e.g. ``"channel:phone"``). Languages
    and the ticket's required skills are always checked by :func:`can_take`.
    """
    return _SkillsMatch(category=category, channel=channel)


@attrs.frozen
class _SameTier:
    overflow: bool

    def __call__(self, agent: Workload, ticket: QueuedTicket) -> bool:
        if ticket.tier == agent.tier:
            return True
        return self.overflow and ticket.tier < agent.tier and agent.holding == 0


def same_tier(*, overflow: bool = False) -> Eligibility:
    """Agents serve tickets of their own tier; with ``overflow``, idle agents serve lower tiers."""
    return _SameTier(overflow=overflow)


@attrs.frozen
class _AllOf:
    filters: tuple[Eligibility, ...]

    def __call__(self, agent: Workload, ticket: QueuedTicket) -> bool:
        return all(f(agent, ticket) for f in self.filters)


def all_of(*filters: Eligibility) -> Eligibility:
    """Agents who pass every filter."""
    return _AllOf(filters)
