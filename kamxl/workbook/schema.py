"""The standard KAM workbook as data: the one source of truth.

``shared/spec/workbook.md`` (contract version 1) written as Python data. The template
builder, the reader, the checks, the client-safety rules of the decks and the docs all read
it from here, so a column added here appears everywhere at once.

A workbook holds one sheet per entity (Accounts, Revenue, Stakeholders, ...). Each data
sheet has its headers in row 1 inside an Excel Table named ``tbl<Sheet>``; column order is
free and extra columns or sheets are allowed. Headers are matched after normalisation
(:func:`header_key`), in English or through their French aliases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kamxl.core.words import normalise_word

__all__ = [
    "ACCOUNT_ID",
    "COMPUTED_COLUMNS",
    "COMPUTED_FROM_CRITERIA",
    "COMPUTED_SETTINGS",
    "CONTRACT_VERSION",
    "DEFAULT_CRITERIA",
    "LISTS",
    "OPPORTUNITY_STAGES",
    "REQUIRED_SHEETS",
    "SETTINGS",
    "SHEETS",
    "Column",
    "Criterion",
    "Kind",
    "ListDef",
    "Setting",
    "SheetDef",
    "header_aliases",
    "header_key",
    "sheet_def",
    "stage_code",
]

CONTRACT_VERSION = 1
ACCOUNT_ID = "account_id"


class Kind(StrEnum):
    """What a column holds, which decides how a cell is read and checked."""

    TEXT = "text"  # any text; a number is read as its text ("1001")
    NUMBER = "number"  # a number (amounts, scores, 0-100 components)
    INTEGER = "integer"  # a whole number (attitude, power, NPS answer)
    FRACTION = "fraction"  # a number in 0..1, shown as a percentage
    DATE = "date"  # a real Excel date (or its serial number)
    PERIOD = "period"  # text YYYY-Qn or YYYY-MM
    LIST = "list"  # one of the values of a list of the Lists sheet


@dataclass(frozen=True, slots=True)
class ListDef:
    """A list of allowed values: canonical English codes and their French labels."""

    name: str
    values: tuple[str, ...]
    french: tuple[str, ...]
    description: str

    def label(self, code: str, language: str) -> str:
        """The label of ``code`` in ``language`` (``en`` or ``fr``)."""
        if language == "fr":
            return self.french[self.values.index(code)]
        return code

    def labels(self, language: str) -> tuple[str, ...]:
        return self.french if language == "fr" else self.values


def _list(name: str, pairs: list[tuple[str, str]], description: str) -> ListDef:
    return ListDef(name, tuple(e for e, _ in pairs), tuple(f for _, f in pairs), description)


LISTS: dict[str, ListDef] = {
    d.name: d
    for d in (
        _list(
            "status",
            [("key", "clé"), ("candidate", "candidat"), ("other", "autre")],
            "Account status: a key account, a candidate, or another account.",
        ),
        _list(
            "role",
            [
                ("decision maker", "décideur"),
                ("economic buyer", "acheteur économique"),
                ("influencer", "influenceur"),
                ("champion", "champion"),
                ("blocker", "bloqueur"),
                ("user", "utilisateur"),
                ("executive sponsor", "sponsor exécutif"),
            ],
            "Role of a stakeholder in the client's buying decisions.",
        ),
        _list(
            "opportunity_type",
            [
                ("new", "nouveau"),
                ("upsell", "montée en gamme"),
                ("cross-sell", "vente croisée"),
                ("renewal", "renouvellement"),
            ],
            "Kind of opportunity.",
        ),
        _list(
            "outcome",
            [
                ("open", "en cours"),
                ("won", "gagné"),
                ("lost", "perdu"),
                ("no decision", "sans suite"),
            ],
            "Where an opportunity stands.",
        ),
        _list(
            "plan_status",
            [
                ("not started", "pas commencé"),
                ("on track", "en bonne voie"),
                ("at risk", "à risque"),
                ("late", "en retard"),
                ("done", "terminé"),
            ],
            "Progress of an objective or initiative of the account plan.",
        ),
        _list("yes_no", [("yes", "oui"), ("no", "non")], "Yes or no."),
        _list("risk_status", [("open", "ouvert"), ("closed", "clos")], "Risk status."),
        _list("action_status", [("open", "ouvert"), ("done", "fait")], "Action status."),
        _list(
            "meeting_type",
            [
                ("QBR", "QBR"),
                ("EBR", "EBR"),
                ("steering", "comité de pilotage"),
                ("handshake", "handshake"),
            ],
            "Governance meeting: quarterly or executive business review, steering, handshake.",
        ),
        _list(
            "axis",
            [("attractiveness", "attractivité"), ("strength", "force")],
            "Axis of the portfolio matrix a criterion belongs to.",
        ),
        _list(
            "direction",
            [("higher", "haut"), ("lower", "bas")],
            "Whether a higher rating is better (higher) or worse (lower).",
        ),
        _list("language", [("en", "en"), ("fr", "fr")], "Language of the decks."),
    )
}


#: The usual stages of an open opportunity (``Opportunities.stage`` is free text, so this is
#: not a list the check enforces): what the decks read a stage as, in English or French.
#: ``proposal`` and ``negotiation`` are the late stages where the client has a decision to
#: take.
OPPORTUNITY_STAGES = _list(
    "opportunity_stage",
    [
        ("qualification", "qualification"),
        ("proposal", "proposition"),
        ("negotiation", "négociation"),
        ("closed", "clôturée"),
    ],
    "Stage of an open opportunity (free text; these words are understood in both languages).",
)


def stage_code(text: object) -> str | None:
    """The stage code (:data:`OPPORTUNITY_STAGES`) a stage cell reads as, in English or
    French, whatever its case and accents ("Négociation" -> "negotiation"); None when it
    is none of them."""
    if not isinstance(text, str):
        return None
    word = normalise_word(text)
    for code, french in zip(OPPORTUNITY_STAGES.values, OPPORTUNITY_STAGES.french, strict=True):
        if word in (normalise_word(code), normalise_word(french)):
            return code
    return None


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a data sheet."""

    name: str
    kind: Kind
    required: bool = False
    french: tuple[str, ...] = ()  # French headers; the first is the French template's
    list_name: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    computed: bool = False  # computed by KAM_* formulas (Accounts) -- never typed in
    internal: bool = False  # never shown to the client (client-safe fields)
    description: str = ""
    description_fr: str = ""
    width: float = 14.0

    def header(self, language: str = "en") -> str:
        """The header the template writes for this column in ``language``."""
        return self.french[0] if language == "fr" and self.french else self.name


