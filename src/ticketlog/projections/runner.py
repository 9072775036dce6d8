"""Keeping a projection up to date with an event log, resumably.

A :class:`Follower` reads the log after the last position it processed, folds each
event into its projection, and from time to time saves a checkpoint: the projection's
state and that position, written together in one row, so a restarted process resumes
exactly where the checkpoint was taken, without counting an event twice. The same
projection classes can be rebuilt from the start of the log (:meth:`Follower.rebuild`)
or fed directly by any in-process source (:func:`ticketlog.projections.base.fold`).

A checkpoint is the projection's own state in a versioned JSON encoding
(:mod:`ticketlog.projections.checkpoint`), checked when it is loaded and never executed:
a checkpoint that cannot be restored is discarded, and the follower says so
(:attr:`Follower.discarded`, a warning on the ``ticketlog`` logger) and rebuilds from the
start of the log.

SQLite offers no change notifications, so followers poll (:meth:`Follower.run`).

While it folds, a follower pauses Python's cyclic garbage collector (reference counting
still frees every event; folds create no reference cycles): on long logs the collector
otherwise re-scans the growing read model again and again, costing about a quarter of
the rebuild time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, Protocol

from ticketlog.domain.events import DomainEvent
from ticketlog.projections import checkpoint
from ticketlog.projections.base import P, collector_paused

_log = logging.getLogger("ticketlog")


class EventSource(Protocol):
    """Anything that reads an event log in order: a :class:`~ticketlog.desk.HelpDesk`."""

    def read_log(
        self, after: int = 0, *, topics: Sequence[str] = ()
    ) -> Iterator[tuple[int, DomainEvent]]:
        """Events after position ``after``, with their positions, in log order."""
        ...


class Checkpoints(Protocol):
    """Where followers keep (position, state) pairs by name; each save is atomic."""

    def load(self, name: str) -> tuple[int, bytes] | None:
        """The latest checkpoint saved under ``name``, if any
        (:class:`~ticketlog.projections.checkpoint.UnreadableCheckpoint` if it cannot be read).
        """
        ...

    def save(self, name: str, position: int, state: bytes) -> None:
        """Replace the checkpoint under ``name`` (position and state together)."""
        ...

    def delete(self, name: str) -> None:
        """Forget the checkpoint under ``name``."""
        ...


class Follower(Generic[P]):
    """Folds an event log into a projection and remembers how far it got.

    ``factory`` makes an empty projection. With ``checkpoints``, the follower starts
    from the checkpoint saved under ``name`` (if any) and saves one every
    ``checkpoint_every`` events and at the end of each :meth:`catch_up`. A checkpointed
    projection's state must be made of what :mod:`ticketlog.projections.checkpoint`
    encodes (builtin containers, UUIDs, times, enums, pydantic models, named tuples, and
    objects of ticketlog's or the projection's own module).
    """

    discarded: str | None
    """Why the saved checkpoint was not restored (``None``: restored, or there was none)."""

    def __init__(
        self,
        source: EventSource,
        factory: Callable[[], P],
        *,
        name: str = "desk",
        checkpoints: Checkpoints | None = None,
        checkpoint_every: int = 100_000,
    ) -> None:
        self._source = source
        self._factory = factory
        self.name = name
        self._checkpoints = checkpoints
        self._every = checkpoint_every
        self._lock = threading.RLock()
        self.position = 0
        self.projection = factory()
        self.discarded = None
        if checkpoints is not None:
            self._restore(checkpoints)

    def _restore(self, checkpoints: Checkpoints) -> None:
        """Resume from the saved checkpoint; if it cannot be restored, start afresh."""
        try:
            saved = checkpoints.load(self.name)
            if saved is not None:
                kind = type(self.projection)
                self.projection = checkpoint.decode(saved[1], kind, saved[0])
                self.position = saved[0]
        except checkpoint.UnreadableCheckpoint as error:
            self.discarded = str(error)
            _log.warning("follower %r rebuilds from the log: %s", self.name, error)

    def catch_up(self, *, limit: int | None = None) -> int:
        """Fold the events written since the last call (at most ``limit``); return how many."""
        with self._lock, collector_paused():
            count = 0
            if limit is not None and limit <= 0:
                return count
            for position, event in self._source.read_log(self.position):
                self.projection.apply(event)
                self.position = position
                count += 1
                if count % self._every == 0:
                    self.checkpoint()
                if count == limit:
                    break
            if count:
                self.checkpoint()
            return count

    def checkpoint(self) -> None:
        """Save the projection and its position now (no-op without checkpoints)."""
        if self._checkpoints is not None:
            with self._lock:
                state = checkpoint.encode(self.projection, self.position)
                self._checkpoints.save(self.name, self.position, state)

    def rebuild(self) -> int:
        """Forget everything and fold the whole log again; return the number of events."""
        with self._lock:
            if self._checkpoints is not None:
                self._checkpoints.delete(self.name)
            self.position = 0
            self.projection = self._factory()
            return self.catch_up()

    def run(self, stop: threading.Event, *, interval: float = 0.5) -> None:
        """Catch up every ``interval`` seconds until ``stop`` is set (for a worker thread)."""
        while not stop.is_set():
            self.catch_up()
            stop.wait(interval)
