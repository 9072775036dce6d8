"""Hypothesis strategies for ticketlog values and command arguments.

Every strategy here produces only values the desk accepts, drawn from small alphabets
(a handful of customers, queues, languages, skills) so that generated tickets and agents
collide: the same customer writes twice, an agent speaks the ticket's language or does
not. Enumerations (channel, priority, escalation kind) are drawn as their plain string
values, which the desk accepts everywhere, so that hypothesis prints failing examples as
runnable code. Use them to generate random but valid workloads::

    from hypothesis import given

    from ticketlog import HelpDesk
    from ticketlog.testing import strategies as tls


    @given(attributes=tls.ticket_attributes(), profile=tls.agent_profiles())
    def test_a_received_ticket_waits(attributes, profile):
        with HelpDesk("memory://") as desk:
            ticket_id = desk.receive(**attributes)
            desk.join_agent(**profile)
            assert desk.ticket(ticket_id).status == "waiting"

:func:`ticket_attributes` gives keyword arguments for
:meth:`~ticketlog.desk.HelpDesk.receive`, :func:`agent_profiles` for
:meth:`~ticketlog.desk.HelpDesk.join_agent`. Both take keyword arguments to widen or narrow
their alphabets. The stateful model built from them is in :mod:`ticketlog.testing.stateful`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TypedDict, cast

from hypothesis import strategies as st

from ticketlog.domain.quality import SCALE, Scorecard
from ticketlog.domain.values import MAX_TIER, Channel, EscalationKind, Priority

__all__ = [
    "AGENT_NAMES",
    "CATEGORIES",
    "CUSTOMER_IDS",
    "LANGUAGES",
    "PLANS",
    "QUEUES",
    "SKILLS",
    "TEAMS",
    "AgentProfileArguments",
    "TicketAttributes",
    "agent_profiles",
    "channels",
    "csat_scores",
    "escalation_kinds",
    "nps_scores",
    "priorities",
    "review_scores",
    "ticket_attributes",
]

CUSTOMER_IDS: tuple[str, ...] = ("c-1", "c-2", "c-3", "c-4", "c-5")
"""Customer ids :func:`ticket_attributes` draws from (few, so customers come back)."""

CATEGORIES: tuple[str, ...] = ("general", "billing", "technical", "account")
"""Ticket categories (topics)."""

LANGUAGES: tuple[str, ...] = ("en", "de", "fr")
"""Languages of tickets and agents."""

PLANS: tuple[str, ...] = ("free", "pro", "enterprise")
"""Customer plans (a ticket may also have none)."""

QUEUES: tuple[str, ...] = ("general", "billing", "technical")
"""Queues tickets wait in; ``"general"`` is the desk's default queue."""

SKILLS: tuple[str, ...] = ("billing", "technical", "refunds")
"""Skills tickets require and agents have."""

TEAMS: tuple[str, ...] = ("general", "billing", "technical")
"""Agents' teams."""

AGENT_NAMES: tuple[str, ...] = ("Ann", "Bo", "Cem", "Dee")
"""Agents' display names (not unique: two agents may share a name)."""


_MAX_CAPACITY = 1_000
"""The largest capacity the desk accepts (see ``ticketlog.domain.values.Capacity``)."""


class TicketAttributes(TypedDict):
    """Keyword arguments of :meth:`~ticketlog.desk.HelpDesk.receive`, as drawn here."""

    channel: str
    customer_id: str
    category: str
    priority: str
    language: str
    plan: str | None
    customer_value: float
    first_time: bool
    estimated_effort: timedelta | None
    subject: str
    queue: str
    tier: int
    required_skills: frozenset[str]


class AgentProfileArguments(TypedDict):
    """Keyword arguments of :meth:`~ticketlog.desk.HelpDesk.join_agent`, as drawn here."""

    name: str
    team: str
    teams: frozenset[str]
    tier: int
    capacity: int
    skills: frozenset[str]
    languages: frozenset[str]
    online: bool


def channels() -> st.SearchStrategy[str]:
    """Any channel a request can arrive on, as its :class:`~ticketlog.domain.values.Channel`
    value."""
    return st.sampled_from([channel.value for channel in Channel])


def priorities() -> st.SearchStrategy[str]:
    """Any ticket priority, as its :class:`~ticketlog.domain.values.Priority` value."""
    return st.sampled_from([priority.value for priority in Priority])


