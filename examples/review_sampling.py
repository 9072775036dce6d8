"""How many tickets must be reviewed to find the weakest agent?

``examples/scenarios/reviewed_desk.toml`` gives each of eight agents a true quality level
on the 1-5 review scale and three reviewers a noise level (one of them a strict marker).
One simulated week is served by FIFO; then, for each share of resolved tickets reviewed,
500 draws of the reviews (different seeds) tell how often the weakest agent has the lowest
QA mean, and how well the QA means rank all eight (Spearman's correlation).

    python examples/review_sampling.py [--replications 500] [--seed 0]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ticketlog.domain.quality import Criterion, Scorecard
from ticketlog.policies import fifo
from ticketlog.simulation import (
    draw_arrivals,
    load_scenario,
    review_sampling_sweep,
    simulate,
)

SCENARIO = Path(__file__).parent / "scenarios" / "reviewed_desk.toml"
SCORECARD = Scorecard(
    name="support",
    criteria=(
        Criterion(name="accuracy", weight=2.0, critical=True),
        Criterion(name="empathy"),
        Criterion(name="clarity"),
        Criterion(name="professionalism"),
    ),
)


def main() -> None:
    """Simulate the week, sweep the review shares, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    scenario = load_scenario(SCENARIO)
    result = simulate(scenario, draw_arrivals(scenario, seed=1), fifo(), fast=True)
    sweep = review_sampling_sweep(
        result, scenario, SCORECARD, replications=args.replications, seed=args.seed
    )
    table = Table(
        title=f"{sweep.tickets} resolved tickets, {sweep.agents} agents, "
        f"{sweep.replications} draws of the reviews from seed {sweep.seed}"
    )
    for column in ("reviewed", "reviews per agent", "weakest ranked lowest", "Spearman"):
        table.add_column(column, justify="right")
    for point in sweep.points:
        found, rho = point.worst_ranked_lowest, point.rank_correlation
        table.add_row(
            f"{point.share:.0%}",
            f"{point.reviews / sweep.agents:.1f}",
            f"{found.mean:.1%} ± {found.half_width:.1%}",
            f"{rho.mean:.2f} ± {rho.half_width:.2f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
