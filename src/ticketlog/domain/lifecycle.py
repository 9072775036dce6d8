"""The ticket lifecycle in one table: which commands each status accepts.

=============  =======  ========  ========  ======  =========
command        waiting  assigned  resolved  closed  abandoned
=============  =======  ========  ========  ======  =========
assign         yes      no        no        no      no
respond        no       yes       no        no      no
transfer       yes      yes       no        no      no
reassign       no       yes       no        no      no
release        no       yes       no        no      no
escalate       yes      yes       no        no      no
deescalate     yes      yes       no        no      no
resolve        no       yes       no        no      no
reopen         no       no        yes       no      no
rate           no       no        yes       no      no
close          yes      yes       yes       no      yes
abandon        yes      no        no        no      no
reprioritise   yes      yes       no        no      no
await          no       yes       no        no      no
customer       yes      yes       no        no      no
=============  =======  ========  ========  ======  =========

``reassign`` passes the ticket from its holder to another person of the same queue and
tier; ``release`` puts it back in its queue (the holder only); ``deescalate`` moves it down
a tier, where it waits unassigned.

These rules judge live commands. The record of a history that happened elsewhere
(:meth:`ticketlog.domain.ticket.Ticket.record`, used by imports) is not judged by them:
only each event's own validation and the time order apply, and every projection folds
whatever sequence such a history holds.

``await`` (the holder waits on the customer, stopping the SLA clock) also needs the
ticket not to await the customer already; ``customer`` (the customer wrote back)
restarts a stopped clock.

The status each command leads to is defined by its event in
:meth:`ticketlog.domain.ticket.Ticket.evolve`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from ticketlog.domain.errors import InvalidTransition, TicketAlreadyAssigned, TicketIsClosed
from ticketlog.domain.values import TicketStatus

WAITING, ASSIGNED, RESOLVED, CLOSED, ABANDONED = TicketStatus


class Command(StrEnum):
    """The commands a ticket accepts after it was received."""

    ASSIGN = "assign"
    RESPOND = "respond"
    TRANSFER = "transfer"
    REASSIGN = "reassign"
    RELEASE = "release"
    ESCALATE = "escalate"
    DEESCALATE = "deescalate"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    RATE = "rate"
    CLOSE = "close"
    ABANDON = "abandon"
    REPRIORITISE = "reprioritise"
    AWAIT_CUSTOMER = "await"
    CUSTOMER_REPLIED = "customer"


ALLOWED: Mapping[Command, frozenset[TicketStatus]] = {
    Command.ASSIGN: frozenset({WAITING}),
    Command.RESPOND: frozenset({ASSIGNED}),
    Command.TRANSFER: frozenset({WAITING, ASSIGNED}),
    Command.REASSIGN: frozenset({ASSIGNED}),
    Command.RELEASE: frozenset({ASSIGNED}),
    Command.ESCALATE: frozenset({WAITING, ASSIGNED}),
    Command.DEESCALATE: frozenset({WAITING, ASSIGNED}),
    Command.RESOLVE: frozenset({ASSIGNED}),
    Command.REOPEN: frozenset({RESOLVED}),
    Command.RATE: frozenset({RESOLVED}),
    Command.CLOSE: frozenset({WAITING, ASSIGNED, RESOLVED, ABANDONED}),
    Command.ABANDON: frozenset({WAITING}),
    Command.REPRIORITISE: frozenset({WAITING, ASSIGNED}),
    Command.AWAIT_CUSTOMER: frozenset({ASSIGNED}),
    Command.CUSTOMER_REPLIED: frozenset({WAITING, ASSIGNED}),
}
"""For each command, the statuses in which a ticket accepts it."""


def is_allowed(status: TicketStatus, command: Command) -> bool:
    """Whether a ticket in ``status`` accepts ``command``."""
    return status in ALLOWED[command]


def check_allowed(status: TicketStatus, command: Command) -> None:
    """Raise the most specific :class:`InvalidTransition` if ``command`` is not allowed."""
    if is_allowed(status, command):
        return
    if status is CLOSED:
        msg = f"a closed ticket accepts nothing (tried to {command})"
        raise TicketIsClosed(msg)
    if command is Command.ASSIGN and status is ASSIGNED:
        msg = "the ticket is already assigned"
        raise TicketAlreadyAssigned(msg)
    msg = f"'{command}' is not allowed on a {status} ticket"
    if command is Command.ASSIGN and status is RESOLVED:
        msg += " until it is reopened"
    raise InvalidTransition(msg)
