"""PostgreSQL specifics: create the event tables once, whoever opens the store first.

eventsourcing's table set-up (``CREATE ... IF NOT EXISTS`` plus ``CREATE OR REPLACE
FUNCTION``) is not safe when several processes open the same database at the same
moment ("tuple concurrently updated"). ticketlog therefore tells eventsourcing not to
create tables and does it here under a PostgreSQL advisory lock.
"""

from __future__ import annotations

from typing import cast

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresRecorder

SETUP_LOCK_KEY = 0x7469636B65746C67
"""The advisory-lock key ("ticketlg") that serialises table creation in one database."""


def create_tables(recorder: ApplicationRecorder) -> None:
    """Create the recorder's tables, indexes and functions, one process at a time."""
    postgres = cast(PostgresRecorder, recorder)
    with postgres.datastore.get_connection() as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK_KEY,))
        try:
            postgres.create_table()
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK_KEY,))
