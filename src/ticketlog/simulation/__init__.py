"""Simulation: modelled workloads served on a virtual clock by ticketlog's own policies."""

from __future__ import annotations

from ticketlog.simulation.engine import SimulationResult, simulate
from ticketlog.simulation.scenario import (
    AgentGroup,
    Arrival,
    Exponential,
    LogNormal,
    Scenario,
    draw_arrivals,
    load_scenario,
)
from ticketlog.simulation.theory import cobham_mean_waits, erlang_c, erlang_c_mean_wait

__all__ = [
    "AgentGroup",
    "Arrival",
    "Exponential",
    "LogNormal",
    "Scenario",
    "SimulationResult",
    "cobham_mean_waits",
    "draw_arrivals",
    "erlang_c",
    "erlang_c_mean_wait",
    "load_scenario",
    "simulate",
]
