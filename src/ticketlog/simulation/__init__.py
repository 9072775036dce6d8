"""Simulation: modelled workloads or recorded histories served on a virtual clock by
ticketlog's own policies, and compared."""

from __future__ import annotations

from ticketlog.simulation.compare import METRICS, Comparison, Estimate, RunSummary, compare
from ticketlog.simulation.draws import Drawn, draw_arrivals
from ticketlog.simulation.engine import SimulationResult, Staffing, simulate
from ticketlog.simulation.fidelity import (
    Fidelity,
    KpiFidelity,
    Record,
    as_recorded,
    earth_movers_distance,
)
from ticketlog.simulation.forecast import (
    DeskStaffing,
    arrivals_after,
    backlog_work,
    desk_staffing,
    forecast,
)
from ticketlog.simulation.quality import (
    SamplingPoint,
    SamplingSweep,
    draw_reviews,
    review_sampling_sweep,
)
from ticketlog.simulation.replay import (
    EffortRules,
    RecordedShifts,
    Trace,
    team_queues_for,
    trace_from_events,
    trace_from_store,
)
from ticketlog.simulation.scenario import (
    AgentGroup,
    AgentQuality,
    AgentSpec,
    Arrival,
    CsatModel,
    Empirical,
    Exponential,
    Handoff,
    JourneyStep,
    LogNormal,
    Reopens,
    ReviewerGroup,
    Rota,
    Scenario,
    Shift,
    load_scenario,
)
from ticketlog.simulation.staffing import (
    Calendar,
    InferredStaffing,
    PersonOverride,
    PersonStaffing,
    StaffingRules,
    infer_staffing,
)
from ticketlog.simulation.theory import (
    cobham_mean_waits,
    erlang_a_abandonment,
    erlang_c,
    erlang_c_mean_wait,
)

__all__ = [
    "METRICS",
    "AgentGroup",
    "AgentQuality",
    "AgentSpec",
    "Arrival",
    "Calendar",
    "Comparison",
    "CsatModel",
    "DeskStaffing",
    "Drawn",
    "EffortRules",
    "Empirical",
    "Estimate",
    "Exponential",
    "Fidelity",
    "Handoff",
    "InferredStaffing",
    "JourneyStep",
    "KpiFidelity",
    "LogNormal",
    "PersonOverride",
    "PersonStaffing",
    "Record",
    "RecordedShifts",
    "Reopens",
    "ReviewerGroup",
    "Rota",
    "RunSummary",
    "SamplingPoint",
    "SamplingSweep",
    "Scenario",
    "Shift",
    "SimulationResult",
    "Staffing",
    "StaffingRules",
    "Trace",
    "arrivals_after",
    "as_recorded",
    "backlog_work",
    "cobham_mean_waits",
    "compare",
    "desk_staffing",
    "draw_arrivals",
    "draw_reviews",
    "earth_movers_distance",
    "erlang_a_abandonment",
    "erlang_c",
    "erlang_c_mean_wait",
    "forecast",
    "infer_staffing",
    "load_scenario",
    "review_sampling_sweep",
    "simulate",
    "team_queues_for",
    "trace_from_events",
    "trace_from_store",
]
