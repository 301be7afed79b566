"""Black-box worked examples for every function of the KAM_* catalogue.

Sources: shared/spec/formulas.md (contract) and docs/formulas.md (user docs, with the
"kamxl choice" decisions).  Every expected value below is computed by hand from those
texts; the arithmetic is written in the comment next to the case.

Arguments are passed exactly as Excel hands them to a UDF: 2-D lists of rows, ``None`` for
a blank cell, error text for an error cell, dates as ``date``/``datetime`` or 1900-system
serial numbers.
"""

from datetime import date, datetime, timedelta

import pytest

import kamxl
from kamxl.excel import udfs as U

NA = "#N/A"
VALUE = "#VALUE!"
NUM = "#NUM!"
DIV0 = "#DIV/0!"
REF = "#REF!"
NAME = "#NAME?"

# Excel 1900-system serials, checked with (d - date(1899, 12, 30)).days
S_2024_01_01 = 45292.0
S_2024_01_10 = 45301.0
S_2024_01_11 = 45302.0
S_2024_01_15 = 45306.0
S_2024_02_01 = 45323.0
S_2024_03_01 = 45352.0
S_2026_01_01 = 46023.0
S_2026_04_01 = 46113.0  # 2026-01-01 + 90 days (31 + 28 + 31)


# --------------------------------------------------------------------------- helpers


def check(got, expected):
    """Exact comparison for text/None/errors, pytest.approx for numbers, recursive for
    2-D lists (a number must not come back as text, a bool, or vice versa)."""
    if isinstance(expected, list):
        assert isinstance(got, list), f"expected a 2-D list, got {got!r}"
        assert len(got) == len(expected), f"{got!r} != {expected!r}"
        for g, e in zip(got, expected, strict=True):
            check(g, e)
    elif expected is None:
        assert got is None, f"expected blank (None), got {got!r}"
    elif isinstance(expected, str):
        assert isinstance(got, str) and got == expected, f"expected {expected!r}, got {got!r}"
    else:
        assert isinstance(got, (int, float)) and not isinstance(got, bool), (
            f"expected a Python number {expected!r}, got {got!r} ({type(got).__name__})"
        )
        assert got == pytest.approx(expected), f"expected {expected!r}, got {got!r}"


def check_whole_error(got, err):
    """A whole-result error of an array function is one error value, not a spilled array
    (docs/formulas.md: "makes the whole result that one error (a single cell, no spill)")."""
    assert got == err, f"expected {err!r}, got {got!r}"


def check_blank(got):
    """A blank cell in a returned array (None; an empty text is accepted as blank too)."""
    assert got is None or got == "", f"expected a blank cell, got {got!r}"


W3 = [[0.5, 0.3, 0.2]]  # weights used in many KAM_SCORE examples


# =========================================================================== Scoring


class TestScore:
    # n = (4-1)/4 = 0.75, (5-1)/4 = 1, (3-1)/4 = 0.5
    # 0.5*0.75 + 0.3*1 + 0.2*0.5 = 0.375 + 0.3 + 0.1 = 0.775 -> 77.5
    @pytest.mark.parametrize(
        "ratings, weights",
        [
            ([[4, 5, 3]], [[0.5, 0.3, 0.2]]),  # row / row
            ([[4, 5, 3]], [[0.5], [0.3], [0.2]]),  # row / column
            ([[4], [5], [3]], [[0.5], [0.3], [0.2]]),  # column / column
            ([[4], [5], [3]], [[0.5, 0.3, 0.2]]),  # column / row
            ([[4, 5], [3, None]], [[0.5, 0.3], [0.2, 0]]),  # 2-D blocks, row by row
            ([[4, 5, 3]], [[50, 30, 20]]),  # weights need not sum to 1: 77.5/100*100
        ],
    )
    def test_basic_shapes(self, ratings, weights):
        check(U.KAM_SCORE(ratings, weights), 77.5)

    @pytest.mark.parametrize(
        "ratings, weights, args, expected",
        [
            ([[5, 5, 5]], W3, (), 100.0),  # all at max
            ([[1, 1, 1]], W3, (), 0.0),  # all at min
            # blank renormalised: (0.5*0.75 + 0.2*0.5)/(0.5+0.2) = 0.475/0.7 -> 67.857142...
            ([[4, None, 3]], W3, (), 0.475 / 0.7 * 100),
            ([[4, "", 3]], W3, (), 0.475 / 0.7 * 100),  # "" counts as blank
            ([[2.5, 5, 3]], W3, (), (0.5 * 0.375 + 0.3 + 0.1) * 100),  # (2.5-1)/4=.375 -> 58.75
            ([[7, 3]], [[1, 1]], (0, 10), 50.0),  # (0.7+0.3)/2
            ([[7, 3]], [[1, 1]], ([[0]], [[10]]), 50.0),  # scale as 1x1 lists
            ([[4, 5, 3]], W3, (None, None), 77.5),  # blank optional -> default 1..5
            ([[4, 5, 3]], W3, (None, None, None), 77.5),  # blank directions -> all higher
        ],
    )
    def test_values(self, ratings, weights, args, expected):
        check(U.KAM_SCORE(ratings, weights, *args), expected)

    def test_bare_scalars_and_1x1(self):
        # (4-1)/4 = 0.75 -> 75
        check(U.KAM_SCORE(4, 1), 75.0)
        check(U.KAM_SCORE([[4]], [[1]]), 75.0)
        # lower: 1 - 0.75 = 0.25 -> 25
        check(U.KAM_SCORE(4, 1, 1, 5, "lower"), 25.0)

    # directions: n = 0.75, 1 -> 1-1 = 0, 0.5 -> 0.375 + 0 + 0.1 = 0.475 -> 47.5
    @pytest.mark.parametrize(
        "directions",
        [
            [["higher", "LOWER", None]],
            [[1, -1, 1]],
            [["Higher", "lower", ""]],
            [["higher"], ["Lower"], [None]],  # column vs row ratings
            [[None, -1, "HIGHER"]],
        ],
    )
    def test_directions(self, directions):
        check(U.KAM_SCORE([[4, 5, 3]], W3, 1, 5, directions), 47.5)

    def test_all_lower(self):
        # 1-0.75 = 0.25, 0, 0.5 -> 0.125 + 0 + 0.1 = 0.225 -> 22.5
        check(U.KAM_SCORE([[4, 5, 3]], W3, 1, 5, [["lower", "lower", "lower"]]), 22.5)

    def test_zero_weight_present_rating_is_ignored(self):
        # (1*0.75 + 0*1)/1 -> 75
        check(U.KAM_SCORE([[4, 5]], [[1, 0]]), 75.0)

    @pytest.mark.parametrize(
        "ratings, weights, args, expected",
        [
            # no rating present
            ([[None, None, ""]], W3, (), NA),
            # sum of present weights is 0
            ([[4, None]], [[0, 1]], (), DIV0),
            ([[4, 5]], [[0, 0]], (), DIV0),
            # out of scale / negative weight / bad scale
            ([[6, 3, 3]], W3, (), NUM),
            ([[0, 3, 3]], W3, (), NUM),
            ([[4, 3, 3]], [[0.5, -0.3, 0.8]], (), NUM),
            ([[4, 3, 3]], W3, (5, 1), NUM),
            ([[4, 3, 3]], W3, (3, 3), NUM),
            ([[11, 3]], [[1, 1]], (0, 10), NUM),
            # text / bool / date in number cells
            ([["4", 5, 3]], W3, (), VALUE),
            ([[" 3,5 ", 5, 3]], W3, (), VALUE),
            ([[4, 5, 3]], [["0.5", 0.3, 0.2]], (), VALUE),
            ([[True, 5, 3]], W3, (), VALUE),
            ([[4, 5, 3]], [[0.5, False, 0.2]], (), VALUE),
            ([[date(2026, 1, 1), 5, 3]], W3, (), VALUE),
            ([[4, 5, 3]], W3, ("1", 5), VALUE),
            ([[4, 5, 3]], W3, (1, True), VALUE),
            # lengths differ
            ([[4, 5]], W3, (), VALUE),
            ([[4, 5, 3, 2]], W3, (), VALUE),
            ([[4, 5, 3]], W3, (1, 5, [["higher", "lower"]]), VALUE),
            # blank weight (kamxl choice)
            ([[4, 5, 3]], [[0.5, None, 0.2]], (), VALUE),
            # unknown direction
            ([[4, 5, 3]], W3, (1, 5, [["higher", "down", "higher"]]), VALUE),
            ([[4, 5, 3]], W3, (1, 5, [[1, 2, 1]]), VALUE),
            ([[4, 5, 3]], W3, (1, 5, [[1, 0, 1]]), VALUE),
            # a single-value argument given a multi-cell range
            ([[4, 5, 3]], W3, ([[1, 2]], 5), VALUE),
            ([[4, 5, 3]], W3, (1, [[5], [6]]), VALUE),
        ],
    )
    def test_errors(self, ratings, weights, args, expected):
        check(U.KAM_SCORE(ratings, weights, *args), expected)

    @pytest.mark.parametrize(
        "ratings, weights, args, expected",
        [
            # incoming errors propagate unchanged
            ([[4, NA, 3]], W3, (), NA),
            ([[4, REF, 3]], W3, (), REF),
            ([[4, 5, 3]], [[0.5, NAME, 0.2]], (), NAME),
            ([[4, 5, 3]], W3, (NA, 5), NA),
            ([[4, 5, 3]], W3, (1, 5, [["higher", DIV0, "lower"]]), DIV0),
            # an incoming error beats a #VALUE! that comes earlier
            ([["x", NA, 3]], W3, (), NA),
            ([["x", 4, 3]], [[0.5, 0.3, DIV0]], (), DIV0),
            # first incoming error in argument order (ratings before weights) ...
            ([[4, 5, REF]], [[NAME, 0.3, 0.2]], (), REF),
            # ... and row by row inside a range
            ([[4, NUM], [NA, 3]], [[1, 1], [1, 1]], (), NUM),
            ([[4], [DIV0], [NA]], W3, (), DIV0),
            # #VALUE! before #NUM!
            ([[9, "4", 3]], W3, (), VALUE),
            ([[9, 4, 3]], [[-1, 1, "1"]], (), VALUE),
            # #NUM! before #N/A: no rating present and a negative weight
            ([[None, None]], [[-1, 1]], (), NUM),
            # #NUM! before #DIV/0!
            ([[6, None]], [[0, 1]], (), NUM),
            # #N/A before #DIV/0!: no rating and zero weights
            ([[None, None]], [[0, 0]], (), NA),
            # #VALUE! before #N/A
            ([[None, None]], [[1, "1"]], (), VALUE),
        ],
    )
    def test_error_precedence(self, ratings, weights, args, expected):
        check(U.KAM_SCORE(ratings, weights, *args), expected)


