"""The discrete-event engine: a virtual clock driving ticketlog's own policies.

Time advances from one instant to the next. At each instant the engine handles, in this
order: work finishing (in the order it was started), shifts ending, shifts starting,
customers reopening, customers (or third parties) replying to a ticket awaiting them,
arrivals (in arrival order), customers whose patience ends (a
ticket nobody has taken yet is abandoned), the SLA escalator's tick (with an
:class:`~ticketlog.simulation.scenario.AutoEscalation`: tickets past a target move up
the path, held ones leave their agent with their work done so far), the policy's
appointments (below); and only then do the free agents pull, in rounds: each free agent
in joining order takes one ticket per round, until nobody can take more. Nothing is ever
decided at random: the same scenario, seed and policy give the same events.

Agents take tickets up to their capacity, except at a policy's **appointments**: a policy
that keeps them (:class:`KeepsAppointments`) names instants at which an agent with no
room takes a given ticket if it waits and the policy would give it to them with a room
of the appointment's size (:class:`Appointment`) — the as-recorded baseline's recorded
takings of several tickets at once (:mod:`ticketlog.simulation.fidelity`). The run
counts those takings past capacity (:attr:`SimulationResult.past_capacity`); such a
policy runs in either mode, never in the columnar kernel.

What happens to a ticket is drawn up front (:class:`~ticketlog.simulation.scenario.Arrival`):
its work content, whether the first agent passes it on midway (transfer or escalation,
after a drawn share of the work) — or, replayed, every step of its recorded journey
(:class:`~ticketlog.simulation.scenario.JourneyStep`: handoffs, handovers to a named
person, pauses awaiting the customer) —, whether the customer reopens it (and the work
that then remains), and whether and how they rate it (a CSAT model of wait and
resolution time). The agent answers the customer as they take the ticket, so the first
reply time is the wait. Unless an arrival carries its own estimate, a ticket's work content is also
its ``estimated_effort``: exact estimates, as shortest-job-first theory assumes. Agents
work up to their capacity at once; at the end of a shift they stop taking tickets and
finish the ones they hold.

A free agent who found nothing is asked again only once their own holdings change, or a
ticket joins the queues that the desk says agents of their class may take (in the fast
mode, by the policy's partition; in the full mode, any ticket): policies are assumed to
answer the same while nothing changes (every built-in does).

A run can start from a desk's state at its start instead of an empty desk
(``start_from``, :mod:`ticketlog.simulation.start`): the open tickets wait or stay with
their holders, the agents online then are online, and the arrivals after the start are
served; an agent's shift (their rota) then rules from the start on — one online off shift
goes offline, one off in a running shift comes online.

Two modes keep the books (:mod:`ticketlog.simulation.desks`): the full mode emits the
domain events into a :class:`~ticketlog.projections.view.DeskView` (they can be saved to
any store); the fast mode (``fast=True``) calls the same folds without events and gives
the same facts and KPIs several times faster. A fast run of drawn tickets whose policy
has a column form goes to the columnar kernel instead (:mod:`ticketlog.simulation.kernel`):
the same model again, on integer indexes and columns, ten times faster still.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

import attrs

from ticketlog.domain.errors import ConfigurationError
from ticketlog.domain.events import DomainEvent
from ticketlog.policies.escalation import missed, open_targets
from ticketlog.policies.protocol import PullPolicy
from ticketlog.policies.reads import KeyedPolicy, runs_fast
from ticketlog.projections.backlog import Backlog
from ticketlog.projections.base import collector_paused
from ticketlog.projections.columns import TicketColumns
from ticketlog.projections.facts import TicketFacts
from ticketlog.projections.kpis import Dimension, Kpis, compute_kpis, kpis_by, kpis_of
from ticketlog.projections.queues import QueuedTicket
from ticketlog.projections.sla import SlaTargets
from ticketlog.projections.sla_clock import NEVER, deadline
from ticketlog.projections.view import DeskView
from ticketlog.projections.workloads import Workload, Workloads
from ticketlog.simulation.desks import Desk, EventDesk, FastDesk
from ticketlog.simulation.draws import Drawn
from ticketlog.simulation.happenings import (
    APPOINTMENT,
    ARRIVAL,
    BREACH,
    DONE,
    OFF,
    ON,
    PATIENCE,
    REOPENS,
    REPLY,
    STALLED,
)
from ticketlog.simulation.kernel import Kernel, replay_books, runs_columnar
from ticketlog.simulation.scenario import (
    AgentSpec,
    Arrival,
    AutoEscalation,
    CsatModel,
    JourneyStep,
)
from ticketlog.simulation.start import Backlogged, Returning, StartState, start_state
from ticketlog.simulation.warmup import Warmup, after_warmup

_IN_PROGRESS = (DONE, REOPENS, REPLY)
"""What keeps a run going: work under way, reopens and replies to come."""
_READY: Hashable = object()
"""A pull turn of an agent who looks on their own (not with a woken class)."""


class Staffing(Protocol):
    """What a run needs besides its arrivals — who works from when, how customers rate,
    how the desk escalates: a :class:`Scenario`, or a trace of a recorded history."""

    @property
    def start(self) -> datetime:
        """When the agents join."""
        ...

    @property
    def csat(self) -> CsatModel | None:
        """How customers rate (``None``: they do not)."""
        ...

    @property
    def escalation(self) -> AutoEscalation | None:
        """Automatic escalation of missed SLA targets (``None``: none)."""
        ...

    def agent_specs(self) -> list[AgentSpec]:
        """The agents, in joining order."""
        ...


@attrs.frozen
class Appointment:
    """A taking a pull policy may make past the agent's capacity: at ``at``, if ``ticket_id``
    waits, ``agent_id`` is online, has no room and works fewer than ``room`` tickets, and
    the policy would give them the ticket were ``room`` their capacity, they take it."""

    at: datetime
    agent_id: UUID
    ticket_id: UUID
    room: int


@runtime_checkable
class KeepsAppointments(Protocol):
    """A pull policy that makes some takings past the agent's capacity, at set instants
    (the as-recorded baseline's, :func:`~ticketlog.simulation.fidelity.as_recorded`)."""

    def appointments(self) -> Iterable[Appointment]:
        """The appointments of a run, in any order."""
        ...

    def accepts(self, agent: Workload, ticket: QueuedTicket) -> bool:
        """Whether the policy would give ``ticket`` to ``agent``."""
        ...


@attrs.frozen
class Books:
    """What a run's books hold: every ticket's facts, the agents' workloads, the backlog."""

    facts: Sequence[TicketFacts]
    """Every ticket's facts; from a desk's state (``start_from``), those of the tickets open
    at the start and of those received after it."""
    workloads: Workloads
    backlog: Backlog


@attrs.frozen
class SimulationResult:
    """What a run produced: the facts of every ticket, the agents' workloads, the backlog,
    and in the full mode the events and the view they built.

    A run of the columnar kernel (:mod:`ticketlog.simulation.kernel`) keeps its tickets'
    outcomes as :attr:`columns` and makes the books (facts, workloads, backlog) the first
    time one of them is read."""

    sla: SlaTargets
    start: datetime
    end: datetime
    """The instant of the last thing that happened."""
    events: list[DomainEvent]
    """Every event, in order (empty in the fast modes)."""
    view: DeskView | None
    """The read models the events built (``None`` in the fast modes)."""
    keep_books: Callable[[], Books] = attrs.field(repr=False)
    """Makes the books (called once)."""
    columns: TicketColumns | None = attrs.field(default=None, repr=False)
    """Every ticket's outcomes as columns, when the columnar kernel ran (else ``None``)."""
    past_capacity: int = 0
    """Takings past the agent's capacity the policy's appointments made
    (:class:`KeepsAppointments`)."""
    _kept: list[Books] = attrs.field(factory=list, init=False, repr=False, eq=False)

    @property
    def books(self) -> Books:
        """The run's books (made on first use)."""
        if not self._kept:
            with collector_paused():
                self._kept.append(self.keep_books())
        return self._kept[0]

    @property
    def facts(self) -> Sequence[TicketFacts]:
        """Every ticket's facts (see :attr:`Books.facts`)."""
        return self.books.facts

    @property
    def workloads(self) -> Workloads:
        """The agents' workloads at the end."""
        return self.books.workloads

    @property
    def backlog(self) -> Backlog:
        """The backlog over the run."""
        return self.books.backlog

    def kpis(self, *, warmup: Warmup | None = None) -> Kpis:
        """The KPIs of the run as of its end, without the tickets of ``warmup`` (a number
        of first arrivals, or a duration from the start); raises
        :class:`~ticketlog.domain.errors.InvalidValue` for a negative or malformed one."""
        if self.columns is not None and warmup is None:
            return kpis_of(self.columns)
        return compute_kpis(
            after_warmup(self.facts, warmup, start=self.start), now=self.end, sla=self.sla
        )

    def kpis_by(self, by: Dimension | str, *, warmup: Warmup | None = None) -> dict[Hashable, Kpis]:
        """The KPIs per group of ``by`` as of the end, without the tickets of ``warmup``."""
        return kpis_by(
            after_warmup(self.facts, warmup, start=self.start), by, now=self.end, sla=self.sla
        )


@attrs.define(slots=True)
class _Ticket:
    """The engine's own record of a ticket: the work done, and what is still to come."""

    arrival: Arrival
    done: timedelta = timedelta(0)
    """Work done since the ticket was received (or reopened)."""
    first_assigned_at: datetime | None = None
    step: int = 0
    """The next step of its journey."""
    reopened: bool = False
    agent: _Agent | None = None
    """The holder, while held."""
    started: datetime | None = None
    """When the holder's current spell began."""
    spell: int = 0
    """Counts spells, so the end of an interrupted one is recognised and ignored."""
    check: datetime | None = None
    """When the escalator next looks at this ticket (``None``: never)."""
    paused: bool = False
    """Whether it awaits the customer."""
    resolved: bool = False
    """Whether it is resolved and its customer's reopen is still to come."""
    journey: tuple[JourneyStep, ...] = attrs.field(init=False)

    @journey.default
    def _journey(self) -> tuple[JourneyStep, ...]:
        return self.arrival.journey

    def next_step(self) -> JourneyStep | None:
        """The journey's next step, if it belongs to the current stage."""
        if self.step < len(self.journey):
            step = self.journey[self.step]
            if step.reopened == self.reopened:
                return step
        return None

    def stop(self) -> timedelta:
        """How much work is done at the next stop: the next step, or the end of the work."""
        step = self.next_step()
        if step is not None:
            return step.after
        return self.arrival.reopen_work if self.reopened else self.arrival.work


@attrs.define(slots=True)
class _Agent:
    spec: AgentSpec
    order: int
    free: int
    """Tickets the agent can still take."""
    online: bool = False


def simulate(
    staffing: Staffing,
    arrivals: Iterable[Arrival],
    policy: PullPolicy,
    *,
    sla: SlaTargets | None = None,
    fast: bool | None = False,
    start_from: DeskView | None = None,
) -> SimulationResult:
    """Serve ``arrivals`` with the agents of ``staffing`` pulling by ``policy``.

    ``fast=True`` keeps no events (see the module docstring); ``fast=None`` runs fast
    when :func:`~ticketlog.policies.reads.runs_fast` says the fast mode runs the policy
    exactly, in the event mode otherwise. ``fast=True`` with any other policy raises
    :class:`~ticketlog.domain.errors.ConfigurationError`.

    ``start_from``: the desk's view at ``staffing.start`` (e.g. ``desk.view_as_of(t)``), to
    continue from; ``arrivals`` then also give the open tickets' work (see
    :mod:`ticketlog.simulation.start`), and ``sla`` defaults to the view's (another one
    raises :class:`~ticketlog.domain.errors.ConfigurationError`). The result's facts are those
    of the tickets open at the start and received after it; its workloads, backlog and view
    continue the view's.
    """
    if start_from is not None:
        if sla is not None and sla != start_from.sla:
            msg = "a run from a desk's state keeps the view's SLA targets; pass none or the same"
            raise ConfigurationError(msg)
        sla = start_from.sla
    sla = SlaTargets() if sla is None else sla
    if fast is None:
        fast = runs_fast(policy)
    keeper = policy if isinstance(policy, KeepsAppointments) else None
    if fast and start_from is None and keeper is None and runs_columnar(policy, arrivals, sla=sla):
        return _columnar(staffing, arrivals, policy, sla)
    desk: Desk = FastDesk(policy, sla) if fast else EventDesk(policy, sla)
    state = None
    if start_from is not None:
        state = start_state(start_from, arrivals, at=staffing.start)
        desk.resume(state)
    run = _Run(
        desk, staffing, state.arrivals if state else sorted(arrivals, key=lambda a: a.at), keeper
    )
    with collector_paused():
        end = run.run(state)
    facts = list(desk.facts)
    if state is not None:
        backlog = state.ticket_ids
        facts = [f for f in facts if f.ticket_id in backlog or f.received_at > state.at]
    books = Books(facts=facts, workloads=desk.workloads, backlog=desk.backlog)
    return SimulationResult(
        sla=sla,
        start=staffing.start,
        end=end,
        events=desk.events if isinstance(desk, EventDesk) else [],
        view=desk.view if isinstance(desk, EventDesk) else None,
        keep_books=lambda: books,
        past_capacity=run.past_capacity,
    )


def columnar_kernel(
    staffing: Staffing, drawn: Iterable[Arrival], policy: PullPolicy, sla: SlaTargets
) -> Kernel:
    """The kernel of a columnar run of ``drawn`` under ``policy`` (which
    :func:`~ticketlog.simulation.kernel.runs_columnar` accepted), not yet run."""
    assert isinstance(policy, KeyedPolicy)  # noqa: S101 - runs_columnar checks it
    assert isinstance(drawn, Drawn)  # noqa: S101 - and this
    return Kernel(
        drawn,
        staffing.agent_specs(),
        policy,
        start=staffing.start,
        sla=sla,
        csat=staffing.csat,
        escalation=staffing.escalation,
    )


def _columnar(
    staffing: Staffing, drawn: Iterable[Arrival], policy: PullPolicy, sla: SlaTargets
) -> SimulationResult:
    """A run of the columnar kernel; its books are made from its log when read."""
    kernel = columnar_kernel(staffing, drawn, policy, sla)
    end = kernel.run()

    def keep_books() -> Books:
        desk = replay_books(kernel, policy)
        return Books(facts=list(desk.facts), workloads=desk.workloads, backlog=desk.backlog)

    return SimulationResult(
        sla=sla,
        start=staffing.start,
        end=staffing.start + timedelta(microseconds=end),
        events=[],
        view=None,
        keep_books=keep_books,
        columns=kernel.columns(end),
    )


class _Run:
    """One run: the agenda of what is to come, and the agents' and tickets' states."""

    def __init__(
        self,
        desk: Desk,
        staffing: Staffing,
        arrivals: list[Arrival],
        keeper: KeepsAppointments | None = None,
    ) -> None:
        self.desk = desk
        self.keeper = keeper
        """The policy, if it keeps appointments."""
        self.past_capacity = 0
        """Takings past the agent's capacity its appointments made."""
        self.csat = staffing.csat
        self.escalation = staffing.escalation
        self.path = None if self.escalation is None else self.escalation.steps()
        self.arrivals = arrivals
        self.start = staffing.start
        self.agenda: list[tuple[datetime, int, int, Any]] = []
        self.scheduled = 0
        self.pending = 0
        """Work under way and reopens to come."""
        self.tickets: dict[UUID, _Ticket] = {}
        self.waiting = 0
        self.agents = [
            _Agent(spec, order, spec.profile.capacity)
            for order, spec in enumerate(staffing.agent_specs())
        ]
        self.by_id = {agent.spec.agent_id: agent for agent in self.agents}
        self.top_tier = max((a.spec.profile.tier for a in self.agents), default=0)
        """Escalations go one tier up, but no higher than any agent works."""
        self.ready: set[int] = set()
        """Online agents with room who may find a ticket (by joining order)."""
        self.idle: dict[Hashable, set[int]] = {}
        """Online agents with room who found nothing since, by their class in the desk."""
        self.woken: dict[Hashable, set[int]] = {}
        """Idle agents woken by a ticket they may take, by class, until the next pull."""
        self.idle_class: dict[int, Hashable] = {}
        """Each idle or woken agent's class."""
        self.last_progress = self.start
        self.now = self.start
        self.last = self.start
        """When something last happened (a lapsing patience for a served ticket is nothing)."""

    def schedule(self, at: datetime, kind: int, payload: Any) -> None:
        self.scheduled += 1
        heapq.heappush(self.agenda, (at, kind, self.scheduled, payload))
        if kind in _IN_PROGRESS:
            self.pending += 1

    def run(self, state: StartState | None = None) -> datetime:
        if state is None:
            self.staff()
        else:
            self.take_over(state)
        if self.keeper is not None:
            for appointment in self.keeper.appointments():
                if appointment.at >= self.start:
                    self.schedule(appointment.at, APPOINTMENT, appointment)
        arrivals, agenda = self.arrivals, self.agenda
        next_arrival, total = 0, len(arrivals)
        while next_arrival < total or self.pending or (self.waiting and agenda):
            if (
                not self.pending
                and next_arrival == total
                and (agenda[0][0] - self.last_progress > STALLED)
            ):
                break
            now = agenda[0][0] if agenda else arrivals[next_arrival].at
            if next_arrival < total and arrivals[next_arrival].at < now:
                now = arrivals[next_arrival].at
            self.now = now
            while agenda and agenda[0][0] == now and agenda[0][1] < ARRIVAL:
                self.handle(heapq.heappop(agenda))
            while next_arrival < total and arrivals[next_arrival].at == now:
                self.receive(arrivals[next_arrival])
                next_arrival += 1
            while agenda and agenda[0][0] == now:
                self.handle(heapq.heappop(agenda))
            if self.ready or self.woken:
                self.pull(now)
        return self.last

    def staff(self) -> None:
        """An empty desk: every agent joins, and comes online when their shift starts."""
        for agent in self.agents:
            self.desk.join(agent.spec, self.start)
        for agent in self.agents:
            rota = agent.spec.rota
            shift = (self.start, None) if rota is None else rota.next_shift(self.start)
            if shift is not None:
                self.schedule(shift[0], ON, (agent, shift[1]))

    def take_over(self, state: StartState) -> None:
        """A desk's state at the start: its agents' presence and holdings, its open tickets;
        then the free agents pull, as at any instant."""
        known = set(self.desk.workloads.agent_ids())
        agents = {agent.spec.agent_id: agent for agent in self.agents}
        for agent in self.agents:
            agent_id = agent.spec.agent_id
            if agent_id not in known:
                self.desk.join(agent.spec, self.start)
            agent.online = agent_id in state.online
            agent.free -= len(self.desk.workloads.held_by(agent_id))
            self.resume_shift(agent, known=agent_id in known)
            if agent.online and agent.free > 0:
                self.ready.add(agent.order)
        for backlogged in state.backlog:
            self.take(backlogged, agents)
        for returning in state.returning:
            self.expect(returning)
        self.pull(self.start)

    def resume_shift(self, agent: _Agent, *, known: bool) -> None:
        """The agent's rota rules from the start (one without a rota stays as they are, or
        comes online if new)."""
        rota, start = agent.spec.rota, self.start
        if rota is None:
            if not known:
                self.shift_starts(agent, None, start)
            return
        shift = rota.next_shift(start)
        if shift is None or shift[0] > start:
            if agent.online:  # off shift: offline now, back at the next shift
                self.shift_ends(agent, start)
            elif shift is not None:
                self.schedule(shift[0], ON, (agent, shift[1]))
        elif agent.online:  # on shift already: it ends as planned
            if shift[1] is not None:
                self.schedule(shift[1], OFF, agent)
        else:
            self.shift_starts(agent, shift[1], start)

    def take(self, backlogged: Backlogged, agents: dict[UUID, _Agent]) -> None:
        """An open ticket of the desk: it waits, or its holder works on."""
        ticket = _Ticket(
            backlogged.arrival,
            first_assigned_at=backlogged.first_assigned_at,
            reopened=backlogged.reopened,
        )
        ticket.step = _steps_done(ticket, handed_off=backlogged.handed_off)
        ticket.done = min(backlogged.done, ticket.stop())
        arrival, start = ticket.arrival, self.start
        self.tickets[arrival.ticket_id] = ticket
        holder = backlogged.holder
        if holder is None:
            self.waiting += 1
            gives_up = None if arrival.patience is None else arrival.at + arrival.patience
            if ticket.first_assigned_at is None and gives_up is not None and gives_up > start:
                self.schedule(gives_up, PATIENCE, ticket)
        elif holder not in agents:
            msg = f"ticket {arrival.ticket_id} is held by agent {holder}, who is not staffed"
            raise ConfigurationError(msg)
        else:
            ticket.agent, ticket.started, ticket.spell = agents[holder], start, 1
            self.schedule(start + ticket.stop() - ticket.done, DONE, (ticket, ticket.spell))
        self.watch(ticket)

    def expect(self, returning: Returning) -> None:
        """A resolved ticket of the desk that its customer reopens after the start."""
        ticket = _Ticket(
            returning.arrival, first_assigned_at=returning.first_assigned_at, resolved=True
        )
        ticket.step = _steps_done(ticket, handed_off=returning.handed_off)
        self.tickets[returning.arrival.ticket_id] = ticket
        self.schedule(returning.reopens_at, REOPENS, ticket)

    def handle(self, entry: tuple[datetime, int, int, Any]) -> None:
        now, kind, _, payload = entry
        if kind in (OFF, ON, REOPENS):
            self.last = now
        if kind in _IN_PROGRESS:
            self.pending -= 1
        if kind == DONE:
            ticket, spell = payload
            self.finish(ticket, spell, now)
        elif kind == OFF:
            self.shift_ends(payload, now)
        elif kind == ON:
            agent, end = payload
            self.shift_starts(agent, end, now)
        elif kind == REOPENS:
            ticket = payload
            ticket.reopened, ticket.resolved, ticket.done = True, False, timedelta(0)
            self.desk.reopen(ticket.arrival.ticket_id, now)
            self.enqueued(ticket)
            self.watch(ticket)
        elif kind == REPLY:
            self.replied(payload, now)
        elif kind == PATIENCE:
            ticket = payload
            if (
                ticket.first_assigned_at is None
                and not ticket.paused
                and ticket.arrival.ticket_id in self.tickets
            ):
                self.last, ticket.check = now, None
                self.desk.abandon(ticket.arrival.ticket_id, now)
                del self.tickets[ticket.arrival.ticket_id]
                self.waiting -= 1
        elif kind == BREACH:
            ticket, at = payload
            if ticket.check == at:
                ticket.check = None
                self.escalate(ticket, now)
        elif kind == APPOINTMENT:
            self.keep(payload, now)

    def receive(self, arrival: Arrival) -> None:
        self.last = arrival.at
        ticket = _Ticket(arrival)
        self.tickets[arrival.ticket_id] = ticket
        self.desk.receive(arrival)
        if arrival.patience is not None:
            self.schedule(arrival.at + arrival.patience, PATIENCE, ticket)
        self.enqueued(ticket)
        if self.escalation is not None:
            self.watch(ticket)

    def watch(self, ticket: _Ticket) -> None:
        """Have the escalator look at the ticket at the first tick after its next deadline."""
        if self.escalation is None or self.path is None:  # no escalator configured
            return
        record = self.desk.record(ticket.arrival.ticket_id)
        if self.path.after(record.tier, record.queue) is None:
            ticket.check = None  # nowhere to go from here
            return
        deadlines = [deadline(record, target, self.desk.sla) for target in open_targets(record)]
        nearest = min((d for d in deadlines if d != NEVER), default=None)
        ticket.check = (
            None if nearest is None else self.escalation.first_tick(self.start, nearest, self.now)
        )
        if ticket.check is not None:
            self.schedule(ticket.check, BREACH, (ticket, ticket.check))

    def escalate(self, ticket: _Ticket, now: datetime) -> None:
        """The escalator's tick: a missed target moves the ticket up the path."""
        assert self.path is not None  # noqa: S101 - only scheduled with a path
        ticket_id = ticket.arrival.ticket_id
        record = self.desk.record(ticket_id)
        breach = missed(record, now, self.desk.sla)
        step = self.path.after(record.tier, record.queue)
        if breach is None or step is None:
            self.watch(ticket)
            return
        self.last = now
        agent = ticket.agent
        if agent is not None:  # taken from its agent: the work done so far stays done
            assert ticket.started is not None  # noqa: S101 - held tickets have a spell
            ticket.done += now - ticket.started
            ticket.agent, ticket.started = None, None
            ticket.spell += 1
            self.release(agent)
        self.desk.escalate(ticket_id, step, breach, now)
        if agent is not None:
            self.enqueued(ticket)
        else:  # still waiting, elsewhere: agents who found nothing may look again
            self.wake(ticket)
        self.watch(ticket)

    def enqueued(self, ticket: _Ticket) -> None:
        """A ticket joined the queues: it takes the steps of its journey taken while waiting
        (:attr:`JourneyStep.held` false, their work done), else agents who found nothing
        may look again."""
        self.waiting += 1
        self.last_progress = self.now
        step = ticket.next_step()
        if step is not None and not step.held and step.after <= ticket.done:
            ticket.step += 1
            self.take_step(ticket, step, self.now)
        else:
            self.wake(ticket)

    def take_step(self, ticket: _Ticket, step: JourneyStep, now: datetime) -> None:
        """The ticket takes ``step`` of its journey, held or waiting."""
        self.last = now
        if step.kind == "await":
            self.pause(ticket, step, now)
        elif step.agent_id is not None:
            self.hand_to(ticket, step.agent_id, step.queue, now)
        elif step.kind == "release" and ticket.agent is None:
            self.waiting -= 1  # it waits already: on with the journey
            self.enqueued(ticket)
        else:
            self.move(ticket, step, now)

    def move(self, ticket: _Ticket, step: JourneyStep, now: datetime) -> None:
        """The ticket leaves its holder (if any) to wait where ``step`` takes it."""
        ticket_id, agent = ticket.arrival.ticket_id, ticket.agent
        record = self.desk.record(ticket_id)
        kind, tier = step.kind, record.tier
        if kind == "escalate":
            tier = min(tier + 1, self.top_tier) if step.tier is None else step.tier
        elif kind == "deescalate" and step.tier is not None and step.tier < tier:
            tier = step.tier
        elif kind != "release":
            kind = "transfer"  # a de-escalation to no lower tier moves it only
        if agent is None:
            self.waiting -= 1
        else:
            self.let_go(ticket)
        holder = None if agent is None else agent.spec.agent_id
        queue = record.queue if kind == "release" else step.queue or record.queue
        self.desk.move(ticket_id, holder, kind, (queue, tier), now)
        self.enqueued(ticket)
        self.watch(ticket)

    def hand_to(self, ticket: _Ticket, agent_id: UUID, queue: str | None, now: datetime) -> None:
        """The ticket passes straight to ``agent_id`` (in ``queue``; ``None``: its own)."""
        ticket_id = ticket.arrival.ticket_id
        target = self.by_id.get(agent_id)
        if target is None:
            msg = f"ticket {ticket_id}'s journey hands it to agent {agent_id}, who is not staffed"
            raise ConfigurationError(msg)
        current = self.desk.record(ticket_id).queue
        queue = queue or current
        holder = ticket.agent
        if holder is target and queue == current:
            self.schedule(now + ticket.stop() - ticket.done, DONE, (ticket, ticket.spell))
            return
        if holder is None:
            self.waiting -= 1
        else:
            self.let_go(ticket)
        holder_id = None if holder is None else holder.spec.agent_id
        self.desk.hand_to(ticket_id, holder_id, target.spec.agent_id, queue, now)
        self.hold(ticket, target, now)

    def pause(self, ticket: _Ticket, step: JourneyStep, now: datetime) -> None:
        """The ticket awaits the customer for ``step.lasts``: no work, no SLA clock, no room
        taken in its holder's work; a waiting one cannot be taken meanwhile."""
        self.desk.await_customer(ticket.arrival.ticket_id, step.party, now)
        ticket.paused, ticket.check = True, None
        agent = ticket.agent
        if agent is None:
            self.waiting -= 1
        else:
            ticket.started = None
            self.release(agent)
        self.schedule(now + step.lasts, REPLY, ticket)

    def replied(self, ticket: _Ticket, now: datetime) -> None:
        """The customer wrote back: the holder works on, or the ticket waits again."""
        self.last = now
        ticket.paused = False
        self.desk.customer_replied(ticket.arrival.ticket_id, now)
        agent = ticket.agent
        if agent is None:
            self.enqueued(ticket)
        else:
            self.occupy(agent)
            ticket.started = now
            self.schedule(now + ticket.stop() - ticket.done, DONE, (ticket, ticket.spell))
        self.watch(ticket)

    def wake(self, ticket: _Ticket) -> None:
        """Idle agents of the classes that may take the waiting ``ticket`` look again, at
        the next pull (:attr:`woken`, still by class)."""
        for kind in self.desk.classes_taking(ticket.arrival.ticket_id, self.idle):
            self.woken.setdefault(kind, set()).update(self.idle.pop(kind))

    def rest(self, agent: _Agent, now: datetime) -> None:
        """The agent found nothing: idle until a ticket they may take joins."""
        self.ready.discard(agent.order)
        kind = self.desk.agent_class(agent.spec.agent_id, now)
        self.idle.setdefault(kind, set()).add(agent.order)
        self.idle_class[agent.order] = kind

    def unrest(self, agent: _Agent) -> None:
        """The agent is no longer idle or woken (their holdings or presence changed)."""
        if agent.order not in self.idle_class:
            return
        kind = self.idle_class.pop(agent.order)
        for groups in (self.idle, self.woken):
            group = groups.get(kind)
            if group is not None and agent.order in group:
                group.discard(agent.order)
                if not group:
                    del groups[kind]

    def shift_starts(self, agent: _Agent, end: datetime | None, now: datetime) -> None:
        agent.online = True
        self.desk.presence(agent.spec.agent_id, True, now)
        if agent.free > 0:
            self.ready.add(agent.order)
        if end is not None:
            self.schedule(end, OFF, agent)

    def shift_ends(self, agent: _Agent, now: datetime) -> None:
        agent.online = False
        self.desk.presence(agent.spec.agent_id, False, now)
        self.ready.discard(agent.order)
        self.unrest(agent)
        shift = None if agent.spec.rota is None else agent.spec.rota.next_shift(now)
        if shift is not None:
            self.schedule(shift[0], ON, (agent, shift[1]))

    def pull(self, now: datetime) -> None:
        """Free agents take tickets in rounds, one each per round, in joining order."""
        while self.ready or self.woken:
            self.pull_round(now)

    def pull_round(self, now: datetime) -> None:
        """One round: each ready agent, and each woken one, in joining order.

        Woken agents of a class would all get the same answer, so when one finds nothing
        the rest of the class rests again at once; agents without a class (``None``: the
        desk cannot tell) are asked one by one. A woken agent who takes a ticket is ready
        (their holdings changed). Once nothing waits, everyone still to ask rests."""
        agents, desk = self.agents, self.desk
        groups, self.woken = self.woken, {}
        members = {kind: iter(sorted(group)) for kind, group in groups.items()}
        turns: list[tuple[int, Hashable]] = [(order, _READY) for order in self.ready]
        turns += [(next(first), kind) for kind, first in members.items()]
        heapq.heapify(turns)
        while turns and self.waiting:
            order, kind = heapq.heappop(turns)
            agent = agents[order]
            ticket_id = desk.next_for(agent.spec.agent_id, now)
            if kind is _READY:
                if ticket_id is None:
                    self.rest(agent, now)
                else:
                    self.start_work(self.tickets[ticket_id], agent, now)
                continue
            group = groups[kind]
            if ticket_id is None and kind is not None:  # so would every other member get
                self.idle.setdefault(kind, set()).update(group)
                group.clear()
                continue
            group.discard(order)
            if ticket_id is None:
                self.idle.setdefault(kind, set()).add(order)
            else:
                del self.idle_class[order]
                self.ready.add(order)
                self.start_work(self.tickets[ticket_id], agent, now)
            following = next(members[kind], None)
            if following is not None:
                heapq.heappush(turns, (following, kind))
        for order, kind in turns:  # nothing waits: the rest of the round rests
            if kind is _READY:
                self.rest(agents[order], now)
        for kind, group in groups.items():
            if group:
                self.idle.setdefault(kind, set()).update(group)

    def keep(self, appointment: Appointment, now: datetime) -> None:
        """The appointment's agent takes its ticket past their capacity, if it waits and the
        policy would give it to them with the appointment's room (see :class:`Appointment`)."""
        assert self.keeper is not None  # noqa: S101 - only scheduled with a keeper
        agent = self.by_id.get(appointment.agent_id)
        ticket = self.tickets.get(appointment.ticket_id)
        if agent is None or not agent.online or agent.free > 0:
            return  # away, or the pull decides
        if ticket is None or ticket.agent is not None or ticket.paused or ticket.resolved:
            return  # it does not wait
        workload = self.desk.workloads.workload(agent.spec.agent_id, now=now)
        working = frozenset(t for t in workload.held if not self.tickets[t].paused)
        if len(working) >= appointment.room:
            return
        roomy = workload.profile.model_copy(update={"capacity": appointment.room})
        workload = attrs.evolve(workload, held=working, profile=roomy)
        if self.keeper.accepts(workload, self.desk.record(appointment.ticket_id)):
            self.past_capacity += 1
            self.start_work(ticket, agent, now)

    def start_work(self, ticket: _Ticket, agent: _Agent, now: datetime) -> None:
        self.desk.assign(ticket.arrival.ticket_id, agent.spec.agent_id, now)
        self.waiting -= 1
        self.hold(ticket, agent, now)

    def hold(self, ticket: _Ticket, agent: _Agent, now: datetime) -> None:
        """``agent`` holds the ticket from ``now`` and works it up to its next stop."""
        self.last_progress = self.last = now
        if ticket.first_assigned_at is None:
            ticket.first_assigned_at = now
        self.occupy(agent)
        ticket.agent, ticket.started = agent, now
        ticket.spell += 1
        self.schedule(now + ticket.stop() - ticket.done, DONE, (ticket, ticket.spell))
        if self.escalation is not None:
            self.watch(ticket)

    def occupy(self, agent: _Agent) -> None:
        """The agent works one more ticket (a ticket handed to them may take them past
        their capacity: they take no more until back under it)."""
        agent.free -= 1
        self.unrest(agent)
        if agent.free <= 0:
            self.ready.discard(agent.order)
        elif agent.online:
            self.ready.add(agent.order)

    def release(self, agent: _Agent) -> None:
        """The agent has room for one more ticket."""
        agent.free += 1
        if agent.online and agent.free > 0:
            self.ready.add(agent.order)
            self.unrest(agent)

    def let_go(self, ticket: _Ticket) -> None:
        """The holder no longer holds the ticket."""
        agent = ticket.agent
        assert agent is not None  # noqa: S101 - only held tickets are let go
        ticket.agent, ticket.started = None, None
        self.release(agent)

    def finish(self, ticket: _Ticket, spell: int, now: datetime) -> None:
        if spell != ticket.spell or ticket.agent is None:
            return  # the spell was cut short by an escalation
        arrival, desk, agent = ticket.arrival, self.desk, ticket.agent
        ticket_id, agent_id = arrival.ticket_id, agent.spec.agent_id
        self.last = now
        ticket.done = ticket.stop()
        step = ticket.next_step()
        if step is not None:
            ticket.step += 1
            self.take_step(ticket, step, now)
            return
        self.let_go(ticket)
        if ticket.reopened and arrival.reopen_closes:
            desk.close(ticket_id, agent_id, now)
        else:
            desk.resolve(ticket_id, agent_id, now)
        ticket.check = None
        if arrival.reopen_after is not None and not ticket.reopened:
            ticket.resolved = True
            self.schedule(now + arrival.reopen_after, REOPENS, ticket)
            return
        if self.csat is not None and arrival.rating_noise is not None:
            assert ticket.first_assigned_at is not None  # noqa: S101 - it was worked on
            score = self.csat.score(
                ticket.first_assigned_at - arrival.at, now - arrival.at, arrival.rating_noise
            )
            desk.rate(ticket_id, score, now)
        desk.forget(ticket_id)
        del self.tickets[ticket_id]


def _steps_done(ticket: _Ticket, *, handed_off: bool) -> int:
    """How many steps of its journey a ticket of a desk's state has taken: those before
    its reopen if it was reopened, else its drawn handoff if that happened."""
    if ticket.reopened:
        return sum(1 for step in ticket.journey if not step.reopened)
    return min(int(handed_off), len(ticket.journey))
