"""Storage of the event log: store settings, event serialization, reading and encryption."""

from __future__ import annotations

from ticketlog.persistence.encryption import WrongCipherKey
from ticketlog.persistence.mapper import CorruptEvent, EventMapper, UnknownEventType
from ticketlog.persistence.reader import LogHealth, QuarantinedEvent
from ticketlog.persistence.settings import (
    CIPHER_KEY_VAR,
    MemoryStore,
    PostgresStore,
    SQLiteStore,
    StoreSettings,
    existing_store,
    new_cipher_key,
    parse_store_url,
    resolve_store,
    store_from_env,
)

__all__ = [
    "CIPHER_KEY_VAR",
    "CorruptEvent",
    "EventMapper",
    "LogHealth",
    "MemoryStore",
    "PostgresStore",
    "QuarantinedEvent",
    "SQLiteStore",
    "StoreSettings",
    "UnknownEventType",
    "WrongCipherKey",
    "existing_store",
    "new_cipher_key",
    "parse_store_url",
    "resolve_store",
    "store_from_env",
]
