"""Reviews as regression tests: replay reviewed drafts through a new prompt and a chosen model.

Every draft a reviewer decided on (approved unchanged, approved after an edit, or rejected) is drafted
again: the same moment, channel and signers, from the context stored with it at submit (the profile,
``as_of``, facts and relationship; its hash is checked against the draft's own), through the prompt
and model given. For each, and in total, the report gives:

- the new draft's blocking findings;
- its edit distance to the text the reviewer approved, beside the reviewed draft's own distance;
- the findings reviewers had to fix (the kinds on the model's text that their edit took away, or
  the blocking kinds of a draft they rejected) that come back in the new draft.

A draft the prompt cannot make (its facts do not fit the token budget, the answers stay invalid or
are cut off) is reported with its error; a model that cannot be reached, or a damaged store, stops
the replay with its error.

The report is deterministic: drafts in queue order, no clock times or paths, time budgets off (a
candidate is never dropped for being slow), so the same answers give the same report, byte for byte
(``to_json``). ``model="fake"`` answers every request with the reviewed draft's own stored answer:
the baseline, with no model at all.

Example::

    with ReviewQueue.open("review.sqlite3") as queue:
        report = evaluate(queue, prompt="note@4", model="gpt-4o-mini")
    print(report.summary())
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from ._chat import ChatModel, ChatRequest
from ._draft import new_job, run_job
from ._draft_types import Draft
from ._errors import ContextBudgetError, DamagedStoreError, DraftValidationError, ResponseCutOffError
from ._export import edit_distance
from ._house_style import HouseStyle
from ._options import settle
from ._prompts import load_prompt
from ._queue_types import QueuedDraft
from ._resolve import resolve_model
from ._review import ReviewQueue
from .testing import FakeChatModel, allowed_fact_ids

__all__ = ["EvalReport", "ReplayedDraft", "evaluate"]

Decision = Literal["approved", "edited", "rejected"]
#: the model name that answers with each reviewed draft's own stored answer
FAKE = "fake"
#: the fake's answers per draft: more than any drafting loop asks for
_FAKE_REPLIES = 64
#: no time budget in a replay: the candidates tried depend on the answers, never on speed
_NO_TIME_LIMIT = float("inf")


@dataclass(frozen=True)
class ReplayedDraft:
    """One reviewed draft drafted again: what the reviewer decided, what came back, how far it is.

    ``distance`` is from the new text to the approved text (None for a rejected draft or an error);
    ``reviewed_distance`` the same for the draft the reviewer read. ``fixed`` are the finding kinds
    reviewers had to fix, ``returned`` those of them found again in the new draft.
    """

    draft_id: int
    customer_id: str
    moment_kind: str
    decision: Decision
    reviewed_prompt: str
    text: str | None
    blocking: tuple[str, ...]
    distance: int | None
    reviewed_distance: int | None
    fixed: tuple[str, ...]
    returned: tuple[str, ...]
    composed: bool = False
    examples: tuple[int, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class EvalReport:
    """The replay of a queue's reviewed drafts through ``prompt`` on ``model`` (see the module)."""

    prompt: str
    prompt_sha256: str
    model: str
    examples: int
    drafts: tuple[ReplayedDraft, ...]

    @property
    def with_blocking(self) -> list[ReplayedDraft]:
        """New drafts with blocking findings (an error counts: no note a reviewer could sign)."""
        return [d for d in self.drafts if d.blocking or d.error]

    @property
    def returned(self) -> Counter[str]:
        """Finding kinds reviewers had to fix that came back, with how many drafts each came back in."""
        return Counter(kind for d in self.drafts for kind in d.returned)

    @property
    def fixed(self) -> int:
        return sum(len(d.fixed) for d in self.drafts)

    def mean_distance(self, reviewed: bool = False) -> float | None:
        """Mean edit distance to the approved texts: of the new drafts, or (``reviewed``) of the drafts
        the reviewers read; over the approved drafts replayed without an error."""
        values = [d.reviewed_distance if reviewed else d.distance for d in self.drafts
                  if d.decision != "rejected" and d.error is None]
        numbers = [v for v in values if v is not None]
        return round(sum(numbers) / len(numbers), 1) if numbers else None

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt, "prompt_sha256": self.prompt_sha256, "model": self.model,
            "examples": self.examples,
            "total": {"replayed": len(self.drafts), "with_blocking": len(self.with_blocking),
                      "mean_distance": self.mean_distance(),
                      "reviewed_mean_distance": self.mean_distance(True),
                      "fixed": self.fixed, "returned": sum(self.returned.values()),
                      "returned_kinds": dict(sorted(self.returned.items())),
                      "errors": sum(d.error is not None for d in self.drafts)},
            "drafts": [{**asdict(d), "blocking": list(d.blocking), "fixed": list(d.fixed),
                        "returned": list(d.returned), "examples": list(d.examples)} for d in self.drafts],
        }

    def to_json(self) -> str:
        """The report as JSON, keys sorted: the same answers give the same text."""
        return json.dumps(self.to_json_dict(), ensure_ascii=False, sort_keys=True)

    def summary(self) -> str:
        """The report as lines of text: one per draft, then the totals."""
        lines = [f"eval: prompt {self.prompt} on model {self.model}, {self.examples} style example(s); "
                 f"{len(self.drafts)} reviewed draft(s) drafted again from their stored contexts"]
        for d in self.drafts:
            distance = "-" if d.distance is None else f"{d.distance} (reviewed {d.reviewed_distance})"
            outcome = f"error: {d.error}" if d.error else (
                f"blocking: {', '.join(d.blocking) or '-'}; distance {distance}; came back: "
                f"{', '.join(d.returned) or '-'}")
            lines.append(f"  draft {d.draft_id:>4}  {d.customer_id:<10} {d.moment_kind:<22} {d.decision:<8} "
                         f"{outcome}")
        mean, reviewed = self.mean_distance(), self.mean_distance(True)
        came_back = ", ".join(f"{k} x{n}" for k, n in sorted(self.returned.items()))
        lines.append(f"total: {len(self.with_blocking)} of {len(self.drafts)} with blocking findings; mean "
                     f"distance to the approved text {'-' if mean is None else mean} characters (reviewed "
                     f"drafts: {'-' if reviewed is None else reviewed}); {self.fixed} finding(s) reviewers "
                     f"fixed, {sum(self.returned.values())} came back"
                     + (f" ({came_back})" if came_back else ""))
        return "\n".join(lines)


