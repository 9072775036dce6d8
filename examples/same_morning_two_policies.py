"""The same morning at a desk, served once by FIFO and once by priority.

Forty tickets arrive between 9:00 and 11:00 (the same arrivals, attributes and work for
both runs); three agents pull their next ticket with ``desk.assign_next(agent, policy)``
whenever they are free, minute by minute. The script prints, per policy, the waits by
priority and the SLA attainment, read from each desk's KPIs.

    python examples/same_morning_two_policies.py
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from uuid import UUID

import attrs

from ticketlog import HelpDesk, ManualClock
from ticketlog.projections import Dimension, Kpis

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@attrs.frozen
class Arrival:
    """A ticket of the morning: when it comes, what it is, how long it takes to solve."""

    minute: int
    priority: str
    category: str
    work: int


def morning(seed: int = 7) -> list[Arrival]:
    """Forty arrivals over two hours, mostly normal priority, some urgent."""
    rng = random.Random(seed)
    return sorted(
        (
            Arrival(
                minute=rng.randrange(120),
                priority=rng.choices(["low", "normal", "high", "urgent"], [3, 10, 4, 2])[0],
                category=rng.choice(["billing", "shipping", "account"]),
                work=rng.randint(5, 25),
            )
            for _ in range(40)
        ),
        key=lambda a: a.minute,
    )


def serve(arrivals: list[Arrival], policy: str) -> HelpDesk:
    """Play the morning on a fresh in-memory desk, agents pulling with ``policy``."""
    clock = ManualClock(START)
    desk = HelpDesk("memory://", clock=clock)
    agents = [desk.join_agent(name) for name in ("Ana", "Ben", "Chloe")]
    work: dict[UUID, int] = {}
    busy_until: dict[UUID, tuple[datetime, UUID]] = {}
    pending = list(arrivals)
    while pending or busy_until or desk.view().queues.waiting_count():
        now = clock.now()
        while pending and START + timedelta(minutes=pending[0].minute) <= now:
            a = pending.pop(0)
            ticket = desk.receive(
                ticket_id=UUID(int=len(work) + 1),  # fixed ids: ties break the same way every run
                channel="email",
                customer_id=f"c{len(work)}",
                priority=a.priority,
                category=a.category,
            )
            work[ticket] = a.work
        for agent in agents:
            if agent in busy_until and busy_until[agent][0] <= now:
                desk.resolve(busy_until.pop(agent)[1], agent)
            if agent not in busy_until:
                taken = desk.assign_next(agent, policy)
                if taken is not None:
                    desk.respond(taken, agent)
                    busy_until[agent] = (now + timedelta(minutes=work[taken]), taken)
        clock.advance(minutes=1)
    return desk


def row(label: str, k: Kpis) -> str:
    """One line of the comparison table."""

    def minutes(d: timedelta | None) -> str:
        return "-" if d is None else f"{d.total_seconds() / 60:.0f}m"

    sla = "-" if k.sla_first_reply is None else f"{k.sla_first_reply:.0f}%"
    return (
        f"  {label:<18} {k.tickets:>3} {minutes(k.wait.mean):>7} {minutes(k.wait.p90):>7} {sla:>8}"
    )


def main() -> None:
    """Serve the same morning with two policies and compare their KPIs."""
    arrivals = morning()
    print("The same morning (40 tickets, 3 agents) served by two policies:\n")
    print(f"  {'':<18} {'n':>3} {'wait':>7} {'p90':>7} {'SLA FRT':>8}")
    for policy in ("fifo", "priority"):
        desk = serve(arrivals, policy)
        view, now = desk.view(), desk.clock.now()
        print(row(f"{policy}: all", view.kpis(now=now)))
        for group, k in view.kpis_by(Dimension.PRIORITY, now=now).items():
            print(row(f"{policy}: {group}", k))
        print()


if __name__ == "__main__":
    main()
