"""Drafting for many customers: bounded concurrency, a progress bar, resumable, a cost cap.

``adraft_many`` drafts each customer as ``adraft_note`` does, with at most ``concurrency`` model
requests at a time (an ``asyncio.Semaphore``); ``draft_many`` runs it from synchronous code.
Twice as many customers are in flight: the next customers are planned while the model answers,
and a note is checked and queued after its request gave its place to the next one, so the model
is never kept waiting on the client's own work.

- **Resumable.** With a review queue, a customer whose draft for the same moment and context
  is already queued (the queue's idempotency key: customer, moment key, context hash, prompt
  name and version; a rejected draft does not count) is skipped before any model call.
- **Cost cap.** Before each model request its worst case is reserved: the prompt's tokens
  counted here plus the request's ``max_tokens``, at the price table. A request that could
  take spending past ``max_cost_usd`` is not sent; the customers not started are reported
  ``not started: cost cap``. A customer refused half-way (a re-ask) is ``failed: CostCapError``.
- **Failures stay with their customer.** A ``PersonalNoteError`` (a model error, a context
  budget, a store error) is that customer's outcome and the others go on. Any other
  exception is a bug: it is that customer's outcome too, no new customer is started (the bug
  would likely hit them all and spend tokens each time), customers in flight finish, and
  ``BatchError`` is raised at the end with the whole result (``.result``).

Example::

    queue = ReviewQueue("review.sqlite3")
    result = draft_many(data.customers, as_of=as_of, model="gpt-4o-mini", queue=queue,
                        business_events=data.business_events, concurrency=16, max_cost_usd=2.0)
    print(result.summary())       # run it again after a stop: queued customers are skipped
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, Unpack

from . import _constants as C
from ._batch_plan import Planner, Source, customer_id_of, progress_bar, raise_unexpected
from ._batch_report import (
    NOT_STARTED_AFTER_BUG,
    NOT_STARTED_COST_CAP,
    BatchResult,
    CustomerOutcome,
)
from ._batch_work import Chunks, Offload, Outcome, run_one
from ._chat import ChatModel, ChatRequest, ChatResult
from ._draft import Customer, arun_job
from ._draft_types import Draft
from ._errors import ConfigurationError, CostCapError, PersonalNoteError
from ._instants import AsOf
from ._job import DraftJob
from ._options import DraftOptions, Price, cost_usd, price_table, settle
from ._resolve import resolve_model
from ._review import ReviewQueue
from ._tokens import TokenCounter

__all__ = ["ManyOptions", "adraft_many", "draft_many"]

class ManyOptions(DraftOptions, total=False):
    """What ``draft_many`` and ``adraft_many`` take: the ``DraftOptions``, and for the batch:

    - ``as_of``: the instant every customer is drafted at (required for histories; a date is the end of
      that day in each customer's time zone)
    - ``model``: a ``ChatModel`` or a name [``resolve_model``: environment, else the embedded model]
    - ``queue``: a ``ReviewQueue`` to put drafts in and to resume from [none]
    - ``concurrency``: model requests at once (customers in flight: ``CUSTOMERS_AHEAD`` times as many)
      [``DRAFT_CONCURRENCY``]
    - ``max_cost_usd``: never spend more than this [no cap]
    - ``progress``: True, False, or None for a bar only on a terminal or in a notebook [None]
    - ``source``: recorded with each queued draft: a path, or customer id → path [none]
    - ``executor``: a ``concurrent.futures.Executor`` that runs each customer's CPU-bound work (context,
      moments, prompt, checks; ``_batch_work``); the model calls and the queue stay here [none: here]
    - ``workers``: run that work in a ``ProcessPoolExecutor`` of this many processes, made and shut
      down by the batch (not with ``executor``) [none]
    """

    as_of: AsOf | None
    model: ChatModel | str | None
    queue: ReviewQueue | None
    concurrency: int
    max_cost_usd: float | None
    progress: bool | None
    source: Source
    executor: Executor | None
    workers: int | None


_BATCH_KEYS = frozenset(ManyOptions.__optional_keys__ - DraftOptions.__optional_keys__)


class _CostMeter:
    """Reserves each request's worst-case cost before it is sent; refuses one that could pass the cap."""

    def __init__(self, cap: float | None, price: Price | None, counter: TokenCounter) -> None:
        self.cap, self.price, self.counter = cap, price, counter
        self.spent = 0.0
        self.reserved = 0.0

    def reserve(self, request: ChatRequest) -> float:
        if self.cap is None:
            return 0.0
        # a fallback encoding may undercount by up to its margin: reserve that too
        prompt = math.ceil(self.counter.count_messages(request.messages) * (1 + self.counter.margin))
        worst = cost_usd(self.price, prompt, request.max_tokens) or 0.0
        committed = self.spent + self.reserved
        if committed + worst > self.cap:
            raise CostCapError(self.cap, committed, worst)
        self.reserved += worst
        return worst

    def settle(self, worst: float, result: ChatResult | None) -> None:
        self.reserved -= worst
        if result is not None:
            self.spent += cost_usd(self.price, result.prompt_tokens, result.completion_tokens) or 0.0


