"""The worksheet-function layer: the catalogue is complete, documented, and behaves like Excel."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import numpy as np
import pytest

from kamxl import core
from kamxl.excel import udfs

DOCS = Path(__file__).resolve().parents[1] / "docs" / "formulas.md"


def test_every_documented_function_exists_and_every_function_is_documented() -> None:
    documented = set(re.findall(r"\bKAM_[A-Z_]+[A-Z]\b", DOCS.read_text(encoding="utf-8")))
    assert documented == set(udfs.__all__)
    for name in udfs.__all__:
        assert callable(getattr(udfs, name))


@pytest.mark.parametrize("name", udfs.__all__)
def test_every_function_has_help_that_fits_excel(name: str) -> None:
    """Excel shows the docstring in the Insert Function dialog, 255 characters at most."""
    doc = inspect.getdoc(getattr(udfs, name))
    assert doc, f"{name} has no docstring"
    assert len(doc) <= 255, f"{name}: {len(doc)} characters"


def test_kam_scores_accepts_a_numpy_matrix_and_matches_the_engine() -> None:
    rng = np.random.default_rng(1)
    ratings = rng.integers(1, 6, size=(50, 4)).astype(float)
    weights = [0.4, 0.3, 0.2, 0.1]
    column = udfs.KAM_SCORES(ratings, weights)
    assert [row[0] for row in column] == core.weighted_scores(ratings, np.array(weights)).to_list()


def test_array_results_are_plain_python_values() -> None:
    column = udfs.KAM_SCORES([[1, 5], [5, 1]], [1, 1])
    assert all(type(row[0]) is float for row in column)
    assert type(udfs.KAM_NPS([[10, 0]])) is float
    assert type(udfs.KAM_QUADRANT(80, 20)) is str


def test_incoming_error_in_a_shared_argument_fails_the_whole_array() -> None:
    assert udfs.KAM_SCORES([[1, 2], [3, 4]], [1, "#REF!"]) == "#REF!"


def test_incoming_error_wins_over_an_earlier_text_cell() -> None:
    # Documented precedence: incoming errors first, then #VALUE!.
    assert udfs.KAM_SCORE([["text", 3]], [1, "#N/A"]) == "#N/A"


def test_row_with_incoming_error_and_off_scale_rating_shows_the_incoming_error() -> None:
    assert udfs.KAM_SCORES([[9, "#DIV/0!"], [1, 1]], [1, 1]) == [["#DIV/0!"], [0.0]]


def test_value_error_wins_over_num_and_na_across_arguments() -> None:
    # blank required value (#N/A) in the first argument, text (#VALUE!) in the second
    assert udfs.KAM_QUADRANT(None, "high") == "#VALUE!"
    assert udfs.KAM_CLV(None, 2, 0.1) == "#NUM!"  # retention out of [0, 1] beats the blank
    assert udfs.KAM_ROI(None, 0) == "#N/A"  # blank beats the zero denominator


def test_kam_score_explain_contributions_add_up_to_the_score() -> None:
    ratings, weights = [[4, None, 2, 5]], [3, 2, 1, 4]
    rows = udfs.KAM_SCORE_EXPLAIN(ratings, weights, 1, 5, [["higher", "lower", "lower", 1]])
    score = udfs.KAM_SCORE(ratings, weights, 1, 5, [["higher", "lower", "lower", 1]])
    assert [r[0] for r in rows] == ["C1", "C2", "C3", "C4"]
    assert rows[1][1:] == [None, None]
    assert sum(r[1] for r in rows if r[1] is not None) == pytest.approx(score)
    assert sum(r[2] for r in rows if r[2] is not None) == pytest.approx(1.0)


def test_version_is_the_package_version() -> None:
    import kamxl

    assert udfs.KAM_VERSION() == kamxl.__version__
