"""A minimal event-sourced aggregate: an id, a version, and a state folded from events.

Aggregates here are plain classes with immutable (attrs) state and a pure ``evolve``
function, so the same fold serves the write side, tests, and read models. They satisfy
the protocol eventsourcing's ``Application.save`` and ``Repository`` expect (``id``,
``version``, ``collect_events``) without depending on it: the domain imports no storage.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar
from uuid import UUID

import attrs
import pydantic

from ticketlog.domain.errors import InvalidValue, OutOfOrder
from ticketlog.domain.events import DomainEvent


class HasLastAt(Protocol):
    """A state that remembers the business time of its latest event."""

    @property
    def last_at(self) -> datetime: ...


S = TypeVar("S", bound=HasLastAt)
E = TypeVar("E", bound=DomainEvent)
M = TypeVar("M", bound=pydantic.BaseModel)
T = TypeVar("T", bound=attrs.AttrsInstance)


def replacer(cls: type[T]) -> Callable[..., T]:
    """A fast ``attrs.evolve`` for one frozen attrs class: ``replace(state, **changes)``.

    Folds make a new state per event; ``attrs.evolve`` inspects the class at every call
    (about three times the cost). The class's fields must all be positional ``__init__``
    arguments under their own names.
    """
    fields = attrs.fields(cls)
    if any(not f.init or f.kw_only or f.alias != f.name for f in fields):
        msg = f"{cls.__name__} has fields that are not positional arguments of its __init__"
        raise TypeError(msg)
    names = tuple(f.name for f in fields)
    values_of = operator.attrgetter(*names)
    index = {name: position for position, name in enumerate(names)}

    def replace(state: T, **changes: Any) -> T:
        values = list(values_of(state))
        for name, value in changes.items():
            values[index[name]] = value
        return cls(*values)

    return replace


def invalid_value(error: pydantic.ValidationError) -> InvalidValue:
    """Turn pydantic's report into ticketlog's :class:`InvalidValue` with a one-line message."""
    problems = "; ".join(
        f"{'.'.join(str(part) for part in e['loc']) or 'value'}: {e['msg']}" for e in error.errors()
    )
    return InvalidValue(f"{error.title}: {problems}")


def validated(model: type[M], **fields: Any) -> M:
    """Construct ``model`` from ``fields``, raising :class:`InvalidValue` if they are bad."""
    try:
        return model(**fields)
    except pydantic.ValidationError as error:
        raise invalid_value(error) from None


def strict_int(value: object, name: str) -> int:
    """``value`` if it is an ``int`` (not a bool, float or string); else :class:`InvalidValue`."""
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"{name} must be an integer, not {value!r}"
        raise InvalidValue(msg)
    return value


class Aggregate(Generic[S, E]):
    """Base of :class:`~ticketlog.domain.ticket.Ticket` and :class:`~ticketlog.domain.agent.Agent`.

    Subclasses define ``evolve(state, event)`` (the pure fold) and intent-named command
    methods that check the rules and then call :meth:`_trigger`.
    """

    __slots__ = ("_id", "_pending", "_state", "_tolerance", "_version")

    event_base: ClassVar[type[DomainEvent]]
    """Only events of this class belong to this kind of aggregate."""

    def __init__(self, event: E) -> None:
        self._id = event.originator_id
        self._version = event.originator_version
        self._state: S = self.evolve(None, event)
        self._pending: list[E] = []
        self._tolerance = timedelta(0)

    @classmethod
    def evolve(cls, state: S | None, event: E) -> S:
        """Return the state after ``event`` (``state`` is ``None`` for the first event)."""
        raise NotImplementedError

    @classmethod
    def _create(cls, event_class: type[E], **fields: Any) -> Self:
        event = validated(event_class, originator_version=1, **fields)
        aggregate = cls(event)
        aggregate._pending.append(event)
        return aggregate

    @classmethod
    def from_events(
        cls, events: Iterable[E], *, tolerance: timedelta = timedelta(0)
    ) -> Self | None:
        """Rebuild an aggregate from its stored events (``None`` when there are none).

        ``tolerance`` is the clock skew its commands allow (see :meth:`_trigger`).
        """
        aggregate: Self | None = None
        for event in events:
            if aggregate is None:
                aggregate = cls(event)
                aggregate._tolerance = tolerance
            else:
                aggregate._apply(event)
        return aggregate

    @classmethod
    def resume(
        cls,
        aggregate_id: UUID,
        version: int,
        state: S,
        *,
        tolerance: timedelta = timedelta(0),
    ) -> Self:
        """The aggregate as it was at ``version`` with ``state`` (from a fold kept earlier);
        :meth:`extend` it with the events stored since."""
        aggregate = cls.__new__(cls)
        aggregate._id = aggregate_id
        aggregate._version = version
        aggregate._state = state
        aggregate._pending = []
        aggregate._tolerance = tolerance
        return aggregate

    def extend(self, events: Iterable[E]) -> None:
        """Fold stored events that follow the aggregate's version."""
        for event in events:
            self._apply(event)

    @property
    def id(self) -> UUID:
        """The aggregate's id."""
        return self._id

    @property
    def version(self) -> int:
        """How many events the aggregate has (the version of its latest event)."""
        return self._version

    @version.setter
    def version(self, version: int) -> None:
        self._version = version

    @property
    def state(self) -> S:
        """The current immutable state."""
        return self._state

    def collect_events(self) -> list[E]:
        """Hand over the events recorded since the last call (for saving)."""
        events, self._pending = self._pending, []
        return events

    def _apply(self, event: E) -> None:
        self._state = self.evolve(self._state, event)
        self._version = event.originator_version

    def _trigger(self, event_class: type[E], **fields: Any) -> E:
        """Record a new event: validate it, check its time, fold it into the state.

        An event dated before the aggregate's latest one by at most the tolerance (clocks of
        several machines are never quite equal) is recorded at the latest one's time;
        further back, it is refused with :class:`OutOfOrder`.
        """
        event = self._next(event_class, **fields)
        last_at = self._state.last_at
        if event.at < last_at:
            if last_at - event.at > self._tolerance:
                msg = (
                    f"{event_class.__name__} at {event.at.isoformat()} is earlier than the "
                    f"latest event of {self._id} at {last_at.isoformat()}"
                )
                raise OutOfOrder(msg)
            event = event.model_copy(update={"at": last_at})
        self._append(event)
        return event

    def _next(self, event_class: type[E], **fields: Any) -> E:
        """The aggregate's next event, validated (its time is not checked)."""
        return validated(
            event_class, originator_id=self._id, originator_version=self._version + 1, **fields
        )

    def _append(self, event: E) -> None:
        self._apply(event)
        self._pending.append(event)
