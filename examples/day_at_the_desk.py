"""A scripted day at a small help desk, stored in an SQLite file.

Agents join, tickets arrive on several channels and get assigned; one is transferred,
one escalated from tier 1 to tier 2; they are resolved and rated; a few are still open
at the end of the day, when two quality reviewers score the resolved tickets on the
desk's scorecard (two of them both). The script reopens the store (everything is read
back from the file) and prints the escalated ticket's timeline, the queues, the agents'
workloads, the day's KPIs and the QA table with the reviewers' agreement.

    python examples/day_at_the_desk.py [--db PATH]
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from ticketlog import Criterion, EscalationKind, HelpDesk, ManualClock, Scorecard, SQLiteStore
from ticketlog.io.records import named
from ticketlog.projections import DeskView, Dimension
from ticketlog.projections.quality import calibration, correlations, quality_by

SUPPORT = Scorecard(
    name="support",
    criteria=(
        Criterion(name="accuracy", weight=2, critical=True),
        Criterion(name="empathy"),
        Criterion(name="clarity"),
    ),
    pass_mark=3.5,
)
"""The desk's scorecard: accuracy counts double and, below 3, fails a review on its own."""


def staff(desk: HelpDesk) -> tuple[UUID, UUID, UUID]:
    """Two first-line agents and an engineer join; return their ids."""
    ana = desk.join_agent(
        "Ana", team="front", tier=1, capacity=2, skills=["billing"], languages=["en", "es"]
    )
    ben = desk.join_agent("Ben", team="front", tier=1, capacity=2, skills=["shipping"])
    chloe = desk.join_agent(
        "Chloe", team="engineering", tier=2, capacity=3, skills=["billing", "api"]
    )

    return ana, ben, chloe


def review_day(desk: HelpDesk, clock: ManualClock, tickets: dict[str, UUID]) -> None:
    """Two QA reviewers score the day's resolved tickets; both score the refund and the
    parcel, so their agreement can be measured."""
    dana = desk.join_agent("Dana", team="qa", reviewer=True)
    eli = desk.join_agent("Eli", team="qa", reviewer=True)
    clock.advance(minutes=10)
    reviews = [
        (dana, "refund", (5, 5, 4), "clear and warm"),
        (eli, "refund", (5, 4, 4), ""),
        (dana, "parcel", (3, 2, 3), "the customer had to repeat the address"),
        (eli, "parcel", (3, 3, 2), ""),
        (dana, "api", (4, 4, 5), ""),
        (eli, "call", (2, 4, 4), "wrong tariff quoted"),
    ]
    for reviewer, ticket, (accuracy, empathy, clarity), comment in reviews:
        scores = {"accuracy": accuracy, "empathy": empathy, "clarity": clarity}
        desk.review(tickets[ticket], reviewer, scores, comment=comment)
        clock.advance(minutes=4)


def run_day(desk: HelpDesk, clock: ManualClock) -> UUID:
    """Play the day on ``desk``; return the id of the escalated ticket."""
    ana, ben, chloe = staff(desk)
    refund = desk.receive(
        channel="email", customer_id="acme", category="billing", subject="Charged twice", plan="pro"
    )
    clock.advance(minutes=2)
    parcel = desk.receive(
        channel="chat", customer_id="globex", category="shipping", subject="Where is my parcel?"
    )
    clock.advance(minutes=1)
    api = desk.receive(
        channel="portal",
        customer_id="initech",
        category="billing",
        priority="high",
        subject="Invoices API returns 500",
    )
    clock.advance(minutes=1)
    call = desk.receive(channel="phone", customer_id="umbrella", category="billing", language="es")

    clock.advance(minutes=3)
    desk.assign(refund, ana)
    desk.assign(parcel, ben)
    clock.advance(minutes=4)
    desk.respond(refund, ana)
    desk.respond(parcel, ben)
    clock.advance(minutes=6)
    desk.resolve(refund, ana, code="refunded")
    desk.assign(api, ana)
    clock.advance(minutes=5)
    desk.respond(api, ana)
    desk.respond(api, ana, public=False)
    clock.advance(minutes=10)
    desk.escalate(
        api,
        kind=EscalationKind.HIERARCHICAL,
        to_queue="engineering",
        actor_id=ana,
        reason="server error needs an engineer",
    )
    desk.assign(call, ana)
    clock.advance(minutes=3)
    desk.transfer(parcel, to_agent_id=ana, actor_id=ben, reason="customer wrote in Spanish")
    clock.advance(minutes=7)
    desk.assign(api, chloe)
    clock.advance(minutes=25)
    desk.respond(api, chloe)
    clock.advance(minutes=20)
    desk.resolve(api, chloe, code="bug-fixed")
    desk.respond(call, ana)
    desk.resolve(call, ana)
    desk.resolve(parcel, ana)
    clock.advance(hours=2)
    desk.rate(refund, csat=5, nps=10, comment="quick and kind")
    desk.rate(api, csat=4, nps=8)
    desk.rate(parcel, csat=2, comment="had to explain twice")
    clock.advance(hours=1)
    desk.close_ticket(refund, reason="customer confirmed")

    clock.advance(minutes=30)
    late = desk.receive(
        channel="social", customer_id="hooli", category="billing", priority="urgent"
    )
    desk.receive(channel="email", customer_id="acme", category="shipping", subject="Wrong address")
    desk.receive(channel="chat", customer_id="soylent", category="billing", priority="low")
    clock.advance(minutes=5)
    desk.assign(late, ana)
    desk.respond(late, ana)
    clock.advance(minutes=40)
    review_day(desk, clock, {"refund": refund, "parcel": parcel, "api": api, "call": call})
    return api


