"""``GET /quality``: the served desk's QA, judged by the scorecards of its desk file, with
reviews written by another process on the same SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.integration.test_service import Server
from tests.quality_support import SUPPORT, SUPPORT_TOML, review_history
from ticketlog import HelpDesk, ManualClock


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Server]:
    url = f"sqlite:///{tmp_path}/desk.db"
    config = tmp_path / "desk.toml"
    config.write_text(SUPPORT_TOML, encoding="utf-8")
    running = Server(url, "--config", str(config))
    clock = ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    with HelpDesk(url, clock=clock, scorecards=[SUPPORT]) as desk:
        review_history(desk, clock)
    try:
        yield running
    finally:
        assert running.stop() == 0


def test_quality_gives_qa_per_agent_calibration_and_correlations(served: Server) -> None:
    answer = httpx.get(f"{served.url}/quality", params={"by": "agent"})
    assert answer.status_code == 200
    data = answer.json()
    groups = {g["group"]: g["quality"] for g in data["groups"]}
    assert groups["Ann"]["reviews"] == 3
    assert groups["Ann"]["score"] == pytest.approx((4.0 + 3.5 + 5.0) / 3)
    assert groups["Bo"]["pass_rate"] == 0.0
    assert data["overall"]["unknown_version"] == 0  # the desk file's scorecard judged them
    assert data["calibration"]["overall"]["units"] == 3
    assert data["correlations"]["csat"]["n"] == 3


def test_quality_by_an_unknown_dimension_is_refused(served: Server) -> None:
    answer = httpx.get(f"{served.url}/quality", params={"by": "channel"})
    assert answer.status_code == 422
    assert answer.json()["error"]


def test_kpis_by_agent_carry_each_groups_quality(served: Server) -> None:
    groups = httpx.get(f"{served.url}/kpis", params={"by": "agent"}).json()["groups"]
    quality = {g["group"]: g["quality"] for g in groups}
    assert quality["Ann"]["reviews"] == 3
    assert quality["Bo"]["score"] == 3.0
