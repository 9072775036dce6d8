"""An import's cases shared among processes, each surveying, interpreting and writing its
share.

The importing process (the *leader*) forks ``count - 1`` workers (Linux's ``fork``: they
start at once). Every process reads the whole file in both passes but handles only the
cases of its :class:`Share` (by a hash of the case id). After the survey each worker sends
the leader the people it met; the leader merges them, has everyone join the desk, and
releases the workers, who write nothing before that (so agents precede their tickets in
the log). Each process then writes its share's tickets through its own connection to the
store, in its own atomic batches: a case is whole in the store or absent, as with one
process, and the store's writers take turns at each commit. Workers send back their
share's report and holdings for the leader to merge. A worker whose leader has died stops
before its next batch; one that fails makes the import raise its error. Re-running an
import finishes whatever was cut short.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import zlib
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

import attrs

from ticketlog.imports.interpret import Spells
from ticketlog.imports.mapping import HistoryImportError
from ticketlog.imports.report import ImportReport

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


LEADER_WEIGHT = 0.9
"""The leader's share of the cases, against a worker's 1: it also has everyone join and
records the capacities."""


@attrs.frozen
class Share:
    """Share ``index`` of ``count`` of an import's cases (the leader's is share 0)."""

    index: int
    count: int
    low: int = attrs.field(init=False)
    high: int = attrs.field(init=False)
    """The share holds the cases whose hash (CRC-32) is in ``[low, high)``."""

    def __attrs_post_init__(self) -> None:
        weights = [LEADER_WEIGHT, *[1.0] * (self.count - 1)]
        cuts = [round(sum(weights[:i]) / sum(weights) * 2**32) for i in range(self.count + 1)]
        object.__setattr__(self, "low", cuts[self.index])
        object.__setattr__(self, "high", cuts[self.index + 1])

    def holds(self, case: str | None) -> bool:
        """Whether ``case`` is this share's (a record without a case id: the leader's)."""
        if self.count == 1:
            return True
        if case is None:
            return self.index == 0
        return self.low <= zlib.crc32(case.encode()) < self.high


class Link:
    """A share's line to the others: the leader's to its workers (none when alone)."""

    def __init__(self, workers: list[tuple[BaseProcess, Connection]] | None = None) -> None:
        self.workers = workers or []

    def gather(self, mine: Any) -> list[Any] | None:
        """Everyone's ``mine`` (the leader's first), or ``None`` in a worker (sent on)."""
        return [mine, *(_received(worker, "survey") for worker in self.workers)]

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

    def before_write(self) -> None:
        if not self.released:
            try:
                self.connection.recv()
            except EOFError:
                raise ShareAbandoned from None
            self.released = True
        if os.getppid() != self.leader:
            raise ShareAbandoned


ShareRun = Callable[["HelpDesk", Share, Link, Progress | None], ShareResult]
"""Imports one share's cases into a desk (with progress as the share's own cases go)."""


def in_shares(desk: HelpDesk, count: int, run: ShareRun, progress: Progress | None) -> ShareResult:
    """``run`` each of ``count`` shares at once, the first here and each other in a forked
    worker with its own desk on ``desk``'s store; their reports and holdings merged."""
    if count == 1:
        return run(desk, Share(0, 1), Link(), progress)
    context = multiprocessing.get_context("fork")
    done = context.RawArray("q", count)  # cases done per share, for progress
    workers: list[tuple[BaseProcess, Connection]] = []
    try:
        for index in range(1, count):
            mine, theirs = context.Pipe()
            process = context.Process(
                target=_work,
                args=(desk.store, Share(index, count), run, theirs, os.getpid(), done),
                daemon=True,
            )
            process.start()
            theirs.close()
            workers.append((process, mine))

        def shared_progress(rows: int, cases: int, total: int) -> None:
            assert progress is not None  # noqa: S101 - passed only then
            done[0] = cases
            progress(rows, sum(done), total)

        link = Link(workers)
        told = None if progress is None else shared_progress
        report, spells = run(desk, Share(0, count), link, told)
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


def _work(  # noqa: PLR0917 - a process's target, called once
    store: SQLiteStore | PostgresStore,
    share: Share,
    run: ShareRun,
    connection: Connection,
    leader: int,
    done: Any,
) -> None:
    """A worker: import ``share`` through a desk of its own, send back the result."""
    from ticketlog.desk import HelpDesk  # noqa: PLC0415 - imported already: forked

    def progress(_rows: int, cases: int, _total: int) -> None:
        done[share.index] = cases

    try:
        with HelpDesk(store) as desk:
            result: tuple[str, Any] = (
                "result",
                run(desk, share, _WorkerLink(connection, leader), progress),
            )
    except ShareAbandoned:
        return
    except Exception as error:
        result = ("error", error)
    try:
        connection.send(result)
    except Exception as error:
        connection.send(("error", ImportWorkerFailed(f"{type(error).__name__}: {error}")))


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
