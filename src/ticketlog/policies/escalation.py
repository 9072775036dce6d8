"""Automatic escalation rules: which missed SLA target moves a ticket, and where to.

The rules the desk's escalator (:class:`ticketlog.processes.SlaEscalator`) and the
simulation's both follow: an :class:`EscalationPath` of steps, the targets an escalation
still watches (:func:`open_targets`), the first of them a ticket missed (:func:`missed`,
judged by the SLA clock, :mod:`ticketlog.projections.sla_clock`), and the reason recorded
(:func:`breach_reason`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import attrs

from ticketlog.domain.errors import InvalidValue
from ticketlog.domain.values import SlaTarget
from ticketlog.projections.queues import QueuedTicket
from ticketlog.projections.sla import SlaTargets
from ticketlog.projections.sla_clock import breached, deadline


@attrs.frozen
class Step:
    """A place on the escalation path: a tier and a queue."""

    tier: int
    queue: str


@attrs.frozen
class EscalationPath:
    """Where automatic escalations send tickets, step by step (lowest tier first).

    A ticket at a step moves to the next one; a ticket elsewhere moves to the first step
    above its tier. A ticket at or beyond the last step stays where it is. A path without
    steps, with repeated steps or with tiers out of order raises
    :class:`~ticketlog.domain.errors.InvalidValue`.
    """

    steps: tuple[Step, ...]

    @classmethod
    def of(cls, *steps: tuple[int, str]) -> EscalationPath:
        """A path from ``(tier, queue)`` pairs, e.g. ``of((1, "general"), (2, "experts"))``."""
        return cls(tuple(Step(tier, queue) for tier, queue in steps))

    def __attrs_post_init__(self) -> None:
        tiers = [step.tier for step in self.steps]
        if not tiers or tiers != sorted(tiers) or len(set(self.steps)) != len(self.steps):
            msg = "an escalation path needs distinct steps, in ascending tiers"
            raise InvalidValue(msg)

    def after(self, tier: int, queue: str) -> Step | None:
        """The step a ticket at ``tier`` in ``queue`` escalates to, if any."""
        here = Step(tier, queue)
        if here in self.steps:
            index = self.steps.index(here) + 1
            return self.steps[index] if index < len(self.steps) else None
        return next((step for step in self.steps if step.tier > tier), None)


def breach_reason(deadline: datetime) -> str:
    """The reason an automatic escalation records for a missed ``deadline``."""
    return f"deadline {deadline.astimezone(UTC):%Y-%m-%d %H:%M} UTC passed"


def open_targets(ticket: QueuedTicket) -> list[SlaTarget]:
    """The targets an automatic escalation still watches: not escalated yet, and the first
    reply only until an agent has replied."""
    return [
        target
        for target in SlaTarget
        if target not in ticket.escalated
        and not (target is SlaTarget.FIRST_REPLY and ticket.replied)
    ]


def missed(
    ticket: QueuedTicket, now: datetime, sla: SlaTargets
) -> tuple[SlaTarget, datetime] | None:
    """The first watched target ``ticket`` missed by ``now``, and its deadline."""
    for target in open_targets(ticket):
        when = deadline(ticket, target, sla)
        if breached(when, now):
            return target, when
    return None
