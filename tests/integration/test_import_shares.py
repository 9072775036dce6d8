"""Imports shared among processes store what one process stores, and fail as one import."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from uuid import UUID

import pytest

from tests.integration.test_encryption import KEY
from tests.integration.test_import_resume import gone
from ticketlog import HelpDesk, MemoryStore, PostgresStore, SQLiteStore
from ticketlog.domain.events import DomainEvent
from ticketlog.imports import ImportReport, import_file, preset
from ticketlog.imports.interpret import Spells
from ticketlog.imports.shares import ImportWorkerFailed, Link, Share, ShareResult, in_shares
from ticketlog.imports.spans import csv_spans
from ticketlog.imports.synthetic import write_status_log

EXAMPLE = Path(__file__).parents[2] / "examples" / "imports" / "status-log.csv"


def messy_log(path: Path, *, time_order: bool = False) -> Path:
    """A synthetic log with the example file's messy cases (and malformed rows) inside."""
    write_status_log(path, 400, seed=7, time_order=time_order)
    with EXAMPLE.open(newline="", encoding="utf-8") as example:
        messy = list(csv.reader(example))[1:]
    with path.open(newline="", encoding="utf-8") as written:
        rows = list(csv.reader(written))
    header, body = rows[0], rows[1:]
    for index, extra in enumerate(messy):
        body.insert(index * 37 % len(body), extra)
    with path.open("w", newline="", encoding="utf-8") as rewritten:
        csv.writer(rewritten).writerows([header, *body])
    return path


def streams(desk: HelpDesk) -> dict[UUID, list[DomainEvent]]:
    """The store's events by stream (shares interleave their batches in the log)."""
    found: dict[UUID, list[DomainEvent]] = defaultdict(list)
    for _, event in desk.read_log():
        found[event.originator_id].append(event)
    return dict(found)


def alone(log: Path) -> tuple[ImportReport, dict[UUID, list[DomainEvent]]]:
    """The import by one process, into memory."""
    with HelpDesk(MemoryStore()) as desk:
        return import_file(desk, log, preset("status-log")), streams(desk)


def same_but_workers(shared: ImportReport, single: ImportReport) -> bool:
    """Whether two reports agree on everything but how many processes imported."""
    return {**shared.to_json(), "workers": 1} == single.to_json()


@pytest.mark.slow
@pytest.mark.parametrize("time_order", [False, True], ids=["grouped by case", "in time order"])
def test_an_import_shared_among_processes_stores_and_reports_what_one_process_does(
    store: SQLiteStore | PostgresStore, tmp_path: Path, *, time_order: bool
) -> None:
    log = messy_log(tmp_path / "log.csv", time_order=time_order)
    single, expected = alone(log)

    with HelpDesk(store) as desk:
        shared = import_file(desk, log, preset("status-log"), workers=3)
        again = import_file(desk, log, preset("status-log"), workers=2)
        stored = streams(desk)

    assert shared.workers == 3
    assert single.count("malformed row: no case id in column 'case_id'") == 1
    assert same_but_workers(shared, single)
    assert stored == expected
    assert (again.cases_written, again.cases_skipped) == (0, single.cases)


@pytest.mark.slow
def test_a_shared_import_into_an_encrypted_store_gives_its_workers_the_key(
    sqlite_store: SQLiteStore, tmp_path: Path
) -> None:
    log = messy_log(tmp_path / "log.csv")
    _, expected = alone(log)

    with HelpDesk(sqlite_store, cipher_key=KEY) as desk:
        import_file(desk, log, preset("status-log"), workers=2)

    with HelpDesk(sqlite_store.with_cipher_key(KEY)) as reader:
        assert streams(reader) == expected


@pytest.mark.slow
def test_a_worker_that_dies_fails_the_import_with_its_exit_code(sqlite_store: SQLiteStore) -> None:
    def run(_desk: HelpDesk, share: Share, _link: Link, _progress: object) -> ShareResult:
        if share.index == 1:
            os._exit(3)
        return ImportReport(source="test"), {}

    with HelpDesk(sqlite_store) as desk, pytest.raises(ImportWorkerFailed, match="exit code 3"):
        in_shares(desk, [Share(i, 2) for i in range(2)], run, None)


