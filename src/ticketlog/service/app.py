"""The desk as an HTTP service: every command and read of :class:`~ticketlog.desk.HelpDesk`,
and the event log as a stream.

FastAPI, because the service's bodies are pydantic models as the desk's events are, and
FastAPI turns them into an OpenAPI schema (``/openapi.json``, browsable at ``/docs``); the
stream is Starlette's streaming response, no further dependency.

- **Commands** (``POST``): ``/tickets`` receives a ticket; ``/tickets/{id}/<command>`` acts
  on one (:data:`TICKET_COMMANDS`); ``/agents`` joins an agent, ``PATCH /agents/{id}``
  changes one, ``/agents/{id}/online``, ``/offline`` and ``/assign-next``. A command
  answers :class:`~ticketlog.service.models.Done`. With an ``Idempotency-Key`` header, a
  retried request (same key, same method, path and body) gets the first answer again
  instead of acting twice; the same key on another request is refused (409). Keys are kept
  by the server process, the latest :data:`KEPT_KEYS` of them.
- **Reads** (``GET``): ``/tickets/{id}``, ``/tickets/{id}/timeline``, ``/queues``
  (``order``, ``breaching``, ``queue``), ``/agents``, ``/kpis`` (``by``, ``since``,
  ``until``), ``/events`` (``after``, ``limit``) and ``/health``. Durations are in minutes,
  times ISO 8601, as in the command line's ``--json``.
- **The log as server-sent events**: ``/events/stream`` sends every event after ``after``
  (or after the ``Last-Event-ID`` a reconnecting client sends), then each new one as it is
  stored, by any process; each message's ``id`` is the event's position in the log.
- **Errors** are JSON ``{"error", "message"}`` with a status by kind
  (:mod:`ticketlog.service.errors`).
- **Tokens**: with ``tokens``, every route but ``/health`` needs ``Authorization: Bearer
  <token>`` (401 otherwise).

One process serves its requests one desk call at a time (a lock); several processes may
serve the same store (PostgreSQL, or one SQLite file), as several desks may.
"""

import asyncio
import hashlib
import inspect
import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import attrs
from fastapi import Body, Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ticketlog.config import parse_duration
from ticketlog.desk import HelpDesk
from ticketlog.domain.errors import InvalidValue, TicketlogError
from ticketlog.domain.events import DomainEvent
from ticketlog.io.console import jsonable
from ticketlog.io.records import (
    QUEUE_ORDERS,
    agent_names,
    agent_records,
    kpi_groups,
    timeline_records,
    utc,
    waiting_record,
)
from ticketlog.projections.kpis import Dimension
from ticketlog.projections.queues import ALL_QUEUES
from ticketlog.service import dashboard, models
from ticketlog.service.errors import KeyReused, Unauthorized, malformed, refused

KEPT_KEYS = 10_000
"""How many idempotency keys a server process remembers."""

TICKET_COMMANDS: Mapping[str, tuple[str, type[models.Command]]] = {
    "assign": ("assign", models.Assign),
    "respond": ("respond", models.Respond),
    "transfer": ("transfer", models.Transfer),
    "reassign": ("reassign", models.Reassign),
    "release": ("release", models.ByAgent),
    "escalate": ("escalate", models.Escalate),
    "deescalate": ("deescalate", models.Deescalate),
    "await-customer": ("await_customer", models.ByAgent),
    "customer-replied": ("customer_replied", models.Command),
    "resolve": ("resolve", models.Resolve),
    "reopen": ("reopen", models.Reopen),
    "rate": ("rate", models.Rate),
    "close": ("close_ticket", models.Close),
    "abandon": ("abandon", models.Command),
    "reprioritise": ("reprioritise", models.Reprioritise),
    "route": ("route", models.Route),
    "claim-review": ("claim_review", models.ClaimReview),
    "review": ("review", models.Review),
}
"""``POST /tickets/{ticket_id}/<command>``: the desk's method and the body it takes."""

AGENT_COMMANDS: Mapping[str, tuple[str, type[models.Command]]] = {
    "online": ("go_online", models.Command),
    "offline": ("go_offline", models.Command),
    "assign-next": ("assign_next", models.AssignNext),
    "review-next": ("review_next", models.ReviewNext),
}
"""``POST /agents/{agent_id}/<command>``: the desk's method and the body it takes."""

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


