"""The stress workbook: the standard KAM workbook filled to the limits a real portfolio reaches.

Three accounts push the decks where they break: ``STR-001`` has a 117-character name, 25
stakeholders, 30 open opportunities (and won ones, and a €710K loss five days before the
as-of date) and long handshake texts; ``STR-002`` is an ordinary account; ``STR-003`` has
almost nothing (its Accounts row and one revenue line). The French version has French
headers, list labels and texts, as a French KAM types them.

:func:`many_accounts_rows` is the other extreme: one account with 40 stakeholders in a
portfolio of 500 accounts.

Everything is deterministic (fixed seeds, fixed as-of date): the same call gives the same
workbook, so a layout failure found once is found again.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from kamxl.workbook.template import build_workbook

__all__ = [
    "AS_OF",
    "LONG_NAME",
    "PERIOD",
    "build_many_accounts_workbook",
    "build_stress_workbook",
    "many_accounts_rows",
    "stress_rows",
]

Row = dict[str, Any]

#: The date of the figures and the period the decks review.
AS_OF = date(2026, 10, 15)
PERIOD = "2026-Q3"
#: The eight quarters of revenue and health, oldest first.
PERIODS = tuple(f"{y}-Q{q}" for y, q in [(2024, 4), *[(2025, q) for q in (1, 2, 3, 4)]]) + tuple(
    f"2026-Q{q}" for q in (1, 2, 3)
)
#: A 117-character account name of real words, as French legal names run.
LONG_NAME = (
    "Compagnie Générale des Établissements Industriels et Logistiques de "
    "Montbéliard-Sochaux Franche-Comté Europe Nord SAS"
)
_LONG, _NORMAL, _BARE = "STR-001", "STR-002", "STR-003"
_SEED = 20261015

_FIRST = (
    "Anne-Sophie", "Jean-Baptiste", "Marie-Hélène", "François-Xavier", "Édouard", "Clémence",
    "Bérénice", "Maximilien", "Géraldine", "Thibault", "Ségolène", "Aurélien", "Hortense",
    "Barthélemy", "Joséphine", "Guillaume", "Véronique", "Christophe", "Mathilde", "Lucien",
)  # fmt: skip
_LAST = (
    "de La Rochefoucauld-Montmorency", "Vandenberghe", "Lefèvre-Desmoulins", "Castelnau",
    "Dubois-Villeneuve", "Oudinot", "Fauconnier", "Beauregard", "Montgolfier", "Kessler",
    "Vasseur", "Hennequin", "Chastellain", "Rochambeau", "Delacroix-Saint-Aubin",
)  # fmt: skip
_TITLES = {
    "en": (
        "Executive Vice President Global Supply Chain and Industrial Operations",
        "Chief Procurement Officer",
        "Head of Plant Maintenance, Sochaux site",
        "Director of Digital Transformation and Information Systems",
        "Chief Financial Officer",
        "Group Category Manager, Indirect Purchasing",
        "Quality and Continuous Improvement Manager",
        "Logistics Engineering Lead",
        "Chief Executive Officer",
        "Health, Safety and Environment Director",
    ),
    "fr": (
        "Directrice générale adjointe chaîne logistique mondiale et opérations industrielles",
        "Directeur des achats",
        "Responsable maintenance usine, site de Sochaux",
        "Directeur de la transformation numérique et des systèmes d'information",
        "Directrice administrative et financière",
        "Acheteur famille groupe, achats indirects",
        "Responsable qualité et amélioration continue",
        "Chef de projet ingénierie logistique",
        "Président-directeur général",
        "Directeur hygiène, sécurité et environnement",
    ),
}
_ROLES = (
    "decision maker", "economic buyer", "influencer", "champion", "blocker", "user",
    "executive sponsor",
)  # fmt: skip
_OPPORTUNITIES = {
    "en": (
        "Automated warehouse retrofit, Mulhouse distribution centre",
        "Predictive maintenance rollout across five assembly lines",
        "Spare parts framework agreement 2027-2029",
        "Energy monitoring platform for the paint shop",
        "Conveyor modernisation, phase two",
        "Operator training programme",
    ),
    "fr": (
        "Rénovation de l'entrepôt automatisé, centre de distribution de Mulhouse",
        "Déploiement de la maintenance prédictive sur cinq lignes d'assemblage",
        "Accord-cadre pièces détachées 2027-2029",
        "Plateforme de suivi énergétique de l'atelier peinture",
        "Modernisation des convoyeurs, deuxième phase",
        "Programme de formation des opérateurs",
    ),
}
_STAGES = {
    "en": ("qualification", "proposal", "negotiation"),
    "fr": ("qualification", "proposition", "négociation"),
}
_CLOSED = {"en": "closed", "fr": "clôturée"}
_TYPES = ("new", "upsell", "cross-sell", "renewal")

#: Long handshake texts: every item 60-120 characters, one item per line of the cell.
_HANDSHAKE = {
    "en": {
        "client_priorities": (
            "Standardise the conveyor and handling equipment across all eleven European plants",
            "Lower the energy cost per vehicle produced by 18 % before the end of 2027",
            "Cut unplanned downtime of the Sochaux body shop by a third within eighteen months",
            "Secure spare parts availability above 98 % for every critical production line",
            "Train two hundred operators and technicians on the new predictive maintenance tools",
            "Consolidate the supplier base for industrial automation from fourteen to four",
            "Meet the group's 2030 carbon commitments on scope 2 emissions at every site",
        ),
        "shared_ambition": (
            "Be the reference partner for uptime, energy efficiency and industrial data in "
            "Franche-Comté",
            "Grow joint revenue from 16.8 M€ to 21.4 M€ in 12 months and 34.9 M€ in 36 months",
        ),
        "our_commitments": (
            "Named escalation path up to our Chief Operating Officer, answered within four hours",
            "Dedicated resident service engineers on the Sochaux and Montbéliard sites, 24/7",
            "Quarterly energy audit of every line with a costed list of improvements",
            "Spare parts stock held on consignment next to the body shop, replenished weekly",
            "Open access to our predictive models and the data they are trained on",
            "Joint innovation budget of 450 K€ a year, decided together at the steering committee",
            "A single invoice per month for all sites, with a line-by-line breakdown per plant",
        ),
        "client_commitments": (
            "Access to plant sensor data for the predictive maintenance models, all eleven sites",
            "Decision on the multi-site framework contract by the end of the first quarter 2027",
            "Early involvement of our engineers in the 2027 and 2028 capital expenditure plans",
            "A named sponsor on the executive committee who chairs the quarterly steering",
            "Site access and safety induction for our engineers within five working days",
            "Payment of invoices within forty-five days, as agreed in the framework contract",
        ),
    },
    "fr": {
        "client_priorities": (
            "Standardiser les convoyeurs et la manutention sur les onze usines européennes",
            "Réduire de 18 % le coût énergétique par véhicule produit avant fin 2027",
            "Diviser par trois les arrêts non planifiés de l'atelier de tôlerie de Sochaux",
            "Garantir une disponibilité des pièces détachées supérieure à 98 % sur les lignes "
            "critiques",
            "Former deux cents opérateurs et techniciens aux nouveaux outils de maintenance "
            "prédictive",
            "Ramener de quatorze à quatre le nombre de fournisseurs d'automatismes industriels",
            "Tenir les engagements carbone 2030 du groupe sur les émissions de scope 2",
        ),
        "shared_ambition": (
            "Être le partenaire de référence pour la disponibilité, l'efficacité énergétique et "
            "la donnée industrielle",
            "Faire passer le chiffre d'affaires commun de 16,8 M€ à 21,4 M€ en 12 mois et "
            "34,9 M€ en 36 mois",
        ),
        "our_commitments": (
            "Une chaîne d'escalade nommée jusqu'à notre directeur des opérations, réponse en "
            "quatre heures",
            "Des ingénieurs de service résidents sur les sites de Sochaux et Montbéliard, 24 h/24",
            "Un audit énergétique trimestriel de chaque ligne avec une liste chiffrée d'actions",
            "Un stock de pièces en consignation à côté de l'atelier, réapprovisionné chaque "
            "semaine",
            "Un accès ouvert à nos modèles prédictifs et aux données qui les entraînent",
            "Un budget d'innovation commun de 450 K€ par an, décidé ensemble en comité de pilotage",
            "Une facture unique par mois pour tous les sites, détaillée ligne par ligne",
        ),
        "client_commitments": (
            "L'accès aux données des capteurs des onze usines pour les modèles de maintenance",
            "Une décision sur le contrat-cadre multisite avant la fin du premier trimestre 2027",
            "L'association de nos ingénieurs aux plans d'investissement 2027 et 2028 dès le début",
            "Un sponsor nommé au comité exécutif, qui préside le comité de pilotage trimestriel",
            "L'accès aux sites et l'accueil sécurité de nos ingénieurs sous cinq jours ouvrés",
            "Le paiement des factures à quarante-cinq jours, comme prévu au contrat-cadre",
        ),
    },
}
_TEXTS = {
    "en": {
        "sector": "Automotive and industrial logistics",
        "country": "France",
        "objectives": (
            (
                "Cut the energy cost per vehicle by 18 %",
                "Energy audit and retrofit of the paint shop",
            ),
            ("Halve unplanned downtime in the body shop", "Predictive maintenance on 5 lines"),
            ("Win the multi-site framework contract", "Joint business case with procurement"),
            ("Raise spare parts availability to 98 %", "Consignment stock next to the body shop"),
            ("Train 200 operators and technicians", "Blended training programme with the HR team"),
            ("Open the Mulhouse warehouse retrofit", "Feasibility study and site survey"),
            ("Renew the service contract for three years", "Renewal proposal and price review"),
            ("Reach the executive committee", "Quarterly executive business review"),
        ),
        "risks": (
            (
                "A competitor undercuts spare parts prices by 15 % in the tender",
                "Price lock tied to volume",
            ),
            (
                "The new CFO freezes all capital expenditure above 500 K€",
                "Business case with a 14-month payback",
            ),
            (
                "Key champion leaves the company after the reorganisation",
                "Build a second champion in operations",
            ),
            (
                "Delivery delays on conveyor modules from our supplier",
                "Dual sourcing of the modules",
            ),
            (
                "Site safety incident stops our engineers' access",
                "Refresher safety training for all engineers",
            ),
            (
                "Data access to plant sensors is refused by IT security",
                "Joint security review with the CISO",
            ),
        ),
        "actions": (
            "Validate the energy audit scope with the site managers of Sochaux and Montbéliard",
            "Send the framework contract draft to procurement and legal",
            "Organise the executive business review with the CEO and CFO",
            "Agree the list of critical spare parts with the maintenance team",
            "Present the predictive maintenance pilot results to the plant directors",
            "Plan the operator training sessions for the first quarter",
            "Review the consignment stock levels and replenishment rules",
            "Prepare the joint innovation roadmap for the steering committee",
            "Collect the sensor data samples from the body shop",
            "Confirm the renewal price with our finance team",
        ),
        "meetings": (
            ("QBR", "Pipeline reviewed, energy audit scope agreed"),
            ("steering", "Innovation budget split between the three plants"),
            ("EBR", "CEO asked for a costed carbon plan by year end"),
            ("handshake", "Shared ambition and commitments signed off by both sponsors"),
            ("QBR", "Downtime figures challenged by the plant director"),
            ("steering", "Framework contract timeline confirmed"),
        ),
        "normal": "Halvorsen Maritime Systems",
        "bare": "Petit Atelier Vauclair",
        "normal_handshake": {
            "client_priorities": "Cut fuel use of the fleet\nDigitise vessel maintenance logs",
            "shared_ambition": "Grow joint revenue to 4.2 M€ in 12 months",
            "our_commitments": "Quarterly fuel report\nOne contact for all vessels",
            "client_commitments": "Access to vessel data\nDecision on the retrofit by Q2 2027",
        },
    },
    "fr": {
        "sector": "Automobile et logistique industrielle",
        "country": "France",
        "objectives": (
            (
                "Réduire de 18 % le coût énergétique par véhicule",
                "Audit énergétique et rénovation de l'atelier peinture",
            ),
            (
                "Diviser par deux les arrêts non planifiés en tôlerie",
                "Maintenance prédictive sur 5 lignes",
            ),
            ("Remporter le contrat-cadre multisite", "Dossier commun avec les achats"),
            (
                "Porter la disponibilité des pièces à 98 %",
                "Stock en consignation à côté de l'atelier",
            ),
            ("Former 200 opérateurs et techniciens", "Programme de formation mixte avec les RH"),
            (
                "Lancer la rénovation de l'entrepôt de Mulhouse",
                "Étude de faisabilité et visite du site",
            ),
            (
                "Renouveler le contrat de service pour trois ans",
                "Proposition de renouvellement et revue des prix",
            ),
            ("Accéder au comité exécutif", "Revue d'affaires trimestrielle avec la direction"),
        ),
        "risks": (
            (
                "Un concurrent casse les prix des pièces détachées de 15 % dans l'appel d'offres",
                "Prix garanti contre engagement de volume",
            ),
            (
                "Le nouveau DAF gèle tout investissement au-delà de 500 K€",
                "Dossier avec un retour sur 14 mois",
            ),
            (
                "Notre champion quitte l'entreprise après la réorganisation",
                "Trouver un second champion aux opérations",
            ),
            (
                "Retards de livraison des modules de convoyeurs de notre fournisseur",
                "Double source pour les modules",
            ),
            (
                "Un incident de sécurité bloque l'accès de nos ingénieurs au site",
                "Formation sécurité de rappel pour tous",
            ),
            (
                "La sécurité informatique refuse l'accès aux données des capteurs",
                "Revue de sécurité commune avec le RSSI",
            ),
        ),
        "actions": (
            "Valider le périmètre de l'audit énergétique avec les directeurs de Sochaux et "
            "Montbéliard",
            "Envoyer le projet de contrat-cadre aux achats et au service juridique",
            "Organiser la revue d'affaires avec le PDG et la DAF",
            "Arrêter la liste des pièces critiques avec l'équipe maintenance",
            "Présenter les résultats du pilote de maintenance prédictive aux directeurs d'usine",
            "Planifier les sessions de formation des opérateurs du premier trimestre",
            "Revoir les niveaux du stock en consignation et les règles de réapprovisionnement",
            "Préparer la feuille de route d'innovation pour le comité de pilotage",
            "Recueillir les échantillons de données des capteurs de la tôlerie",
            "Confirmer le prix de renouvellement avec notre direction financière",
        ),
        "meetings": (
            ("QBR", "Pipeline revu, périmètre de l'audit énergétique validé"),
            ("steering", "Budget d'innovation réparti entre les trois usines"),
            ("EBR", "Le PDG demande un plan carbone chiffré avant la fin de l'année"),
            ("handshake", "Ambition commune et engagements signés par les deux sponsors"),
            ("QBR", "Chiffres d'arrêts contestés par le directeur d'usine"),
            ("steering", "Calendrier du contrat-cadre confirmé"),
        ),
        "normal": "Halvorsen Systèmes Maritimes",
        "bare": "Petit Atelier Vauclair",
        "normal_handshake": {
            "client_priorities": "Réduire la consommation de la flotte\nNumériser les carnets "
            "d'entretien",
            "shared_ambition": "Porter le chiffre d'affaires commun à 4,2 M€ en 12 mois",
            "our_commitments": "Rapport carburant trimestriel\nUn seul contact pour tous les "
            "navires",
            "client_commitments": "Accès aux données des navires\nDécision sur la rénovation "
            "au T2 2027",
        },
    },
}
_PLAN_STATUS = (
    "done",
    "on track",
    "at risk",
    "late",
    "on track",
    "not started",
    "on track",
    "at risk",
)


def _person(rng: random.Random, used: set[str]) -> str:
    """A new full name, never one already used in the workbook."""
    while True:
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        if name not in used:
            used.add(name)
            return name


def _settings(language: str, company: str = "Norvalis Industrial Systems") -> list[Row]:
    return [
        {"key": "company", "value": company},
        {"key": "currency", "value": "EUR"},
        {"key": "period", "value": PERIOD},
        {"key": "previous_period", "value": "2026-Q2"},
        {"key": "language", "value": language},
        {"key": "as_of", "value": AS_OF},
    ]


def _quarter(revenue: list[Row], account: str, period: str) -> float:
    """The revenue of ``account`` in ``period`` (Accounts must agree with Revenue)."""
    return next(
        r["revenue"] for r in revenue if (r["account_id"], r["period"]) == (account, period)
    )


def _accounts(text: dict[str, Any], revenue: list[Row]) -> list[Row]:
    """The three accounts; amounts are of one quarter, as revenue_curr (wallet, costs)."""

    def both(account: str) -> Row:
        return {
            "revenue_prev": _quarter(revenue, account, "2026-Q2"),
            "revenue_curr": _quarter(revenue, account, PERIOD),
        }

    common = {"sector": text["sector"], "country": text["country"], "status": "key"}
    return [
        {
            "account_id": _LONG,
            "name": LONG_NAME,
            **common,
            "kam": "Claire Dumont-Vasseur",
            "exec_sponsor": "Henrik Lund",
            **both(_LONG),
            "wallet": 9_600_000,
            "variable_costs": 2_650_000,
            "cost_to_serve": 340_000,
            "plan_updated": date(2026, 9, 28),
        },
        {
            "account_id": _NORMAL,
            "name": text["normal"],
            "sector": "Maritime",
            "country": "Norway",
            "kam": "Ola Nordmann",
            "exec_sponsor": "Henrik Lund",
            "status": "key",
            **both(_NORMAL),
            "wallet": 2_300_000,
            "variable_costs": 520_000,
            "cost_to_serve": 60_000,
            "plan_updated": date(2026, 7, 2),
        },
        # Almost nothing: the required columns of its row, and one revenue line.
        {
            "account_id": _BARE,
            "name": text["bare"],
            "status": "key",
            "revenue_prev": 0,
            "revenue_curr": 185_000,
        },
    ]


def _ratings() -> list[Row]:
    criteria = (
        "rev_potential", "strategic_fit", "margin_potential", "complexity", "serve_cost",
        "relationship", "wallet_share", "competitive_pos", "exec_access",
    )  # fmt: skip
    return [
        {"account_id": _LONG, **dict(zip(criteria, (5, 5, 3, 5, 4, 4, 2, 3, 4), strict=True))},
        {"account_id": _NORMAL, **dict(zip(criteria, (3, 4, 4, 2, 2, 3, 3, 4, 2), strict=True))},
    ]


_PRODUCT_LINES = {
    "en": ("Equipment", "Services", "Spare parts"),
    "fr": ("Équipements", "Services", "Pièces détachées"),
}


#: The product lines the stress pipeline proposes: the lines of Revenue and more, some long,
#: more than the whitespace grid has columns for.
_OPPORTUNITY_LINES = {
    "en": (
        "Equipment",
        "Services",
        "Spare parts",
        "Remote monitoring and predictive maintenance",
        "Operator training",
        "Energy audits",
        "Software",
        "Financing and leasing",
        "Installation",
        "Consulting",
    ),
    "fr": (
        "Équipements",
        "Services",
        "Pièces détachées",
        "Télésurveillance et maintenance prédictive",
        "Formation des opérateurs",
        "Audits énergétiques",
        "Logiciels",
        "Financement et location",
        "Installation",
        "Conseil",
    ),
}


def _revenue(rng: random.Random, language: str) -> list[Row]:
    rows = []
    for account, base in ((_LONG, 3_950_000), (_NORMAL, 820_000)):
        for i, period in enumerate(PERIODS):
            level = base * (1 + 0.012 * i) * rng.uniform(0.94, 1.06)
            rows.append(
                {
                    "account_id": account,
                    "period": period,
                    "revenue": round(level, -3),
                    "forecast": round(level * rng.uniform(0.92, 1.08), -3),
                    "product_line": rng.choice(_PRODUCT_LINES[language]),
                }
            )
    rows.append({"account_id": _BARE, "period": PERIOD, "revenue": 185_000})
    return rows


def _health(rng: random.Random) -> list[Row]:
    rows = []
    for account, level in ((_LONG, 58), (_NORMAL, 77)):
        for i, period in enumerate(PERIODS):
            drift = -i if account == _LONG else i // 2
            rows.append(
                {
                    "account_id": account,
                    "period": period,
                    "adoption": min(100, level + drift + rng.randint(-4, 4)),
                    "engagement": min(100, level + drift + rng.randint(-6, 6)),
                    "satisfaction": min(100, level + drift + rng.randint(-5, 5)),
                    "risk": max(0, 100 - level - drift + rng.randint(-5, 5)),
                }
            )
    return rows


def _stakeholders(
    rng: random.Random, language: str, account: str, count: int, used: set[str]
) -> list[Row]:
    titles = _TITLES[language]
    rows = []
    for i in range(count):
        rows.append(
            {
                "account_id": account,
                "name": _person(rng, used),
                "title": titles[i % len(titles)],
                "role": _ROLES[i % len(_ROLES)],
                "attitude": rng.randint(-2, 2),
                "power": rng.randint(1, 5),
                "interest": rng.randint(1, 5),
                "our_contact": "Claire Dumont-Vasseur",
                "last_contact": AS_OF - timedelta(days=rng.randint(3, 200)),
            }
        )
    return rows


def _opportunities(rng: random.Random, language: str) -> list[Row]:
    names, stages = _OPPORTUNITIES[language], _STAGES[language]
    lines = _OPPORTUNITY_LINES[language]
    rows: list[Row] = []
    for i in range(30):
        rows.append(
            {
                "account_id": _LONG,
                "opportunity": f"{names[i % len(names)]} ({i // len(names) + 1})",
                "type": _TYPES[i % len(_TYPES)],
                "stage": stages[i % len(stages)],
                "amount": rng.randrange(40_000, 1_900_000, 5_000),
                "probability": rng.choice((0.1, 0.25, 0.4, 0.6, 0.8)),
                "created": AS_OF - timedelta(days=rng.randint(20, 400)),
                "outcome": "open",
                "product_line": lines[(3 + i) % len(lines)],
            }
        )
    for i in range(5):
        closed = AS_OF - timedelta(days=rng.randint(30, 330))
        rows.append(
            {
                "account_id": _LONG,
                "opportunity": f"{names[(i + 2) % len(names)]} ({'won' if language == 'en' else 'gagnée'} {i + 1})",  # noqa: E501
                "type": _TYPES[i % len(_TYPES)],
                "stage": _CLOSED[language],
                "amount": rng.randrange(100_000, 1_200_000, 5_000),
                "created": closed - timedelta(days=120),
                "closed": closed,
                "outcome": "won",
            }
        )
    rows.append(
        {
            "account_id": _LONG,
            "opportunity": names[2],
            "type": "renewal",
            "stage": _CLOSED[language],
            "amount": 710_000,
            "created": date(2026, 6, 1),
            "closed": AS_OF - timedelta(days=5),
            "outcome": "lost",
        }
    )
    for i, (amount, outcome) in enumerate(((380_000, "open"), (240_000, "won"), (95_000, "open"))):
        rows.append(
            {
                "account_id": _NORMAL,
                "opportunity": names[(i + 3) % len(names)],
                "type": _TYPES[i],
                "stage": stages[i] if outcome == "open" else _CLOSED[language],
                "amount": amount,
                "probability": 0.5 if outcome == "open" else None,
                "created": date(2026, 3, 1),
                "closed": date(2026, 8, 20) if outcome == "won" else None,
                "outcome": outcome,
                "product_line": lines[i],
            }
        )
    return rows


def _plan(text: dict[str, Any], owners: list[str]) -> list[Row]:
    rows = []
    for i, (objective, initiative) in enumerate(text["objectives"]):
        for account in (_LONG, _NORMAL) if i < 3 else (_LONG,):
            rows.append(
                {
                    "account_id": account,
                    "objective": objective,
                    "initiative": initiative,
                    "owner": "Claire Dumont-Vasseur" if account == _LONG else "Ola Nordmann",
                    "client_owner": owners[i % len(owners)],
                    "start": date(2026, 1, 15) + timedelta(days=20 * i),
                    "due": date(2026, 6, 30) + timedelta(days=45 * i),
                    "status": _PLAN_STATUS[i],
                    "value": 250_000 * (i + 1),
                    "client_visible": "yes" if i % 3 else "no",
                }
            )
    return rows


def _risks(text: dict[str, Any]) -> list[Row]:
    rows = []
    for i, (risk, mitigation) in enumerate(text["risks"]):
        rows.append(
            {
                "account_id": _LONG if i < 5 else _NORMAL,
                "risk": risk,
                "likelihood": 1 + (i * 2) % 5,
                "impact": 5 - i % 4,
                "mitigation": mitigation,
                "owner": "Claire Dumont-Vasseur",
                "status": "open" if i != 3 else "closed",
            }
        )
    return rows


def _actions(text: dict[str, Any], people: list[str]) -> list[Row]:
    rows = []
    for i, action in enumerate(text["actions"]):
        # Four overdue: due before the as-of date and still open.
        due = AS_OF + timedelta(days=(-40 + 9 * i) if i < 4 else 12 * i)
        rows.append(
            {
                "account_id": _LONG if i < 8 else _NORMAL,
                "action": action,
                "responsible": "Claire Dumont-Vasseur",
                "accountable": people[i % len(people)],
                "consulted": people[(i + 3) % len(people)],
                "informed": "Henrik Lund",
                "due": due,
                "status": "done" if i in (5, 9) else "open",
            }
        )
    return rows


def _meetings(text: dict[str, Any], people: list[str]) -> list[Row]:
    rows = []
    for i, (kind, outcome) in enumerate(text["meetings"]):
        rows.append(
            {
                "account_id": _LONG if i % 3 else _NORMAL,
                "type": kind,
                "date": AS_OF - timedelta(days=25 + 40 * i),
                "attendees": ", ".join([*people[i : i + 3], "Claire Dumont-Vasseur"]),
                "outcome": outcome,
            }
        )
    return rows


def _surveys(people: list[str], rng: random.Random) -> list[Row]:
    return [
        {
            "account_id": _LONG,
            "date": AS_OF - timedelta(days=30 * i + 10),
            "respondent": person,
            "nps": rng.randint(3, 10),
            "ces": rng.randint(2, 7),
        }
        for i, person in enumerate(people[:6])
    ]


def _handshake(language: str, text: dict[str, Any], sponsors: list[str]) -> list[Row]:
    long_texts = {key: "\n".join(items) for key, items in _HANDSHAKE[language].items()}
    return [
        {
            "account_id": _LONG,
            **long_texts,
            "client_sponsor": f"{sponsors[0]}, {_TITLES[language][8]}",
            "our_sponsor": "Henrik Lund, CEO",
            "agreed_by": f"{sponsors[0]}, {_TITLES[language][8]}",
            "agreed_on": date(2026, 3, 12),
            "next_review": date(2027, 3, 12),
            "ambition_12m": 21_400_000,
            "ambition_36m": 34_900_000,
        },
        {
            "account_id": _NORMAL,
            **text["normal_handshake"],
            "client_sponsor": sponsors[1],
            "our_sponsor": "Henrik Lund, CEO",
            "agreed_by": sponsors[1],
            "agreed_on": date(2026, 5, 4),
            "next_review": date(2027, 5, 4),
            "ambition_12m": 4_200_000,
        },
    ]


def stress_rows(language: str = "en") -> dict[str, list[Row]]:
    """The records of the stress workbook in ``language`` (``en`` or ``fr``), sheet name ->
    records keyed by canonical column names (list values as English codes; the template
    builder writes the French labels and headers)."""
    if language not in _TEXTS:
        raise ValueError(f"language must be en or fr, not {language!r}")
    rng = random.Random(_SEED)
    text = _TEXTS[language]
    used: set[str] = set()
    long_people = _stakeholders(rng, language, _LONG, 25, used)
    normal_people = _stakeholders(rng, language, _NORMAL, 6, used)
    names = [p["name"] for p in long_people]
    revenue = _revenue(rng, language)
    return {
        "Settings": _settings(language),
        "Accounts": _accounts(text, revenue),
        "Ratings": _ratings(),
        "Revenue": revenue,
        "Health": _health(rng),
        "Surveys": _surveys(names, rng),
        "Stakeholders": long_people + normal_people,
        "Opportunities": _opportunities(rng, language),
        "Plan": _plan(text, names),
        "Risks": _risks(text),
        "Actions": _actions(text, names),
        "Meetings": _meetings(text, names),
        "Handshake": _handshake(language, text, [names[8], normal_people[0]["name"]]),
    }


def build_stress_workbook(path: Path | str, language: str = "en") -> Path:
    """Write the stress workbook in ``language`` to ``path`` with kamxl's template builder."""
    return build_workbook(Path(path), language=language, rows=stress_rows(language))