class _MeteredModel:
    """The caller's model behind the cost meter: same name, each request reserved first."""

    def __init__(self, model: ChatModel, meter: _CostMeter) -> None:
        self.model, self.meter = model, meter

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def default_prompt(self) -> str | None:
        """The caller's model's own default prompt, if it names one (the embedded model does)."""
        return getattr(self.model, "default_prompt", None)

    def complete(self, request: ChatRequest) -> ChatResult:
        worst = self.meter.reserve(request)
        result = None
        try:
            result = self.model.complete(request)
            return result
        finally:
            self.meter.settle(worst, result)

    async def acomplete(self, request: ChatRequest) -> ChatResult:
        worst = self.meter.reserve(request)
        result = None
        try:
            result = await self.model.acomplete(request)
            return result
        finally:
            self.meter.settle(worst, result)


class _QueueWriter:
    """Queues drafts from one worker thread with its own connection to the queue's file.

    A submit commits with ``synchronous=FULL`` (an fsync, about 6 ms here); on the event loop
    that stalled every request in flight. SQLite connections stay in the thread that opened them.
    """

    def __init__(self, queue: ReviewQueue, planner: Planner) -> None:
        self.queue, self.planner = queue, planner
        self.worker = ThreadPoolExecutor(1, thread_name_prefix="personalnote-queue", initializer=self._open)
        self.local = threading.local()
        #: the drafts ready at once go to the writer thread in one handoff (each is its own transaction)
        self.handoff = Chunks(lambda items: self.worker.submit(self._submit_each, items), C.WORK_CHUNK)

    def _open(self) -> None:
        self.local.queue = ReviewQueue(self.queue.store.target, policy=self.queue.policy,
                                       busy_timeout_ms=self.queue.store.busy_timeout_ms,
                                       clock=self.queue._clock)  # the caller's clock signs the times

    def _submit(self, job: DraftJob, draft: Draft) -> CustomerOutcome:
        return self.planner.drafted(job, draft, self.local.queue)

    def _submit_each(self, items: list[tuple[DraftJob, Draft]]) -> list[Outcome]:
        return [run_one(self._submit, job, draft) for job, draft in items]

    async def drafted(self, job: DraftJob, draft: Draft) -> CustomerOutcome:
        outcome: CustomerOutcome = await self.handoff.run((job, draft))
        return outcome

    def close(self) -> None:
        self.worker.submit(lambda: self.local.queue.close()).result()
        self.worker.shutdown()


class _CustomerModel:
    """The batch's model for one customer: each request takes one of the ``concurrency`` places.

    The place for the first request is taken before the customer's drafting starts (``held``), so a
    note's deadline runs from its first request, and a customer still waiting when the batch stops
    is not started.
    """

    def __init__(self, model: ChatModel, slots: asyncio.Semaphore) -> None:
        self.model, self.slots, self.held = model, slots, True

    @property
    def name(self) -> str:
        return self.model.name

    def complete(self, request: ChatRequest) -> ChatResult:
        raise AssertionError("batch drafting asks the model with acomplete")

    async def acomplete(self, request: ChatRequest) -> ChatResult:
        if self.held:
            self.held = False
            try:
                return await self.model.acomplete(request)
            finally:
                self.slots.release()
        async with self.slots:
            return await self.model.acomplete(request)

    def release_unused(self) -> None:
        if self.held:
            self.held = False
            self.slots.release()