@dataclass(frozen=True, slots=True)
class SheetDef:
    """A sheet of the standard workbook."""

    name: str
    columns: tuple[Column, ...]
    description: str
    description_fr: str
    one_row_per: str
    internal: bool = False  # the whole sheet is internal (Risks)
    #: Rows that must never reach a client: (column, values that exclude the row).
    client_excludes: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def table(self) -> str:
        """The Excel Table name of the sheet's data."""
        return f"tbl{self.name}"

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def internal_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.internal)


def _c(name: str, kind: Kind, *french: str, **options: Any) -> Column:
    return Column(name, kind, french=french, **options)


_ACCOUNT_ID = _c(
    ACCOUNT_ID,
    Kind.TEXT,
    "compte",
    required=True,
    description="The account's identifier, the same in every sheet.",
    description_fr="Identifiant du compte, le même dans chaque feuille.",
)
_SCORE = {"minimum": 0.0, "maximum": 100.0}

SHEETS: tuple[SheetDef, ...] = (
    SheetDef(
        "Settings",
        (
            _c("key", Kind.TEXT, "cle", required=True, description="Setting name."),
            _c("value", Kind.TEXT, "valeur", description="Setting value.", width=18),
        ),
        "Portfolio-wide settings: company, currency, current period, scales, cut-offs.",
        "Paramètres du portefeuille : société, devise, période, échelles, seuils.",
        "setting",
    ),
    SheetDef(
        "Criteria",
        (
            _c(
                "criterion_id",
                Kind.TEXT,
                "critere",
                required=True,
                description="Short code, also a column header of Ratings.",
            ),
            _c(
                "label",
                Kind.TEXT,
                "libelle",
                required=True,
                description="Criterion name.",
                width=30,
            ),
            _c(
                "axis",
                Kind.LIST,
                "axe",
                required=True,
                list_name="axis",
                description="attractiveness (how much the account is worth to us) or strength "
                "(how strong we are with it).",
            ),
            _c(
                "weight",
                Kind.NUMBER,
                "poids",
                required=True,
                minimum=0.0,
                description="Weight ≥ 0.",
            ),
            _c(
                "direction",
                Kind.LIST,
                "sens",
                list_name="direction",
                description="higher if a high rating is good, lower if it is bad (cost).",
            ),
        ),
        "The selection matrix: the criteria that rate each account, their axis and weight.",
        "La matrice de sélection : critères, axe et poids de chaque critère.",
        "criterion",
    ),
    SheetDef(
        "Ratings",
        (_ACCOUNT_ID,),
        "One row per account, one column per criterion, ratings on the Settings scale.",
        "Une ligne par compte, une colonne par critère, notes sur l'échelle des paramètres.",
        "account",
    ),
    SheetDef(
        "Accounts",
        (
            _ACCOUNT_ID,
            _c("name", Kind.TEXT, "nom", required=True, description="Account name.", width=26),
            _c("sector", Kind.TEXT, "secteur", description="Industry sector.", width=18),
            _c("country", Kind.TEXT, "pays", description="Country."),
            _c("kam", Kind.TEXT, "kam", "responsable_compte", description="Key account manager."),
            _c(
                "exec_sponsor", Kind.TEXT, "sponsor_direction", description="Our executive sponsor."
            ),
            _c(
                "status",
                Kind.LIST,
                "statut",
                list_name="status",
                description="key, candidate or other.",
            ),
            _c(
                "revenue_prev",
                Kind.NUMBER,
                "ca_precedent",
                required=True,
                description="Revenue of the previous period.",
            ),
            _c(
                "revenue_curr",
                Kind.NUMBER,
                "ca_courant",
                "chiffre_affaires",
                required=True,
                description="Revenue of the current period.",
            ),
            _c(
                "wallet",
                Kind.NUMBER,
                "portefeuille_client",
                minimum=0.0,
                internal=True,
                description="The customer's total spend in our category.",
            ),
            _c("variable_costs", Kind.NUMBER, "couts_variables", internal=True),
            _c("cost_to_serve", Kind.NUMBER, "cout_de_service", internal=True),
            _c(
                "plan_updated",
                Kind.DATE,
                "maj_plan",
                description="Date the account plan was last updated.",
            ),
            _c(
                "attractiveness",
                Kind.NUMBER,
                "attractivite",
                computed=True,
                internal=True,
                **_SCORE,
            ),
            _c("strength", Kind.NUMBER, "force", computed=True, internal=True, **_SCORE),
            _c("score", Kind.NUMBER, "score", computed=True, internal=True, **_SCORE),
            _c("completeness", Kind.FRACTION, "completude", computed=True),
            _c("quadrant", Kind.TEXT, "quadrant", computed=True, internal=True),
            _c("tier", Kind.TEXT, "niveau", computed=True, internal=True, width=8),
            _c("margin", Kind.FRACTION, "marge", computed=True, internal=True),
            _c("sow", Kind.FRACTION, "part_portefeuille", computed=True, internal=True),
            _c("health", Kind.NUMBER, "sante", computed=True, **_SCORE),
            _c("rag", Kind.TEXT, "feu", computed=True, width=8),
            _c("freshness", Kind.NUMBER, "fraicheur", computed=True, **_SCORE),
        ),
        "One row per account: who it is, who owns it, its revenue and costs; the last columns "
        "are computed (score, quadrant, tier, margin, health...).",
        "Une ligne par compte : identité, responsable, chiffre d'affaires et coûts ; les "
        "dernières colonnes sont calculées.",
        "account",
    ),
    SheetDef(
        "Revenue",
        (
            _ACCOUNT_ID,
            _c("period", Kind.PERIOD, "periode", required=True, description="YYYY-Qn or YYYY-MM."),
            _c(
                "revenue",
                Kind.NUMBER,
                "chiffre_affaires",
                "ca",
                required=True,
                description="Actual revenue; blank only for a future period (forecast only).",
            ),
            _c(
                "forecast", Kind.NUMBER, "prevision", description="Revenue forecast for the period."
            ),
            _c("product_line", Kind.TEXT, "ligne_produit", width=18),
        ),
        "Revenue per account and period, with the forecast.",
        "Chiffre d'affaires par compte et période, avec la prévision.",
        "account and period",
    ),
    SheetDef(
        "Health",
        (
            _ACCOUNT_ID,
            _c("period", Kind.PERIOD, "periode", required=True),
            _c(
                "adoption",
                Kind.NUMBER,
                "adoption",
                **_SCORE,
                description="0-100, higher is better.",
            ),
            _c(
                "engagement",
                Kind.NUMBER,
                "engagement",
                **_SCORE,
                description="0-100, higher is better.",
            ),
            _c(
                "satisfaction",
                Kind.NUMBER,
                "satisfaction",
                **_SCORE,
                description="0-100, higher is better.",
            ),
            _c("risk", Kind.NUMBER, "risque", **_SCORE, description="0-100, higher is WORSE."),
        ),
        "Health components per account and period (0-100).",
        "Composantes de santé par compte et période (0-100).",
        "account and period",
    ),
    SheetDef(
        "Surveys",
        (
            _ACCOUNT_ID,
            _c("date", Kind.DATE, "date"),
            _c("respondent", Kind.TEXT, "repondant", width=20),
            _c("nps", Kind.INTEGER, "nps", minimum=0.0, maximum=10.0, description="0-10."),
            _c("ces", Kind.NUMBER, "ces", minimum=1.0, maximum=7.0, description="1-7."),
        ),
        "Survey answers: NPS (0-10) and customer effort (1-7).",
        "Réponses aux enquêtes : NPS (0-10) et effort client (1-7).",
        "answer",
    ),
    SheetDef(
        "Stakeholders",
        (
            _ACCOUNT_ID,
            _c("name", Kind.TEXT, "nom", required=True, width=20),
            _c("title", Kind.TEXT, "fonction", width=24),
            _c("role", Kind.LIST, "role", required=True, list_name="role", width=18),
            _c(
                "attitude",
                Kind.INTEGER,
                "attitude",
                minimum=-2.0,
                maximum=2.0,
                internal=True,
                description="-2 opponent, -1 non-supporter, 0 neutral, 1 supporter, 2 mentor.",
            ),
            _c("power", Kind.INTEGER, "pouvoir", minimum=1.0, maximum=5.0, internal=True),
            _c("interest", Kind.INTEGER, "interet", minimum=1.0, maximum=5.0, internal=True),
            _c("our_contact", Kind.TEXT, "notre_contact", width=18),
            _c("last_contact", Kind.DATE, "dernier_contact"),
        ),
        "The relationship map: who matters at the client, their role, attitude and power.",
        "La cartographie des relations : rôle, attitude et pouvoir des interlocuteurs.",
        "stakeholder",
        client_excludes=(("role", ("blocker",)),),
    ),
    SheetDef(
        "Opportunities",
        (
            _ACCOUNT_ID,
            _c("opportunity", Kind.TEXT, "opportunite", required=True, width=28),
            _c("type", Kind.LIST, "type", list_name="opportunity_type"),
            _c("stage", Kind.TEXT, "etape"),
            _c("amount", Kind.NUMBER, "montant", required=True, minimum=0.0),
            _c("probability", Kind.FRACTION, "probabilite", minimum=0.0, maximum=1.0),
            _c("created", Kind.DATE, "creee_le"),
            _c("closed", Kind.DATE, "cloturee_le"),
            _c("outcome", Kind.LIST, "resultat", required=True, list_name="outcome"),
            _c(
                "product_line",
                Kind.TEXT,
                "ligne_produit",
                width=18,
                description="The product line proposed, as in Revenue (optional).",
                description_fr="La ligne de produit proposée, comme dans Revenue (facultatif).",
            ),
        ),
        "The pipeline: opportunities, their amount, stage and outcome.",
        "Le pipeline : opportunités, montant, étape et résultat.",
        "opportunity",
    ),
    SheetDef(
        "Plan",
        (
            _ACCOUNT_ID,
            _c("objective", Kind.TEXT, "objectif", required=True, width=30),
            _c("initiative", Kind.TEXT, "initiative", width=30),
            _c("owner", Kind.TEXT, "responsable"),
            _c("client_owner", Kind.TEXT, "responsable_client"),
            _c("start", Kind.DATE, "debut"),
            _c("due", Kind.DATE, "echeance"),
            _c("status", Kind.LIST, "statut", list_name="plan_status"),
            _c("value", Kind.NUMBER, "valeur"),
            _c(
                "client_visible",
                Kind.LIST,
                "visible_client",
                list_name="yes_no",
                description="yes to show the row to the client (default no).",
            ),
        ),
        "The account plan: objectives and initiatives, owners on both sides, status.",
        "Le plan de compte : objectifs et initiatives, responsables des deux côtés, statut.",
        "objective or initiative",
        client_excludes=(("client_visible", ("no", "")),),
    ),
    SheetDef(
        "Risks",
        (
            _ACCOUNT_ID,
            _c("risk", Kind.TEXT, "risque", required=True, width=30),
            _c("likelihood", Kind.INTEGER, "probabilite", minimum=1.0, maximum=5.0),
            _c("impact", Kind.INTEGER, "impact", minimum=1.0, maximum=5.0),
            _c("mitigation", Kind.TEXT, "attenuation", width=30),
            _c("owner", Kind.TEXT, "responsable"),
            _c("status", Kind.LIST, "statut", list_name="risk_status"),
        ),
        "Risks on the account and their mitigation (internal only).",
        "Risques sur le compte et leur traitement (interne).",
        "risk",
        internal=True,
    ),
    SheetDef(
        "Actions",
        (
            _ACCOUNT_ID,
            _c("action", Kind.TEXT, "action", required=True, width=30),
            _c("responsible", Kind.TEXT, "realisateur"),
            _c("accountable", Kind.TEXT, "approbateur"),
            _c("consulted", Kind.TEXT, "consulte"),
            _c("informed", Kind.TEXT, "informe"),
            _c("due", Kind.DATE, "echeance"),
            _c("status", Kind.LIST, "statut", list_name="action_status"),
        ),
        "The joint action plan with its RACI: who does, who decides, who is consulted or informed.",
        "Le plan d'actions commun et son RACI.",
        "action",
    ),
    SheetDef(
        "Meetings",
        (
            _ACCOUNT_ID,
            _c("type", Kind.LIST, "type", required=True, list_name="meeting_type"),
            _c("date", Kind.DATE, "date", required=True),
            _c("attendees", Kind.TEXT, "participants", width=30),
            _c("outcome", Kind.TEXT, "conclusion", width=30),
        ),
        "The governance calendar: QBRs, EBRs, steering committees, handshakes.",
        "Le calendrier de gouvernance : QBR, EBR, comités de pilotage, handshakes.",
        "meeting",
    ),
    SheetDef(
        "Handshake",
        (
            _ACCOUNT_ID,
            _c("client_priorities", Kind.TEXT, "priorites_client", width=30),
            _c("shared_ambition", Kind.TEXT, "ambition_commune", width=30),
            _c("our_commitments", Kind.TEXT, "nos_engagements", width=30),
            _c("client_commitments", Kind.TEXT, "engagements_client", width=30),
            _c("client_sponsor", Kind.TEXT, "sponsor_client"),
            _c("our_sponsor", Kind.TEXT, "notre_sponsor"),
            _c("agreed_by", Kind.TEXT, "valide_par", width=24),
            _c("agreed_on", Kind.DATE, "valide_le"),
            _c("next_review", Kind.DATE, "prochaine_revue"),
            _c(
                "ambition_12m",
                Kind.NUMBER,
                "ambition_12_mois",
                minimum=0.0,
                description="Yearly revenue the partners aim at in 12 months (kamxl addition).",
            ),
            _c(
                "ambition_36m",
                Kind.NUMBER,
                "ambition_36_mois",
                minimum=0.0,
                description="Yearly revenue the partners aim at in 36 months (kamxl addition).",
            ),
        ),
        "What was agreed with the client's executives; one item per line in a cell.",
        "Ce qui a été convenu avec la direction du client ; un élément par ligne.",
        "account",
    ),
)

