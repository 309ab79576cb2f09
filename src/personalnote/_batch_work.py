"""A batch's per-customer work, as functions any ``concurrent.futures.Executor`` can run.

``draft_many(..., executor=...)`` (or ``workers=N``) runs each customer's CPU-bound work in the
executor: ``plan_work`` (the context, the moments, the prompt within its token budget) before the
model is asked, and ``check_work`` (the checks of each candidate, or of the note the library
composes) after it answers. The model calls stay in the caller's event loop, at most
``concurrency`` at a time and behind the cost cap. The review queue is written by the caller's
process alone, by its one writer thread: workers never open it, so a worker on another machine
needs no access to the queue, and SQLite never has two processes writing one file.

The work functions are top-level and their arguments and results pickle: the customer (a
history or a context), the batch's ``WorkSettings`` (pickled once per batch and read once per
worker process), the customer's open queue keys, a ``DraftJob`` (without its model, its events or
the batch's business events), a ``CheckStep``, a ``Draft`` and a ``CustomerOutcome``. Errors
pickle with their attributes (``PersonalNoteError.__reduce__``). So a ``ProcessPoolExecutor``, a
``ThreadPoolExecutor`` or a Dask ``Client.get_executor()`` plugs in.

The customer and the job travel as bytes, pickled once: a Dask scheduler passes bytes on as they
are, where it unpickles and pickles again every other argument (for a customer of 1,000 events that
cost the scheduler 68 ms a note, ``bench/cluster_throughput.py``). The job's bytes from ``plan_work``
go back to ``check_work`` as they came, with the answers received since.

Example::

    with ProcessPoolExecutor(2) as pool:
        result = draft_many(histories, as_of=as_of, model=model, queue=queue, executor=pool)
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import pickle
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from weakref import WeakKeyDictionary

from . import _constants as C
from ._batch_report import CustomerOutcome
from ._chat import ChatModel, ChatRequest, ChatResult
from ._detectors import registered_detectors
from ._draft import CheckStep, Customer, new_job, plan_note, template_for
from ._draft_types import Draft
from ._errors import ConfigurationError, FailedAttempt
from ._job import DraftJob
from ._moment_types import Detector, MomentReport
from ._options import DraftOptions
from ._prompts import PromptTemplate
from ._queue_types import DraftKey

__all__ = ["Chunks", "NamedModel", "Offload", "Outcome", "WorkSettings", "check_chunk", "check_work",
           "plan_chunk", "plan_customer", "plan_work", "run_one"]

#: a customer's open drafts in the queue: what a re-run skips
QueuedKeys = Mapping[DraftKey, int]


@dataclass(frozen=True)
class NamedModel:
    """The model's name where the model itself is not: a worker plans and checks, never asks."""

    name: str
    default_prompt: str | None = None

    def complete(self, request: ChatRequest) -> ChatResult:
        raise ConfigurationError("the model is asked in the caller's process, not in a worker")

    async def acomplete(self, request: ChatRequest) -> ChatResult:
        raise ConfigurationError("the model is asked in the caller's process, not in a worker")


@dataclass(frozen=True)
class WorkSettings:
    """What every customer of a batch is planned with: picklable, the same for all of them.

    ``detectors``: None in the caller's process (the registry, as ``draft_note`` reads it); for a
    worker, a copy of the caller's registry, since an application registers its own detectors in
    its own process only.
    """

    as_of: datetime | date | None
    options: DraftOptions
    model: NamedModel
    template: PromptTemplate | None  # None in an experiment: each customer's arm has its own
    caller: str
    detectors: dict[str, Detector] | None = None


