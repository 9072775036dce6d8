"""The event vocabulary: every fact ticketlog records, as immutable pydantic models.

Events are the public storage contract. Each class has a stable ``TOPIC`` that is written
with every stored event, so classes can move between modules without breaking old stores.
Field names are part of the contract too; a change of meaning gets a new event version.

Each class also has a schema version, ``class_version`` (1 unless it says otherwise). A
class whose stored shape changed declares the new version and, for each older one, a
static ``upcast_vN_vN+1(state)`` that turns a stored state dictionary of version N into
version N+1 in place: eventsourcing's upcasting contract, applied on read by
:mod:`ticketlog.persistence.mapper`. An upcaster fills only what the older shape lacked;
any other missing field makes the stored event unreadable, never a default.

Every event carries ``originator_id`` (the ticket or agent it belongs to),
``originator_version`` (its position in that aggregate's history) and ``at``: the business
time it happened, supplied by the caller's clock. Ticket events carry ``actor_id``, the
agent who acted, or ``None`` for the customer or an automatic process.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from ticketlog.domain.values import (
    MAX_ESTIMATED_EFFORT,
    AssignedBy,
    AwaitedParty,
    Capacity,
    Channel,
    Csat,
    EscalationKind,
    Name,
    Nps,
    Priority,
    QaScore,
    SlaTarget,
    Text,
    Tier,
    Timestamp,
)

NameSet = Annotated[
    frozenset[Name], PlainSerializer(sorted, return_type=list[str], when_used="json")
]
"""A set of names (skills, languages), stored sorted so equal sets store equal bytes."""

EVENT_TYPES: dict[str, type[DomainEvent]] = {}
"""Every event class by its topic; the mapper resolves stored topics here."""


class DomainEvent(BaseModel):
    """Base of all ticketlog events."""

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_timedelta="float")

    TOPIC: ClassVar[str] = ""
    class_version: ClassVar[int] = 1
    """The schema version of the event's stored shape (see the module docstring)."""

    originator_id: UUID
    originator_version: int = Field(ge=1)
    at: Timestamp

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        topic = cls.__dict__.get("TOPIC")
        if topic:
            if topic in EVENT_TYPES:
                msg = f"event topic {topic!r} is already used by {EVENT_TYPES[topic]}"
                raise TypeError(msg)
            EVENT_TYPES[topic] = cls
        missing = [
            name
            for version in range(1, cls.class_version)
            if not callable(getattr(cls, name := f"upcast_v{version}_v{version + 1}", None))
        ]
        if missing:
            msg = f"{cls.__name__} v{cls.class_version} lacks upcasters {', '.join(missing)}"
            raise TypeError(msg)

    @property
    def event_type(self) -> str:
        """The event's class name, e.g. ``"TicketAssigned"``."""
        return type(self).__name__


# --- tickets -------------------------------------------------------------------------


class TicketEvent(DomainEvent):
    """Base of the events of one ticket."""

    actor_id: UUID | None = None

    @property
    def ticket_id(self) -> UUID:
        """The ticket this event belongs to."""
        return self.originator_id


class TicketReceived(TicketEvent):
    """A request became a ticket, waiting in ``queue`` at ``tier``."""

    TOPIC = "ticketlog:TicketReceived"
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Version 1 had no ``source`` and ``source_id``: every ticket was live."""
        state.setdefault("source", None)
        state.setdefault("source_id", None)

    channel: Channel
    customer_id: Name
    category: Name = "general"
    priority: Priority = Priority.NORMAL
    language: Name = "en"
    plan: Name | None = None
    customer_value: float = Field(default=0.0, ge=0.0, allow_inf_nan=False)
    first_time: bool = False
    estimated_effort: timedelta | None = Field(
        default=None, ge=timedelta(0), le=MAX_ESTIMATED_EFFORT
    )
    subject: Text = ""
    queue: Name = "general"
    tier: Tier = 1
    required_skills: NameSet = frozenset()
    source: Name | None = None
    """Where an imported ticket was recorded (e.g. ``"status-log"``); ``None`` for live ones."""
    source_id: Name | None = None
    """The ticket's id in its source system (e.g. ``"INC0012345"``)."""


class TicketAssigned(TicketEvent):
    """An agent took the ticket (``by`` self) or was given it (router, supervisor)."""

    TOPIC = "ticketlog:TicketAssigned"

    agent_id: UUID
    by: AssignedBy = AssignedBy.SELF
    policy: Name | None = None


class TicketResponded(TicketEvent):
    """The holding agent wrote to the customer (``public``) or added an internal note."""

    TOPIC = "ticketlog:TicketResponded"

    actor_id: UUID
    public: bool = True


