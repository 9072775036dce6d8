"""The desk configuration file: SLA targets, business hours, escalation, policy options, staffing.

One TOML file (:func:`load_desk_config`) configures a live desk, a simulation, a replay and
the CLI (``--config desk.toml``) alike, so a finding made in Python can be reproduced from
the command line::

    [sla.default.first_reply]          # SlaTargets: per priority, per category, calendar
    urgent = "10m"
    [sla.by_category.billing.resolution]
    normal = "8h"
    [sla.calendar]                     # BusinessHours: targets count working time
    opens = 08:00:00
    closes = 18:00:00
    holidays = [2026-12-25]

    [escalation]                       # the SLA escalator's path and tick
    path = [[1, "general"], [2, "engineering"]]
    every = "5m"

    [policies.value]                   # options of a policy, by its registered name
    plans = { enterprise = 1000, pro = 100 }

    [staffing]                         # StaffingRules, for replays of a history
    share = 0.5

    [scorecards.support]               # Scorecard: criteria on the 1-5 scale
    pass_mark = 3.5
    categories = ["billing", "general"]
    criteria = [{ name = "accuracy", weight = 2, critical = true }, { name = "empathy" }]

    [samplers.per-agent]               # options of a review sampler, by its name
    n = 5

Durations are ``"90s"``, ``"30m"``, ``"2h"``, ``"1d"`` or a number of minutes. Targets
left out keep their defaults; a category's targets start from ``sla.default``. Policy
options are checked against the policy factory's parameters. Where each part goes:
``HelpDesk(store, sla=config.sla)``, ``SlaEscalator(desk, config.escalation.steps())``,
:meth:`DeskConfig.policy`, :meth:`DeskConfig.trace` (a store's replay with the
escalator and the staffing rules), :meth:`DeskConfig.scenario`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pydantic
from pydantic import BaseModel, ConfigDict, Field

from ticketlog._toml import KeyProblem, parse, read_text, validated
from ticketlog.domain.errors import ConfigurationError, InvalidValue
from ticketlog.domain.quality import Scorecard
from ticketlog.policies import registry
from ticketlog.policies.protocol import PullPolicy, Router
from ticketlog.policies.review import ReviewSampler
from ticketlog.policies.review import factory as review_sampler_factory
from ticketlog.policies.review import sampler as review_sampler
from ticketlog.projections.runner import EventSource
from ticketlog.projections.sla import DEFAULT_FIRST_REPLY, DEFAULT_RESOLUTION, SlaTargets
from ticketlog.simulation.replay import Trace, trace_from_store
from ticketlog.simulation.scenario import AutoEscalation, Scenario
from ticketlog.simulation.staffing import StaffingRules

__all__ = ["DeskConfig", "load_desk_config", "parse_desk_config", "parse_duration"]

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """``"90s"``, ``"30m"``, ``"2h"`` or ``"1d"`` (a number and a unit); anything else
    raises :class:`~ticketlog.domain.errors.InvalidValue`."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text)
    try:
        if match is not None:
            return timedelta(**{_UNITS[match[2]]: float(match[1])})
    except OverflowError:
        pass
    msg = f"{text!r} is not a duration such as 90s, 30m, 2h or 1d"
    raise InvalidValue(msg)


