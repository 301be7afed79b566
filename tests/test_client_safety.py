"""Client safety as a property: nothing internal ever reaches a client deck.

Workbooks are generated with recognisable values (``INT…`` texts, distinctive numbers) in
every internal field of the contract (``shared/spec/workbook.md`` "Client-safe fields",
:mod:`kamxl.workbook.schema`): the internal columns of the key account and of the other
accounts, the inputs of the internal computed columns (costs, wallet, ratings, tier labels,
matrix cuts), blocker stakeholders, risks and plan rows the client must not see. Around them
the key account has fixed client-visible content.

For each workbook the client QBR and the handshake slide are built, and

- no marker, and no internal number in any form the deck writes numbers in (the deck's own
  :class:`~kamxl.deck.text.Formats`, and the plain digits the charts' workbooks hold),
  appears in any part of the .pptx, nor in any part of the workbooks embedded in its charts;
- the client decks are the same, part for part, as those of a baseline workbook whose
  internal values are all different: a client deck does not depend on internal data at
  all, so nothing derived from it (a margin, a score, a tier, a quadrant) can leak either;
- the client-visible content is there, and the internal deck of the same workbook does show
  the margin, the share of wallet, the blockers, the hidden plan rows and the risks, so the
  test cannot pass by looking in the wrong place.

Our selling data and internal judgements are internal too (the extended list of the
contract): opportunity probability and stage, lost deals, win rate and sales cycle (from the
dates of the closed deals), the forecast and its accuracy, health and its components, RAG
and trend, each stakeholder's ``our_contact`` and ``last_contact`` (and so who is "not
seen"), plan freshness. The generator draws each of them, so the part-for-part comparison
with the baseline proves no client deck depends on them, and their markers, numbers and
labels are searched in every part: slides, speaker notes, chart caches, the workbooks
embedded in the charts and the document properties.
"""

from __future__ import annotations

import html
import io
import random
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree
from pptx import Presentation

from kamxl.deck.build import build_handshake, build_qbr
from kamxl.deck.context import Audience, handshake_context, qbr_context
from kamxl.deck.refresh import refresh_deck
from kamxl.deck.text import DeckText, Formats
from kamxl.workbook import schema
from kamxl.workbook.model import KamWorkbook
from kamxl.workbook.reader import read_workbook
from kamxl.workbook.template import build_workbook
from tests.deckcheck import plain

T = TypeVar("T")

KEY = "K1"
OTHERS = ("O1", "O2")
KEY_NAME = "Vismark Industrie"
REVENUE = 24_000_000.0  # the key account's current revenue
CURRENCY = "EUR"
VISIBLE_PLAN = "Vis Joint rollout"
VISIBLE_INITIATIVE = "Vis Wave two"
VISIBLE_PERSON = "Vera Visible"
VISIBLE_PRIORITY = "Vis priority one"
#: The margin and share of wallet (in %) the key account may get: both are chosen among the
#: percentages that no client deck shows anyway, so finding one would be a leak.
PERCENTS = range(5, 96)

#: The internal fields of the contract (spec "Client-safe fields"), as the schema marks them.
INTERNAL_COLUMNS = {
    ("Accounts", "wallet"),
    ("Accounts", "variable_costs"),
    ("Accounts", "cost_to_serve"),
    ("Accounts", "attractiveness"),
    ("Accounts", "strength"),
    ("Accounts", "score"),
    ("Accounts", "quadrant"),
    ("Accounts", "tier"),
    ("Accounts", "margin"),
    ("Accounts", "sow"),
    ("Stakeholders", "attitude"),
    ("Stakeholders", "power"),
    ("Stakeholders", "interest"),
}
#: What this test varies for each of them: the field itself, or the inputs it is computed from.
VARIED = {
    ("Accounts", "wallet"): "drawn",
    ("Accounts", "variable_costs"): "drawn",
    ("Accounts", "cost_to_serve"): "drawn",
    ("Accounts", "attractiveness"): "Ratings, Settings cut_attractiveness",
    ("Accounts", "strength"): "Ratings, Settings cut_strength",
    ("Accounts", "score"): "Ratings",
    ("Accounts", "quadrant"): "Ratings, Settings cuts",
    ("Accounts", "tier"): "Ratings, Settings tier_labels (markers)",
    ("Accounts", "margin"): "variable_costs, cost_to_serve",
    ("Accounts", "sow"): "wallet",
    ("Stakeholders", "attitude"): "drawn for every stakeholder",
    ("Stakeholders", "power"): "drawn for every stakeholder",
    ("Stakeholders", "interest"): "drawn for every stakeholder",
}