class TicketTransferred(TicketEvent):
    """The ticket moved to another agent or queue without changing tier."""

    TOPIC = "ticketlog:TicketTransferred"

    from_agent_id: UUID | None
    to_agent_id: UUID | None
    from_queue: Name
    to_queue: Name
    reason: Text = ""


class TicketReassigned(TicketEvent):
    """The ticket passed from one person to another within its queue and tier.

    Helpdesks report this as an assignee change, apart from a transfer between teams.
    """

    TOPIC = "ticketlog:TicketReassigned"

    from_agent_id: UUID
    to_agent_id: UUID
    reason: Text = ""


class TicketReleased(TicketEvent):
    """The holder put the ticket back in its queue, where it waits unassigned."""

    TOPIC = "ticketlog:TicketReleased"

    from_agent_id: UUID
    reason: Text = ""


class TicketEscalated(TicketEvent):
    """The ticket moved up a tier or to a specialised queue; it waits there unassigned."""

    TOPIC = "ticketlog:TicketEscalated"
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Version 1 had no ``breach``: no escalation was automatic for an SLA miss."""
        state.setdefault("breach", None)

    kind: EscalationKind
    from_tier: Tier
    to_tier: Tier
    from_queue: Name
    to_queue: Name
    from_agent_id: UUID | None = None
    reason: Text = ""
    breach: SlaTarget | None = None
    """For automatic escalations: the SLA target whose miss triggered it."""


class TicketDeescalated(TicketEvent):
    """The ticket moved down a tier (e.g. pushed back to the first line); it waits there."""

    TOPIC = "ticketlog:TicketDeescalated"

    from_tier: Tier
    to_tier: Tier
    from_queue: Name
    to_queue: Name
    from_agent_id: UUID | None = None
    reason: Text = ""

    @model_validator(mode="after")
    def _lowers_the_tier(self) -> TicketDeescalated:
        if self.to_tier >= self.from_tier:
            msg = f"a de-escalation lowers the tier ({self.from_tier} to {self.to_tier})"
            raise ValueError(msg)
        return self


class TicketResolved(TicketEvent):
    """A solution was given; ``code`` says what kind.

    ``actor_id`` is the agent who resolved it: the holder for live commands; in a recorded
    history also someone not holding it, or ``None`` for the system.
    """

    TOPIC = "ticketlog:TicketResolved"

    code: Name = "solved"


class TicketReopened(TicketEvent):
    """The customer came back after a resolution; the ticket waits in its queue again."""

    TOPIC = "ticketlog:TicketReopened"

    reason: Text = ""


class TicketRated(TicketEvent):
    """The customer rated the resolution: CSAT 1-5 and/or NPS 0-10."""

    TOPIC = "ticketlog:TicketRated"

    csat: Csat | None = None
    nps: Nps | None = None
    comment: Text = ""

    @model_validator(mode="after")
    def _has_a_score(self) -> TicketRated:
        if self.csat is None and self.nps is None:
            msg = "a rating needs a CSAT score, an NPS score, or both"
            raise ValueError(msg)
        return self


class TicketClosed(TicketEvent):
    """No further action is possible."""

    TOPIC = "ticketlog:TicketClosed"

    reason: Text = ""


class TicketAbandoned(TicketEvent):
    """The customer gave up (hung up, withdrew) before being served."""

    TOPIC = "ticketlog:TicketAbandoned"


class TicketAwaitingCustomer(TicketEvent):
    """The holding agent waits on the customer (or a third party); the SLA clock stops.

    ``actor_id`` is the holder for live commands (``None`` in a recorded history that
    names nobody). ``party`` says whom the ticket awaits: ``customer`` (asked something) or
    ``third_party`` (a vendor, an implementation); the wait ends with
    :class:`TicketCustomerReplied` either way.
    """

    TOPIC = "ticketlog:TicketAwaitingCustomer"
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Version 1 had no ``party``: a ticket always awaited the customer."""
        state.setdefault("party", AwaitedParty.CUSTOMER.value)

    reason: Text = ""
    party: AwaitedParty = AwaitedParty.CUSTOMER


class TicketCustomerReplied(TicketEvent):
    """The customer (or the awaited third party) wrote back; a stopped SLA clock runs again."""

    TOPIC = "ticketlog:TicketCustomerReplied"


class TicketReprioritised(TicketEvent):
    """The ticket's priority changed from ``old`` to ``new``."""

    TOPIC = "ticketlog:TicketReprioritised"

    old: Priority
    new: Priority
    reason: Text = ""


# --- agents --------------------------------------------------------------------------


class AgentEvent(DomainEvent):
    """Base of the events of one agent."""

    @property
    def agent_id(self) -> UUID:
        """The agent this event belongs to."""
        return self.originator_id


