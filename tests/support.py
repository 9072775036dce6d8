"""Assertions shared by test modules of every layer."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ticketlog import HelpDesk, TicketlogError


def log_size(desk: HelpDesk) -> int:
    """How many events the desk's log holds."""
    return sum(1 for _ in desk.read_log())


def assert_writes_nothing(
    desk: HelpDesk, error: type[TicketlogError], command: Callable[[], object]
) -> TicketlogError:
    """``command`` raises exactly ``error`` and the log does not grow."""
    before = log_size(desk)
    with pytest.raises(error) as excinfo:
        command()
    assert type(excinfo.value) is error
    assert log_size(desk) == before
    return excinfo.value
