"""The warm-up of a run: the first tickets, left out of its KPIs.

A simulated desk starts empty and idle, which a real desk in steady state never is, so
the first tickets of a run wait less than the rest. A warm-up discards them from the
KPIs, given either as a number of tickets (the first ``N`` arrivals) or as a duration
(tickets received before the run's start plus the warm-up). The discarded tickets still
run — they load the desk and delay the tickets after them — they only do not count.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from ticketlog.domain.errors import InvalidValue
from ticketlog.projections.facts import TicketFacts

Warmup = int | timedelta
"""A warm-up: a number of tickets, or a duration from the start of the run."""


def check_warmup(warmup: object) -> Warmup | None:
    """``warmup`` if it is ``None``, a whole number of tickets >= 0 or a duration >= 0;
    :class:`~ticketlog.domain.errors.InvalidValue` otherwise."""
    if warmup is None:
        return None
    if isinstance(warmup, timedelta) and warmup >= timedelta(0):
        return warmup
    if isinstance(warmup, int) and not isinstance(warmup, bool) and warmup >= 0:
        return warmup
    msg = f"a warm-up is a number of tickets (>= 0) or a duration (>= 0), not {warmup!r}"
    raise InvalidValue(msg)


def after_warmup(
    facts: Sequence[TicketFacts], warmup: Warmup | None, *, start: datetime
) -> Sequence[TicketFacts]:
    """The facts of the tickets that count: all but the warm-up's, in arrival order.

    Arrival order is the order of receipt (ties as received). A count discards the first
    ``warmup`` tickets; a duration the tickets received before ``start + warmup``.
    """
    checked = check_warmup(warmup)
    ordered = sorted(facts, key=lambda f: f.received_at)  # stable: ties stay as received
    if checked is None:
        return ordered
    if isinstance(checked, timedelta):
        cut = start + checked
        return [f for f in ordered if f.received_at >= cut]
    return ordered[checked:]
