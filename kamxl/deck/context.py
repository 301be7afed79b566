"""What each deck says, computed from the workbook: pure data, no PowerPoint.

:func:`qbr_context`, :func:`handshake_context` and :func:`portfolio_context` turn a
:class:`~kamxl.workbook.model.KamWorkbook` into plain records -- figures, series, table
rows, items for the executive summary -- that the text templates phrase and the builder
lays out. Every figure comes from the catalogue's engine (:mod:`kamxl.core`), so a deck
shows what Excel shows.

Client safety lives here: with ``Audience.CLIENT`` the internal fields of
``shared/spec/workbook.md`` never enter the context (margin, share of wallet, scores,
quadrant, tier, stakeholder attitude/power/interest, blocker stakeholders, risks, plan rows
not visible to the client), nor our selling data and judgements (opportunity probability
and stage, weighted pipeline, win rate, sales cycle, forecast and its accuracy, health with
its components, RAG and trend, our contact and last contact of each stakeholder, contacts
not seen, lost deals), so nothing downstream can leak them. A blocker is left out as a
person: wherever a client deck names people (plan owners, the RACI of actions, meeting
attendees), a blocker's name is dropped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from kamxl import core
from kamxl.core.bridge import Bridge, revenue_bridge
from kamxl.core.periods import parse_period
from kamxl.core.rounding import excel_round
from kamxl.errors import FormulaError, KamxlError
from kamxl.workbook import schema
from kamxl.workbook.compute import HEALTH_COMPONENTS, day_numbers_of
from kamxl.workbook.kpis import (
    Figure,
    PortfolioKpis,
    account_figure,
    account_label,
    figure,
    portfolio_kpis,
    require_essential_settings,
    stale_plans,
)
from kamxl.workbook.model import KamWorkbook
from kamxl.workbook.schema import stage_code
from kamxl.workbook.validity import BadCells, BadInputs, bad_inputs

__all__ = [
    "Audience",
    "DeckError",
    "HandshakeContext",
    "Meta",
    "PortfolioContext",
    "QbrContext",
    "RevenueBridge",
    "Whitespace",
    "handshake_agreed",
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
#: A deal lost this many days before the as-of date (or fewer) is a watch point.
RECENT_LOSS_DAYS = 90
#: The most stakeholders named on a QBR cover when the next QBR has no attendees recorded.
COVER_TEAM = 5
#: Stakeholder roles in the order a cover names them.
_COVER_ROLES = ("executive sponsor", "decision maker", "economic buyer", "champion")
#: Stages at which an open opportunity waits for the client's decision (an ask).
DECISION_STAGES = ("proposal", "negotiation")
#: Figures and sections of a QBR that a client deck never names, not even in the speaker
#: notes' list of what was left out (the client-safe fields of workbook.md).
INTERNAL_FIGURES = frozenset(
    {
        "margin",
        "share_of_wallet",
        "risks",
        "weighted_pipeline",
        "win_rate",
        "median_cycle",
        "forecast_accuracy",
        "health",
        "rag",
        "stale_contacts",
        "watch",
    }
)


def client_visible(left_out: dict[str, BadCells]) -> dict[str, BadCells]:
    """What a client deck may say it left out: none of :data:`INTERNAL_FIGURES`, no health
    period, no forecast."""
    return {
        name: cells
        for name, cells in left_out.items()
        if name not in INTERNAL_FIGURES and not name.startswith(("health:", "forecast:"))
    }


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
    row: int | None = None  # the Excel row of the Stakeholders sheet


@dataclass
class QbrContext:
    """Everything a QBR deck says about one account for one period."""

    meta: Meta
    account: Account
    next_qbr: date | None
    next_ebr: date | None
    our_team: list[str]
    client_team: list[str]
    #: (client, ours): the Handshake's sponsors, else the client's executive sponsor among
    #: the stakeholders and the account's exec_sponsor
    sponsors: tuple[str | None, str | None]
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
    nps_answers: int | None
    health: Figure | None  # internal (None for the client)
    health_rag: str | None  # internal
    health_previous: float | None  # internal
    health_trend: str | None  # internal
    forecast_accuracy: Figure | None  # internal
    periods: list[str]
    actual: list[float | None]
    forecast: list[float | None]  # internal: all None for the client
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
    #: open opportunities, largest first: opportunity, type, amount, closed (for an open
    #: one, when a decision is expected); internally also stage, probability, created
    opportunities: list[dict[str, Any]]
    pipeline_value: float | None
    weighted_pipeline: float | None  # internal
    win_rate: Figure | None  # internal
    median_cycle: Figure | None  # internal
    risks: list[dict[str, Any]] | None  # internal
    actions: list[dict[str, Any]]
    next_steps: list[Item]
    #: The health thresholds (Settings red_max, amber_max) for the chart's RAG bands; None
    #: when a threshold fails the check.
    health_cuts: tuple[float, float] | None = None
    notes: list[str] = field(default_factory=list)  # missing data, for the speaker notes
    #: True when the account has nothing but its Accounts row: no QBR can be told.
    bare: bool = False
    #: The account's revenue bridge by product line (slide 5); its ``bridge`` is None, with
    #: the reason, when it cannot be drawn. Client-safe: it is the client's spend by line.
    line_bridge: RevenueBridge | None = None
    #: What is left out because it rests on cells that fail the check (``--keep-going``):
    #: a figure or a section by name (``revenue``, ``plan``, ``revenue:2026-Q2``), and
    #: those cells. A section named here is an empty list, a figure None or valueless.
    left_out: dict[str, BadCells] = field(default_factory=dict)


@dataclass
class HandshakeContext:
    """The executive handshake slide of one account: client-safe by construction."""

    meta: Meta
    account: Account
    found: bool | None  # a Handshake row for the account (None: it may be a row in doubt)
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
    left_out: dict[str, BadCells] = field(default_factory=dict)  # as QbrContext.left_out


@dataclass
class PortfolioContext:
    """The portfolio review of the whole workbook (internal)."""

    meta: Meta
    kpis: PortfolioKpis
    matrix: list[tuple[str, float, float, float]]  # name, strength, attractiveness, revenue
    matrix_accounts: list[str]  # the account_id of each point of the matrix
    cut_strength: float
    cut_attractiveness: float
    strategic_share: float | None  # revenue share of the Strategic accounts
    pareto: tuple[list[float], list[float]]  # share of accounts, cumulative share of revenue
    #: (k, N): the top-20 % share counts the top k of the N accounts with a revenue; k / N
    #: is 20 % only when N is a multiple of 5 (1 of 3 accounts is 33 %); None when missing
    top_accounts: tuple[int, int] | None
    accounts: list[dict[str, Any]]  # tiering table, best score first
    kam_load: list[tuple[str, int]]
    load_norm: tuple[int, int]
    stale_plans: list[dict[str, Any]]
    half_life_days: float
    #: whether any account has a plan date: without one, freshness is not measured at all
    #: (a plan date that fails the check leaves the freshness slide out, as ``left_out`` says)
    any_plan_date: bool
    movements: list[dict[str, Any]]  # largest revenue changes, churn and new accounts first
    tier_labels: tuple[str, ...] = ("A", "B", "C")
    left_out: dict[str, BadCells] = field(default_factory=dict)  # as QbrContext.left_out
    bridge: RevenueBridge | None = None  # slide 8: the accounts' revenue_prev -> revenue_curr
    whitespace: Whitespace | None = None  # slide 9: key accounts x product lines


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


def _records(
    frame: pd.DataFrame, fields: Sequence[str | tuple[str, str]], *, positions: bool = False
) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dicts of plain values (:func:`_value`), one key per field in
    order: a column under its own name, or ``(key, column)``; with ``positions``, each row's
    position in its sheet's frame under ``"_position"`` (a sheet's frame is numbered 0..n-1,
    and a selection of it keeps those numbers)."""
    pairs = [(f, f) if isinstance(f, str) else f for f in fields]
    values = [frame[column].tolist() for _, column in pairs]
    keys = [key for key, _ in pairs]
    records = [
        {key: _value(v) for key, v in zip(keys, row, strict=True)}
        for row in zip(*values, strict=True)
    ]
    if positions:
        for record, position in zip(records, frame.index.tolist(), strict=True):
            record["_position"] = int(position)
    return records


def _lines(text: Any) -> list[str]:
    """A multi-item cell as its items (one per line), blank lines dropped."""
    if not isinstance(text, str):
        return []
    return [line.strip(" -•\t") for line in text.splitlines() if line.strip(" -•\t")]


def _meta(book: KamWorkbook, audience: Audience, language: str | None, as_of: date | None) -> Meta:
    require_essential_settings(book)
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


# --- what a deck leaves out -----------------------------------------------------------------


class _LeftOut:
    """What a deck leaves out because it rests on cells that fail the check (with
    ``--keep-going``): a figure or a section, by name, and the cells it rests on."""

    def __init__(self) -> None:
        self.items: dict[str, BadCells] = {}

    def __call__(self, name: str, cells: BadCells) -> bool:
        """Record ``name`` as left out when ``cells`` is not empty; True when it is."""
        if cells:
            merged = dict.fromkeys((*self.items.get(name, ()), *cells))
            self.items[name] = tuple(merged)
        return bool(cells)

    def figure(self, name: str, value: Figure) -> Figure:
        """``value``, recorded as left out when it rests on bad cells."""
        self(name, value.bad_cells)
        return value

    def number(self, name: str, value: Any, cells: BadCells) -> Any:
        """``value``, or None (recorded) when it rests on ``cells``."""
        return None if self(name, cells) else value


# --- QBR ------------------------------------------------------------------------------------


