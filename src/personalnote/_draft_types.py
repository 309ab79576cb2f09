"""The draft's data: what a note states (claims), what the checks found, where it came from.

These types are shared by the steps that make a draft (``_draft``), read it (``_checks``),
queue it (``_review``) and show it (``_display``); they hold data and no process.

Example::

    draft.text                       # the note exactly as a person will read and sign it
    blocking_findings(draft.findings)  # what refuses approval unless a reviewer overrides it
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ._compose import Signer, signature_block
from ._context import Fact
from ._history import Channel
from ._moment_types import Moment

__all__ = ["Claim", "Draft", "Finding", "NoteBody", "Provenance", "Sentence", "Severity", "WarmWords",
           "blocking_findings"]

Severity = Literal["blocking", "warning"]


class Finding(BaseModel):
    """One problem in a note: what, how serious, where (character span) and why; ``fact_ids`` names
    the facts it is about when there are some (a repeat names the earlier note it repeats)."""

    model_config = ConfigDict(frozen=True)

    kind: str
    severity: Severity
    span: tuple[int, int] | None
    message: str
    fact_ids: tuple[str, ...] = ()

    @property
    def blocking(self) -> bool:
        """True when the finding refuses approval (unless a reviewer overrides it with a reason)."""
        return self.severity == "blocking"

    def to_json_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "severity": self.severity,
                "span": list(self.span) if self.span else None, "message": self.message,
                "fact_ids": list(self.fact_ids)}


def blocking_findings(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that refuse approval unless a reviewer overrides them, in order."""
    return [f for f in findings if f.blocking]


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


class WarmWords(BaseModel):
    """What the model returns for a framed note: the words that follow the library's sentence."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    words: str = Field(min_length=1)


class Sentence(BaseModel):
    """A part of the note's body and who wrote it: the library (a moment's facts, closing words) or
    the model; ``fact_ids`` are the facts a library sentence states."""

    model_config = ConfigDict(frozen=True)

    text: str
    author: Literal["library", "model"]
    fact_ids: list[str] = Field(default_factory=list)


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
    #: ``whole_body`` (the model wrote the body) or ``framed`` (the library stated the moment)
    mode: str = "whole_body"
    #: blocking findings of each candidate, in the order drafted, before one was kept
    candidate_blocking: list[int] = Field(default_factory=list)
    #: the experiment the draft was made in (``experiment=``), and its arm: the prompt as ``name@version``
    experiment: str | None = None
    arm: str | None = None
    #: the review queue ids of the approved notes shown to the model as style examples
    examples: list[int] = Field(default_factory=list)


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
    #: the body's parts and who wrote each (empty for a draft from before framed notes)
    sentences: list[Sentence] = Field(default_factory=list)
    #: True when no model candidate was clean and the library composed the note from its own words
    composed: bool = False
    #: the model's best candidate body, kept beside a composed note for the reviewer to see
    model_candidate: str | None = None

    @property
    def blocking(self) -> list[Finding]:
        return blocking_findings(self.findings)

    @property
    def for_date(self) -> date | None:
        """The day a note drafted ahead is for (the moment's day), None for a moment already past."""
        return self.moment.on if self.moment.ahead_of(self.as_of) else None

    @property
    def for_label(self) -> str:
        """'for 21 November' for a note drafted ahead, else ''."""
        return self.moment.for_label if self.for_date is not None else ""

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
                       "why_now": self.moment.why_now, "strength": round(self.moment.strength, 3),
                       "on": self.moment.on.isoformat() if self.moment.on else None,
                       "ready_by": self.moment.ready_by.isoformat() if self.moment.ready_by else None,
                       "for_date": self.for_date.isoformat() if self.for_date else None},
            "draft": {"text": self.text, "salutation": self.salutation, "body": self.body,
                      "closing": self.closing, "signature_block": self.signature_block,
                      "channel": self.channel,
                      "claims": [c.model_dump() for c in self.claims],
                      "composed": self.composed, "sentences": [s.model_dump() for s in self.sentences],
                      "model_candidate": self.model_candidate},
            "provenance": self.provenance.model_dump(),
            "findings": [f.to_json_dict() for f in self.findings],
            "facts": [{"id": f.id, "text": f.text} for f in self.facts],
        }

    def _repr_html_(self) -> str:
        from ._display import draft_html

        return draft_html(self)