def test_the_internal_fields_are_the_contracts() -> None:
    """The schema marks exactly the spec's internal fields, and this test varies each."""
    marked = {(s.name, c) for s in schema.SHEETS for c in s.internal_columns}
    assert marked == INTERNAL_COLUMNS
    assert set(VARIED) == INTERNAL_COLUMNS
    assert [s.name for s in schema.SHEETS if s.internal] == ["Risks"]
    excludes = {s.name: dict(s.client_excludes) for s in schema.SHEETS if s.client_excludes}
    assert excludes == {
        "Stakeholders": {"role": ("blocker",)},
        "Plan": {"client_visible": ("no", "")},
    }


# --- Generating a workbook ------------------------------------------------------------------


class Source(Protocol):
    """Where the generated values come from: Hypothesis, or a seeded random generator."""

    def integer(self, low: int, high: int) -> int: ...

    def choice(self, options: Sequence[T]) -> T: ...

    def token(self) -> str: ...


class RandomSource:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def integer(self, low: int, high: int) -> int:
        return self.random.randint(low, high)

    def choice(self, options: Sequence[T]) -> T:
        return self.random.choice(list(options))

    def token(self) -> str:
        return f"{self.random.getrandbits(32):08x}"


class DrawSource:
    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high))

    def choice(self, options: Sequence[T]) -> T:
        return self.data.draw(st.sampled_from(list(options)))

    def token(self) -> str:
        return self.data.draw(st.text("0123456789abcdef", min_size=8, max_size=8))


@dataclass
class Generated:
    """A generated portfolio and what it hides."""

    rows: dict[str, list[dict[str, Any]]]
    language: str
    margin: float  # of the key account
    sow: float
    markers: list[str] = field(default_factory=list)  # texts found only in internal fields
    numbers: list[float] = field(default_factory=list)  # internal amounts (wallet, costs)
    blockers: list[str] = field(default_factory=list)
    internal_deals: list[str] = field(default_factory=list)  # a lost deal, one of no decision
    lost_amount: float = 0.0
    hidden_plan: list[str] = field(default_factory=list)
    open_risks: list[str] = field(default_factory=list)


class Generator:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.count = 0
        self.markers: list[str] = []

    def marker(self) -> str:
        self.count += 1
        text = f"INT{self.count:03d}{self.source.token()}"
        self.markers.append(text)
        return text

    def day(self, start: date, days: int) -> date:
        return start + timedelta(days=self.source.integer(0, days))


