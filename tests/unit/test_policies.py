"""The built-in assignment policies, driven through an in-memory desk.

Each pull policy has a table of arrivals and the exact order one agent is given them by
``assign_next``; each router a table of agents' states and the exact order it ranks them
in (the first is the one ``route`` picks). The tables spell out every tie-break listed in
:mod:`ticketlog.policies.builtin`. The registry, the desk's errors and the entry-point
plug-in mechanism follow.
"""

from __future__ import annotations

import pickle
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

import attrs
import pytest

from ticketlog import (
    AgentAtCapacity,
    AgentNotFound,
    AgentOffline,
    AssignedBy,
    ConfigurationError,
    HelpDesk,
    ManualClock,
    Priority,
    TicketAlreadyAssigned,
    TicketAssigned,
)
from ticketlog.policies import (
    ENTRY_POINT_GROUP,
    MedianHandleTime,
    Ordered,
    PullPolicy,
    Router,
    affinity,
    can_take,
    create,
    names,
    register,
    tiered,
)
from ticketlog.policies import registry as policy_registry
from ticketlog.policies.builtin import skills_based, team_queues, tiered_skills
from ticketlog.projections import (
    DeskView,
    QueuedTicket,
    Queues,
    SlaTargets,
    Targets,
    Workload,
    fold,
)
from ticketlog.projections.queues import by_priority

BUILT_IN_PULL = (
    "fifo",
    "priority",
    "easiest-first",
    "value",
    "tiered",
    "skills",
    "tiered-skills",
    "sla",
    "affinity",
    "team-queues",
)
BUILT_IN_ROUTERS = (
    "round-robin",
    "least-loaded",
    "capacity-aware",
    "longest-idle",
    "affinity-router",
)

NAMESPACE = UUID("6f1c1d58-3b7e-4a53-9d0e-0c4b5a7e2f10")


# --- helpers ----------------------------------------------------------------------------------


@attrs.frozen
class Arrival:
    """A ticket of a table: its label, minutes after the start, id and attributes."""

    label: str
    minute: float
    ticket_id: UUID
    attributes: Mapping[str, Any]


def arrival(label: str, minute: float, *, id: int | None = None, **attributes: Any) -> Arrival:
    """A table row; ``id`` fixes the ticket id (for tie-breaks by id), else it is derived."""
    ticket_id = uuid5(NAMESPACE, label) if id is None else UUID(int=id)
    return Arrival(label, minute, ticket_id, attributes)


def receive_all(desk: HelpDesk, start: datetime, arrivals: list[Arrival]) -> dict[UUID, str]:
    """Receive every arrival at its time; return labels by ticket id."""
    labels: dict[UUID, str] = {}
    for row in arrivals:
        attributes = {"channel": "email", "customer_id": f"customer-{row.label}", **row.attributes}
        desk.receive(
            ticket_id=row.ticket_id, at=start + timedelta(minutes=row.minute), **attributes
        )
        labels[row.ticket_id] = row.label
    return labels


def log_size(desk: HelpDesk) -> int:
    return sum(1 for _ in desk.read_log())


def assignment(desk: HelpDesk, ticket_id: UUID) -> TicketAssigned:
    """The latest ``TicketAssigned`` of a ticket."""
    assigned = [e for e in desk.ticket_events(ticket_id) if isinstance(e, TicketAssigned)]
    assert assigned, f"ticket {ticket_id} was never assigned"
    return assigned[-1]


def pull_all(desk: HelpDesk, agent_id: UUID, policy: PullPolicy | str) -> list[UUID]:
    """``assign_next`` until it returns ``None``; check each recorded assignment."""
    name = policy if isinstance(policy, str) else policy.name
    taken: list[UUID] = []
    for _ in range(100):
        ticket_id = desk.assign_next(agent_id, policy)
        if ticket_id is None:
            return taken
        event = assignment(desk, ticket_id)
        assert (event.agent_id, event.by, event.actor_id) == (agent_id, AssignedBy.SELF, agent_id)
        assert event.policy == name
        taken.append(ticket_id)
    pytest.fail("assign_next kept returning tickets")


def served(
    desk: HelpDesk,
    clock: ManualClock,
    arrivals: list[Arrival],
    policy: PullPolicy | str,
    *,
    then: Callable[[dict[str, UUID]], object] | None = None,
    **agent: Any,
) -> list[str]:
    """Receive ``arrivals`` (then call ``then`` with their ids by label), then let one new
    agent pull until nothing fits; return the labels served, in order."""
    start = clock.now()
    labels = receive_all(desk, start, arrivals)
    clock.set(start + timedelta(hours=12))
    if then is not None:
        then({label: ticket_id for ticket_id, label in labels.items()})
    clock.set(start + timedelta(days=1))
    agent_id = desk.join_agent("Ann", **{"capacity": 50, **agent})
    taken = pull_all(desk, agent_id, policy)
    left = {labels[t.ticket_id] for t in desk.view().queues.waiting()}
    assert left == set(labels.values()) - {labels[t] for t in taken}  # the rest still waits
    return [labels[t] for t in taken]


def ranked(desk: HelpDesk, ticket_id: UUID, router: Router) -> list[UUID]:
    """The agents ``router`` ranks for a waiting ticket, best first (as ``route`` sees them)."""
    view = desk.view()
    ticket = view.queues.get(ticket_id)
    assert ticket is not None
    now = desk.clock.now()
    agents = view.workloads.workloads(now=now)
    return [a.agent_id for a in router.agents_for(ticket, agents, view.queues, now=now)]


def check_routed(desk: HelpDesk, ticket_id: UUID, router: str, agent_id: UUID | None) -> None:
    """``route`` gives the ticket to ``agent_id`` and records the router's name."""
    assert desk.route(ticket_id, router) == agent_id
    if agent_id is not None:
        event = assignment(desk, ticket_id)
        assert (event.agent_id, event.by, event.policy) == (agent_id, AssignedBy.ROUTER, router)
        assert event.actor_id is None


# --- fifo ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arrivals", "expected"),
    [
        pytest.param(
            [arrival("b", 5), arrival("a", 0), arrival("c", 2)],
            ["a", "c", "b"],
            id="oldest-received-first",
        ),
        pytest.param(
            [
                arrival("low", 0, priority="low"),
                arrival("urgent", 1, priority="urgent"),
                arrival("chat", 2, channel="chat", plan="enterprise", customer_value=500.0),
            ],
            ["low", "urgent", "chat"],
            id="blind-to-priority-channel-and-value",
        ),
        pytest.param(
            [arrival("x", 0, id=3), arrival("y", 0, id=1), arrival("z", 0, id=2)],
            ["y", "z", "x"],
            id="same-instant-ties-by-ticket-id",
        ),
        pytest.param(
            [arrival("late", 1, id=1), arrival("early", 0, id=9)],
            ["early", "late"],
            id="time-before-id",
        ),
        pytest.param(
            [arrival("q1", 0, queue="billing"), arrival("q2", 1, queue="general")],
            ["q1", "q2"],
            id="across-queues",
        ),
    ],
)
def test_fifo_serves_the_oldest_received_first(
    desk: HelpDesk, clock: ManualClock, arrivals: list[Arrival], expected: list[str]
) -> None:
    assert served(desk, clock, arrivals, "fifo") == expected


