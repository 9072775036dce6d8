"""Source-specific readers: one module per tool whose exports are not one row per change.

Each module has ``flatten(records, mapping, companion)``, turning the tool's own records
(audit trails, changelogs) into flat rows with the columns its preset names; see
:func:`ticketlog.imports.readers.source_rows`.

What they share lives here. A flattener keeps one :class:`Situation` per open case (the
values carried forward from record to record) and makes its rows with a
:class:`RowMaker`, which writes them under the mapping's own column names and states the
status only when the situation changed: the interpreter reads a repeated "active, same
person" as a second acceptance, so an unchanged status is left unsaid (``keep``).
"""

from __future__ import annotations

from typing import Any

import attrs

from ticketlog.imports.mapping import ImportMapping, State

REPLY = "public reply"
"""The activity of a row that is a public reply by its person (``[states]`` maps it)."""

UNASSIGNED = "unassigned"
"""The sub-status of a status held by nobody, where ``[states]`` has ``"STATUS/unassigned"``."""

Row = dict[str, Any]

_AFTER_REPLY = frozenset(
    {State.AWAITING_CUSTOMER, State.AWAITING_THIRD_PARTY, State.RESOLVED, State.CLOSED}
)


@attrs.define
class Situation:
    """One case as a flattener has it so far, in the source's own values."""

    status: str | None = None
    substatus: str | None = None
    """The source's own qualifier of the status (e.g. ServiceNow's hold reason)."""
    person: str | None = None
    team: str | None = None
    priority: str | None = None
    customer: str | None = None
    """Who asked (requester, caller, reporter): their comments are no replies."""
    stated: tuple[str | None, ...] | None = None
    """Status, sub-status, person and team as the last row that stated the status had them."""


class RowMaker:
    """Makes rows keyed by the mapping's column names (a ``None`` value is left out)."""

    def __init__(self, mapping: ImportMapping) -> None:
        self.mapping = mapping
        self._columns = mapping.columns

    def situation(self, case: str, at: Any, now: Situation, **attributes: Any) -> Row:
        """A row saying how ``now`` stands at ``at``, its status only if changed since stated.

        Person, team and priority are always carried; a status held by nobody gets the
        :data:`UNASSIGNED` sub-status where the mapping tells that state apart (``open``
        and nobody on it is waiting in the queue, not being worked).
        """
        key = (now.status, now.substatus, now.person, now.team)
        status = substatus = None
        if now.status is not None and key != now.stated:
            status, substatus = now.status, now.substatus or self._unassigned(now)
            now.stated = key
        return self.row(
            case=case,
            time=at,
            status=status,
            substatus=substatus,
            person=now.person,
            team=now.team,
            priority=now.priority,
            **attributes,
        )

    def received(self, case: str, at: Any, now: Situation, **attributes: Any) -> Row:
        """The first row of a case whose creation the source recorded: in its team, no state.

        The :meth:`situation` row that follows then says what it was created as (a ticket
        created already assigned is received, then taken at the same instant).
        """
        return self.row(case=case, time=at, team=now.team, priority=now.priority, **attributes)

    def ends_work(self, now: Situation) -> bool:
        """Whether ``now``'s status is a wait or an end, so replies come before it."""
        rule = self.mapping.rule(now.status, now.substatus, None)
        return rule is not None and rule.state in _AFTER_REPLY

    def reply(self, case: str, at: Any, now: Situation, author: str) -> Row:
        """A row saying that ``author`` replied to the customer publicly at ``at``."""
        return self.row(
            case=case, time=at, activity=REPLY, person=author, team=now.team, priority=now.priority
        )

    def rating(self, case: str, at: Any, now: Situation, csat: int) -> Row:
        """A row carrying the customer's CSAT score (1-5) given at ``at``."""
        return self.row(case=case, time=at, csat=csat, team=now.team, priority=now.priority)

    def row(self, **values: Any) -> Row:
        """``values`` (by :class:`~ticketlog.imports.mapping.Columns` field) under their columns."""
        row: Row = {}
        for field, value in values.items():
            column = getattr(self._columns, field)
            if column is not None and value is not None:
                row[column] = value
        return row

    def _unassigned(self, now: Situation) -> str | None:
        if now.person is None and f"{now.status}/{UNASSIGNED}" in self.mapping.states:
            return UNASSIGNED
        return None


def text(value: Any) -> str | None:
    """A source value as text: ids and numbers as written, empty values as ``None``."""
    if value is None or isinstance(value, (dict, list)):
        return None
    written = str(value).strip()
    return written or None
