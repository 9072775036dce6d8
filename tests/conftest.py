"""Shared test configuration: hypothesis profiles and common fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, settings

from ticketlog import HelpDesk, ManualClock

settings.register_profile("dev", max_examples=50)
settings.register_profile(
    "nightly", max_examples=2_000, suppress_health_check=[HealthCheck.too_slow]
)
# Hypothesis loads its built-in "ci" profile by itself when CI is set.
if not os.environ.get("CI"):
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
"""A Tuesday morning: the start of every test's business time."""


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock at :data:`START`."""
    return ManualClock(START)


@pytest.fixture
def desk(clock: ManualClock) -> Iterator[HelpDesk]:
    """An in-memory desk on the manual clock."""
    with HelpDesk("memory://", clock=clock) as d:
        yield d
