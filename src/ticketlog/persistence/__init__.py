"""Storage of the event log: store settings and event serialization."""

from __future__ import annotations

from ticketlog.persistence.mapper import CorruptEvent, EventMapper, UnknownEventType
from ticketlog.persistence.settings import (
    MemoryStore,
    PostgresStore,
    SQLiteStore,
    StoreSettings,
    existing_store,
    parse_store_url,
    resolve_store,
    store_from_env,
)

__all__ = [
    "CorruptEvent",
    "EventMapper",
    "MemoryStore",
    "PostgresStore",
    "SQLiteStore",
    "StoreSettings",
    "UnknownEventType",
    "existing_store",
    "parse_store_url",
    "resolve_store",
    "store_from_env",
]