def qbr_context(
    book: KamWorkbook,
    account_id: str,
    *,
    audience: Audience = Audience.INTERNAL,
    language: str | None = None,
    as_of: date | None = None,
) -> QbrContext:
    """The QBR of ``account_id`` for the workbook's current period.

    A figure or a section that rests on cells failing the check is left out (None or an
    empty list) and named in :attr:`QbrContext.left_out` with those cells.

    Each slide of the QBR (shared/spec/decks.md) has its helper below. They run in the
    order of the deck's checks, not of its slides: a later section reads what an earlier
    one left out (the client team, the next EBR, the risks), and ``left_out`` keeps that
    order.
    """
    meta = _meta(book, audience, language, as_of)
    account, row = _account(book, account_id)
    mine = {name: (book[name]["account_id"] == account_id).to_numpy() for name in _DETAIL_SHEETS}
    q = _AccountDeck(book, account_id, meta, account, row, bad_inputs(book), _LeftOut(), mine)
    trajectory = _revenue_trajectory(q)  # slide 5
    revenue = _revenue_figures(q)  # slide 4
    lead_line, lead_change = _revenue_bridge(q)  # slide 5
    health = _health(q, trajectory.periods)  # slides 4 and 6
    nps, nps_answers = _voice_of_customer(q)  # slide 4
    accuracy = _forecast_accuracy(q, trajectory)  # slide 4
    margin, share_of_wallet = _account_economics(q)  # slide 4
    relationships = _relationships(q)  # slide 7
    hidden_people = set() if q.internal else _blocker_keys(book, account_id)
    plan, plan_cells = _objectives(q, hidden_people)  # slide 8
    pipeline = _pipeline(q)  # slide 9
    risks = _risk_register(q)  # slide 10
    actions = _joint_actions(q, hidden_people)  # slide 11
    cover = _cover(q, relationships)  # slide 1
    wins = _summary_wins(q, plan, plan_cells)  # slide 3
    watch = _summary_watch(q, revenue, health, relationships, plan, plan_cells, actions, risks)
    asks = _summary_asks(q, relationships, actions, pipeline, cover)  # slide 3
    next_steps = _qbr_next_steps(q, cover, actions)  # slide 12
    nrr, grr = _retention(q, revenue)  # slide 4
    line_bridge = _line_bridge(q)  # slide 5
    return QbrContext(
        meta=meta,
        account=account,
        next_qbr=cover.next_qbr,
        next_ebr=cover.next_ebr,
        our_team=cover.our_team,
        client_team=cover.client_team,
        sponsors=cover.sponsors,
        revenue=revenue.now,
        revenue_previous=revenue.before,
        growth=revenue.growth,
        revenue_trend=revenue.trend,
        lead_line=lead_line,
        lead_line_change=lead_change,
        nrr=nrr,
        grr=grr,
        margin=margin,
        share_of_wallet=share_of_wallet,
        nps=nps,
        nps_answers=nps_answers,
        health=health.figure,
        health_rag=health.rag,
        health_previous=health.previous,
        health_trend=health.trend,
        forecast_accuracy=accuracy,
        periods=trajectory.periods,
        actual=trajectory.actual,
        forecast=trajectory.forecast,
        health_periods=health.periods,
        health_series=health.series,
        year_growth=trajectory.year_growth,
        wins=wins,
        watch=watch,
        asks=asks,
        people=relationships.people,
        coverage=relationships.coverage,
        missing_roles=relationships.missing_roles,
        stale_contacts=relationships.stale,
        plan=plan,
        opportunities=pipeline.opportunities,
        pipeline_value=pipeline.value,
        weighted_pipeline=pipeline.weighted,
        win_rate=pipeline.win_rate,
        median_cycle=pipeline.median_cycle,
        risks=risks,
        actions=actions.rows,
        next_steps=next_steps,
        health_cuts=_health_cuts(q),
        notes=_missing_notes(q, revenue, nps, health.figure, margin),
        bare=_bare(book, mine),
        line_bridge=line_bridge,
        left_out=q.left.items,
    )


@dataclass(frozen=True, slots=True)
class _AccountDeck:
    """What every section of one account's deck (QBR, handshake) reads: the workbook, the
    account and its Accounts row, the audience, the check of the cells, which rows of each
    detail sheet are the account's, and the record of what is left out (each section adds
    to it)."""

    book: KamWorkbook
    account_id: str
    meta: Meta
    account: Account
    row: pd.Series
    bad: BadInputs
    left: _LeftOut
    mine: dict[str, np.ndarray]

    @property
    def internal(self) -> bool:
        """True for our own deck; False for the client's, which carries no internal field."""
        return self.meta.audience is Audience.INTERNAL

    @property
    def index(self) -> int:
        """The account's position in Accounts (for the computed columns and their check)."""
        return int(self.row.name)


# --- QBR slide 1: cover and teams -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Cover:
    """The cover's governance and teams, and the client's people as later sections compare
    names (:func:`_person_key`): ``client_keys`` all stakeholders, ``hidden`` those a client
    deck never names (the blockers; empty internally)."""

    next_qbr: date | None
    next_ebr: date | None
    our_team: list[str]
    client_team: list[str]
    sponsors: tuple[str | None, str | None]
    client_keys: set[str]
    hidden: set[str]


def _cover(q: _AccountDeck, relationships: _Relationships) -> _Cover:
    """Slide 1: the next QBR and EBR (Meetings), our team and the client's attendees of the
    next QBR, and the sponsors. For the client, a blocker is named nowhere (not in the
    client team, not as sponsor)."""
    meetings = q.book["Meetings"]
    upcoming = (meetings["date"] > pd.Timestamp(q.meta.as_of)).to_numpy()
    next_qbr = _next_meeting(q, "QBR", upcoming)
    next_ebr = _next_meeting(q, "EBR", upcoming)
    stakeholders = _rows(q.book["Stakeholders"], q.account_id)
    client_keys = {_person_key(n) for n in set(stakeholders["name"].dropna())}
    blockers = set(stakeholders.query("role == 'blocker'")["name"].dropna())
    hidden = {_person_key(n) for n in blockers} if not q.internal else set()
    our_team, client_team = _teams(q, relationships, upcoming, client_keys, hidden)
    sponsor_cells = _handshake_cells(q.book, q.account_id, ["client_sponsor", "our_sponsor"])
    sponsors = (
        (None, None)
        if q.left("sponsors", sponsor_cells + relationships.cells)
        else _sponsors(q.book, q.account, relationships.people, hidden)
    )
    return _Cover(next_qbr, next_ebr, our_team, client_team, sponsors, client_keys, hidden)


def _next_meeting(q: _AccountDeck, kind: str, upcoming: np.ndarray) -> date | None:
    """The date of the account's next meeting of ``kind`` (QBR, EBR) after the as-of date;
    None when there is none, or when it is left out (``next_qbr``, ``next_ebr``)."""
    meetings = q.book["Meetings"]
    keys = {
        "account_id": q.mine["Meetings"],
        "type": (meetings["type"] == kind).to_numpy(),
        "date": upcoming,
    }
    if q.left(f"next_{kind.lower()}", q.bad.selection("Meetings", keys, [])):
        return None
    return _next(meetings[q.bad.surely("Meetings", keys)].sort_values("date"), kind)


def _teams(
    q: _AccountDeck,
    relationships: _Relationships,
    upcoming: np.ndarray,
    client_keys: set[str],
    hidden: set[str],
) -> tuple[list[str], list[str]]:
    """(our team, client team) on the cover: the attendees of the next QBR, split into the
    client's stakeholders and ours (with the KAM and our executive sponsor first). With no
    client attendee recorded, the client's side is its stakeholders who decide first (by
    role, which is client-visible, unlike power). ``hidden`` people are not named."""
    meetings = q.book["Meetings"]
    qbr_keys = {
        "account_id": q.mine["Meetings"],
        "type": (meetings["type"] == "QBR").to_numpy(),
        "date": upcoming,
    }
    team_cells = q.bad.selection("Meetings", qbr_keys, ["attendees"]) + relationships.cells
    next_qbrs = meetings[q.bad.surely("Meetings", qbr_keys)].sort_values("date")
    attendees = [] if q.left("client_team", team_cells) else _attendees(next_qbrs)
    client_team = [
        n for n in attendees if _person_key(n) in client_keys and _person_key(n) not in hidden
    ]
    if not client_team and "client_team" not in q.left.items:
        ranked = sorted(relationships.people, key=_role_rank)
        client_team = _unique(p.name for p in ranked)[:COVER_TEAM]
    our_team = _unique(
        [q.account.kam, q.account.exec_sponsor]
        + [n for n in attendees if _person_key(n) not in client_keys]
    )
    return our_team, client_team


# --- QBR slide 3: executive summary (wins, watch, asks) ---------------------------------------
# A list resting on a bad cell is left out whole: it is cut to its first items, so one
# uncertain item could change which others show.


def _summary_wins(q: _AccountDeck, plan: list[dict[str, Any]], plan_cells: BadCells) -> list[Item]:
    """The wins: won opportunities and done initiatives. The client reads a won deal as a
    project we started together (:func:`_for_client`), not as a sale."""
    frame = q.book["Opportunities"]
    won_keys = {
        "account_id": q.mine["Opportunities"],
        "outcome": (frame["outcome"] == "won").to_numpy(),
        "closed": None,
    }
    cells = q.bad.selection("Opportunities", won_keys, ["opportunity", "amount"]) + plan_cells
    if q.left("wins", cells):
        return []
    wins = _wins(frame[q.bad.surely("Opportunities", won_keys)], plan, q.meta)
    return wins if q.internal else [_for_client(w) for w in wins]


