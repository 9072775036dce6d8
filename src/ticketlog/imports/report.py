"""The import report: what an import read, wrote and skipped, and every anomaly it met.

Nothing is dropped silently: each anomaly kind is counted with up to three example case
ids; malformed rows are listed with their lines. With ``strict``, the first anomaly
raises :class:`StrictImportError` instead.
"""

from __future__ import annotations

from typing import Any

import attrs

from ticketlog.imports.mapping import HistoryImportError

EXAMPLES = 3
"""How many example case ids (or lines) the report keeps per anomaly kind."""


class StrictImportError(HistoryImportError):
    """A strict import met an anomaly; nothing of the case it belongs to was written."""


@attrs.define
class Anomaly:
    """One kind of anomaly: how often it occurred, and where first."""

    kind: str
    count: int = 0
    examples: list[str] = attrs.Factory(list)
    """The first case ids (or ``line N`` for malformed rows) it occurred in."""
    met_at: list[int] = attrs.field(factory=list, repr=False, eq=False)
    """The line each example was met at: merging the reports of several shares of an
    import keeps the file's first examples."""

    def absorb(self, other: Anomaly) -> None:
        """Add ``other``, the same kind met in another share of the same file's cases."""
        self.count += other.count
        met = sorted(zip(self.met_at + other.met_at, self.examples + other.examples, strict=True))
        self.met_at = [at for at, _ in met[:EXAMPLES]]
        self.examples = [where for _, where in met[:EXAMPLES]]

    def to_json(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        return {"kind": self.kind, "count": self.count, "examples": list(self.examples)}


@attrs.define
class ImportReport:
    """What one import did."""

    source: str
    rows: int = 0
    """Records read (malformed ones included)."""
    cases: int = 0
    cases_written: int = 0
    cases_skipped: int = 0
    """Cases that were in the store already (a re-run imports nothing twice)."""
    events_written: int = 0
    people: int = 0
    agents_written: int = 0
    open_at_end: int = 0
    """Cases still open after their last row."""
    workers: int = 1
    """Processes that imported the cases (see :mod:`~ticketlog.imports.shares`)."""
    strict: bool = False
    anomalies: dict[str, Anomaly] = attrs.Factory(dict)
    line: int = attrs.field(default=0, repr=False, eq=False)
    """The line of the file being read (where anomalies are met)."""

    def note(self, kind: str, where: str) -> None:
        """Count one anomaly of ``kind`` at ``where`` (a case id, or ``line N``)."""
        anomaly = self.anomalies.get(kind)
        if anomaly is None:
            anomaly = self.anomalies[kind] = Anomaly(kind)
        anomaly.count += 1
        if len(anomaly.examples) < EXAMPLES and where not in anomaly.examples:
            anomaly.examples.append(where)
            anomaly.met_at.append(self.line)
        if self.strict:
            msg = f"{kind} ({where})"
            raise StrictImportError(msg)

    def absorb(self, share: ImportReport) -> None:
        """Add ``share``: the report of another share of this import (its own records and
        cases; it met no people)."""
        self.rows += share.rows
        self.cases += share.cases
        self.cases_written += share.cases_written
        self.cases_skipped += share.cases_skipped
        self.events_written += share.events_written
        self.open_at_end += share.open_at_end
        for kind, anomaly in share.anomalies.items():
            self.anomalies.setdefault(kind, Anomaly(kind)).absorb(anomaly)

    def count(self, kind: str) -> int:
        """How often ``kind`` occurred (0 if never)."""
        anomaly = self.anomalies.get(kind)
        return 0 if anomaly is None else anomaly.count

    def to_json(self) -> dict[str, Any]:
        """As a JSON-ready dict (anomalies most frequent first)."""
        return {
            "source": self.source,
            "rows": self.rows,
            "cases": self.cases,
            "cases_written": self.cases_written,
            "cases_skipped": self.cases_skipped,
            "events_written": self.events_written,
            "people": self.people,
            "agents_written": self.agents_written,
            "open_at_end": self.open_at_end,
            "workers": self.workers,
            "anomalies": [a.to_json() for a in self.sorted_anomalies()],
        }

    def sorted_anomalies(self) -> list[Anomaly]:
        """Anomalies, most frequent first."""
        return sorted(self.anomalies.values(), key=lambda a: (-a.count, a.kind))