def _decision(queued: QueuedDraft) -> Decision | None:
    if queued.state == "rejected":
        return "rejected"
    if queued.state in ("approved", "exported") and queued.approval is not None:
        return "edited" if queued.edited else "approved"
    return None  # pending, or an approval not in force: not a review to test against


def _fixed(queued: QueuedDraft, decision: Decision) -> tuple[str, ...]:
    """The finding kinds reviewers had to fix: taken away by their edit, or blocking on a rejected draft."""
    before = {f.kind for f in queued.draft.findings}
    if decision == "rejected":
        return tuple(sorted({f.kind for f in queued.draft.blocking}))
    if decision == "edited":
        return tuple(sorted(before - {f.kind for f in queued.findings}))
    return ()


def _stored_answer(draft: Draft) -> Any:
    """The reviewed draft's own answer, to any request: the words after a framed note's opening, or
    the body and the claims (citing what the request allows)."""
    words = next((s.text for s in draft.sentences if s.author == "model" and s.text), None)
    words = words or draft.model_candidate or draft.body

    def reply(request: ChatRequest) -> dict[str, Any]:
        if "words" in request.schema.get("properties", {}):
            return {"words": words}
        allowed = allowed_fact_ids(request)
        claims = [{"text": c.text, "fact_ids": [i for i in c.fact_ids if i in allowed]} for c in draft.claims]
        claims = [c for c in claims if c["fact_ids"]] or [{"text": draft.body, "fact_ids": allowed[:1]}]
        return {"body": draft.body, "claims": claims}

    return reply


