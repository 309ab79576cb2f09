"""Drafting: one moment, the facts chosen for it, a prompt, the model, a cited draft.

The salutation and the signature block are composed from the profile and the signers (no
merge fields for the model to get wrong); the model writes only the body and lists its
claims, each citing fact ids. An invalid answer is re-asked with the error, a bounded
number of times (tenacity); every attempt's tokens are counted. A valid candidate with
blocking findings is re-asked with them; the best candidate is kept.

Example::

    draft = draft_note(history, as_of=as_of, channel="card",
                       signers=[Signer("Captain"), Signer("First Officer")])
    if isinstance(draft, Draft):
        print(draft.text, draft.provenance.attempts)
    else:                                   # a MomentReport: no note, with the reasons
        print(draft.no_note_reasons)
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, Unpack

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from . import _constants as C
from ._chat import ChatModel, ChatRequest, ChatResult
from ._compose import signers_from
from ._context import CustomerContext, build_context
from ._draft_types import Draft, NoteBody
from ._errors import ArgumentError
from ._experiment import experiment_of
from ._history import Channel, CustomerHistory
from ._instants import AsOf, parse_instant
from ._job import DraftJob, InvalidAnswer
from ._moment_types import Detector, Moment, MomentReport, NoNoteReason
from ._moments import find_moments
from ._options import DraftOptions, deadline_seconds, settle
from ._prompts import PromptTemplate, load_prompt
from ._resolve import resolve_model

__all__ = ["CheckStep", "adraft_note", "arun_job", "draft_from_answer", "draft_note", "new_job", "plan_note",
           "prompt_name", "run_job", "template_for"]

Customer = CustomerHistory | CustomerContext


def plan_note(customer: Customer, as_of: AsOf | None,
              moment: Moment | str | None, business_events: Sequence[Any], channel: str | None = None, *,
              caller: str = "draft_note", detectors: dict[str, Detector] | None = None
              ) -> tuple[CustomerContext, Moment] | MomentReport:
    """The moment to write about and the context with its facts, or the report saying "no note".

    ``as_of``: an aware datetime, a date (the end of that day in the customer's time zone) or an
    ISO-8601 string of either (``InstantError`` else).
    ``channel`` sets how far ahead moments are seen (a letter needs days; see ``MomentPolicy``).
    ``detectors``: the registered ones unless given (a worker process is given the caller's)."""
    if isinstance(customer, CustomerContext):
        ctx = customer
    elif isinstance(customer, CustomerHistory):
        if as_of is None:
            raise TypeError("draft_note(history, as_of=...) needs as_of; the library never reads the clock")
        ctx = build_context(customer, parse_instant(as_of, caller=caller), business_events=business_events)
    else:
        raise ArgumentError("customer", customer, "a CustomerHistory (load(path).customers[i]) or a "
                            "CustomerContext (build_context(history, as_of))", caller=caller)
    if isinstance(moment, Moment):
        report = find_moments(ctx, detectors={}, extra=[moment], channel=channel)
    else:
        report = find_moments(ctx, channel=channel, detectors=detectors)
        if moment is not None and not report.no_note:
            wanted = [m for m in report.moments if m.kind == moment]
            if not wanted:
                reason = NoNoteReason(code="no_moment", message=f"no {moment} moment as of "
                                      f"{ctx.local_date(ctx.as_of)}")
                return report.model_copy(update={"moments": [], "no_note_reasons": [reason]})
            report = report.model_copy(update={"moments": wanted})
    if report.best is None:
        return report
    return ctx.with_facts(report.best.facts), report.best


def new_job(ctx: CustomerContext, moment: Moment, model: ChatModel | str | None,
            options: DraftOptions, *, context_hash: str | None = None,
            template: PromptTemplate | None = None) -> DraftJob:
    """The prompt for ``moment`` within the token budget (``ContextBudgetError`` if it cannot fit).

    ``options`` are settled (every key present); ``context_hash``: ``ctx.context_hash()``, when the
    caller computed it already (it reads every fact); ``template``: the prompt, when the caller
    loaded it already (else ``template_for``'s: the customer's arm in an experiment).
    """
    channel: Channel = options["channel"] or ctx.customer.preferred_channel or C.DEFAULT_CHANNEL
    chat_model = resolve_model(model)
    return DraftJob(ctx, moment, channel, list(signers_from(options["signers"])), chat_model,
                    template or template_for(options, chat_model, ctx.customer_id), options,
                    context_hash=context_hash)


def template_for(options: DraftOptions, model: ChatModel, customer_id: str) -> PromptTemplate:
    """The prompt to draft the customer's note with: in an experiment (``prompts`` and ``experiment``),
    the customer's arm; else ``prompt_name``'s."""
    experiment = experiment_of(options.get("prompts"), options.get("experiment"))
    if experiment is not None:
        return experiment.arm_for(customer_id).template
    return load_prompt(prompt_name(options, model))


def prompt_name(options: DraftOptions, model: ChatModel) -> str:
    """The prompt to draft with: the option, else the model's own default, else ``note``.

    The embedded model defaults to ``framed`` (the library states the moment; measured in
    ``bench/note_quality.py``); a model may name its default in a ``default_prompt`` attribute.
    """
    return options["prompt"] or str(getattr(model, "default_prompt", None) or C.DEFAULT_PROMPT)


def _prepare(customer: Customer, as_of: AsOf | None, model: ChatModel | str | None,
             options: DraftOptions, caller: str) -> DraftJob | MomentReport:
    plan = plan_note(customer, as_of, options["moment"], options["business_events"], options["channel"],
                     caller=caller)
    if isinstance(plan, MomentReport):
        return plan
    return new_job(*plan, model, options)


def draft_from_answer(job: DraftJob, result: ChatResult) -> Draft:
    """One answer, no re-ask (the Batch API): its draft, or the error an invalid answer is."""
    try:
        note = job.parse(result)
    except InvalidAnswer:
        raise job.exhausted() from None
    return job.draft(note)


def draft_note(customer: Customer, *, as_of: AsOf | None = None,
               model: ChatModel | str | None = None, **options: Unpack[DraftOptions]) -> Draft | MomentReport:
    """Draft a note for the customer's strongest moment (or ``moment``: a kind or a Moment).

    ``customer`` is a history (then ``as_of`` is required: the library never reads the clock)
    or a context. ``as_of``: an aware datetime, a date (the end of that day in the customer's
    time zone) or an ISO-8601 string of either.
    ``model``: a ``ChatModel``, a name, or None (``resolve_model``). The other keyword
    arguments are the ``DraftOptions`` (channel, signers, prompt, limits, deadline, prices).
    Returns a ``Draft``, or the ``MomentReport`` with ``no_note_reasons`` when there is no
    moment: no model call is made then. An argument in no accepted form is an ``ArgumentError``
    that lists the accepted ones.

    Example::

        result = draft_note(history, as_of="2026-11-20T18:00:00Z", channel="card",
                            signers=["Captain", "First Officer:J. Reyes"])
    """
    job = _prepare(customer, as_of, model, settle(options), "draft_note")
    if isinstance(job, MomentReport):
        return job
    return run_job(job)


def run_job(job: DraftJob) -> Draft:
    """Drive the drafting loop for a prepared job with the model's ``complete``."""
    chat_model = job.model
    assert chat_model is not None, "a job made in this process has its model"
    loop = _drafting(job)
    step = next(loop)
    while True:
        try:
            step = loop.send(chat_model.complete(step) if isinstance(step, ChatRequest) else step.run(job))
        except StopIteration as finished:
            draft: Draft = finished.value
            return draft


@dataclass(frozen=True)
class CheckStep:
    """A valid answer for the driver to turn into a checked draft (``run``): the checks are the
    drafting loop's CPU-bound part, so a driver may run them in another process.

    ``note`` is a candidate's body; with ``composed``, the note the library composes alone (with
    ``note``, if any, the model's best candidate beside it).
    """

    note: NoteBody | None = None
    best: Draft | None = None
    composed: bool = False

    def run(self, job: DraftJob) -> Draft:
        if self.composed:
            return job.composed(self.best)
        assert self.note is not None, "a candidate's check has its note"
        return job.draft(self.note)


Step = ChatRequest | CheckStep


def _drafting(job: DraftJob) -> Generator[Step, ChatResult | Draft, Draft]:
    """The drafting loop, free of I/O: yields each request, receives the model's result; yields each
    candidate to check (``CheckStep``), receives its checked draft.

    Invalid answers are re-asked with the error (tenacity, at most ``max_reasks`` times). A
    valid candidate with blocking findings is followed by another, up to ``max_candidates``,
    ``max_total_tokens`` and ``max_seconds``: a whole-body note is re-asked with the findings; a
    framed note is sampled again (seeded), since a small model mostly repeats itself when told
    what was wrong. The cleanest candidate is kept; when no framed candidate is clean, the note the
    library composes alone is. Each request carries what is left of the note's deadline
    (``deadline_seconds``); past it no new candidate is started. ``draft_note`` and ``adraft_note``
    drive it, with ``complete`` and ``acomplete``.
    """
    options, template = job.options, job.template
    max_reasks = options["max_reasks"]
    max_candidates = options["max_candidates"] or template.candidates or C.MAX_CANDIDATES
    max_seconds = options["max_seconds"] if options["max_seconds"] is not None else template.seconds
    started = time.monotonic()  # a budget for the work, not a fact: the library never reads the date
    deadline = started + deadline_seconds(options["deadline_seconds"])  # settled: already in seconds
    messages = job.messages
    candidates: list[Draft] = []
    while True:
        try:
            for attempt in Retrying(stop=stop_after_attempt(1 + max_reasks),
                                    retry=retry_if_exception_type(InvalidAnswer), reraise=True):
                with attempt:
                    try:
                        request = job.request(messages, len(candidates), timeout=deadline - time.monotonic())
                        answer = yield request
                        assert isinstance(answer, ChatResult), "a request is answered by the model"
                        note = job.parse(answer)
                    except InvalidAnswer as invalid:
                        messages = job.reask(messages, invalid)
                        raise
        except InvalidAnswer:
            if candidates or job.framed:
                break  # keep the best valid candidate so far (a framed note can be composed)
            raise job.exhausted() from None
        checked = yield CheckStep(note)
        assert isinstance(checked, Draft), "a candidate is answered with its checked draft"
        candidates.append(checked)
        now = time.monotonic()
        out_of_time = now >= deadline or (max_seconds is not None and now - started >= max_seconds)
        if out_of_time or _done(candidates, max_candidates, job.spent(), options["max_total_tokens"]):
            break
        messages = job.messages if job.framed else job.revise(messages, note, candidates[-1])
    best = min(candidates, key=lambda d: (len(d.blocking), len(d.findings))) if candidates else None
    if job.framed and (best is None or best.blocking):
        composed = yield CheckStep(best=best, composed=True)
        assert isinstance(composed, Draft), "a composed note is answered with its checked draft"
        best = composed
    return _best(job, candidates, best)


def _done(candidates: list[Draft], max_candidates: int, spent: int, max_total_tokens: int | None) -> bool:
    """Stop at a candidate with no blocking finding, or when attempts or tokens run out."""
    return (not candidates[-1].blocking or len(candidates) >= max_candidates
            or (max_total_tokens is not None and spent >= max_total_tokens))


def _best(job: DraftJob, candidates: list[Draft], best: Draft | None) -> Draft:
    """``best``: the candidate with the fewest blocking findings (then warnings; the earliest on a
    tie), or the composed note when a framed job has no clean candidate; provenance counts every
    attempt and candidate, and each candidate's blocking findings."""
    assert best is not None, "a whole-body job with no valid candidate raised DraftValidationError"
    provenance = job.provenance(candidates=len(candidates)).model_copy(
        update={"candidate_blocking": [len(d.blocking) for d in candidates]})
    return best.model_copy(update={"provenance": provenance})


async def adraft_note(customer: Customer, *, as_of: AsOf | None = None,
                      model: ChatModel | str | None = None, **options: Unpack[DraftOptions]
                      ) -> Draft | MomentReport:
    """The async twin of ``draft_note``, for many customers at once.

    Example::

        drafts = await asyncio.gather(*(adraft_note(h, as_of=as_of) for h in histories))
    """
    job = _prepare(customer, as_of, model, settle(options, caller="adraft_note"), "adraft_note")
    if isinstance(job, MomentReport):
        return job
    return await arun_job(job)


async def arun_job(job: DraftJob, model: ChatModel | None = None,
                   check: Callable[[DraftJob, CheckStep], Awaitable[Draft]] | None = None) -> Draft:
    """Drive the drafting loop for a prepared job with ``model``'s ``acomplete`` (default: the job's).

    ``check`` runs each ``CheckStep`` (default: here, ``step.run(job)``); a batch may run them in
    an executor while the model calls stay in this event loop.
    """
    chat_model = model or job.model
    assert chat_model is not None, "a job is driven with a model"
    loop = _drafting(job)
    step = next(loop)
    while True:
        if isinstance(step, ChatRequest):
            answer: ChatResult | Draft = await chat_model.acomplete(step)
        else:
            answer = await check(job, step) if check is not None else step.run(job)
        try:
            step = loop.send(answer)
        except StopIteration as finished:
            draft: Draft = finished.value
            return draft
