"""Source records made into rows: one case's situation at one time, in ticketlog's terms.

:class:`RowReader` applies a mapping to a record: it picks the columns, parses the
timestamp (naive ones in the mapping's zone), maps priorities, tiers, channels and
languages, and looks up the row's state. A record without a case id or with a bad
timestamp raises :class:`MalformedRow` with its line; a value the mapping does not know
is recorded as a note on the row (and reported by the importer), never guessed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

import attrs

from ticketlog.domain.values import MAX_TIER, Channel, Priority
from ticketlog.imports.mapping import HistoryImportError, ImportMapping, State, StateRule

_ATTRIBUTES = (
    ("category", ("category", "product")),
    ("plan", ("plan",)),
    ("customer_id", ("customer",)),
    ("subject", ("subject",)),
)
"""``TicketReceived`` fields read as they are, each from the first of its fields given."""

Texts = dict[str, str]
"""A record's non-empty values by field of :class:`~ticketlog.imports.mapping.Columns`."""

K = TypeVar("K")
V = TypeVar("V")
Notes = tuple[tuple[str, str], ...]
"""Unknown values met: (kind, value) pairs for the import report."""


class MalformedRow(HistoryImportError):
    """A record that cannot be read as a row (no case id, a bad timestamp)."""

    def __init__(self, line: int, reason: str, case: str | None = None) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason
        self.case = case


class Row(NamedTuple):
    """One source row of a case, in ticketlog's terms (``None``: the row does not say).

    A named tuple: a file's every row is one, and it is made in half the time of a frozen
    attrs class.
    """

    line: int
    case: str
    at: datetime
    rule: StateRule
    attributes: Mapping[str, Any]
    """``TicketReceived`` fields the row gives (channel, category, language, plan, …)."""
    person: str | None = None
    team: str | None = None
    tier: int | None = None
    priority: Priority | None = None
    csat: int | None = None
    nps: int | None = None
    notes: Notes = ()
    """Unknown values: (kind, value) pairs for the import report."""


CODED_CACHE = 4096
"""How many combinations of coded values (status, tier, priority, …) a reader remembers."""

_CodedKey = tuple[
    str | None, str | None, str | None, str | None, str | None, str | None, str | None
]
"""A row's status, sub-status, activity, tier, priority, channel and language (or country)."""


@attrs.frozen(slots=True)
class _Coded:
    """What one combination of a row's coded values means (the same few repeat)."""

    rule: StateRule
    tier: int | None
    priority: Priority | None
    attributes: tuple[tuple[str, Any], ...]
    """``channel`` and ``language``, when the row gives them."""
    notes: Notes


