"""Helpers for testing code built on ticketlog: hypothesis strategies and a stateful model.

* :mod:`ticketlog.testing.strategies` — valid ticket attributes, agent profiles, scores;
* :mod:`ticketlog.testing.histories` — recorded histories: facts of any kind in any order,
  as imports record them (:meth:`~ticketlog.domain.ticket.Ticket.record`);
* :mod:`ticketlog.testing.model` — :class:`DeskModel`, a plain-dict reference desk that
  predicts which commands the desk accepts and which error it raises otherwise;
* :mod:`ticketlog.testing.stateful` — :class:`DeskMachine`, a hypothesis state machine
  that drives a real :class:`~ticketlog.desk.HelpDesk` next to the model and checks the
  desk's invariants after every step;
* :mod:`ticketlog.testing.reviews` — :class:`ReviewMachine`, the same with reviewers,
  scorecards and review samplers (put your own samplers under test by subclassing it).

This package needs hypothesis (``pip install 'ticketlog-es[testing]'``); the rest of
ticketlog does not.
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401 - fail early with a helpful message
except ModuleNotFoundError as error:  # pragma: no cover - depends on the environment
    msg = "ticketlog.testing needs hypothesis: pip install 'ticketlog-es[testing]'"
    raise ImportError(msg) from error

from ticketlog.testing import histories, strategies
from ticketlog.testing.model import DeskModel, ModelAgent, ModelReview, ModelTicket
from ticketlog.testing.reviews import ReviewMachine
from ticketlog.testing.stateful import DeskMachine

__all__ = [
    "DeskMachine",
    "DeskModel",
    "ModelAgent",
    "ModelReview",
    "ModelTicket",
    "ReviewMachine",
    "histories",
    "strategies",
]
