"""Making deck files: which decks, their names, writing them, PDF copies.

The one entry point the command line, the ribbon and the batch share:
:func:`make_decks` builds the decks asked for from a read workbook and writes each one
atomically into the output folder under a name built from the account (sanitised, so that
it stays in the folder), never over an existing file unless asked, and never over one of
its inputs -- the workbook, the deck template -- even when asked.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path

from kamxl.deck.build import Deck, build_handshake, build_portfolio, build_qbr, no_review
from kamxl.deck.context import (
    Audience,
    DeckError,
    handshake_agreed,
    handshake_context,
    portfolio_context,
    qbr_context,
)
from kamxl.deck.template import DEFAULT_TEMPLATE
from kamxl.errors import OutputError
from kamxl.files import atomic_write, check_output, safe_output_path
from kamxl.workbook.model import KamWorkbook

__all__ = [
    "Built",
    "DeckKind",
    "NotBuilt",
    "PdfError",
    "deck_kinds",
    "deck_name",
    "make_decks",
    "output_paths",
    "selected_accounts",
    "to_pdf",
]


class DeckKind(StrEnum):
    QBR = "qbr"
    HANDSHAKE = "handshake"
    PORTFOLIO = "portfolio"


def deck_kinds(names: Iterable[str]) -> list[DeckKind]:
    """The deck kinds named (``all`` is every kind), each once, in the order given."""
    kinds: list[DeckKind] = []
    for name in names:
        kinds += list(DeckKind) if name == "all" else [DeckKind(name)]
    return list(dict.fromkeys(kinds))


class NotBuilt(DeckError):
    """A deck whose core is missing is not built (a QBR of an account with nothing but its
    Accounts row, a handshake with no agreement recorded): the message names what to fill
    in."""


class PdfError(DeckError):
    """A PDF copy cannot be made (LibreOffice missing or failing); the .pptx is written."""


@dataclass(frozen=True, slots=True)
class Built:
    """A deck written: what it is and where."""

    kind: DeckKind
    account_id: str | None
    path: Path
    slides: int
    pdf: Path | None = None
    #: what the deck leaves out because it rests on cells that fail the check (with
    #: keep_going): figure or section -> those cells
    left_out: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: the sections left out because they have nothing to show: (section, why)
    omitted: tuple[tuple[str, str], ...] = ()


def deck_name(kind: DeckKind, book: KamWorkbook, account_id: str | None, audience: Audience) -> str:
    """The file name (without extension) of a deck: account, kind, period, audience."""
    period = book.settings.period or "period"
    if kind is DeckKind.PORTFOLIO:
        company = book.settings.company or book.path.stem
        return f"{company} - Portfolio review {period}"
    accounts = book.accounts
    match = accounts[accounts["account_id"] == account_id]
    name = str(match.iloc[0]["name"]) if not match.empty and match.iloc[0]["name"] else ""
    label = "QBR" if kind is DeckKind.QBR else "Handshake"
    suffix = " (client)" if kind is DeckKind.QBR and audience is Audience.CLIENT else ""
    return f"{account_id} {name} - {label} {period}{suffix}".replace("  ", " ")


def selected_accounts(
    book: KamWorkbook, accounts: Sequence[str] = (), every: bool = False
) -> list[str]:
    """The accounts to build decks for: those named, all of them, or (by default) the key
    accounts (status ``key``)."""
    ids = book.accounts["account_id"].dropna().astype(str)
    if accounts:
        unknown = [a for a in accounts if a not in set(ids)]
        if unknown:
            raise DeckError(f"not in Accounts: {', '.join(unknown)}")
        return list(dict.fromkeys(accounts))  # each once: one deck, one file
    if every:
        return ids.tolist()
    return ids[book.accounts["status"] == "key"].tolist()


def make_decks(
    book: KamWorkbook,
    out_dir: Path,
    kinds: Iterable[DeckKind],
    *,
    accounts: Sequence[str] = (),
    every: bool = False,
    audience: Audience = Audience.INTERNAL,
    language: str | None = None,
    template: Path | None = None,
    overwrite: bool = False,
    pdf: bool = False,
    as_of: date | None = None,
    keep_going: bool = False,
    written: Callable[[Built], None] | None = None,
    warn: Callable[[str], None] | None = None,
) -> list[Built]:
    """Build and write the decks; returns what was written.

    A workbook that fails the check gives no deck
    (:class:`~kamxl.errors.WorkbookInvalidError` lists its problems) unless ``keep_going``:
    then each figure that depends on a bad input cell is shown as missing, with a note
    naming the cells, and every other figure is the one a clean workbook gives.

    ``written`` is called with each deck as soon as its file is written.

    The portfolio review is internal: asking for it alone with the client audience is an
    error; asked with other kinds (``--kind all``), it is skipped and ``warn`` says so.

    A deck whose core is missing (:class:`NotBuilt`) is skipped and ``warn`` is called with
    what to fill in; without ``warn`` it is an error.

    Every file (each deck, and its PDF with ``pdf``) is checked before the first deck is
    built (:func:`output_paths`): an existing file is replaced only with ``overwrite``, an
    input never.
    """
    if not keep_going:
        book.require_valid()
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise OutputError(out_dir, "is not a folder (create it first)")
    kinds = list(dict.fromkeys(kinds))
    if DeckKind.PORTFOLIO in kinds and audience is Audience.CLIENT:
        if kinds == [DeckKind.PORTFOLIO] or warn is None:
            raise DeckError("the portfolio review is internal: it has no client version")
        kinds.remove(DeckKind.PORTFOLIO)
        warn("skipped the portfolio review: it is internal, it has no client version")
    ids = selected_accounts(book, accounts, every) if set(kinds) - {DeckKind.PORTFOLIO} else []
    jobs: list[tuple[DeckKind, str | None]] = [
        (k, a) for k in kinds if k is not DeckKind.PORTFOLIO for a in ids
    ]
    if DeckKind.PORTFOLIO in kinds:
        jobs.append((DeckKind.PORTFOLIO, None))
    inputs = (book.path, Path(template) if template is not None else DEFAULT_TEMPLATE)
    paths = output_paths(book, out_dir, jobs, audience, overwrite=overwrite, pdf=pdf, inputs=inputs)
    built: list[Built] = []
    for (kind, account_id), path in zip(jobs, paths, strict=True):
        try:
            deck, left_out = _deck(book, kind, account_id, audience, language, template, as_of)
        except NotBuilt as skipped:
            if warn is None:
                raise
            warn(str(skipped))
            continue
        atomic_write(path, deck.to_bytes(), overwrite=overwrite)
        copy = to_pdf(path, overwrite=overwrite, inputs=inputs) if pdf else None
        built.append(
            Built(
                kind,
                account_id,
                path,
                len(deck.prs.slides),
                copy,
                left_out,
                tuple(deck.omitted),
            )
        )
        if written is not None:
            written(built[-1])
    return built


def output_paths(
    book: KamWorkbook,
    out_dir: Path,
    jobs: Sequence[tuple[DeckKind, str | None]],
    audience: Audience,
    *,
    overwrite: bool = False,
    pdf: bool = False,
    inputs: tuple[Path, ...] = (),
) -> list[Path]:
    """The file of each deck of ``jobs`` (kind, account) in ``out_dir``, checked before any
    deck is built: none is one of the ``inputs`` (even with ``overwrite``), none exists
    unless ``overwrite`` (nor its PDF copy, with ``pdf``), and no two decks share a file --
    two account ids that differ only by characters a file name cannot hold, or by case
    (which Windows and macOS do not tell apart), would otherwise give one file for both.
    """
    paths: list[Path] = []
    owners: dict[str, str] = {}
    for kind, account_id in jobs:
        path = safe_output_path(out_dir, deck_name(kind, book, account_id, audience), ".pptx")
        owner = f"the {kind.value} deck of {account_id}" if account_id else "the portfolio review"
        first = owners.setdefault(unicodedata.normalize("NFC", path.name).casefold(), owner)
        if first != owner:
            raise OutputError(
                path,
                f"would hold both {first} and {owner} (their names differ only by case or by "
                "characters a file name cannot hold): make the account ids more distinct",
            )
        for each in (path, path.with_suffix(".pdf")) if pdf else (path,):
            check_output(each, overwrite=overwrite, inputs=inputs)
        paths.append(path)
    return paths


def _deck(
    book: KamWorkbook,
    kind: DeckKind,
    account_id: str | None,
    audience: Audience,
    language: str | None,
    template: Path | None,
    as_of: date | None,
) -> tuple[Deck, dict[str, tuple[str, ...]]]:
    """The deck, and what it leaves out because it rests on cells failing the check.

    Raises :class:`NotBuilt` for a deck whose core is missing."""
    if kind is DeckKind.QBR:
        qbr = qbr_context(book, account_id or "", audience=audience, language=language, as_of=as_of)
        if qbr.bare:
            raise NotBuilt(
                f"no QBR for {account_id}: the account has nothing but its Accounts row; fill "
                "in its Revenue, Opportunities, Plan, Stakeholders, Actions or Meetings rows"
            )
        deck = build_qbr(qbr, template=template)
        if no_review(deck):
            raise NotBuilt(
                f"no QBR for {account_id}: its revenue is all it has to show; fill in its "
                "Health, Stakeholders, Opportunities, Plan, Actions or Meetings rows, or "
                "Revenue for more than one period"
            )
        return deck, qbr.left_out
    if kind is DeckKind.HANDSHAKE:
        handshake = handshake_context(book, account_id or "", language=language, as_of=as_of)
        if not handshake_agreed(handshake):
            raise NotBuilt(
                f"no handshake slide for {account_id}: no agreement is recorded; fill in its "
                "Handshake row (client_priorities, shared_ambition, our_commitments, "
                "client_commitments, agreed_by, agreed_on)"
            )
        return build_handshake(handshake, template=template), handshake.left_out
    portfolio = portfolio_context(book, language=language, as_of=as_of)
    return build_portfolio(portfolio, template=template), portfolio.left_out


def soffice() -> str | None:
    """The LibreOffice executable, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(
    pptx: Path,
    *,
    timeout: float = 180.0,
    overwrite: bool = False,
    inputs: tuple[Path, ...] = (),
) -> Path:
    """A PDF copy of ``pptx`` beside it, made by LibreOffice headless. An existing PDF there
    is replaced only with ``overwrite``; one of the ``inputs`` never."""
    target = check_output(pptx.with_suffix(".pdf"), overwrite=overwrite, inputs=(pptx, *inputs))
    executable = soffice()
    if executable is None:
        raise PdfError(
            "LibreOffice is not installed, so no PDF was made (the .pptx decks were written): "
            "install it (Debian/Ubuntu: apt-get install libreoffice-impress; Windows/macOS: "
            "libreoffice.org) or export the PDF from PowerPoint"
        )
    with tempfile.TemporaryDirectory(prefix="kamxl-pdf-") as work:
        profile = Path(work) / "profile"
        command = [
            executable,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            work,
            str(pptx),
        ]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise PdfError(
                f"LibreOffice took more than {timeout:.0f} s to convert {pptx.name}"
            ) from None
        produced = Path(work) / (pptx.stem + ".pdf")
        if result.returncode != 0 or not produced.exists():
            raise PdfError(
                f"LibreOffice could not convert {pptx.name}: {result.stderr.strip()[-300:]}"
            )
        atomic_write(target, produced.read_bytes(), overwrite=overwrite)
    return target
