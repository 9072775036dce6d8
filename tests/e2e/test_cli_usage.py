"""Usage errors — a missing argument, an unknown option or command — are one line too.

Every CLI error is ``error: ...`` on one line of standard error with exit status 2 and
nothing on standard output; for a usage error the line also says where the help is.
"""

from __future__ import annotations

import pytest

from tests.e2e.cli_support import run_cli


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["kpis"], "error: Missing argument 'STORE'. (see 'ticketlog kpis --help')"),
        (["kpis", "memory://", "--by"], "error: Option '--by' requires an argument."),
        (["frob"], "error: No such command 'frob'. (see 'ticketlog --help')"),
        (["queue", "--frobnicate", "sqlite:///x.db"], "error: No such option: --frobnicate"),
    ],
    ids=["missing-argument", "option-without-value", "unknown-command", "unknown-option"],
)
def test_a_usage_error_is_one_line_and_exit_status_2(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(message)


def test_help_and_version_still_exit_0() -> None:
    for args in (["--help"], ["kpis", "--help"], ["--version"]):
        result = run_cli(*args)
        assert result.returncode == 0, args
        assert result.stdout
        assert result.stderr == ""
