"""The help desk: ticketlog's application service and composition root.

:class:`HelpDesk` turns intent-named commands into domain commands, stores the resulting
events (eventsourcing's ``Application``, persistence chosen by explicit store settings),
and answers queries about tickets and agents. Every command reads the aggregates, lets
them decide, and saves; when another writer got there first (optimistic concurrency on
each aggregate's version), it reads again and decides again, so a lost race surfaces as
the domain's own rejection (e.g. :class:`~ticketlog.domain.errors.TicketAlreadyAssigned`)
and nothing of the losing attempt is stored.

A ticket command that changes who holds the ticket saves the ticket and the agents it
leaves and reaches in one transaction (:class:`_Holders`), so an agent's capacity holds
across processes: two desks filling the same agent conflict on the agent's version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import (
    Callable,
    Collection,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import closing
from datetime import datetime, timedelta
from enum import Enum
from functools import partial
from itertools import islice
from typing import Any, ClassVar, TypeVar, cast
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import (
    ApplicationRecorder,
    EventStore,
    IntegrityError,
    Mapper,
    PersistenceError,
    Recording,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import Environment, EnvType
from pydantic import SecretStr

from ticketlog.clock import Clock, SystemClock
from ticketlog.domain.agent import Agent, AgentState
from ticketlog.domain.aggregate import Aggregate, strict_int, validated
from ticketlog.domain.errors import (
    AgentLacksSkill,
    AgentNotEligible,
    AgentNotFound,
    AlreadyReviewed,
    ConcurrencyConflict,
    ConfigurationError,
    DuplicateId,
    InvalidHistory,
    InvalidTime,
    InvalidTransition,
    InvalidValue,
    NotFound,
    OutOfOrder,
    ReviewNotAllowed,
    ReviewNotFound,
    ScorecardNotFound,
    StoreClosed,
    StoreUnavailable,
    TicketlogError,
    TicketNotFound,
    TierTooLow,
)
from ticketlog.domain.events import (
    AgentEvent,
    AgentJoined,
    AgentProfile,
    DomainEvent,
    TicketEvent,
)
from ticketlog.domain.history import Head, check_history
from ticketlog.domain.lifecycle import Command, check_allowed
from ticketlog.domain.quality import (
    Review,
    ReviewSubject,
    Scorecard,
    check_reviewer,
    scorecards_by_name,
)
from ticketlog.domain.ticket import Ticket, TicketState, availability_error
from ticketlog.domain.values import (
    AssignedBy,
    Channel,
    EscalationKind,
    Priority,
    SlaTarget,
    as_id,
    as_time,
)
from ticketlog.persistence.checkpoints import checkpoints_for
from ticketlog.persistence.claims import claims_for
from ticketlog.persistence.encryption import WrongCipherKey, check_cipher_key
from ticketlog.persistence.mapper import CorruptEvent, EventMapper
from ticketlog.persistence.reader import LogHealth, LogReader
from ticketlog.persistence.settings import MemoryStore, PostgresStore, SQLiteStore, resolve_store
from ticketlog.persistence.snapshots import INTERVAL, AgentSnapshots
from ticketlog.persistence.sqlite import create_owner_only, insert_rows
from ticketlog.policies.protocol import PullPolicy, Router
from ticketlog.policies.registry import pull_policy
from ticketlog.policies.registry import router as as_router
from ticketlog.policies.review import ReviewSampler
from ticketlog.policies.review import sampler as review_sampler
from ticketlog.projections.base import P, fold
from ticketlog.projections.runner import Checkpoints, Follower
from ticketlog.projections.sla import SlaTargets
from ticketlog.projections.timeline import TimelineEntry, build_timeline
from ticketlog.projections.view import DeskView
from ticketlog.projections.workloads import Workload

A = TypeVar("A", bound=Aggregate[Any, Any])

_CANDIDATES = 16
"""How many candidates ``assign_next`` takes from a policy before re-reading the log."""

SKEW_TOLERANCE = timedelta(seconds=5)
"""Default: how far a command may be dated before a stream's latest event (clock skew)."""

FUTURE_HORIZON = timedelta(days=366)
"""Default: how far after the desk's clock a command may be dated."""


