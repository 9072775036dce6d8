"""The built-in policies, each with its exact ordering and tie-breaks.

Pull policies (an agent asks for the next ticket); every one also applies the desk's
own eligibility (online, capacity, tier, required skills, language):

==================  ===================================================================
``fifo``            oldest received first; ties by ticket id
``priority``        most severe first, then oldest, then id
``easiest-first``   smallest expected effort (own estimate, a learned per-category
                    median, or a default), optionally aged; then oldest, then id
``value``           highest plan value + customer value (+ first-time boost); then oldest;
                    refused where every ticket is worth the same (see below)
``tiered``          agents serve tickets of their own tier only (escalations move tickets
                    up); with ``overflow`` an idle agent also serves lower tiers; FIFO
``skills``          agents skilled in the ticket's category (and channel); any ordering
``sla``             earliest SLA deadline first (first reply, then resolution); then oldest
``affinity``        tickets of customers the agent served last first; then ``fallback``
``team-queues``     the queues of the agent's own teams first (home team and other
                    teams), in ``key`` order (FIFO); with ``overflow``, then every other
                    queue (or the queues it names) in the same order
==================  ===================================================================

``value`` by name (``pull_policy("value")``, ``--policy value``) has no plan values: it
ranks by the tickets' customer values alone. On tickets that all carry the same value
(no plan values, no customer values, no first-time boost) it would be FIFO in disguise,
so :func:`check_policy_fits` — which ``compare`` and ``ticketlog simulate``/``compare``
call on every run's tickets — refuses it with a
:class:`~ticketlog.domain.errors.ConfigurationError` naming what is missing, rather than
report FIFO's figures under the name ``value``.

Routers (push a waiting ticket to an agent); ties go to the agent who joined first:

==================  ===================================================================
``round-robin``     the agent assigned least recently (never assigned first)
``least-loaded``    the agent holding the fewest tickets
``capacity-aware``  the lowest share of capacity in use, then the most headroom
``longest-idle``    free agents, longest free first; then the least loaded
``affinity-router`` the agent who last served the customer, then least loaded
==================  ===================================================================
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import timedelta

from ticketlog.policies.eligibility import all_of, same_tier, skills_match
from ticketlog.policies.eligibility import team_queues as teams
from ticketlog.policies.orderings import (
    EasiestFirst,
    EffortEstimator,
    FixedEffort,
    Valued,
    ValueFirst,
)
from ticketlog.policies.protocol import PullPolicy
from ticketlog.policies.pull import Affinity, Ordered, Staged
from ticketlog.policies.push import (
    AffinityRouter,
    Ranked,
    fewest_held,
    least_recently_assigned,
    longest_idle,
    lowest_utilisation,
)
from ticketlog.projections.queues import Ordering, by_arrival, by_deadline, by_priority


def fifo() -> Ordered:
    """Oldest received first."""
    return Ordered("fifo", by_arrival)


def priority() -> Ordered:
    """Most severe first, then oldest."""
    return Ordered("priority", by_priority)


def easiest_first(
    *,
    estimator: EffortEstimator | None = None,
    aging: float = 0.0,
    default: timedelta = timedelta(minutes=10),
) -> Ordered:
    """Shortest expected effort first; ``aging`` forgives effort per unit of waiting."""
    if not isinstance(default, timedelta):
        msg = f"default must be a timedelta, not {default!r}"
        raise TypeError(msg)
    return Ordered("easiest-first", EasiestFirst(estimator or FixedEffort(default), aging))


def value_based(
    plans: Mapping[str, float] | None = None, *, first_time_boost: float = 0.0
) -> Ordered:
    """Most valuable customer first (plan value + customer value + first-time boost).

    Without ``plans`` (as by name) only customer values and the boost rank tickets.
    """
    return Ordered("value", ValueFirst.of(plans, first_time_boost=first_time_boost))


def check_policy_fits(policy: PullPolicy, tickets: Iterable[Valued]) -> None:
    """Refuse ``policy`` on ``tickets`` when its ordering cannot tell them apart.

    Today that is a :class:`~ticketlog.policies.orderings.ValueFirst` ordering (the
    ``value`` policy) under which every ticket is worth the same: it raises
    :class:`~ticketlog.domain.errors.ConfigurationError` naming what is missing. Other
    policies pass.
    """
    ordering = getattr(policy, "key", None)
    if isinstance(ordering, ValueFirst):
        ordering.check(tickets, policy=policy.name)


def tiered(*, overflow: bool = False, key: Ordering = by_arrival) -> Ordered:
    """Agents serve their own tier (idle ones also lower tiers with ``overflow``)."""
    if not isinstance(overflow, bool):
        msg = f"overflow must be True or False, not {overflow!r}"
        raise TypeError(msg)
    return Ordered("tiered", key, same_tier(overflow=overflow))


def skills_based(
    *, key: Ordering = by_arrival, category: bool = True, channel: bool = False
) -> Ordered:
    """Agents serve tickets of categories (and channels) they are skilled in, in ``key`` order."""
    return Ordered("skills", key, skills_match(category=category, channel=channel))


def sla_driven() -> Ordered:
    """Earliest SLA deadline first."""
    return Ordered("sla", by_deadline)


def affinity(*, fallback: Ordered | None = None) -> Affinity:
    """A returning customer's tickets to the agent who served them last, then ``fallback``."""
    return Affinity(fallback or fifo())


def tiered_skills(*, overflow: bool = False, key: Ordering = by_arrival) -> Ordered:
    """Tiered and skills-based together: an example of composing eligibility filters."""
    return Ordered("tiered-skills", key, all_of(same_tier(overflow=overflow), skills_match()))


def team_queues(*, overflow: bool | Collection[str] = False, key: Ordering = by_arrival) -> Staged:
    """Agents take from their own teams' queues first, in ``key`` order; with ``overflow``,
    from the other queues (or only those named) when their own have nothing they may take."""
    own = Ordered("team-queues", key, teams(own=True))
    if overflow is False:
        return Staged("team-queues", (own,))
    if overflow is True:
        others = Ordered("team-queues", key, teams(own=False))
    elif isinstance(overflow, Collection) and not isinstance(overflow, str):
        others = Ordered("team-queues", key, teams(own=False), serves=frozenset(overflow))
    else:
        msg = f"overflow must be True, False or a collection of queue names, not {overflow!r}"
        raise TypeError(msg)
    return Staged("team-queues", (own, others))


def round_robin() -> Ranked:
    """The agent assigned least recently."""
    return Ranked("round-robin", least_recently_assigned)


def least_loaded() -> Ranked:
    """The agent holding the fewest tickets."""
    return Ranked("least-loaded", fewest_held)


def capacity_aware() -> Ranked:
    """The agent using the smallest share of their capacity."""
    return Ranked("capacity-aware", lowest_utilisation)


def longest_idle_agent() -> Ranked:
    """The agent who has been free the longest."""
    return Ranked("longest-idle", longest_idle)


def affinity_router(*, fallback: Ranked | None = None) -> AffinityRouter:
    """The customer's last agent, then ``fallback``'s order (least loaded)."""
    return AffinityRouter(fallback or least_loaded())
