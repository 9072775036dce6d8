"""Workload models: what arrives, what it is, how much work it takes, and who works.

A :class:`Scenario` is validated by pydantic and can be loaded from a TOML file
(:func:`load_scenario`). Drawing from it
(:func:`~ticketlog.simulation.draws.draw_arrivals`) with a seed gives the same tickets
every time — arrival instants, attributes, work content, and what will happen to each
(transfer, escalation, reopen, the customer's patience and rating) — so different
policies are compared on exactly the same tickets (common random numbers).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, overload
from uuid import UUID

import attrs
import numpy as np
import numpy.typing as npt
import pydantic
from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, PositiveFloat

from ticketlog._toml import parse, read_text
from ticketlog.domain.aggregate import invalid_value
from ticketlog.domain.errors import ConfigurationError, InvalidValue
from ticketlog.domain.events import AgentProfile
from ticketlog.domain.values import AwaitedParty, Channel, Priority
from ticketlog.policies.escalation import EscalationPath, Step
from ticketlog.projections.facts import TicketFacts


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Exponential(_Model):
    """Exponentially distributed durations with the given mean (minutes)."""

    kind: Literal["exponential"] = "exponential"
    mean_minutes: PositiveFloat

    def draw(self, rng: random.Random) -> float:
        """One duration, in minutes."""
        return rng.expovariate(1.0 / self.mean_minutes)

    def sample(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        """``n`` durations, in minutes."""
        return rng.exponential(self.mean_minutes, n)


class LogNormal(_Model):
    """Log-normally distributed durations with the given mean and standard deviation (minutes)."""

    kind: Literal["lognormal"] = "lognormal"
    mean_minutes: PositiveFloat
    sd_minutes: PositiveFloat

    def draw(self, rng: random.Random) -> float:
        """One duration, in minutes."""
        mu, sigma = self._parameters()
        return rng.lognormvariate(mu, sigma)

    def sample(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        """``n`` durations, in minutes."""
        mu, sigma = self._parameters()
        return rng.lognormal(mu, sigma, n)

    def _parameters(self) -> tuple[float, float]:
        """The mean and standard deviation of the duration's logarithm."""
        variance = math.log(1 + (self.sd_minutes / self.mean_minutes) ** 2)
        return math.log(self.mean_minutes) - variance / 2, math.sqrt(variance)


