"""Staffing learned from a history that records no presence: who works when, how many
tickets at once, and which queues and tiers.

An external log (a status log, an XES file) says what was done to tickets and by whom,
never when people were on duty. :func:`infer_staffing` reads that from the ticket events:

- **Evidence of presence.** A person is present when they take on work: an assignment
  to them, a reassignment or a transfer straight to them, a reply they write. By default
  the moments they finish or pass on held work (resolutions, handoffs, releases, waits
  on the customer) are not evidence, since people finish what they hold after their
  shift ends — as the replay's agents do (``StaffingRules(finishing_counts=True)`` counts
  every action of theirs).
- **Availability calendar** (:class:`Calendar`), as business-process simulators learn
  resource calendars: the week is cut into slots (``slot_minutes``, hours by default, in
  ``timezone``); a slot is *on* when the person shows presence in it in at least a
  ``share`` of the weeks in which they were present at all and the slot lay within the
  period they appear in (a week off is no evidence against a slot). Consecutive on-slots
  make one shift, which starts when the person was first seen in its first slot (the
  median over the weeks of that first sighting's minute into the slot, not the slot's
  start: someone seen once, at 10:45, was not there to take a ticket at 10:15) and lasts
  as many slots. Presence in a slot that is not on every week still counts where it
  was seen: that week the person is on from that moment to the end of the slot (and of
  the slots they were seen in right after it) — a person seen a few times in a month
  has no weekly pattern, but was there when they took work. The calendar holds only
  from the start of the slot of their first action to the end of the slot of their
  last, or of the shift it falls in. Each team's
  calendar is learned the same way from the pooled evidence of its members; with
  ``team_calendar_below`` set, a person with fewer moments of presence than that gets
  their home team's calendar instead, over their own period. By default nobody does: a
  team's calendar is the union of its members' hours, and giving it to everyone who
  rarely took its work would put them all on duty whenever anyone of the team was — the
  overstaffing that leaves nobody waiting.
- **Capacity**: how many tickets the person really works on at once. A ticket is
  *actively worked* from the moment the person takes it until it leaves them, except
  while it awaits the customer or a third party (until the customer replies). The
  estimator is the ``capacity_quantile`` quantile of the number of tickets actively
  worked at once, weighted by time, over the time within their calendar's shifts that
  they actively worked at least one ticket (all of that time when none fell in a shift);
  at least 1. A high quantile rather than the maximum: a few tickets parked or
  forgotten in someone's holdings do not make them able to work that many at once.
  :func:`working_at_takings` says how many they worked at each taking (the as-recorded
  baseline lets them go past their capacity where the record shows they did).
- **Pools**: the queues (teams) and the highest tier of the tickets each person took;
  a person's home team is the queue they took most tickets from.

Everything can be overridden per person (``StaffingRules.people``, by name or agent id):
a weekly :class:`~ticketlog.simulation.scenario.Shift` for the calendar, a capacity.
"""

from __future__ import annotations

import bisect
import itertools
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs
import pydantic
from pydantic import BaseModel, ConfigDict, Field

from ticketlog.domain.aggregate import invalid_value
from ticketlog.domain.errors import ConfigurationError
from ticketlog.domain.events import (
    AgentJoined,
    DomainEvent,
    TicketAwaitingCustomer,
    TicketCustomerReplied,
    TicketDeescalated,
    TicketEscalated,
    TicketEvent,
    TicketReceived,
    TicketResponded,
    TicketTransferred,
)
from ticketlog.projections.spells import MOVES, holder_after
from ticketlog.simulation.scenario import Rota, Shift

_WEEK_MINUTES = 7 * 24 * 60

Taking = tuple[UUID, UUID, datetime]
"""A ticket taken on by a person at an instant: (ticket, person, instant)."""