def test_fifo_keeps_a_reopened_ticket_at_its_original_arrival(
    desk: HelpDesk, clock: ManualClock
) -> None:
    bob = desk.join_agent("Bob")
    old = desk.receive(channel="email", customer_id="c-1")
    desk.assign(old, bob)
    clock.advance(minutes=5)
    desk.resolve(old, bob)
    clock.advance(minutes=5)
    newer = desk.receive(channel="email", customer_id="c-2")
    clock.advance(minutes=5)
    desk.reopen(old, reason="still broken")
    ann = desk.join_agent("Ann", capacity=5)
    assert pull_all(desk, ann, "fifo") == [old, newer]


# --- priority -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arrivals", "expected"),
    [
        pytest.param(
            [
                arrival("low", 0, priority="low"),
                arrival("normal", 1, priority="normal"),
                arrival("high", 2, priority="high"),
                arrival("urgent", 3, priority="urgent"),
            ],
            ["urgent", "high", "normal", "low"],
            id="most-severe-first",
        ),
        pytest.param(
            [
                arrival("high-new", 9, priority="high"),
                arrival("high-old", 1, priority="high"),
                arrival("normal-oldest", 0),
            ],
            ["high-old", "high-new", "normal-oldest"],
            id="then-oldest",
        ),
        pytest.param(
            [
                arrival("b", 0, id=2, priority="high"),
                arrival("a", 0, id=1, priority="high"),
                arrival("c", 0, id=0, priority="low"),
            ],
            ["a", "b", "c"],
            id="then-ticket-id",
        ),
    ],
)
def test_priority_serves_the_most_severe_first(
    desk: HelpDesk, clock: ManualClock, arrivals: list[Arrival], expected: list[str]
) -> None:
    assert served(desk, clock, arrivals, "priority") == expected


# --- easiest-first ------------------------------------------------------------------------------


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@pytest.mark.parametrize(
    ("options", "arrivals", "expected"),
    [
        pytest.param(
            {},
            [
                arrival("30m", 0, estimated_effort=minutes(30)),
                arrival("5m", 1, estimated_effort=minutes(5)),
                arrival("none", 2),
            ],
            ["5m", "none", "30m"],
            id="own-estimate-else-10-minutes",
        ),
        pytest.param(
            {"default": minutes(1)},
            [
                arrival("5m", 0, estimated_effort=minutes(5)),
                arrival("none", 1),
                arrival("0m", 2, estimated_effort=minutes(0)),
            ],
            ["0m", "none", "5m"],
            id="default-option",
        ),
        pytest.param(
            {},
            [arrival("none-new", 3), arrival("10m-old", 0, estimated_effort=minutes(10))],
            ["10m-old", "none-new"],
            id="equal-effort-oldest-first",
        ),
        pytest.param(
            {},
            [
                arrival("b", 0, id=2, estimated_effort=minutes(7)),
                arrival("a", 0, id=1, estimated_effort=minutes(7)),
            ],
            ["a", "b"],
            id="then-ticket-id",
        ),
    ],
)
def test_easiest_first_serves_the_smallest_expected_effort_first(
    desk: HelpDesk,
    clock: ManualClock,
    options: dict[str, Any],
    arrivals: list[Arrival],
    expected: list[str],
) -> None:
    policy = create("easiest-first", **options)
    assert isinstance(policy, PullPolicy)
    assert served(desk, clock, arrivals, policy) == expected


# Hand computation: with aging a (seconds of effort forgiven per second waited) the key is
# effort + a * received. A hard ticket (60 min) received at 0 against an easy one (10 min)
# received two hours later: 3600 + a*t0 against 600 + a*(t0 + 7200), so the hard one goes
# first once 3600 < 600 + 7200 a, i.e. a > 5/12. At a = 0.5 with a 0-minute easy ticket
# both keys are 3600 + t0/2: a tie, which the older (hard) ticket wins.
@pytest.mark.parametrize(
    ("aging", "easy_effort", "expected"),
    [
        pytest.param(0.0, 10, ["easy", "hard"], id="no-aging"),
        pytest.param(0.25, 10, ["easy", "hard"], id="aging-below-5/12"),
        pytest.param(0.5, 10, ["hard", "easy"], id="aging-above-5/12-old-hard-overtakes"),
        pytest.param(0.5, 0, ["hard", "easy"], id="exact-tie-oldest-wins"),
        pytest.param(0.25, 0, ["easy", "hard"], id="aging-0.25-zero-effort"),
    ],
)
def test_easiest_first_with_aging_lets_an_old_hard_ticket_overtake_a_new_easy_one(
    desk: HelpDesk, clock: ManualClock, aging: float, easy_effort: int, expected: list[str]
) -> None:
    arrivals = [
        arrival("easy", 120, estimated_effort=minutes(easy_effort)),
        arrival("hard", 0, estimated_effort=minutes(60)),
    ]
    policy = create("easiest-first", aging=aging)
    assert isinstance(policy, PullPolicy)
    assert served(desk, clock, arrivals, policy) == expected


def test_median_handle_time_learns_per_category_medians_from_resolved_tickets(
    desk: HelpDesk, clock: ManualClock
) -> None:
    bob = desk.join_agent("Bob", capacity=10)
    spells = [("billing", 5), ("billing", 30), ("billing", 7), ("technical", 50), ("technical", 40)]
    for category, length in spells:
        ticket = desk.receive(channel="email", customer_id="c", category=category)
        desk.assign(ticket, bob)
        clock.advance(minutes=length)
        desk.resolve(ticket, bob)
    unresolved = desk.receive(channel="email", customer_id="c", category="account")
    desk.assign(unresolved, bob)
    clock.advance(minutes=1)  # a 1-minute spell of a ticket still held does not count

    learned = MedianHandleTime.learn(desk.view().facts)

    # median_low: billing 5, 7, 30 -> 7; technical 40, 50 -> 40; account never resolved
    assert learned.by_category == (("billing", minutes(7)), ("technical", minutes(40)))
    assert learned.default == minutes(10)


