"""Shares of an import: every case in exactly one, reports merged as one import's, and
the number of processes checked."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticketlog import HelpDesk, InvalidValue, MemoryStore
from ticketlog.imports import ImportReport, import_file, preset
from ticketlog.imports.shares import LEADER_WEIGHT, Share

EXAMPLE = Path(__file__).parents[2] / "examples" / "imports" / "status-log.csv"
CASE_IDS = st.text(min_size=1, max_size=12)


@given(st.lists(CASE_IDS, max_size=50), st.integers(1, 8))
def test_every_case_is_in_exactly_one_share(cases: list[str], count: int) -> None:
    for case in cases:
        assert sum(Share(index, count).holds(case) for index in range(count)) == 1
    assert [Share(index, count).holds(None) for index in range(count)] == [
        index == 0 for index in range(count)
    ]


NOTES = st.lists(
    st.tuples(st.sampled_from(["odd", "late", "twice"]), CASE_IDS, st.integers(0, 3)),
    max_size=40,
)
"""Anomalies met in file order: kind, case id, and which of four shares holds the case."""


@given(NOTES)
def test_merged_share_reports_equal_the_report_of_one_process(
    notes: list[tuple[str, str, int]],
) -> None:
    share_of: dict[str, int] = {}
    single = ImportReport(source="test")
    shares = [ImportReport(source="test") for _ in range(4)]
    for line, (kind, case, share) in enumerate(notes, start=2):
        owner = share_of.setdefault(case, share)  # a case belongs to one share
        for report in (single, shares[owner]):  # the share reads the record as its own
            report.rows += 1
            report.line = line
            report.note(kind, case)
    merged = shares[0]
    for other in shares[1:]:
        merged.absorb(other)

    assert merged.to_json() == single.to_json()


@pytest.mark.parametrize("count", range(2, 9))
def test_the_leaders_share_is_a_little_smaller_than_a_workers(count: int) -> None:
    shares = [Share(index, count) for index in range(count)]
    spans = [share.high - share.low for share in shares]
    assert (shares[0].low, shares[-1].high) == (0, 2**32)
    assert all(a.high == b.low for a, b in itertools.pairwise(shares))
    assert spans[0] == pytest.approx(spans[1] * LEADER_WEIGHT, rel=1e-6)
    assert len(set(spans[1:])) <= 2  # workers' spans differ by rounding only


@pytest.mark.parametrize("workers", [0, -1, True, 1.5, "2"])
def test_workers_must_be_a_whole_number_of_processes(workers: object) -> None:
    with HelpDesk(MemoryStore()) as desk:
        with pytest.raises(InvalidValue, match="workers must be"):
            import_file(desk, EXAMPLE, preset("status-log"), workers=workers)  # type: ignore[arg-type]
        assert desk.log_position() == 0  # checked before anything is written


def test_a_strict_import_and_an_in_memory_store_run_in_one_process(tmp_path: Path) -> None:
    with HelpDesk(f"sqlite:///{tmp_path / 'desk.db'}") as desk:
        with pytest.raises(InvalidValue, match="a strict import runs in one process"):
            import_file(desk, EXAMPLE, preset("status-log"), strict=True, workers=2)
        assert desk.log_position() == 0
    with HelpDesk(MemoryStore()) as desk:
        with pytest.raises(InvalidValue, match="memory store runs in one process"):
            import_file(desk, EXAMPLE, preset("status-log"), workers=2)
        report = import_file(desk, EXAMPLE, preset("status-log"))
    assert report.workers == 1