class PersonOverride(BaseModel):
    """What an analyst knows better than the history about one person."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    shift: Shift | None = None
    """When they work, every week (``None``: as inferred)."""
    capacity: int | None = Field(default=None, ge=1, le=100)
    """Tickets they work on at once (``None``: as inferred)."""


class StaffingRules(BaseModel):
    """How :func:`infer_staffing` reads staffing from a history (see the module docstring).

    Bad values raise :class:`~ticketlog.domain.errors.InvalidValue`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    share: float = Field(default=0.5, gt=0.0, le=1.0)
    """A slot is on when the person shows presence in it in at least this share of weeks."""
    slot_minutes: int = Field(default=60, ge=5, le=24 * 60)
    """The length of a calendar slot; it divides a day."""
    timezone: ZoneInfo = ZoneInfo("UTC")
    """The zone whose wall clock the slots follow (an IANA name such as ``Europe/Paris``)."""
    capacity_quantile: float = Field(default=0.9, gt=0.0, le=1.0)
    """The quantile of active concurrency taken as capacity."""
    team_calendar_below: int = Field(default=0, ge=0)
    """Fewer moments of presence than this: the person gets their home team's calendar
    (0: nobody does)."""
    finishing_counts: bool = False
    """Whether finishing or passing on held work counts as presence too."""
    people: Mapping[str, PersonOverride] = Field(default_factory=dict)
    """Overrides per person, by name (as the history's ``AgentJoined`` has it) or agent id."""

    def __init__(self, **data: Any) -> None:
        """Validate ``data``; bad values raise :class:`InvalidValue`."""
        try:
            super().__init__(**data)
        except pydantic.ValidationError as error:
            raise invalid_value(error) from None

    @pydantic.field_validator("slot_minutes")
    @classmethod
    def _divides_a_day(cls, minutes: int) -> int:
        if (24 * 60) % minutes:
            msg = f"a slot of {minutes} minutes does not divide a day"
            raise ValueError(msg)
        return minutes


@attrs.frozen
class Calendar:
    """A weekly availability calendar, from ``since`` until ``until``: a
    :class:`~ticketlog.simulation.scenario.Rota` the replay's engine follows."""

    slot_minutes: int
    on: frozenset[int]
    """The on-slots, numbered from Monday 00:00 (wall clock of ``timezone``)."""
    timezone: ZoneInfo
    since: datetime
    until: datetime
    arrivals: Mapping[int, float] = attrs.field(factory=dict, hash=False)
    """By the first slot of a shift: how many minutes into it the shift starts (and past
    its last slot it ends); absent: on the slots' boundaries."""
    seen: tuple[tuple[datetime, datetime], ...] = ()
    """Dated shifts besides the weekly ones, in time order and apart: from a moment of
    presence in a slot that is not on every week to the end of that slot (and of the
    slots the person was seen in right after it, that week)."""
    _runs: tuple[tuple[int, int], ...] = attrs.field(init=False, eq=False, repr=False)
    """Consecutive on-slots as (first, past the last) slot numbers; one may wrap past
    Sunday's last slot."""

    @_runs.default
    def _merge(self) -> tuple[tuple[int, int], ...]:
        slots = _WEEK_MINUTES // self.slot_minutes
        if len(self.on) == slots:
            return ((0, slots),)
        runs: list[list[int]] = []
        for slot in sorted(self.on):
            if runs and runs[-1][1] == slot:
                runs[-1][1] = slot + 1
            else:
                runs.append([slot, slot + 1])
        if len(runs) > 1 and runs[0][0] == 0 and runs[-1][1] == slots:
            first = runs.pop(0)
            runs[-1][1] = slots + first[1]
        return tuple((a, b) for a, b in runs)

    @property
    def hours_per_week(self) -> float:
        """How long the calendar is on in a week."""
        return len(self.on) * self.slot_minutes / 60

    def next_shift(self, after: datetime) -> tuple[datetime, datetime | None] | None:
        """The shift running at ``after`` (from then), or the next one, weekly or
        :attr:`seen` (one shift where they meet); ``None`` after ``until``."""
        found = self._next(after)
        if found is None:
            return None
        begin, end = found
        while (more := self._next(end)) is not None and more[0] <= end:
            end = more[1]
        return begin, end

    def _next(self, after: datetime) -> tuple[datetime, datetime] | None:
        weekly = self._next_weekly(after)
        index = bisect.bisect_right(self.seen, after, key=lambda shift: shift[1])
        seen = None
        if index < len(self.seen):
            start, end = self.seen[index]
            seen = (max(start, after), end)
        found = [shift for shift in (weekly, seen) if shift is not None]
        return min(found) if found else None

    def _next_weekly(self, after: datetime) -> tuple[datetime, datetime] | None:
        moment = max(after, self.since)
        if moment >= self.until or not self._runs:
            return None
        local = moment.astimezone(self.timezone)
        monday = local.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
            days=local.weekday()
        )
        slot = timedelta(minutes=self.slot_minutes)
        week = 0
        while True:
            origin = monday + timedelta(weeks=week - 1)
            for first, past in self._runs:
                late = timedelta(minutes=self.arrivals.get(first, 0))
                begin, end = origin + first * slot + late, origin + past * slot + late
                if end > moment:
                    begin = max(begin, moment)
                    return None if begin >= self.until else (begin, min(end, self.until))
            week += 1


