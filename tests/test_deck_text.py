"""The deck texts (kamxl/deck/text/*.j2): same macros and labels in every language, every
macro renders, French typography, workbook text stays data, sandbox and strict undefined."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Any

import pytest
from jinja2 import StrictUndefined
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.runtime import Macro
from jinja2.sandbox import SandboxedEnvironment

from kamxl.deck import text as deck_text
from kamxl.deck.text import LANGUAGES, DeckText, Formats
from kamxl.workbook.schema import LISTS

NNBSP = "\u202f"  # narrow no-break space: before ; : ! ? % and inside « » in French
QBR_DAY = date(2027, 1, 12)
REVIEW_DAY = date(2027, 3, 3)


@cache
def _text(language: str) -> DeckText:
    return DeckText(language, "EUR")


def _macros(language: str) -> dict[str, tuple[str, ...]]:
    """The exported macros of a language's template and their parameter names."""
    module = _text(language)._module
    return {
        name: tuple(value.arguments)
        for name, value in vars(module).items()
        if isinstance(value, Macro)
    }


def _raw(language: str, macro: str, **values: Any) -> str:
    """A macro's text with runs of ASCII whitespace collapsed, no-break spaces kept.

    DeckText.__call__ collapses with str.split(), which also splits U+202F and U+00A0 (see
    test_call_keeps_no_break_spaces); the typography of the templates is checked here.
    """
    function = getattr(_text(language)._module, macro)
    return re.sub(r"[ \t\r\n]+", " ", str(function(**values))).strip()


# --- Same macros and labels -----------------------------------------------------------------


def test_languages_define_the_same_macros_with_the_same_parameters() -> None:
    english = _macros("en")
    assert english, "en.j2 exports no macro"
    for language in LANGUAGES:
        assert _macros(language) == english, language


def test_languages_define_the_same_labels() -> None:
    english = _text("en").labels
    for language in LANGUAGES:
        labels = _text(language).labels
        assert set(labels) == set(english), language
        assert all(isinstance(v, str) and v.strip() for v in labels.values()), language


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="language must be one of"):
        DeckText("de", "EUR")


# --- Every macro renders --------------------------------------------------------------------

