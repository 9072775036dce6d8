"""Source-specific imports: Zendesk, ServiceNow and Jira exports into recorded histories.

Each shipped example file (``examples/imports/``) is imported into an in-memory desk and
its tickets' events checked; each flattener is then run on the edge cases of its format.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ticketlog import HelpDesk
from ticketlog.domain.events import (
    TicketAwaitingCustomer,
    TicketRated,
    TicketReassigned,
    TicketReceived,
    TicketResolved,
    TicketTransferred,
)
from ticketlog.domain.values import AwaitedParty, Channel, Priority, TicketStatus
from ticketlog.imports import ImportReport, import_file, person_id, preset, ticket_id
from ticketlog.imports.readers import source_rows

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "imports"


@pytest.fixture
def desk() -> Iterator[HelpDesk]:
    """An empty in-memory desk."""
    with HelpDesk("memory://") as d:
        yield d


def kinds(desk: HelpDesk, source: str, case: str) -> list[str]:
    """The event types of one imported case, in order."""
    return [type(event).__name__ for event in desk.ticket_events(ticket_id(source, case))]


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


# --- Zendesk -------------------------------------------------------------------------


@pytest.fixture
def zendesk(desk: HelpDesk) -> ImportReport:
    """The Zendesk example imported with its users companion."""
    return import_file(
        desk,
        EXAMPLES / "zendesk-ticket-events.json",
        preset("zendesk"),
        companion=EXAMPLES / "zendesk-users.json",
    )


def test_zendesk_example_imports_every_ticket_cleanly(zendesk: ImportReport) -> None:
    assert zendesk.cases == zendesk.cases_written == 4
    assert zendesk.anomalies == {}
    assert zendesk.people == 3  # agents only: requesters are no agents
    assert zendesk.open_at_end == 1


def test_zendesk_wait_reply_resolution_rating_and_closure(
    desk: HelpDesk, zendesk: ImportReport
) -> None:
    assert kinds(desk, "zendesk", "101") == [
        "TicketReceived",
        "TicketAssigned",
        "TicketResponded",
        "TicketResponded",
        "TicketAwaitingCustomer",
        "TicketCustomerReplied",
        "TicketResponded",
        "TicketResolved",
        "TicketRated",
        "TicketClosed",
    ]
    ticket = desk.ticket(ticket_id("zendesk", "101"))
    assert ticket.source_id == "101"
    assert ticket.channel is Channel.PORTAL
    assert ticket.queue == "360001"
    assert ticket.csat == 5
    assert ticket.status is TicketStatus.CLOSED
    resolved = next(e for e in desk.ticket_events(ticket.id) if isinstance(e, TicketResolved))
    assert resolved.actor_id == person_id("zendesk", "Ann Berg")
    assert resolved.at == datetime(2026, 3, 2, 11, 30, tzinfo=UTC)


def test_zendesk_reassignment_group_change_and_hold(desk: HelpDesk, zendesk: ImportReport) -> None:
    events = desk.ticket_events(ticket_id("zendesk", "102"))
    assert [type(e).__name__ for e in events] == [
        "TicketReceived",
        "TicketAssigned",
        "TicketReassigned",
        "TicketTransferred",
        "TicketAssigned",
        "TicketReprioritised",
        "TicketResponded",
        "TicketAwaitingCustomer",
        "TicketCustomerReplied",
        "TicketResponded",
        "TicketResolved",
        "TicketRated",
    ]
    reassigned = next(e for e in events if isinstance(e, TicketReassigned))
    assert reassigned.from_agent_id == person_id("zendesk", "Bo Ek")
    assert reassigned.to_agent_id == person_id("zendesk", "Cem Kaya")
    moved = next(e for e in events if isinstance(e, TicketTransferred))
    assert (moved.from_queue, moved.to_queue) == ("360001", "360002")
    hold = next(e for e in events if isinstance(e, TicketAwaitingCustomer))
    assert hold.party is AwaitedParty.THIRD_PARTY
    ticket = desk.ticket(ticket_id("zendesk", "102"))
    assert ticket.priority is Priority.URGENT
    assert ticket.channel is Channel.EMAIL
    assert ticket.csat == 1  # "bad"
    assert ticket.status is TicketStatus.RESOLVED


def test_zendesk_reopen_and_ticket_created_assigned(desk: HelpDesk, zendesk: ImportReport) -> None:
    reopened = desk.ticket(ticket_id("zendesk", "103"))
    assert reopened.reopens == 1
    assert kinds(desk, "zendesk", "103").count("TicketResolved") == 2
    logged = desk.ticket(ticket_id("zendesk", "104"))
    assert kinds(desk, "zendesk", "104")[:2] == ["TicketReceived", "TicketAssigned"]
    assert logged.channel is Channel.PHONE
    assert logged.status is TicketStatus.ASSIGNED
    assert logged.awaiting_customer
    # the agent's own description of a logged call is no reply
    assert kinds(desk, "zendesk", "104").count("TicketResponded") == 1


def test_zendesk_without_companion_names_people_by_id(desk: HelpDesk) -> None:
    report = import_file(desk, EXAMPLES / "zendesk-ticket-events.json", preset("zendesk"))
    assert report.anomalies == {}
    ticket = desk.ticket(ticket_id("zendesk", "101"))
    assert ticket.last_agent_id == person_id("zendesk", "9001")


def zendesk_event(ticket: int, at: str, *children: dict[str, Any]) -> dict[str, Any]:
    return {"ticket_id": ticket, "created_at": at, "updater_id": 1, "child_events": list(children)}


def change(field: str, value: Any, previous: Any = None, kind: str = "Change") -> dict[str, Any]:
    return {"event_type": kind, "field_name": field, "value": value, "previous_value": previous}


def test_zendesk_unassigned_open_ticket_is_released_to_the_queue(
    desk: HelpDesk, tmp_path: Path
) -> None:
    events = [
        zendesk_event(
            7,
            "2026-03-02T08:00:00Z",
            change("status", "open", kind="Create"),
            change("assignee_id", "42", kind="Create"),
            change("group_id", "5", kind="Create"),
        ),
        zendesk_event(7, "2026-03-02T08:30:00Z", change("assignee_id", None, "42")),
    ]
    path = write_json(tmp_path / "events.json", {"ticket_events": events})
    rows = [row for _, row in source_rows(path, preset("zendesk"))]
    assert rows[-1]["status"] == "open"
    assert rows[-1]["substatus"] == "unassigned"
    assert "assignee" not in rows[-1]
    report = import_file(desk, path, preset("zendesk"))
    assert kinds(desk, "zendesk", "7") == ["TicketReceived", "TicketAssigned", "TicketReleased"]
    assert desk.ticket(ticket_id("zendesk", "7")).agent_id is None
    assert report.anomalies == {}


def test_zendesk_status_change_without_assignee_is_no_work(tmp_path: Path) -> None:
    """A pending ticket nobody holds awaits the customer; the status alone names nobody."""
    events = [
        zendesk_event(8, "2026-03-02T08:00:00Z", change("status", "new", kind="Create")),
        zendesk_event(8, "2026-03-02T08:10:00Z", change("status", "pending", "new")),
        zendesk_event(8, "2026-03-02T08:20:00Z", change("priority", "high", "normal")),
    ]
    path = write_json(tmp_path / "events.json", {"ticket_events": events})
    rows = [row for _, row in source_rows(path, preset("zendesk"))]
    assert [row.get("status") for row in rows] == [None, "new", "pending", None]
    assert all("assignee" not in row for row in rows)
    assert rows[-1]["priority"] == "high"


def test_zendesk_first_record_already_solved_is_reported(desk: HelpDesk, tmp_path: Path) -> None:
    """An export starting mid-life: the ticket's first update solves it."""
    events = [
        zendesk_event(
            9,
            "2026-03-02T08:00:00Z",
            change("status", "solved", "open"),
            change("assignee_id", "42", "42"),
        )
    ]
    path = write_json(tmp_path / "events.json", {"ticket_events": events})
    report = import_file(desk, path, preset("zendesk"))
    assert report.count("first row already resolved (no received row)") == 1
    assert kinds(desk, "zendesk", "9") == ["TicketReceived", "TicketResolved"]
    resolved = desk.ticket_events(ticket_id("zendesk", "9"))[-1]
    assert isinstance(resolved, TicketResolved)
    assert resolved.actor_id == person_id("zendesk", "42")


