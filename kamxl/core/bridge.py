"""The revenue bridge: how a set of entities went from previous to current revenue.

The entities are accounts (the portfolio's bridge) or the product lines of one account. Each
entity falls in one step, by its previous revenue ``p`` and its current revenue ``c`` (a
blank, NaN or 0 is no revenue):

* lost: ``p > 0`` and no current revenue; the step is ``p``;
* contraction: both ``> 0`` and ``c < p``; the step is ``p − c``;
* expansion: both ``> 0`` and ``c > p``; the step is ``c − p``;
* new: no previous revenue and ``c > 0``; the step is ``c``;
* an entity with ``c == p`` (or no revenue in either period) moves nothing.

Exactness: every amount is taken in whole cents (rounded half to even, numpy's ``rint``) and
the steps are sums of 64-bit integers, so previous − lost − contraction + expansion + new is
the current revenue to the cent, always (:attr:`Bridge.cents`); the euro amounts are those
cents ÷ 100. A negative revenue (a credit note) has no place in a bridge and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kamxl.errors import InvalidInputError, NoDataError, OutOfDomainError

__all__ = ["BRIDGE_STEPS", "Bridge", "revenue_bridge"]

#: The bars of the bridge, in order: two totals around four steps.
BRIDGE_STEPS: tuple[str, ...] = ("previous", "lost", "contraction", "expansion", "new", "current")

#: The largest amount taken (10^12 in the currency): its cents and their sums stay exact in
#: 64-bit integers for up to 90,000 entities.
MAX_AMOUNT = 1e12
MAX_ENTITIES = 90_000


@dataclass(frozen=True, slots=True)
class Bridge:
    """A revenue bridge in whole cents, and how many entities make each step.

    ``cents`` holds one integer per :data:`BRIDGE_STEPS` step (every one ≥ 0); ``counts``
    the entities behind lost, contraction, expansion and new."""

    cents: tuple[int, int, int, int, int, int]
    counts: tuple[int, int, int, int]

    def amount(self, step: str) -> float:
        """The amount of ``step`` (one of :data:`BRIDGE_STEPS`) in the currency."""
        return self.cents[BRIDGE_STEPS.index(step)] / 100

    def count(self, step: str) -> int:
        """How many entities make ``step`` (lost, contraction, expansion or new)."""
        return self.counts[BRIDGE_STEPS.index(step) - 1]

    @property
    def previous(self) -> float:
        return self.amount("previous")

    @property
    def current(self) -> float:
        return self.amount("current")

    @property
    def gained(self) -> float:
        """Expansion plus new: what grew."""
        return (self.cents[3] + self.cents[4]) / 100

    @property
    def lost_in_all(self) -> float:
        """Lost plus contraction: what shrank."""
        return (self.cents[1] + self.cents[2]) / 100

    @property
    def growth(self) -> float | None:
        """Current ÷ previous − 1; None without previous revenue."""
        return self.cents[5] / self.cents[0] - 1 if self.cents[0] else None

    def bases(self) -> list[int]:
        """The invisible base of each bar, in cents: where a floating step starts (0 for the
        two totals). A down step hangs from the running total, an up step stands on it."""
        previous, lost, contraction, expansion, _new, _current = self.cents
        after_lost = previous - lost
        after_contraction = after_lost - contraction
        return [
            0,
            after_lost,
            after_contraction,
            after_contraction,
            after_contraction + expansion,
            0,
        ]


def _cents(values: np.ndarray, what: str) -> np.ndarray:
    """``values`` as whole cents (int64), a blank or NaN as 0; refuses what cannot be a
    revenue (negative, infinite, above :data:`MAX_AMOUNT`)."""
    try:
        amounts = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError) as error:
        raise InvalidInputError(f"{what} revenue must be numbers") from error
    amounts = np.where(np.isnan(amounts), 0.0, amounts)
    if np.isinf(amounts).any():
        raise InvalidInputError(f"{what} revenue must be finite")
    if (amounts < 0).any():
        raise OutOfDomainError(f"{what} revenue cannot be negative in a revenue bridge")
    if (amounts > MAX_AMOUNT).any():
        raise OutOfDomainError(f"{what} revenue above {MAX_AMOUNT:g} cannot be bridged exactly")
    return np.rint(amounts * 100).astype(np.int64)


def revenue_bridge(previous: np.ndarray, current: np.ndarray) -> Bridge:
    """The bridge from ``previous`` to ``current`` revenue, one value of each per entity.

    Raises :class:`~kamxl.errors.InvalidInputError` when the two do not have one value per
    entity, :class:`~kamxl.errors.OutOfDomainError` on a negative revenue, and
    :class:`~kamxl.errors.NoDataError` when no entity has revenue in either period (nothing
    to bridge)."""
    before, now = _cents(previous, "previous"), _cents(current, "current")
    if before.shape != now.shape:
        raise InvalidInputError("previous and current must have one value per entity each")
    if len(before) > MAX_ENTITIES:
        raise InvalidInputError(f"a revenue bridge takes at most {MAX_ENTITIES:,} entities")
    had, has = before > 0, now > 0
    if not (had | has).any():
        raise NoDataError("no revenue in either period: nothing to bridge")
    lost = had & ~has
    contraction = had & has & (now < before)
    expansion = had & has & (now > before)
    new = ~had & has
    cents = (
        int(before.sum()),
        int(before[lost].sum()),
        int((before - now)[contraction].sum()),
        int((now - before)[expansion].sum()),
        int(now[new].sum()),
        int(now.sum()),
    )
    counts = tuple(int(np.count_nonzero(m)) for m in (lost, contraction, expansion, new))
    return Bridge(cents, counts)  # type: ignore[arg-type]