@attrs.define
class _Answers:
    """The answers given to requests with an idempotency key, the latest first out last."""

    kept: OrderedDict[str, tuple[str, models.Done]] = attrs.field(factory=OrderedDict)

    def replay(self, key: str, fingerprint: str) -> models.Done | None:
        """The answer to an earlier request with ``key`` (refused if it was another one)."""
        found = self.kept.get(key)
        if found is None:
            return None
        if found[0] != fingerprint:
            msg = f"idempotency key {key!r} was used for another request"
            raise KeyReused(msg)
        return found[1].model_copy(update={"replayed": True})

    def keep(self, key: str, fingerprint: str, answer: models.Done) -> None:
        self.kept[key] = fingerprint, answer
        while len(self.kept) > KEPT_KEYS:
            self.kept.popitem(last=False)


class Service:
    """A desk behind a lock, with the answers of idempotent requests."""

    def __init__(self, desk: HelpDesk) -> None:
        self.desk = desk
        self.lock = threading.Lock()
        self.answers = _Answers()

    def call(self, act: Callable[[HelpDesk], Any]) -> Any:
        """``act(desk)`` while no other request uses the desk."""
        with self.lock:
            return act(self.desk)

    def command(
        self, key: str | None, fingerprint: str, act: Callable[[HelpDesk], UUID | None]
    ) -> models.Done:
        """Run a command once per idempotency key."""
        with self.lock:
            if key is not None and (answer := self.answers.replay(key, fingerprint)):
                return answer
            done = models.Done(id=act(self.desk))
            if key is not None:
                self.answers.keep(key, fingerprint, done)
            return done


def create_app(
    desk: HelpDesk, *, tokens: Collection[str] = (), poll_seconds: float = 0.25
) -> FastAPI:
    """The HTTP service of ``desk`` (see the module docstring); ``poll_seconds``: how often
    the event stream looks for new events."""
    service = Service(desk)
    guard = [Depends(_bearer(frozenset(tokens)))] if tokens else []
    app = FastAPI(
        title="ticketlog",
        summary="An event-sourced help desk: commands, reads and the event log",
        dependencies=guard,
    )
    app.add_exception_handler(TicketlogError, refused)
    app.add_exception_handler(RequestValidationError, malformed)
    app.state.service = service
    _commands(app, service)
    _reads(app, service)
    _stream(app, service, poll_seconds)
    dashboard.routes(app, service)
    return app


OPEN_PATHS = frozenset({"/health", "/"})
"""What answers without a token: the health check, and the dashboard's page (it holds no
data; its requests carry the token)."""


def _bearer(tokens: frozenset[str]) -> Callable[..., None]:
    def check(
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
        token: Annotated[str | None, Query(include_in_schema=False)] = None,
    ) -> None:
        if request.url.path in OPEN_PATHS:
            return
        # A browser's EventSource cannot set headers: the dashboard sends ?token= instead.
        given = token or (authorization or "").removeprefix("Bearer ").strip()
        if not any(secrets.compare_digest(given, token) for token in tokens):
            raise Unauthorized("a valid 'Authorization: Bearer <token>' header is required")

    return check


def _fingerprint(method: str, path: str, command: models.Command) -> str:
    text = f"{method} {path} {command.model_dump_json(exclude_unset=True)}"
    return hashlib.sha256(text.encode()).hexdigest()


def _arguments(command: models.Command, desk: HelpDesk) -> dict[str, Any]:
    """The keyword arguments of a command's body (``at`` now by the desk's clock if left
    out: some commands need one)."""
    given = command.model_dump(exclude_unset=True)  # extra keys (attributes) included
    given["at"] = command.at or desk.clock.now()
    return given


def _run(
    service: Service,
    request: Request,
    command: models.Command,
    key: str | None,
    act: Callable[[HelpDesk, dict[str, Any]], UUID | None],
) -> models.Done:
    """``act(desk, arguments)`` for the request, once per idempotency key."""
    fingerprint = _fingerprint(request.method, request.url.path, command)
    return service.command(key, fingerprint, lambda desk: act(desk, _arguments(command, desk)))