class TestScores:
    def test_rows(self):
        # row 1: (2*0.75 + 1*1 + 1*0.5)/4 = 3/4 -> 75
        # row 2: (2*0 + 1*1)/(2+1) = 1/3 -> 33.333...
        got = U.KAM_SCORES([[4, 5, 3], [1, None, 5]], [[2, 1, 1]])
        check(got, [[75.0], [100 / 3]])

    def test_weights_as_column(self):
        got = U.KAM_SCORES([[4, 5, 3], [1, None, 5]], [[2], [1], [1]])
        check(got, [[75.0], [100 / 3]])

    def test_per_row_errors_stay_in_their_row(self):
        matrix = [
            [4, 5, 3],  # 77.5
            [4, "x", 3],  # text -> #VALUE!
            [6, 5, 3],  # out of scale -> #NUM!
            [None, None, ""],  # no rating -> #N/A
            [4, REF, 3],  # incoming error
            [5, 5, 5],  # 100
            ["x", 5, NA],  # incoming error beats text in the same row
            [1, 1, 1],  # 0
        ]
        got = U.KAM_SCORES(matrix, W3)
        check(got, [[77.5], [VALUE], [NUM], [NA], [REF], [100.0], [NA], [0.0]])

    def test_row_with_zero_present_weight(self):
        # row 1: only C1 and C2 present, their weights are 0 -> #DIV/0!; row 2: 3 -> 0.5 -> 50
        got = U.KAM_SCORES([[4, 5, None], [None, None, 3]], [[0, 0, 1]])
        check(got, [[DIV0], [50.0]])

    def test_single_row_is_n_by_1(self):
        check(U.KAM_SCORES([[4, 5, 3]], W3), [[77.5]])

    def test_single_column_matrix(self):
        # 4 -> 75, 5 -> 100, blank -> #N/A
        check(U.KAM_SCORES([[4], [5], [None]], [[1]]), [[75.0], [100.0], [NA]])

    def test_scale_and_directions(self):
        # row 1: 0..10, (0.7 + (1-0.3))/2 = 0.7 -> 70; row 2: (0.5 + 0.5)/2 -> 50
        got = U.KAM_SCORES([[7, 3], [5, 5]], [[1, 1]], 0, 10, [["higher", "LOWER"]])
        check(got, [[70.0], [50.0]])
        # directions 1/-1 on the W3 example: 47.5 (see TestScore.test_directions)
        check(U.KAM_SCORES([[4, 5, 3]], W3, 1, 5, [[1, -1, 1]]), [[47.5]])

    @pytest.mark.parametrize(
        "weights, args, err",
        [
            ([[0.5, 0.3]], (), VALUE),  # weights shorter than the rows
            ([[0.5, -0.3, 0.8]], (), NUM),  # negative weight
            ([[0.5, "0.3", 0.2]], (), VALUE),  # text weight
            ([[0.5, NA, 0.2]], (), NA),  # incoming error in weights
            (W3, (5, 1), NUM),  # bad scale
            (W3, (1, 5, [["higher", "down", "lower"]]), VALUE),  # bad direction
        ],
    )
    def test_bad_shared_arguments_make_whole_result_an_error(self, weights, args, err):
        got = U.KAM_SCORES([[4, 5, 3], [1, 2, 3]], weights, *args)
        check_whole_error(got, err)


class TestCompleteness:
    @pytest.mark.parametrize(
        "ratings, weights, expected",
        [
            ([[4, None, 3]], W3, 0.7),  # (0.5+0.2)/1
            ([[4, "", 3]], W3, 0.7),  # "" is blank
            ([[4, 5, 3]], W3, 1.0),
            ([[None, None, None]], W3, 0.0),  # nothing present: 0/1
            ([[4], [None], [3]], [[2, 1, 1]], 0.75),  # column vs row: 3/4
            ([[99, None, -3]], W3, 0.7),  # ratings are not range-checked
            ([[4, None]], [[0, 1]], 0.0),  # 0/1
            (4, 1, 1.0),  # bare scalars
            ([[None]], [[1]], 0.0),
        ],
    )
    def test_values(self, ratings, weights, expected):
        check(U.KAM_COMPLETENESS(ratings, weights), expected)

    @pytest.mark.parametrize(
        "ratings, weights, expected",
        [
            ([[4, 5]], [[0, 0]], DIV0),
            ([[None, None]], [[0, 0]], DIV0),
            ([["4", 5, 3]], W3, VALUE),
            ([[True, 5, 3]], W3, VALUE),
            ([[4, 5, 3]], [[0.5, "0.3", 0.2]], VALUE),
            ([[4, 5]], W3, VALUE),  # lengths differ
            ([[4, NA, 3]], W3, NA),
            ([[4, 5, 3]], [[0.5, REF, 0.2]], REF),
            ([["x", 5]], [[1, DIV0]], DIV0),  # incoming error before #VALUE!
            ([["x", 5]], [[0, 0]], VALUE),  # #VALUE! before #DIV/0!
        ],
    )
    def test_errors(self, ratings, weights, expected):
        check(U.KAM_COMPLETENESS(ratings, weights), expected)