@pytest.mark.parametrize(
    ("default", "expected"),
    [
        pytest.param(minutes(10), ["own-1m", "billing-7m", "account-default", "tech-40m"]),
        pytest.param(minutes(60), ["own-1m", "billing-7m", "tech-40m", "account-default"]),
        pytest.param(minutes(1), ["account-default", "own-1m", "billing-7m", "tech-40m"]),
    ],
)
def test_easiest_first_orders_by_learned_median_handle_time(
    desk: HelpDesk, clock: ManualClock, default: timedelta, expected: list[str]
) -> None:
    bob = desk.join_agent("Bob", capacity=10)
    for category, length in [("billing", 7), ("technical", 40)]:
        ticket = desk.receive(channel="email", customer_id="c", category=category)
        desk.assign(ticket, bob)
        clock.advance(minutes=length)
        desk.resolve(ticket, bob)
    estimator = MedianHandleTime.learn(desk.view().facts, default=default)
    policy = create("easiest-first", estimator=estimator)
    assert isinstance(policy, PullPolicy)
    arrivals = [
        arrival("account-default", 0, category="account"),  # default; oldest
        arrival("tech-40m", 1, category="technical"),
        arrival("billing-7m", 2, category="billing"),
        arrival("own-1m", 3, category="technical", estimated_effort=minutes(1)),
    ]
    assert served(desk, clock, arrivals, policy) == expected


# --- value --------------------------------------------------------------------------------------

PLANS = {"enterprise": 1000.0, "pro": 100.0}


@pytest.mark.parametrize(
    ("options", "arrivals", "expected"),
    [
        pytest.param(
            {"plans": PLANS},
            [
                arrival("free", 0, plan="free"),
                arrival("pro", 1, plan="pro"),
                arrival("enterprise", 2, plan="enterprise"),
                arrival("no-plan", 3),
            ],
            ["enterprise", "pro", "free", "no-plan"],  # free and no plan are both worth 0
            id="plan-values",
        ),
        pytest.param(
            {"plans": PLANS},
            [
                arrival("pro", 0, plan="pro"),
                arrival("free+150", 1, plan="free", customer_value=150.0),
                arrival("pro+60", 2, plan="pro", customer_value=60.0),
            ],
            ["pro+60", "free+150", "pro"],
            id="plan-plus-customer-value",
        ),
        pytest.param(
            {},
            [arrival("v10", 0, customer_value=10.0), arrival("v20", 1, customer_value=20.0)],
            ["v20", "v10"],
            id="customer-value-without-plans",
        ),
        pytest.param(
            {"plans": PLANS, "first_time_boost": 200.0},
            [
                arrival("pro", 0, plan="pro"),
                arrival("newcomer", 1, first_time=True),
                arrival("enterprise", 2, plan="enterprise"),
            ],
            ["enterprise", "newcomer", "pro"],
            id="first-time-boost",
        ),
        pytest.param(
            {"plans": PLANS},
            [arrival("pro", 0, plan="pro"), arrival("newcomer", 1, first_time=True)],
            ["pro", "newcomer"],
            id="no-boost-by-default",
        ),
        pytest.param(
            {"plans": PLANS, "first_time_boost": 100.0},
            [
                arrival("newcomer-newer", 2, first_time=True),
                arrival("pro-older", 1, plan="pro"),
                arrival("pro-same", 1, id=0, plan="pro"),
            ],
            ["pro-same", "pro-older", "newcomer-newer"],
            id="equal-value-oldest-then-id",
        ),
    ],
)
def test_value_serves_the_most_valuable_customer_first(
    desk: HelpDesk,
    clock: ManualClock,
    options: dict[str, Any],
    arrivals: list[Arrival],
    expected: list[str],
) -> None:
    policy = create("value", **options)
    assert isinstance(policy, PullPolicy)
    assert policy.name == "value"
    assert served(desk, clock, arrivals, policy) == expected


# --- tiered -------------------------------------------------------------------------------------

TIERS = [
    arrival("t0", 0, tier=0),
    arrival("t1", 1, tier=1),
    arrival("t2", 2, tier=2),
    arrival("t1-later", 3, tier=1),
    arrival("t2-later", 4, tier=2),
    arrival("t3", 5, tier=3),
]


@pytest.mark.parametrize(
    ("options", "tier", "expected"),
    [
        pytest.param({}, 1, ["t1", "t1-later"], id="tier-1-own-tier-only"),
        pytest.param({}, 2, ["t2", "t2-later"], id="tier-2-own-tier-only"),
        pytest.param({}, 0, ["t0"], id="tier-0-bot"),
        # overflow: the idle agent takes the oldest lower-tier ticket, then, holding it,
        # only their own tier.
        pytest.param({"overflow": True}, 2, ["t0", "t2", "t2-later"], id="tier-2-overflow"),
        pytest.param({"overflow": True}, 3, ["t0", "t3"], id="tier-3-overflow"),
        pytest.param({"overflow": True}, 1, ["t0", "t1", "t1-later"], id="tier-1-overflow"),
    ],
)
def test_tiered_agents_serve_their_own_tier_and_overflow_only_when_idle(
    desk: HelpDesk, clock: ManualClock, options: dict[str, Any], tier: int, expected: list[str]
) -> None:
    policy = create("tiered", **options)
    assert isinstance(policy, PullPolicy)
    assert served(desk, clock, TIERS, policy, tier=tier) == expected


def test_tiered_overflow_is_closed_to_an_agent_holding_a_ticket(
    desk: HelpDesk, clock: ManualClock
) -> None:
    ann = desk.join_agent("Ann", tier=2, capacity=3)
    own = desk.receive(channel="email", customer_id="c", tier=2)
    desk.assign(own, ann)
    lower = desk.receive(channel="email", customer_id="c", tier=1)
    policy = create("tiered", overflow=True)
    assert isinstance(policy, PullPolicy)
    assert desk.assign_next(ann, policy) is None
    desk.resolve(own, ann)
    assert desk.assign_next(ann, policy) == lower
    assert assignment(desk, lower).policy == "tiered"


# --- team queues --------------------------------------------------------------------------------

TEAM_QUEUES = [
    arrival("general-old", 0),
    arrival("billing-urgent", 1, queue="billing", priority="urgent"),
    arrival("billing", 2, queue="billing"),
    arrival("vip", 3, queue="vip"),
    arrival("technical", 4, queue="technical"),
]


@pytest.mark.parametrize(
    ("options", "teams", "expected"),
    [
        pytest.param({}, {"team": "billing"}, ["billing-urgent", "billing"], id="own-team-only"),
        pytest.param(
            {},
            {"team": "billing", "teams": ["vip"]},
            ["billing-urgent", "billing", "vip"],
            id="home-and-other-teams",
        ),
        pytest.param(
            {"overflow": True},
            {"team": "billing"},
            ["billing-urgent", "billing", "general-old", "vip", "technical"],
            id="overflow-after-own-queues",
        ),
        pytest.param(
            {"overflow": ["technical"]},
            {"team": "billing"},
            ["billing-urgent", "billing", "technical"],
            id="overflow-to-named-queues",
        ),
        pytest.param(
            {"overflow": True, "key": by_priority},
            {"team": "vip"},
            ["vip", "billing-urgent", "general-old", "billing", "technical"],
            id="then-in-key-order",
        ),
    ],
)
def test_team_queues_serve_the_agents_own_teams_queues_first(
    desk: HelpDesk,
    clock: ManualClock,
    options: dict[str, Any],
    teams: dict[str, Any],
    expected: list[str],
) -> None:
    policy = create("team-queues", **options)
    assert isinstance(policy, PullPolicy)
    assert served(desk, clock, TEAM_QUEUES, policy, **teams) == expected


