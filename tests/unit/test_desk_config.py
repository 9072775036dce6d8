"""The desk configuration file: what it sets, where it goes, and its one-line errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from ticketlog import HelpDesk, ManualClock, MemoryStore
from ticketlog.config import DeskConfig, load_desk_config, parse_desk_config, parse_duration
from ticketlog.domain.errors import ConfigurationError, InvalidValue
from ticketlog.domain.values import Priority
from ticketlog.policies import easiest_first, team_queues, tiered, value_based
from ticketlog.policies.escalation import EscalationPath
from ticketlog.projections.sla import DEFAULT_RESOLUTION, SlaTargets
from ticketlog.simulation import AgentGroup, Exponential, Scenario
from ticketlog.simulation.scenario import AutoEscalation

EXAMPLE = Path(__file__).parents[2] / "examples" / "desk.toml"

DESK = """\
[sla.default.first_reply]
urgent = "10m"
high = 30

[sla.by_category.billing.resolution]
normal = "8h"

[sla.calendar]
opens = 08:00:00
closes = 18:00:00
holidays = [2026-12-25]

[escalation]
path = [[1, "general"], [2, "experts"]]
every = "5m"

[policies.value]
plans = { pro = 100, enterprise = 1000 }
first_time_boost = 25

[policies.easiest-first]
default = "15m"
aging = 0.1

[policies.tiered]
overflow = true