class TestScoreExplain:
    def test_default_labels(self):
        # contributions 100*w*n/Σw: 37.5, 30, 10 -> sum 77.5; shares c/77.5
        got = U.KAM_SCORE_EXPLAIN([[4, 5, 3]], W3)
        check(
            got,
            [
                ["C1", 37.5, 37.5 / 77.5],
                ["C2", 30.0, 30.0 / 77.5],
                ["C3", 10.0, 10.0 / 77.5],
            ],
        )

    def test_labels_and_blank_label(self):
        got = U.KAM_SCORE_EXPLAIN([[4, 5, 3]], W3, 1, 5, None, [["Price", None, "Quality"]])
        check([r[0] for r in got], ["Price", "C2", "Quality"])
        got = U.KAM_SCORE_EXPLAIN([[4], [5], [3]], W3, None, None, None, [["a"], ["b"], ["c"]])
        check(got, [["a", 37.5, 37.5 / 77.5], ["b", 30.0, 30.0 / 77.5], ["c", 10.0, 10.0 / 77.5]])

    def test_blank_criterion(self):
        # present weight 0.7: C1 100*0.5*0.75/0.7 = 53.5714..., C3 100*0.2*0.5/0.7 = 14.2857...
        # score 0.475/0.7*100 = 67.857...; shares 0.375/0.475 and 0.1/0.475
        got = U.KAM_SCORE_EXPLAIN([[4, None, 3]], W3)
        assert isinstance(got, list) and len(got) == 3
        check(got[0], ["C1", 37.5 / 0.7, 0.375 / 0.475])
        check(got[1][0], "C2")
        check_blank(got[1][1])
        check_blank(got[1][2])
        check(got[2], ["C3", 10 / 0.7, 0.1 / 0.475])
        total = got[0][1] + got[2][1]
        assert total == pytest.approx(0.475 / 0.7 * 100)

    def test_directions(self):
        # 37.5, 0, 10 -> 47.5; shares 37.5/47.5, 0, 10/47.5
        got = U.KAM_SCORE_EXPLAIN([[4, 5, 3]], W3, 1, 5, [["higher", "LOWER", None]])
        check(
            got,
            [["C1", 37.5, 37.5 / 47.5], ["C2", 0.0, 0.0], ["C3", 10.0, 10 / 47.5]],
        )

    @pytest.mark.parametrize(
        "ratings, weights, args",
        [
            ([[4, 5, 3]], W3, ()),
            ([[4, None, 3]], W3, ()),
            ([[2, 5, 1, 4]], [[3, 1, 1, 2]], ()),
            ([[7, 3]], [[1, 2]], (0, 10, [[1, -1]])),
        ],
    )
    def test_contributions_sum_to_score(self, ratings, weights, args):
        got = U.KAM_SCORE_EXPLAIN(ratings, weights, *args)
        contribs = [r[1] for r in got if isinstance(r[1], (int, float))]
        assert sum(contribs) == pytest.approx(U.KAM_SCORE(ratings, weights, *args))

    def test_contributions_sum_hand_values(self):
        # [[2,5,1,4]] w [[3,1,1,2]] Σw=7: n = .25, 1, 0, .75
        # contributions 100*(.75, 1, 0, 1.5)/7 ; score 100*3.25/7 = 46.428571...
        got = U.KAM_SCORE_EXPLAIN([[2, 5, 1, 4]], [[3, 1, 1, 2]])
        check([r[1] for r in got], [75 / 7, 100 / 7, 0.0, 150 / 7])
        assert sum(r[1] for r in got) == pytest.approx(325 / 7)

    def test_score_zero_shares_are_div0(self):
        check(U.KAM_SCORE_EXPLAIN([[1, 1]], [[1, 1]]), [["C1", 0.0, DIV0], ["C2", 0.0, DIV0]])

    @pytest.mark.parametrize(
        "ratings, weights, args, err",
        [
            ([[6, 5, 3]], W3, (), NUM),
            ([[None, None, None]], W3, (), NA),
            ([["4", 5, 3]], W3, (), VALUE),
            ([[4, NA, 3]], W3, (), NA),
            ([[4, None]], [[0, 1]], (), DIV0),
            ([[4, 5, 3]], W3, (1, 5, [["up", None, None]]), VALUE),
            ([[4, 5, 3]], W3, (1, 5, None, [["a", "b"]]), VALUE),  # labels too short
        ],
    )
    def test_errors(self, ratings, weights, args, err):
        check_whole_error(U.KAM_SCORE_EXPLAIN(ratings, weights, *args), err)


class TestQuadrant:
    @pytest.mark.parametrize(
        "args, expected",
        [
            ((60, 70), "Strategic"),
            ((60, 40), "Star"),
            ((40, 60), "Status"),
            ((40, 40), "Streamline"),
            ((50, 50), "Strategic"),  # equal to the cut counts as high
            ((50, 49.99), "Star"),
            ((49.99, 50), "Status"),
            ((49.99, 49.99), "Streamline"),
            ((100, 0), "Star"),
            (([[60]], [[70]]), "Strategic"),  # 1x1 lists
            ((60, 60, 70, 50), "Status"),  # A 60 < 70, S 60 >= 50
            ((70, 50, 70, 50), "Strategic"),  # both equal to custom cuts
            ((70, 49, 70, 50), "Star"),
            ((50, 50, None, None), "Strategic"),  # blank cuts -> defaults 50
            ((30, 30, 20, 20), "Strategic"),
        ],
    )
    def test_values(self, args, expected):
        check(U.KAM_QUADRANT(*args), expected)

    @pytest.mark.parametrize(
        "args, expected",
        [
            ((None, 60), NA),
            ((60, None), NA),
            (("", 60), NA),
            (("60", 70), VALUE),
            ((60, True), VALUE),
            ((60, 70, "50"), VALUE),
            (([[60, 70]], 70), VALUE),  # range for a single value
            ((NA, 70), NA),
            ((60, REF), REF),
            (("x", DIV0), DIV0),  # incoming error first
            ((NA, REF), NA),  # first in argument order
            ((60, 70, NAME, REF), NAME),
            ((None, "x"), VALUE),  # #VALUE! before #N/A
            ((date(2026, 1, 1), 50), VALUE),  # a date in a number argument
        ],
    )
    def test_errors(self, args, expected):
        check(U.KAM_QUADRANT(*args), expected)


class TestTier:
    @pytest.mark.parametrize(
        "args, expected",
        [
            ((70,), "A"),  # equal to threshold counts
            ((69.99,), "B"),
            ((40,), "B"),
            ((39.99,), "C"),
            ((100,), "A"),
            ((0,), "C"),
            (([[55]],), "B"),
            ((55, None, None), "B"),  # blank optionals -> defaults
            ((65, [[80, 60, 40]], [["Gold", "Silver", "Bronze", "Other"]]), "Silver"),
            ((80, [[80, 60, 40]], [["Gold", "Silver", "Bronze", "Other"]]), "Gold"),
            ((30, [[80, 60, 40]], [["Gold", "Silver", "Bronze", "Other"]]), "Other"),
            ((65, [[80], [60], [40]], [["Gold"], ["Silver"], ["Bronze"], ["Other"]]), "Silver"),
            ((60, 50, [["Hi", "Lo"]]), "Hi"),  # single-cell thresholds
            ((49, 50, [["Hi", "Lo"]]), "Lo"),
            ((50, [[50, 50]], [["A", "B", "C"]]), "A"),  # ties allowed
            ((49, [[50, 50]], [["A", "B", "C"]]), "C"),
        ],
    )
    def test_values(self, args, expected):
        check(U.KAM_TIER(*args), expected)

    def test_numeric_labels_returned_as_given(self):
        got = U.KAM_TIER(55, [[70, 40]], [[1, 2, 3]])
        assert got == 2 and not isinstance(got, (str, bool))

    @pytest.mark.parametrize(
        "args, expected",
        [
            ((55, [[70, 40]], [["A", "B"]]), VALUE),  # len(labels) != len(thresholds)+1
            ((55, [[70, 40]], [["A", "B", "C", "D"]]), VALUE),
            ((55, [[40, 70]], [["A", "B", "C"]]), NUM),  # ascending thresholds
            ((55, [[70, None]], [["A", "B", "C"]]), VALUE),  # blank in thresholds
            ((55, [[70, 40]], [["A", None, "C"]]), VALUE),  # blank in labels
            ((55, [[70, "40"]], [["A", "B", "C"]]), VALUE),
            ((None,), NA),
            (("",), NA),
            (("55",), VALUE),
            ((True,), VALUE),
            (([[55, 60]],), VALUE),
            ((NA,), NA),
            ((55, [[70, REF]]), REF),
            (("x", [[40, 70]], [["A", "B", "C"]]), VALUE),  # #VALUE! before #NUM!
            ((NA, [[70, 40]], [["A", "B"]]), NA),  # incoming error first
            ((None, [[40, 70]], [["A", "B", "C"]]), NUM),  # #NUM! before #N/A
        ],
    )
    def test_errors(self, args, expected):
        check(U.KAM_TIER(*args), expected)


# ======================================================================= Concentration


