"""Service KPIs, exactly as docs/kpis.md defines them, computed from ticket facts.

Every KPI is a pure function of :class:`~ticketlog.projections.facts.TicketFacts` records
and an explicit ``now`` (for tickets still open against their SLA targets). Shares are
percentages (0-100); durations are :class:`Durations` (count, mean, p50, p90, p95) in
calendar time. Percentiles are exact: linear interpolation between closest ranks (the
"type 7" definition used by numpy and pandas by default).

Definitions (denominators in brackets):

- ``wait`` — received to first assignment [tickets ever assigned];
- ``first_reply`` — received to first public reply [tickets replied to];
- ``resolution`` — received to latest resolution [resolved tickets: resolved at least
  once and not open again now — a reopened ticket counts once it is resolved again];
- ``handle`` — time agents held the ticket, summed over assignment spells; its mean is
  AHT [resolved tickets];
- ``fcr`` — resolved by the first agent who held it, with no transfer, reassignment,
  escalation, de-escalation or reopen [resolved tickets; a resolution by the system
  (no agent, in a recorded history) is not one];
- ``csat`` — ratings of 4 or 5 [tickets with a CSAT rating]; ``csat_mean`` their mean;
- ``nps`` — % promoters (9-10) minus % detractors (0-6) [tickets with an NPS rating];
- ``sla_first_reply`` — replied within target (targets count SLA time: working time
  when the targets have a business-hours calendar, never the time a ticket awaited the
  customer) [tickets replied to, or past their target
  without a reply; abandoned tickets never replied to are excluded];
- ``sla_resolution`` — finally resolved within target [resolved tickets, or open ones —
  reopened ones included — past target; abandoned tickets and tickets closed unresolved
  are excluded]; the
  ``*_breaches`` fields count the misses;
- ``transfer_rate``, ``reassignment_rate``, ``escalation_rate``, ``deescalation_rate``,
  ``reopen_rate``, ``abandonment_rate`` — tickets with at least one such event [all
  tickets]; ``*_per_ticket`` the mean count.

"Not measured" is ``None``, never 0 %: a share is ``None`` when its denominator is empty,
and an SLA share also when no ticket of the set shows the event the target waits for —
``sla_first_reply`` when none has a public reply, ``sla_resolution`` when none was ever
resolved. Such a set comes from a source that does not record that event (an import
without replies) or from a desk too young to have one; 0 % would claim every ticket
missed a target nobody could meet on the record. The ``*_breaches`` counts stay: tickets
past their target without the event.

The latest rating of a ticket counts; the ticket's current priority and category select
its SLA targets.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum

import attrs

from ticketlog.domain.errors import InvalidValue
from ticketlog.domain.values import Priority, SlaTarget
from ticketlog.projections.base import collector_paused
from ticketlog.projections.facts import TicketFacts
from ticketlog.projections.sla import SlaTargets
from ticketlog.projections.sla_clock import Verdict, verdict


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0 <= q <= 1) of ascending ``sorted_values``, interpolated linearly."""
    if not sorted_values:
        msg = "percentile of no values"
        raise ValueError(msg)
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    fraction = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


@attrs.frozen
class Durations:
    """Summary of a set of durations."""

    count: int
    mean: timedelta | None
    p50: timedelta | None
    p90: timedelta | None
    p95: timedelta | None

    @classmethod
    def of(cls, values: Iterable[timedelta]) -> Durations:
        """Summarise ``values`` (mean and exact percentiles)."""
        seconds = sorted(value.total_seconds() for value in values)
        if not seconds:
            return cls(count=0, mean=None, p50=None, p90=None, p95=None)

        def td(s: float) -> timedelta:
            return timedelta(seconds=s)

        return cls(
            count=len(seconds),
            mean=td(math.fsum(seconds) / len(seconds)),
            p50=td(percentile(seconds, 0.50)),
            p90=td(percentile(seconds, 0.90)),
            p95=td(percentile(seconds, 0.95)),
        )


