"""What each deck says, computed from the workbook: pure data, no PowerPoint.

:func:`qbr_context`, :func:`handshake_context` and :func:`portfolio_context` turn a
:class:`~kamxl.workbook.model.KamWorkbook` into plain records -- figures, series, table
rows, items for the executive summary -- that the text templates phrase and the builder
lays out. Every figure comes from the catalogue's engine (:mod:`kamxl.core`), so a deck
shows what Excel shows.

Client safety lives here: with ``Audience.CLIENT`` the internal fields of
``shared/spec/workbook.md`` never enter the context (margin, share of wallet, scores,
quadrant, tier, stakeholder attitude/power/interest, blocker stakeholders, risks, plan rows
not visible to the client), so nothing downstream can leak them. A blocker is left out as a
person: wherever a client deck names people (plan owners, the RACI of actions, meeting
attendees), a blocker's name is dropped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from kamxl import core
from kamxl.core.periods import parse_period
from kamxl.errors import FormulaError, KamxlError
from kamxl.workbook.compute import HEALTH_COMPONENTS, day_numbers_of
from kamxl.workbook.kpis import Figure, PortfolioKpis, figure, portfolio_kpis
from kamxl.workbook.model import KamWorkbook

__all__ = [
    "Audience",
    "DeckError",
    "HandshakeContext",
    "Meta",
    "PortfolioContext",
    "QbrContext",
    "handshake_context",
    "portfolio_context",
    "qbr_context",
]

#: Contacts not seen for this many days are flagged on the relationship map.
STALE_CONTACT_DAYS = 90
#: A change of health smaller than this (points) is "Same".
HEALTH_TREND_TOLERANCE = 1.0
#: KAM load norm: key accounts per KAM.
KAM_LOAD_NORM = (5, 15)
#: Plan status -> RAG status shown beside it.
PLAN_RAG = {"done": "Green", "on track": "Green", "at risk": "Amber", "late": "Red"}


class Audience(StrEnum):
    INTERNAL = "internal"
    CLIENT = "client"


class DeckError(KamxlError):
    """A deck cannot be built from this workbook (unknown account, no current period, ...)."""


@dataclass(frozen=True, slots=True)
class Meta:
    """What every deck of a workbook shares."""

    company: str
    currency: str
    language: str
    period: str
    previous_period: str | None
    as_of: date
    audience: Audience


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    name: str
    sector: str | None
    country: str | None
    kam: str | None
    exec_sponsor: str | None
    status: str | None


@dataclass(frozen=True, slots=True)
class Item:
    """A line of the executive summary or of next steps: a kind and its facts (the text
    templates phrase it)."""

    kind: str
    facts: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    title: str | None
    role: str | None
    our_contact: str | None
    last_contact: date | None
    days_since_contact: int | None
    attitude: float | None = None  # internal
    power: float | None = None  # internal


@dataclass
class QbrContext:
    """Everything a QBR deck says about one account for one period."""

    meta: Meta
    account: Account
    next_qbr: date | None
    next_ebr: date | None
    our_team: list[str]
    client_team: list[str]
    revenue: float | None
    revenue_previous: float | None
    growth: float | None
    revenue_trend: str | None
    lead_line: str | None  # product line that drove the change
    lead_line_change: float | None
    nrr: Figure
    grr: Figure
    margin: Figure | None  # internal
    share_of_wallet: Figure | None  # internal
    nps: Figure
    nps_answers: int
    health: Figure
    health_rag: str | None
    health_previous: float | None
    health_trend: str | None
    forecast_accuracy: Figure
    periods: list[str]
    actual: list[float | None]
    forecast: list[float | None]
    health_periods: list[str]
    health_series: list[tuple[str, list[float | None]]]  # (component key, values per period)
    year_growth: float | None  # revenue of the current period vs the same period a year ago
    wins: list[Item]
    watch: list[Item]
    asks: list[Item]
    people: list[Person]
    coverage: Figure
    missing_roles: list[str]
    stale_contacts: list[Person]
    plan: list[dict[str, Any]]
    opportunities: list[dict[str, Any]]
    pipeline_value: float
    weighted_pipeline: float
    win_rate: Figure
    median_cycle: Figure
    risks: list[dict[str, Any]] | None  # internal
    actions: list[dict[str, Any]]
    next_steps: list[Item]
    notes: list[str] = field(default_factory=list)  # missing data, for the speaker notes


@dataclass
class HandshakeContext:
    """The executive handshake slide of one account: client-safe by construction."""

    meta: Meta
    account: Account
    found: bool  # the workbook has a Handshake row for the account
    client_priorities: list[str]
    ambition: list[str]
    today: float | None  # revenue of the last four quarters
    in_12_months: float | None
    in_36_months: float | None
    initiatives: list[dict[str, Any]]
    meetings: list[dict[str, Any]]
    sponsors: tuple[str | None, str | None]  # (client, ours)
    our_commitments: list[str]
    client_commitments: list[str]
    asks: list[str]
    agreed_by: str | None
    agreed_on: date | None
    next_review: date | None


@dataclass
class PortfolioContext:
    """The portfolio review of the whole workbook (internal)."""

    meta: Meta
    kpis: PortfolioKpis
    matrix: list[tuple[str, float, float, float]]  # name, strength, attractiveness, revenue
    cut_strength: float
    cut_attractiveness: float
    strategic_share: float | None  # revenue share of the Strategic accounts
    pareto: tuple[list[float], list[float]]  # share of accounts, cumulative share of revenue
    accounts: list[dict[str, Any]]  # tiering table, best score first
    kam_load: list[tuple[str, int]]
    load_norm: tuple[int, int]
    stale_plans: list[dict[str, Any]]
    half_life_days: float
    movements: list[dict[str, Any]]  # largest revenue changes, churn and new accounts first


# --- helpers ------------------------------------------------------------------------------


def _value(value: Any) -> Any:
    """A cell value as plain Python: NaN/NaT/None become None, numpy scalars Python ones."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.generic):
        return _value(value.item())
    return value