class TestPareto:
    @pytest.mark.parametrize(
        "args, expected",
        [
            # total 100; top1 50 < 80, top2 80 >= 80 -> 2/4
            (([[50, 30, 10, 10]],), 0.5),
            (([[10, 50, 10, 30]],), 0.5),  # unsorted input
            (([[50], [30], [10], [10]],), 0.5),  # column
            (([[50, 30], [10, 10]],), 0.5),  # 2-D
            (([[50, 30, 10, 10]], 0.5), 0.25),  # top1 50 >= 50
            (([[50, 30, 10, 10]], 1), 1.0),  # all four needed
            (([[50, 30, 20, 0]], 1), 0.75),  # zero counted in N: 3/4
            (([[50, 30, 10, 10]], None), 0.5),  # blank share -> 0.8
            (([[50, 30, 10, 10]], [[0.5]]), 0.25),  # share as a 1x1 list
            (([[50, None, 30, "", 10, 10]],), 0.5),  # blanks ignored: N = 4
            (([[50, 30, -20, 20]],), 0.5),  # -20 clipped to 0: total 100, top2 80, N=4
            ((100,), 1.0),  # bare scalar: 1/1
            (([[100]],), 1.0),
            # binary rounding: 0.7+0.1 = 0.7999999999999999 of 0.9999999999999999 -> 2/4
            (([[0.7, 0.1, 0.1, 0.1]],), 0.5),
            # 7/25 = 0.28 exactly, though 0.28*25 = 7.000000000000001 in binary -> 1/4
            (([[7, 6, 6, 6]], 0.28), 0.25),
        ],
    )
    def test_values(self, args, expected):
        check(U.KAM_PARETO(*args), expected)

    @pytest.mark.parametrize(
        "args, expected",
        [
            (([[0, 0]],), NA),
            (([[None, None]],), NA),
            (([[-5, 0]],), NA),  # clipped total 0
            (([[50, 50]], 0), NUM),
            (([[50, 50]], 1.2), NUM),
            (([[50, 50]], -0.1), NUM),
            (([[50, "30"]],), VALUE),
            (([[50, True]],), VALUE),
            (([[50, 30]], "0.8"), VALUE),
            (([[50, 30]], [[0.5, 0.8]]), VALUE),
            (([[50, NA]],), NA),
            (([[50, 30]], REF), REF),
            (([[0, 0]], 1.5), NUM),  # #NUM! before #N/A
            (([["x", 0]], 1.5), VALUE),  # #VALUE! before #NUM!
            (([["x", DIV0]], 1.5), DIV0),  # incoming error first
        ],
    )
    def test_errors(self, args, expected):
        check(U.KAM_PARETO(*args), expected)


class TestTopShare:
    REV10 = [[40, 20, 10, 10, 5, 5, 4, 3, 2, 1]]  # total 100

    @pytest.mark.parametrize(
        "args, expected",
        [
            # 15 accounts 15..1, total 120; ceil(0.2*15) = 3: 15+14+13 = 42 -> 0.35
            (([list(range(15, 0, -1))], 0.2), 0.35),
            (([list(range(1, 16))],), 0.35),  # default top = 0.2, unsorted
            (([[v] for v in range(1, 16)],), 0.35),  # as a column
            # 25 accounts 25..1, total 325; ceil(0.28*25) = 7 (not 8): 25+..+19 = 154
            (([list(range(25, 0, -1))], 0.28), 154 / 325),
            ((REV10,), 0.6),  # ceil(0.2*10) = 2 -> 60/100
            ((REV10, 0.25), 0.7),  # ceil(2.5) = 3 -> 70/100
            ((REV10, 1), 1.0),
            ((REV10, 0.01), 0.4),  # ceil(0.1) = 1 -> 40/100
            ((REV10, None), 0.6),
            # negative clipped: 0, 30, 70 -> total 100; ceil(0.6) = 1 -> 0.7
            (([[-10, 30, 70]],), 0.7),
            # blanks ignored: N = 5 -> ceil(1.0) = 1 -> 40/100
            (([[40, 30, 20, 10, 0, None, None, None, None, None]],), 0.4),
            # zeros counted in N: N = 10 -> ceil(2) = 2 -> 80/100
            (([[60, 20, 10, 5, 5, 0, 0, 0, 0, 0]],), 0.8),
            ((50,), 1.0),
        ],
    )
    def test_values(self, args, expected):
        check(U.KAM_TOPSHARE(*args), expected)

    @pytest.mark.parametrize(
        "args, expected",
        [
            (([[0, 0, 0]],), NA),
            (([[None]],), NA),
            ((REV10, 0), NUM),
            ((REV10, 1.5), NUM),
            ((REV10, -0.2), NUM),
            (([[40, "20"]],), VALUE),
            ((REV10, "0.2"), VALUE),
            (([[40, NA]],), NA),
            (([[0, 0]], 2), NUM),  # #NUM! before #N/A
        ],
    )
    def test_errors(self, args, expected):
        check(U.KAM_TOPSHARE(*args), expected)


class TestHHI:
    @pytest.mark.parametrize(
        "revenues, hhi",
        [
            ([[50, 50]], 5000.0),  # 50² + 50²
            ([[100]], 10000.0),
            (100, 10000.0),
            ([[50, 30, 20]], 3800.0),  # 2500 + 900 + 400
            ([[50], [30], [20]], 3800.0),
            ([[25, 25], [25, 25]], 2500.0),  # 4 * 625
            ([[50, 50, -20]], 5000.0),  # clipped
            ([[50, None, 50, ""]], 5000.0),  # blanks ignored
            ([[100, 0]], 10000.0),
            ([[5, 3, 2]], 3800.0),  # shares 0.5/0.3/0.2
        ],
    )
    def test_values(self, revenues, hhi):
        check(U.KAM_HHI(revenues), hhi)
        # effective N = 10,000 / HHI
        check(U.KAM_EFFECTIVE_N(revenues), 10000 / hhi)

    def test_effective_n_hand(self):
        check(U.KAM_EFFECTIVE_N([[50, 30, 20]]), 10000 / 3800)  # 2.6315789...
        check(U.KAM_EFFECTIVE_N([[25, 25, 25, 25]]), 4.0)
        check(U.KAM_EFFECTIVE_N([[7, 7, 7]]), 3.0)

    @pytest.mark.parametrize(
        "revenues, expected",
        [
            ([[0, 0]], NA),
            ([[None, None]], NA),
            ([[-10]], NA),
            ([[50, "50"]], VALUE),
            ([[50, False]], VALUE),
            ([[50, REF]], REF),
            ([["x", NA]], NA),
        ],
    )
    def test_errors(self, revenues, expected):
        check(U.KAM_HHI(revenues), expected)
        check(U.KAM_EFFECTIVE_N(revenues), expected)


# =========================================================================== Retention

RET_START = [[100, 200, 0, None, 50]]
RET_END = [[120, 150, 80, 30, None]]
# C = rows 1, 2, 5 (start 100, 200, 50); Σ_C start = 350; row 5 end blank = churned


class TestRetention:
    FUNCS = ["KAM_NRR", "KAM_GRR", "KAM_LOGO_RETENTION", "KAM_EXPANSION"]

    @pytest.mark.parametrize(
        "fname, expected",
        [
            ("KAM_NRR", 270 / 350),  # (120+150+0)/350 = 0.771428...
            ("KAM_GRR", 250 / 350),  # (100+150+0)/350 = 0.714285...
            ("KAM_LOGO_RETENTION", 2 / 3),  # rows 1, 2 of 3 kept
            ("KAM_EXPANSION", 20 / 350),  # (20+0+0)/350 = 0.0571428...
        ],
    )
    def test_example(self, fname, expected):
        f = getattr(U, fname)
        check(f(RET_START, RET_END), expected)
        # column vs row, and "" as a blank end
        start_col = [[100], [200], [0], [None], [50]]
        check(f(start_col, [[120, 150, 80, 30, ""]]), expected)

    @pytest.mark.parametrize(
        "fname, start, end, expected",
        [
            # growth: NRR 3, GRR capped at 1, logo 1, expansion 200/100
            ("KAM_NRR", [[100]], [[300]], 3.0),
            ("KAM_GRR", [[100]], [[300]], 1.0),
            ("KAM_LOGO_RETENTION", [[100]], [[300]], 1.0),
            ("KAM_EXPANSION", [[100]], [[300]], 2.0),
            ("KAM_NRR", 100, 300, 3.0),  # bare scalars
            # a negative end lowers the figures: Σ end = -20+100 = 80 of 200
            ("KAM_NRR", [[100, 100]], [[-20, 100]], 0.4),
            ("KAM_GRR", [[100, 100]], [[-20, 100]], 0.4),  # min(-20,100) + 100 = 80
            ("KAM_LOGO_RETENTION", [[100, 100]], [[-20, 100]], 0.5),
            ("KAM_EXPANSION", [[100, 100]], [[-20, 100]], 0.0),
            # end 0 is churned
            ("KAM_LOGO_RETENTION", [[100, 100, 100, 100]], [[0, 5, None, ""]], 0.25),
            ("KAM_NRR", [[100, 100, 100, 100]], [[0, 5, None, ""]], 5 / 400),
            # mixed: ends 150 and 50 on starts 100, 100
            ("KAM_NRR", [[100, 100]], [[150, 50]], 1.0),  # 200/200
            ("KAM_GRR", [[100, 100]], [[150, 50]], 0.75),  # (100+50)/200
            ("KAM_EXPANSION", [[100, 100]], [[150, 50]], 0.25),  # 50/200
            # 2-D blocks read row by row
            ("KAM_GRR", [[100, 100], [0, 50]], [[150, 50], [70, 0]], 150 / 250),
            # new accounts (start 0 / blank) are left out even with a big end
            ("KAM_NRR", [[100, 0, None]], [[90, 1000, 1000]], 0.9),
            # negative start is not in the cohort (start > 0)
            ("KAM_NRR", [[-10, 100]], [[5, 110]], 1.1),
        ],
    )
    def test_values(self, fname, start, end, expected):
        check(getattr(U, fname)(start, end), expected)

    @pytest.mark.parametrize(
        "start, end, expected",
        [
            ([[0, None]], [[10, 20]], NA),  # empty cohort
            ([[None]], [[None]], NA),
            ([[100, 200]], [[100]], VALUE),  # lengths differ
            ([[100, "200"]], [[100, 200]], VALUE),
            ([[100, 200]], [[True, 200]], VALUE),
            ([[100, 200]], [[NA, 200]], NA),
            ([[100, "x"]], [[100, REF]], REF),  # incoming error beats text
            ([[100, 0]], [[100, NA]], NA),  # error in a new account still propagates
            ([[0, "x"]], [[10, 10]], VALUE),  # #VALUE! before #N/A
        ],
    )
    def test_errors(self, start, end, expected):
        # the cohort rules are shared: every retention figure gives the same error
        for fname in self.FUNCS:
            check(getattr(U, fname)(start, end), expected)