def test_team_queues_overflow_only_when_the_own_queues_offer_nothing_the_agent_may_take(
    desk: HelpDesk,
) -> None:
    ann = desk.join_agent("Ann", team="billing", capacity=3)
    general = desk.receive(channel="email", customer_id="c-1")
    german = desk.receive(channel="email", customer_id="c-2", queue="billing", language="de")
    assert desk.assign_next(ann, "team-queues") is None  # her queue's ticket is not for her
    assert desk.assign_next(ann, team_queues(overflow=True)) == general
    assert german in {t.ticket_id for t in desk.view().queues.waiting("billing")}


# --- skills -------------------------------------------------------------------------------------

SKILLED = [
    arrival("billing-email", 0, category="billing"),
    arrival("billing-phone", 1, category="billing", channel="phone"),
    arrival("technical-phone", 2, category="technical", channel="phone"),
    arrival("general-chat", 3, channel="chat"),
    arrival("billing-refund", 4, category="billing", required_skills={"refunds"}),
    arrival("billing-german", 5, category="billing", language="de"),
]


@pytest.mark.parametrize(
    ("options", "skills", "expected"),
    [
        pytest.param({}, {"billing"}, ["billing-email", "billing-phone"], id="category"),
        pytest.param(
            {},
            {"billing", "refunds"},
            ["billing-email", "billing-phone", "billing-refund"],
            id="category-and-required-skill",
        ),
        pytest.param({}, set(), [], id="no-skills-no-tickets"),
        pytest.param({}, {"channel:phone"}, [], id="channel-skill-is-not-a-category"),
        pytest.param(
            {"channel": True}, {"billing", "channel:phone"}, ["billing-phone"], id="and-channel"
        ),
        pytest.param(
            {"category": False, "channel": True},
            {"channel:phone", "channel:chat"},
            ["billing-phone", "technical-phone", "general-chat"],
            id="channel-only",
        ),
        pytest.param(
            {},
            {"general", "technical"},
            ["technical-phone", "general-chat"],
            id="other-categories",
        ),
    ],
)
def test_skills_serve_tickets_of_the_agents_categories_and_channels(
    desk: HelpDesk,
    clock: ManualClock,
    options: dict[str, Any],
    skills: set[str],
    expected: list[str],
) -> None:
    policy = create("skills", **options)
    assert isinstance(policy, PullPolicy)
    assert served(desk, clock, SKILLED, policy, skills=skills) == expected


# --- sla ----------------------------------------------------------------------------------------
# Default first-reply targets: urgent 15 min, high 1 h, normal 4 h, low 8 h; resolution
# targets: urgent 4 h, high 8 h, normal 24 h, low 72 h. Deadlines count from receipt.


@pytest.mark.parametrize(
    ("arrivals", "expected"),
    [
        pytest.param(
            [
                arrival("low", 0, priority="low"),  # due 8:00
                arrival("normal", 0),  # due 4:00
                arrival("urgent", 60, priority="urgent"),  # due 1:15
                arrival("high", 0, priority="high"),  # due 1:00
            ],
            ["high", "urgent", "normal", "low"],
            id="earliest-deadline-first",
        ),
        pytest.param(
            [arrival("normal", 0), arrival("low-older", -240, priority="low")],  # both due 4:00
            ["low-older", "normal"],
            id="equal-deadline-oldest-first",
        ),
        pytest.param(
            [arrival("b", 0, id=2), arrival("a", 0, id=1)],
            ["a", "b"],
            id="then-ticket-id",
        ),
    ],
)
def test_sla_serves_the_earliest_deadline_first(
    desk: HelpDesk, clock: ManualClock, arrivals: list[Arrival], expected: list[str]
) -> None:
    assert served(desk, clock, arrivals, "sla") == expected


@pytest.mark.parametrize(
    ("label", "priority", "expected"),
    [
        pytest.param(None, None, ["a", "b"], id="as-received"),  # a due 4:00, b due 8:10
        pytest.param("b", "urgent", ["b", "a"], id="b-urgent-due-0:25"),
        pytest.param("b", "high", ["b", "a"], id="b-high-due-1:10"),
        pytest.param("b", "normal", ["a", "b"], id="b-normal-due-4:10"),
        pytest.param("a", "low", ["a", "b"], id="a-low-due-8:00"),
        pytest.param("a", "urgent", ["a", "b"], id="a-urgent-due-0:15"),
    ],
)
def test_sla_follows_a_reprioritised_deadline(
    desk: HelpDesk,
    clock: ManualClock,
    label: str | None,
    priority: str | None,
    expected: list[str],
) -> None:
    arrivals = [arrival("b", 10, priority="low"), arrival("a", 0)]

    def reprioritise(ids: dict[str, UUID]) -> None:
        if label is not None and priority is not None:
            desk.reprioritise(ids[label], priority)

    assert served(desk, clock, arrivals, "sla", then=reprioritise) == expected


@pytest.mark.parametrize(
    ("public", "expected"),
    [
        pytest.param(True, ["b", "a"], id="replied-due-at-resolution-target-24:00"),
        pytest.param(False, ["a", "b"], id="internal-note-still-first-reply-4:00"),
    ],
)
def test_sla_uses_the_resolution_deadline_once_the_customer_had_a_reply(
    desk: HelpDesk, clock: ManualClock, public: bool, expected: list[str]
) -> None:
    arrivals = [arrival("a", 0), arrival("b", 10, priority="low")]  # b due 8:10

    def reply_and_requeue(ids: dict[str, UUID]) -> None:
        bob = desk.join_agent("Bob")
        desk.assign(ids["a"], bob)
        desk.respond(ids["a"], bob, public=public)
        desk.transfer(ids["a"], to_queue="second-line", reason="needs a specialist")

    assert served(desk, clock, arrivals, "sla", then=reply_and_requeue) == expected


def test_sla_uses_category_targets(clock: ManualClock) -> None:
    every = dict.fromkeys(Priority, timedelta(minutes=5))
    sla = SlaTargets(by_category={"vip": Targets(first_reply=every, resolution=every)})
    arrivals = [arrival("high", 0, priority="high"), arrival("vip", 30, category="vip")]
    with HelpDesk("memory://", clock=clock, sla=sla) as desk:
        assert served(desk, clock, arrivals, "sla") == ["vip", "high"]  # 0:35 before 1:00


# --- affinity -----------------------------------------------------------------------------------


