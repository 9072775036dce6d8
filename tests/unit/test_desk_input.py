"""The desk's less common entry points refuse malformed arguments with a specific
:class:`~ticketlog.TicketlogError`, never a ``TypeError`` or ``AttributeError`` from deep
inside (the common commands are covered on both stores in
``tests/integration/test_bad_input.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest

from tests.support import assert_writes_nothing
from ticketlog import ConfigurationError, HelpDesk, InvalidValue
from ticketlog.projections import DeskView

BAD_CALLS: dict[str, Callable[[HelpDesk], object]] = {
    "kpis by an unknown dimension": lambda desk: desk.view().kpis_by("mood", now=desk.clock.now()),
    "read_log after a string": lambda desk: list(desk.read_log("x")),  # type: ignore[arg-type]
    "read_log after True": lambda desk: list(desk.read_log(True)),
    "read_log topics as a string": lambda desk: list(desk.read_log(topics="ticketlog:X")),
    "read_log topics as a number": lambda desk: list(desk.read_log(topics=5)),  # type: ignore[arg-type]
    "save a string": lambda desk: desk.save("junk"),  # type: ignore[arg-type]
    "record_new a list": lambda desk: desk.record_new([None]),  # type: ignore[arg-type]
    "record_new a stream of None": lambda desk: desk.record_new({uuid4(): [None]}),  # type: ignore[list-item]
    "follow with an empty name": lambda desk: desk.follow(DeskView, name=""),
    "follow with a number": lambda desk: desk.follow(DeskView, name=5),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("call", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_malformed_arguments_are_invalid_values(
    desk: HelpDesk, call: Callable[[HelpDesk], object]
) -> None:
    desk.join_agent("Ann")
    assert_writes_nothing(desk, InvalidValue, lambda: call(desk))


@pytest.mark.parametrize(
    "settings",
    [{"store": 5}, {"store": b"memory://"}, {"clock": "now"}, {"sla": {"urgent": 5}}],
    ids=repr,
)
def test_settings_of_the_wrong_kind_are_a_configuration_error(settings: dict[str, Any]) -> None:
    store = settings.pop("store", "memory://")
    with pytest.raises(ConfigurationError):
        HelpDesk(store, **settings)
