"""An experiment's report: per arm what reviewers did and what customers did, a verdict, a plot.

The same report reads as text (``text()``: ``personalnote stats --experiment NAME``), as JSON
(``to_json_dict()``: ``--json``) and, in a notebook, as HTML with a plot of each arm's approval rate
over time with its interval (matplotlib, ``pip install 'personalnote[notebook]'``). The report is made
by ``ReviewQueue.experiment(name)``; every rate carries its interval, and the methods are named.

Example::

    report = queue.experiment("subject-lines-nov")
    print(report.verdict)      # arm note@4 was approved unchanged more often, 62% against 41%; ...
    report.save_plot("experiment.png")
"""

from __future__ import annotations

import base64
import importlib
import io
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from ._errors import ConfigurationError
from ._intervals import DIFFERENCE_METHOD, POWER_METHOD, PROPORTION_METHOD, Interval

__all__ = ["ArmStats", "Comparison", "ExperimentReport", "Rate", "TimePoint"]


@dataclass(frozen=True)
class Rate:
    """``count`` of ``total``, with its Wilson interval (None when ``total`` is 0)."""

    count: int
    total: int
    interval: Interval | None

    @property
    def value(self) -> float | None:
        return self.count / self.total if self.total else None

    def text(self) -> str:
        """'41 of 100: 41% (32% to 51%)', or '0 of 0' before any."""
        if self.value is None or self.interval is None:
            return f"{self.count} of {self.total}"
        return (f"{self.count} of {self.total}: {self.value:.0%} ({self.interval.low:.0%} to "
                f"{self.interval.high:.0%})")

    def to_json_dict(self) -> dict[str, Any]:
        return {"count": self.count, "total": self.total, "rate": self.value,
                "interval": list(self.interval) if self.interval else None}


@dataclass(frozen=True)
class TimePoint:
    """An arm's decisions up to the end of ``day`` (UTC): approved unchanged, and approved at all."""

    day: str
    unchanged: Rate
    approved: Rate


@dataclass(frozen=True)
class ArmStats:
    """What reviewers and customers did with one arm's drafts.

    Rates are over the decided drafts (approved, exported or rejected); outcome rates over the notes
    that went out (approved or exported), each a draft with at least one outcome of that kind.
    """

    arm: str
    drafts: int
    pending: int
    approved_unchanged: int
    approved_edited: int
    rejected: int
    requested_changes: int
    mean_edit_distance: float | None
    reject_reasons: tuple[tuple[str, int], ...]
    unchanged: Rate
    approved: Rate
    went_out: int
    outcomes: dict[str, Rate]
    timeline: tuple[TimePoint, ...] = ()

    @property
    def decided(self) -> int:
        return self.approved_unchanged + self.approved_edited + self.rejected

    def to_json_dict(self) -> dict[str, Any]:
        return {"arm": self.arm, "drafts": self.drafts, "pending": self.pending, "decided": self.decided,
                "approved_unchanged": self.approved_unchanged, "approved_edited": self.approved_edited,
                "rejected": self.rejected, "requested_changes": self.requested_changes,
                "mean_edit_distance": self.mean_edit_distance, "reject_reasons": dict(self.reject_reasons),
                "approved_unchanged_rate": self.unchanged.to_json_dict(),
                "approval_rate": self.approved.to_json_dict(), "went_out": self.went_out,
                "outcomes": {kind: rate.to_json_dict() for kind, rate in self.outcomes.items()},
                "timeline": [{"day": p.day, "approved_unchanged": p.unchanged.to_json_dict(),
                              "approved": p.approved.to_json_dict()} for p in self.timeline]}


@dataclass(frozen=True)
class Comparison:
    """The arm with the higher rate of ``metric`` against the next, and the interval of the difference."""

    metric: str
    leader: str
    other: str
    leader_rate: Rate
    other_rate: Rate
    interval: Interval

    @property
    def difference(self) -> float:
        return (self.leader_rate.value or 0.0) - (self.other_rate.value or 0.0)

    @property
    def clear(self) -> bool:
        """True when the interval of the difference leaves out 0: the arms differ."""
        return self.interval.low > 0

    def points(self) -> str:
        """'8 to 34 points'."""
        return f"{_points(self.interval.low)} to {_points(self.interval.high)} points"

    def to_json_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "leader": self.leader, "other": self.other,
                "leader_rate": self.leader_rate.to_json_dict(), "other_rate": self.other_rate.to_json_dict(),
                "difference": self.difference, "interval": list(self.interval), "clear": self.clear}


def _points(value: float) -> str:
    return f"{round(value * 100):d}"


