"""Importing status logs: each messy case real logs contain, its report count and timeline."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from ticketlog import HelpDesk, NotTheHolder
from ticketlog.domain.ticket import TicketState
from ticketlog.domain.values import AwaitedParty, Priority, TicketStatus
from ticketlog.imports import (
    ImportReport,
    MappingError,
    StrictImportError,
    import_file,
    load_mapping,
    person_id,
    preset,
    ticket_id,
)
from ticketlog.imports.importer import SURVEY_STEP
from ticketlog.imports.synthetic import COLUMNS, write_status_log

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
EXAMPLES = Path(__file__).parents[2] / "examples" / "imports"


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def row(
    case: str,
    minutes: float,
    status: str,
    sub: str = "",
    *,
    person: str = "",
    team: str = "Desk",
    level: str = "1st",
    impact: str = "Medium",
) -> dict[str, str]:
    return {
        "case_id": case,
        "timestamp": at(minutes),
        "status": status,
        "sub_status": sub,
        "team": team,
        "support_level": level,
        "person": person,
        "impact": impact,
        "product": "Mail",
        "country": "Sweden",
    }


def write(path: Path, rows: Sequence[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def desk() -> HelpDesk:
    return HelpDesk("memory://")


def run(
    desk: HelpDesk, tmp_path: Path, rows: Sequence[dict[str, str]], *, strict: bool = False
) -> ImportReport:
    log = write(tmp_path / "log.csv", rows)
    return import_file(desk, log, preset("status-log"), strict=strict)


def types(desk: HelpDesk, case: str) -> list[str]:
    return [event.event_type for event in desk.ticket_events(ticket_id("status-log", case))]


def state(desk: HelpDesk, case: str) -> TicketState:
    return desk.ticket(ticket_id("status-log", case))


def agent(name: str) -> UUID:
    return person_id("status-log", name)


QUEUED = ("Queued", "Awaiting Assignment")
WORKING = ("Accepted", "In Progress")
RESOLVED = ("Completed", "Resolved")
CLOSED = ("Completed", "Closed")


def test_a_case_whose_first_row_is_already_accepted_is_received_and_taken_at_that_time(
    desk: HelpDesk, tmp_path: Path
) -> None:
    report = run(
        desk, tmp_path, [row("A", 0, *WORKING, person="Ann"), row("A", 5, *RESOLVED, person="Ann")]
    )

    assert report.count("first row already active (no received row)") == 1
    assert report.anomalies["first row already active (no received row)"].examples == ["A"]
    assert types(desk, "A") == ["TicketReceived", "TicketAssigned", "TicketResolved"]
    ticket = state(desk, "A")
    assert ticket.received_at == T0
    assert ticket.source_id == "A"
    assert ticket.source == "status-log"
    assert desk.view().kpis(now=T0).wait.mean == timedelta(0)


def test_the_same_person_accepting_twice_is_one_assignment(desk: HelpDesk, tmp_path: Path) -> None:
    rows = [
        row("A", 0, *QUEUED),
        row("A", 3, *WORKING, person="Ann"),
        row("A", 9, *WORKING, person="Ann"),
    ]

    report = run(desk, tmp_path, rows)

    assert report.count("same person accepted again") == 1
    assert types(desk, "A") == ["TicketReceived", "TicketAssigned"]
    assert state(desk, "A").agent_id == agent("Ann")


def test_rows_with_equal_timestamps_keep_their_file_order(desk: HelpDesk, tmp_path: Path) -> None:
    rows = [
        row("A", 0, *QUEUED),
        row("A", 5, *WORKING, person="Ann"),
        row("A", 5, *WORKING, person="Bo"),
        row("B", 0, *QUEUED),
        row("B", 5, *WORKING, person="Bo"),
        row("B", 5, *WORKING, person="Ann"),
    ]

    run(desk, tmp_path, rows)

    assert state(desk, "A").agent_id == agent("Bo")
    assert state(desk, "B").agent_id == agent("Ann")
    assert types(desk, "A") == ["TicketReceived", "TicketAssigned", "TicketReassigned"]


def test_rows_out_of_time_order_within_a_case_are_put_in_order(
    desk: HelpDesk, tmp_path: Path
) -> None:
    rows = [
        row("A", 10, *RESOLVED, person="Ann"),
        row("A", 0, *QUEUED),
        row("A", 4, *WORKING, person="Ann"),
    ]

    report = run(desk, tmp_path, rows)

    assert report.count("rows out of time order within a case") == 1
    assert types(desk, "A") == ["TicketReceived", "TicketAssigned", "TicketResolved"]
    assert desk.view().kpis(now=T0).wait.mean == timedelta(minutes=4)


def test_a_file_in_time_order_imports_the_same_history_as_one_grouped_by_case(
    tmp_path: Path,
) -> None:
    grouped, by_time = tmp_path / "grouped.csv", tmp_path / "by-time.csv"
    assert write_status_log(grouped, 120, seed=3) == write_status_log(
        by_time, 120, seed=3, time_order=True
    )
    with HelpDesk("memory://") as one, HelpDesk("memory://") as other:
        first = import_file(one, grouped, preset("status-log"))
        second = import_file(other, by_time, preset("status-log"))

        assert first.events_written == second.events_written > 0
        for number in range(1, 121):
            case = ticket_id("status-log", f"INC{number:07d}")
            assert one.ticket_events(case) == other.ticket_events(case)


def test_work_after_a_completion_is_a_reopen(desk: HelpDesk, tmp_path: Path) -> None:
    rows = [
        row("A", 0, *QUEUED),
        row("A", 2, *WORKING, person="Ann"),
        row("A", 10, *RESOLVED, person="Ann"),
        row("A", 20, *CLOSED),
        row("A", 60, *WORKING, person="Bo"),
        row("A", 90, *CLOSED, person="Bo"),
    ]

    report = run(desk, tmp_path, rows)

    assert report.count("work after closure (closure recorded as a resolution)") == 1
    assert types(desk, "A") == [
        "TicketReceived",
        "TicketAssigned",
        "TicketResolved",
        "TicketReopened",
        "TicketAssigned",
        "TicketClosed",
    ]
    ticket = state(desk, "A")
    assert ticket.reopens == 1
    assert ticket.status is TicketStatus.CLOSED


def test_a_closure_followed_by_work_before_any_resolution_is_recorded_as_one(
    desk: HelpDesk, tmp_path: Path
) -> None:
    rows = [
        row("A", 0, *WORKING, person="Ann"),
        row("A", 5, *CLOSED),
        row("A", 8, *WORKING, person="Ann"),
    ]

    run(desk, tmp_path, rows)

    assert types(desk, "A")[2:] == ["TicketResolved", "TicketReopened", "TicketAssigned"]
    assert state(desk, "A").status is TicketStatus.ASSIGNED


def test_a_team_change_without_a_person_puts_the_ticket_in_the_new_teams_queue(
    desk: HelpDesk, tmp_path: Path
) -> None:
    rows = [row("A", 0, *WORKING, person="Ann"), row("A", 5, *QUEUED, team="Network")]

    run(desk, tmp_path, rows)

    assert types(desk, "A")[-1] == "TicketTransferred"
    ticket = state(desk, "A")
    assert (ticket.queue, ticket.agent_id, ticket.status) == ("Network", None, TicketStatus.WAITING)
    assert desk.view().kpis(now=T0).transfer_rate == 100.0


def test_a_person_holding_dozens_of_cases_at_once_gets_that_capacity(
    desk: HelpDesk, tmp_path: Path
) -> None:
    rows = [row(f"C{n}", n, *WORKING, person="Ann") for n in range(30)]
    rows += [row(f"C{n}", 100 + n, *RESOLVED, person="Ann") for n in range(30)]
    rows += [row("D", 200, *WORKING, person="Ann")]

    report = run(desk, tmp_path, rows)

    assert report.cases == 31
    assert desk.agent(agent("Ann")).capacity == 30
    assert len(desk.held_by(agent("Ann"))) == 1


def test_a_capacity_still_lands_when_another_writer_changed_the_agent_meanwhile(
    desk: HelpDesk, tmp_path: Path
) -> None:
    rows = [row(f"C{n}", n, *WORKING, person="Ann") for n in range(3)]
    log = write(tmp_path / "log.csv", rows)

    def amend_ann_once(_rows: int, cases: int, _total: int) -> None:
        if cases == 1:  # the agents are stored, the capacity not yet
            desk.amend_agents({agent("Ann"): {"skills": frozenset({"vpn"})}})

    import_file(desk, log, preset("status-log"), progress=amend_ann_once)

    ann = desk.agent(agent("Ann"))
    assert (ann.capacity, ann.skills) == (3, frozenset({"vpn"}))


def test_people_in_several_teams_and_tiers_keep_them_all(desk: HelpDesk, tmp_path: Path) -> None:
    rows = [
        row("A", 0, *WORKING, person="Ann", team="Desk"),
        row("B", 1, *WORKING, person="Ann", team="Desk"),
        row("C", 2, *WORKING, person="Ann", team="Network", level="2nd"),
    ]

    run(desk, tmp_path, rows)

    ann = desk.agent(agent("Ann"))
    assert (ann.team, ann.profile.teams, ann.tier) == ("Desk", frozenset({"Network"}), 2)
    assert ann.name == "Ann"
    assert ann.languages == frozenset({"sv"})


def test_tiers_going_down_are_deescalations_not_transfers(desk: HelpDesk, tmp_path: Path) -> None:
    rows = [
        row("A", 0, *QUEUED, level="2nd", team="Network"),
        row("A", 5, *QUEUED, level="1st", team="Desk"),
        row("A", 9, *WORKING, person="Ann", level="1st", team="Desk"),
        row("A", 20, *QUEUED, level="3rd", team="Dev"),
    ]

    run(desk, tmp_path, rows)

    assert types(desk, "A") == [
        "TicketReceived",
        "TicketDeescalated",
        "TicketAssigned",
        "TicketEscalated",
    ]
    ticket = state(desk, "A")
    assert (ticket.tier, ticket.queue, ticket.escalations, ticket.transfers) == (3, "Dev", 1, 0)


def test_cases_still_open_at_the_end_stay_open(desk: HelpDesk, tmp_path: Path) -> None:
    rows = [row("A", 0, *QUEUED), row("B", 0, *WORKING, person="Ann"), row("C", 1, *RESOLVED)]

    report = run(desk, tmp_path, rows)

    assert report.open_at_end == 2
    assert state(desk, "A").status is TicketStatus.WAITING
    assert state(desk, "B").status is TicketStatus.ASSIGNED
    resolved = state(desk, "C")
    assert (resolved.status, resolved.agent_id) == (TicketStatus.RESOLVED, None)


def test_waits_on_the_user_and_on_a_vendor_pause_with_their_party(
    desk: HelpDesk, tmp_path: Path
) -> None:
    rows = [
        row("A", 0, *WORKING, person="Ann"),
        row("A", 5, "Accepted", "Wait - User", person="Ann"),
        row("A", 30, "Accepted", "Wait - Vendor", person="Ann"),
        row("A", 90, *WORKING, person="Ann"),
    ]

    run(desk, tmp_path, rows)

    events = desk.ticket_events(ticket_id("status-log", "A"))
    waits = [getattr(e, "party", None) for e in events if e.event_type == "TicketAwaitingCustomer"]
    assert waits == [AwaitedParty.CUSTOMER, AwaitedParty.THIRD_PARTY]
    assert [e.event_type for e in events].count("TicketCustomerReplied") == 2
    assert not state(desk, "A").awaiting_customer


def test_impact_maps_to_priority_and_a_change_is_a_reprioritisation(
    desk: HelpDesk, tmp_path: Path
) -> None:
    rows = [row("A", 0, *QUEUED, impact="Major"), row("A", 5, *QUEUED, impact="Low")]

    run(desk, tmp_path, rows)

    assert types(desk, "A") == ["TicketReceived", "TicketReprioritised"]
    assert state(desk, "A").priority is Priority.LOW


def test_unknown_status_values_are_counted_and_change_nothing(
    desk: HelpDesk, tmp_path: Path
) -> None:
    rows = [row("A", 0, *WORKING, person="Ann"), row("A", 5, "Parked", "")]

    report = run(desk, tmp_path, rows)

    assert report.count("unknown status 'Parked'") == 1
    assert state(desk, "A").status is TicketStatus.ASSIGNED


def test_malformed_rows_are_reported_with_their_line_and_skipped(
    desk: HelpDesk, tmp_path: Path
) -> None:
    rows = [
        row("A", 0, *QUEUED),
        {**row("A", 1, *WORKING), "timestamp": "yesterday"},
        row("", 2, *QUEUED),
    ]

    report = run(desk, tmp_path, rows)

    assert report.rows == 3
    assert report.anomalies[
        "malformed row: bad timestamp 'yesterday' in column 'timestamp'"
    ].examples == ["line 3"]
    assert report.count("malformed row: no case id in column 'case_id'") == 1
    assert types(desk, "A") == ["TicketReceived"]


def test_strict_stops_at_the_first_anomaly_with_nothing_of_its_case_written(tmp_path: Path) -> None:
    rows = [
        row("A", 0, *QUEUED),
        row("A", 1, *WORKING, person="Ann"),
        row("B", 0, *QUEUED),
        row("B", 1, "Parked"),
    ]
    with HelpDesk("memory://") as desk:
        with pytest.raises(StrictImportError, match=r"unknown status 'Parked' \(B\)"):
            run(desk, tmp_path, rows, strict=True)

        assert types(desk, "A") == ["TicketReceived", "TicketAssigned"]
        assert not any(e.originator_id == ticket_id("status-log", "B") for _, e in desk.read_log())


def test_the_example_file_imports_with_its_documented_anomalies(desk: HelpDesk) -> None:
    report = import_file(desk, EXAMPLES / "status-log.csv", preset("status-log"))

    assert (report.rows, report.cases, report.people) == (35, 8, 4)
    assert report.count("unknown sub-status 'Accepted/Parked'") == 1
    assert report.cases_written == 8


def test_importing_the_same_file_twice_adds_nothing(desk: HelpDesk) -> None:
    first = import_file(desk, EXAMPLES / "status-log.csv", preset("status-log"))
    count = sum(1 for _ in desk.read_log())

    second = import_file(desk, EXAMPLES / "status-log.csv", preset("status-log"))

    assert sum(1 for _ in desk.read_log()) == count
    assert (second.cases_written, second.cases_skipped, second.agents_written) == (
        0,
        first.cases,
        0,
    )
    assert second.events_written == 0


def test_a_mapping_error_names_the_key_and_its_line(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(
        'preset = "status-log"\n\n[time]\ntimezone = "Mars/Olympus"\n', encoding="utf-8"
    )

    with pytest.raises(MappingError, match=r"time\.timezone \(line 4\): .*unknown time zone"):
        load_mapping(path)


def test_a_mapping_naming_an_unknown_encoding_is_a_mapping_error(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text('preset = "status-log"\nencoding = "nope"\n', encoding="utf-8")

    with pytest.raises(MappingError, match=r"encoding \(line 2\): unknown encoding 'nope'"):
        load_mapping(path)


def test_a_mapping_missing_a_required_column_names_its_table(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text('source = "x"\n[columns]\ntime = "t"\n', encoding="utf-8")

    with pytest.raises(MappingError, match=r"columns\.case \(line 2\): Field required"):
        load_mapping(path)


def test_a_mapping_renames_columns_of_a_preset_and_sets_the_zone_of_naive_times(
    desk: HelpDesk, tmp_path: Path
) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'preset = "status-log"\n[columns]\ncase = "Incident ID"\n'
        '[time]\nformat = "%d/%m/%Y %H:%M"\ntimezone = "Europe/Stockholm"\n',
        encoding="utf-8",
    )
    log = tmp_path / "log.csv"
    log.write_text(
        "Incident ID,timestamp,status,sub_status\nX1,02/03/2026 09:00,Queued,\n", encoding="utf-8"
    )

    import_file(desk, log, load_mapping(mapping))

    assert desk.ticket(ticket_id("status-log", "X1")).received_at == T0


def test_a_team_change_while_waiting_on_the_user_is_not_a_second_wait(
    desk: HelpDesk, tmp_path: Path
) -> None:
    rows = [
        row("A", 0, *WORKING, person="Ann"),
        row("A", 5, "Accepted", "Wait - User", person="Ann"),
        row("A", 9, "Accepted", "Wait - User", person="Ann", team="Network"),
        row("A", 12, "Accepted", "Wait - User", person="Ann", team="Network"),
    ]

    report = run(desk, tmp_path, rows)

    assert report.count("awaiting the customer again") == 1
    assert types(desk, "A")[-2:] == ["TicketTransferred", "TicketAssigned"]
    assert state(desk, "A").awaiting_customer


def test_refusals_on_imported_tickets_name_the_source_id(desk: HelpDesk, tmp_path: Path) -> None:
    run(
        desk, tmp_path, [row("INC42", 0, *WORKING, person="Ann"), row("B", 0, *QUEUED, person="Bo")]
    )

    with pytest.raises(NotTheHolder, match=r"does not hold ticket INC42 \("):
        desk.resolve(ticket_id("status-log", "INC42"), agent("Bo"))


def test_kpis_tell_imported_tickets_apart_by_their_source(desk: HelpDesk, tmp_path: Path) -> None:
    run(desk, tmp_path, [row("A", 0, *QUEUED), row("A", 4, *WORKING, person="Ann")])
    desk.receive(channel="email", customer_id="live", at=T0)

    groups = desk.view().kpis_by("source", now=T0 + timedelta(hours=1))

    assert list(groups) == ["status-log", None]
    assert groups["status-log"].wait.mean == timedelta(minutes=4)
    assert groups[None].tickets == 1


def test_progress_is_told_of_the_survey_then_of_every_case(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    rows = write_status_log(path, 400, seed=2)
    assert rows > 2 * SURVEY_STEP  # the survey reports more than once
    calls: list[tuple[int, int, int]] = []
    with HelpDesk("memory://") as desk:
        report = import_file(desk, path, preset("status-log"), progress=lambda *c: calls.append(c))
    surveyed = [c for c in calls if c[2] == 0]
    assert surveyed == [(n * SURVEY_STEP, 0, 0) for n in range(1, rows // SURVEY_STEP + 1)]
    imported = calls[len(surveyed) :]
    assert all(total == rows for _, _, total in imported)  # the size is known after the survey
    assert [cases for _, cases, _ in imported][:-1] == list(range(1, report.cases + 1))
    assert imported[-1] == (rows, report.cases, rows)
