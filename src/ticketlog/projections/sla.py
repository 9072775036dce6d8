"""Service-level targets: how soon each ticket should get a first reply and a resolution.

Targets are set per priority and may be overridden per category. They are configuration
of the read side (KPIs, queues' breach views); the event log never stores them, so the
same history can be judged against other targets.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ticketlog.domain.values import Priority

DEFAULT_FIRST_REPLY = MappingProxyType(
    {
        Priority.URGENT: timedelta(minutes=15),
        Priority.HIGH: timedelta(hours=1),
        Priority.NORMAL: timedelta(hours=4),
        Priority.LOW: timedelta(hours=8),
    }
)
"""Default first-reply targets, in calendar time."""

DEFAULT_RESOLUTION = MappingProxyType(
    {
        Priority.URGENT: timedelta(hours=4),
        Priority.HIGH: timedelta(hours=8),
        Priority.NORMAL: timedelta(hours=24),
        Priority.LOW: timedelta(hours=72),
    }
)
"""Default resolution targets, in calendar time."""


class Targets(BaseModel):
    """First-reply and resolution targets for every priority."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first_reply: Mapping[Priority, timedelta] = Field(
        default_factory=lambda: dict(DEFAULT_FIRST_REPLY)
    )
    resolution: Mapping[Priority, timedelta] = Field(
        default_factory=lambda: dict(DEFAULT_RESOLUTION)
    )

    @model_validator(mode="after")
    def _complete_and_positive(self) -> Targets:
        for name, targets in (("first_reply", self.first_reply), ("resolution", self.resolution)):
            missing = set(Priority) - set(targets)
            if missing:
                msg = f"{name} targets miss priorities {sorted(missing)}"
                raise ValueError(msg)
            if any(target <= timedelta(0) for target in targets.values()):
                msg = f"{name} targets must be positive"
                raise ValueError(msg)
        return self


class SlaTargets(BaseModel):
    """Targets per priority (``default``), optionally overridden per category."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: Targets = Field(default_factory=Targets)
    by_category: Mapping[str, Targets] = Field(default_factory=dict)

    def first_reply(self, priority: Priority, category: str) -> timedelta:
        """How long a ticket of this priority and category may wait for a first reply."""
        return self.by_category.get(category, self.default).first_reply[priority]

    def resolution(self, priority: Priority, category: str) -> timedelta:
        """How long a ticket of this priority and category may take to be resolved."""
        return self.by_category.get(category, self.default).resolution[priority]
