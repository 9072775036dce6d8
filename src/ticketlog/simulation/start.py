"""The state a run starts from: a desk's open tickets, holdings and presence at an instant.

``simulate(..., start_from=view)`` continues a desk's books from ``view``, a
:class:`~ticketlog.projections.view.DeskView` of every event up to the run's start (e.g.
``HelpDesk.view_as_of(t)``, or ``fold(DeskView(sla=...), events, until=t)``). What it takes
over (:func:`start_state`):

- the **backlog**: every ticket open in the view's queues, with its routing record as it is
  (queue, tier, SLA due date and pauses, ``received_at``: its age and SLA clock run on);
- the **holdings**: a held ticket stays with its holder, whose spell goes on;
- the **presence**: the agents online in the view's workloads are online at the start.

A simulation cannot see how much work an open ticket still needs, so every backlog ticket
needs an :class:`~ticketlog.simulation.scenario.Arrival` among the run's arrivals (same
ticket id, arriving at or before the start) that says so: its drawn work content and what
was to happen to it. The work already done is the time agents held the ticket so far
(:func:`ticketlog.projections.spells.held`); what remains is the arrival's work minus
that — after the drawn handoff (a transfer, or an escalation by the agent, is seen in the
ticket's facts) its second part, after the drawn reopen the reopen's work.
:func:`~ticketlog.simulation.forecast.backlog_work` draws such arrivals for a real desk's
tickets. Arrivals after the start are served as usual.

Limits: what was drawn for tickets no longer open at the start is not carried over — a
resolved ticket's reopen still to come, a rating after it. A customer's patience is kept for
backlog tickets nobody took yet (they give up when it ends, if it ends after the start).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from uuid import UUID

import attrs

from ticketlog.domain.errors import ConfigurationError
from ticketlog.projections import spells
from ticketlog.projections.facts import TicketFacts
from ticketlog.projections.queues import QueuedTicket
from ticketlog.projections.view import DeskView
from ticketlog.simulation.scenario import Arrival


@attrs.frozen
class Backlogged:
    """An open ticket of the view, as the run takes it over."""

    arrival: Arrival
    """What the ticket is and what its work content is (see the module docstring)."""
    record: QueuedTicket
    done: timedelta
    """Work done since it was received (since its drawn reopen, if it was reopened)."""
    reopened: bool
    """Whether the arrival's drawn reopen happened."""
    handed_off: bool
    """Whether the arrival's drawn handoff happened."""
    first_assigned_at: datetime | None

    @property
    def holder(self) -> UUID | None:
        """The agent holding the ticket at the start (``None``: it waits)."""
        return self.record.agent_id


@attrs.frozen
class StartState:
    """What a run takes over from a view (:func:`start_state`)."""

    at: datetime
    view: DeskView
    backlog: tuple[Backlogged, ...]
    """The open tickets, in order of receipt."""
    online: frozenset[UUID]
    """The agents online at the start."""
    arrivals: list[Arrival]
    """The arrivals still to come (after the start), in time order."""

    @property
    def ticket_ids(self) -> frozenset[UUID]:
        """The backlog's tickets."""
        return frozenset(t.record.ticket_id for t in self.backlog)


def check_view_is_as_of(view: DeskView, at: datetime) -> None:
    """Raise :class:`~ticketlog.domain.errors.ConfigurationError` if ``view`` has tickets
    received after ``at`` (it is not the desk as of ``at``)."""
    if any(f.received_at > at for f in view.facts):
        msg = (
            f"the view has tickets received after the start ({at.isoformat()}): fold it up to "
            f"then, or start the run later"
        )
        raise ConfigurationError(msg)


def start_state(view: DeskView, arrivals: Iterable[Arrival], *, at: datetime) -> StartState:
    """The backlog, holdings and presence of ``view`` at ``at``, with ``arrivals`` split into
    the backlog's work and those to serve.

    Raises :class:`~ticketlog.domain.errors.ConfigurationError` when the view is not as of
    ``at`` (:func:`check_view_is_as_of`), an open ticket has no arrival, an arrival at or
    before ``at`` is unknown to the view, or one after ``at`` reuses the id of a ticket the
    view knows.
    """
    check_view_is_as_of(view, at)
    tickets = view.facts.tickets
    described: dict[UUID, Arrival] = {}
    later: list[Arrival] = []
    for arrival in arrivals:
        known = arrival.ticket_id in tickets
        if arrival.at > at:
            if known:
                msg = f"arrival {arrival.ticket_id} after the start reuses a ticket id of the view"
                raise ConfigurationError(msg)
            later.append(arrival)
        elif not known:
            msg = (
                f"arrival {arrival.ticket_id} at {arrival.at.isoformat()} is not after the start "
                f"({at.isoformat()}) but the view has no such ticket"
            )
            raise ConfigurationError(msg)
        else:
            described[arrival.ticket_id] = arrival
    records = sorted(view.queues.open_tickets(), key=lambda r: (r.received_at, r.ticket_id))
    missing = [r.ticket_id for r in records if r.ticket_id not in described]
    if missing:
        msg = (
            f"{len(missing)} open tickets of the view (e.g. {missing[0]}) have no arrival "
            f"saying how much work they need; ticketlog.simulation.backlog_work draws them"
        )
        raise ConfigurationError(msg)
    backlog = tuple(
        _taken_over(r, described[r.ticket_id], tickets[r.ticket_id], at) for r in records
    )
    online = frozenset(w.agent_id for w in view.workloads.workloads(now=at) if w.online)
    return StartState(at, view, backlog, online, sorted(later, key=lambda a: a.at))


def _taken_over(
    record: QueuedTicket, arrival: Arrival, facts: TicketFacts, at: datetime
) -> Backlogged:
    reopened = facts.reopens > 0 and arrival.reopen_after is not None
    held = spells.held(facts, at)
    done = held - arrival.work if reopened else held
    # Automatic escalations each add their target to ``escalated``; the others are the agent's.
    handed_off = facts.transfers > 0 or facts.escalations > len(record.escalated)
    return Backlogged(
        arrival=arrival,
        record=record,
        done=max(done, timedelta(0)),
        reopened=reopened,
        handed_off=handed_off,
        first_assigned_at=facts.first_assigned_at,
    )
