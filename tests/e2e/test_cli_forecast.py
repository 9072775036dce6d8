"""``ticketlog forecast``: a recorded desk's next hours under several policies, from the shell."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli_support import one_line_error, run_cli
from tests.e2e.test_cli_store import json_of
from tests.unit.test_forecast import record_nine_am
from ticketlog import HelpDesk

SCENARIO = """
tickets = 1
arrivals_per_hour = 6
handle_time = { kind = "exponential", mean_minutes = 20 }
priorities = { urgent = 1, normal = 3 }

[[agents]]
count = 1
team = "evening"
shift = { start_hour = 10, hours = 4, days = [0, 1, 2, 3, 4, 5, 6] }
"""
"""Six tickets an hour; the evening team works 10:00 to 14:00 (its agents are the store's)."""


@pytest.fixture
def store(tmp_path: Path) -> str:
    """A desk at 9 am (see ``record_nine_am``): two tickets held, three waiting."""
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    with HelpDesk(url) as desk:
        record_nine_am(desk)
    return url


@pytest.fixture
def scenario(tmp_path: Path) -> str:
    path = tmp_path / "afternoon.toml"
    path.write_text(SCENARIO)
    return str(path)


def test_forecast_prints_each_policys_kpis_side_by_side(store: str, scenario: str) -> None:
    result = run_cli(
        "forecast", store, "--hours", "3", "--policy", "fifo", "--policy", "priority",
        "--scenario", scenario, "--at", "2026-11-24T09:00",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    title = " ".join(result.stdout.split())
    assert "forecast from 2026-11-24T09:00:00+00:00: 5 open" in title
    assert "in 3 h, seed 0" in title
    header = next(line for line in result.stdout.splitlines() if "fifo" in line)
    assert "priority" in header


def test_forecast_json_starts_at_the_stores_end_and_is_the_same_for_the_same_seed(
    store: str, scenario: str
) -> None:
    args = ("forecast", store, "--policy", "fifo", "--policy", "sla", "--scenario", scenario)
    data = json_of(run_cli(*args, "--json", "--seed", "4"))
    assert data["at"] == "2026-11-24T08:55:00+00:00"  # the urgent ticket's receipt, last event
    assert data["hours"] == 8
    assert data["backlog"] == 5
    assert 20 <= data["arrivals"] <= 80  # six an hour for eight hours
    assert set(data["policies"]) == {"fifo", "sla"}
    for kpis in data["policies"].values():
        assert kpis["resolved"] == data["backlog"] + data["arrivals"]
        assert kpis["wait"]["mean"] is not None
    assert json_of(run_cli(*args, "--json", "--seed", "4")) == data
    assert json_of(run_cli(*args, "--json", "--seed", "5")) != data  # other tickets arrive


def test_forecast_without_a_scenario_serves_the_backlog_only(store: str) -> None:
    data = json_of(run_cli("forecast", store, "--policy", "fifo", "--json"))
    assert data["arrivals"] == 0
    assert data["policies"]["fifo"]["resolved"] == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--policy", "no-such-policy"], "no-such-policy"),
        (["--policy", "fifo", "--at", "tomorrow"], "--at 'tomorrow' is not an ISO date"),
        (["--policy", "fifo", "--hours", "0"], "positive number of hours"),
        (["--policy", "fifo", "--scenario", "missing.toml"], "cannot read scenario"),
    ],
)
def test_forecast_refuses_bad_input_in_one_line(store: str, args: list[str], message: str) -> None:
    one_line_error(run_cli("forecast", store, *args), message)


def test_forecast_refuses_a_missing_store_and_an_empty_one(tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path / 'none.db'}"
    result = run_cli("forecast", missing, "--policy", "fifo")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    with HelpDesk(empty):
        pass
    one_line_error(run_cli("forecast", empty, "--policy", "fifo"), "holds no events")


WEEK = """
start = "2026-11-23T08:00:00Z"
tickets = 80
arrivals_per_hour = 12
handle_time = { kind = "exponential", mean_minutes = 15 }
priorities = { urgent = 1, normal = 3 }

[[agents]]
count = 3
"""


def test_forecast_of_the_recorded_period_replays_the_stores_own_tickets(tmp_path: Path) -> None:
    model = tmp_path / "week.toml"
    model.write_text(WEEK)
    url = f"sqlite:///{tmp_path / 'week.db'}"
    assert run_cli("simulate", str(model), "--store", url, "--seed", "2").returncode == 0
    args = ("forecast", url, "--recorded", "--at", "2026-11-23T11:00", "--hours", "48")
    data = json_of(run_cli(*args, "--policy", "fifo", "--policy", "priority", "--json"))
    assert data["arrivals"] > 20  # the tickets the store recorded after 11:00
    for kpis in data["policies"].values():
        assert kpis["resolved"] == data["backlog"] + data["arrivals"]
    one_line_error(
        run_cli(*args, "--policy", "fifo", "--scenario", str(model)), "--scenario or --recorded"
    )
