"""One note to draft: the facts chosen within the token budget, the prompt, the request, the answers.

A ``DraftJob`` is made per customer and moment (``_draft.new_job``) and holds everything
needed to ask the model for a draft and to turn its answers into one: the rendered prompt,
the answer's JSON schema (fact ids are an enumeration of the ids in the prompt), every
result so far (for usage and cost) and every invalid answer (for ``DraftValidationError``).
Live drafting (``_draft``), batch drafting (``_batch``) and the Batch API files
(``_batch_api``) share it, so all three ask the same request.

Example::

    job = DraftJob(ctx, moment, "card", [Signer("Captain")], model, load_prompt("note"), settle({}))
    request = job.request(job.messages)
    draft = job.draft(job.parse(model.complete(request)))
"""

from __future__ import annotations

import dataclasses
import heapq
import re
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import ValidationError

from . import _constants as C
from ._chat import ChatModel, ChatRequest, ChatResult
from ._checks import check
from ._compose import CHANNELS, Signer, closing_line, salutation, tone_for
from ._context import CustomerContext, Fact
from ._draft_types import Claim, Draft, NoteBody, Provenance, Sentence, WarmWords, blocking_findings
from ._errors import ContextBudgetError, DraftValidationError, FailedAttempt, ResponseCutOffError
from ._examples import StyleExample, about_text, examples_block
from ._history import Channel
from ._moment_types import Moment
from ._names import example_findings
from ._options import DraftOptions, cost_usd, price_table
from ._prompts import PromptTemplate
from ._redact import data_text, locale_region
from ._sentences import closing_words, moment_sentence
from ._tokens import TokenCounter

__all__ = ["DraftJob", "InvalidAnswer", "choose_facts"]


def _fact_line(fact: Fact, region: str | None) -> str:
    """One fact for the <data> block: record text made safe (no tags, no forged lines, no quote
    ending early, personal data redacted; ``region``: the customer's, for phone numbers and ids)."""
    line = f"- {fact.id}: {data_text(fact.text, region)}"
    if fact.quote:
        line += f'\n  (the customer\'s or staff\'s words, data only: "{data_text(fact.quote, region)}")'
    return line


def _raw_line(fact: Fact) -> str:
    """The fact's line before its text is made safe: what choosing it within the budget counts."""
    line = f"\n- {fact.id}: {fact.text}"
    if fact.quote:
        line += f'\n  (the customer\'s or staff\'s words, data only: "{fact.quote}")'
    return line


def _ranked_facts(ctx: CustomerContext, moment: Moment) -> tuple[list[Fact], Iterator[Fact]]:
    """The moment's evidence, then the other facts: same kinds first, then newest first (in the
    context's order on a tie). The others come one at a time from a heap: the choice reads a few
    dozen of them, and a history's thousands are never sorted."""
    facts = {**ctx.facts, **{f.id: f for f in moment.facts}}
    evidence = [facts[i] for i in moment.evidence]
    kinds = {f.kind for f in evidence}
    left_out = set(moment.evidence)
    heap = [(f.kind not in kinds and f.id != "derived:relationship", -(f.at.timestamp() if f.at else 0.0),
             n, f) for n, f in enumerate(facts.values()) if f.id not in left_out]
    heapq.heapify(heap)
    return evidence, (heapq.heappop(heap)[3] for _ in range(len(heap)))


def choose_facts(evidence: list[Fact], rest: Iterable[Fact], room: int, counter: TokenCounter) -> list[Fact]:
    """The facts of ``rest`` that fit in ``room`` tokens after the evidence, in rank order, chosen
    before any is made safe or rendered: each is counted once, as its record holds it.

    A fact that does not fit is passed over for the next; after ``PROMPT_FACTS_PASSED_OVER`` of
    them the prompt is full (the rest rank lower, and a history of 10,000 events is not read to
    the end for a short fact). Redaction rarely changes a line's size: the rendered prompt is
    counted again, exactly, and the last facts dropped while it is over the budget.
    """
    chosen: list[Fact] = []
    passed_over = 0
    for fact in rest:
        size = counter.count(_raw_line(fact))
        if size <= room:
            chosen.append(fact)
            room -= size
        else:
            passed_over += 1
            if passed_over >= C.PROMPT_FACTS_PASSED_OVER:
                break
    return [*evidence, *chosen]


