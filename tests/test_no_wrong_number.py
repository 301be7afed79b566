"""A figure comes from valid inputs or not at all.

The property: corrupt one input cell of the sample, the way users do (text in a number
cell, an error value, a blank in a required column, a value out of its range, a value not
in its list, a formula saved without its result), and every figure kamxl shows -- the
summary, the recalculated cells, the deck contexts of every deck kind -- is either exactly
the clean workbook's or missing. Never another number.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pptx import Presentation

from kamxl.deck.context import Audience, handshake_context, portfolio_context, qbr_context
from kamxl.deck.make import selected_accounts
from kamxl.errors import UnusableSettingError
from kamxl.workbook import schema
from kamxl.workbook.kpis import (
    Figure,
    Tally,
    key_accounts,
    portfolio_kpis,
    require_essential_settings,
)
from kamxl.workbook.model import KamWorkbook
from kamxl.workbook.reader import _BLANK_ALLOWED, read_workbook
from tests.cells import ERROR, FORMULA, set_cell
from tests.conftest import SAMPLE

AS_OF = date(2026, 10, 15)
MISSING = None
#: Fields that are not figures: talk-track notes, and what was left out (they say why).
_NOT_FIGURES = {"notes", "left_out", "meta"}


# --- every figure of a workbook, as {path: value} ------------------------------------------


def _identity(item: Any) -> str | None:
    """What an element of a list is, whatever its position: its Excel row, its name."""
    if isinstance(item, dict):
        for key in (
            "row",
            "account_id",
            "name",
            "opportunity",
            "action",
            "objective",
            "risk",
            "initiative",
        ):
            if item.get(key) is not None:
                return f"{key}={item[key]}"
        return None
    if dataclasses.is_dataclass(item):
        if getattr(item, "row", None) is not None:
            return f"row={item.row}"
        facts = getattr(item, "facts", None)
        if isinstance(facts, dict) and facts.get("row") is not None:
            return f"{item.kind}|row={facts['row']}"
        for key in ("account_id", "name", "kind"):
            if getattr(item, key, None) is not None:
                facts = getattr(item, "facts", {})
                extra = facts.get("name", facts.get("date")) if isinstance(facts, dict) else ""
                return f"{key}={getattr(item, key)}|{extra}"
    if isinstance(item, tuple) and item and isinstance(item[0], str):
        return f"name={item[0]}"
    if isinstance(item, (str, date)):
        return f"value={item}"
    return None


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every figure in ``value``: (path, plain value), lists keyed by their items' identity."""
    if isinstance(value, Figure):
        yield path, value.value
    elif isinstance(value, Tally):
        yield from leaves(value.counts, path)
    elif isinstance(value, Audience):
        yield path, str(value)
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            if f.name not in _NOT_FIGURES:
                yield from leaves(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{path}[{key}]")
    elif isinstance(value, (list, tuple)):
        keys = [_identity(item) for item in value]
        for i, (key, item) in enumerate(zip(keys, value, strict=True)):
            unique = key is not None and keys.count(key) == 1
            yield from leaves(item, f"{path}[{key if unique else i}]")
    elif isinstance(value, np.generic):
        yield path, value.item()
    else:
        yield path, value


def _series(ctx: Any) -> dict[str, Any]:
    """The per-period series of a QBR keyed by their period (they are lists aligned with
    ``periods`` / ``health_periods``)."""
    out = {}
    for name, values in (("actual", ctx.actual), ("forecast", ctx.forecast)):
        out.update({f".{name}[{p}]": v for p, v in zip(ctx.periods, values, strict=True)})
    for name, values in ctx.health_series:
        out.update(
            {f".health[{name}][{p}]": v for p, v in zip(ctx.health_periods, values, strict=True)}
        )
    return out


def figures(book: KamWorkbook) -> dict[str, Any]:
    """Every figure kamxl shows for ``book``: summary, recalculated cells, decks. (Without a
    currency or a period that passes the check, kamxl shows no summary and no deck at all:
    only the recalculated cells.)"""
    out: dict[str, Any] = {}
    rows = book.accounts["_row"].tolist()  # a recalculated cell is where it is, whatever its id
    for name, results in book.computed.items():
        for row, value, code in zip(rows, results.values, results.errors, strict=True):
            out[f"computed[row {row}].{name}"] = MISSING if code else _plain(value)
    try:
        require_essential_settings(book)
    except UnusableSettingError:
        return out
    out.update(leaves(portfolio_kpis(book), "summary"))
    key, _, _ = key_accounts(book)
    out.update(leaves(key, "summary.key_accounts"))
    if not book.settings.period:
        return out
    portfolio = portfolio_context(book, as_of=AS_OF)
    for path, value in leaves(portfolio, "portfolio"):
        if not path.startswith(("portfolio.matrix[", "portfolio.matrix_accounts")):
            out[path] = value
    for account, point in zip(portfolio.matrix_accounts, portfolio.matrix, strict=True):
        out.update(leaves(point[1:], f"portfolio.matrix[{account}]"))
    for account in selected_accounts(book):
        for audience in Audience:
            ctx = qbr_context(book, account, audience=audience, as_of=AS_OF)
            prefix = f"qbr[{account}][{audience}]"
            series = _series(ctx)
            for path, value in leaves(ctx, prefix):
                if not path.startswith(
                    tuple(f"{prefix}.{s}" for s in ("actual", "forecast", "health_series"))
                ):
                    out[path] = value
            out.update({prefix + k: v for k, v in series.items()})
        out.update(leaves(handshake_context(book, account, as_of=AS_OF), f"handshake[{account}]"))
    return out


def _names_shown(book: KamWorkbook, found: dict[str, Any]) -> dict[str, Any]:
    """Account names as shown: an account whose name cell is bad shows its account_id (a
    label, not a figure); that is not another value."""
    ids = set(book.accounts["account_id"].dropna())
    return {
        path: MISSING if path.endswith((".name", "[name]")) and value in ids else value
        for path, value in found.items()
    }


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    return a == b


def wrong_figures(clean: dict[str, Any], corrupted: dict[str, Any]) -> list[str]:
    """The figures of ``corrupted`` that are neither the clean one nor missing."""
    wrong = []
    for path, value in corrupted.items():
        if value is MISSING or (isinstance(value, float) and math.isnan(value)):
            continue
        if path not in clean:
            wrong.append(f"{path} = {value!r} (not in the clean run)")
        elif not _same(clean[path], value):
            wrong.append(f"{path} = {value!r}, clean run {clean[path]!r}")
    return wrong


# --- corrupting one cell --------------------------------------------------------------------


@cache
def clean_book() -> KamWorkbook:
    return read_workbook(SAMPLE, as_of=AS_OF)


@cache
def clean_figures() -> dict[str, Any]:
    return figures(clean_book())


def _columns(book: KamWorkbook, sheet: str) -> list[schema.Column]:
    """The input columns of ``sheet`` present in the sample (criteria of Ratings too)."""
    data = book.sheets[sheet]
    if sheet == "Ratings":
        low, high = book.settings.scale_min, book.settings.scale_max
        extra = [
            schema.Column(c, schema.Kind.NUMBER, minimum=low, maximum=high)
            for c in book.criteria_columns
        ]
        columns = [schema.sheet_def(sheet).column("account_id"), *extra]
    else:
        columns = list(schema.sheet_def(sheet).columns)
    return [c for c in columns if not c.computed and c.name in data.letters]


def _bad_values(sheet: str, column: schema.Column) -> list[Any]:
    """Values that are not valid for ``column`` of ``sheet``: kamxl's check must flag each
    of them (a blank revenue is valid in a future period: a forecast-only row)."""
    values: list[Any] = [("#N/A", ERROR), ("#DIV/0!", ERROR), ("A2&B2", FORMULA)]
    if column.required and (sheet, column.name) not in _BLANK_ALLOWED:
        values.append(None)
    kind = column.kind
    if kind in (schema.Kind.NUMBER, schema.Kind.INTEGER, schema.Kind.FRACTION):
        values.append("12 000")
        if column.maximum is not None:
            values.append(column.maximum + 1)
        if column.minimum is not None:
            values.append(column.minimum - 1)
        if kind is schema.Kind.INTEGER:
            values.append(2.5)
    elif kind is schema.Kind.DATE:
        values.append("15/10/2026")
    elif kind is schema.Kind.PERIOD:
        values.append("next quarter")
    elif kind is schema.Kind.LIST:
        values.append("maybe")
    return values


_SHEETS = [s.name for s in schema.SHEETS if s.name not in ("Settings",)]
_SETTINGS_VALUES = {
    "period": ["next quarter", ("#N/A", ERROR)],
    "previous_period": ["last quarter"],
    "scale_min": ["one"],
    "scale_max": ["five", 0.5],
    "tier_thresholds": ["70;40", ("#REF!", ERROR)],
    "tier_labels": ["A,B"],
    "cut_attractiveness": ["half"],
    "cut_strength": [("#N/A", ERROR)],
    "red_max": ["fifty"],
    "amber_max": [("#VALUE!", ERROR)],
    "freshness_half_life_days": ["ninety"],
    "w_adoption": ["0,3"],
    "w_risk": [("#N/A", ERROR)],
    "language": ["klingon"],
    "as_of": ["yesterday"],
}


@st.composite
def corruptions(draw: st.DrawFn) -> tuple[str, str, Any]:
    """(sheet, cell address, bad value) for one input cell of the sample."""
    book = clean_book()
    if draw(st.integers(0, 9)) == 0:  # a setting, one time in ten
        settings_sheet = book.sheets["Settings"].frame
        keys = [k for k in _SETTINGS_VALUES if k in set(settings_sheet["key"])]
        key = draw(st.sampled_from(keys))
        cell = settings_sheet.loc[settings_sheet["key"] == key, "cell"].iloc[0]
        return "Settings", cell, draw(st.sampled_from(_SETTINGS_VALUES[key]))
    sheet = draw(st.sampled_from(_SHEETS))
    data = book.sheets[sheet]
    column = draw(st.sampled_from(_columns(book, sheet)))
    row = draw(st.sampled_from(data.frame["_row"].tolist()))
    value = draw(st.sampled_from(_bad_values(sheet, column)))
    return data.title, f"{data.letters[column.name]}{row}", value


_EXAMPLES = int(os.environ.get("KAMXL_PROPERTY_EXAMPLES", "40"))


@settings(
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(corruption=corruptions())
def test_a_corrupted_cell_gives_the_clean_figures_or_none(
    corruption: tuple[str, str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    sheet, address, value = corruption
    path = set_cell(SAMPLE, tmp_path_factory.mktemp("bad") / "bad.xlsx", sheet, address, value)
    book = read_workbook(path, as_of=AS_OF)
    assert book.errors, f"kamxl check does not flag {sheet}!{address} = {value!r}"
    wrong = wrong_figures(clean_figures(), _names_shown(book, figures(book)))
    assert wrong == [], f"{sheet}!{address} = {value!r} gives other numbers:\n" + "\n".join(
        wrong[:20]
    )


def test_the_figures_of_the_clean_sample_are_many() -> None:
    """The property means something only if it looks at many figures."""
    found = clean_figures()
    assert len(found) > 5000
    assert sum(isinstance(v, float) for v in found.values()) > 2000


def test_text_in_revenue_leaves_out_what_rests_on_it(tmp_path: Path) -> None:
    """The issue's case: "12 000" typed in revenue_curr. The portfolio's NRR is not
    computed (it was 76.4 % with the cell read as blank), nor the account's revenue; NPS
    and the other accounts' revenue are the clean run's."""
    path = set_cell(SAMPLE, tmp_path / "text.xlsx", "Accounts", "I2", "12 000")
    book = read_workbook(path, as_of=AS_OF)
    k = portfolio_kpis(book)
    assert not k.nrr.ok and k.nrr.bad_cells == ("Accounts!I2",)
    assert not k.revenue.ok and not k.hhi.ok
    clean = portfolio_kpis(clean_book())
    assert k.nps == clean.nps and k.win_rate == clean.win_rate
    ctx = qbr_context(book, "ACC-001", as_of=AS_OF)
    assert ctx.revenue is None and not ctx.nrr.ok and ctx.left_out["nrr"] == ("Accounts!I2",)
    other = qbr_context(book, "ACC-002", as_of=AS_OF)
    assert other.nrr == qbr_context(clean_book(), "ACC-002", as_of=AS_OF).nrr


def _kamxl(*args: str) -> subprocess.CompletedProcess[str]:
    kamxl = Path(sys.executable).with_name("kamxl")
    return subprocess.run([str(kamxl), *args], capture_output=True, text=True, check=False)


def test_summary_and_deck_stop_on_a_bad_cell_unless_asked_to_keep_going(tmp_path: Path) -> None:
    """The issue's case end to end: "12 000" in revenue_curr gave a summary with NRR 76.4 %
    and a QBR with NRR 0 %, both exit code 0. Now both stop (exit 1) naming the cell; with
    --keep-going the NRR is "—" with a footnote naming it, and the other figures stand."""
    path = set_cell(SAMPLE, tmp_path / "text.xlsx", "Accounts", "I2", "12 000")
    problem = "text.xlsx Accounts!I2: error: '12 000': revenue_curr: text, expected a number"
    refused = tmp_path / "out"
    for args in (["summary", str(path)], ["deck", str(path), "--kind", "all", "-o", str(refused)]):
        done = _kamxl(*args)
        assert done.returncode == 1, done.stdout
        assert problem in done.stderr and "--keep-going" in done.stderr
        assert done.stdout == ""
    assert not refused.exists()  # not even an empty folder
    kept = _kamxl("summary", str(path), "--keep-going")
    assert kept.returncode == 0, kept.stderr
    assert re.search(r"Net / gross revenue retention\s+—¹ / —¹", kept.stdout)
    assert "¹ not computed: it rests on cells that fail the check: Accounts!I2" in kept.stdout
    assert re.search(r"NPS\s+34\.1 \(n = 85\)", kept.stdout)  # the clean run's
    assert "nan" not in kept.stdout and "0.0%" not in kept.stdout
    out = tmp_path / "decks"
    built = _kamxl("deck", str(path), "--account", "ACC-001", "-o", str(out), "--keep-going")
    assert built.returncode == 0, built.stderr
    assert "left out" in built.stderr and "Accounts!I2" in built.stderr
    (deck,) = out.glob("*.pptx")
    notes = Presentation(str(deck)).slides[0].notes_slide.notes_text_frame.text
    assert "Net revenue retention: Accounts!I2" in notes
    scorecard = Presentation(str(deck)).slides[3]
    texts = [s.text_frame.text for s in scorecard.shapes if s.has_text_frame]
    assert "0%" not in texts and "—" in texts
