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
from fractions import Fraction

import attrs
import numpy as np
import numpy.typing as npt

from ticketlog.domain.errors import InvalidValue
from ticketlog.domain.values import Priority
from ticketlog.projections.base import collector_paused
from ticketlog.projections.columns import MET, MISSED, MISSING, TicketColumns
from ticketlog.projections.facts import TicketFacts
from ticketlog.projections.sla import SlaTargets


def percentile(sorted_values: Sequence[float] | npt.NDArray[np.float64], q: float) -> float:
    """The ``q`` quantile (0 <= q <= 1) of ascending ``sorted_values``, interpolated linearly."""
    if len(sorted_values) == 0:
        msg = "percentile of no values"
        raise ValueError(msg)
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    fraction = position - low
    return float(sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction)


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
        us = timedelta(microseconds=1)
        return cls.of_microseconds(np.asarray([value // us for value in values], dtype=np.int64))

    @classmethod
    def of_microseconds(cls, values: npt.NDArray[np.int64]) -> Durations:
        """Summarise durations given in microseconds."""
        if not len(values):
            return cls(count=0, mean=None, p50=None, p90=None, p95=None)
        seconds = np.sort(values) / 1e6

        def td(s: float) -> timedelta:
            return timedelta(seconds=s)

        # The exact total: in int64 when it cannot overflow (a sum of Python ints otherwise),
        # over the count rounded half to even, as timedelta rounds.
        exact = len(values) * int(np.abs(values).max()) < 2**63
        total = int(values.sum()) if exact else sum(values.tolist())
        return cls(
            count=len(seconds),
            mean=timedelta(microseconds=round(Fraction(total, len(values)))),
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


def _mean(counts: npt.NDArray[np.int64]) -> float | None:
    return None if not len(counts) else int(counts.sum()) / len(counts)


def _measured(met: int, missed: int, *, observed: bool) -> float | None:
    """The share of targets met, or ``None`` when the set never shows the awaited event."""
    return share(met, met + missed) if observed else None


def compute_kpis(
    facts: Iterable[TicketFacts], *, now: datetime, sla: SlaTargets | None = None
) -> Kpis:
    """The KPIs of ``facts`` as of ``now`` (SLA targets: ``sla`` or the defaults)."""
    with collector_paused():
        tickets = list(facts)
        return kpis_of(TicketColumns.of(tickets, now=now, sla=SlaTargets() if sla is None else sla))


def kpis_of(c: TicketColumns) -> Kpis:
    """The KPIs of the tickets of ``c`` (their SLA verdicts are in the columns)."""
    n = len(c)
    resolved = c.resolved_now
    assigned = c.first_assigned != MISSING
    replied = c.first_response != MISSING
    ended = resolved & (c.resolved != MISSING)
    csats = c.csat[~np.isnan(c.csat)]
    npss = c.nps[~np.isnan(c.nps)]
    reply, resolution = c.reply_verdict, c.resolution_verdict
    resolved_count = int(resolved.sum())

    def count(mask: npt.NDArray[np.bool_]) -> int:
        return int(mask.sum())

    return Kpis(
        tickets=n,
        open=count(c.open),
        resolved=resolved_count,
        wait=Durations.of_microseconds((c.first_assigned - c.received)[assigned]),
        first_reply=Durations.of_microseconds((c.first_response - c.received)[replied]),
        resolution=Durations.of_microseconds((c.resolved - c.received)[ended]),
        handle=Durations.of_microseconds(c.handle[resolved]),
        fcr=share(count(c.fcr & resolved), resolved_count),
        csat=share(count(csats >= 4), len(csats)),
        csat_mean=None if not len(csats) else math.fsum(csats) / len(csats),
        csat_count=len(csats),
        nps=None if not len(npss) else 100.0 * (count(npss >= 9) - count(npss <= 6)) / len(npss),
        nps_count=len(npss),
        sla_first_reply=_measured(
            count(reply == MET), count(reply == MISSED), observed=bool(replied.any())
        ),
        first_reply_breaches=count(reply == MISSED),
        sla_resolution=_measured(
            count(resolution == MET),
            count(resolution == MISSED),
            observed=bool((c.resolutions > 0).any()),
        ),
        resolution_breaches=count(resolution == MISSED),
        transfer_rate=share(count(c.transfers > 0), n),
        escalation_rate=share(count(c.escalations > 0), n),
        reopen_rate=share(count(c.reopens > 0), n),
        abandonment_rate=share(count(c.abandoned != MISSING), n),
        transfers_per_ticket=_mean(c.transfers),
        escalations_per_ticket=_mean(c.escalations),
        reopens_per_ticket=_mean(c.reopens),
        reassignment_rate=share(count(c.reassignments > 0), n),
        deescalation_rate=share(count(c.deescalations > 0), n),
        reassignments_per_ticket=_mean(c.reassignments),
        deescalations_per_ticket=_mean(c.deescalations),
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


def iso_week(at: datetime) -> str:
    """The ISO week of ``at`` (``YYYY-Www``)."""
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
    Dimension.WEEK: lambda f: iso_week(f.received_at),
    Dimension.SOURCE: lambda f: f.source,
    Dimension.CUSTOMER_VALUE: lambda f: ValueClass.of(f.customer_value),
}
"""How each dimension reads its group from a ticket's facts."""


def group_order(group: Hashable) -> tuple[bool, int, str]:
    """The sort key of a group: priorities by severity, value classes and tiers by number,
    others by name; None last."""
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
    ordered = sorted(groups, key=group_order)
    return {group: compute_kpis(groups[group], now=now, sla=sla) for group in ordered}