def _summary_watch(
    q: _AccountDeck,
    revenue: _Revenue,
    health: _Health,
    relationships: _Relationships,
    plan: list[dict[str, Any]],
    plan_cells: BadCells,
    actions: _Actions,
    risks: list[dict[str, Any]] | None,
) -> list[Item]:
    """The watch points (:func:`_watch`, four at most): plan rows late or at risk and
    overdue actions; internally also an amber, red or falling health, a decline of revenue,
    a deal just lost, contacts not seen and the highest risk. The client's watch reads none
    of those internal signals (nor their cells)."""
    frame = q.book["Opportunities"]
    lost_keys = {
        "account_id": q.mine["Opportunities"],
        "outcome": (frame["outcome"] == "lost").to_numpy(),
        "closed": None,
    }
    cells = actions.cells + plan_cells
    if q.internal:
        cells += (
            (health.figure.bad_cells if health.figure is not None else ())
            + q.bad.computed("rag", q.index)
            + tuple(c for p in health.periods for c in q.left.items.get(f"health:{p}", ()))
            + revenue.cells_now
            + revenue.cells_before
            + relationships.contact_cells
            + q.left.items.get("risks", ())
            + q.bad.selection("Opportunities", lost_keys, ["opportunity", "amount"])
        )
    signals = Signals(
        rag=health.rag,
        trend=health.trend,
        growth=revenue.growth if q.internal else None,
        lost=(
            _recent_losses(frame[q.bad.surely("Opportunities", lost_keys)], q.meta)
            if q.internal
            else []
        ),
        stale=relationships.stale,
        risks=risks,
    )
    if q.left("watch", cells):
        return []
    return _watch(signals, plan, _overdue(actions.rows, q.meta.as_of))


def _summary_asks(
    q: _AccountDeck,
    relationships: _Relationships,
    actions: _Actions,
    pipeline: _Pipeline,
    cover: _Cover,
) -> list[Item]:
    """The asks: the client's open actions not yet due and, internally, a decision on each
    opportunity at a decision stage. The client deck asks no decision: the stage is our
    selling judgement."""
    cells = q.bad.selection("Actions", actions.keys, ["action", *_RACI]) + relationships.cells
    if q.internal:
        cells += q.bad.selection(
            "Opportunities", pipeline.open_keys, ["stage", "amount", "opportunity"]
        )
    if q.left("asks", cells):
        return []
    return _asks(
        _upcoming(actions.rows, q.meta.as_of),
        cover.client_keys - cover.hidden,
        pipeline.open if q.internal else pipeline.open.iloc[0:0],
    )


# --- QBR slide 4: KPI scorecard ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Revenue:
    """The revenue tile: the current and previous revenue of Accounts, and the cells each
    rests on (NRR/GRR and the watch points read them too)."""

    now: float | None
    before: float | None
    growth: float | None
    trend: str | None
    cells_now: BadCells
    cells_before: BadCells


def _revenue_figures(q: _AccountDeck) -> _Revenue:
    """The account's revenue of the current and previous period (Accounts revenue_curr,
    revenue_prev), its growth and trend. Client-safe: it is the client's own spend."""
    cells_now = q.bad.at("Accounts", ["revenue_curr"], q.index)
    cells_before = q.bad.at("Accounts", ["revenue_prev"], q.index)
    now = q.left.number("revenue", _value(q.row["revenue_curr"]), cells_now)
    before = q.left.number("revenue_previous", _value(q.row["revenue_prev"]), cells_before)
    growth = now / before - 1 if now is not None and before else None
    trend = None
    if now is not None and before is not None:
        trend = core.trends(np.array([now]), np.array([before])).values[0]
    return _Revenue(now, before, growth, trend, cells_now, cells_before)


def _retention(q: _AccountDeck, revenue: _Revenue) -> tuple[Figure, Figure]:
    """(NRR, GRR) of the account, from its previous to its current revenue. Client-safe."""
    cells = revenue.cells_before + revenue.cells_now
    start, end = np.array([revenue.before or np.nan]), np.array([revenue.now or np.nan])
    nrr = q.left.figure("nrr", figure(core.nrr, start, end, bad=cells))
    grr = q.left.figure("grr", figure(core.grr, start, end, bad=cells))
    return nrr, grr


def _account_economics(q: _AccountDeck) -> tuple[Figure | None, Figure | None]:
    """(margin, share of wallet): internal -- what we earn on the client and our share of
    their spend are ours to know -- so both are None for the client."""
    if not q.internal:
        return None, None
    margin = q.left.figure("margin", account_figure(q.book, "margin", q.index))
    share = q.left.figure("share_of_wallet", account_figure(q.book, "sow", q.index))
    return margin, share


def _voice_of_customer(q: _AccountDeck) -> tuple[Figure, int | None]:
    """(NPS, number of answers) of the account's survey answers of the last twelve months
    (an undated answer counts). Client-safe: it is the client's own voice."""
    frame = q.book["Surveys"]
    days = day_numbers_of(frame["date"])
    as_of_day = (np.datetime64(q.meta.as_of, "D") - np.datetime64("1899-12-30", "D")).astype(float)
    recent = np.isnan(days) | ((days <= as_of_day) & (days > as_of_day - 365))
    keys = {"account_id": q.mine["Surveys"], "date": recent}
    cells = q.bad.selection("Surveys", keys, ["nps"])
    answers = frame["nps"].to_numpy(dtype=np.float64)[q.bad.surely("Surveys", keys)]
    nps = q.left.figure("nps", figure(core.nps, answers, bad=cells))
    count = q.left.number("nps_answers", int(np.count_nonzero(~np.isnan(answers))), cells)
    return nps, count


def _forecast_accuracy(q: _AccountDeck, trajectory: _Trajectory) -> Figure | None:
    """The forecast accuracy over the last four periods up to the current one with both a
    revenue and a forecast. Internal (our forecast is our selling judgement): None for the
    client."""
    if not q.internal:
        return None
    frame = q.book["Revenue"]
    current = q.meta.period
    so_far = [p for p in frame["period"].dropna().unique() if _before(p, current)]
    up_to_now = frame["period"].isin(so_far).to_numpy()
    cells = q.bad.selection(
        "Revenue", {"account_id": q.mine["Revenue"], "period": up_to_now}, ["revenue", "forecast"]
    )
    pairs = [
        (f, a)
        for p, a, f in zip(trajectory.periods, trajectory.actual, trajectory.forecast, strict=True)
        if _before(p, current) and a is not None and f is not None
    ][-4:]
    forecasts = np.array([f for f, _ in pairs], dtype=float)
    actuals = np.array([a for _, a in pairs], dtype=float)
    accuracy = figure(core.forecast_accuracy, forecasts, actuals, bad=cells)
    return q.left.figure("forecast_accuracy", accuracy)


def _missing_notes(
    q: _AccountDeck, revenue: _Revenue, nps: Figure, health: Figure | None, margin: Figure | None
) -> list[str]:
    """The scorecard's figures missing for want of data (not for a bad cell, which
    ``left_out`` names), for the speaker notes. The client's notes name no internal figure
    (health and margin are None for the client)."""
    notes: list[str] = []
    if revenue.now is None and not revenue.cells_now:
        notes.append("revenue")
    if not nps.ok and not nps.from_bad_input:
        notes.append("nps")
    if health is not None and not health.ok and not health.from_bad_input:
        notes.append("health")
    if q.internal and margin is not None and not margin.ok and not margin.from_bad_input:
        notes.append("margin")
    return notes


# --- QBR slide 5: revenue trajectory ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Trajectory:
    """The revenue chart: the account's periods of Revenue, in order, with the revenue and
    the forecast of each, and the growth over the same period a year before."""

    periods: list[str]
    actual: list[float | None]
    forecast: list[float | None]
    year_growth: float | None


def _revenue_trajectory(q: _AccountDeck) -> _Trajectory:
    """The revenue and forecast per period of the account's Revenue rows; a period resting
    on a bad cell is None (left out as ``revenue:<period>``). The client deck shows no
    forecast (our selling judgement): its forecast is all None, and nothing is recorded."""
    frame = q.book["Revenue"]
    sure = q.bad.surely("Revenue", {"account_id": q.mine["Revenue"]})
    periods = _period_order(frame[sure]["period"].dropna().unique())
    actual = _per_period(q, periods, "revenue", sure)
    no_forecast: list[float | None] = [None] * len(periods)
    forecast = _per_period(q, periods, "forecast", sure) if q.internal else no_forecast
    return _Trajectory(periods, actual, forecast, _year_growth(q.meta.period, periods, actual))


def _per_period(
    q: _AccountDeck, periods: list[str], column: str, sure: np.ndarray
) -> list[float | None]:
    """The sum of the account's ``column`` of Revenue in each of ``periods`` (over its
    ``sure`` rows); None, recorded as ``<column>:<period>``, where it rests on a bad cell."""
    frame = q.book["Revenue"]
    values = []
    for period in periods:
        match = (frame["period"] == period).to_numpy()
        keys = {"account_id": q.mine["Revenue"], "period": match}
        cells = q.bad.selection("Revenue", keys, [column])
        total = _sum(frame[match & sure][column])
        values.append(q.left.number(f"{column}:{period}", total, cells))
    return values


def _year_growth(current: str, periods: list[str], actual: list[float | None]) -> float | None:
    """The revenue of the current period against the same period a year before; None when
    either is missing."""
    year_ago = parse_period(current).shift(-4 if not parse_period(current).is_month else -12).text
    if current not in periods or year_ago not in periods:
        return None
    now, then = actual[periods.index(current)], actual[periods.index(year_ago)]
    return now / then - 1 if now is not None and then else None


def _revenue_bridge(q: _AccountDeck) -> tuple[str | None, float | None]:
    """(product line, change): the line that drove the change from the previous period to
    the current one (:func:`_lead_line`). Client-safe: the client's own spend by line."""
    frame = q.book["Revenue"]
    both_periods = frame["period"].isin([q.meta.period, q.meta.previous_period]).to_numpy()
    keys = {"account_id": q.mine["Revenue"], "period": both_periods}
    if q.left("lead_line", q.bad.selection("Revenue", keys, ["revenue", "product_line"])):
        return None, None
    revenue = frame[q.bad.surely("Revenue", {"account_id": q.mine["Revenue"]})]
    return _lead_line(revenue, q.meta.period, q.meta.previous_period)


# --- QBR slide 6: health trend (and the health tile of slide 4) -------------------------------


@dataclass(frozen=True, slots=True)
class _Health:
    """Health with its RAG, previous value and trend, and its components per period."""

    figure: Figure | None
    previous: float | None
    trend: str | None
    rag: str | None
    periods: list[str]
    series: list[tuple[str, list[float | None]]]


