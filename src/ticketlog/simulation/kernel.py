"""The columnar kernel: the engine's rules on integer indexes, microseconds and columns.

It runs the same model as :mod:`ticketlog.simulation.engine` — the same order of what
happens at an instant, the same pull rounds, the same wake-ups of idle agents by class —
on drawn tickets (:class:`~ticketlog.simulation.draws.Drawn`) held as columns: tickets and
agents are integer indexes, times integer microseconds after the start, a policy's order
a precomputed rank per ticket and its eligibility a table of verdicts per pair of classes.
As it runs it writes per-ticket outcome columns, from which the KPIs are computed
vectorised (:class:`~ticketlog.projections.columns.TicketColumns`); datetimes, UUIDs and
records are made only when a result's facts, workloads or backlog are read, by replaying
the run's log of happenings into a :class:`~ticketlog.simulation.desks.FastDesk` (the one
place the fast books are kept).

It runs a run when :func:`runs_columnar` says so: drawn arrivals, an empty desk, no SLA
escalator, calendar-time SLA targets, and a keyed policy whose key has a column form
(the built-in orderings but the SLA one, whose key moves with the ticket's clock) and
whose partition declares the ticket fields it reads (:attr:`ticket_fields`); any other
run goes to the engine.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from uuid import UUID

import numpy as np

from ticketlog.domain.events import AgentProfile
from ticketlog.policies.orderings import EasiestFirst, FixedEffort, MedianHandleTime, ValueFirst
from ticketlog.policies.protocol import PullPolicy
from ticketlog.policies.reads import KeyedPolicy, runs_fast
from ticketlog.projections.columns import MISSING, TicketColumns, microseconds, sla_verdicts
from ticketlog.projections.queues import QueuedTicket, by_arrival, by_priority, received
from ticketlog.projections.sla import SlaTargets
from ticketlog.projections.workloads import Workload
from ticketlog.simulation.desks import FastDesk
from ticketlog.simulation.draws import HANDOFFS, NONE, Drawn
from ticketlog.simulation.scenario import AgentSpec, Arrival, CsatModel

_DONE, _OFF, _ON, _REOPEN, _ARRIVAL, _PATIENCE = range(6)
"""What can happen at an instant, in the order it is handled (as in the engine)."""
_READY = -1
"""A pull turn of an agent who looks on their own (not with a woken class)."""
_STALLED = timedelta(days=8) // timedelta(microseconds=1)
"""As in the engine: with only shifts to come, a run ends after this long without progress."""
_FIELDS = frozenset(
    {
        "queue",
        "tier",
        "category",
        "channel",
        "language",
        "priority",
        "plan",
        "first_time",
        "required_skills",
    }
)
"""The record fields a ticket class may be drawn from (drawn tickets require no skills)."""

# The log of happenings, replayed into a FastDesk when the books are read.
RECEIVE, ASSIGN, HAND_OFF, RESOLVE, REOPEN, RATE, FORGET, ABANDON, PRESENCE = range(9)


def ticket_fields(policy: KeyedPolicy) -> frozenset[str] | None:
    """The record fields ``policy``'s partition reads (``None``: it does not say)."""
    fields = getattr(policy.partition, "ticket_fields", None)
    return fields if isinstance(fields, frozenset) else None


def column_key(key: object, drawn: Drawn) -> np.ndarray[Any, Any] | None:
    """The first element of ``key`` (an ordering) for each drawn ticket, as a column; the
    rest of every such key is the arrival time and the ticket id. ``None``: no column form."""
    n = len(drawn)
    if key is by_arrival:
        return np.zeros(n)
    if key is by_priority:
        return -np.asarray([p.rank for p in drawn.priorities])[drawn.priority]
    if isinstance(key, EasiestFirst) and isinstance(key.estimator, FixedEffort | MedianHandleTime):
        # Drawn tickets carry their work as their estimate, which both estimators return.
        received_at = (microseconds(drawn.start) + drawn.at) / 1e6
        return drawn.work / 1e6 + key.aging * received_at
    if isinstance(key, ValueFirst):
        plans = np.asarray([key.value(_Plan(plan)) for plan in drawn.plans])[drawn.plan]
        boost = np.where(drawn.first_time, key.first_time_boost, 0.0)
        return -((plans + drawn.customer_value) + boost)
    return None


