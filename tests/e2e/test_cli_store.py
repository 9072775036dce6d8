"""The ``ticketlog`` read commands over a real store, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import attrs
import pytest

import ticketlog
from tests.conftest import START
from tests.e2e.cli_support import one_line_error, run_cli
from tests.integration.conftest import postgres_server, postgres_store  # noqa: F401 - fixtures
from tests.integration.support import PostgresServer
from ticketlog import HelpDesk, PostgresStore


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


@attrs.frozen
class Desk:
    """A small recorded morning: two agents, three tickets (one still waiting)."""

    url: str
    resolved: UUID
    urgent: UUID
    waiting: UUID


def record_morning(desk: HelpDesk) -> tuple[UUID, UUID, UUID]:
    ana = desk.join_agent("Ana", team="billing", capacity=2, at=START)
    lee = desk.join_agent("Lee", team="tech", tier=2, at=START)
    resolved = desk.receive(
        channel="email", customer_id="acme", priority="high", source_id="INC0012345",
        subject="Charged twice", at=at(1),
    )  # fmt: skip
    urgent = desk.receive(channel="chat", customer_id="globex", priority="urgent", at=at(2))
    waiting = desk.receive(channel="phone", customer_id="initech", at=at(3))
    desk.assign(resolved, ana, at=at(5))
    desk.respond(resolved, ana, at=at(8))
    desk.resolve(resolved, ana, at=at(20))
    desk.rate(resolved, csat=5, nps=9, at=at(30))
    desk.assign(urgent, lee, at=at(4))
    desk.resolve(urgent, lee, at=at(64))
    return resolved, urgent, waiting


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    with HelpDesk(url) as d:
        return Desk(url, *record_morning(d))


def json_of(result: subprocess.CompletedProcess[str]) -> Any:
    """The command's JSON output (which must be strict JSON: no NaN)."""
    assert result.returncode == 0, result.stderr
    assert "NaN" not in result.stdout
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_kpis_of_the_whole_store_are_judged_at_its_latest_event(desk: Desk) -> None:
    figures = json_of(run_cli("kpis", desk.url, "--json"))
    assert figures["now"] == at(64).isoformat()
    assert figures["units"] == {"durations": "minutes", "shares": "percent", "qa_score": "1-5"}
    [overall] = figures["groups"]
    assert overall["group"] is None
    kpis = overall["kpis"]
    assert (kpis["tickets"], kpis["open"], kpis["resolved"]) == (3, 1, 2)
    assert kpis["wait"]["mean"] == pytest.approx(3.0)  # minutes: 4 and 2
    assert kpis["handle"]["mean"] == pytest.approx(37.5)  # AHT: 15 and 60 minutes
    assert kpis["csat"] == 100.0
    assert kpis["transfers_per_ticket"] == 0.0
    assert kpis["first_reply"]["count"] == 1


def test_kpis_by_agent_show_names_and_null_for_what_was_not_measured(desk: Desk) -> None:
    figures = json_of(run_cli("kpis", desk.url, "--by", "agent", "--json"))
    groups = {g["group"]: g["kpis"] for g in figures["groups"]}
    assert set(groups) == {"Ana", "Lee", None}  # None: never resolved
    assert groups["Lee"]["csat"] is None
    assert groups["Lee"]["first_reply"]["mean"] is None
    assert groups["Ana"]["resolution"]["mean"] == pytest.approx(19.0)


def test_kpis_table_has_units_percent_signs_and_dashes(desk: Desk) -> None:
    result = run_cli("kpis", desk.url, "--by", "priority")
    assert result.returncode == 0, result.stderr
    for text in ("urgent", "high", "normal", "AHT", "1.0 h", "15.0 min", "100.0 %", "—"):
        assert text in result.stdout