#: Sample arguments per macro: both branches of every singular/plural, the None branches,
#: quarters and months, empty and filled lists.
SAMPLES: dict[str, list[dict[str, Any]]] = {
    "footer": [
        {"account": "Airbus", "period": "2026-Q3", "audience": "client", "company": "Norvia"},
        {"account": "Airbus", "period": "2026-07", "audience": "internal", "company": "Norvia"},
        {"account": "Airbus", "period": "2026-07", "audience": "client", "company": ""},
    ],
    "cover_line": [
        {"account": "Airbus", "company": "Norvia", "audience": "client"},
        {"account": "Airbus", "company": "Norvia", "audience": "internal"},
        {"account": "Airbus", "company": "", "audience": "internal"},
    ],
    "continued": [{"title": "Pipeline", "page": 2, "pages": 3}],
    "missing_note": [
        {"what": what} for what in ("revenue", "nps", "health", "margin", "share_of_wallet")
    ],
    "qbr_subtitle": [{"period": "2026-Q3"}, {"period": "2026-07"}],
    "qbr_teams": [
        {
            "our_team": ["Anne Martin", "Paul Durand"],
            "client_team": ["Léa Roux"],
            "next_qbr": QBR_DAY,
            "client": True,
        },
        {
            "our_team": ["Anne Martin"],
            "client_team": ["Léa Roux"],
            "next_qbr": None,
            "client": False,
        },
        {"our_team": [], "client_team": ["Léa Roux"], "next_qbr": None, "client": True},
    ],
    "agenda_title": [{}],
    "revenue_phrase": [
        {"growth": None, "previous_period": "2026-Q2", "client": False},
        {"growth": 0.12, "previous_period": "2026-Q2", "client": False},
        {"growth": -0.08, "previous_period": "2026-06", "client": False},
        {"growth": 0.001, "previous_period": "2026-Q2", "client": False},
        {"growth": None, "previous_period": "2026-Q2", "client": True},
        {"growth": 0.12, "previous_period": "2026-Q2", "client": True},
        {"growth": -0.08, "previous_period": "2026-06", "client": True},
        {"growth": 0.001, "previous_period": "2026-Q2", "client": True},
    ],
    "health_phrase": [
        {"health": None, "rag": None, "trend": None},
        {"health": 72, "rag": "Green", "trend": "Up"},
        {"health": 55, "rag": "Amber", "trend": "Down"},
        {"health": 38, "rag": "Red", "trend": "Same"},
        {"health": 60, "rag": None, "trend": None},
    ],
    "summary_title": [
        {
            "period": "2026-Q3",
            "growth": 0.12,
            "previous_period": "2026-Q2",
            "health": 72,
            "rag": "Green",
            "trend": "Up",
        },
        {
            "period": "2026-07",
            "growth": None,
            "previous_period": "2026-06",
            "health": None,
            "rag": None,
            "trend": None,
        },
        {
            "period": "2026-Q3",
            "growth": -0.2,
            "previous_period": "2026-Q2",
            "health": 41,
            "rag": "Red",
            "trend": "Down",
        },
    ],
    "item": [
        {"kind": "won", "facts": {"name": "Plateforme data", "amount": 1_200_000}},
        {"kind": "won", "facts": {"name": "Plateforme data", "amount": None}},
        {"kind": "done", "facts": {"name": "Migration ERP"}},
        {"kind": "signed", "facts": {"name": "Plateforme data", "amount": 1_200_000}},
        {"kind": "signed", "facts": {"name": "Plateforme data", "amount": None}},
        {
            "kind": "lost",
            "facts": {"name": "Flotte Nord", "amount": 710_000, "closed": QBR_DAY, "days": 5},
        },
        {
            "kind": "lost",
            "facts": {"name": "Flotte Nord", "amount": None, "closed": QBR_DAY, "days": 1},
        },
        {
            "kind": "lost",
            "facts": {"name": "Flotte Nord", "amount": 710_000, "closed": QBR_DAY, "days": 80},
        },
        {"kind": "overdue", "facts": {"name": "Valider le budget", "who": "Léa", "due": QBR_DAY}},
        {"kind": "overdue", "facts": {"name": "Valider le budget", "who": None, "due": QBR_DAY}},
        {"kind": "health", "facts": {"rag": "Red", "trend": "Down"}},
        {"kind": "health", "facts": {"rag": "Amber", "trend": "Same"}},
        {"kind": "health", "facts": {"rag": "Green", "trend": "Down"}},
        {"kind": "health", "facts": {"rag": None, "trend": "Down"}},
        {"kind": "revenue_down", "facts": {"growth": -0.07}},
        {"kind": "plan", "facts": {"name": "Migration ERP", "status": "late"}},
        {"kind": "plan", "facts": {"name": "Migration ERP", "status": "at risk"}},
        {"kind": "stale_contacts", "facts": {"count": 1}},
        {"kind": "stale_contacts", "facts": {"count": 3}},
        {"kind": "risk", "facts": {"name": "Départ du sponsor", "count": 1}},
        {
            "kind": "action",
            "facts": {"name": "Valider le budget", "who": "Léa Roux", "due": QBR_DAY},
        },
        {"kind": "action", "facts": {"name": "Valider le budget", "who": None, "due": None}},
        {"kind": "decision", "facts": {"name": "Extension Europe", "amount": 850_000}},
        {"kind": "decision", "facts": {"name": "Extension Europe", "amount": None}},
        {"kind": "ebr", "facts": {"date": REVIEW_DAY}},
        {"kind": "review", "facts": {"date": REVIEW_DAY}},
        {"kind": "other", "facts": "Point libre"},
    ],
    "scorecard_title": [
        {
            "growth": 0.12,
            "previous_period": "2026-Q2",
            "lead_line": "Services",
            "lead_change": 5,
            "client": False,
        },
        {
            "growth": -0.05,
            "previous_period": "2026-Q2",
            "lead_line": "Services",
            "lead_change": -3,
            "client": False,
        },
        {
            "growth": 0.12,
            "previous_period": "2026-Q2",
            "lead_line": "Services",
            "lead_change": -2,
            "client": False,
        },
        {
            "growth": None,
            "previous_period": "2026-Q2",
            "lead_line": None,
            "lead_change": None,
            "client": False,
        },
        {
            "growth": -0.05,
            "previous_period": "2026-Q2",
            "lead_line": "Services",
            "lead_change": -3,
            "client": True,
        },
    ],
    "revenue_detail": [
        {"growth": 0.09, "previous_period": "2026-Q2", "previous": 1_100_000},
        {"growth": None, "previous_period": "2026-06", "previous": None},
    ],
    "trajectory_title": [
        {"year_growth": None, "accuracy": None, "client": False},
        {"year_growth": 0.08, "accuracy": 0.91, "client": False},
        {"year_growth": -0.04, "accuracy": None, "client": False},
        {"year_growth": None, "accuracy": None, "client": True},
        {"year_growth": 0.08, "accuracy": None, "client": True},
        {"year_growth": -0.04, "accuracy": None, "client": True},
    ],
    "health_title": [
        {"health": None, "rag": None, "previous": None, "previous_period": "2026-Q2"},
        {"health": 72, "rag": "Green", "previous": None, "previous_period": "2026-Q2"},
        {"health": 72, "rag": None, "previous": None, "previous_period": "2026-Q2"},
        {"health": 75, "rag": "Green", "previous": 70, "previous_period": "2026-Q2"},
        {"health": 73, "rag": "Green", "previous": 72, "previous_period": "2026-Q2"},
        {"health": 58, "rag": "Amber", "previous": 66, "previous_period": "2026-06"},
        {"health": 72, "rag": "Green", "previous": 71.6, "previous_period": "2026-Q2"},
    ],
    "relationships_title": [
        {"covered": 5, "required": 5, "missing": [], "stale": 0},
        {"covered": 4, "required": 5, "missing": ["Champion"], "stale": 1},
        {"covered": 3, "required": 5, "missing": ["Champion", "Décideur"], "stale": 3},
        {"covered": 0, "required": 5, "missing": ["A", "B", "C", "D", "E"], "stale": 0},
    ],
    "contacts_title": [{"count": 1}, {"count": 7}],
    "objectives_title": [
        {"total": 0, "good": 0, "late": 0, "at_risk": 0},
        {"total": 5, "good": 3, "late": 1, "at_risk": 1},
        {"total": 1, "good": 1, "late": 0, "at_risk": 0},
        {"total": 4, "good": 0, "late": 2, "at_risk": 2},
    ],
    "pipeline_title": [
        {"value": 0, "weighted": 0, "count": 0, "win_rate": None},
        {"value": 1_200_000, "weighted": 650_000, "count": 1, "win_rate": 0.35},
        {"value": 2_400_000, "weighted": 1_100_000, "count": 4, "win_rate": None},
    ],
    "risks_title": [
        {"count": 0, "top": ""},
        {"count": 1, "top": "Départ du sponsor"},
        {"count": 3, "top": "Départ du sponsor"},
    ],
    "actions_title": [
        {"count": 0, "overdue": 0, "next_due": None},
        {"count": 1, "overdue": 0, "next_due": QBR_DAY},
        {"count": 5, "overdue": 2, "next_due": QBR_DAY},
        {"count": 3, "overdue": 0, "next_due": None},
    ],
    "next_steps_title": [{"next_qbr": QBR_DAY}, {"next_qbr": None}],
    "proposals_title": [
        {"count": 0, "value": None},
        {"count": 1, "value": 155_000},
        {"count": 1, "value": None},
        {"count": 4, "value": 2_400_000},
    ],
    "more_rows": [{"count": 1, "amount": None}, {"count": 22, "amount": 3_100_000}],
    "notes_spend": [
        {"revenue": 1_200_000, "previous": 1_100_000, "growth": 0.09, "nps": 42, "nps_n": 12},
        {"revenue": 1_200_000, "previous": 1_100_000, "growth": 0.09, "nps": -10, "nps_n": 1},
        {"revenue": None, "previous": None, "growth": None, "nps": None, "nps_n": None},
    ],
    "notes_spend_trend": [
        {"first": 900_000, "last": 1_200_000, "year_growth": 0.2},
        {"first": None, "last": None, "year_growth": None},
    ],
    "notes_team": [{"count": 0}, {"count": 1}, {"count": 5}],
    "notes_proposals": [
        {"count": 0, "value": None},
        {"count": 1, "value": 155_000},
        {"count": 3, "value": None},
    ],
    "client_summary_title": [
        {
            "period": "2026-Q3",
            "growth": 0.12,
            "previous_period": "2026-Q2",
            "nps": 40,
            "nps_n": 6,
        },
        {
            "period": "2026-07",
            "growth": None,
            "previous_period": "2026-06",
            "nps": None,
            "nps_n": None,
        },
        {"period": "2026-Q3", "growth": -0.2, "previous_period": "2026-Q2", "nps": 10, "nps_n": 1},
    ],
    "revenue_axis": [{"symbol": "€", "client": False}, {"symbol": "€", "client": True}],
    "scale_note": [{"symbol": "€"}],
    "notes_title": [
        {"account": "Airbus", "period": "2026-Q3", "next_qbr": QBR_DAY},
        {"account": "Airbus", "period": "2026-07", "next_qbr": None},
    ],
    "notes_agenda": [{}],
    "notes_summary": [
        {"wins": 1, "watch": 1, "asks": 1},
        {"wins": 3, "watch": 2, "asks": 0},
        {"wins": None, "watch": 2, "asks": 0},  # a list left out (it rests on a bad cell)
    ],
    "notes_scorecard": [
        {
            "revenue": 1_200_000,
            "previous": 1_100_000,
            "growth": 0.09,
            "nps": 42,
            "nps_n": 12,
            "health": 72,
        },
        {
            "revenue": None,
            "previous": None,
            "growth": None,
            "nps": None,
            "nps_n": 0,
            "health": None,
        },
        {
            "revenue": 900_000,
            "previous": 950_000,
            "growth": -0.05,
            "nps": -10,
            "nps_n": 1,
            "health": 50,
        },
    ],
    "notes_trajectory": [
        {"first": 800_000, "last": 1_200_000, "year_growth": 0.1, "accuracy": 0.9},
        {"first": None, "last": 1_000_000, "year_growth": None, "accuracy": None},
    ],
    "notes_health": [{"health": 72, "previous": 68}, {"health": None, "previous": None}],
    "notes_relationships": [
        {"coverage": 0.8, "stale": 0},
        {"coverage": 0.8, "stale": None},
        {"coverage": 0.6, "stale": 1},
        {"coverage": 0.6, "stale": 3},
        {"coverage": None, "stale": 0},
    ],
    "notes_objectives": [{"total": 0, "good": 0}, {"total": 1, "good": 1}, {"total": 5, "good": 3}],
    "notes_pipeline": [
        {"value": 1_000_000, "weighted": 500_000, "win_rate": 0.3, "cycle": 45},
        {"value": 0, "weighted": 0, "win_rate": None, "cycle": None},
        {"value": 200_000, "weighted": 80_000, "win_rate": 0.5, "cycle": 1},
    ],
    "notes_risks": [{"count": 1}, {"count": 4}],
    "notes_actions": [{"count": 0}, {"count": 1}, {"count": 6}],
    "notes_next_steps": [{"next_qbr": QBR_DAY}, {"next_qbr": None}],
    "handshake_title": [{"company": "Acme"}, {"company": ""}],
    "validation": [
        {"agreed_by": "Léa Roux", "agreed_on": QBR_DAY, "next_review": REVIEW_DAY},
        {"agreed_by": None, "agreed_on": None, "next_review": None},
    ],
    "sponsor_pair": [{"client": "Léa Roux", "ours": "Anne Martin"}, {"client": None, "ours": None}],
    "sponsors_line": [
        {"client": "Léa Roux", "ours": "Anne Martin"},
        {"client": None, "ours": None},
    ],
    "nps_detail": [{"count": 1}, {"count": 6}],
    "meeting": [
        {"kind": kind, "when": QBR_DAY} for kind in ("QBR", "EBR", "steering", "handshake")
    ],
    "initiative": [
        {"name": "Plateforme data", "ours": "Anne Martin", "theirs": "Léa Roux"},
        {"name": "Plateforme data", "ours": None, "theirs": None},
    ],
    "notes_handshake": [
        {"account": "Airbus", "today": 1_000_000, "in_12": 1_500_000, "in_36": 3_000_000},
        {"account": "Airbus", "today": 1_000_000, "in_12": None, "in_36": None},
        {"account": "Airbus", "today": 1_000_000, "in_12": None, "in_36": 3_000_000},
        {"account": "Airbus", "today": None, "in_12": 1_500_000, "in_36": None},
    ],
    "portfolio_subtitle": [{"period": "2026-Q3"}],
    "matrix_title": [
        {"strategic": None, "share": None},
        {"strategic": 3, "share": None},
        {"strategic": 0, "share": 0.0},
        {"strategic": 1, "share": 0.2},
        {"strategic": 9, "share": 0.64},
    ],
    "matrix_caption": [
        {"labelled": 3, "shown": 3, "biggest": 2_400_000, "name": "Brennholt"},
        {"labelled": 30, "shown": 500, "biggest": 1_990_000, "name": "Account 475"},
    ],
    "matrix_tier": [{"tier": "A"}],
    "map_caption": [
        {"labelled": 7, "shown": 7, "stale": True},
        {"labelled": 20, "shown": 40, "stale": False},
        {"labelled": 20, "shown": 40, "stale": True},
    ],
    "concentration_title": [
        {"top_share": 0.61, "hhi": 1250.3, "top": 6, "of": 30},
        {"top_share": 0.8, "hhi": 6725.0, "top": 1, "of": 3},
        {"top_share": 0.7, "hhi": 3000.0, "top": 2, "of": 7},
        {"top_share": None, "hhi": None, "top": None, "of": None},
    ],
    "top_accounts": [{"top": 6, "of": 30}, {"top": 1, "of": 3}, {"top": None, "of": None}],
    "top_share_label": [{"top": 6, "of": 30}, {"top": 1, "of": 3}, {"top": 2, "of": 7}],
    "tiering_title": [
        {"top_tier": "A", "count": None, "red": None, "red_in_tier": 0},
        {"top_tier": "A", "count": 1, "red": 0, "red_in_tier": 0},
        {"top_tier": "A", "count": 12, "red": 1, "red_in_tier": 1},
        {"top_tier": "A", "count": 12, "red": 3, "red_in_tier": 1},
        {"top_tier": "A", "count": 1, "red": 1, "red_in_tier": 0},
    ],
    "retention_title": [{"nrr": 1.04, "grr": 0.92}, {"nrr": None, "grr": None}],
    "kam_load_title": [
        {"below": [], "above": [], "low": 4, "high": 8},
        {"below": ["Anne Martin"], "above": [], "low": 4, "high": 8},
        {"below": [], "above": ["Paul Durand", "Léa Roux"], "low": 4, "high": 8},
    ],
    "freshness_title": [
        {"count": 0, "days": 180},
        {"count": 1, "days": 180},
        {"count": 4, "days": 180},
    ],
    "notes_matrix": [
        {"strategic": None, "share": None},
        {"strategic": 3, "share": None},
        {"strategic": 0, "share": 0.0},
        {"strategic": 1, "share": 0.2},
        {"strategic": 9, "share": 0.64},
    ],
    "notes_concentration": [
        {"pareto": 0.23, "top_share": 0.61, "effective": 5.4, "top": 6, "of": 30},
        {"pareto": 0.34, "top_share": 0.8, "effective": 1.5, "top": 1, "of": 3},
        {"pareto": None, "top_share": None, "effective": None, "top": None, "of": None},
    ],
    "notes_tiering": [{"count": 1}, {"count": 24}, {"count": None}],
    "left_out_note": [{"count": 1}, {"count": 3}],
    "columns_left_out": [{"names": ["Santé"]}, {"names": ["Plan à jour", "Jours"]}],
    "left_out_item": [{"what": "revenue", "cells": "Accounts!I4"}],
    "no_previous_revenue": [{"previous_period": "2026-Q2"}, {"previous_period": "2026"}],
    "notes_retention": [
        {"nrr": 1.04, "grr": 0.92, "logo": 0.95, "expansion": 0.12},
        {"nrr": None, "grr": None, "logo": None, "expansion": None},
    ],
    "notes_kam_load": [{"low": 4, "high": 8}],
    "notes_freshness": [{"count": 0}, {"count": 1}, {"count": 4}],
    "notes_top": [{"shown": 15, "more": 1}, {"shown": 15, "more": 485}],
    "bridge_category": [
        {"kind": "accounts", "step": "lost", "count": 0},
        {"kind": "lines", "step": "new", "count": 3},
    ],
    "bridge_title": [
        {
            "growth": 0.08,
            "previous_period": "2026-Q2",
            "gained": 1.2e6,
            "lost": 4e5,
            "client": False,
        },
        {
            "growth": -0.05,
            "previous_period": "2026-05",
            "gained": 3e5,
            "lost": 9e5,
            "client": False,
        },
        {"growth": 0.0, "previous_period": "2026-Q2", "gained": 4e5, "lost": 4e5, "client": False},
        {"growth": 0.1, "previous_period": "2026-Q2", "gained": 1e5, "lost": 0.0, "client": False},
        {"growth": -0.1, "previous_period": "2026-Q2", "gained": 0.0, "lost": 1e5, "client": False},
        {"growth": 0.0, "previous_period": "2026-Q2", "gained": 0.0, "lost": 0.0, "client": False},
        {
            "growth": 0.08,
            "previous_period": "2026-Q2",
            "gained": 1.2e6,
            "lost": 4e5,
            "client": True,
        },
        {"growth": -0.1, "previous_period": "2026-Q2", "gained": 0.0, "lost": 1e5, "client": True},
        {"growth": 0.0, "previous_period": "2026-Q2", "gained": 0.0, "lost": 0.0, "client": True},
    ],
    "notes_bridge": [
        {
            "kind": kind,
            "previous": 1e6,
            "current": 1.1e6,
            "previous_period": "2026-Q2",
            "period": "2026-Q3",
            "lost": 5e4,
            "contraction": 2e4,
            "expansion": 1.5e5,
            "new": 2e4,
            "counts": counts,
        }
        for kind, counts in (("accounts", (1, 2, 3, 1)), ("lines", (0, 1, 4, 2)))
    ],
    "bridge_floor_note": [{"floor": 13100.0, "symbol": "€"}],
    "whitespace_title": [
        {"open": 0, "accounts": 0, "proposed": 0},
        {"open": 1, "accounts": 1, "proposed": 1},
        {"open": 12, "accounts": 8, "proposed": 5},
    ],
    "whitespace_legend": [
        {"bought": "●", "proposed": "◐", "open": "○", "unknown": None},
        {"bought": "●", "proposed": "◐", "open": "○", "unknown": "—"},
    ],
    "notes_whitespace": [
        {"open": 1, "accounts": 1, "proposed": 0, "more_lines": []},
        {"open": 12, "accounts": 8, "proposed": 5, "more_lines": ["Software", "Training"]},
    ],
}