@attrs.frozen
class PersonStaffing:
    """One person's staffing, as inferred (or overridden)."""

    agent_id: UUID
    calendar: Calendar | Shift
    """When they work (a weekly shift when overridden)."""
    capacity: int
    queues: frozenset[str]
    """The queues (teams) of the tickets they took."""
    tier: int | None
    """The highest tier of the tickets they took (``None``: they took none)."""
    own_calendar: bool
    """Whether the calendar was learned from their own activity (not their team's, not
    an override)."""


@attrs.frozen
class InferredStaffing:
    """The staffing of a history: per person, per team, and who served each queue."""

    people: Mapping[UUID, PersonStaffing]
    teams: Mapping[str, Calendar]
    """Each team's calendar, learned from the pooled evidence of its members."""
    pools: Mapping[str, frozenset[UUID]]
    """The people who took tickets of each queue."""


def infer_staffing(
    events: Iterable[DomainEvent], rules: StaffingRules | None = None
) -> InferredStaffing:
    """The staffing the ticket events of a history show (see the module docstring).

    An override naming nobody in the history raises
    :class:`~ticketlog.domain.errors.ConfigurationError`.
    """
    rules = StaffingRules() if rules is None else rules
    activity = _Activity(rules.finishing_counts)
    names: dict[UUID, str] = {}
    for event in events:
        if isinstance(event, AgentJoined):
            names[event.originator_id] = event.name
        elif isinstance(event, TicketEvent):
            activity.apply(event)
    activity.finish()
    overrides = _overrides(rules, names, activity.people)
    people = activity.people
    members: dict[str, list[_Person]] = {}
    for person in people.values():
        if person.home is not None:
            members.setdefault(person.home, []).append(person)
    teams = {team: _team_calendar(members[team], rules) for team in sorted(members)}
    staffed = {
        agent_id: _staffed(agent_id, person, overrides.get(agent_id), teams, rules)
        for agent_id, person in people.items()
    }
    pools: dict[str, set[UUID]] = {}
    for agent_id, person in people.items():
        for queue in person.queues:
            pools.setdefault(queue, set()).add(agent_id)
    return InferredStaffing(
        people=staffed,
        teams=teams,
        pools={queue: frozenset(members) for queue, members in sorted(pools.items())},
    )


def working_at_takings(events: Iterable[DomainEvent]) -> dict[Taking, int]:
    """How many tickets the person actively worked (module docstring, capacity) once they
    took on the ticket, this one included, at each taking of the ticket events of a history
    (in log order)."""
    activity = _Activity(finishing_counts=False)
    for event in events:
        if isinstance(event, TicketEvent):
            activity.apply(event)
    activity.finish()
    return {
        (ticket_id, agent_id, at): working
        for agent_id, person in activity.people.items()
        for ticket_id, at, working in person.working_at_takings()
    }


