"""Serialization of events: the one place that turns events into stored rows and back.

Each event is stored as its pydantic JSON (compact, self-describing, every field
included) under its stable ``TOPIC``. Decoding validates the JSON back into the event
class, so enums, UUIDs, datetimes and sets come back with their types.
"""

from __future__ import annotations

from typing import cast
from uuid import UUID

import pydantic
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Cipher, Compressor, JSONTranscoder, Mapper, StoredEvent

from ticketlog.domain.errors import TicketlogError
from ticketlog.domain.events import EVENT_TYPES, DomainEvent


class UnknownEventType(TicketlogError):
    """A stored event's topic names no event class this version of ticketlog knows."""


class CorruptEvent(TicketlogError):
    """A stored event's state does not validate as its event class."""


class EventMapper(Mapper[UUID]):
    """Converts ticketlog events to eventsourcing's stored events and back."""

    def __init__(self, compressor: Compressor | None = None, cipher: Cipher | None = None) -> None:
        super().__init__(transcoder=JSONTranscoder(), compressor=compressor, cipher=cipher)

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        """Encode one event."""
        event = cast(DomainEvent, domain_event)
        state = event.model_dump_json().encode()
        if self.compressor:
            state = self.compressor.compress(state)
        if self.cipher:
            state = self.cipher.encrypt(state)
        return StoredEvent(
            originator_id=event.originator_id,
            originator_version=event.originator_version,
            topic=event.TOPIC,
            state=state,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEvent:
        """Decode one stored event; :class:`UnknownEventType` if its topic is unknown."""
        try:
            event_class = EVENT_TYPES[stored_event.topic]
        except KeyError:
            msg = f"unknown event topic {stored_event.topic!r}"
            raise UnknownEventType(msg) from None
        state = stored_event.state
        if self.cipher:
            state = self.cipher.decrypt(state)
        if self.compressor:
            state = self.compressor.decompress(state)
        try:
            return event_class.model_validate_json(state)
        except pydantic.ValidationError as error:
            msg = (
                f"stored event {stored_event.topic} of {stored_event.originator_id} "
                f"v{stored_event.originator_version} does not validate: {error}"
            )
            raise CorruptEvent(msg) from None
