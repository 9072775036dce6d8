"""Zendesk Support: ticket events and ticket audits, flattened into one row per update.

Two exports carry a ticket's history, and both are read (JSON document or JSON Lines):

* the **Incremental Ticket Event Export** (``GET /api/v2/incremental/ticket_events``
  with ``include=comment_events``; Zendesk API reference, "Incremental Exports"): a
  document ``{"ticket_events": [...], "next_page": ..., "end_of_stream": ...}`` whose
  records carry ``ticket_id``, ``created_at``, ``updater_id``, ``via`` (a string such as
  ``"Web form"``) and ``child_events``;
* **Ticket Audits** (``GET /api/v2/tickets/{id}/audits`` or ``/api/v2/ticket_audits``;
  "Ticket Audits"): ``{"audits": [...]}`` whose records carry ``ticket_id``,
  ``created_at``, ``author_id``, ``via`` (``{"channel": "web"}``) and ``events``.

Child events follow the "Ticket Audit events reference": ``Create`` and ``Change``
events name a ``field_name`` with its ``value`` (and ``previous_value``); those read are
``status``, ``assignee_id``, ``group_id``, ``priority``, ``requester_id`` and
``satisfaction_score``. A ``Comment`` event has ``public`` and ``author_id``: a public
comment by anyone but the requester (and the system user, id -1) is an agent's reply,
except the ticket's description in its creating update. A ``SatisfactionRating`` event's
``score`` (or a change of ``satisfaction_score``) is the rating: ``good`` is CSAT 5 and
``bad`` CSAT 1, so the imported share of good ratings is Zendesk's own CSAT.

Each update becomes a row with the status, assignee and group as they stand after it,
then a reply row and a rating row if it had them. People and groups are named by their
ids; the optional companion, a users export (``{"users": [...]}`` with ``id``, ``name``
and ``role``), names them and tells end users from agents. A closed ticket is final in
Zendesk, so its carried values are dropped then: memory holds the open tickets only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from ticketlog.imports.mapping import ImportMapping
from ticketlog.imports.readers import Records, read_records
from ticketlog.imports.sources import RowMaker, Situation, text

SCORES = {"good": 5, "bad": 1}
"""Zendesk's two-point satisfaction scores as CSAT (1-5)."""

SYSTEM = "-1"
"""The id Zendesk gives the system user (``updater_id`` of automatic updates)."""

_FIELDS = {"status": "status", "assignee_id": "person", "group_id": "team", "priority": "priority"}
END_USER = "end-user"
"""The ``role`` of a customer in Zendesk's users (agents are ``agent`` or ``admin``)."""


@attrs.define
class _Users:
    """What the companion users export tells: names, and who is an end user."""

    names: dict[str, str] = attrs.Factory(dict)
    end_users: set[str] = attrs.Factory(set)

    def name(self, user: str | None) -> str | None:
        return None if user is None else self.names.get(user, user)


@attrs.define
class _Update:
    """What one audit (ticket event) of a ticket did."""

    changed: bool = False
    replies: list[str] = attrs.Factory(list)
    csat: int | None = None


def flatten(records: Records, mapping: ImportMapping, companion: Path | None) -> Records:
    """Rows of the ticket events (or audits) in ``records``, numbered by their record."""
    users = _users(companion, mapping)
    maker = RowMaker(mapping)
    open_tickets: dict[str, Situation] = {}
    for number, record in records:
        for row in _rows(record, maker, open_tickets, users):
            yield number, row


def _rows(
    record: dict[str, Any], maker: RowMaker, open_tickets: dict[str, Situation], users: _Users
) -> Iterator[dict[str, Any]]:
    ticket, at = text(record.get("ticket_id")), record.get("created_at")
    if ticket is None:
        yield maker.row(time=at)  # reported by the importer as a row without a case id
        return
    children = record.get("child_events") or record.get("events") or []
    first = ticket not in open_tickets
    now = open_tickets.setdefault(ticket, Situation())
    creating = any(_kind(child) == "Create" for child in children)
    update = _Update()
    for child in children:
        _apply(child, now, update, users, creating=creating)
    channel = _channel(record.get("via")) if first else None
    if first and creating:
        yield maker.received(ticket, at, now, channel=channel)
        channel = None
    replies = [maker.reply(ticket, at, now, author) for author in update.replies]
    if replies and maker.ends_work(now):
        yield from replies
        replies = []
    if first or update.changed:
        yield maker.situation(ticket, at, now, channel=channel)
    yield from replies
    if update.csat is not None:
        yield maker.rating(ticket, at, now, update.csat)
    if now.status == "closed":
        del open_tickets[ticket]


def _apply(
    child: dict[str, Any], now: Situation, update: _Update, users: _Users, *, creating: bool
) -> None:
    """Lay one child event over the ticket's situation."""
    kind = _kind(child)
    if kind in ("Create", "Change"):
        field, value = child.get("field_name"), text(child.get("value"))
        if field == "requester_id":
            now.customer = value
        elif field == "satisfaction_score":
            update.csat = SCORES.get(value or "", update.csat)
        elif field in _FIELDS:
            attribute = _FIELDS[field]
            if attribute in ("person", "team"):
                value = users.name(value)
            if getattr(now, attribute) != value:
                setattr(now, attribute, value)
                update.changed = True
    elif kind == "Comment" and child.get("public") is True and not creating:
        author = text(child.get("author_id"))
        if author not in (None, SYSTEM, now.customer) and author not in users.end_users:
            update.replies.append(users.name(author) or author)
    elif kind == "SatisfactionRating":
        update.csat = SCORES.get(text(child.get("score")) or "", update.csat)


def _kind(child: dict[str, Any]) -> str | None:
    """A child event's type: ``event_type`` in ticket events, ``type`` in audits."""
    return text(child.get("event_type")) or text(child.get("type"))


def _channel(via: Any) -> str | None:
    """The channel of an update: ``via.channel`` in audits, ``via`` itself in ticket events."""
    return text(via.get("channel")) if isinstance(via, dict) else text(via)


def _users(companion: Path | None, mapping: ImportMapping) -> _Users:
    users = _Users()
    if companion is None:
        return users
    for _, user in read_records(companion, mapping):
        user_id, name = text(user.get("id")), text(user.get("name"))
        if user_id is None:
            continue
        if name is not None:
            users.names[user_id] = name
        if text(user.get("role")) == END_USER:
            users.end_users.add(user_id)
    return users
