"""The service's request and response bodies (pydantic; they make its OpenAPI schema).

Every command body may carry ``at`` (an ISO 8601 time with its offset; the desk's clock
when left out). Values are checked by the desk itself, as for a Python caller; the models
only say which keys a command takes, and refuse unknown ones.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, StrictBool, StrictInt

from ticketlog.domain.values import AssignedBy, Channel, EscalationKind, Priority, SlaTarget


class Command(BaseModel):
    """What every command takes."""

    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime | None = None
    """When it happened (default: now, by the desk's clock)."""


class Receive(Command):
    """A new ticket; any other key is a ticket attribute (priority, category, queue, tier,
    language, plan, customer_value, first_time, subject, required_skills, …)."""

    model_config = ConfigDict(extra="allow")

    channel: Channel
    customer_id: str
    ticket_id: UUID | None = None


class Assign(Command):
    agent_id: UUID
    by: AssignedBy = AssignedBy.SELF
    actor_id: UUID | None = None
    policy: str | None = None


class Respond(Command):
    agent_id: UUID
    public: StrictBool = True


class Transfer(Command):
    to_agent_id: UUID | None = None
    to_queue: str | None = None
    actor_id: UUID | None = None
    reason: str = ""


class Reassign(Command):
    to_agent_id: UUID
    actor_id: UUID | None = None
    reason: str = ""


class ByAgent(Command):
    """A command of the agent holding the ticket (release, await the customer)."""

    agent_id: UUID
    reason: str = ""


class Escalate(Command):
    kind: EscalationKind
    to_tier: StrictInt | None = None
    to_queue: str | None = None
    actor_id: UUID | None = None
    reason: str = ""
    breach: SlaTarget | None = None


class Deescalate(Command):
    to_tier: StrictInt | None = None
    to_queue: str | None = None
    actor_id: UUID | None = None
    reason: str = ""


class Resolve(Command):
    agent_id: UUID
    code: str = "solved"


class Reopen(Command):
    reason: str = ""


class Rate(Command):
    csat: StrictInt | None = None
    nps: StrictInt | None = None
    comment: str = ""


class Close(Command):
    actor_id: UUID | None = None
    reason: str = ""


class Reprioritise(Command):
    priority: Priority
    actor_id: UUID | None = None
    reason: str = ""


class Route(Command):
    router: str = "least-loaded"


class Join(Command):
    """A new agent (``agent_id``: chosen by the desk when left out)."""

    name: str
    team: str = "general"
    teams: list[str] = []
    tier: StrictInt = 1
    capacity: StrictInt = 1
    skills: list[str] = []
    languages: list[str] = ["en"]
    reviewer: StrictBool = False
    online: StrictBool = True
    agent_id: UUID | None = None


class ChangeAgent(Command):
    """New values of an agent's profile (team, teams, tier, capacity, skills, languages)."""

    model_config = ConfigDict(extra="allow")


class AssignNext(Command):
    policy: str = "fifo"


class ClaimReview(Command):
    reviewer_id: UUID
    scorecard: str | None = None


class Review(ClaimReview):
    """One 1-5 score per criterion of the scorecard."""

    scores: dict[str, StrictInt]
    comment: str = ""


class ReviewNext(Command):
    sampler: str = "random-share"
    scorecard: str | None = None


class Done(BaseModel):
    """A command's answer: the id of what it acted on (``None``: nothing to do, e.g.
    ``assign-next`` with no ticket for the agent), and whether it is a replay of the answer
    to an earlier request with the same ``Idempotency-Key``."""

    id: UUID | None
    replayed: bool = False


Record = dict[str, Any]
"""A read's JSON object: durations in minutes, times in ISO 8601, ids as strings."""
