"""Properties of the built-in policies over random desks.

A random desk is a list of events (agents joining, going on- and offline, changing
profile; tickets received, assigned, answered, transferred, escalated, reprioritised,
resolved, reopened, abandoned, closed) built by :func:`histories`, together with a plain
model of what those events mean (:class:`History`). The events are folded into
:class:`~ticketlog.projections.Queues` and :class:`~ticketlog.projections.Workloads`;
the expected answers are computed by brute force over the model's waiting tickets, with
each policy's ordering and eligibility restated here from
:mod:`ticketlog.policies.builtin`'s documentation, not taken from the policy objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketlog import (
    AgentJoined,
    AgentProfile,
    AgentProfileChanged,
    AgentWentOffline,
    AgentWentOnline,
    AssignedBy,
    DomainEvent,
    EscalationKind,
    Priority,
    TicketAbandoned,
    TicketAssigned,
    TicketClosed,
    TicketEscalated,
    TicketReceived,
    TicketReopened,
    TicketReprioritised,
    TicketResolved,
    TicketResponded,
    TicketTransferred,
)
from ticketlog.domain.values import MAX_TIER
from ticketlog.policies import MedianHandleTime, Ordered, PullPolicy, Router, create
from ticketlog.policies.orderings import EffortEstimator
from ticketlog.projections import QueuedTicket, Queues, SlaTargets, Workload, Workloads, fold
from ticketlog.projections.queues import ALL_QUEUES, by_arrival, by_priority
from ticketlog.testing import strategies as tls

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
NEVER = datetime.min.replace(tzinfo=UTC)
QUEUES = ("general", "billing", "technical")
AGENT_SKILLS = (*tls.SKILLS, "general", "account", "channel:email", "channel:phone", "channel:chat")
"""Agents' skills: required skills, categories and channels, so every filter matches sometimes."""
SLA = SlaTargets()
RANK = {p: n for n, p in enumerate(Priority)}


# --- random desks ---------------------------------------------------------------------------------


@attrs.define
class History:
    """The events of a random desk and a plain model of the state they describe."""

    at: datetime = START
    events: list[DomainEvent] = attrs.Factory(list)
    versions: dict[UUID, int] = attrs.Factory(dict)
    agents: list[UUID] = attrs.Factory(list)
    profiles: dict[UUID, AgentProfile] = attrs.Factory(dict)
    online: dict[UUID, bool] = attrs.Factory(dict)
    held: dict[UUID, set[UUID]] = attrs.Factory(dict)
    """Agent to the tickets they hold."""
    holder: dict[UUID, UUID] = attrs.Factory(dict)
    status: dict[UUID, str] = attrs.Factory(dict)
    """Ticket to waiting, held, resolved, closed or abandoned."""
    received: dict[UUID, TicketReceived] = attrs.Factory(dict)
    queue: dict[UUID, str] = attrs.Factory(dict)
    tier: dict[UUID, int] = attrs.Factory(dict)
    priority: dict[UUID, Priority] = attrs.Factory(dict)
    replied: set[UUID] = attrs.Factory(set)
    last_agent: dict[str, UUID] = attrs.Factory(dict)
    """Customer to the agent last given one of their tickets."""
    assignments: int = 0
    """How many times any agent was given a ticket (assigned or transferred to)."""
    last_assignment: dict[UUID, int] = attrs.Factory(dict)
    """Agent to the number of their latest assignment among everyone's (round-robin)."""
    idle_since: dict[UUID, datetime | None] = attrs.Factory(dict)
    """Agent to since when they hold nothing (``None`` while holding)."""

    def emit(self, event_type: type[DomainEvent], aggregate: UUID, /, **fields: Any) -> None:
        version = self.versions.get(aggregate, 0) + 1
        self.versions[aggregate] = version
        event = event_type(
            originator_id=aggregate, originator_version=version, at=self.at, **fields
        )
        self.events.append(event)

    def tickets(self, *statuses: str) -> list[UUID]:
        return sorted(t for t, s in self.status.items() if s in statuses)

    def with_room(self) -> list[UUID]:
        return [a for a in self.agents if len(self.held[a]) < self.profiles[a].capacity]

    @property
    def waiting(self) -> list[UUID]:
        return self.tickets("waiting")

    def hold(self, ticket: UUID, agent: UUID | None) -> None:
        previous = self.holder.pop(ticket, None)
        if previous is not None:
            self.held[previous].discard(ticket)
            if not self.held[previous]:
                self.idle_since[previous] = self.at
        if agent is not None:
            self.holder[ticket] = agent
            self.held[agent].add(ticket)
            self.idle_since[agent] = None
            self.assignments += 1
            self.last_assignment[agent] = self.assignments
            self.last_agent[self.received[ticket].customer_id] = agent
            self.status[ticket] = "held"
        elif self.status[ticket] == "held":
            self.status[ticket] = "waiting"