def test_zendesk_audits_and_json_lines_read_alike(tmp_path: Path) -> None:
    audit = {
        "id": 1,
        "ticket_id": 5,
        "created_at": "2026-03-02T08:00:00Z",
        "author_id": 77,
        "via": {"channel": "email"},
        "events": [
            {"type": "Comment", "public": True, "author_id": 77, "body": "Help"},
            {"type": "Create", "field_name": "requester_id", "value": "77"},
            {"type": "Create", "field_name": "status", "value": "new"},
        ],
    }
    reply = {
        "id": 2,
        "ticket_id": 5,
        "created_at": "2026-03-02T08:05:00Z",
        "author_id": 42,
        "via": {"channel": "web"},
        "events": [
            {"type": "Comment", "public": True, "author_id": 42},
            {"type": "Comment", "public": False, "author_id": 43},
            {"type": "Change", "field_name": "status", "value": "pending", "previous_value": "new"},
        ],
    }
    lines = tmp_path / "audits.jsonl"
    lines.write_text(json.dumps(audit) + "\n" + json.dumps(reply) + "\n", encoding="utf-8")
    document = write_json(tmp_path / "audits.json", {"audits": [audit, reply], "next_page": None})
    mapping = preset("zendesk")
    from_lines = list(source_rows(lines, mapping))
    assert from_lines == list(source_rows(document, mapping))
    assert [number for number, _ in from_lines] == [1, 1, 2, 2]
    assert from_lines[0][1]["channel"] == "email"
    # the public comment comes before the wait it asks for; the private note is no reply
    assert from_lines[2][1] == {
        "ticket_id": "5",
        "created_at": "2026-03-02T08:05:00Z",
        "activity": "public reply",
        "assignee": "42",
    }
    assert from_lines[3][1]["status"] == "pending"