@attrs.frozen
class AffinityDesk:
    """Ann and Bob; Bob last served customer acme, whose new ticket waits behind another."""

    ann: UUID
    bob: UUID
    other: UUID
    acme: UUID


def affinity_desk(desk: HelpDesk, clock: ManualClock, **acme: Any) -> AffinityDesk:
    ann = desk.join_agent("Ann", capacity=5)
    bob = desk.join_agent("Bob", capacity=5)
    first = desk.receive(channel="chat", customer_id="acme")
    desk.assign(first, bob)
    clock.advance(minutes=5)
    desk.resolve(first, bob)
    clock.advance(minutes=5)
    other = desk.receive(channel="chat", customer_id="globex")
    clock.advance(minutes=5)
    new = desk.receive(channel="chat", customer_id="acme", **acme)
    clock.advance(minutes=5)
    return AffinityDesk(ann, bob, other, new)


@pytest.mark.parametrize(
    ("puller", "expected"),
    [
        pytest.param("bob", ["acme", "other"], id="returning-customer-to-their-last-agent"),
        pytest.param("ann", ["other", "acme"], id="others-fall-back-to-fifo"),
    ],
)
def test_affinity_gives_a_returning_customer_to_the_agent_who_served_them_last(
    desk: HelpDesk, clock: ManualClock, puller: str, expected: list[str]
) -> None:
    d = affinity_desk(desk, clock)
    labels = {d.other: "other", d.acme: "acme"}
    agent = d.bob if puller == "bob" else d.ann
    assert [labels[t] for t in pull_all(desk, agent, "affinity")] == expected


def test_affinity_follows_the_latest_agent_of_the_customer(
    desk: HelpDesk, clock: ManualClock
) -> None:
    d = affinity_desk(desk, clock)
    again = desk.receive(channel="chat", customer_id="acme")
    desk.assign(again, d.ann)  # Ann is now acme's latest agent
    assert desk.assign_next(d.bob, "affinity") == d.other
    assert desk.assign_next(d.ann, "affinity") == d.acme


def test_affinity_takes_the_customers_tickets_oldest_first_then_the_fallback(
    desk: HelpDesk, clock: ManualClock
) -> None:
    d = affinity_desk(desk, clock)
    urgent = desk.receive(channel="chat", customer_id="initech", priority="urgent")
    clock.advance(minutes=1)
    acme_again = desk.receive(channel="chat", customer_id="acme", priority="low")
    policy = create("affinity", fallback=create("priority"))
    assert isinstance(policy, PullPolicy)
    assert pull_all(desk, d.bob, policy) == [d.acme, acme_again, urgent, d.other]


@pytest.mark.parametrize(
    "ineligible",
    [
        pytest.param({"language": "de"}, id="language"),
        pytest.param({"required_skills": {"refunds"}}, id="required-skill"),
        pytest.param({"tier": 2}, id="tier"),
    ],
)
def test_affinity_never_offers_a_ticket_the_agent_cannot_take(
    desk: HelpDesk, clock: ManualClock, ineligible: dict[str, Any]
) -> None:
    d = affinity_desk(desk, clock, **ineligible)
    assert pull_all(desk, d.bob, "affinity") == [d.other]
    assert desk.ticket(d.acme).status == "waiting"


# --- routers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "step",
    [
        pytest.param(timedelta(minutes=1), id="1-min-apart"),
        pytest.param(timedelta(0), id="same-instant"),  # a burst: the log order decides
    ],
)
def test_round_robin_gives_each_ticket_to_the_agent_assigned_least_recently(
    desk: HelpDesk, clock: ManualClock, step: timedelta
) -> None:
    ann, bob, cy = (desk.join_agent(n, capacity=10) for n in ("Ann", "Bob", "Cy"))

    def route_one() -> UUID | None:
        clock.advance(step)
        ticket = desk.receive(channel="phone", customer_id="c")
        chosen = desk.route(ticket, "round-robin")
        if chosen is not None:
            event = assignment(desk, ticket)
            assert (event.agent_id, event.by, event.policy) == (chosen, "router", "round-robin")
        return chosen

    assert [route_one() for _ in range(4)] == [ann, bob, cy, ann]  # ties: joined first
    dee = desk.join_agent("Dee", capacity=10)
    assert route_one() == dee  # never assigned comes first, though she joined last
    assert route_one() == bob


def test_round_robin_counts_a_ticket_the_agent_took_themselves(
    desk: HelpDesk, clock: ManualClock
) -> None:
    ann, bob = desk.join_agent("Ann", capacity=5), desk.join_agent("Bob", capacity=5)
    desk.assign(desk.receive(channel="phone", customer_id="c"), ann)
    clock.advance(minutes=1)
    ticket = desk.receive(channel="phone", customer_id="c")
    router = create("round-robin")
    assert isinstance(router, Router)
    assert ranked(desk, ticket, router) == [bob, ann]
    check_routed(desk, ticket, "round-robin", bob)


@attrs.frozen
class Staff:
    """An agent of a router table: capacity, tickets held, online or not."""

    label: str
    capacity: int = 5
    holding: int = 0
    online: bool = True
    language: str = "en"


def staff_desk(desk: HelpDesk, clock: ManualClock, staff: list[Staff]) -> dict[UUID, str]:
    """Join ``staff`` in order, give each their holdings; return labels by agent id."""
    labels: dict[UUID, str] = {}
    for member in staff:
        agent = desk.join_agent(member.label, capacity=member.capacity, languages={member.language})
        for _ in range(member.holding):
            desk.assign(desk.receive(channel="email", customer_id="filler"), agent)
        if not member.online:
            desk.go_offline(agent)
        labels[agent] = member.label
    clock.advance(minutes=1)
    return labels


def check_ranking(
    desk: HelpDesk, clock: ManualClock, staff: list[Staff], router: str, expected: list[str]
) -> None:
    """The router ranks the agents as ``expected``, and ``route`` picks the first."""
    labels = staff_desk(desk, clock, staff)
    ids = {label: agent for agent, label in labels.items()}
    ticket = desk.receive(channel="email", customer_id="new")
    found = create(router)
    assert isinstance(found, Router)
    assert [labels[a] for a in ranked(desk, ticket, found)] == expected
    check_routed(desk, ticket, router, ids[expected[0]] if expected else None)


