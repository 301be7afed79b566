"""A fictional sample portfolio that fills every sheet of the standard KAM workbook.

The supplier is *Norvalis Industrial Systems*, a European maker of compressors, pumps and
utility equipment that also sells service contracts, spare parts and monitoring software.
The figures are "as of" 15 October 2026; the current period is 2026-Q3.

The story the data tells:

- 30 accounts in 8 sectors and 16 European countries: 15 key accounts, 9 candidates and 6
  other accounts, owned by three KAMs whose key accounts split 7 / 5 / 3 (Sophie Keller is
  under the usual 5-15 load). A handful of key accounts carry most of the revenue.
- Revenue covers eight quarters (2024-Q4 ... 2026-Q3), one row per product line, with the
  forecast that had been made; key accounts also carry forecast-only rows for 2026-Q4 and
  2027-Q1. Most key accounts grow.
- The stories for the decks:
  * Nordfjell Logistics (ACC-004): grew until 2025-Q4, then lost its champion; revenue and
    health slide over the last three quarters to Red, and a new procurement head blocks.
  * Kestrana Chemicals (ACC-008): a neglected key account: declining revenue, Red health,
    a plan untouched for months, no executive sponsor at the client, in the Streamline
    quadrant.
  * Astrelle Telecom Infra (ACC-007): strong relationship but service-heavy and unprofitable
    (negative margin).
  * Tervina Beverage Company (ACC-012): slow decline, stale plan, no client sponsor.
  * Hollbrook Print Services (ACC-026, other): churned, no revenue in 2026-Q3.
  * Zentara Data Centres (ACC-017) is new since 2026-Q1 and Brightquay Port Operations
    (ACC-021) since 2026-Q3 (no revenue in 2026-Q2).
  * Valcourt Metropolitan Services (ACC-022) has not been scored yet (no Ratings row) and a
    few ratings are blank elsewhere.
- The ratings place accounts in all four quadrants of the portfolio matrix.
- The customer effort score (CES) is on a 1-7 scale where 7 means "easy to deal with".

Nothing here reads files, the clock or the global random state: every random draw comes from
a :class:`random.Random` seeded from a fixed value and the topic it serves, so
:func:`sample_portfolio` returns the same rows on every call.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from kamxl.workbook import schema

__all__ = ["AS_OF", "COMPANY", "sample_portfolio"]

Row = dict[str, object]

COMPANY = "Norvalis Industrial Systems"
_SHORT_COMPANY = "Norvalis"
AS_OF = date(2026, 10, 15)
_SEED = 2026

#: The eight quarters with actual revenue, oldest first; the last one is the current period.
_QUARTERS: tuple[str, ...] = (
    "2024-Q4",
    "2025-Q1",
    "2025-Q2",
    "2025-Q3",
    "2025-Q4",
    "2026-Q1",
    "2026-Q2",
    "2026-Q3",
)
_FUTURE_QUARTERS: tuple[str, ...] = ("2026-Q4", "2027-Q1")
_CURRENT, _PREVIOUS = _QUARTERS[-1], _QUARTERS[-2]

_SETTINGS_VALUES: dict[str, object] = {
    "company": COMPANY,
    "currency": "EUR",
    "period": _CURRENT,
    "previous_period": _PREVIOUS,
    "language": "en",
    "tier_thresholds": "70,40",
    "tier_labels": "A,B,C",
    "as_of": AS_OF,
}


# --- Our people --------------------------------------------------------------------------

_KAMS: tuple[str, ...] = ("Claire Dumont", "Marco Bellini", "Sophie Keller")
_CLAIRE, _MARCO, _SOPHIE = _KAMS

#: Our executives (the exec sponsors of the accounts) and their titles.
_EXECUTIVES: dict[str, str] = {
    "Henrik Lund": "CEO",
    "Isabelle Fournier": "COO",
    "Pieter Janssen": "Chief Commercial Officer",
    "Elena Rossi": "EVP Service Operations",
}
_HENRIK, _ISABELLE, _PIETER, _ELENA = _EXECUTIVES

#: The rest of our account teams.
_TEAM: tuple[str, ...] = (
    "Tomás Ortega",  # service delivery manager
    "Nadia Haddad",  # solutions architect
    "Lukas Brandt",  # customer success manager
    "Anna Kowalska",  # bid manager
    "Olivier Marchand",  # field service lead
)


# --- The accounts ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Account:
    """Everything the sample needs to know about one account to fill every sheet."""

    account_id: str
    name: str
    sector: str
    country: str
    kam: str
    sponsor: str | None  # our executive sponsor
    status: str
    level: int  # quarterly revenue (EUR) the trajectory is built around
    growth: float  # revenue growth per quarter
    lines: tuple[tuple[str, float], ...]  # product lines and their share of revenue
    sow: float | None  # share of wallet; None = wallet unknown
    variable_rate: float  # variable costs / revenue
    serve_rate: float  # cost to serve / revenue
    plan_age: int | None  # days between the last plan update and AS_OF; None = never
    health: tuple[int, ...]  # target health per quarter (two values: start and end, linear)
    shape: tuple[float, ...] | None = None  # revenue / level per quarter, overriding growth

    @property
    def is_key(self) -> bool:
        return self.status == "key"

    @property
    def short_name(self) -> str:
        return self.name.split()[0]


_EQ, _SV, _SP, _SW = "Equipment", "Services", "Spare parts", "Software"


def _a(
    number: int,
    name: str,
    sector: str,
    country: str,
    kam: str,
    sponsor: str | None,
    status: str,
    level: int,
    growth: float,
    lines: tuple[tuple[str, float], ...],
    economics: tuple[float | None, float, float],
    plan_age: int | None,
    health: tuple[int, ...],
    shape: tuple[float, ...] | None = None,
) -> _Account:
    sow, variable_rate, serve_rate = economics
    return _Account(
        f"ACC-{number:03d}",
        name,
        sector,
        country,
        kam,
        sponsor,
        status,
        level,
        growth,
        lines,
        sow,
        variable_rate,
        serve_rate,
        plan_age,
        health,
        shape,
    )


_MFG, _FNB, _HC, _LOG = "Manufacturing", "Food & Beverage", "Healthcare", "Logistics"
_RET, _NRG, _TEL, _PUB = "Retail", "Energy", "Telecom", "Public sector"

#: Nordfjell grew until 2025-Q4, then slid after its champion left.
_NORDFJELL_SHAPE = (1.12, 1.16, 1.20, 1.24, 1.28, 1.20, 1.10, 1.0)
_NORDFJELL_HEALTH = (80, 82, 81, 83, 82, 70, 58, 42)
#: Hollbrook faded out and churned in 2026-Q3.
_HOLLBROOK_SHAPE = (1.0, 0.95, 0.9, 0.85, 0.75, 0.6, 0.45, 0.0)
#: Zentara was won in 2025-Q4 and ramps up from 2026-Q1; Brightquay starts in 2026-Q3.
_ZENTARA_SHAPE = (0.0, 0.0, 0.0, 0.0, 0.0, 0.45, 0.75, 1.0)
_BRIGHTQUAY_SHAPE = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)

# fmt: off
_ACCOUNTS: tuple[_Account, ...] = (
    # Key accounts: Claire 7, Marco 5, Sophie 3.
    _a(1, "Brennholt Automotive Parts", _MFG, "Germany", _CLAIRE, _HENRIK, "key",
       2_400_000, 0.03, ((_EQ, 0.5), (_SV, 0.35), (_SP, 0.15)), (0.62, 0.58, 0.06),
       12, (80, 88)),
    _a(2, "Corvanne Foods Group", _FNB, "France", _CLAIRE, _ISABELLE, "key",
       1_600_000, 0.04, ((_EQ, 0.4), (_SV, 0.4), (_SP, 0.2)), (0.55, 0.6, 0.07),
       25, (78, 84)),
    _a(3, "Helvaris Medical Group", _HC, "Switzerland", _MARCO, _PIETER, "key",
       1_150_000, 0.05, ((_SV, 0.55), (_EQ, 0.3), (_SW, 0.15)), (0.48, 0.52, 0.08),
       8, (76, 86)),
    _a(4, "Nordfjell Logistics", _LOG, "Norway", _SOPHIE, _ELENA, "key",
       900_000, -0.05, ((_SV, 0.5), (_EQ, 0.35), (_SP, 0.15)), (0.35, 0.62, 0.1),
       34, _NORDFJELL_HEALTH, _NORDFJELL_SHAPE),
    _a(5, "Quintara Retail Holdings", _RET, "Spain", _CLAIRE, _PIETER, "key",
       820_000, 0.02, ((_EQ, 0.45), (_SV, 0.35), (_SW, 0.2)), (0.30, 0.61, 0.09),
       41, (74, 68)),
    _a(6, "Velmora Energy Networks", _NRG, "Italy", _MARCO, _HENRIK, "key",
       1_300_000, 0.035, ((_EQ, 0.55), (_SV, 0.45)), (0.58, 0.57, 0.05),
       19, (80, 85)),
    _a(7, "Astrelle Telecom Infra", _TEL, "Netherlands", _CLAIRE, _ELENA, "key",
       620_000, 0.025, ((_SV, 0.7), (_EQ, 0.3)), (0.66, 0.71, 0.31),
       52, (70, 64)),
    _a(8, "Kestrana Chemicals", _MFG, "Belgium", _MARCO, _ISABELLE, "key",
       700_000, -0.04, ((_EQ, 0.4), (_SP, 0.35), (_SV, 0.25)), (0.28, 0.64, 0.12),
       236, (62, 44)),
    _a(9, "Lumeris Regional Transit", _PUB, "France", _SOPHIE, _ELENA, "key",
       450_000, 0.01, ((_SV, 0.6), (_SP, 0.4)), (0.70, 0.55, 0.11),
       27, (79, 82)),
    _a(10, "Dravik Steelworks", _MFG, "Poland", _CLAIRE, _ISABELLE, "key",
       1_000_000, 0.045, ((_EQ, 0.6), (_SP, 0.25), (_SV, 0.15)), (0.45, 0.66, 0.04),
       15, (77, 87)),
    _a(11, "Solvana Hospitals Network", _HC, "Spain", _MARCO, _PIETER, "key",
       520_000, 0.06, ((_SV, 0.5), (_SW, 0.3), (_EQ, 0.2)), (0.22, 0.53, 0.1),
       30, (58, 70)),
    _a(12, "Tervina Beverage Company", _FNB, "Italy", _CLAIRE, _ELENA, "key",
       400_000, -0.025, ((_EQ, 0.5), (_SV, 0.5)), (0.52, 0.63, 0.08),
       204, (78, 66)),
    _a(13, "Oberlin Cold Chain", _LOG, "Germany", _SOPHIE, _ISABELLE, "key",
       360_000, 0.04, ((_SV, 0.6), (_EQ, 0.4)), (0.40, 0.56, 0.09),
       46, (80, 83)),
    _a(14, "Caldera Pack Solutions", _MFG, "Netherlands", _CLAIRE, _PIETER, "key",
       310_000, 0.03, ((_EQ, 0.5), (_SP, 0.3), (_SV, 0.2)), (0.38, 0.6, 0.07),
       22, (81, 80)),
    _a(15, "Pellworth Water Utilities", _PUB, "United Kingdom", _MARCO, _ELENA, "key",
       260_000, 0.015, ((_SV, 0.65), (_SP, 0.35)), (0.60, 0.5, 0.13),
       38, (80, 84)),
    # Candidates.
    _a(16, "Rivenhall Pharma Labs", _HC, "United Kingdom", _MARCO, _PIETER, "candidate",
       180_000, 0.05, ((_EQ, 0.6), (_SV, 0.4)), (0.15, 0.59, 0.08),
       33, (70, 81)),
    _a(17, "Zentara Data Centres", _TEL, "Ireland", _SOPHIE, _PIETER, "candidate",
       130_000, 0.0, ((_EQ, 0.7), (_SW, 0.3)), (0.12, 0.62, 0.09),
       18, (65, 67, 69), _ZENTARA_SHAPE),
    _a(18, "Galvora Mining Equipment", _MFG, "Sweden", _MARCO, _ELENA, "candidate",
       150_000, 0.02, ((_EQ, 0.55), (_SP, 0.45)), (0.18, 0.65, 0.1),
       260, (66, 62)),
    _a(19, "Vinterberg Dairy Cooperative", _FNB, "Denmark", _SOPHIE, None, "candidate",
       95_000, 0.01, ((_SV, 0.5), (_SP, 0.5)), (0.25, 0.58, 0.12),
       55, (72, 81)),
    _a(20, "Castellan Home Stores", _RET, "Portugal", _CLAIRE, _ISABELLE, "candidate",
       110_000, 0.03, ((_EQ, 0.6), (_SV, 0.4)), (0.20, 0.6, 0.09),
       48, (68, 69)),
    _a(21, "Brightquay Port Operations", _LOG, "Belgium", _MARCO, None, "candidate",
       65_000, 0.0, ((_EQ, 0.8), (_SV, 0.2)), (None, 0.67, 0.14),
       9, (68,), _BRIGHTQUAY_SHAPE),
    _a(22, "Valcourt Metropolitan Services", _PUB, "France", _SOPHIE, None, "candidate",
       70_000, 0.0, ((_SV, 0.6), (_SP, 0.4)), (0.30, 0.54, 0.11),
       58, (75, 80)),
    _a(23, "Ventoria Wind Parks", _NRG, "Spain", _MARCO, _HENRIK, "candidate",
       210_000, 0.04, ((_SV, 0.5), (_EQ, 0.5)), (0.14, 0.55, 0.07),
       20, (60, 70)),
    _a(24, "Kalmora Textile Mills", _MFG, "Portugal", _CLAIRE, None, "candidate",
       85_000, 0.02, ((_EQ, 0.6), (_SP, 0.4)), (0.22, 0.68, 0.1),
       57, (70, 67)),
    # Other accounts.
    _a(25, "Pradella Office Supplies", _RET, "Italy", _CLAIRE, None, "other",
       45_000, 0.0, ((_SP, 0.7), (_SV, 0.3)), (0.35, 0.66, 0.12),
       95, (70, 69)),
    _a(26, "Hollbrook Print Services", _MFG, "United Kingdom", _CLAIRE, None, "other",
       60_000, 0.0, ((_SP, 0.6), (_SV, 0.4)), (None, 0.0, 0.0),
       120, (62, 30), _HOLLBROOK_SHAPE),
    _a(27, "Seravo Clinics", _HC, "Finland", _MARCO, None, "other",
       35_000, 0.01, ((_SV, 0.7), (_SP, 0.3)), (0.40, 0.57, 0.15),
       300, (74, 82)),
    _a(28, "Grovenhus Bakeries", _FNB, "Sweden", _MARCO, None, "other",
       30_000, -0.01, ((_SP, 0.6), (_SV, 0.4)), (0.30, 0.69, 0.13),
       None, (68, 65)),
    _a(29, "Tarnova Freight Lines", _LOG, "Poland", _SOPHIE, None, "other",
       55_000, 0.02, ((_SV, 0.5), (_SP, 0.5)), (0.25, 0.62, 0.1),
       75, (70, 70)),
    _a(30, "Cerulea Mobile Networks", _TEL, "Austria", _SOPHIE, None, "other",
       40_000, 0.01, ((_SV, 0.6), (_EQ, 0.4)), (0.20, 0.6, 0.09),
       215, (76, 81)),
)

#: Ratings in the order of schema.DEFAULT_CRITERIA: rev_potential, strategic_fit,
#: margin_potential, complexity (lower), serve_cost (lower) | relationship, wallet_share,
#: competitive_pos, exec_access. None = not rated yet. ACC-022 has no row at all.
_RATINGS: dict[str, tuple[int | None, ...]] = {
    "ACC-001": (5, 5, 4, 2, 2, 5, 4, 5, 5),  # Strategic
    "ACC-002": (5, 4, 4, 2, 3, 4, 4, 4, 4),  # Strategic
    "ACC-003": (4, 5, 4, 3, 2, 4, 4, 4, 3),  # Strategic
    "ACC-004": (4, 4, 3, 3, 3, 3, 3, 3, 4),  # Strategic, strength slipping
    "ACC-005": (4, 4, 3, 2, 3, 4, 3, 3, 3),  # Strategic
    "ACC-006": (5, 4, 4, 3, 2, 4, 4, 4, 4),  # Strategic
    "ACC-007": (2, 3, 1, 4, 5, 4, 5, 4, 4),  # Status: strong but unprofitable
    "ACC-008": (3, 2, 2, 3, 4, 3, 2, 2, 1),  # Streamline: a key account drifting away
    "ACC-009": (2, 3, 3, 2, 2, 4, 5, 4, 3),  # Status
    "ACC-010": (5, 4, 4, 2, 2, 4, 3, 4, 4),  # Strategic
    "ACC-011": (4, 5, 4, 3, 3, 2, 1, 2, 3),  # Star: attractive, we are still weak
    "ACC-012": (2, 2, 3, 3, 3, 4, 4, 3, 2),  # Status
    "ACC-013": (4, 4, 3, 2, 2, 4, 3, 4, 3),  # Strategic
    "ACC-014": (3, 4, 4, 2, 3, 3, 3, 4, 3),  # Strategic
    "ACC-015": (2, 3, 3, 3, 3, 4, 4, 4, 3),  # Status
    "ACC-016": (4, 4, 4, 3, 2, 2, 1, 2, 2),  # Star
    "ACC-017": (5, 4, None, 3, 3, 2, 1, 2, 2),  # Star, margin not rated yet
    "ACC-018": (4, 3, 3, 2, 3, 2, 2, 2, 2),  # Star
    "ACC-019": (2, 3, 2, 2, 3, 3, 3, 2, 3),  # Streamline
    "ACC-020": (3, 2, 3, 3, 3, 2, 2, 3, 2),  # Streamline
    "ACC-021": (3, 3, 3, 2, 3, 2, None, None, 2),  # Star, new: wallet not known yet
    "ACC-023": (4, 4, 3, 3, 2, 2, 1, 2, 1),  # Star
    "ACC-024": (2, 2, 3, 3, 4, 2, 3, 2, 2),  # Streamline
    "ACC-025": (1, 2, 2, 3, 3, 3, 3, 2, 1),  # Streamline
    "ACC-026": (1, 1, 2, 4, 4, 2, 2, 1, 1),  # Streamline
    "ACC-027": (2, 2, 2, 2, 3, 3, 3, 3, 2),  # Streamline
    "ACC-028": (1, 2, 2, 3, 4, 2, 2, 2, 1),  # Streamline
    "ACC-029": (2, 2, 3, 3, 3, 3, 2, 3, None),  # Streamline
    "ACC-030": (2, 3, 2, 3, 3, 2, 2, 2, 2),  # Streamline
}
# fmt: on

#: Key accounts whose relationship map has no executive sponsor (a coverage gap).
_NO_CLIENT_SPONSOR = frozenset({"ACC-008", "ACC-012", "ACC-015"})
#: Key accounts without a champion (Nordfjell's left in 2026-Q1).
_NO_CHAMPION = frozenset({"ACC-004", "ACC-009"})
#: Accounts with a blocker in the relationship map, and the blocker's title.
_BLOCKERS: dict[str, str] = {
    "ACC-004": "Procurement Director",  # new in 2026, favours a rival supplier
    "ACC-007": "Category Manager",  # pushes back on our service rates
    "ACC-008": "Head of Procurement",  # ran the tender a rival won
    "ACC-011": "Head of IT Security",  # resists connecting our monitoring software
}
#: Key accounts of the Handshake sheet: those with an executive sponsor on the client side.
_HANDSHAKE = tuple(
    a.account_id for a in _ACCOUNTS if a.is_key and a.account_id not in _NO_CLIENT_SPONSOR
)


def _rng(topic: str) -> random.Random:
    """A generator of its own per topic, so that changing one sheet leaves the others be."""
    return random.Random(f"{_SEED}-{topic}")


def _days_before(days: int) -> date:
    return AS_OF - timedelta(days=days)


def _between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _round_to(value: float, step: int) -> int:
    return round(value / step) * step


def _health_band(account: _Account) -> str:
    """The RAG band the account's current health is built to fall in."""
    current = account.health[-1]
    return "Red" if current <= 50 else "Amber" if current <= 75 else "Green"


