"""An open-world reader of the event log: what it cannot read, it skips and reports.

A log may hold rows this version of ticketlog cannot use: events of types a newer version
added (an unknown topic), and rows that do not decode (damaged, hand-edited, or of a newer
schema version: a :class:`~ticketlog.persistence.mapper.CorruptEvent`). Neither stops the
desk:

* an **unknown topic** is skipped, by the log reader and by aggregates alike (the
  aggregate's version still counts it, so a command appends after it), and counted;
* an **undecodable row** is quarantined with its stream: the log reader skips it and every
  later event of that stream (a read model never sees half a stream), and commands on that
  stream raise the :class:`~ticketlog.persistence.mapper.CorruptEvent`. Every other stream
  reads on.

:meth:`LogReader.health` reports both: the skipped topics with their counts, and each
quarantined row with its position in the log. A reader holds a stream back from the
unreadable rows it has met itself: a follower resuming from a checkpoint taken after such
a row would fold later events of that stream (commands on it are refused, so only
another writer could add any).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from uuid import UUID

import attrs
from eventsourcing.persistence import ApplicationRecorder, StoredEvent

from ticketlog.domain.events import DomainEvent
from ticketlog.persistence.mapper import CorruptEvent, EventMapper, UnknownEventType

PAGE = 1000
"""Rows read from the store per query."""


@attrs.frozen
class QuarantinedEvent:
    """A stored row that could not be read, and why."""

    originator_id: UUID
    originator_version: int
    topic: str
    reason: str
    position: int | None
    """Its position in the log (``None`` until the log reader has met it)."""


@attrs.frozen
class LogHealth:
    """What the reader skipped and quarantined so far (empty: every row was read)."""

    unknown_topics: Mapping[str, int]
    """Topics of event types this ticketlog does not know, with how many rows were skipped."""
    quarantined: tuple[QuarantinedEvent, ...]
    """Rows that could not be decoded, in log order; their streams are held back."""

    @property
    def ok(self) -> bool:
        """Whether every stored event was read."""
        return not self.unknown_topics and not self.quarantined

    @property
    def quarantined_streams(self) -> frozenset[UUID]:
        """The tickets and agents whose streams are held back."""
        return frozenset(event.originator_id for event in self.quarantined)


class LogReader:
    """Reads the log and single streams through ``mapper``, skipping what it cannot read."""

    def __init__(self, recorder: ApplicationRecorder, mapper: EventMapper) -> None:
        self._recorder = recorder
        self._mapper = mapper
        self._lock = threading.Lock()
        self._unknown: Counter[str] = Counter()
        self._counted = 0
        """Unknown rows up to this position are counted (each once, however often read)."""
        self._quarantined: dict[tuple[UUID, int], QuarantinedEvent] = {}
        self._held_back: dict[UUID, int] = {}
        """Quarantined stream to the version of its first unreadable row."""

    def log(
        self, after: int = 0, *, topics: Sequence[str] = ()
    ) -> Iterator[tuple[int, DomainEvent]]:
        """The readable events after position ``after``, in log order, with their positions."""
        counting = not topics  # a read of some topics only skips rows it does not see
        while True:
            page = self._recorder.select_notifications(
                start=after, limit=PAGE, topics=topics, inclusive_of_start=False
            )
            for notification in page:
                after = notification.id
                event = self._read(notification, after, counting=counting)
                if event is not None and not self._is_held_back(event):
                    yield after, event
            if counting and page:
                with self._lock:
                    self._counted = max(self._counted, after)
            if len(page) < PAGE:
                return

    def stream(self, originator_id: UUID, *, after: int = 0) -> tuple[list[DomainEvent], int]:
        """A stream's readable events after version ``after`` and its version (counting
        unknown events; ``after`` when it has none after it).

        :class:`~ticketlog.persistence.mapper.CorruptEvent` if one of its rows cannot be read.
        """
        events: list[DomainEvent] = []
        version = after
        rows = self._recorder.select_events(originator_id, gt=after or None)
        for stored in rows:
            version = stored.originator_version
            event = self._read(stored, None, strict=True)
            if event is not None:
                events.append(event)
        return events, version

    def health(self) -> LogHealth:
        """What was skipped and quarantined so far."""
        with self._lock:
            quarantined = sorted(
                self._quarantined.values(),
                key=lambda q: (q.position is None, q.position or 0, str(q.originator_id)),
            )
            return LogHealth(dict(self._unknown), tuple(quarantined))

    def _read(
        self,
        stored: StoredEvent,
        position: int | None,
        *,
        strict: bool = False,
        counting: bool = False,
    ) -> DomainEvent | None:
        """The event, or ``None`` if unknown (counted when ``counting`` at ``position``) or,
        unless ``strict``, corrupt (quarantined)."""
        try:
            return self._mapper.to_domain_event(stored)
        except UnknownEventType:
            if counting and position is not None:
                self._count_unknown(stored.topic, position)
            return None
        except CorruptEvent as error:
            self._quarantine(error, position)
            if strict:
                raise
            return None

    def _count_unknown(self, topic: str, position: int) -> None:
        with self._lock:
            if position > self._counted:
                self._unknown[topic] += 1
                self._counted = position

    def _quarantine(self, error: CorruptEvent, position: int | None) -> None:
        stream = error.originator_id
        key = (stream, error.originator_version)
        with self._lock:
            known = self._quarantined.get(key)
            if known is None or known.position is None:
                self._quarantined[key] = QuarantinedEvent(
                    stream, error.originator_version, error.topic, error.reason, position
                )
            if position is not None:  # the log reader holds back the rest of the stream
                first = self._held_back.get(stream, error.originator_version)
                self._held_back[stream] = min(first, error.originator_version)

    def _is_held_back(self, event: DomainEvent) -> bool:
        first = self._held_back.get(event.originator_id)
        return first is not None and event.originator_version > first