def _records(frame: pd.DataFrame, fields: Sequence[str | tuple[str, str]]) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dicts of plain values (:func:`_value`), one key per field in
    order: a column under its own name, or ``(key, column)``."""
    pairs = [(f, f) if isinstance(f, str) else f for f in fields]
    values = [frame[column].tolist() for _, column in pairs]
    keys = [key for key, _ in pairs]
    return [
        {key: _value(v) for key, v in zip(keys, row, strict=True)}
        for row in zip(*values, strict=True)
    ]


def _lines(text: Any) -> list[str]:
    """A multi-item cell as its items (one per line), blank lines dropped."""
    if not isinstance(text, str):
        return []
    return [line.strip(" -•\t") for line in text.splitlines() if line.strip(" -•\t")]


def _meta(book: KamWorkbook, audience: Audience, language: str | None, as_of: date | None) -> Meta:
    settings = book.settings
    if not settings.period:
        raise DeckError("the workbook has no current period: set Settings period (e.g. 2026-Q3)")
    return Meta(
        company=settings.company,
        currency=settings.currency,
        language=language or settings.language,
        period=settings.period,
        previous_period=settings.previous_period,
        as_of=as_of or settings.as_of or date.today(),
        audience=audience,
    )


def _rows(frame: pd.DataFrame, account_id: str) -> pd.DataFrame:
    return frame[frame["account_id"] == account_id]


def _account(book: KamWorkbook, account_id: str) -> tuple[Account, pd.Series]:
    accounts = book.accounts
    match = accounts[accounts["account_id"] == account_id]
    if match.empty:
        known = ", ".join(accounts["account_id"].dropna().head(5))
        raise DeckError(f"account {account_id!r} is not in Accounts (e.g. {known})")
    row = match.iloc[0]
    return (
        Account(
            str(row["account_id"]),
            str(row["name"] or row["account_id"]),
            _value(row["sector"]),
            _value(row["country"]),
            _value(row["kam"]),
            _value(row["exec_sponsor"]),
            _value(row["status"]),
        ),
        row,
    )


def _period_order(values: Iterable[str]) -> list[str]:
    parsed = {v: parse_period(v) for v in values if isinstance(v, str)}
    return [v for v, _ in sorted(((v, p) for v, p in parsed.items() if p), key=lambda x: x[1])]


def _days_between(later: date, earlier: date | None) -> int | None:
    return None if earlier is None else (later - earlier).days


#: What separates the names of a cell naming several people ("Ana Silva; Tom Berg").
_NAME_SEPARATORS = re.compile(r"[,;/\n]")


def _person_key(text: str) -> str:
    """A name as compared: without what follows "(" (a title) and without case."""
    return " ".join(text.split("(")[0].split()).casefold()


def _blocker_keys(book: KamWorkbook, account_id: str) -> set[str]:
    """The names of the account's blocker stakeholders, as compared by :func:`_person_key`."""
    stakeholders = _rows(book["Stakeholders"], account_id)
    names = stakeholders[stakeholders["role"] == "blocker"]["name"].dropna()
    return {_person_key(str(name)) for name in names} - {""}