def _staffed(
    agent_id: UUID,
    person: _Person,
    override: PersonOverride | None,
    teams: Mapping[str, Calendar],
    rules: StaffingRules,
) -> PersonStaffing:
    """One person's staffing: overridden, learned from their own evidence, or their team's."""
    override = override or PersonOverride()
    team = person.home if len(person.evidence) < rules.team_calendar_below else None
    calendar: Calendar | Shift
    if override.shift is not None:
        calendar = override.shift
    elif team is None:
        calendar = _calendar(person.evidence, person.first, person.last, rules)
    else:
        since, until = _period(person.first, person.last, rules)
        calendar = attrs.evolve(teams[team], since=since, until=until)
    return PersonStaffing(
        agent_id=agent_id,
        calendar=calendar,
        capacity=override.capacity or _capacity(person.active, calendar, rules),
        queues=frozenset(person.queues),
        tier=person.tier,
        own_calendar=override.shift is None and team is None,
    )


def _overrides(
    rules: StaffingRules, names: Mapping[UUID, str], people: Mapping[UUID, _Person]
) -> dict[UUID, PersonOverride]:
    """The overrides by agent id; one naming nobody in the history is refused."""
    by_key = {name: agent_id for agent_id, name in names.items() if agent_id in people}
    by_key.update({str(agent_id): agent_id for agent_id in people})
    unknown = sorted(set(rules.people) - set(by_key))
    if unknown:
        msg = f"staffing overrides name nobody who worked in the history: {', '.join(unknown)}"
        raise ConfigurationError(msg)
    return {by_key[key]: override for key, override in rules.people.items()}


class _Spell(NamedTuple):
    """A spell of active work on one ticket."""

    ticket_id: UUID
    start: datetime
    end: datetime


@attrs.define
class _Person:
    """What one person did: presence, takings, active spells, where they worked."""

    first: datetime
    last: datetime
    evidence: list[datetime] = attrs.Factory(list)
    takings: list[tuple[UUID, datetime]] = attrs.Factory(list)
    """The tickets they took on, and when."""
    active: list[_Spell] = attrs.Factory(list)
    queues: Counter[str] = attrs.Factory(Counter)
    tier: int | None = None

    def seen(self, at: datetime) -> None:
        self.first, self.last = min(self.first, at), max(self.last, at)

    def working_at_takings(self) -> Iterator[tuple[UUID, datetime, int]]:
        """Each taking (ticket, instant) with how many tickets they then worked: this one,
        and those whose spells ran then (started by then, not ended; its own spell from
        then on is this one)."""
        starts = sorted(spell.start for spell in self.active)
        ends = sorted(spell.end for spell in self.active)
        own = {(spell.ticket_id, spell.start) for spell in self.active}
        for ticket_id, at in self.takings:
            running = bisect.bisect_right(starts, at) - bisect.bisect_right(ends, at)
            yield ticket_id, at, 1 + running - int((ticket_id, at) in own)

    @property
    def home(self) -> str | None:
        """The queue they took most tickets from (ties: the first name)."""
        if not self.queues:
            return None
        return min(self.queues, key=lambda queue: (-self.queues[queue], queue))


@attrs.define
class _Case:
    """One ticket as the fold needs it: where it is, who works it since when."""

    ticket_id: UUID
    queue: str
    tier: int
    holder: UUID | None = None
    active_since: datetime | None = None