#: The titles with shorter wordings (``brief`` 0, 1, …: the deck takes the first that fits one
#: line): every sample in every wording, the full ones first (the indexes above stay).
WORDINGS = {
    "summary_title": 3,
    "client_summary_title": 3,
    "relationships_title": 4,
    "pipeline_title": 3,
    "risks_title": 2,
    "handshake_title": 2,
    "kam_load_title": 2,
}
for _macro, _count in WORDINGS.items():
    SAMPLES[_macro] = [{**v, "brief": b} for b in range(_count) for v in SAMPLES[_macro]]

CASES = [
    pytest.param(language, macro, values, id=f"{language}-{macro}-{i}")
    for language in LANGUAGES
    for macro, samples in SAMPLES.items()
    for i, values in enumerate(samples)
]

FORBIDDEN = re.compile(r"\{\{|\{%|\bNone\b|\bnan\b|undefined", re.IGNORECASE)
#: English words that must not be left in a French text.
ENGLISH = re.compile(
    r"\b(the|and|of|on|with|open|Revenue|Health|risks?|accounts?|days|led by|weighted)\b"
)


def test_samples_cover_every_macro() -> None:
    assert set(SAMPLES) == set(_macros("en"))
    for macro, samples in SAMPLES.items():
        parameters = set(_macros("en")[macro])
        assert samples, macro
        assert all(set(values) == parameters for values in samples), macro


