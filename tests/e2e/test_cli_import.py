"""``ticketlog import`` end to end: a real process, real files, a real SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.cli_support import run_cli

EXAMPLES = Path(__file__).parents[2] / "examples" / "imports"


def test_import_prints_the_report_and_a_second_run_adds_nothing(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'history.db'}"
    log = str(EXAMPLES / "status-log.csv")

    first = run_cli("import", log, "--preset", "status-log", "--store", store)
    second = run_cli("import", log, "--preset", "status-log", "--store", store, "--json")

    assert first.returncode == 0, first.stderr
    assert "same person accepted again" in first.stdout
    assert "INC0002, INC0005" in first.stdout
    report = json.loads(second.stdout)
    assert (report["cases"], report["cases_written"], report["cases_skipped"]) == (8, 0, 8)
    kinds = {a["kind"]: a for a in report["anomalies"]}
    assert kinds["malformed row: no case id in column 'case_id'"]["examples"] == ["line 35"]
    timeline = run_cli("timeline", store, "INC0003")
    assert timeline.returncode == 0, timeline.stderr
    assert "Dag Lund" in timeline.stdout


def test_import_with_a_mapping_file_and_the_kpis_of_the_history(tmp_path: Path) -> None:
    mapping = tmp_path / "mine.toml"
    mapping.write_text('preset = "event-log"\nsource = "helpdesk"\n', encoding="utf-8")
    store = f"sqlite:///{tmp_path / 'history.db'}"

    imported = run_cli(
        "import", str(EXAMPLES / "event-log.xes"), "--mapping", str(mapping), "--store", store
    )
    kpis = run_cli("kpis", store, "--json")

    assert imported.returncode == 0, imported.stderr
    figures = json.loads(kpis.stdout)
    assert "NaN" not in kpis.stdout
    assert json.dumps(figures).count('"tickets": 2') == 1


def test_import_of_a_companion_source(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'history.db'}"

    result = run_cli(
        "import",
        str(EXAMPLES / "servicenow-sys-audit.csv"),
        "--preset",
        "servicenow",
        "--companion",
        str(EXAMPLES / "servicenow-incidents.json"),
        "--store",
        store,
        "--json",
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["cases_written"] > 0


def test_strict_import_stops_at_the_first_anomaly_in_one_line(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'history.db'}"

    result = run_cli(
        "import",
        str(EXAMPLES / "status-log.csv"),
        "--preset",
        "status-log",
        "--store",
        store,
        "--strict",
    )

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: first row already active (no received row) (INC0002)")


def test_bad_import_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'history.db'}"
    bad_mapping = tmp_path / "bad.toml"
    bad_mapping.write_text('preset = "status-log"\n[time]\nformat = "nonsense"\n', encoding="utf-8")
    imported = ("import", str(EXAMPLES / "status-log.csv"), "--preset", "status-log")
    cases = {
        "unknown preset": ("import", str(EXAMPLES / "status-log.csv"), "--preset", "nope"),
        "no preset or mapping": ("import", str(EXAMPLES / "status-log.csv")),
        "missing file": ("import", str(tmp_path / "none.csv"), "--preset", "status-log"),
        "bad mapping": ("import", str(EXAMPLES / "status-log.csv"), "--mapping", str(bad_mapping)),
        "no workers": (*imported, "--workers", "0"),
        "strict, shared": (*imported, "--workers", "2", "--strict"),
    }
    for name, args in cases.items():
        result = run_cli(*args, "--store", store)
        assert result.returncode == 2, name
        assert result.stderr.startswith("error: "), (name, result.stderr)
        assert result.stderr.count("\n") == 1, (name, result.stderr)
    assert "line 3" in run_cli(*cases["bad mapping"], "--store", store).stderr
    assert not (tmp_path / "history.db").exists()