AGENT_PROFILES = st.one_of(
    tls.agent_profiles(skills=AGENT_SKILLS),
    # versatile agents: every language and required skill, high tier, online, roomy; so
    # that several agents often may take the same ticket and the routers' ranks matter
    tls.agent_profiles(skills=AGENT_SKILLS, max_capacity=4).map(
        lambda p: {
            **p,
            "languages": frozenset(tls.LANGUAGES),
            "skills": p["skills"] | frozenset(tls.SKILLS),
            "tier": max(p["tier"], 2),
            "online": True,
        }
    ),
)
TICKET_ATTRIBUTES = tls.ticket_attributes(queues=QUEUES, max_tier=3)
IDS = st.uuids()
PRIORITIES = st.sampled_from(Priority)
KINDS = st.sampled_from(EscalationKind)
QUEUE_NAMES = st.sampled_from(QUEUES)
MINUTES_APART = st.integers(min_value=0, max_value=3)

Draw = Callable[[st.SearchStrategy[Any]], Any]
Step = Callable[[History, Draw], None]


def join(h: History, draw: Draw) -> None:
    profile = draw(AGENT_PROFILES)
    agent = draw(IDS)
    if agent in h.versions:
        return
    online = profile.pop("online")
    name = profile.pop("name")
    h.emit(AgentJoined, agent, name=name, profile=AgentProfile(**profile))
    h.agents.append(agent)
    h.profiles[agent] = AgentProfile(**profile)
    h.held[agent] = set()
    h.idle_since[agent] = h.at
    h.online[agent] = online
    if online:
        h.emit(AgentWentOnline, agent)


def presence(h: History, draw: Draw) -> None:
    agent = draw(st.sampled_from(h.agents))
    h.online[agent] = not h.online[agent]
    h.emit(AgentWentOnline if h.online[agent] else AgentWentOffline, agent)


def change_profile(h: History, draw: Draw) -> None:
    agent = draw(st.sampled_from(h.agents))
    profile = draw(AGENT_PROFILES)
    profile.pop("online")
    profile.pop("name")
    profile["capacity"] = max(profile["capacity"], len(h.held[agent]))
    h.profiles[agent] = AgentProfile(**profile)
    h.emit(AgentProfileChanged, agent, profile=h.profiles[agent])


def receive(h: History, draw: Draw) -> None:
    attributes = draw(TICKET_ATTRIBUTES)
    ticket = draw(IDS)
    if ticket in h.versions:
        return
    h.emit(TicketReceived, ticket, **attributes)
    event = h.events[-1]
    assert isinstance(event, TicketReceived)
    h.received[ticket] = event
    h.status[ticket] = "waiting"
    h.queue[ticket] = event.queue
    h.tier[ticket] = event.tier
    h.priority[ticket] = event.priority


def assign(h: History, draw: Draw) -> None:
    if not h.waiting or not h.with_room():
        return
    ticket = draw(st.sampled_from(h.waiting))
    agent = draw(st.sampled_from(h.with_room()))
    h.emit(TicketAssigned, ticket, agent_id=agent, by=AssignedBy.SELF, actor_id=agent)
    h.hold(ticket, agent)


