"""A hypothesis state machine that drives a real desk next to the reference model.

:class:`DeskMachine` applies every command to a :class:`~ticketlog.desk.HelpDesk` and to
a :class:`~ticketlog.testing.model.DeskModel`, and fails as soon as they disagree: both
must accept, or both reject with the same exception class. After every step it checks
the invariants: no ticket is held by two agents, the desk's holdings match the tickets'
states, every ticket's status (holder, queue, tier, priority) matches the model, closed
tickets stay closed, and the log grew by exactly the events of the accepted commands.

Run it as a test case::

    from hypothesis import settings

    from ticketlog.testing.stateful import DeskMachine

    TestDesk = DeskMachine.TestCase
    TestDesk.settings = settings(max_examples=100, stateful_step_count=40, deadline=None)

Subclass it to drive your own desk (override :meth:`DeskMachine.make_desk`, e.g. for a
fresh SQLite file per run), to add rules of your own (use :meth:`DeskMachine.compare` so
desk and model stay in step), or to add invariants about your own policies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from itertools import count
from typing import Any, ClassVar
from uuid import UUID

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from ticketlog.clock import ManualClock
from ticketlog.desk import HelpDesk
from ticketlog.domain.errors import TicketlogError
from ticketlog.domain.values import (
    MAX_TIER,
    AssignedBy,
    Channel,
    Priority,
    TicketStatus,
)
from ticketlog.persistence.settings import MemoryStore
from ticketlog.testing.model import DeskModel
from ticketlog.testing.strategies import (
    LANGUAGES,
    QUEUES,
    SKILLS,
    TEAMS,
    AgentProfileArguments,
    TicketAttributes,
    agent_profiles,
    csat_scores,
    escalation_kinds,
    nps_scores,
    priorities,
    ticket_attributes,
)

__all__ = ["WAITS", "DeskMachine", "Step", "pick"]

Step = tuple[str, Callable[[], object], Callable[[], int]]
"""A command for :meth:`DeskMachine.compare`: its name, the desk's call, the model's call."""

WAITS = st.integers(min_value=0, max_value=3600)
"""Seconds the clock moves before each step (zero included: events at the same time)."""

# Tickets and agents drawn from overlapping, narrow alphabets, so that agents can often
# take tickets (escalations still push tickets out of their reach).
_LANGUAGES = LANGUAGES[:2]
_SKILLS = SKILLS[:2]
_TICKETS = ticket_attributes(languages=_LANGUAGES, skills=_SKILLS, max_tier=1)
_AGENTS = agent_profiles(languages=_LANGUAGES, skills=_SKILLS, max_tier=MAX_TIER)
_QUEUES = st.sampled_from(QUEUES)
_ASSIGNED_BY = st.sampled_from([by.value for by in AssignedBy])
_CODES = st.sampled_from(("solved", "workaround", "duplicate"))
_CLOSE_REASONS = st.sampled_from(("", "spam", "merged", "no reply"))
_MISUSED_IDS = (
    "close unknown ticket",
    "reopen unknown ticket",
    "abandon unknown ticket",
    "reprioritise unknown ticket",
    "assign to unknown agent",
    "transfer to unknown agent",
    "unknown agent goes online",
    "ticket goes offline",
    "receive with a taken id",
    "join with a ticket's id",
)
_PROFILE_CHANGES = st.fixed_dictionaries(
    {},
    optional={
        "team": st.sampled_from(TEAMS),
        "tier": st.integers(min_value=0, max_value=MAX_TIER),
        "capacity": st.integers(min_value=1, max_value=3),
        "skills": st.frozensets(st.sampled_from(_SKILLS)),
        "languages": st.frozensets(st.sampled_from(_LANGUAGES), min_size=1),
    },
)


def pick(steps: Sequence[Step], which: int) -> Step:
    """The step at position ``which``, spread evenly over the kinds (names) of steps first,
    so that a common kind (e.g. assignments to any of several agents) does not crowd out
    a rare one (e.g. the one resolved ticket's rating)."""
    names = list(dict.fromkeys(name for name, _, _ in steps))
    name = names[which % len(names)]
    of_that_name = [step for step in steps if step[0] == name]
    return of_that_name[which // len(names) % len(of_that_name)]


class DeskMachine(RuleBasedStateMachine):
    """Random command sequences on a real desk, checked step by step against the model.

    Each rule moves :attr:`clock` forward by a drawn number of seconds, then issues its
    command (or, for :meth:`follow_a_ticket`, a few) to both :attr:`desk` and
    :attr:`model` through :meth:`compare`. New tickets and agents are drawn from
    :mod:`ticketlog.testing.strategies` and kept in the :attr:`tickets` and
    :attr:`agents` bundles; closed tickets stay in the bundle, so commands keep being
    tried on them.
    """

    max_tickets: ClassVar[int] = 10
    """Stop receiving tickets after this many, so rules keep working on the same ones."""
    max_agents: ClassVar[int] = 4
    """Stop adding agents after this many."""
    start: ClassVar[datetime] = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    """Business time at which every run starts."""

    tickets = Bundle[UUID]("tickets")
    agents = Bundle[UUID]("agents")

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(self.start)
        self.model = self.make_model()
        self.desk = self.make_desk()
        self.expected_events = self.stored_events()
        """How many events the log should hold: its size at the start plus every event of
        every accepted command."""
        self._logged = self.expected_events
        self._log_position = max((position for position, _ in self.desk.read_log()), default=0)
        self._ids = count(1)

    # --- extension points ----------------------------------------------------------

    def make_desk(self) -> HelpDesk:
        """The desk under test: by default a fresh in-memory desk on :attr:`clock`.

        Override to test another store; the desk must use ``self.clock`` and should hold
        no tickets or agents of another run.
        """
        return HelpDesk(MemoryStore(), clock=self.clock)

    def make_model(self) -> DeskModel:
        """The reference model (override to extend it alongside new rules)."""
        return DeskModel()

    def teardown(self) -> None:
        """Close the desk's store."""
        self.desk.close()

    # --- helpers -------------------------------------------------------------------

    def stored_events(self) -> int:
        """How many events the desk's log holds."""
        return sum(1 for _ in self.desk.read_log())

    def new_id(self) -> UUID:
        """An id for a new ticket or agent: counted, so that a rerun (hypothesis replaying
        or shrinking a failure) gives everything the same ids, which id-hashing samplers
        and policies read."""
        return UUID(int=next(self._ids))

    def wait(self, seconds: int) -> None:
        """Let ``seconds`` of business time pass."""
        self.clock.advance(seconds=seconds)

    def compare(
        self, command: str, on_desk: Callable[[], object], on_model: Callable[[], int]
    ) -> bool:
        """Apply one command to desk and model; fail unless they agree.

        They agree when both accept it and the desk stored as many events as the model
        counts, or both reject it with the same exception class and the desk stored
        nothing. Returns whether the command was accepted.
        """
        desk_error: TicketlogError | None = None
        model_error: TicketlogError | None = None
        try:
            on_desk()
        except TicketlogError as error:
            desk_error = error
        try:
            new_events = on_model()
        except TicketlogError as error:
            model_error = error
        if desk_error is None and model_error is None:
            self.expected_events += new_events
            self._check_log(command, "accepted")
            event(f"{command}: accepted")
            return True
        if desk_error is None:
            msg = f"{command}: the desk accepted it, the model expected {model_error!r}"
            raise AssertionError(msg)
        if model_error is None:
            msg = f"{command}: the desk rejected it with {desk_error!r}, the model accepted it"
            raise AssertionError(msg)
        if type(desk_error) is not type(model_error):
            msg = (
                f"{command}: the desk rejected it with {desk_error!r}, "
                f"the model expected {model_error!r}"
            )
            raise AssertionError(msg)
        self._check_log(command, "rejected")
        event(f"{command}: {type(desk_error).__name__}")
        return False

    def _check_log(self, command: str, outcome: str) -> None:
        # Count only what was written since the last check: cheaper than a full read.
        for position, _ in self.desk.read_log(self._log_position):
            self._log_position = position
            self._logged += 1
        stored = self._logged
        if stored != self.expected_events:
            msg = (
                f"{command} ({outcome}): the log holds {stored} events, "
                f"{self.expected_events} expected"
            )
            raise AssertionError(msg)

    # --- arrivals ------------------------------------------------------------------

    @initialize(target=agents, profiles=st.lists(_AGENTS, min_size=1, max_size=3), seconds=WAITS)
    def first_agents(
        self, profiles: list[AgentProfileArguments], seconds: int
    ) -> MultipleResults[UUID]:
        """Every run starts with some agents..."""
        self.wait(seconds)
        return multiple(*(self._join_agent(profile) for profile in profiles))

    @initialize(target=tickets, batch=st.lists(_TICKETS, min_size=1, max_size=4), seconds=WAITS)
    def first_tickets(self, batch: list[TicketAttributes], seconds: int) -> MultipleResults[UUID]:
        """...and some tickets, so that every rule has something to work on."""
        self.wait(seconds)
        return multiple(*(self._receive(attributes) for attributes in batch))

    @precondition(lambda self: len(self.model.tickets) < self.max_tickets)
    @rule(target=tickets, batch=st.lists(_TICKETS, min_size=1, max_size=3), seconds=WAITS)
    def receive(self, batch: list[TicketAttributes], seconds: int) -> MultipleResults[UUID]:
        """Requests arrive (the strategies only draw valid ones: the desk must accept)."""
        self.wait(seconds)
        return multiple(*(self._receive(attributes) for attributes in batch))

    @precondition(lambda self: len(self.model.agents) < self.max_agents)
    @rule(target=agents, profile=_AGENTS, seconds=WAITS)
    def join_agent(self, profile: AgentProfileArguments, seconds: int) -> UUID:
        """An agent joins, online or not (the strategies only draw valid profiles)."""
        self.wait(seconds)
        return self._join_agent(profile)

    def _receive(self, attributes: TicketAttributes) -> UUID:
        ticket_id = self.desk.receive(ticket_id=self.new_id(), **attributes)
        self.expected_events += self.model.receive(ticket_id, **attributes)
        return ticket_id

    def _join_agent(self, profile: AgentProfileArguments) -> UUID:
        agent_id = self.desk.join_agent(agent_id=self.new_id(), **profile)
        self.expected_events += self.model.join_agent(agent_id, **profile)
        return agent_id

    # --- any command on any ticket and agent -----------------------------------------
    #
    # These rules draw tickets and agents at random, so many of their commands are
    # rejected: they check that desk and model reject the same commands the same way.

    @rule(ticket=tickets, agent=agents, by=_ASSIGNED_BY, seconds=WAITS)
    def assign(self, ticket: UUID, agent: UUID, by: str, seconds: int) -> None:
        """Someone gives a ticket to an agent."""
        self.wait(seconds)
        self.compare(
            "assign",
            lambda: self.desk.assign(ticket, agent, by=by),
            lambda: self.model.assign(ticket, agent),
        )

    @rule(
        ticket=tickets,
        agent=agents,
        action=st.sampled_from(("respond", "note", "resolve")),
        code=_CODES,
        seconds=WAITS,
    )
    def agent_works(self, ticket: UUID, agent: UUID, action: str, code: str, seconds: int) -> None:
        """An agent replies to the customer, adds an internal note, or resolves."""
        self.wait(seconds)
        self._work(ticket, agent, action, code, "")

    @rule(
        ticket=tickets,
        to_agent=st.none() | agents,
        to_queue=st.none() | _QUEUES,
        seconds=WAITS,
    )
    def transfer(
        self, ticket: UUID, to_agent: UUID | None, to_queue: str | None, seconds: int
    ) -> None:
        """A ticket moves to an agent and/or a queue (with no agent: it waits there)."""
        self.wait(seconds)
        self._transfer(ticket, to_agent, to_queue, "")

    @rule(
        ticket=tickets,
        kind=escalation_kinds(),
        to_tier=st.none() | st.integers(min_value=0, max_value=MAX_TIER + 1),
        to_queue=st.none() | _QUEUES,
        seconds=WAITS,
    )
    def escalate(
        self,
        ticket: UUID,
        kind: str,
        to_tier: int | None,
        to_queue: str | None,
        seconds: int,
    ) -> None:
        """A ticket moves up a tier (or not, or down: rejected) and/or to another queue."""
        self.wait(seconds)
        self.compare(
            "escalate",
            lambda: self.desk.escalate(ticket, kind=kind, to_tier=to_tier, to_queue=to_queue),
            lambda: self.model.escalate(ticket, kind=kind, to_tier=to_tier, to_queue=to_queue),
        )

    @rule(ticket=tickets, to_agent=agents, seconds=WAITS)
    def reassign(self, ticket: UUID, to_agent: UUID, seconds: int) -> None:
        """A ticket passes from its holder to someone else (or to them again: rejected)."""
        self.wait(seconds)
        self.compare(*self._reassign_step(ticket, to_agent, ""))

    @rule(ticket=tickets, agent=agents, seconds=WAITS)
    def release(self, ticket: UUID, agent: UUID, seconds: int) -> None:
        """An agent puts a ticket back in its queue (only its holder may)."""
        self.wait(seconds)
        self.compare(*self._release_step(ticket, agent, ""))

    @rule(
        ticket=tickets,
        to_tier=st.none() | st.integers(min_value=-1, max_value=MAX_TIER),
        to_queue=st.none() | _QUEUES,
        seconds=WAITS,
    )
    def deescalate(
        self, ticket: UUID, to_tier: int | None, to_queue: str | None, seconds: int
    ) -> None:
        """A ticket moves down a tier (or not, or up: rejected), perhaps to another queue."""
        self.wait(seconds)
        self.compare(
            "deescalate",
            lambda: self.desk.deescalate(ticket, to_tier=to_tier, to_queue=to_queue),
            lambda: self.model.deescalate(ticket, to_tier=to_tier, to_queue=to_queue),
        )

    @rule(
        ticket=tickets,
        action=st.sampled_from(("rate", "reopen", "abandon")),
        csat=st.none() | csat_scores() | st.sampled_from((0, 6)),
        nps=st.none() | nps_scores() | st.sampled_from((-1, 11)),
        seconds=WAITS,
    )
    def customer_acts(
        self, ticket: UUID, action: str, csat: int | None, nps: int | None, seconds: int
    ) -> None:
        """The customer rates (sometimes with no score, or one out of range), comes back,
        or gives up."""
        self.wait(seconds)
        self._customer(ticket, action, csat, nps, "")

    @rule(ticket=tickets, agent=agents, asks=st.booleans(), seconds=WAITS)
    def conversation(self, ticket: UUID, agent: UUID, asks: bool, seconds: int) -> None:
        """An agent waits on the customer (``asks``), or the customer writes."""
        self.wait(seconds)
        if asks:
            self.compare(
                "await",
                lambda: self.desk.await_customer(ticket, agent),
                lambda: self.model.await_customer(ticket, agent),
            )
        else:
            self.compare(
                "customer",
                lambda: self.desk.customer_replied(ticket),
                lambda: self.model.customer_replied(ticket),
            )

    @rule(ticket=tickets, reason=_CLOSE_REASONS, seconds=WAITS)
    def close_ticket(self, ticket: UUID, reason: str, seconds: int) -> None:
        """A ticket is closed for good."""
        self.wait(seconds)
        self.compare(
            "close",
            lambda: self.desk.close_ticket(ticket, reason=reason),
            lambda: self.model.close_ticket(ticket),
        )

    @rule(ticket=tickets, priority=priorities(), seconds=WAITS)
    def reprioritise(self, ticket: UUID, priority: str, seconds: int) -> None:
        """A ticket's priority changes (or is set to what it is: rejected)."""
        self.wait(seconds)
        self.compare(
            "reprioritise",
            lambda: self.desk.reprioritise(ticket, priority),
            lambda: self.model.reprioritise(ticket, priority),
        )

    @rule(agent=agents, changes=_PROFILE_CHANGES, seconds=WAITS)
    def change_agent(self, agent: UUID, changes: dict[str, Any], seconds: int) -> None:
        """An agent's profile changes (or is set to what it is: rejected)."""
        self.wait(seconds)
        self.compare(
            "change agent",
            lambda: self.desk.change_agent(agent, **changes),
            lambda: self.model.change_agent(agent, **changes),
        )

    @rule(agent=agents, online=st.booleans(), seconds=WAITS)
    def agent_presence(self, agent: UUID, online: bool, seconds: int) -> None:
        """An agent goes online or offline (or already is: rejected)."""
        self.wait(seconds)
        if online:
            self.compare(
                "go online",
                lambda: self.desk.go_online(agent),
                lambda: self.model.go_online(agent),
            )
        else:
            self.compare(
                "go offline",
                lambda: self.desk.go_offline(agent),
                lambda: self.model.go_offline(agent),
            )

    @rule(ticket=tickets, unknown=st.uuids(), command=st.sampled_from(_MISUSED_IDS), seconds=WAITS)
    def misuse_an_id(self, ticket: UUID, unknown: UUID, command: str, seconds: int) -> None:
        """A command names a ticket or agent that does not exist (a ticket's id is no
        agent's), or gives a new ticket or agent an id that is taken."""
        self.wait(seconds)
        desk, model = self.desk, self.model
        on_desk: dict[str, Callable[[], object]] = {
            "close unknown ticket": lambda: desk.close_ticket(unknown),
            "reopen unknown ticket": lambda: desk.reopen(unknown),
            "abandon unknown ticket": lambda: desk.abandon(unknown),
            "reprioritise unknown ticket": lambda: desk.reprioritise(unknown, Priority.HIGH),
            "assign to unknown agent": lambda: desk.assign(ticket, unknown),
            "transfer to unknown agent": lambda: desk.transfer(ticket, to_agent_id=unknown),
            "unknown agent goes online": lambda: desk.go_online(unknown),
            "ticket goes offline": lambda: desk.go_offline(ticket),
            "receive with a taken id": lambda: desk.receive(
                ticket_id=ticket, channel=Channel.EMAIL, customer_id="c-1"
            ),
            "join with a ticket's id": lambda: desk.join_agent("Eve", agent_id=ticket),
        }
        on_model: dict[str, Callable[[], int]] = {
            "close unknown ticket": lambda: model.close_ticket(unknown),
            "reopen unknown ticket": lambda: model.reopen(unknown),
            "abandon unknown ticket": lambda: model.abandon(unknown),
            "reprioritise unknown ticket": lambda: model.reprioritise(unknown, Priority.HIGH),
            "assign to unknown agent": lambda: model.assign(ticket, unknown),
            "transfer to unknown agent": lambda: model.transfer(ticket, to_agent_id=unknown),
            "unknown agent goes online": lambda: model.go_online(unknown),
            "ticket goes offline": lambda: model.go_offline(ticket),
            "receive with a taken id": lambda: model.receive(ticket),
            "join with a ticket's id": lambda: model.join_agent(ticket),
        }
        self.compare(command, on_desk[command], on_model[command])

    # --- steps that make progress, and near misses -------------------------------------
    #
    # Commands drawn at random are mostly rejected, so on their own they rarely take a
    # ticket far. These rules choose, by position in a list the model draws up, either
    # commands it expects to succeed (assign a waiting ticket to an agent who can take
    # it; the holder replies, notes or resolves; the customer rates or reopens, or the
    # resolved ticket is closed) or commands one rule away from succeeding. Desk and
    # model are still compared: the model only chooses the arguments.

    def next_steps(self, ticket_id: UUID) -> list[Step]:
        """Commands on the ticket that the model expects to succeed now: assign it to an
        agent who can take it; its holder replies, notes, resolves or releases it, or it
        is reassigned to someone who can take it; the customer rates
        the resolution or comes back; a rated resolution is closed."""
        ticket = self.model.tickets[ticket_id]
        if ticket.status is TicketStatus.WAITING:
            return [
                self._assign_step(ticket_id, agent_id, "next: ")
                for agent_id in self.model.agents
                if self.model.can_take(agent_id, ticket_id)
            ]
        if ticket.status is TicketStatus.ASSIGNED and ticket.holder is not None:
            return self._work_steps(ticket_id, ticket.holder, "next: holder ") + [
                self._reassign_step(ticket_id, agent_id, "next: ")
                for agent_id in self.model.agents
                if agent_id != ticket.holder and self.model.can_take(agent_id, ticket_id)
            ]
        if ticket.status is TicketStatus.RESOLVED and not ticket.rated:
            return [
                self._customer_step(ticket_id, "rate", 5, 9, "next: "),
                self._customer_step(ticket_id, "reopen", None, None, "next: "),
            ]
        if ticket.status is TicketStatus.RESOLVED:
            return [
                self._customer_step(ticket_id, "reopen", None, None, "next: "),
                self._customer_step(ticket_id, "close", None, None, "next: "),
            ]
        return []

    def near_misses(self, ticket_id: UUID) -> list[Step]:
        """Commands on the ticket one rule away from succeeding: an agent who cannot take
        it while it waits is given it; while assigned, it is assigned again or someone
        other than its holder works on it; once resolved, it is rated with no score, or
        rated again."""
        ticket = self.model.tickets[ticket_id]
        steps: list[Step] = []
        if ticket.status is TicketStatus.WAITING:
            for agent_id in self.model.agents:
                reason = self.model.why_not(agent_id, ticket_id)
                if reason is not None:
                    label = f"near miss ({reason.__name__}): "
                    steps.append(self._assign_step(ticket_id, agent_id, label))
        elif ticket.status is TicketStatus.ASSIGNED:
            for agent_id in self.model.agents:
                steps.append(self._assign_step(ticket_id, agent_id, "near miss: "))
                if agent_id != ticket.holder:
                    steps += self._work_steps(ticket_id, agent_id, "near miss: ")
        elif ticket.status is TicketStatus.RESOLVED:
            steps.append(
                self._customer_step(ticket_id, "rate", None, None, "near miss (no score): ")
            )
            if ticket.rated:
                steps.append(self._customer_step(ticket_id, "rate", 1, None, "near miss (again): "))
        return steps

    def open_tickets(self) -> list[UUID]:
        """Tickets still in play (waiting, assigned or resolved), oldest first."""
        return [
            ticket_id
            for ticket_id, ticket in self.model.tickets.items()
            if ticket.status in (TicketStatus.WAITING, TicketStatus.ASSIGNED, TicketStatus.RESOLVED)
        ]

    @precondition(lambda self: bool(self.open_tickets()))
    @rule(
        which=st.integers(min_value=0),
        moves=st.lists(
            st.tuples(st.sampled_from(("next", "next", "next", "miss")), st.integers(0)),
            min_size=1,
            max_size=8,
        ),
        seconds=WAITS,
    )
    def follow_a_ticket(self, which: int, moves: list[tuple[str, int]], seconds: int) -> None:
        """Take one ticket through a few of its :meth:`next_steps` (assigned, answered,
        resolved, rated, reopened...), trying one of its :meth:`near_misses` now and then
        (``"miss"`` moves)."""
        self.wait(seconds)
        candidates = self.open_tickets()
        ticket = candidates[which % len(candidates)]
        for kind, move in moves:
            steps = self.near_misses(ticket) if kind == "miss" else self.next_steps(ticket)
            if steps:
                self.compare(*pick(steps, move))

    def held_tickets(self) -> list[UUID]:
        """Tickets someone holds, as the model sees them (oldest first)."""
        return [tid for tid, ticket in self.model.tickets.items() if ticket.holder is not None]

    @precondition(lambda self: bool(self.held_tickets()))
    @rule(
        which=st.integers(min_value=0),
        to_agent=st.integers(min_value=0),
        to_queue=st.none() | _QUEUES,
        seconds=WAITS,
    )
    def hand_over_a_held_ticket(
        self, which: int, to_agent: int, to_queue: str | None, seconds: int
    ) -> None:
        """A held ticket goes to some agent (perhaps its holder, in another queue)."""
        self.wait(seconds)
        held = self.held_tickets()
        agents = list(self.model.agents)
        self._transfer(held[which % len(held)], agents[to_agent % len(agents)], to_queue, "held: ")

    # --- commands shared by several rules ----------------------------------------------

    def _work(self, ticket: UUID, agent: UUID, action: str, code: str, label: str) -> None:
        if action == "resolve":
            self.compare(
                f"{label}resolve",
                lambda: self.desk.resolve(ticket, agent, code=code),
                lambda: self.model.resolve(ticket, agent),
            )
        else:
            self.compare(
                f"{label}{action}",
                lambda: self.desk.respond(ticket, agent, public=action == "respond"),
                lambda: self.model.respond(ticket, agent),
            )

    def _transfer(
        self, ticket: UUID, to_agent: UUID | None, to_queue: str | None, label: str
    ) -> None:
        self.compare(
            f"{label}transfer to {'queue' if to_agent is None else 'agent'}",
            lambda: self.desk.transfer(ticket, to_agent_id=to_agent, to_queue=to_queue),
            lambda: self.model.transfer(ticket, to_agent_id=to_agent, to_queue=to_queue),
        )

    def _customer(
        self, ticket: UUID, action: str, csat: int | None, nps: int | None, label: str
    ) -> None:
        self.compare(*self._customer_step(ticket, action, csat, nps, label))

    def _assign_step(self, ticket: UUID, agent: UUID, label: str) -> Step:
        return (
            f"{label}assign",
            lambda: self.desk.assign(ticket, agent),
            lambda: self.model.assign(ticket, agent),
        )

    def _work_steps(self, ticket: UUID, agent: UUID, label: str) -> list[Step]:
        desk, model = self.desk, self.model
        return [
            (
                f"{label}respond",
                lambda: desk.respond(ticket, agent),
                lambda: model.respond(ticket, agent),
            ),
            (
                f"{label}note",
                lambda: desk.respond(ticket, agent, public=False),
                lambda: model.respond(ticket, agent),
            ),
            (
                f"{label}resolve",
                lambda: desk.resolve(ticket, agent),
                lambda: model.resolve(ticket, agent),
            ),
            self._release_step(ticket, agent, label),
        ]

    def _reassign_step(self, ticket: UUID, to_agent: UUID, label: str) -> Step:
        return (
            f"{label}reassign",
            lambda: self.desk.reassign(ticket, to_agent),
            lambda: self.model.reassign(ticket, to_agent),
        )

    def _release_step(self, ticket: UUID, agent: UUID, label: str) -> Step:
        return (
            f"{label}release",
            lambda: self.desk.release(ticket, agent),
            lambda: self.model.release(ticket, agent),
        )

    def _customer_step(
        self, ticket: UUID, action: str, csat: int | None, nps: int | None, label: str
    ) -> Step:
        desk, model = self.desk, self.model
        on_desk: dict[str, Callable[[], object]] = {
            "rate": lambda: desk.rate(ticket, csat=csat, nps=nps),
            "reopen": lambda: desk.reopen(ticket),
            "abandon": lambda: desk.abandon(ticket),
            "close": lambda: desk.close_ticket(ticket),
        }
        on_model: dict[str, Callable[[], int]] = {
            "rate": lambda: model.rate(ticket, csat=csat, nps=nps),
            "reopen": lambda: model.reopen(ticket),
            "abandon": lambda: model.abandon(ticket),
            "close": lambda: model.close_ticket(ticket),
        }
        return (f"{label}{action}", on_desk[action], on_model[action])

    # --- invariants ----------------------------------------------------------------

    @invariant()
    def the_log_holds_exactly_the_accepted_events(self) -> None:
        """Accepted commands stored their events; rejected ones stored nothing."""
        stored = self.stored_events()
        if stored != self.expected_events:
            msg = (
                f"the log holds {stored} events; "
                f"accepted commands account for {self.expected_events}"
            )
            raise AssertionError(msg)

    @invariant()
    def no_ticket_is_held_by_two_agents(self) -> None:
        """The agents' holdings are disjoint and agree with the tickets' holders, and each
        agent's own history says they hold what the tickets' events say."""
        holder_of: dict[UUID, UUID] = {}
        for agent_id in self.model.agents:
            held = self.desk.held_by(agent_id)
            if self.desk.agent(agent_id).holdings != held:
                msg = f"agent {agent_id}'s history disagrees with the tickets on what they hold"
                raise AssertionError(msg)
            for ticket_id in held:
                if ticket_id in holder_of:
                    msg = f"ticket {ticket_id} is held by {holder_of[ticket_id]} and {agent_id}"
                    raise AssertionError(msg)
                holder_of[ticket_id] = agent_id
        for ticket_id in self.model.tickets:
            holder = self.desk.ticket(ticket_id).agent_id
            if holder_of.get(ticket_id) != holder:
                msg = (
                    f"ticket {ticket_id} is held by {holder} by its state, "
                    f"by {holder_of.get(ticket_id)} by the desk's holdings"
                )
                raise AssertionError(msg)

    @invariant()
    def tickets_are_where_the_model_says(self) -> None:
        """Every ticket's status, holder, queue, tier and priority match the model."""
        for ticket_id, expected in self.model.tickets.items():
            state = self.desk.ticket(ticket_id)
            if expected.status is TicketStatus.CLOSED and state.status is not TicketStatus.CLOSED:
                msg = f"ticket {ticket_id} was closed and is now {state.status}"
                raise AssertionError(msg)
            actual = (state.status, state.agent_id, state.queue, state.tier, state.priority)
            wanted = (
                expected.status,
                expected.holder,
                expected.queue,
                expected.tier,
                expected.priority,
            )
            if actual != wanted:
                msg = (
                    f"ticket {ticket_id}: (status, holder, queue, tier, priority) is {actual}, "
                    f"the model says {wanted}"
                )
                raise AssertionError(msg)
            if state.status is TicketStatus.RESOLVED and state.rated != expected.rated:
                msg = f"ticket {ticket_id}: rated is {state.rated}, the model says {expected.rated}"
                raise AssertionError(msg)
            if state.is_open and state.awaiting_customer != expected.awaiting:
                msg = (
                    f"ticket {ticket_id}: awaiting the customer is {state.awaiting_customer}, "
                    f"the model says {expected.awaiting}"
                )
                raise AssertionError(msg)

    @invariant()
    def agents_are_as_the_model_says(self) -> None:
        """Every agent's availability and profile match the model."""
        for agent_id, expected in self.model.agents.items():
            state = self.desk.agent(agent_id)
            actual = (state.online, state.team, state.tier, state.capacity)
            actual_sets = (state.skills, state.languages)
            wanted = (expected.online, expected.team, expected.tier, expected.capacity)
            if actual != wanted or actual_sets != (expected.skills, expected.languages):
                msg = f"agent {agent_id} is {state}; the model says {expected}"
                raise AssertionError(msg)