_KEEP = StateRule(state=State.KEEP)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RowReader:
    """Reads records as :class:`Row`\\ s under one mapping."""

    def __init__(self, mapping: ImportMapping) -> None:
        self.mapping = mapping
        self.columns = mapping.columns
        self._zone = ZoneInfo(mapping.time.timezone)
        self._format = mapping.time.format
        values = mapping.values
        self._priority = _Lookup(values.priority)
        self._tier = _Lookup(values.tier)
        self._channel = _Lookup(values.channel)
        self._language = _Lookup(values.language)
        self._unknown = StateRule(state=mapping.unknown)
        self._named = tuple(
            (field, column)
            for field, column in mapping.columns.model_dump().items()
            if column is not None and field != "time"
        )
        self._subsets: dict[frozenset[str], tuple[tuple[str, str], ...]] = {}
        self._rules: dict[tuple[str | None, str | None, str | None], tuple[StateRule, Notes]] = {}
        self._tiers: dict[str | None, tuple[int | None, Notes]] = {}
        self._priorities: dict[str | None, tuple[Priority | None, Notes]] = {}
        self._channels: dict[str | None, tuple[Channel | None, Notes]] = {}
        self._languages: dict[str | None, tuple[str | None, Notes]] = {}
        self._coded = functools.lru_cache(maxsize=CODED_CACHE)(self._code)
        self._scored = mapping.columns.csat is not None or mapping.columns.nps is not None

    def texts(self, record: Mapping[str, Any], only: frozenset[str] | None = None) -> Texts:
        """The record's non-empty values, stripped, by field (``case``, ``status``, …).

        ``only`` limits the fields read. The time is read apart (:meth:`time_of`): Parquet
        and XES may give datetimes.
        """
        named = self._named if only is None else self._subset(only)
        texts = {}
        for field, column in named:
            value = record.get(column)
            if value is not None:
                text = str(value).strip()
                if text:
                    texts[field] = text
        return texts

    def _subset(self, only: frozenset[str]) -> tuple[tuple[str, str], ...]:
        subset = self._subsets.get(only)
        if subset is None:
            subset = self._subsets[only] = tuple(p for p in self._named if p[0] in only)
        return subset

    def case_in(self, record: Mapping[str, Any]) -> str | None:
        """The record's case id, read as :meth:`texts` reads it (``None``: it has none)."""
        value = record.get(self.columns.case)
        return None if value is None else str(value).strip() or None

    def case_of(self, line: int, texts: Texts) -> str:
        """The row's case id; :class:`MalformedRow` if it has none."""
        case = texts.get("case")
        if case is None:
            raise MalformedRow(line, f"no case id in column {self.columns.case!r}")
        return case

    def time_of(self, line: int, record: Mapping[str, Any], case: str | None = None) -> datetime:
        """The record's timestamp, in UTC; :class:`MalformedRow` if it has none or a bad one."""
        value = record.get(self.columns.time)
        try:
            return self._parse_time(value)
        except (TypeError, ValueError, OverflowError):
            msg = f"bad timestamp {value!r} in column {self.columns.time!r}"
            raise MalformedRow(line, msg, case) from None

    def row(self, line: int, record: Mapping[str, Any]) -> Row:
        """The record as a row; :class:`MalformedRow` if it has no case id or time."""
        texts = self.texts(record)
        get = texts.get
        case = self.case_of(line, texts)
        at = self.time_of(line, record, case)
        coded = self._coded(
            (
                get("status"),
                get("substatus"),
                get("activity"),
                get("tier"),
                get("priority"),
                get("channel"),
                get("language") or get("country"),
            )
        )
        attributes = dict(coded.attributes)
        for field, candidates in _ATTRIBUTES:
            for candidate in candidates:
                value = get(candidate)
                if value is not None:
                    attributes[field] = value
                    break
        notes = coded.notes
        csat = nps = None
        if self._scored:
            score_notes: list[tuple[str, str]] = []
            csat = _score(get("csat"), range(1, 6), "csat", score_notes)
            nps = _score(get("nps"), range(11), "nps", score_notes)
            notes += tuple(score_notes)
        return Row(
            line=line,
            case=case,
            at=at,
            rule=coded.rule,
            person=get("person"),
            team=get("team"),
            tier=coded.tier,
            priority=coded.priority,
            attributes=attributes,
            csat=csat,
            nps=nps,
            notes=notes,
        )

    def _code(self, key: _CodedKey) -> _Coded:
        """What a row's coded values mean: its state rule, tier, priority, channel and
        language, and the unknown values among them."""
        status, substatus, activity, tier_text, priority_text, channel_text, language_text = key
        rule, notes = self._cached(self._rules, (status, substatus, activity), self._rule)
        tier, tier_notes = self._cached(self._tiers, tier_text, self._tier_of)
        priority, priority_notes = self._cached(self._priorities, priority_text, self._priority_of)
        channel, channel_notes = self._cached(self._channels, channel_text, self._channel_of)
        language, language_notes = self._cached(self._languages, language_text, self._language_of)
        attributes = (("channel", channel), ("language", language))
        return _Coded(
            rule=rule,
            tier=tier,
            priority=priority,
            attributes=tuple((name, value) for name, value in attributes if value is not None),
            notes=notes + tier_notes + priority_notes + channel_notes + language_notes,
        )

    def tier_of(self, texts: Texts) -> int | None:
        """The tier the row names: mapped, or a number in range (``None``: not named)."""
        return self._cached(self._tiers, texts.get("tier"), self._tier_of)[0]

    def language_of(self, texts: Texts) -> str | None:
        """The customer's language: the language column, or the country mapped to one."""
        return self._language_and_notes(texts)[0]

    @staticmethod
    def _cached(
        cache: dict[K, tuple[V, Notes]], key: K, read: Callable[[K], tuple[V, Notes]]
    ) -> tuple[V, Notes]:
        """``read(key)``, remembered: source values repeat on most rows."""
        found = cache.get(key)
        if found is None:
            found = cache[key] = read(key)
        return found

    def _rule(self, said: tuple[str | None, str | None, str | None]) -> tuple[StateRule, Notes]:
        status, substatus, activity = said
        rule = self.mapping.rule(status, substatus, activity)
        if rule is None:
            value = "/".join(v for v in (status, substatus) if v is not None) or activity
            if value is None:
                return _KEEP, ()
            return self._unknown, (("unknown status", value),)
        if substatus is not None and f"{status}/{substatus}" not in self.mapping.states:
            return rule, (("unknown sub-status", f"{status}/{substatus}"),)
        return rule, ()

    def _tier_of(self, value: str | None) -> tuple[int | None, Notes]:
        if value is None:
            return None, ()
        tier = self._tier(value)
        if tier is not None:
            return tier, ()
        if value.isdigit() and int(value) <= MAX_TIER:
            return int(value), ()
        return None, (("unknown tier", value),)

    def _priority_of(self, value: str | None) -> tuple[Priority | None, Notes]:
        return self._mapped(value, self._priority, Priority)

    def _language_and_notes(self, texts: Texts) -> tuple[str | None, Notes]:
        value = texts.get("language") or texts.get("country")
        return self._cached(self._languages, value, self._language_of)

    def _language_of(self, value: str | None) -> tuple[str | None, Notes]:
        if value is None:
            return None, ()
        mapped = self._language(value)
        if mapped is None and self.mapping.values.language:
            return value.lower(), (("unknown language", value),)
        return mapped or value.lower(), ()

    def _channel_of(self, value: str | None) -> tuple[Channel | None, Notes]:
        return self._mapped(value, self._channel, Channel)

    @staticmethod
    def _mapped(value: str | None, lookup: _Lookup[V], kind: type[V]) -> tuple[V | None, Notes]:
        """``value`` mapped by ``lookup``, else read as a ``kind`` (``None``: noted unknown)."""
        if value is None:
            return None, ()
        mapped = lookup(value)
        if mapped is not None:
            return mapped, ()
        try:
            return kind(value.lower()), ()  # type: ignore[call-arg]
        except ValueError:
            return None, ((f"unknown {kind.__name__.lower()}", value),)

    def _parse_time(self, value: Any) -> datetime:
        if isinstance(value, datetime):
            when = value
        elif self._format == "iso":
            when = datetime.fromisoformat(str(value).strip())  # "Z" too, since Python 3.11
        elif self._format in ("epoch", "epoch_ms"):
            seconds = float(value) / (1000 if self._format == "epoch_ms" else 1)
            return _EPOCH + timedelta(seconds=seconds)
        else:
            when = datetime.strptime(str(value).strip(), self._format)
        if when.tzinfo is None:
            when = when.replace(tzinfo=self._zone)
        return when.astimezone(UTC)


class _Lookup(dict[str, V]):
    """Exact match first, then case-insensitive."""

    def __init__(self, values: Mapping[str, V]) -> None:
        super().__init__(values)
        self.folded = {key.casefold(): value for key, value in values.items()}

    def __call__(self, value: str) -> V | None:
        found = self.get(value)
        return self.folded.get(value.casefold()) if found is None else found


def _score(value: str | None, scale: range, name: str, notes: list[tuple[str, str]]) -> int | None:
    """``value`` as a whole score on ``scale`` (``None``: absent, or noted as bad)."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if number.is_integer() and int(number) in scale:
        return int(number)
    notes.append((f"bad {name}", value))
    return None