#: Sheets without which no portfolio can be read.
REQUIRED_SHEETS: tuple[str, ...] = ("Accounts", "Criteria", "Ratings")

_SHEETS_BY_NAME = {s.name: s for s in SHEETS}


def sheet_def(name: str) -> SheetDef:
    """The definition of the sheet called ``name``."""
    return _SHEETS_BY_NAME[name]


COMPUTED_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in sheet_def("Accounts").columns if c.computed
)


_SCORE_SETTINGS = ("scale_min", "scale_max")
_HEALTH_SETTINGS = ("w_adoption", "w_engagement", "w_satisfaction", "w_risk", "period")

#: The Settings keys each computed column of Accounts is computed with, directly or through
#: the computed columns it is computed from (``quadrant`` from ``attractiveness`` and
#: ``strength``, ``tier`` from ``score``, ``rag`` from ``health``). A bad one makes the
#: column an error in every row (:mod:`kamxl.workbook.compute`), and the figures made from
#: the column name it.
COMPUTED_SETTINGS: dict[str, tuple[str, ...]] = {
    "attractiveness": _SCORE_SETTINGS,
    "strength": _SCORE_SETTINGS,
    "score": _SCORE_SETTINGS,
    "completeness": _SCORE_SETTINGS,
    "quadrant": (*_SCORE_SETTINGS, "cut_attractiveness", "cut_strength"),
    "tier": (*_SCORE_SETTINGS, "tier_thresholds", "tier_labels"),
    "margin": (),
    "sow": (),
    "health": _HEALTH_SETTINGS,
    "rag": (*_HEALTH_SETTINGS, "red_max", "amber_max"),
    "freshness": ("freshness_half_life_days", "as_of"),
}

