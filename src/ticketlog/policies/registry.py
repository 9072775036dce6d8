"""Policies by name: the built-ins, your own, and those of installed packages.

A package makes a policy available by declaring an entry point in the
``ticketlog.policies`` group whose object is a factory (a callable taking keyword
options and returning a :class:`~ticketlog.policies.protocol.PullPolicy` or
:class:`~ticketlog.policies.protocol.Router`)::

    [project.entry-points."ticketlog.policies"]
    vip-first = "mypackage.policies:vip_first"

In-process code can call :func:`register` instead.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, cast

from ticketlog.domain.errors import ConfigurationError
from ticketlog.policies import builtin
from ticketlog.policies.protocol import PullPolicy, Router

ENTRY_POINT_GROUP = "ticketlog.policies"

Factory = Callable[..., PullPolicy | Router]

_FACTORIES: dict[str, Factory] = {
    "fifo": builtin.fifo,
    "priority": builtin.priority,
    "easiest-first": builtin.easiest_first,
    "value": builtin.value_based,
    "tiered": builtin.tiered,
    "skills": builtin.skills_based,
    "tiered-skills": builtin.tiered_skills,
    "sla": builtin.sla_driven,
    "affinity": builtin.affinity,
    "team-queues": builtin.team_queues,
    "round-robin": builtin.round_robin,
    "least-loaded": builtin.least_loaded,
    "capacity-aware": builtin.capacity_aware,
    "longest-idle": builtin.longest_idle_agent,
    "affinity-router": builtin.affinity_router,
}


def register(name: str, factory: Factory, *, replace: bool = False) -> None:
    """Make ``factory`` available as ``name`` (``replace`` to override an existing one)."""
    if name in _FACTORIES and not replace:
        msg = f"a policy named {name!r} is already registered"
        raise ConfigurationError(msg)
    _FACTORIES[name] = factory


def _installed() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def names() -> list[str]:
    """Every policy name available: registered and installed."""
    return sorted(set(_FACTORIES) | set(_installed()))


def factory(name: str) -> Factory:
    """The factory registered (or installed) as ``name``; its keyword options are the policy's."""
    found = _FACTORIES.get(name)
    if found is not None:
        return found
    entry_point = _installed().get(name)
    if entry_point is None:
        msg = f"unknown policy {name!r}; available: {', '.join(names())}"
        raise ConfigurationError(msg)
    return cast(Factory, entry_point.load())


def create(name: str, **options: Any) -> PullPolicy | Router:
    """Build the policy registered (or installed) as ``name`` with ``options``."""
    make = factory(name)
    try:
        return make(**options)
    except (TypeError, ValueError, AttributeError) as error:
        msg = f"bad options for policy {name!r}: {error}"
        raise ConfigurationError(msg) from None


def pull_policy(policy: PullPolicy | str, **options: Any) -> PullPolicy:
    """``policy`` itself, or the pull policy registered as ``policy`` (built with
    ``options``)."""
    found = create(policy, **options) if isinstance(policy, str) else policy
    if isinstance(found, PullPolicy):
        return found
    msg = f"{policy!r} is not a pull policy"
    if isinstance(found, Router):
        msg += " but a router (use a router, not a pull policy, to route tickets)"
    raise ConfigurationError(msg)


def router(policy: Router | str) -> Router:
    """``policy`` itself, or the router registered as ``policy``."""
    found = create(policy) if isinstance(policy, str) else policy
    if isinstance(found, Router):
        return found
    msg = f"{policy!r} is not a router"
    if isinstance(found, PullPolicy):
        msg += " but a pull policy (use a pull policy, not a router, to pull tickets)"
    raise ConfigurationError(msg)
