"""Fidelity: does a replay of a recorded history reproduce it before any what-if is trusted?

A :class:`Record` keeps what the history recorded of the tickets its trace replays: their
facts, the open tickets at every hour of the period, and who took each ticket when. The
**as-recorded baseline** (:func:`as_recorded`) is the replay under the trace's own
staffing (recorded shifts, or the calendars, capacities and pools inferred from the
history) with a pull policy that reproduces who took what in which order:

- a ticket goes only to the agent of the recorded assignment that followed its previous
  holder (none: its first assignment): when that holder passed it on or resolved it
  several times, to the first of those assignments at or after it joined the queue again,
  or to any of them when the replay runs later than the record; when none followed that
  holder in the history (the replay moved it elsewhere), to the agent of its first
  recorded assignment since it joined the queue again, or any after its first;
- each agent takes their tickets in the order the history assigned them (by the recorded
  instant of that assignment), whenever they are online with room and the desk's rules
  let them, so a replay that keeps the record's times gives every assignment back;
- a recorded taking at which the agent worked several tickets at once (this one and
  others they were actively working:
  :func:`~ticketlog.simulation.staffing.working_at_takings`) is an appointment
  (:class:`~ticketlog.simulation.engine.Appointment`): at its recorded
  instant the agent takes the ticket if it waits for them, even with no room left, up to
  that many tickets at once. An inferred capacity is a high quantile of how many tickets
  the person worked at once, so the record holds moments past it, and the taking proves
  they worked that many then. The exceptions are the history's decisions, as who took
  what is: the what-if policies run on the same staffing, without them;
  :attr:`Fidelity.past_capacity` counts the baseline's takings past capacity;
- a ticket nobody took in the history (its customer gave up first) is taken by nobody,
  and is abandoned again after the same patience.

Nothing else is adjusted: where the baseline departs from the record, the replay's model
(its staffing, the work content it reads from the history, the journey it keeps) does,
and the block says by how much. :meth:`Fidelity.of` compares the baseline's run with the
record: per KPI (:data:`KPIS`) the recorded value, the baseline's and the relative error;
the earth mover's distance (:func:`earth_movers_distance`) between the recorded and the
baseline distributions of the wait and of the cycle (resolution) time; and the backlog,
hour by hour, with the mean absolute difference of the hourly counts. Every figure is
over the tickets the trace replays (those it skips, still open in the history, are on
neither side), and over the whole period (a comparison's warm-up does not apply).
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import attrs

from ticketlog.domain.events import DomainEvent, TicketAssigned, TicketEvent
from ticketlog.policies.pull import Ordered
from ticketlog.policies.reads import Read
from ticketlog.projections.backlog import Backlog
from ticketlog.projections.base import fold
from ticketlog.projections.facts import TicketFacts, TicketFactsProjection
from ticketlog.projections.kpis import Kpis, compute_kpis
from ticketlog.projections.queues import NEVER, QueuedTicket
from ticketlog.projections.spells import MOVES, holder_after
from ticketlog.projections.workloads import Workload
from ticketlog.simulation.engine import Appointment, SimulationResult
from ticketlog.simulation.staffing import working_at_takings

__all__ = [
    "AS_RECORDED",
    "DEFAULT_THRESHOLD_PCT",
    "KPIS",
    "AsRecorded",
    "Assignment",
    "Fidelity",
    "KpiFidelity",
    "Record",
    "as_recorded",
    "earth_movers_distance",
    "minutes",
]

AS_RECORDED = "as-recorded"
"""The name of the as-recorded baseline's policy."""

DEFAULT_THRESHOLD_PCT = 10.0
"""A KPI whose relative error exceeds this (in %) puts the baseline off."""

_HOUR = timedelta(hours=1)


@attrs.frozen
class Assignment:
    """One recorded assignment of a ticket."""

    agent_id: UUID
    at: datetime
    previous: UUID | None
    """Who held the ticket most recently before (``None``: nobody had)."""
    working: int = 1
    """How many tickets the agent actively worked once they took this one, this one
    included (:func:`~ticketlog.simulation.staffing.working_at_takings`)."""


