"""Spans of a CSV file read, together, exactly the records (and lines) of the whole file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketlog.imports import preset
from ticketlog.imports.mapping import ImportMapping
from ticketlog.imports.readers import read_records
from ticketlog.imports.spans import csv_spans, span_records

HEADER = ["case_id", "timestamp", "status", "sub_status", "person", "subject"]
FIELD = st.text(st.sampled_from('ab ,;"\n\r\t\xe9\u20ac'), max_size=8)
"""Field text with what makes CSV hard: delimiters, quotes, newlines, carriage returns."""
ROWS = st.lists(st.lists(FIELD, min_size=1, max_size=len(HEADER)), max_size=60)
CUTS = st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6).map(sorted)


def written(
    directory: Path, rows: list[list[str]], *, terminator: str, blank_every: int, header_note: str
) -> Path:
    """``rows`` as a CSV file (quoted as ``csv`` quotes), with blank lines among them."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator=terminator)
    writer.writerow([*HEADER[:-1], HEADER[-1] + header_note])
    for index, row in enumerate(rows, start=1):
        writer.writerow(row)
        if blank_every and index % blank_every == 0:
            text.write(terminator)
    path = directory / "log.csv"
    path.write_bytes(text.getvalue().encode("utf-8-sig"))
    return path


@settings(max_examples=150)
@given(
    rows=ROWS,
    cuts=CUTS,
    terminator=st.sampled_from(["\r\n", "\n"]),
    blank_every=st.integers(0, 5),
    header_note=st.sampled_from(["", " (free\ntext)"]),
)
def test_spans_read_the_whole_files_records_with_its_lines(
    tmp_path_factory: pytest.TempPathFactory,
    *,
    rows: list[list[str]],
    cuts: list[float],
    terminator: str,
    blank_every: int,
    header_note: str,
) -> None:
    directory = tmp_path_factory.mktemp("spans")
    path = written(
        directory, rows, terminator=terminator, blank_every=blank_every, header_note=header_note
    )
    mapping = preset("status-log")
    spans = csv_spans(path, mapping, cuts)
    lone_return = path.read_bytes().count(b"\r") != path.read_bytes().count(b"\r\n")

    assert (spans is None) == lone_return
    if spans is not None:
        assert [s.start for s in spans[1:]] == [s.end for s in spans[:-1]]
        assert [r for span in spans for r in span_records(path, mapping, span)] == list(
            read_records(path, mapping)
        )


def with_encoding(encoding: str) -> ImportMapping:
    return preset("status-log").model_copy(update={"encoding": encoding})


def test_files_that_cannot_be_cut_safely_are_not(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("case_id,timestamp\nA,2026-01-01T00:00:00Z\nB,2026-01-01T00:00:00Z\n")
    assert csv_spans(path, with_encoding("utf-16"), [0.5]) is None  # newline is two bytes
    assert csv_spans(path, preset("zendesk"), [0.5]) is None  # records flattened first
    assert csv_spans(path, preset("status-log"), [0.5]) is not None
    path.write_bytes(b"case_id,timestamp\rA,2026-01-01T00:00:00Z\rB,2026-01-01T00:00:00Z\r")
    assert csv_spans(path, preset("status-log"), [0.5]) is None  # lone carriage returns
