"""An experiment's stats, read from the store: per arm, reviewers' decisions and customers' outcomes.

For each arm (the drafts recorded with the experiment's name and that arm): approved unchanged,
approved after an edit (with the mean edit distance from the model's text), rejected (the top
reasons), requested changes, pending; the rate approved unchanged and the approval rate over the
decided drafts, each with its Wilson interval; per outcome kind, the share of the notes that went
out with that outcome. The two arms with the highest rate approved unchanged are compared
(Newcombe's interval of the difference), and the verdict says in plain words what the reviews show
so far, or how many more per arm it takes to tell a ``min_difference`` (``_intervals``).

Example::

    report = experiment_report(store, "subject-lines-nov")
    report.verdict    # 'arm note@4 was approved unchanged more often, 62% against 41%; 95% interval ...'
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from . import _constants as C
from ._errors import ArgumentError
from ._experiment_report import ArmStats, Comparison, ExperimentReport, Rate, TimePoint
from ._export import edit_distance
from ._intervals import newcombe, reviews_per_arm, wilson
from ._store import Store

__all__ = ["CHANGE_REQUEST_MEANINGS", "ExperimentQueries", "experiment_names", "experiment_report"]

#: the signature meanings that ask for a change (a redraft with the reviewer's guidance); a store
#: whose signatures hold none counts 0 requested changes
CHANGE_REQUEST_MEANINGS: tuple[str, ...] = ("request_change",)
_APPROVED = ("approved", "exported")
_DECISIONS = ("approve", "override", "reject")


def experiment_names(store: Store) -> list[str]:
    """The experiments the store's drafts were made in."""
    return [row[0] for row in store.query("SELECT DISTINCT experiment FROM drafts WHERE experiment IS NOT "
                                          "NULL "
                                          "ORDER BY experiment")]


def _rate(count: int, total: int, confidence: float) -> Rate:
    return Rate(count, total, wilson(count, total, confidence) if total else None)


def _arm(arm: str, rows: Sequence[Any], signatures: dict[int, list[Any]], outcomes: dict[int, set[str]],
         kinds: Sequence[str], confidence: float) -> ArmStats:
    approved = [r for r in rows if r["state"] in _APPROVED]
    edited = [r for r in approved if r["text"] != r["model_text"]]
    rejected = [r for r in rows if r["state"] == "rejected"]
    decided = len(approved) + len(rejected)
    reasons: Counter[str] = Counter()
    for r in rejected:
        rejects = [s for s in signatures.get(r["id"], []) if s["meaning"] == "reject"]
        reasons[(rejects[-1]["reason"] or "") if rejects else ""] += 1
    requested = sum(s["meaning"] in CHANGE_REQUEST_MEANINGS
                    for r in rows for s in signatures.get(r["id"], []))
    went_out = {r["id"] for r in approved}
    distances = [edit_distance(r["model_text"], r["text"]) for r in edited]
    return ArmStats(
        arm=arm, drafts=len(rows), pending=sum(r["state"] in ("drafted", "edited") for r in rows),
        approved_unchanged=len(approved) - len(edited), approved_edited=len(edited), rejected=len(rejected),
        requested_changes=requested,
        mean_edit_distance=sum(distances) / len(distances) if distances else None,
        reject_reasons=tuple(reasons.most_common(C.EXPERIMENT_TOP_REASONS)),
        unchanged=_rate(len(approved) - len(edited), decided, confidence),
        approved=_rate(len(approved), decided, confidence), went_out=len(went_out),
        outcomes={kind: _rate(sum(kind in outcomes.get(i, set()) for i in went_out), len(went_out),
                              confidence) for kind in kinds},
        timeline=_timeline(rows, signatures, confidence))


def _timeline(rows: Sequence[Any], signatures: dict[int, list[Any]],
              confidence: float) -> tuple[TimePoint, ...]:
    """The cumulative rates at the end of each day (UTC) a draft of the arm was decided."""
    decided_on: list[tuple[str, bool, bool]] = []  # (day, approved, unchanged)
    for r in rows:
        if r["state"] not in (*_APPROVED, "rejected"):
            continue
        decisions = [s for s in signatures.get(r["id"], []) if s["meaning"] in _DECISIONS]
        if decisions:
            approved = r["state"] in _APPROVED
            unchanged = approved and r["text"] == r["model_text"]
            decided_on.append((decisions[-1]["signed_at"][:10], approved, unchanged))
    points, total, approved_count, unchanged_count = [], 0, 0, 0
    by_day: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for day, approved, unchanged in decided_on:
        by_day[day].append((approved, unchanged))
    for day in sorted(by_day):
        total += len(by_day[day])
        approved_count += sum(a for a, _ in by_day[day])
        unchanged_count += sum(u for _, u in by_day[day])
        points.append(TimePoint(day, _rate(unchanged_count, total, confidence),
                                _rate(approved_count, total, confidence)))
    return tuple(points)


