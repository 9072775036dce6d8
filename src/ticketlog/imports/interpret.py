"""One case's rows made into one ticket's events, recorded as they happened.

Rows are put in time order (ties keep file order) and compared one with the previous
situation of the case. What changed becomes events, each validated as it is made, in time
order by construction, and judged by no live-desk rule (as
:meth:`~ticketlog.domain.ticket.Ticket.record` records them; eligibility does not judge
the past). The interpreter keeps the case's situation itself (status, queue, tier,
priority, holder) rather than folding a whole ticket state per event:

==============================  ===============================================
change                          events
==============================  ===============================================
first row                       ``TicketReceived`` (at its time, in its team/tier)
tier up / down                  ``TicketEscalated`` (hierarchical) / ``TicketDeescalated``
team, same tier                 ``TicketTransferred`` to the team's queue
priority                        ``TicketReprioritised``
another person works it         ``TicketAssigned``, or ``TicketReassigned`` from the holder
queued while held               ``TicketReleased``
awaiting customer / 3rd party   ``TicketAwaitingCustomer`` (party), ``TicketCustomerReplied`` after
replied                         ``TicketResponded`` (public)
resolved                        ``TicketResolved`` by the row's person, else the holder, else nobody
closed                          ``TicketClosed`` (a closure followed by more work: a resolution)
work after a resolution         ``TicketReopened`` first
a CSAT or NPS value             ``TicketRated``
==============================  ===============================================

Moves (tier, team) leave the ticket waiting in its new queue; a person named on the same
row then takes it. Whatever a row cannot mean is counted in the report, with the case id.
"""

from __future__ import annotations

import heapq
import math
import operator
from array import array
from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import pairwise
from typing import Any
from uuid import UUID, uuid5

import attrs

from ticketlog.domain.aggregate import validated
from ticketlog.domain.events import (
    TicketAssigned,
    TicketAwaitingCustomer,
    TicketClosed,
    TicketCustomerReplied,
    TicketDeescalated,
    TicketEscalated,
    TicketEvent,
    TicketRated,
    TicketReassigned,
    TicketReceived,
    TicketReleased,
    TicketReopened,
    TicketReprioritised,
    TicketResolved,
    TicketResponded,
    TicketTransferred,
)
from ticketlog.domain.values import AwaitedParty, EscalationKind, Priority, TicketStatus
from ticketlog.imports.mapping import Defaults, State
from ticketlog.imports.report import ImportReport
from ticketlog.imports.rows import Row

NAMESPACE = UUID("9c4f1b7e-0d2a-5e4b-8f61-3a7c2d9e5b10")
"""The namespace of imported ids: a case or person of a source always gets the same id."""


class Spells:
    """A person's holdings of tickets, as POSIX seconds (arrays: 16 bytes a holding)."""

    __slots__ = ("ends", "starts")

    def __init__(self) -> None:
        self.starts = array("d")
        self.ends = array("d")

    def add(self, start: datetime, end: datetime | None) -> None:
        """One holding from ``start`` until ``end`` (``None``: still held at the end)."""
        self.starts.append(start.timestamp())
        self.ends.append(math.inf if end is None else end.timestamp())

    def extend(self, other: Spells) -> None:
        """Add the holdings of ``other`` (the same person's, met in another share of cases)."""
        self.starts.extend(other.starts)
        self.ends.extend(other.ends)

    def most_at_once(self) -> int:
        """The most holdings overlapping (one ending as another starts: not overlapping)."""
        ends: list[float] = []
        most = 0
        for start, end in sorted(zip(self.starts, self.ends, strict=True)):
            while ends and ends[0] <= start:
                heapq.heappop(ends)
            if end > start:
                heapq.heappush(ends, end)
            most = max(most, len(ends))
        return max(most, 1)


_WAITING_FOR = {
    State.AWAITING_CUSTOMER: AwaitedParty.CUSTOMER,
    State.AWAITING_THIRD_PARTY: AwaitedParty.THIRD_PARTY,
}
_WORK = frozenset({State.QUEUED, State.ACTIVE, *_WAITING_FOR})
_AT = operator.attrgetter("at")
_STATUS_AFTER: dict[type[TicketEvent], TicketStatus] = {
    TicketAssigned: TicketStatus.ASSIGNED,
    TicketReassigned: TicketStatus.ASSIGNED,
    TicketReleased: TicketStatus.WAITING,
    TicketTransferred: TicketStatus.WAITING,  # to a queue: the importer names nobody in it
    TicketEscalated: TicketStatus.WAITING,
    TicketDeescalated: TicketStatus.WAITING,
    TicketResolved: TicketStatus.RESOLVED,
    TicketReopened: TicketStatus.WAITING,
    TicketClosed: TicketStatus.CLOSED,
}
"""The status each event the interpreter records leaves a ticket in (as the ticket's fold
in :meth:`~ticketlog.domain.ticket.Ticket.evolve` has it); other events keep it."""


