# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The columnar kernel's run loop, compiled: :meth:`Kernel.run_interpreted
<ticketlog.simulation.kernel.Kernel.run_interpreted>` step for step, on C arrays and heaps.

The steps, their order at an instant and their names are those of the interpreted loop
(each reads as the engine's method of the same name); what differs is only where the
state lives: the agenda and the waiting tickets are binary heaps of C structs, the ready
agents, the idle and woken agents of each class (sorted, so a class is taken in order
without a sort), the agents' classes by free slots, the policy's verdicts and the
escalator's steps are C arrays, and the per-ticket state, the outcome columns and the log
are the kernel's own typed arrays, written in place. Ticket and agent classes, verdicts
and escalation steps are asked of the kernel the first time they are needed, shifts and
ratings every time, as in the interpreted loop.
The two are kept equal, log and columns, by ``tests/unit/test_compiled_kernel.py``.
"""

from cpython cimport array
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from libc.math cimport isnan
from libc.stdint cimport int64_t
from libc.stdlib cimport qsort
from libc.string cimport memcpy, memmove, memset

from datetime import timedelta
from heapq import heapify, heappop, heappush

import numpy as np

from ticketlog.projections import columns
from ticketlog.simulation import draws, happenings
from ticketlog.simulation.happenings import (
    ABANDON, ASSIGN, ESCALATE, FORGET, HAND_OFF, PRESENCE, RATE, RECEIVE, REOPEN, RESOLVE,
)

cdef int64_t MISSING = columns.MISSING
cdef int64_t NONE = draws.NONE
cdef int64_t ESCALATE_CODE = draws.HANDOFFS.index("escalate")
# What can fall due at an instant, in the order it is handled.
cdef int64_t _DONE = happenings.DONE, _OFF = happenings.OFF, _ON = happenings.ON
cdef int64_t _REOPEN = happenings.REOPENS, _ARRIVAL = happenings.ARRIVAL
cdef int64_t _PATIENCE = happenings.PATIENCE, _BREACH = happenings.BREACH
cdef int64_t _READY = happenings.READY, NEVER = happenings.NEVER
cdef int64_t STALLED = happenings.STALLED // timedelta(microseconds=1)
_US = timedelta(microseconds=1)
# The escalator's watched targets as bits: first reply 1, resolution 2.
cdef int _BOTH = 3, _RESOLUTION_ONLY = 2


cdef struct Item:
    # An agenda entry (when, kind, seq, a, b) or a waiting ticket (rank, entry, ticket, -, -):
    # ordered by its first three fields, of which the second or third is unique.
    int64_t k0, k1, k2, a, b


cdef inline bint less(Item* x, Item* y) noexcept nogil:
    if x.k0 != y.k0:
        return x.k0 < y.k0
    if x.k1 != y.k1:
        return x.k1 < y.k1
    return x.k2 < y.k2


cdef class Heap:
    """A binary min-heap of items (keys unique, so it pops in the order heapq would)."""

    cdef Item* items
    cdef Py_ssize_t size, capacity

    def __cinit__(self):
        self.size, self.capacity = 0, 8
        self.items = <Item*>PyMem_Malloc(self.capacity * sizeof(Item))
        if self.items == NULL:
            raise MemoryError()

    def __dealloc__(self):
        PyMem_Free(self.items)

    cdef int push(self, int64_t k0, int64_t k1, int64_t k2, int64_t a, int64_t b) except -1:
        cdef Item* grown
        cdef Py_ssize_t j, parent
        if self.size == self.capacity:
            grown = <Item*>PyMem_Realloc(self.items, 2 * self.capacity * sizeof(Item))
            if grown == NULL:
                raise MemoryError()
            self.items, self.capacity = grown, 2 * self.capacity
        cdef Item item
        item.k0, item.k1, item.k2, item.a, item.b = k0, k1, k2, a, b
        j = self.size
        self.size += 1
        while j > 0:
            parent = (j - 1) >> 1
            if not less(&item, &self.items[parent]):
                break
            self.items[j] = self.items[parent]
            j = parent
        self.items[j] = item
        return 0

    cdef Item pop(self) noexcept:
        cdef Item top = self.items[0]
        cdef Item last
        cdef Py_ssize_t j = 0, child, n
        self.size -= 1
        n = self.size
        if n:
            last = self.items[n]
            while True:
                child = 2 * j + 1
                if child >= n:
                    break
                if child + 1 < n and less(&self.items[child + 1], &self.items[child]):
                    child += 1
                if not less(&self.items[child], &last):
                    break
                self.items[j] = self.items[child]
                j = child
            self.items[j] = last
        return top


cdef class Ints:
    """A growable C array of integers (the ready agents, a column of the run's own)."""

    cdef int64_t* values
    cdef Py_ssize_t size, capacity

    def __cinit__(self, Py_ssize_t capacity=16, int64_t fill=0, Py_ssize_t size=0):
        self.capacity = max(capacity, size, 1)
        self.values = <int64_t*>PyMem_Malloc(self.capacity * sizeof(int64_t))
        if self.values == NULL:
            raise MemoryError()
        self.size = size
        cdef Py_ssize_t j
        for j in range(size):
            self.values[j] = fill

    def __dealloc__(self):
        PyMem_Free(self.values)

    cdef int append(self, int64_t value) except -1:
        cdef int64_t* grown
        if self.size == self.capacity:
            grown = <int64_t*>PyMem_Realloc(self.values, 2 * self.capacity * sizeof(int64_t))
            if grown == NULL:
                raise MemoryError()
            self.values, self.capacity = grown, 2 * self.capacity
        self.values[self.size] = value
        self.size += 1
        return 0


cdef class Group:
    """Agents of one class, idle or woken, in ascending order (a sorted C array): taken in
    order without a sort, an agent found by bisection."""

    cdef Ints members

    def __cinit__(self):
        self.members = Ints()

    cdef Py_ssize_t at(self, int64_t a) noexcept:
        """Where ``a`` is or would go (the first member not below it)."""
        cdef Py_ssize_t low = 0, high = self.members.size, middle
        while low < high:
            middle = (low + high) >> 1
            if self.members.values[middle] < a:
                low = middle + 1
            else:
                high = middle
        return low

    cdef bint has(self, int64_t a) noexcept:
        cdef Py_ssize_t j = self.at(a)
        return j < self.members.size and self.members.values[j] == a

    cdef int add(self, int64_t a) except -1:
        cdef Py_ssize_t j = self.at(a)
        cdef Ints members = self.members
        if j < members.size and members.values[j] == a:
            return 0
        members.append(a)  # room for one more, then the tail moves up
        memmove(members.values + j + 1, members.values + j, (members.size - 1 - j) * sizeof(int64_t))
        members.values[j] = a
        return 0

    cdef void discard(self, int64_t a) noexcept:
        cdef Py_ssize_t j = self.at(a)
        cdef Ints members = self.members
        if j < members.size and members.values[j] == a:
            memmove(members.values + j, members.values + j + 1, (members.size - 1 - j) * sizeof(int64_t))
            members.size -= 1

    cdef void drop_first(self, Py_ssize_t count) noexcept:
        cdef Ints members = self.members
        memmove(members.values, members.values + count, (members.size - count) * sizeof(int64_t))
        members.size -= count

    cdef int64_t after(self, int64_t a) noexcept:
        """The first member above ``a`` (-1: none)."""
        cdef Py_ssize_t j = self.at(a + 1)
        return self.members.values[j] if j < self.members.size else -1

    cdef int update(self, Group other) except -1:
        """Every member of ``other`` joins (the two sorted arrays merged)."""
        cdef Ints merged = Ints(capacity=self.members.size + other.members.size)
        cdef Py_ssize_t j = 0, k = 0
        cdef int64_t* mine = self.members.values
        cdef int64_t* theirs = other.members.values
        cdef int64_t value
        while j < self.members.size or k < other.members.size:
            if k == other.members.size or (j < self.members.size and mine[j] <= theirs[k]):
                value = mine[j]
                j += 1
                if k < other.members.size and theirs[k] == value:
                    k += 1
            else:
                value = theirs[k]
                k += 1
            merged.values[merged.size] = value
            merged.size += 1
        self.members = merged
        return 0


cdef int ascending(const void* x, const void* y) noexcept nogil:
    cdef int64_t a = (<const int64_t*>x)[0], b = (<const int64_t*>y)[0]
    return (a > b) - (a < b)


cdef inline int64_t floordiv(int64_t a, int64_t b) noexcept nogil:
    """Python's ``a // b`` (C's division truncates towards zero)."""
    cdef int64_t q = a / b
    if (a % b != 0) and ((a < 0) != (b < 0)):
        q -= 1
    return q


cdef class _Run:
    """One run of a kernel: its state, and the steps of the interpreted loop as methods."""

    cdef object kernel, csat, steps, idle, woken
    cdef object ticket_class, agent_class, verdict, shift
    # The drawn columns and the kernel's ticket state and outcome columns, in place.
    cdef const int64_t[:] at, work, rank, handoff, handoff_after, reopen_after, reopen_work
    cdef const int64_t[:] patience, deadline0, deadline1
    cdef const double[:] noise
    cdef int64_t[:] kinds, done, first_assigned, first_agent, holder, started, spells
    cdef int64_t[:] queue, tier, resolved, resolver, resolutions, abandoned, handle_time
    cdef int64_t[:] escalations
    cdef unsigned char[:] handed, reopened, alive, is_open
    cdef double[:] rating
    cdef Ints handoff_queue, check, marks, live_kind, live_entry
    # Where the escalator moves a ticket, per (tier, queue): -2 not asked yet, -1 nowhere,
    # else its tier and queue as tier * queues + queue.
    cdef Ints step_to
    cdef int64_t queues
    cdef array.array log
    # Agents.
    cdef Ints free, online, duty_at, duty, idle_class, ready, ready_at, turns
    # Waiting tickets: a heap per ticket class, and the classes with a heap that is not empty.
    cdef list heaps
    cdef Ints busy_classes, busy_at
    # The policy's verdicts: agent class x ticket class, -1 not asked yet.
    cdef signed char* verdicts
    cdef Py_ssize_t verdict_rows, verdict_columns
    cdef Heap agenda
    cdef int64_t waiting, pending, scheduled, entries, last, last_progress, now, every
    cdef int64_t top_tier, n
    cdef bint escalator

    def __cinit__(self):
        self.verdicts = NULL

    def __dealloc__(self):
        PyMem_Free(self.verdicts)

    def __init__(self, kernel):
        cdef Py_ssize_t a, m = len(kernel.specs)
        self.kernel, self.csat, self.n = kernel, kernel.csat, kernel.n
        self.ticket_class, self.agent_class = kernel.ticket_class, kernel.agent_class
        self.verdict, self.shift, self.steps = kernel.verdict, kernel.shift, kernel._steps()
        self.at, self.work, self.rank = kernel.at, kernel.work, kernel.rank
        self.handoff, self.handoff_after = kernel.handoff, kernel.handoff_after
        self.reopen_after, self.reopen_work = kernel.reopen_after, kernel.reopen_work
        self.patience, self.noise = kernel.patience, kernel.noise
        self.kinds, self.done = kernel.kind, kernel.done
        self.first_assigned, self.first_agent = kernel.first_assigned, kernel.first_agent
        self.holder, self.started, self.spells = kernel.holder, kernel.started, kernel.spell
        self.queue, self.tier = kernel.queue, kernel.tier
        self.resolved, self.resolver = kernel.resolved, kernel.resolver
        self.resolutions, self.abandoned = kernel.resolutions, kernel.abandoned
        self.handle_time, self.escalations = kernel.handle_time, kernel.escalations
        self.handed, self.reopened = kernel.handed, kernel.reopened
        self.alive, self.is_open, self.rating = kernel.alive, kernel.is_open, kernel.rating
        received = np.asarray(kernel.at, dtype=np.int64)
        self.deadline0 = received + kernel.targets[0]
        self.deadline1 = received + kernel.targets[1]
        self.handoff_queue = Ints(size=len(kernel.handoff_queue))
        for a, code in enumerate(kernel.handoff_queue):
            self.handoff_queue.values[a] = code
        self.step_to, self.queues = Ints(), len(kernel.queue_names)
        self.check = Ints(size=self.n, fill=-1)
        self.marks = Ints(size=self.n, fill=0)
        self.live_kind = Ints(size=self.n, fill=-1)
        self.live_entry = Ints(size=self.n, fill=0)
        self.log = kernel.log
        self.free, self.online = Ints(size=m), Ints(size=m, fill=0)
        self.duty_at, self.idle_class = Ints(size=m + 1), Ints(size=m, fill=-1)
        self.ready, self.ready_at = Ints(capacity=m + 1), Ints(size=m, fill=-1)
        self.turns = Ints(capacity=m + 1)
        cdef int64_t slots = 0
        for a in range(m):
            capacity = kernel.specs[a].profile.capacity
            self.free.values[a] = capacity
            self.duty_at.values[a] = slots
            slots += capacity + 1
        self.duty = Ints(size=slots, fill=-1)
        self.heaps = []
        self.busy_classes, self.busy_at = Ints(), Ints()
        self.agenda = Heap()
        self.idle, self.woken = {}, {}
        self.waiting = self.pending = self.scheduled = self.entries = 0
        self.last = self.last_progress = self.now = 0
        self.escalator = kernel.escalation is not None
        self.every = (
            timedelta(minutes=kernel.escalation.every_minutes) // _US if self.escalator else 0
        )
        self.top_tier = kernel.top_tier

    # The pieces of state the interpreted loop keeps in sets and dicts.

    cdef inline int emit(self, int64_t value) except -1:
        """Append ``value`` to the kernel's log (an ``array('q')``, grown in place)."""
        cdef Py_ssize_t size = len(self.log)
        array.resize_smart(self.log, size + 1)
        self.log.data.as_longlongs[size] = value
        return 0

    cdef int ready_add(self, int64_t a) except -1:
        if self.ready_at.values[a] < 0:
            self.ready_at.values[a] = self.ready.size
            self.ready.append(a)
        return 0

    cdef void ready_discard(self, int64_t a) noexcept:
        cdef int64_t at = self.ready_at.values[a], moved
        if at >= 0:
            self.ready.size -= 1
            moved = self.ready.values[self.ready.size]
            self.ready.values[at] = moved
            self.ready_at.values[moved] = at
            self.ready_at.values[a] = -1

    cdef Ints ready_sorted(self):
        """The ready agents in order (in the run's one buffer of turns)."""
        cdef Ints turns = self.turns
        turns.size = self.ready.size
        memcpy(turns.values, self.ready.values, self.ready.size * sizeof(int64_t))
        qsort(turns.values, turns.size, sizeof(int64_t), ascending)
        return turns

    cdef Heap heap_of(self, int64_t kind):
        while len(self.heaps) <= kind:
            self.heaps.append(Heap())
            self.busy_at.append(-1)
        return <Heap>self.heaps[kind]

    cdef int accepts(self, int64_t agent, int64_t kind) except -1:
        """The policy's verdict: may agents of class ``agent`` take tickets of ``kind``."""
        cdef Py_ssize_t rows, columns, r
        cdef signed char* grown
        if agent >= self.verdict_rows or kind >= self.verdict_columns:
            rows = max(2 * self.verdict_rows, agent + 1, 4)
            columns = max(2 * self.verdict_columns, kind + 1, 4)
            grown = <signed char*>PyMem_Malloc(rows * columns)
            if grown == NULL:
                raise MemoryError()
            memset(grown, -1, rows * columns)
            for r in range(self.verdict_rows):
                memcpy(grown + r * columns, self.verdicts + r * self.verdict_columns,
                       self.verdict_columns)
            PyMem_Free(self.verdicts)
            self.verdicts, self.verdict_rows, self.verdict_columns = grown, rows, columns
        cdef signed char* verdict = self.verdicts + agent * self.verdict_columns + kind
        if verdict[0] < 0:
            verdict[0] = 1 if self.verdict(agent, kind) else 0
        return verdict[0]

    cdef int64_t step(self, int64_t tier, int64_t queue) except -3:
        """Where the escalator moves a ticket at ``tier`` in ``queue`` (:data:`step_to`)."""
        cdef Py_ssize_t at = tier * self.queues + queue
        while self.step_to.size <= at:
            self.step_to.append(-2)
        cdef int64_t found = self.step_to.values[at]
        if found == -2:
            step = self.steps(tier, queue)
            found = -1 if step is None else step[0] * self.queues + step[1]
            self.step_to.values[at] = found
        return found

    # The steps.

    cdef int schedule(self, int64_t when, int64_t kind, int64_t a, int64_t b) except -1:
        self.scheduled += 1
        self.agenda.push(when, kind, self.scheduled, a, b)
        if kind == _DONE or kind == _REOPEN:
            self.pending += 1
        return 0

    cdef int add(self, int64_t i) except -1:
        """Ticket ``i`` waits."""
        cdef int64_t kind = self.kinds[i]
        if kind < 0:
            kind = self.ticket_class(i)
            self.kinds[i] = kind
        self.entries += 1
        self.live_kind.values[i], self.live_entry.values[i] = kind, self.entries
        heap = self.heap_of(kind)
        if heap.size == 0:
            self.busy_at.values[kind] = self.busy_classes.size
            self.busy_classes.append(kind)
        heap.push(self.rank[i], self.entries, i, 0, 0)
        return 0

    cdef void remove(self, int64_t i) noexcept:
        cdef int64_t kind = self.live_kind.values[i], at, moved
        self.live_entry.values[i] = 0
        cdef Heap heap = <Heap>self.heaps[kind]
        while heap.size and self.live_entry.values[heap.items[0].k2] != heap.items[0].k1:
            heap.pop()
        if not heap.size:
            at = self.busy_at.values[kind]
            self.busy_classes.size -= 1
            moved = self.busy_classes.values[self.busy_classes.size]
            self.busy_classes.values[at] = moved
            self.busy_at.values[moved] = at
            self.busy_at.values[kind] = -1

    cdef int64_t class_of(self, int64_t a) except? -2:
        """The class of ``a``, who is online."""
        cdef int64_t slot = self.duty_at.values[a] + self.free.values[a]
        cdef int64_t kind = self.duty.values[slot]
        if kind < 0:
            kind = self.agent_class(a, self.free.values[a])
            self.duty.values[slot] = kind
        return kind

    cdef int64_t best_for(self, int64_t a) except -2:
        """The first waiting ticket in the policy's order that ``a`` may take (-1: none)."""
        if not self.online.values[a] or self.free.values[a] <= 0:
            return -1
        cdef int64_t agent = self.class_of(a), kind
        cdef Heap heap
        cdef Item* best = NULL
        cdef Py_ssize_t j
        if self.busy_classes.size == 1:  # one class of tickets waits: its head, or nothing
            kind = self.busy_classes.values[0]
            heap = <Heap>self.heaps[kind]
            return heap.items[0].k2 if self.accepts(agent, kind) else -1
        for j in range(self.busy_classes.size):
            kind = self.busy_classes.values[j]
            heap = <Heap>self.heaps[kind]
            if (best == NULL or less(&heap.items[0], best)) and self.accepts(agent, kind):
                best = &heap.items[0]
        return -1 if best == NULL else best.k2

    cdef int enqueued(self, int64_t i) except -1:
        self.waiting += 1
        self.last_progress = self.now
        if self.idle:
            self.wake(i)
        return 0

    cdef int wake(self, int64_t i) except -1:
        """Idle agents of the classes that may take the waiting ticket look again."""
        cdef int64_t kind = self.kinds[i]
        idle, woken = self.idle, self.woken
        for agent in [c for c in idle if self.accepts(c, kind)]:
            group = idle.pop(agent)
            if agent in woken:
                (<Group>woken[agent]).update(group)
            else:  # the group itself moves
                woken[agent] = group
        return 0

    cdef int rest(self, int64_t a) except -1:
        self.ready_discard(a)
        cdef int64_t kind = self.class_of(a)
        group = self.idle.get(kind)
        if group is None:
            group = self.idle[kind] = Group()
        (<Group>group).add(a)
        self.idle_class.values[a] = kind
        return 0

    cdef int idle_again(self, object kind, Group group) except -1:
        """Woken agents of class ``kind`` who found nothing are idle again (the group moves)."""
        known = self.idle.get(kind)
        if known is None:
            self.idle[kind] = group
        else:
            (<Group>known).update(group)
        return 0

    cdef int unrest(self, int64_t a) except -1:
        cdef int64_t kind = self.idle_class.values[a]
        if kind < 0:
            return 0
        self.idle_class.values[a] = -1
        cdef Group group
        for groups in (self.idle, self.woken):
            found = groups.get(kind)
            if found is None:
                continue
            group = <Group>found
            if group.has(a):
                group.discard(a)
                if not group.members.size:
                    del groups[kind]
        return 0

    cdef int shift_starts(self, int64_t a, int64_t end, int64_t when) except -1:
        self.online.values[a] = 1
        self.emit(PRESENCE); self.emit(a); self.emit(1); self.emit(when)
        if self.free.values[a]:
            self.ready_add(a)
        if end >= 0:
            self.schedule(end, _OFF, a, 0)
        return 0

    cdef int shift_ends(self, int64_t a, int64_t when) except -1:
        self.online.values[a] = 0
        self.emit(PRESENCE); self.emit(a); self.emit(0); self.emit(when)
        self.ready_discard(a)
        self.unrest(a)
        shift = self.shift(a, when)
        if shift is not None:
            self.schedule(shift[0], _ON, a, shift[1])
        return 0

    cdef inline int64_t stop(self, int64_t i) noexcept:
        if self.reopened[i]:
            return self.reopen_work[i]
        if self.handoff[i] and not self.handed[i]:
            return self.handoff_after[i]
        return self.work[i]

    cdef int start_work(self, int64_t i, int64_t a) except -1:
        cdef int64_t now = self.now, spell
        self.remove(i)
        self.emit(ASSIGN); self.emit(i); self.emit(a); self.emit(now)
        self.waiting -= 1
        self.last_progress = self.last = now
        if self.first_assigned[i] == MISSING:
            self.first_assigned[i], self.first_agent[i] = now, a
        self.free.values[a] -= 1
        if not self.free.values[a]:
            self.ready_discard(a)
        self.holder[i], self.started[i] = a, now
        spell = self.spells[i] + 1
        self.spells[i] = spell
        self.scheduled += 1
        self.pending += 1
        self.agenda.push(now + self.stop(i) - self.done[i], _DONE, self.scheduled, i, spell)
        if self.escalator:
            self.watch(i)
        return 0

    cdef int release(self, int64_t a) except -1:
        self.free.values[a] += 1
        if self.online.values[a]:
            self.ready_add(a)
            if self.idle_class.values[a] >= 0:  # idle with a ticket or more
                self.unrest(a)
        return 0

    cdef int finish(self, int64_t i, int64_t spell) except -1:
        cdef int64_t a = self.holder[i], now = self.now
        cdef double mood
        if spell != self.spells[i] or a < 0:
            return 0
        self.last = now
        self.done[i] = self.stop(i)
        self.handle_time[i] += now - self.started[i]
        self.holder[i] = -1
        self.release(a)
        if self.handoff[i] and not self.handed[i] and not self.reopened[i]:
            self.handed[i] = True
            if self.handoff[i] == ESCALATE_CODE:
                self.tier[i] = min(self.tier[i] + 1, self.top_tier)
            self.queue[i], self.kinds[i] = self.handoff_queue.values[self.handoff[i]], -1
            self.emit(HAND_OFF); self.emit(i); self.emit(a); self.emit(now)
            self.emit(self.tier[i])
            self.add(i)
            self.enqueued(i)
            if self.escalator:
                self.watch(i)
            return 0
        self.check.values[i] = -1
        self.resolved[i], self.resolver[i], self.is_open[i] = now, a, False
        self.resolutions[i] += 1
        if self.reopen_after[i] != NONE and not self.reopened[i]:
            self.emit(RESOLVE); self.emit(i); self.emit(a); self.emit(now)
            self.schedule(now + self.reopen_after[i], _REOPEN, i, 0)
            return 0
        mood = self.noise[i]
        if self.csat is not None and not isnan(mood):  # the customer rates
            waited = (self.first_assigned[i] - self.at[i]) * _US
            took = (now - self.at[i]) * _US
            score = self.csat.score(waited, took, mood)
            self.rating[i] = float(score)
            self.emit(RESOLVE); self.emit(i); self.emit(a); self.emit(now)
            self.emit(RATE); self.emit(i); self.emit(score); self.emit(now)
            self.emit(FORGET); self.emit(i)
        else:
            self.emit(RESOLVE); self.emit(i); self.emit(a); self.emit(now)
            self.emit(FORGET); self.emit(i)
        self.alive[i] = False
        return 0

    cdef inline int64_t deadline(self, int target, int64_t i) noexcept:
        return self.deadline0[i] if target == 0 else self.deadline1[i]

    cdef int watched(self, int64_t i) noexcept:
        """The targets the escalator still watches, as bits (:func:`open_targets`)."""
        cdef int64_t mark = self.marks.values[i]
        if self.first_assigned[i] != MISSING or mark & 1:  # replied, or escalated for it
            return 0 if mark & 2 else _RESOLUTION_ONLY
        return _RESOLUTION_ONLY if mark & 2 else _BOTH

    cdef int watch(self, int64_t i) except -1:
        """The escalator looks at the ticket at the first tick after its next deadline."""
        cdef int64_t nearest = -1, due, every = self.every
        cdef int targets, target
        if self.step(self.tier[i], self.queue[i]) < 0:  # nowhere to go from here
            self.check.values[i] = -1
            return 0
        targets = self.watched(i)
        for target in range(2):
            if targets & (1 << target):
                due = self.deadline(target, i)
                if nearest < 0 or due < nearest:
                    nearest = due
        if nearest < 0:
            self.check.values[i] = -1
            return 0
        due = max(floordiv(nearest, every) + 1, -floordiv(-self.now, every)) * every
        self.check.values[i] = due
        self.schedule(due, _BREACH, i, due)
        return 0

    cdef int escalate_tick(self, int64_t i) except -1:
        """The escalator's tick: a missed target moves the ticket up the path."""
        cdef int64_t now = self.now, a, to_tier, to_queue
        cdef int targets = self.watched(i), target, breach = -1
        for target in range(2):
            if targets & (1 << target) and now > self.deadline(target, i):
                breach = target
                break
        cdef int64_t step = self.step(self.tier[i], self.queue[i])
        if breach < 0 or step < 0:
            self.watch(i)
            return 0
        self.last = now
        a = self.holder[i]
        if a >= 0:  # taken from its agent: the work done so far stays done
            self.done[i] += now - self.started[i]
            self.handle_time[i] += now - self.started[i]
            self.holder[i] = -1
            self.spells[i] += 1
            self.release(a)
        else:
            self.remove(i)
        self.marks.values[i] |= 1 << breach
        self.escalations[i] += 1
        to_tier, to_queue = step // self.queues, step % self.queues
        self.tier[i], self.queue[i], self.kinds[i] = to_tier, to_queue, -1
        self.emit(ESCALATE); self.emit(i); self.emit(to_tier); self.emit(to_queue)
        self.emit(breach); self.emit(self.deadline(breach, i)); self.emit(now)
        self.add(i)
        if a >= 0:
            self.enqueued(i)
        elif self.idle:
            self.wake(i)
        self.watch(i)
        return 0

    cdef int handle(self, Item entry) except -1:
        cdef int64_t when = entry.k0, kind = entry.k1, i = entry.a, b = entry.b
        if kind == _DONE:
            self.pending -= 1
            self.finish(i, b)
        elif kind == _OFF:
            self.last = when
            self.shift_ends(i, when)
        elif kind == _ON:
            self.last = when
            self.shift_starts(i, b, when)
        elif kind == _REOPEN:
            self.pending -= 1
            self.last = when
            self.reopened[i], self.done[i], self.is_open[i] = True, 0, True
            self.emit(REOPEN); self.emit(i); self.emit(when)
            self.add(i)
            self.enqueued(i)
            if self.escalator:
                self.watch(i)
        elif kind == _PATIENCE and self.first_assigned[i] == MISSING and self.alive[i]:
            self.last = when
            self.remove(i)
            self.alive[i], self.is_open[i], self.abandoned[i] = False, False, when
            self.check.values[i] = -1
            self.emit(ABANDON); self.emit(i); self.emit(when)
            self.waiting -= 1
        elif kind == _BREACH and self.check.values[i] == b:
            self.check.values[i] = -1
            self.escalate_tick(i)
        return 0

    cdef int receive(self, int64_t i) except -1:
        self.last = self.now
        self.alive[i] = self.is_open[i] = True
        self.emit(RECEIVE); self.emit(i)
        self.add(i)
        if self.patience[i] != NONE:
            self.schedule(self.now + self.patience[i], _PATIENCE, i, 0)
        self.enqueued(i)
        if self.escalator:
            self.watch(i)
        return 0

    cdef int pull_round(self) except -1:
        """One round of the engine's pull (``engine._Run.pull_round``)."""
        cdef Ints turns
        cdef Py_ssize_t j
        cdef int64_t a, i
        if not self.woken:  # the ready agents in turn
            turns = self.ready_sorted()
            for j in range(turns.size):
                a = turns.values[j]
                i = self.best_for(a) if self.waiting else -1
                if i < 0:
                    self.rest(a)
                else:
                    self.start_work(i, a)
            return 0
        cdef Group group
        if not self.ready.size and len(self.woken) == 1:  # one woken class in turn
            ((kind, found),) = self.woken.items()
            self.woken = {}
            group = <Group>found
            j = 0
            while j < group.members.size:
                a = group.members.values[j]
                i = self.best_for(a) if self.waiting else -1
                if i < 0:  # so would the rest of the class
                    break
                j += 1
                self.idle_class.values[a] = -1
                self.ready_add(a)
                self.start_work(i, a)
            group.drop_first(j)  # the members who took a ticket
            if group.members.size:
                self.idle_again(kind, group)
            return 0
        return self.mixed_round()

    cdef int mixed_round(self) except -1:
        """The round with ready agents and woken classes, or several woken classes."""
        cdef int64_t a, i, successor
        cdef Group group
        groups, self.woken = self.woken, {}
        turns = [(self.ready.values[j], _READY) for j in range(self.ready.size)]
        turns += [((<Group>found).members.values[0], kind) for kind, found in groups.items()]
        heapify(turns)
        while turns and self.waiting:
            member, kind = heappop(turns)
            a = member
            i = self.best_for(a)
            if kind == _READY:
                if i < 0:
                    self.rest(a)
                else:
                    self.start_work(i, a)
                continue
            group = <Group>groups[kind]
            if i < 0:  # so would every other member of the class
                self.idle_again(kind, group)
                del groups[kind]
                continue
            group.discard(a)
            self.idle_class.values[a] = -1
            self.ready_add(a)
            self.start_work(i, a)
            successor = group.after(a)
            if successor >= 0:
                heappush(turns, (successor, kind))
        for member, kind in turns:
            if kind == _READY:
                self.rest(member)
        for kind, found in groups.items():
            if (<Group>found).members.size:
                self.idle_again(kind, <Group>found)
        return 0

    cdef int64_t loop(self) except? -1:
        cdef Py_ssize_t following = 0, total = self.n, a
        cdef int64_t arrival = self.at[0] if total else NEVER, now
        cdef Heap agenda = self.agenda
        for a in range(len(self.kernel.specs)):
            shift = self.shift(a, 0)
            if shift is not None:
                self.schedule(shift[0], _ON, a, shift[1])
        while arrival != NEVER or self.pending or (self.waiting and agenda.size):
            if (
                not self.pending
                and arrival == NEVER
                and agenda.items[0].k0 - self.last_progress > STALLED
            ):
                break
            now = agenda.items[0].k0 if agenda.size and agenda.items[0].k0 < arrival else arrival
            self.now = now
            while agenda.size and agenda.items[0].k0 == now and agenda.items[0].k1 < _ARRIVAL:
                self.handle(agenda.pop())
            while arrival == now:
                self.receive(following)
                following += 1
                arrival = self.at[following] if following < total else NEVER
            while agenda.size and agenda.items[0].k0 == now:
                self.handle(agenda.pop())
            while self.ready.size or self.woken:
                self.pull_round()
        return self.last


def run(kernel):
    """Serve every ticket of ``kernel``; the instant (microseconds) of the last thing that
    happened (:meth:`Kernel.run <ticketlog.simulation.kernel.Kernel.run>`)."""
    return _Run(kernel).loop()
