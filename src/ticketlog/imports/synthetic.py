"""Synthetic status logs, shaped like the IT-incident logs of process-mining studies.

For benchmarks and tests of the importer: cases move through queued / accepted / waiting
/ completed statuses, between teams and support levels (up and down), with what real
logs contain — the same person accepting twice, rows with equal timestamps, work after a
closure, people in several teams, cases still open at the end. Written in the
``status-log`` preset's columns, grouped by case (as such exports usually are) or in
time order. Deterministic for a seed.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

COLUMNS = (
    "case_id",
    "timestamp",
    "status",
    "sub_status",
    "team",
    "support_level",
    "person",
    "impact",
    "product",
    "country",
)
_LEVELS = ("1st", "2nd", "3rd")
_TEAMS = {
    "1st": ("Service Desk", "Service Desk EU"),
    "2nd": ("Network", "Applications", "Workplace"),
    "3rd": ("Vendor Support", "Development"),
}
_IMPACTS = ("Low", "Medium", "Medium", "High", "Major")
_PRODUCTS = ("Mail", "VPN", "ERP", "Phone", "Laptop", "CRM")
_COUNTRIES = ("Sweden", "Belgium", "France", "Brazil", "Poland", "India", "USA")
_START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def status_log_rows(cases: int, *, seed: int = 0, people: int | None = None) -> Iterator[list[str]]:
    """The rows of ``cases`` cases, grouped by case, each case in time order."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not cryptography
    staff = _staff(rng, people or max(cases // 3, 10))
    arrival = _START
    for number in range(1, cases + 1):
        arrival += timedelta(seconds=rng.expovariate(1 / 240))
        yield from _case(rng, f"INC{number:07d}", arrival, staff)


def write_status_log(
    path: Path | str,
    cases: int,
    *,
    seed: int = 0,
    people: int | None = None,
    time_order: bool = False,
) -> int:
    """Write a status log of ``cases`` cases to ``path``; return the number of rows.

    ``people`` is how many people work the cases (default: a third as many as cases, at
    least 10); ``time_order`` sorts all rows by time (files are grouped by case otherwise).
    """
    rows: Iterable[list[str]] = status_log_rows(cases, seed=seed, people=people)
    if time_order:
        rows = sorted(rows, key=lambda row: row[1])  # one zone: ISO text sorts by time
    count = 0
    with Path(path).open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _staff(rng: random.Random, count: int) -> dict[str, list[tuple[str, str]]]:
    """People per level, each (name, team); a quarter also work in another team or level."""
    staff: dict[str, list[tuple[str, str]]] = {level: [] for level in _LEVELS}
    for number in range(count):
        name = f"Person {number:04d}"
        level = rng.choices(_LEVELS, weights=(6, 3, 1))[0]
        staff[level].append((name, rng.choice(_TEAMS[level])))
        if rng.random() < 0.25:
            other = rng.choice(_LEVELS)
            staff[other].append((name, rng.choice(_TEAMS[other])))
    for level in _LEVELS:
        if not staff[level]:
            staff[level].append((f"Person {level}", _TEAMS[level][0]))
    return staff


def _case(
    rng: random.Random, case: str, at: datetime, staff: dict[str, list[tuple[str, str]]]
) -> Iterator[list[str]]:
    impact = rng.choice(_IMPACTS)
    product = rng.choice(_PRODUCTS)
    country = rng.choice(_COUNTRIES)
    level = "1st"
    team = rng.choice(_TEAMS[level])

    def row(status: str, sub: str, person: str = "") -> list[str]:
        return [case, at.isoformat(), status, sub, team, level, person, impact, product, country]

    if rng.random() < 0.9:
        yield row("Queued", "Awaiting Assignment")
    for step in range(rng.choices((1, 2, 3), weights=(6, 3, 1))[0]):
        at += timedelta(minutes=rng.expovariate(1 / 30))
        if step:
            level = rng.choice([lvl for lvl in _LEVELS if lvl != level])
            team = rng.choice(_TEAMS[level])
            yield row("Queued", "Awaiting Assignment")
            at += timedelta(minutes=rng.expovariate(1 / 45))
        person, team = rng.choice(staff[level])
        yield row("Accepted", "In Progress", person)
        if rng.random() < 0.15:
            yield row("Accepted", "In Progress", person)  # accepted twice, same time
        if rng.random() < 0.3:
            at += timedelta(minutes=rng.expovariate(1 / 20))
            yield row("Accepted", rng.choice(("Wait - User", "Wait - Vendor")), person)
            at += timedelta(hours=rng.expovariate(1 / 6))
            yield row("Accepted", "In Progress", person)
    if rng.random() < 0.05:
        return  # still open at the end
    at += timedelta(minutes=rng.expovariate(1 / 40))
    yield row("Completed", "Resolved", person)
    at += timedelta(days=rng.expovariate(1 / 2))
    yield row("Completed", "Closed")
    if rng.random() < 0.05:
        at += timedelta(hours=rng.expovariate(1 / 3))
        yield row("Accepted", "In Progress", person)
        at += timedelta(minutes=rng.expovariate(1 / 30))
        yield row("Completed", "Closed", person)
