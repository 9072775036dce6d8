"""Orderings: sort keys over waiting tickets; the smallest key is served first.

Every key ends with the ticket's arrival time and id, so ties are broken the same way
every time (oldest first) — never at random. Keys are static (they do not depend on
``now``), which is what lets the queues keep them in sorted indexes; aging is expressed
through the arrival time instead (see :class:`EasiestFirst`). Parametrised keys are
frozen attrs classes: equal configurations share one index.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

import attrs

from ticketlog.domain.errors import ConfigurationError
from ticketlog.policies.reads import Read, all_reads
from ticketlog.projections.facts import TicketFacts
from ticketlog.projections.queues import QueuedTicket, by_arrival, by_deadline, by_priority

__all__ = [
    "EasiestFirst",
    "EffortEstimator",
    "FixedEffort",
    "MedianHandleTime",
    "ValueFirst",
    "Valued",
    "by_arrival",
    "by_deadline",
    "by_priority",
]


class EffortEstimator(Protocol):
    """How much work a ticket is expected to take."""

    def __call__(self, ticket: QueuedTicket) -> timedelta:
        """The expected effort of ``ticket``."""
        ...


@attrs.frozen
class FixedEffort:
    """The ticket's own estimate, or ``default`` when it has none."""

    default: timedelta = timedelta(minutes=10)
    reads = frozenset({Read.TICKET})

    def __call__(self, ticket: QueuedTicket) -> timedelta:
        """The ticket's estimate or the default."""
        return self.default if ticket.estimated_effort is None else ticket.estimated_effort


@attrs.frozen
class MedianHandleTime:
    """The ticket's own estimate, else the median handle time of its category, else ``default``.

    Learned once from history with :meth:`learn`; it does not change while it is used,
    so the queue indexes that sort by it stay valid.
    """

    by_category: tuple[tuple[str, timedelta], ...]
    default: timedelta = timedelta(minutes=10)
    _lookup: dict[str, timedelta] = attrs.field(init=False, eq=False, repr=False)
    reads = frozenset({Read.TICKET})

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_lookup", dict(self.by_category))

    @classmethod
    def learn(
        cls, facts: Iterable[TicketFacts], *, default: timedelta = timedelta(minutes=10)
    ) -> MedianHandleTime:
        """Median handle time per category over the resolved tickets of ``facts``."""
        samples: defaultdict[str, list[timedelta]] = defaultdict(list)
        for f in facts:
            if f.resolutions > 0:
                samples[f.category].append(f.handle_time)
        medians = {category: statistics.median_low(times) for category, times in samples.items()}
        return cls(by_category=tuple(sorted(medians.items())), default=default)

    def __call__(self, ticket: QueuedTicket) -> timedelta:
        """The estimate of ``ticket``."""
        if ticket.estimated_effort is not None:
            return ticket.estimated_effort
        return self._lookup.get(ticket.category, self.default)


@attrs.frozen
class EasiestFirst:
    """Shortest expected effort first, with optional aging so hard tickets are not starved.

    ``aging`` is the expected effort forgiven per unit of waiting: with ``aging=0.1`` a
    ticket that has waited an hour ranks as if it needed six minutes less. Because every
    waiting ticket ages at the same rate, the order is that of
    ``effort - aging * (now - received)``, i.e. of ``effort + aging * received`` — a
    static key.
    """

    estimator: EffortEstimator = FixedEffort()
    aging: float = attrs.field(default=0.0, validator=attrs.validators.ge(0.0))

    @property
    def reads(self) -> frozenset[Read] | None:
        """The ticket, and what the estimator reads."""
        return all_reads(self.estimator, FixedEffort)

    def __call__(self, ticket: QueuedTicket) -> tuple[float, datetime, UUID]:
        """The sort key of ``ticket``."""
        score = self.estimator(ticket).total_seconds() + self.aging * ticket.received_at.timestamp()
        return score, ticket.received_at, ticket.ticket_id


class Valued(Protocol):
    """What a ticket's worth is read from: a queued ticket, an arrival, ticket facts."""

    @property
    def plan(self) -> str | None:
        """The customer's plan."""
        ...

    @property
    def customer_value(self) -> float:
        """The customer's own value (revenue, say)."""
        ...

    @property
    def first_time(self) -> bool:
        """Whether the customer writes for the first time."""
        ...


@attrs.frozen
class ValueFirst:
    """Most valuable customer first: plan value + customer value (+ a first-time boost).

    Tickets worth the same are served oldest first, so on tickets that are all worth the
    same this is FIFO: :meth:`check` refuses that case.
    """

    plans: tuple[tuple[str, float], ...] = ()
    """Value of each plan, e.g. ``(("enterprise", 1000.0), ("pro", 100.0))``."""
    first_time_boost: float = 0.0
    """Value added for first-time customers (to make a good first impression)."""
    _plan_values: dict[str, float] = attrs.field(init=False, eq=False, repr=False)
    reads = frozenset({Read.TICKET})

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_plan_values", dict(self.plans))

    @classmethod
    def of(
        cls, plans: Mapping[str, float] | None = None, *, first_time_boost: float = 0.0
    ) -> ValueFirst:
        """Build from a plan-value mapping."""
        return cls(plans=tuple(sorted((plans or {}).items())), first_time_boost=first_time_boost)

    def plan_value(self, plan: str | None) -> float:
        """What a customer on ``plan`` is worth for the plan alone (0 for none or another)."""
        return self._plan_values.get(plan or "", 0.0)

    def value(self, ticket: Valued) -> float:
        """How much ``ticket``'s customer is worth to the desk."""
        boost = self.first_time_boost if ticket.first_time else 0.0
        return self.plan_value(ticket.plan) + ticket.customer_value + boost

    def check(self, tickets: Iterable[Valued], *, policy: str) -> None:
        """Raise :class:`~ticketlog.domain.errors.ConfigurationError`, naming what is
        missing, when every one of ``tickets`` is worth the same: ``policy`` would then
        serve them first come, first served (FIFO in disguise)."""
        seen = list(tickets)
        worth = {self.value(ticket) for ticket in seen}
        if len(worth) != 1:
            return
        plans = ", ".join(f"{plan}={value:g}" for plan, value in self.plans) or "none given"
        customer = sorted({ticket.customer_value for ticket in seen})
        msg = (
            f"policy {policy!r} would serve these {len(seen)} tickets first come, first "
            f"served: every one is worth {worth.pop():g} to it (plan values: {plans}; "
            f"customer values: {', '.join(f'{v:g}' for v in customer)}; first-time boost: "
            f"{self.first_time_boost:g}). Give it plan values (value_based(plans={{'pro': "
            "100.0})) or tickets with customer values, or compare fifo instead"
        )
        raise ConfigurationError(msg)

    def __call__(self, ticket: QueuedTicket) -> tuple[float, datetime, UUID]:
        """The sort key of ``ticket``."""
        return -self.value(ticket), ticket.received_at, ticket.ticket_id