@pytest.mark.parametrize(("language", "macro", "values"), CASES)
def test_every_macro_renders(language: str, macro: str, values: dict[str, Any]) -> None:
    text = _text(language)(macro, **values)
    assert text.strip(), f"{macro} rendered nothing"
    assert not FORBIDDEN.search(text), text
    if language == "fr":
        raw = _raw(language, macro, **values)
        # Sheet names (feuille Health) are the workbook's, not words of the text.
        assert not ENGLISH.search(re.sub(r"feuille \w+", "", raw)), raw
        # French typography: no ordinary space before ; : ! ? % » nor after «.
        assert not re.search(r"[ \t][;:!?%»]|«[ \t]", raw), raw


def test_macros_give_different_texts_in_each_language() -> None:
    same = [
        macro
        for macro, samples in SAMPLES.items()
        if all(_text("en")(macro, **v) == _text("fr")(macro, **v) for v in samples)
    ]
    # Only texts made of data and signs alone (names, periods, dates, dashes).
    assert set(same) <= {"continued", "sponsor_pair", "initiative"}


# --- French --------------------------------------------------------------------------------


def test_french_percent_takes_a_narrow_no_break_space() -> None:
    formats = Formats("fr", "EUR")
    assert formats.pct(0.12) == f"12{NNBSP}%"
    assert formats.signed_pct(-0.05) == f"−5{NNBSP}%"
    assert Formats("en", "EUR").pct(0.12) == "12%"
    assert f"35{NNBSP}%" in _raw("fr", "pipeline_title", **SAMPLES["pipeline_title"][1])