def respond(h: History, draw: Draw) -> None:
    if not h.holder:
        return
    ticket = draw(st.sampled_from(sorted(h.holder)))
    public = draw(st.booleans())
    h.emit(TicketResponded, ticket, actor_id=h.holder[ticket], public=public)
    if public:
        h.replied.add(ticket)


def resolve(h: History, draw: Draw) -> None:
    if not h.holder:
        return
    ticket = draw(st.sampled_from(sorted(h.holder)))
    h.emit(TicketResolved, ticket, actor_id=h.holder[ticket])
    h.hold(ticket, None)
    h.status[ticket] = "resolved"


def reopen(h: History, draw: Draw) -> None:
    if resolved := h.tickets("resolved"):
        ticket = draw(st.sampled_from(resolved))
        h.emit(TicketReopened, ticket)
        h.status[ticket] = "waiting"


def transfer(h: History, draw: Draw) -> None:
    if not (movable := h.tickets("waiting", "held")):
        return
    ticket = draw(st.sampled_from(movable))
    to_agent = draw(st.none() | st.sampled_from(h.with_room())) if h.with_room() else None
    if to_agent is not None and to_agent == h.holder.get(ticket):
        return
    to_queue = draw(QUEUE_NAMES)
    if to_agent is None and to_queue == h.queue[ticket]:
        return
    h.emit(
        TicketTransferred,
        ticket,
        from_agent_id=h.holder.get(ticket),
        to_agent_id=to_agent,
        from_queue=h.queue[ticket],
        to_queue=to_queue,
    )
    h.queue[ticket] = to_queue
    if to_agent is None and ticket in h.holder:
        h.hold(ticket, None)
    elif to_agent is not None:
        h.hold(ticket, to_agent)


def escalate(h: History, draw: Draw) -> None:
    movable = [t for t in h.tickets("waiting", "held") if h.tier[t] < MAX_TIER]
    if not movable:
        return
    ticket = draw(st.sampled_from(movable))
    to_queue = draw(QUEUE_NAMES)
    h.emit(
        TicketEscalated,
        ticket,
        kind=draw(KINDS),
        from_tier=h.tier[ticket],
        to_tier=h.tier[ticket] + 1,
        from_queue=h.queue[ticket],
        to_queue=to_queue,
        from_agent_id=h.holder.get(ticket),
    )
    h.tier[ticket] += 1
    h.queue[ticket] = to_queue
    h.hold(ticket, None)


def reprioritise(h: History, draw: Draw) -> None:
    if not (open_ := h.tickets("waiting", "held")):
        return
    ticket = draw(st.sampled_from(open_))
    new = draw(PRIORITIES)
    h.emit(TicketReprioritised, ticket, old=h.priority[ticket], new=new)
    h.priority[ticket] = new


def abandon(h: History, draw: Draw) -> None:
    if h.waiting:
        ticket = draw(st.sampled_from(h.waiting))
        h.emit(TicketAbandoned, ticket)
        h.status[ticket] = "abandoned"


def close(h: History, draw: Draw) -> None:
    if closable := h.tickets("waiting", "held", "resolved", "abandoned"):
        ticket = draw(st.sampled_from(closable))
        h.emit(TicketClosed, ticket)
        h.hold(ticket, None)
        h.status[ticket] = "closed"


STEPS: tuple[Step, ...] = (
    (receive,) * 6
    + (assign,) * 3
    + (join, presence, change_profile, respond, resolve, reopen, transfer, escalate)
    + (reprioritise, reprioritise, abandon, close)
)


STEP = st.sampled_from(STEPS)


@st.composite
def histories(draw: st.DrawFn, *, max_steps: int = 40) -> History:
    """A random desk: 1-5 agents, then up to ``max_steps`` random steps, minutes apart."""
    h = History()
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        join(h, draw)
    for _ in range(draw(st.integers(min_value=0, max_value=max_steps))):
        h.at += timedelta(minutes=draw(MINUTES_APART))
        draw(STEP)(h, draw)
    return h


