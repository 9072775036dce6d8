"""The HTML report of a policy comparison: its table, its plots, and what it escapes."""

from __future__ import annotations

import math
import statistics
import struct
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, cast

import attrs
import pytest

from tests.quality_support import SUPPORT
from tests.unit.test_quality_kpis import ANN, R1, R2, RECORDS
from ticketlog import ConfigurationError
from ticketlog.io.frames import comparison_frame
from ticketlog.io.report import _backlog_figure, _by_policy, _waits_figure, write_report
from ticketlog.policies import fifo
from ticketlog.projections.quality import overview, score_reviews
from ticketlog.simulation import (
    AgentGroup,
    Exponential,
    Scenario,
    draw_arrivals,
    simulate,
    trace_from_events,
)
from ticketlog.simulation.compare import METRICS, Comparison, compare

if TYPE_CHECKING:
    from matplotlib.lines import Line2D

PLOTS = ("waits.png", "sla.png", "backlog.png", "segments.png")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DASH = "\N{EN DASH}"


def scenario(tickets: int = 300, *, mixes: bool = True) -> Scenario:
    """Two agents at about 80 % load; with ``mixes``, several plans and priorities."""
    return Scenario(
        tickets=tickets,
        arrivals_per_hour=24,
        handle_time=Exponential(mean_minutes=4),
        priorities={"urgent": 1, "normal": 3, "low": 1} if mixes else {"normal": 1},
        plans={"free": 3, "pro": 1} if mixes else None,
        agents=(AgentGroup(count=2),),
    )


def run(model: Scenario, policies: list[str], replications: int) -> Comparison:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return compare(model, policies, replications=replications, seed=5, executor=pool)


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return run(scenario(), ["fifo", "priority"], replications=2)


