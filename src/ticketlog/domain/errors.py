"""The one small hierarchy of errors ticketlog raises.

Every rejected command raises a subclass of :class:`TicketlogError` and records nothing.
Catch :class:`CommandRejected` for "the desk said no", :class:`NotFound` for unknown ids,
:class:`InvalidValue` for malformed input.
"""

from __future__ import annotations

from uuid import UUID


class TicketlogError(Exception):
    """Base class of every error ticketlog raises on purpose."""


class InvalidValue(TicketlogError, ValueError):
    """A command or setting carried a malformed value (e.g. CSAT 7, an unknown channel)."""


class InvalidId(InvalidValue):
    """An id is neither a UUID nor a string that spells one."""


class InvalidTime(InvalidValue):
    """A time is not a timezone-aware datetime, or lies beyond the desk's future horizon."""


class InvalidHistory(InvalidValue):
    """Events given to be stored do not form a valid history: a stream out of time order or
    with a gap in its versions, or a ticket event naming an agent the desk does not know."""


class ConfigurationError(TicketlogError, ValueError):
    """The store settings or URL are malformed or name an unknown backend."""


class StoreUnavailable(TicketlogError):
    """The event store could not be opened or reached."""


class StoreClosed(StoreUnavailable):
    """The desk was closed: open a new one to go on."""


class NotFound(TicketlogError, LookupError):
    """No aggregate of the expected kind has this id."""


class TicketNotFound(NotFound):
    """No ticket has this id."""

    def __init__(self, ticket_id: UUID) -> None:
        super().__init__(f"no ticket with id {ticket_id}")
        self.ticket_id = ticket_id


class ReviewNotFound(NotFound):
    """No review has this id."""

    def __init__(self, review_id: UUID) -> None:
        super().__init__(f"no review with id {review_id}")
        self.review_id = review_id


class ScorecardNotFound(NotFound):
    """The desk has no scorecard of this name (or none, or several, for the ticket's
    category when no name is given)."""


class AgentNotFound(NotFound):
    """No agent has this id."""

    def __init__(self, agent_id: UUID) -> None:
        super().__init__(f"no agent with id {agent_id}")
        self.agent_id = agent_id


class CommandRejected(TicketlogError):
    """A lifecycle rule forbids this command in the current state."""


class InvalidTransition(CommandRejected):
    """The ticket's status does not allow this command (see ``ticketlog.domain.lifecycle``)."""


class TicketAlreadyAssigned(InvalidTransition):
    """Someone else holds the ticket: assign it only while it waits in a queue."""


class TicketIsClosed(InvalidTransition):
    """A closed ticket accepts nothing."""


class NotTheHolder(CommandRejected):
    """The acting agent does not hold the ticket."""


class DuplicateId(CommandRejected):
    """A new ticket or agent was given an id that is already taken."""


class SameTarget(CommandRejected):
    """A transfer, reassignment or escalation must name a target different from where the
    ticket is (another agent, queue or tier)."""


class AlreadyRated(CommandRejected):
    """This resolution was rated already; a new rating needs a reopen and a new resolution."""


class AlreadyEscalated(CommandRejected):
    """This SLA breach was escalated already (automatic escalation happens once per breach)."""


class NotAReviewer(CommandRejected):
    """The agent has no reviewer role (``join_agent(..., reviewer=True)``)."""


class ReviewNotAllowed(CommandRejected):
    """The scorecard does not allow this review: the ticket was never resolved, the
    reviewer handled it, or the scorecard does not cover its category."""


class AlreadyReviewed(CommandRejected):
    """The reviewer has claimed or scored a review of this ticket already."""


class OutOfOrder(CommandRejected):
    """The command's time is earlier than the ticket's or agent's latest event by more than
    the desk's skew tolerance."""


class AgentNotEligible(CommandRejected):
    """The agent cannot be given this ticket."""


class AgentOffline(AgentNotEligible):
    """The agent is offline."""


class AgentAtCapacity(AgentNotEligible):
    """The agent already holds as many tickets as their capacity allows."""


class AgentLacksSkill(AgentNotEligible):
    """The agent lacks a skill or language the ticket requires."""


class TierTooLow(AgentNotEligible):
    """The ticket sits in a higher tier than the agent's."""


class ConcurrencyConflict(TicketlogError):
    """Other writers kept changing the same aggregate; the command gave up after retrying."""
