"""What a batch did: one outcome per customer, and the summary of them all.

``draft_many`` (live), ``write_batch_requests`` and ``read_batch_results`` (the OpenAI Batch
API) all return a ``BatchResult``: outcomes in input order, counts per status and reason,
tokens and cost, as text (``summary()``), JSON (``to_json_dict()``) and HTML in a notebook.

Example::

    result = draft_many(data.customers, as_of=as_of, queue=queue)
    print(result.summary())
    result.no_note_counts          # {'no_moment': 12, 'stale': 3}
    result.failures                # {'ModelAPIError': ['C-17', 'C-40']}
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Literal

from . import _constants as C
from ._draft_types import Draft
from ._errors import ModelAPIError, PersonalNoteError
from ._moment_types import NoNoteReason

__all__ = ["BatchResult", "CustomerOutcome", "OutcomeStatus"]

#: drafted: a draft (queued when a queue was given); requested: in a Batch API request file;
#: no_note: no moment worth a note; failed: an error for this customer; skipped: already queued;
#: not_started: the batch stopped first (cost cap, or after an unexpected error)
OutcomeStatus = Literal["drafted", "requested", "no_note", "failed", "skipped", "not_started"]
_ORDER: tuple[OutcomeStatus, ...] = ("drafted", "requested", "no_note", "failed", "skipped", "not_started")
NOT_STARTED_COST_CAP = "cost cap"
NOT_STARTED_AFTER_BUG = "stopped after an unexpected error"


@dataclass(frozen=True)
class CustomerOutcome:
    """What happened to one customer: the status, why, the draft or error, tokens and cost.

    ``reason`` is the no-note reason codes, the error's class, ``already queued``, or why the
    customer was not started. Tokens and cost count every model call made for the customer,
    also when it failed.
    """

    customer_id: str
    status: OutcomeStatus
    reason: str = ""
    draft: Draft | None = None
    queue_id: int | None = None
    no_note_reasons: tuple[NoNoteReason, ...] = ()
    error: BaseException | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0

    @property
    def unexpected(self) -> bool:
        """True when the error is not a ``PersonalNoteError``: a bug to report, not bad data."""
        return self.error is not None and not isinstance(self.error, PersonalNoteError)

    def to_json_dict(self, *, with_draft: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"customer_id": self.customer_id, "status": self.status, "reason": self.reason}
        if self.queue_id is not None:
            out["queue_id"] = self.queue_id
        if self.no_note_reasons:
            out["no_note_reasons"] = [r.model_dump() for r in self.no_note_reasons]
        if self.error is not None:
            out["error"] = {"type": type(self.error).__name__, "message": str(self.error),
                            "unexpected": self.unexpected}
        if self.prompt_tokens or self.completion_tokens:
            out.update(prompt_tokens=self.prompt_tokens, completion_tokens=self.completion_tokens,
                       cost_usd=self.cost_usd)
        if with_draft and self.draft is not None:
            out["draft"] = self.draft.to_json_dict()
        return out


def failure_reason(error: BaseException) -> str:
    """How a failure is grouped in the summary: the error's class (and HTTP status for API errors)."""
    name = type(error).__name__
    if isinstance(error, ModelAPIError) and error.status_code is not None:
        return f"{name} {error.status_code}"
    return name if isinstance(error, PersonalNoteError) else f"unexpected {name}"


