"""The statistics of an experiment, from statsmodels (``pip install 'personalnote[stats]'``).

- a proportion (an arm's approval rate): the **Wilson score interval** (Wilson 1927; method 3 of
  Newcombe 1998a), ``statsmodels.stats.proportion.proportion_confint(method="wilson")``;
- the difference of two independent proportions: **Newcombe's hybrid score interval** (method 10 of
  Newcombe 1998b, built from the two Wilson intervals),
  ``confint_proportions_2indep(method="newcomb", compare="diff")``;
- how many reviews per arm tell a given difference: a two-sided **z-test on Cohen's h** (the
  arcsine-transformed difference, Cohen 1988, chapter 6) at the given power,
  ``NormalIndPower().solve_power``.

statsmodels is imported when a report is made, never at import time.

Example::

    wilson(81, 263)                       # Interval(0.2553..., 0.3662...)
    newcombe(56, 70, 48, 80)              # Interval(0.0524..., 0.3339...)
    reviews_per_arm(0.5, 0.10)            # 392: to tell 45% from 55% with 80% power
"""

from __future__ import annotations

import importlib
import math
from typing import Any, NamedTuple

from . import _constants as C
from ._errors import ConfigurationError

__all__ = ["DIFFERENCE_METHOD", "POWER_METHOD", "PROPORTION_METHOD", "Interval", "newcombe",
           "reviews_per_arm", "wilson"]

#: the methods, named as every report names them
PROPORTION_METHOD = "Wilson score interval"
DIFFERENCE_METHOD = "Newcombe hybrid score interval (method 10, 1998)"
POWER_METHOD = "two-sided z-test on Cohen's h (arcsine difference)"


class Interval(NamedTuple):
    """A confidence interval: the low and high ends."""

    low: float
    high: float

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high


def _statsmodels(module: str) -> Any:
    try:
        return importlib.import_module(f"statsmodels.{module}")
    except ImportError as exc:
        raise ConfigurationError("experiment statistics need statsmodels: pip install 'personalnote[stats]'"
                                 ) from exc


def wilson(count: int, total: int, confidence: float = C.EXPERIMENT_CONFIDENCE) -> Interval:
    """The Wilson score interval of ``count`` / ``total`` (``total`` > 0)."""
    low, high = _statsmodels("stats.proportion").proportion_confint(count, total, alpha=1 - confidence,
                                                                     method="wilson")
    return Interval(max(0.0, float(low)), min(1.0, float(high)))


def newcombe(count1: int, total1: int, count2: int, total2: int,
             confidence: float = C.EXPERIMENT_CONFIDENCE) -> Interval:
    """Newcombe's hybrid score interval of ``count1/total1 - count2/total2`` (both totals > 0)."""
    low, high = _statsmodels("stats.proportion").confint_proportions_2indep(
        count1, total1, count2, total2, method="newcomb", compare="diff", alpha=1 - confidence)
    return Interval(max(-1.0, float(low)), min(1.0, float(high)))


def reviews_per_arm(rate: float, difference: float = C.EXPERIMENT_MIN_DIFFERENCE,
                    confidence: float = C.EXPERIMENT_CONFIDENCE, power: float = C.EXPERIMENT_POWER) -> int:
    """Decided drafts per arm to tell two rates ``difference`` apart, centred on ``rate`` (the hardest
    place to tell them apart is around 50%), with ``power`` at the ``confidence`` level."""
    low = min(max(rate - difference / 2, 0.0), 1.0 - difference)
    proportion = _statsmodels("stats.proportion")
    h = abs(float(proportion.proportion_effectsize(low + difference, low)))
    size = _statsmodels("stats.power").NormalIndPower().solve_power(
        effect_size=h, alpha=1 - confidence, power=power, ratio=1.0, alternative="two-sided")
    return math.ceil(float(size))