# ======================================================================= Profitability


class TestMargin:
    @pytest.mark.parametrize(
        "args, expected",
        [
            ((1000, 600), 0.4),  # 400/1000
            ((1000, 600, 100), 0.3),  # 300/1000
            ((1000, 1200), -0.2),  # may be negative
            ((1000, 600, None), 0.4),  # blank cost_to_serve -> 0
            (([[1000]], [[600]], [[100]]), 0.3),
            # ranges summed first: (1000 - 600 - 100)/1000
            (([[600, 400]], [[300, 300]], [[50, 50]]), 0.3),
            (([[600], [400]], [[300, 300]]), 0.4),
            # only the rows with both a revenue and variable costs count: the 400 without
            # cost data is not a 100 % margin (issue 12), so (600 - 300) / 600
            (([[600, None, 400]], [[300, 300, None]]), 0.5),
            (([[600, 400]], [[300, None]], [[50, 50]]), 250 / 600),  # (600 - 300 - 50) / 600
            ((100, 0), 1.0),
        ],
    )
    def test_values(self, args, expected):
        check(U.KAM_MARGIN(*args), expected)

    @pytest.mark.parametrize(
        "args, expected",
        [
            ((0, 100), DIV0),
            (([[100, -100]], [[10]]), DIV0),  # summed revenue 0
            ((None, 100), NA),
            ((100, None), NA),
            (([[None, None]], [[10]]), NA),
            (("1000", 600), VALUE),
            ((1000, True), VALUE),
            ((1000, 600, "100"), VALUE),
            ((NA, 600), NA),
            ((1000, 600, REF), REF),
            ((0, "x"), VALUE),  # #VALUE! before #DIV/0!
            ((0, None), NA),  # #N/A before #DIV/0!
            (("x", NA), NA),  # incoming error first
            ((date(2026, 1, 1), 600), VALUE),
        ],
    )
    def test_errors(self, args, expected):
        check(U.KAM_MARGIN(*args), expected)


class TestSow:
    @pytest.mark.parametrize(
        "args, expected",
        [
            ((30, 100), 0.3),
            ((100, 100), 1.0),
            ((0, 100), 0.0),
            (([[30]], [[100]]), 0.3),
            # ranges: rows where both present: (30+50)/(100+100)
            (([[30, 20, 50]], [[100, None, 100]]), 0.4),
            (([[30, None, 50]], [[100, 100, 100]]), 0.4),
            (([[30], [20]], [[100, 100]]), 0.25),  # 50/200
        ],
    )
    def test_values(self, args, expected):
        check(U.KAM_SOW(*args), expected)

    @pytest.mark.parametrize(
        "args, expected",
        [
            ((30, None), NA),
            ((30, ""), NA),
            ((None, 100), NA),
            (([[30, None]], [[None, 100]]), NA),  # no row with both
            ((30, 0), NUM),  # revenue above a zero wallet: #NUM! wins over #DIV/0!
            ((0, 0), DIV0),
            ((120, 100), NUM),
            ((-10, 100), NUM),
            ((10, -100), NUM),
            ((10, 0), NUM),  # #NUM! before #DIV/0!
            (("30", 100), VALUE),
            ((30, True), VALUE),
            ((NA, 100), NA),
            ((30, REF), REF),
            (("x", 0), VALUE),
        ],
    )
    def test_errors(self, args, expected):
        check(U.KAM_SOW(*args), expected)


class TestClv:
    @pytest.mark.parametrize(
        "args, expected",
        [
            ((1000, 0.8, 0.1), 800 / 0.3),  # 1000*0.8/(1.1-0.8) = 2666.666...
            ((1000, 0.8, 0.1, None), 800 / 0.3),  # blank years -> infinite sum
            # q = 0.8/1.1 = 8/11: 1000*(8/11 + 64/121 + 512/1331) = 1000*2184/1331
            ((1000, 0.8, 0.1, 3), 1000 * 2184 / 1331),
            ((1000, 0.8, 0.1, 3.0), 1000 * 2184 / 1331),
            ((1000, 0.8, 0.1, 0), 0.0),
            ((1000, 0.8, 0.1, 1), 1000 * 0.8 / 1.1),
            ((1000, 1, 0, 5), 5000.0),  # r = 1, d = 0 with years: 5 * 1000
            ((1000, 1, 0.1), 10000.0),  # 1000/(1.1-1)
            ((1000, 0, 0.1), 0.0),
            ((1000, 0.5, 0), 1000.0),  # 500/(1-0.5)
            ((-100, 0.5, 0), -100.0),  # margin may be negative
            (([[1000]], [[0.8]], [[0.1]]), 800 / 0.3),
        ],
    )
    def test_values(self, args, expected):
        check(U.KAM_CLV(*args), expected)

    @pytest.mark.parametrize(
        "args, expected",
        [
            ((1000, 1, 0), NUM),
            ((1000, 1.1, 0.1), NUM),
            ((1000, -0.1, 0.1), NUM),
            ((1000, 0.8, -0.05), NUM),
            ((1000, 0.8, 0.1, 2.5), NUM),
            ((1000, 0.8, 0.1, -1), NUM),
            ((None, 0.8, 0.1), NA),
            ((REF, NA, 0.1), REF),  # first incoming error in argument order
            ((1000, DIV0, NA, REF), DIV0),
            ((1000, None, 0.1), NA),
            ((1000, 0.8, None), NA),
            (("1000", 0.8, 0.1), VALUE),
            ((1000, True, 0.1), VALUE),
            ((1000, 0.8, 0.1, "3"), VALUE),
            (([[1000, 2000]], 0.8, 0.1), VALUE),
            ((1000, NA, 0.1), NA),
            ((1000, 0.8, 0.1, REF), REF),
            ((None, 2, 0.1), NUM),  # #NUM! before #N/A
            (("x", 2, 0.1), VALUE),  # #VALUE! before #NUM!
            ((NA, 0.8, "x"), NA),
        ],
    )
    def test_errors(self, args, expected):
        check(U.KAM_CLV(*args), expected)


class TestRoi:
    @pytest.mark.parametrize(
        "args, expected",
        [
            ((150, 100), 0.5),
            ((50, 100), -0.5),
            ((0, 100), -1.0),
            (([[300]], [[100]]), 2.0),
        ],
    )
    def test_values(self, args, expected):
        check(U.KAM_ROI(*args), expected)

    @pytest.mark.parametrize(
        "args, expected",
        [
            ((100, 0), DIV0),
            ((None, 100), NA),
            ((100, None), NA),
            ((100, ""), NA),
            (("150", 100), VALUE),
            ((150, False), VALUE),
            (([[150, 10]], 100), VALUE),  # single value given a range
            ((NA, 100), NA),
            ((150, REF), REF),
            (("x", 0), VALUE),
            ((None, 0), NA),  # #N/A before #DIV/0!
            ((date(2026, 1, 1), 100), VALUE),
        ],
    )
    def test_errors(self, args, expected):
        check(U.KAM_ROI(*args), expected)


