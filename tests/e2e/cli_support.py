"""Running the ``ticketlog`` command in a subprocess, on the sources under test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import ticketlog

SRC = Path(ticketlog.__file__).parent.parent
"""Where the imported ``ticketlog`` lives: subprocesses import it too, whatever is installed."""


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m ticketlog ARGS`` with these sources first on the path, 200 columns wide."""
    return _run(["-m", "ticketlog", *args], timeout=timeout, columns=200)


def run_example(script: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python SCRIPT ARGS`` (an example) with these sources first on the path, 160 columns."""
    return _run([str(script), *args], timeout=timeout, columns=160)


def _run(args: list[str], *, timeout: float, columns: int) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PYTHONPATH": path, "COLUMNS": str(columns)},
    )


def one_line_error(result: subprocess.CompletedProcess[str], message: str) -> None:
    """The command failed with exit status 2 and ``message`` on one ``error:`` line."""
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
