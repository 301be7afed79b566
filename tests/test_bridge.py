"""The revenue bridge (kamxl.core.bridge) on examples whose steps are worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from kamxl.core.bridge import BRIDGE_STEPS, revenue_bridge
from kamxl.errors import InvalidInputError, NoDataError, OutOfDomainError


def test_each_account_falls_in_its_one_step() -> None:
    # lost 100, contraction 200 -> 150, expansion 300 -> 420, new 80, flat 50, nothing
    previous = np.array([100.0, 200.0, 300.0, np.nan, 50.0, 0.0])
    current = np.array([0.0, 150.0, 420.0, 80.0, 50.0, np.nan])
    bridge = revenue_bridge(previous, current)
    assert [bridge.amount(s) for s in BRIDGE_STEPS] == [650.0, 100.0, 50.0, 120.0, 80.0, 700.0]
    assert bridge.counts == (1, 1, 1, 1)
    assert bridge.count("expansion") == 1
    assert bridge.gained == 200.0 and bridge.lost_in_all == 150.0
    assert bridge.growth == pytest.approx(700 / 650 - 1)
    assert bridge.bases() == [0, 55_000, 50_000, 50_000, 62_000, 0]


def test_cents_make_the_sum_exact_where_floats_would_not() -> None:
    bridge = revenue_bridge(np.array([0.1, 0.2, 0.0]), np.array([0.0, 0.0, 0.3]))
    previous, lost, contraction, expansion, new, current = bridge.cents
    assert (previous, lost, new, current) == (30, 30, 30, 30)
    assert previous - lost - contraction + expansion + new == current


def test_what_cannot_be_bridged_is_refused() -> None:
    with pytest.raises(NoDataError):
        revenue_bridge(np.array([0.0, np.nan]), np.array([np.nan, 0.0]))
    with pytest.raises(OutOfDomainError):
        revenue_bridge(np.array([-5.0]), np.array([10.0]))
    with pytest.raises(InvalidInputError):
        revenue_bridge(np.array([1.0, 2.0]), np.array([1.0]))
    with pytest.raises(InvalidInputError):
        revenue_bridge(np.array([np.inf]), np.array([1.0]))