@pytest.mark.parametrize(
    ("staff", "expected"),
    [
        pytest.param(
            [Staff("A", holding=2), Staff("B"), Staff("C", holding=1)],
            ["B", "C", "A"],
            id="fewest-held-first",
        ),
        pytest.param(
            [Staff("A", holding=1), Staff("B", holding=1), Staff("C")],
            ["C", "A", "B"],
            id="ties-joined-first",
        ),
        pytest.param(
            [Staff("A", capacity=10, holding=3), Staff("B", capacity=1, holding=0)],
            ["B", "A"],
            id="blind-to-capacity",
        ),
        pytest.param(
            [Staff("A", online=False), Staff("B", capacity=1, holding=1), Staff("C", holding=4)],
            ["C"],
            id="offline-and-full-excluded",
        ),
        pytest.param(
            [Staff("A", language="de"), Staff("B", online=False)],
            [],
            id="nobody-eligible",
        ),
    ],
)
def test_least_loaded_ranks_agents_by_tickets_held(
    desk: HelpDesk, clock: ManualClock, staff: list[Staff], expected: list[str]
) -> None:
    check_ranking(desk, clock, staff, "least-loaded", expected)


@pytest.mark.parametrize(
    ("staff", "expected"),
    [
        pytest.param(
            [
                Staff("A", capacity=4, holding=2),  # 0.5, headroom 2
                Staff("B", capacity=2, holding=1),  # 0.5, headroom 1
                Staff("C", capacity=10, holding=6),  # 0.6
            ],
            ["A", "B", "C"],
            id="lowest-share-then-most-headroom",
        ),
        pytest.param(
            [Staff("A", capacity=1), Staff("B", capacity=3)],
            ["B", "A"],
            id="idle-agents-by-headroom",
        ),
        pytest.param(
            [
                Staff("A", capacity=2, holding=1),  # 0.5
                Staff("B", capacity=4, holding=1),  # 0.25
                Staff("C", capacity=3, holding=3),  # full
            ],
            ["B", "A"],
            id="not-fewest-held-and-full-excluded",
        ),
        pytest.param(
            [Staff("A", capacity=2), Staff("B", capacity=2), Staff("C", capacity=2, online=False)],
            ["A", "B"],
            id="ties-joined-first-offline-excluded",
        ),
    ],
)
def test_capacity_aware_ranks_agents_by_share_of_capacity_in_use(
    desk: HelpDesk, clock: ManualClock, staff: list[Staff], expected: list[str]
) -> None:
    check_ranking(desk, clock, staff, "capacity-aware", expected)


@pytest.mark.parametrize(
    ("ann_busy", "expected"),
    [
        pytest.param(False, ["Ann", "Bob", "Eve", "Cy", "Dee"], id="free-longest-first"),
        pytest.param(True, ["Bob", "Eve", "Ann", "Cy", "Dee"], id="then-least-loaded-joined-first"),
    ],
)
def test_longest_idle_ranks_free_agents_by_how_long_they_have_been_free(
    desk: HelpDesk, clock: ManualClock, ann_busy: bool, expected: list[str]
) -> None:
    start = clock.now()

    def at(minute: int) -> datetime:
        return start + timedelta(minutes=minute)

    agents = {n: desk.join_agent(n, capacity=3, at=start) for n in ("Ann", "Bob", "Cy", "Dee")}
    for minute in (5, 6):  # Dee holds two from 0:05
        ticket = desk.receive(channel="email", customer_id="c", at=at(minute))
        desk.assign(ticket, agents["Dee"], at=at(minute))
    x = desk.receive(channel="email", customer_id="c", at=at(10))
    desk.assign(x, agents["Bob"], at=at(10))
    desk.resolve(x, agents["Bob"], at=at(20))  # Bob free since 0:20
    y = desk.receive(channel="email", customer_id="c", at=at(15))
    desk.assign(y, agents["Cy"], at=at(15))  # Cy holds one
    agents["Eve"] = desk.join_agent("Eve", capacity=3, at=at(30))  # free since 0:30
    clock.set(at(40))
    if ann_busy:  # Ann (free since 0:00) takes one: now she holds one, like Cy
        desk.assign(desk.receive(channel="email", customer_id="c"), agents["Ann"])
    labels = {agent: name for name, agent in agents.items()}
    ticket = desk.receive(channel="email", customer_id="new")
    router = create("longest-idle")
    assert isinstance(router, Router)
    assert [labels[a] for a in ranked(desk, ticket, router)] == expected
    check_routed(desk, ticket, "longest-idle", agents[expected[0]])


@pytest.mark.parametrize(
    ("customer", "bob", "expected"),
    [
        pytest.param("acme", {}, ["Bob", "Ann", "Cy"], id="customer-to-last-agent-though-busier"),
        pytest.param("globex", {}, ["Ann", "Cy", "Bob"], id="new-customer-least-loaded"),
        pytest.param("acme", {"online": False}, ["Ann", "Cy"], id="last-agent-offline"),
        pytest.param("acme", {"full": True}, ["Ann", "Cy"], id="last-agent-full"),
        pytest.param("acme", {"language": "de"}, ["Ann", "Cy"], id="last-agent-cannot-take-it"),
    ],
)
def test_affinity_router_prefers_the_customers_last_agent(
    desk: HelpDesk, clock: ManualClock, customer: str, bob: dict[str, Any], expected: list[str]
) -> None:
    agents = {n: desk.join_agent(n, capacity=3) for n in ("Ann", "Bob", "Cy")}
    desk.assign(desk.receive(channel="chat", customer_id="acme"), agents["Bob"])
    desk.assign(desk.receive(channel="chat", customer_id="initech"), agents["Bob"])
    desk.assign(desk.receive(channel="chat", customer_id="initech"), agents["Cy"])
    if bob.get("full"):
        desk.assign(desk.receive(channel="chat", customer_id="initech"), agents["Bob"])
    if bob.get("online") is False:
        desk.go_offline(agents["Bob"])
    clock.advance(minutes=1)
    labels = {agent: name for name, agent in agents.items()}
    ticket = desk.receive(channel="chat", customer_id=customer, language=bob.get("language", "en"))
    if "language" in bob:
        desk.change_agent(agents["Ann"], languages={"en", "de"})
        desk.change_agent(agents["Cy"], languages={"en", "de"})
    router = create("affinity-router")
    assert isinstance(router, Router)
    assert [labels[a] for a in ranked(desk, ticket, router)] == expected
    assert desk.route(ticket, router) == agents[expected[0]]
    event = assignment(desk, ticket)
    assert (event.by, event.policy) == (AssignedBy.ROUTER, router.name)


def test_affinity_router_records_its_registered_name(desk: HelpDesk) -> None:
    ann = desk.join_agent("Ann")
    ticket = desk.receive(channel="chat", customer_id="acme")
    assert desk.route(ticket, "affinity-router") == ann
    assert assignment(desk, ticket).policy == "affinity-router"


def test_route_returns_none_when_no_agent_can_take_the_ticket(desk: HelpDesk) -> None:
    desk.join_agent("Ann", languages={"en"})
    desk.join_agent("Bob", online=False, languages={"de"})
    ticket = desk.receive(channel="chat", customer_id="c", language="de")
    before = log_size(desk)
    for router in BUILT_IN_ROUTERS:
        assert desk.route(ticket, router) is None
    assert log_size(desk) == before
    assert desk.ticket(ticket).status == "waiting"


