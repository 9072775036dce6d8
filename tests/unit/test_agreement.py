"""Agreement and correlation coefficients against published worked examples, hand
computations and their invariants."""

from __future__ import annotations

import math
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticketlog.domain.errors import InvalidValue
from ticketlog.projections.agreement import (
    Level,
    cohen_kappa,
    krippendorff_alpha,
    pearson,
    spearman,
)

# Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability", Annenberg School for
# Communication, University of Pennsylvania, section C (and the "C" data of R's irr and
# DescTools ``kripp.alpha`` examples): 4 observers, 12 units, values 1-5, missing data.
# Published: nominal alpha = .743, ordinal .815, interval .849.
_: None = None
OBSERVERS: tuple[tuple[int | None, ...], ...] = (
    (1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _),
    (1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, _),
    (_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3),
    (1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _),
)
UNITS = list(zip(*OBSERVERS, strict=True))


@pytest.mark.parametrize(
    ("level", "published"),
    [(Level.NOMINAL, 0.743), (Level.ORDINAL, 0.815), (Level.INTERVAL, 0.849)],
)
def test_alpha_reproduces_krippendorffs_worked_example(level: Level, published: float) -> None:
    alpha = krippendorff_alpha(UNITS, level=level)
    assert alpha is not None
    assert round(alpha, 3) == published


def test_alpha_nominal_of_the_worked_example_is_its_exact_fraction() -> None:
    # The paper's coincidence matrix: n = 40 pairable values, 32 of them on the diagonal,
    # margins n_1..n_5 = 9, 13, 10, 5, 3; nominal alpha = 1 - (n - 1)(n - 32) / (n^2 - sum n_c^2)
    # = 1 - 39 * 8 / (1600 - 384) = 113/152 = 0.7434.
    assert krippendorff_alpha(UNITS, level="nominal") == pytest.approx(113 / 152)


def cohen_table(a_b: int, a_notb: int, nota_b: int, nota_notb: int) -> tuple[list[int], list[int]]:
    """Two raters' yes (1) / no (0) ratings making a 2 x 2 table."""
    first = [1] * (a_b + a_notb) + [0] * (nota_b + nota_notb)
    second = [1] * a_b + [0] * a_notb + [1] * nota_b + [0] * nota_notb
    return first, second


@pytest.mark.parametrize(
    ("table", "published"),
    [
        # Wikipedia, "Cohen's kappa", simple example: 50 grant proposals read by A and B;
        # p_o = 0.7, p_e = 0.5, kappa = 0.4.
        ((20, 5, 10, 15), 0.4),
        # Same article, "same percentages but different numbers": both p_o = 0.60, yet
        # kappa = 0.1304 and 0.2593.
        ((45, 15, 25, 15), 0.1304),
        ((25, 35, 5, 35), 0.2593),
    ],
)
def test_kappa_reproduces_the_published_examples(
    table: tuple[int, int, int, int], published: float
) -> None:
    kappa = cohen_kappa(*cohen_table(*table))
    assert kappa is not None
    assert round(kappa, 4) == published


def test_weighted_kappa_counts_near_misses_less() -> None:
    # Pairs (1,1) (2,3) (3,3) (1,3): joint shares 1/4 each; first's margins 1:2/4 2:1/4
    # 3:1/4, second's 1:1/4 3:3/4.
    first, second = [1, 2, 3, 1], [1, 3, 3, 3]
    # Linear: observed sum |i-j| = (0 + 1 + 0 + 2)/4 = 3/4; expected sum over margins:
    # (2/4)(1/4)0 + (2/4)(3/4)2 + (1/4)(1/4)1 + (1/4)(3/4)1 + (1/4)(1/4)2 + (1/4)(3/4)0
    # = (12 + 1 + 3 + 2)/16 = 18/16, so kappa = 1 - (3/4)/(18/16) = 1/3.
    assert cohen_kappa(first, second, weights="linear") == pytest.approx(1 / 3)
    # Quadratic: observed (0 + 1 + 0 + 4)/4 = 5/4; expected (2*3*4 + 1 + 3 + 4)/16 = 32/16.
    assert cohen_kappa(first, second, weights="quadratic") == pytest.approx(1 - (5 / 4) / 2)
    # Unweighted: p_o = 2/4, p_e = (2/4)(1/4) + (1/4)(3/4) = 5/16: (8/16 - 5/16)/(11/16).
    assert cohen_kappa(first, second) == pytest.approx(3 / 11)


def test_kappa_is_undefined_when_both_raters_never_vary() -> None:
    assert cohen_kappa([4, 4, 4], [4, 4, 4]) is None
    assert cohen_kappa([], []) is None


def test_kappa_refuses_unpaired_ratings() -> None:
    with pytest.raises(InvalidValue, match="paired"):
        cohen_kappa([1, 2], [1])


