"""Workload models: what arrives, what it is, and how much work it takes.

A :class:`Scenario` is validated by pydantic and can be loaded from a TOML file
(:func:`load_scenario`). Drawing from it (:func:`draw_arrivals`) with a seed gives the
same tickets — arrival instants, attributes and work content — every time, so different
policies can be compared on exactly the same arrivals.
"""

from __future__ import annotations

import math
import random
import tomllib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal, TypeVar
from uuid import UUID

import attrs
import pydantic
from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, PositiveFloat

from ticketlog.domain.aggregate import invalid_value
from ticketlog.domain.errors import ConfigurationError
from ticketlog.domain.events import AgentProfile
from ticketlog.domain.values import Channel, Priority


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Exponential(_Model):
    """Exponentially distributed durations with the given mean (minutes)."""

    kind: Literal["exponential"] = "exponential"
    mean_minutes: PositiveFloat

    def draw(self, rng: random.Random) -> float:
        """One duration, in minutes."""
        return rng.expovariate(1.0 / self.mean_minutes)


class LogNormal(_Model):
    """Log-normally distributed durations with the given mean and standard deviation (minutes)."""

    kind: Literal["lognormal"] = "lognormal"
    mean_minutes: PositiveFloat
    sd_minutes: PositiveFloat

    def draw(self, rng: random.Random) -> float:
        """One duration, in minutes."""
        variance = math.log(1 + (self.sd_minutes / self.mean_minutes) ** 2)
        mu = math.log(self.mean_minutes) - variance / 2
        return rng.lognormvariate(mu, math.sqrt(variance))


Duration = Annotated[Exponential | LogNormal, Field(discriminator="kind")]


class AgentGroup(_Model):
    """``count`` identical agents."""

    count: int = Field(ge=1, le=10_000)
    name: str = "agent"
    team: str = "general"
    tier: int = Field(default=1, ge=0, le=5)
    skills: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset({"en"})


class Scenario(_Model):
    """A modelled period of a desk: Poisson arrivals, ticket mixes, work content, agents."""

    start: datetime = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    tickets: int = Field(ge=1, le=10_000_000)
    """How many tickets arrive."""
    arrivals_per_hour: PositiveFloat
    """The mean arrival rate (multiplied by the profiles below, when given)."""
    hourly_profile: tuple[NonNegativeFloat, ...] | None = Field(
        default=None, min_length=24, max_length=24
    )
    """24 multipliers of the rate, one per hour of the day (in the timezone of ``start``)."""
    weekly_profile: tuple[NonNegativeFloat, ...] | None = Field(
        default=None, min_length=7, max_length=7
    )
    """7 multipliers of the rate, Monday first."""
    handle_time: Duration
    """Work content of a ticket (per category in ``handle_time_by_category``, if given)."""
    handle_time_by_category: Mapping[str, Duration] = Field(default_factory=dict)
    patience: Duration | None = None
    """How long a customer waits before giving up (``None``: they never do)."""
    priorities: Mapping[Priority, PositiveFloat] = Field(
        default_factory=lambda: {Priority.NORMAL: 1.0}
    )
    """Relative weights of the priorities."""
    categories: Mapping[str, PositiveFloat] = Field(default_factory=lambda: {"general": 1.0})
    channels: Mapping[Channel, PositiveFloat] = Field(default_factory=lambda: {Channel.EMAIL: 1.0})
    languages: Mapping[str, PositiveFloat] | None = None
    """Relative weights of the customers' languages (``None``: everyone writes in English)."""
    plans: Mapping[str, PositiveFloat] | None = None
    """Relative weights of the customers' plans (``None``: no plans)."""
    first_time_share: float = Field(default=0.0, ge=0.0, le=1.0)
    """Share of tickets from first-time customers."""
    agents: tuple[AgentGroup, ...] = Field(min_length=1)

    def rate_factor(self, at: datetime) -> float:
        """The multiplier of the arrival rate at ``at`` (1 without profiles)."""
        local = at.astimezone(self.start.tzinfo)
        hourly = 1.0 if self.hourly_profile is None else self.hourly_profile[local.hour]
        weekly = 1.0 if self.weekly_profile is None else self.weekly_profile[local.weekday()]
        return hourly * weekly

    @property
    def peak_factor(self) -> float:
        """The largest multiplier of the arrival rate."""
        return max(self.hourly_profile or (1.0,)) * max(self.weekly_profile or (1.0,))

    def agent_specs(self) -> list[AgentSpec]:
        """The scenario's agents, one at a time (each works one ticket at a time)."""
        specs: list[AgentSpec] = []
        for group in self.agents:
            profile = AgentProfile(
                team=group.team,
                tier=group.tier,
                capacity=1,
                skills=group.skills,
                languages=group.languages,
            )
            for n in range(group.count):
                agent_id = UUID(int=AGENT_IDS + len(specs))
                specs.append(AgentSpec(agent_id, f"{group.name}-{n + 1}", profile))
        return specs


