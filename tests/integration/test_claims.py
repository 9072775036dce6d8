"""``assign_next`` under contention: a candidate another desk is assigning at that moment
is tried after the others, so the race is decided by claims rather than by lost saves.

Two desks interleave deterministically: the second desk's whole ``assign_next`` runs
while the first one holds the head of the queue (between its reads and its save). On
PostgreSQL the second desk sees the head claimed and takes the next ticket, and neither
desk loses a save; on SQLite (no claims: writers are serialised) the second desk takes
the head and the first desk's save loses, is retried, and takes the next ticket. Either
way each ticket goes to one agent and none is skipped.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import Recording

from tests.integration.support import CountingDesk
from ticketlog import HelpDesk, ManualClock, PostgresStore, SQLiteStore
from ticketlog.persistence.claims import (
    APPLICATION_NAME,
    NAMESPACE,
    PostgresClaims,
    claim_key,
    claims_for,
)

Store = SQLiteStore | PostgresStore


class InterleavingDesk(CountingDesk):
    """Runs ``before_save`` once, between a command's reads and its save."""

    name = HelpDesk.name
    before_save: Any = None

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Run the pending interleaving step, then save as usual."""
        step, self.before_save = self.before_save, None
        if step is not None:
            step()
        return super().save(*objs, **kwargs)


def test_a_ticket_being_assigned_elsewhere_is_tried_after_the_others(
    store: Store, clock: ManualClock
) -> None:
    with HelpDesk(store, clock=clock) as setup:
        ann, bob = setup.join_agent("Ann"), setup.join_agent("Bob")
        head = setup.receive(channel="chat", customer_id="c-1")
        clock.advance(minutes=1)
        second = setup.receive(channel="chat", customer_id="c-2")
    with InterleavingDesk(store, clock=clock) as one, CountingDesk(store, clock=clock) as other:
        one.view()
        taken: list[UUID | None] = []
        one.before_save = lambda: taken.append(other.assign_next(bob))
        assert one.assign_next(ann) in (head, second)
        claimed = isinstance(store, PostgresStore)
        assert taken == [second if claimed else head]
        assert one.held_by(ann) == {head if claimed else second}
        assert (one.conflicts, other.conflicts) == ((0, 0) if claimed else (1, 0))


def test_without_contention_the_policy_choice_is_unchanged(
    store: Store, clock: ManualClock
) -> None:
    with HelpDesk(store, clock=clock) as desk:
        ann = desk.join_agent("Ann", capacity=4)
        tickets = []
        for n in range(3):
            clock.advance(minutes=1)
            tickets.append(desk.receive(channel="chat", customer_id=f"c-{n}"))
        assert [desk.assign_next(ann, "fifo") for _ in tickets] == tickets
        assert desk.assign_next(ann, "fifo") is None


def test_a_lost_claims_connection_only_means_no_claims(
    postgres_store: PostgresStore, clock: ManualClock
) -> None:
    from ticketlog.persistence.postgres import connect  # noqa: PLC0415 - the postgres extra

    with HelpDesk(postgres_store, clock=clock) as desk:
        ann = desk.join_agent("Ann", capacity=2)
        first = desk.receive(channel="chat", customer_id="c-1")
        clock.advance(minutes=1)
        second = desk.receive(channel="chat", customer_id="c-2")
        assert desk.assign_next(ann) == first  # opens the claims connection
        with connect(postgres_store) as admin:
            (killed,) = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = %s",
                (APPLICATION_NAME,),
            ).fetchone() or (0,)
        assert killed == 1
        assert desk.assign_next(ann) == second  # unclaimed, as without claims


def _claimed_keys(admin: Any) -> set[int]:
    """The second keys of the claims the desks' claims connections hold in this test's
    database (other tests' desks may hold claims in theirs)."""
    rows = admin.execute(
        "SELECT l.objid::int8 FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
        "WHERE l.locktype = 'advisory' AND l.classid::int8 = %s AND a.application_name = %s "
        "AND a.datname = current_database()",
        (NAMESPACE, APPLICATION_NAME),
    ).fetchall()
    return {int(row[0]) for row in rows}


def test_the_first_free_candidate_is_claimed_and_no_other(postgres_store: PostgresStore) -> None:
    from ticketlog.persistence.postgres import connect  # noqa: PLC0415 - the postgres extra

    held, first_free, also_free = (uuid4() for _ in range(3))
    claims = PostgresClaims(postgres_store)
    with connect(postgres_store) as other:
        other.autocommit = True
        other.execute("SELECT pg_advisory_lock(%s, %s)", (NAMESPACE, claim_key(held)))
        with claims.first_free([held, first_free, also_free]) as claimed:
            assert claimed == first_free
            assert _claimed_keys(other) == {claim_key(first_free) & 0xFFFFFFFF}
        assert _claimed_keys(other) == set()
        with claims.first_free([held]) as claimed:
            assert claimed is None
            assert _claimed_keys(other) == set()
    claims.close()


def test_no_claims_means_the_first_candidate(sqlite_store: SQLiteStore) -> None:
    first, second = uuid4(), uuid4()
    with claims_for(sqlite_store).first_free([first, second]) as claimed:
        assert claimed == first
