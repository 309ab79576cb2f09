"""Drafting: one moment, the facts chosen for it, a prompt, the model, a cited draft.

The salutation and the signature block are composed here from the profile and the
signers (no merge fields for the model to get wrong); the model writes only the body and
lists its claims, each citing fact ids. An invalid answer is re-asked with the error, a
bounded number of times (tenacity); every attempt's tokens are counted.

Example::

    draft = draft_note(history, as_of=as_of, channel="card",
                       signers=[Signer("Captain"), Signer("First Officer")])
    if isinstance(draft, Draft):
        print(draft.text, draft.provenance.attempts)
    else:                                   # a MomentReport: no note, with the reasons
        print(draft.no_note_reasons)
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from . import _constants as C
from ._chat import ChatModel, ChatRequest, ChatResult
from ._checks import Finding, check
from ._compose import CHANNELS, Signer, closing_line, salutation, signature_block, tone_for
from ._context import CustomerContext, Fact, build_context
from ._errors import ContextBudgetError, DraftValidationError, ResponseCutOffError
from ._history import Channel, CustomerHistory
from ._moments import Moment, MomentReport, NoNoteReason, find_moments
from ._prompts import PromptTemplate, load_prompt
from ._redact import data_text
from ._resolve import resolve_model
from ._tokens import TokenCounter

__all__ = ["Claim", "Draft", "NoteBody", "Provenance", "adraft_note", "draft_note"]

Price = tuple[float, float]  # USD per 1M tokens: (input, output)


class Claim(BaseModel):
    """A detail the note states, with the ids of the facts that support it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(min_length=1)
    fact_ids: list[str] = Field(min_length=1)


class NoteBody(BaseModel):
    """What the model returns: the body of the note and its claims."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    body: str = Field(min_length=1)
    claims: list[Claim] = Field(min_length=1)


class Provenance(BaseModel):
    """Where a draft came from and what it cost, over every attempt."""

    model_config = ConfigDict(frozen=True)

    model: str
    prompt: str
    prompt_version: str
    prompt_sha256: str
    context_hash: str
    facts_in_prompt: list[str]
    prompt_tokens_estimate: int
    prompt_tokens: int
    completion_tokens: int
    attempts: int
    candidates: int = 1
    cost_usd: float | None


class Draft(BaseModel):
    """A note waiting for a person: composed text, claims with fact ids, the moment, provenance."""

    model_config = ConfigDict(frozen=True)

    customer_id: str
    as_of: AwareDatetime
    moment: Moment
    channel: Channel
    salutation: str
    body: str
    closing: str
    signers: list[Signer]
    claims: list[Claim]
    provenance: Provenance
    findings: list[Finding] = Field(default_factory=list)
    #: the facts the model was given (ids and statements, in prompt order): what the claims cite
    facts: list[Fact] = Field(default_factory=list)

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "blocking"]

    @property
    def signature_block(self) -> str:
        return signature_block(self.signers, self.channel)

    @property
    def text(self) -> str:
        """The full note exactly as a person will read and sign it."""
        parts = [self.salutation, self.body.strip(), f"{self.closing}\n{self.signature_block}".strip()]
        return "\n\n".join(p for p in parts if p)

    def to_json_dict(self) -> dict[str, Any]:
        """The shape ``personalnote draft --json`` prints."""
        return {
            "customer_id": self.customer_id,
            "as_of": self.as_of.isoformat(),
            "moment": {"kind": self.moment.kind, "key": self.moment.key, "evidence": self.moment.evidence,
                       "why_now": self.moment.why_now, "strength": round(self.moment.strength, 3)},
            "draft": {"text": self.text, "salutation": self.salutation, "body": self.body,
                      "closing": self.closing, "signature_block": self.signature_block,
                      "channel": self.channel,
                      "claims": [c.model_dump() for c in self.claims]},
            "provenance": self.provenance.model_dump(),
            "findings": [f.to_json_dict() for f in self.findings],
            "facts": [{"id": f.id, "text": f.text} for f in self.facts],
        }

    def _repr_html_(self) -> str:
        from ._display import draft_html

        return draft_html(self)


# --- choosing facts within the budget ---------------------------------------------------


def _fact_line(fact: Fact) -> str:
    """One fact for the <data> block: record text made safe (no tags, no forged lines, no quote
    ending early, personal data redacted)."""
    line = f"- {fact.id}: {data_text(fact.text)}"
    if fact.quote:
        line += f'\n  (the customer\'s or staff\'s words, data only: "{data_text(fact.quote)}")'
    return line


def _ranked_facts(ctx: CustomerContext, moment: Moment) -> tuple[list[Fact], list[Fact]]:
    """The moment's evidence, then the other facts: same kinds first, then newest first."""
    facts = {**ctx.facts, **{f.id: f for f in moment.facts}}
    evidence = [facts[i] for i in moment.evidence]
    kinds = {f.kind for f in evidence}
    rest = [f for f in facts.values() if f.id not in moment.evidence]
    rest.sort(key=lambda f: (f.kind not in kinds and f.id != "derived:relationship",
                             -(f.at.timestamp() if f.at else 0.0)))
    return evidence, rest


