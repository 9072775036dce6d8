"""Where a desk keeps its events: one explicit, validated settings object.

Three stores, all eventsourcing's own persistence modules:

* ``memory://`` — in-process, gone when the process ends (tests, simulations);
* ``sqlite:///desk.db`` — one SQLite file, the embedded default (``sqlite:////abs/path.db``
  for an absolute path);
* ``postgresql://user:password@host:port/dbname?schema=s&pool_size=5`` — several
  processes or machines sharing one desk (needs the ``postgres`` extra).

:func:`store_from_env` reads the URL from ``TICKETLOG_STORE``.

Any store can be encrypted at rest (opt-in): with a ``cipher_key`` (base64 of 16, 24 or
32 random bytes, see :func:`new_cipher_key`), events and checkpoints are compressed
(zlib) and encrypted (AES-GCM, eventsourcing's ``eventsourcing.cryptography:AESCipher``;
needs the ``encryption`` extra). The key comes from the settings' ``cipher_key``, the URL
option ``?cipher=KEY`` (percent-encoded), or, with ``?cipher=env`` or in
:func:`store_from_env`, from ``TICKETLOG_CIPHER_KEY``. Nothing else is read from the
environment.
"""

from __future__ import annotations

import base64
import binascii
import importlib.util
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import parse_qsl, unquote, urlsplit

import pydantic
from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter

from ticketlog.domain.aggregate import invalid_value
from ticketlog.domain.errors import ConfigurationError

ENV_VAR = "TICKETLOG_STORE"
"""The environment variable :func:`store_from_env` reads."""

DEFAULT_URL = "sqlite:///ticketlog.db"
"""The store used when neither settings nor ``TICKETLOG_STORE`` are given."""

CIPHER_KEY_VAR = "TICKETLOG_CIPHER_KEY"
"""The environment variable holding the cipher key (see the module docstring)."""

CIPHER_TOPIC = "eventsourcing.cryptography:AESCipher"
COMPRESSOR_TOPIC = "eventsourcing.compressor:ZlibCompressor"
_KEY_SIZES = (16, 24, 32)


