"""Experiments: each customer gets one prompt version (an arm), by a hash, the same on every run.

An experiment has a name and arms: prompt versions (``note@3``, ``note@4``, a shipped name for its
current version, or a ``.toml`` path) with their shares. A customer's arm depends on nothing but the
experiment's name and the customer's id:

1. ``u`` = the first 8 bytes of SHA-256(``name`` + "\\n" + ``customer_id``, UTF-8), big-endian, / 2**64,
   a number in [0, 1);
2. the arms, sorted by ``name@version``, take the interval [0, 1) in turn, each as wide as its share
   (the shares are normalised to sum to 1); the customer gets the arm whose interval holds ``u``.

So a re-run, a resume, another machine or another order of customers gives every customer the same
arm, and anyone can recompute it (in SQL or pandas) from the two strings. A new experiment name
reshuffles everyone, independently of the last experiment.

Example::

    experiment = Experiment.of("subject-lines-nov", {"note@3": 0.5, "note@4": 0.5})
    experiment.arm_for("C-1001").label       # 'note@4'
    assign_arm("subject-lines-nov", "C-1001", {"note@3": 0.5, "note@4": 0.5})   # the same
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from . import _constants as C
from ._errors import ArgumentError
from ._prompts import PromptTemplate, load_prompt

__all__ = ["Arm", "Experiment", "assign_arm", "assignment_point", "experiment_of"]


def assignment_point(experiment: str, customer_id: str) -> float:
    """The customer's point in [0, 1) for this experiment (see the module docstring)."""
    digest = hashlib.sha256(f"{experiment}\n{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class Arm:
    """One arm of an experiment: its label (``name@version``), the prompt it drafts with, its share."""

    label: str
    template: PromptTemplate
    share: float


@dataclass(frozen=True)
class Experiment:
    """A named experiment and its arms, sorted by label; ``arm_for`` assigns a customer to one.

    Example::

        Experiment.of("subject-lines-nov", {"note@3": 0.5, "note@4": 0.5}).arm_for("C-1001")
    """

    name: str
    arms: tuple[Arm, ...]

    @classmethod
    def of(cls, name: object, prompts: object, *, caller: str | None = None) -> Experiment:
        """The experiment ``name`` with the arms ``prompts`` (prompt → share), checked; an
        ``ArgumentError`` names what is wrong, a ``PromptError`` a prompt that does not exist."""
        if not isinstance(name, str) or not _good_name(name):
            raise ArgumentError("experiment", name,
                                f"a name of 1 to {C.EXPERIMENT_NAME_MAX} characters, with no control "
                                "character and no space at either end, e.g. 'subject-lines-nov' (it is "
                                "hashed with each customer id to assign the arms)", caller=caller)
        if not isinstance(prompts, Mapping) or len(prompts) < 2:
            raise ArgumentError("prompts", prompts, "at least two prompt versions and their shares, e.g. "
                                "{'note@3': 0.5, 'note@4': 0.5}", caller=caller)
        items = [(str(reference), share) for reference, share in prompts.items()]
        for reference, share in items:
            if isinstance(share, bool) or not isinstance(share, int | float) or not math.isfinite(share) \
                    or share <= 0:
                raise ArgumentError("prompts", dict(prompts),
                                    f"the share of {reference!r} is {share!r}: each share is a number "
                                    "greater than 0 (shares are normalised to sum to 1)", caller=caller)
        return _experiment(name, tuple(sorted((r, float(s)) for r, s in items)), caller)

    def arm_for(self, customer_id: str) -> Arm:
        """The customer's arm: the one whose share of [0, 1) holds the customer's point."""
        point = assignment_point(self.name, customer_id)
        edge = 0.0
        for arm in self.arms:
            edge += arm.share
            if point < edge:
                return arm
        return self.arms[-1]  # the shares' sum rounded below 1: the point belongs to the last arm

    @property
    def labels(self) -> list[str]:
        return [arm.label for arm in self.arms]


@lru_cache(maxsize=64)
def _experiment(name: str, items: tuple[tuple[str, float], ...], caller: str | None) -> Experiment:
    total = sum(share for _, share in items)
    arms: dict[str, Arm] = {}
    for reference, share in items:
        template = load_prompt(reference)
        label = f"{template.name}@{template.version}"
        if label in arms:
            raise ArgumentError("prompts", dict(items), f"two arms are the same prompt version {label!r}; "
                                "each arm is a different version", caller=caller)
        arms[label] = Arm(label, template, share / total)
    return Experiment(name, tuple(sorted(arms.values(), key=lambda arm: arm.label)))


def _good_name(name: str) -> bool:
    return (0 < len(name) <= C.EXPERIMENT_NAME_MAX and name == name.strip()
            and not any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name))


def experiment_of(prompts: Mapping[str, float] | None, name: str | None, *,
                  caller: str | None = None) -> Experiment | None:
    """The experiment the drafting options ``prompts`` and ``experiment`` describe, or None when neither
    is given; one without the other is an ``ArgumentError``."""
    if prompts is None and name is None:
        return None
    if name is None:
        raise ArgumentError("experiment", None, "name the experiment whose arms prompts= gives, e.g. "
                            "experiment='subject-lines-nov': each customer's arm is a hash of that name and "
                            "the customer id", caller=caller)
    if prompts is None:
        raise ArgumentError("prompts", None, f"experiment={name!r} needs its arms: prompt versions and their "
                            "shares, e.g. prompts={'note@3': 0.5, 'note@4': 0.5}", caller=caller)
    return Experiment.of(name, prompts, caller=caller)


def assign_arm(experiment: str, customer_id: str, prompts: Mapping[str, float]) -> str:
    """The arm (``name@version``) the customer gets in this experiment, as drafting assigns it.

    Example::

        assign_arm("subject-lines-nov", "C-1001", {"note@3": 0.5, "note@4": 0.5})   # 'note@4'
    """
    return Experiment.of(experiment, prompts, caller="assign_arm").arm_for(customer_id).label