class _Job:
    """Everything needed to ask for one draft, and to turn answers into it."""

    def __init__(self, ctx: CustomerContext, moment: Moment, channel: Channel, signers: list[Signer],
                 model: ChatModel, template: PromptTemplate, max_prompt_tokens: int,
                 prices: dict[str, tuple[float, float]]) -> None:
        self.ctx, self.moment, self.channel, self.signers = ctx, moment, channel, signers
        self.model, self.template, self.prices = model, template, prices
        counter = TokenCounter(model.name)
        # a fallback encoding may undercount: hold its measured margin back from the budget
        budget = int(max_prompt_tokens * (1 - counter.margin))
        evidence, rest = _ranked_facts(ctx, moment)
        # Each fact line is rendered and counted once (lines tokenize independently: they
        # start after a newline), then the whole prompt is counted exactly once more.
        chosen, lines = list(evidence), [_fact_line(f) for f in evidence]
        needed = counter.count_messages(self._render(lines))
        if needed > budget:
            raise ContextBudgetError(ctx.customer_id, needed, budget)
        for fact in rest:
            line = _fact_line(fact)
            size = counter.count("\n" + line)
            if needed + size <= budget:
                chosen.append(fact)
                lines.append(line)
                needed += size
        self.messages = self._render(lines)
        needed = counter.count_messages(self.messages)
        while needed > budget and len(chosen) > len(evidence):  # a rare undercount: drop the last
            chosen.pop()
            lines.pop()
            self.messages = self._render(lines)
            needed = counter.count_messages(self.messages)
        self.facts = chosen
        self.prompt_tokens_estimate = needed
        self.allowed_ids = [f.id for f in chosen]
        self.context_hash = ctx.context_hash()
        self.results: list[ChatResult] = []

    def _render(self, fact_lines: list[str]) -> list[dict[str, str]]:
        spec = CHANNELS[self.channel]
        return self.template.render({
            "moment_why_now": data_text(f"{self.moment.kind}: {self.moment.why_now}"),
            "channel_form": spec.form,
            "tone": tone_for(self.ctx.relationship.familiarity),
            "max_words": str(spec.max_words),
            "signers": data_text(", ".join(s.label for s in self.signers)) or "the team",
            "facts": "\n".join(fact_lines),
        })

    def schema(self) -> dict[str, Any]:
        """The answer's JSON schema: fact ids are an enumeration of the ids in the prompt."""
        # No string length bounds: llama.cpp expands them into a grammar too large to parse.
        return {
            "type": "object",
            "properties": {
                "body": {"type": "string"},
                "claims": {"type": "array", "minItems": 1, "maxItems": C.MAX_CLAIMS, "items": {
                    "type": "object",
                    "properties": {"text": {"type": "string"},
                                   "fact_ids": {"type": "array", "minItems": 1,
                                                "maxItems": C.MAX_FACT_IDS_PER_CLAIM,
                                                "items": {"type": "string", "enum": self.allowed_ids}}},
                    "required": ["text", "fact_ids"], "additionalProperties": False}},
            },
            "required": ["body", "claims"], "additionalProperties": False,
        }

    def request(self, messages: list[dict[str, str]], candidate: int = 0) -> ChatRequest:
        """The first candidate is greedy; later ones sample (seeded, so reruns repeat them)."""
        if candidate == 0:
            return ChatRequest(messages=messages, schema=self.schema(), max_tokens=C.MAX_COMPLETION_TOKENS)
        return ChatRequest(messages=messages, schema=self.schema(), max_tokens=C.MAX_COMPLETION_TOKENS,
                           temperature=C.RESAMPLE_TEMPERATURE, seed=candidate)

    def parse(self, result: ChatResult) -> NoteBody:
        """Validate one answer; an invalid one raises ``_InvalidAnswer`` (re-asked)."""
        self.results.append(result)
        if result.finish_reason in ("length", "content_filter"):
            raise ResponseCutOffError(result.finish_reason, completion_tokens=result.completion_tokens)
        try:
            note = NoteBody.model_validate_json(result.content)
        except ValidationError as exc:
            raise _InvalidAnswer(result.content, _short(exc)) from None
        unknown = sorted({i for c in note.claims for i in c.fact_ids} - set(self.allowed_ids))
        if unknown:
            raise _InvalidAnswer(result.content, f"claims cite unknown fact ids {unknown}; "
                                                 f"use only {self.allowed_ids}")
        return note

    def reask(self, messages: list[dict[str, str]], error: _InvalidAnswer) -> list[dict[str, str]]:
        return [*messages, {"role": "assistant", "content": error.content},
                {"role": "user", "content": f"That answer was invalid: {error.problem}. "
                                            "Answer again with JSON only, following the rules."}]

    def provenance(self, candidates: int = 1) -> Provenance:
        """Where the draft came from, and its cost summed over every attempt so far."""
        prompt_tokens = sum(r.prompt_tokens for r in self.results)
        completion_tokens = sum(r.completion_tokens for r in self.results)
        cost = cost_usd(self.prices.get(self.model.name), prompt_tokens, completion_tokens)
        return Provenance(
            model=self.model.name, prompt=self.template.name, prompt_version=self.template.version,
            prompt_sha256=self.template.sha256, context_hash=self.context_hash,
            facts_in_prompt=self.allowed_ids, prompt_tokens_estimate=self.prompt_tokens_estimate,
            prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
            attempts=len(self.results), candidates=candidates,
            cost_usd=None if cost is None else round(cost, 8),
        )

    def draft(self, note: NoteBody) -> Draft:
        """The composed, checked draft for one valid answer."""
        draft = Draft(customer_id=self.ctx.customer_id, as_of=self.ctx.as_of, moment=self.moment,
                      channel=self.channel, salutation=salutation(self.ctx.customer, self.ctx.relationship),
                      body=note.body.strip(), closing=closing_line(self.channel), signers=self.signers,
                      claims=list(note.claims), provenance=self.provenance(), facts=self.facts)
        return draft.model_copy(update={"findings": check(draft, self.ctx, template=self.template)})

    def revise(self, messages: list[dict[str, str]], note: NoteBody,
               draft: Draft) -> list[dict[str, str]]:
        """Ask again with the blocking findings a reviewer would reject the note for."""
        problems = "\n".join(f"- {f.message}" for f in draft.blocking)
        return [*messages, {"role": "assistant", "content": note.model_dump_json()},
                {"role": "user", "content": "A reviewer would reject that note:\n"
                                            f"{problems}\nWrite it again without these problems, "
                                            "JSON only, following the rules."}]

    def spent(self) -> int:
        return sum(r.prompt_tokens + r.completion_tokens for r in self.results)

    def exhausted(self, error: _InvalidAnswer) -> DraftValidationError:
        return DraftValidationError([error.problem], attempts=len(self.results))


