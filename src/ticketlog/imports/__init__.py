"""Importing other tools' exports: real histories in, recorded as they happened.

>>> from ticketlog.imports import import_file, preset
>>> report = import_file(desk, "incidents.csv", preset("status-log"))  # doctest: +SKIP

* :mod:`~ticketlog.imports.mapping` — mapping files (TOML): columns, time zone, values;
* :mod:`~ticketlog.imports.presets` — the shipped mappings (``status-log``, ``event-log``, …);
* :mod:`~ticketlog.imports.readers` — streaming CSV, Parquet, XES and JSON readers;
* :mod:`~ticketlog.imports.rows` and :mod:`~ticketlog.imports.interpret` — rows, and a
  case's rows made into a ticket's events;
* :mod:`~ticketlog.imports.importer` — the two-pass, batched, resumable import;
* :mod:`~ticketlog.imports.shares` and :mod:`~ticketlog.imports.spans` — an import shared
  among processes, a CSV file by spans of bytes;
* :mod:`~ticketlog.imports.report` — the import report.
"""

from __future__ import annotations

from pathlib import Path

from ticketlog.imports.importer import import_file
from ticketlog.imports.interpret import person_id, ticket_id
from ticketlog.imports.mapping import (
    HistoryImportError,
    ImportMapping,
    MappingError,
    State,
    load_mapping,
)
from ticketlog.imports.presets import preset, preset_names
from ticketlog.imports.readers import UnreadableFile
from ticketlog.imports.report import Anomaly, ImportReport, StrictImportError
from ticketlog.imports.rows import MalformedRow


def resolve_mapping(
    preset_name: str | None = None, mapping: Path | str | None = None
) -> ImportMapping:
    """The mapping file (which may start from a preset itself), or else the named preset."""
    if mapping is not None:
        return load_mapping(mapping)
    if preset_name is None:
        msg = "name a preset or a mapping file"
        raise MappingError(msg)
    return preset(preset_name)


__all__ = [
    "Anomaly",
    "HistoryImportError",
    "ImportMapping",
    "ImportReport",
    "MalformedRow",
    "MappingError",
    "State",
    "StrictImportError",
    "UnreadableFile",
    "import_file",
    "load_mapping",
    "person_id",
    "preset",
    "preset_names",
    "resolve_mapping",
    "ticket_id",
]