def _replay(queue: ReviewQueue, queued: QueuedDraft, decision: Decision, model: ChatModel | None,
            prompt: str, style: HouseStyle | None, examples: int,
            max_candidates: int | None) -> ReplayedDraft:
    draft = queued.draft
    p = draft.provenance
    fixed = _fixed(queued, decision)
    approved = None if decision == "rejected" else queued.text
    base = ReplayedDraft(draft_id=queued.id, customer_id=queued.customer_id, moment_kind=draft.moment.kind,
                         decision=decision, reviewed_prompt=f"{p.prompt}@{p.prompt_version}", text=None,
                         blocking=(), distance=None, fixed=fixed, returned=(),
                         reviewed_distance=None if approved is None else edit_distance(draft.text, approved))
    chat = model or FakeChatModel([_stored_answer(draft)] * _FAKE_REPLIES, name=FAKE)
    ctx = queue.context(queued.id)
    options = settle({"moment": draft.moment, "channel": draft.channel, "signers": draft.signers,
                      "prompt": prompt, "max_seconds": _NO_TIME_LIMIT, "house_style": style,
                      "examples": examples, "max_candidates": max_candidates}, caller="evaluate")
    try:
        job = new_job(ctx, draft.moment, chat, options)
        if job.context_hash != p.context_hash:
            raise DamagedStoreError(queue.path, "drafts", queued.id, "its stored context no longer hashes to "
                                    "the draft's context_hash")
        new = run_job(job)
    except (ContextBudgetError, ResponseCutOffError, DraftValidationError) as exc:  # what the prompt made
        return replace(base, error=f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
    kinds = {f.kind for f in new.findings}
    return replace(base, text=new.text, blocking=tuple(sorted({f.kind for f in new.blocking})),
                   distance=None if approved is None else edit_distance(new.text, approved),
                   returned=tuple(k for k in fixed if k in kinds), composed=new.composed,
                   examples=tuple(new.provenance.examples))


def evaluate(queue: ReviewQueue, *, prompt: str, model: ChatModel | str | None = None, examples: int = 0,
             draft_ids: Sequence[int] | None = None, max_candidates: int | None = None) -> EvalReport:
    """Replay the queue's reviewed drafts through ``prompt`` on ``model`` (see the module docstring).

    ``prompt``: a shipped prompt's name, ``name@version`` or a ``.toml`` path. ``model``: a
    ``ChatModel``, a name as ``resolve_model`` takes it (``local``, a served model), or ``"fake"``
    (each draft's own stored answer). ``examples``: style examples from the queue's other approved
    notes (never the customer's own). ``draft_ids``: only these drafts. ``max_candidates``: as in
    drafting (default: the prompt's, else ``MAX_CANDIDATES``).

    Example::

        report = evaluate(queue, prompt="note@4", model="fake")
        report.with_blocking, report.mean_distance(), report.returned
    """
    template = load_prompt(prompt)
    chat = None if model == FAKE else resolve_model(model)
    style = HouseStyle(queue) if examples else None
    wanted = set(draft_ids) if draft_ids is not None else None
    replayed = []
    for queued in queue.drafts(("approved", "exported", "rejected")):
        decision = _decision(queued)
        if decision is None or (wanted is not None and queued.id not in wanted):
            continue
        replayed.append(_replay(queue, queued, decision, chat, prompt, style, examples, max_candidates))
    return EvalReport(prompt=f"{template.name}@{template.version}", prompt_sha256=template.sha256,
                      model=FAKE if chat is None else chat.name, examples=examples, drafts=tuple(replayed))