def plan_customer(customer: Customer, settings: WorkSettings, queued: QueuedKeys,
                  model: ChatModel | None = None) -> CustomerOutcome | DraftJob:
    """The job to ask the model, or the outcome when there is nothing to ask (no note, queued).

    ``queued``: the open drafts of the queue (at least this customer's). ``model``: the caller's
    model, in the caller's process (a worker's job carries the model's name only).
    """
    options = settings.options
    plan = plan_note(customer, settings.as_of, options["moment"], options["business_events"],
                     options["channel"], caller=settings.caller, detectors=settings.detectors)
    if isinstance(plan, MomentReport):
        reasons = tuple(plan.no_note_reasons)
        return CustomerOutcome(plan.customer_id, "no_note", ", ".join(r.code for r in reasons),
                               no_note_reasons=reasons)
    ctx, moment = plan
    # in an experiment, the customer's arm: the same on a re-run, so a queued draft is skipped
    template = settings.template or template_for(options, model or settings.model, ctx.customer_id)
    context_hash = None
    if queued:  # the hash reads every fact: only worth it when the queue holds a draft to match
        context_hash = ctx.context_hash()
        key = DraftKey(ctx.customer_id, moment.key, context_hash, template.name, template.version)
        if key in queued:
            return CustomerOutcome(ctx.customer_id, "skipped", "already queued", queue_id=queued[key])
    return new_job(ctx, moment, model or settings.model, options, context_hash=context_hash,
                   template=template)


def _pickled(settings: WorkSettings) -> bytes:
    """The settings for the workers; with cloudpickle (Dask's), a detector defined in a notebook, a
    script or a function is sent by value (pickle sends functions by their module's name)."""
    try:
        cloudpickle: Any = importlib.import_module("cloudpickle")  # untyped
    except ImportError:
        return pickle.dumps(settings, protocol=pickle.HIGHEST_PROTOCOL)
    blob: bytes = cloudpickle.dumps(settings, protocol=pickle.HIGHEST_PROTOCOL)
    return blob


@lru_cache(maxsize=4)
def _settings(blob: bytes) -> WorkSettings:
    """The batch's settings, unpickled once per worker process (a batch's tasks all carry the same)."""
    settings: WorkSettings = pickle.loads(blob)  # noqa: S301 - pickled by the batch that sent the task
    return settings


def plan_work(customer: bytes, settings: bytes, queued: QueuedKeys) -> CustomerOutcome | bytes:
    """``plan_customer`` in a worker: the customer and ``settings`` (the ``WorkSettings``) come
    pickled, and so goes the job."""
    planned = plan_customer(pickle.loads(customer), _settings(settings), queued)  # noqa: S301 - ours
    return planned if isinstance(planned, CustomerOutcome) else _dumps(planned)


def check_work(job: bytes, results: Sequence[ChatResult], failures: Sequence[FailedAttempt],
               step: CheckStep) -> Draft:
    """A candidate's checked draft (or the composed note), in a worker: ``job`` as ``plan_work``
    made it, with the answers received since (its only state that changes)."""
    restored: DraftJob = pickle.loads(job)  # noqa: S301 - pickled by plan_work for this batch
    restored.results, restored.failures = list(results), list(failures)
    return step.run(restored)