def runs_columnar(policy: PullPolicy, drawn: object, *, sla: SlaTargets, escalates: bool) -> bool:
    """Whether the kernel runs this run (see the module docstring)."""
    if not isinstance(drawn, Drawn) or escalates or sla.calendar is not None:
        return False
    if not runs_fast(policy):
        return False
    assert isinstance(policy, KeyedPolicy)  # noqa: S101 - runs_fast checks it
    fields = ticket_fields(policy)
    if fields is None or not fields <= _FIELDS:
        return False
    return column_key(getattr(policy, "key", None), drawn) is not None


class _Plan(NamedTuple):
    """A customer of ``plan`` worth nothing more: what :meth:`ValueFirst.value` reads."""

    plan: str | None
    customer_value: float = 0.0
    first_time: bool = False


class Kernel:
    """One run on the columns (see the module docstring)."""

    def __init__(
        self,
        drawn: Drawn,
        specs: list[AgentSpec],
        policy: KeyedPolicy,
        *,
        start: datetime,
        sla: SlaTargets,
        csat: CsatModel | None,
    ) -> None:
        self.drawn, self.specs, self.policy, self.sla, self.csat = drawn, specs, policy, sla, csat
        self.start = start
        self.origin = microseconds(start)
        n = len(drawn)
        self.n = n
        keys = column_key(getattr(policy, "key", None), drawn)
        assert keys is not None  # noqa: S101 - runs_columnar checks it
        order = np.lexsort((np.arange(n), drawn.at, keys))
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        self.rank: list[int] = rank.tolist()
        self.at: list[int] = (drawn.at + (microseconds(drawn.start) - self.origin)).tolist()
        self.work: list[int] = drawn.work.tolist()
        self.handoff: list[int] = drawn.handoff.tolist()
        self.handoff_after: list[int] = drawn.handoff_after.tolist()
        self.reopen_after: list[int] = drawn.reopen_after.tolist()
        self.reopen_work: list[int] = drawn.reopen_work.tolist()
        self.patience: list[int] = drawn.patience.tolist()
        self.noise: list[float] = drawn.rating_noise.tolist()
        self.queue_names = ["general", *sorted(set(drawn.handoff_queues[1:]) - {"general"})]
        queue_code = {name: code for code, name in enumerate(self.queue_names)}
        self.handoff_queue = [queue_code.get(q, 0) for q in drawn.handoff_queues]
        self.top_tier = max((spec.profile.tier for spec in specs), default=0)
        self._classing(drawn)
        # Tickets' state.
        self.done = [0] * n
        self.first_assigned = [MISSING] * n
        self.first_agent = [-1] * n
        self.handed = [False] * n
        self.reopened = [False] * n
        self.holder = [-1] * n
        self.started = [0] * n
        self.spell = [0] * n
        self.queue = [0] * n
        self.tier = [1] * n
        self.alive = [False] * n
        # Outcome columns.
        self.resolved = [MISSING] * n
        self.resolver = [-1] * n
        self.resolutions = [0] * n
        self.abandoned = [MISSING] * n
        self.handle_time = [0] * n
        self.rating = [float("nan")] * n
        self.is_open = [False] * n
        # Agents' state.
        m = len(specs)
        self.free = [spec.profile.capacity for spec in specs]
        self.online = [False] * m
        # Waiting tickets: a heap per ticket class of (rank, entry, ticket).
        self.heaps: dict[int, list[tuple[int, int, int]]] = {}
        self.live: dict[int, tuple[int, int]] = {}
        self.entries = 0
        # The engine's agenda and its agents' turns.
        self.agenda: list[tuple[int, int, int, int, int]] = []
        self.scheduled = 0
        self.pending = 0
        self.waiting = 0
        self.ready: set[int] = set()
        self.idle: dict[int, set[int]] = {}
        self.woken: dict[int, set[int]] = {}
        self.idle_class: dict[int, int] = {}
        self.last_progress = 0
        self.now = 0
        self.last = 0
        self.log: list[tuple[int, ...]] = []

    def _classing(self, drawn: Drawn) -> None:
        """What classes tickets and agents fall in, and the policy's verdict per pair."""
        partition = self.policy.partition
        assert partition is not None  # noqa: S101 - runs_columnar checks it
        self.partition = partition
        fields = ticket_fields(self.policy) or frozenset()
        static = sorted(fields - {"queue", "tier", "required_skills"})
        columns = {
            "category": drawn.category,
            "channel": drawn.channel,
            "language": drawn.language,
            "priority": drawn.priority,
            "plan": drawn.plan,
            "first_time": drawn.first_time.astype(np.int64),
        }
        if static:
            stacked = np.stack([columns[name] for name in static], axis=1)
            _, codes = np.unique(stacked, axis=0, return_inverse=True)
            self.static: list[int] = codes.reshape(-1).tolist()
        else:
            self.static = [0] * len(drawn)
        self.class_of: dict[tuple[int, int, int], int] = {}
        """(static code, queue, tier) -> ticket class."""
        self.ticket_classes: dict[Hashable, int] = {}
        self.ticket_members: list[QueuedTicket] = []
        self.agent_class_of: dict[tuple[int, bool, int], int] = {}
        """(agent, online, holding) -> agent class."""
        self.agent_classes: dict[Hashable, int] = {}
        self.agent_members: list[Workload] = []
        self.verdicts: dict[tuple[int, int], bool] = {}

    def ticket_class(self, i: int) -> int:
        key = (self.static[i], self.queue[i], self.tier[i])
        kind = self.class_of.get(key)
        if kind is None:
            record = self.record(i)
            found = self.partition.ticket_class(record)
            kind = self.ticket_classes.get(found)
            if kind is None:
                kind = self.ticket_classes[found] = len(self.ticket_members)
                self.ticket_members.append(record)
            self.class_of[key] = kind
        return kind

    def record(self, i: int) -> QueuedTicket:
        """Ticket ``i``'s routing record as a desk would hold it while it waits."""
        arrival = self.drawn[i]
        attributes = arrival.attributes()
        attributes.update(queue=self.queue_names[self.queue[i]], tier=self.tier[i])
        return received(
            arrival.ticket_id,
            arrival.at,
            self.sla,
            required_skills=arrival.required_skills,
            customer_id=arrival.customer,
            estimated_effort=arrival.effort,
            **attributes,
        )

    def agent_class(self, a: int) -> int:
        spec = self.specs[a]
        holding = spec.profile.capacity - self.free[a]
        key = (a, self.online[a], holding)
        kind = self.agent_class_of.get(key)
        if kind is None:
            workload = _workload(spec, a, online=self.online[a], holding=holding)
            found = self.partition.agent_class(workload)
            kind = self.agent_classes.get(found)
            if kind is None:
                kind = self.agent_classes[found] = len(self.agent_members)
                self.agent_members.append(workload)
            self.agent_class_of[key] = kind
        return kind

    def verdict(self, agent_class: int, ticket_class: int) -> bool:
        verdict = self.verdicts.get((agent_class, ticket_class))
        if verdict is None:
            verdict = self.verdicts[agent_class, ticket_class] = self.policy.accepts(
                self.agent_members[agent_class], self.ticket_members[ticket_class]
            )
        return verdict

    # The waiting tickets' index (as WaitingTickets keeps it).

    def add(self, i: int) -> None:
        kind = self.ticket_class(i)
        self.entries += 1
        self.live[i] = kind, self.entries
        heap = self.heaps.get(kind)
        if heap is None:
            heap = self.heaps[kind] = []
        heapq.heappush(heap, (self.rank[i], self.entries, i))

    def remove(self, i: int) -> None:
        kind, _ = self.live.pop(i)
        heap, live = self.heaps[kind], self.live
        while heap and live.get(heap[0][2], (0, -1))[1] != heap[0][1]:
            heapq.heappop(heap)
        if not heap:
            del self.heaps[kind]

    def best_for(self, a: int) -> int:
        """The first waiting ticket in the policy's order that agent ``a`` may take (-1: none)."""
        if not self.online[a] or self.free[a] <= 0:
            return -1
        agent_class = self.agent_class(a)
        best: tuple[int, int, int] | None = None
        for kind, heap in self.heaps.items():
            head = heap[0]
            if best is not None and head >= best:
                continue
            if self.verdict(agent_class, kind):
                best = head
        return -1 if best is None else best[2]

    def classes_taking(self, i: int) -> list[int]:
        kind = self.live[i][0]
        return [c for c in self.idle if self.verdict(c, kind)]

    # The engine, on indexes.

    def schedule(self, at: int, kind: int, a: int, b: int = 0) -> None:
        self.scheduled += 1
        heapq.heappush(self.agenda, (at, kind, self.scheduled, a, b))
        if kind == _DONE or kind == _REOPEN:
            self.pending += 1

    def shift(self, a: int, after: int) -> tuple[int, int | None] | None:
        """Agent ``a``'s shift running at ``after`` or the next one, in microseconds."""
        rota = self.specs[a].rota
        if rota is None:
            return None
        shift = rota.next_shift(self.start + timedelta(microseconds=after))
        if shift is None:
            return None
        begin, end = shift
        us = timedelta(microseconds=1)
        return (begin - self.start) // us, None if end is None else (end - self.start) // us

    def run(self) -> int:
        for a, spec in enumerate(self.specs):
            shift = (0, None) if spec.rota is None else self.shift(a, 0)
            if shift is not None:
                self.schedule(shift[0], _ON, a, -1 if shift[1] is None else shift[1])
        at, agenda, total = self.at, self.agenda, self.n
        heappop = heapq.heappop
        following = 0
        while following < total or self.pending or (self.waiting and agenda):
            if (
                not self.pending
                and following == total
                and agenda[0][0] - self.last_progress > _STALLED
            ):
                break
            now = agenda[0][0] if agenda else at[following]
            if following < total and at[following] < now:
                now = at[following]
            self.now = now
            while agenda and agenda[0][0] == now and agenda[0][1] < _ARRIVAL:
                self.handle(heappop(agenda))
            while following < total and at[following] == now:
                self.receive(following)
                following += 1
            while agenda and agenda[0][0] == now:
                self.handle(heappop(agenda))
            if self.ready or self.woken:
                while self.ready or self.woken:
                    self.pull_round(now)
        return self.last

    def handle(self, entry: tuple[int, int, int, int, int]) -> None:
        now, kind, _, a, b = entry
        if kind == _DONE:
            self.pending -= 1
            self.finish(a, b, now)
        elif kind == _OFF:
            self.last = now
            self.shift_ends(a, now)
        elif kind == _ON:
            self.last = now
            self.shift_starts(a, None if b == -1 else b, now)
        elif kind == _REOPEN:
            self.pending -= 1
            self.last = now
            self.reopened[a], self.done[a], self.is_open[a] = True, 0, True
            self.log.append((REOPEN, a, now))
            self.add(a)
            self.enqueued(a)
        elif kind == _PATIENCE:
            if self.first_assigned[a] == MISSING and self.alive[a]:
                self.last = now
                self.remove(a)
                self.alive[a], self.is_open[a], self.abandoned[a] = False, False, now
                self.log.append((ABANDON, a, now))
                self.waiting -= 1

    def receive(self, i: int) -> None:
        now = self.at[i]
        self.last = now
        self.alive[i] = self.is_open[i] = True
        self.log.append((RECEIVE, i))
        self.add(i)
        if (patience := self.patience[i]) != NONE:
            self.schedule(now + patience, _PATIENCE, i)
        self.enqueued(i)

    def enqueued(self, i: int) -> None:
        self.waiting += 1
        self.last_progress = self.now
        if self.idle:
            for kind in self.classes_taking(i):
                self.woken.setdefault(kind, set()).update(self.idle.pop(kind))

    def rest(self, a: int) -> None:
        self.ready.discard(a)
        kind = self.agent_class(a)
        self.idle.setdefault(kind, set()).add(a)
        self.idle_class[a] = kind

    def unrest(self, a: int) -> None:
        kind = self.idle_class.pop(a, None)
        if kind is None:
            return
        for groups in (self.idle, self.woken):
            group = groups.get(kind)
            if group is not None and a in group:
                group.discard(a)
                if not group:
                    del groups[kind]

    def shift_starts(self, a: int, end: int | None, now: int) -> None:
        self.online[a] = True
        self.log.append((PRESENCE, a, True, now))
        if self.free[a]:
            self.ready.add(a)
        if end is not None:
            self.schedule(end, _OFF, a)

    def shift_ends(self, a: int, now: int) -> None:
        self.online[a] = False
        self.log.append((PRESENCE, a, False, now))
        self.ready.discard(a)
        self.unrest(a)
        shift = self.shift(a, now)
        if shift is not None:
            self.schedule(shift[0], _ON, a, -1 if shift[1] is None else shift[1])

    def pull_round(self, now: int) -> None:
        """One round of the engine's pull (see ``engine._Run.pull_round``)."""
        if not self.woken:
            self.ready_round(now)
            return
        if not self.ready and len(self.woken) == 1:
            self.woken_round(now)
            return
        groups, self.woken = self.woken, {}
        members = {kind: iter(sorted(group)) for kind, group in groups.items()}
        turns = [(a, _READY) for a in self.ready]
        turns += [(next(first), kind) for kind, first in members.items()]
        heapq.heapify(turns)
        while turns and self.waiting:
            a, kind = heapq.heappop(turns)
            i = self.best_for(a)
            if kind == _READY:
                if i < 0:
                    self.rest(a)
                else:
                    self.start_work(i, a, now)
                continue
            group = groups[kind]
            if i < 0:  # so would every other member of the class
                self.idle.setdefault(kind, set()).update(group)
                group.clear()
                continue
            group.discard(a)
            del self.idle_class[a]
            self.ready.add(a)
            self.start_work(i, a, now)
            successor = next(members[kind], None)
            if successor is not None:
                heapq.heappush(turns, (successor, kind))
        for a, kind in turns:
            if kind == _READY:
                self.rest(a)
        for kind, group in groups.items():
            if group:
                self.idle.setdefault(kind, set()).update(group)

    def ready_round(self, now: int) -> None:
        """A round without woken agents: each ready one in turn (the usual case)."""
        for a in sorted(self.ready):
            if not self.waiting:
                self.rest(a)
                continue
            i = self.best_for(a)
            if i < 0:
                self.rest(a)
            else:
                self.start_work(i, a, now)

    def woken_round(self, now: int) -> None:
        """A round of one woken class and no ready agent: its members in turn, until one
        finds nothing (so would the rest) or nothing waits."""
        ((kind, group),) = self.woken.items()
        self.woken = {}
        for a in sorted(group):
            if not self.waiting:
                break
            i = self.best_for(a)
            if i < 0:
                break
            group.discard(a)
            del self.idle_class[a]
            self.ready.add(a)
            self.start_work(i, a, now)
        if group:
            self.idle.setdefault(kind, set()).update(group)

    def start_work(self, i: int, a: int, now: int) -> None:
        self.remove(i)
        self.log.append((ASSIGN, i, a, now))
        self.waiting -= 1
        self.last_progress = self.last = now
        if self.first_assigned[i] == MISSING:
            self.first_assigned[i], self.first_agent[i] = now, a
        self.free[a] -= 1
        if not self.free[a]:
            self.ready.discard(a)
        self.holder[i], self.started[i] = a, now
        self.spell[i] += 1
        self.schedule(now + self.stop(i) - self.done[i], _DONE, i, self.spell[i])

    def stop(self, i: int) -> int:
        if self.reopened[i]:
            return self.reopen_work[i]
        if self.handoff[i] and not self.handed[i]:
            return self.handoff_after[i]
        return self.work[i]

    def release(self, a: int) -> None:
        self.free[a] += 1
        if self.online[a]:
            self.ready.add(a)
            self.unrest(a)

    def finish(self, i: int, spell: int, now: int) -> None:
        a = self.holder[i]
        if spell != self.spell[i] or a < 0:
            return
        self.last = now
        self.done[i] = self.stop(i)
        self.handle_time[i] += now - self.started[i]
        self.holder[i] = -1
        self.release(a)
        if self.handoff[i] and not self.handed[i] and not self.reopened[i]:
            self.handed[i] = True
            if HANDOFFS[self.handoff[i]] == "escalate":
                self.tier[i] = min(self.tier[i] + 1, self.top_tier)
            self.queue[i] = self.handoff_queue[self.handoff[i]]
            self.log.append((HAND_OFF, i, a, now, self.tier[i]))
            self.add(i)
            self.enqueued(i)
            return
        self.log.append((RESOLVE, i, a, now))
        self.resolved[i], self.resolver[i], self.is_open[i] = now, a, False
        self.resolutions[i] += 1
        if self.reopen_after[i] != NONE and not self.reopened[i]:
            self.schedule(now + self.reopen_after[i], _REOPEN, i)
            return
        noise = self.noise[i]
        if self.csat is not None and noise == noise:  # not nan: the customer rates
            us = timedelta(microseconds=1)
            arrived = self.at[i]
            score = self.csat.score(
                (self.first_assigned[i] - arrived) * us, (now - arrived) * us, noise
            )
            self.rating[i] = float(score)
            self.log.append((RATE, i, score, now))
        self.log.append((FORGET, i))
        self.alive[i] = False

    # The run's columns.

    def columns(self, now: int) -> TicketColumns:
        """The outcome columns of every ticket received, as of ``now`` (the run's end)."""
        origin, drawn = self.origin, self.drawn

        def instants(values: list[int]) -> np.ndarray[Any, np.dtype[np.int64]]:
            column = np.asarray(values, dtype=np.int64)
            return np.where(column == MISSING, MISSING, column + origin)

        received_at = np.asarray(self.at, dtype=np.int64) + origin
        first_assigned = instants(self.first_assigned)
        resolved = instants(self.resolved)
        abandoned = instants(self.abandoned)
        is_open = np.asarray(self.is_open, dtype=np.bool_)
        resolutions = np.asarray(self.resolutions, dtype=np.int64)
        handoff = np.asarray(self.handoff, dtype=np.int64)
        handed = np.asarray(self.handed, dtype=np.bool_)
        transfers = (handed & (handoff == HANDOFFS.index("transfer"))).astype(np.int64)
        escalations = (handed & (handoff == HANDOFFS.index("escalate"))).astype(np.int64)
        reopens = np.asarray(self.reopened, dtype=np.int64)
        first_agent = np.asarray(self.first_agent, dtype=np.int64)
        resolver = np.asarray(self.resolver, dtype=np.int64)
        fcr = (
            (resolutions > 0)
            & ~is_open
            & (resolver >= 0)
            & (resolver == first_agent)
            & (transfers == 0)
            & (escalations == 0)
            & (reopens == 0)
        )
        targets = self._targets(drawn)
        reply, resolution = sla_verdicts(
            received=received_at,
            first_response=first_assigned,
            resolved=resolved,
            abandoned=abandoned,
            is_open=is_open,
            resolutions=resolutions,
            first_reply_target=targets[0],
            resolution_target=targets[1],
            now=now + origin,
        )
        zeros = np.zeros(self.n, dtype=np.int64)
        return TicketColumns(
            received=received_at,
            first_assigned=first_assigned,
            first_response=first_assigned,
            resolved=resolved,
            abandoned=abandoned,
            handle=np.asarray(self.handle_time, dtype=np.int64),
            open=is_open,
            resolutions=resolutions,
            fcr=fcr,
            transfers=transfers,
            escalations=escalations,
            reopens=reopens,
            reassignments=zeros,
            deescalations=zeros,
            csat=np.asarray(self.rating, dtype=np.float64),
            nps=np.full(self.n, np.nan),
            reply_verdict=reply,
            resolution_verdict=resolution,
        )

    def _targets(self, drawn: Drawn) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Each ticket's first-reply and resolution targets, in microseconds."""
        us = timedelta(microseconds=1)
        shape = (len(drawn.priorities), len(drawn.categories))
        first, resolution = np.empty(shape, dtype=np.int64), np.empty(shape, dtype=np.int64)
        for p, priority in enumerate(drawn.priorities):
            for c, category in enumerate(drawn.categories):
                first[p, c] = self.sla.first_reply(priority, category) // us
                resolution[p, c] = self.sla.resolution(priority, category) // us
        return first[drawn.priority, drawn.category], resolution[drawn.priority, drawn.category]


