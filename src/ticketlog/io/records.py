"""The desk's reads as plain records: what the command line prints and the HTTP service
returns, built in one place (:func:`~ticketlog.io.console.jsonable` makes them JSON)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID

import attrs

from ticketlog.policies.builtin import sla_driven
from ticketlog.projections.facts import TicketFacts
from ticketlog.projections.kpis import Dimension, Kpis, compute_kpis, kpis_by
from ticketlog.projections.quality import (
    Calibration,
    QaSummary,
    QualityOverview,
    ScoredReview,
    quality_by_tickets,
)
from ticketlog.projections.queues import ORDERINGS, Ordering, QueuedTicket
from ticketlog.projections.sla import SlaTargets
from ticketlog.projections.sla_clock import NEVER
from ticketlog.projections.timeline import TimelineEntry
from ticketlog.projections.workloads import Workload

Record = dict[str, object]
K = TypeVar("K", bound=Hashable)
T = TypeVar("T")

QUEUE_ORDERS: dict[str, Ordering] = {**ORDERINGS, "sla": sla_driven().key}
"""How waiting tickets can be listed: the queues' own orderings, and the ``sla`` policy's."""


def utc(when: datetime) -> datetime:
    """A time a person gave: one without an offset is UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def timeline_records(entries: Iterable[TimelineEntry]) -> list[Record]:
    """A ticket's timeline, one record per entry."""
    return [
        {
            "at": e.at,
            "since_previous": e.since_previous,
            "since_received": e.since_received,
            "event_type": e.event_type,
            "actor_id": e.actor_id,
            "actor": e.actor,
            "summary": e.summary,
            "details": e.details,
        }
        for e in entries
    ]


def waiting_record(ticket: QueuedTicket, now: datetime) -> Record:
    """A waiting ticket (``due_in`` negative: overdue; ``None``: its SLA clock is stopped)."""
    due = None if ticket.due == NEVER else ticket.due
    return {
        "ticket_id": ticket.ticket_id,
        "queue": ticket.queue,
        "tier": ticket.tier,
        "priority": ticket.priority,
        "category": ticket.category,
        "channel": ticket.channel,
        "received_at": ticket.received_at,
        "age": now - ticket.received_at,
        "due": due,
        "due_in": None if due is None else due - now,
    }


def agent_records(workloads: Iterable[Workload]) -> list[Record]:
    """Agents' workloads: team, tier, presence, holdings, capacity, handle time, occupancy."""
    return [
        {
            "agent_id": w.agent_id,
            "name": w.name,
            "team": w.profile.team,
            "tier": w.profile.tier,
            "online": w.online,
            "holding": w.holding,
            "capacity": w.capacity,
            "handled": w.handled,
            "handle_time": w.handle_time,
            "online_time": w.online_time,
            "occupancy": w.occupancy,
        }
        for w in workloads
    ]


def agent_names(workloads: Sequence[Workload]) -> dict[UUID, str]:
    """Agents' names by id; a name two agents share gets the start of each one's id."""
    taken = Counter(agent.name for agent in workloads)
    return {
        a.agent_id: a.name if taken[a.name] == 1 else f"{a.name} ({str(a.agent_id)[:8]})"
        for a in workloads
    }


def kpi_groups(
    facts: Sequence[TicketFacts],
    dimension: Dimension | None,
    *,
    now: datetime,
    sla: SlaTargets,
    names: Mapping[UUID, str],
) -> dict[str | None, Kpis]:
    """KPIs overall (one group, ``None``) or per group of ``dimension``, agents by name."""
    if dimension is None:
        return {None: compute_kpis(facts, now=now, sla=sla)}
    return named(kpis_by(facts, dimension, now=now, sla=sla), names)


def qa_groups(
    facts: Sequence[TicketFacts],
    dimension: Dimension | None,
    scored: Sequence[ScoredReview],
    *,
    names: Mapping[UUID, str],
) -> dict[str | None, QaSummary]:
    """The QA of the reviews of each :func:`kpi_groups` group's tickets, keyed alike (a
    group without reviews is absent)."""
    return named(quality_by_tickets(scored, facts, dimension), names)


def named(groups: Mapping[K, T], names: Mapping[UUID, str]) -> dict[str | None, T]:
    """``groups`` keyed as people read them: agents (and reviewers) by name."""
    return {_group_name(group, names): value for group, value in groups.items()}


def labelled(
    groups: Mapping[K, T], names: Mapping[UUID, str], *, none: str = "(none)"
) -> dict[str, T]:
    """``groups`` keyed as a table heads them: :func:`named`, the ``None`` group ``none``."""
    return {none if name is None else name: value for name, value in named(groups, names).items()}


def quality_record(quality: QualityOverview, names: Mapping[UUID, str]) -> Record:
    """A :class:`QualityOverview` as the command line's ``--json`` and the service give it:
    groups, agents and reviewers by name."""
    named_groups = named(quality.groups, names)
    return {
        "by": quality.by,
        "units": {"qa_score": "1-5", "score_pct": "percent of the scale", "shares": "percent"},
        "overall": quality.overall,
        "groups": [{"group": group, "quality": q} for group, q in named_groups.items()],
        "calibration": calibration_record(quality.calibration, names),
        "correlations": quality.correlations,
    }


def calibration_record(calibration: Calibration, names: Mapping[UUID, str]) -> Record:
    """Reviewer calibration as a record, each pair of reviewers by name."""
    return {
        "overall": calibration.overall,
        "criteria": calibration.criteria,
        "pairs": [
            {
                **attrs.asdict(pair, recurse=False),
                "reviewers": [names.get(r, str(r)) for r in pair.reviewers],
            }
            for pair in calibration.pairs
        ],
    }


def _group_name(group: Hashable, names: Mapping[UUID, str]) -> str | None:
    """A group as people read it: an agent by name, ``None`` as it is."""
    if group is None:
        return None
    return names.get(group, str(group)) if isinstance(group, UUID) else str(group)