def _health(q: _AccountDeck, periods: list[str]) -> _Health:
    """The account's health (rounded once, here, as Excel shows it, so the tile, the chart
    and the titles say the same number), RAG, trend against the previous period, and the
    series of health and its components. Internal (our judgement of the account): the
    client's context has no health at all (None, no series)."""
    if not q.internal:
        return _Health(None, None, None, None, [], [])
    health_periods, series = _health_series(q.book, q.account_id, periods, q.left)
    by_period = {p: v for p, v in zip(health_periods, series[0][1], strict=True) if v is not None}
    health = _rounded(q.left.figure("health", account_figure(q.book, "health", q.index)))
    previous = by_period.get(q.meta.previous_period or "")
    trend = None
    if health.ok and previous is not None:
        trend = core.trends(
            np.array([health.value]), np.array([previous]), HEALTH_TREND_TOLERANCE
        ).values[0]
    rag = account_label(q.book, "rag", q.index)
    q.left("rag", q.bad.computed("rag", q.index))
    return _Health(health, previous, trend, rag, health_periods, series)


def _health_cuts(q: _AccountDeck) -> tuple[float, float] | None:
    """The health thresholds (Settings red_max, amber_max) for the chart's RAG bands; None
    when a threshold fails the check."""
    if q.bad.settings("red_max", "amber_max"):
        return None
    return q.book.settings.red_max, q.book.settings.amber_max


# --- QBR slide 7: relationship map ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Relationships:
    """The relationship map, and the cells it rests on: ``cells`` those of the people (who
    they are, their roles), ``contact_cells`` those and the last contacts."""

    people: list[Person]
    coverage: Figure
    missing_roles: list[str]
    stale: list[Person]
    cells: BadCells
    contact_cells: BadCells


def _relationships(q: _AccountDeck) -> _Relationships:
    """The account's stakeholders, the coverage of the required roles, the roles missing,
    and the contacts not seen for :data:`STALE_CONTACT_DAYS` days. A client deck leaves the
    blockers out (the person, not only the label), their attitude and power (see
    :func:`_person`) and the contacts not seen (our follow-up)."""
    keys = {"account_id": q.mine["Stakeholders"], "name": None, "role": None}
    cells = q.bad.selection("Stakeholders", keys, [])
    stakeholders = q.book["Stakeholders"][q.bad.surely("Stakeholders", keys)]
    if not q.internal:
        stakeholders = stakeholders[stakeholders["role"] != "blocker"]
    people = (
        []
        if q.left("people", cells)
        else [
            _person(q.book, s, q.meta, q.internal)
            for s in _records(stakeholders, _PERSON_FIELDS, positions=True)
        ]
    )
    roles = [p.role for p in people]
    coverage = q.left.figure("coverage", figure(core.coverage, roles, bad=cells))
    missing_roles = [] if cells else [r for r in core.REQUIRED_ROLES if r not in roles]
    contact_cells = cells + q.bad.selection(
        "Stakeholders", {"account_id": q.mine["Stakeholders"]}, ["last_contact"]
    )
    if not q.internal or q.left("stale_contacts", contact_cells):
        stale = []
    else:
        stale = [
            p
            for p in people
            if p.days_since_contact is None or p.days_since_contact >= STALE_CONTACT_DAYS
        ]
    return _Relationships(people, coverage, missing_roles, stale, cells, contact_cells)


# --- QBR slide 8: objectives and initiatives --------------------------------------------------


def _objectives(q: _AccountDeck, hidden_people: set[str]) -> tuple[list[dict[str, Any]], BadCells]:
    """(plan rows, the cells they rest on): the account's objectives and initiatives with
    their status. A client deck shows only the rows marked client_visible, and names no
    ``hidden_people`` (blockers) as owners."""
    frame = q.book["Plan"]
    keys: dict[str, np.ndarray | None] = {"account_id": q.mine["Plan"], "status": None}
    if not q.internal:
        keys["client_visible"] = (frame["client_visible"] == "yes").to_numpy()
    cells = q.bad.selection("Plan", keys, [])
    rows = frame[q.bad.surely("Plan", keys)]
    if q.left("plan", cells):
        return [], cells
    plan = [
        _plan_item(q.book, p, hidden_people) for p in _records(rows, _PLAN_FIELDS, positions=True)
    ]
    return plan, cells


# --- QBR slide 9: pipeline --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Pipeline:
    """The pipeline slide, and the account's open opportunities (``open``, largest first,
    selected by ``open_keys``) that the asks read."""

    opportunities: list[dict[str, Any]]
    open: pd.DataFrame
    open_keys: dict[str, np.ndarray | None]
    value: float | None
    weighted: float | None
    win_rate: Figure | None
    median_cycle: Figure | None


def _pipeline(q: _AccountDeck) -> _Pipeline:
    """The open opportunities, largest first, and their total; internally also the weighted
    pipeline, the win rate and the median sales cycle. A client deck sees open proposals
    only (:data:`_PROPOSAL_FIELDS`: no stage, no probability) and none of our selling
    figures (None)."""
    frame = q.book["Opportunities"]
    is_open = (frame["outcome"] == "open").to_numpy()
    open_keys = {"account_id": q.mine["Opportunities"], "outcome": is_open}
    open_cells = q.bad.selection("Opportunities", open_keys, ["amount", "probability"])
    open_opps = frame[q.bad.surely("Opportunities", open_keys)].sort_values(
        "amount", ascending=False
    )
    fields = _OPPORTUNITY_FIELDS if q.internal else _PROPOSAL_FIELDS
    opportunities = (
        []
        if q.left("opportunities", q.bad.uncertain("Opportunities", open_keys))
        else [
            _without_bad(_checked_record(q.book, "Opportunities", o, fields))
            for o in _records(open_opps, ("_row", *fields), positions=True)
        ]
    )
    amounts = open_opps["amount"].to_numpy(dtype=np.float64)
    probabilities = np.nan_to_num(open_opps["probability"].to_numpy(dtype=np.float64))
    value = q.left.number(
        "pipeline_value",
        float(np.nansum(amounts)),
        q.bad.selection("Opportunities", open_keys, ["amount"]),
    )
    if not q.internal:
        return _Pipeline(opportunities, open_opps, open_keys, value, None, None, None)
    weighted = q.left.number(
        "weighted_pipeline", float(np.nansum(amounts * probabilities)), open_cells
    )
    win_rate, cycle = _selling_figures(q.book, q.left, q.mine["Opportunities"])
    return _Pipeline(opportunities, open_opps, open_keys, value, weighted, win_rate, cycle)


# --- QBR slide 10: risks and mitigations ------------------------------------------------------


def _risk_register(q: _AccountDeck) -> list[dict[str, Any]] | None:
    """The account's risks with their mitigations. Internal only: None for the client."""
    if not q.internal:
        return None
    keys = {"account_id": q.mine["Risks"], "status": None}
    if q.left("risks", q.bad.selection("Risks", keys, ["likelihood", "impact"])):
        return []
    return _risks(q.book, q.account_id)


# --- QBR slide 11: joint action plan ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Actions:
    """The open actions (RACI table rows, earliest due first), the selection of the account's
    Actions rows (``keys``) and the cells the table rests on."""

    rows: list[dict[str, Any]]
    keys: dict[str, np.ndarray | None]
    cells: BadCells


def _joint_actions(q: _AccountDeck, hidden_people: set[str]) -> _Actions:
    """The account's open actions with their RACI, earliest due first. A client deck names
    no ``hidden_people`` (blockers) in the RACI."""
    frame = q.book["Actions"]
    keys: dict[str, np.ndarray | None] = {
        "account_id": q.mine["Actions"],
        "status": None,
        "due": None,
    }
    cells = q.bad.selection("Actions", keys, [])
    still_open = (frame["status"] != "done").to_numpy()
    open_actions = frame[q.bad.surely("Actions", keys) & still_open].sort_values(
        "due", na_position="last"
    )
    if q.left("actions", cells):
        return _Actions([], keys, cells)
    rows = [
        {
            "row": a["_row"],
            "action": a["action"],
            **{role: _without_people(a[role], hidden_people) for role in _RACI},
            "due": a["due"],
        }
        for a in _records(open_actions, ("_row", "action", *_RACI, "due"))
    ]
    return _Actions(rows, keys, cells)


# --- QBR slide 12: next steps -----------------------------------------------------------------


def _qbr_next_steps(q: _AccountDeck, cover: _Cover, actions: _Actions) -> list[Item]:
    """The next steps: the first open actions not yet due, the next EBR and the handshake
    review (the next QBR has its own tile). Client-safe: the joint plan and governance."""
    handshake_cells = _handshake_cells(q.book, q.account_id, ["next_review"])
    cells = actions.cells + q.left.items.get("next_ebr", ()) + handshake_cells
    if q.left("next_steps", cells):
        return []
    upcoming = _upcoming(actions.rows, q.meta.as_of)
    return _next_steps(cover.next_qbr, cover.next_ebr, upcoming, q.book, q.account_id)


#: The sheets whose rows belong to an account (several rows per account, or one for the
#: Handshake), keyed by account_id.
_DETAIL_SHEETS = tuple(
    sheet.name
    for sheet in schema.SHEETS
    if sheet.name not in ("Settings", "Criteria", "Ratings", "Accounts")
)
_PERSON_FIELDS = (
    "_row",
    "name",
    "title",
    "role",
    "our_contact",
    "last_contact",
    "attitude",
    "power",
)
_PLAN_FIELDS = (
    "_row",
    "objective",
    "initiative",
    "owner",
    "client_owner",
    "due",
    "status",
    "value",
)
_OPPORTUNITY_FIELDS = (
    "opportunity",
    "type",
    "stage",
    "amount",
    "probability",
    "created",
    "closed",
)
#: What a client deck shows of an open opportunity: a proposal, without stage or probability.
_PROPOSAL_FIELDS = ("opportunity", "type", "amount", "closed")
_RACI = ("responsible", "accountable", "consulted", "informed")


def _win_rate(outcomes: Sequence[str | None]) -> float:
    return core.win_rate(core.outcome_codes(outcomes))