# --- Settings and Criteria ---------------------------------------------------------------


def _settings() -> list[Row]:
    return [
        {"key": s.key, "value": _SETTINGS_VALUES.get(s.key, s.default)} for s in schema.SETTINGS
    ]


def _criteria() -> list[Row]:
    return [c.row() for c in schema.DEFAULT_CRITERIA]


def _ratings() -> list[Row]:
    ids = [c.criterion_id for c in schema.DEFAULT_CRITERIA]
    rows: list[Row] = []
    for account_id, values in _RATINGS.items():
        row: Row = {"account_id": account_id}
        row.update(zip(ids, values, strict=True))
        rows.append(row)
    return rows


# --- Revenue -----------------------------------------------------------------------------


def _quarter_levels(account: _Account, rng: random.Random) -> list[float]:
    """The account's total revenue per quarter: a trajectory with a little noise."""
    last = len(_QUARTERS) - 1
    shape = account.shape or tuple((1 + account.growth) ** (i - last) for i in range(last + 1))
    return [
        account.level * factor * (1.0 if i == last else rng.uniform(0.96, 1.04))
        for i, factor in enumerate(shape)
    ]


def _forecast_error(rng: random.Random) -> float:
    """A forecast error of 3-15 %, over or under."""
    return rng.choice((-1, 1)) * rng.uniform(0.03, 0.15)


