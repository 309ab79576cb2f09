"""Each customer's CPU work in a batch, as functions an executor can run in other processes.

``draft_many(..., executor=...)`` runs a customer's context, moments and prompt (``prepare``) and
the checks of each candidate (``check_candidate``) in any ``concurrent.futures.Executor``: a
``ProcessPoolExecutor``, or a Dask cluster's (``dask_executor``). Both are top-level functions of
picklable arguments that return picklable results. The model calls, the cost cap and the review
queue stay in the calling process: one process spends, one writes.

What a worker process needs from the caller's travels with each call (``WorkSpec``): ``as_of``,
the settled options, the loaded prompt (a prompt file need not exist on the workers), the model's
name (never the model: a worker makes no call) and the registered moment detectors (an
application's own are registered in the caller's process only). The queue's keys for the one
customer travel with it, so a customer already queued is skipped where it is planned.

Example::

    spec = WorkSpec.of(planner)                       # once per batch
    planned = await loop.run_in_executor(executor, prepare, history, spec.for_workers(), keys)
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import date

from ._batch_report import CustomerOutcome
from ._chat import ChatModel, ChatRequest, ChatResult
from ._detectors import registered_detectors
from ._draft import Customer, new_job, plan_note
from ._draft_types import Draft, NoteBody
from ._job import DraftJob
from ._moment_types import Detector, MomentReport
from ._options import DraftOptions
from ._prompts import PromptTemplate
from ._queue_types import DraftKey

__all__ = ["ModelName", "Offload", "WorkSpec", "check_candidate", "prepare"]


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


def check_candidate(job: DraftJob, note: NoteBody) -> Draft:
    """One valid answer composed into a draft and checked against the customer's facts."""
    return job.draft(note)


def portable(job: DraftJob) -> DraftJob:
    """The job to send to another process: the same state, the model's name in place of the model."""
    sent = copy.copy(job)
    sent.model = ModelName.of(job.model)
    return sent


class Offload:
    """One batch's work in an executor; the caller's model is put back on each job that returns.

    ``queued``: the queue's open keys per customer id, so each call carries only its customer's.
    """

    def __init__(self, executor: Executor, spec: WorkSpec, queued: Mapping[DraftKey, int]) -> None:
        self.executor, self.model, self.spec = executor, spec.model, spec.for_workers()
        self.queued: dict[str, dict[DraftKey, int]] = {}
        for key, queue_id in queued.items():
            self.queued.setdefault(key.customer_id, {})[key] = queue_id

    async def prepare(self, customer_id: str, customer: Customer) -> CustomerOutcome | DraftJob:
        planned = await asyncio.get_running_loop().run_in_executor(
            self.executor, prepare, customer, self.spec, self.queued.get(customer_id, {}))
        if isinstance(planned, DraftJob):
            planned.model = self.model
        return planned

    async def check(self, job: DraftJob, note: NoteBody) -> Draft:
        return await asyncio.get_running_loop().run_in_executor(self.executor, check_candidate, portable(job),
                                                                note)
