"""ServiceNow incidents: the Sys Audit trail, flattened into one row per update.

The records are ``sys_audit`` rows ("Viewing Sys Audit and Audit Relationship Change
tables", ServiceNow platform security docs), exported as CSV or JSON (the Table API's
``{"result": [...]}``), one row per changed field: ``tablename`` (``incident``),
``documentkey`` (the incident's ``sys_id``), ``fieldname``, ``oldvalue``, ``newvalue``,
``user`` and ``sys_created_on`` ("YYYY-MM-DD HH:MM:SS", UTC as stored). Values are the
stored ones: choice values for ``state`` (1 New, 2 In Progress, 3 On Hold, 6 Resolved,
7 Closed, 8 Canceled), ``hold_reason`` (1 Awaiting Caller, 3 Awaiting Problem, 4 Awaiting
Vendor, 5 Awaiting Change) and ``priority`` (1 Critical to 5 Planning), and ``sys_id``\\ s
for the references ``assigned_to`` and ``assignment_group``. The platform audits inserts
too: a creation shows as rows with an empty ``oldvalue``.

Rows of one incident with the same ``sys_created_on`` are one update, and become one row
with the state (and, on hold, the hold reason as sub-status), assignee, group and priority
as they stand after it. The export should be in time order (``ORDER BY sys_created_on``);
rows out of order are reported by the importer.

The optional companion is the ``incident`` table exported alongside (CSV, or JSON with
``sysparm_display_value=all``): ``number`` becomes the case id (else the ``sys_id``),
``contact_type`` the channel, ``category``, ``caller_id`` and ``short_description`` the
ticket's attributes, and ``opened_at`` the creation time when the audit trail starts after
it. Reference fields given as ``{"value": sys_id, "display_value": name}`` name the people
and groups the audit knows by ``sys_id``. The companion is held in memory (one small entry
per incident); the audit trail is streamed, keeping the open incidents only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from ticketlog.imports.mapping import ImportMapping
from ticketlog.imports.readers import Records, read_records
from ticketlog.imports.sources import RowMaker, Situation, text

ON_HOLD = "3"
FINAL_STATES = frozenset({"7", "8"})
"""Closed and Canceled: no update follows, so the incident is forgotten."""

_FIELDS = {
    "state": "status",
    "incident_state": "status",
    "hold_reason": "substatus",
    "assigned_to": "person",
    "assignment_group": "team",
    "priority": "priority",
}
_CREATED_BY = frozenset({"number", "state", "incident_state", "opened_at"})
_ATTRIBUTES = {
    "contact_type": "channel",
    "category": "category",
    "caller_id": "customer",
    "short_description": "subject",
}

Audit = list[dict[str, Any]]


@attrs.frozen
class _Incident:
    number: str
    opened_at: str | None
    attributes: dict[str, Any]


@attrs.define
class _Known:
    """What the companion incident table tells."""

    incidents: dict[str, _Incident] = attrs.Factory(dict)
    names: dict[str, str] = attrs.Factory(dict)
    """``sys_id`` to display name, for references given with both."""

    def name(self, value: str | None) -> str | None:
        return None if value is None else self.names.get(value, value)


def flatten(records: Records, mapping: ImportMapping, companion: Path | None) -> Records:
    """Rows of the incident audit rows in ``records``, numbered by an update's first row."""
    known = _companion(companion, mapping)
    maker = RowMaker(mapping)
    open_incidents: dict[str, Situation] = {}
    for number, update in _updates(records):
        for row in _rows(update, maker, open_incidents, known):
            yield number, row


def _updates(records: Records) -> Iterator[tuple[int, Audit]]:
    """Consecutive audit rows of one incident at one time, with the first one's number."""
    current: Audit = []
    number = 0
    key: tuple[str | None, str | None] | None = None
    for line, record in records:
        table = text(_plain(record.get("tablename")))
        if table not in (None, "incident"):
            continue
        this = (text(_plain(record.get("documentkey"))), text(record.get("sys_created_on")))
        if current and this != key:
            yield number, current
            current = []
        if not current:
            number, key = line, this
        current.append(record)
    if current:
        yield number, current