def escalation_kinds() -> st.SearchStrategy[str]:
    """Any kind of escalation, as its :class:`~ticketlog.domain.values.EscalationKind`
    value."""
    return st.sampled_from([kind.value for kind in EscalationKind])


def csat_scores() -> st.SearchStrategy[int]:
    """A valid CSAT score, 1 to 5."""
    return st.integers(min_value=1, max_value=5)


def nps_scores() -> st.SearchStrategy[int]:
    """A valid NPS answer, 0 to 10."""
    return st.integers(min_value=0, max_value=10)


def _subjects() -> st.SearchStrategy[str]:
    # No control characters (PostgreSQL's JSON rejects NUL) and no lone surrogates.
    return st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=40)


def ticket_attributes(
    *,
    queues: Sequence[str] = QUEUES,
    languages: Sequence[str] = LANGUAGES,
    skills: Sequence[str] = SKILLS,
    max_tier: int = 2,
) -> st.SearchStrategy[TicketAttributes]:
    """Keyword arguments for :meth:`~ticketlog.desk.HelpDesk.receive`: every field, all valid.

    Queues, languages and required skills come from the given alphabets; the tier from
    0 to ``max_tier`` (at most :data:`~ticketlog.domain.values.MAX_TIER`). At most two
    skills are required, so some agents can take the ticket.
    """
    if not 0 <= max_tier <= MAX_TIER:
        msg = f"max_tier must be between 0 and {MAX_TIER}, not {max_tier}"
        raise ValueError(msg)
    strategy = st.fixed_dictionaries(
        {
            "channel": channels(),
            "customer_id": st.sampled_from(CUSTOMER_IDS),
            "category": st.sampled_from(CATEGORIES),
            "priority": priorities(),
            "language": st.sampled_from(languages),
            "plan": st.none() | st.sampled_from(PLANS),
            "customer_value": st.floats(
                min_value=0.0, max_value=10_000.0, allow_nan=False, allow_infinity=False
            ),
            "first_time": st.booleans(),
            "estimated_effort": st.none()
            | st.integers(min_value=0, max_value=480).map(lambda m: timedelta(minutes=m)),
            "subject": _subjects(),
            "queue": st.sampled_from(queues),
            "tier": st.integers(min_value=0, max_value=max_tier),
            "required_skills": st.frozensets(st.sampled_from(skills), max_size=2),
        }
    )
    return cast(st.SearchStrategy[TicketAttributes], strategy)


def agent_profiles(
    *,
    languages: Sequence[str] = LANGUAGES,
    skills: Sequence[str] = SKILLS,
    max_tier: int = 3,
    max_capacity: int = 3,
) -> st.SearchStrategy[AgentProfileArguments]:
    """Keyword arguments for :meth:`~ticketlog.desk.HelpDesk.join_agent`, all valid.

    Agents speak one or more of ``languages``, have any subset of ``skills``, serve
    tickets up to a tier from 0 to ``max_tier`` and hold from 1 to ``max_capacity``
    tickets at once; some join offline.
    """
    if not 0 <= max_tier <= MAX_TIER:
        msg = f"max_tier must be between 0 and {MAX_TIER}, not {max_tier}"
        raise ValueError(msg)
    if not 1 <= max_capacity <= _MAX_CAPACITY:
        msg = f"max_capacity must be between 1 and {_MAX_CAPACITY}, not {max_capacity}"
        raise ValueError(msg)
    strategy = st.fixed_dictionaries(
        {
            "name": st.sampled_from(AGENT_NAMES),
            "team": st.sampled_from(TEAMS),
            "teams": st.frozensets(st.sampled_from(TEAMS), max_size=2),
            "tier": st.integers(min_value=0, max_value=max_tier),
            "capacity": st.integers(min_value=1, max_value=max_capacity),
            "skills": st.frozensets(st.sampled_from(skills)),
            "languages": st.frozensets(st.sampled_from(languages), min_size=1),
            "online": st.booleans(),
        }
    )
    return cast(st.SearchStrategy[AgentProfileArguments], strategy)


def review_scores(scorecard: Scorecard) -> st.SearchStrategy[dict[str, int]]:
    """Scores for :meth:`~ticketlog.desk.HelpDesk.review` with ``scorecard``: one score
    from 1 to 5 per criterion."""
    score = st.integers(min_value=SCALE.start, max_value=SCALE.stop - 1)
    return st.fixed_dictionaries(dict.fromkeys(scorecard.criterion_names, score))