def test_kpis_window_selects_tickets_received_in_it_naive_times_in_utc(desk: Desk) -> None:
    args = ["--since", "2026-11-24T09:02", "--until", "2026-11-24T09:03", "--json"]
    figures = json_of(run_cli("kpis", desk.url, *args))
    [overall] = figures["groups"]
    assert overall["kpis"]["tickets"] == 1  # the urgent one, received at 09:02
    assert figures["since"] == "2026-11-24T09:02:00+00:00"
    by_day = json_of(run_cli("kpis", desk.url, "--by", "day", "--until", "2026-11-24", "--json"))
    assert by_day["groups"] == []


def test_timeline_finds_a_ticket_by_uuid_or_by_source_id(desk: Desk) -> None:
    by_source = json_of(run_cli("timeline", desk.url, "INC0012345", "--json"))
    by_uuid = json_of(run_cli("timeline", desk.url, str(desk.resolved), "--json"))
    assert by_source == by_uuid
    entries = by_source["entries"]
    assert [e["event_type"] for e in entries] == [
        "TicketReceived", "TicketAssigned", "TicketResponded", "TicketResolved", "TicketRated",
    ]  # fmt: skip
    assert entries[1]["actor"] == "Ana"
    assert entries[1]["since_previous"] == pytest.approx(4.0)
    assert entries[1]["at"] == at(5).isoformat()
    table = run_cli("timeline", desk.url, "INC0012345")
    assert "assigned to Ana" in table.stdout
    assert "Charged twice" in table.stdout


def test_queue_lists_waiting_tickets_and_filters_those_near_their_deadline(desk: Desk) -> None:
    queue = json_of(run_cli("queue", desk.url, "--order", "sla", "--json"))
    [ticket] = queue["tickets"]
    assert ticket["ticket_id"] == str(desk.waiting)
    assert ticket["age"] == pytest.approx(61.0)  # received 09:03, judged at 10:04
    assert ticket["due_in"] == pytest.approx(4 * 60 - 61.0)  # normal: first reply in 4 h
    assert (ticket["priority"], ticket["tier"], ticket["queue"]) == ("normal", 1, "general")
    near = json_of(run_cli("queue", desk.url, "--breaching", "2h", "--json"))
    assert near["tickets"] == []  # due in 179 minutes
    assert near["breaching"] == 120.0
    due = json_of(run_cli("queue", desk.url, "--breaching", "3h", "--json"))
    assert [t["ticket_id"] for t in due["tickets"]] == [str(desk.waiting)]
    assert "SLA due in" in run_cli("queue", desk.url).stdout


def test_agents_show_workloads(desk: Desk) -> None:
    agents = json_of(run_cli("agents", desk.url, "--json"))
    rows = {a["name"]: a for a in agents["agents"]}
    assert rows["Ana"]["team"] == "billing"
    assert (rows["Ana"]["holding"], rows["Ana"]["capacity"]) == (0, 2)
    assert rows["Lee"]["handle_time"] == pytest.approx(60.0)
    assert rows["Lee"]["occupancy"] == pytest.approx(100 * 60 / 64)
    table = run_cli("agents", desk.url).stdout
    assert "Lee" in table
    assert "93.8 %" in table


def test_policies_lists_every_policy_with_its_options_and_defaults() -> None:
    listed = json_of(run_cli("policies", "--json"))
    policies = {p["name"]: p for p in listed["policies"]}
    assert set(policies) == set(ticketlog.policies.names())
    assert policies["easiest-first"]["options"] == {
        "estimator": None,
        "aging": 0.0,
        "default": 10.0,
    }
    assert policies["round-robin"]["kind"] == "router"
    assert policies["tiered"]["options"]["key"] == "by_arrival"
    assert "overflow=False" in run_cli("policies").stdout


def test_version_is_the_package_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ticketlog {ticketlog.__version__}"


def test_a_missing_store_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    for command in ("kpis", "queue", "agents"):
        one_line_error(run_cli(command, f"sqlite:///{missing}"), "does not exist")
    one_line_error(run_cli("timeline", f"sqlite:///{missing}", "INC1"), "does not exist")
    assert list(tmp_path.iterdir()) == []