@pytest.fixture(scope="module")
def report(comparison: Comparison, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(comparison, tmp_path_factory.mktemp("report"))


class _Table(HTMLParser):
    """The text of every table row's cells."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in {"td", "th"}:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table(page: str) -> dict[str, list[str]]:
    """First cell of each row to the row's other cells."""
    parser = _Table()
    parser.feed(page)
    return {row[0]: row[1:] for row in parser.rows}


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def chunk_types(png: bytes) -> list[str]:
    """The types of a PNG's chunks, in order."""
    types, at = [], len(PNG_SIGNATURE)
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        types.append(png[at + 4 : at + 8].decode("ascii"))
        at += 12 + length  # length, type, data, CRC
    return types


def points(line: Line2D) -> tuple[list[float], list[float]]:
    """The x and y values a plotted line was drawn through."""
    xs, ys = cast("Sequence[float]", line.get_xdata()), cast("Sequence[float]", line.get_ydata())
    return [float(x) for x in xs], [float(y) for y in ys]


def test_the_page_names_every_policy_and_kpi_and_shows_the_four_plots(
    report: Path, comparison: Comparison
) -> None:
    assert report.name == "index.html"
    page = report.read_text(encoding="utf-8")
    assert "<title>Policy comparison</title>" in page
    assert "2 replications from seed 5; " in page
    for name in [*comparison.results, *METRICS]:
        assert f">{name}</th>" in page
    for plot in PLOTS:
        assert f'<img src="{plot}"' in page
    assert page.count("<figcaption>") == 4
    assert "http" not in page  # self-contained: no external stylesheet or script


def test_each_plot_is_a_png_of_a_fixed_size(report: Path) -> None:
    sizes = {plot: png_size(report.parent / plot) for plot in PLOTS}
    assert sizes == {
        "waits.png": (700, 450),
        "sla.png": (700, 450),
        "backlog.png": (800, 450),
        "segments.png": (1000, 450),  # two panels: plan and priority
    }
    for plot in PLOTS:
        data = (report.parent / plot).read_bytes()
        assert len(data) > 1_000
        assert chunk_types(data)[0] == "IHDR"
        assert chunk_types(data)[-1] == "IEND"
        # No text or time chunks: nothing that changes with the date or the version.
        assert not {"tEXt", "iTXt", "zTXt", "tIME"} & set(chunk_types(data))


def test_the_table_shows_each_estimate_as_mean_plus_minus_half_width(
    report: Path, comparison: Comparison
) -> None:
    rows = table(report.read_text(encoding="utf-8"))
    assert rows["KPI"] == ["fifo", "priority"]
    assert list(rows)[1:] == list(METRICS)
    for column, policy in enumerate(["fifo", "priority"]):
        for metric, estimate in comparison.results[policy].items():
            if metric != "csat":
                expected = f"{estimate.mean:,.2f} ± {estimate.half_width:,.2f}"
                assert rows[metric][column] == expected
    assert rows["resolved"] == ["300.00 ± 0.00", "300.00 ± 0.00"]
    # Nobody rates without a CSAT model: the estimate is NaN and the cell a dash.
    assert math.isnan(comparison.results["fifo"]["csat"].mean)
    assert rows["csat"] == [DASH, DASH]
    assert rows["wait_mean_min"][0] != rows["wait_mean_min"][1]


def test_one_replication_has_no_interval_and_shows_no_nan(tmp_path: Path) -> None:
    single = run(scenario(100), ["fifo", "priority"], replications=1)
    assert math.isnan(single.results["fifo"]["wait_mean_min"].half_width)
    index = write_report(single, str(tmp_path / "nested" / "report"))
    assert index == tmp_path / "nested" / "report" / "index.html"
    page = index.read_text(encoding="utf-8")
    assert "nan" not in page.lower()
    assert "1 run from seed 5; " in page
    mean = single.results["priority"]["wait_mean_min"].mean
    assert table(page)["wait_mean_min"][1] == f"{mean:,.2f} ± {DASH}"
    assert all(png_size(index.parent / plot) for plot in PLOTS)


def test_policy_names_and_the_title_are_escaped(comparison: Comparison, tmp_path: Path) -> None:
    evil = "<b>fifo</b> & co"
    renamed = attrs.evolve(
        comparison,
        results={evil if p == "fifo" else p: kpis for p, kpis in comparison.results.items()},
        runs=tuple(
            attrs.evolve(r, policy=evil) if r.policy == "fifo" else r for r in comparison.runs
        ),
    )
    page = write_report(renamed, tmp_path, title="Q1 <draft>").read_text(encoding="utf-8")
    assert "<b>" not in page
    assert "&lt;b&gt;fifo&lt;/b&gt; &amp; co" in page
    assert "<h1>Q1 &lt;draft&gt;</h1>" in page
    assert table(page)["KPI"] == [evil, "priority"]


def test_a_comparison_without_runs_still_gives_every_plot(
    comparison: Comparison, tmp_path: Path
) -> None:
    bare = Comparison(replications=1, seed=0, results={"fifo": comparison.results["fifo"]})
    index = write_report(bare, tmp_path)
    assert [png_size(tmp_path / plot)[1] for plot in PLOTS] == [450] * 4
    assert "fifo" in index.read_text(encoding="utf-8")


def test_segments_without_a_breakdown_plot_the_single_group(tmp_path: Path) -> None:
    plain = run(scenario(60, mixes=False), ["fifo"], replications=1)
    assert {d: list(g) for d, g in plain.runs[0].segments.items()} == {
        "plan": ["-"],
        "customer-value": ["0"],
        "priority": ["normal"],
    }
    write_report(plain, tmp_path)
    assert png_size(tmp_path / "segments.png") == (600, 450)  # one panel


def test_the_same_comparison_gives_the_same_files_and_pyplot_is_left_alone(
    report: Path, comparison: Comparison, tmp_path: Path
) -> None:
    pyplot_before = "matplotlib.pyplot" in sys.modules
    write_report(comparison, tmp_path)
    assert ("matplotlib.pyplot" in sys.modules) == pyplot_before
    for name in [*PLOTS, "index.html"]:
        assert (tmp_path / name).read_bytes() == (report.parent / name).read_bytes(), name


def test_the_wait_plot_averages_the_quantiles_level_by_level(comparison: Comparison) -> None:
    axes = _waits_figure(_by_policy(comparison)).axes[0]
    fifo = [r.wait_quantiles for r in comparison.runs if r.policy == "fifo"]
    assert len(fifo) == 2
    assert fifo[0] != fifo[1]
    xs, ys = points(axes.lines[0])
    assert xs == [statistics.fmean(pair) for pair in zip(*fifo, strict=True)]
    assert ys == [float(q) for q in range(101)]
    p99 = max(points(line)[0][99] for line in axes.lines)
    assert axes.get_xlim() == pytest.approx((0, 1.05 * p99))


def test_the_backlog_plot_averages_the_runs_on_a_common_grid(comparison: Comparison) -> None:
    axes = _backlog_figure(_by_policy(comparison)).axes[0]
    fifo = [r.backlog for r in comparison.runs if r.policy == "fifo"]
    assert fifo[0][-1][0] != fifo[1][-1][0]  # the runs end at different times
    horizon = max(r.backlog[-1][0] for r in comparison.runs)
    xs, ys = points(axes.lines[0])
    assert len(xs) == 200
    assert xs[0] == 0
    assert xs[-1] == pytest.approx(horizon)
    assert max(ys) > 0
    for x, y in zip(xs, ys, strict=True):
        # Each run counts with its latest sample at or before x (its last one after its end).
        per_run = [next(n for t, n in reversed(series) if t <= x) for series in fifo]
        assert y == pytest.approx(statistics.fmean(per_run))


def test_without_matplotlib_the_report_asks_for_the_extra(
    comparison: Comparison, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'ticketlog-es\[analysis\]'"):
        write_report(comparison, tmp_path / "report")
    assert not (tmp_path / "report").exists()


def test_a_batch_means_comparison_says_so_in_the_page_and_the_frame(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        batched = compare(scenario(), ["fifo"], seed=5, warmup=30, batches=5, executor=pool)
    page = write_report(batched, tmp_path).read_text(encoding="utf-8")
    assert "5 batch means of 1 run from seed 5, after a warm-up of 30 tickets" in page
    assert "confidence interval over the batch means" in page
    assert "confidence intervals over the batch means of one run." in page
    estimate = batched.results["fifo"]["wait_mean_min"]
    assert table(page)["wait_mean_min"] == [f"{estimate.mean:,.2f} ± {estimate.half_width:,.2f}"]
    frame = comparison_frame(batched)
    assert frame.attrs == {"method": "batches", "basis": batched.basis}
    assert frame.loc["fifo", "wait_mean_min_ci"] == estimate.half_width


# --- a replayed history: the fidelity block leads ----------------------------------------


@pytest.fixture(scope="module")
def replayed() -> Comparison:
    history = simulate(scenario(), draw_arrivals(scenario(), seed=5), fifo())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return compare(trace_from_events(history.events), ["fifo", "priority"], executor=pool)


def off_by_half(comparison: Comparison) -> Comparison:
    """``comparison`` with a fidelity block whose baseline waits half as long again."""
    assert comparison.fidelity is not None
    kpis = tuple(
        attrs.evolve(k, baseline=None if k.recorded is None else 1.5 * k.recorded)
        if k.kpi == "wait_mean_min"
        else k
        for k in comparison.fidelity.kpis
    )
    return attrs.evolve(comparison, fidelity=attrs.evolve(comparison.fidelity, kpis=kpis))


def test_a_replays_page_starts_with_its_fidelity_block_and_plot(
    replayed: Comparison, tmp_path: Path
) -> None:
    assert replayed.fidelity is not None
    page = write_report(replayed, tmp_path).read_text(encoding="utf-8")
    fidelity, policies = page.index("<h2>Fidelity</h2>"), page.index("<h2>Policies</h2>")
    assert fidelity < policies < page.index("the recorded history, replayed once per policy")
    assert "The as-recorded baseline reproduces the history: every KPI within 10 %." in page
    assert "Warning" not in page
    rows = table(page[fidelity:policies])
    assert rows["KPI"] == ["recorded", "baseline", "relative error"]
    wait = next(k for k in replayed.fidelity.kpis if k.kpi == "wait_mean_min")
    assert rows["wait_mean_min"] == [f"{wait.recorded:,.2f}", f"{wait.baseline:,.2f}", "+0.0 %"]
    assert png_size(tmp_path / "fidelity.png") == (800, 450)
    assert "nan" not in page.lower()


def test_the_page_says_at_the_top_when_the_baseline_is_off(
    replayed: Comparison, tmp_path: Path
) -> None:
    page = write_report(off_by_half(replayed), tmp_path).read_text(encoding="utf-8")
    warning = page.index("Warning: the as-recorded baseline does not reproduce the history")
    assert page.index("<h1>") < warning < page.index("<table>")
    assert "(1 of 9 KPIs off by more than 10 %)" in page
    assert "the as-recorded baseline is off on wait_mean_min: " in page
    fidelity = table(page[: page.index("<h2>Policies</h2>")])
    assert fidelity["wait_mean_min"][-1] == "+50.0 % (off)"


def test_a_scenarios_page_has_no_fidelity_block(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    assert "Fidelity" not in page
    assert not (report.parent / "fidelity.png").exists()


def test_the_quality_section_shows_qa_calibration_and_correlations(
    comparison: Comparison, tmp_path: Path
) -> None:
    scored = score_reviews(RECORDS, [SUPPORT])
    names = {ANN: "Ann <b>", R1: "Rita", R2: "Sam"}
    index = write_report(comparison, tmp_path, quality=overview(scored, []), names=names)
    page = index.read_text(encoding="utf-8")
    rows = table(page)
    assert "<h2>Quality reviews</h2>" in page
    assert "Ann &lt;b&gt;" in page  # names are escaped
    assert rows["Ann <b>"] == ["2", "3.75", "68.8 %", "50.0 %"]
    parser = _Table()
    parser.feed(page)
    qa_all, calibration_all = (row[1:] for row in parser.rows if row[0] == "(all)")
    assert qa_all == ["4", "3.75", "68.8 %", "50.0 %"]
    assert calibration_all[:3] == ["3", "3", "33.3 %"]
    assert rows["Rita / Sam"][0] == "1"
    assert rows["csat"] == ["0", DASH, DASH]  # no ticket facts given
    assert "1 reviews were scored on scorecard versions not given" in page
    assert png_size(tmp_path / "quality.png") == (700, 450)


def test_a_page_without_reviews_has_no_quality_section(report: Path) -> None:
    assert "Quality reviews" not in report.read_text(encoding="utf-8")
    assert not (report.parent / "quality.png").exists()
