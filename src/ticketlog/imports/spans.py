"""Spans of a CSV file: byte ranges that each read on their own, for sharing an import.

A file is cut only at the end of a line that no quoted field runs across (an even number
of ``"`` before it), so each span starts at a record. :func:`csv_spans` finds the cuts in
one streaming pass over the bytes (counting quotes and newlines, not parsing) and gives up
(``None``) where cutting is not safe: an encoding in which a newline is not the single
byte ``\\n``, or lone carriage returns (which Python's CSV reading counts as line ends).
:func:`span_records` reads a span's records as the whole file's reader would, with the
whole file's line numbers.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

import attrs

from ticketlog.imports.mapping import ImportMapping
from ticketlog.imports.readers import Records, csv_delimiter, csv_records, file_format, reading

CHUNK = 1 << 20
"""Bytes read at a time while looking for the cuts."""

_SINGLE_BYTE_NEWLINE = {
    "ascii": "ascii",
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",  # the mark is before the header: spans have none
    "latin-1": "latin-1",
    "iso8859-1": "latin-1",
    "cp1252": "cp1252",
    "iso8859-15": "iso8859-15",
}
"""Encodings in which ``\\n`` and ``"`` are single bytes that occur only as themselves, with
the codec a span is read in."""


@attrs.frozen
class Span:
    """The bytes ``[start, end)`` of a CSV file, and how to read them."""

    start: int
    end: int
    lines_before: int
    """Lines of the file before ``start`` (the header's included)."""
    header: tuple[str, ...]
    encoding: str
    delimiter: str


def csv_spans(path: Path, mapping: ImportMapping, cuts: Sequence[float]) -> list[Span] | None:
    """``path`` cut near each of ``cuts`` (fractions of its records' bytes, rising) into
    spans in file order, or ``None`` if it is not a CSV file of rows that can be cut
    safely."""
    if mapping.reader != "rows" or file_format(path, mapping) != "csv":
        return None
    encoding = _SINGLE_BYTE_NEWLINE.get(codecs.lookup(mapping.encoding).name)
    delimiter = csv_delimiter(path, mapping)
    if encoding is None or delimiter in '"\r\n':
        return None
    with reading(path, mapping), path.open("rb") as raw:
        head = raw.readline()
        while head.count(b'"') % 2 and (more := raw.readline()):
            head += more
        size = raw.seek(0, io.SEEK_END)
        start = len(head)
        found = _cuts(raw, [start + round((size - start) * cut) for cut in cuts], size)
        if found is None:
            return None
        header = next(csv.reader([head.decode(mapping.encoding)], delimiter=delimiter), None)
    if header is None:
        return None
    bounds = [(start, head.count(b"\n")), *found, (size, -1)]
    return [
        Span(begin, end, lines, tuple(header), encoding, delimiter)
        for (begin, lines), (end, _) in pairwise(bounds)
        if end > begin
    ]


def _cuts(raw: io.BufferedReader, targets: list[int], size: int) -> list[tuple[int, int]] | None:
    """For each target offset, the end of the first line at or after it that no quoted
    field runs across, and the lines before that end; ``None`` at a lone carriage return."""
    cuts: list[tuple[int, int]] = []
    quotes = newlines = offset = 0
    raw.seek(0)
    pending = list(targets)
    while offset < size:
        chunk = raw.read(CHUNK)
        if chunk.endswith(b"\r"):
            chunk += raw.read(1)  # keep a CRLF in one chunk
        if chunk.count(b"\r") != chunk.count(b"\r\n"):
            return None
        while pending:
            cut = _cut_in(chunk, max(pending[0] - offset, 0), quotes)
            if cut is None:
                break
            if not cuts or offset + cut > cuts[-1][0]:
                cuts.append((offset + cut, newlines + chunk.count(b"\n", 0, cut)))
            pending.pop(0)
        quotes += chunk.count(b'"')
        newlines += chunk.count(b"\n")
        offset += len(chunk)
    return cuts


def _cut_in(chunk: bytes, begin: int, quotes_before: int) -> int | None:
    """The offset after the first newline at or after ``begin`` in ``chunk`` with an even
    number of quotes before it (counting ``quotes_before``), or ``None``."""
    newline = chunk.find(b"\n", begin)
    while newline >= 0:
        if (quotes_before + chunk.count(b'"', 0, newline)) % 2 == 0:
            return newline + 1
        newline = chunk.find(b"\n", newline + 1)
    return None


def span_records(path: Path, mapping: ImportMapping, span: Span) -> Records:
    """The records of ``span`` with their lines in the whole file (see
    :func:`~ticketlog.imports.readers.read_records`)."""
    with reading(path, mapping), path.open("rb") as raw:
        raw.seek(span.start)
        limited = io.BufferedReader(_Slice(raw, span.end - span.start), CHUNK // 16)
        text = io.TextIOWrapper(limited, encoding=span.encoding, newline="")
        yield from csv_records(text, span.header, span.delimiter, span.lines_before)


class _Slice(io.RawIOBase):
    """The next ``size`` bytes of a binary file, then its end."""

    def __init__(self, raw: io.BufferedReader, size: int) -> None:
        super().__init__()
        self._raw = raw
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """Read at most the bytes left into ``buffer``."""
        if self._left <= 0:
            return 0
        wanted = memoryview(buffer)[: min(len(buffer), self._left)]
        read = self._raw.readinto(wanted)
        self._left -= read
        return read