def test_zendesk_forgets_closed_tickets_and_is_deterministic(tmp_path: Path) -> None:
    events = [
        zendesk_event(3, "2026-03-02T08:00:00Z", change("status", "new", kind="Create")),
        zendesk_event(3, "2026-03-02T09:00:00Z", change("status", "closed", "new")),
        zendesk_event(3, "2026-03-02T10:00:00Z", change("priority", "low", "normal")),
    ]
    path = write_json(tmp_path / "events.json", {"ticket_events": events})
    first = list(source_rows(path, preset("zendesk")))
    assert first == list(source_rows(path, preset("zendesk")))
    # after the closure the ticket starts afresh: the late update states what it knows
    assert first[-1] == (
        3,
        {"ticket_id": "3", "created_at": "2026-03-02T10:00:00Z", "priority": "low"},
    )


# --- ServiceNow ----------------------------------------------------------------------


@pytest.fixture
def servicenow(desk: HelpDesk) -> ImportReport:
    """The ServiceNow example imported with its incident table."""
    return import_file(
        desk,
        EXAMPLES / "servicenow-sys-audit.csv",
        preset("servicenow"),
        companion=EXAMPLES / "servicenow-incidents.json",
    )


def test_servicenow_example_imports_every_incident_cleanly(servicenow: ImportReport) -> None:
    assert servicenow.cases == servicenow.cases_written == 3
    assert servicenow.anomalies == {}
    assert servicenow.open_at_end == 0


