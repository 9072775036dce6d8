"""SQLite specifics: an owner-only database file, and inserting many rows at once.

SQLite creates its write-ahead log and shared-memory files with the permissions of the
database file, so creating that file first (mode 0600) protects all three.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from eventsourcing.sqlite import SQLiteApplicationRecorder

from ticketlog.persistence.settings import SQLiteStore

Row = tuple[str, int, str, bytes]
"""A row of the events table: originator id in hex, version, topic, state."""

OWNER_ONLY = 0o600


def create_owner_only(store: SQLiteStore) -> None:
    """Create ``store``'s file, empty and owner-only, unless it exists or must exist."""
    if store.must_exist:
        return
    try:
        os.close(os.open(store.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY))
    except FileExistsError:
        return


def insert_rows(recorder: SQLiteApplicationRecorder, rows: Sequence[Row]) -> None:
    """Insert ``rows`` into ``recorder``'s events table in one transaction, with its own
    statement and one ``executemany`` (eventsourcing inserts one row at a time, to learn
    each notification id); eventsourcing's ``IntegrityError`` if any is stored already."""
    with recorder.datastore.transaction(commit=True) as cursor:
        cursor.executemany(recorder.insert_events_statement, rows)
