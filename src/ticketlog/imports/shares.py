"""An import shared among processes, each surveying, interpreting and writing its share.

The importing process (the *leader*) forks a worker for each other :class:`Share`
(Linux's ``fork``: they start at once). A CSV file of rows is cut into spans of bytes,
one a share, each read once (:mod:`~ticketlog.imports.spans`); other files are shared by
case, each process reading every record but keeping its own cases'. After the survey each
worker sends the leader what it met; the leader merges it, tells span shares which cases
run across spans (each is imported by the share of its first row), has everyone join the
desk, and releases the workers, who write nothing before that (so agents precede their
tickets in the log). Each process then writes its tickets through its own connection to
the store, in its own atomic batches: a case is whole in the store or absent, as with one
process, and the store's writers take turns at each commit. Workers send back their
share's report and holdings for the leader to merge. A worker whose leader has died stops
before its next batch, or at once if it was waiting for the leader; one that fails makes
the import raise its error. Re-running an import finishes whatever was cut short.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import zlib
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from ticketlog.imports.interpret import Spells
from ticketlog.imports.mapping import HistoryImportError, ImportMapping
from ticketlog.imports.readers import Records, source_rows
from ticketlog.imports.report import ImportReport
from ticketlog.imports.rows import RowReader
from ticketlog.imports.spans import Span, csv_spans, span_records

if TYPE_CHECKING:
    from ticketlog.desk import HelpDesk
    from ticketlog.persistence.settings import PostgresStore, SQLiteStore

Progress = Callable[[int, int, int], None]
"""Called as ``progress(rows_read, cases_done, rows_in_file)``: while the file is surveyed
(the first pass) with no case done and ``rows_in_file`` 0 (not known yet), then as cases
are imported."""

FORKS = sys.platform == "linux"
"""Whether imports can fork workers (elsewhere ``fork`` is unsafe or missing)."""

ShareResult = tuple[ImportReport, dict[str, Spells]]
"""What a share's import returns: its report, and each person's holdings in it."""


class ImportWorkerFailed(HistoryImportError):
    """A worker of an import stopped without its report (killed, out of memory).

    What it had committed is whole cases: importing the file again finishes the job.
    """


class ShareAbandoned(Exception):
    """Raised in a worker whose leader has died: stop before writing more."""


LEADER_WEIGHT = 0.95
"""The leader's share of the cases, against a worker's 1: it also has everyone join (while
the workers go on) and records the capacities (after them). With 0.85 it waited for its
worker 0.24-0.42 s of a 3.9 s import of 200,838 rows, with 0.95 0.13 s."""


class Source(Protocol):
    """What a share reads: the file, its mapping and companion, and the row reader."""

    path: Path
    mapping: ImportMapping
    companion: Path | None
    reader: RowReader


@attrs.frozen
class Share:
    """Share ``index`` of ``count`` of an import's cases (the leader's is share 0).

    A CSV file of rows is shared by :class:`~ticketlog.imports.spans.Span`: each share
    reads its own bytes, and holds the cases whose first row is there (reading on past its
    span for their last rows). Other files are shared by case: each share reads every
    record and keeps those of the cases whose hash (CRC-32) is in ``[low, high)``.
    """

    index: int
    count: int
    span: Span | None = None
    rest: Span | None = None
    """The file after ``span``, where the share's cases may go on (``None``: the last)."""
    low: int = attrs.field(init=False)
    high: int = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        cuts = [round(f * 2**32) for f in (0.0, *fractions(self.count), 1.0)]
        object.__setattr__(self, "low", cuts[self.index])
        object.__setattr__(self, "high", cuts[self.index + 1])

    def holds(self, case: str | None) -> bool:
        """Whether ``case`` is this share's by its hash (a record without a case id: the
        leader's)."""
        if self.count == 1:
            return True
        if case is None:
            return self.index == 0
        return self.low <= zlib.crc32(case.encode()) < self.high

    def own(self, source: Source) -> Records:
        """The records this share reads as its own: its span's, or its cases'."""
        if self.span is not None:
            return span_records(source.path, source.mapping, self.span)
        records = source_rows(source.path, source.mapping, source.companion)
        if self.count == 1:
            return records
        case_in = source.reader.case_in
        return ((line, record) for line, record in records if self.holds(case_in(record)))

    def beyond(self, source: Source) -> Records:
        """The records after this share's span, where its last cases may end."""
        if self.rest is None:
            return iter(())
        return span_records(source.path, source.mapping, self.rest)


def fractions(count: int) -> list[float]:
    """Where ``count`` shares meet, as fractions of the whole (the leader's a little less)."""
    weights = [LEADER_WEIGHT, *[1.0] * (count - 1)]
    return [sum(weights[:i]) / sum(weights) for i in range(1, count)]


def plan_shares(source: Source, count: int) -> list[Share]:
    """``count`` shares of the import of ``source``: by span if its file is a CSV file of
    rows that can be cut, else by case."""
    spans = None if count == 1 else csv_spans(source.path, source.mapping, fractions(count))
    if spans is None or len(spans) < 2:
        return [Share(index, count) for index in range(count)]
    last = spans[-1]
    return [
        Share(
            index,
            len(spans),
            span=span,
            rest=None if span is last else attrs.evolve(spans[index + 1], end=last.end),
        )
        for index, span in enumerate(spans)
    ]


