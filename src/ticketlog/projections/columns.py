"""Ticket facts as columns: one numpy array per field, the form the KPIs are computed in.

:func:`~ticketlog.projections.kpis.compute_kpis` turns ticket facts into
:class:`TicketColumns` (:meth:`TicketColumns.of`); the simulation's columnar kernel writes
the same columns as it runs, without making a record per ticket. Either way the KPIs come
from one vectorised function over the columns, so a live view and a simulation share one
KPI implementation.

Instants are integer microseconds since the Unix epoch, durations integer microseconds
(exact, as ``datetime`` and ``timedelta`` are); :data:`MISSING` marks an instant that did
not happen. Each ticket's SLA verdicts (:class:`~ticketlog.projections.sla_clock.Verdict`)
as of ``now`` are columns too: judged by :func:`sla_verdicts` when the clock is plain
calendar time without pauses, by :func:`~ticketlog.projections.sla_clock.verdict` ticket
by ticket otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import attrs
import numpy as np
import numpy.typing as npt

from ticketlog.domain.values import SlaTarget
from ticketlog.projections.facts import TicketFacts
from ticketlog.projections.sla import SlaTargets
from ticketlog.projections.sla_clock import Verdict, allowed, verdict

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]

MISSING = np.iinfo(np.int64).min
"""An instant that did not happen."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)

EXCLUDED, MET, MISSED, OPEN = range(4)
"""SLA verdict codes: not judged against the target, then those of :class:`Verdict`."""
_CODES = {Verdict.MET: MET, Verdict.MISSED: MISSED, Verdict.OPEN: OPEN}


def microseconds(at: datetime | None) -> int:
    """``at`` in microseconds since the epoch (:data:`MISSING` for ``None``)."""
    return MISSING if at is None else (at - EPOCH) // _US


@attrs.frozen
class TicketColumns:
    """The facts the KPIs read, one array per field, one row per ticket."""

    received: Ints
    first_assigned: Ints
    first_response: Ints
    resolved: Ints
    """The latest resolution."""
    abandoned: Ints
    handle: Ints
    """Handle time (microseconds)."""
    open: Bools
    resolutions: Ints
    fcr: Bools
    """Resolved at first contact (:attr:`TicketFacts.first_contact_resolution`)."""
    transfers: Ints
    escalations: Ints
    reopens: Ints
    reassignments: Ints
    deescalations: Ints
    csat: Floats
    """The latest rating (``nan``: none)."""
    nps: Floats
    reply_verdict: npt.NDArray[np.int8]
    """First-reply verdict codes (:data:`EXCLUDED`, :data:`MET`, :data:`MISSED`, :data:`OPEN`)."""
    resolution_verdict: npt.NDArray[np.int8]

    def __len__(self) -> int:
        return len(self.received)

    @property
    def resolved_now(self) -> Bools:
        """Resolved at least once and not open again."""
        return (self.resolutions > 0) & ~self.open

    @classmethod
    def of(cls, facts: Sequence[TicketFacts], *, now: datetime, sla: SlaTargets) -> TicketColumns:
        """The columns of ``facts``, with their SLA verdicts as of ``now``."""

        def ints(values: list[int]) -> Ints:
            return np.asarray(values, dtype=np.int64).reshape(len(facts))

        def rating(value: int | None) -> float:
            return np.nan if value is None else float(value)

        received = ints([microseconds(f.received_at) for f in facts])
        first_response = ints([microseconds(f.first_response_at) for f in facts])
        resolved = ints([microseconds(f.resolved_at) for f in facts])
        abandoned = ints([microseconds(f.abandoned_at) for f in facts])
        is_open = np.asarray([f.is_open for f in facts], dtype=np.bool_).reshape(len(facts))
        resolutions = ints([f.resolutions for f in facts])
        if sla.calendar is None and not any(f.pauses for f in facts):
            first, resolution = (
                ints([allowed(f, target, sla) // _US for f in facts])
                for target in (SlaTarget.FIRST_REPLY, SlaTarget.RESOLUTION)
            )
            reply_verdict, resolution_verdict = sla_verdicts(
                received=received,
                first_response=first_response,
                resolved=resolved,
                abandoned=abandoned,
                is_open=is_open,
                resolutions=resolutions,
                first_reply_target=first,
                resolution_target=resolution,
                now=microseconds(now),
            )
        else:
            reply_verdict, resolution_verdict = _verdicts_one_by_one(facts, now, sla)
        return cls(
            received=received,
            first_assigned=ints([microseconds(f.first_assigned_at) for f in facts]),
            first_response=first_response,
            resolved=resolved,
            abandoned=abandoned,
            handle=ints([f.handle_time // _US for f in facts]),
            open=is_open,
            resolutions=resolutions,
            fcr=np.asarray([f.first_contact_resolution for f in facts], dtype=np.bool_).reshape(
                len(facts)
            ),
            transfers=ints([f.transfers for f in facts]),
            escalations=ints([f.escalations for f in facts]),
            reopens=ints([f.reopens for f in facts]),
            reassignments=ints([f.reassignments for f in facts]),
            deescalations=ints([f.deescalations for f in facts]),
            csat=np.asarray([rating(f.csat) for f in facts], dtype=np.float64).reshape(len(facts)),
            nps=np.asarray([rating(f.nps) for f in facts], dtype=np.float64).reshape(len(facts)),
            reply_verdict=reply_verdict,
            resolution_verdict=resolution_verdict,
        )


def sla_verdicts(
    *,
    received: Ints,
    first_response: Ints,
    resolved: Ints,
    abandoned: Ints,
    is_open: Bools,
    resolutions: Ints,
    first_reply_target: Ints,
    resolution_target: Ints,
    now: int,
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8]]:
    """First-reply and resolution verdict codes on a calendar-time clock without pauses:
    :func:`~ticketlog.projections.sla_clock.verdict`'s rule (missed once the time done, or
    ``now`` if not done, is past ``received + target``), vectorised.

    Judged: the first reply of tickets replied to or not abandoned; the final resolution of
    open tickets and of resolved ones (abandoned and closed-unresolved ones are excluded)."""
    replied = first_response != MISSING
    reply = _judge(received + first_reply_target, np.where(replied, first_response, now), replied)
    reply[~replied & (abandoned != MISSING)] = EXCLUDED
    done = ~is_open & (resolutions > 0) & (resolved != MISSING)
    resolution = _judge(received + resolution_target, np.where(done, resolved, now), done)
    resolution[~is_open & ~done] = EXCLUDED
    return reply, resolution


def _judge(deadline: Ints, at: Ints, done: Bools) -> npt.NDArray[np.int8]:
    return np.where(at > deadline, MISSED, np.where(done, MET, OPEN)).astype(np.int8)


def _verdicts_one_by_one(
    facts: Sequence[TicketFacts], now: datetime, sla: SlaTargets
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8]]:
    """The verdict codes of each ticket by its SLA clock (business hours, pauses)."""
    reply = np.zeros(len(facts), dtype=np.int8)
    resolution = np.zeros(len(facts), dtype=np.int8)
    for row, f in enumerate(facts):
        if f.first_response_at is not None or f.abandoned_at is None:
            judged = verdict(f, SlaTarget.FIRST_REPLY, sla, done_at=f.first_response_at, now=now)
            reply[row] = _CODES[judged]
        if f.is_open or (f.is_resolved and f.resolved_at is not None):
            done = None if f.is_open else f.resolved_at
            judged = verdict(f, SlaTarget.RESOLUTION, sla, done_at=done, now=now)
            resolution[row] = _CODES[judged]
    return reply, resolution
