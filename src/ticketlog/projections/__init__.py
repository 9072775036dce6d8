"""Read models: deterministic folds of the event log (no I/O, no wall clock)."""

from __future__ import annotations

from ticketlog.projections.holdings import Holdings
from ticketlog.projections.timeline import TimelineEntry, build_timeline

__all__ = ["Holdings", "TimelineEntry", "build_timeline"]
