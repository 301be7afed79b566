"""Hypothesis properties of the engine: what must hold for every portfolio, not just examples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kamxl import core
from kamxl.core.bridge import revenue_bridge
from kamxl.errors import NoDataError, OutOfDomainError
from kamxl.excel.udfs import KAM_SCORE, KAM_SCORES

settings.register_profile("kamxl", deadline=None, max_examples=150)
settings.load_profile("kamxl")

SCALE_MIN, SCALE_MAX = 1.0, 5.0
ratings_values = st.one_of(
    st.none(), st.floats(SCALE_MIN, SCALE_MAX), st.integers(int(SCALE_MIN), int(SCALE_MAX))
)
positive_weights = st.floats(0.01, 100.0)


@st.composite
def scored_account(draw: st.DrawFn, min_criteria: int = 1) -> tuple[list, list, list]:
    """Ratings (some blank), positive weights and directions for one account."""
    k = draw(st.integers(min_criteria, 10))
    ratings = draw(st.lists(ratings_values, min_size=k, max_size=k))
    assume(any(r is not None for r in ratings))
    weights = draw(st.lists(positive_weights, min_size=k, max_size=k))
    directions = draw(
        st.lists(st.sampled_from(["higher", "lower", None, 1, -1]), min_size=k, max_size=k)
    )
    return ratings, weights, directions


@given(scored_account())
def test_score_lies_between_0_and_100(account: tuple[list, list, list]) -> None:
    ratings, weights, directions = account
    score = KAM_SCORE([ratings], weights, None, None, [directions])
    assert isinstance(score, float)
    assert 0.0 <= score <= 100.0


@given(scored_account(), st.floats(1e-3, 1e3))
def test_score_is_unchanged_when_all_weights_are_scaled(
    account: tuple[list, list, list], factor: float
) -> None:
    ratings, weights, directions = account
    base = KAM_SCORE([ratings], weights, None, None, [directions])
    scaled = KAM_SCORE([ratings], [w * factor for w in weights], None, None, [directions])
    assert scaled == pytest.approx(base, rel=1e-9, abs=1e-9)


@given(scored_account(), st.data())
def test_score_rises_with_a_higher_rating_and_falls_with_a_lower_one(
    account: tuple[list, list, list], data: st.DataObject
) -> None:
    ratings, weights, directions = account
    rated = [i for i, r in enumerate(ratings) if r is not None]
    k = data.draw(st.sampled_from(rated))
    # A visible step: a change of one float ulp may leave the rounded score unchanged.
    assume(ratings[k] <= SCALE_MAX - 0.01)
    better = data.draw(st.floats(ratings[k] + 0.01, SCALE_MAX))
    raised = list(ratings)
    raised[k] = better
    before = KAM_SCORE([ratings], weights, None, None, [directions])
    after = KAM_SCORE([raised], weights, None, None, [directions])
    if directions[k] in ("lower", -1):
        assert after < before
    else:
        assert after > before


@given(
    st.integers(1, 40).flatmap(
        lambda n: st.tuples(
            st.lists(st.one_of(st.none(), st.floats(-1e6, 1e7)), min_size=n, max_size=n),
            st.lists(st.one_of(st.none(), st.floats(-1e6, 1e7)), min_size=n, max_size=n),
        )
    )
)
def test_retention_grr_at_most_1_and_nrr_at_least_grr(pair: tuple[list, list]) -> None:
    start = np.array([np.nan if x is None else x for x in pair[0]])
    end = np.array([np.nan if x is None else x for x in pair[1]])
    assume((start > 0).any())
    gross = core.grr(start, end)
    net = core.nrr(start, end)
    assert gross <= 1.0
    assert net >= gross
    assert 0.0 <= core.logo_retention(start, end) <= 1.0
    assert core.expansion(start, end) >= 0.0


matrix_cells = st.one_of(
    st.none(),
    st.floats(0.0, 6.0),  # some off the 1-5 scale: #NUM! rows
    st.sampled_from(["text", "#N/A", "#DIV/0!", ""]),
)


@given(
    st.integers(1, 6).flatmap(
        lambda k: st.tuples(
            st.lists(st.lists(matrix_cells, min_size=k, max_size=k), min_size=1, max_size=30),
            st.lists(st.floats(0.0, 10.0), min_size=k, max_size=k),
            st.lists(st.sampled_from(["higher", "lower"]), min_size=k, max_size=k),
        )
    )
)
def test_kam_scores_equals_kam_score_row_by_row(case: tuple[list, list, list]) -> None:
    matrix, weights, directions = case
    column = KAM_SCORES(matrix, weights, 1, 5, directions)
    assert len(column) == len(matrix)
    for row, (value,) in zip(matrix, column, strict=True):
        assert value == KAM_SCORE([row], weights, 1, 5, directions)  # bit for bit


@given(hnp.arrays(np.float64, st.integers(1, 200), elements=st.floats(-1e6, 1e9)))
def test_concentration_bounds(revenues: np.ndarray) -> None:
    assume(np.clip(revenues, 0, None).sum() > 0)
    n = len(revenues)
    index = core.hhi(revenues)
    assert 10_000 / n * (1 - 1e-9) <= index <= 10_000 * (1 + 1e-12)
    assert 1 - 1e-9 <= core.effective_n(revenues) <= n * (1 + 1e-9)
    assert 0 < core.pareto_ratio(revenues) <= 1
    assert 0 < core.top_share(revenues) <= 1 + 1e-12


@given(hnp.arrays(np.float64, st.integers(1, 200), elements=st.floats(0, 1e9)))
def test_the_top_share_is_a_point_of_the_pareto_curve(revenues: np.ndarray) -> None:
    """(top_fraction, top_share) is a corner of the cumulative curve the deck draws: the
    top k of N accounts, k/N the smallest such share of at least 20 %, and their revenue."""
    assume(revenues.sum() > 0)
    values = np.sort(revenues)[::-1]
    fraction = core.top_fraction(revenues)
    k = round(fraction * len(values))
    assert fraction == k / len(values)
    assert k / len(values) >= 0.2 * (1 - 1e-12) and (k - 1) / len(values) < 0.2
    assert core.top_share(revenues) == pytest.approx(values[:k].sum() / values.sum())


@given(
    hnp.arrays(
        np.float64, st.integers(1, 50), elements=st.one_of(st.just(math.nan), st.floats(0, 100))
    ),
)
def test_health_and_rag_agree_with_their_definitions(values: np.ndarray) -> None:
    statuses = core.rags(values, 50, 75)
    for value, status, code in zip(values, statuses.values, statuses.errors, strict=True):
        if math.isnan(value):
            assert code != 0
        else:
            assert status == ("Red" if value <= 50 else "Amber" if value <= 75 else "Green")


@given(st.lists(st.one_of(st.none(), st.integers(0, 10)), min_size=1, max_size=60))
def test_nps_is_between_minus_100_and_100(scores: list) -> None:
    assume(any(s is not None for s in scores))
    value = core.nps(np.array([np.nan if s is None else s for s in scores], dtype=float))
    assert -100.0 <= value <= 100.0


def test_weighted_scores_of_100k_accounts_is_one_call_with_row_errors() -> None:
    rng = np.random.default_rng(7)
    ratings = rng.integers(1, 6, size=(100_000, 10)).astype(float)
    ratings[5, :] = np.nan  # no rating: #N/A
    ratings[6, 3] = 9.0  # off the scale: #NUM!
    weights = rng.random(10)
    result = core.weighted_scores(ratings, weights)
    assert result.values.shape == (100_000,)
    assert result.errors[5] == 7 and result.errors[6] == 6
    assert (result.errors != 0).sum() == 2
    expected = 100 * ((ratings[0] - 1) / 4 * weights).sum() / weights.sum()
    assert result.values[0] == pytest.approx(expected, rel=1e-12)


# --- The revenue bridge ----------------------------------------------------------------------

bridge_values = st.one_of(
    st.none(),
    st.just(0.0),
    st.just(float("nan")),
    st.floats(0.0, 1e9),
    st.floats(-1e6, 0.0),
    st.sampled_from([0.005, 0.015, 0.1, 0.2, 0.3, 1234.565, 1e12]),
)


@given(
    st.integers(1, 60).flatmap(
        lambda n: st.tuples(
            st.lists(bridge_values, min_size=n, max_size=n),
            st.lists(bridge_values, min_size=n, max_size=n),
        )
    )
)
def test_the_revenue_bridge_adds_up_to_the_current_revenue_to_the_cent(
    pair: tuple[list, list],
) -> None:
    previous = np.array([np.nan if v is None else v for v in pair[0]], dtype=np.float64)
    current = np.array([np.nan if v is None else v for v in pair[1]], dtype=np.float64)
    before = np.rint(np.nan_to_num(previous) * 100)
    now = np.rint(np.nan_to_num(current) * 100)
    try:
        bridge = revenue_bridge(previous, current)
    except OutOfDomainError:
        assert (np.nan_to_num(previous) < 0).any() or (np.nan_to_num(current) < 0).any()
        return
    except NoDataError:
        assert not (before > 0).any() and not (now > 0).any()
        return
    first, lost, contraction, expansion, new, last = bridge.cents
    assert all(isinstance(c, int) and c >= 0 for c in bridge.cents)
    assert first - lost - contraction + expansion + new == last  # exact: integers
    assert first == int(before.sum()) and last == int(now.sum())
    assert lost + contraction <= first
    assert sum(bridge.counts) <= len(previous)
    bases = bridge.bases()
    assert all(b >= 0 for b in bases)
    assert bases[4] + new == last  # the last step lands on the current revenue