def _revenue_rows(account: _Account, rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    levels = _quarter_levels(account, rng)
    previous: dict[str, int] = {}
    for period, level in zip(_QUARTERS, levels, strict=True):
        if level == 0 and not previous:
            continue  # not a client yet
        for line, share in account.lines:
            actual = _round_to(level * share * rng.uniform(0.97, 1.03), 100)
            if level == 0:  # churned: the forecast still expected the usual business
                forecast = _round_to(previous[line] * rng.uniform(0.85, 0.95), 100)
            else:
                forecast = _round_to(actual * (1 + _forecast_error(rng)), 100)
            rows.append(
                {
                    "account_id": account.account_id,
                    "period": period,
                    "revenue": actual,
                    "forecast": forecast,
                    "product_line": line,
                }
            )
            previous[line] = actual
    if account.is_key:
        growth = account.growth
        for step, period in enumerate(_FUTURE_QUARTERS, start=1):
            for line, _share in account.lines:
                forecast = previous[line] * (1 + growth) ** step * rng.uniform(0.98, 1.02)
                rows.append(
                    {
                        "account_id": account.account_id,
                        "period": period,
                        "revenue": None,
                        "forecast": _round_to(forecast, 100),
                        "product_line": line,
                    }
                )
    return rows


def _revenue() -> list[Row]:
    rng = _rng("revenue")
    return [row for account in _ACCOUNTS for row in _revenue_rows(account, rng)]


def _revenue_of(revenue: list[Row], account_id: str, period: str) -> int:
    total = 0
    for row in revenue:
        amount = row["revenue"]
        if row["account_id"] == account_id and row["period"] == period and isinstance(amount, int):
            total += amount
    return total


def _annual_revenue(revenue: list[Row], account_id: str) -> int:
    """Revenue of the last four quarters."""
    return sum(_revenue_of(revenue, account_id, period) for period in _QUARTERS[-4:])


# --- Accounts ----------------------------------------------------------------------------


def _accounts(revenue: list[Row]) -> list[Row]:
    rng = _rng("accounts")
    rows: list[Row] = []
    for account in _ACCOUNTS:
        current = _revenue_of(revenue, account.account_id, _CURRENT)
        wallet = None if account.sow is None else _round_to(current / account.sow, 10_000)
        plan_updated = None
        if account.plan_age is not None:
            plan_updated = _days_before(account.plan_age + rng.randint(0, 3))
        rows.append(
            {
                "account_id": account.account_id,
                "name": account.name,
                "sector": account.sector,
                "country": account.country,
                "kam": account.kam,
                "exec_sponsor": account.sponsor,
                "status": account.status,
                "revenue_prev": _revenue_of(revenue, account.account_id, _PREVIOUS),
                "revenue_curr": current,
                "wallet": wallet,
                "variable_costs": _round_to(current * account.variable_rate, 100),
                "cost_to_serve": _round_to(current * account.serve_rate, 100),
                "plan_updated": plan_updated,
            }
        )
    return rows


# --- Health ------------------------------------------------------------------------------

#: Offsets of adoption, engagement, satisfaction and risk from the health target; each
#: profile's weighted effect on health (0.3, 0.3, 0.2, -0.2) is within one point of zero.
_HEALTH_PROFILES: tuple[tuple[int, int, int, int], ...] = (
    (6, -4, 2, 3),
    (-3, 5, -2, 2),
    (2, 2, -6, -1),
    (4, -2, -3, 3),
    (-5, 3, 4, -2),
)


def _health_targets(account: _Account) -> list[tuple[str, float]]:
    """(period, target health) for the quarters the account has been a client."""
    targets = account.health
    if len(targets) == 2:
        start, end = targets
        last = len(_QUARTERS) - 1
        targets = tuple(start + (end - start) * i / last for i in range(last + 1))
    return list(zip(_QUARTERS[-len(targets) :], targets, strict=True))


def _clamp(value: float, low: int = 0, high: int = 100) -> int:
    return max(low, min(high, round(value)))


def _health() -> list[Row]:
    rng = _rng("health")
    rows: list[Row] = []
    for number, account in enumerate(_ACCOUNTS):
        adoption, engagement, satisfaction, risk = _HEALTH_PROFILES[number % len(_HEALTH_PROFILES)]
        for period, target in _health_targets(account):
            rows.append(
                {
                    "account_id": account.account_id,
                    "period": period,
                    "adoption": _clamp(target + adoption + rng.randint(-3, 3)),
                    "engagement": _clamp(target + engagement + rng.randint(-3, 3)),
                    "satisfaction": _clamp(target + satisfaction + rng.randint(-3, 3)),
                    "risk": _clamp(100 - target + risk + rng.randint(-3, 3)),
                }
            )
    return rows


# --- Stakeholders ------------------------------------------------------------------------

_NAMES_BY_REGION: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "german": (
        ("Jonas", "Katrin", "Matthias", "Sabine", "Florian", "Anja", "Tobias", "Miriam"),
        ("Hartmann", "Vogel", "Brenner", "Kessler", "Lindner", "Roth", "Seidel", "Falk"),
    ),
    "french": (
        ("Julien", "Camille", "Antoine", "Margaux", "Nicolas", "Élodie", "Thibault", "Aurélie"),
        ("Moreau", "Lefèvre", "Garnier", "Rousseau", "Chevalier", "Fontaine", "Perrin", "Girard"),
    ),
    "nordic": (
        ("Erik", "Ingrid", "Lars", "Sigrid", "Mikkel", "Astrid", "Johan", "Karin"),
        ("Haugen", "Lindqvist", "Nyberg", "Solberg", "Dahl", "Strand", "Holm", "Eklund"),
    ),
    "spanish": (
        ("Javier", "Lucía", "Álvaro", "Carmen", "Diego", "Marta", "Pablo", "Nuria"),
        ("Navarro", "Iglesias", "Serrano", "Ortiz", "Castillo", "Molina", "Vidal", "Prieto"),
    ),
    "portuguese": (
        ("João", "Inês", "Rui", "Beatriz", "Tiago", "Sofia", "Miguel", "Catarina"),
        ("Costa", "Ferreira", "Almeida", "Carvalho", "Pinto", "Sousa", "Lopes", "Teixeira"),
    ),
    "italian": (
        ("Luca", "Giulia", "Alessandro", "Chiara", "Davide", "Francesca", "Matteo", "Silvia"),
        ("Conti", "Ricci", "Marino", "Galli", "Ferrara", "Bruno", "Gatti", "Fabbri"),
    ),
    "dutch": (
        ("Daan", "Sanne", "Bram", "Femke", "Joost", "Lotte", "Ruben", "Noor"),
        ("de Vries", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Brouwer", "Dekker"),
    ),
    "polish": (
        ("Piotr", "Agnieszka", "Tomasz", "Katarzyna", "Marek", "Joanna", "Paweł", "Ewa"),
        ("Nowak", "Kaczmarek", "Mazur", "Krawczyk", "Pawlak", "Dudek", "Sikora", "Wróbel"),
    ),
    "english": (
        ("James", "Sarah", "Oliver", "Emma", "Daniel", "Rachel", "Liam", "Fiona"),
        ("Whitfield", "Carter", "Brennan", "Hughes", "Doyle", "Fletcher", "Kavanagh", "Ashworth"),
    ),
}

_REGION_OF_COUNTRY: dict[str, str] = {
    "Germany": "german",
    "Austria": "german",
    "Switzerland": "german",
    "France": "french",
    "Belgium": "french",
    "Norway": "nordic",
    "Sweden": "nordic",
    "Denmark": "nordic",
    "Finland": "nordic",
    "Spain": "spanish",
    "Portugal": "portuguese",
    "Italy": "italian",
    "Netherlands": "dutch",
    "Poland": "polish",
    "United Kingdom": "english",
    "Ireland": "english",
}

_TITLES: dict[str, tuple[str, ...]] = {
    "executive sponsor": ("CEO", "Chief Operating Officer", "Managing Director"),
    "decision maker": ("VP Operations", "Plant Director", "Director of Engineering"),
    "economic buyer": ("CFO", "Chief Procurement Officer", "Head of Procurement"),
    "champion": ("Head of Maintenance", "Operations Manager", "Site Manager"),
    "influencer": ("IT Director", "HSE Manager", "Energy Manager", "Technical Lead"),
    "user": ("Maintenance Supervisor", "Shift Manager", "Facilities Coordinator"),
}
_TITLES_BY_SECTOR: dict[str, dict[str, tuple[str, ...]]] = {
    _HC: {"decision maker": ("Director of Facilities", "Hospital Operations Director")},
    _PUB: {"executive sponsor": ("Director General",), "decision maker": ("Director of Assets",)},
    _RET: {"decision maker": ("Director of Store Operations",)},
    _LOG: {"decision maker": ("Director of Warehousing", "VP Network Operations")},
    _TEL: {"decision maker": ("VP Network Infrastructure",)},
}

#: (attitude choices, power, interest choices) per role.
_ROLE_PROFILE: dict[str, tuple[tuple[int, ...], int, tuple[int, ...]]] = {
    "executive sponsor": ((1, 2), 5, (3, 4)),
    "decision maker": ((0, 1, 1, 2), 5, (4, 5)),
    "economic buyer": ((-1, 0, 1), 4, (3, 4)),
    "champion": ((2,), 3, (5,)),
    "influencer": ((0, 1), 3, (2, 3, 4)),
    "user": ((0, 1, 1), 2, (2, 3)),
    "blocker": ((-2, -1), 4, (3, 4)),
}

_EXTRA_ROLES: tuple[str, ...] = ("influencer", "user", "influencer", "user")


@dataclass(frozen=True, slots=True)
class _Person:
    name: str
    title: str
    role: str

    @property
    def signature(self) -> str:
        return f"{self.name}, {self.title}"


def _roles(account: _Account, rng: random.Random) -> list[str]:
    """The roles of the account's relationship map."""
    account_id = account.account_id
    if not account.is_key:
        return ["decision maker", "influencer", "economic buyer"][: rng.randint(1, 3)]
    roles = ["decision maker", "economic buyer"]
    if account_id not in _NO_CHAMPION:
        roles.append("champion")
    if account_id not in _NO_CLIENT_SPONSOR:
        roles.append("executive sponsor")
    if account_id in _BLOCKERS:
        roles.append("blocker")
    size = 7 if account.level >= 1_000_000 else 6 if account.level >= 500_000 else 5
    size = max(4, size - rng.randint(0, 1))
    roles.extend(_EXTRA_ROLES[: max(0, size - len(roles))])
    return roles


def _new_name(
    rng: random.Random, region: str, used: set[str], firsts_taken: set[str], lasts_taken: set[str]
) -> str:
    """A name of ``region`` nobody else holds, sharing neither first nor last name with the
    people already named at the same account (two "Anja"s on one slide confuse)."""
    firsts, lasts = _NAMES_BY_REGION[region]
    candidates = [
        f"{first} {last}"
        for first in firsts
        if first not in firsts_taken
        for last in lasts
        if last not in lasts_taken and f"{first} {last}" not in used
    ]
    name = rng.choice(candidates)
    first, last = name.split(" ", 1)
    used.add(name)
    firsts_taken.add(first)
    lasts_taken.add(last)
    return name


def _people() -> dict[str, list[_Person]]:
    """The client-side people of every key account and candidate, by account id."""
    rng = _rng("people")
    used: set[str] = set()
    people: dict[str, list[_Person]] = {}
    for account in _ACCOUNTS:
        if account.status == "other":
            continue
        region = _REGION_OF_COUNTRY[account.country]
        firsts_taken: set[str] = set()
        lasts_taken: set[str] = set()
        titles_taken = {_BLOCKERS[account.account_id]} if account.account_id in _BLOCKERS else set()
        persons: list[_Person] = []
        for role in _roles(account, rng):
            name = _new_name(rng, region, used, firsts_taken, lasts_taken)
            if role == "blocker":
                title = _BLOCKERS[account.account_id]
            else:
                choices = _TITLES_BY_SECTOR.get(account.sector, {}).get(role, _TITLES[role])
                free = [t for t in (*choices, *_TITLES[role]) if t not in titles_taken]
                title = rng.choice(free or list(choices))
            titles_taken.add(title)
            persons.append(_Person(name, title, role))
        people[account.account_id] = persons
    return people


def _friendly(persons: list[_Person]) -> list[_Person]:
    """People who may appear in client-facing cells: everyone but blockers."""
    return [p for p in persons if p.role != "blocker"]


def _person(persons: list[_Person], *roles: str) -> _Person:
    """The first person holding one of ``roles`` (in that order of preference)."""
    for role in roles:
        for person in persons:
            if person.role == role:
                return person
    return _friendly(persons)[0]


def _our_contact(account: _Account, role: str, rng: random.Random) -> str:
    if role == "executive sponsor" and account.sponsor:
        return account.sponsor
    if role in ("decision maker", "economic buyer", "champion", "blocker"):
        return account.kam
    return rng.choice(_TEAM)


def _stakeholders(people: dict[str, list[_Person]]) -> list[Row]:
    rng = _rng("stakeholders")
    rows: list[Row] = []
    count = 0
    for account in _ACCOUNTS:
        for person in people.get(account.account_id, []):
            attitudes, power, interests = _ROLE_PROFILE[person.role]
            attitude = rng.choice(attitudes)
            if _health_band(account) == "Red" and person.role != "champion":
                attitude = max(-2, attitude - 1)  # a Red account's people cool down
            count += 1
            stale = count % 5 == 0  # one contact in five not seen for 90+ days
            days = rng.randint(95, 240) if stale else rng.randint(3, 75)
            rows.append(
                {
                    "account_id": account.account_id,
                    "name": person.name,
                    "title": person.title,
                    "role": person.role,
                    "attitude": attitude,
                    "power": max(1, power - rng.randint(0, 1)),
                    "interest": rng.choice(interests),
                    "our_contact": _our_contact(account, person.role, rng),
                    "last_contact": _days_before(days),
                }
            )
    return rows


# --- Surveys -----------------------------------------------------------------------------

#: NPS and CES answers to draw from, by the RAG band of the account's health.
_VOICE: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "Green": ((7, 8, 9, 9, 10, 10), (5, 6, 6, 7)),
    "Amber": ((5, 6, 7, 8, 8, 9), (4, 5, 5, 6)),
    "Red": ((2, 3, 4, 5, 6, 7), (2, 3, 3, 4)),
}


