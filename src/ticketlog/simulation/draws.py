"""A scenario's tickets drawn in bulk: numpy streams into columns, arrivals made on demand.

:func:`draw_arrivals` draws every ticket of a scenario at once, vectorised per stream:
arrival instants (a Poisson process at the peak rate, thinned by the hourly and weekly
profiles), attributes, work content and what will happen to each ticket. Each kind of
draw has a stream of its own (``numpy.random.default_rng([stream, sign, seed])``), so
adding customers' attributes or an outcome to a scenario changes none of the other draws
for the same seed. The result, :class:`Drawn`, is a sequence of
:class:`~ticketlog.simulation.scenario.Arrival` that makes each arrival only when it is
read; the simulation's columnar kernel reads its columns directly.

Times are integer microseconds after the scenario's start (exact, as ``timedelta`` is).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar, overload
from uuid import UUID

import attrs
import numpy as np
import numpy.typing as npt

from ticketlog.domain.errors import ConfigurationError
from ticketlog.domain.values import Channel, Priority
from ticketlog.projections.base import collector_paused
from ticketlog.simulation.scenario import Arrival, Duration, Scenario

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

_STREAMS = (
    "arrivals",
    "tickets",
    "work",
    "customers",
    "patience",
    "handoffs",
    "reopens",
    "ratings",
)
"""One random stream per kind of draw (the index is part of each stream's seed)."""

NONE = -1
"""A missing duration in an integer column (no patience, no reopen)."""

HANDOFFS: tuple[str | None, ...] = (None, "transfer", "escalate")
"""The ``handoff`` column's codes."""

_US_PER_MINUTE = 60_000_000
_US_PER_HOUR = 3_600_000_000
_US_PER_DAY = 86_400_000_000

K = TypeVar("K")


@attrs.frozen(eq=False)
class Drawn(Sequence[Arrival]):
    """A scenario's tickets as columns (index ``n`` is ticket ``UUID(int=n + 1)``); reading
    an item makes its :class:`Arrival`."""

    start: datetime
    at: Ints
    """Arrival instants, in microseconds after ``start`` (ascending)."""
    priorities: tuple[Priority, ...]
    priority: Ints
    categories: tuple[str, ...]
    category: Ints
    channels: tuple[Channel, ...]
    channel: Ints
    work: Ints
    """Work content, in microseconds."""
    languages: tuple[str, ...]
    language: Ints
    plans: tuple[str | None, ...]
    plan: Ints
    first_time: npt.NDArray[np.bool_]
    customer_value: Floats
    patience: Ints
    """Microseconds (:data:`NONE`: forever)."""
    handoff: Ints
    """Codes of :data:`HANDOFFS`."""
    handoff_after: Ints
    handoff_queues: tuple[str, ...]
    """The queue of each handoff code."""
    reopen_after: Ints
    """Microseconds (:data:`NONE`: never reopened)."""
    reopen_work: Ints
    rating_noise: Floats
    """The customer's mood (``nan``: they do not rate)."""

    def __len__(self) -> int:
        return len(self.at)

    @overload
    def __getitem__(self, index: int) -> Arrival: ...
    @overload
    def __getitem__(self, index: slice) -> list[Arrival]: ...
    def __getitem__(self, index: int | slice) -> Arrival | list[Arrival]:
        if isinstance(index, slice):
            return [self[n] for n in range(*index.indices(len(self)))]
        n = range(len(self))[index]
        return self._arrival(n)

    def __iter__(self) -> Iterator[Arrival]:
        with collector_paused():
            for n in range(len(self)):
                yield self._arrival(n)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def _arrival(self, n: int) -> Arrival:
        outcomes: dict[str, Any] = {}
        if (patience := int(self.patience[n])) != NONE:
            outcomes["patience"] = timedelta(microseconds=patience)
        if handoff := int(self.handoff[n]):
            outcomes["handoff"] = HANDOFFS[handoff]
            outcomes["handoff_after"] = timedelta(microseconds=int(self.handoff_after[n]))
            outcomes["handoff_queue"] = self.handoff_queues[handoff]
        if (reopen := int(self.reopen_after[n])) != NONE:
            outcomes["reopen_after"] = timedelta(microseconds=reopen)
            outcomes["reopen_work"] = timedelta(microseconds=int(self.reopen_work[n]))
        if not np.isnan(noise := float(self.rating_noise[n])):
            outcomes["rating_noise"] = noise
        return Arrival(
            ticket_id=UUID(int=n + 1),
            at=self.start + timedelta(microseconds=int(self.at[n])),
            priority=self.priorities[self.priority[n]],
            category=self.categories[self.category[n]],
            channel=self.channels[self.channel[n]],
            work=timedelta(microseconds=int(self.work[n])),
            customer_id=f"customer-{n + 1}",
            language=self.languages[self.language[n]],
            plan=self.plans[self.plan[n]],
            first_time=bool(self.first_time[n]),
            customer_value=float(self.customer_value[n]),
            **outcomes,
        )


def draw_arrivals(scenario: Scenario, *, seed: int) -> Drawn:
    """The scenario's tickets for ``seed``: the same columns for the same seed, always."""
    streams = {
        name: np.random.default_rng([index, seed < 0, abs(seed)])
        for index, name in enumerate(_STREAMS)
    }
    n = scenario.tickets
    tickets, customers = streams["tickets"], streams["customers"]
    priorities, priority = _pick(scenario.priorities, tickets, n)
    categories, category = _pick(scenario.categories, tickets, n)
    channels, channel = _pick(scenario.channels, tickets, n)
    languages, language = _pick(scenario.languages or {"en": 1.0}, customers, n)
    plans: tuple[str | None, ...] = (None,)
    plan = np.zeros(n, dtype=np.int64)  # no plans: one key, which draws nothing
    if scenario.plans:
        named, plan = _pick(scenario.plans, customers, n)
        plans = named
    share = scenario.first_time_share
    first_time = customers.random(n) < share if share > 0 else np.zeros(n, dtype=np.bool_)
    values, value = _pick(scenario.customer_values or {0.0: 1.0}, customers, n)
    work = _work(scenario, categories, category, streams["work"])
    handoff, handoff_after, handoff_queues = _handoffs(scenario, work, streams["handoffs"])
    reopen_after, reopen_work = _reopens(scenario, streams["reopens"], n)
    return Drawn(
        start=scenario.start,
        at=_instants(scenario, streams["arrivals"]),
        priorities=priorities,
        priority=priority,
        categories=categories,
        category=category,
        channels=channels,
        channel=channel,
        work=work,
        languages=languages,
        language=language,
        plans=plans,
        plan=plan,
        first_time=first_time,
        customer_value=np.asarray(values, dtype=np.float64)[value],
        patience=_durations(scenario.patience, streams["patience"], n),
        handoff=handoff,
        handoff_after=handoff_after,
        handoff_queues=handoff_queues,
        reopen_after=reopen_after,
        reopen_work=reopen_work,
        rating_noise=_ratings(scenario, streams["ratings"], n),
    )


def _pick(
    weights: Mapping[K, float], rng: np.random.Generator, n: int
) -> tuple[tuple[K, ...], Ints]:
    """The keys of ``weights`` and ``n`` codes drawn with their relative weights (a single
    key draws nothing)."""
    keys = tuple(weights)
    if len(keys) == 1:
        return keys, np.zeros(n, dtype=np.int64)
    cumulative = np.cumsum(np.asarray(list(weights.values()), dtype=np.float64))
    codes = np.searchsorted(cumulative, rng.random(n) * cumulative[-1], side="right")
    return keys, np.minimum(codes, len(keys) - 1).astype(np.int64)


def _microseconds(minutes: Floats) -> Ints:
    return np.rint(minutes * _US_PER_MINUTE).astype(np.int64)


def _durations(duration: Duration | None, rng: np.random.Generator, n: int) -> Ints:
    if duration is None:
        return np.full(n, NONE, dtype=np.int64)
    return _microseconds(duration.sample(rng, n))


def _instants(scenario: Scenario, rng: np.random.Generator) -> Ints:
    """Arrival instants: exponential gaps at the peak rate, each candidate kept with the
    profile's share of the peak at its instant."""
    peak, n = scenario.peak_factor, scenario.tickets
    if peak <= 0:
        msg = "the arrival profiles are zero everywhere"
        raise ConfigurationError(msg)
    mean_gap = 3_600_000_000 / (scenario.arrivals_per_hour * peak)
    if scenario.hourly_profile is None and scenario.weekly_profile is None:
        return np.cumsum(np.rint(rng.exponential(mean_gap, n)).astype(np.int64))
    mean_factor = _mean_factor(scenario)
    kept: list[Ints] = []
    count, last = 0, 0
    while count < n:
        candidates = int((n - count) * peak / mean_factor * 1.05) + 64
        times = last + np.cumsum(np.rint(rng.exponential(mean_gap, candidates)).astype(np.int64))
        keep = times[rng.random(candidates) * peak <= _factors(scenario, times)][: n - count]
        kept.append(keep)
        count += len(keep)
        last = int(times[-1])
    return np.concatenate(kept)


def _mean_factor(scenario: Scenario) -> float:
    hourly = np.mean(scenario.hourly_profile) if scenario.hourly_profile else 1.0
    weekly = np.mean(scenario.weekly_profile) if scenario.weekly_profile else 1.0
    return max(float(hourly * weekly), 1e-9)


def _factors(scenario: Scenario, times: Ints) -> Floats:
    """The rate multiplier at each instant (microseconds after the start)."""
    start = scenario.start
    if start.tzinfo is None or start.tzinfo.utcoffset(None) is None:
        # A zone with daylight saving time (its offset depends on the date): one by one.
        return np.asarray(
            [scenario.rate_factor(start + timedelta(microseconds=int(t))) for t in times]
        )
    local = start.replace(tzinfo=None) - datetime(1970, 1, 1)  # its wall clock
    wall = times + (local // timedelta(microseconds=1))
    factor = np.ones(len(times))
    if scenario.hourly_profile is not None:
        factor *= np.asarray(scenario.hourly_profile)[(wall // _US_PER_HOUR) % 24]
    if scenario.weekly_profile is not None:
        # 1970-01-01 was a Thursday (weekday 3).
        factor *= np.asarray(scenario.weekly_profile)[(wall // _US_PER_DAY + 3) % 7]
    return factor


def _work(
    scenario: Scenario, categories: tuple[str, ...], category: Ints, rng: np.random.Generator
) -> Ints:
    """Each ticket's work content, from its category's distribution."""
    minutes = np.empty(len(category))
    for code, name in enumerate(categories):
        chosen = category == code
        model = scenario.handle_time_by_category.get(name, scenario.handle_time)
        minutes[chosen] = model.sample(rng, int(chosen.sum()))
    return _microseconds(minutes)


def _handoffs(
    scenario: Scenario, work: Ints, rng: np.random.Generator
) -> tuple[Ints, Ints, tuple[str, ...]]:
    """Which tickets are passed on midway (codes of :data:`HANDOFFS`), after how much work."""
    n = len(work)
    transfers, escalations = scenario.transfers, scenario.escalations
    queues = ("", *(h.queue if h else "general" for h in (transfers, escalations)))
    if transfers is None and escalations is None:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), queues
    u, share = rng.random(n), rng.random(n)
    transfer = transfers.probability if transfers else 0.0
    escalate = escalations.probability if escalations else 0.0
    code = np.where(u < transfer, 1, np.where(u < transfer + escalate, 2, 0)).astype(np.int64)
    after = np.minimum(np.floor(work * share).astype(np.int64), work)
    return code, np.where(code > 0, after, 0), queues


def _reopens(scenario: Scenario, rng: np.random.Generator, n: int) -> tuple[Ints, Ints]:
    """When resolved tickets are reopened (:data:`NONE`: never), and the work they then need."""
    reopens = scenario.reopens
    if reopens is None:
        return np.full(n, NONE, dtype=np.int64), np.zeros(n, dtype=np.int64)
    reopened = rng.random(n) < reopens.probability
    after = _microseconds(reopens.after.sample(rng, n))
    work = _microseconds(reopens.work.sample(rng, n))
    return np.where(reopened, after, NONE), np.where(reopened, work, 0)


def _ratings(scenario: Scenario, rng: np.random.Generator, n: int) -> Floats:
    """The mood of the customers who rate (``nan`` for those who do not)."""
    csat = scenario.csat
    if csat is None:
        return np.full(n, np.nan)
    rates = rng.random(n) < csat.response_rate
    return np.where(rates, rng.standard_normal(n), np.nan)