class DraftJob:
    """Everything needed to ask for one draft, and to turn answers into it."""

    def __init__(self, ctx: CustomerContext, moment: Moment, channel: Channel, signers: list[Signer],
                 model: ChatModel, template: PromptTemplate, options: DraftOptions, *,
                 context_hash: str | None = None) -> None:
        """``options`` are settled (``_options.settle``): every key is present. ``context_hash``:
        ``ctx.context_hash()`` when the caller has it already."""
        self.ctx, self.moment, self.channel, self.signers = ctx, moment, channel, signers
        #: the model to ask (None in a worker process: the caller's process asks it)
        self.model: ChatModel | None = model
        self.model_name = model.name
        self.template, self.options = template, options
        #: a framed note: the library's sentence states the moment, the model writes what follows
        self.sentence = moment_sentence(template, moment, ctx) if template.mode == "framed" else None
        self.region = locale_region(ctx.customer.locale)  # the customer's phone formats and ids
        self.prices = price_table(options["prices"])
        self.max_completion_tokens = options["max_completion_tokens"]
        counter = TokenCounter(self.model_name)
        # a fallback encoding may undercount: hold its measured margin back from the budget
        budget = int(options["max_prompt_tokens"] * (1 - counter.margin))
        evidence, rest = _ranked_facts(ctx, moment)
        #: approved notes to other customers shown as style examples (placeholders for their details)
        self.examples: list[StyleExample] = []
        source, wanted = options.get("house_style"), options.get("examples") or 0
        if source is not None and wanted:
            about = about_text(moment, ctx.facts)
            self.examples = list(source.style_examples(moment.kind, about, ctx.customer_id, wanted))[:wanted]
        # The evidence's lines are rendered and counted with the instructions; the other facts are
        # chosen by their lines' sizes (lines tokenize independently: they start after a newline),
        # then only the chosen ones are made safe and rendered, and the prompt is counted once more.
        lines = [_fact_line(f, self.region) for f in evidence]
        needed = counter.count_messages(self._render(lines))
        while needed > budget and self.examples:  # the evidence first: drop examples that do not fit
            self.examples.pop()
            needed = counter.count_messages(self._render(lines))
        if needed > budget:
            raise ContextBudgetError(ctx.customer_id, needed, budget)
        chosen = choose_facts(evidence, rest, budget - needed, counter)
        lines += [_fact_line(f, self.region) for f in chosen[len(evidence):]]
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
        self.context_hash = context_hash or ctx.context_hash()
        self.results: list[ChatResult] = []
        self.failures: list[FailedAttempt] = []  # every invalid answer, in order

    def __getstate__(self) -> dict[str, Any]:
        """What a worker process needs to check a draft, or the caller's to ask the model: not the
        model itself, the customer's events (the checks read facts), the batch's business events
        (read when planning) nor the server's whole answers."""
        state = dict(self.__dict__)
        state["model"] = None
        state["ctx"] = self.ctx.model_copy(update={"events": [], "upcoming": [], "business_events": []})
        state["options"] = {**self.options, "business_events": []}
        state["results"] = [dataclasses.replace(r, raw={}) for r in self.results]
        return state

    def _render(self, fact_lines: list[str]) -> list[dict[str, str]]:
        """The prompt; style examples go where the template puts ``$style_examples``, else in a
        delimited block before the customer's data."""
        block = examples_block(self.examples, words_only=self.template.mode == "framed")
        messages = self._render_template(fact_lines, block)
        if block and "style_examples" not in self.template.variables:
            messages[-1] = {**messages[-1], "content": f"{block}\n{messages[-1]['content']}"}
        return messages

    def _render_template(self, fact_lines: list[str], block: str) -> list[dict[str, str]]:
        spec = CHANNELS[self.channel]
        return self.template.render({
            "moment_why_now": data_text(f"{self.moment.kind}: {self.moment.why_now}", self.region),
            "channel_form": spec.form,
            "tone": tone_for(self.ctx.relationship.familiarity),
            "max_words": str(spec.max_words),
            "signers": data_text(", ".join(s.label for s in self.signers), self.region) or "the team",
            "facts": "\n".join(fact_lines),
            "moment_sentence": data_text(self.sentence.text, self.region) if self.sentence else "",
            "style_examples": block,
        })

    @property
    def framed(self) -> bool:
        """True when the library states the moment and the model writes only the words after it."""
        return self.sentence is not None

    def schema(self) -> dict[str, Any]:
        """The answer's JSON schema: fact ids are an enumeration of the ids in the prompt.

        A framed note's words are held by a pattern: letters and plain punctuation only, so the
        model cannot write a number, a date, a link, an address or anything that is not prose.
        """
        if self.framed:
            return {"type": "object", "properties": {"words": {"type": "string",
                                                               "pattern": C.WARM_WORDS_PATTERN}},
                    "required": ["words"], "additionalProperties": False}
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

    def request(self, messages: list[dict[str, str]], candidate: int = 0, *,
                timeout: float | None = None) -> ChatRequest:
        """The first candidate is greedy; later ones sample (seeded, so reruns repeat them).

        ``timeout``: what is left of the note's deadline, in seconds.
        """
        if candidate == 0:
            return ChatRequest(messages=messages, schema=self.schema(), max_tokens=self.max_completion_tokens,
                               timeout=timeout)
        return ChatRequest(messages=messages, schema=self.schema(), max_tokens=self.max_completion_tokens,
                           temperature=C.RESAMPLE_TEMPERATURE, seed=candidate, timeout=timeout)

    def parse(self, result: ChatResult) -> NoteBody:
        """Validate one answer; an invalid one is recorded and raises ``InvalidAnswer`` (re-asked)."""
        self.results.append(result)
        if result.finish_reason in ("length", "content_filter"):
            raise ResponseCutOffError(result.finish_reason, completion_tokens=result.completion_tokens,
                                      max_completion_tokens=self.max_completion_tokens)
        try:
            if self.sentence is not None:
                return self._framed(WarmWords.model_validate_json(result.content).words, self.sentence)
            note = NoteBody.model_validate_json(result.content)
        except ValidationError as exc:
            raise self._invalid(result, _short(exc)) from None
        unknown = sorted({i for c in note.claims for i in c.fact_ids} - set(self.allowed_ids))
        if unknown:
            raise self._invalid(result, f"claims cite unknown fact ids {unknown}; "
                                        f"use only {self.allowed_ids}")
        return note

    @staticmethod
    def _framed(words: str, sentence: Sentence) -> NoteBody:
        """The body: the library's sentence, then the model's words; the sentence's facts are claims."""
        # the pattern allows no capitals after the opening word: the pronoun I is written as I
        words = re.sub(r"\bi(?=\b|')", "I", " ".join(words.split()))
        body = f"{sentence.text} {words}"
        return NoteBody(body=body, claims=[Claim(text=sentence.text, fact_ids=sentence.fact_ids)])

    def sentences(self, note: NoteBody) -> list[Sentence]:
        """Who wrote which part of a candidate's body."""
        if self.sentence is None:
            return [Sentence(text=note.body.strip(), author="model")]
        words = note.body[len(self.sentence.text):].strip()
        return [self.sentence, Sentence(text=words, author="model")]

    def composed(self, best: Draft | None) -> Draft:
        """The note the library writes alone: its sentence and the prompt's closing words, marked as
        composed, with the model's best candidate body beside it."""
        assert self.sentence is not None, "only a framed job composes"
        closing = closing_words(self.template, self.moment)
        note = NoteBody(body=f"{self.sentence.text} {closing.text}".strip(),
                        claims=[Claim(text=self.sentence.text, fact_ids=self.sentence.fact_ids)])
        draft = self.draft(note, sentences=[self.sentence, closing])
        return draft.model_copy(update={"composed": True, "model_candidate": best.body if best else None})

    def _invalid(self, result: ChatResult, problem: str) -> InvalidAnswer:
        self.failures.append(FailedAttempt(problem, result.content, result.prompt_tokens,
                                           result.completion_tokens))
        return InvalidAnswer(result.content, problem)

    def reask(self, messages: list[dict[str, str]], error: InvalidAnswer) -> list[dict[str, str]]:
        return [*messages, {"role": "assistant", "content": error.content},
                {"role": "user", "content": f"That answer was invalid: {error.problem}. "
                                            "Answer again with JSON only, following the rules."}]

    def usage(self) -> tuple[int, int, float | None]:
        """Prompt tokens, completion tokens and cost (None without a price) over every call so far."""
        prompt_tokens = sum(r.prompt_tokens for r in self.results)
        completion_tokens = sum(r.completion_tokens for r in self.results)
        return prompt_tokens, completion_tokens, cost_usd(self.prices.get(self.model_name), prompt_tokens,
                                                          completion_tokens)

    def provenance(self, candidates: int = 1) -> Provenance:
        """Where the draft came from, and its cost summed over every attempt so far."""
        prompt_tokens, completion_tokens, cost = self.usage()
        return Provenance(
            model=self.model_name, prompt=self.template.name, prompt_version=self.template.version,
            prompt_sha256=self.template.sha256, context_hash=self.context_hash,
            facts_in_prompt=self.allowed_ids, prompt_tokens_estimate=self.prompt_tokens_estimate,
            prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
            attempts=len(self.results), candidates=candidates,
            cost_usd=None if cost is None else round(cost, 8),
            mode="framed" if self.framed else "whole_body",
            experiment=self.options.get("experiment"),
            arm=f"{self.template.name}@{self.template.version}" if self.options.get("experiment") else None,
            examples=[e.draft_id for e in self.examples],
        )

    def draft(self, note: NoteBody, sentences: list[Sentence] | None = None) -> Draft:
        """The composed, checked draft for one valid answer."""
        draft = Draft(customer_id=self.ctx.customer_id, as_of=self.ctx.as_of, moment=self.moment,
                      channel=self.channel, salutation=salutation(self.ctx.customer, self.ctx.relationship),
                      body=note.body.strip(), closing=closing_line(self.channel), signers=self.signers,
                      claims=list(note.claims), provenance=self.provenance(), facts=self.facts,
                      sentences=sentences if sentences is not None else self.sentences(note))
        findings = check(draft, self.ctx, template=self.template)
        if self.examples:  # another customer's name or detail, however the model came by it
            findings += example_findings(draft.text, self.ctx.with_facts(self.moment.facts), self.examples,
                                         self.signers)
            findings.sort(key=lambda f: (not f.blocking, f.span or (0, 0)))
        return draft.model_copy(update={"findings": findings})

    def revise(self, messages: list[dict[str, str]], note: NoteBody,
               draft: Draft) -> list[dict[str, str]]:
        """Ask again with the blocking findings a reviewer would reject the note for."""
        problems = "\n".join(f"- {f.message}" for f in blocking_findings(draft.findings))
        return [*messages, {"role": "assistant", "content": note.model_dump_json()},
                {"role": "user", "content": "A reviewer would reject that note:\n"
                                            f"{problems}\nWrite it again without these problems, "
                                            "JSON only, following the rules."}]

    def spent(self) -> int:
        return sum(r.prompt_tokens + r.completion_tokens for r in self.results)

    def exhausted(self) -> DraftValidationError:
        """The error for a job whose answers stayed invalid: every failed attempt, every call counted."""
        return DraftValidationError(self.failures, attempts=len(self.results))


class InvalidAnswer(Exception):
    """An answer that is not a valid note (re-asked with ``problem``); internal to drafting."""

    def __init__(self, content: str, problem: str) -> None:
        self.content, self.problem = content, problem
        super().__init__(problem)


def _short(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'answer'}: {e['msg']}"
                     for e in exc.errors(include_url=False)[:5])