class _Run:
    """One ``adraft_many`` call: the planner, the loop options, why it stopped, the progress bar."""

    def __init__(self, planner: Planner, bar: Any, offload: Offload | None, slots: asyncio.Semaphore) -> None:
        """``slots``: the model requests allowed at once."""
        self.planner, self.bar, self.offload, self.slots = planner, bar, offload, slots
        self.writer = _QueueWriter(planner.queue, planner) if planner.queue is not None else None
        self.stopped: str | None = None  # why no more customers are started
        self.tally: Counter[str] = Counter()
        self.cost: float | None = 0.0  # None once a call had no price: the total is unknown

    async def draft(self, customer: Customer) -> CustomerOutcome:
        """One customer, start to queue; every exception becomes the customer's outcome.

        With an executor, planning and the checks run in it; the model is asked here.
        """
        customer_id, job, draft = "?", None, None
        try:
            customer_id = customer_id_of(customer)
            offload = self.offload
            if offload is None:
                planned = self.planner.plan(customer)
            else:
                planned = await offload.plan(customer, self.planner.queued_for(customer))
            if isinstance(planned, CustomerOutcome):
                return planned
            job = planned
            await self.slots.acquire()  # a place for the first request: planned customers wait here
            model = _CustomerModel(self.planner.model, self.slots)
            try:
                if self.stopped is not None:
                    return Planner.outcome(customer_id, "not_started", self.stopped, job)
                draft = await arun_job(job, model, offload.check if offload is not None else None)
            finally:
                model.release_unused()
            return await self.writer.drafted(job, draft) if self.writer else self.planner.drafted(job, draft)
        except CostCapError as exc:
            self.stopped = self.stopped or NOT_STARTED_COST_CAP
            if job is None or not job.results:
                return Planner.outcome(customer_id, "not_started", NOT_STARTED_COST_CAP, job, error=exc)
            return Planner.outcome(customer_id, "failed", "", job, error=exc)
        except Exception as exc:  # noqa: BLE001 - one customer's error never stops the others' results
            if not isinstance(exc, PersonalNoteError):
                self.stopped = self.stopped or NOT_STARTED_AFTER_BUG
            return Planner.outcome(customer_id, "failed", "", job, error=exc, draft=draft)

    async def each(self, histories: Iterable[Customer],
                   semaphore: asyncio.Semaphore) -> list[CustomerOutcome]:
        """Start each customer when the semaphore allows, until the batch stops; outcomes in input order."""
        outcomes: list[CustomerOutcome | None] = []

        async def one(index: int, customer: Customer) -> None:
            try:
                outcomes[index] = outcome = await self.draft(customer)
                self.record(outcome)
            finally:
                semaphore.release()

        customers = enumerate(histories)
        failed: Exception | None = None
        async with asyncio.TaskGroup() as group:
            while True:
                try:
                    index, customer = next(customers)
                except StopIteration:
                    break
                except Exception as exc:  # noqa: BLE001 - the input failed (a stream's bad line): the
                    failed = exc          # customers in flight finish, then its own typed error is raised
                    break
                outcomes.append(None)
                if self.stopped is None:
                    await semaphore.acquire()
                    if self.stopped is None:
                        group.create_task(one(index, customer))
                        continue
                    semaphore.release()
                left = CustomerOutcome(customer_id_of(customer), "not_started", self.stopped)
                outcomes[index] = left
                self.record(left)
        if failed is not None:
            raise failed
        return [o for o in outcomes if o is not None]

    def record(self, outcome: CustomerOutcome) -> None:
        self.tally[outcome.status] += 1
        if outcome.cost_usd is None:
            self.cost = None
        elif self.cost is not None:
            self.cost += outcome.cost_usd
        cost = "cost unknown" if self.cost is None else f"${self.cost:.4f}"
        self.bar.set_postfix_str(", ".join(f"{n} {s.replace('_', ' ')}" for s, n in self.tally.items())
                                 + f", {cost}", refresh=False)
        self.bar.update(1)


