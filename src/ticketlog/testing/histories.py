"""Recorded histories: random facts of tickets that happened elsewhere, as an import records them.

A recorded history obeys no lifecycle rule (:meth:`~ticketlog.domain.ticket.Ticket.record`
checks only each event's validation and time order), so it holds what real logs hold: the
same person assigned twice, a resolution by someone not holding the ticket or by the
system, work after closure, a de-escalation while someone holds the ticket. Draw the facts
with :func:`recorded_facts` and record each with :func:`record`, which fills the fields
an importer reads from the ticket's state (who holds it, its queue and tier)::

    @given(facts=recorded_facts())
    def test_my_projection_folds_any_recorded_history(facts):
        ticket = Ticket.receive(ticket_id=uuid4(), at=T0, channel="email", customer_id="c")
        for fact in facts:
            record(ticket, fact, agents=[ann, bob], at=T0)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs
from hypothesis import strategies as st

from ticketlog.domain.events import (
    TicketAbandoned,
    TicketAssigned,
    TicketAwaitingCustomer,
    TicketClosed,
    TicketCustomerReplied,
    TicketDeescalated,
    TicketEscalated,
    TicketEvent,
    TicketRated,
    TicketReassigned,
    TicketReleased,
    TicketReopened,
    TicketReprioritised,
    TicketResolved,
    TicketResponded,
    TicketTransferred,
)
from ticketlog.domain.ticket import Ticket, TicketState
from ticketlog.domain.values import MAX_TIER, EscalationKind, Priority
from ticketlog.testing.strategies import QUEUES

__all__ = ["FACT_KINDS", "Fact", "facts", "record", "recorded_facts"]

FACT_KINDS = (
    "assigned",
    "responded",
    "transferred",
    "reassigned",
    "released",
    "escalated",
    "deescalated",
    "awaiting",
    "customer_replied",
    "resolved",
    "reopened",
    "rated",
    "closed",
    "abandoned",
    "reprioritised",
)
"""The kinds of fact a recorded history holds, one per ticket event type after receipt."""


@attrs.frozen
class Fact:
    """One drawn fact; :func:`record` turns it into an event on a ticket."""

    kind: str
    agent: int
    """Which of the given agents acts or is named (taken modulo their number)."""
    by_someone: bool
    """Whether an agent acts (``False``: nobody named, e.g. the system resolved it)."""
    queue: str
    """The queue moves go to."""
    tiers: int
    """How many tiers escalations go up and de-escalations go down (at least one)."""
    public: bool
    csat: int
    priority: Priority


def facts(*, queues: Sequence[str] = QUEUES) -> st.SearchStrategy[Fact]:
    """One fact of any kind, moving tickets among ``queues``."""
    return st.builds(
        Fact,
        kind=st.sampled_from(FACT_KINDS),
        agent=st.integers(min_value=0, max_value=7),
        by_someone=st.booleans(),
        queue=st.sampled_from(queues),
        tiers=st.integers(min_value=1, max_value=2),
        public=st.booleans(),
        csat=st.integers(min_value=1, max_value=5),
        priority=st.sampled_from(Priority),
    )


def recorded_facts(
    *, queues: Sequence[str] = QUEUES, max_size: int = 12
) -> st.SearchStrategy[list[Fact]]:
    """Lists of facts of any kind, in any order (``max_size`` at most)."""
    return st.lists(facts(queues=queues), max_size=max_size)


def record(ticket: Ticket, fact: Fact, *, agents: Sequence[UUID], at: datetime) -> bool:
    """Record ``fact`` on ``ticket`` at ``at``, naming one of ``agents``; whether it was.

    A fact is skipped (``False``) only where no event can say it: a de-escalation of a
    ticket at tier 0, an escalation above the top tier. A reassignment of a ticket nobody
    holds is recorded as an assignment, as an importer does.
    """
    state = ticket.state
    agent = agents[fact.agent % len(agents)]
    event = _event(fact, state, agent)
    if event is None:
        return False
    event_class, fields = event
    ticket.record(event_class, at=at, **fields)
    return True


def _event(  # noqa: PLR0911, PLR0912 - one case per kind of fact
    fact: Fact, state: TicketState, agent: UUID
) -> tuple[type[TicketEvent], dict[str, Any]] | None:
    actor = agent if fact.by_someone else None
    holder = state.agent_id
    match fact.kind:
        case "assigned":
            return TicketAssigned, {"agent_id": agent, "actor_id": actor}
        case "reassigned" if holder is None:
            return TicketAssigned, {"agent_id": agent, "actor_id": actor}
        case "reassigned":
            return TicketReassigned, {"from_agent_id": holder, "to_agent_id": agent}
        case "responded":
            return TicketResponded, {"actor_id": agent, "public": fact.public}
        case "transferred":
            moved = {"from_queue": state.queue, "to_queue": fact.queue, "from_agent_id": holder}
            return TicketTransferred, {**moved, "to_agent_id": actor}
        case "released":
            return TicketReleased, {"from_agent_id": holder or agent, "actor_id": holder}
        case "escalated" if state.tier + fact.tiers <= MAX_TIER:
            return TicketEscalated, {
                "kind": EscalationKind.HIERARCHICAL,
                "from_tier": state.tier,
                "to_tier": state.tier + fact.tiers,
                "from_queue": state.queue,
                "to_queue": fact.queue,
                "from_agent_id": holder,
            }
        case "deescalated" if state.tier > 0:
            return TicketDeescalated, {
                "from_tier": state.tier,
                "to_tier": max(state.tier - fact.tiers, 0),
                "from_queue": state.queue,
                "to_queue": fact.queue,
                "from_agent_id": holder,
                "actor_id": actor,
            }
        case "awaiting":
            return TicketAwaitingCustomer, {"actor_id": agent}
        case "customer_replied":
            return TicketCustomerReplied, {}
        case "resolved":
            return TicketResolved, {"actor_id": actor}
        case "reopened":
            return TicketReopened, {}
        case "rated":
            return TicketRated, {"csat": fact.csat}
        case "closed":
            return TicketClosed, {"actor_id": actor}
        case "abandoned":
            return TicketAbandoned, {}
        case "reprioritised":
            return TicketReprioritised, {"old": state.priority, "new": fact.priority}
    return None