class Empirical(_Model):
    """Durations drawn uniformly from observed ones (minutes), e.g. a history's handle times."""

    kind: Literal["empirical"] = "empirical"
    minutes: tuple[PositiveFloat, ...] = Field(min_length=1)

    def draw(self, rng: random.Random) -> float:
        """One duration, in minutes."""
        return self.minutes[int(rng.random() * len(self.minutes))]

    def sample(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        """``n`` durations, in minutes."""
        return np.asarray(self.minutes, dtype=np.float64)[rng.integers(len(self.minutes), size=n)]

    @classmethod
    def of(cls, durations: Iterable[timedelta]) -> Empirical:
        """The empirical distribution of ``durations`` (zero durations are left out)."""
        minutes = tuple(m for d in durations if (m := d.total_seconds() / 60) > 0)
        if not minutes:
            msg = "an empirical distribution needs at least one positive duration"
            raise ConfigurationError(msg)
        return cls(minutes=minutes)


Duration = Annotated[Exponential | LogNormal | Empirical, Field(discriminator="kind")]


class Handoff(_Model):
    """Tickets passed on midway: the first agent does a uniform share of the work, then
    transfers the ticket to ``queue`` (or escalates it there, a tier up — or within its
    tier, to another team, when no agent works higher), where another agent (chosen by
    the policy) does the rest."""

    probability: float = Field(ge=0.0, le=1.0)
    queue: str = "general"
    """The queue the ticket moves to."""


class Reopens(_Model):
    """Resolved tickets the customer reopens ``after`` a while, needing ``work`` more."""

    probability: float = Field(ge=0.0, le=1.0)
    after: Duration = Exponential(mean_minutes=24 * 60)
    work: Duration = Exponential(mean_minutes=5)


class CsatModel(_Model):
    """Ratings (1-5) as a function of the wait and the resolution time.

    score = round(base - per_hour_waited * wait_hours - per_hour_to_resolve *
    resolution_hours + noise), noise normal with ``sd``, clamped to 1-5; a ``response_rate``
    share of customers rate, at the final resolution. :meth:`fit` estimates it from rated
    tickets of a history (least squares).
    """

    base: float = Field(default=4.5, ge=1.0, le=5.0)
    per_hour_waited: float = Field(default=0.2, ge=0.0)
    per_hour_to_resolve: float = Field(default=0.02, ge=0.0)
    sd: float = Field(default=0.7, ge=0.0)
    response_rate: float = Field(default=0.3, ge=0.0, le=1.0)

    @overload
    def score(self, wait: timedelta, resolution: timedelta, noise: float) -> int: ...
    @overload
    def score(
        self, wait: timedelta, resolution: timedelta, noise: float, *, rounded: Literal[False]
    ) -> float: ...
    def score(
        self, wait: timedelta, resolution: timedelta, noise: float, *, rounded: bool = True
    ) -> int | float:
        """The rating of a customer of mood ``noise`` who waited ``wait`` and was resolved
        after ``resolution`` (``rounded=False``: the model's raw value, unclamped)."""
        raw = (
            self.base
            - self.per_hour_waited * wait.total_seconds() / 3600
            - self.per_hour_to_resolve * resolution.total_seconds() / 3600
            + self.sd * noise
        )
        return min(max(round(raw), 1), 5) if rounded else raw

    @classmethod
    def fit(cls, tickets: Iterable[TicketFacts]) -> CsatModel:
        """The model fitted by least squares to the rated tickets of a history.

        The response rate is the share of resolved tickets that were rated.
        """
        facts = list(tickets)
        rows = [
            (wait.total_seconds() / 3600, resolution.total_seconds() / 3600, float(f.csat))
            for f in facts
            if f.csat is not None
            and (wait := f.wait) is not None
            and (resolution := f.resolution_time) is not None
        ]
        if len(rows) < 4:
            msg = f"fitting a CSAT model needs at least 4 rated tickets, not {len(rows)}"
            raise ConfigurationError(msg)
        (base, per_wait, per_resolution), sd = _least_squares(rows)
        resolved = sum(1 for f in facts if f.resolutions)
        return cls(
            base=min(max(base, 1.0), 5.0),
            per_hour_waited=max(-per_wait, 0.0),
            per_hour_to_resolve=max(-per_resolution, 0.0),
            sd=sd,
            response_rate=min(len(rows) / max(resolved, 1), 1.0),
        )


def _least_squares(
    rows: list[tuple[float, float, float]],
) -> tuple[tuple[float, float, float], float]:
    """Coefficients (a, b, c) of y = a + b*x1 + c*x2 minimising squared error, and the
    residual standard deviation. A regressor that never varies (e.g. nobody waited) gets
    coefficient 0; regressors that vary together cannot be told apart and are refused."""
    columns = [c for c in (0, 1) if max(r[c] for r in rows) > min(r[c] for r in rows)]
    design = [(1.0, *(r[c] for c in columns)) for r in rows]
    size = len(design[0])
    normal = [[math.fsum(x[i] * x[j] for x in design) for j in range(size)] for i in range(size)]
    rhs = [math.fsum(x[i] * r[2] for x, r in zip(design, rows, strict=True)) for i in range(size)]
    solved = _solve(normal, rhs)
    if solved is None:
        msg = "cannot fit a CSAT model: waits and resolution times do not vary independently"
        raise ConfigurationError(msg)
    coefficients = [solved[0], 0.0, 0.0]
    for column, value in zip(columns, solved[1:], strict=True):
        coefficients[column + 1] = value
    a, b, c = coefficients
    residuals = [y - a - b * x1 - c * x2 for x1, x2, y in rows]
    sd = math.sqrt(math.fsum(e * e for e in residuals) / max(len(rows) - size, 1))
    return (a, b, c), sd


def _solve(matrix: list[list[float]], rhs: list[float]) -> list[float] | None:
    """The solution of a small linear system by Gaussian elimination (``None``: singular)."""
    n = len(rhs)
    rows = [[*row, value] for row, value in zip(matrix, rhs, strict=True)]
    scale = max(abs(v) for row in matrix for v in row) or 1.0
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        if abs(rows[pivot][col]) <= 1e-12 * scale:
            return None
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(n):
            if r != col:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [v - factor * p for v, p in zip(rows[r], rows[col], strict=True)]
    return [rows[i][n] / rows[i][i] for i in range(n)]


_TrueScore = Annotated[float, Field(ge=1.0, le=5.0, allow_inf_nan=False)]
"""A true score on the review scale (1 poor … 5 excellent)."""


class AgentQuality(_Model):
    """How well an agent works, as an error-free reviewer would score it: a mean true score
    per criterion (``by_criterion``, else ``mean``) and the spread of a ticket's true score
    around it (one normal draw per ticket, shared by its criteria).
    :mod:`ticketlog.simulation.quality` draws reviews from it."""

    mean: _TrueScore
    by_criterion: Mapping[str, _TrueScore] = Field(default_factory=dict)
    """Mean true scores of named criteria (the others have ``mean``)."""
    sd: float = Field(default=0.5, ge=0.0, allow_inf_nan=False)
    """Standard deviation of a ticket's true score around the agent's mean."""


class ReviewerGroup(_Model):
    """``count`` reviewers who score alike: the true score plus ``bias`` plus a normal error
    of standard deviation ``noise`` (one per criterion and review), rounded and clamped to
    1-5."""

    count: int = Field(default=1, ge=1, le=10_000)
    name: str = "reviewer"
    noise: float = Field(default=0.5, ge=0.0, allow_inf_nan=False)
    bias: float = Field(default=0.0, ge=-4.0, le=4.0)


class AutoEscalation(_Model):
    """What the desk's :class:`~ticketlog.processes.SlaEscalator` does, in a simulation: every
    ``every_minutes`` (from the start) it escalates each open ticket whose first-reply or
    resolution target has passed, once per target, to the next step of ``path``
    (``[tier, queue]`` pairs, lowest tier first). A held ticket leaves its agent."""

    path: tuple[tuple[int, str], ...] = Field(min_length=1)
    every_minutes: PositiveFloat = 1.0

    @pydantic.model_validator(mode="after")
    def _valid_path(self) -> AutoEscalation:
        self.steps()
        return self

    def steps(self) -> EscalationPath:
        """The path as the escalator reads it."""
        return EscalationPath(tuple(Step(tier, queue) for tier, queue in self.path))

    def first_tick(self, start: datetime, deadline: datetime, now: datetime) -> datetime:
        """The first tick, not before ``now``, that finds ``deadline`` passed (strictly after
        it); ticks fall every period from ``start``."""
        every = timedelta(minutes=self.every_minutes)
        after_deadline = (deadline - start) // every + 1
        from_now = -((start - now) // every)  # ceiling: a tick at ``now`` itself counts
        return start + max(after_deadline, from_now) * every


class Shift(_Model):
    """Working hours: from ``start_hour`` for ``hours`` on ``days`` (0 is Monday), in the
    timezone of the scenario's start. Agents finish the tickets they hold after hours."""

    start_hour: float = Field(ge=0.0, lt=24.0)
    hours: float = Field(gt=0.0, le=24.0)
    days: frozenset[int] = Field(default=frozenset(range(5)), min_length=1)

    @pydantic.field_validator("days")
    @classmethod
    def _weekdays(cls, days: frozenset[int]) -> frozenset[int]:
        if not days <= set(range(7)):
            msg = f"days are 0 (Monday) to 6, not {sorted(days)}"
            raise ValueError(msg)
        return days

    def next_shift(self, after: datetime) -> tuple[datetime, datetime | None]:
        """The shift running at ``after`` (starting then), or the next one."""
        midnight = after.replace(hour=0, minute=0, second=0, microsecond=0)
        for offset in range(-1, 8):
            day = midnight + timedelta(days=offset)
            if day.weekday() not in self.days:
                continue
            begin = day + timedelta(hours=self.start_hour)
            end = begin + timedelta(hours=self.hours)
            if end > after:
                return max(begin, after), end
        msg = "unreachable: a weekly shift recurs within a week"
        raise AssertionError(msg)


class AgentGroup(_Model):
    """``count`` identical agents."""

    count: int = Field(ge=1, le=10_000)
    name: str = "agent"
    team: str = "general"
    tier: int = Field(default=1, ge=0, le=5)
    capacity: int = Field(default=1, ge=1, le=100)
    """Tickets each agent works on at once."""
    skills: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset({"en"})
    shift: Shift | None = None
    """When the agents work (``None``: always, from the start)."""
    quality: AgentQuality | None = None
    """How well the agents work (``None``: not modelled, their tickets are not reviewed)."""


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
    customer_values: Mapping[NonNegativeFloat, PositiveFloat] | None = None
    """Relative weights of customer values (``None``: every customer is worth 0)."""
    transfers: Handoff | None = None
    """Tickets transferred midway to another queue."""
    escalations: Handoff | None = None
    """Tickets escalated midway one tier up (needs agents of tier 2 or more)."""
    reopens: Reopens | None = None
    csat: CsatModel | None = None
    """How customers rate (``None``: they do not)."""
    escalation: AutoEscalation | None = None
    """Automatic escalation of missed SLA targets (``None``: none)."""
    agents: tuple[AgentGroup, ...] = Field(min_length=1)
    reviewers: tuple[ReviewerGroup, ...] = ()
    """Who reviews resolved tickets in :mod:`ticketlog.simulation.quality` (none: nobody)."""

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> Scenario:
        handoff = sum(h.probability for h in (self.transfers, self.escalations) if h is not None)
        if handoff > 1.0:
            msg = "transfer and escalation probabilities add up to more than 1"
            raise ValueError(msg)
        top = max(group.tier for group in self.agents)
        escalating = self.escalations is not None and self.escalations.probability > 0
        if escalating and top < 2:
            msg = "escalations need agents of tier 2 or more"
            raise ValueError(msg)
        highest = 0 if self.escalation is None else self.escalation.path[-1][0]
        if highest > top:
            msg = f"the escalation path goes up to tier {highest}, above every agent"
            raise ValueError(msg)
        return self

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
        """The scenario's agents, in group order."""
        specs: list[AgentSpec] = []
        for group in self.agents:
            profile = AgentProfile(
                team=group.team,
                tier=group.tier,
                capacity=group.capacity,
                skills=group.skills,
                languages=group.languages,
            )
            for n in range(group.count):
                agent_id = UUID(int=AGENT_IDS + len(specs))
                name = f"{group.name}-{n + 1}"
                specs.append(AgentSpec(agent_id, name, profile, group.shift, group.quality))
        return specs


StepKind = Literal["transfer", "escalate", "deescalate", "release", "reassign", "await"]
"""What a step of a journey does (see :class:`JourneyStep`)."""


@attrs.frozen
class JourneyStep:
    """One recorded step of a ticket's journey, taken once ``after`` of its stage's work
    is done: by the holder when someone holds the ticket, else as soon as it waits (a
    dispatcher's move, a pause in the queue) when ``held`` is false.

    - ``transfer``, ``escalate``, ``deescalate``, ``release``: the ticket leaves its holder
      and waits in ``queue`` (``None``: where it is), at ``tier`` (escalations without a
      tier go one tier up, no higher than any agent works); the policy picks who next.
      A transfer with an ``agent_id`` goes straight to that person instead.
    - ``reassign``: straight to the person ``agent_id``, whoever the policy gave it to.
    - ``await``: the ticket awaits ``party`` for ``lasts``, a delay no policy changes: its
      SLA clock stops, it leaves its holder's active work (they may take another ticket
      meanwhile) or, waiting, it cannot be taken; then the holder works on, or it waits.
    """

    kind: StepKind
    after: timedelta = timedelta(0)
    """The work of its stage done before it (since receipt, or since the first reopen)."""
    reopened: bool = False
    """Whether it belongs to the stage after the first reopen."""
    held: bool = True
    """Whether someone held the ticket when it was recorded."""
    queue: str | None = None
    tier: int | None = None
    agent_id: UUID | None = None
    lasts: timedelta = timedelta(0)
    party: AwaitedParty = AwaitedParty.CUSTOMER


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
    """How long the customer waits for a first agent before abandoning (``None``: forever)."""
    handoff: Literal["transfer", "escalate"] | None = None
    """Whether the first agent passes the ticket on midway, and how."""
    handoff_after: timedelta = timedelta(0)
    """The part of ``work`` done before the handoff (the rest is done after it)."""
    handoff_queue: str = "general"
    reopen_after: timedelta | None = None
    """When the customer reopens the resolved ticket (``None``: never)."""
    reopen_work: timedelta = timedelta(0)
    """The work a reopened ticket still needs."""
    reopen_closes: bool = False
    """Whether that work ends with a closure instead of a resolution (as recorded)."""
    rating_noise: float | None = None
    """The customer's mood (a standard normal draw) if they rate, else ``None``."""
    estimated_effort: timedelta | None = None
    """The estimate the desk records (``None``: the work itself, an exact estimate)."""
    steps: tuple[JourneyStep, ...] = ()
    """The journey, in order (a replay's recorded one), instead of a drawn ``handoff``."""

    @property
    def journey(self) -> tuple[JourneyStep, ...]:
        """Every step the ticket takes: ``steps``, or the drawn handoff as one step."""
        if self.handoff is None:
            return self.steps
        return (JourneyStep(self.handoff, self.handoff_after, queue=self.handoff_queue),)

    @property
    def effort(self) -> timedelta:
        """The estimated effort the ticket is received with."""
        return self.work if self.estimated_effort is None else self.estimated_effort

    @property
    def customer(self) -> str:
        """The customer's id (one per ticket when none was given)."""
        return self.customer_id or f"customer-{self.ticket_id.int}"

    def attributes(self) -> dict[str, Any]:
        """The ticket's attributes as received: the fields every record of it shares."""
        return {name: getattr(self, name) for name in ATTRIBUTES}

    def as_received(self) -> dict[str, Any]:
        """The fields of the ``TicketReceived`` this arrival makes, which its routing record
        holds too: the attributes, the customer, required skills and estimated effort."""
        return {
            "customer_id": self.customer,
            "required_skills": self.required_skills,
            "estimated_effort": self.effort,
            **self.attributes(),
        }

    def __attrs_post_init__(self) -> None:
        zero = timedelta(0)
        if self.work < zero or self.reopen_work < zero:
            msg = f"ticket {self.ticket_id}: work cannot be negative"
            raise InvalidValue(msg)
        if not zero <= self.handoff_after <= self.work:
            msg = (
                f"ticket {self.ticket_id}: a handoff after {self.handoff_after} of work "
                f"is outside its {self.work} of work"
            )
            raise InvalidValue(msg)
        if self.patience is not None and self.patience < zero:
            msg = f"ticket {self.ticket_id}: patience cannot be negative"
            raise InvalidValue(msg)
        if self.steps:
            self._check_steps()

    def _check_steps(self) -> None:
        """Steps in order of stage and work, within their stage's work, none negative."""
        if self.handoff is not None:
            msg = f"ticket {self.ticket_id}: a journey of steps replaces the drawn handoff"
            raise InvalidValue(msg)
        previous = (False, timedelta(0))
        for step in self.steps:
            stage = self.reopen_work if step.reopened else self.work
            if (step.reopened, step.after) < previous or step.after > stage:
                msg = f"ticket {self.ticket_id}: step {step} is out of order or past its work"
                raise InvalidValue(msg)
            if step.lasts < timedelta(0) or (step.reopened and self.reopen_after is None):
                msg = f"ticket {self.ticket_id}: step {step} lasts less than nothing or never comes"
                raise InvalidValue(msg)
            previous = (step.reopened, step.after)


ATTRIBUTES = (
    "channel",
    "category",
    "priority",
    "language",
    "plan",
    "customer_value",
    "first_time",
    "queue",
    "tier",
)
"""The attributes an arrival shares with ``TicketReceived``, ticket facts and queue records."""


class Rota(Protocol):
    """When an agent works."""

    def next_shift(self, after: datetime) -> tuple[datetime, datetime | None] | None:
        """The shift running at ``after`` (as if starting then), or the next one; its end is
        ``None`` when the agent then stays online. ``None``: the agent works no more."""
        ...


@attrs.frozen
class AgentSpec:
    """One agent of a simulated desk."""

    agent_id: UUID
    name: str
    profile: AgentProfile
    rota: Rota | None = None
    """When the agent works (``None``: always, from the start)."""
    quality: AgentQuality | None = None
    """How well the agent works (``None``: not modelled)."""


AGENT_IDS = 1 << 64
"""Simulated agents' ids start here, so they never collide with drawn ticket ids."""


def load_scenario(path: Path | str) -> Scenario:
    """A scenario from a TOML file; :class:`ConfigurationError` with one clear line if bad."""
    text = read_text(path, "scenario", ConfigurationError)
    data = parse(text, f"scenario {path}", ConfigurationError)
    try:
        return Scenario.model_validate(data)
    except pydantic.ValidationError as error:
        msg = f"scenario {path}: {invalid_value(error)}"
        raise ConfigurationError(msg) from None