@attrs.frozen
class Arrival:
    """One ticket to serve: when it arrives, what it is, and how long it takes to solve."""

    ticket_id: UUID
    at: datetime
    priority: Priority
    category: str
    channel: Channel
    work: timedelta
    customer_id: str = ""
    language: str = "en"
    plan: str | None = None
    customer_value: float = 0.0
    first_time: bool = False
    queue: str = "general"
    tier: int = 1
    required_skills: frozenset[str] = frozenset()
    patience: timedelta | None = None
    """How long the customer waits before abandoning (``None``: forever)."""


@attrs.frozen
class AgentSpec:
    """One agent of a simulated desk."""

    agent_id: UUID
    name: str
    profile: AgentProfile


AGENT_IDS = 1 << 64
"""Simulated agents' ids start here, so they never collide with drawn ticket ids."""


K = TypeVar("K")


def _pick(rng: random.Random, weights: Mapping[K, float]) -> K:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def draw_arrivals(scenario: Scenario, *, seed: int) -> list[Arrival]:
    """The scenario's tickets for ``seed``: the same list for the same seed, always.

    Arrivals form a Poisson process whose rate follows the hourly and weekly profiles
    (drawn by thinning a process at the peak rate).
    """
    rng = random.Random(seed)
    customers = random.Random(f"customers-{seed}")
    at = scenario.start
    peak = scenario.peak_factor
    if peak <= 0:
        msg = "the arrival profiles are zero everywhere"
        raise ConfigurationError(msg)
    mean_gap = 3600.0 / (scenario.arrivals_per_hour * peak)
    profiled = scenario.hourly_profile is not None or scenario.weekly_profile is not None
    arrivals = []
    for n in range(scenario.tickets):
        at += timedelta(seconds=rng.expovariate(1.0 / mean_gap))
        # Thinning: candidates at the peak rate, kept with the profile's share of it.
        while profiled and rng.random() * peak > scenario.rate_factor(at):
            at += timedelta(seconds=rng.expovariate(1.0 / mean_gap))
        category = _pick(rng, scenario.categories)
        work = scenario.handle_time_by_category.get(category, scenario.handle_time)
        arrivals.append(
            Arrival(
                ticket_id=UUID(int=n + 1),
                at=at,
                priority=_pick(rng, scenario.priorities),
                category=category,
                channel=_pick(rng, scenario.channels),
                work=timedelta(minutes=work.draw(rng)),
                customer_id=f"customer-{n + 1}",
                patience=None
                if scenario.patience is None
                else timedelta(minutes=scenario.patience.draw(rng)),
                # From a stream of their own, so adding them to a scenario does not change
                # the other draws for the same seed.
                language="en"
                if scenario.languages is None
                else _pick(customers, scenario.languages),
                plan=None if scenario.plans is None else _pick(customers, scenario.plans),
                first_time=customers.random() < scenario.first_time_share,
            )
        )
    return arrivals


def load_scenario(path: Path | str) -> Scenario:
    """A scenario from a TOML file; :class:`ConfigurationError` with one clear line if bad."""
    try:
        data = tomllib.loads(Path(path).read_text())
    except OSError as error:
        msg = f"cannot read scenario {path}: {error.strerror}"
        raise ConfigurationError(msg) from None
    except tomllib.TOMLDecodeError as error:
        msg = f"scenario {path} is not valid TOML: {error}"
        raise ConfigurationError(msg) from None
    try:
        return Scenario.model_validate(data)
    except pydantic.ValidationError as error:
        msg = f"scenario {path}: {invalid_value(error)}"
        raise ConfigurationError(msg) from None