def _workload(spec: AgentSpec, joined: int, *, online: bool, holding: int) -> Workload:
    """An agent's workload as a policy's partition sees it: profile, presence, holdings."""
    profile: AgentProfile = spec.profile
    return Workload(
        agent_id=spec.agent_id,
        name=spec.name,
        profile=profile,
        online=online,
        held=frozenset(UUID(int=k) for k in range(holding)),
        handled=0,
        handle_time=timedelta(0),
        online_time=timedelta(0),
        busy_time=timedelta(0),
        idle_since=None,
        last_assigned_at=None,
        last_assignment=0,
        joined=joined,
    )


def replay_books(kernel: Kernel) -> FastDesk:
    """The fast books of ``kernel``'s run: its log of happenings replayed into a
    :class:`~ticketlog.simulation.desks.FastDesk`."""
    desk = FastDesk(kernel.policy, kernel.sla)
    start, drawn = kernel.start, kernel.drawn
    ids = [spec.agent_id for spec in kernel.specs]
    us = timedelta(microseconds=1)
    for spec in kernel.specs:
        desk.join(spec, start)
    arrivals: dict[int, Arrival] = {}
    for happening in kernel.log:
        kind, i = happening[0], happening[1]
        if kind == RECEIVE:
            arrival = arrivals[i] = drawn[i]
            desk.receive(arrival)
        elif kind == ASSIGN:
            desk.assign(arrivals[i].ticket_id, ids[happening[2]], start + happening[3] * us)
        elif kind == HAND_OFF:
            at, tier = start + happening[3] * us, happening[4]
            desk.hand_off(arrivals[i].ticket_id, ids[happening[2]], arrivals[i], at, tier)
        elif kind == RESOLVE:
            desk.resolve(arrivals[i].ticket_id, ids[happening[2]], start + happening[3] * us)
        elif kind == REOPEN:
            desk.reopen(arrivals[i].ticket_id, start + happening[2] * us)
        elif kind == RATE:
            desk.rate(arrivals[i].ticket_id, happening[2], start + happening[3] * us)
        elif kind == FORGET:
            desk.forget(arrivals.pop(i).ticket_id)
        elif kind == ABANDON:
            desk.abandon(arrivals.pop(i).ticket_id, start + happening[2] * us)
        else:  # PRESENCE
            desk.presence(ids[i], bool(happening[2]), start + happening[3] * us)
    return desk
