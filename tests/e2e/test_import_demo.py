"""`make demo`'s import of a history, run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ticketlog import HelpDesk
from ticketlog.imports import ticket_id

SCRIPT = Path(__file__).parents[2] / "examples" / "import_a_history.py"


def test_the_import_demo_reports_reads_back_and_adds_nothing_twice(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--cases", "200", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "120"},
    )

    assert result.returncode == 0, result.stderr
    assert "200 cases" in result.stdout
    assert "same person accepted again" in result.stdout
    assert "tier 3" in result.stdout
    assert "Imported again: 0 cases written, 200 already there." in result.stdout
    with HelpDesk(f"sqlite:///{db}") as desk:
        assert desk.ticket(ticket_id("status-log", "INC0000003")).source_id == "INC0000003"
