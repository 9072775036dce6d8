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


def erlang_a_abandonment(
    arrival_rate: float, service_rate: float, servers: int, abandon_rate: float
) -> float:
    """Probability that an arrival abandons in an M/M/c+M queue (Erlang A).

    Customers give up after an exponential patience with rate ``abandon_rate``. Computed
    from the stationary distribution of the birth-death chain (truncated where the
    remaining mass is negligible): ``P(abandon) = abandon_rate * E[queue length] / arrival_rate``.
    """
    weights = [1.0]
    n = 0
    while weights[-1] > 1e-16 * sum(weights) or n < servers:
        n += 1
        deaths = min(n, servers) * service_rate + max(n - servers, 0) * abandon_rate
        weights.append(weights[-1] * arrival_rate / deaths)
    total = sum(weights)
    queue_length = sum(max(k - servers, 0) * w for k, w in enumerate(weights)) / total
    return abandon_rate * queue_length / arrival_rate