@dataclass(frozen=True)
class BatchResult:
    """Every customer's outcome in input order, with the totals (see the module docstring)."""

    outcomes: tuple[CustomerOutcome, ...]
    seconds: float
    max_cost_usd: float | None = None
    batch_api: bool = False
    unmatched: tuple[str, ...] = ()  # Batch API result lines naming no customer given

    def with_status(self, status: OutcomeStatus) -> list[CustomerOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def counts(self) -> dict[OutcomeStatus, int]:
        found = Counter(o.status for o in self.outcomes)
        return {status: found[status] for status in _ORDER}

    @property
    def drafts(self) -> list[Draft]:
        """The drafts made (also those whose queueing failed: nothing drafted is lost)."""
        return [o.draft for o in self.outcomes if o.draft is not None]

    @property
    def no_note_counts(self) -> dict[str, int]:
        """Customers per no-note reason code, most first (a customer counts once per code)."""
        found = Counter(code for o in self.with_status("no_note")
                        for code in dict.fromkeys(r.code for r in o.no_note_reasons))
        return dict(found.most_common())

    def ids_by_reason(self, status: OutcomeStatus) -> dict[str, list[str]]:
        """Customer ids with this status, per reason, in input order."""
        grouped: dict[str, list[str]] = defaultdict(list)
        for o in self.with_status(status):
            grouped[o.reason].append(o.customer_id)
        return dict(grouped)

    @property
    def failures(self) -> dict[str, list[str]]:
        """Customer ids per failure reason (error class), in input order."""
        return self.ids_by_reason("failed")

    @property
    def not_started(self) -> dict[str, list[str]]:
        """Customer ids per reason the batch stopped before them."""
        return self.ids_by_reason("not_started")

    @property
    def prompt_tokens(self) -> int:
        return sum(o.prompt_tokens for o in self.outcomes)

    @property
    def completion_tokens(self) -> int:
        return sum(o.completion_tokens for o in self.outcomes)

    @property
    def cost_usd(self) -> float | None:
        """The cost of every call made, or None when the model has no price."""
        costs = [o.cost_usd for o in self.outcomes if o.prompt_tokens or o.completion_tokens]
        if any(c is None for c in costs):
            return None
        return sum(c for c in costs if c is not None)

    @property
    def complete(self) -> bool:
        """True when no customer failed and none was left not started."""
        return not self.with_status("failed") and not self.with_status("not_started")

    def summary(self) -> str:
        """The summary as text: counts, no-note reasons, failures with customer ids, tokens and cost."""
        counts = self.counts
        parts = [f"{counts[s]:,} {s.replace('_', ' ')}" for s in _ORDER if counts[s]]
        lines = [f"{len(self.outcomes):,} customers in {self.seconds:.1f} s: " + (", ".join(parts) or "none")]
        if self.no_note_counts:
            lines.append("no note: " + ", ".join(f"{code} {n:,}" for code, n in self.no_note_counts.items()))
        for title, groups in (("failed", self.failures), ("not started", self.not_started)):
            for reason, ids in groups.items():
                first = next(o for o in self.outcomes if o.customer_id == ids[0] and o.reason == reason)
                lines.append(f"{title}: {reason} x{len(ids):,}: {_ids(ids)}")
                if first.error is not None:
                    lines.append(f"    e.g. {ids[0]}: {first.error}")
        skipped = [o.customer_id for o in self.with_status("skipped")]
        if skipped:
            lines.append(f"skipped (already in the review queue): {_ids(skipped)}")
        if self.unmatched:
            lines.append(f"result lines for customers not given (ignored): {_ids(list(self.unmatched))}")
        cost = "unknown (no price for the model)" if self.cost_usd is None else f"${self.cost_usd:,.6f}"
        if self.batch_api:
            cost += f" at the Batch API price ({C.BATCH_API_PRICE_FACTOR:.0%} of live)"
        if self.max_cost_usd is not None:
            cost += f" (cap ${self.max_cost_usd:,.6f})"
        lines.append(f"tokens: {self.prompt_tokens:,} prompt + {self.completion_tokens:,} completion; "
                     f"cost {cost}")
        return "\n".join(lines)

    def to_json_dict(self, *, with_drafts: bool = False) -> dict[str, Any]:
        """The summary and every outcome as JSON (``personalnote draft --json`` in batch mode)."""
        return {
            "customers": len(self.outcomes), "seconds": round(self.seconds, 3),
            "counts": self.counts, "no_note": self.no_note_counts, "failed": self.failures,
            "not_started": self.not_started,
            "skipped": [o.customer_id for o in self.with_status("skipped")],
            "unmatched": list(self.unmatched),
            "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
            "cost_usd": self.cost_usd, "max_cost_usd": self.max_cost_usd, "batch_api": self.batch_api,
            "outcomes": [o.to_json_dict(with_draft=with_drafts) for o in self.outcomes],
        }

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.summary())}</pre>"


def _ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:C.SUMMARY_MAX_IDS])
    return shown + (f" and {len(ids) - C.SUMMARY_MAX_IDS:,} more" if len(ids) > C.SUMMARY_MAX_IDS else "")
