"""Simulation: modelled workloads served on a virtual clock by ticketlog's own policies."""

from __future__ import annotations

from ticketlog.simulation.engine import SimulationResult, Staffing, simulate
from ticketlog.simulation.replay import Trace, trace_from_events, trace_from_store
from ticketlog.simulation.scenario import (
    AgentGroup,
    AgentSpec,
    Arrival,
    Exponential,
    LogNormal,
    Scenario,
    draw_arrivals,
    load_scenario,
)
from ticketlog.simulation.theory import (
    cobham_mean_waits,
    erlang_a_abandonment,
    erlang_c,
    erlang_c_mean_wait,
)

__all__ = [
    "AgentGroup",
    "AgentSpec",
    "Arrival",
    "Exponential",
    "LogNormal",
    "Scenario",
    "SimulationResult",
    "Staffing",
    "Trace",
    "cobham_mean_waits",
    "draw_arrivals",
    "erlang_a_abandonment",
    "erlang_c",
    "erlang_c_mean_wait",
    "load_scenario",
    "simulate",
    "trace_from_events",
    "trace_from_store",
]
