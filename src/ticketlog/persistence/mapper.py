"""Serialization of events: the one place that turns events into stored rows and back.

Each event is stored as its pydantic JSON (compact, self-describing, every field
included) under its stable ``TOPIC``; an event class of schema version N > 1 stores
``"class_version": N`` too (eventsourcing's contract). Decoding upcasts an older stored
version with the class's ``upcast_vN_vN+1`` methods, then validates the JSON back into
the event class, so enums, UUIDs, datetimes and sets come back with their types.

Decoding is strict: a stored event must name every field of its version. A field that is
missing is never filled with the class's default (a ticket stored without ``priority`` is
not a ``normal`` one): the event is a :class:`CorruptEvent`, like one with an extra
field, a value that does not validate, bytes that are not JSON (or do not decrypt), or a
schema version newer than this ticketlog reads. A topic this ticketlog does not know is an
:class:`UnknownEventType`; readers skip those (see :mod:`ticketlog.persistence.reader`).
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast
from uuid import UUID

import pydantic
import pydantic_core
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Cipher, Compressor, JSONTranscoder, Mapper, StoredEvent

from ticketlog.domain.errors import TicketlogError
from ticketlog.domain.events import EVENT_TYPES, DomainEvent


class UnknownEventType(TicketlogError):
    """A stored event's topic names no event class this version of ticketlog knows."""


class CorruptEvent(TicketlogError):
    """A stored event cannot be read as its event class (``reason`` says why).

    It names the stream (``originator_id``) and the event's place in it; readers
    quarantine the event and its stream, and commands on that stream raise this error.
    """

    def __init__(self, stored_event: StoredEvent, reason: str) -> None:
        self.originator_id = UUID(str(stored_event.originator_id))
        self.originator_version = stored_event.originator_version
        self.topic = stored_event.topic
        self.reason = reason
        super().__init__(
            f"stored event {self.topic} of {self.originator_id} v{self.originator_version} "
            f"cannot be read: {reason}"
        )


class EventMapper(Mapper[UUID]):
    """Converts ticketlog events to eventsourcing's stored events and back."""

    def __init__(self, compressor: Compressor | None = None, cipher: Cipher | None = None) -> None:
        super().__init__(transcoder=JSONTranscoder(), compressor=compressor, cipher=cipher)

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        """Encode one event."""
        event = cast(DomainEvent, domain_event)
        return StoredEvent(
            originator_id=event.originator_id,
            originator_version=event.originator_version,
            topic=event.TOPIC,
            state=self.state_of(event),
        )

    def to_row(self, event: DomainEvent) -> tuple[str, int, str, bytes]:
        """Encode one event as a row of the SQLite events table (id in hex, version,
        topic, state), without eventsourcing's stored event in between."""
        return event.originator_id.hex, event.originator_version, event.TOPIC, self.state_of(event)

    def state_of(self, event: DomainEvent) -> bytes:
        """The stored state of ``event``: its JSON (versioned above 1), sealed."""
        state = event.__pydantic_serializer__.to_json(event)  # model_dump_json(), as bytes
        if event.class_version > 1:  # the version goes first: see _versioned_json
            state = _version_prefix(event.class_version) + state[1:]
        return self.seal(state)

    def seal(self, plain: bytes) -> bytes:
        """Compress and encrypt ``plain`` as configured (also used for checkpoints)."""
        if self.compressor:
            plain = self.compressor.compress(plain)
        if self.cipher:
            plain = self.cipher.encrypt(plain)
        return plain

    def unseal(self, sealed: bytes) -> bytes:
        """Decrypt and decompress ``sealed``; ``ValueError`` if that fails."""
        try:
            if self.cipher:
                sealed = self.cipher.decrypt(sealed)
            if self.compressor:
                sealed = self.compressor.decompress(sealed)
        except Exception as error:  # the cipher's InvalidTag, zlib.error, ...
            msg = f"cannot be decrypted or decompressed ({type(error).__name__}): wrong key?"
            raise ValueError(msg) from None
        return sealed

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEvent:
        """Decode one stored event: :class:`UnknownEventType` or :class:`CorruptEvent` if not."""
        try:
            event_class = EVENT_TYPES[stored_event.topic]
        except KeyError:
            msg = f"unknown event topic {stored_event.topic!r}"
            raise UnknownEventType(msg) from None
        state = stored_event.state
        try:
            if self.cipher or self.compressor:
                state = self.unseal(state)
            event = event_class.model_validate_json(_versioned_json(event_class, state))
        except pydantic.ValidationError as error:
            if error.errors()[0]["type"] in ("json_invalid", "json_type"):
                raise CorruptEvent(stored_event, "its state is not a JSON object") from None
            raise CorruptEvent(stored_event, f"does not validate: {error}") from None
        except ValueError as error:
            raise CorruptEvent(stored_event, str(error)) from None
        fields, nested = _fields(event_class)
        if nested or len(event.__pydantic_fields_set__) != len(fields):
            missing = _missing_fields(event)
            if missing:
                reason = f"required fields missing: {', '.join(missing)}"
                raise CorruptEvent(stored_event, reason)
        if event.originator_version != stored_event.originator_version:
            reason = f"its state says v{event.originator_version}"
            raise CorruptEvent(stored_event, reason)
        return event