class Link:
    """A share's line to the others: the leader's to its workers (none when alone)."""

    def __init__(self, workers: list[tuple[BaseProcess, Connection]] | None = None) -> None:
        self.workers = workers or []

    def gather(self, mine: Any) -> list[Any] | None:
        """Everyone's ``mine`` (the leader's first), or ``None`` in a worker (sent on)."""
        return [mine, *(_received(worker, "survey") for worker in self.workers)]

    def tell(self, plan: Any) -> None:
        """Send the workers what the leader learned from everyone's survey."""
        for _, connection in self.workers:
            connection.send(("plan", plan))

    def told(self) -> Any:
        """What the leader told (in a worker)."""
        raise NotImplementedError  # the leader is told nothing

    def release(self) -> None:
        """Let the workers write (the leader calls it once the agents are stored)."""
        for _, connection in self.workers:
            connection.send(("go", None))

    def before_write(self) -> None:
        """Called before each batch is written (a worker waits to be released)."""

    def collect(self) -> list[ShareResult]:
        """The workers' results, or the first one's error raised here."""
        return [_received(worker, "result") for worker in self.workers]


class _WorkerLink(Link):
    """A worker's line to its leader."""

    def __init__(self, connection: Connection, leader: int) -> None:
        super().__init__()
        self.connection = connection
        self.leader = leader
        self.released = False

    def gather(self, mine: Any) -> list[Any] | None:
        self.connection.send(("survey", mine))
        return None

    def told(self) -> Any:
        return self._next("plan")

    def before_write(self) -> None:
        if not self.released:
            self._next("go")
            self.released = True
        if os.getppid() != self.leader:
            raise ShareAbandoned

    def _next(self, expected: str) -> Any:
        """The leader's next message, which should be ``expected``."""
        try:
            kind, value = self.connection.recv()
        except EOFError:
            raise ShareAbandoned from None
        assert kind == expected, (kind, expected)  # noqa: S101 - the protocol's order
        return value


ShareRun = Callable[["HelpDesk", Share, Link, Progress | None], ShareResult]
"""Imports one share's cases into a desk (with progress as the share's own cases go)."""


def in_shares(
    desk: HelpDesk, shares: list[Share], run: ShareRun, progress: Progress | None
) -> ShareResult:
    """``run`` each share at once, the first here and each other in a forked worker with
    its own desk on ``desk``'s store; their reports and holdings merged. ``progress`` is
    told the rows and cases of all shares together."""
    if len(shares) == 1:
        return run(desk, shares[0], Link(), progress)
    context = multiprocessing.get_context("fork")
    rows_read = context.RawArray("q", len(shares))  # per share, for progress
    cases_done = context.RawArray("q", len(shares))
    workers: list[tuple[BaseProcess, Connection]] = []
    try:
        for share in shares[1:]:
            mine, theirs = context.Pipe()
            leaders = [end for _, end in workers] + [mine]  # the worker closes its copies
            process = context.Process(
                target=_work,
                args=(desk.store, share, run, (theirs, leaders), os.getpid()),
                kwargs={"counts": (rows_read, cases_done)},
                daemon=True,
            )
            process.start()
            theirs.close()
            workers.append((process, mine))

        def shared_progress(rows: int, cases: int, total: int) -> None:
            assert progress is not None  # noqa: S101 - passed only then
            rows_read[0], cases_done[0] = rows, cases
            progress(sum(rows_read), sum(cases_done), total)

        link = Link(workers)
        told = None if progress is None else shared_progress
        report, spells = run(desk, shares[0], link, told)
        for share_report, share_spells in link.collect():
            report.absorb(share_report)
            for name, held in share_spells.items():
                spells.setdefault(name, Spells()).extend(held)
    finally:
        for worker, _ in workers:
            if worker.is_alive():
                worker.terminate()  # the leader failed: its workers stop too
            worker.join()
    return report, spells


def _work(
    store: SQLiteStore | PostgresStore,
    share: Share,
    run: ShareRun,
    ends: tuple[Connection, list[Connection]],
    leader: int,
    *,
    counts: tuple[Any, Any],
) -> None:
    """A worker: import ``share`` through a desk of its own, send back the result.

    ``ends``: the worker's end of its pipe to the leader, and the leader's ends the fork
    copied, which it closes at once (while a copy is open, a leader's death closes no pipe,
    and a worker could wait for it forever)."""
    from ticketlog.desk import HelpDesk  # noqa: PLC0415 - imported already: forked

    connection, leaders = ends
    for end in leaders:
        end.close()
    rows_read, cases_done = counts

    def progress(rows: int, cases: int, _total: int) -> None:
        rows_read[share.index], cases_done[share.index] = rows, cases

    try:
        with HelpDesk(store) as desk:
            result: tuple[str, Any] = (
                "result",
                run(desk, share, _WorkerLink(connection, leader), progress),
            )
    except (ShareAbandoned, KeyboardInterrupt):  # the leader died, or is interrupted too
        return
    except Exception as error:
        result = ("error", error)
    with contextlib.suppress(OSError):  # the leader is gone: nobody to tell
        _send(connection, result)


def _send(connection: Connection, result: tuple[str, Any]) -> None:
    """Send ``result`` to the leader (an error that does not pickle: what it says)."""
    try:
        connection.send(result)
    except OSError:
        raise
    except Exception:  # it does not pickle
        failure = result[1]
        connection.send(("error", ImportWorkerFailed(f"{type(failure).__name__}: {failure}")))


def _received(worker: tuple[BaseProcess, Connection], expected: str) -> Any:
    """What ``worker`` sends next, which should be ``expected``; its error raised here."""
    process, connection = worker
    try:
        kind, value = connection.recv()
    except EOFError:
        process.join()
        msg = (
            f"an import worker stopped (exit code {process.exitcode}) before it finished; "
            "what it wrote is whole cases: import the file again to finish"
        )
        raise ImportWorkerFailed(msg) from None
    if kind == "error":
        raise value
    assert kind == expected, (kind, expected)  # noqa: S101 - the protocol's order
    return value