def ticket_id(source: str, case: str) -> UUID:
    """The id of ``case`` of ``source``: the same at every import (the import key)."""
    return uuid5(NAMESPACE, f"{source}\x1fcase\x1f{case}")


def person_id(source: str, person: str) -> UUID:
    """The agent id of ``person`` of ``source``."""
    return uuid5(NAMESPACE, f"{source}\x1fperson\x1f{person}")


def _final_closure(rows: Sequence[Row]) -> int:
    """The index of the closure no work follows (-1: none); earlier ones were resolutions."""
    final = -1
    for index, row in enumerate(rows):
        if row.rule.state is State.CLOSED:
            final = index
        elif row.rule.state is not State.KEEP:
            final = -1
    return final


@attrs.define
class _Case:
    """The situation of the case after the rows read so far, and its events."""

    received: TicketReceived
    queue: str
    tier: int
    priority: Priority
    status: TicketStatus = TicketStatus.WAITING
    holder: str | None = None
    held_since: datetime | None = None
    awaiting: AwaitedParty | None = None
    events: list[TicketEvent] = attrs.Factory(list)

    @classmethod
    def of(cls, received: TicketReceived) -> _Case:
        """A case just received."""
        case = cls(received, received.queue, received.tier, received.priority)
        case.events.append(received)
        return case