def _without_people(text: Any, people: set[str]) -> Any:
    """A cell naming one person or several, without the people of ``people`` (keys of
    :func:`_person_key`); None when nobody is left."""
    if not people or not isinstance(text, str):
        return text
    if _person_key(text) in people:
        return None
    parts = [part.strip() for part in _NAME_SEPARATORS.split(text) if part.strip()]
    kept = [part for part in parts if _person_key(part) not in people]
    if len(kept) == len(parts):
        return text
    return ", ".join(kept) or None


# --- QBR ------------------------------------------------------------------------------------


def qbr_context(
    book: KamWorkbook,
    account_id: str,
    *,
    audience: Audience = Audience.INTERNAL,
    language: str | None = None,
    as_of: date | None = None,
) -> QbrContext:
    """The QBR of ``account_id`` for the workbook's current period."""
    meta = _meta(book, audience, language, as_of)
    internal = audience is Audience.INTERNAL
    account, row = _account(book, account_id)
    notes: list[str] = []
    index = int(row.name)

    # Revenue, per period and product line.
    revenue = _rows(book["Revenue"], account_id)
    periods = _period_order(revenue["period"].unique())
    current = meta.period
    by_period = revenue.groupby("period", sort=False)
    actual = [
        _sum(by_period.get_group(p)["revenue"]) if p in by_period.groups else None for p in periods
    ]
    forecast = [
        _sum(by_period.get_group(p)["forecast"]) if p in by_period.groups else None for p in periods
    ]
    revenue_now = _value(row["revenue_curr"])
    revenue_before = _value(row["revenue_prev"])
    growth = (
        revenue_now / revenue_before - 1 if revenue_now is not None and revenue_before else None
    )
    trend = None
    if revenue_now is not None and revenue_before is not None:
        trend = core.trends(np.array([revenue_now]), np.array([revenue_before])).values[0]
    lead_line, lead_change = _lead_line(revenue, current, meta.previous_period)
    year_ago = parse_period(current).shift(-4 if not parse_period(current).is_month else -12).text
    year_growth = None
    if current in periods and year_ago in periods:
        now, then = actual[periods.index(current)], actual[periods.index(year_ago)]
        year_growth = now / then - 1 if now is not None and then else None

    # Health.
    health_periods, health_series = _health_series(book, account_id, periods)
    health_by_period = {
        p: v for p, v in zip(health_periods, health_series[0][1], strict=True) if v is not None
    }
    computed = book.computed
    health = _figure_of(computed["health"], index)
    health_previous = health_by_period.get(meta.previous_period or "")
    health_trend = None
    if health.ok and health_previous is not None:
        health_trend = core.trends(
            np.array([health.value]), np.array([health_previous]), HEALTH_TREND_TOLERANCE
        ).values[0]
    rag = computed["rag"].to_list()[index]
    health_rag = rag if rag in ("Red", "Amber", "Green") else None

    # Voice of the customer: the answers of the last twelve months.
    surveys = _rows(book["Surveys"], account_id)
    days = day_numbers_of(surveys["date"])
    as_of_day = (np.datetime64(meta.as_of, "D") - np.datetime64("1899-12-30", "D")).astype(float)
    recent = np.isnan(days) | ((days <= as_of_day) & (days > as_of_day - 365))
    nps_answers = surveys["nps"].to_numpy(dtype=np.float64)[recent]
    nps = figure(core.nps, nps_answers)

    # Forecast accuracy over the last four periods with both figures.
    pairs = [
        (f, a)
        for p, a, f in zip(periods, actual, forecast, strict=True)
        if _before(p, current) and a is not None and f is not None
    ][-4:]
    accuracy = figure(
        core.forecast_accuracy,
        np.array([f for f, _ in pairs], dtype=float),
        np.array([a for _, a in pairs], dtype=float),
    )
    margin = _figure_of(computed["margin"], index) if internal else None
    sow = _figure_of(computed["sow"], index) if internal else None
    start, end = np.array([revenue_before or np.nan]), np.array([revenue_now or np.nan])

    # People.
    stakeholders = _rows(book["Stakeholders"], account_id)
    if not internal:
        stakeholders = stakeholders[stakeholders["role"] != "blocker"]
    people = [
        Person(
            name=str(s["name"]),
            title=_value(s["title"]),
            role=_value(s["role"]),
            our_contact=_value(s["our_contact"]),
            last_contact=_value(s["last_contact"]),
            days_since_contact=_days_between(meta.as_of, _value(s["last_contact"])),
            attitude=_value(s["attitude"]) if internal else None,
            power=_value(s["power"]) if internal else None,
        )
        for _, s in stakeholders.iterrows()
    ]
    roles = [p.role for p in people]
    coverage = figure(core.coverage, roles)
    missing_roles = [r for r in core.REQUIRED_ROLES if r not in roles]
    stale = [
        p
        for p in people
        if p.days_since_contact is None or p.days_since_contact >= STALE_CONTACT_DAYS
    ]

    # Plan, pipeline, risks, actions.
    hidden_people = set() if internal else _blocker_keys(book, account_id)
    plan_rows = _rows(book["Plan"], account_id)
    if not internal:
        plan_rows = plan_rows[plan_rows["client_visible"] == "yes"]
    plan = [
        {
            "objective": _value(p["objective"]),
            "initiative": _value(p["initiative"]),
            "owner": _without_people(_value(p["owner"]), hidden_people),
            "client_owner": _without_people(_value(p["client_owner"]), hidden_people),
            "due": _value(p["due"]),
            "status": _value(p["status"]),
            "rag": PLAN_RAG.get(_value(p["status"]) or ""),
            "value": _value(p["value"]),
        }
        for _, p in plan_rows.iterrows()
    ]
    opportunities_all = _rows(book["Opportunities"], account_id)
    open_opps = opportunities_all[opportunities_all["outcome"] == "open"].sort_values(
        "amount", ascending=False
    )
    opportunities = _records(
        open_opps, ("opportunity", "type", "stage", "amount", "probability", "created")
    )
    amounts = open_opps["amount"].to_numpy(dtype=np.float64)
    probabilities = np.nan_to_num(open_opps["probability"].to_numpy(dtype=np.float64))
    try:
        outcome_codes = core.outcome_codes(opportunities_all["outcome"].tolist())
        win_rate = figure(core.win_rate, outcome_codes)
    except FormulaError as error:
        win_rate = Figure(None, error.excel_code, str(error))
    cycle = figure(
        core.median_cycle_days,
        day_numbers_of(opportunities_all["created"]),
        day_numbers_of(opportunities_all["closed"]),
    )
    risks = _risks(book, account_id) if internal else None
    actions_rows = _rows(book["Actions"], account_id)
    actions_open = actions_rows[actions_rows["status"] != "done"].sort_values(
        "due", na_position="last"
    )
    actions = [
        {
            "action": _value(a["action"]),
            **{
                role: _without_people(_value(a[role]), hidden_people)
                for role in ("responsible", "accountable", "consulted", "informed")
            },
            "due": _value(a["due"]),
        }
        for _, a in actions_open.iterrows()
    ]

    # Governance.
    meetings = _rows(book["Meetings"], account_id)
    upcoming = meetings[meetings["date"] > pd.Timestamp(meta.as_of)].sort_values("date")
    next_qbr = _next(upcoming, "QBR")
    next_ebr = _next(upcoming, "EBR")
    client_names = set(_rows(book["Stakeholders"], account_id)["name"].dropna())
    blockers = set(
        _rows(book["Stakeholders"], account_id).query("role == 'blocker'")["name"].dropna()
    )
    attendees = _attendees(upcoming[upcoming["type"] == "QBR"])
    client_team = [n for n in attendees if n in client_names and (internal or n not in blockers)]
    our_team = _unique(
        [account.kam, account.exec_sponsor] + [n for n in attendees if n not in client_names]
    )

    # Executive summary.
    wins = _wins(opportunities_all, plan, meta)
    watch = _watch(health_rag, health_trend, plan, stale, risks, growth, internal)
    asks = _asks(actions, client_names - (blockers if not internal else set()), open_opps)
    next_steps = _next_steps(next_qbr, next_ebr, actions, book, account_id, meta)

    if revenue_now is None:
        notes.append("revenue")
    if not nps.ok:
        notes.append("nps")
    if not health.ok:
        notes.append("health")
    if internal and margin is not None and not margin.ok:
        notes.append("margin")

    return QbrContext(
        meta=meta,
        account=account,
        next_qbr=next_qbr,
        next_ebr=next_ebr,
        our_team=our_team,
        client_team=client_team,
        revenue=revenue_now,
        revenue_previous=revenue_before,
        growth=growth,
        revenue_trend=trend,
        lead_line=lead_line,
        lead_line_change=lead_change,
        nrr=figure(core.nrr, start, end),
        grr=figure(core.grr, start, end),
        margin=margin,
        share_of_wallet=sow,
        nps=nps,
        nps_answers=int(np.count_nonzero(~np.isnan(nps_answers))),
        health=health,
        health_rag=health_rag,
        health_previous=health_previous,
        health_trend=health_trend,
        forecast_accuracy=accuracy,
        periods=periods,
        actual=actual,
        forecast=forecast,
        health_periods=health_periods,
        health_series=health_series,
        year_growth=year_growth,
        wins=wins,
        watch=watch,
        asks=asks,
        people=people,
        coverage=coverage,
        missing_roles=missing_roles,
        stale_contacts=stale,
        plan=plan,
        opportunities=opportunities,
        pipeline_value=float(np.nansum(amounts)),
        weighted_pipeline=float(np.nansum(amounts * probabilities)),
        win_rate=win_rate,
        median_cycle=cycle,
        risks=risks,
        actions=actions,
        next_steps=next_steps,
        notes=notes,
    )


