"""Imports into real stores: SQLite files and PostgreSQL, twice, encrypted, and read back by
a new desk."""

from __future__ import annotations

from pathlib import Path

from tests.integration.test_encryption import KEY, found, raw
from ticketlog import HelpDesk, PostgresStore, SQLiteStore
from ticketlog.imports import import_file, preset, ticket_id
from ticketlog.projections import DeskView

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


SOURCE_DATA = (b"Dag Lund", b"INC0003")
"""A person's name and a case id of the example file, which an import stores."""


def test_an_import_stores_the_source_data_in_clear_without_a_key(
    store: SQLiteStore | PostgresStore,
) -> None:
    """The control: the search below does find what an import stores unencrypted."""
    with HelpDesk(store) as desk:
        import_file(desk, EXAMPLE, preset("status-log"))
        desk.follow(DeskView, name="ops").catch_up()
    assert found(SOURCE_DATA, raw(store)) == list(SOURCE_DATA)


def test_an_import_into_an_encrypted_store_goes_through_its_cipher(
    store: SQLiteStore | PostgresStore,
) -> None:
    with HelpDesk(store, cipher_key=KEY) as desk:
        report = import_file(desk, EXAMPLE, preset("status-log"))
        events = [event for _, event in desk.read_log()]
        follower = desk.follow(DeskView, name="ops")
        follower.catch_up()

    assert found(SOURCE_DATA, raw(store)) == []
    with HelpDesk(store.with_cipher_key(KEY)) as reader:
        assert [event for _, event in reader.read_log()] == events
        assert reader.follow(DeskView, name="ops").projection == follower.projection
        assert follower.projection == reader.view()
    assert len(events) == report.events_written + report.agents_written + 2  # two capacities
