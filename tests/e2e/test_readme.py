"""The README's quickstart is real code: run it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).parents[2] / "README.md"


def quickstart() -> str:
    """The first python block under the Quickstart heading."""
    text = README.read_text()
    section = text.split("## Quickstart", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "README has no python block under Quickstart"
    return match.group(1)


def test_the_readme_quickstart_runs_and_prints_a_timeline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    exec(compile(quickstart(), str(README), "exec"), {})  # noqa: S102 - our own README
    out = capsys.readouterr().out
    assert "rejected: the ticket is already assigned" in out
    assert "escalated (hierarchical) from tier 1 general to tier 2 general" in out
    assert "rated CSAT 5/5, NPS 9/10" in out