@dataclass(frozen=True)
class ExperimentReport:
    """An experiment's arms, the comparison of the two best on approvals unchanged, outcomes, the verdict.

    ``needed_per_arm`` is how many decided drafts per arm tell a ``min_difference`` apart (``None``
    once the arms differ clearly); ``methods`` names each method used.
    """

    name: str
    arms: tuple[ArmStats, ...]
    confidence: float
    min_difference: float
    comparison: Comparison | None
    needed_per_arm: int | None
    verdict: str
    outcome_comparisons: tuple[Comparison, ...] = ()
    methods: dict[str, str] = field(default_factory=lambda: {
        "proportion": PROPORTION_METHOD, "difference": DIFFERENCE_METHOD, "reviews needed": POWER_METHOD})

    @property
    def drafts(self) -> int:
        return sum(a.drafts for a in self.arms)

    def text(self) -> str:
        """The report as text, as ``personalnote stats --experiment NAME`` prints it."""
        level = f"{self.confidence:.0%}"
        decided = sum(a.decided for a in self.arms)
        lines = [f"experiment {self.name}: {self.drafts} draft(s) in {len(self.arms)} arms; {decided} "
                 "decided, "
                 f"{sum(a.pending for a in self.arms)} pending", ""]
        rows: list[tuple[str, list[str]]] = [
            ("drafts", [str(a.drafts) for a in self.arms]),
            ("pending", [str(a.pending) for a in self.arms]),
            ("approved unchanged", [a.unchanged.text() for a in self.arms]),
            ("approved (edited or not)", [a.approved.text() for a in self.arms]),
            ("approved after an edit", [str(a.approved_edited) for a in self.arms]),
            ("mean edit distance", ["-" if a.mean_edit_distance is None else f"{a.mean_edit_distance:.1f} "
                                                                             "characters"
                                    for a in self.arms]),
            ("rejected", [str(a.rejected) for a in self.arms]),
            ("requested changes", [str(a.requested_changes) for a in self.arms]),
            ("notes that went out", [str(a.went_out) for a in self.arms]),
        ]
        kinds = sorted({kind for a in self.arms for kind in a.outcomes})
        rows += [(f"outcome: {kind}", [a.outcomes[kind].text() if kind in a.outcomes else "0"
                                       for a in self.arms]) for kind in kinds]
        width = max(len(label) for label, _ in rows) + 2
        columns = [max(len(a.arm), *(len(values[i]) for _, values in rows)) + 3
                   for i, a in enumerate(self.arms)]
        lines.append(" " * width + "".join(a.arm.ljust(w) for a, w in zip(self.arms, columns, strict=True)))
        for label, values in rows:
            cells = "".join(v.ljust(w) for v, w in zip(values, columns, strict=True))
            lines.append(label.ljust(width) + cells)
        for a in self.arms:
            if a.reject_reasons:
                reasons = "; ".join(f"{reason or '(no reason)'} x{count}"
                                    for reason, count in a.reject_reasons)
                lines.append(f"top reject reasons, {a.arm}: {reasons}")
        lines += ["", f"verdict: {self.verdict}"]
        for c in self.outcome_comparisons:
            lines.append(f"outcome {_comparison_text(c, level)}")
        lines += ["", f"rates: {level} {PROPORTION_METHOD} (shown in brackets); difference: "
                      f"{DIFFERENCE_METHOD}; "
                      f"reviews needed: {POWER_METHOD}, to tell a {_points(self.min_difference)}-point "
                      "difference"]
        return "\n".join(lines)

    def to_json_dict(self) -> dict[str, Any]:
        """Everything in the report as JSON (``personalnote stats --experiment NAME --json``)."""
        return {"experiment": self.name, "confidence": self.confidence, "min_difference": self.min_difference,
                "arms": [a.to_json_dict() for a in self.arms],
                "comparison": self.comparison.to_json_dict() if self.comparison else None,
                "needed_per_arm": self.needed_per_arm, "verdict": self.verdict,
                "outcome_comparisons": [c.to_json_dict() for c in self.outcome_comparisons],
                "methods": dict(self.methods)}

    # --- the plot -------------------------------------------------------------------------------

    def figure(self) -> Any:
        """A matplotlib ``Figure``: per arm, the approval rates over time with their intervals."""
        return experiment_figure(self)

    def png(self) -> bytes:
        """The plot as PNG bytes."""
        buffer = io.BytesIO()
        self.figure().savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        return buffer.getvalue()

    def save_plot(self, path: str | Path) -> Path:
        """Write the plot to ``path`` (PNG, SVG or PDF by its suffix) and return the path."""
        target = Path(path)
        self.figure().savefig(target, dpi=110, bbox_inches="tight")
        return target

    def _repr_html_(self) -> str:
        return experiment_html(self)


def _comparison_text(c: Comparison, level: str) -> str:
    clear = "a clear difference" if c.clear else "not a clear difference yet"
    return (f"{c.metric}: arm {c.leader} {c.leader_rate.text()} against arm {c.other} {c.other_rate.text()}; "
            f"{level} interval of the difference {c.points()}: {clear}")


