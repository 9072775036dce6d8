"""The checkpoint encoding: a projection's own state as versioned, tagged JSON.

A checkpoint is one JSON object::

    {"format": "ticketlog-checkpoint", "version": 1, "ticketlog": "0.1.0",
     "projection": "ticketlog.projections.view:DeskView", "position": 1234,
     "state": <the projection's state>}

``ticketlog`` is the release that wrote it: read models may change shape between
releases, so a checkpoint of another release is not restored (its follower rebuilds).

The state is the projection's attributes, encoded as a tree of JSON values: strings,
integers, booleans and ``null`` stand for themselves; everything else is a one-key tag
such as ``{"list": [...]}``, ``{"dict": [[key, value], ...]}``, ``{"uuid": "..."}``,
``{"datetime": "..."}``, ``{"timedelta": [days, seconds, microseconds]}``,
``{"enum": ["module:Class", value]}``, ``{"model": ["module:Class", "<pydantic JSON>"]}``,
``{"tuple": ["module:Class", [...]]}`` for named tuples, ``{"object": ["module:Class",
state]}`` for other objects (their ``__getstate__``), and ``{"ref": n}`` for the n-th
container met before (shared references stay shared).

Loading is checked and runs no code of the row's choosing: the document must have this
format, version, release, projection class and position; it is parsed by :mod:`json`; a class may
only be one defined in a ``ticketlog`` module or in the projection's own module, already
imported, and is rebuilt without calling its constructor (its ``__setstate__`` if it
defines one, else its attributes are set). Anything else is an
:class:`UnreadableCheckpoint`.
"""

from __future__ import annotations

import json
import math
import sys
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import pydantic

from ticketlog._version import __version__
from ticketlog.domain.errors import TicketlogError
from ticketlog.projections.base import collector_paused

FORMAT = "ticketlog-checkpoint"
VERSION = 1
"""The version of the encoding written; loading accepts this version only."""

T = TypeVar("T")

_FACTORIES: dict[str, Callable[[], Any]] = {"list": list, "set": set, "dict": dict, "int": int}
"""The ``defaultdict`` factories the encoding can express, by name."""


class UnreadableCheckpoint(TicketlogError):
    """A stored checkpoint is not a valid checkpoint of this projection (the follower
    then rebuilds from the log)."""


class NotCheckpointable(TicketlogError, TypeError):
    """A projection's state holds a value the checkpoint encoding cannot express."""


def topic(cls: type) -> str:
    """``module:QualName`` of a class."""
    return f"{cls.__module__}:{cls.__qualname__}"


