"""Storage of the event log: store settings and event serialization."""

from __future__ import annotations

from ticketlog.persistence.mapper import CorruptEvent, EventMapper, UnknownEventType
from ticketlog.persistence.settings import (
    MemoryStore,
    PostgresStore,
    SQLiteStore,
    StoreSettings,
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
    "parse_store_url",
    "resolve_store",
    "store_from_env",
]
