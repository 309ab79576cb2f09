"""Planning a batch, shared by live drafting (``_batch``) and the Batch API files (``_batch_api``): the
``Planner`` (per customer the moment or no note, the review queue's key to skip, the prompt, and
queueing a draft), the progress bar, ``plan_each`` and ``raise_unexpected`` for the customers' bugs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sized
from pathlib import Path
from typing import Any

from ._batch_report import BatchResult, CustomerOutcome, OutcomeStatus, failure_reason
from ._batch_work import NamedModel, WorkSettings, plan_customer
from ._chat import ChatModel
from ._checks import CheckPolicy, recheck_template
from ._context import CustomerContext
from ._draft import Customer, prompt_name
from ._draft_types import Draft
from ._errors import BatchError
from ._experiment import experiment_of
from ._instants import AsOf, parse_instant
from ._job import DraftJob
from ._options import DraftOptions
from ._prompts import load_prompt
from ._queue_types import DraftKey
from ._review import ReviewQueue

__all__ = ["Planner", "Source", "customer_id_of", "plan_each", "progress_bar", "raise_unexpected"]

Source = str | Path | Mapping[str, str | Path] | None


def customer_id_of(customer: Customer) -> str:
    return customer.customer_id if isinstance(customer, CustomerContext) else customer.customer.id


class Planner:
    """Per customer: the moment (or no note), the queue's key (skip), then the prompt.

    Shared by live drafting and the Batch API files, so both skip, plan and queue alike.
    """

    def __init__(self, as_of: AsOf | None, model: ChatModel, queue: ReviewQueue | None,
                 options: DraftOptions, source: Source = None, *, caller: str = "draft_many") -> None:
        """``options`` are settled (every key present); ``as_of`` is checked here, once for the batch."""
        self.as_of = parse_instant(as_of, caller=caller) if as_of is not None else None
        self.model, self.queue, self.source, self.caller = model, queue, source, caller
        self.options = options
        self.experiment = experiment_of(options["prompts"], options["experiment"], caller=caller)
        #: the prompt, or None in an experiment (each customer's arm)
        self.template = None if self.experiment else load_prompt(prompt_name(options, model))
        self.settings = WorkSettings(self.as_of, options, NamedModel(model.name, prompt_name(options, model)),
                                     self.template, caller)
        self.queued: dict[str, dict[DraftKey, int]] = {}  # by customer: a worker is sent its own
        for key, queue_id in (queue.open_keys() if queue is not None else {}).items():
            self.queued.setdefault(key.customer_id, {})[key] = queue_id
        #: the queue re-checks a draft with its policy and the prompt its re-check finds: when those are
        #: drafting's own, the draft's findings are the queue's and are not computed twice
        self.default_policy = queue is not None and (queue.policy or CheckPolicy()) == CheckPolicy()

    def plan(self, customer: Customer) -> CustomerOutcome | DraftJob:
        """The job to ask the model, or the outcome when there is nothing to ask (no note, queued)."""
        return plan_customer(customer, self.settings, self.queued_for(customer), self.model)

    def queued_for(self, customer: Customer) -> dict[DraftKey, int]:
        """The customer's open drafts in the queue."""
        return self.queued.get(customer_id_of(customer), {}) if self.queued else {}

    def drafted(self, job: DraftJob, draft: Draft, queue: ReviewQueue | None = None) -> CustomerOutcome:
        """Queue the draft (in ``queue``, else the planner's queue, if any) and say so."""
        queue = queue if queue is not None else self.queue
        source = self.source_of(draft.customer_id)
        if queue is None:
            queue_id = None
        elif self.default_policy and recheck_template(draft) == job.template:
            full = job.ctx.with_facts(draft.moment.facts)
            queue_id = queue._submit_checked(draft, full, source, draft.findings)
        else:
            queue_id = queue.submit(draft, job.ctx, source=source).id
        return self.outcome(job.ctx.customer_id, "drafted", "", job, draft=draft, queue_id=queue_id)

    def source_of(self, customer_id: str) -> str | Path | None:
        if isinstance(self.source, Mapping):
            return self.source.get(customer_id)
        return self.source

    @staticmethod
    def outcome(customer_id: str, status: OutcomeStatus, reason: str, job: DraftJob | None, *,
                error: BaseException | None = None, draft: Draft | None = None,
                queue_id: int | None = None) -> CustomerOutcome:
        """An outcome with the tokens and cost of every call made for the customer."""
        prompt, completion, cost = job.usage() if job is not None else (0, 0, 0.0)
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
              handle: Callable[[DraftJob], CustomerOutcome]) -> list[CustomerOutcome]:
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


def raise_unexpected(result: BatchResult) -> None:
    """``BatchError`` with the whole result when any customer hit an unexpected error (a bug)."""
    errors = {o.customer_id: o.error for o in result.outcomes if o.unexpected and o.error is not None}
    if errors:
        raise BatchError(result, errors) from next(iter(errors.values()))