def generate(source: Source, language: str, margin: int, sow: int) -> Generated:
    """A portfolio: the key account's client-visible content is fixed; every internal field
    (of every account) and everything of the other accounts comes from ``source``."""
    g = Generator(source)
    pick, num = source.choice, source.integer
    cost_to_serve = float(num(1_000_001, 1_999_999))
    variable_costs = REVENUE * (1 - margin / 100) - cost_to_serve
    wallet = REVENUE / (sow / 100)
    numbers = [cost_to_serve, variable_costs, wallet]
    forecasts = [float(num(10_000_001, 29_999_999)) for _ in range(5)]
    open_stage = pick(["proposal", "Négociation", "qualification", ""]) or g.marker()
    numbers += forecasts
    rows: dict[str, list[dict[str, Any]]] = {
        "Settings": [
            {"key": "company", "value": "Northwind Partners"},
            {"key": "currency", "value": CURRENCY},
            {"key": "period", "value": "2026-Q3"},
            {"key": "previous_period", "value": "2026-Q2"},
            {"key": "as_of", "value": date(2026, 10, 15)},
            {"key": "tier_labels", "value": ",".join(g.marker() for _ in range(3))},
            {"key": "cut_attractiveness", "value": num(30, 70)},
            {"key": "cut_strength", "value": num(30, 70)},
        ],
        "Accounts": [
            {
                "account_id": KEY,
                "name": KEY_NAME,
                "sector": "Manufacturing",
                "country": "Germany",
                "kam": "Ana Visible",
                "exec_sponsor": "Victor Sponsor",
                "status": "key",
                "revenue_prev": 20_000_000.0,
                "revenue_curr": REVENUE,
                "wallet": wallet,
                "variable_costs": variable_costs,
                "cost_to_serve": cost_to_serve,
                "plan_updated": g.day(date(2025, 1, 1), 640),
            }
        ],
        "Ratings": [],
        "Revenue": [
            {
                "account_id": KEY,
                "period": period,
                "revenue": revenue,
                "forecast": forecast,
                "product_line": "Platform",
            }
            for (period, revenue), forecast in zip(
                (
                    ("2025-Q3", 18_000_000.0),
                    ("2025-Q4", 19_000_000.0),
                    ("2026-Q1", 19_500_000.0),
                    ("2026-Q2", 20_000_000.0),
                    ("2026-Q3", REVENUE),
                ),
                forecasts,
                strict=True,
            )
        ],
        "Health": [
            {
                "account_id": KEY,
                "period": period,
                **{c: num(0, 100) for c in ("adoption", "engagement", "satisfaction", "risk")},
            }
            for period in ("2026-Q1", "2026-Q2", "2026-Q3")
        ],
        "Surveys": [
            {"account_id": KEY, "date": date(2026, m, 10), "respondent": VISIBLE_PERSON, "nps": n}
            for m, n in ((3, 9), (6, 8), (9, 10))
        ],
        "Stakeholders": [],
        "Opportunities": [
            {
                "account_id": KEY,
                "opportunity": "Vis Expansion east",
                "type": "upsell",
                "stage": open_stage,
                "amount": 1_500_000.0,
                "probability": num(1, 99) / 100,
                "created": g.day(date(2025, 6, 1), 300),
                "closed": date(2027, 1, 20),  # open: when the client's decision is expected
                "outcome": "open",
            },
            {
                "account_id": KEY,
                "opportunity": "Vis Renewal",
                "type": "renewal",
                "stage": g.marker(),
                "amount": 2_000_000.0,
                "probability": num(1, 99) / 100,
                "created": g.day(date(2025, 1, 1), 400),
                "closed": date(2026, 8, 15),
                "outcome": "won",
            },
        ],
        "Plan": [
            {
                "account_id": KEY,
                "objective": VISIBLE_PLAN,
                "initiative": VISIBLE_INITIATIVE,
                "owner": "Ana Visible",
                "client_owner": VISIBLE_PERSON,
                "start": date(2026, 7, 1),
                "due": date(2026, 12, 15),
                "status": "on track",
                "client_visible": "yes",
            },
            {
                "account_id": KEY,
                "objective": "Vis Adoption push",
                "owner": "Ana Visible",
                "due": date(2026, 10, 1),
                "status": "late",
                "client_visible": "yes",
            },
        ],
        "Risks": [],
        "Actions": [
            {
                "account_id": KEY,
                "action": "Vis Sign-off workshop",
                "responsible": VISIBLE_PERSON,
                "accountable": "Ana Visible",
                "due": date(2026, 11, 20),
                "status": "open",
            }
        ],
        "Meetings": [],
        "Handshake": [
            {
                "account_id": KEY,
                "client_priorities": f"{VISIBLE_PRIORITY}\nVis priority two",
                "shared_ambition": "Vis shared ambition",
                "our_commitments": "Vis our commitment",
                "client_commitments": "Vis client commitment",
                "client_sponsor": VISIBLE_PERSON,
                "our_sponsor": "Victor Sponsor",
                "agreed_by": f"{VISIBLE_PERSON}, CTO",
                "agreed_on": date(2026, 3, 12),
                "next_review": date(2027, 4, 1),
                "ambition_12m": 30_000_000.0,
                "ambition_36m": 45_000_000.0,
            }
        ],
    }
    generated = Generated(rows, language, margin / 100, sow / 100, numbers=numbers)

    # Stakeholders of the key account: visible ones (their attitude, power and interest are
    # internal) and blockers (wholly internal), one of them invited to the next QBR.
    visible = [
        (VISIBLE_PERSON, "CTO", "decision maker"),
        ("Carl Champion", "Head of Operations", "champion"),
        ("Edda Buyer", "CFO", "economic buyer"),
    ]
    for name, title, role in visible:
        rows["Stakeholders"].append(
            {
                "account_id": KEY,
                "name": name,
                "title": title,
                "role": role,
                "attitude": num(-2, 2),
                "power": num(1, 5),
                "interest": num(1, 5),
                "our_contact": g.marker(),
                "last_contact": g.day(date(2025, 6, 1), 500),
            }
        )
    for _ in range(num(1, 2)):
        name = g.marker()
        generated.blockers.append(name)
        rows["Stakeholders"].append(
            {
                "account_id": KEY,
                "name": name,
                "title": g.marker(),
                "role": pick(["blocker", "Blocker", "BLOCKER"]),
                "attitude": num(-2, 2),
                "power": num(1, 5),
                "interest": num(1, 5),
                "our_contact": g.marker(),
                "last_contact": g.day(date(2025, 1, 1), 600),
            }
        )
    # A blocker is left out as a person, also where a visible row names them.
    rows["Plan"].append(
        {
            "account_id": KEY,
            "objective": "Vis Contract review",
            "owner": "Ana Visible",
            "client_owner": generated.blockers[0],
            "status": "not started",
            "client_visible": "yes",
        }
    )
    rows["Actions"].append(
        {
            "account_id": KEY,
            "action": "Vis Legal review",
            "responsible": generated.blockers[-1],
            "accountable": "Ana Visible",
            "consulted": f"{VISIBLE_PERSON}; {generated.blockers[0]} (Procurement)",
            "informed": generated.blockers[0].lower(),
            "due": date(2026, 12, 1),
            "status": "open",
        }
    )
    rows["Meetings"] = [
        {
            "account_id": KEY,
            "type": "QBR",
            "date": date(2026, 12, 10),
            "attendees": f"{VISIBLE_PERSON} (CTO), {generated.blockers[0]} (Procurement), "
            "Ana Visible",
            "outcome": "Vis agenda agreed",
        },
        {"account_id": KEY, "type": "EBR", "date": date(2027, 2, 1)},
    ]

    # Deals lost or dropped: our selling record, internal as a whole (the brief's case: a deal
    # lost five days before the as-of date is a watch point of the internal deck).
    lost_on = (date(2026, 10, 10), g.day(date(2025, 9, 1), 300))
    for outcome, closed in zip(("lost", "no decision"), lost_on, strict=True):
        name = g.marker()
        amount = float(num(100_001, 899_999))
        numbers.append(amount)
        generated.internal_deals.append(name)
        if outcome == "lost":
            generated.lost_amount = amount
        rows["Opportunities"].append(
            {
                "account_id": KEY,
                "opportunity": name,
                "type": pick(schema.LISTS["opportunity_type"].values),
                "stage": g.marker(),
                "amount": amount,
                "probability": num(1, 99) / 100,
                "created": g.day(date(2025, 1, 1), 200),
                "closed": closed,
                "outcome": outcome,
            }
        )

    # Plan rows the client must not see, and risks (internal only).
    statuses = schema.LISTS["plan_status"].values
    for _ in range(num(1, 3)):
        objective = g.marker()
        generated.hidden_plan.append(objective)
        rows["Plan"].append(
            {
                "account_id": KEY,
                "objective": objective,
                "initiative": g.marker(),
                "owner": g.marker(),
                "client_owner": g.marker(),
                "start": g.day(date(2026, 1, 1), 200),
                "due": g.day(date(2026, 6, 1), 400),
                "status": pick(statuses),
                "value": float(num(100_000, 900_000)),
                "client_visible": pick(["no", None, "", "No", "non"]),
            }
        )
    for i in range(num(1, 3)):
        risk = g.marker()
        status = "open" if i == 0 else pick(["open", "closed"])
        if status == "open":
            generated.open_risks.append(risk)
        rows["Risks"].append(
            {
                "account_id": KEY,
                "risk": risk,
                "likelihood": num(1, 5),
                "impact": num(1, 5),
                "mitigation": g.marker(),
                "owner": g.marker(),
                "status": status,
            }
        )

    # The other accounts: everything about them stays out of the key account's decks.
    for other in OTHERS:
        amounts = [float(num(10_000_001, 99_999_999)) for _ in range(3)]
        numbers += amounts
        rows["Accounts"].append(
            {
                "account_id": other,
                "name": g.marker(),
                "kam": g.marker(),
                "status": pick(["key", "candidate", "other"]),
                "revenue_prev": 5_000_000.0,
                "revenue_curr": 6_000_000.0,
                "wallet": amounts[0],
                "variable_costs": amounts[1],
                "cost_to_serve": amounts[2],
                "plan_updated": g.day(date(2025, 6, 1), 450),
            }
        )
        rows["Revenue"].append(
            {
                "account_id": other,
                "period": "2026-Q3",
                "revenue": 6_000_000.0,
                "product_line": g.marker(),
            }
        )
        rows["Stakeholders"].append(
            {
                "account_id": other,
                "name": g.marker(),
                "title": g.marker(),
                "role": pick(schema.LISTS["role"].values),
                "attitude": num(-2, 2),
                "power": num(1, 5),
                "interest": num(1, 5),
            }
        )
        rows["Plan"].append(
            {
                "account_id": other,
                "objective": g.marker(),
                "initiative": g.marker(),
                "status": pick(statuses),
                "client_visible": pick(["yes", "no"]),
            }
        )
        rows["Risks"].append(
            {"account_id": other, "risk": g.marker(), "mitigation": g.marker(), "status": "open"}
        )
        rows["Actions"].append(
            {"account_id": other, "action": g.marker(), "responsible": g.marker()}
        )
        rows["Handshake"].append(
            {"account_id": other, "client_priorities": g.marker(), "agreed_by": g.marker()}
        )
    criteria = [c.criterion_id for c in schema.DEFAULT_CRITERIA]
    for account in (KEY, *OTHERS):
        rows["Ratings"].append({"account_id": account, **{c: num(1, 5) for c in criteria}})
    generated.markers = g.markers
    return generated