def _commands(app: FastAPI, service: Service) -> None:
    """The command routes."""

    @app.post("/tickets", status_code=201, response_model=models.Done, tags=["commands"])
    def receive(
        command: Annotated[models.Receive, Body()], request: Request, key: IdempotencyKey = None
    ) -> models.Done:
        """Receive a new ticket."""
        return _run(service, request, command, key, lambda desk, kw: desk.receive(**kw))

    @app.post("/agents", status_code=201, response_model=models.Done, tags=["commands"])
    def join(
        command: Annotated[models.Join, Body()], request: Request, key: IdempotencyKey = None
    ) -> models.Done:
        """Join a new agent."""
        return _run(service, request, command, key, lambda desk, kw: desk.join_agent(**kw))

    @app.patch("/agents/{agent_id}", response_model=models.Done, tags=["commands"])
    def change(
        agent_id: UUID,
        command: Annotated[models.ChangeAgent, Body()],
        request: Request,
        key: IdempotencyKey = None,
    ) -> models.Done:
        """Change an agent's profile."""
        return _run(
            service, request, command, key, lambda desk, kw: desk.change_agent(agent_id, **kw)
        )

    for name, (method, model) in TICKET_COMMANDS.items():
        path = f"/tickets/{{ticket_id}}/{name}"
        _command_route(app, service, ident="ticket_id", path=path, method=method, model=model)
    for name, (method, model) in AGENT_COMMANDS.items():
        path = f"/agents/{{agent_id}}/{name}"
        _command_route(app, service, ident="agent_id", path=path, method=method, model=model)


def _command_route(
    app: FastAPI,
    service: Service,
    *,
    ident: str,
    path: str,
    method: str,
    model: type[models.Command],
) -> None:
    """``POST path``: the desk's ``method`` on the id in the path, with ``model``'s body."""

    def endpoint(
        request: Request, command: models.Command, key: str | None, **ids: UUID
    ) -> models.Done:
        target = ids[ident]
        act = getattr(HelpDesk, method)
        return _run(service, request, command, key, lambda desk, kw: act(desk, target, **kw))

    parameter = inspect.Parameter
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            parameter("request", parameter.KEYWORD_ONLY, annotation=Request),
            parameter(ident, parameter.KEYWORD_ONLY, annotation=UUID),
            parameter(
                "command",
                parameter.KEYWORD_ONLY,
                annotation=Annotated[model, Body()],
                default=model() if not _required(model) else inspect.Parameter.empty,
            ),
            parameter("key", parameter.KEYWORD_ONLY, annotation=IdempotencyKey, default=None),
        ]
    )
    summary = f"{method.replace('_', ' ').capitalize()} ({model.__name__} body)"
    app.post(path, response_model=models.Done, tags=["commands"], summary=summary)(endpoint)


def _required(model: type[models.Command]) -> bool:
    return any(field.is_required() for field in model.model_fields.values())


