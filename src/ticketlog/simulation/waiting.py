"""The fast path's index of waiting tickets: one heap per ticket class, in key order.

A :class:`~ticketlog.policies.reads.KeyedPolicy` that declares a partition accepts or
refuses by the classes of the agent and the ticket alone, so the index asks it once per
pair of classes and an agent's decision looks only at the head of each class it may
take: a few heads, however many tickets wait that the agent cannot take. A policy
without a partition keeps every ticket in one class and is asked about each waiting
ticket in key order, as a queue's sorted index would be walked.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterable, Iterator
from typing import Any, cast
from uuid import UUID

from ticketlog.policies.reads import KeyedPolicy
from ticketlog.projections.queues import QueuedTicket
from ticketlog.projections.workloads import Workload

_Entry = tuple[Any, int, QueuedTicket]
"""A heap entry: the policy's key, the entry's order (ties, and never two alike), the record."""


class WaitingTickets:
    """Waiting tickets by class, each class a heap in the policy's key order.

    Entries of tickets that left (or were entered again since) are dropped lazily; every
    removal clears them off the head of its class, so the heads are always live.
    """

    def __init__(self, policy: KeyedPolicy) -> None:
        self._key = policy.key
        self._accepts = policy.accepts
        self._partition = policy.partition
        self._heaps: dict[Hashable, list[_Entry]] = {}
        self._live: dict[UUID, tuple[Hashable, QueuedTicket]] = {}
        """Each waiting ticket's class and its current record."""
        self._verdicts: dict[tuple[Hashable, Hashable], bool] = {}
        self._members: dict[Hashable, Workload] = {}
        """An agent of each agent class seen, to ask the policy about the class."""
        self._entries = 0

    def add(self, ticket: QueuedTicket) -> None:
        """``ticket`` waits (again, if it waited before under another record)."""
        if ticket.ticket_id in self._live:
            self.remove(ticket.ticket_id)
        partition = self._partition
        kind = None if partition is None else partition.ticket_class(ticket)
        self._live[ticket.ticket_id] = kind, ticket
        self._entries += 1
        heapq.heappush(self._heaps.setdefault(kind, []), (self._key(ticket), self._entries, ticket))

    def remove(self, ticket_id: UUID) -> None:
        """The ticket no longer waits."""
        kind, _ = self._live.pop(ticket_id)
        heap = self._heaps[kind]
        while heap and not self._is_live(heap[0][2]):
            heapq.heappop(heap)
        if not heap:
            del self._heaps[kind]

    def _is_live(self, ticket: QueuedTicket) -> bool:
        current = self._live.get(ticket.ticket_id)
        return current is not None and current[1] is ticket

    def agent_class(self, agent: Workload) -> Hashable:
        """What of ``agent`` the policy's verdicts depend on (``None``: not partitioned)."""
        if self._partition is None:
            return None
        kind = self._partition.agent_class(agent)
        self._members.setdefault(kind, agent)
        return kind

    def classes_taking(self, ticket_id: UUID, agent_classes: Iterable[Hashable]) -> list[Hashable]:
        """Those of ``agent_classes`` (from :meth:`agent_class`) whose agents may take the
        waiting ticket (all of them without a partition: they are asked)."""
        if self._partition is None:
            return list(agent_classes)
        kind, ticket = self._live[ticket_id]
        verdicts, members, accepts = self._verdicts, self._members, self._accepts
        taking = []
        for agent_class in agent_classes:
            verdict = verdicts.get((agent_class, kind))
            if verdict is None:
                verdict = verdicts[agent_class, kind] = accepts(members[agent_class], ticket)
            if verdict:
                taking.append(agent_class)
        return taking

    def _verdict(
        self, agent: Workload, agent_class: Hashable, kind: Hashable, ticket: QueuedTicket
    ) -> bool:
        verdict = self._verdicts.get((agent_class, kind))
        if verdict is None:
            verdict = self._verdicts[agent_class, kind] = self._accepts(agent, ticket)
        return verdict

    def best_for(self, agent: Workload, agent_class: Hashable) -> QueuedTicket | None:
        """The first waiting ticket in key order that the policy lets ``agent`` (of
        ``agent_class``, from :meth:`agent_class`) take."""
        if self._partition is None:
            heap = self._heaps.get(None)
            return None if heap is None else self._first_accepted(agent, heap)
        best: _Entry | None = None
        for kind, heap in self._heaps.items():
            head = heap[0]
            if best is not None and (head[0], head[1]) >= (best[0], best[1]):
                continue
            if self._verdict(agent, agent_class, kind, head[2]):
                best = head
        return None if best is None else best[2]

    def _first_accepted(self, agent: Workload, heap: list[_Entry]) -> QueuedTicket | None:
        accepts = self._accepts
        if accepts(agent, heap[0][2]):  # the usual case: the head
            return heap[0][2]
        for ticket in self._in_order(heap):
            if accepts(agent, ticket):
                return ticket
        return None

    def _in_order(self, heap: list[_Entry]) -> Iterator[QueuedTicket]:
        """The live entries of ``heap`` in key order, without popping (a frontier)."""
        frontier = [(heap[0], 0)]
        size = len(heap)
        while frontier:
            entry, i = heapq.heappop(frontier)
            if self._is_live(entry[2]):
                yield entry[2]
            for child in (2 * i + 1, 2 * i + 2):
                if child < size:
                    heapq.heappush(frontier, (heap[child], child))


