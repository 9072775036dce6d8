"""Store settings: URLs, the environment, and what eventsourcing is told."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from eventsourcing.popo import POPOApplicationRecorder
from pydantic import SecretStr

from ticketlog.clock import ManualClock
from ticketlog.desk import HelpDesk
from ticketlog.domain.errors import ConfigurationError
from ticketlog.persistence.settings import (
    CIPHER_KEY_VAR,
    DEFAULT_URL,
    ENV_VAR,
    MemoryStore,
    PostgresStore,
    SQLiteStore,
    new_cipher_key,
    parse_store_url,
    resolve_store,
    store_from_env,
)

# --- parse_store_url ------------------------------------------------------------------------


def test_memory_url() -> None:
    store = parse_store_url("memory://")
    assert store == MemoryStore()
    assert store.kind == "memory"
    assert store.url == "memory://"


def test_sqlite_url_with_a_relative_path() -> None:
    store = parse_store_url("sqlite:///rel.db")
    assert isinstance(store, SQLiteStore)
    assert store.path == Path("rel.db")
    assert not store.path.is_absolute()
    assert store.lock_timeout == 30
    assert store.url == "sqlite:///rel.db"


def test_sqlite_url_with_a_relative_path_in_a_folder() -> None:
    store = parse_store_url("sqlite:///data/desk.db")
    assert isinstance(store, SQLiteStore)
    assert store.path == Path("data/desk.db")


def test_sqlite_url_with_an_absolute_path() -> None:
    store = parse_store_url("sqlite:////abs/x.db")
    assert isinstance(store, SQLiteStore)
    assert store.path == Path("/abs/x.db")
    assert store.path.is_absolute()
    assert store.url == "sqlite:////abs/x.db"


def test_sqlite_url_with_an_escaped_path_and_a_lock_timeout() -> None:
    store = parse_store_url("sqlite:///my%20desk.db?lock_timeout=5")
    assert store == SQLiteStore(path=Path("my desk.db"), lock_timeout=5)


def test_postgres_url_with_everything() -> None:
    store = parse_store_url("postgresql://user:pw@host:5433/db?schema=s&pool_size=3")
    assert isinstance(store, PostgresStore)
    assert store.dbname == "db"
    assert store.host == "host"
    assert store.port == 5433
    assert store.user == "user"
    assert store.password.get_secret_value() == "pw"
    assert store.db_schema == "s"
    assert store.pool_size == 3
    assert store.connect_timeout == 10


def test_postgres_is_an_alias_of_postgresql() -> None:
    url = "postgres://user:pw@host:5433/db?schema=s&pool_size=3"
    assert parse_store_url(url) == parse_store_url("postgresql" + url.removeprefix("postgres"))


def test_postgres_url_defaults() -> None:
    store = parse_store_url("postgresql:///desk")
    assert store == PostgresStore(dbname="desk")
    assert isinstance(store, PostgresStore)
    assert (store.host, store.port, store.user) == ("127.0.0.1", 5432, "postgres")
    assert store.password.get_secret_value() == ""
    assert store.db_schema is None
    assert store.pool_size == 5


def test_postgres_url_with_escaped_credentials() -> None:
    store = parse_store_url("postgresql://ann%40corp:p%2Fw%3A@db.example:5432/tickets")
    assert isinstance(store, PostgresStore)
    assert store.user == "ann@corp"
    assert store.password.get_secret_value() == "p/w:"
    assert store.host == "db.example"


def test_the_password_is_masked_in_the_url_and_repr() -> None:
    store = parse_store_url("postgresql://user:s3cret@host:5433/db?schema=s&pool_size=3")
    assert store.url == "postgresql://user:***@host:5433/db?schema=s"
    assert "s3cret" not in store.url
    assert "s3cret" not in repr(store)
    assert "s3cret" not in str(store)


def test_a_url_without_a_password_shows_no_mask() -> None:
    assert parse_store_url("postgresql://ann@host/db").url == "postgresql://ann@host:5432/db"


@pytest.mark.parametrize(
    "url",
    [
        "mysql://host/db",
        "sqlite3:///x.db",
        "file:///x.db",
        "desk.db",
        "",
        "sqlite://",
        "sqlite:///",
        "sqlite://host/x.db",
        "sqlite:///x.db?lock_timeout=0",
        "sqlite:///x.db?journal=wal",
        "postgresql://host:port/db",
        "postgresql://host:99999/db",
        "postgresql://host:0/db",
        "postgresql://host/db?pool_size=0",
        "postgresql://host/db?pool_size=many",
        "postgresql://host/db?sslmode=require",
        "postgresql://host",
        "postgresql://host/",
        "sqlite:///a.db?path=/etc/b.db",
        "postgresql://host/db?dbname=other",
        "memory://whatever",
        "memory://?kind=sqlite",
    ],
)
def test_a_bad_store_url_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_store_url(url)


def test_an_unknown_scheme_error_names_the_known_ones() -> None:
    with pytest.raises(ConfigurationError, match=r"memory://.*sqlite:///.*postgresql://"):
        parse_store_url("mysql://host/db")


def test_a_bad_port_error_names_the_port() -> None:
    with pytest.raises(ConfigurationError, match="port"):
        parse_store_url("postgresql://host:port/db")


def test_a_bad_pool_size_error_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match="pool_size"):
        parse_store_url("postgresql://host/db?pool_size=0")


def test_a_blank_schema_is_treated_as_no_schema() -> None:
    # parse_qsl drops blank values, so "?schema=" means "no schema", not an empty one.
    store = parse_store_url("postgresql://host/db?schema=")
    assert isinstance(store, PostgresStore)
    assert store.db_schema is None


def test_configuration_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="unknown store"):
        parse_store_url("mysql://host/db")


def test_settings_are_immutable() -> None:
    store = SQLiteStore(path=Path("rel.db"))
    with pytest.raises(ValueError, match="frozen"):
        store.path = Path("other.db")  # type: ignore[misc]


# --- the environment --------------------------------------------------------------------------


def test_store_from_env_reads_ticketlog_store() -> None:
    assert ENV_VAR == "TICKETLOG_STORE"
    assert store_from_env({"TICKETLOG_STORE": "memory://"}) == MemoryStore()
    assert store_from_env({"TICKETLOG_STORE": "sqlite:////srv/desk.db"}) == SQLiteStore(
        path=Path("/srv/desk.db")
    )


def test_store_from_env_defaults_to_a_sqlite_file() -> None:
    assert DEFAULT_URL == "sqlite:///ticketlog.db"
    assert store_from_env({}) == SQLiteStore(path=Path("ticketlog.db"))


def test_store_from_env_ignores_other_variables() -> None:
    env = {"PERSISTENCE_MODULE": "eventsourcing.postgres", "SQLITE_DBNAME": "other.db"}
    assert store_from_env(env) == SQLiteStore(path=Path("ticketlog.db"))


def test_store_from_env_reads_the_process_environment_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TICKETLOG_STORE", "postgresql://h/db")
    assert store_from_env() == PostgresStore(host="h", dbname="db")
    monkeypatch.delenv("TICKETLOG_STORE")
    assert store_from_env() == SQLiteStore(path=Path("ticketlog.db"))


def test_a_bad_url_in_the_environment_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        store_from_env({"TICKETLOG_STORE": "redis://localhost"})


def test_resolve_store_takes_settings_urls_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = SQLiteStore(path=Path("x.db"))
    assert resolve_store(settings) is settings
    assert resolve_store("memory://") == MemoryStore()
    monkeypatch.setenv("TICKETLOG_STORE", "memory://")
    assert resolve_store(None) == MemoryStore()


# --- what eventsourcing is told ---------------------------------------------------------------


def test_the_memory_store_selects_eventsourcings_popo_module() -> None:
    assert MemoryStore().eventsourcing_env() == {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def test_the_sqlite_store_selects_eventsourcings_sqlite_module() -> None:
    store = parse_store_url("sqlite:////abs/x.db?lock_timeout=7")
    assert store.eventsourcing_env() == {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": "/abs/x.db",
        "SQLITE_LOCK_TIMEOUT": "7",
        "ORIGINATOR_ID_TYPE": "text",
    }


def test_the_postgres_store_selects_eventsourcings_postgres_module() -> None:
    store = parse_store_url("postgresql://user:pw@host:5433/db?schema=s&pool_size=3")
    assert store.eventsourcing_env() == {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": "db",
        "POSTGRES_HOST": "host",
        "POSTGRES_PORT": "5433",
        "POSTGRES_USER": "user",
        "POSTGRES_PASSWORD": "pw",
        "POSTGRES_POOL_SIZE": "3",
        "POSTGRES_CONNECT_TIMEOUT": "10",
        "CREATE_TABLE": "n",
        "POSTGRES_SCHEMA": "s",
    }


def test_the_postgres_store_without_a_schema_leaves_the_search_path_alone() -> None:
    env = PostgresStore(dbname="db", password=SecretStr("")).eventsourcing_env()
    assert "POSTGRES_SCHEMA" not in env
    assert env["POSTGRES_PASSWORD"] == ""


# --- the desk reads only its settings ---------------------------------------------------------


def test_a_memory_desk_ignores_eventsourcing_variables_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: ManualClock
) -> None:
    stray = tmp_path / "stray.db"
    monkeypatch.chdir(tmp_path)
    for prefix in ("", "TICKETLOG_"):
        monkeypatch.setenv(f"{prefix}PERSISTENCE_MODULE", "eventsourcing.sqlite")
        monkeypatch.setenv(f"{prefix}SQLITE_DBNAME", str(stray))

    with HelpDesk("memory://", clock=clock) as desk:
        agent_id = desk.join_agent("Ann")
        ticket_id = desk.receive(channel="email", customer_id="c")
        desk.assign(ticket_id, agent_id)
        assert isinstance(desk.recorder, POPOApplicationRecorder)
        assert desk.ticket(ticket_id).agent_id == agent_id
        assert sum(1 for _ in desk.read_log()) == 5  # and the AgentStartedHolding

    assert not stray.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_desk_without_settings_reads_ticketlog_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: ManualClock
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TICKETLOG_STORE", "memory://")
    with HelpDesk(clock=clock) as desk:
        assert desk.store == MemoryStore()
        assert isinstance(desk.recorder, POPOApplicationRecorder)
    assert list(tmp_path.iterdir()) == []


def test_a_desk_with_a_bad_url_is_a_configuration_error(clock: ManualClock) -> None:
    with pytest.raises(ConfigurationError):
        HelpDesk("mongodb://localhost/desk", clock=clock)


# --- encryption at rest -----------------------------------------------------------------------

KEY = new_cipher_key()


def test_a_new_cipher_key_is_32_random_bytes_in_base64() -> None:
    assert len(base64.b64decode(KEY, validate=True)) == 32
    assert new_cipher_key() != KEY


def test_a_cipher_key_in_the_url_is_masked_and_turns_on_cipher_and_compression() -> None:
    escaped = KEY.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    store = parse_store_url(f"sqlite:///x.db?cipher={escaped}")
    assert store.url == "sqlite:///x.db?cipher=***"
    assert KEY not in repr(store)
    assert store == parse_store_url(f"sqlite:///x.db?cipher={KEY}")  # "+" read as space
    assert (
        store.eventsourcing_env().items()
        >= {
            "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
            "CIPHER_KEY": KEY,
            "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
        }.items()
    )
    postgres = parse_store_url(f"postgresql://h/db?schema=s&cipher={escaped}")
    assert postgres.url == "postgresql://postgres@h:5432/db?schema=s&cipher=***"


def test_a_store_without_a_key_tells_eventsourcing_nothing_of_ciphers() -> None:
    assert "CIPHER_TOPIC" not in parse_store_url("sqlite:///x.db").eventsourcing_env()


def test_cipher_env_takes_the_key_from_ticketlog_cipher_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(CIPHER_KEY_VAR, KEY)
    assert parse_store_url("memory://?cipher=env") == MemoryStore().with_cipher_key(KEY)
    monkeypatch.delenv(CIPHER_KEY_VAR)
    with pytest.raises(ConfigurationError, match="TICKETLOG_CIPHER_KEY is not set"):
        parse_store_url("memory://?cipher=env")


def test_store_from_env_encrypts_with_ticketlog_cipher_key_unless_the_url_has_a_key() -> None:
    other = new_cipher_key()
    env = {ENV_VAR: "sqlite:///x.db", CIPHER_KEY_VAR: KEY}
    assert store_from_env(env) == SQLiteStore(path=Path("x.db"), cipher_key=SecretStr(KEY))
    env[ENV_VAR] = f"sqlite:///x.db?cipher={other.replace('+', '%2B')}"
    assert store_from_env(env) == SQLiteStore(path=Path("x.db")).with_cipher_key(other)


@pytest.mark.parametrize("key", ["", "not base64!", base64.b64encode(b"short").decode(), "A" * 100])
def test_a_bad_cipher_key_is_a_configuration_error(key: str, clock: ManualClock) -> None:
    with pytest.raises(ConfigurationError, match="base64 of 16, 24 or 32 bytes"):
        parse_store_url(f"memory://?cipher={key}")
    with pytest.raises(ConfigurationError, match="base64 of 16, 24 or 32 bytes"):
        HelpDesk("memory://", clock=clock, cipher_key=key)


def test_an_encrypted_memory_desk_reads_its_own_events(clock: ManualClock) -> None:
    with HelpDesk("memory://", clock=clock, cipher_key=KEY) as desk:
        ticket = desk.receive(channel="email", customer_id="c-1")
        stored = desk.recorder.select_events(ticket)[0].state
        assert b"c-1" not in stored
        assert desk.ticket(ticket).customer_id == "c-1"
