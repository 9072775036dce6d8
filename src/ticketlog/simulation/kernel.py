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
place the fast books are kept). The run loop itself is compiled from Cython
(:mod:`ticketlog.simulation._compiled`) when the package was installed with a C compiler,
and interpreted otherwise (:meth:`Kernel.run_interpreted`): the same steps, kept equal by
a property test; the vocabulary both share with the engine is
:mod:`ticketlog.simulation.happenings`.

It runs a run when :func:`runs_columnar` says so: drawn arrivals, an empty desk,
calendar-time SLA targets, and a keyed policy whose key has a column form
(the built-in orderings but the SLA one, whose key moves with the ticket's clock) and
whose partition declares the ticket fields it reads (:attr:`ticket_fields`); any other
run goes to the engine.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import Any, cast
from uuid import UUID

import numpy as np
import numpy.typing as npt

from ticketlog.domain.events import AgentProfile
from ticketlog.domain.values import SlaTarget
from ticketlog.policies.escalation import Step
from ticketlog.policies.orderings import EasiestFirst, FixedEffort, MedianHandleTime, ValueFirst
from ticketlog.policies.protocol import PullPolicy
from ticketlog.policies.reads import KeyedPolicy, runs_fast
from ticketlog.projections.columns import MISSING, TicketColumns, microseconds, sla_verdicts
from ticketlog.projections.queues import QueuedTicket, by_arrival, by_priority
from ticketlog.projections.sla import SlaTargets
from ticketlog.projections.workloads import Workload
from ticketlog.simulation.desks import FastDesk, record_of
from ticketlog.simulation.draws import HANDOFFS, NONE, Drawn
from ticketlog.simulation.happenings import (
    ABANDON,
    ARRIVAL,
    ASSIGN,
    BREACH,
    DONE,
    ESCALATE,
    FIELDS,
    FORGET,
    HAND_OFF,
    NEVER,
    OFF,
    ON,
    PATIENCE,
    PRESENCE,
    RATE,
    READY,
    RECEIVE,
    REOPEN,
    REOPENS,
    RESOLVE,
    STALLED,
)
from ticketlog.simulation.scenario import AgentSpec, Arrival, AutoEscalation, CsatModel

compiled_run: Callable[[Kernel], int] | None
"""The compiled loop (``None``: installed without a C compiler, the loop runs interpreted)."""
try:
    from ticketlog.simulation._compiled import run as compiled_run
except ImportError:
    compiled_run = None

_US = timedelta(microseconds=1)
_STALLED = STALLED // _US
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

_TARGETS = tuple(SlaTarget)
"""The SLA targets in the order the escalator watches them (bit ``1 << n`` of a mark)."""
_BOTH, _RESOLUTION_ONLY = (0, 1), (1,)


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
        plans = np.asarray([key.plan_value(plan) for plan in drawn.plans])[drawn.plan]
        boost = np.where(drawn.first_time, key.first_time_boost, 0.0)
        return -((plans + drawn.customer_value) + boost)
    return None


def runs_columnar(policy: PullPolicy, drawn: object, *, sla: SlaTargets) -> bool:
    """Whether the kernel runs this run (see the module docstring)."""
    if not isinstance(drawn, Drawn) or sla.calendar is not None:
        return False
    if not isinstance(policy, KeyedPolicy) or not runs_fast(policy):
        return False  # a staged policy (team-queues) runs in the engine
    fields = ticket_fields(policy)
    if fields is None or not fields <= _FIELDS:
        return False
    return column_key(getattr(policy, "key", None), drawn) is not None


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
        escalation: AutoEscalation | None,
    ) -> None:
        self.drawn, self.specs, self.policy, self.sla, self.csat = drawn, specs, policy, sla, csat
        self.escalation = escalation
        self.start = start
        self.origin = microseconds(start)
        n = len(drawn)
        self.n = n
        keys = column_key(getattr(policy, "key", None), drawn)
        assert keys is not None  # noqa: S101 - runs_columnar checks it
        order = np.lexsort((np.arange(n), drawn.at, keys))
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        # The drawn columns, read in place (a memoryview's items are Python numbers).
        self.rank = _view(rank)
        self.at = _view(drawn.at + (microseconds(drawn.start) - self.origin))
        self.work = _view(drawn.work)
        self.handoff = _view(drawn.handoff)
        self.handoff_after = _view(drawn.handoff_after)
        self.reopen_after = _view(drawn.reopen_after)
        self.reopen_work = _view(drawn.reopen_work)
        self.patience = _view(drawn.patience)
        self.noise = _floats(drawn.rating_noise)
        path = () if escalation is None else escalation.path
        queues = {*drawn.handoff_queues[1:], *(queue for _, queue in path)} - {"general"}
        self.queue_names = ["general", *sorted(queues)]
        queue_code = {name: code for code, name in enumerate(self.queue_names)}
        self.handoff_queue = [queue_code.get(q, 0) for q in drawn.handoff_queues]
        self.top_tier = max((spec.profile.tier for spec in specs), default=0)
        self._classing(drawn)
        self.targets = self._targets(drawn)
        """Each ticket's first-reply and resolution targets (microseconds)."""
        self._tickets_state(n)
        self.log = array("q")
        """What happened, in order, each happening its kind and then its :data:`FIELDS`
        (replayed into the books when they are read)."""

    def _tickets_state(self, n: int) -> None:
        """Every ticket's state, and its outcome columns, as typed arrays by ticket index
        (eight bytes an integer, one a flag: a million tickets fit in little memory)."""

        def ints(value: int) -> array[int]:
            return array("q", [value]) * n

        self.done, self.first_assigned, self.first_agent = ints(0), ints(MISSING), ints(-1)
        self.handed, self.reopened, self.alive = bytearray(n), bytearray(n), bytearray(n)
        self.holder, self.started, self.spell = ints(-1), ints(0), ints(0)
        self.queue, self.tier = ints(0), ints(1)
        self.kind = self._first_classes()
        """Each ticket's class, while its queue and tier stay (-1: to be found)."""
        # Outcome columns.
        self.resolved, self.resolver, self.resolutions = ints(MISSING), ints(-1), ints(0)
        self.abandoned, self.handle_time, self.escalations = ints(MISSING), ints(0), ints(0)
        """(``escalations``: automatic escalations.)"""
        self.rating = array("d", [math.nan]) * n
        self.is_open = bytearray(n)

    def _classing(self, drawn: Drawn) -> None:
        """What classes tickets and agents fall in, and the policy's verdict per pair."""
        partition = self.policy.partition
        assert partition is not None  # noqa: S101 - runs_columnar checks it
        self.partition = partition
        fields = ticket_fields(self.policy) or frozenset()
        static = sorted(fields - {"queue", "tier", "required_skills"})
        columns = {  # each field's codes, and how many codes it has
            "category": (drawn.category, len(drawn.categories)),
            "channel": (drawn.channel, len(drawn.channels)),
            "language": (drawn.language, len(drawn.languages)),
            "priority": (drawn.priority, len(drawn.priorities)),
            "plan": (drawn.plan, len(drawn.plans)),
            "first_time": (drawn.first_time.astype(np.int64), 2),
        }
        code = np.zeros(len(drawn), dtype=np.int64)
        for name in static:  # the fields' codes as the digits of one number
            digits, base = columns[name]
            code = code * base + digits
        self.static_codes = code
        """Each ticket's static code: the same code, the same values of the fields read."""
        self.static: list[int] = code.tolist()
        """:attr:`static_codes` as Python integers, read one by one."""
        self.class_of: dict[tuple[int, int, int], int] = {}
        """(static code, queue, tier) -> ticket class."""
        self.ticket_classes: dict[Hashable, int] = {}
        self.ticket_members: list[QueuedTicket] = []
        self.agent_class_of: dict[tuple[int, int], int] = {}
        """(agent, free slots) -> agent class, of online agents."""
        self.agent_classes: dict[Hashable, int] = {}
        self.agent_members: list[Workload] = []
        self.verdicts: list[dict[int, bool]] = []
        """The policy's verdict per agent class, per ticket class."""

    def _first_classes(self) -> array[int]:
        """Each ticket's class as received (in the first queue, at tier 1): each class
        found from its first ticket, in order of arrival."""
        codes, first, inverse = np.unique(self.static_codes, return_index=True, return_inverse=True)
        kinds = np.empty(len(codes), dtype=np.int64)
        for j in np.argsort(first):  # the codes in order of their first ticket
            kinds[j] = self.ticket_class(int(first[j]))
        return array("q", kinds[inverse].tobytes())

    def ticket_class(self, i: int) -> int:
        """Ticket ``i``'s class in its current queue and tier."""
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
        record = record_of(self.drawn[i], self.sla)
        return record._replace(queue=self.queue_names[self.queue[i]], tier=self.tier[i])

    def agent_class(self, a: int, free: int) -> int:
        """Agent ``a``'s class when online with ``free`` more tickets they can take (an
        online agent's class depends on nothing else)."""
        key = (a, free)
        kind = self.agent_class_of.get(key)
        if kind is None:
            spec = self.specs[a]
            workload = _workload(spec, a, online=True, holding=spec.profile.capacity - free)
            found = self.partition.agent_class(workload)
            kind = self.agent_classes.setdefault(found, len(self.agent_members))
            if kind == len(self.agent_members):
                self.agent_members.append(workload)
                self.verdicts.append({})
            self.agent_class_of[key] = kind
        return kind

    def verdict(self, agent_class: int, ticket_class: int) -> bool:
        verdicts = self.verdicts[agent_class]
        verdict = verdicts.get(ticket_class)
        if verdict is None:
            verdict = verdicts[ticket_class] = self.policy.accepts(
                self.agent_members[agent_class], self.ticket_members[ticket_class]
            )
        return verdict

    def _steps(self) -> Callable[[int, int], tuple[int, int] | None]:
        """Where the escalator moves a ticket at (tier, queue code): (tier, queue code)."""
        if self.escalation is None:
            return lambda tier, queue: None
        path, names = self.escalation.steps(), self.queue_names
        codes = {name: code for code, name in enumerate(names)}
        found: dict[tuple[int, int], tuple[int, int] | None] = {}

        def after(tier: int, queue: int) -> tuple[int, int] | None:
            if (tier, queue) not in found:
                step = path.after(tier, names[queue])
                found[tier, queue] = None if step is None else (step.tier, codes[step.queue])
            return found[tier, queue]

        return after

    def shift(self, a: int, after: int) -> tuple[int, int] | None:
        """Agent ``a``'s shift running at ``after`` or the next one, in microseconds (its
        end -1 when the agent then stays online); ``None``: no more shifts."""
        rota = self.specs[a].rota
        shift = (self.start, None) if rota is None else rota.next_shift(self.start + after * _US)
        if shift is None:
            return None
        begin, end = shift
        return (begin - self.start) // _US, -1 if end is None else (end - self.start) // _US

    def run(self) -> int:
        """Serve every ticket; the instant (microseconds) of the last thing that happened.

        The loop runs compiled (:mod:`ticketlog.simulation._compiled`, built from Cython
        when the package is installed with a C compiler) or, without it, interpreted
        (:meth:`run_interpreted`): the same steps, the same log and columns."""
        return self.run_interpreted() if compiled_run is None else compiled_run(self)

    def run_interpreted(self) -> int:  # noqa: PLR0915 - one loop, its steps as closures
        """:meth:`run` in Python. The engine's steps (see
        :class:`ticketlog.simulation.engine._Run`) are closures over local lists, for speed:
        each step reads as the engine's method of the same name."""
        at, work, rank, kinds = self.at, self.work, self.rank, self.kind
        handoff, handoff_after, handoff_queue = self.handoff, self.handoff_after, self.handoff_queue
        reopen_after, reopen_work, patience, noise = (
            self.reopen_after, self.reopen_work, self.patience, self.noise,
        )  # fmt: skip
        done, first_assigned, first_agent = self.done, self.first_assigned, self.first_agent
        handed, reopened, holder, started = self.handed, self.reopened, self.holder, self.started
        spells, queue, tier, alive = self.spell, self.queue, self.tier, self.alive
        resolved, resolver, resolutions = self.resolved, self.resolver, self.resolutions
        abandoned, handle_time, rating, is_open = (
            self.abandoned, self.handle_time, self.rating, self.is_open,
        )  # fmt: skip
        verdicts = self.verdicts
        free = [spec.profile.capacity for spec in self.specs]
        online = [False] * len(self.specs)
        # Each online agent's class by how many more tickets they can take (-1: to be found).
        on_duty = [[-1] * (spec.profile.capacity + 1) for spec in self.specs]
        heaps: dict[int, list[tuple[int, int, int]]] = {}
        live: dict[int, tuple[int, int]] = {}
        agenda: list[tuple[int, int, int, int, int]] = []
        ready: set[int] = set()
        idle: dict[int, set[int]] = {}
        woken: dict[int, set[int]] = {}
        idle_class: dict[int, int] = {}
        log = self.log.extend
        ticket_class, agent_class, verdict = self.ticket_class, self.agent_class, self.verdict
        csat, top_tier, escalate = self.csat, self.top_tier, HANDOFFS.index("escalate")
        push, pop = heapq.heappush, heapq.heappop
        waiting = pending = scheduled = entries = 0
        last = last_progress = now = 0
        escalator, escalations = self.escalation, self.escalations
        every = 0 if escalator is None else timedelta(minutes=escalator.every_minutes) // _US
        steps = self._steps()
        # Per target, per ticket: received + target (calendar time, no pauses).
        deadlines = [_view(np.asarray(self.at) + target) for target in self.targets]
        marks = bytearray(self.n)
        """The targets whose miss was escalated (bits by :data:`_TARGETS`)."""
        check = array("q", [-1]) * self.n
        """When the escalator next looks at each ticket (-1: never)."""

        def schedule(when: int, kind: int, a: int, b: int = 0) -> None:
            nonlocal scheduled, pending
            scheduled += 1
            push(agenda, (when, kind, scheduled, a, b))
            if kind in (DONE, REOPENS):
                pending += 1

        def add(i: int) -> None:
            """Ticket ``i`` waits (the index of WaitingTickets)."""
            nonlocal entries
            kind = kinds[i]
            if kind < 0:
                kind = kinds[i] = ticket_class(i)
            entries += 1
            live[i] = kind, entries
            heap = heaps.get(kind)
            if heap is None:
                heap = heaps[kind] = []
            push(heap, (rank[i], entries, i))

        def remove(i: int) -> None:
            kind = live.pop(i)[0]
            heap = heaps[kind]
            while heap and live.get(heap[0][2], (0, -1))[1] != heap[0][1]:
                pop(heap)
            if not heap:
                del heaps[kind]

        def class_of(a: int) -> int:
            """The class of ``a``, who is online."""
            kind = on_duty[a][free[a]]
            if kind < 0:
                kind = on_duty[a][free[a]] = agent_class(a, free[a])
            return kind

        def accepts(agent: int, kind: int) -> bool:
            found = verdicts[agent].get(kind)
            return verdict(agent, kind) if found is None else found

        def best_for(a: int) -> int:
            """The first waiting ticket in the policy's order that ``a`` may take (-1: none)."""
            if not online[a] or free[a] <= 0:
                return -1
            agent = class_of(a)
            if len(heaps) == 1:  # one class of tickets waits: its head, or nothing
                for kind, heap in heaps.items():
                    taken = verdicts[agent].get(kind)
                    if taken is None:
                        taken = verdict(agent, kind)
                    return heap[0][2] if taken else -1
            best: tuple[int, int, int] | None = None
            for kind, heap in heaps.items():
                head = heap[0]
                if (best is None or head < best) and accepts(agent, kind):
                    best = head
            return -1 if best is None else best[2]

        def enqueued(i: int) -> None:
            nonlocal waiting, last_progress
            waiting += 1
            last_progress = now
            if idle:
                wake(i)

        def wake(i: int) -> None:
            """Idle agents of the classes that may take the waiting ticket look again."""
            kind = kinds[i]
            for agent in [c for c in idle if accepts(c, kind)]:
                group = idle.pop(agent)
                if agent in woken:
                    woken[agent].update(group)
                else:  # the set itself moves
                    woken[agent] = group

        def rest(a: int) -> None:
            ready.discard(a)
            kind = class_of(a)
            idle.setdefault(kind, set()).add(a)
            idle_class[a] = kind

        def idle_again(kind: int, group: set[int]) -> None:
            """Woken agents of class ``kind`` who found nothing are idle again (the set moves)."""
            known = idle.get(kind)
            if known is None:
                idle[kind] = group
            else:
                known.update(group)

        def unrest(a: int) -> None:
            kind = idle_class.pop(a, None)
            if kind is None:
                return
            for groups in (idle, woken):
                group = groups.get(kind)
                if group is not None and a in group:
                    group.discard(a)
                    if not group:
                        del groups[kind]

        def shift_starts(a: int, end: int, when: int) -> None:
            online[a] = True
            log((PRESENCE, a, True, when))
            if free[a]:
                ready.add(a)
            if end >= 0:
                schedule(end, OFF, a)

        def shift_ends(a: int, when: int) -> None:
            online[a] = False
            log((PRESENCE, a, False, when))
            ready.discard(a)
            unrest(a)
            shift = self.shift(a, when)
            if shift is not None:
                schedule(shift[0], ON, a, shift[1])

        def stop(i: int) -> int:
            if reopened[i]:
                return reopen_work[i]
            if handoff[i] and not handed[i]:
                return handoff_after[i]
            return work[i]

        def start_work(i: int, a: int) -> None:
            nonlocal waiting, last, last_progress, scheduled, pending
            remove(i)
            log((ASSIGN, i, a, now))
            waiting -= 1
            last_progress = last = now
            if first_assigned[i] == MISSING:
                first_assigned[i], first_agent[i] = now, a
            free[a] -= 1
            if not free[a]:
                ready.discard(a)
            holder[i], started[i] = a, now
            spell = spells[i] = spells[i] + 1
            scheduled += 1
            pending += 1
            push(agenda, (now + stop(i) - done[i], DONE, scheduled, i, spell))
            if escalator is not None:
                watch(i)

        def release(a: int) -> None:
            free[a] += 1
            if online[a]:
                ready.add(a)
                if a in idle_class:  # idle with a ticket or more
                    unrest(a)

        def finish(i: int, spell: int) -> None:
            nonlocal last
            a = holder[i]
            if spell != spells[i] or a < 0:
                return
            last = now
            done[i] = stop(i)
            handle_time[i] += now - started[i]
            holder[i] = -1
            release(a)
            if handoff[i] and not handed[i] and not reopened[i]:
                handed[i] = True
                if handoff[i] == escalate:
                    tier[i] = min(tier[i] + 1, top_tier)
                queue[i], kinds[i] = handoff_queue[handoff[i]], -1
                log((HAND_OFF, i, a, now, tier[i]))
                add(i)
                enqueued(i)
                if escalator is not None:
                    watch(i)
                return
            check[i] = -1
            resolved[i], resolver[i], is_open[i] = now, a, False
            resolutions[i] += 1
            if reopen_after[i] != NONE and not reopened[i]:
                log((RESOLVE, i, a, now))
                schedule(now + reopen_after[i], REOPENS, i)
                return
            mood = noise[i]
            if csat is not None and not math.isnan(mood):  # the customer rates
                waited, took = (first_assigned[i] - at[i]) * _US, (now - at[i]) * _US
                score = csat.score(waited, took, mood)
                rating[i] = float(score)
                log((RESOLVE, i, a, now, RATE, i, score, now, FORGET, i))
            else:
                log((RESOLVE, i, a, now, FORGET, i))
            alive[i] = False

        def watch(i: int) -> None:
            """The escalator looks at the ticket at the first tick after its next deadline
            (called only when there is an escalator)."""
            if steps(tier[i], queue[i]) is None:  # nowhere to go from here
                check[i] = -1
                return
            nearest = -1
            for n in watched(i):
                if nearest < 0 or deadlines[n][i] < nearest:
                    nearest = deadlines[n][i]
            if nearest < 0:
                check[i] = -1
                return
            check[i] = max(nearest // every + 1, -(-now // every)) * every
            schedule(check[i], BREACH, i, check[i])

        def watched(i: int) -> tuple[int, ...]:
            """The targets the escalator still watches (:func:`open_targets`)."""
            mark = marks[i]
            if first_assigned[i] != MISSING or mark & 1:  # replied, or escalated for it
                return () if mark & 2 else _RESOLUTION_ONLY
            return _RESOLUTION_ONLY if mark & 2 else _BOTH

        def escalate_tick(i: int) -> None:
            """The escalator's tick: a missed target moves the ticket up the path."""
            nonlocal last
            breach = next((n for n in watched(i) if now > deadlines[n][i]), None)
            step = steps(tier[i], queue[i])
            if breach is None or step is None:
                watch(i)
                return
            last = now
            a = holder[i]
            if a >= 0:  # taken from its agent: the work done so far stays done
                done[i] += now - started[i]
                handle_time[i] += now - started[i]
                holder[i] = -1
                spells[i] += 1
                release(a)
            else:
                remove(i)
            marks[i] |= 1 << breach
            escalations[i] += 1
            tier[i], queue[i], kinds[i] = step[0], step[1], -1
            log((ESCALATE, i, step[0], step[1], breach, deadlines[breach][i], now))
            add(i)
            if a >= 0:
                enqueued(i)
            elif idle:
                wake(i)
            watch(i)

        def handle(entry: tuple[int, int, int, int, int]) -> None:
            nonlocal pending, last, waiting
            when, kind, _, i, b = entry
            if kind == DONE:
                pending -= 1
                finish(i, b)
            elif kind == OFF:
                last = when
                shift_ends(i, when)
            elif kind == ON:
                last = when
                shift_starts(i, b, when)
            elif kind == REOPENS:
                pending -= 1
                last = when
                reopened[i], done[i], is_open[i] = True, 0, True
                log((REOPEN, i, when))
                add(i)
                enqueued(i)
                if escalator is not None:
                    watch(i)
            elif kind == PATIENCE and first_assigned[i] == MISSING and alive[i]:
                last = when
                remove(i)
                alive[i], is_open[i], abandoned[i], check[i] = False, False, when, -1
                log((ABANDON, i, when))
                waiting -= 1
            elif kind == BREACH and check[i] == b:
                check[i] = -1
                escalate_tick(i)

        def receive(i: int) -> None:
            nonlocal last
            last = now
            alive[i] = is_open[i] = True
            log((RECEIVE, i))
            add(i)
            if patience[i] != NONE:
                schedule(now + patience[i], PATIENCE, i)
            enqueued(i)
            if escalator is not None:
                watch(i)

        def pull_round() -> None:  # noqa: PLR0912 - the engine's round, as it is
            """One round of the engine's pull (``engine._Run.pull_round``)."""
            nonlocal woken
            if not woken:  # the ready agents in turn
                for a in sorted(ready):
                    i = best_for(a) if waiting else -1
                    if i < 0:
                        rest(a)
                    else:
                        start_work(i, a)
                return
            if not ready and len(woken) == 1:  # one woken class: its members in turn
                ((kind, group),) = woken.items()
                woken = {}
                for a in sorted(group):
                    i = best_for(a) if waiting else -1
                    if i < 0:  # so would the rest of the class
                        break
                    group.discard(a)
                    del idle_class[a]
                    ready.add(a)
                    start_work(i, a)
                if group:
                    idle_again(kind, group)
                return
            groups, woken = woken, {}
            members = {kind: iter(sorted(group)) for kind, group in groups.items()}
            turns = [(a, READY) for a in ready]
            turns += [(next(first), kind) for kind, first in members.items()]
            heapq.heapify(turns)
            while turns and waiting:
                a, kind = pop(turns)
                i = best_for(a)
                if kind == READY:
                    if i < 0:
                        rest(a)
                    else:
                        start_work(i, a)
                    continue
                group = groups[kind]
                if i < 0:  # so would every other member of the class
                    idle.setdefault(kind, set()).update(group)
                    group.clear()
                    continue
                group.discard(a)
                del idle_class[a]
                ready.add(a)
                start_work(i, a)
                successor = next(members[kind], None)
                if successor is not None:
                    push(turns, (successor, kind))
            for a, kind in turns:
                if kind == READY:
                    rest(a)
            for kind, group in groups.items():
                if group:
                    idle_again(kind, group)

        for a in range(len(self.specs)):
            shift = self.shift(a, 0)
            if shift is not None:
                schedule(shift[0], ON, a, shift[1])
        following, total = 0, self.n
        arrival = at[0] if total else NEVER  # the next arrival's instant
        while arrival != NEVER or pending or (waiting and agenda):
            if not pending and arrival == NEVER and agenda[0][0] - last_progress > _STALLED:
                break
            now = agenda[0][0] if agenda and agenda[0][0] < arrival else arrival
            while agenda and agenda[0][0] == now and agenda[0][1] < ARRIVAL:
                handle(pop(agenda))
            while arrival == now:
                receive(following)
                following += 1
                arrival = at[following] if following < total else NEVER
            while agenda and agenda[0][0] == now:
                handle(pop(agenda))
            while ready or woken:
                pull_round()
        return last

    # The run's columns.

    def columns(self, now: int) -> TicketColumns:
        """The outcome columns of every ticket received, as of ``now`` (the run's end)."""
        origin = self.origin

        def ints(values: array[int]) -> npt.NDArray[np.int64]:
            return np.frombuffer(values, dtype=np.int64)

        def flags(values: bytearray) -> npt.NDArray[np.bool_]:
            return np.frombuffer(values, dtype=np.uint8).astype(np.bool_)

        def instants(values: array[int]) -> npt.NDArray[np.int64]:
            column = ints(values)
            return np.where(column == MISSING, MISSING, column + origin)

        received_at = np.asarray(self.at, dtype=np.int64) + origin
        first_assigned = instants(self.first_assigned)
        resolved = instants(self.resolved)
        abandoned = instants(self.abandoned)
        is_open = flags(self.is_open)
        resolutions = ints(self.resolutions)
        handoff = np.asarray(self.handoff, dtype=np.int64)
        handed = flags(self.handed)
        transfers = (handed & (handoff == HANDOFFS.index("transfer"))).astype(np.int64)
        escalations = (handed & (handoff == HANDOFFS.index("escalate"))).astype(np.int64)
        escalations += ints(self.escalations)
        reopens = flags(self.reopened).astype(np.int64)
        first_agent = ints(self.first_agent)
        resolver = ints(self.resolver)
        fcr = (
            (resolutions > 0)
            & ~is_open
            & (resolver >= 0)
            & (resolver == first_agent)
            & (transfers == 0)
            & (escalations == 0)
            & (reopens == 0)
        )
        targets = self.targets
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
            handle=ints(self.handle_time),
            open=is_open,
            resolutions=resolutions,
            fcr=fcr,
            transfers=transfers,
            escalations=escalations,
            reopens=reopens,
            reassignments=zeros,
            deescalations=zeros,
            csat=np.frombuffer(self.rating, dtype=np.float64),
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


def _view(column: npt.NDArray[Any]) -> memoryview:
    """``column`` read item by item as Python numbers, without a copy."""
    return np.ascontiguousarray(column).data


def _floats(column: npt.NDArray[np.float64]) -> memoryview[float]:
    """:func:`_view` of a float column, typed as what its items are (a plain memoryview's
    items are typed as integers)."""
    return cast("memoryview[float]", _view(column))


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


def replay_books(kernel: Kernel, policy: PullPolicy) -> FastDesk:
    """The fast books of ``kernel``'s run (of ``policy``): its log of happenings replayed
    into a :class:`~ticketlog.simulation.desks.FastDesk`."""
    desk = FastDesk(policy, kernel.sla)
    start, drawn = kernel.start, kernel.drawn
    ids = [spec.agent_id for spec in kernel.specs]
    us = timedelta(microseconds=1)
    for spec in kernel.specs:
        desk.join(spec, start)
    arrivals: dict[int, Arrival] = {}
    log, position = kernel.log, 0
    while position < len(log):
        kind = log[position]
        happening = log[position : position + FIELDS[kind] + 1]
        position += FIELDS[kind] + 1
        i = happening[1]
        if kind == RECEIVE:
            arrival = arrivals[i] = drawn[i]
            desk.receive(arrival)
        elif kind == ASSIGN:
            desk.assign(arrivals[i].ticket_id, ids[happening[2]], start + happening[3] * us)
        elif kind == HAND_OFF:
            at, arrival = start + happening[3] * us, arrivals[i]
            assert arrival.handoff is not None  # noqa: S101 - only drawn handoffs are logged
            tier = (
                happening[4]
                if arrival.handoff == "escalate"
                else desk.record(arrival.ticket_id).tier
            )
            to = (arrival.handoff_queue, tier)
            desk.move(arrival.ticket_id, ids[happening[2]], arrival.handoff, to, at)
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
        elif kind == ESCALATE:
            _, _, to_tier, to_queue, target, deadline, when = happening
            step = Step(to_tier, kernel.queue_names[to_queue])
            breach = _TARGETS[target], start + deadline * us
            desk.escalate(arrivals[i].ticket_id, step, breach, start + when * us)
        else:  # PRESENCE
            desk.presence(ids[i], bool(happening[2]), start + happening[3] * us)
    return desk
