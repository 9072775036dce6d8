"""The SLA escalator as a process: ``ticketlog escalate STORE --config desk.toml``, two of
them at once on one store (SQLite file, PostgreSQL database), stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.e2e.cli_support import SRC, one_line_error, run_cli
from ticketlog import HelpDesk, PostgresStore, SQLiteStore, TicketEscalated

DESK_FILE = """
[escalation]
path = [[1, "general"], [2, "engineering"]]
every = "5m"
"""


def escalator(store_url: str, config: Path) -> subprocess.Popen[str]:
    path = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
    command = ["escalate", store_url, "--config", str(config), "--every", "1s"]
    return subprocess.Popen(
        [sys.executable, "-m", "ticketlog", *command],
        env={**os.environ, "PYTHONPATH": path},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def escalations(store: SQLiteStore | PostgresStore) -> list[TicketEscalated]:
    with HelpDesk(store) as desk:
        return [e for _, e in desk.read_log() if isinstance(e, TicketEscalated)]


def test_two_escalators_escalate_a_breach_once_and_stop_cleanly(
    store: SQLiteStore | PostgresStore, tmp_path: Path
) -> None:
    config = tmp_path / "desk.toml"
    config.write_text(DESK_FILE)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    with HelpDesk(store) as desk:  # urgent: its first reply was due 15 minutes in
        late = desk.receive(channel="chat", customer_id="c", priority="urgent", at=an_hour_ago)
        desk.receive(channel="chat", customer_id="d", priority="low")  # not due for hours
    running = [escalator(store.url, config) for _ in range(2)]
    deadline = time.monotonic() + 30
    while not escalations(store) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2.5)  # both tick again: nothing new to escalate
    for process in running:
        process.send_signal(signal.SIGTERM)
    outcomes = [process.communicate(timeout=20) for process in running]
    assert [process.returncode for process in running] == [0, 0]
    assert all(errors == "" for _, errors in outcomes)
    found = escalations(store)
    assert [(e.originator_id, e.to_tier, e.to_queue, e.breach) for e in found] == [
        (late, 2, "engineering", "first_reply")
    ]
    lines = [line for out, _ in outcomes for line in out.splitlines()]
    assert len(lines) == 1
    assert lines[0].endswith(f"escalated 1: {late}")


def test_an_escalator_needs_a_path_and_an_existing_store(tmp_path: Path) -> None:
    bare = tmp_path / "bare.toml"
    bare.write_text("[sla.default.first_reply]\nurgent = '15m'\n")
    with HelpDesk(SQLiteStore(path=tmp_path / "desk.db")):
        pass
    one_line_error(
        run_cli("escalate", f"sqlite:///{tmp_path}/desk.db", "--config", str(bare)),
        "has no [escalation] table",
    )
    config = tmp_path / "desk.toml"
    config.write_text(DESK_FILE)
    missing = tmp_path / "missing.db"
    one_line_error(run_cli("escalate", f"sqlite:///{missing}", "--config", str(config)), "missing")
    assert not missing.exists()
    one_line_error(
        run_cli(
            "escalate", f"sqlite:///{tmp_path}/desk.db", "--config", str(config), "--every", "0s"
        ),
        "positive",
    )