_VERSIONED = b'{"class_version":'


@cache
def _version_prefix(version: int) -> bytes:
    return b'{"class_version":%d,' % version


def _versioned_json(event_class: type[DomainEvent], state: bytes) -> bytes:
    """``state`` as JSON of ``event_class``'s current version, upcast if it is older.

    Rows this mapper wrote at the current version are passed through without parsing
    (for version 1, as they are; above, with the leading version cut off); anything else
    is parsed, upcast step by step, and encoded again. ``ValueError`` if that fails.
    """
    current = event_class.class_version
    if current == 1:
        if not state.startswith(_VERSIONED):
            return state  # a version stored elsewhere in it is an extra field: corrupt
    else:
        prefix = _version_prefix(current)
        if state.startswith(prefix):
            return b"{" + state[len(prefix) :]
    try:
        data = pydantic_core.from_json(state)
    except ValueError:
        msg = "its state is not a JSON object"
        raise ValueError(msg) from None
    if not isinstance(data, dict):
        msg = "its state is not a JSON object"
        raise ValueError(msg)
    version = data.pop("class_version", 1)
    if type(version) is not int or not 1 <= version <= current:
        msg = f"schema version {version!r}: this ticketlog reads versions 1 to {current}"
        raise ValueError(msg)
    _upcast(event_class, data, version)
    return pydantic_core.to_json(data)


def _upcast(event_class: type[DomainEvent], data: dict[str, Any], version: int) -> None:
    for step in range(version, event_class.class_version):
        try:
            getattr(event_class, f"upcast_v{step}_v{step + 1}")(data)
        except Exception as error:  # an upcaster meeting a shape it does not expect
            msg = f"upcasting from v{step} failed: {type(error).__name__}: {error}"
            raise ValueError(msg) from None


def _missing_fields(model: pydantic.BaseModel, path: str = "") -> list[str]:
    """Fields of ``model`` (and of the models it holds) that were not given a value."""
    fields, nested = _fields(type(model))
    given = model.__pydantic_fields_set__
    missing = [] if len(given) == len(fields) else [path + n for n in fields if n not in given]
    for name in nested:
        value = getattr(model, name)
        if isinstance(value, pydantic.BaseModel):
            missing += _missing_fields(value, f"{path}{name}.")
    return missing


@cache
def _fields(model_class: type[pydantic.BaseModel]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The fields of ``model_class``, and those of them that hold pydantic models."""
    fields = model_class.model_fields
    nested = tuple(
        name
        for name, info in fields.items()
        if isinstance(info.annotation, type) and issubclass(info.annotation, pydantic.BaseModel)
    )
    return tuple(fields), nested