def _surveys(people: dict[str, list[_Person]]) -> list[Row]:
    rng = _rng("surveys")
    rows: list[Row] = []
    for account in _ACCOUNTS:
        if not account.is_key:
            continue
        scores, efforts = _VOICE[_health_band(account)]
        respondents = _friendly(people[account.account_id])
        answers = rng.randint(3, 8)
        dates = sorted(_between(rng, date(2026, 1, 10), date(2026, 9, 30)) for _ in range(answers))
        for i, when in enumerate(dates):
            rows.append(
                {
                    "account_id": account.account_id,
                    "date": when,
                    "respondent": respondents[i % len(respondents)].name,
                    "nps": rng.choice(scores),
                    "ces": rng.choice(efforts),
                }
            )
    return rows


# --- Opportunities -----------------------------------------------------------------------

#: (opportunity, type) pairs to draw from.
_OPPORTUNITIES: tuple[tuple[str, str], ...] = (
    ("Compressor fleet renewal", "upsell"),
    ("Predictive maintenance rollout", "cross-sell"),
    ("Spare parts framework 2027", "renewal"),
    ("Energy efficiency retrofit, main site", "cross-sell"),
    ("Remote monitoring platform", "cross-sell"),
    ("Multi-site service contract", "upsell"),
    ("Service contract renewal", "renewal"),
    ("Digital twin pilot", "new"),
    ("Operator training programme", "cross-sell"),
    ("Spare parts consignment stock", "upsell"),
    ("Condition monitoring sensors", "cross-sell"),
    ("Boiler room modernisation", "new"),
    ("Vacuum pump replacement", "upsell"),
    ("Heat recovery units", "new"),
    ("Extended warranty on installed base", "renewal"),
    ("New plant utilities package", "new"),
)