#: The computed columns made from the Criteria sheet (its ids, axes, weights and
#: directions, directly or through the columns they are computed from): a bad Criteria
#: cell makes each of them an error in every row.
COMPUTED_FROM_CRITERIA: frozenset[str] = frozenset(
    {"attractiveness", "strength", "score", "completeness", "quadrant", "tier"}
)


@dataclass(frozen=True, slots=True)
class Setting:
    """A key of the Settings sheet."""

    key: str
    kind: Kind
    default: Any
    description: str
    description_fr: str
    list_name: str | None = None


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "company",
        Kind.TEXT,
        "",
        "Your company's name, shown on the decks.",
        "Nom de votre société.",
    ),
    Setting("currency", Kind.TEXT, "EUR", "ISO currency code.", "Code ISO de la devise."),
    Setting(
        "period",
        Kind.PERIOD,
        None,
        "Current period (YYYY-Qn or YYYY-MM); blank = the latest period with revenue.",
        "Période courante ; vide = la dernière période avec du chiffre d'affaires.",
    ),
    Setting(
        "previous_period",
        Kind.PERIOD,
        None,
        "Period compared with; blank = the one before the current period.",
        "Période de comparaison ; vide = celle qui précède la période courante.",
    ),
    Setting(
        "language",
        Kind.LIST,
        "en",
        "Deck language: en or fr.",
        "Langue des présentations.",
        "language",
    ),
    Setting("scale_min", Kind.NUMBER, 1.0, "Lowest rating.", "Note minimale."),
    Setting("scale_max", Kind.NUMBER, 5.0, "Highest rating.", "Note maximale."),
    Setting(
        "tier_thresholds",
        Kind.TEXT,
        "70,40",
        "Score thresholds of the tiers, descending, comma-separated.",
        "Seuils de score des niveaux, décroissants, séparés par des virgules.",
    ),
    Setting(
        "tier_labels",
        Kind.TEXT,
        "A,B,C",
        "Tier labels, one more than thresholds.",
        "Libellés des niveaux.",
    ),
    Setting(
        "cut_attractiveness",
        Kind.NUMBER,
        50.0,
        "Attractiveness cut of the matrix.",
        "Seuil d'attractivité.",
    ),
    Setting("cut_strength", Kind.NUMBER, 50.0, "Strength cut of the matrix.", "Seuil de force."),
    Setting(
        "red_max", Kind.NUMBER, 50.0, "Health up to this is Red.", "Santé jusqu'à ce seuil : rouge."
    ),
    Setting(
        "amber_max",
        Kind.NUMBER,
        75.0,
        "Health up to this is Amber.",
        "Santé jusqu'à ce seuil : orange.",
    ),
    Setting(
        "freshness_half_life_days",
        Kind.NUMBER,
        90.0,
        "Days after which plan freshness halves.",
        "Jours au bout desquels la fraîcheur du plan est divisée par deux.",
    ),
    Setting(
        "w_adoption", Kind.NUMBER, 0.3, "Weight of adoption in health.", "Poids de l'adoption."
    ),
    Setting(
        "w_engagement",
        Kind.NUMBER,
        0.3,
        "Weight of engagement in health.",
        "Poids de l'engagement.",
    ),
    Setting(
        "w_satisfaction",
        Kind.NUMBER,
        0.2,
        "Weight of satisfaction in health.",
        "Poids de la satisfaction.",
    ),
    Setting(
        "w_risk",
        Kind.NUMBER,
        0.2,
        "Weight of risk in health (inverted).",
        "Poids du risque (inversé).",
    ),
    Setting(
        "as_of",
        Kind.DATE,
        None,
        "Date of the figures (plan freshness); blank = today. A kamxl addition to the contract.",
        "Date des chiffres (fraîcheur du plan) ; vide = aujourd'hui.",
    ),
)