def test_servicenow_hold_on_caller_and_closure(desk: HelpDesk, servicenow: ImportReport) -> None:
    incident = ticket_id("servicenow", "INC0010001")
    assert kinds(desk, "servicenow", "INC0010001") == [
        "TicketReceived",
        "TicketAssigned",
        "TicketAwaitingCustomer",
        "TicketCustomerReplied",
        "TicketResolved",
        "TicketClosed",
    ]
    ticket = desk.ticket(incident)
    assert ticket.source_id == "INC0010001"
    assert ticket.received_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # stored UTC
    assert ticket.channel is Channel.PHONE
    assert ticket.category == "Network"
    assert ticket.customer_id == "Abel Tuter"
    assert ticket.queue == "Service Desk"
    wait = next(e for e in desk.ticket_events(incident) if isinstance(e, TicketAwaitingCustomer))
    assert wait.party is AwaitedParty.CUSTOMER


def test_servicenow_reassignment_group_change_vendor_wait_and_reopen(
    desk: HelpDesk, servicenow: ImportReport
) -> None:
    events = desk.ticket_events(ticket_id("servicenow", "INC0010002"))
    assert [type(e).__name__ for e in events] == [
        "TicketReceived",
        "TicketAssigned",
        "TicketReassigned",
        "TicketTransferred",
        "TicketAssigned",
        "TicketReprioritised",
        "TicketAwaitingCustomer",
        "TicketCustomerReplied",
        "TicketResolved",
        "TicketReopened",
        "TicketAssigned",
        "TicketResolved",
    ]
    reassigned = next(e for e in events if isinstance(e, TicketReassigned))
    assert reassigned.from_agent_id == person_id("servicenow", "Beth Anglin")
    # David is named by no reference in the companion: his sys_id names him
    assert reassigned.to_agent_id == person_id("servicenow", "5137153cc611227c000bbd1bd8cd2005")
    wait = next(e for e in events if isinstance(e, TicketAwaitingCustomer))
    assert wait.party is AwaitedParty.THIRD_PARTY
    ticket = desk.ticket(ticket_id("servicenow", "INC0010002"))
    assert ticket.priority is Priority.HIGH
    assert ticket.queue == "Network"
    assert ticket.reopens == 1


def test_servicenow_cancellation_is_a_closure(desk: HelpDesk, servicenow: ImportReport) -> None:
    assert kinds(desk, "servicenow", "INC0010003") == ["TicketReceived", "TicketClosed"]
    assert desk.ticket(ticket_id("servicenow", "INC0010003")).channel is Channel.PORTAL


AUDIT_FIELDS = ["tablename", "documentkey", "fieldname", "oldvalue", "newvalue", "user"]


