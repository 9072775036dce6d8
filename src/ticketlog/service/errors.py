"""How the service answers a refused call: an HTTP status from the error's place in the
:class:`~ticketlog.domain.errors.TicketlogError` hierarchy, and a JSON body
``{"error": <the exception's name>, "message": <its message>}``.

=============================================  ======
error                                          status
=============================================  ======
``Unauthorized`` (no valid bearer token)       401
``KeyReused`` (an idempotency key, again)      409
``NotFound`` (``TicketNotFound``, …)           404
``InvalidValue`` (and a malformed request)     422
``CommandRejected`` (a state conflict)         409
``ConcurrencyConflict`` (a lost race)          409
``ConfigurationError``                         400
``StoreUnavailable``                           503
any other ``TicketlogError``                   400
=============================================  ======
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ticketlog.domain.errors import (
    CommandRejected,
    ConcurrencyConflict,
    ConfigurationError,
    InvalidValue,
    NotFound,
    StoreUnavailable,
    TicketlogError,
)


class Unauthorized(TicketlogError):
    """No token, or not one the service was given."""


class KeyReused(TicketlogError):
    """An idempotency key came again with another request."""


STATUS: tuple[tuple[type[TicketlogError], int], ...] = (
    (Unauthorized, 401),
    (KeyReused, 409),
    (NotFound, 404),
    (InvalidValue, 422),
    (CommandRejected, 409),
    (ConcurrencyConflict, 409),
    (ConfigurationError, 400),
    (StoreUnavailable, 503),
)
"""The status of each kind of error, the first that matches (by ``isinstance``)."""


def status_of(error: TicketlogError) -> int:
    """The HTTP status of ``error`` (400 for a kind the table does not name)."""
    return next((status for kind, status in STATUS if isinstance(error, kind)), 400)


def body(name: str, message: str) -> dict[str, str]:
    """The JSON body of an error answer."""
    return {"error": name, "message": message}


async def refused(request: Request, error: Exception) -> JSONResponse:
    """The answer to a call the desk refused."""
    assert isinstance(error, TicketlogError)  # noqa: S101 - registered for TicketlogError
    return JSONResponse(body(type(error).__name__, str(error)), status_code=status_of(error))


async def malformed(request: Request, error: Exception) -> JSONResponse:
    """The answer to a request whose body or parameters do not validate: ``InvalidValue``,
    naming the first field that is wrong."""
    assert isinstance(error, RequestValidationError)  # noqa: S101 - registered for it
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    message = f"{where}: {first.get('msg', 'invalid')}" if where else first.get("msg", "invalid")
    return JSONResponse(body("InvalidValue", message), status_code=422)
