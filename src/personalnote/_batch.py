"""Drafting for many customers: bounded concurrency, a progress bar, resumable, a cost cap.

``adraft_many`` drafts each customer as ``adraft_note`` does, at most ``concurrency`` at a
time (an ``asyncio.Semaphore``); ``draft_many`` runs it from synchronous code.

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
from collections.abc import Callable, Iterable, Mapping, Sequence, Sized
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict, Unpack

from . import _constants as C
from ._batch_report import (
    NOT_STARTED_AFTER_BUG,
    NOT_STARTED_COST_CAP,
    BatchResult,
    CustomerOutcome,
    OutcomeStatus,
    failure_reason,
)
from ._chat import ChatModel, ChatRequest, ChatResult
from ._compose import Signer
from ._context import CustomerContext
from ._draft import Draft, Price, _Job, arun_job, cost_usd, new_job, plan_note, price_table
from ._errors import (
    BatchError,
    ConfigurationError,
    CostCapError,
    HistoryValidationError,
    InputFileError,
    PersonalNoteError,
    RecordProblem,
)
from ._history import Channel, CustomerHistory
from ._loaders import load
from ._moments import MomentReport
from ._prompts import load_prompt
from ._resolve import resolve_model
from ._review import DraftKey, ReviewQueue
from ._tokens import TokenCounter

__all__ = ["DraftSettings", "adraft_many", "draft_many", "load_customers"]

Customer = CustomerHistory | CustomerContext
Source = str | Path | Mapping[str, str | Path] | None


class DraftSettings(TypedDict, total=False):
    """How each note is drafted, as in ``draft_note`` (``moment`` is a kind)."""

    moment: str | None
    channel: Channel | None
    signers: Sequence[Signer]
    business_events: Sequence[Any]
    prompt: str
    max_prompt_tokens: int
    prices: dict[str, Price] | None


class ManyOptions(DraftSettings, total=False):
    """Everything ``draft_many`` takes after the histories."""

    as_of: datetime | None
    model: ChatModel | str | None
    queue: ReviewQueue | None
    concurrency: int
    max_cost_usd: float | None
    progress: bool | None
    source: Source
    max_reasks: int
    max_candidates: int
    max_total_tokens: int | None


def customer_id_of(customer: Customer) -> str:
    return customer.customer_id if isinstance(customer, CustomerContext) else customer.customer.id


class Planner:
    """Per customer: the moment (or no note), the queue's key (skip), then the prompt.

    Shared by live drafting and the Batch API files, so both skip, plan and queue alike.
    """

    def __init__(self, as_of: datetime | None, model: ChatModel, queue: ReviewQueue | None,
                 settings: DraftSettings, source: Source = None) -> None:
        self.as_of, self.model, self.queue, self.source = as_of, model, queue, source
        self.settings = settings
        self.template = load_prompt(settings.get("prompt", "note"))
        self.queued = queue.open_keys() if queue is not None else {}

    def plan(self, customer: Customer) -> CustomerOutcome | _Job:
        """The job to ask the model, or the outcome when there is nothing to ask (no note, queued)."""
        s = self.settings
        plan = plan_note(customer, self.as_of, s.get("moment"), s.get("business_events", ()))
        if isinstance(plan, MomentReport):
            reasons = tuple(plan.no_note_reasons)
            return CustomerOutcome(plan.customer_id, "no_note", ", ".join(r.code for r in reasons),
                                   no_note_reasons=reasons)
        ctx, moment = plan
        key = DraftKey(ctx.customer_id, moment.key, ctx.context_hash(), self.template.name,
                       self.template.version)
        if key in self.queued:
            return CustomerOutcome(ctx.customer_id, "skipped", "already queued", queue_id=self.queued[key])
        return new_job(ctx, moment, channel=s.get("channel"), model=self.model, signers=s.get("signers", ()),
                       prompt=s.get("prompt", "note"), prices=s.get("prices"),
                       max_prompt_tokens=s.get("max_prompt_tokens", C.MAX_PROMPT_TOKENS))

    def drafted(self, job: _Job, draft: Draft, queue: ReviewQueue | None = None) -> CustomerOutcome:
        """Queue the draft (in ``queue``, else the planner's queue, if any) and say so."""
        queue = queue if queue is not None else self.queue
        item = queue.submit(draft, job.ctx, source=self.source_of(draft.customer_id)) if queue else None
        return self.outcome(job.ctx.customer_id, "drafted", "", job, draft=draft,
                            queue_id=item.id if item else None)

    def source_of(self, customer_id: str) -> str | Path | None:
        if isinstance(self.source, Mapping):
            return self.source.get(customer_id)
        return self.source

    @staticmethod
    def outcome(customer_id: str, status: OutcomeStatus, reason: str, job: _Job | None, *,
                error: BaseException | None = None, draft: Draft | None = None,
                queue_id: int | None = None) -> CustomerOutcome:
        """An outcome with the tokens and cost of every call made for the customer."""
        results = job.results if job is not None else []
        prompt = sum(r.prompt_tokens for r in results)
        completion = sum(r.completion_tokens for r in results)
        cost = cost_usd(job.prices.get(job.model.name), prompt, completion) if job is not None else 0.0
        return CustomerOutcome(customer_id, status, reason or (failure_reason(error) if error else ""),
                               draft=draft, queue_id=queue_id, error=error, prompt_tokens=prompt,
                               completion_tokens=completion, cost_usd=cost)


def progress_bar(histories: Iterable[Any], enabled: bool | None, description: str) -> Any:
    """A tqdm bar, a widget in notebooks (``tqdm.auto``); ``None`` shows it only on a terminal."""
    from tqdm.auto import tqdm

    total = len(histories) if isinstance(histories, Sized) else None
    return tqdm(total=total, desc=description, unit="customer", dynamic_ncols=True,
                disable=None if enabled is None else not enabled)


def plan_each(histories: Iterable[Customer], planner: Planner, progress: bool | None, description: str,
              handle: Callable[[_Job], CustomerOutcome]) -> list[CustomerOutcome]:
    """Plan each customer in turn and ``handle`` each job; any error is that customer's outcome."""
    outcomes: list[CustomerOutcome] = []
    with progress_bar(histories, progress, description) as bar:
        for customer in histories:
            customer_id, job = "?", None
            try:
                customer_id = customer_id_of(customer)
                planned = planner.plan(customer)
                if isinstance(planned, CustomerOutcome):
                    outcomes.append(planned)
                else:
                    job = planned
                    outcomes.append(handle(job))
            except Exception as exc:  # noqa: BLE001 - reported per customer; bugs are raised at the end
                outcomes.append(Planner.outcome(customer_id, "failed", "", job, error=exc))
            bar.update(1)
    return outcomes


def load_customers(path: Path) -> tuple[list[CustomerHistory], list[Any], dict[str, Path]]:
    """The customers in a file or in a folder's .json files, the business events, and each one's file.

    A customer id found in two files is a ``HistoryValidationError``.
    """
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files:
        raise InputFileError(path, "no .json customer files in this folder")
    histories: list[CustomerHistory] = []
    events: list[Any] = []
    sources: dict[str, Path] = {}
    problems: list[RecordProblem] = []
    for file in files:
        data = load(file)
        events.extend(data.business_events)
        for index, history in enumerate(data.customers):
            if history.customer.id in sources:
                problems.append(RecordProblem(
                    str(file), index, history.customer.id, "customer.id",
                    f"duplicate customer id (also in {sources[history.customer.id]})",
                    "one record per customer"))
            sources.setdefault(history.customer.id, file.resolve())
            histories.append(history)
    if problems:
        raise HistoryValidationError(problems)
    return histories, events, sources


def raise_unexpected(result: BatchResult) -> None:
    """``BatchError`` with the whole result when any customer hit an unexpected error (a bug)."""
    errors = {o.customer_id: o.error for o in result.outcomes if o.unexpected and o.error is not None}
    if errors:
        raise BatchError(result, errors) from next(iter(errors.values()))


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

    def _open(self) -> None:
        self.local.queue = ReviewQueue(self.queue.path, policy=self.queue.policy,
                                       busy_timeout_ms=self.queue.store.busy_timeout_ms,
                                       clock=self.queue._clock)  # the caller's clock signs the times

    def _submit(self, job: _Job, draft: Draft) -> CustomerOutcome:
        return self.planner.drafted(job, draft, self.local.queue)

    async def drafted(self, job: _Job, draft: Draft) -> CustomerOutcome:
        return await asyncio.get_running_loop().run_in_executor(self.worker, self._submit, job, draft)

    def close(self) -> None:
        self.worker.submit(lambda: self.local.queue.close()).result()
        self.worker.shutdown()


class _Run:
    """One ``adraft_many`` call: the planner, the loop options, why it stopped, the progress bar."""

    def __init__(self, planner: Planner, bar: Any, max_reasks: int, max_candidates: int,
                 max_total_tokens: int | None) -> None:
        self.planner, self.bar = planner, bar
        self.writer = _QueueWriter(planner.queue, planner) if planner.queue is not None else None
        self.max_reasks, self.max_candidates = max_reasks, max_candidates
        self.max_total_tokens = max_total_tokens
        self.stopped: str | None = None  # why no more customers are started
        self.tally: Counter[str] = Counter()
        self.cost = 0.0

    async def draft(self, customer: Customer) -> CustomerOutcome:
        """One customer, start to queue; every exception becomes the customer's outcome."""
        customer_id, job, draft = "?", None, None
        try:
            customer_id = customer_id_of(customer)
            planned = self.planner.plan(customer)
            if isinstance(planned, CustomerOutcome):
                return planned
            job = planned
            draft = await arun_job(job, max_reasks=self.max_reasks, max_candidates=self.max_candidates,
                                   max_total_tokens=self.max_total_tokens)
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

        async with asyncio.TaskGroup() as group:
            for index, customer in enumerate(histories):
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
        return [o for o in outcomes if o is not None]

    def record(self, outcome: CustomerOutcome) -> None:
        self.tally[outcome.status] += 1
        self.cost += outcome.cost_usd or 0.0
        self.bar.set_postfix_str(", ".join(f"{n} {s.replace('_', ' ')}" for s, n in self.tally.items())
                                 + f", ${self.cost:.4f}", refresh=False)
        self.bar.update(1)


async def adraft_many(
    histories: Iterable[Customer],
    *,
    as_of: datetime | None = None,
    model: ChatModel | str | None = None,
    queue: ReviewQueue | None = None,
    concurrency: int = C.DRAFT_CONCURRENCY,
    max_cost_usd: float | None = None,
    progress: bool | None = None,
    source: Source = None,
    max_reasks: int = C.VALIDATION_REASKS,
    max_candidates: int = C.MAX_CANDIDATES,
    max_total_tokens: int | None = None,
    **settings: Unpack[DraftSettings],
) -> BatchResult:
    """Draft a note for every customer, ``concurrency`` at a time (see the module docstring).

    ``source`` is recorded with each queued draft: a path, or customer id → path.
    ``progress``: True, False, or None (a bar only on a terminal or in a notebook).

    Example::

        result = await adraft_many(data.customers, as_of=as_of, queue=queue, max_cost_usd=1.0)
    """
    if concurrency < 1:
        raise ConfigurationError(f"concurrency must be at least 1, not {concurrency}")
    if max_cost_usd is not None and max_cost_usd < 0:
        raise ConfigurationError(f"max_cost_usd must be 0 or more, not {max_cost_usd}")
    chat_model = resolve_model(model)
    price = price_table(settings.get("prices")).get(chat_model.name)
    if max_cost_usd is not None and price is None:
        raise ConfigurationError(f"no price for model {chat_model.name!r}, so a cost cap cannot be kept: "
                                 f"pass prices={{{chat_model.name!r}: (input, output)}} in USD per 1M tokens")
    meter = _CostMeter(max_cost_usd, price, TokenCounter(chat_model.name))
    planner = Planner(as_of, _MeteredModel(chat_model, meter), queue, settings, source)
    start = time.perf_counter()
    with progress_bar(histories, progress, "drafting") as bar:
        run = _Run(planner, bar, max_reasks, max_candidates, max_total_tokens)
        try:
            outcomes = await run.each(histories, asyncio.Semaphore(concurrency))
        finally:
            if run.writer is not None:
                run.writer.close()
            close = getattr(chat_model, "aclose", None)  # OpenAIChatModel: its connections, in this loop
            if close is not None:
                await close()
    result = BatchResult(tuple(outcomes), time.perf_counter() - start, max_cost_usd)
    raise_unexpected(result)
    return result


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
        return asyncio.run(adraft_many(histories, **options))
    raise ConfigurationError("draft_many cannot run inside a running event loop (a notebook or an async "
                             "application): use `await personalnote.adraft_many(...)` there")
