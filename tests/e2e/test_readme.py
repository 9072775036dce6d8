"""The README's code is real code: its python blocks run, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ticketlog.policies import registry

README = Path(__file__).parents[2] / "README.md"


def python_blocks() -> list[str]:
    """Every fenced python block of the README, in order."""
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)


def test_the_readme_has_a_quickstart_block_first() -> None:
    blocks = python_blocks()
    assert len(blocks) >= 3
    assert "HelpDesk(" in blocks[0]


def test_the_readme_code_runs_and_prints_what_it_promises(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The README registers a policy; keep that registration local to this test.
    monkeypatch.setattr(registry, "_FACTORIES", dict(registry._FACTORIES))
    namespace: dict[str, Any] = {}
    for block in python_blocks():
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - our own README
    out = capsys.readouterr().out
    assert "rejected: the ticket is already assigned" in out
    assert "escalated (hierarchical) from tier 1 general to tier 2 general" in out
    assert "rated CSAT 5/5, NPS 9/10" in out
    assert "Workload(" in out
    assert "Kpis(tickets=2" in out
    assert "QaSummary(reviews=4, score=3.9375, score_pct=73.4375, pass_rate=75.0" in out
    assert "66.66666666666667 0.5\nCorrelation(n=3, pearson=0.838" in out
    assert "6 reviews, {2}" in out
    assert "8 cases; 2 accepted twice" in out
    assert "wait_mean_min: 12.88 recorded, 12.88 as recorded\noff: []" in out
    frame = namespace["by_channel"]
    assert list(frame.index) == ["chat", "email"]
    assert frame.loc["email", "csat"] == 100.0