def main() -> None:
    """Run the day on a fresh SQLite file and print what a supervisor would look at."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="SQLite file to write (default: a temporary file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path: Path = args.db or Path(tmp) / "desk.db"
        if path.exists():
            parser.error(f"{path} exists; the demo writes a fresh store")
        store = SQLiteStore(path=path)
        clock = ManualClock(datetime(2026, 11, 24, 8, 30, tzinfo=UTC))
        with HelpDesk(store, clock=clock, scorecards=[SUPPORT]) as desk:
            escalated = run_day(desk, clock)

        with HelpDesk(store, scorecards=[SUPPORT]) as desk:  # read everything back
            print(f"Store: {store.url}\n")
            print(f"Timeline of the escalated ticket {escalated}:")
            for entry in desk.timeline(escalated):
                print(f"  {entry}")
            show_views(desk.view(), now=clock.now())
            show_quality(desk.view(), desk.scorecards.values(), now=clock.now())


def show_views(view: DeskView, *, now: datetime) -> None:
    """Print the queues, the workloads and the KPIs as a supervisor sees them at ``now``."""
    print(f"\nQueues at {now:%H:%M}:")
    for queue in view.queues.queue_names():
        waiting = list(view.queues.waiting(queue, order="priority"))
        line = ", ".join(
            f"{t.priority} {t.channel} {t.category} ({now - t.queued_at} waiting)" for t in waiting
        )
        print(f"  {queue:<12} {len(waiting)} waiting: {line or '-'}")
    breaching = view.queues.breaching(now=now, within=timedelta(minutes=30))
    print(f"  breaching or due within 30 min: {len(breaching)}")

    print("\nWorkloads:")
    print("  agent  team         holds  cap handled handle time occupancy")
    for w in view.workloads.workloads(now=now):
        occupancy = "-" if w.occupancy is None else f"{w.occupancy:.0f}%"
        print(
            f"  {w.name:<6} {w.team:<12} {w.holding:>5} {w.capacity:>4} {w.handled:>7} "
            f"{_minutes(w.handle_time):>11} {occupancy:>9}"
        )

    print("\nKPIs:")
    groups = {"all": view.kpis(now=now), **view.kpis_by(Dimension.CHANNEL, now=now)}
    print("           tickets wait p50  FRT p90    AHT   FCR  CSAT SLA FRT")
    for group, k in groups.items():
        waits = f"{_minutes(k.wait.p50):>8} {_minutes(k.first_reply.p90):>8} {_minutes(k.aht):>6}"
        shares = f"{_percent(k.fcr):>5} {_percent(k.csat):>5} {_percent(k.sla_first_reply):>7}"
        print(f"  {group!s:<8} {k.tickets:>7} {waits} {shares}")


def show_quality(view: DeskView, scorecards: Iterable[Scorecard], *, now: datetime) -> None:
    """Print the QA table per reviewed agent, the reviewers' agreement and QA against CSAT."""
    scored = view.scored_reviews(scorecards)
    names = {w.agent_id: w.name for w in view.workloads.workloads(now=now)}
    print("\nQuality reviews (scorecard support: accuracy x2, critical; empathy; clarity):")
    print("  agent  reviews   QA  pass accuracy empathy clarity")
    for agent, q in named(quality_by(scored, "agent"), names).items():
        means = " ".join(f"{q.criteria[c]:>{len(c)}.2f}" for c in SUPPORT.criterion_names)
        score = "-" if q.score is None else f"{q.score:.2f}"
        print(f"  {agent or '-':<6} {q.reviews:>7} {score:>4} {_percent(q.pass_rate):>5} {means}")
    agreement = calibration(r.record for r in scored)
    alpha = agreement.overall.alpha_ordinal
    print(
        f"  reviewers agree on {_percent(agreement.overall.identical)} of "
        f"{agreement.overall.pairs} paired scores; Krippendorff's alpha (ordinal) "
        f"{'-' if alpha is None else f'{alpha:.2f}'}"
    )
    for pair in agreement.pairs:
        kappa = "-" if pair.kappa is None else f"{pair.kappa:.2f}"
        who = " and ".join(names[r] for r in pair.reviewers)
        print(f"  {who}: Cohen's kappa {kappa} over {pair.scores} scores")
    csat = correlations(scored, view.facts)["csat"]
    rho = "-" if csat.spearman is None else f"{csat.spearman:.2f}"
    print(f"  QA against CSAT over {csat.n} rated tickets: Spearman {rho}")


def _minutes(duration: timedelta | None) -> str:
    return "-" if duration is None else f"{duration.total_seconds() / 60:.0f}m"


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.0f}%"


if __name__ == "__main__":
    main()
