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

A ticket resolved before the start whose drawn reopen comes after it **returns**: the
customer reopens it when the arrival says (its routing record is the one the view's queues
kept when it left), then it is served again and rated, as in a run from the beginning. A
customer's patience is kept for backlog tickets nobody took yet (they give up when it ends,
if it ends after the start). Limit: a rating still to come for a ticket resolved for good
before the start is not (a run rates at the resolution, so only a view cut between the two
at the same instant could miss one).
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
class Returning:
    """A ticket resolved before the start that the customer reopens after it."""

    arrival: Arrival
    record: QueuedTicket
    """Its routing record as the view's queues kept it when it left."""
    reopens_at: datetime
    handed_off: bool
    """Whether the arrival's drawn handoff happened."""
    first_assigned_at: datetime | None


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
    returning: tuple[Returning, ...] = ()
    """The resolved tickets to be reopened after the start, in order of receipt."""

    @property
    def ticket_ids(self) -> frozenset[UUID]:
        """The tickets taken over: the backlog's and the returning ones."""
        taken = [t.record.ticket_id for t in self.backlog]
        return frozenset(taken + [t.record.ticket_id for t in self.returning])


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
    taken = {r.ticket_id for r in records}
    returning = tuple(
        sorted(
            (
                back
                for ticket_id, arrival in described.items()
                if ticket_id not in taken
                and (back := _returning(view, arrival, tickets[ticket_id], at)) is not None
            ),
            key=lambda back: (back.record.received_at, back.record.ticket_id),
        )
    )
    online = frozenset(w.agent_id for w in view.workloads.workloads(now=at) if w.online)
    return StartState(at, view, backlog, online, sorted(later, key=lambda a: a.at), returning)


def _returning(
    view: DeskView, arrival: Arrival, facts: TicketFacts, at: datetime
) -> Returning | None:
    """The ticket, if it was resolved by ``at`` and its drawn reopen comes after ``at``."""
    resolved_at = facts.resolved_at
    if arrival.reopen_after is None or facts.reopens or not facts.is_resolved:
        return None
    if resolved_at is None or resolved_at + arrival.reopen_after <= at:
        return None
    record = view.queues.record(facts.ticket_id)
    assert record is not None  # noqa: S101 - a received ticket has a record
    return Returning(
        arrival=arrival,
        record=record,
        reopens_at=resolved_at + arrival.reopen_after,
        handed_off=_handed_off(facts, record),
        first_assigned_at=facts.first_assigned_at,
    )


def _handed_off(facts: TicketFacts, record: QueuedTicket) -> bool:
    """Whether an agent handed the ticket on (automatic escalations each add their target
    to ``escalated``; the others are the agents')."""
    return facts.transfers > 0 or facts.escalations > len(record.escalated)


def _taken_over(
    record: QueuedTicket, arrival: Arrival, facts: TicketFacts, at: datetime
) -> Backlogged:
    reopened = facts.reopens > 0 and arrival.reopen_after is not None
    held = spells.held(facts, at)
    done = held - arrival.work if reopened else held
    return Backlogged(
        arrival=arrival,
        record=record,
        done=max(done, timedelta(0)),
        reopened=reopened,
        handed_off=_handed_off(facts, record),
        first_assigned_at=facts.first_assigned_at,
    )
