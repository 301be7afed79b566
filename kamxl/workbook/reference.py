"""``docs/workbook.md``, generated from the schema (``python -m kamxl.workbook.reference``).

The reference of the standard workbook is written from :mod:`kamxl.workbook.schema`, so the
docs cannot drift from what the template builds and the reader accepts; a test compares the
committed page with this output.
"""

from __future__ import annotations

from kamxl.workbook import schema
from kamxl.workbook.template import computed_formulas

_INTRO = """\
# The standard KAM workbook

*Generated from `kamxl/workbook/schema.py` by `python -m kamxl.workbook.reference`; do
not edit by hand.*

One workbook holds a portfolio: the accounts of a key account manager, a business unit or
a whole company, with the account plan detail of each, keyed by `account_id`. This page is
the reference of contract version {version} (`shared/spec/workbook.md`), as kamxl
implements it.

Get the empty workbook with `kamxl template -o my_portfolio.xlsx` (`--lang fr` for French
headers, lists and guide), and a filled example with `kamxl sample -o sample.xlsx`.

## Rules

- Every data sheet is an Excel Table named `tbl<Sheet>` with its headers in row 1. Column
  order is free; extra columns and extra sheets are allowed and survive every kamxl
  operation (`kamxl recalc` rewrites only the computed cells of Accounts).
- Headers are matched without regard to case, accents, spaces, dashes or underscores
  (`Account ID`, `account-id` and `ACCOUNT_ID` are `account_id`), in English or through a
  French alias below (or one listed in the workbook's own `Lists` sheet, table
  `tblAliases`: columns `sheet`, `column`, `alias`).
- List values are matched the same way, in English or French (`clé` is `key`, `gagné` is
  `won`). Values a workbook adds to its own `Lists` sheet are accepted as they are.
- **R** marks a required column: a missing one is an error naming the sheet and the column;
  a blank cell in it is an error naming the cell.
- Dates are real Excel dates (a serial number is accepted; text such as `2026-09-01` is
  not). Periods are text `YYYY-Qn` or `YYYY-MM` (a date in a period column, as Excel makes
  of a typed `2026-07`, is read as its month).
- A blank row inside a table is skipped with a warning.
- A sheet's records are the data rows of its Excel Table (`tbl<Sheet>`): its header row is
  the table's first row (a title may stand above it), and its totals row (Excel's *Total
  Row*) is never a record. A sheet without a table has its headers in row 1 and its
  records below. See [what people do to workbooks](#what-people-do-to-workbooks).

## What `kamxl check` reports

Errors (exit code 1): a missing Accounts, Criteria or Ratings sheet; a missing required
column; a column given twice; a cell that is not of its column's kind (text in a number
cell, an Excel error such as `#N/A`, a word not in its list, a bad period or date); a
number outside its column's range (a rating off the Settings scale, a probability above 1);
a duplicate `account_id` in Accounts, Ratings or Handshake; an `account_id` not found in
Accounts; a criterion without a Ratings column; a blank revenue for a period that is not
in the future; a bad setting, or settings that make no sense together (see
[the settings rules](#settings-rules)); criteria weights all 0; an input formula whose
result was not saved or never calculated; merged cells in a table's rows; a row holding
an `account_id` below a sheet's table.

Warnings (exit code 0, 1 with `--strict`): another sheet missing (read as empty); a blank
row inside a table; an unknown setting; a Ratings column that is no criterion; a computed
cell whose result saved by Excel differs from what kamxl computes (run `kamxl recalc` or
recalculate in Excel); a totals row typed in a table (not read); other filled rows below a
table (not read); merged header cells.

Every problem names the file, the sheet, the cell, the value and what was expected:

```
sample.xlsx Accounts!I7: error: '12 000': revenue_curr: text, expected a number
```

## Computed columns of Accounts

The template computes them with `KAM_*` formulas (live in Excel with the add-in);
`kamxl recalc` computes the same values headless with the same engine and writes them as
the formulas' saved results. kamxl's choices where the contract is silent:

- `attractiveness` and `strength` are `KAM_SCORE` over the criteria of that axis only
  (the other criteria are passed blank); `score` and `completeness` use every criterion
  with a column in Ratings. Weights and directions come from Criteria, the scale from
  Settings. An account missing from Ratings gets `#N/A`.
- `health` is `KAM_HEALTH` of the account's Health row for the **current period**
  (Settings `period`), with the Settings weights and `risk` inverted; no row for the
  current period gives `#N/A` (health not updated this period).
- `freshness` is measured as of the Settings `as_of` date, or today when it is blank.
- An input cell that is bad gives the error Excel would give (text: `#VALUE!`; an error
  cell: that error), in that row only. An input formula without a trusted result, whose
  value kamxl cannot know, gives `#N/A`; merged input cells give `#VALUE!`.
- A column computed with a bad setting, or from a Criteria sheet with a bad cell, is an
  error in every row (the error held in the setting's cell, else the one the computation
  raises, else `#VALUE!`; a row showing an error already keeps it): never a number
  computed from a default. The settings each column uses are below
  (`kamxl.workbook.schema.COMPUTED_SETTINGS`); `kamxl recalc` lists the cells and the bad
  inputs they come from.

The formulas need Excel 365 or 2021+ (XLOOKUP, TEXTSPLIT, HSTACK, dynamic arrays) and the
kamxl add-in. Without the add-in Excel keeps showing the saved results until it
recalculates, then `#NAME?`. LibreOffice cannot run the add-in either: it recalculates
these array formulas on opening and shows `#NAME?`; read the values with kamxl (or pandas)
from a file written by `kamxl recalc`.

| column | formula as stored (Excel shows `tblAccounts[[#This Row],[x]]` as `[@x]`) |
|---|---|
"""