def _before(period: str, current: str) -> bool:
    a, b = parse_period(period), parse_period(current)
    return a is not None and b is not None and a <= b


def _sum(values: pd.Series) -> float | None:
    present = values.dropna()
    return float(present.sum()) if len(present) else None


def _figure_of(results: core.RowResults, index: int) -> Figure:
    value = results.to_list()[index]
    if isinstance(value, str) and value.startswith("#"):
        return Figure(None, value, f"the workbook gives {value}")
    return Figure(float(value))


def _lead_line(
    revenue: pd.DataFrame, current: str, previous: str | None
) -> tuple[str | None, float | None]:
    """The product line whose revenue changed most between the two periods, in the direction
    of the total change (the line that "led" the growth or the decline)."""
    if previous is None or revenue["product_line"].isna().all():
        return None, None
    now = revenue[revenue["period"] == current].groupby("product_line")["revenue"].sum()
    before = revenue[revenue["period"] == previous].groupby("product_line")["revenue"].sum()
    change = now.sub(before, fill_value=0.0)
    if change.empty or change.abs().max() == 0:
        return None, None
    total = change.sum()
    line = change.idxmax() if total >= 0 else change.idxmin()
    return str(line), float(change[line])


def _health_series(
    book: KamWorkbook, account_id: str, periods: list[str]
) -> tuple[list[str], list[tuple[str, list[float | None]]]]:
    """Health and its components per period, up to the current one: the periods of the
    account's Revenue and Health rows together, and (component, values) with health first."""
    health = _rows(book["Health"], account_id).drop_duplicates("period")
    order = _period_order(set(periods) | set(health["period"].dropna()))
    order = [p for p in order if _before(p, book.settings.period or p)]
    frame = health.set_index("period").reindex(order)
    components = frame[list(HEALTH_COMPONENTS)].to_numpy(dtype=np.float64)
    scores = core.health_scores(
        components, book.settings.health_weights, np.array([False, False, False, True])
    )
    values = [
        None if code else float(v) for v, code in zip(scores.values, scores.errors, strict=True)
    ]
    series = [("health", values)] + [
        (c, [_value(v) for v in frame[c].tolist()]) for c in HEALTH_COMPONENTS
    ]
    return order, series