def _dumps(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


Outcome = tuple[bool, Any]  # (True, the result) or (False, the exception raised)


def plan_chunk(settings: bytes, items: list[tuple[bytes, QueuedKeys]]) -> list[Outcome]:
    """``plan_work`` for several customers in one task; each one's error stays its own."""
    return [run_one(plan_work, customer, settings, queued) for customer, queued in items]


def check_chunk(items: list[tuple[bytes, Sequence[ChatResult], Sequence[FailedAttempt], CheckStep]]
                ) -> list[Outcome]:
    """``check_work`` for several candidates in one task; each one's error stays its own."""
    return [run_one(check_work, *item) for item in items]


def run_one(fn: Callable[..., Any], *args: Any) -> Outcome:
    try:
        return True, fn(*args)
    except Exception as exc:  # noqa: BLE001 - the customer's own outcome, raised where it awaits it
        return False, exc


class Chunks:
    """Work items sent to the executor together: those the event loop has ready in one turn, up to
    ``size`` (a task's round trip costs the caller 0.1-0.2 ms of CPU, whatever it carries). Each
    item's result, or its error, goes back to the customer awaiting it."""

    def __init__(self, send: Callable[[list[Any]], Any], size: int) -> None:
        self.send, self.size = send, size
        self.waiting: list[tuple[Any, asyncio.Future[Any]]] = []
        self.scheduled = False

    async def run(self, item: Any) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self.waiting.append((item, future))
        if len(self.waiting) >= self.size:
            self._flush()
        elif not self.scheduled:
            self.scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self.scheduled = False
        if not self.waiting:
            return
        items, self.waiting = self.waiting, []
        sent = asyncio.wrap_future(self.send([item for item, _ in items]))
        sent.add_done_callback(lambda done: _settle(items, done))


def _settle(items: list[tuple[Any, asyncio.Future[Any]]], done: asyncio.Future[list[Outcome]]) -> None:
    """Each item's outcome to its own future (all of them fail alike when the task itself failed)."""
    if done.cancelled() or done.exception() is not None:
        for _, future in items:
            if not future.done():
                if done.cancelled():
                    future.cancel()
                else:
                    future.set_exception(done.exception())  # type: ignore[arg-type]
        return
    for (_, future), (ok, value) in zip(items, done.result(), strict=True):
        if not future.done():
            future.set_result(value) if ok else future.set_exception(value)


class Offload:
    """Runs a batch's per-customer work in an executor, from the batch's event loop.

    ``workers=N`` makes a ``ProcessPoolExecutor`` of N processes that this object shuts down at
    the end; an ``executor`` given by the caller is the caller's to shut down. Plans and checks go
    to the executor in chunks of up to ``WORK_CHUNK``: what the event loop has ready at once.
    """

    def __init__(self, executor: Executor | None, workers: int | None, settings: WorkSettings) -> None:
        if executor is not None and workers is not None:
            raise ConfigurationError("give executor= or workers=, not both: workers=N makes a "
                                     "ProcessPoolExecutor(N)")
        if workers is not None and workers < 1:
            raise ConfigurationError(f"workers must be at least 1, not {workers}")
        if executor is not None and not isinstance(executor, Executor):
            raise ConfigurationError("executor must be a concurrent.futures.Executor (a ProcessPoolExecutor, "
                                     f"a Dask Client.get_executor()), not {type(executor).__name__}")
        self.owned = executor is None
        self.executor: Executor = executor or ProcessPoolExecutor(workers)
        self.blob = _pickled(replace(settings, detectors=registered_detectors()))
        self.pickled: WeakKeyDictionary[DraftJob, bytes] = WeakKeyDictionary()  # as plan_work sent each
        if self.owned:
            # start the worker processes now, before the batch starts its threads (a forked child
            # copies no thread, and no lock another thread holds)
            self.executor.submit(int).result()
        pool = self.executor
        self.plans = Chunks(lambda items: pool.submit(plan_chunk, self.blob, items), C.WORK_CHUNK)
        self.checks = Chunks(lambda items: pool.submit(check_chunk, items), C.WORK_CHUNK)

    async def plan(self, customer: Customer, queued: QueuedKeys) -> CustomerOutcome | DraftJob:
        planned: CustomerOutcome | bytes = await self.plans.run((_dumps(customer), queued))
        if isinstance(planned, CustomerOutcome):
            return planned
        job: DraftJob = pickle.loads(planned)  # noqa: S301 - pickled by plan_work for this batch
        self.pickled[job] = planned
        return job

    async def check(self, job: DraftJob, step: CheckStep) -> Draft:
        results = [dataclasses.replace(r, raw={}) for r in job.results]  # not the server's whole answers
        draft: Draft = await self.checks.run((self.pickled[job], results, job.failures, step))
        return draft

    def close(self) -> None:
        if self.owned:
            self.executor.shutdown(wait=True, cancel_futures=True)