def folded(events: Sequence[DomainEvent]) -> tuple[Queues, Workloads]:
    return fold(Queues(sla=SLA), events), fold(Workloads(), events)


# --- the policies restated ----------------------------------------------------------------------


def may_take(h: History, agent: Workload, ticket: QueuedTicket) -> bool:
    """The domain's rule, restated over the model: online, room, tier, skills, language."""
    a = agent.agent_id
    return (
        h.online[a]
        and len(h.held[a]) < h.profiles[a].capacity
        and h.profiles[a].tier >= ticket.tier
        and ticket.required_skills <= h.profiles[a].skills
        and ticket.language in h.profiles[a].languages
    )


Key = Callable[[History, Workload, QueuedTicket], Any]
Filter = Callable[[History, Workload, QueuedTicket], bool]


def anyone(h: History, agent: Workload, ticket: QueuedTicket) -> bool:
    return True


def arrival(ticket: QueuedTicket) -> tuple[datetime, UUID]:
    return ticket.received_at, ticket.ticket_id


def fifo_key(h: History, agent: Workload, ticket: QueuedTicket) -> Any:
    return arrival(ticket)


def priority_key(h: History, agent: Workload, ticket: QueuedTicket) -> Any:
    return -RANK[h.priority[ticket.ticket_id]], *arrival(ticket)


def sla_key(h: History, agent: Workload, ticket: QueuedTicket) -> Any:
    t = ticket.ticket_id
    received = h.received[t]
    target = SLA.resolution if t in h.replied else SLA.first_reply
    return received.at + target(h.priority[t], received.category), *arrival(ticket)


def effort_key(estimate: EffortEstimator, aging: float = 0.0) -> Key:
    def key(h: History, agent: Workload, ticket: QueuedTicket) -> Any:
        seconds = estimate(ticket).total_seconds() + aging * ticket.received_at.timestamp()
        return seconds, *arrival(ticket)

    return key


def own_or(default: timedelta, **by_category: timedelta) -> EffortEstimator:
    def estimate(ticket: QueuedTicket) -> timedelta:
        if ticket.estimated_effort is not None:
            return ticket.estimated_effort
        return by_category.get(ticket.category, default)

    return estimate


def value_key(plans: Mapping[str, float], boost: float) -> Key:
    def key(h: History, agent: Workload, ticket: QueuedTicket) -> Any:
        received = h.received[ticket.ticket_id]
        value = received.customer_value + plans.get(received.plan or "", 0.0)
        return -(value + (boost if received.first_time else 0.0)), *arrival(ticket)

    return key


def same_tier(overflow: bool) -> Filter:
    def eligible(h: History, agent: Workload, ticket: QueuedTicket) -> bool:
        tier = h.profiles[agent.agent_id].tier
        if ticket.tier == tier:
            return True
        return overflow and ticket.tier < tier and not h.held[agent.agent_id]

    return eligible


def skilled(*, category: bool = True, channel: bool = False) -> Filter:
    def eligible(h: History, agent: Workload, ticket: QueuedTicket) -> bool:
        skills = h.profiles[agent.agent_id].skills
        if category and h.received[ticket.ticket_id].category not in skills:
            return False
        return not channel or f"channel:{ticket.channel}" in skills

    return eligible


def both(first: Filter, second: Filter) -> Filter:
    def eligible(h: History, agent: Workload, ticket: QueuedTicket) -> bool:
        return first(h, agent, ticket) and second(h, agent, ticket)

    return eligible


def affine_first(fallback: Key) -> Key:
    def key(h: History, agent: Workload, ticket: QueuedTicket) -> Any:
        if h.last_agent.get(h.received[ticket.ticket_id].customer_id) == agent.agent_id:
            return 0, *arrival(ticket)
        return 1, *fallback(h, agent, ticket)

    return key


@attrs.frozen
class PullSpec:
    """A pull policy (by registry name and options) and its documented key and filter."""

    name: str
    options: Mapping[str, Any]
    key: Key
    eligible: Filter = anyone

    def create(self) -> PullPolicy:
        policy = create(self.name, **self.options)
        assert isinstance(policy, PullPolicy)
        return policy

    def __str__(self) -> str:
        return f"{self.name}{dict(self.options) or ''}"