def _checked_record(
    book: KamWorkbook, sheet: str, record: dict[str, Any], fields: Sequence[str]
) -> dict[str, Any]:
    """``record`` (with its ``_row`` and ``_position``) with each field whose cell fails
    the check as None, and the names of those fields under ``"bad"``."""
    position = record["_position"]
    bad = bad_inputs(book)
    out: dict[str, Any] = {"row": record["_row"], "bad": set()}
    for name in fields:
        if bad.at(sheet, [name], position):
            out[name] = None
            out["bad"].add(name)
        else:
            out[name] = record[name]
    return out


def _without_bad(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != "bad"}


def _person(book: KamWorkbook, record: dict[str, Any], meta: Meta, internal: bool) -> Person:
    s = _checked_record(book, "Stakeholders", record, _PERSON_FIELDS[1:])
    return Person(
        name=str(s["name"]),
        title=s["title"],
        role=s["role"],
        our_contact=s["our_contact"] if internal else None,
        last_contact=s["last_contact"] if internal else None,
        days_since_contact=_days_between(meta.as_of, s["last_contact"]) if internal else None,
        attitude=s["attitude"] if internal else None,
        power=s["power"] if internal else None,
        row=s["row"],
    )


def _plan_item(book: KamWorkbook, record: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    p = _checked_record(book, "Plan", record, _PLAN_FIELDS[1:])
    initiative_bad = "initiative" in p["bad"]
    return {
        "row": p["row"],
        # what the plan row is called: its initiative, else its objective (not when the
        # initiative cell is bad: its text is unknown, not blank)
        "name": p["initiative"] or (None if initiative_bad else p["objective"]),
        "objective": p["objective"],
        "initiative": p["initiative"],
        "owner": _without_people(p["owner"], hidden),
        "client_owner": _without_people(p["client_owner"], hidden),
        "due": p["due"],
        "status": p["status"],
        "rag": PLAN_RAG.get(p["status"] or ""),
        "value": p["value"],
    }


def _handshake_cells(book: KamWorkbook, account_id: str, columns: Sequence[str]) -> BadCells:
    """The bad cells of the account's Handshake row (looked up: an account without a row
    may have any row whose account_id is bad)."""
    bad = bad_inputs(book)
    frame = book["Handshake"]
    rows = np.flatnonzero((frame["account_id"] == account_id).to_numpy())
    if len(rows):
        return bad.at("Handshake", ["account_id", *columns], int(rows[0]))
    return bad.cells("Handshake", ["account_id"])


def _before(period: str, current: str) -> bool:
    a, b = parse_period(period), parse_period(current)
    return a is not None and b is not None and a <= b


def _sum(values: pd.Series) -> float | None:
    present = values.dropna()
    return float(present.sum()) if len(present) else None


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
    book: KamWorkbook, account_id: str, periods: list[str], left: _LeftOut
) -> tuple[list[str], list[tuple[str, list[float | None]]]]:
    """Health and its components per period, up to the current one: the periods of the
    account's Revenue and Health rows together, and (component, values) with health first.
    A period whose Health row rests on a bad cell (or may: a bad account_id or period) shows
    no value, and is recorded as ``health:<period>`` in ``left``."""
    bad = bad_inputs(book)
    frame = book["Health"]
    mine = (frame["account_id"] == account_id).to_numpy()
    sure = bad.surely("Health", {"account_id": mine, "period": None})
    health = frame[sure].drop_duplicates("period")
    order = _period_order(set(periods) | set(health["period"].dropna()))
    order = [p for p in order if _before(p, book.settings.period or p)]
    by_period = health.set_index("period").reindex(order)
    components = by_period[list(HEALTH_COMPONENTS)].to_numpy(dtype=np.float64)
    weights_bad = bad.settings("w_adoption", "w_engagement", "w_satisfaction", "w_risk")
    scores = core.health_scores(
        components, book.settings.health_weights, np.array([False, False, False, True])
    )
    tainted = []
    for p in order:
        keys = {"account_id": mine, "period": (frame["period"] == p).to_numpy()}
        cells = bad.selection("Health", keys, HEALTH_COMPONENTS)
        tainted.append(left(f"health:{p}", cells))
    values = [
        None if code or gone or left(f"health:{p}", weights_bad) else excel_round(float(v))
        for p, v, code, gone in zip(order, scores.values, scores.errors, tainted, strict=True)
    ]
    series = [("health", values)] + [
        (
            c,
            [
                None if gone else _value(v)
                for v, gone in zip(by_period[c].tolist(), tainted, strict=True)
            ],
        )
        for c in HEALTH_COMPONENTS
    ]
    return order, series


