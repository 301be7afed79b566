"""How list words and headers typed by people are compared."""

from __future__ import annotations

import unicodedata

__all__ = ["normalise_word"]


def normalise_word(text: str) -> str:
    """A word as compared: accents dropped, case folded, spaces trimmed and single.

    ``" Gagné "``, ``"GAGNE"`` and ``"gagné"`` all read ``"gagne"``; ``"No  decision"`` reads
    ``"no decision"``.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())