def _risks(book: KamWorkbook, account_id: str) -> list[dict[str, Any]]:
    rows = _rows(book["Risks"], account_id)
    rows = rows[rows["status"] != "closed"]
    out = []
    for _, r in rows.iterrows():
        likelihood, impact = _value(r["likelihood"]), _value(r["impact"])
        severity = likelihood * impact if likelihood is not None and impact is not None else None
        out.append(
            {
                "risk": _value(r["risk"]),
                "likelihood": likelihood,
                "impact": impact,
                "severity": severity,
                "level": None
                if severity is None
                else "high"
                if severity >= 15
                else "medium"
                if severity >= 8
                else "low",
                "mitigation": _value(r["mitigation"]),
                "owner": _value(r["owner"]),
            }
        )
    return sorted(out, key=lambda r: -(r["severity"] or 0))


def _next(meetings: pd.DataFrame, kind: str) -> date | None:
    rows = meetings[meetings["type"] == kind]
    return None if rows.empty else _value(rows.iloc[0]["date"])


def _attendees(meetings: pd.DataFrame) -> list[str]:
    if meetings.empty:
        return []
    text = meetings.iloc[0]["attendees"]
    if not isinstance(text, str):
        return []
    names = [part.split("(")[0].strip() for part in text.replace(";", ",").split(",")]
    return _unique(names)