class Refused(ValueError):
    """What a worker's run raises, to be raised by the importing process."""


@pytest.mark.slow
def test_a_workers_error_is_raised_by_the_import(sqlite_store: SQLiteStore) -> None:
    def run(_desk: HelpDesk, share: Share, _link: Link, _progress: object) -> ShareResult:
        if share.index == 2:
            msg = "share 2 refused"
            raise Refused(msg)
        return ImportReport(source="test"), {}

    with HelpDesk(sqlite_store) as desk, pytest.raises(Refused, match="share 2 refused"):
        in_shares(desk, [Share(i, 3) for i in range(3)], run, None)


@pytest.mark.slow
def test_shares_merge_their_reports_and_holdings(
    sqlite_store: SQLiteStore,
) -> None:
    def run(_desk: HelpDesk, share: Share, _link: Link, _progress: object) -> ShareResult:
        report = ImportReport(source="test", rows=10, cases=share.index + 1)
        report.note("odd", f"case {share.index}")
        held = Spells()
        held.starts.append(float(share.index))
        held.ends.append(10.0)
        return report, {"Ann": held}

    with HelpDesk(sqlite_store) as desk:
        report, spells = in_shares(desk, [Share(i, 3) for i in range(3)], run, None)

    assert (report.rows, report.cases, report.count("odd")) == (30, 1 + 2 + 3, 3)
    assert report.anomalies["odd"].examples == ["case 0", "case 1", "case 2"]
    assert spells["Ann"].most_at_once() == 3


@pytest.mark.slow
def test_a_workers_error_that_does_not_pickle_is_raised_with_what_it_says(
    sqlite_store: SQLiteStore,
) -> None:
    class Local(ValueError):
        """Defined in the test: pickle cannot find it by name."""

    def run(_desk: HelpDesk, share: Share, _link: Link, _progress: object) -> ShareResult:
        if share.index == 1:
            msg = "share 1 refused"
            raise Local(msg)
        return ImportReport(source="test"), {}

    with (
        HelpDesk(sqlite_store) as desk,
        pytest.raises(ImportWorkerFailed, match="Local: share 1 refused"),
    ):
        in_shares(desk, [Share(i, 2) for i in range(2)], run, None)


LEADER_DIES = """
import os, signal, sys
from ticketlog import HelpDesk
from ticketlog.imports.shares import Share, in_shares

def run(desk, share, link, progress):
    if share.index == 0:
        os.kill(os.getpid(), signal.SIGKILL)  # the leader dies before telling anything
    link.told()  # the worker waits for the leader's plan
    raise AssertionError("told by a dead leader")

with HelpDesk(sys.argv[1]) as desk:
    in_shares(desk, [Share(0, 2), Share(1, 2)], run, None)
"""


@pytest.mark.slow
def test_a_worker_waiting_for_a_leader_that_died_stops(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'orphaned.db'}"
    leader = subprocess.run(
        [sys.executable, "-c", LEADER_DIES, store],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        check=False,
        timeout=60,
    )

    assert leader.returncode == -signal.SIGKILL
    assert gone(store), "the worker should see its leader's end of the pipe close"


@pytest.mark.slow
def test_a_file_that_cannot_be_cut_is_shared_by_case_and_stores_the_same(
    store: SQLiteStore | PostgresStore, tmp_path: Path
) -> None:
    log = messy_log(tmp_path / "log.csv", time_order=True)
    single, expected = alone(log)
    wide = tmp_path / "log-utf16.csv"  # a newline is two bytes: no spans
    wide.write_text(log.read_text(encoding="utf-8"), encoding="utf-16")
    mapping = preset("status-log").model_copy(update={"encoding": "utf-16"})
    assert csv_spans(wide, mapping, [0.5]) is None

    with HelpDesk(store) as desk:
        shared = import_file(desk, wide, mapping, workers=2)
        stored = streams(desk)

    assert same_but_workers(shared, single)
    assert stored == expected