# ================================================================= Customer voice


class TestNps:
    @pytest.mark.parametrize(
        "scores, expected",
        [
            ([[10, 9, 8, 7, 6, 0]], 0.0),  # 2 promoters, 2 detractors of 6
            ([[10, 10, 9, 8]], 75.0),  # 3/4 - 0
            ([[0, 5, 6, 7]], -75.0),  # 0 - 3/4
            ([[10]], 100.0),
            (10, 100.0),
            ([[0]], -100.0),
            ([[7, 8]], 0.0),
            ([[10, None, "", 6]], 0.0),  # blanks skipped: 1/2 - 1/2
            ([[10, None, 9, 5]], 100 / 3),  # 2/3 - 1/3
            ([[10], [9], [5]], 100 / 3),  # column
            ([[10, 9], [5, None]], 100 / 3),  # 2-D
            ([[9.0, 6.0]], 0.0),  # whole numbers given as floats
        ],
    )
    def test_values(self, scores, expected):
        check(U.KAM_NPS(scores), expected)

    @pytest.mark.parametrize(
        "scores, expected",
        [
            ([[11, 9]], NUM),
            ([[-1, 9]], NUM),
            ([[7.5, 9]], NUM),
            ([[None, ""]], NA),
            (None, NA),
            ([["9", 9]], VALUE),
            ([[True, 9]], VALUE),
            ([[date(2026, 1, 1)]], VALUE),
            ([[9, NA]], NA),
            ([[11, "x"]], VALUE),  # #VALUE! before #NUM!
            ([["x", REF]], REF),  # incoming error first
            ([[11, DIV0]], DIV0),
        ],
    )
    def test_errors(self, scores, expected):
        check(U.KAM_NPS(scores), expected)


class TestCes:
    @pytest.mark.parametrize(
        "args, expected",
        [
            (([[1, 2, 3, 4, 5, 6, 7]],), 4.0),  # 28/7
            (([[2, 3]],), 2.5),
            (([[2.5, 3.5]],), 3.0),  # any number in range
            (([[2, None, "", 4]],), 3.0),  # blanks skipped
            (([[7]],), 7.0),
            ((5,), 5.0),
            (([[1, 5]], 5), 3.0),
            (([[1, 5]], None), 3.0),  # blank scale_max -> 7
            (([[10, 1]], 10), 5.5),
            (([[10, 1]], [[10]]), 5.5),
        ],
    )
    def test_values(self, args, expected):
        check(U.KAM_CES(*args), expected)

    @pytest.mark.parametrize(
        "args, expected",
        [
            (([[8]],), NUM),
            (([[0]],), NUM),
            (([[0.5]],), NUM),
            (([[6, 2]], 5), NUM),
            (([[None]],), NA),
            (([["3"]],), VALUE),
            (([[True]],), VALUE),
            (([[3]], "7"), VALUE),
            (([[3]], [[5, 7]]), VALUE),
            (([[3, NA]],), NA),
            (([[8, "x"]],), VALUE),
            (([[None]], 5), NA),
        ],
    )
    def test_errors(self, args, expected):
        check(U.KAM_CES(*args), expected)


class TestCsat:
    @pytest.mark.parametrize(
        "scores, expected",
        [
            ([[5, 4, 3, 2, 1]], 0.4),  # 2/5
            ([[5, 5]], 1.0),
            ([[1, 3]], 0.0),
            ([[4.5, 3.9]], 0.5),  # >= 4 counts, any number in range
            ([[4, None, "", 2]], 0.5),
            ([[4], [2], [5], [1]], 0.5),
            (4, 1.0),
        ],
    )
    def test_values(self, scores, expected):
        check(U.KAM_CSAT(scores), expected)

    @pytest.mark.parametrize(
        "scores, expected",
        [
            ([[6, 4]], NUM),
            ([[0, 4]], NUM),
            ([[None, None]], NA),
            ([["4"]], VALUE),
            ([[False, 4]], VALUE),
            ([[4, NA]], NA),
            ([[6, "x"]], VALUE),
        ],
    )
    def test_errors(self, scores, expected):
        check(U.KAM_CSAT(scores), expected)


class TestHealth:
    V = [[80, 60, 30]]

    @pytest.mark.parametrize(
        "args, expected",
        [
            ((V, W3), 64.0),  # 40 + 18 + 6
            ((V, [[0.5], [0.3], [0.2]]), 64.0),
            ((V, W3, [["higher", "higher", "LOWER"]]), 72.0),  # 40 + 18 + 0.2*70
            ((V, W3, [[1, 1, -1]]), 72.0),
            ((V, W3, [[None, "", "lower"]]), 72.0),
            ((V, W3, None), 64.0),
            (([[80, None, 30]], W3), 46 / 0.7),  # (40+6)/0.7 = 65.714...
            (([[0, 100]], [[1, 1]]), 50.0),
            (([[0, 100]], [[1, 1]], [[-1, -1]]), 50.0),  # 100 and 0
            ((70, 1), 70.0),
            ((70, 1, "lower"), 30.0),
        ],
    )
    def test_values(self, args, expected):
        check(U.KAM_HEALTH(*args), expected)

    @pytest.mark.parametrize(
        "args, expected",
        [
            (([[101, 50]], [[1, 1]]), NUM),
            (([[-1, 50]], [[1, 1]]), NUM),
            (([[80, 50]], [[1, -1]]), NUM),
            (([[None, ""]], [[1, 1]]), NA),
            (([[80, None]], [[0, 1]]), DIV0),
            (([["80", 50]], [[1, 1]]), VALUE),
            (([[80, 50]], [[1, 1, 1]]), VALUE),
            (([[80, 50]], [[1, 1]], [["higher", "down"]]), VALUE),
            (([[80, 50]], [[1, None]]), VALUE),
            (([[80, True]], [[1, 1]]), VALUE),
            (([[80, NA]], [[1, 1]]), NA),
            (([[80, 50]], [[1, 1]], [[REF, 1]]), REF),
            (([[101, "x"]], [[1, 1]]), VALUE),
        ],
    )
    def test_errors(self, args, expected):
        check(U.KAM_HEALTH(*args), expected)


class TestRag:
    @pytest.mark.parametrize(
        "args, expected",
        [
            ((50,), "Red"),  # <= red_max
            ((50.01,), "Amber"),
            ((75,), "Amber"),
            ((75.01,), "Green"),
            ((0,), "Red"),
            ((-5,), "Red"),
            ((100,), "Green"),
            (([[40]],), "Red"),
            ((60, None, None), "Amber"),
            ((60, 40, 70), "Amber"),
            ((40, 40, 70), "Red"),
            ((70, 40, 70), "Amber"),
            ((71, 40, 70), "Green"),
            ((60, 60, 60), "Red"),  # red_max = amber_max allowed
            ((61, 60, 60), "Green"),
        ],
    )
    def test_values(self, args, expected):
        check(U.KAM_RAG(*args), expected)

    @pytest.mark.parametrize(
        "args, expected",
        [
            ((None,), NA),
            (("",), NA),
            (("50",), VALUE),
            ((True,), VALUE),
            ((60, 80, 70), NUM),  # red_max > amber_max
            ((60, "40"), VALUE),
            (([[10, 20]],), VALUE),
            ((NA,), NA),
            ((60, 40, REF), REF),
            ((None, 80, 70), NUM),  # #NUM! before #N/A
            (("x", 80, 70), VALUE),  # #VALUE! before #NUM!
        ],
    )
    def test_errors(self, args, expected):
        check(U.KAM_RAG(*args), expected)


class TestTrend:
    @pytest.mark.parametrize(
        "args, expected",
        [
            ((110, 100), "Up"),
            ((90, 100), "Down"),
            ((100, 100), "Same"),
            ((100.5, 100), "Up"),  # tolerance 0
            ((104, 100, 5), "Same"),
            ((105, 100, 5), "Same"),  # 5 is not > 5
            ((106, 100, 5), "Up"),
            ((95, 100, 5), "Same"),
            ((94, 100, 5), "Down"),
            ((110, 100, None), "Up"),
            (([[110]], [[100]]), "Up"),
            ((-10, -5), "Down"),
        ],
    )
    def test_values(self, args, expected):
        check(U.KAM_TREND(*args), expected)

    @pytest.mark.parametrize(
        "args, expected",
        [
            ((None, 100), NA),
            ((100, None), NA),
            ((100, ""), NA),
            ((100, 90, -1), NUM),
            (("110", 100), VALUE),
            ((110, True), VALUE),
            ((110, 100, "5"), VALUE),
            (([[110, 120]], 100), VALUE),
            ((NA, 100), NA),
            ((110, REF), REF),
            ((REF, NA), REF),
            ((None, 100, -1), NUM),  # #NUM! before #N/A
            (("x", 100, -1), VALUE),
        ],
    )
    def test_errors(self, args, expected):
        check(U.KAM_TREND(*args), expected)