def _unique(names: Iterable[str | None]) -> list[str]:
    out: list[str] = []
    for name in names:
        if name and name not in out:
            out.append(name)
    return out


def _wins(opportunities: pd.DataFrame, plan: list[dict[str, Any]], meta: Meta) -> list[Item]:
    period = parse_period(meta.period)
    won = opportunities[opportunities["outcome"] == "won"].sort_values("closed", ascending=False)
    items = []
    for _, o in won.iterrows():
        closed = _value(o["closed"])
        if closed is not None and period is not None and (meta.as_of - closed).days <= 183:
            items.append(Item("won", {"name": o["opportunity"], "amount": _value(o["amount"])}))
    items += [
        Item("done", {"name": p["initiative"] or p["objective"]})
        for p in plan
        if p["status"] == "done"
    ]
    return items[:4]


def _watch(
    rag: str | None,
    trend: str | None,
    plan: list[dict[str, Any]],
    stale: list[Person],
    risks: list[dict[str, Any]] | None,
    growth: float | None,
    internal: bool,
) -> list[Item]:
    items = []
    if rag in ("Red", "Amber") or trend == "Down":
        items.append(Item("health", {"rag": rag, "trend": trend}))
    if growth is not None and growth < 0:
        items.append(Item("revenue_down", {"growth": growth}))
    for p in plan:
        if p["status"] in ("late", "at risk"):
            items.append(
                Item("plan", {"name": p["initiative"] or p["objective"], "status": p["status"]})
            )
    if internal and stale:
        items.append(Item("stale_contacts", {"count": len(stale)}))
    if risks:
        high = [r for r in risks if r["level"] == "high"]
        if high:
            items.append(Item("risk", {"name": high[0]["risk"], "count": len(high)}))
    return items[:4]


