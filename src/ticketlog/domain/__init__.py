"""The ticket domain: aggregates, events, value types and errors. Imports no storage."""

from __future__ import annotations

from ticketlog.domain.agent import Agent, AgentState
from ticketlog.domain.ticket import Ticket, TicketState, check_eligible, eligibility_error

__all__ = ["Agent", "AgentState", "Ticket", "TicketState", "check_eligible", "eligibility_error"]