MINUTE = timedelta(minutes=1)
PLANS = {"enterprise": 1000.0, "pro": 100.0}
MEDIANS = MedianHandleTime(
    by_category=(("billing", 3 * MINUTE), ("technical", 30 * MINUTE)), default=12 * MINUTE
)

PULL_SPECS = [
    PullSpec("fifo", {}, fifo_key),
    PullSpec("priority", {}, priority_key),
    PullSpec("easiest-first", {}, effort_key(own_or(10 * MINUTE))),
    PullSpec(
        "easiest-first",
        {"aging": 0.25, "default": 5 * MINUTE},
        effort_key(own_or(5 * MINUTE), aging=0.25),
    ),
    PullSpec(
        "easiest-first",
        {"estimator": MEDIANS, "aging": 0.01},
        effort_key(own_or(12 * MINUTE, billing=3 * MINUTE, technical=30 * MINUTE), aging=0.01),
    ),
    PullSpec("value", {}, value_key({}, 0.0)),
    PullSpec("value", {"plans": PLANS, "first_time_boost": 250.0}, value_key(PLANS, 250.0)),
    PullSpec("tiered", {}, fifo_key, same_tier(overflow=False)),
    PullSpec("tiered", {"overflow": True}, fifo_key, same_tier(overflow=True)),
    PullSpec("tiered", {"key": by_priority}, priority_key, same_tier(overflow=False)),
    PullSpec("skills", {}, fifo_key, skilled()),
    PullSpec("skills", {"channel": True}, fifo_key, skilled(channel=True)),
    PullSpec(
        "skills",
        {"category": False, "channel": True},
        fifo_key,
        skilled(category=False, channel=True),
    ),
    PullSpec(
        "tiered-skills",
        {"overflow": True},
        fifo_key,
        both(same_tier(overflow=True), skilled()),
    ),
    PullSpec("sla", {}, sla_key),
    PullSpec("affinity", {}, affine_first(fifo_key)),
    PullSpec("affinity", {"fallback": create("priority")}, affine_first(priority_key)),
]


def spec_id(spec: PullSpec) -> str:
    return str(spec)


def agents(h: History, workloads: Workloads) -> list[Workload]:
    found = workloads.workloads(now=h.at)
    assert [w.agent_id for w in found] == h.agents
    for w in found:
        assert (w.online, w.held, w.profile) == (
            h.online[w.agent_id],
            frozenset(h.held[w.agent_id]),
            h.profiles[w.agent_id],
        )
    return found


def waiting(h: History, queues: Queues) -> list[QueuedTicket]:
    """The model's waiting tickets, as the queues describe them (no index involved)."""
    tickets = [queues.get(t) for t in h.waiting]
    assert queues.waiting_count() == len(tickets)
    found = [t for t in tickets if t is not None]
    assert len(found) == len(tickets)
    for t in found:
        assert (t.agent_id, t.queue, t.tier, t.priority) == (
            None,
            h.queue[t.ticket_id],
            h.tier[t.ticket_id],
            h.priority[t.ticket_id],
        )
    return found


def eligible(
    spec: PullSpec, h: History, agent: Workload, tickets: list[QueuedTicket]
) -> list[QueuedTicket]:
    """Brute force: every waiting ticket the agent may take and the policy accepts, in key order."""
    chosen = [t for t in tickets if may_take(h, agent, t) and spec.eligible(h, agent, t)]
    return sorted(chosen, key=lambda t: spec.key(h, agent, t))


@attrs.frozen
class State:
    """The projections of a random desk, and the policies to ask."""

    history: History
    queues: Queues
    workloads: Workloads


