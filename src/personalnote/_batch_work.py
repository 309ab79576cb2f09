"""Each customer's CPU work in a batch, as functions an executor can run in other processes.

``draft_many(..., executor=...)`` runs a customer's context, moments and prompt (``prepare``),
the checks of each candidate (``check_candidate``) and the queue's own checks and JSON of the
draft kept (``_review.submission``) in any ``concurrent.futures.Executor``: a
``ProcessPoolExecutor``, or a Dask cluster's (``dask_executor``). The model calls, the cost cap and
the review queue's writes stay in the calling process: one process spends, one writes.

The customer and the prepared job travel as bytes pickled once: a Dask scheduler passes bytes on
as they are, where it would unpickle and pickle again every argument it is given. The job's bytes
from ``prepare`` are sent back as they came for its checks, with what changed since (its answers).

What a worker process needs from the caller's travels with each call (``WorkSpec``): ``as_of``,
the settled options, the loaded prompt (a prompt file need not exist on the workers), the model's
name (never the model: a worker makes no call) and the registered moment detectors (an
application's own are registered in the caller's process only). The queue's keys for the one
customer travel with it, so a customer already queued is skipped where it is planned.

Example::

    offload = Offload(executor, planner.spec, planner.queued, queue)    # once per batch
    job = await offload.prepare("C-1", history)                         # a DraftJob, or an outcome
    draft = await arun_job(job, offload.check)
"""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from ._batch_report import CustomerOutcome
from ._chat import ChatModel, ChatRequest, ChatResult
from ._checks import CheckPolicy
from ._detectors import registered_detectors
from ._draft import Customer, new_job, plan_note
from ._draft_types import Draft, NoteBody
from ._errors import FailedAttempt
from ._job import DraftJob
from ._moment_types import Detector, MomentReport
from ._options import DraftOptions
from ._prompts import PromptTemplate
from ._queue_types import DraftKey, Submission
from ._review import ReviewQueue, submission

__all__ = ["ModelName", "Offload", "WorkSpec", "check_candidate", "prepare"]

T = TypeVar("T")


@dataclass(frozen=True)
class ModelName:
    """The model where the work runs: its name (token counts, prices, provenance), never called."""

    name: str
    default_prompt: str | None = None

    @classmethod
    def of(cls, model: ChatModel) -> ModelName:
        return cls(model.name, getattr(model, "default_prompt", None))

    def complete(self, request: ChatRequest) -> ChatResult:
        raise RuntimeError("a worker process never calls the model: the caller's process does")

    async def acomplete(self, request: ChatRequest) -> ChatResult:
        return self.complete(request)


@dataclass(frozen=True)
class WorkSpec:
    """What every customer of one batch is planned with, the same in every process.

    ``detectors``: None in the caller's process (the registry, as ``draft_note`` reads it); the
    registry's copy for other processes.
    """

    as_of: date | None  # parsed: an aware datetime, or a date (its end in each customer's zone)
    options: DraftOptions
    template: PromptTemplate
    model: ChatModel
    caller: str
    detectors: dict[str, Detector] | None = None

    def for_workers(self) -> WorkSpec:
        """This spec for another process: the model's name only, the registered detectors copied."""
        return replace(self, model=ModelName.of(self.model), detectors=registered_detectors())


def prepare(customer: Customer, spec: WorkSpec, queued: Mapping[DraftKey, int]) -> CustomerOutcome | DraftJob:
    """The job to ask the model (facts chosen, prompt rendered), or the outcome when there is
    nothing to ask: no note (with the reasons), or already in the queue (``queued``: its keys)."""
    options = spec.options
    plan = plan_note(customer, spec.as_of, options["moment"], options["business_events"], options["channel"],
                     caller=spec.caller, detectors=spec.detectors)
    if isinstance(plan, MomentReport):
        reasons = tuple(plan.no_note_reasons)
        return CustomerOutcome(plan.customer_id, "no_note", ", ".join(r.code for r in reasons),
                               no_note_reasons=reasons)
    ctx, moment = plan
    key = DraftKey(ctx.customer_id, moment.key, ctx.context_hash(), spec.template.name, spec.template.version)
    if key in queued:
        return CustomerOutcome(ctx.customer_id, "skipped", "already queued", queue_id=queued[key])
    return new_job(ctx, moment, spec.model, options, spec.template)


def prepare_pickled(customer: bytes, spec: WorkSpec,
                    queued: Mapping[DraftKey, int]) -> CustomerOutcome | bytes:
    """``prepare`` in a worker: the customer comes pickled, and so goes the job (the model's name in it)."""
    planned = prepare(pickle.loads(customer), spec, queued)
    return planned if isinstance(planned, CustomerOutcome) else pickle.dumps(planned, pickle.HIGHEST_PROTOCOL)


def _job(job: bytes, results: Sequence[ChatResult], failures: Sequence[FailedAttempt]) -> DraftJob:
    """The job as ``prepare`` made it, with the answers received since (its only state that changes)."""
    restored: DraftJob = pickle.loads(job)
    restored.results, restored.failures = list(results), list(failures)
    return restored


def check_candidate(job: bytes, results: Sequence[ChatResult], failures: Sequence[FailedAttempt],
                    note: NoteBody) -> Draft:
    """One valid answer composed into a draft and checked against the customer's facts."""
    return _job(job, results, failures).draft(note)


def submission_of(job: bytes, draft: Draft, policy: CheckPolicy | None, source: str | None) -> Submission:
    """The draft kept, matched with its context and checked with the queue's policy, ready to write."""
    return submission(draft, _job(job, (), ()).ctx, policy, source)


class Offload:
    """One batch's work in an executor; the caller's model is put back on each job that returns.

    ``queued``: the queue's open keys per customer id, so each call carries only its customer's.
    ``queue``: its policy checks each draft kept, as ``ReviewQueue.submit`` would.
    """

    def __init__(self, executor: Executor, spec: WorkSpec, queued: Mapping[DraftKey, int],
                 queue: ReviewQueue | None = None) -> None:
        self.executor, self.model, self.spec = executor, spec.model, spec.for_workers()
        self.policy = queue.policy if queue is not None else None
        self.queued: dict[str, dict[DraftKey, int]] = {}
        for key, queue_id in queued.items():
            self.queued.setdefault(key.customer_id, {})[key] = queue_id
        self.pickled: WeakKeyDictionary[DraftJob, bytes] = WeakKeyDictionary()  # each job as prepare sent it

    async def _run(self, work: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, work, *args)

    async def prepare(self, customer_id: str, customer: Customer) -> CustomerOutcome | DraftJob:
        planned = await self._run(prepare_pickled, pickle.dumps(customer, pickle.HIGHEST_PROTOCOL), self.spec,
                                  self.queued.get(customer_id, {}))
        if isinstance(planned, CustomerOutcome):
            return planned
        job: DraftJob = pickle.loads(planned)
        job.model = self.model
        self.pickled[job] = planned
        return job

    async def check(self, job: DraftJob, note: NoteBody) -> Draft:
        return await self._run(check_candidate, self.pickled[job], job.results, job.failures, note)

    async def submission(self, job: DraftJob, draft: Draft, source: str | Path | None) -> Submission:
        return await self._run(submission_of, self.pickled[job], draft, self.policy,
                               str(source) if source is not None else None)