#: The product line each opportunity proposes (Opportunities ``product_line``, as in Revenue).
_OPPORTUNITY_LINES: dict[str, str] = {
    "Compressor fleet renewal": _EQ,
    "Predictive maintenance rollout": _SW,
    "Spare parts framework 2027": _SP,
    "Energy efficiency retrofit, main site": _SV,
    "Remote monitoring platform": _SW,
    "Multi-site service contract": _SV,
    "Service contract renewal": _SV,
    "Digital twin pilot": _SW,
    "Operator training programme": _SV,
    "Spare parts consignment stock": _SP,
    "Condition monitoring sensors": _EQ,
    "Boiler room modernisation": _EQ,
    "Vacuum pump replacement": _EQ,
    "Heat recovery units": _EQ,
    "Extended warranty on installed base": _SV,
    "New plant utilities package": _EQ,
    "Data hall cooling units, phase 1": _EQ,
    "Quay crane compressor package": _EQ,
}

#: The deals that made the new accounts clients.
_FIRST_DEALS: dict[str, Row] = {
    "ACC-017": {
        "opportunity": "Data hall cooling units, phase 1",
        "type": "new",
        "amount": 340_000,
        "created": date(2025, 8, 18),
        "closed": date(2025, 12, 9),
    },
    "ACC-021": {
        "opportunity": "Quay crane compressor package",
        "type": "new",
        "amount": 180_000,
        "created": date(2026, 2, 23),
        "closed": date(2026, 6, 19),
    },
}