@dataclass(frozen=True, slots=True)
class Criterion:
    """A default criterion of the selection matrix (from the seeds)."""

    criterion_id: str
    label: str
    label_fr: str
    axis: str
    weight: float
    direction: str = "higher"

    def row(self, language: str = "en") -> dict[str, Any]:
        """The criterion as a record of the Criteria sheet, labelled in ``language``."""
        return {
            "criterion_id": self.criterion_id,
            "label": self.label_fr if language == "fr" else self.label,
            "axis": self.axis,
            "weight": self.weight,
            "direction": self.direction,
        }


#: The default selection matrix: the seeds' criteria.
DEFAULT_CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "rev_potential",
        "Revenue potential",
        "Potentiel de chiffre d'affaires",
        "attractiveness",
        0.30,
    ),
    Criterion("strategic_fit", "Strategic fit", "Adéquation stratégique", "attractiveness", 0.25),
    Criterion("margin_potential", "Margin", "Marge", "attractiveness", 0.20),
    Criterion(
        "complexity",
        "Deployment complexity",
        "Complexité de déploiement",
        "attractiveness",
        0.15,
        "lower",
    ),
    Criterion("serve_cost", "Cost to serve", "Coût de service", "attractiveness", 0.10, "lower"),
    Criterion("relationship", "Relationship depth", "Profondeur de la relation", "strength", 0.30),
    Criterion("wallet_share", "Share of wallet", "Part de portefeuille", "strength", 0.25),
    Criterion(
        "competitive_pos", "Competitive position", "Position concurrentielle", "strength", 0.25
    ),
    Criterion("exec_access", "Executive access", "Accès à la direction", "strength", 0.20),
)

_SEPARATORS = re.compile(r"[\s\-_.]+")


def header_key(text: object) -> str:
    """A header as compared: ``" Account ID"``, ``"account-id"`` and ``"ACCOUNT_ID"`` all read
    ``account_id``; accents are dropped (``"période"`` reads ``periode``)."""
    return _SEPARATORS.sub("_", normalise_word(str(text))).strip("_")


def header_aliases(sheet: SheetDef) -> dict[str, str]:
    """Normalised header -> canonical column name, English names and French aliases."""
    aliases: dict[str, str] = {}
    for col in sheet.columns:
        aliases[header_key(col.name)] = col.name
        for alias in col.french:
            aliases.setdefault(header_key(alias), col.name)
    return aliases
