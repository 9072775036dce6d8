"""An import killed midway (kill -9) loses nothing committed, leaves no half case, and resumes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from ticketlog import HelpDesk
from ticketlog.imports import import_file, preset, ticket_id
from ticketlog.imports.synthetic import write_status_log

CASES = 4000
IMPORT = (
    "import sys\n"
    "from ticketlog import HelpDesk\n"
    "from ticketlog.imports import import_file, importer, preset\n"
    "importer.SQLITE_BATCH_EVENTS = 2000  # many batches in each share\n"
    "with HelpDesk(sys.argv[2]) as desk:\n"
    "    import_file(desk, sys.argv[1], preset('status-log'), workers=int(sys.argv[3]))\n"
)


def stored(path: Path) -> Counter[str]:
    """Events per aggregate in an SQLite store, read with sqlite3 directly."""
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT originator_id FROM stored_events").fetchall()
    return Counter(originator for (originator,) in rows)


def count_rows(path: Path) -> int:
    try:
        with sqlite3.connect(path, timeout=0.1) as connection:
            return int(connection.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # no table yet


def running(marker: str) -> list[int]:
    """The processes whose command line holds ``marker`` (a forked worker keeps its
    leader's)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if marker.encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
        except OSError:
            continue  # ended meanwhile
    return found


def gone(marker: str, *, limit: float = 30) -> bool:
    """Whether every process of ``marker`` ends within ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while running(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not running(marker)


def settled(path: Path, *, quiet: float = 1.0, limit: float = 30) -> int:
    """The store's event count once it has stopped growing for ``quiet`` seconds."""
    deadline = time.monotonic() + limit
    count, since = count_rows(path), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.05)
        now = count_rows(path)
        if now != count:
            count, since = now, time.monotonic()
    return count


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_a_killed_import_leaves_whole_cases_and_a_rerun_completes_it(
    tmp_path: Path, workers: int
) -> None:
    log = tmp_path / "incidents.csv"
    write_status_log(log, CASES, seed=11)
    whole, killed = tmp_path / "whole.db", tmp_path / "killed.db"
    with HelpDesk(f"sqlite:///{whole}") as desk:
        import_file(desk, log, preset("status-log"))
    complete = stored(whole)

    process = subprocess.Popen(
        [sys.executable, "-c", IMPORT, str(log), f"sqlite:///{killed}", str(workers)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    deadline = time.monotonic() + 120
    while count_rows(killed) < 6000 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()

    assert gone(str(killed)), "a killed import's workers should stop"
    written = settled(killed)
    partial = stored(killed)
    assert written == sum(partial.values())
    assert 6000 <= written < sum(complete.values()), "the kill should land midway"
    tickets = {ticket_id("status-log", f"INC{n:07d}").hex for n in range(1, CASES + 1)}
    assert all(partial[ticket] == complete[ticket] for ticket in tickets & set(partial))
    last = {ticket_id("status-log", f"INC{n:07d}").hex for n in range(CASES - 500, CASES + 1)}
    assert last - set(partial), "the last cases (a worker's, with two) should be missing"

    with HelpDesk(f"sqlite:///{killed}") as desk:
        report = import_file(desk, log, preset("status-log"))

    assert stored(killed) == complete
    assert report.cases_skipped > 0
    assert report.cases_written + report.cases_skipped == CASES