_OPEN_STAGES: tuple[tuple[str, tuple[float, ...]], ...] = (
    ("qualification", (0.1, 0.2, 0.25)),
    ("proposal", (0.4, 0.5)),
    ("negotiation", (0.7, 0.8)),
)


def _opportunity(account: _Account, name: str, kind: str, rng: random.Random) -> Row:
    size = account.level * (rng.uniform(0.08, 0.35) if account.is_key else rng.uniform(0.3, 1.5))
    amount = min(900_000, max(20_000, _round_to(size, 5_000)))
    created = _between(rng, date(2025, 1, 6), date(2026, 9, 25))
    early = created < date(2026, 4, 1)
    outcomes = ("won", "lost", "no decision", "open")
    weights = (0.4, 0.35, 0.15, 0.1) if early else (0.15, 0.1, 0.0, 0.75)
    outcome = rng.choices(outcomes, weights)[0]
    row: Row = {
        "account_id": account.account_id,
        "opportunity": name,
        "type": kind,
        "amount": amount,
        "created": created,
        "outcome": outcome,
        "product_line": _OPPORTUNITY_LINES[name],
    }
    if outcome == "open":
        stage, probabilities = rng.choice(_OPEN_STAGES)
        row.update(stage=stage, probability=rng.choice(probabilities), closed=None)
    else:
        closed = min(created + timedelta(days=rng.randint(35, 210)), _days_before(5))
        row.update(stage="closed", probability=None, closed=closed)
    return row


def _opportunities() -> list[Row]:
    rng = _rng("opportunities")
    rows: list[Row] = []
    for account in _ACCOUNTS:
        if account.status == "other":
            continue
        first = _FIRST_DEALS.get(account.account_id)
        if first is not None:
            rows.append(
                {
                    "account_id": account.account_id,
                    **first,
                    "product_line": _OPPORTUNITY_LINES[first["opportunity"]],
                    "stage": "closed",
                    "probability": None,
                    "outcome": "won",
                }
            )
        if account.is_key:
            count = 3 + rng.randint(0, 2) + (3 if account.level >= 1_000_000 else 0)
        else:
            count = rng.randint(0, 2) if first else rng.randint(1, 3)
        for name, kind in rng.sample(_OPPORTUNITIES, count):
            rows.append(_opportunity(account, name, kind, rng))
    return rows


# --- Plan, risks, actions ----------------------------------------------------------------

#: (objective, initiative) pairs of account plans, shared with the client.
_OBJECTIVES: tuple[tuple[str, str], ...] = (
    ("Grow service revenue by 20 % in 2027", "Extend the service contract to all plants"),
    ("Secure the 2027 spare parts framework", "Propose a three-year consignment stock"),
    ("Cut unplanned downtime on critical lines by 30 %", "Condition monitoring on 40 assets"),
    ("Cut compressed-air energy use by 15 %", "Energy audit and retrofit of two sites"),
    ("Become preferred supplier for the new plant", "Co-design the utilities specification"),
    ("Lift the account NPS above 50", "Quarterly service reviews with site managers"),
    ("Digitalise maintenance reporting", "Roll out the customer portal to every site"),
    ("Standardise the installed base", "Replace legacy compressors on three sites"),
)


def _internal_objective(account: _Account) -> tuple[str, str]:
    """The account's internal objective (never shown to the client), from its weak spot."""
    if 1 - account.variable_rate - account.serve_rate < 0.3:
        return ("Raise account margin above 30 %", "Move routine visits to remote diagnostics")
    if account.account_id in _NO_CLIENT_SPONSOR:
        return ("Win an executive sponsor at the client", "Introduce our sponsor at the next QBR")
    if account.sow is not None and account.sow < 0.5:
        return ("Win back share of wallet on spare parts", "Bundle parts into the service contract")
    return ("Secure a second executive relationship", "Add an EBR with the client's CFO")


