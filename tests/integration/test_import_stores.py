"""Imports into real stores: SQLite files and PostgreSQL, twice, and read back by a new desk."""

from __future__ import annotations

from pathlib import Path

from ticketlog import HelpDesk, PostgresStore, SQLiteStore
from ticketlog.imports import import_file, preset, ticket_id

EXAMPLE = Path(__file__).parents[2] / "examples" / "imports" / "status-log.csv"


def test_an_import_is_stored_whole_and_a_second_one_adds_nothing(
    store: SQLiteStore | PostgresStore,
) -> None:
    with HelpDesk(store) as desk:
        first = import_file(desk, EXAMPLE, preset("status-log"))
        second = import_file(desk, EXAMPLE, preset("status-log"))

    with HelpDesk(store) as reader:
        events = [event for _, event in reader.read_log()]
        timeline = reader.timeline(ticket_id("status-log", "INC0003"))
        kpis = reader.view().kpis(now=max(e.at for e in events))

    assert len(events) == first.events_written + first.agents_written + 2  # two capacities
    assert (second.cases_written, second.events_written, second.agents_written) == (0, 0, 0)
    assert second.cases_skipped == first.cases == kpis.tickets == 8
    assert [entry.event_type for entry in timeline][-3:] == [
        "TicketReopened",
        "TicketAssigned",
        "TicketClosed",
    ]
    assert "Dag Lund" in str(timeline[-1])
