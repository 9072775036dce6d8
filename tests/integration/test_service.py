"""The HTTP service over real HTTP: a ``ticketlog serve`` process on 127.0.0.1, its store
an SQLite file or a PostgreSQL database, called with httpx."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from ticketlog import HelpDesk, PostgresStore, SQLiteStore
from ticketlog.domain.quality import review_id

TOKEN = "s3cret-token"  # noqa: S105 - a test token


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """A ``ticketlog serve`` process and the base URL it answers on."""

    def __init__(self, store_url: str, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        src = str(Path(__file__).parents[2] / "src")
        env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ticketlog",
                "serve",
                store_url,
                "--port",
                str(self.port),
                *args,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                _, errors = self.process.communicate()
                pytest.fail(f"the server exited: {errors}")
            try:
                httpx.get(f"{self.url}/health", timeout=1).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        pytest.fail("the server did not answer within 30 s")

    def stop(self) -> int:
        """SIGTERM, and the exit status."""
        self.process.send_signal(signal.SIGTERM)
        _, self.errors = self.process.communicate(timeout=20)
        return self.process.returncode


@pytest.fixture
def store_url(store: SQLiteStore | PostgresStore) -> str:
    return store.url


@pytest.fixture
def server(store_url: str) -> Iterator[Server]:
    running = Server(store_url)
    try:
        yield running
    finally:
        assert running.stop() == 0  # a clean stop on SIGTERM


def post(server: Server, path: str, body: object = None, **headers: str) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", json=body if body is not None else {}, headers=headers)


def test_a_ticket_goes_round_the_desk_over_http(server: Server, store_url: str) -> None:
    ann = post(server, "/agents", {"name": "Ann", "capacity": 2}).json()["id"]
    created = post(
        server, "/tickets", {"channel": "email", "customer_id": "acme", "priority": "high"}
    )
    assert created.status_code == 201
    ticket = created.json()["id"]
    waiting = httpx.get(f"{server.url}/queues", params={"order": "priority"}).json()
    assert [t["ticket_id"] for t in waiting["tickets"]] == [ticket]
    assert waiting["tickets"][0]["priority"] == "high"
    assert post(server, f"/agents/{ann}/assign-next", {"policy": "fifo"}).json()["id"] == ticket
    assert post(server, f"/tickets/{ticket}/respond", {"agent_id": ann}).status_code == 200
    assert post(server, f"/tickets/{ticket}/resolve", {"agent_id": ann}).status_code == 200
    assert post(server, f"/tickets/{ticket}/rate", {"csat": 5}).status_code == 200
    state = httpx.get(f"{server.url}/tickets/{ticket}").json()
    assert state["status"] == "resolved"
    timeline = httpx.get(f"{server.url}/tickets/{ticket}/timeline").json()["entries"]
    assert [e["event_type"] for e in timeline][:2] == ["TicketReceived", "TicketAssigned"]
    agents = httpx.get(f"{server.url}/agents").json()["agents"]
    assert [(a["name"], a["handled"], a["holding"]) for a in agents] == [("Ann", 1, 0)]
    kpis = httpx.get(f"{server.url}/kpis", params={"by": "channel"}).json()
    assert kpis["groups"][0]["group"] == "email"
    assert kpis["groups"][0]["kpis"]["csat"] == 100.0
    today = httpx.get(f"{server.url}/kpis", params={"since": "2020-01-01"}).json()  # UTC
    assert today["groups"][0]["kpis"]["tickets"] == 1
    # The events the service stored are the desk's own: another desk reads them.
    with HelpDesk(store_url) as desk:
        assert desk.ticket(UUID(ticket)).status.value == "resolved"
    events = httpx.get(f"{server.url}/events", params={"after": 0, "limit": 3}).json()
    assert [e["position"] for e in events["events"]] == [1, 2, 3]
    assert events["last"] == 3


@pytest.mark.parametrize(
    ("path", "body", "status", "error"),
    [
        ("/tickets/00000000-0000-0000-0000-000000000009/reopen", {}, 404, "TicketNotFound"),
        ("/tickets", {"channel": "fax", "customer_id": "x"}, 422, "InvalidValue"),
        ("/tickets", {"channel": "email"}, 422, "InvalidValue"),
        (
            "/tickets",
            {"channel": "email", "customer_id": "x", "at": "2026-01-01T09:00"},
            422,
            "InvalidValue",
        ),
        ("/agents", {"name": "Bo", "capacity": "2"}, 422, "InvalidValue"),
        ("/agents/not-a-uuid/online", {}, 422, "InvalidValue"),
    ],
    ids=[
        "unknown-ticket",
        "bad-channel",
        "missing-field",
        "naive-time",
        "string-capacity",
        "bad-id",
    ],
)
def test_refused_calls_answer_their_error_by_kind_and_write_nothing(
    server: Server, path: str, body: dict[str, object], status: int, error: str
) -> None:
    before = httpx.get(f"{server.url}/events").json()["events"]
    answer = post(server, path, body)
    assert answer.status_code == status
    assert answer.json()["error"] == error
    assert answer.json()["message"]
    assert httpx.get(f"{server.url}/events").json()["events"] == before


def test_a_state_conflict_is_409(server: Server) -> None:
    ann = post(server, "/agents", {"name": "Ann"}).json()["id"]
    bo = post(server, "/agents", {"name": "Bo"}).json()["id"]
    ticket = post(server, "/tickets", {"channel": "chat", "customer_id": "c"}).json()["id"]
    assert post(server, f"/tickets/{ticket}/assign", {"agent_id": ann}).status_code == 200
    taken = post(server, f"/tickets/{ticket}/assign", {"agent_id": bo})
    assert (taken.status_code, taken.json()["error"]) == (409, "TicketAlreadyAssigned")


def test_a_retried_request_with_its_idempotency_key_acts_once(server: Server) -> None:
    body = {"channel": "email", "customer_id": "acme"}
    first = post(server, "/tickets", body, **{"Idempotency-Key": "order-1"})
    again = post(server, "/tickets", body, **{"Idempotency-Key": "order-1"})
    assert first.json()["id"] == again.json()["id"]
    assert (first.json()["replayed"], again.json()["replayed"]) == (False, True)
    assert len(httpx.get(f"{server.url}/queues").json()["tickets"]) == 1
    other = post(server, "/tickets", {**body, "customer_id": "b"}, **{"Idempotency-Key": "order-1"})
    assert (other.status_code, other.json()["error"]) == (409, "KeyReused")
    assert len(httpx.get(f"{server.url}/queues").json()["tickets"]) == 1


def test_the_event_stream_sends_new_events_and_resumes_from_last_event_id(server: Server) -> None:
    post(server, "/agents", {"name": "Ann"})
    seen: list[dict[str, object]] = []
    arrived = threading.Event()

    def listen() -> None:
        with httpx.stream("GET", f"{server.url}/events/stream", timeout=30) as stream:
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    seen.append(json.loads(line.removeprefix("data: ")))
                    if seen[-1]["type"] == "TicketReceived":
                        arrived.set()
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    ticket = post(server, "/tickets", {"channel": "email", "customer_id": "acme"}).json()["id"]
    assert arrived.wait(10)
    assert [e["type"] for e in seen] == ["AgentJoined", "AgentWentOnline", "TicketReceived"]
    assert seen[-1]["originator_id"] == ticket
    # A client that saw up to the second event reconnects and gets the rest.
    with httpx.stream(
        "GET", f"{server.url}/events/stream", headers={"Last-Event-ID": "2"}, timeout=30
    ) as stream:
        lines = (line for line in stream.iter_lines() if line.startswith("id: "))
        assert next(lines) == "id: 3"


def test_tokens_guard_every_route_but_health(store_url: str) -> None:
    server = Server(store_url, "--token", TOKEN)
    try:
        assert httpx.get(f"{server.url}/health").status_code == 200
        refused = httpx.get(f"{server.url}/agents")
        assert (refused.status_code, refused.json()["error"]) == (401, "Unauthorized")
        wrong = httpx.get(f"{server.url}/agents", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        good = httpx.get(f"{server.url}/agents", headers={"Authorization": f"Bearer {TOKEN}"})
        assert good.status_code == 200
    finally:
        assert server.stop() == 0


def test_serving_beyond_loopback_without_a_token_is_refused(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "ticketlog",
            "serve",
            f"sqlite:///{tmp_path}/d.db",
            "--host",
            "0.0.0.0",  # noqa: S104 - the refusal under test
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")},
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "error: refusing to serve on 0.0.0.0 without a token: give --token (or "
        "TICKETLOG_API_TOKENS), or serve on 127.0.0.1"
    ]
    assert not (tmp_path / "d.db").exists()


def test_many_clients_pulling_at_once_never_share_a_ticket_or_overfill_an_agent(
    server: Server,
) -> None:
    agents = [
        post(server, "/agents", {"name": f"agent-{n}", "capacity": 2}).json()["id"]
        for n in range(4)
    ]
    for n in range(12):
        post(server, "/tickets", {"channel": "email", "customer_id": f"c{n}"})
    taken: list[tuple[str, str]] = []
    lock = threading.Lock()

    def pull(agent: str) -> None:
        for _ in range(4):
            answer = post(server, f"/agents/{agent}/assign-next")
            if answer.status_code == 200 and answer.json()["id"] is not None:
                with lock:
                    taken.append((agent, answer.json()["id"]))

    clients = [threading.Thread(target=pull, args=(a,)) for a in agents for _ in range(4)]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    tickets = [ticket for _, ticket in taken]
    assert len(tickets) == len(set(tickets)) == 8  # four agents of capacity two
    held = {a["agent_id"]: a["holding"] for a in httpx.get(f"{server.url}/agents").json()["agents"]}
    assert sorted(held.values()) == [2, 2, 2, 2]


def test_the_server_runs_the_escalator_of_its_desk_file(store_url: str, tmp_path: Path) -> None:
    config = tmp_path / "desk.toml"
    config.write_text('[escalation]\npath = [[1, "general"], [2, "engineering"]]\nevery = "1s"\n')
    server = Server(store_url, "--config", str(config), "--escalate")
    try:
        an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        late = {"channel": "chat", "customer_id": "c", "priority": "urgent", "at": an_hour_ago}
        ticket = post(server, "/tickets", late).json()["id"]
        deadline, escalated = time.monotonic() + 20, list[dict[str, object]]()
        while not escalated and time.monotonic() < deadline:
            events = httpx.get(f"{server.url}/events").json()["events"]
            escalated = [e for e in events if e["type"] == "TicketEscalated"]
            time.sleep(0.2)
        assert [(e["originator_id"], e["to_queue"]) for e in escalated] == [(ticket, "engineering")]
    finally:
        assert server.stop() == 0


REVIEW_CONFIG = """
[scorecards.support]
criteria = [{ name = "accuracy", weight = 2, critical = true }, { name = "tone" }]
[samplers.random-share]
share = 1.0
"""


def test_reviewers_review_over_http_with_the_config_files_scorecard(
    store_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "desk.toml"
    config.write_text(REVIEW_CONFIG)
    server = Server(store_url, "--config", str(config))
    try:
        ann = post(server, "/agents", {"name": "Ann"}).json()["id"]
        quinn = post(server, "/agents", {"name": "Quinn", "reviewer": True, "online": False})
        reviewer = quinn.json()["id"]
        ticket = post(server, "/tickets", {"channel": "email", "customer_id": "acme"}).json()["id"]
        post(server, f"/tickets/{ticket}/assign", {"agent_id": ann})
        post(server, f"/tickets/{ticket}/resolve", {"agent_id": ann})
        scores = {"accuracy": 4, "tone": 4}
        own = post(server, f"/tickets/{ticket}/review", {"reviewer_id": ann, "scores": scores})
        assert (own.status_code, own.json()["error"]) == (409, "NotAReviewer")
        bad = {"reviewer_id": reviewer, "scores": {"accuracy": 6, "tone": 4}}
        answer = post(server, f"/tickets/{ticket}/review", bad)
        assert (answer.status_code, answer.json()["error"]) == (422, "InvalidValue")
        share = {"sampler": "random-share"}  # the file's options: every resolved ticket
        assert post(server, f"/agents/{reviewer}/review-next", share).json()["id"] == ticket
        good = {"reviewer_id": reviewer, "scores": {"accuracy": 5, "tone": 4}, "comment": "ok"}
        done = post(server, f"/tickets/{ticket}/review", good)  # completes the claim
        assert post(server, f"/agents/{reviewer}/review-next", share).json()["id"] is None
        rae = post(server, "/agents", {"name": "Rae", "reviewer": True, "online": False})
        second = post(server, f"/tickets/{ticket}/claim-review", {"reviewer_id": rae.json()["id"]})
        assert UUID(second.json()["id"]) == review_id(UUID(ticket), 2)  # a second opinion
        with HelpDesk(store_url) as desk:
            (record,) = desk.view().reviews.records
        assert (record.scores, record.comment) == ({"accuracy": 5, "tone": 4}, "ok")
        assert record.review_id == UUID(done.json()["id"])
    finally:
        assert server.stop() == 0
