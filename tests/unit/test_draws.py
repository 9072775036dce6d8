"""Drawing a scenario's tickets in bulk: reproducible, one stream per kind of draw, the
distributions the scenario asks for, and a sequence of arrivals like any other."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from ticketlog.domain.values import Priority
from ticketlog.simulation import Drawn, Exponential, LogNormal, Scenario, draw_arrivals
from ticketlog.simulation.draws import NONE, _factors


def scenario(**changes: object) -> Scenario:
    base = {
        "tickets": 2000,
        "arrivals_per_hour": 30,
        "handle_time": {"kind": "exponential", "mean_minutes": 10},
        "priorities": {"urgent": 1, "normal": 3},
        "categories": {"billing": 1, "technical": 3},
        "agents": [{"count": 2}],
    }
    return Scenario.model_validate(base | changes)


def test_the_same_seed_draws_the_same_tickets_and_another_seed_others() -> None:
    model = scenario()
    first, again, other = (draw_arrivals(model, seed=s) for s in (7, 7, 8))
    assert first == again
    assert list(first) == list(again)
    assert first != other
    assert draw_arrivals(model, seed=-7) != first  # negative seeds are seeds of their own


def test_drawn_tickets_are_a_sequence_of_arrivals() -> None:
    drawn = draw_arrivals(scenario(tickets=20), seed=1)
    assert isinstance(drawn, Drawn)
    arrivals = list(drawn)
    assert len(drawn) == 20
    assert drawn[0] == arrivals[0]
    assert drawn[-1] == arrivals[-1]
    assert drawn[5:8] == arrivals[5:8]
    assert drawn == arrivals
    assert [a.ticket_id.int for a in drawn] == list(range(1, 21))
    assert all(a.at <= b.at for a, b in itertools.pairwise(arrivals))
    with pytest.raises(IndexError):
        drawn[20]


def test_turning_an_outcome_on_changes_none_of_the_other_draws() -> None:
    plain = draw_arrivals(scenario(), seed=3)
    richer = draw_arrivals(
        scenario(
            patience={"kind": "exponential", "mean_minutes": 60},
            transfers={"probability": 0.2},
            reopens={"probability": 0.1},
            csat={"response_rate": 0.5},
            plans={"free": 1, "pro": 1},
            first_time_share=0.2,
        ),
        seed=3,
    )
    for column in ("at", "work", "priority", "category", "channel"):
        assert np.array_equal(getattr(plain, column), getattr(richer, column)), column
    assert (richer.patience != NONE).all()
    assert (plain.patience == NONE).all()


def test_arrivals_are_poisson_at_the_scenarios_rate() -> None:
    """200,000 gaps: the mean gap's standard error is 0.22 % of it, the tolerance 1 %."""
    drawn = draw_arrivals(scenario(tickets=200_000, arrivals_per_hour=120), seed=5)
    gaps = np.diff(np.concatenate(([0], drawn.at))) / 60e6  # minutes
    assert gaps.mean() == pytest.approx(0.5, rel=0.01)
    assert gaps.std() == pytest.approx(0.5, rel=0.02)  # exponential: sd = mean


def test_arrivals_follow_the_hourly_profile() -> None:
    """Thinning keeps each hour's share of arrivals at its share of the profile (within five
    standard errors of a multinomial share on 100,000 tickets)."""
    profile = [0.2] * 8 + [2.0] * 8 + [1.0] * 8
    drawn = draw_arrivals(scenario(tickets=100_000, hourly_profile=profile), seed=9)
    hours = np.asarray([(drawn.start.hour + int(us // 3_600_000_000)) % 24 for us in drawn.at])
    expected = np.asarray(profile) / sum(profile)
    shares = np.bincount(hours, minlength=24) / len(hours)
    error = np.sqrt(expected * (1 - expected) / len(hours))
    assert (np.abs(shares - expected) < 5 * error).all()


def test_weighted_attributes_and_work_content_follow_their_models() -> None:
    model = scenario(
        tickets=50_000,
        handle_time_by_category={
            "billing": {"kind": "lognormal", "mean_minutes": 4, "sd_minutes": 2}
        },
    )
    drawn = draw_arrivals(model, seed=2)
    urgent = drawn.priorities.index(Priority.URGENT)
    assert (drawn.priority == urgent).mean() == pytest.approx(0.25, abs=0.01)
    billing = drawn.category == drawn.categories.index("billing")
    assert billing.mean() == pytest.approx(0.25, abs=0.01)
    minutes = drawn.work / 60e6
    assert minutes[billing].mean() == pytest.approx(4, rel=0.03)
    assert minutes[billing].std() == pytest.approx(2, rel=0.06)
    assert minutes[~billing].mean() == pytest.approx(10, rel=0.03)


def test_outcomes_follow_their_probabilities_and_stay_within_the_work() -> None:
    model = scenario(
        tickets=40_000,
        transfers={"probability": 0.2, "queue": "billing"},
        escalations={"probability": 0.1, "queue": "technical"},
        reopens={"probability": 0.05},
        csat={"response_rate": 0.3},
        agents=[{"count": 2}, {"count": 1, "tier": 2}],
    )
    drawn = draw_arrivals(model, seed=4)
    assert (drawn.handoff == 1).mean() == pytest.approx(0.2, abs=0.01)
    assert (drawn.handoff == 2).mean() == pytest.approx(0.1, abs=0.01)
    assert ((drawn.handoff_after >= 0) & (drawn.handoff_after <= drawn.work)).all()
    assert (drawn.reopen_after != NONE).mean() == pytest.approx(0.05, abs=0.005)
    assert (~np.isnan(drawn.rating_noise)).mean() == pytest.approx(0.3, abs=0.01)
    transferred = next(a for a in drawn if a.handoff == "transfer")
    assert transferred.handoff_queue == "billing"
    assert timedelta(0) <= transferred.handoff_after <= transferred.work


def test_the_distributions_sample_what_they_draw_one_at_a_time() -> None:
    """``sample`` (bulk) and ``draw`` (one at a time) are the same distributions: means and
    standard deviations agree within 3 % on 50,000 draws each."""
    rng, bulk = random.Random(1), np.random.default_rng(1)  # noqa: S311 - a model's draws
    for model in (Exponential(mean_minutes=7), LogNormal(mean_minutes=5, sd_minutes=3)):
        one_by_one = np.asarray([model.draw(rng) for _ in range(50_000)])
        sampled = model.sample(bulk, 50_000)
        assert sampled.mean() == pytest.approx(one_by_one.mean(), rel=0.03)
        assert sampled.std() == pytest.approx(one_by_one.std(), rel=0.03)


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 3, 27, 22, 0, tzinfo=UTC),
        datetime(2026, 3, 27, 22, 0, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 3, 27, 22, 0, tzinfo=ZoneInfo("Europe/Berlin")),  # across the DST change
    ],
    ids=["utc", "fixed-offset", "daylight-saving"],
)
def test_the_rate_factor_of_every_instant_is_the_scenarios_own(start: datetime) -> None:
    """The profiles are read in the start's timezone, vectorised where its offset is fixed."""
    model = scenario(
        start=start,
        hourly_profile=[float(h % 5 + 1) for h in range(24)],
        weekly_profile=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
    )
    assert model.start.tzinfo is not None
    times = np.arange(0, 4 * 86_400_000_000, 1_800_000_000, dtype=np.int64)
    expected = [model.rate_factor(start + timedelta(microseconds=int(t))) for t in times]
    assert _factors(model, times).tolist() == expected