_SETTINGS_NOTE = """
`period` blank: the latest period with revenue in Revenue. `previous_period` blank: the
period before `period`. `as_of` is a kamxl addition to the contract (blank = today), so
that a deck built later shows the figures of its own date.

### Settings rules

Settings are checked for sense, not only for their kind. Each rule broken is an error
naming the setting's cell, and every setting of the rule is bad: no figure is computed
from it (the computed columns that use it are errors in every row, as in Excel).

- `tier_thresholds` are strictly descending (`70,40`; `40,70` and `70,70` are errors), and
  `tier_labels` has one more label than there are thresholds;
- `scale_min` is below `scale_max`;
- `red_max` is not above `amber_max`;
- `freshness_half_life_days` is above 0;
- the health weights `w_adoption`, `w_engagement`, `w_satisfaction`, `w_risk` are not
  negative, and not all 0;
- the Criteria weights are not all 0, nor all those of one axis (`attractiveness`,
  `strength`): an error naming the weight cells, each of which gets `#DIV/0!`. kamxl then
  computes no score, quadrant or tier at all (a score of one axis only would be another
  number).

- `currency` is an ISO 4217 code of three letters (`EUR`, `USD`; `usd` is read as `USD`;
  `€` is an error); every amount is in it, so no summary or deck is made without it, even
  with `--keep-going`;
- `previous_period` comes before `period`, both quarters or both months (a 2026-Q3 review
  measured "on 2026-Q4" would state a wrong change); like the currency, every output needs
  them.

A setting left blank takes its default; a setting that is not of its kind (text in a
number) is an error, and its default never stands in for it.

### One figure, one value

`revenue_curr` and `revenue_prev` of Accounts are the account's revenue of `period` and
`previous_period`; where the Revenue sheet also has the account's revenue for that period
(the sum of its rows, by product line), the two must agree (to the cent). When they differ,
which one is right is unknown: the Accounts cell is an error naming both amounts, and no
figure is computed from either (with `--keep-going`, the revenue tile and that period's
point of the trajectory are left out alike).
"""