def test_route_refuses_a_ticket_that_is_already_assigned(desk: HelpDesk) -> None:
    ann, bob = desk.join_agent("Ann"), desk.join_agent("Bob")
    ticket = desk.receive(channel="chat", customer_id="c")
    desk.assign(ticket, ann)
    with pytest.raises(TicketAlreadyAssigned):
        desk.route(ticket, "least-loaded")
    assert desk.held_by(bob) == frozenset()
    assert desk.held_by(ann) == {ticket}


# --- assign_next: nothing to give, errors ---------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "attributes"),
    [
        pytest.param("fifo", None, id="empty-queue"),
        pytest.param("fifo", {"language": "fr"}, id="wrong-language"),
        pytest.param("fifo", {"tier": 2}, id="tier-too-high"),
        pytest.param("fifo", {"required_skills": {"refunds"}}, id="missing-required-skill"),
        pytest.param("skills", {"category": "billing"}, id="skills-policy-no-category-skill"),
        pytest.param("tiered", {"tier": 0}, id="tiered-lower-tier"),
    ],
)
def test_assign_next_returns_none_when_no_waiting_ticket_fits(
    desk: HelpDesk, policy: str, attributes: dict[str, Any] | None
) -> None:
    ann = desk.join_agent("Ann", capacity=2)
    if attributes is not None:
        desk.receive(channel="email", customer_id="c", **attributes)
    before = log_size(desk)
    assert desk.assign_next(ann, policy) is None
    assert log_size(desk) == before
    assert desk.held_by(ann) == frozenset()


@pytest.mark.parametrize("policy", BUILT_IN_PULL)
def test_assign_next_raises_agent_offline_for_an_offline_agent(desk: HelpDesk, policy: str) -> None:
    ann = desk.join_agent("Ann", online=False)
    desk.receive(channel="email", customer_id="c", category="billing")
    before = log_size(desk)
    with pytest.raises(AgentOffline):
        desk.assign_next(ann, policy)
    assert log_size(desk) == before


@pytest.mark.parametrize("policy", BUILT_IN_PULL)
def test_assign_next_raises_agent_at_capacity_for_a_full_agent(desk: HelpDesk, policy: str) -> None:
    ann = desk.join_agent("Ann", capacity=1)
    desk.assign(desk.receive(channel="email", customer_id="c"), ann)
    desk.receive(channel="email", customer_id="c", category="billing")
    before = log_size(desk)
    with pytest.raises(AgentAtCapacity):
        desk.assign_next(ann, policy)
    assert log_size(desk) == before


def test_an_offline_or_full_agent_gets_no_candidates_from_any_pull_policy(
    desk: HelpDesk,
) -> None:
    off = desk.join_agent("Off", online=False, skills={"billing"})
    full = desk.join_agent("Full", capacity=1, skills={"billing"})
    desk.assign(desk.receive(channel="email", customer_id="c"), full)
    desk.receive(channel="email", customer_id="c", category="billing")
    view = desk.view()
    now = desk.clock.now()
    for name in BUILT_IN_PULL:
        policy = create(name)
        assert isinstance(policy, PullPolicy)
        for agent in (off, full):
            workload = view.workloads.workload(agent, now=now)
            assert list(policy.tickets_for(workload, view.queues, now=now)) == []


def test_assign_next_for_an_unknown_agent_raises_agent_not_found(desk: HelpDesk) -> None:
    desk.receive(channel="email", customer_id="c")
    with pytest.raises(AgentNotFound):
        desk.assign_next(UUID(int=404))


@pytest.mark.parametrize("router", BUILT_IN_ROUTERS)
def test_a_router_given_to_assign_next_is_a_configuration_error(
    desk: HelpDesk, router: str
) -> None:
    ann = desk.join_agent("Ann")
    desk.receive(channel="email", customer_id="c")
    before = log_size(desk)
    with pytest.raises(ConfigurationError, match="is not a pull policy"):
        desk.assign_next(ann, router)
    found = create(router)
    with pytest.raises(ConfigurationError):
        desk.assign_next(ann, found)  # type: ignore[arg-type]
    assert log_size(desk) == before


@pytest.mark.parametrize("policy", BUILT_IN_PULL)
def test_a_pull_policy_given_to_route_is_a_configuration_error(desk: HelpDesk, policy: str) -> None:
    desk.join_agent("Ann")
    ticket = desk.receive(channel="email", customer_id="c")
    before = log_size(desk)
    with pytest.raises(ConfigurationError, match="is not a router"):
        desk.route(ticket, policy)
    found = create(policy)
    with pytest.raises(ConfigurationError):
        desk.route(ticket, found)  # type: ignore[arg-type]
    assert log_size(desk) == before


# --- the registry ---------------------------------------------------------------------------------


def test_names_lists_every_built_in_policy_sorted() -> None:
    available = names()
    assert set(BUILT_IN_PULL) | set(BUILT_IN_ROUTERS) <= set(available)
    assert available == sorted(available)


@pytest.mark.parametrize(
    "name",
    [
        *BUILT_IN_PULL,
        *BUILT_IN_ROUTERS,
    ],
)
def test_each_built_in_is_created_by_name_and_records_that_name(name: str) -> None:
    policy = create(name)
    assert isinstance(policy, PullPolicy) != isinstance(policy, Router)
    assert isinstance(policy, Router) == (name in BUILT_IN_ROUTERS)
    assert policy.name == name


def test_create_with_an_unknown_name_lists_the_available_policies() -> None:
    with pytest.raises(ConfigurationError) as excinfo:
        create("lifo")
    message = str(excinfo.value)
    assert "unknown policy 'lifo'" in message
    for name in (*BUILT_IN_PULL, *BUILT_IN_ROUTERS):
        assert name in message


@pytest.mark.parametrize(
    ("name", "options"),
    [
        pytest.param("fifo", {"aging": 0.1}, id="fifo-takes-no-options"),
        pytest.param("easiest-first", {"agin": 0.1}, id="misspelt-option"),
        pytest.param("value", {"plan": {"pro": 1.0}}, id="value-plan-for-plans"),
        pytest.param("round-robin", {"fallback": None}, id="router-takes-no-options"),
        pytest.param("easiest-first", {"aging": "fast"}, id="aging-not-a-number"),
    ],
)
def test_create_with_bad_options_is_a_configuration_error(
    name: str, options: dict[str, Any]
) -> None:
    with pytest.raises(ConfigurationError, match=f"bad options for policy '{name}'"):
        create(name, **options)


