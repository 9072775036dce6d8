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


def cobham_mean_waits(arrival_rates: list[float], service_rate: float, servers: int) -> list[float]:
    """Mean wait in queue per class of an M/M/c queue with non-preemptive priorities.

    ``arrival_rates`` lists the classes from the highest priority down; all classes share
    ``service_rate``. Cobham's formula: ``W_k = C / (c * mu * (1 - s_{k-1}) * (1 - s_k))``
    with ``C`` the Erlang C probability of the total load and ``s_k`` the load of classes
    1..k divided by ``c``.
    """
    waiting = erlang_c(sum(arrival_rates), service_rate, servers)
    capacity = servers * service_rate
    waits, above = [], 0.0
    for rate in arrival_rates:
        upto = above + rate / capacity
        waits.append(waiting / (capacity * (1 - above) * (1 - upto)))
        above = upto
    return waits
