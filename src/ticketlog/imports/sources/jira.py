"""Jira Service Management: issues with their changelog, flattened into one row per change.

The records are issues as the Jira Cloud platform REST API returns them with
``expand=changelog`` ("Issues: Get issue", ``GET /rest/api/3/issue/{key}``, and "Issue
search", whose ``{"issues": [...]}`` document or one issue a line is read): ``key``,
``fields`` and ``changelog.histories``, each history with ``created``,
``author.displayName`` and ``items`` (``field``, ``fromString``, ``toString``). Items of
``status``, ``assignee`` and ``priority`` are read; others (``resolution``, SLA fields such
as "Time to first response") change nothing the import records. A ``Satisfaction`` item is
the customer's rating.

An issue's values when it was ``created`` are its first item's ``fromString`` for each
field, or its current ``fields`` value when the field never changed, so each issue gives a
"created" row first (in its project, as the team), then a row per history. Public comments
(``fields.comment.comments`` with ``jsdPublic`` not false) by anyone but the reporter are
replies. The rating is a ``Satisfaction`` item, or else the request's satisfaction field
(a value ``{"rating": 1-5}``, whatever its custom field id), given when it was resolved.
The category is the request type (a value holding ``requestType.name``) or the first
component. Nothing is kept between issues.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ticketlog.imports.mapping import ImportMapping, State
from ticketlog.imports.readers import Records
from ticketlog.imports.sources import Row, RowMaker, Situation, text

SATISFACTION = "satisfaction"
"""The (case-folded) name of the changelog field holding the customer's rating."""

_FIELDS = {"status": "status", "assignee": "person", "priority": "priority"}

_EARLIEST = datetime.min.replace(tzinfo=UTC)

Moment = tuple[Any, str, Any]
"""A history or a comment: its time, what it is, and itself."""


def flatten(records: Records, mapping: ImportMapping, companion: Path | None) -> Records:
    """Rows of the issues in ``records``, numbered by their issue (``companion`` unused)."""
    del companion
    maker = RowMaker(mapping)
    for number, issue in records:
        for row in _rows(issue, maker):
            yield number, row


def _rows(issue: dict[str, Any], maker: RowMaker) -> Iterator[Row]:
    key, fields = text(issue.get("key")), issue.get("fields") or {}
    histories = sorted((issue.get("changelog") or {}).get("histories") or [], key=_when)
    now = _created(fields, histories)
    created = fields.get("created")
    if key is None:
        yield maker.row(time=created)  # reported by the importer as a row without a case id
        return
    rows: list[tuple[Any, Row]] = [(created, maker.received(key, created, now, **_about(fields)))]
    rows.append((created, maker.situation(key, created, now)))
    rated = False
    for at, kind, moment in _moments(histories, fields):
        if kind == "comment":
            author = _name(moment.get("author"))
            if author is not None and author != now.customer:
                rows.append((at, maker.reply(key, at, now, author)))
            continue
        changed, csat = _apply(moment.get("items") or [], now)
        if changed:
            rows.append((at, maker.situation(key, at, now)))
        if csat is not None:
            rows.append((at, maker.rating(key, at, now, csat)))
            rated = True
    csat = None if rated else _satisfaction(fields)
    if csat is not None:
        _insert_rating(rows, maker, key, now, csat)
    for _, row in rows:
        yield row


def _created(fields: dict[str, Any], histories: list[dict[str, Any]]) -> Situation:
    """The issue as it was created: first ``fromString`` of each field, else its value now."""
    now = Situation(
        status=_name(fields.get("status")),
        person=_name(fields.get("assignee")),
        priority=_name(fields.get("priority")),
        team=_name(fields.get("project"), "key"),
        customer=_name(fields.get("reporter")),
    )
    seen: set[str] = set()
    for history in histories:
        for item in history.get("items") or []:
            attribute = _FIELDS.get(str(item.get("field", "")).casefold())
            if attribute is not None and attribute not in seen:
                seen.add(attribute)
                setattr(now, attribute, text(item.get("fromString")))
    return now


def _moments(histories: list[dict[str, Any]], fields: dict[str, Any]) -> list[Moment]:
    """Histories and public comments in time order (a history first at the same time)."""
    moments: list[Moment] = [(history.get("created"), "history", history) for history in histories]
    comments = (fields.get("comment") or {}).get("comments") or []
    moments += [
        (comment.get("created"), "comment", comment)
        for comment in comments
        if comment.get("jsdPublic") is not False
    ]
    return sorted(moments, key=lambda moment: _when({"created": moment[0]}))


def _apply(items: list[dict[str, Any]], now: Situation) -> tuple[bool, int | None]:
    """Lay one history's items over ``now``: whether it changed, and a rating it gave."""
    changed, csat = False, None
    for item in items:
        field = str(item.get("field", "")).casefold()
        value = text(item.get("toString"))
        if field == SATISFACTION:
            csat = _score(value)
            continue
        attribute = _FIELDS.get(field)
        if attribute is not None and getattr(now, attribute) != value:
            setattr(now, attribute, value)
            changed = True
    return changed, csat


def _insert_rating(
    rows: list[tuple[Any, Row]], maker: RowMaker, key: str, now: Situation, csat: int
) -> None:
    """Put the rating right after the issue's last resolution (else at its end)."""
    columns = maker.mapping.columns
    place = len(rows)
    for index, (_, row) in enumerate(rows):
        status = row.get(columns.status) if columns.status else None
        rule = maker.mapping.rule(status, None, None) if status is not None else None
        if rule is not None and rule.state is State.RESOLVED:
            place = index + 1
    at = rows[place - 1][0]
    rows.insert(place, (at, maker.rating(key, at, now, csat)))


def _about(fields: dict[str, Any]) -> dict[str, Any]:
    """The request's attributes: category (request type, else component), reporter, summary."""
    components = fields.get("components") or []
    component = _name(components[0], "name") if components else None
    return {
        "category": _request_type(fields) or component,
        "customer": _name(fields.get("reporter")),
        "subject": text(fields.get("summary")),
    }


def _request_type(fields: dict[str, Any]) -> str | None:
    for value in fields.values():
        if isinstance(value, dict) and isinstance(value.get("requestType"), dict):
            return text(value["requestType"].get("name"))
    return None


def _satisfaction(fields: dict[str, Any]) -> int | None:
    for value in fields.values():
        if isinstance(value, dict) and "rating" in value:
            return _score(text(value.get("rating")))
    return None


def _score(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() and 1 <= int(value) <= 5 else None


def _name(value: Any, key: str = "displayName") -> str | None:
    """A user's display name, a status's or priority's name, a project's key."""
    if not isinstance(value, dict):
        return text(value)
    return text(value.get(key)) or text(value.get("name"))


def _when(history: dict[str, Any]) -> datetime:
    """When a history (or comment) was made, for ordering; unreadable times sort first."""
    try:
        when = datetime.fromisoformat(str(history.get("created")))
    except ValueError:
        return _EARLIEST
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
