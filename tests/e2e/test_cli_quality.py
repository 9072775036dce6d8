"""``ticketlog quality`` and the QA rows of ``ticketlog kpis``, on a real SQLite store."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.e2e.cli_support import one_line_error, run_cli
from tests.quality_support import SUPPORT, SUPPORT_TOML, review_history
from ticketlog import HelpDesk, ManualClock

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The reviews of :func:`review_history`."""
    url = f"sqlite:///{tmp_path_factory.mktemp('quality') / 'desk.db'}"
    clock = ManualClock(START)
    with HelpDesk(url, clock=clock, scorecards=[SUPPORT]) as desk:
        review_history(desk, clock)
    return url


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "desk.toml"
    path.write_text(SUPPORT_TOML, encoding="utf-8")
    return path


def test_kpis_by_agent_show_qa_next_to_csat(store: str, config: Path) -> None:
    result = run_cli("kpis", store, "--by", "agent", "--config", str(config))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    qa = next(line for line in lines if line.startswith("│ QA score"))
    # Ann: (4.0 + 3.5 + 5.0) / 3 = 4.17; Bo: 3.00. Reviewers resolved nothing: no column.
    assert "4.17 / 5" in qa
    assert "3.00 / 5" in qa
    csat = next(i for i, line in enumerate(lines) if line.startswith("│ CSAT mean"))
    assert csat < lines.index(qa)


def test_kpis_as_json_carry_each_groups_quality(store: str, config: Path) -> None:
    result = run_cli("kpis", store, "--by", "agent", "--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    groups = {g["group"]: g for g in json.loads(result.stdout)["groups"]}
    assert groups["Ann"]["quality"]["reviews"] == 3
    assert groups["Ann"]["quality"]["pass_rate"] == pytest.approx(200 / 3)
    assert groups["Bo"]["quality"]["score"] == 3.0


def test_quality_as_json_gives_groups_calibration_and_correlations(
    store: str, config: Path
) -> None:
    result = run_cli("quality", store, "--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    groups = {g["group"]: g["quality"] for g in data["groups"]}
    assert set(groups) == {"Ann", "Bo"}
    assert groups["Ann"]["criteria"] == {
        "accuracy": pytest.approx(11 / 3),
        "empathy": 13 / 3,
        "clarity": 5.0,
    }
    assert data["overall"]["reviews"] == 4
    assert data["overall"]["unknown_version"] == 0
    (pair,) = data["calibration"]["pairs"]
    assert sorted(pair["reviewers"]) == ["Rita", "Sam"]
    assert pair["identical"] == pytest.approx(100 / 3)
    # Ticket QA 3.75, 3.0, 5.0 against CSAT 5, 2, 4: ranks (2, 1, 3) and (3, 1, 2).
    assert data["correlations"]["csat"]["n"] == 3
    assert data["correlations"]["csat"]["spearman"] == pytest.approx(0.5)


def test_quality_by_criterion_prints_tables(store: str, config: Path) -> None:
    result = run_cli("quality", store, "--by", "criterion", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "QA by criterion" in result.stdout
    assert "Reviewer calibration" in result.stdout
    assert "Rita / Sam" in result.stdout or "Sam / Rita" in result.stdout
    accuracy = next(line for line in result.stdout.splitlines() if line.startswith("│ accuracy"))
    assert "3.50 / 5" in accuracy  # (4 + 2 + 3 + 5) / 4


def test_quality_without_the_scorecards_weighs_criteria_equally_and_says_so(store: str) -> None:
    result = run_cli("quality", store, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["overall"]["unknown_version"] == 4
    # Equal weights, pass mark 3: Sam's (2 + 5 + 5) / 3 = 4.0 passes now.
    assert data["overall"]["pass_rate"] == 100.0
    table = run_cli("quality", store)
    assert "4 reviews were scored on scorecard versions the configuration does not have" in (
        " ".join(table.stdout.split())
    )


def test_quality_bad_input_is_one_line_and_exit_status_2(store: str, tmp_path: Path) -> None:
    one_line_error(run_cli("quality", store, "--by", "channel"), "--by 'channel' is not one of")
    one_line_error(run_cli("quality", f"sqlite:///{tmp_path / 'none.db'}"), "no store")
    assert not (tmp_path / "none.db").exists()


def test_a_replayed_stores_report_ends_with_its_quality_reviews(
    store: str, config: Path, tmp_path: Path
) -> None:
    result = run_cli(
        "compare", store, "--policy", "fifo", "--config", str(config), "--report", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert page.index("<h2>Fidelity</h2>") < page.index("<h2>Quality reviews</h2>")
    assert "<td>4.17</td>" in page  # Ann's QA score
    assert (tmp_path / "quality.png").is_file()