class HelpDesk(Application[UUID]):
    """A customer-service desk whose every action is an event in an append-only log.

    ``store`` is a :class:`~ticketlog.persistence.settings.MemoryStore`,
    :class:`~ticketlog.persistence.settings.SQLiteStore` or
    :class:`~ticketlog.persistence.settings.PostgresStore`, a URL such as
    ``"sqlite:///desk.db"``, or ``None`` to read ``TICKETLOG_STORE`` (default: the SQLite
    file ``ticketlog.db``). ``clock`` supplies the business time of commands that are not
    given an explicit ``at`` (default: the UTC wall clock). ``sla`` sets the targets the
    desk's views judge breaches by (default: :class:`~ticketlog.projections.sla.SlaTargets`).
    ``cipher_key`` encrypts the store's events and checkpoints at rest (see
    :mod:`ticketlog.persistence.settings`); a key that does not open an existing store
    raises :class:`~ticketlog.persistence.encryption.WrongCipherKey`.
    ``snapshot_interval``: a snapshot of an agent every this many of their events, so
    loading one folds at most that many (see :mod:`ticketlog.persistence.snapshots`;
    ``None``: no snapshots, every load folds the whole stream).

    ``skew_tolerance``: a command dated before the latest event of a stream it writes by at
    most this much (another machine's clock wrote that event) is recorded at that event's
    time; further back it raises :class:`~ticketlog.domain.errors.OutOfOrder`.
    ``future_horizon``: a command dated more than this after ``clock`` raises
    :class:`~ticketlog.domain.errors.InvalidTime` (``None``: no limit).
    ``scorecards``: the :class:`~ticketlog.domain.quality.Scorecard` s reviewers score
    tickets with (see :meth:`review`); ``sampler_options``: the options of review samplers
    by name (a configuration file's ``samplers``), for :meth:`review_next`.

    Ids are UUIDs, or strings that spell one, on every store (anything else raises
    :class:`~ticketlog.domain.errors.InvalidId`); times are timezone-aware datetimes.

    Use it as a context manager, or call :meth:`close` (which closes the store's
    connections; the ticket command is :meth:`close_ticket`).
    """

    name = "ticketlog"
    max_attempts: ClassVar[int] = 20
    """How often a command re-reads and retries when other writers keep winning."""

    def __init__(
        self,
        store: MemoryStore | SQLiteStore | PostgresStore | str | None = None,
        *,
        clock: Clock | None = None,
        sla: SlaTargets | None = None,
        skew_tolerance: timedelta = SKEW_TOLERANCE,
        future_horizon: timedelta | None = FUTURE_HORIZON,
        cipher_key: str | SecretStr | None = None,
        snapshot_interval: int | None = INTERVAL,
        scorecards: Iterable[Scorecard] | Mapping[str, Scorecard] = (),
        sampler_options: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        _check_settings(store, clock, sla, snapshot_interval)
        self.scorecards = scorecards_by_name(scorecards)
        """The desk's scorecards by name."""
        self.sampler_options = dict(sampler_options or {})
        """Options of review samplers by name, used when ``review_next`` is given a name."""
        self.skew_tolerance = _duration(skew_tolerance, "skew_tolerance")
        self.future_horizon = (
            None if future_horizon is None else _duration(future_horizon, "future_horizon")
        )
        self.store = resolve_store(store)
        if cipher_key is not None:
            self.store = self.store.with_cipher_key(cipher_key)
        self.clock: Clock = SystemClock() if clock is None else clock
        self.sla = SlaTargets() if sla is None else sla
        self._view = Follower(self, lambda: DeskView(sla=self.sla))
        self._agents: dict[UUID, tuple[int, AgentState]] = {}
        """Each agent's latest version and state read: loads fold only newer events."""
        self._checkpoints: Checkpoints | None = None
        self._claims = claims_for(self.store)
        env = self.store.eventsourcing_env()
        if snapshot_interval is not None:
            env["IS_SNAPSHOTTING_ENABLED"] = "y"
        try:
            super().__init__(env=env)
        except ModuleNotFoundError as error:
            extra = "pip install 'ticketlog-es[postgres]'"
            msg = f"{self.store.kind} store needs {error.name!r}: {extra}"
            raise ConfigurationError(msg) from None
        except (PersistenceError, OSError, sqlite3.DatabaseError) as error:
            self._close_opened()
            raise StoreUnavailable(_unavailable(self.store, error)) from None
        mapper = cast(EventMapper, self.mapper)
        try:
            check_cipher_key(self.recorder, mapper, self.store.url)
        except WrongCipherKey:
            self._close_opened()
            raise
        self._reader = LogReader(self.recorder, mapper)
        self._snapshots = (
            None
            if self.snapshots is None or snapshot_interval is None
            else AgentSnapshots(self.snapshots.recorder, mapper, snapshot_interval)
        )

    def close(self) -> None:
        """Close the store's connections (the ticket command is :meth:`close_ticket`)."""
        self._claims.close()
        super().close()

    def _close_opened(self) -> None:
        """Close what a failed ``__init__`` opened already (e.g. a connection pool), so that
        no half-built desk holds connections until the garbage collector finds it."""
        factory = self.__dict__.get("factory")
        if factory is not None:
            factory.close()

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        """Configure persistence from the store settings only, never from ``os.environ``."""
        return Environment(name, env)

    def construct_recorder(self) -> ApplicationRecorder:
        """The store's recorder, with its tables created (safely, when shared)."""
        if isinstance(self.store, SQLiteStore):
            create_owner_only(self.store)
        if not isinstance(self.store, PostgresStore):
            return super().construct_recorder()
        from ticketlog.persistence.postgres import (  # noqa: PLC0415 - the postgres extra
            check_connection,
            create_tables,
        )

        check_connection(self.store)
        recorder = super().construct_recorder()
        create_tables(recorder)
        return recorder

    def construct_snapshot_store(self) -> EventStore[UUID]:
        """eventsourcing's snapshot store, with its table created (safely, when shared)."""
        snapshots = super().construct_snapshot_store()
        if isinstance(self.store, PostgresStore):
            from ticketlog.persistence.postgres import (  # noqa: PLC0415 - the postgres extra
                create_tables,
            )

            create_tables(snapshots.recorder)
        return snapshots

    def construct_mapper(self) -> Mapper[UUID]:
        """ticketlog's own event mapper (pydantic JSON under stable topics)."""
        return EventMapper(compressor=self.factory.compressor(), cipher=self.factory.cipher())

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        """Store the pending events of aggregates, and events given as they are.

        Events given as they are (e.g. a simulated history) are checked first by
        :func:`~ticketlog.domain.history.check_history`: a stream out of time order or with
        a gap in its versions, or a ticket event naming an agent neither in the batch nor in
        the store, raises :class:`~ticketlog.domain.errors.InvalidHistory` and nothing is
        written (so do events whose versions another writer stored first). Aggregates'
        events come from commands, which checked them already; a conflict saving them
        raises eventsourcing's ``IntegrityError``, which commands answer by retrying.
        """
        self._check_open()
        _check_kinds(
            objs, (Aggregate, DomainEvent, type(None)), "save takes tickets, agents, events"
        )
        events = [obj for obj in objs if isinstance(obj, DomainEvent)]
        if not events:
            recordings = super().save(*objs, **kwargs)
            self._remember_saved(objs, recordings)
            return recordings
        check_history(events, stored_head=self._stored_head, is_stored_agent=self._is_stored_agent)
        try:
            return super().save(*objs, **kwargs)
        except IntegrityError:
            msg = "nothing was stored: some of the events' versions are stored already"
            raise InvalidHistory(msg) from None

    def _remember_saved(
        self, saved: Iterable[object], recordings: Sequence[Recording[UUID]]
    ) -> None:
        """Remember each saved agent as saved; snapshot those one of whose new events is at
        a multiple of the snapshot interval."""
        snapshots = self._snapshots
        due = (
            set()
            if snapshots is None
            else {
                r.domain_event.originator_id
                for r in recordings
                if isinstance(r.domain_event, AgentEvent)
                and r.domain_event.originator_version % snapshots.interval == 0
            }
        )
        for agent in saved:
            if isinstance(agent, Agent):
                self._agents[agent.id] = (agent.version, agent.state)
                if snapshots is not None and agent.id in due:
                    snapshots.take(agent.version, agent.state)

    def _check_open(self) -> None:
        if self.closing.is_set():
            msg = f"the desk on {self.store.url} is closed"
            raise StoreClosed(msg)

    def _stored_head(self, stream: UUID) -> Head | None:
        """The stored version and time of a stream's latest event (``None``: no stream)."""
        latest = self.recorder.select_events(stream, desc=True, limit=1)
        if not latest:
            return None
        event = cast(DomainEvent, self.mapper.to_domain_event(latest[0]))
        return event.originator_version, event.at

    def _is_stored_agent(self, agent_id: UUID) -> bool:
        """Whether the store holds an agent with this id."""
        first = self.recorder.select_events(agent_id, limit=1)
        return bool(first) and first[0].topic == AgentJoined.TOPIC

    # --- tickets -----------------------------------------------------------------

    def receive(
        self,
        *,
        channel: Channel | str,
        customer_id: str,
        ticket_id: UUID | None = None,
        at: datetime | None = None,
        **attributes: Any,
    ) -> UUID:
        """Record a new request; return its ticket id.

        ``attributes``: category, priority, language, plan, customer_value, first_time,
        estimated_effort, subject, queue, tier, required_skills (see
        :class:`~ticketlog.domain.events.TicketReceived`).
        """
        ticket = Ticket.receive(
            ticket_id=uuid4() if ticket_id is None else ticket_id,
            at=self._now(at),
            channel=channel,
            customer_id=customer_id,
            **attributes,
        )
        self._save_new(ticket)
        return ticket.id

    def assign(
        self,
        ticket_id: UUID,
        agent_id: UUID,
        *,
        by: AssignedBy | str = AssignedBy.SELF,
        actor_id: UUID | None = None,
        policy: str | None = None,
        at: datetime | None = None,
    ) -> UUID:
        """Give a waiting ticket to an eligible agent (online, under capacity, skilled)."""
        options = {"by": by, "actor_id": actor_id, "policy": policy}
        return self._assign(ticket_id, agent_id, self._now(at), None, **options)

    def _assign(
        self, ticket_id: UUID, agent_id: UUID, when: datetime, view: DeskView | None, **options: Any
    ) -> UUID:
        """:meth:`assign` at ``when`` with ``options`` (``by``, ``actor_id``, ``policy``);
        ``view``: one the caller has just caught up (see :class:`_Holders`)."""

        def command(ticket: Ticket, holders: _Holders) -> None:
            if view is not None:  # assign_next found the agent: a taken ticket needs no read
                check_allowed(ticket.state.status, Command.ASSIGN)
            agent, holding = holders.candidate(agent_id)
            ticket.assign(agent, holding=holding, at=when, **options)

        return self._change_ticket(ticket_id, command, view)

    def respond(
        self, ticket_id: UUID, agent_id: UUID, *, public: bool = True, at: datetime | None = None
    ) -> UUID:
        """The holding agent replies to the customer (``public=False``: an internal note)."""
        when, agent = self._now(at), as_id(agent_id)
        return self._change_ticket(
            ticket_id, lambda t, _: t.respond(agent_id=agent, at=when, public=public)
        )

    def transfer(
        self,
        ticket_id: UUID,
        *,
        to_agent_id: UUID | None = None,
        to_queue: str | None = None,
        actor_id: UUID | None = None,
        reason: str = "",
        at: datetime | None = None,
    ) -> UUID:
        """Move a ticket to another agent and/or queue within its tier."""
        when = self._now(at)

        def command(ticket: Ticket, holders: _Holders) -> None:
            to_agent, holding = (None, 0) if to_agent_id is None else holders.candidate(to_agent_id)
            ticket.transfer(
                at=when,
                to_agent=to_agent,
                to_agent_holding=holding,
                to_queue=to_queue,
                actor_id=actor_id,
                reason=reason,
            )

        return self._change_ticket(ticket_id, command)

    def reassign(
        self,
        ticket_id: UUID,
        to_agent_id: UUID,
        *,
        actor_id: UUID | None = None,
        reason: str = "",
        at: datetime | None = None,
    ) -> UUID:
        """Pass a held ticket to another eligible person of its queue and tier."""
        when = self._now(at)

        def command(ticket: Ticket, holders: _Holders) -> None:
            to_agent, holding = holders.candidate(to_agent_id)
            ticket.reassign(
                to_agent, to_agent_holding=holding, at=when, actor_id=actor_id, reason=reason
            )

        return self._change_ticket(ticket_id, command)

    def release(
        self, ticket_id: UUID, agent_id: UUID, *, reason: str = "", at: datetime | None = None
    ) -> UUID:
        """The holding agent puts a ticket back in its queue, where it waits unassigned."""
        when, agent = self._now(at), as_id(agent_id)
        return self._change_ticket(
            ticket_id, lambda t, _: t.release(agent_id=agent, at=when, reason=reason)
        )

    def escalate(
        self,
        ticket_id: UUID,
        *,
        kind: EscalationKind | str,
        to_tier: int | None = None,
        to_queue: str | None = None,
        actor_id: UUID | None = None,
        reason: str = "",
        breach: SlaTarget | str | None = None,
        at: datetime | None = None,
    ) -> UUID:
        """Move a ticket up a tier (default: the next) or to a specialised queue.

        ``breach`` marks an automatic escalation for a missed SLA target (once per breach).
        """
        when = self._now(at)
        return self._change_ticket(
            ticket_id,
            lambda t, _: t.escalate(
                at=when,
                kind=kind,
                to_tier=to_tier,
                to_queue=to_queue,
                actor_id=actor_id,
                reason=reason,
                breach=breach,
            ),
        )

    def deescalate(
        self,
        ticket_id: UUID,
        *,
        to_tier: int | None = None,
        to_queue: str | None = None,
        actor_id: UUID | None = None,
        reason: str = "",
        at: datetime | None = None,
    ) -> UUID:
        """Move a ticket down a tier (default: the next lower), to wait there unassigned."""
        when = self._now(at)
        return self._change_ticket(
            ticket_id,
            lambda t, _: t.deescalate(
                at=when, to_tier=to_tier, to_queue=to_queue, actor_id=actor_id, reason=reason
            ),
        )

    def await_customer(
        self, ticket_id: UUID, agent_id: UUID, *, reason: str = "", at: datetime | None = None
    ) -> UUID:
        """The holding agent waits on the customer: the SLA clock stops."""
        when, agent = self._now(at), as_id(agent_id)
        return self._change_ticket(
            ticket_id, lambda t, _: t.await_customer(agent_id=agent, at=when, reason=reason)
        )

    def customer_replied(self, ticket_id: UUID, *, at: datetime | None = None) -> UUID:
        """The customer wrote back: a stopped SLA clock runs again."""
        when = self._now(at)
        return self._change_ticket(ticket_id, lambda t, _: t.customer_replied(at=when))

    def resolve(
        self, ticket_id: UUID, agent_id: UUID, *, code: str = "solved", at: datetime | None = None
    ) -> UUID:
        """The holding agent gives a solution."""
        when, agent = self._now(at), as_id(agent_id)
        return self._change_ticket(
            ticket_id, lambda t, _: t.resolve(agent_id=agent, at=when, code=code)
        )

    def reopen(self, ticket_id: UUID, *, reason: str = "", at: datetime | None = None) -> UUID:
        """The customer comes back after a resolution."""
        when = self._now(at)
        return self._change_ticket(ticket_id, lambda t, _: t.reopen(at=when, reason=reason))

    def rate(
        self,
        ticket_id: UUID,
        *,
        csat: int | None = None,
        nps: int | None = None,
        comment: str = "",
        at: datetime | None = None,
    ) -> UUID:
        """The customer rates the latest resolution: CSAT 1-5 and/or NPS 0-10 (integers)."""
        when = self._now(at)
        return self._change_ticket(
            ticket_id, lambda t, _: t.rate(at=when, csat=csat, nps=nps, comment=comment)
        )

    def close_ticket(
        self,
        ticket_id: UUID,
        *,
        actor_id: UUID | None = None,
        reason: str = "",
        at: datetime | None = None,
    ) -> UUID:
        """Close a ticket for good (``close()`` closes the desk's store connections)."""
        when = self._now(at)
        return self._change_ticket(
            ticket_id, lambda t, _: t.close(at=when, actor_id=actor_id, reason=reason)
        )

    def abandon(self, ticket_id: UUID, *, at: datetime | None = None) -> UUID:
        """The customer gives up while the ticket waits."""
        when = self._now(at)
        return self._change_ticket(ticket_id, lambda t, _: t.abandon(at=when))

    def reprioritise(
        self,
        ticket_id: UUID,
        priority: Priority | str,
        *,
        actor_id: UUID | None = None,
        reason: str = "",
        at: datetime | None = None,
    ) -> UUID:
        """Change a ticket's priority."""
        when = self._now(at)
        return self._change_ticket(
            ticket_id,
            lambda t, _: t.reprioritise(
                at=when, priority=priority, actor_id=actor_id, reason=reason
            ),
        )

    # --- policies ----------------------------------------------------------------

    def assign_next(
        self, agent_id: UUID, policy: PullPolicy | str = "fifo", *, at: datetime | None = None
    ) -> UUID | None:
        """Give an agent the best waiting ticket ``policy`` offers; return its id.

        Returns ``None`` when no waiting ticket fits. When another desk takes a candidate
        first (or moves it out of reach), the log is read again and the next candidate
        still waiting is tried, so under contention no ticket goes to two agents and none
        is skipped; so is the next when a candidate's latest event is later than ``at``
        beyond the skew tolerance. A candidate another desk is assigning at
        that moment is tried after the others (:mod:`ticketlog.persistence.claims`).
        Raises :class:`~ticketlog.domain.errors.AgentOffline` or
        :class:`~ticketlog.domain.errors.AgentAtCapacity` when the agent can take nothing
        (also when another desk filled them meanwhile).
        """
        pull = pull_policy(policy)
        when, agent_id = self._now(at), as_id(agent_id)
        passed: set[UUID] = set()
        for _ in range(self.max_attempts):
            view = self.view()
            agent = self._workload(view, agent_id, when)
            unavailable = availability_error(agent, agent.holding)
            if unavailable is not None:
                raise unavailable
            offered = (t.ticket_id for t in pull.tickets_for(agent, view.queues, now=when))
            batch = list(islice((t for t in offered if t not in passed), _CANDIDATES))
            if not batch:
                return None
            with closing(self._claimed(batch)) as claimed:
                for ticket_id in claimed:
                    outcome = self._assign_candidate(ticket_id, agent_id, pull.name, when, view)
                    if outcome is _Candidate.ASSIGNED:
                        return ticket_id
                    passed.add(ticket_id)
                    if outcome is _Candidate.GONE:
                        self.view()  # catch up with the desk that took it, skip what else it took
        msg = f"gave up finding a ticket for {agent_id} after {self.max_attempts} rounds"
        raise ConcurrencyConflict(msg)

    def _claimed(self, batch: list[UUID]) -> Generator[UUID]:
        """The candidates of ``batch`` the view (as last caught up) still has waiting, each
        while this desk holds its claim: the first one no other desk is assigning (one
        round trip for them all) and so on; when other desks hold all that are left, each
        once its desk is done with it."""
        left = list(batch)
        while left := [t for t in left if self._still_waiting(t)]:
            with self._claims.first_free(left) as ticket_id:
                if ticket_id is None:
                    break
                left.remove(ticket_id)
                yield ticket_id
        for ticket_id in left:
            if self._still_waiting(ticket_id):
                with self._claims.claim(ticket_id):
                    yield ticket_id

    def _still_waiting(self, ticket_id: UUID) -> bool:
        ticket = self._view.projection.queues.get(ticket_id)
        return ticket is not None and ticket.agent_id is None

    def _assign_candidate(
        self, ticket_id: UUID, agent_id: UUID, policy: str, when: datetime, view: DeskView
    ) -> _Candidate:
        """Assign one of ``assign_next``'s candidates, deciding on the ``view`` it chose by."""
        try:
            self._assign(ticket_id, agent_id, when, view, policy=policy)
        except (InvalidTransition, TierTooLow, AgentLacksSkill):
            return _Candidate.GONE  # taken or moved by another desk
        except OutOfOrder:
            return _Candidate.PASSED  # changed later than ``when``
        except CorruptEvent as error:
            if error.originator_id != ticket_id:
                raise
            return _Candidate.PASSED  # a quarantined ticket (see health())
        return _Candidate.ASSIGNED

    def route(
        self, ticket_id: UUID, router: Router | str = "least-loaded", *, at: datetime | None = None
    ) -> UUID | None:
        """Give a waiting ticket to the agent ``router`` picks; return the agent's id.

        Returns ``None`` when no agent can take it. An agent who fills up meanwhile is
        skipped for the next one.
        """
        push = as_router(router)
        when, ticket_id = self._now(at), as_id(ticket_id)
        check_allowed(self.ticket(ticket_id).status, Command.ASSIGN)
        view = self.view()
        ticket = view.queues.get(ticket_id)
        if ticket is None:
            raise TicketNotFound(ticket_id)
        agents = view.workloads.workloads(now=when)
        for agent in push.agents_for(ticket, agents, view.queues, now=when):
            try:
                self.assign(
                    ticket_id, agent.agent_id, by=AssignedBy.ROUTER, policy=push.name, at=when
                )
            except AgentNotEligible:
                continue
            except CorruptEvent as error:
                if error.originator_id != agent.agent_id:
                    raise
                continue  # a quarantined agent (see health())
            return agent.agent_id
        return None

    @staticmethod
    def _workload(view: DeskView, agent_id: UUID, now: datetime) -> Workload:
        try:
            return view.workloads.workload(agent_id, now=now)
        except KeyError:
            raise AgentNotFound(agent_id) from None

    # --- quality reviews ---------------------------------------------------------

    def claim_review(
        self,
        ticket_id: UUID,
        reviewer_id: UUID,
        *,
        scorecard: str | None = None,
        at: datetime | None = None,
    ) -> UUID:
        """Claim a review of a ticket for ``reviewer_id``; return the review's id.

        ``scorecard`` names one of the desk's scorecards (default: the one that covers the
        ticket's category). Raises :class:`~ticketlog.domain.errors.NotAReviewer`,
        :class:`~ticketlog.domain.errors.ReviewNotAllowed` (see
        :class:`~ticketlog.domain.quality.Scorecard`) or
        :class:`~ticketlog.domain.errors.AlreadyReviewed`.
        """
        when = self._now(at)
        review_id = self._claim(as_id(ticket_id), as_id(reviewer_id), when, scorecard=scorecard)
        assert review_id is not None  # noqa: S101 - no slot limit
        return review_id

    def review(
        self,
        ticket_id: UUID,
        reviewer_id: UUID,
        scores: Mapping[str, int],
        *,
        scorecard: str | None = None,
        comment: str = "",
        at: datetime | None = None,
    ) -> UUID:
        """Score a ticket: one 1-5 score per criterion of the scorecard; return the review's id.

        Completes the reviewer's open claim on the ticket, or claims and scores in one step
        (then as :meth:`claim_review`). Scores that miss a criterion, name an unknown one or
        lie outside the scale raise :class:`~ticketlog.domain.errors.InvalidValue`.
        """
        when, ticket_id, reviewer_id = self._now(at), as_id(ticket_id), as_id(reviewer_id)
        claimed = self.view().reviews.claim_of(ticket_id, reviewer_id)
        if claimed is None:
            review_id = self._claim(
                ticket_id, reviewer_id, when, scorecard=scorecard, scores=(scores, comment)
            )
            assert review_id is not None  # noqa: S101 - no slot limit
            return review_id
        subject = ReviewSubject.of(self.ticket_events(ticket_id))
        profile = self.agent(reviewer_id).profile

        def score(review: Review) -> None:
            card = self._scorecard(scorecard or review.state.scorecard, subject.category)
            card.check(scores)
            subject.check(reviewer_id, profile, card)  # the ticket may have moved on since
            review.score(
                reviewer_id=reviewer_id,
                scorecard=card,
                scores=scores,
                agent_id=subject.agent_id,
                category=subject.category,
                comment=comment,
                at=when,
            )

        return self._change(Review, claimed, score)

    def release_review(
        self, review_id: UUID, reviewer_id: UUID, *, reason: str = "", at: datetime | None = None
    ) -> UUID:
        """Give a claimed review back unscored; its slot is free for another reviewer."""
        when, reviewer_id = self._now(at), as_id(reviewer_id)
        return self._change(
            Review, review_id, lambda r: r.release(reviewer_id=reviewer_id, reason=reason, at=when)
        )

    def review_next(
        self,
        reviewer_id: UUID,
        sampler: ReviewSampler | str = "random-share",
        *,
        scorecard: str | None = None,
        at: datetime | None = None,
    ) -> UUID | None:
        """Claim the review of the next ticket ``sampler`` picks; return the ticket's id.

        A reviewer with an open claim gets that ticket (their oldest) instead of a new one.
        Tickets the reviewer may not review, or with as many reviews as the sampler wants,
        are skipped; when another reviewer claims a candidate's last wanted slot first, the
        next candidate is tried, so no ticket gets more reviews than wanted. Returns
        ``None`` when nothing is left to review.
        """
        options = self.sampler_options.get(sampler, {}) if isinstance(sampler, str) else {}
        pick = review_sampler(sampler, **options)
        when, reviewer_id = self._now(at), as_id(reviewer_id)
        check_reviewer(reviewer_id, self.agent(reviewer_id).profile)
        view = self.view()
        claims = view.reviews.open_claims(reviewer_id)
        if claims:
            return claims[0]
        cards = [self._scorecard(scorecard, "")] if scorecard else list(self.scorecards.values())
        tickets = (
            f for f in view.facts.tickets.values() if any(c.applies_to(f.category) for c in cards)
        )
        for facts, wanted in pick.candidates(tickets, view.reviews, now=when):
            ledger = view.reviews
            if ledger.taken(facts.ticket_id) >= wanted or reviewer_id in ledger.reviewers(
                facts.ticket_id
            ):
                continue
            try:
                claimed = self._claim(
                    facts.ticket_id,
                    reviewer_id,
                    when,
                    scorecard=scorecard,
                    sampler=pick.name,
                    slots=wanted,
                )
            except (ReviewNotAllowed, AlreadyReviewed, ScorecardNotFound):
                continue
            if claimed is not None:
                return facts.ticket_id
        return None

    def _scorecard(self, name: str | None, category: str) -> Scorecard:
        """The scorecard ``name``, or the one scorecard that covers ``category``."""
        if name is not None and not isinstance(name, str):
            msg = f"a scorecard is named by a string, not {name!r}"
            raise InvalidValue(msg)
        if name is not None:
            card = self.scorecards.get(name)
            if card is None:
                msg = f"no scorecard named {name!r}; the desk has: {', '.join(self.scorecards)}"
                raise ScorecardNotFound(msg)
            return card
        cards = [c for c in self.scorecards.values() if c.applies_to(category)]
        if len(cards) != 1:
            which = "no scorecard covers" if not cards else "several scorecards cover"
            msg = f"{which} category {category!r}: name one"
            raise ScorecardNotFound(msg)
        return cards[0]

    def _claim(
        self,
        ticket_id: UUID,
        reviewer_id: UUID,
        when: datetime,
        *,
        scorecard: str | None,
        sampler: str | None = None,
        scores: tuple[Mapping[str, int], str] | None = None,
        slots: int | None = None,
    ) -> UUID | None:
        """Claim (and with ``scores``, score) the ticket's first free review slot; ``None``
        when its first ``slots`` slots are taken. A slot another reviewer claims first
        makes the next one the candidate."""
        subject = ReviewSubject.of(self.ticket_events(ticket_id))
        card = self._scorecard(scorecard, subject.category)
        if scores is not None:
            card.check(scores[0])  # bad input first, before the state's refusals
        subject.check(reviewer_id, self.agent(reviewer_id).profile, card)
        for _ in range(self.max_attempts):
            ledger = self.view().reviews
            if reviewer_id in ledger.reviewers(ticket_id):
                msg = f"agent {reviewer_id} has a review of ticket {ticket_id} already"
                raise AlreadyReviewed(msg)
            slot, released = ledger.free_slot(ticket_id)
            if slots is not None and slot > slots:
                return None
            if released is None:
                review = Review.claim(
                    ticket_id=ticket_id,
                    slot=slot,
                    reviewer_id=reviewer_id,
                    scorecard=card,
                    at=when,
                    sampler=sampler,
                )
            else:
                review = self._load(Review, released)
                review.reclaim(reviewer_id=reviewer_id, scorecard=card, at=when, sampler=sampler)
            if scores is not None:
                review.score(
                    reviewer_id=reviewer_id,
                    scorecard=card,
                    scores=scores[0],
                    agent_id=subject.agent_id,
                    category=subject.category,
                    comment=scores[1],
                    at=when,
                )
            try:
                self.save(review)
            except IntegrityError:
                continue
            return review.id
        msg = f"gave up claiming a review of {ticket_id} after {self.max_attempts} conflicts"
        raise ConcurrencyConflict(msg)

    # --- agents ------------------------------------------------------------------

    def join_agent(
        self,
        name: str,
        *,
        team: str = "general",
        teams: Collection[str] = (),
        tier: int = 1,
        capacity: int = 1,
        skills: Collection[str] = (),
        languages: Collection[str] = ("en",),
        reviewer: bool = False,
        online: bool = True,
        agent_id: UUID | None = None,
        at: datetime | None = None,
    ) -> UUID:
        """Add an agent to the desk (online at once unless ``online=False``); return their id.

        ``team`` is the agent's home team, ``teams`` the others they belong to; ``reviewer``
        gives them the reviewer role (a dedicated reviewer joins with ``online=False``).
        """
        when = self._now(at)
        profile = validated(
            AgentProfile,
            team=team,
            teams=teams,
            tier=tier,
            capacity=capacity,
            skills=skills,
            languages=languages,
            reviewer=reviewer,
        )
        agent = Agent.join(
            agent_id=uuid4() if agent_id is None else agent_id, at=when, name=name, profile=profile
        )
        if online:
            agent.go_online(at=when)
        self._save_new(agent)
        return agent.id

    def change_agent(self, agent_id: UUID, *, at: datetime | None = None, **changes: Any) -> UUID:
        """Change an agent's team, tier, capacity, skills or languages."""
        when = self._now(at)
        return self._change(Agent, agent_id, lambda a: a.change_profile(at=when, **changes))

    def go_online(self, agent_id: UUID, *, at: datetime | None = None) -> UUID:
        """The agent becomes available for tickets."""
        when = self._now(at)
        return self._change(Agent, agent_id, lambda a: a.go_online(at=when))

    def go_offline(self, agent_id: UUID, *, at: datetime | None = None) -> UUID:
        """The agent becomes unavailable (tickets they hold stay with them)."""
        when = self._now(at)
        return self._change(Agent, agent_id, lambda a: a.go_offline(at=when))

    # --- queries -----------------------------------------------------------------

    def ticket(self, ticket_id: UUID) -> TicketState:
        """A ticket's current state; :class:`TicketNotFound` if there is none."""
        return self._load(Ticket, ticket_id).state

    def agent(self, agent_id: UUID) -> AgentState:
        """An agent's current state; :class:`AgentNotFound` if there is none."""
        return self._load(Agent, agent_id).state

    def ticket_events(self, ticket_id: UUID) -> list[TicketEvent]:
        """A ticket's events, oldest first; :class:`TicketNotFound` if there is none."""
        return cast(list[TicketEvent], self._history(Ticket, ticket_id)[0])

    def agent_events(self, agent_id: UUID) -> list[AgentEvent]:
        """An agent's events, oldest first; :class:`AgentNotFound` if there is none."""
        return cast(list[AgentEvent], self._history(Agent, agent_id)[0])

    def timeline(self, ticket_id: UUID) -> list[TimelineEntry]:
        """Everything that happened to a ticket: time, actor, what, and how long it took."""
        events = self.ticket_events(ticket_id)
        agent_ids = {
            value
            for event in events
            for field, value in event
            if isinstance(value, UUID) and field != "originator_id"
        }
        names = {}
        for agent_id in agent_ids:
            try:
                names[agent_id] = self.agent(agent_id).name
            except (NotFound, CorruptEvent):
                continue
        return build_timeline(events, names)

    def held_by(self, agent_id: UUID) -> frozenset[UUID]:
        """The tickets an agent holds now (the log is read up to its end first)."""
        return self.view().workloads.held_by(as_id(agent_id))

    def view(self) -> DeskView:
        """Queues, workloads, ticket facts and backlog, caught up with the log.

        The view lives in this process and follows the store incrementally: each call
        folds only the events written since the previous one (by any process).
        """
        self._view.catch_up()
        return self._view.projection

    def view_as_of(self, when: datetime) -> DeskView:
        """The desk as it was at ``when``: every event that happened by then, folded afresh."""
        until = as_time(when)
        return fold(DeskView(sla=self.sla), (event for _, event in self.read_log()), until=until)

    def follow(self, factory: Callable[[], P], *, name: str) -> Follower[P]:
        """A follower of this desk's log that checkpoints ``factory``'s projection in the store.

        Restarting with the same ``name`` (a non-empty string) resumes from the last
        checkpoint.
        """
        if not isinstance(name, str) or not name:
            msg = f"a follower's name is a non-empty string, not {name!r}"
            raise InvalidValue(msg)
        if self._checkpoints is None:
            self._checkpoints = checkpoints_for(self.store, cast(EventMapper, self.mapper))
        return Follower(self, factory, name=name, checkpoints=self._checkpoints)

    def read_log(
        self, after: int = 0, *, topics: Sequence[str] = ()
    ) -> Iterator[tuple[int, DomainEvent]]:
        """Every stored event after position ``after``, in log order, with its position.

        Events of types this version of ticketlog does not know are skipped, so older
        readers keep working on logs written by newer ones; rows that cannot be read are
        quarantined with their streams (see :meth:`health`). ``topics`` limits the event
        types read (by their ``TOPIC``).
        """
        self._check_open()
        after = strict_int(after, "after")
        if (
            not isinstance(topics, Sequence)
            or isinstance(topics, str)
            or not all(isinstance(topic, str) for topic in topics)
        ):
            msg = f"topics is a sequence of event topics, not {topics!r}"
            raise InvalidValue(msg)
        return self._reader.log(after, topics=topics)

    def log_position(self) -> int:
        """The position of the latest event stored (0: none yet)."""
        self._check_open()
        return self.recorder.max_notification_id() or 0

    def health(self) -> LogHealth:
        """What the desk could not read, after catching up with the log: unknown event
        types skipped (with counts) and quarantined rows (with their positions)."""
        self._view.catch_up()
        return self._reader.health()

    # --- recorded histories -------------------------------------------------------

    def record_new(self, streams: Mapping[UUID, Sequence[DomainEvent]]) -> list[UUID]:
        """Store new streams of a recorded history in one transaction; return their ids.

        For importers: each stream is the events of one new aggregate (a ticket's, recorded
        as :meth:`~ticketlog.domain.ticket.Ticket.record` records them: validated, in time
        order, no live rule applied). A stream whose id is stored already is skipped, so
        re-running an import adds nothing; the rest are written all together or not at all.
        """
        self._check_open()
        if not isinstance(streams, Mapping):
            msg = f"record_new takes new streams of events by id, not {streams!r}"
            raise InvalidValue(msg)
        events_given = (event for events in streams.values() for event in events)
        _check_kinds(events_given, (DomainEvent,), "record_new takes streams of events")
        mapper = cast(EventMapper, self.mapper)
        recorder = self.recorder
        encode: Callable[[DomainEvent], Any]
        insert: Callable[[list[Any]], object]
        if isinstance(recorder, SQLiteApplicationRecorder):  # no notification ids needed
            encode, insert = mapper.to_row, partial(insert_rows, recorder)
        else:
            encode, insert = mapper.to_stored_event, recorder.insert_events
        pending = {stream: [encode(e) for e in events] for stream, events in streams.items()}
        for _ in range(self.max_attempts):
            if not pending:
                return []
            batch: list[Any] = [row for rows in pending.values() for row in rows]
            try:
                insert(batch)
            except IntegrityError:
                pending = {
                    i: stored
                    for i, stored in pending.items()
                    if not self.recorder.select_events(i, limit=1)
                }
                continue
            return list(pending)
        msg = f"gave up storing {len(pending)} aggregates after {self.max_attempts} conflicts"
        raise ConcurrencyConflict(msg)

    def amend_agents(self, changes: Mapping[UUID, Mapping[str, Any]]) -> None:
        """Amend several agents' profiles in one transaction (all or none).

        Each change is recorded at its agent's latest event: a correction learned later
        (e.g. the capacity an import observed), not a change at a new time.
        """
        for _ in range(self.max_attempts):
            agents = []
            for agent_id, fields in changes.items():
                agent = self._load(Agent, agent_id)
                agent.change_profile(at=agent.state.last_at, **fields)
                agents.append(agent)
            try:
                self.save(*agents)
            except IntegrityError:
                continue
            return
        msg = f"gave up amending {len(changes)} agents after {self.max_attempts} conflicts"
        raise ConcurrencyConflict(msg)

    # --- machinery ---------------------------------------------------------------

    def _now(self, at: datetime | None) -> datetime:
        """A command's business time: ``at`` (checked) or the clock's now."""
        now = self.clock.now()
        if at is None:
            return now
        when = as_time(at)
        if self.future_horizon is not None and when > now + self.future_horizon:
            msg = (
                f"{when.isoformat()} is more than {self.future_horizon} after the desk's "
                f"clock ({now.isoformat()})"
            )
            raise InvalidTime(msg)
        return when

    def _events(self, aggregate_id: UUID) -> list[DomainEvent]:
        self._check_open()
        return self._reader.stream(aggregate_id)[0]

    def _history(
        self, kind: type[Aggregate[Any, Any]], aggregate_id: UUID
    ) -> tuple[list[DomainEvent], int]:
        """The readable events of a ticket or agent and its version (unknown, newer events
        count); :class:`NotFound` if there is no such one."""
        aggregate_id = as_id(aggregate_id)
        self._check_open()
        events, version = self._reader.stream(aggregate_id)
        if not events or not isinstance(events[0], kind.event_base):
            raise _NOT_FOUND[kind](aggregate_id)
        return events, version

    def _load(self, kind: type[A], aggregate_id: UUID) -> A:
        if kind is Agent:
            return cast(A, self._load_agent(as_id(aggregate_id)))
        events, version = self._history(kind, aggregate_id)
        aggregate = kind.from_events(events, tolerance=self.skew_tolerance)
        assert aggregate is not None  # noqa: S101 - events is not empty
        aggregate.version = version  # unknown (newer) events count: append after them
        return aggregate

    def _load_agent(self, agent_id: UUID) -> Agent:
        """An agent, reading only the events stored since this desk last read them: an
        agent's stream grows with every ticket they take and give up. An agent this desk has
        not read yet starts from their latest snapshot, if any."""
        self._check_open()
        known = self._agents.get(agent_id)
        if known is None and self._snapshots is not None:
            known = self._snapshots.latest(agent_id)
        if known is None:
            events, version = self._history(Agent, agent_id)
            agent = Agent.from_events(cast(list[AgentEvent], events), tolerance=self.skew_tolerance)
            assert agent is not None  # noqa: S101 - the history is not empty
        else:
            agent = self._resumed(agent_id, known)
            events, version = self._reader.stream(agent_id, after=known[0])
            agent.extend(cast(Iterator[AgentEvent], iter(events)))
        agent.version = max(agent.version, version)  # unknown (newer) events count
        self._agents[agent_id] = (agent.version, agent.state)
        return agent

    def _remembered_agent(self, agent_id: UUID) -> Agent | None:
        """The agent as this desk last read or saved them, not read again (``None``: the
        desk has not)."""
        known = self._agents.get(agent_id)
        return None if known is None else self._resumed(agent_id, known)

    def _resumed(self, agent_id: UUID, known: tuple[int, AgentState]) -> Agent:
        """The agent at a version and state known from an earlier fold."""
        version, state = known
        return Agent.resume(agent_id, version, state, tolerance=self.skew_tolerance)

    def _save_new(self, aggregate: Aggregate[Any, Any]) -> None:
        try:
            self.save(aggregate)
        except IntegrityError:
            msg = f"id {aggregate.id} is taken"
            raise DuplicateId(msg) from None

    def _change(self, kind: type[A], aggregate_id: UUID, command: Callable[[A], None]) -> UUID:
        """Read, decide, save; on a version conflict read again and decide again."""

        def decide() -> list[A]:
            aggregate = self._load(kind, aggregate_id)
            command(aggregate)
            return [aggregate]

        return self._retry(kind, aggregate_id, decide)

    def _change_ticket(
        self,
        ticket_id: UUID,
        command: Callable[[Ticket, _Holders], None],
        view: DeskView | None = None,
    ) -> UUID:
        """:meth:`_change` for tickets, saving the agents the ticket leaves and reaches with it.

        The first attempt decides on the agents as this desk last read or saved them (and
        on ``view``, one the caller has just caught up), without reading them again: saved
        with the ticket, a stale agent fails its version check and the command is retried
        on fresh reads, and a refusal that read a remembered agent is decided again on
        fresh reads before it is raised.
        """
        attempts = 0

        def attempt(*, fresh: bool) -> tuple[Ticket, _Holders] | None:
            """The ticket and agents after the command (``None``: refused on a remembered
            agent, to be decided again on fresh reads)."""
            ticket = self._load(Ticket, ticket_id)
            holders = _Holders(self, ticket, None if fresh else view, remembered=not fresh)
            try:
                command(ticket, holders)
            except TicketlogError:
                if holders.remembered_any:
                    return None
                raise
            return ticket, holders

        def decide() -> list[Aggregate[Any, Any]]:
            nonlocal attempts
            attempts += 1
            decided = attempt(fresh=attempts > 1) or attempt(fresh=True)
            assert decided is not None  # noqa: S101 - a fresh attempt returns or raises
            ticket, holders = decided
            return [ticket, *holders.handed_over(ticket)]

        return self._retry(Ticket, ticket_id, decide)

    def _retry(
        self, kind: type[A], aggregate_id: UUID, decide: Callable[[], Sequence[Aggregate[Any, Any]]]
    ) -> UUID:
        for _ in range(self.max_attempts):
            aggregates = decide()
            try:
                self.save(*aggregates)
            except IntegrityError:
                continue
            return aggregates[0].id
        msg = f"gave up on {kind.__name__} {aggregate_id} after {self.max_attempts} conflicts"
        raise ConcurrencyConflict(msg)


_NOT_FOUND: dict[type[Aggregate[Any, Any]], Callable[[UUID], NotFound]] = {
    Ticket: TicketNotFound,
    Agent: AgentNotFound,
    Review: ReviewNotFound,
}


class _Candidate(Enum):
    """What became of one of ``assign_next``'s candidates."""

    ASSIGNED = "assigned"
    GONE = "gone"
    """Taken or moved out of reach by another desk since the view was read."""
    PASSED = "passed"
    """Out of reach of this call: changed later than its time, or quarantined."""


class _Holders:
    """The agents one attempt of a ticket command reads and changes, each read once.

    What an agent holds is what their own history says (``AgentState.holdings``), which is
    versioned with every change of holder, plus what the tickets' events say (the view):
    holdings the agent's history cannot know, of stores older than
    :class:`~ticketlog.domain.events.AgentStartedHolding` or of recorded (imported)
    histories. Those only end, never start, with a command, so a view caught up a moment
    before (``view``, e.g. the one ``assign_next`` chose by) can only count too many: the
    log is read again only when it says the agent is full.
    """

    def __init__(
        self,
        desk: HelpDesk,
        ticket: Ticket,
        view: DeskView | None = None,
        *,
        remembered: bool = False,
    ) -> None:
        self._desk = desk
        self._ticket_id = ticket.id
        self._before = ticket.state.agent_id
        self._agents: dict[UUID, Agent] = {}
        self._view = view
        self._remembered = remembered
        self.remembered_any = False
        """Whether an agent was taken as the desk last read or saved them, unread."""

    def candidate(self, agent_id: UUID) -> tuple[AgentState, int]:
        """An agent who may take the ticket, and how many other tickets they hold."""
        agent = self._agent(as_id(agent_id))
        holding = self._holding(agent, self._view or self._desk.view())
        if self._view is not None and holding >= agent.state.capacity:
            holding = self._holding(agent, self._desk.view())
        return agent.state, holding

    def _holding(self, agent: Agent, view: DeskView) -> int:
        held = agent.state.holdings | view.workloads.held_by(agent.id)
        return len(held - {self._ticket_id})

    def handed_over(self, ticket: Ticket) -> list[Agent]:
        """Record the change of holder the command made on the agents' side; return them."""
        after = ticket.state.agent_id
        if after == self._before:
            return []
        changed = []
        for agent_id, change in ((self._before, Agent.stop_holding), (after, Agent.start_holding)):
            if agent_id is not None:
                agent = self._agent(agent_id)
                change(agent, self._ticket_id, at=ticket.state.last_at)
                changed.append(agent)
        return changed

    def _agent(self, agent_id: UUID) -> Agent:
        if agent_id not in self._agents:
            agent = self._desk._remembered_agent(agent_id) if self._remembered else None
            self.remembered_any |= agent is not None
            self._agents[agent_id] = agent or self._desk._load(Agent, agent_id)
        return self._agents[agent_id]


def _check_kinds(objs: Iterable[object], kinds: tuple[type, ...], what: str) -> None:
    """Raise :class:`InvalidValue` for an object of none of ``kinds``."""
    for obj in objs:
        if not isinstance(obj, kinds):
            msg = f"{what}, not {obj!r}"
            raise InvalidValue(msg)


def _check_settings(store: object, clock: object, sla: object, snapshot_interval: object) -> None:
    """Raise :class:`ConfigurationError` for a store, clock, SLA targets or snapshot interval
    of the wrong kind."""
    if not isinstance(store, MemoryStore | SQLiteStore | PostgresStore | str | None):
        msg = f"a store is store settings, a URL or None, not {store!r}"
        raise ConfigurationError(msg)
    if clock is not None and not callable(getattr(clock, "now", None)):
        msg = f"a clock has a now() method; {clock!r} has none"
        raise ConfigurationError(msg)
    if not isinstance(sla, SlaTargets | None):
        msg = f"sla is SlaTargets or None, not {sla!r}"
        raise ConfigurationError(msg)
    if snapshot_interval is not None and (
        type(snapshot_interval) is not int or snapshot_interval < 1
    ):
        msg = f"snapshot_interval is a positive integer or None, not {snapshot_interval!r}"
        raise ConfigurationError(msg)


def _duration(value: object, name: str) -> timedelta:
    """``value`` if it is a timedelta of zero or more; :class:`ConfigurationError` otherwise."""
    if not isinstance(value, timedelta) or value < timedelta(0):
        msg = f"{name} must be a timedelta of zero or more, not {value!r}"
        raise ConfigurationError(msg)
    return value


def _unavailable(store: MemoryStore | SQLiteStore | PostgresStore, error: Exception) -> str:
    """Why ``store`` could not be opened, in one line."""
    if isinstance(store, SQLiteStore) and store.must_exist and not store.path.exists():
        return f"no store at {store.url}: {store.path} does not exist"
    return f"cannot open {store.url}: {' '.join(str(error).split())}"