# ========================================================================= Pipeline


class TestWinRate:
    @pytest.mark.parametrize(
        "args, expected",
        [
            # won 2 of closed 4 (open and blank left out)
            (([["won", "lost", "won", "no decision", "open", None]],), 0.5),
            (([["WON", "Lost", "No Decision"]],), 1 / 3),
            (([["gagné", "perdu", "sans suite", "en cours"]],), 1 / 3),
            (([["GAGNÉ", "Perdu", "Sans Suite", "EN COURS"]],), 1 / 3),
            (([["Gagné"], ["gagné"], ["PERDU"], ["En cours"]],), 2 / 3),  # column
            (([["gagne", "perdu"]],), 0.5),  # accents ignored
            (([["  won ", " lost"]],), 0.5),  # surrounding spaces ignored
            (([["won", ""], ["lost", "lost"]],), 1 / 3),  # 2-D, "" is blank
            (([["lost", "no decision"]],), 0.0),
            (("won",), 1.0),  # bare scalar
            # by value: won 100 of closed 100+300+100 (open 1000 left out)
            (([["won", "lost", "no decision", "open"]], [[100, 300, 100, 1000]]), 0.2),
            (([["won", "lost", "won"]], [[100, 100, None]]), 0.5),  # blank amount = 0
            (([["won", "lost", "won"]], [[100], [100], [""]]), 0.5),
            (([["won", "lost"]], None), 0.5),  # blank amounts -> by count
            (([["Gagné", "perdu"]], [[300, 100]]), 0.75),
        ],
    )
    def test_values(self, args, expected):
        check(U.KAM_WIN_RATE(*args), expected)

    @pytest.mark.parametrize(
        "args, expected",
        [
            (([["won", "maybe"]],), VALUE),
            (([["won", "lost", "won!"]],), VALUE),
            (([["won", 1]],), VALUE),
            (([["open", None, "en cours"]],), NA),
            (([[None, ""]],), NA),
            (([["won", "lost"]], [[0, 0]]), DIV0),
            (([["won", "lost"]], [[100, -5]]), NUM),
            (([["won", "lost"]], [[100, "5"]]), VALUE),
            (([["won", "lost"]], [[100, True]]), VALUE),
            (([["won", "lost"]], [[100, 5, 5]]), VALUE),  # lengths differ
            (([["won", NA]],), NA),
            (([["won", "lost"]], [[100, REF]]), REF),
            (([["maybe", NAME]],), NAME),  # incoming error first
            (([["maybe", "lost"]], [[-1, 1]]), VALUE),  # #VALUE! before #NUM!
            (([["open", "open"]], [[-1, 1]]), NUM),  # #NUM! before #N/A
            (([["open"]], [[0]]), NA),  # #N/A before #DIV/0!
        ],
    )
    def test_errors(self, args, expected):
        check(U.KAM_WIN_RATE(*args), expected)


class TestCycle:
    CREATED = [[date(2024, 1, 1), date(2024, 1, 10), date(2024, 2, 1)]]
    CLOSED = [[date(2024, 1, 11), date(2024, 1, 15), date(2024, 3, 1)]]
    # 10, 5, 29 days (2024 is a leap year) -> median 10

    @pytest.mark.parametrize(
        "created, closed, expected",
        [
            (CREATED, CLOSED, 10.0),
            (
                [[S_2024_01_01, S_2024_01_10, S_2024_02_01]],
                [[S_2024_01_11, S_2024_01_15, S_2024_03_01]],
                10.0,
            ),  # serials, same result
            ([[S_2024_01_01], [S_2024_01_10], [S_2024_02_01]], CLOSED, 10.0),  # mixed
            (
                [[datetime(2024, 1, 1, 9, 0), datetime(2024, 1, 10), datetime(2024, 2, 1, 23, 59)]],
                CLOSED,
                10.0,
            ),
            # even count: 10 and 5 -> 7.5
            (
                [[date(2024, 1, 1), date(2024, 1, 10)]],
                [[date(2024, 1, 11), date(2024, 1, 15)]],
                7.5,
            ),
            # rows without both dates skipped: only row 1 -> 10
            (
                [[date(2024, 1, 1), None, date(2024, 2, 1)]],
                [[date(2024, 1, 11), date(2024, 1, 15), None]],
                10.0,
            ),
            ([[date(2024, 1, 1)]], [[date(2024, 1, 1)]], 0.0),  # same day
            (date(2024, 1, 1), S_2024_01_11, 10.0),  # bare scalars
            # calendar days, time of day ignored: 23:00 -> 01:00 next day = 1 day
            ([[datetime(2024, 1, 1, 23, 0)]], [[datetime(2024, 1, 2, 1, 0)]], 1.0),
            ([[S_2024_01_01 + 0.75]], [[S_2024_01_11 + 0.25]], 10.0),  # not 9.5
        ],
    )
    def test_values(self, created, closed, expected):
        check(U.KAM_CYCLE(created, closed), expected)

    @pytest.mark.parametrize(
        "created, closed, expected",
        [
            ([[date(2024, 1, 11)]], [[date(2024, 1, 1)]], NUM),
            ([[S_2024_01_11]], [[S_2024_01_01]], NUM),
            ([[None, date(2024, 1, 1)]], [[date(2024, 1, 1), None]], NA),
            ([[None]], [[None]], NA),
            ([["2024-01-01"]], [[date(2024, 1, 11)]], VALUE),
            ([[True]], [[date(2024, 1, 11)]], VALUE),
            ([[date(2024, 1, 1), date(2024, 1, 2)]], [[date(2024, 1, 11)]], VALUE),
            ([[-5.0]], [[S_2024_01_11]], NUM),  # negative serial
            ([[NA]], [[date(2024, 1, 11)]], NA),
            ([[date(2024, 1, 1)]], [[REF]], REF),
            ([["x"]], [[NA]], NA),
            ([["x", date(2024, 1, 11)]], [[date(2024, 1, 1), date(2024, 1, 1)]], VALUE),
        ],
    )
    def test_errors(self, created, closed, expected):
        check(U.KAM_CYCLE(created, closed), expected)


FC = [[110, 90, 100]]
AC = [[100, 100, 100]]


class TestForecast:
    @pytest.mark.parametrize(
        "fname, forecast, actual, expected",
        [
            # WAPE: (10 + 10 + 0)/300
            ("KAM_WAPE", FC, AC, 20 / 300),
            ("KAM_WAPE", [[110], [90], [100]], AC, 20 / 300),
            ("KAM_WAPE", [[110, None, 100]], [[100, 100, None]], 0.1),  # only row 1
            ("KAM_WAPE", [[110, "", 100]], [[100, 100, ""]], 0.1),
            ("KAM_WAPE", [[-50]], [[-100]], 0.5),  # 50/100
            ("KAM_WAPE", 110, 100, 0.1),
            ("KAM_FORECAST_ACCURACY", FC, AC, 1 - 20 / 300),
            ("KAM_FORECAST_ACCURACY", [[300]], [[100]], 0.0),  # WAPE 2 -> max(0, -1)
            ("KAM_FORECAST_ACCURACY", [[100]], [[100]], 1.0),
            ("KAM_FORECAST_ACCURACY", [[110, None]], [[100, 5]], 0.9),
            # BIAS: (10 - 10 + 30)/300
            ("KAM_BIAS", [[110, 90, 130]], AC, 0.1),
            ("KAM_BIAS", [[80, 90]], [[100, 100]], -0.15),  # -30/200 under-forecast
            ("KAM_BIAS", FC, AC, 0.0),
            ("KAM_BIAS", [[110, 999]], [[100, None]], 0.1),
            # MAPE: mean(10/100, 5/50)
            ("KAM_MAPE", [[110, 45]], [[100, 50]], 0.1),
            ("KAM_MAPE", [[110, 5]], [[100, 0]], 0.1),  # A = 0 skipped
            ("KAM_MAPE", [[110, 30]], [[100, 20]], 0.3),  # mean(0.1, 0.5)
            ("KAM_MAPE", [[-110]], [[-100]], 0.1),
            ("KAM_MAPE", [[110, 30, None]], [[100, None, 7]], 0.1),
        ],
    )
    def test_values(self, fname, forecast, actual, expected):
        check(getattr(U, fname)(forecast, actual), expected)

    @pytest.mark.parametrize(
        "fname, forecast, actual, expected",
        [
            ("KAM_WAPE", [[10]], [[0]], DIV0),
            ("KAM_FORECAST_ACCURACY", [[10, 5]], [[0, 0]], DIV0),
            ("KAM_BIAS", [[10, 10]], [[50, -50]], DIV0),  # Σ A = 0
            ("KAM_MAPE", [[10, 5]], [[0, 0]], DIV0),  # none left
        ],
    )
    def test_zero_denominators(self, fname, forecast, actual, expected):
        check(getattr(U, fname)(forecast, actual), expected)

    @pytest.mark.parametrize(
        "forecast, actual, expected",
        [
            ([[10, None]], [[None, 10]], NA),  # no row with both
            ([[None]], [[None]], NA),
            ([[10, 20]], [[10]], VALUE),  # lengths differ
            ([["10", 20]], [[10, 20]], VALUE),
            ([[10, 20]], [[True, 20]], VALUE),
            ([[10, 20]], [[NA, 20]], NA),
            ([[REF, "x"]], [[10, 20]], REF),
            ([["x", 10]], [[10, NA]], NA),  # incoming error first
            ([["x"]], [[0]], VALUE),  # #VALUE! before #DIV/0!
        ],
    )
    def test_errors(self, forecast, actual, expected):
        # the row rules are shared: every forecast figure gives the same error
        for fname in ["KAM_WAPE", "KAM_FORECAST_ACCURACY", "KAM_BIAS", "KAM_MAPE"]:
            check(getattr(U, fname)(forecast, actual), expected)


