"""The live dashboard at ``/``: queues by SLA deadline (near-breach highlighted), agents,
today's KPIs, QA per agent with reviewer agreement (``/quality``), the backlog over the last
day, recent escalations, and a "what if" panel that forecasts the next hours from now
under chosen policies.

One server-rendered page (``dashboard.html``) with a little JavaScript and no build step:
it reads the service's JSON routes, and refreshes them whenever the event stream says the
log grew. The routes it needs beyond the API's are here: ``/backlog``, ``/escalations``,
``/events/last`` and ``POST /forecast``.
"""

from __future__ import annotations

from datetime import timedelta
from importlib.resources import files
from typing import TYPE_CHECKING, Annotated

from fastapi import Body, FastAPI, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from ticketlog.desk import HelpDesk
from ticketlog.domain.errors import InvalidValue
from ticketlog.domain.events import TicketEscalated
from ticketlog.io.console import jsonable
from ticketlog.policies.registry import pull_policy
from ticketlog.simulation.forecast import forecast

if TYPE_CHECKING:
    from ticketlog.service.app import Service

PAGE = files("ticketlog.service").joinpath("dashboard.html").read_text(encoding="utf-8")


class Forecast(BaseModel):
    """A what-if: the next ``hours`` from now under each of ``policies``."""

    model_config = ConfigDict(extra="forbid")

    hours: float = Field(gt=0, le=168)
    policies: list[str] = Field(min_length=1, max_length=8)


def routes(app: FastAPI, service: Service) -> None:
    """Add the dashboard and its routes to ``app``."""

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return PAGE

    @app.get("/backlog", tags=["dashboard"])
    def backlog(hours: Annotated[float, Query(gt=0, le=24 * 31)] = 24) -> dict[str, object]:
        """Open tickets over the last ``hours``, sampled 48 times."""

        def read(desk: HelpDesk) -> list[tuple[object, int]]:
            now = desk.clock.now()
            span = timedelta(hours=hours)
            return list(desk.view().backlog.series(now - span, now, span / 48))

        series = service.call(read)
        return {"series": [{"at": jsonable(at), "open": count} for at, count in series]}

    @app.get("/escalations", tags=["dashboard"])
    def escalations(limit: Annotated[int, Query(ge=1, le=100)] = 10) -> dict[str, object]:
        """The latest escalations, newest first."""

        def read(desk: HelpDesk) -> list[dict[str, object]]:
            found = [e for _, e in desk.read_log(topics=[TicketEscalated.TOPIC])]
            return [e.model_dump(mode="json") for e in reversed(found[-limit:])]

        return {"escalations": service.call(read)}

    @app.get("/events/last", tags=["dashboard"])
    def last() -> dict[str, int]:
        """The position of the latest event in the log (0: none)."""
        return {"position": service.call(HelpDesk.log_position)}

    @app.post("/forecast", tags=["dashboard"])
    def what_if(request: Annotated[Forecast, Body()]) -> dict[str, object]:
        """The desk's next ``hours`` from its state now, served by each policy (the backlog
        only: no arrivals are modelled), its KPIs side by side."""
        policies = {name: pull_policy(name) for name in request.policies}

        def read(desk: HelpDesk) -> dict[str, object]:
            now = desk.clock.now()
            view = desk.view_as_of(now)
            if not any(True for _ in view.queues.open_tickets()):
                msg = "nothing is open: there is no backlog to forecast"
                raise InvalidValue(msg)
            runs = {
                name: forecast(view, policy, at=now, hours=request.hours)
                for name, policy in policies.items()
            }
            return {"at": now, "policies": {name: run.kpis() for name, run in runs.items()}}

        made = jsonable(service.call(read))
        assert isinstance(made, dict)  # noqa: S101 - a mapping makes an object
        return made