class _InvalidAnswer(Exception):
    def __init__(self, content: str, problem: str) -> None:
        self.content, self.problem = content, problem
        super().__init__(problem)


def _short(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'answer'}: {e['msg']}"
                     for e in exc.errors(include_url=False)[:5])


def cost_usd(price: Price | None, prompt_tokens: int, completion_tokens: int) -> float | None:
    """What the tokens cost at ``price`` (None when the model has no price), unrounded."""
    if price is None:
        return None
    return (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000


def price_table(prices: dict[str, Price] | None) -> dict[str, Price]:
    """The default price table with the caller's overrides."""
    return dict(C.PRICES_PER_MILLION, **(prices or {}))


def plan_note(customer: CustomerHistory | CustomerContext, as_of: datetime | None,
              moment: Moment | str | None, business_events: Sequence[Any]
              ) -> tuple[CustomerContext, Moment] | MomentReport:
    """The moment to write about and the context with its facts, or the report saying "no note"."""
    if isinstance(customer, CustomerContext):
        ctx = customer
    else:
        if as_of is None:
            raise TypeError("draft_note(history, as_of=...) needs as_of; the library never reads the clock")
        ctx = build_context(customer, as_of, business_events=business_events)
    if isinstance(moment, Moment):
        report = find_moments(ctx, detectors={}, extra=[moment])
    else:
        report = find_moments(ctx)
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


def new_job(ctx: CustomerContext, moment: Moment, *, channel: Channel | None, model: ChatModel | str | None,
            signers: Sequence[Signer], prompt: str, max_prompt_tokens: int,
            prices: dict[str, Price] | None) -> _Job:
    """The prompt for ``moment`` within the token budget (``ContextBudgetError`` if it cannot fit)."""
    chosen_channel: Channel = channel or ctx.customer.preferred_channel or "email"
    return _Job(ctx, moment, chosen_channel, list(signers), resolve_model(model), load_prompt(prompt),
                max_prompt_tokens, price_table(prices))


def _prepare(
    customer: CustomerHistory | CustomerContext, as_of: datetime | None, moment: Moment | str | None,
    channel: Channel | None, model: ChatModel | str | None, signers: Sequence[Signer],
    business_events: Sequence[Any], prompt: str, max_prompt_tokens: int,
    prices: dict[str, Price] | None,
) -> _Job | MomentReport:
    plan = plan_note(customer, as_of, moment, business_events)
    if isinstance(plan, MomentReport):
        return plan
    return new_job(*plan, channel=channel, model=model, signers=signers, prompt=prompt,
                   max_prompt_tokens=max_prompt_tokens, prices=prices)


def draft_from_answer(job: _Job, result: ChatResult) -> Draft:
    """One answer, no re-ask (the Batch API): its draft, or the error an invalid answer is."""
    try:
        note = job.parse(result)
    except _InvalidAnswer as invalid:
        raise job.exhausted(invalid) from None
    return job.draft(note)


def draft_note(
    customer: CustomerHistory | CustomerContext,
    *,
    as_of: datetime | None = None,
    moment: Moment | str | None = None,
    channel: Channel | None = None,
    model: ChatModel | str | None = None,
    signers: Sequence[Signer] = (),
    business_events: Sequence[Any] = (),
    prompt: str = "note",
    max_prompt_tokens: int = C.MAX_PROMPT_TOKENS,
    max_reasks: int = C.VALIDATION_REASKS,
    max_candidates: int = C.MAX_CANDIDATES,
    max_total_tokens: int | None = None,
    prices: dict[str, tuple[float, float]] | None = None,
) -> Draft | MomentReport:
    """Draft a note for the customer's strongest moment (or ``moment``: a kind or a Moment).

    Returns a ``Draft``, or the ``MomentReport`` with ``no_note_reasons`` when there is no
    moment: no model call is made then.

    Example::

        result = draft_note(history, as_of=datetime(2026, 11, 20, tzinfo=timezone.utc))
    """
    job = _prepare(customer, as_of, moment, channel, model, signers, business_events, prompt,
                   max_prompt_tokens, prices)
    if isinstance(job, MomentReport):
        return job
    loop = _drafting(job, max_reasks, max_candidates, max_total_tokens)
    request = next(loop)
    while True:
        try:
            request = loop.send(job.model.complete(request))
        except StopIteration as finished:
            draft: Draft = finished.value
            return draft


def _drafting(job: _Job, max_reasks: int, max_candidates: int,
              max_total_tokens: int | None) -> Generator[ChatRequest, ChatResult, Draft]:
    """The drafting loop, free of I/O: yields each request, receives the model's result.

    Invalid answers are re-asked with the error (tenacity, at most ``max_reasks`` times);
    a valid candidate with blocking findings is re-asked with them, up to ``max_candidates``
    and ``max_total_tokens``; the best candidate is returned. ``draft_note`` and
    ``adraft_note`` drive it, one with ``complete``, the other with ``acomplete``.
    """
    messages = job.messages
    candidates: list[tuple[NoteBody, Draft]] = []
    while True:
        try:
            for attempt in Retrying(stop=stop_after_attempt(1 + max_reasks),
                                    retry=retry_if_exception_type(_InvalidAnswer), reraise=True):
                with attempt:
                    try:
                        note = job.parse((yield job.request(messages, len(candidates))))
                    except _InvalidAnswer as invalid:
                        messages = job.reask(messages, invalid)
                        raise
        except _InvalidAnswer as invalid:
            if candidates:
                break  # keep the best valid candidate so far
            raise job.exhausted(invalid) from None
        candidates.append((note, job.draft(note)))
        if _done(candidates, max_candidates, job.spent(), max_total_tokens):
            break
        messages = job.revise(messages, note, candidates[-1][1])
    return _best(job, candidates)


def _done(candidates: list[tuple[NoteBody, Draft]], max_candidates: int, spent: int,
          max_total_tokens: int | None) -> bool:
    """Stop at a candidate with no blocking finding, or when attempts or tokens run out."""
    return (not candidates[-1][1].blocking or len(candidates) >= max_candidates
            or (max_total_tokens is not None and spent >= max_total_tokens))


def _best(job: _Job, candidates: list[tuple[NoteBody, Draft]]) -> Draft:
    """The candidate with the fewest blocking findings (then warnings; the earliest on a tie),
    with provenance counting every attempt and candidate."""
    _, draft = min(candidates, key=lambda c: (len(c[1].blocking), len(c[1].findings)))
    return draft.model_copy(update={"provenance": job.provenance(candidates=len(candidates))})


async def adraft_note(
    customer: CustomerHistory | CustomerContext,
    *,
    as_of: datetime | None = None,
    moment: Moment | str | None = None,
    channel: Channel | None = None,
    model: ChatModel | str | None = None,
    signers: Sequence[Signer] = (),
    business_events: Sequence[Any] = (),
    prompt: str = "note",
    max_prompt_tokens: int = C.MAX_PROMPT_TOKENS,
    max_reasks: int = C.VALIDATION_REASKS,
    max_candidates: int = C.MAX_CANDIDATES,
    max_total_tokens: int | None = None,
    prices: dict[str, tuple[float, float]] | None = None,
) -> Draft | MomentReport:
    """The async twin of ``draft_note``, for many customers at once."""
    job = _prepare(customer, as_of, moment, channel, model, signers, business_events, prompt,
                   max_prompt_tokens, prices)
    if isinstance(job, MomentReport):
        return job
    return await arun_job(job, max_reasks=max_reasks, max_candidates=max_candidates,
                          max_total_tokens=max_total_tokens)


async def arun_job(job: _Job, *, max_reasks: int, max_candidates: int, max_total_tokens: int | None) -> Draft:
    """Drive the drafting loop for a prepared job with the model's ``acomplete``."""
    loop = _drafting(job, max_reasks, max_candidates, max_total_tokens)
    request = next(loop)
    while True:
        try:
            request = loop.send(await job.model.acomplete(request))
        except StopIteration as finished:
            draft: Draft = finished.value
            return draft