def _compare(metric: str, rates: list[tuple[str, Rate]], confidence: float) -> Comparison | None:
    """The arm with the highest rate against the next (arms with no total left out)."""
    ranked = sorted(((arm, rate) for arm, rate in rates if rate.total),
                    key=lambda item: (-(item[1].value or 0.0), item[0]))
    if len(ranked) < 2:
        return None
    (leader, a), (other, b) = ranked[:2]
    return Comparison(metric, leader, other, a, b, newcombe(a.count, a.total, b.count, b.total, confidence))


def _verdict(arms: Sequence[ArmStats], comparison: Comparison | None, confidence: float,
             min_difference: float) -> tuple[str, int | None]:
    level, points = f"{confidence:.0%}", f"{round(min_difference * 100):d}-point"
    n = sum(a.decided for a in arms)
    if comparison is not None and comparison.clear:
        return (f"arm {comparison.leader} was approved unchanged more often, "
                f"{comparison.leader_rate.value:.0%} against {comparison.other_rate.value:.0%}; {level} "
                "interval "
                f"of the difference {comparison.points()}; n = {n}"), None
    pooled = sum(a.approved_unchanged for a in arms) / n if n else 0.5
    needed = reviews_per_arm(pooled, min_difference, confidence)
    fewest = min(a.decided for a in arms)
    so_far = ("" if comparison is None else
              f"; so far {comparison.leader} {comparison.leader_rate.value:.0%} and {comparison.other} "
              f"{comparison.other_rate.value:.0%} approved unchanged, {level} interval of the difference "
              f"{comparison.points()}, n = {n}")
    if fewest < needed:
        return f"not enough reviews yet: about {needed - fewest} more per arm to tell a {points} difference" \
               + so_far, needed
    assert comparison is not None, "every arm has decided drafts here"
    return (f"no clear difference: arm {comparison.leader} {comparison.leader_rate.value:.0%} against "
            f"{comparison.other} {comparison.other_rate.value:.0%} approved unchanged; {level} interval "
            "of the "
            f"difference {comparison.points()}; n = {n}, enough to tell a {points} difference"), needed


def experiment_report(store: Store, name: str, *, confidence: float = C.EXPERIMENT_CONFIDENCE,
                      min_difference: float = C.EXPERIMENT_MIN_DIFFERENCE) -> ExperimentReport:
    """The report of the experiment ``name`` (an ``ArgumentError`` lists the store's experiments
    when no draft was made in it)."""
    if not 0.5 <= confidence < 1 or not 0 < min_difference < 1:
        raise ArgumentError("confidence", (confidence, min_difference), "a confidence level in [0.5, 1) and "
                            "a difference in (0, 1), e.g. confidence=0.95, min_difference=0.10")
    rows = store.query("SELECT id, arm, state, model_text, text FROM drafts WHERE experiment = ? ORDER BY id",
                       (name,))
    if not rows:
        raise ArgumentError("experiment", name, f"no draft in {store.path} was made in it; its experiments: "
                            f"{experiment_names(store) or 'none yet'}")
    signatures: dict[int, list[Any]] = defaultdict(list)
    for s in store.query("SELECT s.draft_id, s.meaning, s.reason, s.signed_at FROM signatures s JOIN "
                         "drafts d "
                         "ON d.id = s.draft_id WHERE d.experiment = ? ORDER BY s.seq", (name,)):
        signatures[int(s["draft_id"])].append(s)
    outcomes: dict[int, set[str]] = defaultdict(set)
    for o in store.query("SELECT o.draft_id, o.outcome FROM outcomes o JOIN drafts d ON d.id = o.draft_id "
                         "WHERE d.experiment = ?", (name,)):
        outcomes[int(o["draft_id"])].add(o["outcome"])
    by_arm: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_arm[row["arm"] or "?"].append(row)
    kinds = sorted({kind for found in outcomes.values() for kind in found})
    arms = tuple(_arm(arm, by_arm[arm], signatures, outcomes, kinds, confidence) for arm in sorted(by_arm))
    comparison = _compare("approved unchanged", [(a.arm, a.unchanged) for a in arms], confidence)
    verdict, needed = _verdict(arms, comparison, confidence, min_difference)
    found = [_compare(kind, [(a.arm, a.outcomes[kind]) for a in arms], confidence) for kind in kinds]
    return ExperimentReport(name=name, arms=arms, confidence=confidence, min_difference=min_difference,
                            comparison=comparison, needed_per_arm=needed, verdict=verdict,
                            outcome_comparisons=tuple(c for c in found if c is not None))


class ExperimentQueries:
    """The ``ReviewQueue`` methods that report experiments (a mixin: the queue gives ``store``)."""

    store: Store

    def experiments(self) -> list[str]:
        """The names of the experiments this store's drafts were made in."""
        return experiment_names(self.store)

    def experiment(self, name: str, *, confidence: float = C.EXPERIMENT_CONFIDENCE,
                   min_difference: float = C.EXPERIMENT_MIN_DIFFERENCE) -> ExperimentReport:
        """The experiment's report: per arm, decisions and outcomes with intervals, and the verdict.

        Needs statsmodels (``pip install 'personalnote[stats]'``); in a notebook it shows a plot too.

        Example::

            report = queue.experiment("subject-lines-nov")
            print(report.text())
        """
        return experiment_report(self.store, name, confidence=confidence, min_difference=min_difference)