def _risks(book: KamWorkbook, account_id: str) -> list[dict[str, Any]]:
    """The account's open risks, the most severe first (likelihood x impact)."""
    rows = _rows(book["Risks"], account_id)
    rows = rows[rows["status"] != "closed"]
    fields = ("risk", "likelihood", "impact", "mitigation", "owner")
    out = []
    for record in _records(rows, ("_row", *fields), positions=True):
        r = _checked_record(book, "Risks", record, fields)
        likelihood, impact = r["likelihood"], r["impact"]
        severity = likelihood * impact if likelihood is not None and impact is not None else None
        out.append(
            {
                "row": r["row"],
                "risk": r["risk"],
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
                "mitigation": r["mitigation"],
                "owner": r["owner"],
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
            items.append(
                Item(
                    "won",
                    {"name": o["opportunity"], "amount": _value(o["amount"]), "row": o["_row"]},
                )
            )
    items += [
        Item("done", {"name": p["name"], "row": p["row"]}) for p in plan if p["status"] == "done"
    ]
    return items[:4]


@dataclass(frozen=True, slots=True)
class Signals:
    """What may make a watch point besides the plan and the actions (internal: the client's
    context holds none of them)."""

    rag: str | None = None
    trend: str | None = None
    growth: float | None = None
    lost: list[Item] = field(default_factory=list)
    stale: list[Person] = field(default_factory=list)
    risks: list[dict[str, Any]] | None = None


def _watch(signals: Signals, plan: list[dict[str, Any]], overdue: list[Item]) -> list[Item]:
    """The watch points, the most pressing first: deals just lost, overdue actions, health,
    revenue down, plan rows late or at risk, contacts not seen, the highest risk."""
    items = [*signals.lost[:1], *overdue[:2]]
    if signals.rag in ("Red", "Amber") or signals.trend == "Down":
        items.append(Item("health", {"rag": signals.rag, "trend": signals.trend}))
    if signals.growth is not None and signals.growth < -0.005:  # as the titles: no "down 0%"
        items.append(Item("revenue_down", {"growth": signals.growth}))
    for p in plan:
        if p["status"] in ("late", "at risk"):
            items.append(Item("plan", {"name": p["name"], "status": p["status"], "row": p["row"]}))
    if signals.stale:
        items.append(Item("stale_contacts", {"count": len(signals.stale)}))
    if signals.risks:
        high = [r for r in signals.risks if r["level"] == "high"]
        if high:
            items.append(
                Item("risk", {"name": high[0]["risk"], "count": len(high), "row": high[0]["row"]})
            )
    return items[:4]


def _recent_losses(lost: pd.DataFrame, meta: Meta) -> list[Item]:
    """Deals lost in the :data:`RECENT_LOSS_DAYS` before the as-of date, the largest first."""
    items = []
    for o in _records(lost.sort_values("amount", ascending=False), _LOST_FIELDS):
        closed = o["closed"]
        days = _days_between(meta.as_of, closed)
        if days is not None and 0 <= days <= RECENT_LOSS_DAYS:
            items.append(
                Item(
                    "lost",
                    {
                        "name": o["opportunity"],
                        "amount": o["amount"],
                        "closed": closed,
                        "days": days,
                        "row": o["_row"],
                    },
                )
            )
    return items


_LOST_FIELDS = ("_row", "opportunity", "amount", "closed")


def _overdue(actions: list[dict[str, Any]], as_of: date) -> list[Item]:
    """The open actions past their due date, the oldest first: watch points, not steps."""
    return [
        Item(
            "overdue",
            {"name": a["action"], "who": a["responsible"], "due": a["due"], "row": a["row"]},
        )
        for a in actions
        if a["due"] is not None and a["due"] < as_of
    ]


def _upcoming(actions: list[dict[str, Any]], as_of: date) -> list[dict[str, Any]]:
    """The open actions not past their due date (an overdue one is a watch point)."""
    return [a for a in actions if a["due"] is None or a["due"] >= as_of]


def _asks(
    actions: list[dict[str, Any]], client_people: set[str], open_opps: pd.DataFrame
) -> list[Item]:
    """What we ask of the client: their open actions (``client_people`` are name keys of
    :func:`_person_key`), and a decision on each opportunity at a decision stage (proposal,
    negotiation, in English or French)."""
    items = [
        Item(
            "action",
            {"name": a["action"], "who": a["responsible"], "due": a["due"], "row": a["row"]},
        )
        for a in actions
        if isinstance(a["responsible"], str) and _person_key(a["responsible"]) in client_people
    ]
    decisions = open_opps[open_opps["stage"].map(stage_code).isin(DECISION_STAGES)]
    items += [
        Item(
            "decision",
            {"name": o["opportunity"], "amount": _value(o["amount"]), "row": o["_row"]},
        )
        for _, o in decisions.iterrows()
    ]
    return items[:3]


def _next_steps(
    next_qbr: date | None,
    next_ebr: date | None,
    actions: list[dict[str, Any]],
    book: KamWorkbook,
    account_id: str,
) -> list[Item]:
    """The next steps: the first open actions not yet due, the next EBR, the handshake
    review (the next QBR has its own tile)."""
    items = [
        Item(
            "action",
            {"name": a["action"], "who": a["responsible"], "due": a["due"], "row": a["row"]},
        )
        for a in actions[:4]
    ]
    if next_ebr is not None:
        items.append(Item("ebr", {"date": next_ebr}))
    handshake = _rows(book["Handshake"], account_id)
    if not handshake.empty and _value(handshake.iloc[0]["next_review"]) is not None:
        items.append(Item("review", {"date": _value(handshake.iloc[0]["next_review"])}))
    return items


def _sponsors(
    book: KamWorkbook, account: Account, people: list[Person], hidden: set[str]
) -> tuple[str | None, str | None]:
    """(client sponsor, our sponsor): the Handshake's, else the client's executive sponsor
    among ``people`` and the account's exec_sponsor. A hidden person (a blocker, for the
    client) is not named. The caller has checked the cells (:func:`_handshake_cells`)."""
    frame = book["Handshake"]
    rows = np.flatnonzero((frame["account_id"] == account.account_id).to_numpy())
    agreed: dict[str, Any] = {}
    if len(rows):
        for column in ("client_sponsor", "our_sponsor"):
            agreed[column] = _value(frame.iloc[int(rows[0])][column])
    executive = next((p.name for p in people if p.role == "executive sponsor"), None)
    client = _without_people(agreed.get("client_sponsor") or executive, hidden)
    return client, agreed.get("our_sponsor") or account.exec_sponsor


def _role_rank(person: Person) -> int:
    """Where a stakeholder comes on a cover: the executive sponsor and the deciders first
    (sheet order among equals)."""
    role = person.role or ""
    return _COVER_ROLES.index(role) if role in _COVER_ROLES else len(_COVER_ROLES)


def _for_client(item: Item) -> Item:
    """A win as the client reads it: a won deal is a project we started together."""
    return Item("signed", item.facts) if item.kind == "won" else item


def _rounded(value: Figure) -> Figure:
    """A figure rounded once, as Excel shows it (half away from zero, no decimal)."""
    if value.value is None:
        return value
    return replace(value, value=excel_round(float(value.value)))


def _selling_figures(book: KamWorkbook, left: _LeftOut, mine: np.ndarray) -> tuple[Figure, Figure]:
    """The account's win rate and median sales cycle (internal figures)."""
    bad = bad_inputs(book)
    frame = book["Opportunities"]
    keys = {"account_id": mine}
    win_rate = left.figure(
        "win_rate",
        figure(
            _win_rate,
            frame["outcome"][mine].tolist(),
            bad=bad.selection("Opportunities", keys, ["outcome"]),
        ),
    )
    rows = frame[mine]
    cycle = left.figure(
        "median_cycle",
        figure(
            core.median_cycle_days,
            day_numbers_of(rows["created"]),
            day_numbers_of(rows["closed"]),
            bad=bad.selection("Opportunities", keys, ["created", "closed"]),
        ),
    )
    return win_rate, cycle


def _bare(book: KamWorkbook, mine: dict[str, np.ndarray]) -> bool:
    """True when the account has no row in any sheet but Accounts: nothing to review."""
    return not any(bool(rows.any()) for rows in mine.values())


# --- Handshake ------------------------------------------------------------------------------


def handshake_context(
    book: KamWorkbook,
    account_id: str,
    *,
    language: str | None = None,
    as_of: date | None = None,
) -> HandshakeContext:
    """The handshake slide of ``account_id``: client-safe by construction (it reads no
    internal field). What rests on cells failing the check is left out, as for the QBR.

    The slide's parts (shared/spec/decks.md) have their helpers below; the cells of the
    Handshake row are read in the order of the slide's fields (``left_out`` keeps it)."""
    meta = _meta(book, Audience.CLIENT, language, as_of)
    account, row = _account(book, account_id)
    mine = {name: (book[name]["account_id"] == account_id).to_numpy() for name in _DETAIL_SHEETS}
    q = _AccountDeck(book, account_id, meta, account, row, bad_inputs(book), _LeftOut(), mine)
    handshake = _handshake_row(q)
    today = _value_today(q)
    initiatives = _joint_initiatives(q)
    governance = _governance(q)
    asks = _handshake_asks(q)
    cell = handshake.cell
    return HandshakeContext(
        meta=meta,
        account=account,
        found=handshake.found,
        client_priorities=_lines(cell("client_priorities")),
        ambition=_lines(cell("shared_ambition")),
        today=today,
        in_12_months=cell("ambition_12m"),
        in_36_months=cell("ambition_36m"),
        initiatives=initiatives,
        meetings=governance,
        sponsors=(cell("client_sponsor"), cell("our_sponsor")),
        our_commitments=_lines(cell("our_commitments")),
        client_commitments=_lines(cell("client_commitments")),
        asks=asks,
        agreed_by=cell("agreed_by"),
        agreed_on=cell("agreed_on"),
        next_review=cell("next_review"),
        left_out=q.left.items,
    )


@dataclass(frozen=True, slots=True)
class _HandshakeRow:
    """The account's Handshake row (None when it has none) and its position in the sheet."""

    q: _AccountDeck
    row: pd.Series | None
    position: int | None

    @property
    def found(self) -> bool | None:
        """True with a Handshake row, None when a row may be the account's (its account_id
        cell fails the check: ``handshake`` left out), else False."""
        if self.row is not None:
            return True
        return None if "handshake" in self.q.left.items else False

    def cell(self, column: str) -> Any:
        """The account's Handshake cell, None when blank or failing the check (recorded by
        ``column``)."""
        if self.row is None or self.q.left(
            column, self.q.bad.at("Handshake", ["account_id", column], self.position)
        ):
            return None
        return _value(self.row[column])


def _handshake_row(q: _AccountDeck) -> _HandshakeRow:
    """The account's Handshake row; without one, the sheet's bad account_id cells are
    recorded as ``handshake`` (one of them may be the account's row)."""
    rows = _rows(q.book["Handshake"], q.account_id)
    if rows.empty:
        q.left("handshake", q.bad.cells("Handshake", ["account_id"]))
        return _HandshakeRow(q, None, None)
    return _HandshakeRow(q, rows.iloc[0], int(np.flatnonzero(q.mine["Handshake"])[0]))


def _value_today(q: _AccountDeck) -> float | None:
    """ "Today" of the value trajectory: the account's revenue of the last four quarters
    (twelve months) before the current period. Client-safe: the client's own spend."""
    frame = q.book["Revenue"]
    sure = q.bad.surely("Revenue", {"account_id": q.mine["Revenue"], "period": None})
    periods = [
        p for p in _period_order(frame[sure]["period"].unique()) if _before(p, q.meta.period)
    ]
    per_year = 12 if parse_period(q.meta.period).is_month else 4
    last_year = frame["period"].isin(periods[-per_year:]).to_numpy()
    keys = {"account_id": q.mine["Revenue"], "period": last_year}
    total = _sum(frame[sure & last_year]["revenue"])
    return q.left.number("today", total, q.bad.selection("Revenue", keys, ["revenue"]))


def _people_cells(q: _AccountDeck) -> BadCells:
    """The cells saying who the account's stakeholders are and their roles (which names
    are the client's and which are blockers')."""
    keys = {"account_id": q.mine["Stakeholders"], "name": None, "role": None}
    return q.bad.selection("Stakeholders", keys)


def _joint_initiatives(q: _AccountDeck) -> list[dict[str, Any]]:
    """The joint initiatives with owners on both sides: the account's Plan rows marked
    client_visible and not done. A blocker is named as no owner (the slide is the
    client's)."""
    frame = q.book["Plan"]
    keys = {
        "account_id": q.mine["Plan"],
        "client_visible": (frame["client_visible"] == "yes").to_numpy(),
        "status": (frame["status"] != "done").to_numpy(),
    }
    blockers = _blocker_keys(q.book, q.account_id)
    if q.left("initiatives", q.bad.selection("Plan", keys, []) + _people_cells(q)):
        return []
    records = _records(frame[q.bad.surely("Plan", keys)], _PLAN_FIELDS, positions=True)
    items = (_plan_item(q.book, r, blockers) for r in records)
    return [
        {
            "row": p["row"],
            "initiative": p["name"],
            "owner": p["owner"],
            "client_owner": p["client_owner"],
            "due": p["due"],
        }
        for p in items
    ]


def _governance(q: _AccountDeck) -> list[dict[str, Any]]:
    """The governance calendar: the account's QBR, EBR and steering meetings after the
    as-of date, earliest first (type and date only: the slide names no attendee)."""
    meetings = q.book["Meetings"]
    keys = {
        "account_id": q.mine["Meetings"],
        "date": (meetings["date"] > pd.Timestamp(q.meta.as_of)).to_numpy(),
        "type": meetings["type"].isin(["QBR", "EBR", "steering"]).to_numpy(),
    }
    upcoming = meetings[q.bad.surely("Meetings", keys)].sort_values("date")
    if q.left("meetings", q.bad.selection("Meetings", keys, [])):
        return []
    return [{"type": m["type"], "date": m["date"]} for m in _records(upcoming, ("type", "date"))]


def _handshake_asks(q: _AccountDeck) -> list[str]:
    """The asks: the first three open actions, earliest due first, of the client's people
    (a blocker's actions are not the client's asks on this slide)."""
    stakeholders = _rows(q.book["Stakeholders"], q.account_id)
    client_people = set(stakeholders[stakeholders["role"] != "blocker"]["name"].dropna())
    frame = q.book["Actions"]
    keys = {
        "account_id": q.mine["Actions"],
        "status": (frame["status"] != "done").to_numpy(),
        "responsible": frame["responsible"].isin(client_people).to_numpy(),
        "due": None,
    }
    actions = frame[q.bad.surely("Actions", keys)]
    if q.left("asks", q.bad.selection("Actions", keys, ["action"]) + _people_cells(q)):
        return []
    return [str(a["action"]) for _, a in actions.sort_values("due").iterrows()][:3]


def handshake_agreed(ctx: HandshakeContext) -> bool:
    """Whether the handshake has an agreement to show: a Handshake row (or one in doubt,
    whose cells are left out) with priorities, an ambition, commitments or who agreed."""
    if ctx.found is None:
        return True
    return ctx.found and bool(
        ctx.client_priorities
        or ctx.ambition
        or ctx.our_commitments
        or ctx.client_commitments
        or ctx.agreed_by
    )


# --- Portfolio ------------------------------------------------------------------------------


def portfolio_context(
    book: KamWorkbook, *, language: str | None = None, as_of: date | None = None
) -> PortfolioContext:
    """The portfolio review of the whole workbook (always internal). What rests on cells
    failing the check is left out, as for the QBR.

    The slides (shared/spec/decks.md) have their helpers below, run in the order
    ``left_out`` keeps; the retention and concentration figures are the catalogue's
    (:func:`~kamxl.workbook.kpis.portfolio_kpis`)."""
    meta = _meta(book, Audience.INTERNAL, language, as_of)
    settings = book.settings
    p = _Portfolio(book, meta, bad_inputs(book), _LeftOut())
    points, point_ids = _portfolio_matrix(p)  # slide 2
    pareto, with_revenue = _pareto(p)  # slide 3
    rows = _tiering(p)  # slide 4
    kam_load = _kam_load(p)  # slide 6
    stale = _stale_plan_rows(p)  # slide 7
    movements = _revenue_movements(p)  # slide 5
    bridge = _portfolio_bridge(p)  # slide 8
    whitespace = _whitespace(p)  # slide 9
    kpis = portfolio_kpis(book)
    return PortfolioContext(
        meta=meta,
        kpis=kpis,
        matrix=points,
        matrix_accounts=point_ids,
        cut_strength=settings.cut_strength,
        cut_attractiveness=settings.cut_attractiveness,
        strategic_share=_strategic_share(p),
        pareto=pareto,
        top_accounts=_top_accounts(kpis.top20_fraction, with_revenue),
        accounts=rows,
        kam_load=kam_load,
        load_norm=KAM_LOAD_NORM,
        stale_plans=stale,
        half_life_days=settings.freshness_half_life_days,
        any_plan_date=bool(book.accounts["plan_updated"].notna().any()),
        movements=movements,
        tier_labels=settings.tier_labels,
        left_out={**_figures_left_out(kpis), **p.left.items},
        bridge=bridge,
        whitespace=whitespace,
    )


@dataclass(frozen=True, slots=True)
class _Portfolio:
    """What every slide of the portfolio review reads: the workbook, the check of its cells
    and the record of what is left out."""

    book: KamWorkbook
    meta: Meta
    bad: BadInputs
    left: _LeftOut

    def of_accounts(self, *columns: str) -> BadCells:
        """The bad cells of Accounts in account_id and ``columns`` (of any account)."""
        return self.bad.cells("Accounts", ["account_id", *columns])


def _portfolio_matrix(p: _Portfolio) -> tuple[list[tuple[str, float, float, float]], list[Any]]:
    """(points, their account_ids) of the matrix: each account with a strength, an
    attractiveness and a positive current revenue (the bubble's size) on a good cell."""
    points, point_ids = [], []
    records = _records(p.book.accounts, ("account_id", "name", "revenue_curr"))
    for position, a in enumerate(records):
        strength = account_figure(p.book, "strength", position)
        attractiveness = account_figure(p.book, "attractiveness", position)
        revenue_bad = p.bad.at("Accounts", ["account_id", "revenue_curr"], position)
        values = (strength.value, attractiveness.value, a["revenue_curr"])
        if None not in values and not revenue_bad and values[2] > 0:
            label = str(a["name"] or a["account_id"])
            points.append((label, float(values[0]), float(values[1]), float(values[2])))
            point_ids.append(a["account_id"])
    p.left("matrix", p.of_accounts("strength", "attractiveness", "revenue_curr"))
    return points, point_ids


def _pareto(p: _Portfolio) -> tuple[tuple[list[float], list[float]], int]:
    """((share of accounts, cumulative share of revenue), number of accounts with a
    revenue): the concentration curve, biggest accounts first."""
    revenue = p.book.accounts["revenue_curr"].clip(lower=0)
    total = float(revenue.sum())
    shares = np.sort(revenue.dropna().to_numpy())[::-1]
    cumulative = (
        np.concatenate([[0.0], np.cumsum(shares) / total]) if total > 0 else np.array([0.0])
    )
    account_share = np.arange(len(cumulative)) / max(len(cumulative) - 1, 1)
    if p.left("pareto", p.of_accounts("revenue_curr")):
        return ([], []), len(shares)
    return (account_share.tolist(), cumulative.tolist()), len(shares)


def _strategic_share(p: _Portfolio) -> float | None:
    """The share of the portfolio's revenue in Strategic accounts (the matrix's title)."""
    accounts = p.book.accounts
    revenue = accounts["revenue_curr"].clip(lower=0)
    total = float(revenue.sum())
    strategic = revenue[accounts["quadrant"] == "Strategic"].sum()
    share = float(strategic / total) if total > 0 else None
    return p.left.number("strategic_share", share, p.of_accounts("revenue_curr", "quadrant"))


def _tiering(p: _Portfolio) -> list[dict[str, Any]]:
    """The tiering table: every account, best score first (then the biggest revenue)."""
    table = p.book.accounts.sort_values(
        ["score", "revenue_curr"], ascending=[False, False], na_position="last"
    )
    rows = _tiering_rows(p.book, table)
    p.left("accounts", p.of_accounts())
    return rows


def _kam_load(p: _Portfolio) -> list[tuple[str, int]]:
    """(KAM, key accounts) for every KAM of Accounts, the most loaded first (a KAM with no
    key account counts 0)."""
    accounts = p.book.accounts
    if p.left("kam_load", p.of_accounts("status", "kam")):
        return []
    key = (accounts["status"] == "key").to_numpy()
    load = accounts[key].groupby("kam").size().sort_values(ascending=False)
    kam_load = [(str(k), int(load.get(k, 0))) for k in accounts["kam"].dropna().unique()]
    kam_load.sort(key=lambda kv: -kv[1])
    return kam_load


def _stale_plan_rows(p: _Portfolio) -> list[dict[str, Any]]:
    """The accounts whose plan is stale (:func:`~kamxl.workbook.kpis.stale_plans`), the
    most stale first, with the plan's age and freshness; a revenue on a bad cell is None."""
    stale_mask, stale_cells = stale_plans(p.book)
    stale = p.book.accounts[stale_mask]
    if p.left("stale_plans", stale_cells):
        return []
    return [
        {
            "account_id": a["account_id"],
            "name": a["name"] or a["account_id"],
            "kam": a["kam"],
            "updated": a["plan_updated"],
            "days": _days_between(p.meta.as_of, a["plan_updated"]),
            "freshness": a["freshness"],
            "revenue": None
            if p.bad.at("Accounts", ["account_id", "revenue_curr"], a["_position"])
            else a["revenue_curr"],
        }
        for a in _records(
            _most_stale_first(stale),
            ("account_id", "name", "kam", "plan_updated", "freshness", "revenue_curr"),
            positions=True,
        )
    ]


def _revenue_movements(p: _Portfolio) -> list[dict[str, Any]]:
    """The revenue bridge's movements (:func:`_movements`): largest changes, churn and new
    accounts first."""
    if p.left("movements", p.of_accounts("revenue_prev", "revenue_curr")):
        return []
    return _movements(p.book.accounts)


def _most_stale_first(stale: pd.DataFrame) -> pd.DataFrame:
    """The stale plans in the order they matter: the dated ones first, the least fresh first
    (a plan that has aged is a finding; a list led by names with no date says only that
    dates were not kept), then those with no plan date; among equals the biggest revenue
    (the top of the list is what the slide shows)."""
    freshness = pd.to_numeric(stale["freshness"], errors="coerce")
    order = stale.assign(
        _undated=freshness.isna(),
        _freshness=freshness.fillna(-np.inf),
        _revenue=pd.to_numeric(stale["revenue_curr"], errors="coerce").fillna(-np.inf),
    ).sort_values(
        ["_undated", "_freshness", "_revenue"], ascending=[True, True, False], kind="stable"
    )
    return order.drop(columns=["_undated", "_freshness", "_revenue"])


#: The columns of the tiering table: (key, column of Accounts).
_TIERING = (
    ("account_id", "account_id"),
    ("name", "name"),
    ("kam", "kam"),
    ("status", "status"),
    ("revenue", "revenue_curr"),
    ("score", "score"),
    ("tier", "tier"),
    ("quadrant", "quadrant"),
    ("health", "health"),
    ("rag", "rag"),
)


def _top_accounts(fraction: Figure, accounts: int) -> tuple[int, int] | None:
    """(k, N) of the top-20 % share: how many accounts it counts, out of how many."""
    if fraction.value is None or accounts == 0:
        return None
    return round(fraction.value * accounts), accounts


def _tiering_rows(book: KamWorkbook, table: pd.DataFrame) -> list[dict[str, Any]]:
    """The tiering table, one row per account in the order of ``table``; a value resting on
    a cell that fails the check is None, and an account whose id is in doubt is left out."""
    rows = _records(table, _TIERING)
    bad = bad_inputs(book)
    if bad.none:
        return rows
    positions = [book.accounts.index.get_loc(i) for i in table.index]
    kept = []
    for row, position in zip(rows, positions, strict=True):
        if bad.at("Accounts", ["account_id"], position):
            continue
        for key, column in _TIERING:
            if bad.at("Accounts", [column], position):
                row[key] = None
        kept.append(row)
    return kept


def _movements(accounts: pd.DataFrame) -> list[dict[str, Any]]:
    """The largest revenue changes of the period (at most 8)."""
    change = accounts["revenue_curr"].fillna(0) - accounts["revenue_prev"].fillna(0)
    moves = accounts.assign(change=change, size=change.abs()).sort_values("size", ascending=False)
    return [
        {
            "account_id": a["account_id"],
            "name": a["name"],
            "kam": a["kam"],
            "previous": a["revenue_prev"],
            "current": a["revenue_curr"],
            "change": a["change"],
            "movement": _movement(a["revenue_prev"], a["revenue_curr"]),
        }
        for a in _records(
            moves.head(8),
            ("account_id", "name", "kam", "revenue_prev", "revenue_curr", "change", "size"),
        )
        if a["size"] > 0
    ]


def _figures_left_out(kpis: PortfolioKpis) -> dict[str, BadCells]:
    """The portfolio KPIs that rest on bad cells, by name."""
    out = {}
    for name in PortfolioKpis.__dataclass_fields__:
        value = getattr(kpis, name)
        cells = getattr(value, "bad_cells", ())
        if cells:
            out[name] = cells
    return out


def _movement(previous: float | None, current: float | None) -> str:
    """new, churned, up or down: how an account's revenue moved over the period."""
    before, now = previous or 0.0, current or 0.0
    if before <= 0 < now:
        return "new"
    if before > 0 and now <= 0:
        return "churned"
    return "up" if now >= before else "down"


# --- The revenue bridge (QBR slide 5, portfolio slide 8) -------------------------------------


@dataclass(frozen=True, slots=True)
class RevenueBridge:
    """A revenue bridge as a deck shows it: the steps (:class:`~kamxl.core.bridge.Bridge`)
    from ``previous_period`` to ``period``, or None with ``reason`` (why it is left out, for
    the command's warning; empty when it rests on cells that fail the check, which
    ``left_out`` names instead)."""

    bridge: Bridge | None
    period: str
    previous_period: str | None
    reason: str = ""


def _bridge_of(previous: np.ndarray, current: np.ndarray, meta: Meta, where: str) -> RevenueBridge:
    """The bridge of ``previous`` -> ``current`` (one value per entity), or why there is
    none: no revenue in the previous period, or a negative revenue (``where`` names the
    sheet)."""
    try:
        bridge = revenue_bridge(previous, current)
    except FormulaError:  # nothing to bridge, or a negative (credit note) revenue
        negative = bool((np.nan_to_num(previous) < 0).any() or (np.nan_to_num(current) < 0).any())
        why = f"a negative revenue in {where}" if negative else f"no revenue in {where}"
        return RevenueBridge(None, meta.period, meta.previous_period, why)
    if bridge.cents[0] == 0:
        why = f"no revenue in {where} for the previous period"
        return RevenueBridge(None, meta.period, meta.previous_period, why)
    return RevenueBridge(bridge, meta.period, meta.previous_period)


def _line_bridge(q: _AccountDeck) -> RevenueBridge:
    """The account's revenue bridge by product line, previous period -> current period, over
    its Revenue rows (a row without a product line is one more line, so the totals are the
    trajectory's). Left out without a previous period, without any product_line, without a
    revenue recorded for the current period (unknown is not lost), or when it rests on
    cells that fail the check (``line_bridge``)."""
    meta = q.meta
    frame = q.book["Revenue"]
    if meta.previous_period is None:
        return RevenueBridge(None, meta.period, None, "no previous period")
    both = frame["period"].isin([meta.period, meta.previous_period]).to_numpy()
    keys = {"account_id": q.mine["Revenue"], "period": both}
    if q.left("line_bridge", q.bad.selection("Revenue", keys, ["revenue", "product_line"])):
        return RevenueBridge(None, meta.period, meta.previous_period)
    rows = frame[q.mine["Revenue"] & both]
    if rows["product_line"].isna().all():
        why = "no product_line in Revenue for the two periods"
        return RevenueBridge(None, meta.period, meta.previous_period, why)
    recorded = rows.loc[(rows["period"] == meta.period).to_numpy(), "revenue"].notna()
    if not recorded.any():  # no row of the current period: not known yet, not all lost
        why = "no revenue in Revenue for the current period"
        return RevenueBridge(None, meta.period, meta.previous_period, why)
    previous, current = _by_line(rows, meta.previous_period, meta.period)
    return _bridge_of(previous, current, meta, "Revenue")


def _by_line(rows: pd.DataFrame, previous: str, current: str) -> tuple[np.ndarray, np.ndarray]:
    """(previous, current) revenue per product line of ``rows``, aligned (a line missing in
    a period is NaN there; a blank product line is a line of its own)."""
    lines = rows["product_line"].fillna("").astype(str)
    revenue = pd.to_numeric(rows["revenue"], errors="coerce")
    table = revenue.groupby([lines, rows["period"]]).sum(min_count=1).unstack()
    before = table[previous] if previous in table else pd.Series(np.nan, index=table.index)
    now = table[current] if current in table else pd.Series(np.nan, index=table.index)
    return before.to_numpy(dtype=np.float64), now.to_numpy(dtype=np.float64)


def _portfolio_bridge(p: _Portfolio) -> RevenueBridge:
    """The portfolio's revenue bridge over the accounts, Accounts revenue_prev ->
    revenue_curr (the figures NRR and GRR use); left out when it rests on cells that fail
    the check (``bridge``)."""
    meta = p.meta
    if p.left("bridge", p.of_accounts("revenue_prev", "revenue_curr")):
        return RevenueBridge(None, meta.period, meta.previous_period)
    accounts = p.book.accounts
    previous = pd.to_numeric(accounts["revenue_prev"], errors="coerce").to_numpy(np.float64)
    current = pd.to_numeric(accounts["revenue_curr"], errors="coerce").to_numpy(np.float64)
    return _bridge_of(previous, current, meta, "Accounts")


# --- Portfolio slide 9: whitespace -----------------------------------------------------------

#: The states of a whitespace cell: revenue in the line this period, an open opportunity of
#: the line, open ground, or unknown (the account has revenue this period without a
#: product line, so whether it buys the line is not known).
WHITESPACE_STATES = ("bought", "proposed", "open", "unknown")
#: The states that are whitespace: not bought (an unknown cell is not counted).
OPEN_STATES = ("proposed", "open")


@dataclass(frozen=True, slots=True)
class WhitespaceRow:
    """One key account of the whitespace grid: one state per product line."""

    account_id: str
    name: str
    revenue: float | None
    states: list[str]


@dataclass(frozen=True, slots=True)
class Whitespace:
    """Key accounts (rows, the biggest current revenue first) by product lines (columns,
    the biggest current revenue first, then the lines only proposed, the largest open amount
    first): each cell one of :data:`WHITESPACE_STATES`; or None with ``reason``."""

    lines: list[str]
    accounts: list[WhitespaceRow]
    reason: str = ""

    def cells(self, lines: int | None = None) -> list[str]:
        """Every cell's state over the first ``lines`` columns (all without)."""
        return [state for row in self.accounts for state in row.states[:lines]]

    def open_accounts(self, lines: int | None = None) -> int:
        """The key accounts with at least one open cell (:data:`OPEN_STATES`) over the first
        ``lines``."""
        return sum(1 for row in self.accounts if any(s in OPEN_STATES for s in row.states[:lines]))


def _whitespace(p: _Portfolio) -> Whitespace:
    """Key accounts × product lines: bought (revenue above 0 in the line in the current
    period), proposed (an open opportunity of the line, not bought), open ground, or unknown
    where the account has revenue this period without a product line. Left out
    when it rests on cells that fail the check (``whitespace``), without a key account or
    without any product line in Revenue and Opportunities."""
    book, meta = p.book, p.meta
    cells = (
        p.of_accounts("status", "revenue_curr")
        + p.bad.cells("Revenue", ["account_id", "period", "revenue", "product_line"])
        + p.bad.cells("Opportunities", ["account_id", "outcome", "product_line"])
    )
    if p.left("whitespace", cells):
        return Whitespace([], [])
    accounts = book.accounts[(book.accounts["status"] == "key").to_numpy()]
    if accounts.empty:
        return Whitespace([], [], "no key account in Accounts")
    every = book["Revenue"]
    every = every.assign(_amount=pd.to_numeric(every["revenue"], errors="coerce"))
    revenue = every[(every["period"] == meta.period).to_numpy()]
    proposals = book["Opportunities"]
    proposals = proposals[(proposals["outcome"] == "open").to_numpy()]
    lines = _whitespace_lines(every, revenue, proposals)
    if not lines:
        return Whitespace([], [], "no product_line in Revenue or Opportunities")
    bought = revenue.groupby(["account_id", "product_line"])["_amount"].sum()
    bought_pairs = {key for key, amount in bought.items() if amount > 0}
    proposed_pairs = set(zip(proposals["account_id"], proposals["product_line"], strict=True))
    unlined = set(revenue[revenue["product_line"].isna() & (revenue["_amount"] > 0)]["account_id"])
    order = accounts.assign(
        _revenue=pd.to_numeric(accounts["revenue_curr"], errors="coerce")
    ).sort_values("_revenue", ascending=False, na_position="last", kind="stable")
    rows = []
    for a in _records(order, ("account_id", "name", "revenue_curr")):
        states = [
            "bought"
            if (a["account_id"], line) in bought_pairs
            else "proposed"
            if (a["account_id"], line) in proposed_pairs
            else "unknown"
            if a["account_id"] in unlined
            else "open"
            for line in lines
        ]
        name = str(a["name"] or a["account_id"])
        rows.append(WhitespaceRow(a["account_id"], name, a["revenue_curr"], states))
    return Whitespace(lines, rows)


def _whitespace_lines(
    every: pd.DataFrame, revenue: pd.DataFrame, proposals: pd.DataFrame
) -> list[str]:
    """The product lines: those of Revenue, the biggest revenue in the current period first
    (a line sold in earlier periods only comes after them), then those only proposed, the
    largest open amount first. A blank product line is no line."""
    sold = revenue.dropna(subset=["product_line"]).groupby("product_line")["_amount"].sum()
    lines = [str(line) for line in sold.sort_values(ascending=False, kind="stable").index]
    lines += [str(line) for line in every["product_line"].dropna().unique() if line not in lines]
    open_amount = pd.to_numeric(proposals["amount"], errors="coerce")
    offered = (
        proposals.assign(_amount=open_amount)
        .dropna(subset=["product_line"])
        .groupby("product_line")["_amount"]
        .sum()
        .sort_values(ascending=False, kind="stable")
    )
    lines += [str(line) for line in offered.index if str(line) not in lines]
    return lines