def encode(projection: object, position: int) -> bytes:
    """The checkpoint of ``projection`` at ``position``; :class:`NotCheckpointable` if its
    state holds something else than the encoding's types or a reference cycle."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "ticketlog": __version__,
        "projection": topic(type(projection)),
        "position": position,
    }
    with collector_paused():  # the pass allocates much and frees nothing
        document["state"] = _Encoder(type(projection).__module__).value(projection)
    return json.dumps(document, separators=(",", ":"), allow_nan=False).encode()


def decode(data: bytes, projection_class: type[T], position: int) -> T:
    """The projection stored in checkpoint ``data`` taken at ``position``.

    :class:`UnreadableCheckpoint` if ``data`` is anything but such a checkpoint of a
    ``projection_class``.
    """
    try:
        with collector_paused():
            document = json.loads(data)
            _check_header(document, projection_class, position)
            projection = _Decoder(projection_class.__module__).value(document["state"])
    except UnreadableCheckpoint:
        raise
    except (ValueError, TypeError, LookupError, AttributeError, RecursionError) as error:
        msg = f"not a valid checkpoint: {type(error).__name__}: {error}"
        raise UnreadableCheckpoint(msg) from None
    if type(projection) is not projection_class:
        msg = f"the checkpoint holds a {type(projection).__name__}"
        raise UnreadableCheckpoint(msg)
    return projection


def _check_header(document: Any, projection_class: type, position: int) -> None:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        msg = f"not a {FORMAT} document"
        raise UnreadableCheckpoint(msg)
    expected = {
        "version": VERSION,
        "ticketlog": __version__,
        "projection": topic(projection_class),
        "position": position,
    }
    for key, value in expected.items():
        if document.get(key) != value:
            msg = f"checkpoint {key} is {document.get(key)!r}, not {value!r}"
            raise UnreadableCheckpoint(msg)


class _Encoder:
    """One encoding pass: remembers the containers met, to refer to them again."""

    def __init__(self, own_module: str) -> None:
        self._own = own_module
        self._slots: dict[int, int] = {}
        self._open: set[int] = set()
        self._kept: list[Any] = []
        """Every container met, kept alive so that no id is reused during the pass."""
        self._topics: dict[type, str] = {}
        self._simple: dict[type, Callable[[Any], Any]] = {
            str: _same,
            int: _same,
            bool: _same,
            type(None): _same,
            float: _float,
            UUID: lambda v: {"uuid": v.hex},
            datetime: lambda v: {"datetime": v.isoformat()},
            date: lambda v: {"date": v.isoformat()},
            time: lambda v: {"time": v.isoformat()},
            timedelta: lambda v: {"timedelta": [v.days, v.seconds, v.microseconds]},
            timezone: lambda v: {"timezone": self.value(v.utcoffset(None))},
            ZoneInfo: lambda v: {"zone": v.key},
        }

    def value(self, value: Any) -> Any:
        simple = self._simple.get(type(value))
        if simple is not None:
            return simple(value)
        if isinstance(value, Enum):
            return {"enum": [self._topic(type(value)), self.value(value.value)]}
        key = id(value)
        slot = self._slots.get(key)
        if slot is not None:
            if key in self._open:
                msg = f"a reference cycle through a {type(value).__name__}"
                raise NotCheckpointable(msg)
            return {"ref": slot}
        self._slots[key] = len(self._slots)
        self._kept.append(value)
        self._open.add(key)
        encoded = self._container(value)
        self._open.discard(key)
        return encoded

    def _container(self, value: Any) -> Any:  # noqa: PLR0911 - one case per kind
        kind = type(value)
        if kind is list:
            return {"list": [self.value(v) for v in value]}
        if kind is tuple:
            return {"tuple": [self.value(v) for v in value]}
        if kind is set or kind is frozenset:
            return {kind.__name__: [self.value(v) for v in value]}
        if kind is dict:
            return {"dict": self._items(value)}
        if kind is defaultdict:
            factory = next((n for n, f in _FACTORIES.items() if f is value.default_factory), None)
            if factory is None:
                msg = f"a defaultdict of {value.default_factory!r}"
                raise NotCheckpointable(msg)
            return {"defaultdict": [factory, self._items(value)]}
        if isinstance(value, pydantic.BaseModel):
            return {"model": [self._topic(kind), value.model_dump_json()]}
        if isinstance(value, tuple) and hasattr(kind, "_make"):
            return {"namedtuple": [self._topic(kind), [self.value(v) for v in value]]}
        if isinstance(value, (list, tuple, set, frozenset, dict, type)) or callable(value):
            msg = f"a {kind.__module__}.{kind.__qualname__}"
            raise NotCheckpointable(msg)
        return {"object": [self._topic(kind), self.value(value.__getstate__())]}

    def _topic(self, cls: type) -> str:
        """The topic of ``cls``, if loading may rebuild it."""
        known = self._topics.get(cls)
        if known is not None:
            return known
        if not _allowed(cls.__module__, self._own):
            msg = f"a {cls.__module__}.{cls.__qualname__} (only ticketlog's and its own classes)"
            raise NotCheckpointable(msg)
        self._topics[cls] = name = topic(cls)
        return name

    def _items(self, mapping: dict[Any, Any]) -> list[list[Any]]:
        return [[self.value(k), self.value(v)] for k, v in mapping.items()]


def _same(value: Any) -> Any:
    return value


def _float(value: float) -> Any:
    return value if math.isfinite(value) else {"float": repr(value)}


_BUILDING = object()
"""The memo's mark of a container whose contents are being decoded."""