_PEOPLE = """
## What people do to workbooks

Workbooks come from Excel, LibreOffice, CRM exports and scripts. What kamxl does with what
people do to them (a figure is computed from valid inputs or not at all):

"""

#: (what people do, what kamxl does): the table of docs/workbook.md.
_PEOPLE_ROWS: tuple[tuple[str, str], ...] = (
    (
        "Switch on the table's *Total Row* (Table Design > Total Row), with `SUBTOTAL` formulas",
        "Not a record: no account, in no figure. `kamxl recalc` leaves the row exactly as it "
        "is (formulas and saved results), also when it adds computed columns to the table "
        "(they get no total; the table and its filter stay valid for Excel).",
    ),
    (
        "Type a totals row by hand (`Total` and `=SUM(...)` in the last row, or "
        '`df.loc["Total"] = df.sum()` in pandas)',
        "A row whose `account_id` (`criterion_id` in Criteria) reads `Total`, `Totals`, "
        "`Grand total`, `Sum`, `Subtotal`, `Total général`, `Sous-total`, `Somme` or `Totaux`"
        " -- or whose key is blank and whose first filled cell, in a column that is none of "
        "the sheet's (pandas' index), reads so -- is not read, with a warning naming it. An "
        'account named "Total" is read: its name is in the name column.',
    ),
    (
        "Put a title above the table",
        "The headers are the table's first row, wherever it is; the rows above are not read. "
        "`kamxl recalc` writes the headers of the columns it adds in that row. Without a "
        "table, the headers must be in row 1.",
    ),
    (
        "Type rows below the table, outside it (Excel does not grow a table past its Total "
        "Row; `openpyxl` appends rows without growing it)",
        "Not read, as Excel's formulas on the table do not see them. A row holding a key (an "
        '`account_id`) is an error ("resize the table to take it in"); any other filled row '
        "(a note) a warning.",
    ),
    (
        "Switch off the table's header row",
        "An error: kamxl cannot find the columns (the sheet is read as if row 1 held the headers).",
    ),
    (
        "Merge cells in the data (`kam` over three accounts, as a report shows it)",
        "An error naming the range: the value is saved in the first cell only, and kamxl "
        "cannot tell whether it belongs to each row or to all of them. Every input cell of "
        "the range gets `#VALUE!`: no figure uses it. Merged header cells are a warning (the "
        "columns after the first have no header). Excel Tables refuse merged cells, so this "
        "happens in sheets without a table.",
    ),
    (
        "Type a formula in an input cell (`=H4*1.1`)",
        "Excel's saved result is read, as a value.",
    ),
    (
        "Write a formula with a program that does not calculate (openpyxl, pandas, XlsxWriter)",
        "The formula has no saved result, or the workbook says its results were never "
        'calculated (XlsxWriter saves 0): an error, "a formula with no saved result ...; open'
        ' and save it in Excel or LibreOffice, or type the value", and its cell gets `#N/A` '
        "(in optional columns too: a wallet formula is not a blank wallet). Opening and "
        "saving the file in Excel or LibreOffice calculates and saves the results. A computed"
        " column's formulas are kamxl's to compute and are never input.",
    ),
    (
        "Re-save the workbook in LibreOffice",
        "Read the same: same accounts, same figures (LibreOffice keeps the tables and their "
        "totals rows). It cannot run the `KAM_*` functions: their cells show `#NAME?` until "
        "`kamxl recalc` writes kamxl's results (everything else as LibreOffice saved it).",
    ),
    (
        "Write the workbook with pandas (`DataFrame.to_excel`, openpyxl or XlsxWriter engine)",
        "Read the same as the sample it came from (no tables: headers in row 1). Formula "
        "strings and typed totals rows: as above.",
    ),
    (
        "Type text in a number cell (`12 000`, a common paste)",
        "An error naming the cell; its figures are missing, and `kamxl recalc` writes "
        "`#VALUE!` in the computed cells that use it and lists them.",
    ),
)


