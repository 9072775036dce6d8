"""Value types of the ticket domain: enumerations and validated scalars.

Every value that crosses the API is validated by pydantic against these types, so a bad
priority, channel, tier or score is rejected before anything is written. Tiers, scores and
capacities are strict: ``True``, ``"5"`` or ``5.0`` are not integers here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, Field, Strict

from ticketlog.domain.errors import InvalidId, InvalidTime

MAX_TIER = 5
"""The highest support tier ticketlog accepts (0 is the bot / self-service tier)."""

MAX_ESTIMATED_EFFORT = timedelta(days=366)
"""The longest effort estimate a ticket may carry (stored exactly, to the microsecond)."""


class Channel(StrEnum):
    """Where a request came from."""

    EMAIL = "email"
    PHONE = "phone"
    CHAT = "chat"
    SOCIAL = "social"
    PORTAL = "portal"
    BOT = "bot"
    UNKNOWN = "unknown"
    """The source did not record the channel (imported histories)."""


class Priority(StrEnum):
    """Severity of a ticket, lowest first."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        """0 for ``low`` up to 3 for ``urgent``; higher is more severe."""
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {p: i for i, p in enumerate(Priority)}


class TicketStatus(StrEnum):
    """Where a ticket is in its lifecycle."""

    WAITING = "waiting"
    """In a queue, held by nobody."""
    ASSIGNED = "assigned"
    """Held by one agent."""
    RESOLVED = "resolved"
    """A solution was given; the customer may rate it or come back (reopen)."""
    CLOSED = "closed"
    """Final: accepts no further command."""
    ABANDONED = "abandoned"
    """The customer gave up before being served; it can only be closed."""


class AssignedBy(StrEnum):
    """Who made an assignment."""

    SELF = "self"
    ROUTER = "router"
    SUPERVISOR = "supervisor"


class AwaitedParty(StrEnum):
    """Whom a ticket awaits while its SLA clock is stopped."""

    CUSTOMER = "customer"
    THIRD_PARTY = "third_party"
    """A vendor, a supplier, an implementation team outside the desk."""


class EscalationKind(StrEnum):
    """Why a ticket moved up a tier or to a specialised team."""

    FUNCTIONAL = "functional"
    """The agent lacks the skills or resources: another team takes it."""
    HIERARCHICAL = "hierarchical"
    """Up the chain: a supervisor or a more senior tier."""
    AUTOMATIC = "automatic"
    """An SLA target passed without the required response or resolution."""
    BOT_TO_HUMAN = "bot_to_human"
    """An automated channel could not help; a human takes over."""


class SlaTarget(StrEnum):
    """The two service-level targets a ticket is held to."""

    FIRST_REPLY = "first_reply"
    RESOLUTION = "resolution"


Tier = Annotated[int, Field(ge=0, le=MAX_TIER), Strict()]
"""Support tier: 0 is the bot / self-service tier, 1 first line, up to ``MAX_TIER``."""

Csat = Annotated[int, Field(ge=1, le=5), Strict()]
"""Customer satisfaction score, 1 (very unsatisfied) to 5 (very satisfied)."""

QaScore = Annotated[int, Field(ge=1, le=5), Strict()]
"""A reviewer's score of one scorecard criterion, 1 (poor) to 5 (excellent)."""

Nps = Annotated[int, Field(ge=0, le=10), Strict()]
"""Net-promoter answer, 0 (not at all likely to recommend) to 10 (extremely likely)."""

Name = Annotated[str, Field(min_length=1, max_length=200)]
"""A non-empty short name: queue, team, category, skill, language, plan, code."""

Text = Annotated[str, Field(max_length=10_000)]
"""Free text: subjects, reasons, comments."""

Capacity = Annotated[int, Field(ge=1, le=1_000), Strict()]
"""How many tickets an agent may hold at once."""


def _to_utc(when: datetime) -> datetime:
    try:
        return when.astimezone(UTC)
    except OverflowError:
        msg = f"{when.isoformat()} cannot be expressed in UTC"
        raise ValueError(msg) from None


Timestamp = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""Business time of an event: timezone-aware on input, stored and returned in UTC."""


def as_id(value: object) -> UUID:
    """``value`` as an id: a UUID, or a string that spells one (the same on every store).

    Raises :class:`~ticketlog.domain.errors.InvalidId` for anything else.
    """
    if isinstance(value, UUID):
        return value
    if isinstance(value, str):
        try:
            return UUID(value)
        except ValueError:
            pass
    msg = f"{value!r} is not an id (a UUID or a string that spells one)"
    raise InvalidId(msg)


def as_time(value: object) -> datetime:
    """``value`` as a business time: a timezone-aware datetime, returned in UTC.

    Raises :class:`~ticketlog.domain.errors.InvalidTime` for a naive datetime, a string or
    anything else.
    """
    if not isinstance(value, datetime):
        msg = f"{value!r} is not a datetime"
        raise InvalidTime(msg)
    if value.utcoffset() is None:
        msg = f"{value.isoformat()} has no timezone"
        raise InvalidTime(msg)
    try:
        return _to_utc(value)
    except ValueError as error:
        raise InvalidTime(str(error)) from None