Taken = tuple[Assignment, ...]
"""A ticket's recorded assignments, in order."""


def minutes(duration: timedelta | None) -> float | None:
    """``duration`` in minutes (``None`` stays ``None``)."""
    return None if duration is None else duration.total_seconds() / 60


KPIS: dict[str, Callable[[Kpis], float | None]] = {
    "wait_mean_min": lambda k: minutes(k.wait.mean),
    "wait_p50_min": lambda k: minutes(k.wait.p50),
    "wait_p90_min": lambda k: minutes(k.wait.p90),
    "resolution_mean_min": lambda k: minutes(k.resolution.mean),
    "resolution_p50_min": lambda k: minutes(k.resolution.p50),
    "resolution_p90_min": lambda k: minutes(k.resolution.p90),
    "escalation_rate": lambda k: k.escalation_rate,
    "transfer_rate": lambda k: k.transfer_rate,
}
"""The KPIs the fidelity block compares (besides ``backlog_mean``, the mean of the hourly
open-ticket counts); durations in minutes, rates in %."""


def earth_movers_distance(u: Iterable[float], v: Iterable[float]) -> float | None:
    """The earth mover's (1-Wasserstein) distance between the empirical distributions of
    the samples ``u`` and ``v`` (each value weighing 1/size): the area between their
    distribution functions, the integral of ``|F_u(x) - F_v(x)|``, exact, in the samples'
    unit. ``None`` when either sample is empty."""
    a, b = sorted(u), sorted(v)
    if not a or not b:
        return None
    total, i, j = 0.0, 0, 0
    for left, right in itertools.pairwise(sorted({*a, *b})):
        while i < len(a) and a[i] <= left:
            i += 1
        while j < len(b) and b[j] <= left:
            j += 1
        total += abs(i / len(a) - j / len(b)) * (right - left)
    return total


@attrs.frozen
class Record:
    """What a history recorded of the tickets its trace replays (see the module docstring)."""

    facts: tuple[TicketFacts, ...]
    """The recorded facts of the replayed tickets, as of the end of the history."""
    backlog: tuple[tuple[datetime, int], ...]
    """Open replayed tickets at every hour from the start of the history to its end."""
    taken: Mapping[UUID, Taken]
    """Each replayed ticket's assignments in the history (none: nobody took it)."""

    @classmethod
    def of(cls, history: Sequence[DomainEvent], tickets: Collection[UUID]) -> Record:
        """The record of ``tickets`` in ``history`` (in log order); the period runs from its
        first event to the last event of those tickets."""
        mine = [e for e in history if isinstance(e, TicketEvent) and e.originator_id in tickets]
        facts = fold(TicketFactsProjection(), mine)
        working = working_at_takings(history)
        taken: dict[UUID, Taken] = dict.fromkeys(tickets, ())
        last: dict[UUID, UUID | None] = {}
        for event in mine:
            ticket = event.originator_id
            if isinstance(event, TicketAssigned):
                at, agent_id = event.at, event.agent_id
                assignment = Assignment(
                    agent_id, at, last.get(ticket), working.get((ticket, agent_id, at), 1)
                )
                taken[ticket] += (assignment,)
            if isinstance(event, MOVES):
                last[ticket] = holder_after(event) or last.get(ticket)
        start = min((e.at for e in history), default=None)
        end = max((e.at for e in mine), default=start)
        instants = [] if start is None or end is None else _hours(start, end)
        counts = fold(Backlog(), mine).at_each(instants)
        return cls(
            facts=tuple(facts),
            backlog=tuple(zip(instants, counts, strict=True)),
            taken=taken,
        )


def _hours(start: datetime, end: datetime) -> list[datetime]:
    """Every hour from ``start`` to ``end``, both ends included when on the hour."""
    return [start + n * _HOUR for n in range(int((end - start) / _HOUR) + 1)]