class _Decoder:
    """One decoding pass, resolving classes only from ``ticketlog`` and ``own_module``."""

    def __init__(self, own_module: str) -> None:
        self._own = own_module
        self._memo: list[Any] = []
        self._classes: dict[tuple[str, type], type] = {}
        self._uuids: dict[str, UUID] = {}
        """UUIDs by hex: ids recur throughout a read model, and building one costs."""
        self._tags: dict[str, Callable[[Any], Any]] = {
            "float": lambda v: float(_choice(v, ("inf", "-inf", "nan"))),
            "uuid": self._uuid,
            "datetime": lambda v: datetime.fromisoformat(_of(v, str)),
            "date": lambda v: date.fromisoformat(_of(v, str)),
            "time": lambda v: time.fromisoformat(_of(v, str)),
            "timedelta": lambda v: timedelta(*(_of(n, int) for n in _of(v, list))),
            "timezone": lambda v: timezone(self.value(v)),
            "zone": lambda v: ZoneInfo(_of(v, str)),
            "enum": self._enum,
            "ref": self._ref,
        }
        self._containers: dict[str, Callable[[Any], Any]] = {
            "list": lambda v: [self.value(x) for x in _of(v, list)],
            "tuple": lambda v: tuple(self.value(x) for x in _of(v, list)),
            "set": lambda v: {self.value(x) for x in _of(v, list)},
            "frozenset": lambda v: frozenset(self.value(x) for x in _of(v, list)),
            "dict": self._dict,
            "defaultdict": self._defaultdict,
            "model": self._model,
            "namedtuple": self._namedtuple,
            "object": self._object,
        }

    def value(self, encoded: Any) -> Any:
        if encoded is None or type(encoded) in (str, int, bool, float):
            return encoded
        ((tag, body),) = _of(encoded, dict).items()
        simple = self._tags.get(tag)
        if simple is not None:
            return simple(body)
        build = self._containers[tag]
        slot = len(self._memo)
        self._memo.append(_BUILDING)
        self._memo[slot] = value = build(body)
        return value

    def _ref(self, slot: Any) -> Any:
        index = _of(slot, int)
        if not 0 <= index < len(self._memo) or self._memo[index] is _BUILDING:
            msg = f"a reference to container {index}, which is not built yet"
            raise ValueError(msg)
        return self._memo[index]

    def _dict(self, items: Any) -> dict[Any, Any]:
        return {self.value(k): self.value(v) for k, v in _of(items, list)}

    def _defaultdict(self, body: Any) -> defaultdict[Any, Any]:
        factory, items = _of(body, list)
        return defaultdict(_FACTORIES[_choice(factory, tuple(_FACTORIES))], self._dict(items))

    def _uuid(self, body: Any) -> UUID:
        known = self._uuids.get(body)
        if known is None:
            self._uuids[body] = known = UUID(hex=_of(body, str))
        return known

    def _enum(self, body: Any) -> Enum:
        name, value = _of(body, list)
        return self._class(name, Enum)(self.value(value))

    def _model(self, body: Any) -> pydantic.BaseModel:
        name, data = _of(body, list)
        return self._class(name, pydantic.BaseModel).model_validate_json(_of(data, str))

    def _namedtuple(self, body: Any) -> tuple[Any, ...]:
        name, items = _of(body, list)
        cls = self._class(name, tuple)
        if not hasattr(cls, "_make"):
            msg = f"{name} is not a named tuple"
            raise TypeError(msg)
        return cls._make(self.value(x) for x in _of(items, list))  # type: ignore[no-any-return]

    def _object(self, body: Any) -> object:
        name, state = _of(body, list)
        cls = self._class(name, object)
        if issubclass(cls, (pydantic.BaseModel, Enum, tuple, list, set, frozenset, dict)):
            msg = f"{name} is not stored as an object"
            raise TypeError(msg)
        obj = cls.__new__(cls)
        state = self.value(state)
        setstate = getattr(obj, "__setstate__", None)
        if setstate is not None:
            setstate(state)
        else:
            obj.__dict__.update(_of(state, dict))
        return obj

    def _class(self, name: Any, base: type[T]) -> type[T]:
        """The class ``module:QualName`` if it may be rebuilt from a checkpoint."""
        known = self._classes.get((_of(name, str), base))
        if known is None:
            self._classes[name, base] = known = self._resolve(name, base)
        return known

    def _resolve(self, name: str, base: type[T]) -> type[T]:
        module_name, _, qualname = name.partition(":")
        module = sys.modules.get(module_name) if _allowed(module_name, self._own) else None
        found: Any = module
        for part in qualname.split("."):
            found = getattr(found, part, None)
        if not (
            isinstance(found, type) and found.__module__ == module_name and issubclass(found, base)
        ):
            msg = f"{name!r} is not a class a checkpoint may hold"
            raise UnreadableCheckpoint(msg)
        return found


def _allowed(module: str, own_module: str) -> bool:
    """Whether classes of ``module`` may be in a checkpoint of a projection of ``own_module``."""
    return module in ("ticketlog", own_module) or module.startswith("ticketlog.")


def _of(value: Any, kind: type[T]) -> T:
    if type(value) is not kind:
        msg = f"expected {kind.__name__}, got {type(value).__name__}"
        raise TypeError(msg)
    return value


def _choice(value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        msg = f"{value!r} is not one of {choices}"
        raise ValueError(msg)
    return str(value)