async def adraft_many(histories: Iterable[Customer], **options: Unpack[ManyOptions]) -> BatchResult:
    """Draft a note for every customer, ``concurrency`` at a time (see the module docstring).

    The keyword arguments are the ``ManyOptions``: the batch's own (``as_of``, ``model``,
    ``queue``, ``concurrency``, ``max_cost_usd``, ``progress``, ``source``) and the
    ``DraftOptions`` every note is drafted with.

    Example::

        result = await adraft_many(data.customers, as_of=as_of, queue=queue, max_cost_usd=1.0)
    """
    draft_options = settle(options, caller="adraft_many", own=_BATCH_KEYS)
    concurrency = options.get("concurrency", C.DRAFT_CONCURRENCY)
    max_cost_usd = options.get("max_cost_usd")
    if concurrency < 1:
        raise ConfigurationError(f"concurrency must be at least 1, not {concurrency}")
    if max_cost_usd is not None and max_cost_usd < 0:
        raise ConfigurationError(f"max_cost_usd must be 0 or more, not {max_cost_usd}")
    chat_model = resolve_model(options.get("model"))
    price = price_table(draft_options["prices"]).get(chat_model.name)
    if max_cost_usd is not None and price is None:
        raise ConfigurationError(f"no price for model {chat_model.name!r}, so a cost cap cannot be kept: "
                                 f"pass prices={{{chat_model.name!r}: (input, output)}} in USD per 1M tokens")
    meter = _CostMeter(max_cost_usd, price, TokenCounter(chat_model.name))
    planner = Planner(options.get("as_of"), _MeteredModel(chat_model, meter), options.get("queue"),
                      draft_options, options.get("source"), caller="adraft_many")
    executor, workers = options.get("executor"), options.get("workers")
    # made before the progress bar and the queue's writer start their threads
    offload = None if executor is None and workers is None else Offload(executor, workers, planner.settings)
    start = time.perf_counter()
    try:
        with progress_bar(histories, options.get("progress"), "drafting") as bar:
            run = _Run(planner, bar, offload, asyncio.Semaphore(concurrency))
            try:
                outcomes = await run.each(histories, asyncio.Semaphore(concurrency * C.CUSTOMERS_AHEAD))
            finally:
                if run.writer is not None:
                    run.writer.close()
                close = getattr(chat_model, "aclose", None)  # OpenAIChatModel: its connections, in this loop
                if close is not None:
                    await close()
    finally:
        if offload is not None:
            offload.close()
    result = BatchResult(tuple(outcomes), time.perf_counter() - start, max_cost_usd)
    raise_unexpected(result)
    return result


class _Boxed:
    """The result of ``asyncio.run``'s main task, with a short repr: Python 3.11 formats that task's repr
    when ``asyncio.run`` restores the SIGINT handler, and a result of 1,000 drafts takes 0.4 s to print."""

    __slots__ = ("result",)

    def __init__(self, result: BatchResult) -> None:
        self.result = result

    def __repr__(self) -> str:
        return f"<draft_many: {len(self.result.outcomes)} outcomes>"


async def _boxed(run: Awaitable[BatchResult]) -> _Boxed:
    return _Boxed(await run)


def draft_many(histories: Iterable[Customer], **options: Unpack[ManyOptions]) -> BatchResult:
    """Synchronous ``adraft_many``: the same arguments, run to the end.

    In a notebook or an async application (an event loop is running), use ``await adraft_many(...)``.

    Example::

        result = draft_many(data.customers, as_of=as_of, queue=ReviewQueue("review.sqlite3"))
        print(result.summary())
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_boxed(adraft_many(histories, **options))).result
    raise ConfigurationError("draft_many cannot run inside a running event loop (a notebook or an async "
                             "application): use `await personalnote.adraft_many(...)` there")