@pytest.mark.parametrize(
    ("macro", "values", "expected"),
    [
        (
            "relationships_title",
            {"covered": 4, "required": 5, "missing": ["champion"], "stale": 1},
            f"4 rôles clés sur 5 couverts{NNBSP}; champion manquant{NNBSP}; "
            "1 contact non rencontré depuis 90 jours ou plus",
        ),
        (
            "relationships_title",
            {"covered": 3, "required": 5, "missing": ["champion", "décideur"], "stale": 2},
            f"3 rôles clés sur 5 couverts{NNBSP}; champion, décideur manquants{NNBSP}; "
            "2 contacts non rencontrés depuis 90 jours ou plus",
        ),
        (
            "matrix_title",
            {"strategic": 1, "share": 0.2},
            f"1 compte stratégique représente 20{NNBSP}% du chiffre d’affaires",
        ),
        (
            "matrix_title",
            {"strategic": 9, "share": 0.64},
            f"9 comptes stratégiques représentent 64{NNBSP}% du chiffre d’affaires",
        ),
        (
            "actions_title",
            {"count": 1, "overdue": 0, "next_due": QBR_DAY},
            "1 action ouverte, prochaine échéance le 12 janv. 2027",
        ),
        (
            "actions_title",
            {"count": 3, "overdue": 2, "next_due": QBR_DAY},
            "3 actions ouvertes, dont 2 en retard",
        ),
        (
            "summary_title",
            {
                "period": "2026-Q3",
                "growth": 0.12,
                "previous_period": "2026-Q2",
                "health": 72,
                "rag": "Green",
                "trend": "Up",
            },
            f"T3 2026{NNBSP}: chiffre d’affaires en hausse de 12{NNBSP}% sur le T2 2026, "
            "santé à 72 (Vert, en amélioration)",
        ),
        (
            "health_title",
            {"health": 58, "rag": "Amber", "previous": 66, "previous_period": "2026-06"},
            "Santé en baisse de 8 points depuis juin 2026, à 58 (Orange)",
        ),
        (
            "missing_note",
            {"what": "nps"},
            f"Aucune réponse d’enquête sur les douze derniers mois{NNBSP}: "
            "le NPS n’est pas affiché.",
        ),
    ],
)
def test_french_titles(macro: str, values: dict[str, Any], expected: str) -> None:
    assert _raw("fr", macro, **values) == expected