def _rows(
    update: Audit, maker: RowMaker, open_incidents: dict[str, Situation], known: _Known
) -> Iterator[dict[str, Any]]:
    sys_id = text(_plain(update[0].get("documentkey")))
    at = text(update[0].get("sys_created_on"))
    if sys_id is None:
        yield maker.row(time=at)  # reported by the importer as a row without a case id
        return
    incident = known.incidents.get(sys_id)
    case = sys_id if incident is None else incident.number
    attributes = {} if incident is None else incident.attributes
    first = sys_id not in open_incidents
    now = open_incidents.setdefault(sys_id, Situation())
    if first and _creates(update, incident, at):
        _apply(update, now, known, "newvalue")
        yield maker.received(case, at, now, **attributes)
        yield maker.situation(case, at, now)
    elif first:
        _apply(update, now, known, "oldvalue")
        opened = None if incident is None else incident.opened_at
        if opened is not None:
            yield maker.received(case, opened, now, **attributes)
            yield maker.situation(case, opened, now)
            attributes = {}
        _apply(update, now, known, "newvalue")
        yield maker.situation(case, at, now, **attributes)
    elif _apply(update, now, known, "newvalue"):
        yield maker.situation(case, at, now)
    if now.status in FINAL_STATES:
        del open_incidents[sys_id]


def _creates(update: Audit, incident: _Incident | None, at: str | None) -> bool:
    """Whether ``update`` is the incident's insert: it sets the state (or number) from nothing."""
    if incident is not None and incident.opened_at is not None and incident.opened_at == at:
        return True
    return any(
        text(record.get("fieldname")) in _CREATED_BY
        and text(_plain(record.get("oldvalue"))) is None
        for record in update
    )


def _apply(update: Audit, now: Situation, known: _Known, side: str) -> bool:
    """Lay the ``side`` values (``oldvalue`` or ``newvalue``) over ``now``; whether it changed."""
    changed = False
    for record in update:
        attribute = _FIELDS.get(text(record.get("fieldname")) or "")
        if attribute is None:
            continue
        value = text(_plain(record.get(side)))
        if attribute in ("person", "team"):
            value = known.name(value)
        if getattr(now, attribute) != value:
            setattr(now, attribute, value)
            changed = True
    if now.status != ON_HOLD:
        now.substatus = None
    return changed


def _companion(companion: Path | None, mapping: ImportMapping) -> _Known:
    known = _Known()
    if companion is None:
        return known
    for _, record in read_records(companion, mapping):
        for field in ("assigned_to", "assignment_group", "caller_id"):
            _learn_name(record.get(field), known.names)
        sys_id = text(_raw(record.get("sys_id")))
        if sys_id is None:
            continue
        attributes = {
            attribute: text(_plain(record.get(field))) for field, attribute in _ATTRIBUTES.items()
        }
        known.incidents[sys_id] = _Incident(
            number=text(_plain(record.get("number"))) or sys_id,
            opened_at=text(_raw(record.get("opened_at"))),
            attributes={key: value for key, value in attributes.items() if value is not None},
        )
    return known


def _learn_name(value: Any, names: dict[str, str]) -> None:
    if isinstance(value, dict):
        sys_id, name = text(value.get("value")), text(value.get("display_value"))
        if sys_id is not None and name is not None:
            names[sys_id] = name


def _plain(value: Any) -> Any:
    """A field as shown: the display value of ``{"value", "display_value"}``, else the value."""
    if isinstance(value, dict):
        return value.get("display_value", value.get("value"))
    return value


def _raw(value: Any) -> Any:
    """A field as stored: the ``value`` of ``{"value", "display_value"}``, else the value."""
    return value.get("value") if isinstance(value, dict) else value
