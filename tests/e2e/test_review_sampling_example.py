"""examples/review_sampling.py, run as a user runs it."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.cli_support import run_example

SCRIPT = Path(__file__).parents[2] / "examples" / "review_sampling.py"


def test_the_example_prints_one_row_per_review_share() -> None:
    result = run_example(SCRIPT, "--replications", "40", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "3000 resolved tickets, 8 agents, 40 draws of the reviews from seed 3" in result.stdout
    rows = [line.split("│")[1:-1] for line in result.stdout.splitlines() if "%" in line]
    assert [cells[0].strip() for cells in rows] == ["1%", "2%", "5%", "10%", "20%", "50%"]
    per_agent = [float(cells[1]) for cells in rows]
    assert per_agent == sorted(per_agent)
    assert 180 < per_agent[-1] < 195  # half of about 375 tickets per agent
