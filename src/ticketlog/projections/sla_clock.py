"""The SLA clock of a ticket: the one place where SLA time, deadlines and breaches are reckoned.

A ticket's SLA clock starts when it is received and runs in SLA time (calendar time, or
working time under the targets' :class:`~ticketlog.projections.sla.BusinessHours`); it
stops while the ticket awaits the customer. Those stops are kept as :data:`Pauses`, the
one representation every read model shares (ticket facts for the KPIs, queue records for
routing and automatic escalation), built with :func:`paused` and :func:`resumed`.

The rule: a target is **missed** once the ticket's SLA time exceeds it; at exactly the
target it is still met. The target's :func:`deadline` is the last instant at which it is
met, so ``missed ⇔ now > deadline`` — a deadline that falls at closing time stays met
through the night, and a clock stopped before the deadline has none (:data:`NEVER`). KPIs
(:func:`verdict`) and the escalator (:func:`ticketlog.policies.escalation.missed`) both
judge by :func:`breached`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from ticketlog.domain.values import Priority, SlaTarget
from ticketlog.projections.sla import SlaTargets

Pause = tuple[datetime, datetime | None]
"""A time the ticket awaited the customer: (start, end), end ``None`` while it still does."""

Pauses = tuple[Pause, ...]
"""A ticket's pauses, oldest first; only the last may still be running."""

NEVER = datetime.max.replace(tzinfo=UTC)
"""The deadline of a target whose clock stopped before reaching it."""


class Clocked(Protocol):
    """What the SLA clock reads of a ticket (ticket facts and queue records both have it)."""

    @property
    def received_at(self) -> datetime:
        """When the clock started."""

    @property
    def priority(self) -> Priority:
        """The current priority (it selects the targets)."""

    @property
    def category(self) -> str:
        """The category (it may override the targets)."""

    @property
    def pauses(self) -> Pauses:
        """When the clock stood still."""


class Verdict(StrEnum):
    """How a ticket stands against one target."""

    MET = "met"
    """Done in time."""
    MISSED = "missed"
    """Done late, or not done and past the target already."""
    OPEN = "open"
    """Not done, and not past the target (yet)."""


def paused(pauses: Pauses, at: datetime) -> Pauses:
    """``pauses`` with the clock stopped from ``at`` (unchanged if it stands still already)."""
    if pauses and pauses[-1][1] is None:
        return pauses
    return (*pauses, (at, None))


def resumed(pauses: Pauses, at: datetime) -> Pauses:
    """``pauses`` with the clock running again from ``at`` (unchanged if it runs already)."""
    if not pauses or pauses[-1][1] is not None:
        return pauses
    return (*pauses[:-1], (pauses[-1][0], at))


def paused_since(pauses: Pauses) -> datetime | None:
    """Since when the clock stands still, if it does."""
    return pauses[-1][0] if pauses and pauses[-1][1] is None else None


def held(pauses: Pauses, sla: SlaTargets) -> timedelta:
    """SLA time the clock stood still in the pauses that have ended."""
    ended = (sla.elapsed(begins, ends) for begins, ends in pauses if ends is not None)
    return sum(ended, timedelta(0))


def allowed(ticket: Clocked, target: SlaTarget, sla: SlaTargets) -> timedelta:
    """The SLA time ``ticket`` has for ``target``."""
    if target is SlaTarget.FIRST_REPLY:
        return sla.first_reply(ticket.priority, ticket.category)
    return sla.resolution(ticket.priority, ticket.category)


def sla_time(ticket: Clocked, until: datetime, sla: SlaTargets) -> timedelta:
    """SLA time on ``ticket``'s clock from receipt to ``until`` (pauses not counted)."""
    start = ticket.received_at
    elapsed = sla.elapsed(start, until)
    for begins, ends in ticket.pauses:
        if begins < until:
            elapsed -= sla.elapsed(max(begins, start), until if ends is None else min(ends, until))
    return elapsed


def deadline(ticket: Clocked, target: SlaTarget, sla: SlaTargets) -> datetime:
    """The last instant at which ``ticket`` meets ``target``; :data:`NEVER` if its clock
    stopped before (while it stands still)."""
    start, left = ticket.received_at, allowed(ticket, target, sla)
    for begins, ends in ticket.pauses:
        reached = sla.deadline(start, left)
        if reached < begins:
            return reached
        if ends is None:
            return NEVER
        left -= sla.elapsed(start, begins)
        start = max(start, ends)
    return sla.deadline(start, left)


def breached(deadline: datetime, at: datetime) -> bool:
    """Whether a target with ``deadline`` is missed at ``at``: once the deadline has passed
    (at the deadline itself it is met)."""
    return at > deadline


def verdict(
    ticket: Clocked,
    target: SlaTarget,
    sla: SlaTargets,
    *,
    done_at: datetime | None,
    now: datetime,
) -> Verdict:
    """How ``ticket`` stands against ``target`` at ``now``, done at ``done_at`` (``None``:
    not done)."""
    if breached(deadline(ticket, target, sla), now if done_at is None else done_at):
        return Verdict.MISSED
    return Verdict.OPEN if done_at is None else Verdict.MET