class AgentProfile(BaseModel):
    """What routing needs to know about an agent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    team: Name = "general"
    """The agent's home team."""
    teams: NameSet = frozenset()
    """Other teams the agent belongs to (their queues are the agent's too)."""
    tier: Tier = 1
    """The highest tier the agent works (they serve every tier up to it)."""
    capacity: Capacity = 1
    skills: NameSet = frozenset()
    languages: NameSet = frozenset({"en"})
    reviewer: bool = False
    """The reviewer role: the agent may review other agents' tickets against a scorecard
    (:mod:`ticketlog.domain.quality`). A dedicated reviewer is an agent who never goes online."""


def _upcast_profile(state: dict[str, Any], **added: Any) -> None:
    """Fill the fields an older stored profile lacked with what they meant then."""
    profile = state.get("profile")
    if isinstance(profile, dict):
        for name, value in added.items():
            profile.setdefault(name, value)


class AgentJoined(AgentEvent):
    """An agent joined the desk (offline until they go online)."""

    TOPIC = "ticketlog:AgentJoined"
    class_version = 3

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Version 1 had no ``source`` (every agent was live) nor ``profile.teams``."""
        state.setdefault("source", None)
        _upcast_profile(state, teams=[])

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """Version 2 profiles had no ``reviewer`` role: nobody reviewed."""
        _upcast_profile(state, reviewer=False)

    name: Name
    profile: AgentProfile
    source: Name | None = None
    """Where an imported agent was recorded; their ``name`` is the source's name for them."""


class AgentProfileChanged(AgentEvent):
    """An agent's team, tier, capacity, skills or languages changed; carries the new profile."""

    TOPIC = "ticketlog:AgentProfileChanged"
    class_version = 3

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Version 1 profiles had no ``teams``: an agent belonged to their home team only."""
        _upcast_profile(state, teams=[])

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """Version 2 profiles had no ``reviewer`` role: nobody reviewed."""
        _upcast_profile(state, reviewer=False)

    profile: AgentProfile


class AgentWentOnline(AgentEvent):
    """The agent is available for tickets."""

    TOPIC = "ticketlog:AgentWentOnline"


class AgentWentOffline(AgentEvent):
    """The agent is unavailable; tickets they hold stay with them until moved."""

    TOPIC = "ticketlog:AgentWentOffline"


# --- agent holdings ------------------------------------------------------------------


class AgentStartedHolding(AgentEvent):
    """The agent took or was given ``ticket_id``, which now counts against their capacity.

    Saved in one transaction with the ticket's event that gave them the ticket, so two
    writers filling the same agent conflict on the agent's version. Stores written before
    this event existed have none; their holdings are read from the tickets' events.
    """

    TOPIC = "ticketlog:AgentStartedHolding"

    ticket_id: UUID


class AgentStoppedHolding(AgentEvent):
    """``ticket_id`` left the agent's hands (resolved, moved on, closed); saved with that event."""

    TOPIC = "ticketlog:AgentStoppedHolding"

    ticket_id: UUID


# --- quality reviews -----------------------------------------------------------------


class ReviewEvent(DomainEvent):
    """Base of the events of one review: one reviewer's evaluation of one ticket.

    A review's id is a slot of its ticket (:func:`ticketlog.domain.quality.review_id`), so
    two reviewers claiming the same slot conflict in the store, as two agents taking the
    same ticket do.
    """

    ticket_id: UUID
    reviewer_id: UUID

    @property
    def review_id(self) -> UUID:
        """The review this event belongs to."""
        return self.originator_id


class ReviewClaimed(ReviewEvent):
    """A reviewer took a ticket to review against ``scorecard`` (at its ``scorecard_version``).

    ``sampler`` names the sampling policy that chose the ticket (``None``: chosen by hand).
    """

    TOPIC = "ticketlog:ReviewClaimed"

    scorecard: Name
    scorecard_version: int = Field(ge=1)
    sampler: Name | None = None


class TicketReviewed(ReviewEvent):
    """The reviewer scored the ticket: one 1-5 score per criterion of the scorecard.

    ``agent_id`` is the agent whose work was reviewed (the ticket's resolver, else its
    latest holder; ``None`` when nobody handled it) and ``category`` the ticket's category,
    both as they were when it was reviewed.
    """

    TOPIC = "ticketlog:TicketReviewed"

    scorecard: Name
    scorecard_version: int = Field(ge=1)
    scores: dict[Name, QaScore]
    agent_id: UUID | None
    category: Name
    comment: Text = ""


class ReviewReleased(ReviewEvent):
    """The reviewer gave a claimed review back unscored; its slot is free again."""

    TOPIC = "ticketlog:ReviewReleased"

    reason: Text = ""