# --- HTML and the figure (matplotlib, imported only here) -------------------------------------------

_COLOURS = ("#175cd3", "#c4320a", "#1a7f37", "#6941c6", "#b54708")


def _pyplot_free_figure() -> Any:
    try:
        figure = importlib.import_module("matplotlib.figure")
    except ImportError as exc:
        raise ConfigurationError("the experiment plot needs matplotlib: pip install 'personalnote[notebook]'"
                                 ) from exc
    return figure.Figure(figsize=(9.5, 3.6), layout="constrained")


def experiment_figure(report: ExperimentReport) -> Any:
    """Two panels (approved unchanged; approved at all), one line per arm: the cumulative rate at the
    end of each day with decisions, its interval shaded."""
    fig = _pyplot_free_figure()
    axes = fig.subplots(1, 2, sharey=True)
    level = f"{report.confidence:.0%}"
    for ax, title, pick in ((axes[0], "approved unchanged", "unchanged"), (axes[1], "approved (edited or "
                                                                                    "not)",
                                                                             "approved")):
        for colour, arm in zip(_COLOURS * 4, report.arms, strict=False):
            points = [(p.day, getattr(p, pick)) for p in arm.timeline]
            points = [(day, rate) for day, rate in points if rate.interval is not None]
            if not points:
                continue
            days = [day[5:] for day, _ in points]  # MM-DD
            ax.plot(days, [rate.value for _, rate in points], marker="o", markersize=3, color=colour,
                    label=f"{arm.arm} (n = {points[-1][1].total})")
            ax.fill_between(days, [rate.interval.low for _, rate in points],
                            [rate.interval.high for _, rate in points], color=colour, alpha=0.15, linewidth=0)
        ax.set_title(f"{title}, with its {level} Wilson interval", fontsize=10)
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(lambda value, _position: f"{value:.0%}")
        ax.tick_params(axis="x", labelrotation=60, labelsize=7)
        ax.grid(alpha=0.3)
        ax.set_xlabel("decisions up to the end of the day (UTC)", fontsize=8)
    axes[0].legend(fontsize=8, loc="lower left")
    fig.suptitle(f"experiment {report.name}", fontsize=11)
    fig.text(0.5, -0.04, f"verdict: {report.verdict}", ha="center", va="top", fontsize=8.5, wrap=True)
    return fig


def experiment_html(report: ExperimentReport) -> str:
    """The report for a notebook: the table, the verdict, the plot inline as a PNG."""
    cell = "border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top"
    head = "".join(f'<th style="{cell}">{escape(a.arm)}</th>' for a in report.arms)
    rows = [("drafts", [str(a.drafts) for a in report.arms]),
            ("approved unchanged", [a.unchanged.text() for a in report.arms]),
            ("approved (edited or not)", [a.approved.text() for a in report.arms]),
            ("mean edit distance", ["-" if a.mean_edit_distance is None else f"{a.mean_edit_distance:.1f}"
                                    for a in report.arms]),
            ("rejected", [str(a.rejected) for a in report.arms]),
            ("requested changes", [str(a.requested_changes) for a in report.arms]),
            ("top reject reasons", ["; ".join(f"{r} ×{n}" for r, n in a.reject_reasons) or "-"
                                    for a in report.arms])]
    kinds = sorted({kind for a in report.arms for kind in a.outcomes})
    rows += [(f"outcome: {kind}", [a.outcomes[kind].text() if kind in a.outcomes else "0"
                                   for a in report.arms]) for kind in kinds]
    body = "".join(f'<tr><th style="{cell}">{escape(label)}</th>'
                   + "".join(f'<td style="{cell}">{escape(v)}</td>' for v in values) + "</tr>"
                   for label, values in rows)
    level = f"{report.confidence:.0%}"
    outcomes = "".join(f"<li>{escape(_comparison_text(c, level))}</li>" for c in report.outcome_comparisons)
    image = base64.b64encode(report.png()).decode("ascii")
    return (f'<div class="pn-experiment" style="font-family:system-ui,sans-serif;font-size:13px">'
            f"<div>Experiment <b>{escape(report.name)}</b>: {report.drafts} drafts</div>"
            f'<table style="border-collapse:collapse"><tr><th style="{cell}"></th>{head}</tr>{body}</table>'
            f'<p class="pn-verdict"><b>Verdict:</b> {escape(report.verdict)}</p>'
            + (f"<ul>{outcomes}</ul>" if outcomes else "")
            + f'<img alt="approval rate per arm over time" src="data:image/png;base64,{image}"/>'
            f'<div style="color:#666">Rates in brackets: {level} {escape(PROPORTION_METHOD)}; difference: '
            f"{escape(DIFFERENCE_METHOD)}; reviews needed: {escape(POWER_METHOD)}.</div></div>")