@pytest.mark.parametrize(
    ("name", "options"),
    [
        pytest.param("easiest-first", {"aging": -1.0}, id="negative-aging-ValueError"),
        pytest.param("value", {"plans": 5}, id="plans-not-a-mapping-AttributeError"),
        pytest.param("easiest-first", {"default": 5}, id="default-not-a-duration-accepted"),
        pytest.param("tiered", {"overflow": "no"}, id="overflow-not-a-bool-accepted"),
        pytest.param("team-queues", {"overflow": "billing"}, id="overflow-a-single-name"),
    ],
)
def test_create_with_invalid_option_values_is_a_configuration_error(
    name: str, options: dict[str, Any]
) -> None:
    with pytest.raises(ConfigurationError, match=f"bad options for policy '{name}'"):
        create(name, **options)


def effort_in_seconds(ticket: QueuedTicket) -> tuple[float, UUID]:
    """A user's buggy key: it fails on tickets without an estimate."""
    return ticket.estimated_effort.total_seconds(), ticket.ticket_id  # type: ignore[union-attr]


def test_a_policy_whose_key_fails_does_not_break_the_desk_for_other_policies(
    desk: HelpDesk,
) -> None:
    ann = desk.join_agent("Ann", capacity=3)
    estimated = desk.receive(channel="email", customer_id="c", estimated_effort=minutes(5))
    buggy = Ordered("buggy", effort_in_seconds)
    assert desk.assign_next(ann, buggy) == estimated  # its index is built: the key works so far
    unestimated = desk.receive(channel="email", customer_id="c")  # the key fails on this one

    assert desk.assign_next(ann, "fifo") == unestimated  # the shared view still folds
    view = desk.view()
    assert view == fold(DeskView(sla=desk.sla), (e for _, e in desk.read_log()))
    desk.receive(channel="email", customer_id="c")
    with pytest.raises(AttributeError):  # the buggy policy meets its own error
        desk.assign_next(ann, buggy)


# --- your own policy ------------------------------------------------------------------------------


class PhoneFirst:
    """Callers waiting on the line first, then everyone else; oldest first within each."""

    name = "phone-first"

    def tickets_for(
        self, agent: Workload, queues: Queues, *, now: datetime
    ) -> Iterator[QueuedTicket]:
        """The waiting tickets ``agent`` may take, phone calls first."""
        eligible = [t for t in queues.waiting(order="fifo") if can_take(agent, t)]
        yield from (t for t in eligible if t.channel == "phone")
        yield from (t for t in eligible if t.channel != "phone")


@pytest.fixture
def own_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registrations made by the test are undone afterwards."""
    monkeypatch.setattr(policy_registry, "_FACTORIES", dict(policy_registry._FACTORIES))


@pytest.mark.usefixtures("own_registry")
def test_a_registered_policy_is_used_by_name(desk: HelpDesk, clock: ManualClock) -> None:
    register("phone-first", PhoneFirst)
    assert "phone-first" in names()
    assert isinstance(create("phone-first"), PullPolicy)
    arrivals = [
        arrival("email", 0),
        arrival("phone-late", 2, channel="phone"),
        arrival("german-phone", 1, channel="phone", language="de"),
        arrival("phone", 1, channel="phone"),
    ]
    assert served(desk, clock, arrivals, "phone-first") == ["phone", "phone-late", "email"]


@pytest.mark.usefixtures("own_registry")
def test_register_refuses_a_taken_name_unless_replacing() -> None:
    register("phone-first", PhoneFirst)
    with pytest.raises(ConfigurationError, match="already registered"):
        register("phone-first", PhoneFirst)
    with pytest.raises(ConfigurationError, match="already registered"):
        register("fifo", PhoneFirst)
    assert create("fifo").name == "fifo"
    register("fifo", PhoneFirst, replace=True)
    assert isinstance(create("fifo"), PhoneFirst)


PLUGIN = '''
from ticketlog.policies import Ordered
from ticketlog.projections.queues import by_priority


def vip_first(*, plan="enterprise"):
    """Only customers on ``plan``, most severe first."""
    return Ordered("plugin-vip-first", by_priority, lambda agent, ticket: ticket.plan == plan)
'''


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A package ``ticketlog-vip`` on ``sys.path`` declaring the policy ``plugin-vip-first``.

    (Not ``vip-first``: the README's example registers that name in-process.)"""
    module = f"ticketlog_vip_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(PLUGIN))
    dist_info = tmp_path / "ticketlog_vip-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: ticketlog-vip\nVersion: 1.0\n"
    )
    (dist_info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nplugin-vip-first = {module}:vip_first\nfifo = {module}:vip_first\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "plugin-vip-first"
    sys.modules.pop(module, None)


def test_an_installed_policy_is_found_through_its_entry_point(
    installed_plugin: str, desk: HelpDesk, clock: ManualClock
) -> None:
    assert installed_plugin in names()
    policy = create(installed_plugin, plan="pro")
    assert isinstance(policy, Ordered)
    assert policy.name == "plugin-vip-first"
    assert create("fifo").name == "fifo"  # an installed policy does not shadow a built-in
    arrivals = [
        arrival("free", 0, plan="free", priority="urgent"),
        arrival("enterprise", 1, plan="enterprise"),
        arrival("enterprise-high", 2, plan="enterprise", priority="high"),
    ]
    assert served(desk, clock, arrivals, installed_plugin) == ["enterprise-high", "enterprise"]


def test_an_installed_policy_with_bad_options_is_a_configuration_error(
    installed_plugin: str,
) -> None:
    with pytest.raises(ConfigurationError, match="bad options for policy 'plugin-vip-first'"):
        create(installed_plugin, tier=2)


def test_without_the_plugin_its_policy_is_unknown() -> None:
    assert "plugin-vip-first" not in names()
    with pytest.raises(ConfigurationError, match="unknown policy 'plugin-vip-first'"):
        create("plugin-vip-first")


def test_affinity_offers_only_what_its_fallback_would_allow(
    desk: HelpDesk, clock: ManualClock
) -> None:
    senior = desk.join_agent("Senior", tier=2, capacity=5)
    first = desk.receive(channel="email", customer_id="acme", tier=2)
    desk.assign(first, senior)
    desk.resolve(first, senior)
    clock.advance(minutes=1)
    desk.receive(channel="email", customer_id="acme", tier=1)  # acme returns, at tier 1
    tiered_affinity = affinity(fallback=tiered())
    assert desk.assign_next(senior, tiered()) is None  # tiered: tier-2 agents serve tier 2
    assert desk.assign_next(senior, tiered_affinity) is None  # affinity does not bypass it


@pytest.mark.parametrize("name", policy_registry.names())
def test_every_builtin_policy_survives_pickling_for_process_pools(name: str) -> None:
    policy = policy_registry.create(name)
    assert pickle.loads(pickle.dumps(policy)) == policy  # noqa: S301 - our own bytes


def test_configured_eligibility_filters_survive_pickling() -> None:
    for policy in (tiered(overflow=True), skills_based(channel=True), tiered_skills()):
        copy = pickle.loads(pickle.dumps(policy))  # noqa: S301 - our own bytes
        assert copy == policy
        assert copy.eligible is not policy.eligible
