"""A ticket command first decides on the agents as its desk last read or saved them.

Another desk may have changed such an agent since. Saved with the ticket, the stale agent
fails its version check and the command is retried on fresh reads; a refusal that read a
remembered agent is decided again on fresh reads before it is raised. Either way the
outcome is the one a desk reading everything afresh would reach, and capacity holds.
"""

from __future__ import annotations

import pytest

from tests.integration.support import CountingDesk
from ticketlog import AgentAtCapacity, HelpDesk, ManualClock, PostgresStore, SQLiteStore

Store = SQLiteStore | PostgresStore


def test_a_save_on_a_stale_remembered_agent_is_retried_on_fresh_reads(
    store: Store, clock: ManualClock
) -> None:
    with CountingDesk(store, clock=clock) as one, HelpDesk(store, clock=clock) as other:
        ann = one.join_agent("Ann", capacity=2)  # one remembers Ann, holding nothing
        first = one.receive(channel="chat", customer_id="c-1")
        second = one.receive(channel="chat", customer_id="c-2")
        other.assign(first, ann)
        one.assign(second, ann)
        assert one.conflicts == 1
    with HelpDesk(store, clock=clock) as fresh:
        assert fresh.agent(ann).holdings == {first, second}


def test_a_stale_remembered_agent_cannot_go_past_capacity(store: Store, clock: ManualClock) -> None:
    with HelpDesk(store, clock=clock) as one, HelpDesk(store, clock=clock) as other:
        ann = one.join_agent("Ann", capacity=1)
        first = one.receive(channel="chat", customer_id="c-1")
        second = one.receive(channel="chat", customer_id="c-2")
        other.assign(first, ann)
        with pytest.raises(AgentAtCapacity):
            one.assign(second, ann)
    with HelpDesk(store, clock=clock) as fresh:
        assert fresh.agent(ann).holdings == {first}


def test_a_refusal_on_a_stale_remembered_agent_is_decided_again(
    store: Store, clock: ManualClock
) -> None:
    with CountingDesk(store, clock=clock) as one, HelpDesk(store, clock=clock) as other:
        ann = one.join_agent("Ann", capacity=1)
        first = one.receive(channel="chat", customer_id="c-1")
        second = one.receive(channel="chat", customer_id="c-2")
        one.assign(first, ann)  # one remembers Ann holding the first ticket
        clock.advance(minutes=5)
        other.resolve(first, ann)
        one.assign(second, ann)
        assert one.conflicts == 0  # refused on memory, then decided on fresh reads
        assert one.agent(ann).holdings == {second}
