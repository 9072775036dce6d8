"""Streaming readers of export files: each yields ``(line, record)`` pairs, one at a time.

``line`` is the physical line a CSV record ends on, and the record's number (from 1) in
Parquet, XES and JSON files. Records are flat dicts of column to value. Nothing reads a
whole file into memory: CSV and JSON Lines go line by line, Parquet by row batches, XES
by ``iterparse`` with each trace cleared once read.
"""

from __future__ import annotations

import csv
import importlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError, iterparse

from ticketlog.imports.mapping import HistoryImportError, ImportMapping, MappingError

Record = dict[str, Any]
Records = Iterator[tuple[int, Record]]

_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xes": "xes",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
}


def file_format(path: Path, mapping: ImportMapping) -> str:
    """The mapping's format, or the one the file's extension names."""
    if mapping.format is not None:
        return mapping.format
    try:
        return _EXTENSIONS[path.suffix.lower()]
    except KeyError:
        msg = f"cannot tell the format of {path.name}: set format = 'csv'|'parquet'|'xes'|'json'"
        raise MappingError(msg) from None


Flatten = Callable[[Records, ImportMapping, "Path | None"], Records]
"""A source-specific reader: the file's records (and a companion file) to flat rows."""


def source_rows(path: Path, mapping: ImportMapping, companion: Path | None = None) -> Records:
    """The rows of the file: its records, flattened by the mapping's ``reader``.

    ``reader = "rows"`` takes each record as a row. Any other name is a module of
    :mod:`ticketlog.imports.sources` whose ``flatten(records, mapping, companion)`` turns a
    source's own records (audit trails, changelogs) into rows with the preset's columns;
    ``companion`` is a second file some sources need (e.g. ServiceNow's incident table).
    """
    records = read_records(path, mapping)
    if mapping.reader == "rows":
        return records
    module = importlib.import_module(f"ticketlog.imports.sources.{mapping.reader}")
    flatten: Flatten = module.flatten
    return flatten(records, mapping, companion)


class UnreadableFile(HistoryImportError):
    """The export cannot be read: missing, not in its format, or in another encoding."""


def read_records(path: Path, mapping: ImportMapping) -> Records:
    """Every record of the file at ``path``, in file order; :class:`UnreadableFile` if it can't."""
    readers: dict[str, Callable[[Path, ImportMapping], Records]] = {
        "csv": _csv,
        "parquet": _parquet,
        "xes": _xes,
        "json": _json,
    }
    read = readers[file_format(path, mapping)]
    with reading(path, mapping):
        yield from read(path, mapping)


@contextmanager
def reading(path: Path, mapping: ImportMapping) -> Iterator[None]:
    """Errors of reading ``path`` (missing, not in its format or encoding) raised as
    :class:`UnreadableFile`."""
    try:
        yield
    except HistoryImportError:
        raise
    except OSError as error:
        msg = f"cannot read {path}: {error.strerror or error}"
        raise UnreadableFile(msg) from None
    except (ParseError, UnicodeDecodeError, ValueError, csv.Error) as error:
        msg = f"cannot read {path} as {mapping.format or file_format(path, mapping)}: {error}"
        raise UnreadableFile(msg) from None


def csv_delimiter(path: Path, mapping: ImportMapping) -> str:
    """The mapping's delimiter (a tab for a ``.tsv`` file, unless the mapping names one)."""
    return "\t" if path.suffix.lower() == ".tsv" and mapping.delimiter == "," else mapping.delimiter


def _csv(path: Path, mapping: ImportMapping) -> Records:
    delimiter = csv_delimiter(path, mapping)
    with path.open(encoding=mapping.encoding, newline="") as file:
        heading = csv.reader(file, delimiter=delimiter)
        header = next(heading, None)
        if header is None:
            return
        yield from csv_records(file, header, delimiter, heading.line_num)


def csv_records(file: Iterable[str], header: Sequence[str], delimiter: str, lines: int) -> Records:
    """Records keyed by the header (as ``csv.DictReader``'s, but without its per-row Python
    code: a short row lacks the missing keys, a long row's extra values are dropped), with
    the line each ends on counting ``lines`` before ``file``."""
    reader = csv.reader(file, delimiter=delimiter)
    for values in reader:
        if values:  # a blank line is no record
            yield lines + reader.line_num, dict(zip(header, values, strict=False))


def _parquet(path: Path, _mapping: ImportMapping) -> Records:
    try:
        import pyarrow.parquet as pq  # noqa: PLC0415 - an optional extra
    except ModuleNotFoundError:
        msg = "reading Parquet needs pyarrow: pip install 'ticketlog-es[parquet]'"
        raise MappingError(msg) from None
    number = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=8192):
        for record in batch.to_pylist():
            number += 1
            yield number, record


def _json(path: Path, mapping: ImportMapping) -> Records:
    """JSON Lines (objects, one a line), or one document (see :func:`_records_in`)."""
    if _is_json_lines(path, mapping):
        with path.open(encoding=mapping.encoding) as file:
            number = 0
            for text in file:
                if text.strip():
                    number += 1
                    yield number, json.loads(text)
        return
    with path.open(encoding=mapping.encoding) as file:
        document = json.load(file)
    yield from enumerate(_records_in(document), start=1)


def _is_json_lines(path: Path, mapping: ImportMapping) -> bool:
    """Whether the file holds several JSON objects, one a line."""
    with path.open(encoding=mapping.encoding) as file:
        first = file.readline()
        try:
            parsed = json.loads(first)
        except json.JSONDecodeError:
            return False  # a document spread over lines
        return isinstance(parsed, dict) and any(line.strip() for line in file)


def _records_in(document: Any) -> list[Any]:
    """The records of a JSON document: a list of them, an object holding one list of them
    (an API page such as ``{"ticket_events": [...], "next_page": ...}``), or one record."""
    if isinstance(document, list):
        return document
    if not isinstance(document, dict):
        msg = "a JSON document must be a list of records or an object"
        raise MappingError(msg)
    lists = [key for key, value in document.items() if _is_records(value)]
    if len(lists) > 1:
        msg = f"the JSON document holds several lists of records ({', '.join(lists)}): split it"
        raise MappingError(msg)
    return document[lists[0]] if lists else [document]


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _xes(path: Path, _mapping: ImportMapping) -> Records:
    """IEEE 1849 XES: one record per event, its trace's attributes prefixed ``case:``."""
    number = 0
    case: Record = {}
    depth = 0
    # expat (2.4.1 and later) refuses entity expansion attacks; ElementTree fetches no
    # external entities.
    for kind, element in iterparse(path, events=("start", "end")):  # noqa: S314
        tag = _local(element.tag)
        if kind == "start":
            if tag in ("trace", "event"):
                depth += 1
                if tag == "trace":
                    case = {}
            continue
        if tag == "event":
            depth -= 1
            number += 1
            record = dict(case)
            record.update(_attributes(element))
            yield number, record
            element.clear()
        elif tag == "trace":
            depth -= 1
            element.clear()
        elif depth == 1 and "key" in element.attrib and _is_trace_child(element):
            case[f"case:{element.attrib['key']}"] = element.attrib.get("value")


_TYPED = frozenset({"string", "date", "int", "float", "boolean", "id"})


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _is_trace_child(element: Element) -> bool:
    return _local(element.tag) in _TYPED


def _attributes(event: Element) -> Record:
    return {
        child.attrib["key"]: child.attrib.get("value")
        for child in event
        if _local(child.tag) in _TYPED and "key" in child.attrib
    }
