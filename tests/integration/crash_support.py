"""The processes the crash tests kill with SIGKILL (run as ``python -m``).

``writer URL``: a desk on the store receives tickets and assigns each to one agent, for
ever, printing a line after each command returns — what the desk acknowledged.
``follower URL NAME``: a checkpointing follower of the desk's view catches up for ever,
printing its position after each catch-up that folded something (and so checkpointed).
"""

from __future__ import annotations

import sys
import time

from ticketlog import HelpDesk
from ticketlog.projections import DeskView


def writer(url: str) -> None:
    with HelpDesk(url) as desk:
        agent = desk.join_agent("Ann", capacity=1000)
        print(f"agent {agent}", flush=True)
        for n in range(1_000_000):
            ticket = desk.receive(channel="email", customer_id=f"customer-{n}")
            print(f"received {ticket}", flush=True)
            desk.assign(ticket, agent)
            print(f"assigned {ticket}", flush=True)


def follower(url: str, name: str) -> None:
    with HelpDesk(url) as desk:
        following = desk.follow(DeskView, name=name)
        print(f"resumed {following.position} {following.discarded or ''}".rstrip(), flush=True)
        while True:
            if following.catch_up(limit=25):
                print(f"at {following.position}", flush=True)
            else:
                time.sleep(0.01)


if __name__ == "__main__":
    if sys.argv[1] == "writer":
        writer(*sys.argv[2:])
    else:
        follower(*sys.argv[2:])