def _reads(app: FastAPI, service: Service) -> None:
    """The read routes."""

    @app.get("/health", tags=["reads"])
    def health() -> models.Record:
        """Whether the service is up, and its store."""
        return {"status": "ok", "store": service.desk.store.kind}

    @app.get("/tickets/{ticket_id}", tags=["reads"])
    def ticket(ticket_id: UUID) -> models.Record:
        """A ticket as it stands."""
        state = service.call(lambda d: d.ticket(ticket_id))
        return _json(attrs.asdict(state, recurse=False))

    @app.get("/tickets/{ticket_id}/timeline", tags=["reads"])
    def timeline(ticket_id: UUID) -> models.Record:
        """Everything that happened to a ticket, in order."""
        entries = service.call(lambda d: d.timeline(ticket_id))
        return _json({"ticket_id": ticket_id, "entries": timeline_records(entries)})

    @app.get("/queues", tags=["reads"])
    def queues(
        order: Annotated[str, Query(description=f"One of {', '.join(QUEUE_ORDERS)}")] = "fifo",
        breaching: Annotated[str | None, Query(description="e.g. 30m: past due or due within")]
        | None = None,
        queue: str = ALL_QUEUES,
    ) -> models.Record:
        """The waiting tickets, in an order; or those breaching their SLA (or about to)."""
        if order not in QUEUE_ORDERS:
            msg = f"order {order!r} is not one of {', '.join(QUEUE_ORDERS)}"
            raise InvalidValue(msg)
        within = None if breaching is None else parse_duration(breaching)

        def read(desk: HelpDesk) -> models.Record:
            view, now = desk.view(), desk.clock.now()
            key = QUEUE_ORDERS[order]
            found = (
                list(view.queues.waiting(order=key, queue=queue))
                if within is None
                else sorted(view.queues.breaching(now=now, within=within, queue=queue), key=key)
            )
            return {"now": now, "order": order, "tickets": [waiting_record(t, now) for t in found]}

        return _json(service.call(read))

    @app.get("/agents", tags=["reads"])
    def agents() -> models.Record:
        """Every agent's workload."""

        def read(desk: HelpDesk) -> models.Record:
            now = desk.clock.now()
            workloads = desk.view().workloads.workloads(now=now)
            return {"now": now, "agents": agent_records(workloads)}

        return _json(service.call(read))

    @app.get("/kpis", tags=["reads"])
    def kpis(
        by: Dimension | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> models.Record:
        """The service KPIs (docs/kpis.md), overall or per group, of the tickets received in
        [since, until) (a time without an offset is UTC)."""

        start, end = (None if t is None else utc(t) for t in (since, until))

        def read(desk: HelpDesk) -> models.Record:
            view, now = desk.view(), desk.clock.now()
            facts = [
                f
                for f in view.facts
                if (start is None or f.received_at >= start)
                and (end is None or f.received_at < end)
            ]
            names = agent_names(view.workloads.workloads(now=now))
            groups = kpi_groups(facts, by, now=now, sla=view.sla, names=names)
            return {
                "now": now,
                "by": by,
                "units": {"durations": "minutes", "shares": "percent"},
                "groups": [{"group": name, "kpis": k} for name, k in groups.items()],
            }

        return _json(service.call(read))

    @app.get("/events", tags=["reads"])
    def events(
        after: Annotated[int, Query(ge=0)] = 0, limit: Annotated[int, Query(ge=1, le=10_000)] = 1000
    ) -> models.Record:
        """The events stored after position ``after``, at most ``limit`` of them."""
        page = service.call(lambda d: _page(d, after, limit))
        return {"events": page, "last": page[-1]["position"] if page else after}


def _page(desk: HelpDesk, after: int, limit: int) -> list[models.Record]:
    found = []
    for position, event in desk.read_log(after):
        found.append(event_record(position, event))
        if len(found) == limit:
            break
    return found


def event_record(position: int, event: DomainEvent) -> models.Record:
    """An event as the service sends it: its position, type and fields."""
    fields = event.model_dump(mode="json")
    return {"position": position, "type": type(event).__name__, **fields}


def _json(record: Mapping[str, object]) -> models.Record:
    made = jsonable(record)
    assert isinstance(made, dict)  # noqa: S101 - a mapping makes an object
    return made


def _stream(app: FastAPI, service: Service, poll_seconds: float) -> None:
    @app.get("/events/stream", tags=["reads"], response_class=StreamingResponse)
    async def stream(
        request: Request,
        after: Annotated[int, Query(ge=0)] = 0,
        last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    ) -> StreamingResponse:
        """The event log as server-sent events, from ``after`` (or from the
        ``Last-Event-ID`` a reconnecting client sends) on, as events are stored."""
        start = after if last_event_id is None else _position(last_event_id)
        return StreamingResponse(
            _messages(request, service, start, poll_seconds),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store"},
        )


def _position(text: str) -> int:
    if not text.strip().isdigit():
        msg = f"Last-Event-ID {text!r} is not a position in the log"
        raise InvalidValue(msg)
    return int(text)


async def _messages(
    request: Request, service: Service, after: int, poll_seconds: float
) -> AsyncIterator[str]:
    """Server-sent events: every event after ``after``, then each new one; a comment line
    now and then keeps idle connections open."""
    quiet = 0.0
    while not await request.is_disconnected():
        page = await run_in_threadpool(service.call, _reader(after))
        for record in page:
            after = record["position"]
            yield _message(record)
        if page:
            quiet = 0.0
            continue
        await asyncio.sleep(poll_seconds)
        quiet += poll_seconds
        if quiet >= 15:
            quiet = 0.0
            yield ": still here\n\n"


def _reader(after: int) -> Callable[[HelpDesk], list[models.Record]]:
    return lambda desk: _page(desk, after, 500)


def _message(record: models.Record) -> str:
    return f"id: {record['position']}\nevent: {record['type']}\ndata: {json.dumps(record)}\n\n"