class StagedWaiting:
    """Waiting tickets for a policy of keyed stages asked in turn
    (:class:`~ticketlog.policies.reads.StagedPolicy`): one :class:`WaitingTickets` per
    stage; an agent's class is the tuple of their classes in each stage (``None`` if a
    stage does not partition)."""

    def __init__(self, stages: Iterable[KeyedPolicy]) -> None:
        policies = list(stages)
        self._stages = [WaitingTickets(stage) for stage in policies]
        self._partitioned = all(stage.partition is not None for stage in policies)

    def add(self, ticket: QueuedTicket) -> None:
        """``ticket`` waits (again, if it waited before under another record)."""
        for stage in self._stages:
            stage.add(ticket)

    def remove(self, ticket_id: UUID) -> None:
        """The ticket no longer waits."""
        for stage in self._stages:
            stage.remove(ticket_id)

    def _classes(self, agent: Workload) -> tuple[Hashable, ...]:
        return tuple(stage.agent_class(agent) for stage in self._stages)

    def agent_class(self, agent: Workload) -> Hashable:
        """The agent's classes in the stages (``None`` if a stage does not partition)."""
        return self._classes(agent) if self._partitioned else None

    def classes_taking(self, ticket_id: UUID, agent_classes: Iterable[Hashable]) -> list[Hashable]:
        """Those of ``agent_classes`` that some stage lets take the waiting ticket."""
        classes = list(agent_classes)
        if not self._partitioned:
            return classes
        taking: set[Hashable] = set()
        for n, stage in enumerate(self._stages):
            by_stage_class: dict[Hashable, list[Hashable]] = {}
            for kind in classes:
                by_stage_class.setdefault(cast(tuple[Hashable, ...], kind)[n], []).append(kind)
            for accepted in stage.classes_taking(ticket_id, by_stage_class):
                taking.update(by_stage_class[accepted])
        return [kind for kind in classes if kind in taking]

    def best_for(self, agent: Workload, agent_class: Hashable) -> QueuedTicket | None:
        """The first stage's best ticket for ``agent``, else the next stage's."""
        kinds = agent_class if self._partitioned else self._classes(agent)
        for stage, kind in zip(self._stages, cast(tuple[Hashable, ...], kinds), strict=True):
            ticket = stage.best_for(agent, kind)
            if ticket is not None:
                return ticket
        return None