# --- Reading a deck back, part by part ------------------------------------------------------


def _is_zip(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def package_texts(data: bytes, prefix: str = "") -> dict[str, str]:
    """Every part of a package as text (XML entities resolved), the packages embedded in it
    (the charts' workbooks) opened and read the same way."""
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in package.namelist():
            blob = package.read(name)
            if _is_zip(blob):
                out.update(package_texts(blob, f"{prefix}{name}!"))
            else:
                out[f"{prefix}{name}"] = html.unescape(blob.decode("utf-8", "replace"))
    return out


def slide_text(data: bytes) -> str:
    """The text of a deck's slides as read, the lines broken by the fitting (a line break
    reads as a vertical tab) joined again."""
    deck = Presentation(io.BytesIO(data))
    texts = [
        shape.text_frame.text
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_text_frame
    ]
    return plain(" ".join(texts))


_VOLATILE = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def canonical_parts(data: bytes, prefix: str = "") -> dict[str, bytes]:
    """Every part of a package, embedded packages included, XML in canonical form."""
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in package.namelist():
            blob = package.read(name)
            if _is_zip(blob):
                out.update(canonical_parts(blob, f"{prefix}{name}!"))
            elif name.endswith((".xml", ".rels")):
                blob = _VOLATILE.sub(rb"\1\2", blob)
                out[f"{prefix}{name}"] = etree.tostring(etree.fromstring(blob), method="c14n")
            else:
                out[f"{prefix}{name}"] = blob
    return out


#: An attribute holding a whole number: a position or size in EMU, an id, an index -- where
#: an amount's digits can turn up by chance (x="1435600"), never where a figure is written.
_WHOLE_NUMBER_ATTRIBUTE = re.compile(r'="-?[0-9]+"')


def where(needle: str, texts: dict[str, str]) -> list[str]:
    return [name for name, text in texts.items() if needle in text]


def number_forms(value: float, formats: Formats) -> set[str]:
    """The ways a deck (or a chart's workbook) may write an amount, and, for the millions a
    revenue chart would show, in thousands (its scale)."""
    forms = {
        str(round(value)),
        repr(float(value)),
        f"{value:.1f}",
        formats.num(value),
        formats.money(value),
    }
    if value >= 10_000_000:
        thousands = value / 1000
        forms |= {repr(thousands), f"{thousands:.1f}", formats.num(thousands)}
    return forms


#: The labels of our selling data and judgements: no client deck names them (the components
#: of health are left out: "Adoption" is a word of the plan's visible content; their values
#: are drawn, so the comparison with the baseline covers them).
SELLING_LABELS = (
    "win_rate",
    "weighted",
    "median_cycle",
    "forecast",
    "forecast_accuracy",
    "health",
    "health_trend",
    "health_axis",
    "col_probability",
    "col_stage",
    "col_our_contact",
    "col_last_contact",
    "not_seen",
    "kam_load",
    "freshness",
    "coverage",
)


def percent_forms(percent: int, formats: Formats) -> set[str]:
    return {formats.pct(percent / 100), formats.pct(percent / 100, 1)}


@dataclass
class Decks:
    client: bytes
    handshake: bytes
    internal: bytes


def build_decks(book: KamWorkbook) -> Decks:
    return Decks(
        client=build_qbr(qbr_context(book, KEY, audience=Audience.CLIENT)).to_bytes(),
        handshake=build_handshake(handshake_context(book, KEY)).to_bytes(),
        internal=build_qbr(qbr_context(book, KEY)).to_bytes(),
    )


def make(generated: Generated, folder: Path) -> KamWorkbook:
    path = build_workbook(
        folder / f"portfolio_{generated.language}.xlsx",
        rows=generated.rows,
        language=generated.language,
    )
    return read_workbook(path)


@dataclass(frozen=True)
class Baseline:
    client: dict[str, bytes]
    handshake: dict[str, bytes]
    text: str  # everything the client decks say, in every part
    percents: tuple[int, ...]  # margins / shares of wallet no client deck shows
    client_deck: bytes  # the client QBR itself, to refresh from another workbook


@cache
def baseline(language: str, folder: Path) -> Baseline:
    """The client decks of one workbook with other internal values (margin 50 %, share of
    wallet 50 %, its own markers)."""
    generated = generate(RandomSource(1), language, 50, 50)
    decks = build_decks(make(generated, folder))
    texts = {**package_texts(decks.client), **package_texts(decks.handshake)}
    text = "\n".join(texts.values())
    formats = Formats(language, CURRENCY)
    percents = tuple(
        p for p in PERCENTS if not any(form in text for form in percent_forms(p, formats))
    )
    return Baseline(
        canonical_parts(decks.client),
        canonical_parts(decks.handshake),
        text,
        percents,
        decks.client,
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("client_safety")


def assert_same_deck(actual: bytes, expected: dict[str, bytes], what: str) -> None:
    parts = canonical_parts(actual)
    changed = sorted(n for n in parts.keys() | expected.keys() if parts.get(n) != expected.get(n))
    assert changed == [], f"the {what} depends on internal data: {changed}"


# --- The property -----------------------------------------------------------------------------


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(language=st.sampled_from(["en", "fr"]), data=st.data())
def test_client_decks_leave_out_every_internal_field(
    language: str, data: st.DataObject, folder: Path
) -> None:
    base = baseline(language, folder)
    assert len(base.percents) > 40  # plenty of margins no client deck shows
    margin = data.draw(st.sampled_from(base.percents), label="margin %")
    sow = data.draw(st.sampled_from(base.percents), label="share of wallet %")
    generated = generate(DrawSource(data), language, margin, sow)
    formats = Formats(language, CURRENCY)
    secret_numbers = {form for value in generated.numbers for form in number_forms(value, formats)}
    # An amount whose digits happen to be in every deck anyway (an EMU offset) proves nothing.
    assume(not any(form in base.text for form in secret_numbers))

    book = make(generated, folder)
    assert book.errors == []
    # The markers and numbers really are in the workbook, where the schema says.
    cells = {
        v
        for sheet in (s.name for s in schema.SHEETS if s.name != "Settings")
        for v in book[sheet].astype(object).to_numpy().ravel().tolist()
        if isinstance(v, str)
    }
    tier_labels = set(book.settings.tier_labels)
    assert len(tier_labels) == 3 and tier_labels <= set(generated.markers)
    assert set(generated.markers) - tier_labels <= cells
    key = book.accounts.set_index("account_id").loc[KEY]
    assert key["margin"] == pytest.approx(margin / 100)
    assert key["sow"] == pytest.approx(sow / 100)
    assert key["tier"] in book.settings.tier_labels

    decks = build_decks(book)
    text = DeckText(language, CURRENCY)
    margin_forms = percent_forms(margin, formats)
    sow_forms = percent_forms(sow, formats)
    labels = {text.label("margin"), text.label("sow")}
    selling = {text.label(key) for key in SELLING_LABELS}

    # The internal deck shows what the client decks must not: the search looks in the right
    # places and the values are written as searched.
    internal = "\n".join(package_texts(decks.internal).values())
    assert formats.pct(margin / 100) in internal and formats.pct(sow / 100) in internal
    for label in labels:
        assert label in internal, label
    for secret in (*generated.blockers, *generated.hidden_plan, *generated.open_risks):
        assert secret in internal, secret
    for label in (text.label(k) for k in ("win_rate", "weighted", "col_probability", "health")):
        assert label in internal, label
    # The deal lost five days before the as-of date is the internal deck's first watch point.
    lost = {"name": generated.internal_deals[0], "amount": generated.lost_amount}
    days = {"closed": date(2026, 10, 10), "days": 5}
    assert plain(text("item", kind="lost", facts={**lost, **days})) in slide_text(decks.internal)

    # A client QBR refreshed from this workbook (kamxl refresh) is the client build's too.
    refreshed, _ = refresh_deck(base.client_deck, book)
    for what, deck, expected in (
        ("client QBR", decks.client, base.client),
        ("handshake slide", decks.handshake, base.handshake),
        ("refreshed client QBR", refreshed, None),
    ):
        texts = package_texts(deck)
        # The search reads every part: slides, notes, chart caches, the charts' workbooks,
        # the document properties.
        assert any(name.startswith("ppt/slides/") for name in texts)
        assert any(name.startswith("ppt/notesSlides/") for name in texts)
        assert "docProps/core.xml" in texts and "docProps/app.xml" in texts
        if what != "handshake slide":
            assert any(name.startswith("ppt/charts/chart") for name in texts)
            assert any("!xl/worksheets/" in name for name in texts)
        lowered = {name: text.casefold() for name, text in texts.items()}
        for secret in generated.markers:
            found = where(secret.casefold(), lowered)
            assert not found, (what, secret, found)
        content = {name: _WHOLE_NUMBER_ATTRIBUTE.sub('=""', t) for name, t in texts.items()}
        for form in secret_numbers | margin_forms | sow_forms | labels | selling:
            assert not where(form, content), (what, form, where(form, content))
        # Nothing derived from internal data either: the deck is the baseline's, part for part
        # (the refreshed one: the baseline's, refreshed with what the client build shows).
        if expected is not None:
            assert_same_deck(deck, expected, what)

    # What the client may see is there.
    client = "\n".join(package_texts(decks.client).values())
    for visible in (KEY_NAME, VISIBLE_PLAN, VISIBLE_INITIATIVE, VISIBLE_PERSON):
        assert visible in client, visible
    assert formats.money(REVENUE) in client
    # What we propose next (no probability or stage) and what we delivered.
    assert "Vis Expansion east" in client and formats.money(1_500_000) in client
    assert formats.day(date(2027, 1, 20)) in client  # when the client's decision is expected
    assert "Vis Renewal" in client
    assert any(n.startswith("ppt/embeddings/") for n in package_texts(decks.client))
    handshake = "\n".join(package_texts(decks.handshake).values())
    for visible in (KEY_NAME, VISIBLE_PRIORITY, VISIBLE_INITIATIVE):
        assert visible in handshake, visible
