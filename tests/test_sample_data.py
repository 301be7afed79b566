"""The sample portfolio honours the workbook contract and tells a coherent story.

Every check reads the real rows of :func:`sample_portfolio` and recomputes what it needs
(health, share of wallet, quadrants) by hand from the contract, not from kamxl's engine.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, datetime

import pytest

from kamxl.workbook import schema
from kamxl.workbook.sample import sample_portfolio

Row = dict[str, object]

PORTFOLIO = sample_portfolio()
CURRENT, PREVIOUS = "2026-Q3", "2026-Q2"
AS_OF = date(2026, 10, 15)
CRITERION_IDS = [c.criterion_id for c in schema.DEFAULT_CRITERIA]
PERIOD = re.compile(r"^\d{4}-(Q[1-4]|(0[1-9]|1[0-2]))$")
DATA_SHEETS = [s.name for s in schema.SHEETS if s.name not in ("Settings", "Criteria", "Ratings")]


def rows(sheet: str) -> list[Row]:
    return PORTFOLIO[sheet]


def accounts() -> dict[str, Row]:
    return {str(r["account_id"]): r for r in rows("Accounts")}


def key_ids() -> set[str]:
    return {i for i, a in accounts().items() if a["status"] == "key"}


def settings() -> dict[str, object]:
    return {str(r["key"]): r["value"] for r in rows("Settings")}


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def health_now() -> dict[str, float]:
    """Health of each account in the current period, computed by hand from its components."""
    s = settings()
    weights = [float(s[k]) for k in ("w_adoption", "w_engagement", "w_satisfaction", "w_risk")]
    result = {}
    for r in rows("Health"):
        if r["period"] != CURRENT:
            continue
        values = [r["adoption"], r["engagement"], r["satisfaction"], 100 - r["risk"]]
        result[str(r["account_id"])] = sum(
            w * float(v) for w, v in zip(weights, values, strict=True)
        ) / sum(weights)
    return result


def rag(value: float) -> str:
    s = settings()
    if value <= float(s["red_max"]):
        return "Red"
    return "Amber" if value <= float(s["amber_max"]) else "Green"


def axis_score(ratings: Row, axis: str) -> float:
    """The weighted 0-100 score of one axis, blanks skipped, ``lower`` criteria inverted."""
    points = weight = 0.0
    for c in schema.DEFAULT_CRITERIA:
        value = ratings.get(c.criterion_id)
        if c.axis != axis or value is None:
            continue
        normalised = (float(value) - 1) / 4
        if c.direction == "lower":
            normalised = 1 - normalised
        points += c.weight * normalised
        weight += c.weight
    return 100 * points / weight


def revenue_sum(account_id: str, period: str) -> float:
    return sum(
        r["revenue"]
        for r in rows("Revenue")
        if r["account_id"] == account_id and r["period"] == period and r["revenue"] is not None
    )


def text_cells() -> list[tuple[str, str, str]]:
    return [
        (sheet, column, value)
        for sheet, sheet_rows in PORTFOLIO.items()
        for row in sheet_rows
        for column, value in row.items()
        if isinstance(value, str)
    ]


# --- The contract -------------------------------------------------------------------------


def test_every_sheet_is_present() -> None:
    assert set(PORTFOLIO) == {s.name for s in schema.SHEETS}
    assert all(PORTFOLIO[s.name] for s in schema.SHEETS), "a sheet is empty"


@pytest.mark.parametrize("sheet", [s.name for s in schema.SHEETS])
def test_rows_use_canonical_columns_only(sheet: str) -> None:
    allowed = {c.name for c in schema.sheet_def(sheet).columns if not c.computed}
    if sheet == "Ratings":
        allowed |= set(CRITERION_IDS)
    for row in rows(sheet):
        assert set(row) <= allowed, f"{sheet}: unknown columns {set(row) - allowed}"


def test_accounts_leave_out_computed_columns() -> None:
    for row in rows("Accounts"):
        assert not set(row) & set(schema.COMPUTED_COLUMNS)
        assert set(row) == {c.name for c in schema.sheet_def("Accounts").columns if not c.computed}


@pytest.mark.parametrize("sheet", [s.name for s in schema.SHEETS])
def test_required_columns_are_filled(sheet: str) -> None:
    for column in schema.sheet_def(sheet).required:
        for row in rows(sheet):
            if sheet == "Revenue" and column == "revenue" and str(row["period"]) > CURRENT:
                continue  # forecast-only rows of future periods
            value = row.get(column)
            assert value is not None and value != "", f"{sheet}.{column} blank in {row}"


def test_only_future_revenue_rows_are_blank_and_they_carry_a_forecast() -> None:
    blanks = [r for r in rows("Revenue") if r["revenue"] is None]
    assert blanks
    for row in blanks:
        assert str(row["period"]) > CURRENT
        assert is_number(row["forecast"])


@pytest.mark.parametrize("sheet", [*DATA_SHEETS, "Criteria"])
def test_values_match_their_kind_bounds_and_lists(sheet: str) -> None:
    definition = schema.sheet_def(sheet)
    for row in rows(sheet):
        for column, value in row.items():
            if value is None:
                continue
            col = definition.column(column)
            where = f"{sheet}.{column} = {value!r}"
            if col.kind in (schema.Kind.TEXT, schema.Kind.LIST, schema.Kind.PERIOD):
                assert isinstance(value, str) and value.strip(), where
            if col.kind in (schema.Kind.NUMBER, schema.Kind.FRACTION):
                assert is_number(value), where
            if col.kind is schema.Kind.INTEGER:
                assert isinstance(value, int) and not isinstance(value, bool), where
            if col.kind is schema.Kind.FRACTION:
                assert 0 <= value <= 1, where
            if col.kind is schema.Kind.DATE:
                assert is_date(value), where
            if col.kind is schema.Kind.PERIOD:
                assert PERIOD.match(value), where
            if col.kind is schema.Kind.LIST:
                assert col.list_name is not None
                assert value in schema.LISTS[col.list_name].values, where
            if col.minimum is not None:
                assert value >= col.minimum, where
            if col.maximum is not None:
                assert value <= col.maximum, where


def test_settings_hold_every_key_once_with_the_sample_values() -> None:
    keys = [r["key"] for r in rows("Settings")]
    assert keys == [s.key for s in schema.SETTINGS]
    s = settings()
    assert isinstance(s["company"], str) and s["company"]
    assert s["currency"] == "EUR"
    assert (s["period"], s["previous_period"]) == (CURRENT, PREVIOUS)
    assert s["language"] == "en"
    assert s["as_of"] == AS_OF
    assert (s["tier_thresholds"], s["tier_labels"]) == ("70,40", "A,B,C")
    for setting in schema.SETTINGS:
        if setting.key not in ("company", "period", "previous_period", "as_of"):
            assert s[setting.key] == setting.default, setting.key
        if setting.kind is schema.Kind.NUMBER:
            assert is_number(s[setting.key]), setting.key


def test_criteria_are_the_default_selection_matrix() -> None:
    assert [
        (r["criterion_id"], r["label"], r["axis"], r["weight"], r["direction"])
        for r in rows("Criteria")
    ] == [(c.criterion_id, c.label, c.axis, c.weight, c.direction) for c in schema.DEFAULT_CRITERIA]


def test_ratings_are_whole_numbers_on_the_scale_with_a_few_blanks() -> None:
    blanks = 0
    for row in rows("Ratings"):
        for criterion in CRITERION_IDS:
            assert criterion in row
            value = row[criterion]
            if value is None:
                blanks += 1
            else:
                assert isinstance(value, int) and 1 <= value <= 5
    assert 3 <= blanks <= 4
    rated = {r["account_id"] for r in rows("Ratings")}
    unrated = set(accounts()) - rated
    assert len(unrated) == 1
    assert accounts()[unrated.pop()]["status"] == "candidate"


def test_account_ids_are_unique_and_known_everywhere() -> None:
    ids = [r["account_id"] for r in rows("Accounts")]
    assert len(ids) == len(set(ids))
    ratings_ids = [r["account_id"] for r in rows("Ratings")]
    assert len(ratings_ids) == len(set(ratings_ids))
    handshake_ids = [r["account_id"] for r in rows("Handshake")]
    assert len(handshake_ids) == len(set(handshake_ids))
    for sheet in schema.SHEETS:
        if sheet.name in ("Settings", "Criteria"):
            continue
        for row in rows(sheet.name):
            assert row["account_id"] in ids, f"{sheet.name}: unknown {row['account_id']}"


def test_no_text_cell_is_a_template_or_a_formula() -> None:
    for sheet, column, value in text_cells():
        assert "{" not in value and "}" not in value, (sheet, column, value)
        for line in value.splitlines():
            assert line.strip() == line and line, (sheet, column, value)
            assert not line.startswith(("=", "+", "-", "@")), (sheet, column, value)


def test_the_sample_is_deterministic_and_fresh_on_every_call() -> None:
    first, second = sample_portfolio(), sample_portfolio()
    assert first == second == PORTFOLIO
    assert first["Accounts"] is not second["Accounts"]
    assert first["Accounts"][0] is not second["Accounts"][0]


# --- Revenue and accounts -----------------------------------------------------------------


def test_account_revenue_is_the_sum_of_the_revenue_sheet() -> None:
    for account_id, account in accounts().items():
        assert account["revenue_curr"] == revenue_sum(account_id, CURRENT), account_id
        assert account["revenue_prev"] == revenue_sum(account_id, PREVIOUS), account_id


def test_revenue_covers_eight_actual_quarters_and_two_forecast_ones() -> None:
    actual = sorted({r["period"] for r in rows("Revenue") if r["revenue"] is not None})
    assert actual == [
        "2024-Q4",
        "2025-Q1",
        "2025-Q2",
        "2025-Q3",
        "2025-Q4",
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
    ]
    future = {r["account_id"] for r in rows("Revenue") if r["period"] in ("2026-Q4", "2027-Q1")}
    assert future == key_ids()


def test_revenue_is_split_by_product_line_with_realistic_forecasts() -> None:
    lines: dict[tuple[object, object], list[object]] = defaultdict(list)
    for row in rows("Revenue"):
        lines[(row["account_id"], row["period"])].append(row["product_line"])
        revenue, forecast = row["revenue"], row["forecast"]
        if revenue:  # the churned account's last quarter was forecast, then lost
            error = abs(forecast - revenue) / revenue
            assert error <= 0.2, row
    for (account_id, period), names in lines.items():
        assert 2 <= len(names) <= 3, (account_id, period)
        assert len(set(names)) == len(names), (account_id, period)


def test_the_portfolio_has_the_expected_shape() -> None:
    table = accounts()
    assert len(table) >= 25
    assert Counter(a["status"] for a in table.values()) == {"key": 15, "candidate": 9, "other": 6}
    assert len({a["kam"] for a in table.values()}) == 3
    assert len({a["sector"] for a in table.values()}) >= 6
    assert len({a["country"] for a in table.values()}) >= 6
    for account in table.values():
        assert 12 <= len(str(account["name"])) <= 32


def test_key_accounts_split_unevenly_and_one_kam_is_under_loaded() -> None:
    load = Counter(a["kam"] for a in accounts().values() if a["status"] == "key")
    assert sum(load.values()) == 15
    counts = sorted(load.values())
    assert len(counts) == 3
    assert counts[-1] - counts[0] >= 3
    assert counts[0] < 5 <= counts[-1]


def test_revenue_is_concentrated_on_a_few_accounts() -> None:
    revenues = sorted((float(a["revenue_curr"]) for a in accounts().values()), reverse=True)
    top_fifth = revenues[: len(revenues) // 5]
    assert 0.5 <= sum(top_fifth) / sum(revenues) <= 0.8


def test_share_of_wallet_is_plausible_where_the_wallet_is_known() -> None:
    unknown = 0
    for account in accounts().values():
        if account["wallet"] is None:
            unknown += 1
            continue
        sow = account["revenue_curr"] / account["wallet"]
        assert 0.1 < sow < 0.75, account["account_id"]
    assert unknown == 2


def test_costs_follow_revenue_with_one_unprofitable_key_account() -> None:
    margins = {}
    for account_id, account in accounts().items():
        revenue = account["revenue_curr"]
        if not revenue:
            continue
        margins[account_id] = (
            revenue - account["variable_costs"] - account["cost_to_serve"]
        ) / revenue
    unprofitable = [i for i, m in margins.items() if m <= 0.05]
    assert len(unprofitable) == 1
    assert accounts()[unprofitable[0]]["status"] == "key"
    assert all(0.15 <= m <= 0.5 for i, m in margins.items() if i not in unprofitable)


def test_retention_shows_a_churn_and_new_accounts() -> None:
    table = accounts().values()
    churned = [a for a in table if a["revenue_prev"] and not a["revenue_curr"]]
    new = [a for a in table if not a["revenue_prev"] and a["revenue_curr"]]
    assert len(churned) == 1 and churned[0]["status"] in ("candidate", "other")
    assert len(new) >= 1 and all(a["status"] == "candidate" for a in new)


def test_some_plans_are_stale_and_one_was_never_written() -> None:
    ages = [
        (AS_OF - a["plan_updated"]).days
        for a in accounts().values()
        if a["plan_updated"] is not None
    ]
    assert all(age >= 0 for age in ages)
    assert 4 <= sum(age > 180 for age in ages) <= 5
    assert sum(age <= 60 for age in ages) > len(ages) / 2
    assert sum(a["plan_updated"] is None for a in accounts().values()) == 1


# --- Scores and health --------------------------------------------------------------------


def test_ratings_place_accounts_in_all_four_quadrants() -> None:
    quadrants = Counter()
    for row in rows("Ratings"):
        high_a = axis_score(row, "attractiveness") >= 50
        high_s = axis_score(row, "strength") >= 50
        quadrants[(high_a, high_s)] += 1
    assert set(quadrants) == {(True, True), (True, False), (False, True), (False, False)}


def test_key_accounts_rate_higher_than_the_rest() -> None:
    key = key_ids()
    for axis in ("attractiveness", "strength"):
        scores = {str(r["account_id"]): axis_score(r, axis) for r in rows("Ratings")}
        key_mean = sum(v for i, v in scores.items() if i in key) / len(key)
        rest = [v for i, v in scores.items() if i not in key]
        assert key_mean > sum(rest) / len(rest), axis


def test_health_by_hand_gives_red_amber_and_green_key_accounts() -> None:
    health = health_now()
    assert set(health) == set(accounts())
    bands = Counter(rag(health[i]) for i in key_ids())
    assert bands["Red"] == 2
    assert 3 <= bands["Amber"] <= 4
    assert bands["Green"] > bands["Amber"] + bands["Red"]


def test_one_key_account_deteriorates_over_the_last_three_quarters() -> None:
    s = settings()
    weights = [float(s[k]) for k in ("w_adoption", "w_engagement", "w_satisfaction", "w_risk")]
    series: dict[str, dict[str, float]] = defaultdict(dict)
    for r in rows("Health"):
        values = [r["adoption"], r["engagement"], r["satisfaction"], 100 - r["risk"]]
        series[str(r["account_id"])][str(r["period"])] = sum(
            w * float(v) for w, v in zip(weights, values, strict=True)
        )
    falling = [
        i
        for i in key_ids()
        if series[i]["2025-Q4"] > series[i]["2026-Q1"] > series[i]["2026-Q2"] > series[i][CURRENT]
        and series[i]["2025-Q4"] - series[i][CURRENT] > 25
    ]
    assert len(falling) >= 1


def test_surveys_agree_with_health() -> None:
    health = health_now()
    answers: dict[str, list[int]] = defaultdict(list)
    for r in rows("Surveys"):
        assert date(2026, 1, 10) <= r["date"] <= date(2026, 9, 30)
        answers[str(r["account_id"])].append(r["nps"])
    assert set(answers) == key_ids()
    for account_id, scores in answers.items():
        assert 3 <= len(scores) <= 8
        if rag(health[account_id]) == "Red":
            assert any(s <= 6 for s in scores), account_id


# --- Relationship map, pipeline and plan ----------------------------------------------------


def test_relationship_maps_cover_roles_with_a_few_gaps() -> None:
    roles: dict[str, list[object]] = defaultdict(list)
    for r in rows("Stakeholders"):
        roles[str(r["account_id"])].append(r["role"])
    key = key_ids()
    for account_id in key:
        assert 4 <= len(roles[account_id]) <= 7, account_id
        assert {"decision maker", "economic buyer"} <= set(roles[account_id])
    for account_id, account in accounts().items():
        if account["status"] == "candidate":
            assert 1 <= len(roles[account_id]) <= 3
    assert sum("executive sponsor" not in roles[i] for i in key) == 3
    assert sum("champion" in roles[i] for i in key) > len(key) / 2
    assert 3 <= sum(role == "blocker" for rs in roles.values() for role in rs) <= 4


def test_some_stakeholders_have_not_been_seen_for_ninety_days() -> None:
    ages = [(AS_OF - r["last_contact"]).days for r in rows("Stakeholders")]
    assert all(age >= 0 for age in ages)
    assert 0.1 <= sum(age > 90 for age in ages) / len(ages) <= 0.3


def test_blockers_never_appear_in_client_facing_cells() -> None:
    blockers = {r["name"] for r in rows("Stakeholders") if r["role"] == "blocker"}
    assert blockers
    client_facing = {
        "Meetings": ("attendees",),
        "Plan": ("client_owner",),
        "Actions": ("responsible", "accountable", "consulted", "informed"),
        "Handshake": ("client_sponsor", "agreed_by"),
    }
    for sheet, columns in client_facing.items():
        for row in rows(sheet):
            for column in columns:
                for name in blockers:
                    assert name not in str(row[column] or ""), (sheet, column, name)


def test_pipeline_outcomes_dates_and_win_rate() -> None:
    per_account = Counter(r["account_id"] for r in rows("Opportunities"))
    for account_id, account in accounts().items():
        if account["status"] == "key":
            assert 3 <= per_account[account_id] <= 8, account_id
        elif account["status"] == "candidate":
            assert 1 <= per_account[account_id] <= 3, account_id
    outcomes = Counter()
    for r in rows("Opportunities"):
        outcomes[r["outcome"]] += 1
        assert len(str(r["opportunity"])) <= 45
        assert 20_000 <= r["amount"] <= 900_000
        assert date(2025, 1, 1) <= r["created"] <= AS_OF
        if r["outcome"] == "open":
            assert r["closed"] is None and r["probability"] is not None
            assert r["stage"] in ("qualification", "proposal", "negotiation")
        else:
            assert r["created"] <= r["closed"] <= AS_OF
            assert r["stage"] == "closed"
    closed = outcomes["won"] + outcomes["lost"] + outcomes["no decision"]
    assert 0.4 <= outcomes["won"] / closed <= 0.6
    assert outcomes["open"] > 0 and outcomes["no decision"] > 0


def test_plans_mix_statuses_and_hide_one_row_per_account() -> None:
    per_account: dict[str, list[Row]] = defaultdict(list)
    for r in rows("Plan"):
        per_account[str(r["account_id"])].append(r)
        assert len(str(r["objective"])) <= 70 and len(str(r["initiative"])) <= 70
        assert r["start"] <= r["due"]
        if r["status"] == "done" or r["status"] == "late":
            assert r["due"] < AS_OF
    assert set(per_account) == key_ids()
    for account_id, plan in per_account.items():
        assert 3 <= len(plan) <= 5, account_id
        assert [r["client_visible"] for r in plan].count("no") == 1, account_id
    assert {r["status"] for r in rows("Plan")} == set(schema.LISTS["plan_status"].values)


def test_risks_and_actions_of_key_accounts() -> None:
    risks = Counter(r["account_id"] for r in rows("Risks"))
    actions = Counter(r["account_id"] for r in rows("Actions"))
    assert set(risks) == set(actions) == key_ids()
    assert all(1 <= n <= 3 for n in risks.values())
    assert all(2 <= n <= 5 for n in actions.values())
    assert all(len(str(r["risk"])) <= 70 for r in rows("Risks"))
    assert all(len(str(r["action"])) <= 60 for r in rows("Actions"))
    assert {r["status"] for r in rows("Actions")} == {"open", "done"}


def test_every_key_account_has_a_past_and_a_next_qbr() -> None:
    for account_id in key_ids():
        qbrs = [
            r["date"]
            for r in rows("Meetings")
            if r["account_id"] == account_id and r["type"] == "QBR"
        ]
        assert any(date(2026, 7, 1) <= d <= date(2026, 9, 30) for d in qbrs), account_id
        assert any(date(2026, 11, 5) <= d <= date(2027, 1, 20) for d in qbrs), account_id
    for r in rows("Meetings"):
        assert (r["outcome"] is not None) == (r["date"] <= AS_OF), r


def test_handshakes_are_short_dated_and_carry_a_value_trajectory() -> None:
    handshakes = rows("Handshake")
    assert len(handshakes) >= 10
    assert {r["account_id"] for r in handshakes} <= key_ids()
    for r in handshakes:
        for column in ("client_priorities", "shared_ambition", "our_commitments"):
            items = str(r[column]).split("\n")
            assert 2 <= len(items) <= 4, (r["account_id"], column)
            assert all(len(item) <= 80 for item in items), (r["account_id"], column)
        items = str(r["client_commitments"]).split("\n")
        assert 2 <= len(items) <= 4 and all(len(item) <= 80 for item in items)
        ambition = str(r["shared_ambition"])
        assert "12 months" in ambition and "36 months" in ambition
        for column in ("client_sponsor", "our_sponsor", "agreed_by"):
            name, title = str(r[column]).split(", ")
            assert name and title
        assert r["agreed_on"].year == 2026 and r["agreed_on"] <= AS_OF
        assert r["next_review"].year == 2027
