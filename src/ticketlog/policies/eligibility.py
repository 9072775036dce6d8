"""Eligibility: which agent may take which ticket.

:func:`can_take` is the domain's own rule (online, under capacity, tier high enough,
required skills and language) and every policy applies it. The filters here narrow it
further and combine with any ordering (see :class:`~ticketlog.policies.pull.Ordered`).
Each declares what it reads and how it partitions agents and tickets
(:mod:`ticketlog.policies.reads`), so the simulation's fast path runs them exactly and
asks them once per pair of classes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import attrs

from ticketlog.domain.ticket import eligibility_error
from ticketlog.policies.reads import Partitioned, Read, all_reads, joint
from ticketlog.projections.queues import QueuedTicket
from ticketlog.projections.workloads import Workload

Eligibility = Callable[[Workload, QueuedTicket], bool]
"""A filter: may this agent take this ticket?"""


def can_take(agent: Workload, ticket: QueuedTicket) -> bool:
    """The domain's rule: the desk would accept this assignment."""
    return eligibility_error(agent, ticket, agent.holding) is None


@attrs.frozen
class _CanTake:
    """The partition of :func:`can_take`: what of agents and tickets the domain's rule reads."""

    reads = frozenset({Read.TICKET, Read.HOLDINGS})
    ticket_fields = frozenset({"tier", "required_skills", "language"})

    def agent_class(self, agent: Workload) -> Hashable:
        return agent.online, agent.headroom > 0, agent.tier, agent.skills, agent.languages

    def ticket_class(self, ticket: QueuedTicket) -> Hashable:
        return ticket.tier, ticket.required_skills, ticket.language


DOMAIN_RULE: Partitioned = _CanTake()
"""How :func:`can_take` partitions agents and tickets."""


@attrs.frozen
class _Anyone:
    reads = frozenset[Read]()
    ticket_fields = frozenset[str]()

    def __call__(self, agent: Workload, ticket: QueuedTicket) -> bool:
        return True

    def agent_class(self, agent: Workload) -> Hashable:
        return ()

    def ticket_class(self, ticket: QueuedTicket) -> Hashable:
        return ()


anyone: Eligibility = _Anyone()
"""No restriction beyond :func:`can_take`."""


@attrs.frozen
class _SkillsMatch:
    category: bool
    channel: bool
    reads = frozenset({Read.TICKET, Read.HOLDINGS})
    ticket_fields = frozenset({"category", "channel"})

    def __call__(self, agent: Workload, ticket: QueuedTicket) -> bool:
        if self.category and ticket.category not in agent.skills:
            return False
        return not self.channel or f"channel:{ticket.channel}" in agent.skills

    def agent_class(self, agent: Workload) -> Hashable:
        return agent.skills

    def ticket_class(self, ticket: QueuedTicket) -> Hashable:
        return (ticket.category if self.category else None), (
            ticket.channel if self.channel else None
        )


def skills_match(*, category: bool = True, channel: bool = False) -> Eligibility:
    """Agents skilled in the ticket's category (and, optionally, its channel).

    A channel skill is written ``"channel:<name>"`` (e.g. ``"channel:phone"``). Languages
    and the ticket's required skills are always checked by :func:`can_take`.
    """
    return _SkillsMatch(category=category, channel=channel)


@attrs.frozen
class _SameTier:
    overflow: bool
    reads = frozenset({Read.TICKET, Read.HOLDINGS})
    ticket_fields = frozenset({"tier"})

    def __call__(self, agent: Workload, ticket: QueuedTicket) -> bool:
        if ticket.tier == agent.tier:
            return True
        return self.overflow and ticket.tier < agent.tier and agent.holding == 0

    def agent_class(self, agent: Workload) -> Hashable:
        return agent.tier, self.overflow and agent.holding == 0

    def ticket_class(self, ticket: QueuedTicket) -> Hashable:
        return ticket.tier


def same_tier(*, overflow: bool = False) -> Eligibility:
    """Agents serve tickets of their own tier; with ``overflow``, idle agents serve lower tiers."""
    return _SameTier(overflow=overflow)


@attrs.frozen
class _AllOf:
    filters: tuple[Eligibility, ...]

    def __call__(self, agent: Workload, ticket: QueuedTicket) -> bool:
        return all(f(agent, ticket) for f in self.filters)

    @property
    def reads(self) -> frozenset[Read] | None:
        return all_reads(*self.filters)

    @property
    def partition(self) -> Partitioned | None:
        return joint(*self.filters)


def all_of(*filters: Eligibility) -> Eligibility:
    """Agents who pass every filter."""
    return _AllOf(filters)