_RISKS: tuple[tuple[str, str], ...] = (
    ("Competitor undercuts spare parts prices by 15 %", "Offer a price lock tied to volume"),
    ("Capex freeze on 2027 investments", "Propose equipment as a service, paid monthly"),
    ("Repeated SLA misses at remote sites", "Add a field engineer and a weekly SLA review"),
    ("Procurement pushes a multi-vendor tender", "Build a total cost of ownership case"),
    ("Key decision maker retires in 2027", "Meet the successor with our sponsor this year"),
    ("Software adoption stalls after the pilot", "Fund onboarding and a super-user network"),
)
#: The risks that tell the story of an account.
_STORY_RISKS: dict[str, tuple[tuple[str, str], ...]] = {
    "ACC-004": (
        ("Champion left; no sponsor of our offer on site", "Find a new champion in operations"),
        ("New procurement head favours a rival supplier", "Executive meeting with our EVP"),
    ),
    "ACC-007": (
        ("Unbilled call-outs make the account loss-making", "Renegotiate SLA tiers and billing"),
    ),
    "ACC-008": (
        ("Rival wins the 2026 spare parts tender", "Counter-offer with bundled service"),
        ("No executive contact at the client", "Our COO to meet the client's leadership"),
    ),
}

_ACTIONS: tuple[str, ...] = (
    "Send the revised spare parts proposal",
    "Schedule the EBR with the client's COO",
    "Share the Q3 downtime analysis",
    "Validate the energy audit scope with site managers",
    "Organise a plant visit for the procurement team",
    "Update the account plan after the QBR",
    "Prepare the 2027 service contract renewal offer",
    "Run the portal training for site supervisors",
    "Agree the SLA reporting format with operations",
)

_PLAN_STATUSES: tuple[str, ...] = ("done", "on track", "on track", "at risk", "not started")
_TROUBLED_STATUSES: tuple[str, ...] = ("late", "at risk", "late", "done", "not started")


def _plan_dates(status: str, rng: random.Random) -> tuple[date, date]:
    """Start and due dates that agree with the status as of AS_OF."""
    if status == "not started":
        start = _between(rng, AS_OF + timedelta(days=10), date(2027, 1, 15))
        return start, start + timedelta(days=rng.randint(120, 240))
    start = _between(rng, date(2025, 10, 1), date(2026, 6, 30))
    if status in ("done", "late"):
        return start, _between(rng, date(2026, 7, 1), _days_before(10))
    return start, _between(rng, AS_OF + timedelta(days=30), date(2027, 6, 30))


def _plan(people: dict[str, list[_Person]]) -> list[Row]:
    rng = _rng("plan")
    rows: list[Row] = []
    for account in (a for a in _ACCOUNTS if a.is_key):
        friends = _friendly(people[account.account_id])
        statuses = _TROUBLED_STATUSES if _health_band(account) != "Green" else _PLAN_STATUSES
        shared = rng.sample(_OBJECTIVES, rng.randint(2, 4))
        entries = [(*pair, "yes") for pair in shared] + [(*_internal_objective(account), "no")]
        for i, (objective, initiative, visible) in enumerate(entries):
            status = statuses[i % len(statuses)]
            start, due = _plan_dates(status, rng)
            rows.append(
                {
                    "account_id": account.account_id,
                    "objective": objective,
                    "initiative": initiative,
                    "owner": account.kam if i % 2 == 0 else rng.choice(_TEAM),
                    "client_owner": friends[i % len(friends)].name,
                    "start": start,
                    "due": due,
                    "status": status,
                    "value": _round_to(account.level * rng.uniform(0.1, 0.5), 5_000),
                    "client_visible": visible,
                }
            )
    return rows


def _risks() -> list[Row]:
    rng = _rng("risks")
    rows: list[Row] = []
    for account in (a for a in _ACCOUNTS if a.is_key):
        chosen = _STORY_RISKS.get(account.account_id) or tuple(
            rng.sample(_RISKS, rng.randint(1, 3))
        )
        for risk, mitigation in chosen:
            rows.append(
                {
                    "account_id": account.account_id,
                    "risk": risk,
                    "likelihood": rng.randint(2, 5),
                    "impact": rng.randint(2, 5),
                    "mitigation": mitigation,
                    "owner": account.kam if rng.random() < 0.6 else account.sponsor,
                    "status": "closed" if rng.random() < 0.2 else "open",
                }
            )
    return rows


def _actions(people: dict[str, list[_Person]]) -> list[Row]:
    rng = _rng("actions")
    rows: list[Row] = []
    for account in (a for a in _ACCOUNTS if a.is_key):
        friends = _friendly(people[account.account_id])
        lead = _person(friends, "decision maker")
        for i, action in enumerate(rng.sample(_ACTIONS, rng.randint(2, 5))):
            due = AS_OF + timedelta(days=rng.randint(-40, 60))
            done = due < AS_OF and rng.random() < 0.75
            client_side = friends[(i + 1) % len(friends)].name
            rows.append(
                {
                    "account_id": account.account_id,
                    "action": action,
                    "responsible": account.kam if i % 2 == 0 else rng.choice(_TEAM),
                    "accountable": account.kam if i % 3 else lead.name,
                    "consulted": client_side,
                    "informed": account.sponsor,
                    "due": due,
                    "status": "done" if done else "open",
                }
            )
    return rows


# --- Meetings and handshakes -------------------------------------------------------------

_QBR_OUTCOMES: dict[str, tuple[str, ...]] = {
    "Green": (
        "Results on plan; client asked for a 2027 service scope proposal",
        "Downtime down 18 %; agreed to extend monitoring to two more sites",
        "Renewal terms agreed in principle; contract draft by November",
    ),
    "Amber": (
        "SLA concerns raised; recovery plan agreed with operations",
        "Budget pressure on 2027; client wants options to phase the investment",
    ),
    "Red": (
        "Client escalated service delays; executive meeting requested",
        "Procurement announced a supplier review for 2027",
    ),
}
_OTHER_OUTCOMES: dict[str, str] = {
    "EBR": "Executives confirmed the shared ambition and the 2027 priorities",
    "steering": "Project milestones reviewed; two actions reassigned",
    "handshake": "Shared ambition and commitments signed off by both sponsors",
}


def _attendees(account: _Account, people: list[_Person], ours: tuple[str, ...]) -> str:
    theirs = [f"{p.name} ({account.short_name})" for p in people]
    return ", ".join([*theirs, *(f"{name} ({_SHORT_COMPANY})" for name in ours)])


def _handshake_dates(rng: random.Random) -> tuple[date, date]:
    agreed = _between(rng, date(2026, 1, 12), date(2026, 9, 18))
    return agreed, agreed + timedelta(days=rng.randint(360, 420))


