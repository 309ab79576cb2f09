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

Example::

    with ProcessPoolExecutor(2) as pool:
        result = draft_many(histories, as_of=as_of, model=model, queue=queue, executor=pool)
"""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from . import _constants as C
from ._batch_report import CustomerOutcome
from ._chat import ChatModel, ChatRequest, ChatResult
from ._draft import CheckStep, Customer, new_job, plan_note, template_for
from ._draft_types import Draft
from ._errors import ConfigurationError
from ._job import DraftJob
from ._moment_types import MomentReport
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
    """What every customer of a batch is planned with: picklable, the same for all of them."""

    as_of: datetime | date | None
    options: DraftOptions
    model: NamedModel
    template: PromptTemplate | None  # None in an experiment: each customer's arm
    caller: str


def plan_customer(customer: Customer, settings: WorkSettings, queued: QueuedKeys,
                  model: ChatModel | None = None) -> CustomerOutcome | DraftJob:
    """The job to ask the model, or the outcome when there is nothing to ask (no note, queued).

    ``queued``: the open drafts of the queue (at least this customer's). ``model``: the caller's
    model, in the caller's process (a worker's job carries the model's name only).
    """
    options = settings.options
    plan = plan_note(customer, settings.as_of, options["moment"], options["business_events"],
                     options["channel"], caller=settings.caller)
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


@lru_cache(maxsize=4)
def _settings(blob: bytes) -> WorkSettings:
    """The batch's settings, unpickled once per worker process (a batch's tasks all carry the same)."""
    settings: WorkSettings = pickle.loads(blob)  # noqa: S301 - pickled by the batch that sent the task
    return settings


def plan_work(customer: Customer, settings: bytes, queued: QueuedKeys) -> CustomerOutcome | DraftJob:
    """``plan_customer`` in a worker: ``settings`` is the pickled ``WorkSettings``."""
    return plan_customer(customer, _settings(settings), queued)


def check_work(job: DraftJob, step: CheckStep) -> Draft:
    """A candidate's checked draft (or the composed note), in a worker."""
    return step.run(job)


Outcome = tuple[bool, Any]  # (True, the result) or (False, the exception raised)


def plan_chunk(settings: bytes, items: list[tuple[Customer, QueuedKeys]]) -> list[Outcome]:
    """``plan_work`` for several customers in one task; each one's error stays its own."""
    return [run_one(plan_work, customer, settings, queued) for customer, queued in items]


def check_chunk(items: list[tuple[DraftJob, CheckStep]]) -> list[Outcome]:
    """``check_work`` for several candidates in one task; each one's error stays its own."""
    return [run_one(check_work, job, step) for job, step in items]


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
        self.blob = pickle.dumps(settings, protocol=pickle.HIGHEST_PROTOCOL)
        if self.owned:
            # start the worker processes now, before the batch starts its threads (a forked child
            # copies no thread, and no lock another thread holds)
            self.executor.submit(int).result()
        pool = self.executor
        self.plans = Chunks(lambda items: pool.submit(plan_chunk, self.blob, items), C.WORK_CHUNK)
        self.checks = Chunks(lambda items: pool.submit(check_chunk, items), C.WORK_CHUNK)

    async def plan(self, customer: Customer, queued: QueuedKeys) -> CustomerOutcome | DraftJob:
        planned: CustomerOutcome | DraftJob = await self.plans.run((customer, queued))
        return planned

    async def check(self, job: DraftJob, step: CheckStep) -> Draft:
        draft: Draft = await self.checks.run((job, step))
        return draft

    def close(self) -> None:
        if self.owned:
            self.executor.shutdown(wait=True, cancel_futures=True)