@attrs.define
class _Activity:
    """Folds ticket events (in each ticket's order) into what each person did."""

    finishing_counts: bool
    people: dict[UUID, _Person] = attrs.Factory(dict)
    cases: dict[UUID, _Case] = attrs.Factory(dict)
    end: datetime | None = None

    def person(self, agent_id: UUID, at: datetime) -> _Person:
        person = self.people.get(agent_id)
        if person is None:
            person = self.people[agent_id] = _Person(at, at)
        person.seen(at)
        return person

    def apply(self, event: TicketEvent) -> None:
        at = event.at
        self.end = at if self.end is None else max(self.end, at)
        if isinstance(event, TicketReceived):
            self.cases[event.originator_id] = _Case(event.originator_id, event.queue, event.tier)
            return
        case = self.cases.get(event.originator_id)
        if case is None:
            return  # a ticket received before the history starts
        if event.actor_id is not None:
            actor = self.person(event.actor_id, at)
            if self.finishing_counts or isinstance(event, TicketResponded):
                actor.evidence.append(at)
        if isinstance(event, MOVES):
            self.stop(case, at)
            if isinstance(event, TicketTransferred | TicketEscalated | TicketDeescalated):
                case.queue = event.to_queue
            if isinstance(event, TicketEscalated | TicketDeescalated):
                case.tier = event.to_tier
            case.holder = holder_after(event)
            if case.holder is not None:
                self.take(case, case.holder, at)
        elif isinstance(event, TicketAwaitingCustomer):
            self.stop(case, at)
        elif isinstance(event, TicketCustomerReplied) and case.holder is not None:
            case.active_since = case.active_since or at

    def take(self, case: _Case, agent_id: UUID, at: datetime) -> None:
        person = self.person(agent_id, at)
        person.evidence.append(at)
        person.takings.append((case.ticket_id, at))
        person.queues[case.queue] += 1
        person.tier = case.tier if person.tier is None else max(person.tier, case.tier)
        case.active_since = at

    def stop(self, case: _Case, at: datetime) -> None:
        """The holder stops working the ticket (it leaves them, or awaits someone)."""
        if case.holder is not None and case.active_since is not None and at > case.active_since:
            self.people[case.holder].active.append(_Spell(case.ticket_id, case.active_since, at))
        case.active_since = None

    def finish(self) -> None:
        """Tickets still held at the end of the history are worked until then."""
        if self.end is None:
            return
        for case in self.cases.values():
            self.stop(case, self.end)


def _slot_of(at: datetime, rules: StaffingRules) -> tuple[int, int]:
    """The week (a running number) and the slot within it of ``at``, on the wall clock."""
    local = at.astimezone(rules.timezone)
    week = (local.toordinal() - local.weekday()) // 7
    return week, int(_minute_of(at, rules)) // rules.slot_minutes


def _minute_of(at: datetime, rules: StaffingRules) -> float:
    """The minute of the week of ``at`` on the wall clock (from Monday 00:00)."""
    local = at.astimezone(rules.timezone)
    seconds = local.second + local.microsecond / 1e6
    return local.weekday() * 24 * 60 + local.hour * 60 + local.minute + seconds / 60


def _calendar(
    evidence: list[datetime], first: datetime, last: datetime, rules: StaffingRules
) -> Calendar:
    """The calendar of presence ``evidence`` within ``first`` .. ``last`` (module docstring)."""
    weeks_in: dict[int, set[int]] = {}
    earliest: dict[tuple[int, int], float] = {}
    """The minute into the slot of the first presence, per week and slot."""
    for at in evidence:
        week, slot = _slot_of(at, rules)
        weeks_in.setdefault(slot, set()).add(week)
        minute = _minute_of(at, rules) - slot * rules.slot_minutes
        earliest[week, slot] = min(earliest.get((week, slot), minute), minute)
    weeks = set().union(*weeks_in.values()) if weeks_in else set()
    (first_week, first_slot), (last_week, last_slot) = _slot_of(first, rules), _slot_of(last, rules)
    on = set()
    for slot, present in weeks_in.items():
        observed = sum(
            1
            for week in weeks
            if (week, slot) >= (first_week, first_slot) and (week, slot) <= (last_week, last_slot)
        )
        if len(present) >= math.ceil(rules.share * observed - 1e-9):
            on.add(slot)
    slots = _WEEK_MINUTES // rules.slot_minutes
    arrivals = {
        slot: statistics.median_low(earliest[week, slot] for week in weeks_in[slot])
        for slot in on
        if (slot - 1) % slots not in on
    }
    since, until = _period(first, last, rules)
    calendar = Calendar(
        slot_minutes=rules.slot_minutes,
        on=frozenset(on),
        timezone=rules.timezone,
        since=since,
        until=until + timedelta(minutes=rules.slot_minutes),
        arrivals={slot: minute for slot, minute in arrivals.items() if minute},
        seen=_seen(evidence, on, rules),
    )
    last_shift = calendar.next_shift(last)
    if last_shift is not None and last_shift[0] <= last and last_shift[1] is not None:
        until = max(until, last_shift[1])
    return attrs.evolve(calendar, until=until)