def test_call_keeps_no_break_spaces() -> None:
    """Collapsing the template's layout whitespace must keep French no-break spaces."""
    assert _text("fr")("matrix_title", strategic=1, share=0.2) == _raw(
        "fr", "matrix_title", strategic=1, share=0.2
    )


def test_french_list_values_match_the_workbook_lists() -> None:
    french = _text("fr")
    for name in ("role", "plan_status", "opportunity_type", "meeting_type"):
        for code in LISTS[name].values:
            assert french.status(code).lower() == LISTS[name].label(code, "fr").lower(), code


def test_french_quadrants_rag_and_trends() -> None:
    french = _text("fr")
    quadrants = [french.status(q) for q in ("Strategic", "Star", "Status", "Streamline")]
    assert quadrants == ["Stratégique", "Étoile", "Statut", "Rationalisation"]
    assert [french.status(r) for r in ("Red", "Amber", "Green")] == ["Rouge", "Orange", "Vert"]
    assert french.status("Same") == "Stable"
    assert french.status(None) == deck_text.DASH
    assert french.status("not a list value") == "not a list value"


# --- Workbook text is data -----------------------------------------------------------------

PAYLOADS = ("{{ 7*7 }}", "{% for x in range(3) %}x{% endfor %}", "{{ LABELS }}")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_workbook_text_is_output_verbatim(language: str, payload: str) -> None:
    t = _text(language)
    texts = [
        t("footer", account=payload, period="2026-Q3", audience="client", company=payload),
        t("handshake_title", company=payload),
        t("item", kind="risk", facts={"name": payload}),
        t("item", kind="plan", facts={"name": payload, "status": "late"}),
        t("risks_title", count=2, top=payload),
        t("qbr_teams", our_team=[payload], client_team=[payload], next_qbr=None, client=True),
        t("initiative", name=payload, ours=payload, theirs=payload),
        t("kam_load_title", below=[payload], above=[], low=4, high=8),
        t("missing_note", what=payload),
    ]
    for text in texts:
        assert payload in text, text
        assert "49" not in text and "xxx" not in text, text


