"""HTTP throughput: receive and assign-next through ``ticketlog serve``, against the same
commands called in process, in the same run.

For each number of concurrent clients (1, 8 and 32 by default), a fresh SQLite store is
served by a ``ticketlog serve`` subprocess on 127.0.0.1, 32 agents of capacity 1,000
join, and the clients (threads, each with its own keep-alive ``httpx.Client``) send
``--requests`` ``POST /tickets``, then as many ``POST /agents/{id}/assign-next``. The
baseline calls ``HelpDesk.receive`` and ``HelpDesk.assign_next`` as many times, in one
thread, on a fresh SQLite store of its own. Printed: commands/s, the p50 and p99
latency of each request (ms), and the ratio of the HTTP rate to the in-process rate.

    python benchmarks/http_api.py [--requests 400] [--clients 1 8 32] [--json]

(Not ``http.py``: run as a script, that name would shadow the standard library's ``http``.)
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from ticketlog import HelpDesk, SQLiteStore

AGENTS = 32
SRC = Path(__file__).parents[1] / "src"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def figures(seconds: float, latencies: list[float]) -> dict[str, float]:
    return {
        "per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(1000 * quantile(latencies, 0.5), 2),
        "p99_ms": round(1000 * quantile(latencies, 0.99), 2),
    }


def in_process(requests: int, folder: Path) -> dict[str, dict[str, float]]:
    """The baseline: the same commands on a desk in this process."""
    with HelpDesk(SQLiteStore(path=folder / "in-process.db")) as desk:
        agents = [desk.join_agent(f"agent-{n}", capacity=1_000) for n in range(AGENTS)]
        result = {}
        commands: dict[str, Callable[[int], object]] = {
            "receive": lambda n: desk.receive(channel="email", customer_id=f"c{n}"),
            "assign_next": lambda n: desk.assign_next(agents[n % AGENTS]),
        }
        for name, command in commands.items():
            latencies = []
            started = time.perf_counter()
            for n in range(requests):
                begun = time.perf_counter()
                command(n)
                latencies.append(time.perf_counter() - begun)
            result[name] = figures(time.perf_counter() - started, latencies)
        return result


def served(store: Path) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "ticketlog", "serve", f"sqlite:///{store}", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{url}/health", timeout=1).raise_for_status()
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    msg = "the server did not start"
    raise RuntimeError(msg)


def hammer(
    url: str, clients: int, requests: int, request: Callable[[httpx.Client, int], httpx.Response]
) -> dict[str, float]:
    """``requests`` requests shared by ``clients`` threads; their rate and latencies."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        with httpx.Client(base_url=url, timeout=60) as session:
            for n in counter:
                begun = time.perf_counter()
                request(session, n).raise_for_status()
                elapsed = time.perf_counter() - begun
                with lock:
                    latencies.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return figures(time.perf_counter() - started, latencies)


def over_http(requests: int, clients: int, folder: Path) -> dict[str, dict[str, float]]:
    process, url = served(folder / f"http-{clients}.db")
    try:
        with httpx.Client(base_url=url) as setup:
            agents = [
                setup.post("/agents", json={"name": f"agent-{n}", "capacity": 1_000}).json()["id"]
                for n in range(AGENTS)
            ]
        receive = hammer(
            url,
            clients,
            requests,
            lambda s, n: s.post("/tickets", json={"channel": "email", "customer_id": f"c{n}"}),
        )
        assign = hammer(
            url, clients, requests, lambda s, n: s.post(f"/agents/{agents[n % AGENTS]}/assign-next")
        )
        return {"receive": receive, "assign_next": assign}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        baseline = in_process(args.requests, folder)
        runs = {clients: over_http(args.requests, clients, folder) for clients in args.clients}
    report: dict[str, Any] = {"requests": args.requests, "in_process": baseline, "http": {}}
    for clients, run in runs.items():
        report["http"][str(clients)] = run
        for command in ("receive", "assign_next"):
            ratio = run[command]["per_s"] / baseline[command]["per_s"]
            report[f"ratio_{command}_http_{clients}_clients_to_in_process"] = round(ratio, 2)
    if args.json:
        print(json.dumps(report))
        return
    print(f"{args.requests} requests per command; commands/s, p50 / p99 ms")
    for command in ("receive", "assign_next"):
        base = baseline[command]
        latency = f"{base['p50_ms']:6.2f} / {base['p99_ms']:6.2f}"
        print(f"{command:12} in process  {base['per_s']:8,.0f}/s  {latency}")
        for clients, run in runs.items():
            figure = run[command]
            ratio = report[f"ratio_{command}_http_{clients}_clients_to_in_process"]
            print(
                f"{'':12} {clients:2} clients  {figure['per_s']:8,.0f}/s  "
                f"{figure['p50_ms']:6.2f} / {figure['p99_ms']:6.2f}  ratio {ratio}"
            )


if __name__ == "__main__":
    main()