def write_audit(path: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    """``(documentkey, fieldname, oldvalue, newvalue, sys_created_on)`` rows as a CSV export."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow([*AUDIT_FIELDS, "sys_created_on"])
        for key, field, old, new, at in rows:
            writer.writerow(["incident", key, field, old, new, "admin", at])
    return path


def test_servicenow_without_companion_uses_the_sys_id(desk: HelpDesk, tmp_path: Path) -> None:
    path = write_audit(
        tmp_path / "audit.csv",
        [
            ("abc", "state", "", "1", "2026-03-02 08:00:00"),
            ("abc", "assignment_group", "", "g1", "2026-03-02 08:00:00"),
            ("abc", "assigned_to", "", "u1", "2026-03-02 08:10:00"),
            ("abc", "state", "1", "2", "2026-03-02 08:10:00"),
            ("abc", "assigned_to", "u1", "", "2026-03-02 08:20:00"),
        ],
    )
    rows = list(source_rows(path, preset("servicenow")))
    assert [number for number, _ in rows] == [2, 2, 4, 6]  # each update's first CSV line
    assert rows[-1][1]["state"] == "2"
    assert rows[-1][1]["hold_reason"] == "unassigned"  # in progress, but nobody on it
    report = import_file(desk, path, preset("servicenow"))
    assert report.anomalies == {}
    assert kinds(desk, "servicenow", "abc") == [
        "TicketReceived",
        "TicketAssigned",
        "TicketReleased",
    ]


def test_servicenow_trail_starting_after_creation(desk: HelpDesk, tmp_path: Path) -> None:
    """No insert audited: the old values are what it was opened with, at ``opened_at``."""
    path = write_audit(
        tmp_path / "audit.csv",
        [
            ("s1", "state", "2", "6", "2026-03-02 10:00:00"),
            ("s1", "assigned_to", "u1", "u1", "2026-03-02 10:00:00"),
        ],
    )
    incidents = write_json(
        tmp_path / "incident.json",
        {"result": [{"sys_id": "s1", "number": "INC7", "opened_at": "2026-03-02 08:00:00"}]},
    )
    report = import_file(desk, path, preset("servicenow"), companion=incidents)
    assert report.anomalies == {}
    assert kinds(desk, "servicenow", "INC7") == [
        "TicketReceived",
        "TicketAssigned",
        "TicketResolved",
    ]
    ticket = desk.ticket(ticket_id("servicenow", "INC7"))
    assert ticket.received_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_servicenow_first_audit_already_resolved_without_companion(
    desk: HelpDesk, tmp_path: Path
) -> None:
    path = write_audit(tmp_path / "audit.csv", [("s2", "state", "2", "6", "2026-03-02 10:00:00")])
    report = import_file(desk, path, preset("servicenow"))
    assert report.count("first row already resolved (no received row)") == 1
    assert desk.ticket(ticket_id("servicenow", "s2")).status is TicketStatus.RESOLVED


def test_servicenow_skips_other_tables(tmp_path: Path) -> None:
    path = tmp_path / "audit.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow([*AUDIT_FIELDS, "sys_created_on"])
        writer.writerow(["problem", "p1", "state", "", "1", "admin", "2026-03-02 08:00:00"])
        writer.writerow(["incident", "i1", "state", "", "1", "admin", "2026-03-02 08:00:00"])
    rows = list(source_rows(path, preset("servicenow")))
    assert {row["number"] for _, row in rows} == {"i1"}


# --- Jira ----------------------------------------------------------------------------


@pytest.fixture
def jira(desk: HelpDesk) -> ImportReport:
    """The Jira example imported."""
    return import_file(desk, EXAMPLES / "jira-issues.json", preset("jira"))


def test_jira_example_imports_every_request_cleanly(jira: ImportReport) -> None:
    assert jira.cases == jira.cases_written == 4
    assert jira.anomalies == {}
    assert jira.people == 3  # the agents; reporters' comments are no replies
    assert jira.open_at_end == 1


def test_jira_rating_from_the_satisfaction_field_follows_the_resolution(
    desk: HelpDesk, jira: ImportReport
) -> None:
    assert kinds(desk, "jira", "SD-1") == [
        "TicketReceived",
        "TicketAssigned",
        "TicketResponded",
        "TicketAwaitingCustomer",
        "TicketCustomerReplied",
        "TicketResolved",
        "TicketRated",
        "TicketClosed",
    ]
    ticket = desk.ticket(ticket_id("jira", "SD-1"))
    assert ticket.csat == 5
    assert ticket.received_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # +0100 read
    assert ticket.category == "Get IT help"
    assert ticket.customer_id == "Maria Lind"
    assert ticket.queue == "SD"
    rated = next(e for e in desk.ticket_events(ticket.id) if isinstance(e, TicketRated))
    assert rated.at == datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


def test_jira_reassignment_vendor_wait_reopen_and_changelog_rating(
    desk: HelpDesk, jira: ImportReport
) -> None:
    events = desk.ticket_events(ticket_id("jira", "SD-2"))
    reassigned = next(e for e in events if isinstance(e, TicketReassigned))
    assert reassigned.from_agent_id == person_id("jira", "Bo Ek")
    assert reassigned.to_agent_id == person_id("jira", "Cem Kaya")
    wait = next(e for e in events if isinstance(e, TicketAwaitingCustomer))
    assert wait.party is AwaitedParty.THIRD_PARTY
    ticket = desk.ticket(ticket_id("jira", "SD-2"))
    assert ticket.reopens == 1
    assert ticket.csat == 2
    assert ticket.priority is Priority.HIGH
    assert ticket.category == "Report a broken device"
    # created at Medium (the first priority item's fromString), raised later
    received = events[0]
    assert isinstance(received, TicketReceived)
    assert received.priority is Priority.NORMAL


def test_jira_escalated_keeps_state_and_component_is_the_category(
    desk: HelpDesk, jira: ImportReport
) -> None:
    assert kinds(desk, "jira", "SD-3") == ["TicketReceived", "TicketClosed"]
    assert desk.ticket(ticket_id("jira", "SD-3")).category == "Access"
    assert kinds(desk, "jira", "SD-4") == ["TicketReceived", "TicketAssigned", "TicketResponded"]


def jira_issue(key: str, fields: dict[str, Any], *histories: dict[str, Any]) -> dict[str, Any]:
    base = {"created": "2026-03-02T09:00:00.000+0000", "project": {"key": "HD"}}
    return {"key": key, "fields": base | fields, "changelog": {"histories": list(histories)}}


def history(at: str, *items: tuple[str, str | None, str | None]) -> dict[str, Any]:
    return {
        "created": at,
        "author": {"displayName": "Ann Berg"},
        "items": [{"field": f, "fromString": a, "toString": b} for f, a, b in items],
    }


def test_jira_changelog_in_any_order_and_unassigned_status(tmp_path: Path) -> None:
    issue = jira_issue(
        "HD-1",
        {"status": {"name": "Waiting for support"}, "assignee": None},
        history("2026-03-02T10:00:00.000+0000", ("assignee", "Ann Berg", None)),
        history("2026-03-02T09:30:00.000+0000", ("assignee", None, "Ann Berg")),
    )
    path = tmp_path / "issues.jsonl"
    path.write_text(json.dumps(issue) + "\n", encoding="utf-8")
    rows = [row for _, row in source_rows(path, preset("jira"))]
    assert [(row.get("status"), row.get("substatus"), row.get("assignee")) for row in rows] == [
        (None, None, None),
        ("Waiting for support", "unassigned", None),
        ("Waiting for support", None, "Ann Berg"),
        ("Waiting for support", "unassigned", None),
    ]


def test_jira_issue_without_changelog_already_resolved(desk: HelpDesk, tmp_path: Path) -> None:
    """An issue created and resolved with no history: its created row says resolved."""
    issue = jira_issue("HD-2", {"status": {"name": "Resolved"}, "assignee": None})
    path = write_json(tmp_path / "issues.json", {"issues": [issue]})
    report = import_file(desk, path, preset("jira"))
    assert report.anomalies == {}
    assert kinds(desk, "jira", "HD-2") == ["TicketReceived", "TicketResolved"]
    assert desk.ticket(ticket_id("jira", "HD-2")).status is TicketStatus.RESOLVED


def test_jira_private_comments_and_unknown_status_are_told(desk: HelpDesk, tmp_path: Path) -> None:
    issue = jira_issue(
        "HD-3",
        {
            "status": {"name": "Triage"},
            "reporter": {"displayName": "Maria Lind"},
            "comment": {
                "comments": [
                    {
                        "author": {"displayName": "Bo Ek"},
                        "created": "2026-03-02T09:05:00.000+0000",
                        "jsdPublic": False,
                    },
                    {
                        "author": {"displayName": "Maria Lind"},
                        "created": "2026-03-02T09:06:00.000+0000",
                    },
                ]
            },
        },
    )
    path = write_json(tmp_path / "issues.json", {"issues": [issue]})
    report = import_file(desk, path, preset("jira"))
    assert report.count("unknown status 'Triage'") == 1
    assert kinds(desk, "jira", "HD-3") == ["TicketReceived"]
