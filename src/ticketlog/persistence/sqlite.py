"""SQLite specifics: the database file is created readable by its owner only.

SQLite creates its write-ahead log and shared-memory files with the permissions of the
database file, so creating that file first (mode 0600) protects all three.
"""

from __future__ import annotations

import os

from ticketlog.persistence.settings import SQLiteStore

OWNER_ONLY = 0o600


def create_owner_only(store: SQLiteStore) -> None:
    """Create ``store``'s file, empty and owner-only, unless it exists or must exist."""
    if store.must_exist:
        return
    try:
        os.close(os.open(store.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY))
    except FileExistsError:
        return
