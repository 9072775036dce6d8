"""Closed forms of queueing theory, to check simulations against (and for analysts)."""

from __future__ import annotations


def erlang_c(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Probability that an arrival waits in an M/M/c queue (Erlang C).

    Rates are per the same time unit; requires ``arrival_rate < servers * service_rate``.
    """
    load = arrival_rate / service_rate
    if load >= servers:
        msg = f"an M/M/{servers} queue with load {load:.3f} is unstable"
        raise ValueError(msg)
    term = 1.0
    total = 1.0
    for k in range(1, servers):
        term *= load / k
        total += term
    last = term * load / servers * servers / (servers - load)
    return last / (total + last)


def erlang_c_mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean wait in queue of an M/M/c queue, in the time unit of the rates."""
    return erlang_c(arrival_rate, service_rate, servers) / (servers * service_rate - arrival_rate)
