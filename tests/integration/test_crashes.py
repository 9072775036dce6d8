"""Crashes: a writer and a follower killed with SIGKILL mid-work, on each store, then
started again (the follower at an arbitrary instant of its fold-and-checkpoint loop, a
writer writing all along). Nothing the desk acknowledged is lost, the log stays a valid
history, and a follower that resumes from its checkpoint ends equal to a fresh fold."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from uuid import UUID

import pytest

from ticketlog import HelpDesk, PostgresStore, SQLiteStore
from ticketlog.projections import DeskView, fold

ROOT = Path(__file__).parents[2]


def start(*args: str) -> subprocess.Popen[str]:
    path = os.pathsep.join(
        filter(None, [str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH")])
    )
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.crash_support", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def lines_until(process: subprocess.Popen[str], count: int, word: str) -> list[str]:
    """The process's output lines up to the ``count``-th that starts with ``word``."""
    assert process.stdout is not None
    seen: list[str] = []
    while sum(line.startswith(word) for line in seen) < count:
        line = process.stdout.readline()
        if not line:
            _, errors = process.communicate()
            pytest.fail(f"the process ended early: {errors}")
        seen.append(line.strip())
    return seen


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_a_writer_killed_mid_burst_loses_nothing_it_acknowledged(
    store: SQLiteStore | PostgresStore,
) -> None:
    acknowledged: dict[str, set[UUID]] = {"received": set(), "assigned": set()}
    agents = []
    for kill_after in (7, 31, 64):  # three crashes, each at another moment
        writer = start("writer", store.url)
        for line in lines_until(writer, kill_after, "assigned"):
            word, ident = line.split()
            (agents.append(UUID(ident)) if word == "agent" else acknowledged[word].add(UUID(ident)))
        kill(writer)
    with HelpDesk(store) as desk:
        events = [event for _, event in desk.read_log()]
        for ticket in acknowledged["received"]:
            assert desk.ticket(ticket).id == ticket
        held = set().union(*(desk.held_by(agent) for agent in agents))
        assert acknowledged["assigned"] <= held
        # Each agent's own holdings agree with the tickets' (capacity stays an invariant).
        view = desk.view()
        for agent in agents:
            assert desk.agent(agent).holdings == desk.held_by(agent)
        assert view == fold(DeskView(), events)
        desk.receive(channel="chat", customer_id="after the crashes")  # the desk goes on


@pytest.mark.slow
def test_a_follower_killed_while_it_folds_and_checkpoints_resumes_equal_to_a_fresh_fold(
    store: SQLiteStore | PostgresStore,
) -> None:
    stop = threading.Event()

    def write() -> None:
        with HelpDesk(store) as desk:
            agent = desk.join_agent("Ann", capacity=1000)
            n = 0
            while not stop.is_set():
                ticket = desk.receive(channel="email", customer_id=f"c{n}")
                desk.assign(ticket, agent)
                if n % 2:
                    desk.resolve(ticket, agent)
                else:
                    desk.transfer(ticket, to_queue="billing")
                n += 1

    writing = threading.Thread(target=write)
    writing.start()
    resumed: list[int] = []
    try:
        for catch_ups in (3, 11, 5, 17):  # kill it after this many checkpointed catch-ups
            follower = start("follower", store.url, "crash-view")
            first, *_ = lines_until(follower, catch_ups, "at")
            assert first.split()[0] == "resumed"
            assert len(first.split()) == 2, first  # resumed from a checkpoint, none discarded
            resumed.append(int(first.split()[1]))
            kill(follower)
    finally:
        stop.set()
        writing.join()
    assert resumed[0] == 0
    assert resumed == sorted(resumed)
    assert resumed[-1] > 0  # later starts resume from where a killed one checkpointed
    with HelpDesk(store) as desk:
        following = desk.follow(DeskView, name="crash-view")
        assert following.discarded is None
        following.catch_up()
        assert following.projection == fold(DeskView(), (event for _, event in desk.read_log()))
