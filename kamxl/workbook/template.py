"""Building the standard KAM workbook: the empty template and workbooks filled with data.

Everything comes from :mod:`kamxl.workbook.schema`: every data sheet is an Excel Table named
``tbl<Sheet>``; list columns get data validation from the ``Lists`` sheet; numbers, percents
and dates get their formats; headers are frozen; RAG, quadrant and tier are coloured by
conditional formatting; a ``Guide`` sheet explains each sheet in plain words; and the
computed columns of ``Accounts`` are formulas calling the ``KAM_*`` functions, live in Excel
with the add-in and recomputed by ``kamxl recalc`` without it.

The formulas and the headless recalc agree by construction:

- blank ratings reach ``KAM_SCORE`` as ``""`` (a formula turns a blank cell into 0, which
  would be a rating), and the criteria of the other axis are blanked the same way, so
  ``attractiveness`` is ``KAM_SCORE`` over the attractiveness criteria only;
- weights and directions are looked up by the Ratings headers, so the column order of
  Ratings does not matter; directions go in as 1/-1 whatever the language;
- settings are read by key from ``tblSettings`` through defined names (``cfg_scale_min``),
  with the same defaults as the reader.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from kamxl.files import atomic_write
from kamxl.workbook import schema
from kamxl.workbook.schema import Column, Kind, SheetDef

__all__ = ["FIXED_CREATED", "build_workbook", "computed_formulas"]

#: Creation date stamped in generated workbooks, so that building twice gives the same file.
FIXED_CREATED: Final = datetime(2026, 1, 1)

SHEET_ORDER: Final = (
    "Guide",
    "Accounts",
    "Ratings",
    "Criteria",
    "Revenue",
    "Health",
    "Surveys",
    "Stakeholders",
    "Opportunities",
    "Plan",
    "Risks",
    "Actions",
    "Meetings",
    "Handshake",
    "Settings",
    "Lists",
)

BRAND: Final = "#1F4E79"
#: calcId of Excel 365: a workbook stamped with it is not recalculated on opening.
_MODERN_CALC_ID: Final = 191029
_FILLS: Final = {
    "rag": {"Red": "#F4C7C3", "Amber": "#FCE8B2", "Green": "#B7E1CD"},
    "quadrant": {
        "Strategic": "#B7E1CD",
        "Star": "#C9DAF8",
        "Status": "#FCE8B2",
        "Streamline": "#E0E0E0",
    },
    "tier": {"A": "#B7E1CD", "B": "#FCE8B2", "C": "#F4C7C3", "D": "#E0E0E0"},
}

#: Settings the formulas read, with the Excel expression of their default.
_FORMULA_SETTINGS: Final = (
    "scale_min",
    "scale_max",
    "tier_thresholds",
    "tier_labels",
    "cut_attractiveness",
    "cut_strength",
    "red_max",
    "amber_max",
    "freshness_half_life_days",
    "w_adoption",
    "w_engagement",
    "w_satisfaction",
    "w_risk",
    "period",
    "as_of",
)


def _h(sheet: str, column: str, language: str) -> str:
    """The header of ``column`` of ``sheet`` in ``language`` (escaped for structured refs)."""
    text = schema.sheet_def(sheet).column(column).header(language)
    return text.replace("'", "''").replace("[", "'[").replace("]", "']").replace("#", "'#")


def _axis_test(values: str, axis: str) -> str:
    labels = schema.LISTS["axis"]
    return "+".join(f'({values}="{labels.label(axis, lang)}")' for lang in ("en", "fr"))


def computed_formulas(criteria: Sequence[str], language: str = "en") -> dict[str, str]:
    """The formula of each computed column of Accounts, for Ratings columns ``criteria``.

    Written as stored in the file (``tblAccounts[[#This Row],[account_id]]``,
    ``_xlfn.XLOOKUP``), which Excel displays as ``[@account_id]`` and ``XLOOKUP``.
    """
    h = lambda sheet, column: _h(sheet, column, language)  # noqa: E731
    # The full form of a this-row reference: Excel shows it as [@account_id], and other
    # spreadsheets (LibreOffice) parse it where they fail on [[#This Row],account_id].
    me = f"tblAccounts[[#This Row],[{h('Accounts', 'account_id')}]]"
    first, last = criteria[0], criteria[-1]
    span = f"[{first}]:[{last}]" if first != last else f"[{first}]"
    ratings = f"XLOOKUP({me},tblRatings[{h('Ratings', 'account_id')}],tblRatings[{span}])"
    headers = f"tblRatings[[#Headers],{span}]"
    ids = f"tblCriteria[{h('Criteria', 'criterion_id')}]"
    weights = f"XLOOKUP({headers},{ids},tblCriteria[{h('Criteria', 'weight')}])"
    axes = f'XLOOKUP({headers},{ids},tblCriteria[{h("Criteria", "axis")}],"")'
    direction = f'XLOOKUP({headers},{ids},tblCriteria[{h("Criteria", "direction")}],"")'
    lower = schema.LISTS["direction"]
    is_lower = "+".join(f'({direction}="{lower.label("lower", lang)}")' for lang in ("en", "fr"))
    signs = f"IF({is_lower},-1,1)"
    scale = "cfg_scale_min,cfg_scale_max"
    present = f'IF(ISBLANK({ratings}),"",{ratings})'

    def axis_score(axis: str) -> str:
        kept = f'IF({_axis_test(axes, axis)},{present},"")'
        return f"KAM_SCORE({kept},{weights},{scale},{signs})"

    health_id, health_period = h("Health", "account_id"), h("Health", "period")
    health_rows = f"(tblHealth[{health_id}]={me})*(tblHealth[{health_period}]=cfg_period)"
    components = f"tblHealth[[{h('Health', 'adoption')}]:[{h('Health', 'risk')}]]"
    col = lambda name: f"tblAccounts[[#This Row],[{h('Accounts', name)}]]"  # noqa: E731
    formulas = {
        "attractiveness": axis_score("attractiveness"),
        "strength": axis_score("strength"),
        "score": f"KAM_SCORE({present},{weights},{scale},{signs})",
        "completeness": f"KAM_COMPLETENESS({present},{weights})",
        "quadrant": f"KAM_QUADRANT({col('attractiveness')},{col('strength')},"
        "cfg_cut_attractiveness,cfg_cut_strength)",
        "tier": f'KAM_TIER({col("score")},--TEXTSPLIT(cfg_tier_thresholds,","),'
        'TRIM(TEXTSPLIT(cfg_tier_labels,",")))',
        "margin": f"KAM_MARGIN({col('revenue_curr')},{col('variable_costs')},"
        f"{col('cost_to_serve')})",
        "sow": f"KAM_SOW({col('revenue_curr')},{col('wallet')})",
        "health": f"KAM_HEALTH(XLOOKUP(1,{health_rows},{components}),"
        "HSTACK(cfg_w_adoption,cfg_w_engagement,cfg_w_satisfaction,cfg_w_risk),{1,1,1,-1})",
        "rag": f"KAM_RAG({col('health')},cfg_red_max,cfg_amber_max)",
        "freshness": f"KAM_FRESHNESS({col('plan_updated')},cfg_as_of,cfg_freshness_half_life_days)",
    }
    return {name: _stored(f'=IF({me}="","",{body})') for name, body in formulas.items()}


#: Functions newer than Excel 2007, stored with the ``_xlfn.`` prefix in the file.
_FUTURE_FUNCTIONS: Final = re.compile(r"(?<![\w.])(XLOOKUP|TEXTSPLIT|HSTACK)\(")


def _stored(formula: str) -> str:
    """A formula as Excel stores it: newer functions prefixed with ``_xlfn.``."""
    return _FUTURE_FUNCTIONS.sub(r"_xlfn.\1(", formula)


def _setting_names(language: str) -> dict[str, str]:
    """Defined names cfg_<key>: the setting's value, or its default when blank or absent."""
    key, value = _h("Settings", "key", language), _h("Settings", "value", language)
    revenue, period = _h("Revenue", "revenue", language), _h("Revenue", "period", language)
    p = f"tblRevenue[{period}]"
    # The latest period with revenue, as the reader's default: periods ordered by last month.
    month_key = (
        f'IFERROR((tblRevenue[{revenue}]<>"")*(VALUE(LEFT({p},4))*12+IF(MID({p},6,1)="Q",'
        f"VALUE(RIGHT({p},1))*3,VALUE(RIGHT({p},2)))),0)"
    )
    defaults = {s.key: s.default for s in schema.SETTINGS}
    names = {}
    for setting in _FORMULA_SETTINGS:
        lookup = f'_xlfn.XLOOKUP("{setting}",tblSettings[{key}],tblSettings[{value}],"")'
        default = defaults[setting]
        if setting == "period":
            fallback = f"_xlfn.XLOOKUP(MAX({month_key}),{month_key},{p})"
        elif setting == "as_of":
            fallback = "TODAY()"
        elif isinstance(default, str):
            fallback = f'"{default}"'
        else:
            fallback = f"{default:g}"
        names[f"cfg_{setting}"] = f'=IF({lookup}="",{fallback},{lookup})'
    return names


class _Formats:
    """The cell formats of the workbook, created once."""

    def __init__(self, book: Workbook) -> None:
        base = {"font_name": "Calibri", "font_size": 11, "valign": "top"}
        self.text = book.add_format(base)
        self.wrap = book.add_format({**base, "text_wrap": True})
        self.number = book.add_format({**base, "num_format": "#,##0"})
        self.decimal = book.add_format({**base, "num_format": "0.0"})
        self.integer = book.add_format({**base, "num_format": "0"})
        self.percent = book.add_format({**base, "num_format": "0%"})
        self.date = book.add_format({**base, "num_format": "yyyy-mm-dd"})
        self.title = book.add_format({"bold": True, "font_size": 18, "font_color": BRAND})
        self.heading = book.add_format(
            {"bold": True, "font_size": 13, "font_color": BRAND, "valign": "top"}
        )
        self.bold = book.add_format({**base, "bold": True, "text_wrap": True})
        self.fills = {
            colour: book.add_format({"bg_color": colour})
            for colour in {c for fills in _FILLS.values() for c in fills.values()}
        }

    def of(self, column: Column) -> Any:
        if column.kind is Kind.DATE:
            return self.date
        if column.kind is Kind.FRACTION:
            return self.percent
        if column.kind is Kind.INTEGER:
            return self.integer
        if column.kind is Kind.NUMBER:
            score_like = column.maximum == 100.0 or column.computed
            return self.decimal if score_like else self.number
        return self.wrap if column.width >= 28 else self.text


def _cell(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value


def _columns_of(sheet: SheetDef, criteria: Sequence[str]) -> list[Column]:
    if sheet.name == "Ratings":
        return [*sheet.columns, *(Column(c, Kind.INTEGER, minimum=1, maximum=5) for c in criteria)]
    if sheet.name == "Settings":
        description = Column("description", Kind.TEXT, french=("description",), width=60)
        return [*sheet.columns, description]
    return list(sheet.columns)


def build_workbook(
    path: Path | str,
    *,
    language: str = "en",
    rows: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    trust_cached_results: bool = False,
    overwrite: bool = True,
) -> Path:
    """Write a standard KAM workbook to ``path`` (atomically; an existing file is replaced
    only with ``overwrite``).

    Without ``rows`` it is the empty template (default criteria and settings, one blank row
    per table). With ``rows`` (sheet name -> records keyed by canonical column names, as
    :func:`kamxl.workbook.sample.sample_portfolio` gives), the tables hold those records;
    ``Settings`` and ``Criteria`` records replace the defaults.

    ``trust_cached_results`` is for a workbook whose formula results kamxl fills right after
    (:func:`build_sample`): Excel is then not asked to recalculate everything on opening, so
    it shows kamxl's results even where the add-in is not installed.
    """
    if language not in ("en", "fr"):
        raise ValueError(f"language must be en or fr, not {language!r}")
    data = dict(rows or {})
    data.setdefault("Criteria", [c.row(language) for c in schema.DEFAULT_CRITERIA])
    given_settings = {r["key"]: r.get("value") for r in data.get("Settings", [])}
    data["Settings"] = [
        {
            "key": s.key,
            "value": given_settings.get(s.key, s.default if s.key != "language" else language),
            "description": s.description_fr if language == "fr" else s.description,
        }
        for s in schema.SETTINGS
    ]
    criteria = [str(r["criterion_id"]) for r in data["Criteria"]]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    book.set_properties(
        {
            "title": "Standard KAM workbook" if language == "en" else "Classeur KAM standard",
            "subject": f"kamxl workbook contract version {schema.CONTRACT_VERSION}",
            "author": "kamxl",
            "created": FIXED_CREATED,
        }
    )
    if trust_cached_results:
        book.set_calc_mode("auto", calc_id=_MODERN_CALC_ID)
        book.calc_on_load = False
    formats = _Formats(book)
    sheets = {name: book.add_worksheet(name) for name in SHEET_ORDER}
    _write_guide(sheets["Guide"], formats, language)
    for sheet in schema.SHEETS:
        _write_table(book, sheets[sheet.name], sheet, data, criteria, formats, language)
    _write_lists(book, sheets["Lists"], formats, language)
    for name, formula in _setting_names(language).items():
        book.define_name(name, formula)
    sheets["Accounts"].activate()
    book.close()
    return atomic_write(Path(path), buffer.getvalue(), overwrite=overwrite)


def _write_table(
    book: Workbook,
    ws: Worksheet,
    sheet: SheetDef,
    data: Mapping[str, Sequence[Mapping[str, Any]]],
    criteria: Sequence[str],
    formats: _Formats,
    language: str,
) -> None:
    columns = _columns_of(sheet, criteria)
    records = list(data.get(sheet.name, ()))
    formulas = computed_formulas(criteria, language) if sheet.name == "Accounts" else {}
    lists = {name: definition for name, definition in schema.LISTS.items()}
    body: list[list[Any]] = []
    for record in records or [{}]:
        row = []
        for col in columns:
            value = record.get(col.name)
            if col.kind is Kind.LIST and isinstance(value, str) and col.list_name in lists:
                definition = lists[col.list_name]
                if value in definition.values:
                    value = definition.label(value, language)
            row.append(None if col.name in formulas else _cell(value))
        body.append(row)
    spec = []
    for col in columns:
        entry: dict[str, Any] = {"header": col.header(language), "format": formats.of(col)}
        if col.name in formulas:
            entry["formula"] = formulas[col.name]
        spec.append(entry)
    last_row = len(body)
    ws.add_table(
        0,
        0,
        last_row,
        len(columns) - 1,
        {"name": sheet.table, "columns": spec, "data": body, "style": "Table Style Medium 2"},
    )
    for j, col in enumerate(columns):
        ws.set_column(j, j, max(col.width, len(col.header(language)) + 3))
        _validate(ws, j, last_row, col, language)
        if col.name in formulas:
            # Dynamic-array formulas (Excel shows no implicit-intersection "@" before the
            # UDF calls), caching "" until computed rather than XlsxWriter's 0.
            for row in range(1, last_row + 1):
                ws.write_dynamic_array_formula(
                    row, j, row, j, formulas[col.name], formats.of(col), ""
                )
    ws.freeze_panes(1, 2 if sheet.name == "Accounts" else 1)
    _print_setup(ws, repeat_header=True)
    if sheet.name == "Accounts":
        _colour(book, ws, columns, last_row, formats)


def _print_setup(ws: Worksheet, *, repeat_header: bool) -> None:
    """Printed, a sheet fits the page width in landscape, its header on every page."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    if repeat_header:
        ws.repeat_rows(0)


def _validate(ws: Worksheet, j: int, last_row: int, col: Column, language: str) -> None:
    fr = language == "fr"
    if col.computed:
        return
    rule: dict[str, Any] | None = None
    if col.kind is Kind.LIST and col.list_name:
        rule = {"validate": "list", "source": f"=list_{col.list_name}"}
        message = "Choisissez une valeur de la liste." if fr else "Pick a value from the list."
    elif col.kind in (Kind.NUMBER, Kind.INTEGER, Kind.FRACTION) and (
        col.minimum is not None or col.maximum is not None
    ):
        kind = "integer" if col.kind is Kind.INTEGER else "decimal"
        if col.maximum is None:
            rule = {"validate": kind, "criteria": ">=", "value": col.minimum}
            message = f"≥ {col.minimum:g}"
        else:
            rule = {
                "validate": kind,
                "criteria": "between",
                "minimum": col.minimum,
                "maximum": col.maximum,
            }
            message = f"{col.minimum:g} – {col.maximum:g}"
    elif col.kind is Kind.DATE:
        rule = {"validate": "date", "criteria": ">", "value": datetime(1900, 1, 1)}
        message = "Saisissez une date." if fr else "Type a date."
    if rule is None:
        return
    rule.update(
        {
            "error_type": "warning",
            "error_title": col.header(language),
            "error_message": message,
            "ignore_blank": True,
        }
    )
    ws.data_validation(1, j, max(last_row, 1), j, rule)


def _colour(
    book: Workbook, ws: Worksheet, columns: list[Column], last_row: int, formats: _Formats
) -> None:
    names = [c.name for c in columns]
    for column, fills in _FILLS.items():
        j = names.index(column)
        for text, colour in fills.items():
            ws.conditional_format(
                1,
                j,
                max(last_row, 1),
                j,
                {
                    "type": "cell",
                    "criteria": "==",
                    "value": f'"{text}"',
                    "format": formats.fills[colour],
                },
            )


def _write_lists(book: Workbook, ws: Worksheet, formats: _Formats, language: str) -> None:
    """One column per list (the data-validation sources), then the French header aliases."""
    col = 0
    for name, definition in schema.LISTS.items():
        ws.write(0, col, name, formats.bold)
        labels = definition.labels(language)
        for i, label in enumerate(labels, start=1):
            ws.write_string(i, col, label, formats.text)
        book.define_name(
            f"list_{name}", f"=Lists!${_letter(col)}$2:${_letter(col)}${len(labels) + 1}"
        )
        ws.set_column(col, col, max(14, len(name) + 2))
        col += 1
    col += 1
    aliases = [
        [sheet.name, column.name, alias]
        for sheet in schema.SHEETS
        for column in sheet.columns
        for alias in column.french
        if alias != column.name
    ]
    ws.add_table(
        0,
        col,
        len(aliases),
        col + 2,
        {
            "name": "tblAliases",
            "columns": [{"header": "sheet"}, {"header": "column"}, {"header": "alias"}],
            "data": aliases,
            "style": "Table Style Light 1",
        },
    )
    ws.set_column(col, col + 2, 18)
    ws.freeze_panes(1, 0)


def _letter(index: int) -> str:
    from kamxl.workbook.model import column_letter

    return column_letter(index)


_GUIDE_INTRO: Final = {
    "en": (
        "Standard KAM workbook",
        "One workbook holds your portfolio: every account, its plan, its numbers and its people, "
        "keyed by account_id. Fill the white columns; the computed columns of Accounts "
        "(score, quadrant, tier, margin, health...) calculate themselves with the kamxl add-in "
        "(or run `kamxl recalc`). Lists give the allowed values; Settings the period, scales and "
        "cut-offs. Extra columns and sheets are welcome: kamxl keeps them.",
        "Never shown to a client (client-safe decks leave them out): ",
    ),
    "fr": (
        "Classeur KAM standard",
        "Un classeur contient votre portefeuille : chaque compte, son plan, ses chiffres et ses "
        "interlocuteurs, identifiés par account_id (compte). Remplissez les colonnes blanches ; "
        "les colonnes calculées de Accounts (score, quadrant, niveau, marge, santé...) se "
        "calculent avec le complément kamxl (ou `kamxl recalc`). Lists donne les valeurs "
        "permises ; Settings la période, les échelles et les seuils. Ajoutez colonnes et "
        "feuilles à votre guise : kamxl les conserve.",
        "Jamais montré au client (les présentations client les omettent) : ",
    ),
}


def _height(*texts_and_widths: Any) -> float:
    """Row height (points) for wrapped texts in columns of the given widths: no spreadsheet
    autofits the rows of a written file, so the lines are estimated (about 1.1 characters per
    width unit in Calibri 11)."""
    pairs = zip(texts_and_widths[::2], texts_and_widths[1::2], strict=True)
    lines = max(-(-len(str(text)) // int(width * 1.1)) for text, width in pairs)
    return 15.0 * max(lines, 1)


def _write_guide(ws: Worksheet, formats: _Formats, language: str) -> None:
    title, intro, internal = _GUIDE_INTRO[language]
    fr = language == "fr"
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 70)
    ws.set_column(2, 2, 20)
    ws.set_column(3, 3, 40)
    ws.write(0, 0, title, formats.title)
    ws.merge_range(1, 0, 1, 3, intro, formats.wrap)
    ws.set_row(1, _height(intro, 18 + 70 + 20 + 40))
    ws.write_row(
        3,
        0,
        ["Feuille", "Ce qu'elle contient", "Une ligne par", "Colonnes obligatoires"]
        if fr
        else ["Sheet", "What it holds", "One row per", "Required columns"],
        formats.heading,
    )
    row = 4
    for sheet in schema.SHEETS:
        required = ", ".join(sheet.column(c).header(language) for c in sheet.required)
        if sheet.name == "Ratings":
            required += ", " + ("un critère par colonne" if fr else "one column per criterion")
        description = sheet.description_fr if fr else sheet.description
        ws.write(row, 0, sheet.name, formats.bold)
        ws.write(row, 1, description, formats.wrap)
        ws.write(row, 2, sheet.one_row_per, formats.text)
        ws.write(row, 3, required, formats.wrap)
        ws.set_row(row, _height(description, 70, required, 40))
        row += 1
    row += 1
    computed = ", ".join(
        schema.sheet_def("Accounts").column(c).header(language) for c in schema.COMPUTED_COLUMNS
    )
    ws.write(row, 0, "Calculé" if fr else "Computed", formats.heading)
    ws.write(row, 1, computed, formats.wrap)
    ws.set_row(row, _height(computed, 70))
    row += 1
    fields = [f"{s.name}.{c}" for s in schema.SHEETS for c in s.internal_columns]
    text = (
        internal
        + ", ".join(fields)
        + (
            "; la feuille Risks ; les interlocuteurs bloqueurs ; les lignes du plan non visibles."
            if fr
            else "; the Risks sheet; blocker stakeholders; plan rows not client_visible."
        )
    )
    ws.write(row, 0, "Interne" if fr else "Internal", formats.heading)
    ws.write(row, 1, text, formats.wrap)
    ws.set_row(row, _height(text, 70))
    ws.hide_gridlines(2)
    _print_setup(ws, repeat_header=False)


def build_sample(path: Path | str, *, overwrite: bool = False) -> Path:
    """Write the sample portfolio workbook, its computed cells filled by ``kamxl recalc``.

    The formulas stay live for Excel; their cached results are kamxl's, so pandas, BI tools
    and viewers without the add-in see real numbers. The draft workbook in between is a
    temporary file of kamxl's (:func:`kamxl.files.scratch_file`), never a name of the user's.
    """
    from kamxl.files import check_output, scratch_file
    from kamxl.workbook.sample import sample_portfolio
    from kamxl.workbook.writer import recalc_workbook

    target = check_output(Path(path), overwrite=overwrite)
    with scratch_file(target.parent) as draft:
        build_workbook(draft, rows=sample_portfolio(), trust_cached_results=True)
        recalc_workbook(draft, target, overwrite=overwrite)
    return target