def state(history: History, split: int, specs: Sequence[PullSpec] = PULL_SPECS) -> State:
    """Fold the first ``split`` events, ask every policy once (so the queues build their
    indexes), then fold the rest: the indexes are then maintained, not built afresh."""
    queues, workloads = folded(history.events[:split])
    now = history.at
    for spec in specs:
        policy = spec.create()
        for agent in workloads.workloads(now=now):
            next(iter(policy.tickets_for(agent, queues, now=now)), None)
    fold(queues, history.events[split:])
    fold(workloads, history.events[split:])
    return State(history, queues, workloads)


def candidates(spec: PullSpec, s: State, agent: Workload) -> list[QueuedTicket]:
    return list(spec.create().tickets_for(agent, s.queues, now=s.history.at))


def splits(history: History) -> st.SearchStrategy[int]:
    return st.integers(min_value=0, max_value=len(history.events))


# --- pull policies --------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", PULL_SPECS, ids=spec_id)
@settings(deadline=None)
@given(history=histories(), data=st.data())
def test_the_first_candidate_has_the_smallest_key_among_the_tickets_the_agent_may_take(
    spec: PullSpec, history: History, data: st.DataObject
) -> None:
    s = state(history, data.draw(splits(history)), specs=(spec,))
    tickets = waiting(history, s.queues)
    for agent in agents(history, s.workloads):
        expected = eligible(spec, history, agent, tickets)
        first = next(iter(spec.create().tickets_for(agent, s.queues, now=history.at)), None)
        assert first == (expected[0] if expected else None), f"{spec} for {agent.name}"


@pytest.mark.parametrize("spec", PULL_SPECS, ids=spec_id)
@settings(deadline=None)
@given(history=histories(), data=st.data())
def test_every_candidate_is_a_ticket_the_agent_may_take_and_the_policy_accepts(
    spec: PullSpec, history: History, data: st.DataObject
) -> None:
    s = state(history, data.draw(splits(history)), specs=(spec,))
    tickets = waiting(history, s.queues)
    for agent in agents(history, s.workloads):
        offered = candidates(spec, s, agent)
        for ticket in offered:
            assert may_take(history, agent, ticket), f"{spec} offers {agent.name} {ticket}"
            assert spec.eligible(history, agent, ticket), f"{spec} offers {agent.name} {ticket}"
        if not any(may_take(history, agent, t) for t in tickets):
            assert offered == []  # offline, full, or nothing in reach: nothing at all
        # ... and none is left out
        assert {t.ticket_id for t in offered} == {
            t.ticket_id for t in eligible(spec, history, agent, tickets)
        }


@pytest.mark.parametrize("spec", PULL_SPECS, ids=spec_id)
@settings(deadline=None)
@given(history=histories(), data=st.data())
def test_candidates_come_in_key_order_without_duplicates(
    spec: PullSpec, history: History, data: st.DataObject
) -> None:
    s = state(history, data.draw(splits(history)), specs=(spec,))
    for agent in agents(history, s.workloads):
        offered = candidates(spec, s, agent)
        keys = [spec.key(history, agent, t) for t in offered]
        assert keys == sorted(keys), f"{spec} for {agent.name}"
        assert len({t.ticket_id for t in offered}) == len(offered), f"{spec} for {agent.name}"


@settings(deadline=None)
@given(history=histories(), data=st.data())
def test_equal_states_give_equal_candidates(history: History, data: st.DataObject) -> None:
    warmed = state(history, data.draw(splits(history)))
    queues, workloads = folded(history.events)
    again_queues, again_workloads = folded(history.events)
    now = history.at
    for spec in PULL_SPECS:
        for agent_id in history.agents:
            runs = [
                [
                    t.ticket_id
                    for t in spec.create().tickets_for(w.workload(agent_id, now=now), q, now=now)
                ]
                for q, w in (
                    (queues, workloads),
                    (queues, workloads),  # the same state asked twice
                    (again_queues, again_workloads),  # an equal state
                    (warmed.queues, warmed.workloads),  # equal, with indexes kept up to date
                )
            ]
            assert all(run == runs[0] for run in runs), f"{spec}: {runs}"


# --- routers --------------------------------------------------------------------------------------

Rank = Callable[[History, Workload], Any]


def joined(h: History, agent: Workload) -> int:
    return h.agents.index(agent.agent_id)