@attrs.define
class CaseInterpreter:
    """Turns the rows of one case at a time into its ticket's events."""

    source: str
    report: ImportReport
    defaults: Defaults
    agent: Callable[[str], UUID]
    """The agent id of a person (the importer knows everyone before the cases)."""
    spells: dict[str, Spells] = attrs.Factory(dict)
    """Every person's holdings, for their capacity as observed."""

    def events(self, rows: Sequence[Row]) -> list[TicketEvent]:
        """The events of one case's ticket, oldest first (not yet saved)."""
        ordered = sorted(rows, key=_AT)  # stable: equal times keep file order
        case = ordered[0].case
        if any(later.at < earlier.at for earlier, later in pairwise(rows)):
            self.report.note("rows out of time order within a case", case)
        for row in ordered:
            for kind, value in row.notes:
                self.report.note(f"{kind} {value!r}", case)
        last_close = _final_closure(ordered)
        state = _Case.of(self._received(ordered[0]))
        first = ordered[0].rule.state
        if first not in (State.QUEUED, State.KEEP):
            self.report.note(f"first row already {first} (no received row)", case)
        for index, row in enumerate(ordered):
            self._row(state, row, closing=index == last_close)
        if state.status in (TicketStatus.WAITING, TicketStatus.ASSIGNED):
            self.report.open_at_end += 1
        if state.holder is not None:
            self._end_spell(state, None)
        return state.events

    def _received(self, row: Row) -> TicketReceived:
        defaults = self.defaults
        attributes: dict[str, Any] = {
            "channel": defaults.channel,
            "customer_id": defaults.customer,
            "category": defaults.category,
            "language": defaults.language,
            **row.attributes,
        }
        return validated(
            TicketReceived,
            originator_id=ticket_id(self.source, row.case),
            originator_version=1,
            at=row.at,
            priority=row.priority or defaults.priority,
            queue=row.team or defaults.queue,
            tier=defaults.tier if row.tier is None else row.tier,
            source=self.source,
            source_id=row.case,
            **attributes,
        )

    def _row(self, case: _Case, row: Row, *, closing: bool) -> None:
        state = row.rule.state
        if state is State.CLOSED and not closing:
            self.report.note("work after closure (closure recorded as a resolution)", row.case)
            if case.status is TicketStatus.RESOLVED:
                return  # resolved already: the closure adds nothing
            state = State.RESOLVED
        if case.status is TicketStatus.CLOSED:
            self.report.note("row after closure", row.case)
            return
        before = len(case.events)
        moved = (row.team is not None and row.team != case.queue) or (
            row.tier is not None and row.tier != case.tier
        )
        if case.status is TicketStatus.RESOLVED and (state in _WORK or moved):
            self._record(case, row, TicketReopened)
        if row.priority is not None and row.priority != case.priority:
            self._reprioritise(case, row, row.priority)
        if moved:
            self._move(case, row)
        self._state(case, row, state, before)
        if row.csat is not None or row.nps is not None:
            if case.status is not TicketStatus.RESOLVED:
                self.report.note("rating of a ticket not resolved", row.case)
            self._record(case, row, TicketRated, csat=row.csat, nps=row.nps)

    def _state(self, case: _Case, row: Row, state: State, before: int) -> None:
        """Record what the row's state means; ``before``: the ticket's version before the row."""
        if state is State.QUEUED:
            self._end_wait(case, row)
            if case.holder is not None:
                self._release(case, row, TicketReleased, from_agent_id=self.agent(case.holder))
        elif state in _WORK:
            self._take(case, row, state)
            self._wait(case, row, _WAITING_FOR.get(state), before)
        elif state is State.REPLIED:
            actor = self._actor(case, row)
            if actor is None:
                self.report.note("reply by nobody", row.case)
            else:
                self._record(case, row, TicketResponded, actor_id=actor)
        elif state is State.RESOLVED:
            if case.status is TicketStatus.RESOLVED:
                self.report.note("resolved again", row.case)
                return
            actor = self._actor(case, row)
            code = row.rule.code or "solved"
            self._release(case, row, TicketResolved, actor_id=actor, code=code)
            case.awaiting = None
        elif state is State.CLOSED:
            actor = None if row.person is None else self.agent(row.person)
            self._release(case, row, TicketClosed, actor_id=actor, reason=row.rule.code or "")

    def _wait(self, case: _Case, row: Row, party: AwaitedParty | None, before: int) -> None:
        """The case awaits ``party`` from now on (``None``: nobody)."""
        if party is None:
            self._end_wait(case, row)
        elif case.awaiting is not party:
            self._end_wait(case, row)
            actor = self._actor(case, row)
            self._record(case, row, TicketAwaitingCustomer, actor_id=actor, party=party)
            case.awaiting = party
        elif len(case.events) == before:  # the row changed nothing else
            self.report.note(f"awaiting the {party} again", row.case)

    def _take(self, case: _Case, row: Row, state: State) -> None:
        """The row's person works the case from now on."""
        person = row.person
        if person is None:
            if case.holder is None and state is State.ACTIVE:
                self.report.note("work by nobody", row.case)
            return
        if person == case.holder:
            if state is State.ACTIVE and case.awaiting is None:
                self.report.note("same person accepted again", row.case)
            return
        agent = self.agent(person)
        if case.holder is None:
            self._record(case, row, TicketAssigned, agent_id=agent, actor_id=agent)
        else:
            holder = self.agent(case.holder)
            self._end_spell(case, row.at)
            self._record(
                case, row, TicketReassigned, from_agent_id=holder, to_agent_id=agent, actor_id=agent
            )
        case.holder, case.held_since = person, row.at

    def _move(self, case: _Case, row: Row) -> None:
        to_queue = row.team or case.queue
        to_tier = case.tier if row.tier is None else row.tier
        holder = None if case.holder is None else self.agent(case.holder)
        moves: dict[str, Any] = {
            "from_queue": case.queue,
            "to_queue": to_queue,
            "from_agent_id": holder,
        }
        if to_tier > case.tier:
            kind = EscalationKind.HIERARCHICAL
            self._release(
                case,
                row,
                TicketEscalated,
                kind=kind,
                from_tier=case.tier,
                to_tier=to_tier,
                **moves,
            )
        elif to_tier < case.tier:
            self._release(
                case, row, TicketDeescalated, from_tier=case.tier, to_tier=to_tier, **moves
            )
        else:
            self._release(case, row, TicketTransferred, to_agent_id=None, **moves)
        case.queue, case.tier = to_queue, to_tier

    def _reprioritise(self, case: _Case, row: Row, priority: Priority) -> None:
        self._record(case, row, TicketReprioritised, old=case.priority, new=priority)
        case.priority = priority

    def _end_wait(self, case: _Case, row: Row) -> None:
        if case.awaiting is not None:
            self._record(case, row, TicketCustomerReplied)
            case.awaiting = None

    def _actor(self, case: _Case, row: Row) -> UUID | None:
        person = row.person or case.holder
        return None if person is None else self.agent(person)

    def _release(self, case: _Case, row: Row, event_class: type[Any], **fields: Any) -> None:
        """Record an event after which nobody holds the ticket."""
        if case.holder is not None:
            self._end_spell(case, row.at)
            case.holder = case.held_since = None
        self._record(case, row, event_class, **fields)

    def _end_spell(self, case: _Case, until: datetime | None) -> None:
        assert case.holder is not None  # noqa: S101 - called while someone holds it
        assert case.held_since is not None  # noqa: S101
        spells = self.spells.get(case.holder)
        if spells is None:
            spells = self.spells[case.holder] = Spells()
        spells.add(case.held_since, until)

    @staticmethod
    def _record(case: _Case, row: Row, event_class: type[TicketEvent], **fields: Any) -> None:
        """Add the case's next event (validated) and the status it leaves the case in."""
        events = case.events
        event = validated(
            event_class,
            originator_id=case.received.originator_id,
            originator_version=len(events) + 1,
            at=row.at,
            **fields,
        )
        events.append(event)
        case.status = _STATUS_AFTER.get(event_class, case.status)
