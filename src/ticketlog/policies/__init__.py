"""Assignment policies: who gets which ticket next.

Not to be confused with eventsourcing's "policies" (reactions to events): here a policy
decides assignments. The protocols are in :mod:`ticketlog.policies.protocol`, the
built-ins (with their exact orderings) in :mod:`ticketlog.policies.builtin`, and
:func:`create` finds any of them — or an installed third-party one — by name.
"""

from __future__ import annotations

from ticketlog.policies.builtin import (
    affinity,
    affinity_router,
    capacity_aware,
    easiest_first,
    fifo,
    least_loaded,
    longest_idle_agent,
    priority,
    round_robin,
    skills_based,
    sla_driven,
    team_queues,
    tiered,
    tiered_skills,
    value_based,
)
from ticketlog.policies.eligibility import (
    Eligibility,
    all_of,
    can_take,
    same_tier,
    skills_match,
)
from ticketlog.policies.orderings import EasiestFirst, FixedEffort, MedianHandleTime, ValueFirst
from ticketlog.policies.protocol import PullPolicy, Router
from ticketlog.policies.pull import Affinity, Ordered, Staged
from ticketlog.policies.push import AffinityRouter, Ranked
from ticketlog.policies.registry import (
    ENTRY_POINT_GROUP,
    create,
    factory,
    names,
    pull_policy,
    register,
    router,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Affinity",
    "AffinityRouter",
    "EasiestFirst",
    "Eligibility",
    "FixedEffort",
    "MedianHandleTime",
    "Ordered",
    "PullPolicy",
    "Ranked",
    "Router",
    "Staged",
    "ValueFirst",
    "affinity",
    "affinity_router",
    "all_of",
    "can_take",
    "capacity_aware",
    "create",
    "easiest_first",
    "factory",
    "fifo",
    "least_loaded",
    "longest_idle_agent",
    "names",
    "priority",
    "pull_policy",
    "register",
    "round_robin",
    "router",
    "same_tier",
    "skills_based",
    "skills_match",
    "sla_driven",
    "team_queues",
    "tiered",
    "tiered_skills",
    "value_based",
]
