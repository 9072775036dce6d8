"""Mapping files: which columns of an export hold what, and how its values map to ticketlog's.

A mapping is a TOML file validated by pydantic; an error names the key and its line.
Shipped presets (:mod:`ticketlog.imports.presets`) are mappings too, and a user's file can
start from one (``preset = "status-log"``) and override only what differs.

A row of the source says what a case looks like from then on: its *state* (looked up in
``[states]`` by ``"status/substatus"``, then ``"status"``, then the activity), the person
working it, the team (its queue), the tier, the priority, and attributes. The importer
(:mod:`ticketlog.imports.interpret`) turns the changes between consecutive rows of a case
into events.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ticketlog._toml import parse, read_text, validated
from ticketlog.domain.errors import InvalidValue
from ticketlog.domain.values import Channel, Name, Priority, Tier


class HistoryImportError(InvalidValue):
    """Base of the errors of an import: a bad mapping, a malformed row in strict mode."""


class MappingError(HistoryImportError):
    """A mapping file is malformed; the message names the key and its line."""


class State(StrEnum):
    """What a source row says about a case from then on."""

    QUEUED = "queued"
    """Waiting in its team's queue, worked by nobody."""
    ACTIVE = "active"
    """Worked by the row's person (accepted, in progress)."""
    AWAITING_CUSTOMER = "awaiting_customer"
    """Waiting on the customer (the SLA clock stops)."""
    AWAITING_THIRD_PARTY = "awaiting_third_party"
    """Waiting on a vendor or an implementation (the SLA clock stops)."""
    REPLIED = "replied"
    """The row's person replied to the customer (public)."""
    RESOLVED = "resolved"
    """A solution was given."""
    CLOSED = "closed"
    """Final; work after it in the same case makes it a resolution followed by a reopen."""
    KEEP = "keep"
    """No change of state (the row may still change the team, tier, priority or person)."""


class StateRule(BaseModel):
    """A state, and the resolution code or closing reason it records."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    state: State
    code: Name | None = None


def _rule(value: Any) -> Any:
    return {"state": value} if isinstance(value, str) else value


RuleValue = Annotated[StateRule, pydantic.BeforeValidator(_rule)]


class Columns(BaseModel):
    """Source column names (keys of the row) of each thing ticketlog reads."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case: str
    """The case (ticket) id in the source system."""
    time: str
    status: str | None = None
    substatus: str | None = None
    activity: str | None = None
    person: str | None = None
    team: str | None = None
    tier: str | None = None
    priority: str | None = None
    channel: str | None = None
    category: str | None = None
    product: str | None = None
    """Used as the category when the source has no category column."""
    country: str | None = None
    """Mapped to the customer's language by ``[values.language]``."""
    language: str | None = None
    plan: str | None = None
    customer: str | None = None
    subject: str | None = None
    csat: str | None = None
    nps: str | None = None


class TimeFormat(BaseModel):
    """How timestamps are written: ``iso``, ``epoch``, ``epoch_ms`` or a strptime pattern."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: str = "iso"
    timezone: str = "UTC"
    """The zone of naive timestamps (an IANA name such as ``Europe/Amsterdam``)."""

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value in ("iso", "epoch", "epoch_ms") or "%" in value:
            return value
        msg = "use 'iso', 'epoch', 'epoch_ms' or a strptime pattern such as '%d/%m/%Y %H:%M'"
        raise ValueError(msg)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"unknown time zone {value!r}"
            raise ValueError(msg) from None
        return value


class Values(BaseModel):
    """Source values mapped to ticketlog's vocabulary (exact match, then case-insensitive)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    priority: dict[str, Priority] = Field(default_factory=dict)
    tier: dict[str, Tier] = Field(default_factory=dict)
    """E.g. ``"2nd" = 2``; numbers (``"2"``) are read as tiers without an entry."""
    channel: dict[str, Channel] = Field(default_factory=dict)
    language: dict[str, Name] = Field(default_factory=dict)
    """Country (or language) values to language codes, e.g. ``Sweden = "sv"``."""


class Defaults(BaseModel):
    """What a ticket gets when its rows say nothing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: Channel = Channel.UNKNOWN
    queue: Name = "general"
    tier: Tier = 1
    priority: Priority = Priority.NORMAL
    language: Name = "unknown"
    customer: Name = "unknown"
    category: Name = "general"


class ImportMapping(BaseModel):
    """A whole mapping file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: Name
    """Written on every imported ticket (``TicketReceived.source``); part of the import key."""
    format: Literal["csv", "parquet", "xes", "json"] | None = None
    """``None``: chosen by the file's extension."""
    reader: Literal["rows", "zendesk", "servicenow", "jira"] = "rows"
    """How records become rows: one row per record, or a source-specific flattening."""
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: str = "utf-8-sig"
    columns: Columns
    time: TimeFormat = TimeFormat()
    states: dict[str, RuleValue] = Field(default_factory=dict)
    """``"status/substatus"``, ``"status"`` or an activity to a state (or ``{state, code}``)."""
    unknown: State = State.KEEP
    """The state of a row whose status or activity is not in ``states`` (always reported)."""
    values: Values = Values()
    defaults: Defaults = Defaults()

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            msg = f"unknown encoding {value!r}: use one Python knows, such as 'utf-8' or 'cp1252'"
            raise ValueError(msg) from None
        return value

    def rule(
        self, status: str | None, substatus: str | None, activity: str | None
    ) -> StateRule | None:
        """The rule for a row's status, sub-status and activity (``None``: unknown)."""
        states = self.states
        if status is not None:
            if substatus is not None:
                rule = states.get(f"{status}/{substatus}")
                if rule is not None:
                    return rule
            rule = states.get(status)
            if rule is not None:
                return rule
        if activity is not None:
            return states.get(activity)
        return None


def parse_mapping(
    text: str, *, name: str = "mapping", base: Mapping[str, Any] | None = None
) -> ImportMapping:
    """Validate the TOML ``text`` of a mapping (on top of ``base``, a preset's data)."""
    data = parse(text, name, MappingError)
    data.pop("preset", None)
    return validated(ImportMapping, _merge(dict(base or {}), data), text, name, MappingError)


def load_mapping(path: Path | str) -> ImportMapping:
    """Read a mapping file; ``preset = "NAME"`` in it starts from that preset."""
    from ticketlog.imports.presets import preset_data  # noqa: PLC0415 - presets read mappings

    text = read_text(path, "mapping", MappingError)
    preset = parse(text, str(path), MappingError).get("preset")
    base = None if preset is None else preset_data(str(preset))
    return parse_mapping(text, name=str(path), base=base)


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` laid over it, tables merged key by key."""
    for key, value in override.items():
        current = base.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            base[key] = _merge(dict(current), value)
        else:
            base[key] = value
    return base
