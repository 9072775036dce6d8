"""Planted checkpoint rows on real stores: none runs code, and the follower rebuilds.

Each test writes a hostile or broken row into ``ticketlog_checkpoints`` (as anyone who
can write the database could), opens a follower on it, and checks that nothing the row
asked for happened, that the follower said it discarded the row, and that it ends equal
to a fresh rebuild of the log. Every test runs on an SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

import ticketlog
from ticketlog import HelpDesk, ManualClock, PostgresStore, SQLiteStore
from ticketlog.persistence.checkpoints import SQLiteCheckpoints, checkpoints_for
from ticketlog.projections import Checkpoints, DeskView, checkpoint, fold

Store = SQLiteStore | PostgresStore


class Exploit:
    """Unpickling this makes the directory ``path``: the proof that a row ran code."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (str(self.path),))


def history(desk: HelpDesk, clock: ManualClock) -> int:
    """A few tickets in several states; the position of the last event."""
    ann = desk.join_agent("Ann", capacity=10, agent_id=UUID(int=1))
    for n in range(6):
        clock.advance(minutes=1)
        ticket = desk.receive(channel="email", customer_id=f"c-{n}", queue=("a", "b")[n % 2])
        if n % 3:
            desk.assign(ticket, ann)
            clock.advance(minutes=1)
        if n % 3 == 2:
            desk.resolve(ticket, ann)
            desk.rate(ticket, csat=4)
    return max(position for position, _ in desk.read_log())


def header(end: int, **changes: Any) -> dict[str, Any]:
    """A checkpoint document's header, as a valid one at ``end`` has it, with ``changes``."""
    return {
        "format": checkpoint.FORMAT,
        "version": checkpoint.VERSION,
        "ticketlog": ticketlog.__version__,
        "projection": "ticketlog.projections.view:DeskView",
        "position": end,
        "state": None,
    } | changes


def deeply_nested(end: int, depth: int) -> bytes:
    """A valid header whose state is ``depth`` lists inside each other."""
    return json.dumps(header(end)).replace("null", '{"list":[' * depth + "]}" * depth).encode()


NOT_ALLOWED = "is not a class a checkpoint may hold"

PLANTED: dict[str, tuple[Any, str]] = {
    "a pickle that runs code": ("pickle", "not a valid checkpoint"),
    "not JSON": (b"\x80\x04 garbage", "not a valid checkpoint"),
    "a row that is not compressed": ("raw", "cannot be decrypted or decompressed"),
    "another format": (json.dumps({"format": "pickle"}).encode(), "not a ticketlog-checkpoint"),
    "a newer encoding version": ("version", "checkpoint version is 2, not 1"),
    "another ticketlog release": ("ticketlog", "checkpoint ticketlog is '0.0.1'"),
    "another projection class": ("projection", "checkpoint projection is"),
    "another position": ("position", "checkpoint position is"),
    "a function as a class": ({"object": ["os:system", {"dict": []}]}, NOT_ALLOWED),
    "a class imported into a ticketlog module": (
        {"object": ["ticketlog.desk:Application", {"dict": []}]},
        NOT_ALLOWED,
    ),
    "a module not imported yet": (
        {"object": ["ticketlog.nonexistent:Thing", {"dict": []}]},
        NOT_ALLOWED,
    ),
    "a builtin": ({"object": ["builtins:eval", {"dict": []}]}, NOT_ALLOWED),
    "a model of another module": ({"model": ["pydantic:BaseModel", "{}"]}, NOT_ALLOWED),
    "nesting deeper than the stack": ("deep", "RecursionError"),
    "a dangling reference": ({"ref": 7}, "a reference to container 7"),
}
"""What is planted (bytes, a state, or how to spoil a valid checkpoint), and why it fails."""


def table(store: Store) -> Checkpoints:
    """The checkpoint table itself, which stores rows as given (not compressed)."""
    if isinstance(store, SQLiteStore):
        return SQLiteCheckpoints(store)
    from ticketlog.persistence.postgres import PostgresCheckpoints  # noqa: PLC0415 - extra

    return PostgresCheckpoints(store)


def planted_row(case: str, end: int, marker: Path) -> bytes:
    plant = PLANTED[case][0]
    if plant == "pickle":
        return pickle.dumps(Exploit(marker))
    if plant == "deep":
        return deeply_nested(end, 100_000)
    if plant in ("version", "ticketlog", "projection", "position"):
        wrong = {
            "version": checkpoint.VERSION + 1,
            "ticketlog": "0.0.1",
            "projection": "tests.integration.test_checkpoint_safety:Exploit",
            "position": end - 1,
        }
        document = json.loads(checkpoint.encode(DeskView(), end))
        return json.dumps(document | {plant: wrong[plant]}).encode()
    if isinstance(plant, bytes):
        return plant
    return json.dumps(header(end, state=plant)).encode()


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_a_planted_checkpoint_runs_no_code_and_the_follower_rebuilds(
    store: Store,
    clock: ManualClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    case: str,
) -> None:
    marker = tmp_path / "the-row-ran-code"
    with HelpDesk(store, clock=clock) as desk:
        end = history(desk, clock)
        if PLANTED[case][0] == "raw":
            table(store).save("desk-view", end, pickle.dumps(None))
        else:
            checkpoints_for(store).save("desk-view", end, planted_row(case, end, marker))

        with caplog.at_level(logging.WARNING, logger="ticketlog"):
            follower = desk.follow(DeskView, name="desk-view")

        assert not marker.exists()
        assert follower.discarded is not None
        assert PLANTED[case][1] in follower.discarded
        assert "rebuilds from the log" in caplog.text
        assert (follower.position, follower.projection) == (0, DeskView())
        assert follower.catch_up() == sum(1 for _ in desk.read_log())
        assert follower.projection == fold(DeskView(), (e for _, e in desk.read_log()))
        assert follower.projection == desk.view()

        resumed = desk.follow(DeskView, name="desk-view")  # the rebuild saved a good one
        assert (resumed.discarded, resumed.position) == (None, end)
        assert resumed.projection == follower.projection


def test_the_exploit_does_run_code_when_unpickled(tmp_path: Path) -> None:
    """The control: the planted pickle is a real exploit, so its harmlessness above counts."""
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(Exploit(marker)))  # noqa: S301 - the point of the test
    assert marker.is_dir()