def _stage(taken: Taken, ticket: QueuedTicket) -> Taken:
    """The recorded assignments the waiting ``ticket`` may be given by (module docstring)."""
    following = tuple(a for a in taken if a.previous == ticket.last_agent_id)
    if not following and ticket.last_agent_id is not None:
        following = taken[1:] or taken[:1]
    since = [assignment for assignment in following if assignment.at >= ticket.queued_at]
    return tuple(since[:1]) or following


@attrs.frozen(eq=False)
class _RecordedTakers:
    """Eligibility: the agents recorded as taking the ticket at its stage."""

    taken: Mapping[UUID, Taken]
    reads = frozenset({Read.TICKET, Read.HOLDINGS})

    def __call__(self, agent: Workload, ticket: QueuedTicket) -> bool:
        return agent.agent_id in self.ticket_class(ticket)

    def agent_class(self, agent: Workload) -> UUID:
        return agent.agent_id

    def ticket_class(self, ticket: QueuedTicket) -> frozenset[UUID]:
        return frozenset(a.agent_id for a in _stage(self.taken.get(ticket.ticket_id, ()), ticket))


@attrs.frozen(eq=False)
class _RecordedOrder:
    """Ordering: by the recorded instant of the ticket's assignment at its stage (never
    taken: last), then oldest received, then ticket id."""

    taken: Mapping[UUID, Taken]
    reads = frozenset({Read.TICKET})

    def __call__(self, ticket: QueuedTicket) -> tuple[datetime, datetime, UUID]:
        stage = _stage(self.taken.get(ticket.ticket_id, ()), ticket)
        return (stage[0].at if stage else NEVER), ticket.received_at, ticket.ticket_id


@attrs.frozen
class AsRecorded(Ordered):
    """The as-recorded baseline's pull policy (see the module docstring), with an
    :class:`~ticketlog.simulation.engine.Appointment` for each recorded taking at which
    its agent worked more than one ticket."""

    taken: Mapping[UUID, Taken] = attrs.field(factory=dict, kw_only=True, eq=False)

    def appointments(self) -> Iterator[Appointment]:
        """At each recorded taking of more than one ticket at once: the agent may take
        the ticket then, past their capacity, up to as many tickets as they worked."""
        for ticket_id, taken in self.taken.items():
            for a in taken:
                if a.working > 1:
                    yield Appointment(a.at, a.agent_id, ticket_id, a.working)


def as_recorded(record: Record) -> AsRecorded:
    """The as-recorded baseline's pull policy for ``record`` (see the module docstring)."""
    taken = record.taken
    return AsRecorded(AS_RECORDED, _RecordedOrder(taken), _RecordedTakers(taken), taken=taken)


@attrs.frozen
class KpiFidelity:
    """One KPI, as recorded and as the baseline gives it back."""

    kpi: str
    recorded: float | None
    baseline: float | None

    @property
    def relative_error_pct(self) -> float | None:
        """``(baseline - recorded) / recorded`` in %; 0 when both are 0; ``None`` when either
        is undefined, or the record is 0 and the baseline is not."""
        if self.recorded is None or self.baseline is None:
            return None
        if self.recorded == 0:
            return 0.0 if self.baseline == 0 else None
        return 100 * (self.baseline - self.recorded) / abs(self.recorded)

    def off(self, threshold_pct: float) -> bool:
        """Whether the baseline misses the record by more than ``threshold_pct`` % (or by
        any amount when the relative error is undefined but the values differ)."""
        error = self.relative_error_pct
        if error is None:
            return self.recorded != self.baseline
        return abs(error) > threshold_pct