def test_alpha_is_undefined_without_pairable_or_varied_values() -> None:
    assert krippendorff_alpha([(1, None), (None, 2)]) is None
    assert krippendorff_alpha([(3, 3), (3, 3, 3)]) is None


def test_alpha_of_total_disagreement_on_two_units_is_below_zero() -> None:
    # Units (1, 2), (2, 1): o_12 = o_21 = 2, n = 4, n_1 = n_2 = 2; interval:
    # 1 - 3 * 4 / (2 * 2 * 2) = -0.5.
    assert krippendorff_alpha([(1, 2), (2, 1)], level="interval") == pytest.approx(-0.5)


ratings = st.integers(min_value=1, max_value=5)


@given(st.lists(ratings, min_size=1, max_size=30), st.sampled_from([None, "linear", "quadratic"]))
def test_kappa_of_identical_raters_is_one_unless_undefined(
    scores: list[int], weights: str | None
) -> None:
    expected = None if len(set(scores)) == 1 else 1.0
    assert cohen_kappa(scores, scores, weights=weights) == expected


@given(
    st.lists(st.tuples(ratings, ratings), min_size=1, max_size=30),
    st.sampled_from([None, "linear", "quadratic"]),
)
def test_kappa_is_symmetric_and_at_most_one(
    pairs: list[tuple[int, int]], weights: str | None
) -> None:
    first, second = [a for a, _ in pairs], [b for _, b in pairs]
    kappa = cohen_kappa(first, second, weights=weights)
    swapped = cohen_kappa(second, first, weights=weights)
    assert (kappa is None) == (swapped is None)
    if kappa is not None:
        assert swapped == pytest.approx(kappa)
        assert kappa <= 1 + 1e-12


units_strategy = st.lists(
    st.lists(st.one_of(st.none(), ratings), min_size=2, max_size=5), min_size=1, max_size=15
)


@given(units_strategy, st.sampled_from(list(Level)), st.randoms(use_true_random=False))
def test_alpha_ignores_the_order_of_reviewers_and_units(
    units: list[list[int | None]], level: Level, random: Random
) -> None:
    alpha = krippendorff_alpha(units, level=level)
    shuffled = [list(unit) for unit in units]
    for unit in shuffled:
        random.shuffle(unit)
    random.shuffle(shuffled)
    again = krippendorff_alpha(shuffled, level=level)
    assert (alpha is None) == (again is None)
    if alpha is not None:
        assert again == pytest.approx(alpha)
        assert alpha <= 1 + 1e-12


@given(
    st.lists(st.tuples(ratings, st.integers(2, 4)), min_size=1, max_size=20),
    st.sampled_from(list(Level)),
)
def test_alpha_is_one_when_every_unit_is_rated_alike(
    units: list[tuple[int, int]], level: Level
) -> None:
    alike = [[value] * reviewers for value, reviewers in units]
    alpha = krippendorff_alpha(alike, level=level)
    assert alpha == (None if len({value for value, _ in units}) == 1 else pytest.approx(1.0))


def test_pearson_and_spearman_by_hand() -> None:
    # x = 1..4, y = 1, 3, 2, 4: means 2.5, 2.5; sum dx*dy = 2.25 + 0.5*-0.5... by hand:
    # dx = (-1.5, -0.5, 0.5, 1.5), dy = (-1.5, 0.5, -0.5, 1.5): sum = 2.25 - .25 - .25 + 2.25
    # = 4; sum dx^2 = sum dy^2 = 5: r = 0.8 (and the ranks are the values, so rho = 0.8).
    assert pearson([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    assert spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    # Spearman is Pearson of ranks with ties averaged: x ranks (1, 2.5, 2.5, 4).
    assert spearman([1, 5, 5, 9], [10, 20, 30, 40]) == pytest.approx(
        pearson([1, 2.5, 2.5, 4], [1, 2, 3, 4])
    )
    assert spearman([1, 2, 3], [1, 8, 27]) == pytest.approx(1.0)
    # dx = (-1, 0, 1), dy = (-11, -4, 15): r = 26 / sqrt(2 * 362), short of 1.
    assert pearson([1, 2, 3], [1, 8, 27]) == pytest.approx(26 / 724**0.5)


def test_correlations_need_three_pairs_and_varied_sides() -> None:
    assert pearson([1, 2], [3, 4]) is None
    assert spearman([1, 2], [3, 4]) is None
    assert pearson([1, 2, 3], [5, 5, 5]) is None
    with pytest.raises(InvalidValue, match="paired"):
        pearson([1, 2, 3], [1, 2])


@given(st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)), min_size=3, max_size=30))
def test_correlations_lie_in_minus_one_to_one(pairs: list[tuple[float, float]]) -> None:
    xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
    for r in (pearson(xs, ys), spearman(xs, ys)):
        assert r is None or (-1 <= r <= 1 and not math.isnan(r))