def share(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole`` (``None`` when ``whole`` is 0)."""
    return None if whole == 0 else 100.0 * part / whole


@attrs.frozen
class Kpis:
    """The service KPIs of a set of tickets (see the module docstring for definitions)."""

    tickets: int
    open: int
    resolved: int
    wait: Durations
    first_reply: Durations
    resolution: Durations
    handle: Durations
    fcr: float | None
    csat: float | None
    csat_mean: float | None
    csat_count: int
    nps: float | None
    nps_count: int
    sla_first_reply: float | None
    first_reply_breaches: int
    sla_resolution: float | None
    resolution_breaches: int
    transfer_rate: float | None
    escalation_rate: float | None
    reopen_rate: float | None
    abandonment_rate: float | None
    transfers_per_ticket: float | None
    escalations_per_ticket: float | None
    reopens_per_ticket: float | None
    reassignment_rate: float | None
    deescalation_rate: float | None
    reassignments_per_ticket: float | None
    deescalations_per_ticket: float | None

    @property
    def aht(self) -> timedelta | None:
        """Average handle time of resolved tickets."""
        return self.handle.mean


def _mean(values: Sequence[int]) -> float | None:
    return None if not values else math.fsum(values) / len(values)


def _measured(met: int, missed: int, *, observed: bool) -> float | None:
    """The share of targets met, or ``None`` when the set never shows the awaited event."""
    return share(met, met + missed) if observed else None


def _sla(facts: Sequence[TicketFacts], now: datetime, sla: SlaTargets) -> tuple[int, int, int, int]:
    """(first replies met, first-reply breaches, resolutions met, resolution breaches), each
    ticket judged by its SLA clock (:func:`~ticketlog.projections.sla_clock.verdict`)."""
    reply_met = reply_missed = resolve_met = resolve_missed = 0
    for f in facts:
        if f.first_response_at is not None or f.abandoned_at is None:
            reply = verdict(f, SlaTarget.FIRST_REPLY, sla, done_at=f.first_response_at, now=now)
            reply_met += reply is Verdict.MET
            reply_missed += reply is Verdict.MISSED
        # Open (never resolved, or reopened): judged by its final resolution, not yet made.
        if f.is_open or (f.is_resolved and f.resolved_at is not None):
            done = None if f.is_open else f.resolved_at
            resolution = verdict(f, SlaTarget.RESOLUTION, sla, done_at=done, now=now)
            resolve_met += resolution is Verdict.MET
            resolve_missed += resolution is Verdict.MISSED
    return reply_met, reply_missed, resolve_met, resolve_missed


def compute_kpis(
    facts: Iterable[TicketFacts], *, now: datetime, sla: SlaTargets | None = None
) -> Kpis:
    """The KPIs of ``facts`` as of ``now`` (SLA targets: ``sla`` or the defaults)."""
    with collector_paused():
        return _kpis(list(facts), now, SlaTargets() if sla is None else sla)


def _kpis(tickets: list[TicketFacts], now: datetime, sla: SlaTargets) -> Kpis:
    resolved = [f for f in tickets if f.is_resolved]
    csats = [f.csat for f in tickets if f.csat is not None]
    npss = [f.nps for f in tickets if f.nps is not None]
    reply_met, reply_missed, resolve_met, resolve_missed = _sla(tickets, now, sla)
    n = len(tickets)
    return Kpis(
        tickets=n,
        open=sum(f.is_open for f in tickets),
        resolved=len(resolved),
        wait=Durations.of(w for f in tickets if (w := f.wait) is not None),
        first_reply=Durations.of(r for f in tickets if (r := f.first_reply_time) is not None),
        resolution=Durations.of(r for f in resolved if (r := f.resolution_time) is not None),
        handle=Durations.of(f.handle_time for f in resolved),
        fcr=share(sum(f.first_contact_resolution for f in resolved), len(resolved)),
        csat=share(sum(score >= 4 for score in csats), len(csats)),
        csat_mean=None if not csats else math.fsum(csats) / len(csats),
        csat_count=len(csats),
        nps=None
        if not npss
        else 100.0 * (sum(s >= 9 for s in npss) - sum(s <= 6 for s in npss)) / len(npss),
        nps_count=len(npss),
        sla_first_reply=_measured(
            reply_met, reply_missed, observed=any(f.first_response_at is not None for f in tickets)
        ),
        first_reply_breaches=reply_missed,
        sla_resolution=_measured(
            resolve_met, resolve_missed, observed=any(f.resolutions > 0 for f in tickets)
        ),
        resolution_breaches=resolve_missed,
        transfer_rate=share(sum(f.transfers > 0 for f in tickets), n),
        escalation_rate=share(sum(f.escalations > 0 for f in tickets), n),
        reopen_rate=share(sum(f.reopens > 0 for f in tickets), n),
        abandonment_rate=share(sum(f.abandoned_at is not None for f in tickets), n),
        transfers_per_ticket=_mean([f.transfers for f in tickets]),
        escalations_per_ticket=_mean([f.escalations for f in tickets]),
        reopens_per_ticket=_mean([f.reopens for f in tickets]),
        reassignment_rate=share(sum(f.reassignments > 0 for f in tickets), n),
        deescalation_rate=share(sum(f.deescalations > 0 for f in tickets), n),
        reassignments_per_ticket=_mean([f.reassignments for f in tickets]),
        deescalations_per_ticket=_mean([f.deescalations for f in tickets]),
    )


class Dimension(StrEnum):
    """What KPIs can be grouped by."""

    CHANNEL = "channel"
    CATEGORY = "category"
    PRIORITY = "priority"
    TIER = "tier"
    QUEUE = "queue"
    AGENT = "agent"
    """The agent of the latest resolution (``None``: never resolved)."""
    TEAM = "team"
    """The team of the agent of the latest resolution."""
    PLAN = "plan"
    DAY = "day"
    """The UTC day the ticket was received (``YYYY-MM-DD``)."""
    WEEK = "week"
    """The ISO week the ticket was received (``YYYY-Www``)."""
    SOURCE = "source"
    """Where the ticket was recorded: an import's source (``None``: the live desk)."""
    CUSTOMER_VALUE = "customer-value"
    """The :class:`ValueClass` of the ticket's customer value (``customer_value`` also names it)."""

    @classmethod
    def _missing_(cls, value: object) -> Dimension | None:
        """Accept ``customer_value`` (the field's name) for ``customer-value``."""
        return cls.__members__.get(value.upper()) if isinstance(value, str) else None


class ValueClass(StrEnum):
    """Classes of customer value by order of magnitude (the lower bound is included).

    Customer values are in the desk's own unit (revenue per customer, say): ``0`` is a
    customer without a value (the default), then decades up to ``10k+``.
    """

    NONE = "0"
    UNDER_10 = "0-10"
    """More than 0, less than 10."""
    TENS = "10-100"
    HUNDREDS = "100-1k"
    THOUSANDS = "1k-10k"
    TEN_THOUSANDS_UP = "10k+"
    """10,000 or more."""

    @classmethod
    def of(cls, value: float) -> ValueClass:
        """The class of ``value`` (>= 0)."""
        if value <= 0:
            return cls.NONE
        for bound, klass in _VALUE_BOUNDS:
            if value < bound:
                return klass
        return cls.TEN_THOUSANDS_UP

    @property
    def rank(self) -> int:
        """Position from the lowest class (0) up."""
        return list(ValueClass).index(self)


_VALUE_BOUNDS = (
    (10.0, ValueClass.UNDER_10),
    (100.0, ValueClass.TENS),
    (1_000.0, ValueClass.HUNDREDS),
    (10_000.0, ValueClass.THOUSANDS),
)
"""Upper bounds (excluded) of the value classes below ``10k+``."""


def _week(at: datetime) -> str:
    year, week, _ = at.isocalendar()
    return f"{year}-W{week:02d}"


GROUP_KEYS: Mapping[Dimension, Callable[[TicketFacts], Hashable]] = {
    Dimension.CHANNEL: lambda f: f.channel,
    Dimension.CATEGORY: lambda f: f.category,
    Dimension.PRIORITY: lambda f: f.priority,
    Dimension.TIER: lambda f: f.tier,
    Dimension.QUEUE: lambda f: f.queue,
    Dimension.AGENT: lambda f: f.resolver_id,
    Dimension.TEAM: lambda f: f.resolver_team,
    Dimension.PLAN: lambda f: f.plan,
    Dimension.DAY: lambda f: f.received_at.date().isoformat(),
    Dimension.WEEK: lambda f: _week(f.received_at),
    Dimension.SOURCE: lambda f: f.source,
    Dimension.CUSTOMER_VALUE: lambda f: ValueClass.of(f.customer_value),
}
"""How each dimension reads its group from a ticket's facts."""


def _group_order(group: Hashable) -> tuple[bool, int, str]:
    """Groups ascending: priorities by severity, value classes and tiers by number, others by
    name; None last."""
    if isinstance(group, Priority | ValueClass):
        return False, group.rank, ""
    if isinstance(group, int):
        return False, group, ""
    return group is None, 0, str(group)


def kpis_by(
    facts: Iterable[TicketFacts],
    by: Dimension | str,
    *,
    now: datetime,
    sla: SlaTargets | None = None,
) -> dict[Hashable, Kpis]:
    """KPIs per group of ``by``, groups in ascending order (``None`` last).

    Raises :class:`~ticketlog.domain.errors.InvalidValue` for a ``by`` that is no dimension.
    """
    try:
        key = GROUP_KEYS[Dimension(by)]
    except ValueError:
        msg = f"KPIs cannot be grouped by {by!r}; by one of {', '.join(Dimension)}"
        raise InvalidValue(msg) from None
    groups: defaultdict[Hashable, list[TicketFacts]] = defaultdict(list)
    for f in facts:
        groups[key(f)].append(f)
    ordered = sorted(groups, key=_group_order)
    return {group: compute_kpis(groups[group], now=now, sla=sla) for group in ordered}
