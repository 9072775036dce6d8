"""An import's cases shared among processes, each interpreting and writing its share.

After the survey and the agents, the importing process forks ``count - 1`` workers
(Linux's ``fork``: they start at once, with everything the survey learned). Every process,
the importing one included, reads the whole file again but interprets and writes only the
cases of its :class:`Share` (by a hash of the case id), through its own connection to the
store, in its own atomic batches: a case is whole in the store or absent, as with one
process, and the store's writers take turns at each commit. Each worker sends back its
share's report and holdings for the importing process to merge; a worker whose importing
process has died stops before its next batch, and one that fails makes the import raise
its error. Re-running an import finishes whatever was cut short.
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
    """Raised in a worker whose importing process has died: stop before writing more."""


@attrs.frozen
class Share:
    """Share ``index`` of ``count`` of an import's cases."""

    index: int
    count: int
    parent: int | None = None
    """A worker's importing process (``None``: this is the importing process)."""

    def holds(self, case: str | None) -> bool:
        """Whether ``case`` is this share's (a record without a case id: the first share's)."""
        if self.count == 1:
            return True
        if case is None:
            return self.index == 0
        return zlib.crc32(case.encode()) % self.count == self.index

    def abandoned(self) -> bool:
        """Whether this is a worker whose importing process has died."""
        return self.parent is not None and os.getppid() != self.parent


ShareRun = Callable[["HelpDesk", Share, Progress | None], ShareResult]
"""Imports one share's cases into a desk (with progress as the share's own cases go)."""


def in_shares(desk: HelpDesk, count: int, run: ShareRun, progress: Progress | None) -> ShareResult:
    """``run`` each of ``count`` shares at once, the first here and each other in a forked
    worker with its own desk on ``desk``'s store; their reports and holdings merged."""
    if count == 1:
        return run(desk, Share(0, 1), progress)
    context = multiprocessing.get_context("fork")
    done = context.RawArray("q", count)  # cases done per share, for progress
    workers: list[tuple[BaseProcess, Connection]] = []
    try:
        for index in range(1, count):
            receiving, sending = context.Pipe(duplex=False)
            share = Share(index, count, parent=os.getpid())
            process = context.Process(
                target=_work, args=(desk.store, share, run, sending, done), daemon=True
            )
            process.start()
            sending.close()
            workers.append((process, receiving))

        def shared_progress(rows: int, cases: int, total: int) -> None:
            assert progress is not None  # noqa: S101 - passed only then
            done[0] = cases
            progress(rows, sum(done), total)

        report, spells = run(desk, Share(0, count), None if progress is None else shared_progress)
        for worker, receiving in workers:
            share_report, share_spells = _result(worker, receiving)
            report.absorb(share_report)
            for name, held in share_spells.items():
                mine = spells.setdefault(name, Spells())
                mine.extend(held)
    finally:
        for worker, _ in workers:
            if worker.is_alive():
                worker.terminate()  # the importing process failed: its workers stop too
            worker.join()
    return report, spells


def _work(
    store: SQLiteStore | PostgresStore,
    share: Share,
    run: ShareRun,
    sending: Connection,
    done: Any,
) -> None:
    """A worker: import ``share`` through a desk of its own, send back the result."""
    from ticketlog.desk import HelpDesk  # noqa: PLC0415 - imported already: forked

    def progress(_rows: int, cases: int, _total: int) -> None:
        done[share.index] = cases

    try:
        with HelpDesk(store) as desk:
            result: tuple[str, Any] = ("done", run(desk, share, progress))
    except ShareAbandoned:
        return
    except Exception as error:
        result = ("error", error)
    try:
        sending.send(result)
    except Exception as error:
        sending.send(("error", ImportWorkerFailed(f"{type(error).__name__}: {error}")))


def _result(worker: BaseProcess, receiving: Connection) -> ShareResult:
    """A worker's result, or its error raised here."""
    try:
        status, value = receiving.recv()
    except EOFError:
        worker.join()
        msg = (
            f"an import worker stopped (exit code {worker.exitcode}) before it finished; "
            "what it wrote is whole cases: import the file again to finish"
        )
        raise ImportWorkerFailed(msg) from None
    if status == "error":
        raise value
    result: ShareResult = value
    return result