# ======================================================================== Hygiene


class TestFreshness:
    D0 = date(2026, 1, 1)

    @pytest.mark.parametrize(
        "args, expected",
        [
            ((D0, D0), 100.0),  # 100 * 0.5^0
            ((D0, date(2026, 4, 1)), 50.0),  # 90 days = one half-life
            ((D0, D0 + timedelta(days=180)), 25.0),
            ((D0, D0 + timedelta(days=45)), 100 * 0.5**0.5),  # 70.7106...
            ((D0, D0 + timedelta(days=60), 30), 25.0),  # two half-lives of 30
            ((D0, D0 + timedelta(days=90), None), 50.0),  # blank half-life -> 90
            # serials give the same result
            ((S_2026_01_01, S_2026_04_01), 50.0),
            ((S_2026_01_01, date(2026, 4, 1)), 50.0),
            ((D0, S_2026_04_01), 50.0),
            ((datetime(2026, 1, 1), S_2026_01_01), 100.0),
            (([[D0]], [[date(2026, 4, 1)]]), 50.0),
            # calendar days, time ignored: 1 day -> 100 * 0.5^(1/90) = 99.2327...
            ((datetime(2026, 1, 1, 18, 0), datetime(2026, 1, 2, 6, 0)), 100 * 0.5 ** (1 / 90)),
            ((S_2026_01_01 + 0.75, S_2026_01_01 + 1.25), 100 * 0.5 ** (1 / 90)),
            ((datetime(2026, 1, 1, 8, 0), datetime(2026, 1, 1, 20, 0)), 100.0),
            ((S_2026_01_01, S_2026_01_01 + 0.9), 100.0),
            # 1900 system: serial 61 = 1900-03-01, serial 1 = 1900-01-01
            ((61.0, date(1900, 3, 1)), 100.0),
            ((1.0, date(1900, 1, 1)), 100.0),
        ],
    )
    def test_values(self, args, expected):
        check(U.KAM_FRESHNESS(*args), expected)

    def test_default_as_of_is_today(self):
        today = date.today()
        check(U.KAM_FRESHNESS(today), 100.0)
        check(U.KAM_FRESHNESS(today - timedelta(days=90)), 50.0)
        check(U.KAM_FRESHNESS(today - timedelta(days=90), None), 50.0)

    @pytest.mark.parametrize(
        "args, expected",
        [
            ((date(2026, 1, 2), date(2026, 1, 1)), NUM),  # last update after as_of
            ((S_2026_01_01 + 1, S_2026_01_01), NUM),
            ((date(2026, 1, 1), date(2026, 2, 1), 0), NUM),
            ((date(2026, 1, 1), date(2026, 2, 1), -5), NUM),
            ((-1.0, date(2026, 1, 1)), NUM),  # negative serial
            ((None, date(2026, 1, 1)), NA),
            (("", date(2026, 1, 1)), NA),
            (("2026-01-01", date(2026, 2, 1)), VALUE),
            ((True, date(2026, 2, 1)), VALUE),
            ((date(2026, 1, 1), date(2026, 2, 1), "90"), VALUE),
            ((date(2026, 1, 1), date(2026, 2, 1), date(2026, 1, 1)), VALUE),  # date as number
            (([[date(2026, 1, 1), date(2026, 1, 2)]], date(2026, 2, 1)), VALUE),
            ((NA, date(2026, 2, 1)), NA),
            ((date(2026, 1, 1), REF), REF),
            ((NA, "x"), NA),  # incoming error first
            ((date(2026, 1, 2), date(2026, 1, 1), "x"), VALUE),  # #VALUE! before #NUM!
            ((None, date(2026, 1, 1), 0), NUM),  # #NUM! before #N/A
        ],
    )
    def test_errors(self, args, expected):
        check(U.KAM_FRESHNESS(*args), expected)


class TestCoverage:
    @pytest.mark.parametrize(
        "args, expected",
        [
            (([["Decision Maker", "Champion", "Influencer"]],), 0.6),  # 3/5
            (
                (
                    [
                        ["DECISION MAKER"],
                        ["economic buyer"],
                        ["Influencer"],
                        ["champion"],
                        ["Executive Sponsor"],
                    ],
                ),
                1.0,
            ),
            (([["  champion ", None, ""]],), 0.2),
            (([["champion", "Champion"]],), 0.2),  # present twice, counts once
            (([["CFO", "champion"]],), 0.2),  # unknown roles ignored
            (([["CFO"]],), 0.0),
            (([[None, None]],), 0.0),
            (("champion",), 0.2),  # bare scalar
            (([["champion", "economic buyer"], ["influencer", None]],), 0.6),  # 2-D
            (([["Sponsor"]], [["champion", "sponsor"]]), 0.5),
            (([["champion"]], [["champion", "Champion", "sponsor"]]), 0.5),  # required dedup
            (([["champion"]], [["champion", None, "sponsor", ""]]), 0.5),  # blanks skipped
            (([["champion"]], None), 0.2),  # blank required -> defaults
            (([["Champion"]], "champion"), 1.0),
        ],
    )
    def test_values(self, args, expected):
        check(U.KAM_COVERAGE(*args), expected)

    @pytest.mark.parametrize(
        "args, expected",
        [
            (([["champion"]], [[None, None]]), NA),  # no required role
            (([["champion", 5]],), VALUE),  # a number among the roles
            (([["champion", NA]],), NA),
            (([["champion"]], [["champion", REF]]), REF),
            (([[5, NA]],), NA),  # incoming error first
        ],
    )
    def test_errors(self, args, expected):
        check(U.KAM_COVERAGE(*args), expected)


class TestVersion:
    def test_version(self):
        v = U.KAM_VERSION()
        assert isinstance(v, str) and v.strip() != ""
        assert v == kamxl.__version__


# ======================================================= Dates: datetime vs serial


@pytest.mark.parametrize(
    "d",
    [date(2024, 1, 1), date(2026, 1, 1), date(2025, 6, 30), date(2000, 2, 29), date(1900, 3, 1)],
)
def test_date_and_serial_agree(d):
    serial = float((d - date(1899, 12, 30)).days)
    later = d + timedelta(days=30)
    later_serial = serial + 30
    # 30 days with half-life 90 -> 100 * 0.5^(1/3) = 79.37005...
    exp = 100 * 0.5 ** (30 / 90)
    check(U.KAM_FRESHNESS(d, later), exp)
    check(U.KAM_FRESHNESS(serial, later_serial), exp)
    check(U.KAM_FRESHNESS(datetime(d.year, d.month, d.day), later_serial), exp)
    check(U.KAM_CYCLE([[serial]], [[later]]), 30.0)
    check(U.KAM_CYCLE([[d]], [[later_serial]]), 30.0)


def test_known_serials():
    assert (date(2026, 1, 1) - date(1899, 12, 30)).days == 46023
    assert (date(2024, 1, 1) - date(1899, 12, 30)).days == 45292