@attrs.frozen
class Fidelity:
    """How closely the as-recorded baseline reproduces the recorded history."""

    kpis: tuple[KpiFidelity, ...]
    wait_emd_min: float | None
    """Earth mover's distance between the recorded and baseline waits (minutes)."""
    cycle_time_emd_min: float | None
    """Earth mover's distance between the recorded and baseline resolution times (minutes)."""
    backlog: tuple[tuple[float, int, int], ...]
    """Hours since the start, open tickets recorded, open tickets in the baseline."""
    threshold_pct: float = DEFAULT_THRESHOLD_PCT
    policy: str = AS_RECORDED
    past_capacity: int = 0
    """Takings the baseline made past the agent's capacity: recorded takings at which they
    worked more tickets at once (the appointments of :class:`AsRecorded`)."""

    @property
    def backlog_mae(self) -> float | None:
        """The mean absolute difference of the hourly open-ticket counts (tickets): how far
        apart the two backlogs run over time, beyond their means."""
        return _mean([abs(n - m) for _, n, m in self.backlog])

    @property
    def off(self) -> tuple[KpiFidelity, ...]:
        """The KPIs whose relative error exceeds the threshold."""
        return tuple(k for k in self.kpis if k.off(self.threshold_pct))

    @classmethod
    def of(
        cls,
        record: Record,
        baseline: SimulationResult,
        *,
        threshold_pct: float = DEFAULT_THRESHOLD_PCT,
    ) -> Fidelity:
        """The fidelity of the ``baseline`` run (the as-recorded replay of ``record``'s trace)."""
        end = max((at for at, _ in record.backlog), default=baseline.end)
        recorded = compute_kpis(record.facts, now=end, sla=baseline.sla)
        replayed = compute_kpis(baseline.facts, now=baseline.end, sla=baseline.sla)
        kpis = [KpiFidelity(name, kpi(recorded), kpi(replayed)) for name, kpi in KPIS.items()]
        instants = [at for at, _ in record.backlog]
        counts = baseline.backlog.at_each(instants)
        recorded_counts = [n for _, n in record.backlog]
        kpis.append(KpiFidelity("backlog_mean", _mean(recorded_counts), _mean(counts)))
        start = instants[0] if instants else baseline.start
        return cls(
            kpis=tuple(kpis),
            wait_emd_min=_emd(record.facts, baseline.facts, lambda f: f.wait),
            cycle_time_emd_min=_emd(record.facts, baseline.facts, lambda f: f.resolution_time),
            backlog=tuple(
                ((at - start) / _HOUR, n, m)
                for at, n, m in zip(instants, recorded_counts, counts, strict=True)
            ),
            threshold_pct=threshold_pct,
            past_capacity=baseline.past_capacity,
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``None``, never ``NaN``): policy, threshold, KPIs with recorded,
        baseline, relative error and whether off, the distances, the takings past capacity,
        the hourly backlog and the mean absolute difference of its counts."""
        return {
            "policy": self.policy,
            "threshold_pct": self.threshold_pct,
            "off": [k.kpi for k in self.off],
            "kpis": {
                k.kpi: {
                    "recorded": k.recorded,
                    "baseline": k.baseline,
                    "relative_error_pct": k.relative_error_pct,
                    "off": k.off(self.threshold_pct),
                }
                for k in self.kpis
            },
            "wait_emd_min": self.wait_emd_min,
            "cycle_time_emd_min": self.cycle_time_emd_min,
            "past_capacity_takings": self.past_capacity,
            "backlog_mae": self.backlog_mae,
            "backlog": [
                {"hours": hours, "recorded": n, "baseline": m} for hours, n, m in self.backlog
            ],
        }


def _mean(values: Sequence[int]) -> float | None:
    return statistics.fmean(values) if values else None


def _emd(
    recorded: Iterable[TicketFacts],
    baseline: Iterable[TicketFacts],
    duration: Callable[[TicketFacts], timedelta | None],
) -> float | None:
    """The earth mover's distance between the ``duration`` of the two sets (minutes)."""

    def sample(facts: Iterable[TicketFacts]) -> list[float]:
        return [m for f in facts if (m := minutes(duration(f))) is not None]

    return earth_movers_distance(sample(recorded), sample(baseline))
