"""The KPIs of an imported history equal an independent computation on the same file.

The independent side reads the CSV with pandas and shares no code with the importer: it
applies the status-log preset's documented meaning directly (first row = received,
first ``Accepted`` row naming a person = first assignment, the latest ``Completed/Resolved``
row = resolution, a rise of the support level = an escalation, a team change at the same
level = a transfer, a case whose last row is not ``Completed`` = open).
"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ticketlog import HelpDesk
from ticketlog.imports import import_file, preset
from ticketlog.imports.synthetic import write_status_log
from ticketlog.projections.kpis import Durations

CASES = 800
LEVEL = {"1st": 1, "2nd": 2, "3rd": 3}


def independent(path: Path) -> dict[str, Any]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["at"] = pd.to_datetime(frame["timestamp"], utc=True)
    frame["order"] = range(len(frame))
    frame = frame.sort_values(["case_id", "at", "order"], kind="stable")
    waits, resolutions = [], []
    escalated = transferred = still_open = 0
    for _, case in frame.groupby("case_id", sort=False):
        received = case["at"].iloc[0]
        taken = case[(case["status"] == "Accepted") & (case["person"] != "")]
        if len(taken):
            waits.append(taken["at"].iloc[0] - received)
        resolved = case[(case["status"] == "Completed") & (case["sub_status"] == "Resolved")]
        last = case.iloc[-1]
        if len(resolved):
            resolutions.append(resolved["at"].iloc[-1] - received)
        if last["status"] != "Completed":
            still_open += 1
        levels = case["support_level"].map(LEVEL).tolist()
        steps = list(pairwise(zip(case["team"].tolist(), levels, strict=True)))
        escalated += any(after[1] > before[1] for before, after in steps)
        transferred += any(
            after[0] != before[0] and after[1] == before[1] for before, after in steps
        )
    tickets = frame["case_id"].nunique()
    return {
        "tickets": tickets,
        "open": still_open,
        "wait": summary(waits),
        "resolution": summary(resolutions),
        "escalation_rate": 100 * escalated / tickets,
        "transfer_rate": 100 * transferred / tickets,
    }


def summary(values: list[pd.Timedelta]) -> tuple[int, float, float, float]:
    seconds = pd.Series([value.total_seconds() for value in values])
    return (
        len(seconds),
        float(seconds.mean()),
        float(seconds.quantile(0.5)),
        float(seconds.quantile(0.9)),
    )


def ours(durations: Durations) -> tuple[int, float, float, float]:
    assert durations.mean is not None
    assert durations.p50 is not None
    assert durations.p90 is not None
    return (
        durations.count,
        durations.mean.total_seconds(),
        durations.p50.total_seconds(),
        durations.p90.total_seconds(),
    )


@pytest.mark.parametrize("time_order", [False, True], ids=["grouped-by-case", "in-time-order"])
def test_imported_kpis_equal_an_independent_count_on_the_same_file(
    tmp_path: Path, time_order: bool
) -> None:
    log = tmp_path / "incidents.csv"
    write_status_log(log, CASES, seed=7, time_order=time_order)
    expected = independent(log)

    with HelpDesk(f"sqlite:///{tmp_path / 'desk.db'}") as desk:
        import_file(desk, log, preset("status-log"))
        view = desk.view()
        now = max(f.received_at for f in view.facts) + timedelta(days=365)
        kpis = view.kpis(now=now)

    assert kpis.tickets == expected["tickets"] == CASES
    assert kpis.open == expected["open"]
    assert ours(kpis.wait) == pytest.approx(expected["wait"], abs=1)
    assert ours(kpis.resolution) == pytest.approx(expected["resolution"], abs=1)
    assert kpis.escalation_rate == pytest.approx(expected["escalation_rate"])
    assert kpis.transfer_rate == pytest.approx(expected["transfer_rate"])
    assert 0 < expected["escalation_rate"] < 100
    assert 0 < expected["transfer_rate"] < 100
