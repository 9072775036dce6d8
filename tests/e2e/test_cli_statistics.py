"""``compare --warmup/--batches``, ``--policy value`` refused, ``kpis --by customer-value``."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from tests.e2e.cli_support import one_line_error, run_cli

SCENARIO = """
tickets = 400
arrivals_per_hour = 24
[handle_time]
kind = "exponential"
mean_minutes = 4
[priorities]
urgent = 1
normal = 3
[customer_values]
0 = 2
50 = 1
5000 = 1
[[agents]]
count = 2
"""

NO_VALUES = SCENARIO[: SCENARIO.index("[customer_values]")] + "[[agents]]\ncount = 2\n"


ticketlog = functools.partial(run_cli, timeout=300)


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    """A busy two-agent desk whose customers are worth 0, 50 or 5,000."""
    (tmp_path / "valued.toml").write_text(SCENARIO)
    return tmp_path / "valued.toml"


def test_compare_with_batches_and_a_warmup_reports_them_in_json(scenario: Path) -> None:
    args = ["compare", str(scenario), "--policy", "fifo", "--policy", "value", "--seed", "3"]
    result = ticketlog(*args, "--warmup", "40", "--batches", "6", "--json")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert (figures["method"], figures["replications"], figures["batches"]) == ("batches", 1, 6)
    assert figures["warmup"] == {"tickets": 40}
    for kpis in figures["policies"].values():
        assert kpis["resolved"] == {"mean": 60.0, "half_width": 0.0}  # 360 tickets in 6 batches
        assert kpis["wait_mean_min"]["half_width"] > 0


def test_compare_prints_where_its_intervals_come_from(scenario: Path) -> None:
    result = ticketlog("compare", str(scenario), "--policy", "fifo", "--warmup", "2h")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())  # the title may wrap
    assert "5 replications from seed 0, after a warm-up of 120 min" in text
    assert " ± " in text
    batched = ticketlog("compare", str(scenario), "--policy", "fifo", "--batches", "4")
    assert "4 batch means of 1 run from seed 0" in " ".join(batched.stdout.split())
    timed = ticketlog("compare", str(scenario), "--policy", "fifo", "--warmup", "2h", "--json")
    assert json.loads(timed.stdout)["warmup"] == {"minutes": 120.0}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--warmup", "-5"],
            "a warm-up is a number of tickets (>= 0) or a duration (>= 0), not -5",
        ),
        (
            ["--warmup", "soon"],
            "--warmup 'soon' is neither a number of tickets (500) nor a duration",
        ),
        (["--warmup", "400"], "a warm-up of 400 tickets leaves none of the 400 to count"),
        (["--batches", "1"], "batches must be a whole number of at least 2, not 1"),
        (["--batches", "many"], "--batches 'many' is not a whole number"),
        (["--batches", "4", "--replications", "3"], "replications must be 1, not 3"),
        (["--batches", "50", "--warmup", "390"], "10 tickets after the warm-up cannot fill 50"),
    ],
)
def test_bad_warmups_and_batches_are_one_clear_line(
    scenario: Path, options: list[str], message: str
) -> None:
    one_line_error(ticketlog("compare", str(scenario), "--policy", "fifo", *options), message)


@pytest.mark.parametrize("command", ["compare", "simulate"])
def test_value_on_tickets_all_worth_the_same_is_refused(tmp_path: Path, command: str) -> None:
    path = tmp_path / "plain.toml"
    path.write_text(NO_VALUES)
    one_line_error(
        ticketlog(command, str(path), "--policy", "value"),
        "policy 'value' would serve these 400 tickets first come, first served",
    )


def test_kpis_by_customer_value_groups_by_value_class(scenario: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    saved = ticketlog("simulate", str(scenario), "--store", url, "--seed", "2")
    assert saved.returncode == 0, saved.stderr
    result = ticketlog("kpis", url, "--by", "customer-value", "--json")
    assert result.returncode == 0, result.stderr
    groups = json.loads(result.stdout)["groups"]
    assert [g["group"] for g in groups] == ["0", "10-100", "1k-10k"]
    assert sum(g["kpis"]["tickets"] for g in groups) == 400
    table = ticketlog("kpis", url, "--by", "customer-value")
    assert "KPIs by customer-value" in table.stdout
    assert "1k-10k" in table.stdout
