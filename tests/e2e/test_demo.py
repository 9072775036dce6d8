"""`make demo`'s script, run as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.e2e.cli_support import run_example
from ticketlog import HelpDesk, SQLiteStore, TicketStatus

SCRIPT = Path(__file__).parents[2] / "examples" / "day_at_the_desk.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_demo_prints_the_escalated_timeline_and_leaves_a_readable_store(tmp_path: Path) -> None:
    db = tmp_path / "day.db"
    result = run("--db", str(db))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(
        "escalated (hierarchical) from tier 1 general to tier 2 engineering" in ln for ln in lines
    )
    assert any("[Chloe] resolved (bug-fixed)" in ln for ln in lines)
    assert any(ln.startswith("  general      2 waiting: normal email shipping") for ln in lines)
    assert any(ln.split()[:5] == ["Ana", "front", "1", "2", "3"] for ln in lines)
    assert any(ln.split()[:2] == ["all", "7"] for ln in lines)
    # Ana: (4.75 + 4.5 + 2.75 + 2.75 + 3.0) / 5 = 3.55, the refund's two reviews pass.
    assert any(ln.split()[:4] == ["Ana", "5", "3.55", "40%"] for ln in lines)
    assert any(ln.split()[:4] == ["Chloe", "1", "4.25", "100%"] for ln in lines)
    assert any("Cohen's kappa 0.33 over 6 scores" in ln for ln in lines)
    with HelpDesk(SQLiteStore(path=db)) as desk:
        events = [event for _, event in desk.read_log()]
        tickets = {e.originator_id for e in events if e.event_type == "TicketReceived"}
        statuses = sorted(desk.ticket(t).status for t in tickets)
    expected = [TicketStatus.CLOSED, TicketStatus.ASSIGNED]
    expected += [TicketStatus.RESOLVED] * 3 + [TicketStatus.WAITING] * 2
    assert statuses == sorted(expected)


def test_the_demo_refuses_to_write_over_an_existing_file(tmp_path: Path) -> None:
    db = tmp_path / "day.db"
    db.write_bytes(b"")
    result = run("--db", str(db))
    assert result.returncode == 2
    assert "exists" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_same_morning_is_served_differently_by_fifo_and_priority() -> None:
    script = SCRIPT.with_name("same_morning_two_policies.py")
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    rows = {
        line.split(":")[0].strip() + ":" + line.split(":")[1].split()[0]: line.split()
        for line in result.stdout.splitlines()
        if line.startswith(("  fifo:", "  priority:"))
    }
    assert rows["fifo:all"][2] == rows["priority:all"][2] == "40"
    urgent_fifo = int(rows["fifo:urgent"][4].rstrip("m"))
    urgent_priority = int(rows["priority:urgent"][4].rstrip("m"))
    assert urgent_priority < urgent_fifo  # priority serves urgent tickets sooner


def test_the_week_is_recorded_shown_replayed_under_four_policies_and_reported(
    tmp_path: Path,
) -> None:
    script = SCRIPT.with_name("week_at_the_desk.py")
    db, report = tmp_path / "week.db", tmp_path / "report"
    result = run_example(script, "--db", str(db), "--report", str(report))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for title in ("Queues at the busiest moment", "Workloads over the week", "The week's KPIs"):
        assert title in out
    lines = out.splitlines()
    title = "Fidelity: the history replayed under its as-recorded baseline"
    fidelity = next(i for i, line in enumerate(lines) if title in line)
    at = next(i for i, line in enumerate(lines) if "easiest-first" in line and "KPI" in line)
    assert fidelity < at  # the fidelity block comes first
    recorded, baseline, error = lines[fidelity + 4].split("│")[2:5]
    assert "wait_mean_min" in lines[fidelity + 4]
    assert recorded == baseline  # the week's own baseline gives its waits back
    assert error.strip() == "+0.0 %"
    header = lines[at]
    assert [name in header for name in ("fifo", "easiest-first", "value", "tiered")] == [True] * 4
    waits = next(line for line in lines[at:] if "wait_mean_min" in line)
    fifo_wait, easiest_wait = (float(cell) for cell in waits.split("│")[2:4])
    assert easiest_wait < fifo_wait  # shortest jobs first cut the mean wait on the same week
    assert (report / "index.html").is_file()
    assert all((report / f"{name}.png").stat().st_size > 0 for name in ("waits", "sla"))
    with HelpDesk(SQLiteStore(path=db)) as desk:
        received = sum(1 for _, e in desk.read_log() if e.event_type == "TicketReceived")
    assert received == 4275  # the scenario's tickets, all stored


def test_the_week_demo_refuses_to_write_over_an_existing_file(tmp_path: Path) -> None:
    db = tmp_path / "week.db"
    db.write_bytes(b"")
    script = SCRIPT.with_name("week_at_the_desk.py")
    result = subprocess.run(
        [sys.executable, str(script), "--db", str(db), "--report", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "exists" in result.stderr
    assert not (tmp_path / "r").exists()
