"""Properties of importing any status log, however messy: hypothesis writes the files.

Whatever the rows say — statuses known or not, people and teams changing at random,
equal times, work after closure — an import writes one ticket per case, each folded
consistently by every read model, the same history whatever the order of the file's
cases, and nothing more when run again.
"""

from __future__ import annotations

import random
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import given
from hypothesis import strategies as st

from tests.unit.test_imports import T0, row, write
from tests.unit.test_recorded_histories import assert_consistent
from ticketlog import HelpDesk
from ticketlog.domain.events import (
    TicketAssigned,
    TicketDeescalated,
    TicketEscalated,
    TicketEvent,
    TicketReassigned,
    TicketReleased,
    TicketReopened,
    TicketReprioritised,
    TicketTransferred,
)
from ticketlog.domain.ticket import Ticket
from ticketlog.domain.values import TicketStatus
from ticketlog.imports import import_file, person_id, preset, ticket_id

STATUSES = [
    ("Queued", "Awaiting Assignment"),
    ("Accepted", "In Progress"),
    ("Accepted", "Wait - User"),
    ("Accepted", "Wait - Vendor"),
    ("Completed", "Resolved"),
    ("Completed", "Closed"),
    ("Completed", "Cancelled"),
    ("Parked", ""),
]
PEOPLE = ["", "", "Ann", "Bo", "Cem"]
TEAMS = [("Desk", "1st")] * 5 + [("Network", "1st"), ("Network", "2nd"), ("Dev", "3rd")]
"""Mostly one team, so that people take over from one another as often as teams change."""

rows_of_a_case = st.lists(
    st.tuples(
        st.integers(0, 120),  # minutes: ties are likely
        st.sampled_from(STATUSES),
        st.sampled_from(PEOPLE),
        st.sampled_from(TEAMS),
        st.sampled_from(["Low", "Medium", "Major"]),
    ),
    min_size=1,
    max_size=8,
)
logs = st.lists(rows_of_a_case, min_size=1, max_size=6)


Log = list[list[tuple[int, tuple[str, str], str, tuple[str, str], str]]]


def file_rows(log: Log) -> list[dict[str, str]]:
    return [
        row(f"C{case}", minutes, *status, person=person, team=team, level=level, impact=impact)
        for case, rows in enumerate(log)
        for minutes, status, person, (team, level), impact in rows
    ]


@given(log=logs, seed=st.integers(0, 2**16))
def test_any_status_log_imports_consistently_in_any_order_and_only_once(
    log: Log, seed: int
) -> None:
    rows = file_rows(log)
    interleaved = interleave(rows, random.Random(seed))  # noqa: S311 - a seeded shuffle
    cases = [ticket_id("status-log", f"C{n}") for n in range(len(log))]
    agents = [person_id("status-log", name) for name in ("Ann", "Bo", "Cem")]
    with TemporaryDirectory() as tmp, HelpDesk("memory://") as one, HelpDesk("memory://") as other:
        report = import_file(one, write(Path(tmp) / "a.csv", rows), preset("status-log"))
        again = import_file(one, write(Path(tmp) / "a.csv", rows), preset("status-log"))
        import_file(other, write(Path(tmp) / "b.csv", interleaved), preset("status-log"))

        assert report.cases == len(log)
        assert (again.cases_written, again.events_written) == (0, 0)
        stored = [one.ticket_events(case) for case in cases]
        assert sum(map(len, stored)) == report.events_written
        for events in stored:
            assert all(a.at <= b.at for a, b in pairwise(events))
            assert events[0].at >= T0
            assert events[-1].at <= T0 + timedelta(minutes=120)
        for events in stored:
            assert_agrees_with_the_fold(events)
        assert report.open_at_end == sum(one.ticket(case).is_open for case in cases)
        known = [agent for agent in agents if one.recorder.select_events(agent, limit=1)]
        assert_consistent(one, cases, known)
        assert [other.ticket_events(case) for case in cases] == stored


def assert_agrees_with_the_fold(events: list[TicketEvent]) -> None:
    """Each event names the ticket as the domain's fold of the events before it has it: the
    queue, tier and priority it moves from, the holder it passes from, and a reopen only
    of a resolved ticket (the importer keeps that situation itself, not by folding)."""
    state = Ticket.evolve(None, events[0])
    for event in events[1:]:
        if isinstance(event, TicketEscalated | TicketDeescalated | TicketTransferred):
            assert (event.from_queue, event.from_agent_id) == (state.queue, state.agent_id)
        if isinstance(event, TicketEscalated | TicketDeescalated):
            assert event.from_tier == state.tier
        if isinstance(event, TicketReassigned | TicketReleased):
            assert event.from_agent_id == state.agent_id is not None
        if isinstance(event, TicketReprioritised):
            assert event.old == state.priority
        if isinstance(event, TicketReopened):
            assert state.status is TicketStatus.RESOLVED
        if isinstance(event, TicketAssigned):
            assert state.agent_id is None
        state = Ticket.evolve(state, event)


def interleave(rows: list[dict[str, str]], rng: random.Random) -> list[dict[str, str]]:
    """The rows with the cases mixed at random, each case's rows in their file order."""
    by_case: dict[str, list[dict[str, str]]] = {}
    for each in rows:
        by_case.setdefault(each["case_id"], []).append(each)
    turns = [case for case, its in by_case.items() for _ in its]
    rng.shuffle(turns)
    return [by_case[case].pop(0) for case in turns]
