"""A scripted day at a small help desk, stored in an SQLite file.

Agents join, tickets arrive on several channels and get assigned; one is transferred,
one escalated from tier 1 to tier 2; they are resolved and rated. The script prints the
full timeline of the escalated ticket and a few counts, then reopens the store to show
that everything was read back from the file.

    python examples/day_at_the_desk.py [--db PATH]
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from ticketlog import EscalationKind, HelpDesk, ManualClock, SQLiteStore, TicketStatus


def run_day(desk: HelpDesk, clock: ManualClock) -> UUID:
    """Play the day on ``desk``; return the id of the escalated ticket."""
    ana = desk.join_agent(
        "Ana", team="front", tier=1, capacity=2, skills=["billing"], languages=["en", "es"]
    )
    ben = desk.join_agent("Ben", team="front", tier=1, capacity=2, skills=["shipping"])
    chloe = desk.join_agent(
        "Chloe", team="engineering", tier=2, capacity=3, skills=["billing", "api"]
    )

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
    desk.resolve(call, ana)
    desk.resolve(parcel, ana)
    clock.advance(hours=2)
    desk.rate(refund, csat=5, nps=10, comment="quick and kind")
    desk.rate(api, csat=4, nps=8)
    desk.rate(parcel, csat=2, comment="had to explain twice")
    clock.advance(hours=1)
    desk.close_ticket(refund, reason="customer confirmed")
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
        with HelpDesk(store, clock=clock) as desk:
            escalated = run_day(desk, clock)

        with HelpDesk(store) as desk:  # read everything back from the file
            print(f"Store: {store.url}\n")
            print(f"Timeline of the escalated ticket {escalated}:")
            for entry in desk.timeline(escalated):
                print(f"  {entry}")
            events = [event for _, event in desk.read_log()]
            tickets = {e.originator_id for e in events if e.event_type == "TicketReceived"}
            statuses = Counter(desk.ticket(t).status for t in tickets)
            kinds = Counter(e.event_type for e in events)
            print(f"\n{len(events)} events, {len(tickets)} tickets")
            print("  by status: " + ", ".join(f"{s}={statuses[s]}" for s in TicketStatus))
            print("  by event:  " + ", ".join(f"{k}={n}" for k, n in sorted(kinds.items())))


if __name__ == "__main__":
    main()