def _asks(
    actions: list[dict[str, Any]], client_people: set[str], open_opps: pd.DataFrame
) -> list[Item]:
    items = [
        Item("action", {"name": a["action"], "who": a["responsible"], "due": a["due"]})
        for a in actions
        if a["responsible"] in client_people
    ]
    late_stage = open_opps[open_opps["stage"].isin(["proposal", "negotiation"])]
    items += [
        Item("decision", {"name": o["opportunity"], "amount": _value(o["amount"])})
        for _, o in late_stage.iterrows()
    ]
    return items[:3]


def _next_steps(
    next_qbr: date | None,
    next_ebr: date | None,
    actions: list[dict[str, Any]],
    book: KamWorkbook,
    account_id: str,
    meta: Meta,
) -> list[Item]:
    items = [
        Item("action", {"name": a["action"], "who": a["responsible"], "due": a["due"]})
        for a in actions[:4]
    ]
    if next_ebr is not None:
        items.append(Item("ebr", {"date": next_ebr}))
    handshake = _rows(book["Handshake"], account_id)
    if not handshake.empty and _value(handshake.iloc[0]["next_review"]) is not None:
        items.append(Item("review", {"date": _value(handshake.iloc[0]["next_review"])}))
    return items


# --- Handshake ------------------------------------------------------------------------------


def handshake_context(
    book: KamWorkbook,
    account_id: str,
    *,
    language: str | None = None,
    as_of: date | None = None,
) -> HandshakeContext:
    """The handshake slide of ``account_id``: client-safe by construction (it reads no
    internal field)."""
    meta = _meta(book, Audience.CLIENT, language, as_of)
    account, _ = _account(book, account_id)
    rows = _rows(book["Handshake"], account_id)
    h = rows.iloc[0] if not rows.empty else None
    revenue = _rows(book["Revenue"], account_id)
    periods = [p for p in _period_order(revenue["period"].unique()) if _before(p, meta.period)]
    per_year = 12 if parse_period(meta.period).is_month else 4
    last_year = revenue[revenue["period"].isin(periods[-per_year:])]["revenue"]
    today = _sum(last_year)
    plan = _rows(book["Plan"], account_id)
    plan = plan[(plan["client_visible"] == "yes") & (plan["status"] != "done")]
    blockers = _blocker_keys(book, account_id)
    initiatives = [
        {
            "initiative": _value(p["initiative"]) or _value(p["objective"]),
            "owner": _without_people(_value(p["owner"]), blockers),
            "client_owner": _without_people(_value(p["client_owner"]), blockers),
            "due": _value(p["due"]),
        }
        for _, p in plan.iterrows()
    ]
    meetings = _rows(book["Meetings"], account_id)
    upcoming = meetings[
        (meetings["date"] > pd.Timestamp(meta.as_of))
        & meetings["type"].isin(["QBR", "EBR", "steering"])
    ].sort_values("date")
    stakeholders = _rows(book["Stakeholders"], account_id)
    client_people = set(stakeholders[stakeholders["role"] != "blocker"]["name"].dropna())
    actions = _rows(book["Actions"], account_id)
    actions = actions[(actions["status"] != "done") & actions["responsible"].isin(client_people)]
    return HandshakeContext(
        meta=meta,
        account=account,
        found=h is not None,
        client_priorities=_lines(h["client_priorities"]) if h is not None else [],
        ambition=_lines(h["shared_ambition"]) if h is not None else [],
        today=today,
        in_12_months=_value(h["ambition_12m"]) if h is not None else None,
        in_36_months=_value(h["ambition_36m"]) if h is not None else None,
        initiatives=initiatives,
        meetings=[
            {"type": _value(m["type"]), "date": _value(m["date"])} for _, m in upcoming.iterrows()
        ],
        sponsors=(
            _value(h["client_sponsor"]) if h is not None else None,
            _value(h["our_sponsor"]) if h is not None else None,
        ),
        our_commitments=_lines(h["our_commitments"]) if h is not None else [],
        client_commitments=_lines(h["client_commitments"]) if h is not None else [],
        asks=[str(a["action"]) for _, a in actions.sort_values("due").iterrows()][:3],
        agreed_by=_value(h["agreed_by"]) if h is not None else None,
        agreed_on=_value(h["agreed_on"]) if h is not None else None,
        next_review=_value(h["next_review"]) if h is not None else None,
    )