def test_a_text_file_is_not_an_sqlite_store(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n")
    one_line_error(run_cli("kpis", f"sqlite:///{notes}"), "file is not a database")
    assert notes.read_text() == "not a database\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["timeline", "URL", "INC404"], "no ticket with id or source id 'INC404'"),
        (["timeline", "URL", "00000000-0000-0000-0000-000000000000"], "no ticket with id"),
        (["kpis", "URL", "--by", "colour"], "--by 'colour' is not one of"),
        (["kpis", "URL", "--since", "last week"], "not an ISO date"),
        (["queue", "URL", "--breaching", "30 minutes"], "not a duration such as 90s, 30m"),
        (["queue", "URL", "--breaching", "99999999999d"], "not a duration such as 90s, 30m"),
        (["queue", "URL", "--order", "random"], "--order 'random' is not one of"),
    ],
)
def test_bad_input_is_one_clear_line(desk: Desk, args: list[str], message: str) -> None:
    one_line_error(run_cli(*[desk.url if a == "URL" else a for a in args]), message)


def timed(*args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.monotonic()
    result = run_cli(*args)
    return time.monotonic() - started, result


def fails_fast(url: str, reason: str) -> None:
    """``kpis URL`` fails with ``reason`` within 2 s more than the command's start-up takes."""
    start_up, _ = timed("--version")
    elapsed, result = timed("kpis", url)
    one_line_error(result, reason)
    assert elapsed < start_up + 2.0


def test_a_postgres_server_that_is_down_fails_within_two_seconds_with_the_reason() -> None:
    fails_fast("postgresql://postgres@127.0.0.1:1/ticketlog", "Connection refused")


@pytest.mark.postgres
def test_a_missing_postgres_database_fails_within_two_seconds_with_the_reason(
    postgres_server: PostgresServer,  # noqa: F811 - a fixture
) -> None:
    server = f"{postgres_server.user}@{postgres_server.host}:{postgres_server.port}"
    fails_fast(
        f"postgresql://{server}/ticketlog_no_such_db",
        'database "ticketlog_no_such_db" does not exist',
    )


@pytest.fixture
def postgres_desk(postgres_store: PostgresStore) -> str:  # noqa: F811 - a fixture
    with HelpDesk(postgres_store) as d:
        record_morning(d)
    return postgres_store.url


@pytest.mark.postgres
def test_the_read_commands_work_on_postgres(postgres_desk: str) -> None:
    figures = json_of(run_cli("kpis", postgres_desk, "--by", "team", "--json"))
    teams = {g["group"]: g["kpis"]["tickets"] for g in figures["groups"]}
    assert teams == {"billing": 1, "tech": 1, None: 1}
    timeline = json_of(run_cli("timeline", postgres_desk, "INC0012345", "--json"))
    assert len(timeline["entries"]) == 5
    assert len(json_of(run_cli("queue", postgres_desk, "--json"))["tickets"]) == 1


def test_agents_who_share_a_name_stay_apart_and_a_shared_source_id_is_ambiguous(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'twins.db'}"
    with HelpDesk(url) as desk:
        for minutes in (1, 2):
            sam = desk.join_agent("Sam", at=at(0))
            ticket = desk.receive(
                channel="email", customer_id="acme", source_id="CASE-1", at=at(minutes)
            )
            desk.assign(ticket, sam, at=at(minutes + 1))
            desk.resolve(ticket, sam, at=at(minutes + 2))
    figures = json_of(run_cli("kpis", url, "--by", "agent", "--json"))
    names = [g["group"] for g in figures["groups"]]
    assert len(names) == 2
    assert all(name.startswith("Sam (") for name in names)
    one_line_error(run_cli("timeline", url, "CASE-1"), "source id 'CASE-1' names 2 tickets")
