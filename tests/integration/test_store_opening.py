"""Opening stores for reading: nothing is created, and failures say why, at once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.integration.support import PostgresServer
from ticketlog import HelpDesk, PostgresStore, SQLiteStore, StoreUnavailable
from ticketlog.persistence import existing_store


def test_a_reader_of_a_missing_sqlite_file_gets_store_unavailable_and_no_file(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "missing.db"
    with pytest.raises(StoreUnavailable, match="does not exist"):
        HelpDesk(existing_store(SQLiteStore(path=missing)))
    assert list(tmp_path.iterdir()) == []


def test_a_reader_opens_an_existing_sqlite_file_and_sees_its_events(tmp_path: Path) -> None:
    store = SQLiteStore(path=tmp_path / "desk.db")
    with HelpDesk(store) as desk:
        ticket = desk.receive(channel="email", customer_id="acme")
    with HelpDesk(existing_store(store)) as reader:
        assert reader.ticket(ticket).customer_id == "acme"


def test_a_file_that_is_not_a_database_is_store_unavailable(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    with pytest.raises(StoreUnavailable, match="file is not a database") as caught:
        HelpDesk(SQLiteStore(path=notes))
    assert caught.value.__suppress_context__
    assert notes.read_text() == "hello\n"


def test_a_refused_postgres_connection_fails_at_once_with_the_reason() -> None:
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="Connection refused") as caught:
        HelpDesk(PostgresStore(dbname="ticketlog", port=1))  # connect_timeout: 10 s
    assert time.monotonic() - started < 2.0
    assert "\n" not in str(caught.value)


@pytest.mark.postgres
def test_a_missing_postgres_database_fails_at_once_with_the_servers_reason(
    postgres_server: PostgresServer,
) -> None:
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match='database "ticketlog_nowhere" does not exist'):
        HelpDesk(postgres_server.store("ticketlog_nowhere"))
    assert time.monotonic() - started < 2.0