def _meetings(
    people: dict[str, list[_Person]], handshakes: dict[str, tuple[date, date]]
) -> list[Row]:
    rng = _rng("meetings")
    rows: list[Row] = []

    def add(
        account: _Account, kind: str, when: date, persons: list[_Person], ours: tuple[str, ...]
    ) -> None:
        past = when <= AS_OF
        if not past:
            outcome = None
        elif kind == "QBR":
            outcome = rng.choice(_QBR_OUTCOMES[_health_band(account)])
        else:
            outcome = _OTHER_OUTCOMES[kind]
        rows.append(
            {
                "account_id": account.account_id,
                "type": kind,
                "date": when,
                "attendees": _attendees(account, persons, ours),
                "outcome": outcome,
            }
        )

    for account in (a for a in _ACCOUNTS if a.is_key):
        friends = _friendly(people[account.account_id])
        core = [_person(friends, "decision maker"), _person(friends, "champion", "influencer")]
        sponsor = _person(friends, "executive sponsor", "decision maker")
        team = (account.kam, rng.choice(_TEAM))
        execs = (account.kam, account.sponsor or _HENRIK)
        if account.account_id in handshakes:
            add(account, "handshake", handshakes[account.account_id][0], [sponsor], execs)
        if account.level >= 500_000:
            add(account, "steering", _between(rng, date(2026, 4, 1), date(2026, 6, 30)), core, team)
        add(account, "QBR", _between(rng, date(2026, 7, 6), date(2026, 9, 25)), core, team)
        add(account, "QBR", _between(rng, date(2026, 11, 5), date(2027, 1, 20)), core, team)
        if account.level >= 1_000_000:
            ebr = _between(rng, date(2027, 1, 25), date(2027, 3, 19))
            add(account, "EBR", ebr, [sponsor, core[0]], execs)
    rows.sort(key=lambda r: (str(r["account_id"]), str(r["date"])))  # ISO dates sort as text
    return rows


_PRIORITIES: dict[str, tuple[str, ...]] = {
    _MFG: (
        "Raise OEE on the main lines from 72 % to 80 %",
        "Cut unplanned downtime by a third",
        "Lower the energy cost per unit produced",
        "Standardise equipment across all plants",
    ),
    _FNB: (
        "Zero food-safety incidents on filling lines",
        "Cut water and energy use per litre by 10 %",
        "Keep lines running through the summer peak",
    ),
    _HC: (
        "Maximum uptime of critical medical utilities",
        "Comply with the new hospital hygiene rules",
        "A predictable multi-year maintenance budget",
    ),
    _LOG: (
        "Keep cold-chain warehouses above 99.5 % uptime",
        "Electrify the forklift and yard fleet",
        "Lower the energy cost per pallet moved",
    ),
    _NRG: (
        "Grid reliability under a rising renewable load",
        "Zero lost-time incidents on site",
        "Remote monitoring of unmanned substations",
    ),
    _RET: (
        "Lower store energy bills by 12 %",
        "Refrigeration uptime during the peak season",
        "One service partner for every store",
    ),
    _TEL: (
        "Cooling efficiency in network data rooms",
        "Fewer site visits through remote diagnostics",
        "Meet the 2030 carbon target of the network",
    ),
    _PUB: (
        "Transparent costs within the public budget",
        "Reliable depot equipment for the bus fleet",
        "Lower the carbon footprint of public sites",
    ),
}
_AMBITIONS: tuple[str, ...] = (
    "Be the reference partner for uptime and energy efficiency",
    "Run the installed base as one fleet, measured on availability",
    "Move from repair calls to a predictive service partnership",
)
_OUR_COMMITMENTS: tuple[str, ...] = (
    "Guaranteed 4-hour response on critical assets",
    "Quarterly performance report with downtime impact",
    "Dedicated service engineer on the main site",
    "Energy audit of two sites at our cost",
    "Spare parts prices locked until end of 2027",
    "Named escalation path up to our COO",
)
_CLIENT_COMMITMENTS: tuple[str, ...] = (
    "Sole supplier status for compressed air",
    "Access to plant data for predictive models",
    "Quarterly steering with the operations director",
    "Early involvement in the 2027 capex plan",
    "Reference visit for two peer companies",
    "Decision on the multi-site contract by Q1 2027",
)


def _millions(amount: float) -> str:
    return f"{amount / 1_000_000:.1f} M€"


def _lines(rng: random.Random, pool: tuple[str, ...], low: int = 2, high: int = 4) -> str:
    return "\n".join(rng.sample(pool, rng.randint(low, min(high, len(pool)))))


def _handshake(
    people: dict[str, list[_Person]],
    revenue: list[Row],
    handshakes: dict[str, tuple[date, date]],
) -> list[Row]:
    rng = _rng("handshake")
    rows: list[Row] = []
    for account in (a for a in _ACCOUNTS if a.account_id in handshakes):
        today = _annual_revenue(revenue, account.account_id)
        in_12 = round(today * rng.uniform(1.1, 1.3), -4)
        in_36 = round(in_12 * rng.uniform(1.3, 1.6), -4)
        trajectory = (
            f"Grow joint revenue from {_millions(today)} to {_millions(in_12)} in 12 months "
            f"and {_millions(in_36)} in 36 months"
        )
        sponsor = _person(people[account.account_id], "executive sponsor")
        agreed_on, next_review = handshakes[account.account_id]
        ours = account.sponsor or _HENRIK
        rows.append(
            {
                "account_id": account.account_id,
                "client_priorities": _lines(rng, _PRIORITIES[account.sector]),
                "shared_ambition": f"{rng.choice(_AMBITIONS)}\n{trajectory}",
                "our_commitments": _lines(rng, _OUR_COMMITMENTS),
                "client_commitments": _lines(rng, _CLIENT_COMMITMENTS),
                "client_sponsor": sponsor.signature,
                "our_sponsor": f"{ours}, {_EXECUTIVES[ours]}",
                "agreed_by": sponsor.signature,
                "agreed_on": agreed_on,
                "next_review": next_review,
                "ambition_12m": in_12,
                "ambition_36m": in_36,
            }
        )
    return rows


# --- The portfolio -----------------------------------------------------------------------


def _handshake_calendar() -> dict[str, tuple[date, date]]:
    rng = _rng("handshake-dates")
    return {account_id: _handshake_dates(rng) for account_id in _HANDSHAKE}


def _iter_sheets() -> Iterator[tuple[str, list[Row]]]:
    revenue = _revenue()
    people = _people()
    handshakes = _handshake_calendar()
    yield "Settings", _settings()
    yield "Criteria", _criteria()
    yield "Ratings", _ratings()
    yield "Accounts", _accounts(revenue)
    yield "Revenue", revenue
    yield "Health", _health()
    yield "Surveys", _surveys(people)
    yield "Stakeholders", _stakeholders(people)
    yield "Opportunities", _opportunities()
    yield "Plan", _plan(people)
    yield "Risks", _risks()
    yield "Actions", _actions(people)
    yield "Meetings", _meetings(people, handshakes)
    yield "Handshake", _handshake(people, revenue, handshakes)


def sample_portfolio() -> dict[str, list[dict[str, object]]]:
    """Rows of every sheet of the sample portfolio, keyed by sheet name.

    Each row maps canonical column names (those of :data:`schema.SHEETS`; criterion ids in
    Ratings) to a ``str``, an ``int`` or ``float``, a :class:`datetime.date`, or ``None`` for
    a blank cell. The computed columns of Accounts are left out. Every call returns equal,
    freshly built rows.
    """
    return dict(_iter_sheets())