# --- Sandbox and strict undefined ----------------------------------------------------------


def test_templates_render_in_a_sandbox_with_strict_undefined() -> None:
    environment = deck_text._environment()
    assert type(environment) is SandboxedEnvironment
    assert environment.undefined is StrictUndefined
    for language in LANGUAGES:
        # The environment the module was made with: the overlay with the language's filters.
        behind = _text(language)._module.footer._environment
        assert isinstance(behind, SandboxedEnvironment)
        assert behind.undefined is StrictUndefined
    with pytest.raises(SecurityError):
        environment.from_string("{{ ''.__class__.__mro__ }}").render()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_missing_argument_is_an_error(language: str) -> None:
    t = _text(language)
    with pytest.raises(UndefinedError, match="'count' was not provided"):
        t("contacts_title")
    with pytest.raises(UndefinedError, match="'audience' was not provided"):
        t("footer", account="Airbus", period="2026-Q3")
    # A value with no label is an error too, never an empty string on a slide.
    with pytest.raises(UndefinedError):
        t("meeting", kind="workshop", when=QBR_DAY)
    # An argument the macro does not take is a TypeError, a macro it does not have a KeyError.
    with pytest.raises(TypeError, match="no keyword argument 'extra'"):
        t("contacts_title", count=1, extra=2)
    with pytest.raises(KeyError):
        t("no_such_macro")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("macro", sorted(WORDINGS))
def test_each_shorter_wording_of_a_title_is_no_longer(language: str, macro: str) -> None:
    """The deck falls back on the next wording when one does not fit: it must be shorter, and
    the last one must not carry the text whose length depends on the data (a risk, names)."""
    t = _text(language)
    count = WORDINGS[macro]
    base = SAMPLES[macro][: len(SAMPLES[macro]) // count]
    for values in base:
        wordings = [t(macro, **{**values, "brief": b}) for b in range(count)]
        assert [len(w) for w in wordings] == sorted((len(w) for w in wordings), reverse=True)
    risk = "Un incident de sécurité bloque l'accès de nos équipes au site pendant trois semaines"
    assert risk not in t("risks_title", count=2, top=risk, brief=1)
    names = ["Claire Dumont-Vasseur", "Ola Nordmann"]
    assert "Ola" not in t("kam_load_title", below=names, above=[], low=5, high=15, brief=1)
