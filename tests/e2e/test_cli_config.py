"""`--config desk.toml`: the command line configured as the Python of the README is."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli_support import one_line_error, run_cli, run_example
from ticketlog import HelpDesk, SQLiteStore

EXAMPLES = Path(__file__).parents[2] / "examples"
DESK = EXAMPLES / "desk.toml"
POLICIES = ("fifo", "easiest-first", "value", "tiered")


@pytest.fixture(scope="module")
def demo_week(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    """The demo week's store (as `make demo` writes it) and the comparison the demo
    computes in Python and the README quotes, as JSON."""
    folder = tmp_path_factory.mktemp("week")
    db, comparison = folder / "week.db", folder / "week.json"
    script = EXAMPLES / "week_at_the_desk.py"
    args = ["--db", str(db), "--report", str(folder / "report"), "--json", str(comparison)]
    result = run_example(script, *args)
    assert result.returncode == 0, result.stderr
    return f"sqlite:///{db}", json.loads(comparison.read_text())


def _compare(store: str, *options: str) -> subprocess.CompletedProcess[str]:
    policies = [arg for name in POLICIES for arg in ("--policy", name)]
    return run_cli("compare", store, *policies, *options, "--json", timeout=300)


def test_compare_with_the_demos_configuration_gives_the_readmes_figures(
    demo_week: tuple[str, dict[str, Any]],
) -> None:
    store, in_python = demo_week
    result = _compare(store, "--config", str(DESK))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == in_python
    fifo, easiest = (in_python["policies"][name] for name in ("fifo", "easiest-first"))
    # The README's finding: shortest jobs first cut the mean wait of the same week.
    assert easiest["wait_mean_min"]["mean"] < fifo["wait_mean_min"]["mean"]
    assert fifo["escalation_rate"]["mean"] > 0  # the desk's escalator was replayed


def test_without_the_configuration_compare_replays_another_desk(
    demo_week: tuple[str, dict[str, Any]],
) -> None:
    store, in_python = demo_week
    result = _compare(store)
    assert result.returncode == 0, result.stderr
    policies = json.loads(result.stdout)["policies"]
    escalated = policies["fifo"]["escalation_rate"]["mean"]
    assert escalated < in_python["policies"]["fifo"]["escalation_rate"]["mean"]  # no escalator
    assert policies["value"] != in_python["policies"]["value"]  # plans ignored


def test_kpis_judge_sla_attainment_by_the_files_targets(
    demo_week: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    store, _ = demo_week
    strict = tmp_path / "strict.toml"
    strict.write_text(
        '[sla.default.first_reply]\nurgent = "1m"\nhigh = "1m"\nnormal = "1m"\nlow = "1m"\n'
    )
    attainment = {}
    for name, options in (("default", []), ("demo", ["--config", str(DESK)])):
        result = run_cli("kpis", store, *options, "--json")
        assert result.returncode == 0, result.stderr
        attainment[name] = json.loads(result.stdout)["groups"][0]["kpis"]["sla_first_reply"]
    result = run_cli("kpis", store, "--config", str(strict), "--json")
    assert result.returncode == 0, result.stderr
    strictly = json.loads(result.stdout)["groups"][0]["kpis"]["sla_first_reply"]
    assert attainment["demo"] == attainment["default"]  # the demo's file: default targets
    assert strictly < attainment["default"]  # a stricter target is met less often


def test_queue_shows_deadlines_by_the_files_targets(tmp_path: Path) -> None:
    received = datetime(2026, 11, 23, 9, tzinfo=UTC)
    with HelpDesk(SQLiteStore(path=tmp_path / "desk.db")) as desk:
        desk.receive(channel="email", customer_id="c", priority="urgent", at=received)
    desk_file = tmp_path / "desk.toml"
    desk_file.write_text('[sla.default.first_reply]\nurgent = "10m"\n')
    store = f"sqlite:///{tmp_path / 'desk.db'}"
    dues = []
    for options in ([], ["--config", str(desk_file)]):
        result = run_cli("queue", store, *options, "--json")
        assert result.returncode == 0, result.stderr
        (ticket,) = json.loads(result.stdout)["tickets"]
        dues.append(datetime.fromisoformat(ticket["due"]))
    assert dues == [received + timedelta(minutes=15), received + timedelta(minutes=10)]


def test_simulate_takes_the_files_escalator_and_policy_options(tmp_path: Path) -> None:
    scenario = tmp_path / "desk.scenario.toml"
    scenario.write_text(
        "tickets = 300\narrivals_per_hour = 60\nfirst_time_share = 0.3\n"
        '[handle_time]\nkind = "exponential"\nmean_minutes = 6\n'
        "[[agents]]\ncount = 3\n"
        '[[agents]]\ncount = 1\ntier = 2\nteam = "experts"\n'
        "[priorities]\nurgent = 1\n"
    )
    desk_file = tmp_path / "desk.toml"
    desk_file.write_text(
        '[escalation]\npath = [[1, "general"], [2, "experts"]]\nevery = "1m"\n'
        "[policies.value]\nfirst_time_boost = 10\n"
    )
    refused = run_cli("simulate", str(scenario), "--policy", "value", "--json")
    one_line_error(refused, "value")  # by name, value has nothing to rank these tickets by
    result = run_cli(
        "simulate", str(scenario), "--policy", "value", "--config", str(desk_file), "--json"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["kpis"]["escalation_rate"] > 0


def _forecast(store: str, *options: str) -> dict[str, Any]:
    at = ["--at", "2026-01-06T10:00", "--hours", "2", "--json"]
    result = run_cli("forecast", store, *at, *options)
    assert result.returncode == 0, result.stderr
    policies: dict[str, Any] = json.loads(result.stdout)["policies"]
    return policies


def test_forecast_takes_the_files_policy_options(demo_week: tuple[str, dict[str, Any]]) -> None:
    store, _ = demo_week
    scenario = ["--scenario", str(EXAMPLES / "scenarios" / "mid_sized_desk.toml")]
    policies = ["--policy", "value", "--policy", "fifo"]
    by_name = _forecast(store, *policies, *scenario)
    configured = _forecast(store, *policies, *scenario, "--config", str(DESK))
    assert configured["fifo"] == by_name["fifo"]
    assert configured["value"] != by_name["value"]  # ranked by the file's plan values


def test_forecast_takes_the_files_escalator(demo_week: tuple[str, dict[str, Any]]) -> None:
    store, _ = demo_week
    without = _forecast(store, "--policy", "fifo")["fifo"]["escalation_rate"]
    configured = _forecast(store, "--policy", "fifo", "--config", str(DESK))["fifo"]
    assert configured["escalation_rate"] > without  # the backlog's breaches escalate


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[policies.value]\nplanz = 1\n", "policies.value.planz (line 2): policy 'value' has no"),
        ('[escalation]\npath = [[1, "general"]]\nevery = "soon"\n', "escalation.every (line 3)"),
        ("[escalation\n", "is not valid TOML"),
    ],
)
def test_a_bad_configuration_is_one_line_and_exit_status_2(
    tmp_path: Path, text: str, message: str
) -> None:
    desk_file = tmp_path / "desk.toml"
    desk_file.write_text(text)
    scenario = EXAMPLES / "scenarios" / "mid_sized_desk.toml"
    result = run_cli("compare", str(scenario), "--policy", "fifo", "--config", str(desk_file))
    one_line_error(result, message)


def test_compare_judges_its_runs_by_the_files_sla_targets(tmp_path: Path) -> None:
    strict = tmp_path / "strict.toml"
    strict.write_text(
        '[sla.default.first_reply]\nurgent = "1m"\nhigh = "1m"\nnormal = "1m"\nlow = "1m"\n'
    )
    scenario = str(EXAMPLES / "scenarios" / "mid_sized_desk.toml")
    args = ["compare", scenario, "--policy", "fifo", "--replications", "1", "--json"]
    by_default = json.loads(run_cli(*args).stdout)["policies"]["fifo"]
    result = run_cli(*args, "--config", str(strict))
    assert result.returncode == 0, result.stderr
    judged = json.loads(result.stdout)["policies"]["fifo"]
    assert judged["sla_first_reply"]["mean"] < by_default["sla_first_reply"]["mean"]
    # The scenario's SLA escalator acts on the same targets: more tickets miss, more escalate.
    assert judged["escalation_rate"]["mean"] > by_default["escalation_rate"]["mean"]


def test_a_missing_configuration_file_is_one_line(tmp_path: Path) -> None:
    result = run_cli("kpis", "sqlite:///nowhere.db", "--config", str(tmp_path / "no.toml"))
    one_line_error(result, "cannot read desk configuration")
