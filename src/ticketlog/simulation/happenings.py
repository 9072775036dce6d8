"""The columnar kernel's vocabulary, shared by its interpreted and compiled loops.

What can fall due at an instant (in the order it is handled, as in the engine), and the
kinds of the run's log of happenings, replayed into a
:class:`~ticketlog.simulation.desks.FastDesk` when the books are read.
"""

from datetime import timedelta

DONE, OFF, ON, REOPENS, ARRIVAL, PATIENCE, BREACH = range(7)
"""What can fall due at an instant, in the order it is handled."""
READY = -1
"""A pull turn of an agent who looks on their own (not with a woken class)."""
STALLED = timedelta(days=8) // timedelta(microseconds=1)
"""As in the engine: with only shifts to come, a run ends after this long without progress
(microseconds)."""
NEVER = 2**63 - 1
"""The instant of no further arrival (later than any)."""

RECEIVE, ASSIGN, HAND_OFF, RESOLVE, REOPEN, RATE, FORGET, ABANDON, PRESENCE, ESCALATE = range(10)
"""The kinds of happening in the log."""
FIELDS = (1, 3, 4, 3, 2, 3, 1, 2, 3, 6)
"""How many integers follow each kind of happening in the log: the ticket (the agent, for
a presence), then what the happening needs (agents, instants, tiers, …)."""