def _duration(value: Any, loc: tuple[str | int, ...]) -> Any:
    """A file's duration (text with a unit, or minutes) as a timedelta; other values as
    they are, for pydantic to judge."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return timedelta(minutes=value)
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except InvalidValue as error:
            raise KeyProblem(loc, str(error)) from None
    return value


def _targets(data: Any, base: Mapping[str, Mapping[str, Any]], loc: tuple[str, ...]) -> Any:
    """A ``Targets`` table with durations read and missing priorities from ``base``."""
    if not isinstance(data, Mapping):
        return data
    merged: dict[str, Any] = dict(data)
    for name, defaults in base.items():
        given = data.get(name, {})
        if isinstance(given, Mapping):
            read = {p: _duration(v, (*loc, name, p)) for p, v in given.items()}
            merged[name] = {**defaults, **read}
    return merged


def _sla(data: Any) -> Any:
    """The ``[sla]`` table as :class:`SlaTargets` reads it (see the module docstring)."""
    if not isinstance(data, Mapping):
        return data
    base = {
        "first_reply": {str(p): t for p, t in DEFAULT_FIRST_REPLY.items()},
        "resolution": {str(p): t for p, t in DEFAULT_RESOLUTION.items()},
    }
    default = _targets(data.get("default", {}), base, ("default",))
    read: dict[str, Any] = {**data, "default": default}
    categories = data.get("by_category")
    if isinstance(categories, Mapping) and isinstance(default, Mapping):
        start = {k: v for k, v in default.items() if k in base}
        read["by_category"] = {
            category: _targets(targets, start, ("by_category", category))
            for category, targets in categories.items()
        }
    return read


def _escalation(data: Any) -> Any:
    """The ``[escalation]`` table as :class:`AutoEscalation` reads it (``every`` a duration)."""
    if not isinstance(data, Mapping) or "every" not in data:
        return data
    if "every_minutes" in data:
        raise KeyProblem(("every",), "give every or every_minutes, not both")
    rest = {k: v for k, v in data.items() if k != "every"}
    every = _duration(data["every"], ("every",))
    if isinstance(every, timedelta):
        every = every.total_seconds() / 60
    return {**rest, "every_minutes": every}


_SCALARS: dict[type, tuple[type, ...]] = {
    bool: (bool,),
    int: (int,),
    float: (int, float),
    str: (str,),
}
"""What a file may give for an option whose default is of the key's type."""


def _option(value: Any, default: Any, loc: tuple[str, ...]) -> Any:
    """An option's value as its factory takes it: durations read, scalars of the default's type."""
    if isinstance(default, timedelta):
        return _duration(value, loc)
    accepted = _SCALARS.get(type(default))
    if accepted is not None and (
        not isinstance(value, accepted) or (isinstance(value, bool) and bool not in accepted)
    ):
        msg = f"expected a {type(default).__name__}, not {value!r}"
        raise KeyProblem(loc, msg)
    return value


def _options(
    name: str, options: Any, factory: Callable[[str], Callable[..., Any]], what: str
) -> dict[str, Any]:
    """The options of the policy or sampler ``factory(name)`` makes, checked against its
    parameters (durations read) and by making it once."""
    try:
        make = factory(name)
    except ConfigurationError as error:
        raise KeyProblem((name,), str(error)) from None
    if not isinstance(options, Mapping):
        raise KeyProblem((name,), f"the options of {name!r} are a table")
    known = {
        p.name: p
        for p in inspect.signature(make).parameters.values()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    }
    read: dict[str, Any] = {}
    for option, value in options.items():
        parameter = known.get(option)
        if parameter is None:
            msg = f"{what} {name!r} has no option {option!r}; its options: {', '.join(known)}"
            raise KeyProblem((name, option), msg)
        read[option] = _option(value, parameter.default, (name, option))
    try:
        make(**read)
    except (ConfigurationError, InvalidValue) as error:
        raise KeyProblem((name,), str(error)) from None
    return read


def _option_tables(data: Any, factory: Callable[[str], Callable[..., Any]], what: str) -> Any:
    """A table of options per policy or sampler name, each checked (see :func:`_options`)."""
    if not isinstance(data, Mapping):
        return data
    return {name: _options(name, options, factory, what) for name, options in data.items()}


def _scorecards(data: Any) -> Any:
    """``[scorecards.NAME]`` tables, each named by its key."""
    if not isinstance(data, Mapping):
        return data
    named: dict[str, Any] = {}
    for name, card in data.items():
        if isinstance(card, Mapping) and card.get("name", name) != name:
            raise KeyProblem((name, "name"), f"scorecard {name!r} is named by its table")
        named[name] = {**card, "name": name} if isinstance(card, Mapping) else card
    return named


