"""The shipped mapping presets, one TOML file each beside this module.

=============  ================================================================
preset         source
=============  ================================================================
status-log     one row per status change of a case (IT-service / incident logs)
event-log      process-mining event logs: XES, or CSV with XES column names
zendesk        Zendesk incremental ticket events / ticket audits (JSON)
servicenow     ServiceNow ``sys_audit`` rows, the incident table as companion
jira           Jira Service Management issues with their changelog (JSON)
=============  ================================================================
"""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

from ticketlog.imports.mapping import ImportMapping, MappingError, parse_mapping


def preset_names() -> list[str]:
    """The names of the shipped presets."""
    files = resources.files(__package__)
    return sorted(f.name.removesuffix(".toml") for f in files.iterdir() if f.name.endswith(".toml"))


def _text(name: str) -> str:
    resource = resources.files(__package__) / f"{name}.toml"
    if not resource.is_file():
        msg = f"unknown preset {name!r}; presets: {', '.join(preset_names())}"
        raise MappingError(msg)
    return resource.read_text(encoding="utf-8")


def preset_data(name: str) -> dict[str, Any]:
    """A preset's TOML data, to lay a user's mapping over."""
    return tomllib.loads(_text(name))


def preset(name: str) -> ImportMapping:
    """A shipped preset as a validated mapping."""
    return parse_mapping(_text(name), name=f"preset {name}")