[staffing]
share = 0.4
people = { ana = { capacity = 2 } }
"""


def test_a_file_sets_targets_per_priority_and_category_with_the_rest_defaulted() -> None:
    sla = parse_desk_config(DESK).sla
    assert sla.first_reply(Priority.URGENT, "account") == timedelta(minutes=10)
    assert sla.first_reply(Priority.HIGH, "account") == timedelta(minutes=30)  # a number: minutes
    assert sla.first_reply(Priority.LOW, "account") == timedelta(hours=8)  # the default
    # A category's targets start from the file's default targets.
    assert sla.resolution(Priority.NORMAL, "billing") == timedelta(hours=8)
    assert sla.first_reply(Priority.URGENT, "billing") == timedelta(minutes=10)
    assert sla.resolution(Priority.LOW, "billing") == DEFAULT_RESOLUTION[Priority.LOW]
    assert sla.calendar is not None
    assert (sla.calendar.opens, sla.calendar.closes) == (time(8), time(18))
    assert sla.calendar.holidays == {date(2026, 12, 25)}


def test_an_empty_file_is_ticketlogs_defaults() -> None:
    assert parse_desk_config("") == DeskConfig()
    assert parse_desk_config("").sla == SlaTargets()


def test_the_escalation_path_and_tick_serve_the_simulation_and_the_escalator() -> None:
    escalation = parse_desk_config(DESK).escalation
    assert escalation == AutoEscalation(path=((1, "general"), (2, "experts")), every_minutes=5)
    assert escalation.steps() == EscalationPath.of((1, "general"), (2, "experts"))


def test_policies_are_built_with_the_files_options() -> None:
    config = parse_desk_config(DESK)
    assert config.pull_policy("value") == value_based(
        {"pro": 100.0, "enterprise": 1000.0}, first_time_boost=25.0
    )
    assert config.pull_policy("easiest-first") == easiest_first(
        default=timedelta(minutes=15), aging=0.1
    )
    assert config.pull_policy("tiered") == tiered(overflow=True)
    assert config.pull_policy("fifo").name == "fifo"  # no options: the factory's defaults
    assert parse_desk_config("[policies.team-queues]\noverflow = true").pull_policy(
        "team-queues"
    ) == team_queues(overflow=True)


def test_staffing_rules_are_read_for_replays() -> None:
    staffing = parse_desk_config(DESK).staffing
    assert staffing is not None
    assert staffing.share == 0.4
    assert staffing.people["ana"].capacity == 2


def test_a_live_desk_judges_tickets_by_the_files_targets() -> None:
    monday_nine = datetime(2026, 11, 23, 9, tzinfo=UTC)
    late = monday_nine + timedelta(minutes=11)  # past the file's 10 min, within the default 15
    breaching = {}
    for name, sla in (("file", parse_desk_config(DESK).sla), ("default", None)):
        with HelpDesk(MemoryStore(), sla=sla, clock=ManualClock(monday_nine)) as desk:
            desk.receive(channel="email", customer_id="c", priority="urgent", category="account")
            breaching[name] = len(desk.view().queues.breaching(now=late))
    assert breaching == {"file": 1, "default": 0}


def test_the_files_escalator_replaces_a_scenarios() -> None:
    scenario = Scenario(
        tickets=10,
        arrivals_per_hour=5,
        handle_time=Exponential(mean_minutes=5),
        agents=(AgentGroup(count=1), AgentGroup(count=1, tier=2, team="experts")),
    )
    assert parse_desk_config(DESK).scenario(scenario).escalation == AutoEscalation(
        path=((1, "general"), (2, "experts")), every_minutes=5
    )
    assert parse_desk_config("").scenario(scenario) is scenario
    one_tier = scenario.model_copy(update={"agents": (AgentGroup(count=1),)})
    with pytest.raises(ConfigurationError, match="above every agent"):
        parse_desk_config(DESK).scenario(one_tier)


def test_the_readmes_example_file_is_valid() -> None:
    readme = (EXAMPLE.parents[1] / "README.md").read_text()
    section = readme.split("## One configuration for the desk and its what-ifs")[1]
    example = section.split("```toml\n")[1].split("```")[0]
    config = parse_desk_config(example, name="README")
    assert config.sla.resolution(Priority.NORMAL, "technical") == timedelta(days=2)
    assert config.staffing is not None


def test_the_shipped_demo_configuration_loads() -> None:
    config = load_desk_config(EXAMPLE)
    assert config.sla == SlaTargets()
    assert config.escalation is not None
    assert config.pull_policy("tiered") == tiered(overflow=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[policies.value]\nplanz = 1", "policies.value.planz (line 2): policy 'value' has no "),
        ("[policies.nope]\nx = 1", "policies.nope (line 1): unknown policy 'nope'"),
        ("[policies.tiered]\noverflow = 1", "policies.tiered.overflow (line 2): expected a bool"),
        (
            "[policies.team-queues]\noverflow = ['vip']",
            "policies.team-queues.overflow (line 2): expected a bool",
        ),
        ("[policies.value]\nfirst_time_boost = 'x'", "first_time_boost (line 2): expected a float"),
        ("[escalation]\npath = [[1, 'a']]\nevery = '5 min'", "escalation.every (line 3): '5 min'"),
        ("[escalation]\npath = [[2, 'a'], [1, 'b']]", "escalation (line 1): an escalation path"),
        ("\n[sla.default.first_reply]\nurgent = 'soon'", "first_reply.urgent (line 3): 'soon'"),
        ("[sla.default.first_reply]\nurgent = 0", "sla.default (line 1): first_reply targets must"),
        ("[sla.calendar]\ntimezone = 'Mars/Olympus'", "sla.calendar (line 1): unknown timezone"),
        ("[staffing]\nshare = 2", "staffing (line 1): StaffingRules: share"),
        ("\nslas = 1", "slas (line 2): Extra inputs are not permitted"),
        ("sla = [", "desk.toml is not valid TOML"),
    ],
)
def test_a_bad_file_is_one_line_naming_the_key_and_its_line(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_desk_config(text, name="desk.toml")
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read desk configuration"):
        load_desk_config(tmp_path / "missing.toml")


def test_a_router_is_not_a_pull_policy() -> None:
    with pytest.raises(ConfigurationError, match="not a pull policy but a router"):
        DeskConfig().pull_policy("round-robin")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("1.5h", timedelta(hours=1.5)),
    ],
)
def test_durations_have_a_unit(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_a_duration_without_a_unit_is_refused() -> None:
    with pytest.raises(InvalidValue, match="not a duration"):
        parse_duration("30")
