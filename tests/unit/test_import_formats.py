"""The readers: XES streamed event by event, Parquet by batches, JSON documents and lines."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from ticketlog import HelpDesk
from ticketlog.domain.values import Priority, TicketStatus
from ticketlog.imports import MappingError, import_file, person_id, preset, ticket_id
from ticketlog.imports.mapping import parse_mapping
from ticketlog.imports.readers import UnreadableFile, read_records

EXAMPLES = Path(__file__).parents[2] / "examples" / "imports"


def test_the_xes_example_imports_with_the_event_log_preset() -> None:
    with HelpDesk("memory://") as desk:
        report = import_file(desk, EXAMPLES / "event-log.xes", preset("event-log"))

        assert (report.rows, report.cases, report.people) == (10, 2, 2)
        first = desk.ticket_events(ticket_id("event-log", "T-100"))
        assert [e.event_type for e in first] == [
            "TicketReceived",
            "TicketAssigned",
            "TicketAwaitingCustomer",
            "TicketReassigned",
            "TicketCustomerReplied",
            "TicketResolved",
            "TicketClosed",
        ]
        ticket = desk.ticket(ticket_id("event-log", "T-100"))
        assert (ticket.priority, ticket.category, ticket.channel) == (
            Priority.HIGH,
            "billing",
            "email",
        )
        assert ticket.last_agent_id == person_id("event-log", "Value 2")
        second = desk.ticket(ticket_id("event-log", "T-101"))
        assert (second.status, second.queue, second.transfers, second.reopens) == (
            TicketStatus.WAITING,
            "Back office",
            1,
            1,
        )
        assert report.open_at_end == 1
        assert not report.anomalies


def test_a_parquet_file_imports_the_same_history_as_its_csv(tmp_path: Path) -> None:
    parquet = tmp_path / "status-log.parquet"
    pq.write_table(pacsv.read_csv(EXAMPLES / "status-log.csv"), parquet, row_group_size=7)
    with HelpDesk("memory://") as from_csv, HelpDesk("memory://") as from_parquet:
        csv_report = import_file(from_csv, EXAMPLES / "status-log.csv", preset("status-log"))
        parquet_report = import_file(from_parquet, parquet, preset("status-log"))

        assert parquet_report.events_written == csv_report.events_written > 0
        assert [e for _, e in from_parquet.read_log()] == [e for _, e in from_csv.read_log()]


def test_json_lines_and_json_documents_read_the_same_records(tmp_path: Path) -> None:
    records = [{"case": "A", "n": 1}, {"case": "B", "n": 2}]
    page = {"events": records, "next_page": None}
    files = {
        "lines.jsonl": "\n".join(json.dumps(r) for r in records) + "\n",
        "list.json": json.dumps(records, indent=2),
        "page.json": json.dumps(page, indent=2),
        "compact-page.json": json.dumps(page),
    }
    mapping = parse_mapping('source = "x"\n[columns]\ncase = "case"\ntime = "t"\n')

    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert list(read_records(path, mapping)) == [(1, records[0]), (2, records[1])], name


def test_a_json_document_without_a_list_of_records_is_one_record(tmp_path: Path) -> None:
    issue = {"key": "SUP-1", "fields": {"labels": ["a"]}, "changelog": {"histories": []}}
    path = tmp_path / "issue.json"
    path.write_text(json.dumps(issue, indent=2), encoding="utf-8")
    mapping = parse_mapping('source = "x"\n[columns]\ncase = "key"\ntime = "t"\n')

    assert list(read_records(path, mapping)) == [(1, issue)]


def test_a_json_document_with_several_lists_of_records_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "page.json"
    path.write_text(
        json.dumps({"ticket_events": [{"a": 1}], "users": [{"b": 2}]}), encoding="utf-8"
    )
    mapping = parse_mapping('source = "x"\n[columns]\ncase = "a"\ntime = "t"\n')

    with pytest.raises(MappingError, match=r"several lists of records \(ticket_events, users\)"):
        list(read_records(path, mapping))


def test_a_file_of_unknown_format_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "log.xlsx"
    path.write_bytes(b"")
    mapping = parse_mapping('source = "x"\n[columns]\ncase = "case"\ntime = "t"\n')

    with pytest.raises(MappingError, match=r"cannot tell the format of log\.xlsx"):
        list(read_records(path, mapping))


@pytest.mark.parametrize(
    ("name", "content"),
    [("log.xes", "<log><trace>"), ("log.json", "[{"), ("log.csv", b"\xff\xfe\x00a")],
)
def test_a_file_not_in_its_format_is_unreadable_with_the_reason(
    tmp_path: Path, name: str, content: str | bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    mapping = parse_mapping('source = "x"\n[columns]\ncase = "case"\ntime = "t"\n')

    with pytest.raises(UnreadableFile, match=rf"cannot read .*{name}"):
        list(read_records(path, mapping))


def test_a_missing_file_is_unreadable(tmp_path: Path) -> None:
    mapping = parse_mapping('source = "x"\n[columns]\ncase = "case"\ntime = "t"\n')

    with pytest.raises(UnreadableFile, match="No such file"):
        list(read_records(tmp_path / "none.csv", mapping))
