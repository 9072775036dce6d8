"""Running the service: ``ticketlog serve STORE`` (uvicorn)."""

from __future__ import annotations

import ipaddress
import signal
from collections.abc import Collection
from types import FrameType

from ticketlog.desk import HelpDesk
from ticketlog.domain.errors import ConfigurationError

GRACE = 3
"""Seconds a stopping server waits for open requests (event streams never end by
themselves) before it closes them."""


def check_binding(host: str, tokens: Collection[str]) -> None:
    """Refuse (:class:`ConfigurationError`) to serve on an address other machines reach
    without a token: anyone there could act on the desk."""
    if tokens:
        return
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        msg = (
            f"refusing to serve on {host} without a token: give --token (or "
            "TICKETLOG_API_TOKENS), or serve on 127.0.0.1"
        )
        raise ConfigurationError(msg)


def serve(
    desk: HelpDesk,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    tokens: Collection[str] = (),
) -> None:
    """Serve ``desk`` over HTTP until stopped (SIGINT or SIGTERM)."""
    import uvicorn  # noqa: PLC0415 - the service extra is optional

    from ticketlog.service.app import create_app  # noqa: PLC0415 - needs fastapi, optional

    check_binding(host, tokens)
    # uvicorn shuts down gracefully on SIGINT and SIGTERM, then raises the signal again for
    # the handlers it found: these end the process with status 0 (the caller closes the desk).
    stopping = {sig: signal.signal(sig, _stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        uvicorn.run(
            create_app(desk, tokens=tokens),
            host=host,
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=GRACE,
        )
    finally:
        for sig, handler in stopping.items():
            signal.signal(sig, handler)


def _stopped(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)
