"""The vocabulary of a simulated run, shared by the engine and the columnar kernel's two
loops (interpreted and compiled).

What can fall due at an instant, in the order it is handled, and the kinds of the
kernel's log of happenings, replayed into a :class:`~ticketlog.simulation.desks.FastDesk`
when the books are read.
"""

from datetime import timedelta

DONE, OFF, ON, REOPENS, REPLY, ARRIVAL, PATIENCE, BREACH, APPOINTMENT = range(9)
"""What can fall due at an instant, in the order it is handled (the kernel has neither
replies nor appointments)."""
STALLED = timedelta(days=8)
"""With only shifts left to come, a run ends after this long without a ticket joining
the queues or being taken (tickets no agent can take would otherwise wait forever;
weekly shifts come round within seven days)."""

READY = -1
"""The kernel's pull turn of an agent who looks on their own (not with a woken class)."""
NEVER = 2**63 - 1
"""The kernel's instant of no further arrival (later than any)."""
RECEIVE, ASSIGN, HAND_OFF, RESOLVE, REOPEN, RATE, FORGET, ABANDON, PRESENCE, ESCALATE = range(10)
"""The kinds of happening in the kernel's log."""
FIELDS = (1, 3, 4, 3, 2, 3, 1, 2, 3, 6)
"""How many integers follow each kind of happening in the log: the ticket (the agent, for
a presence), then what the happening needs (agents, instants, tiers, …)."""