# --- Portfolio ------------------------------------------------------------------------------


def portfolio_context(
    book: KamWorkbook, *, language: str | None = None, as_of: date | None = None
) -> PortfolioContext:
    """The portfolio review of the whole workbook (always internal)."""
    meta = _meta(book, Audience.INTERNAL, language, as_of)
    accounts = book.accounts
    settings = book.settings
    points = []
    for _, a in accounts.iterrows():
        values = (_value(a["strength"]), _value(a["attractiveness"]), _value(a["revenue_curr"]))
        if None not in values and values[2] > 0:
            points.append((str(a["name"]), float(values[0]), float(values[1]), float(values[2])))
    revenue = accounts["revenue_curr"].clip(lower=0)
    total = float(revenue.sum())
    strategic = revenue[accounts["quadrant"] == "Strategic"].sum()
    shares = np.sort(revenue.dropna().to_numpy())[::-1]
    cumulative = (
        np.concatenate([[0.0], np.cumsum(shares) / total]) if total > 0 else np.array([0.0])
    )
    account_share = np.arange(len(cumulative)) / max(len(cumulative) - 1, 1)
    table = accounts.sort_values(
        ["score", "revenue_curr"], ascending=[False, False], na_position="last"
    )
    columns = ("name", "kam", "status", ("revenue", "revenue_curr"), "score", "tier")
    rows = _records(table, (*columns, "quadrant", "health", "rag"))
    key = accounts[accounts["status"] == "key"]
    load = key.groupby("kam").size().sort_values(ascending=False)
    kams = accounts["kam"].dropna().unique()
    kam_load = [(str(k), int(load.get(k, 0))) for k in kams]
    kam_load.sort(key=lambda kv: -kv[1])
    stale = accounts[(accounts["freshness"] < 50) | accounts["plan_updated"].isna()]
    stale_plans = [
        {
            "name": _value(a["name"]),
            "kam": _value(a["kam"]),
            "updated": _value(a["plan_updated"]),
            "days": _days_between(meta.as_of, _value(a["plan_updated"])),
            "freshness": _value(a["freshness"]),
        }
        for _, a in stale.sort_values("freshness", na_position="first").iterrows()
    ]
    change = accounts["revenue_curr"].fillna(0) - accounts["revenue_prev"].fillna(0)
    moves = accounts.assign(change=change, size=change.abs()).sort_values("size", ascending=False)
    movements = [
        {
            "name": _value(a["name"]),
            "kam": _value(a["kam"]),
            "previous": _value(a["revenue_prev"]),
            "current": _value(a["revenue_curr"]),
            "change": _value(a["change"]),
            "movement": _movement(_value(a["revenue_prev"]), _value(a["revenue_curr"])),
        }
        for _, a in moves.head(8).iterrows()
        if a["size"] > 0
    ]
    return PortfolioContext(
        meta=meta,
        kpis=portfolio_kpis(book),
        matrix=points,
        cut_strength=settings.cut_strength,
        cut_attractiveness=settings.cut_attractiveness,
        strategic_share=float(strategic / total) if total > 0 else None,
        pareto=(account_share.tolist(), cumulative.tolist()),
        accounts=rows,
        kam_load=kam_load,
        load_norm=KAM_LOAD_NORM,
        stale_plans=stale_plans,
        half_life_days=settings.freshness_half_life_days,
        movements=movements,
    )


def _movement(previous: float | None, current: float | None) -> str:
    """new, churned, up or down: how an account's revenue moved over the period."""
    before, now = previous or 0.0, current or 0.0
    if before <= 0 < now:
        return "new"
    if before > 0 and now <= 0:
        return "churned"
    return "up" if now >= before else "down"
