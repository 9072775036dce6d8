"""Encryption at rest on real stores: no customer data in the files or rows, the right key
reads everything back, a wrong or missing key is a clear error, SQLite files owner-only.

Every test but the environment and file-mode ones runs on an SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import stat
from uuid import UUID

import pytest

from ticketlog import HelpDesk, ManualClock, PostgresStore, SQLiteStore
from ticketlog.persistence import new_cipher_key, store_from_env
from ticketlog.persistence.encryption import WrongCipherKey
from ticketlog.projections import DeskView

Store = SQLiteStore | PostgresStore

KEY = new_cipher_key()
SECRETS = (b"cust-4f9a-private", b"my card was charged twice", b"thanks, Ann was great")
"""The customer id, the subject and the rating comment written below."""


def write_some(desk: HelpDesk, clock: ManualClock) -> UUID:
    """One ticket carrying :data:`SECRETS`, resolved and rated; a checkpointed follower."""
    ann = desk.join_agent("Ann", agent_id=UUID(int=1))
    ticket = desk.receive(
        channel="email", customer_id=SECRETS[0].decode(), subject=SECRETS[1].decode()
    )
    clock.advance(minutes=3)
    desk.assign(ticket, ann)
    desk.resolve(ticket, ann)
    desk.rate(ticket, csat=5, comment=SECRETS[2].decode())
    desk.follow(DeskView, name="ops").catch_up()
    return ticket


def raw(store: Store) -> bytes:
    """Every byte the store keeps: the SQLite files, or every column of every row."""
    if isinstance(store, SQLiteStore):
        files = sorted(store.path.parent.glob(f"{store.path.name}*"))
        return b"".join(path.read_bytes() for path in files)
    from ticketlog.persistence.postgres import connect  # noqa: PLC0415 - the postgres extra

    chunks: list[bytes] = []
    with connect(store) as db:
        for table in ("ticketlog_events", "ticketlog_checkpoints"):
            for values in db.execute(f"SELECT * FROM {table}").fetchall():  # noqa: S608 - ours
                chunks.extend(v if isinstance(v, bytes) else str(v).encode() for v in values)
    return b"".join(chunks)


def found(secrets: tuple[bytes, ...], data: bytes) -> list[bytes]:
    """The secrets that appear in ``data``, as text or as hexadecimal."""
    return [s for s in secrets if s in data or s.hex().encode() in data]


def test_without_a_key_the_customer_data_is_in_clear(store: Store, clock: ManualClock) -> None:
    """The control: the search below does find the data when nothing is encrypted."""
    with HelpDesk(store, clock=clock) as desk:
        write_some(desk, clock)
    assert found(SECRETS, raw(store)) == list(SECRETS)


def test_an_encrypted_store_keeps_no_customer_data_in_clear(
    store: Store, clock: ManualClock
) -> None:
    with HelpDesk(store, clock=clock, cipher_key=KEY) as desk:
        ticket = write_some(desk, clock)
        assert desk.ticket(ticket).customer_id == SECRETS[0].decode()
    assert found(SECRETS, raw(store)) == []
    assert found((b"ops",), raw(store)) == [b"ops"]  # the checkpoint row is there


def test_the_right_key_reads_events_and_checkpoints_back(store: Store, clock: ManualClock) -> None:
    with HelpDesk(store, clock=clock, cipher_key=KEY) as desk:
        ticket = write_some(desk, clock)
        end = max(position for position, _ in desk.read_log())
    with HelpDesk(store.with_cipher_key(KEY), clock=clock) as desk:
        assert desk.ticket(ticket).customer_id == SECRETS[0].decode()
        resumed = desk.follow(DeskView, name="ops")
        assert (resumed.discarded, resumed.position) == (None, end)
        assert resumed.projection == desk.view()
        assert desk.health().ok


def test_a_wrong_key_or_none_is_a_clear_error_and_writes_nothing(
    store: Store, clock: ManualClock
) -> None:
    with HelpDesk(store, clock=clock, cipher_key=KEY) as desk:
        write_some(desk, clock)
    before = raw(store) if isinstance(store, PostgresStore) else None

    with pytest.raises(WrongCipherKey, match="does not decrypt"):
        HelpDesk(store, clock=clock, cipher_key=new_cipher_key())
    with pytest.raises(WrongCipherKey, match="is encrypted"):
        HelpDesk(store, clock=clock)
    if before is not None:
        assert raw(store) == before


def test_a_key_for_a_store_written_in_clear_is_a_clear_error(
    store: Store, clock: ManualClock
) -> None:
    with HelpDesk(store, clock=clock) as desk:
        write_some(desk, clock)
    with pytest.raises(WrongCipherKey, match="or a store written without encryption"):
        HelpDesk(store, clock=clock, cipher_key=KEY)


def test_the_key_can_come_from_the_environment(
    sqlite_store: SQLiteStore, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETLOG_CIPHER_KEY", KEY)
    monkeypatch.setenv("TICKETLOG_STORE", sqlite_store.url)
    assert store_from_env() == sqlite_store.with_cipher_key(KEY)
    with HelpDesk(clock=clock) as desk:
        ticket = write_some(desk, clock)
    with HelpDesk(f"{sqlite_store.url}?cipher=env", clock=clock) as desk:
        assert desk.ticket(ticket).customer_id == SECRETS[0].decode()
    assert found(SECRETS, raw(sqlite_store)) == []


def test_sqlite_files_are_created_owner_only(sqlite_store: SQLiteStore, clock: ManualClock) -> None:
    with HelpDesk(sqlite_store, clock=clock) as desk:
        write_some(desk, clock)
        files = sorted(sqlite_store.path.parent.glob(f"{sqlite_store.path.name}*"))
        assert [path.name for path in files] == ["desk.db", "desk.db-shm", "desk.db-wal"]
        modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in files}
    assert modes == dict.fromkeys(modes, 0o600)