def _seen(
    evidence: list[datetime], on: set[int], rules: StaffingRules
) -> tuple[tuple[datetime, datetime], ...]:
    """Dated shifts of the presence in slots that are not on: from the first moment in
    such a slot to its end, joined with the slots the person was seen in right after."""
    slot = timedelta(minutes=rules.slot_minutes)
    shifts: list[tuple[datetime, datetime]] = []
    for at in sorted(evidence):
        if _slot_of(at, rules)[1] in on:
            continue
        end = _slot_start(at, rules) + slot
        if shifts and shifts[-1][1] >= at:
            shifts[-1] = (shifts[-1][0], max(shifts[-1][1], end))
        else:
            shifts.append((at, end))
    return tuple(shifts)


def _period(first: datetime, last: datetime, rules: StaffingRules) -> tuple[datetime, datetime]:
    """From the start of the slot of ``first`` to the end of the slot of ``last``."""
    return _slot_start(first, rules), _slot_start(last, rules) + timedelta(
        minutes=rules.slot_minutes
    )


def _slot_start(at: datetime, rules: StaffingRules) -> datetime:
    local = at.astimezone(rules.timezone)
    minutes = local.hour * 60 + local.minute
    return local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
        minutes=minutes - minutes % rules.slot_minutes
    )


def _team_calendar(members: list[_Person], rules: StaffingRules) -> Calendar:
    """A team's calendar: its members' pooled evidence, over their pooled period."""
    evidence = [at for person in members for at in person.evidence]
    first = min(person.first for person in members)
    last = max(person.last for person in members)
    return _calendar(evidence, first, last, rules)


def _capacity(active: list[_Spell], calendar: Rota, rules: StaffingRules) -> int:
    """The quantile of active concurrency over active time in shifts (module docstring)."""
    changes = sorted([(s.start, 1) for s in active] + [(s.end, -1) for s in active])
    in_shift: Counter[int] = Counter()
    anytime: Counter[int] = Counter()
    working = 0
    for (at, step), (following, _) in itertools.pairwise(changes):
        working += step
        if working > 0 and following > at:
            anytime[working] += int((following - at).total_seconds())
            in_shift[working] += int(_on_time(calendar, at, following).total_seconds())
    weights = in_shift if sum(in_shift.values()) else anytime
    total = sum(weights.values())
    if not total:
        return 1
    levels = sorted(weights)
    cumulative = itertools.accumulate(weights[level] for level in levels)
    reached = next(
        level
        for level, share in zip(levels, cumulative, strict=True)
        if share >= rules.capacity_quantile * total
    )
    return min(reached, 100)


def _on_time(rota: Rota, start: datetime, end: datetime) -> timedelta:
    """How much of ``start`` .. ``end`` falls within ``rota``'s shifts."""
    total, moment = timedelta(0), start
    while moment < end:
        shift = rota.next_shift(moment)
        if shift is None or shift[0] >= end:
            break
        begin, finish = shift
        finish = end if finish is None else min(finish, end)
        total += finish - begin
        moment = finish
    return total