def holding(h: History, agent: Workload) -> int:
    return len(h.held[agent.agent_id])


def round_robin(h: History, agent: Workload) -> Any:
    return h.last_assignment.get(agent.agent_id, 0), joined(h, agent)


def least_loaded(h: History, agent: Workload) -> Any:
    return holding(h, agent), joined(h, agent)


def capacity_aware(h: History, agent: Workload) -> Any:
    capacity = h.profiles[agent.agent_id].capacity
    return holding(h, agent) / capacity, holding(h, agent) - capacity, joined(h, agent)


def longest_idle(h: History, agent: Workload) -> Any:
    idle = h.idle_since[agent.agent_id]
    return idle is None, idle or NEVER, holding(h, agent), joined(h, agent)


ROUTERS: dict[str, Rank] = {
    "round-robin": round_robin,
    "least-loaded": least_loaded,
    "capacity-aware": capacity_aware,
    "longest-idle": longest_idle,
}


def expected_agents(
    name: str, h: History, ticket: QueuedTicket, staff: list[Workload]
) -> list[UUID]:
    able = [a for a in staff if may_take(h, a, ticket)]
    if name != "affinity-router":
        return [a.agent_id for a in sorted(able, key=lambda a: ROUTERS[name](h, a))]
    last = h.last_agent.get(h.received[ticket.ticket_id].customer_id)
    ordered = sorted(able, key=lambda a: (a.agent_id != last, *least_loaded(h, a)))
    return [a.agent_id for a in ordered]


@pytest.mark.parametrize("name", [*ROUTERS, "affinity-router"])
@settings(deadline=None)
@given(history=histories(), data=st.data())
def test_routers_offer_only_agents_who_may_take_the_ticket_in_rank_order(
    name: str, history: History, data: st.DataObject
) -> None:
    s = state(history, data.draw(splits(history)), specs=())
    router = create(name)
    assert isinstance(router, Router)
    staff = agents(history, s.workloads)
    for ticket in waiting(history, s.queues):
        offered = list(router.agents_for(ticket, staff, s.queues, now=history.at))
        ids = [a.agent_id for a in offered]
        assert all(may_take(history, a, ticket) for a in offered), name
        assert len(set(ids)) == len(ids), name
        if name in ROUTERS:
            ranks = [ROUTERS[name](history, a) for a in offered]
            assert ranks == sorted(ranks), name
        assert ids == expected_agents(name, history, ticket, staff), name


# --- the indexes ----------------------------------------------------------------------------------


ORDERING_KEYS: dict[str, Any] = {
    "fifo": by_arrival,
    "priority": by_priority,
    "deadline": lambda t: (t.due, t.received_at, t.ticket_id),
}


@settings(deadline=None)
@given(history=histories(max_steps=60), data=st.data())
def test_indexes_stay_correct_as_events_keep_arriving(
    history: History, data: st.DataObject
) -> None:
    split = data.draw(splits(history))
    queues = fold(Queues(sla=SLA), history.events[:split])
    keys: list[Any] = ["fifo", "priority", "deadline"]
    keys += [policy.key for spec in PULL_SPECS if isinstance(policy := spec.create(), Ordered)]
    for key in keys:
        for queue in (ALL_QUEUES, *QUEUES):
            queues.index(queue, key)  # built now, from the first events
    for agent in history.agents:
        queues.waiting_for(agent)

    fold(queues, history.events[split:])  # ... and kept up to date from then on

    tickets = waiting(history, queues)
    for key in keys:
        sort_key = ORDERING_KEYS.get(key, key) if isinstance(key, str) else key
        for queue in (ALL_QUEUES, *QUEUES):
            expected = sorted((t for t in tickets if queue in (ALL_QUEUES, t.queue)), key=sort_key)
            assert list(queues.index(queue, key)) == expected, f"{key} in {queue}"
    for agent in history.agents:
        affine = [t for t in tickets if history.last_agent.get(t.customer_id) == agent]
        assert queues.waiting_for(agent) == sorted(affine, key=by_arrival)