class DeskConfig(BaseModel):
    """A desk's configuration (see the module docstring); empty, ticketlog's defaults."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sla: SlaTargets = Field(default_factory=SlaTargets)
    """The SLA targets views, KPIs and the escalator judge tickets by."""
    escalation: AutoEscalation | None = None
    """The automatic escalation path and tick (``None``: no escalator)."""
    policies: Mapping[str, Mapping[str, Any]] = Field(default_factory=dict)
    """Options per policy name, passed to its factory (:func:`registry.create`)."""
    staffing: StaffingRules | None = None
    """How a replay infers staffing from a history (``None``: the default rules)."""
    scorecards: Mapping[str, Scorecard] = Field(default_factory=dict)
    """The scorecards reviewers score tickets with, by name (``HelpDesk(scorecards=…)``)."""
    samplers: Mapping[str, Mapping[str, Any]] = Field(default_factory=dict)
    """Options per review sampler name (:mod:`ticketlog.policies.review`)."""

    @pydantic.field_validator("sla", mode="before")
    @classmethod
    def _read_sla(cls, data: Any) -> Any:
        return _sla(data)

    @pydantic.field_validator("escalation", mode="before")
    @classmethod
    def _read_escalation(cls, data: Any) -> Any:
        return _escalation(data)

    @pydantic.field_validator("policies", mode="before")
    @classmethod
    def _read_policies(cls, data: Any) -> Any:
        return _option_tables(data, registry.factory, "policy")

    @pydantic.field_validator("scorecards", mode="before")
    @classmethod
    def _read_scorecards(cls, data: Any) -> Any:
        return _scorecards(data)

    @pydantic.field_validator("samplers", mode="before")
    @classmethod
    def _read_samplers(cls, data: Any) -> Any:
        return _option_tables(data, review_sampler_factory, "review sampler")

    def sampler(self, name: str) -> ReviewSampler:
        """The review sampler ``name``, built with this file's options for it."""
        return review_sampler(name, **self.samplers.get(name, {}))

    def policy(self, name: str) -> PullPolicy | Router:
        """The policy registered as ``name``, built with this file's options for it."""
        return registry.create(name, **self.policies.get(name, {}))

    def pull_policy(self, name: str) -> PullPolicy:
        """:meth:`policy`, which must be a pull policy (a
        :class:`~ticketlog.domain.errors.ConfigurationError` otherwise)."""
        return registry.pull_policy(name, **self.policies.get(name, {}))

    def trace(self, source: EventSource) -> Trace:
        """The replayable trace of ``source``'s history, with this file's staffing rules
        and its escalator (which the history does not record)."""
        trace = trace_from_store(source, staffing=self.staffing)
        return attrs.evolve(trace, escalation=self.escalation)

    def scenario(self, scenario: Scenario) -> Scenario:
        """``scenario`` with this file's escalator, when the file has one."""
        if self.escalation is None:
            return scenario
        try:
            return Scenario.model_validate(
                {**scenario.model_dump(), "escalation": self.escalation.model_dump()}
            )
        except pydantic.ValidationError as error:
            msg = f"the desk configuration's escalation does not fit the scenario: {error}"
            raise ConfigurationError(" ".join(msg.split())) from None


def parse_desk_config(text: str, *, name: str = "desk configuration") -> DeskConfig:
    """Validate the TOML ``text`` of a desk configuration; a bad one raises
    :class:`~ticketlog.domain.errors.ConfigurationError` naming each bad key and its line."""
    data = parse(text, name, ConfigurationError)
    return validated(DeskConfig, data, text, name, ConfigurationError)


def load_desk_config(path: Path | str) -> DeskConfig:
    """Read a desk configuration file (see :func:`parse_desk_config`)."""
    text = read_text(path, "desk configuration", ConfigurationError)
    return parse_desk_config(text, name=str(path))
