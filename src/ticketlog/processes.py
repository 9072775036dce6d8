"""Processes: reactions of the desk to the passing of time.

(eventsourcing calls reactions "policies"; in ticketlog, policies decide assignments, see
:mod:`ticketlog.policies`, and reactions live here.)

:class:`SlaEscalator` escalates tickets automatically when an SLA target passes: each
:meth:`~SlaEscalator.tick` looks at the open tickets as of ``now`` and, for every
first-reply or resolution target missed and not escalated yet, records a
``TicketEscalated`` of kind ``automatic`` naming the breach, to the next step of the
escalation path. A ticket that missed both targets is escalated for the first one, and
for the second at the next tick (from its new place on the path). The ticket itself
refuses a second escalation of the same breach, so ticking again — after a restart, or
from two processes at once — never escalates twice.

The rules (paths, watched targets, the breach verdict) are
:mod:`ticketlog.policies.escalation`, shared with the simulation; :class:`EscalationPath`
and :class:`Step` are re-exported here for the escalator's callers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from uuid import UUID

from ticketlog.desk import HelpDesk
from ticketlog.domain.errors import CommandRejected, InvalidValue
from ticketlog.domain.values import EscalationKind, SlaTarget
from ticketlog.policies.escalation import EscalationPath, Step, breach_reason, missed
from ticketlog.projections.queues import QueuedTicket, Queues

__all__ = ["EscalationPath", "SlaEscalator", "Step", "keep_escalating"]


class SlaEscalator:
    """Escalates tickets whose SLA targets pass, once per breach, along ``path``.

    ``path`` is an :class:`EscalationPath` or a sequence of ``(tier, queue)`` pairs.
    Deadlines follow the desk's SLA targets (``HelpDesk(sla=...)``): business hours and
    time spent awaiting the customer included.
    """

    def __init__(self, desk: HelpDesk, path: EscalationPath | Sequence[tuple[int, str]]) -> None:
        self.desk = desk
        self.path = path if isinstance(path, EscalationPath) else EscalationPath.of(*path)

    @staticmethod
    def breach(
        queues: Queues, ticket: QueuedTicket, now: datetime
    ) -> tuple[SlaTarget, datetime] | None:
        """The target ``ticket`` missed by ``now`` and its deadline, unless escalated already.

        A target is missed once the ticket's SLA time exceeds it: at the deadline itself
        it is met.
        """
        return missed(ticket, now, queues.sla)

    def tick(self, now: datetime | None = None) -> list[UUID]:
        """Escalate every ticket with a new breach at ``now`` (default: the desk's clock).

        Returns the ids of the tickets escalated by this call.
        """
        when = self.desk.clock.now() if now is None else now
        queues = self.desk.view().queues
        escalated = []
        for ticket in queues.open_tickets():
            missed = self.breach(queues, ticket, when)
            step = None if missed is None else self.path.after(ticket.tier, ticket.queue)
            if missed is None or step is None:
                continue
            target, deadline = missed
            try:
                self.desk.escalate(
                    ticket.ticket_id,
                    kind=EscalationKind.AUTOMATIC,
                    to_tier=step.tier,
                    to_queue=step.queue,
                    breach=target,
                    reason=breach_reason(deadline),
                    at=when,
                )
            except (CommandRejected, InvalidValue):
                continue  # escalated, closed or moved meanwhile (by hand or by another process)
            escalated.append(ticket.ticket_id)
        return escalated


def keep_escalating(
    escalator: SlaEscalator,
    every: timedelta,
    stop: threading.Event,
    *,
    ticked: Callable[[datetime, list[UUID]], None] | None = None,
) -> None:
    """Tick ``escalator`` at once and then every ``every``, until ``stop`` is set (between
    ticks: a tick under way finishes). ``ticked`` hears of each tick: when, and the tickets
    it escalated. Several processes may run it on one store: a breach is escalated once."""
    if every <= timedelta(0):
        msg = f"the escalator ticks every positive period, not every {every}"
        raise InvalidValue(msg)
    while not stop.is_set():
        when = escalator.desk.clock.now()
        escalated = escalator.tick(when)
        if ticked is not None:
            ticked(when, escalated)
        stop.wait(every.total_seconds())
