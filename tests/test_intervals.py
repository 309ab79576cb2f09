"""The experiment statistics against values published in the literature (not computed here).

- Newcombe RG (1998a). Two-sided confidence intervals for the single proportion: comparison of seven
  methods. Statistics in Medicine 17, 857-872. Table I, method 3 (Wilson score, no continuity
  correction), 95%.
- Newcombe RG (1998b). Interval estimation for the difference between independent proportions:
  comparison of eleven methods. Statistics in Medicine 17, 873-890. Table II, method 10 (hybrid score),
  95%.
- Cohen J (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed. Table 6.4.1: n per
  group for a two-sided test at alpha 0.05 with power 0.80, by the arcsine effect size h.
"""

from __future__ import annotations

import math
import sys

import pytest

import personalnote as pn
from personalnote._intervals import newcombe, reviews_per_arm, wilson


@pytest.mark.parametrize(("count", "total", "low", "high"), [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_matches_newcombe_1998a(count: int, total: int, low: float, high: float) -> None:
    interval = wilson(count, total)
    assert interval.low == pytest.approx(low, abs=5e-5) and interval.high == pytest.approx(high, abs=5e-5)


@pytest.mark.parametrize(("a", "m", "b", "n", "low", "high"), [
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (0, 10, 0, 10, -0.2775, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0),
    (10, 10, 0, 10, 0.6075, 1.0),
])
def test_newcombe_matches_newcombe_1998b(a: int, m: int, b: int, n: int, low: float, high: float) -> None:
    interval = newcombe(a, m, b, n)
    assert interval.low == pytest.approx(low, abs=5e-5) and interval.high == pytest.approx(high, abs=5e-5)


def test_a_99_percent_interval_is_wider() -> None:
    assert wilson(81, 263, 0.99).low < 0.2553 and wilson(81, 263, 0.99).high > 0.3662
    narrow, wide = newcombe(56, 70, 48, 80), newcombe(56, 70, 48, 80, 0.99)
    assert wide.low < narrow.low and wide.high > narrow.high


@pytest.mark.parametrize(("h", "n"), [(0.20, 392), (0.50, 63), (0.80, 25)])
def test_reviews_per_arm_match_cohen_1988(h: float, n: int) -> None:
    """Two rates whose arcsine difference is h need Cohen's n per group (his table rounds: within 1)."""
    low = 0.5 - 0.1
    high = math.sin(math.asin(math.sqrt(low)) + h / 2) ** 2  # 2 asin sqrt(high) - 2 asin sqrt(low) == h
    assert abs(reviews_per_arm((low + high) / 2, high - low) - n) <= 1


def test_reviews_per_arm_is_the_normal_approximation() -> None:
    """n = 2 ((z_0.975 + z_0.80) / h)^2, with the normal quantiles 1.959964 and 0.841621."""
    h = 2 * math.asin(math.sqrt(0.55)) - 2 * math.asin(math.sqrt(0.45))
    assert reviews_per_arm(0.5, 0.10) == math.ceil(2 * ((1.959964 + 0.841621) / h) ** 2)
    assert reviews_per_arm(0.9, 0.10) < reviews_per_arm(0.5, 0.10)  # rates near the edge are easier to tell
    assert reviews_per_arm(0.5, 0.20) < reviews_per_arm(0.5, 0.10)


def test_without_statsmodels_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "statsmodels.stats.proportion", None)  # import fails
    with pytest.raises(pn.ConfigurationError, match=r"personalnote\[stats\]"):
        wilson(1, 2)