#: The product lines of the many-accounts portfolio: one per account, in turn.
_MANY_LINES = ("Equipment", "Services", "Spare parts", "Software", "Energy audits")


def many_accounts_rows(accounts: int = 500, stakeholders: int = 40) -> dict[str, list[Row]]:
    """A portfolio of ``accounts`` accounts (rated, two quarters of revenue each) whose first
    account has ``stakeholders`` stakeholders: the matrix and the relationship map crowded."""
    rng = random.Random(_SEED + 1)
    used: set[str] = set()
    rows: dict[str, list[Row]] = {
        "Settings": _settings("en"),
        "Accounts": [],
        "Ratings": [],
        "Revenue": [],
    }
    criteria = ("rev_potential", "strategic_fit", "margin_potential", "complexity", "serve_cost")
    strength = ("relationship", "wallet_share", "competitive_pos", "exec_access")
    for i in range(1, accounts + 1):
        account = f"M{i:04d}"
        prev = rng.randrange(50_000, 9_000_000, 1_000)
        curr = round(prev * rng.uniform(0.8, 1.25), -3)
        rows["Accounts"].append(
            {
                "account_id": account,
                "name": f"{rng.choice(_LAST)} {rng.choice(('Industrie', 'Logistique', 'Services', 'Énergie'))} {i}",  # noqa: E501
                "status": "key" if i <= 25 else rng.choice(("candidate", "other")),
                "kam": rng.choice(("Claire Dumont", "Ola Nordmann", "Ana Lima")),
                "revenue_prev": prev,
                "revenue_curr": curr,
                "wallet": curr * rng.uniform(1.2, 4),
                "variable_costs": curr * rng.uniform(0.4, 0.7),
            }
        )
        rows["Ratings"].append(
            {"account_id": account, **{c: rng.randint(1, 5) for c in criteria + strength}}
        )
        line = _MANY_LINES[i % len(_MANY_LINES)]
        rows["Revenue"] += [
            {"account_id": account, "period": "2026-Q2", "revenue": prev, "product_line": line},
            {"account_id": account, "period": PERIOD, "revenue": curr, "product_line": line},
        ]
    rows["Stakeholders"] = _stakeholders(rng, "en", "M0001", stakeholders, used)
    return rows


def build_many_accounts_workbook(
    path: Path | str, accounts: int = 500, stakeholders: int = 40
) -> Path:
    """Write :func:`many_accounts_rows` to ``path`` (English)."""
    return build_workbook(Path(path), rows=many_accounts_rows(accounts, stakeholders))