def new_cipher_key() -> str:
    """A new random cipher key (32 bytes, base64): keep it safe, a store cannot be read without."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def checked_cipher_key(key: str | SecretStr) -> SecretStr:
    """``key`` checked and in standard base64; :class:`ConfigurationError` if it is no key."""
    text = key.get_secret_value() if isinstance(key, SecretStr) else key
    try:
        raw = base64.b64decode(text.strip().replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) not in _KEY_SIZES:
        msg = (
            "a cipher key is base64 of 16, 24 or 32 bytes "
            "(make one with ticketlog.persistence.new_cipher_key())"
        )
        raise ConfigurationError(msg)
    return SecretStr(base64.b64encode(raw).decode())


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    cipher_key: SecretStr | None = None
    """Encrypt events and checkpoints with this key (see the module docstring)."""

    @pydantic.field_validator("cipher_key")
    @classmethod
    def _a_valid_key(cls, key: SecretStr | None) -> SecretStr | None:
        return None if key is None else checked_cipher_key(key)

    def with_cipher_key(self, key: str | SecretStr) -> Self:
        """These settings, encrypted with ``key``; :class:`ConfigurationError` if it is no key."""
        return self.model_copy(update={"cipher_key": checked_cipher_key(key)})

    def cipher_env(self) -> dict[str, str]:
        """The eventsourcing environment variables that turn on compression and encryption."""
        if self.cipher_key is None:
            return {}
        if importlib.util.find_spec("cryptography") is None:
            msg = "an encrypted store needs 'cryptography': pip install 'ticketlog-es[encryption]'"
            raise ConfigurationError(msg)
        return {
            "CIPHER_TOPIC": CIPHER_TOPIC,
            "CIPHER_KEY": self.cipher_key.get_secret_value(),
            "COMPRESSOR_TOPIC": COMPRESSOR_TOPIC,
        }

    def _query(self, **options: object) -> str:
        """The URL query of ``options`` that are set, and of the masked cipher key."""
        shown = {key: value for key, value in options.items() if value is not None}
        if self.cipher_key is not None:
            shown["cipher"] = "***"
        return "?" + "&".join(f"{k}={v}" for k, v in shown.items()) if shown else ""


class MemoryStore(_Settings):
    """Events kept in this process's memory."""

    kind: Literal["memory"] = "memory"

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing environment variables that select this store."""
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"} | self.cipher_env()

    @property
    def url(self) -> str:
        """The store as a URL (cipher key masked)."""
        return f"memory://{self._query()}"


class SQLiteStore(_Settings):
    """Events in one SQLite file (write-ahead logging; several processes may share it)."""

    kind: Literal["sqlite"] = "sqlite"
    path: Path
    lock_timeout: int = Field(default=30, ge=1)
    """Seconds a writer waits for another process's write lock before giving up."""
    must_exist: bool = False
    """Open an existing file only, never create one (readers: see :func:`existing_store`)."""

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing environment variables that select this store."""
        # SQLite's own mode=rw refuses to create the file: no check that a creator could race.
        database = f"{self.path.absolute().as_uri()}?mode=rw" if self.must_exist else str(self.path)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": database,
            "SQLITE_LOCK_TIMEOUT": str(self.lock_timeout),
            # Rows are written the same either way (UUID hex); "text" only spares parsing
            # each row's id on read: ticketlog takes ids from the event's own state.
            "ORIGINATOR_ID_TYPE": "text",
        } | self.cipher_env()

    @property
    def url(self) -> str:
        """The store as a URL (cipher key masked)."""
        return f"sqlite:///{self.path}{self._query()}"


class PostgresStore(_Settings):
    """Events in a PostgreSQL database, shared by any number of processes."""

    kind: Literal["postgres"] = "postgres"
    dbname: str = Field(min_length=1)
    host: str = "127.0.0.1"
    port: int = Field(default=5432, ge=1, le=65535)
    user: str = "postgres"
    password: SecretStr = SecretStr("")
    db_schema: str | None = Field(default=None, min_length=1)
    """PostgreSQL schema holding the tables (default: the server's search path)."""
    pool_size: int = Field(default=5, ge=1)
    connect_timeout: int = Field(default=10, ge=1)

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing environment variables that select this store."""
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password.get_secret_value(),
            "POSTGRES_POOL_SIZE": str(self.pool_size),
            "POSTGRES_CONNECT_TIMEOUT": str(self.connect_timeout),
            # ticketlog creates the tables itself, under a lock (persistence.postgres).
            "CREATE_TABLE": "n",
        }
        if self.db_schema:
            env["POSTGRES_SCHEMA"] = self.db_schema
        return env | self.cipher_env()

    @property
    def url(self) -> str:
        """The store as a URL (password and cipher key masked)."""
        secret = ":***" if self.password.get_secret_value() else ""
        query = self._query(schema=self.db_schema)
        return f"postgresql://{self.user}{secret}@{self.host}:{self.port}/{self.dbname}{query}"


StoreSettings = Annotated[MemoryStore | SQLiteStore | PostgresStore, Field(discriminator="kind")]
"""Any one of the three stores."""

_STORE = TypeAdapter[MemoryStore | SQLiteStore | PostgresStore](StoreSettings)


_QUERY_KEYS = {
    "memory": frozenset({"cipher"}),
    "sqlite": frozenset({"lock_timeout", "cipher"}),
    "postgres": frozenset({"schema", "pool_size", "connect_timeout", "cipher"}),
}
"""The settings each kind of URL may carry in its query string."""


def parse_store_url(url: str) -> MemoryStore | SQLiteStore | PostgresStore:
    """Settings from a URL such as ``sqlite:///desk.db``; :class:`ConfigurationError` if bad."""
    parts = urlsplit(url)
    kind = {"memory": "memory", "sqlite": "sqlite", "postgres": "postgres"}.get(
        "postgres" if parts.scheme == "postgresql" else parts.scheme
    )
    if kind is None:
        msg = f"unknown store {url!r}: use memory://, sqlite:///FILE or postgresql://HOST/DB"
        raise ConfigurationError(msg)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = set(query) - _QUERY_KEYS[kind]
    if unknown:
        msg = f"{kind} store URL {url!r} has unknown settings: {', '.join(sorted(unknown))}"
        raise ConfigurationError(msg)
    fields: dict[str, object] = {"kind": kind, **query}
    if "cipher" in fields:
        fields["cipher_key"] = _url_cipher_key(str(fields.pop("cipher")))
    if kind == "memory":
        if parts.netloc or parts.path:
            msg = f"a memory store URL is just memory://, not {url!r}"
            raise ConfigurationError(msg)
    elif kind == "sqlite":
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if parts.netloc or not path:
            msg = (
                f"an SQLite URL looks like sqlite:///relative.db or sqlite:////abs.db, not {url!r}"
            )
            raise ConfigurationError(msg)
        fields["path"] = path
    else:
        fields.update(_postgres_fields(url))
        if "schema" in fields:
            fields["db_schema"] = fields.pop("schema") or None
    try:
        return _STORE.validate_python(fields)
    except pydantic.ValidationError as error:
        raise ConfigurationError(str(invalid_value(error))) from None


def _url_cipher_key(option: str) -> SecretStr:
    """The key a URL's ``cipher`` option gives: itself, or ``env``: ``TICKETLOG_CIPHER_KEY``."""
    if option != "env":
        return checked_cipher_key(option.replace(" ", "+"))  # an unescaped "+" reads as a space
    key = os.environ.get(CIPHER_KEY_VAR)
    if not key:
        msg = f"the store URL says cipher=env, but {CIPHER_KEY_VAR} is not set"
        raise ConfigurationError(msg)
    return checked_cipher_key(key)


def _postgres_fields(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    fields: dict[str, object] = {"dbname": unquote(parts.path.lstrip("/"))}
    if parts.hostname:
        fields["host"] = parts.hostname
    if parts.username:
        fields["user"] = unquote(parts.username)
    if parts.password:
        fields["password"] = unquote(parts.password)
    try:
        port = parts.port
    except ValueError:
        msg = f"bad port in store URL {url!r}"
        raise ConfigurationError(msg) from None
    if port is not None:
        fields["port"] = port
    return fields


def existing_store(
    store: MemoryStore | SQLiteStore | PostgresStore,
) -> MemoryStore | SQLiteStore | PostgresStore:
    """``store`` for a reader, who must not create it: an SQLite file :attr:`must exist
    <SQLiteStore.must_exist>` (a PostgreSQL database is never created anyway)."""
    if isinstance(store, SQLiteStore):
        return store.model_copy(update={"must_exist": True})
    return store


def store_from_env(
    environ: Mapping[str, str] | None = None,
) -> MemoryStore | SQLiteStore | PostgresStore:
    """Settings from ``TICKETLOG_STORE`` (default :data:`DEFAULT_URL`), encrypted with
    ``TICKETLOG_CIPHER_KEY`` if that is set and the URL gives no key."""
    env = os.environ if environ is None else environ
    store = parse_store_url(env.get(ENV_VAR, DEFAULT_URL))
    key = env.get(CIPHER_KEY_VAR)
    if key and store.cipher_key is None:
        return store.with_cipher_key(key)
    return store


def resolve_store(
    store: MemoryStore | SQLiteStore | PostgresStore | str | None,
) -> MemoryStore | SQLiteStore | PostgresStore:
    """Settings from settings, a URL, or (``None``) the environment."""
    if store is None:
        return store_from_env()
    if isinstance(store, str):
        return parse_store_url(store)
    return store