def _kind(column: schema.Column) -> str:
    text = column.kind.value
    if column.list_name:
        text = f"list `{column.list_name}`"
    if column.minimum is not None or column.maximum is not None:
        low = "" if column.minimum is None else f"{column.minimum:g}"
        high = "" if column.maximum is None else f"{column.maximum:g}"
        text += f" {low}..{high}" if high else f" ≥ {low}"
    return text


def render() -> str:
    """The whole page."""
    out = [_INTRO.format(version=schema.CONTRACT_VERSION)]
    criteria = [c.criterion_id for c in schema.DEFAULT_CRITERIA]
    for name, formula in computed_formulas(criteria).items():
        out.append(f"| `{name}` | `{formula.replace('|', '¦')}` |\n")
    out.append("\n## Sheets\n")
    for sheet in schema.SHEETS:
        out.append(f"\n### {sheet.name} (`{sheet.table}`)\n\n{sheet.description} ")
        out.append(f"One row per {sheet.one_row_per}.")
        if sheet.internal:
            out.append(" The whole sheet is internal: never shown to a client.")
        out.append("\n\n| column | | kind | French | notes |\n|---|---|---|---|---|\n")
        for col in sheet.columns:
            flags = "**R**" if col.required else ("computed" if col.computed else "")
            notes = col.description + (
                " Internal (never shown to a client)." if col.internal else ""
            )
            french = ", ".join(f"`{a}`" for a in col.french if a != col.name)
            out.append(f"| `{col.name}` | {flags} | {_kind(col)} | {french} | {notes.strip()} |\n")
        if sheet.name == "Ratings":
            out.append("| *one column per criterion* | | number on the Settings scale | | |\n")
        for column, values in sheet.client_excludes:
            shown = " or ".join(f"`{v}`" if v else "blank" for v in values)
            out.append(f"\nRows whose `{column}` is {shown} are never shown to a client.\n")
    out.append("\n### Settings keys\n\n| key | kind | default | meaning |\n|---|---|---|---|\n")
    for setting in schema.SETTINGS:
        default = "" if setting.default is None else f"`{setting.default}`"
        out.append(
            f"| `{setting.key}` | {setting.kind.value} | {default} | {setting.description} |\n"
        )
    out.append(_SETTINGS_NOTE)
    out.append(
        "\nThe settings each computed column uses (directly or through the columns it is\n"
        "computed from); the columns marked *Criteria* also use the Criteria sheet:\n\n"
        "| column | settings | |\n|---|---|---|\n"
    )
    for name, keys in schema.COMPUTED_SETTINGS.items():
        used = ", ".join(f"`{key}`" for key in keys) or "none"
        criteria = "Criteria" if name in schema.COMPUTED_FROM_CRITERIA else ""
        out.append(f"| `{name}` | {used} | {criteria} |\n")
    out.append("\n### Default criteria\n\n| criterion_id | label | axis | weight | direction |\n")
    out.append("|---|---|---|---|---|\n")
    for c in schema.DEFAULT_CRITERIA:
        out.append(
            f"| `{c.criterion_id}` | {c.label} | {c.axis} | {c.weight:g} | {c.direction} |\n"
        )
    out.append("\n### Lists\n\n| list | values (French) |\n|---|---|\n")
    for definition in schema.LISTS.values():
        values = ", ".join(
            f"`{v}`" + (f" ({f})" if f != v else "")
            for v, f in zip(definition.values, definition.french, strict=True)
        )
        out.append(f"| `{definition.name}` | {values} |\n")
    out.append(_PEOPLE)
    out.append("| what people do | what kamxl does |\n|---|---|\n")
    out.extend(f"| {what} | {kamxl} |\n" for what, kamxl in _PEOPLE_ROWS)
    return "".join(out)


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
