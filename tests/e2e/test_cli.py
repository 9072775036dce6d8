"""The ``ticketlog`` command, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.cli_support import one_line_error, run_cli
from tests.unit.test_statistics import busy
from ticketlog import HelpDesk
from ticketlog.imports.synthetic import write_status_log
from ticketlog.policies import fifo
from ticketlog.simulation import (
    SimulationResult,
    draw_arrivals,
    simulate,
)

SCENARIO = """
tickets = 600
arrivals_per_hour = 24
[handle_time]
kind = "exponential"
mean_minutes = 4
[priorities]
urgent = 1
normal = 3
[[agents]]
count = 2
"""


def ticketlog(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=300)


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "desk.toml"
    path.write_text(SCENARIO)
    return path


def test_compare_prints_every_policy_side_by_side_as_json(scenario: Path) -> None:
    args = ["compare", str(scenario), "--policy", "fifo", "--policy", "priority"]
    result = ticketlog(*args, "--replications", "3", "--seed", "4", "--json")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert (figures["replications"], figures["seed"]) == (3, 4)
    assert set(figures["policies"]) == {"fifo", "priority"}
    for kpis in figures["policies"].values():
        assert kpis["resolved"] == {"mean": 600.0, "half_width": 0.0}
        assert kpis["wait_mean_min"]["half_width"] > 0
    again = ticketlog(*args, "--replications", "3", "--seed", "4", "--json")
    assert json.loads(again.stdout) == figures  # same seed, same numbers


def test_simulate_prints_a_table_by_default(scenario: Path) -> None:
    result = ticketlog("simulate", str(scenario), "--policy", "sla", "--seed", "1")
    assert result.returncode == 0, result.stderr
    assert "sla, seed 1" in result.stdout
    assert "wait_mean_min" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulate", "missing.toml"], "cannot read scenario"),
        (["compare", "SCENARIO", "--policy", "round-robin"], "router, not a pull policy"),
        (["simulate", "SCENARIO", "--policy", "nope"], "unknown policy 'nope'"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_status_2(
    scenario: Path, args: list[str], message: str
) -> None:
    one_line_error(ticketlog(*[str(scenario) if a == "SCENARIO" else a for a in args]), message)


def recorded_store(tmp_path: Path) -> tuple[str, SimulationResult]:
    """A store holding a simulated history, and the run that made it."""
    scenario = busy(300)
    history = simulate(scenario, draw_arrivals(scenario, seed=3), fifo())
    url = f"sqlite:///{tmp_path / 'history.db'}"
    with HelpDesk(url) as desk:
        desk.save(*history.events)
    return url, history


def test_compare_replays_a_recorded_history_from_a_store(tmp_path: Path) -> None:
    url, history = recorded_store(tmp_path)
    result = ticketlog("compare", url, "--policy", "fifo", "--policy", "priority", "--json")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["replications"] == 1
    replayed_fifo = figures["policies"]["fifo"]["wait_mean_min"]["mean"]
    recorded = history.kpis().wait.mean
    assert recorded is not None
    assert replayed_fifo == pytest.approx(recorded.total_seconds() / 60)


def test_a_store_replay_says_why_it_has_no_interval_and_refuses_draws(tmp_path: Path) -> None:
    url, _ = recorded_store(tmp_path)
    table = ticketlog("compare", url, "--policy", "fifo")
    assert table.returncode == 0, table.stderr
    text = " ".join(table.stdout.split())
    assert "the recorded history, replayed once per policy" in text
    assert "No interval: a replay is one run per policy; batches give intervals." in text
    figures = json.loads(ticketlog("compare", url, "--policy", "fifo", "--json").stdout)
    assert figures["seed"] is None
    one_line_error(
        ticketlog("compare", url, "--policy", "fifo", "--replications", "3"),
        "replications must be 1, not 3; for intervals use batches",
    )
    one_line_error(ticketlog("compare", url, "--policy", "fifo", "--seed", "4"), "a seed means")


WARNING = "warning: the as-recorded baseline is off on "


def test_a_store_replay_leads_with_its_fidelity_block(tmp_path: Path) -> None:
    url, _ = recorded_store(tmp_path)
    result = ticketlog("compare", url, "--policy", "fifo", "--json")
    assert result.returncode == 0, result.stderr
    assert "NaN" not in result.stdout
    figures = json.loads(result.stdout)
    assert next(iter(figures)) == "fidelity"
    fidelity = figures["fidelity"]
    assert fidelity["off"] == []
    for kpi in ("wait_mean_min", "resolution_mean_min", "backlog_mean"):
        assert fidelity["kpis"][kpi]["relative_error_pct"] == pytest.approx(0.0)
    assert WARNING not in result.stderr  # the desk's own history is given back
    table = ticketlog("compare", url, "--policy", "fifo")
    text = " ".join(table.stdout.split())
    assert text.index("Fidelity: the history replayed under its as-recorded baseline") < (
        text.index("the recorded history, replayed once per policy")
    )


def test_compare_warns_in_one_line_per_kpi_the_baseline_misses(tmp_path: Path) -> None:
    log, store = tmp_path / "incidents.csv", f"sqlite:///{tmp_path / 'it.db'}"
    write_status_log(log, 300, seed=2)
    imported = ticketlog("import", str(log), "--preset", "status-log", "--store", store)
    assert imported.returncode == 0, imported.stderr
    offs: dict[str, list[str]] = {}
    for threshold in ("10", "200"):
        args = ["compare", store, "--policy", "fifo", "--fidelity-threshold", threshold]
        result = ticketlog(*args, "--json")
        assert result.returncode == 0, result.stderr
        fidelity = json.loads(result.stdout)["fidelity"]
        warnings = [line for line in result.stderr.splitlines() if line.startswith(WARNING)]
        assert [line.removeprefix(WARNING).split(":")[0] for line in warnings] == fidelity["off"]
        assert all(line.endswith(f"threshold {threshold} %)") for line in warnings)
        for kpi in fidelity["off"]:
            error = fidelity["kpis"][kpi]["relative_error_pct"]
            assert error is None or abs(error) > float(threshold)
        offs[threshold] = fidelity["off"]
    assert "wait_mean_min" in offs["10"]  # the replay misses this history's waits: it says so
    assert 0 < len(offs["200"]) < len(offs["10"])


def test_compare_on_an_empty_store_is_one_clear_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    HelpDesk(url).close()
    result = ticketlog("compare", url, "--policy", "fifo")
    assert result.returncode == 2
    assert "nothing to replay" in result.stderr
    assert "Traceback" not in result.stderr


def test_compare_on_a_missing_store_is_one_clear_error_and_creates_nothing(
    tmp_path: Path,
) -> None:
    result = ticketlog("compare", f"sqlite:///{tmp_path / 'missing.db'}", "--policy", "fifo")
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_simulate_writes_its_history_to_an_empty_store_and_refuses_a_used_one(
    scenario: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'sim.db'}"
    first = ticketlog("simulate", str(scenario), "--store", url, "--seed", "2", "--json")
    assert first.returncode == 0, first.stderr
    with HelpDesk(url) as desk:
        stored = len(list(desk.read_log()))
        received = sum(1 for _, e in desk.read_log() if e.event_type == "TicketReceived")
    assert received == 600  # the scenario's tickets
    again = ticketlog("simulate", str(scenario), "--store", url, "--json")
    assert again.returncode == 2
    assert "already holds events" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
    with HelpDesk(url) as desk:
        assert len(list(desk.read_log())) == stored  # nothing written


def test_simulate_and_compare_write_a_report(scenario: Path, tmp_path: Path) -> None:
    report = tmp_path / "report"
    result = ticketlog(
        "compare", str(scenario), "--policy", "fifo", "--policy", "sla",
        "--replications", "2", "--report", str(report),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    page = (report / "index.html").read_text()
    assert "fifo" in page
    assert "sla" in page
    assert (report / "segments.png").stat().st_size > 0
