"""The review queue's data: a draft's state, the reviewer who signs, a queued draft, its key.

Shared by the queue (``_review``), the export formats (``_export``), the notebook display
and widget; these types hold data and no process.

Example::

    alice = Reviewer("alice", "Alice Smith", "crew lead")
    item.state, item.version, item.text, item.approval   # a QueuedDraft from ReviewQueue.get
    item.expires_at, item.expired(now)                    # when its moment stops being fresh
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple

from ._context import CustomerContext, Fact, Relationship
from ._draft_types import Draft, Finding, blocking_findings
from ._errors import ReviewError
from ._history import CustomerProfile
from ._instants import AsOf, instant_in
from ._moment_types import Moment
from ._signatures import SignatureRecord

__all__ = ["DECIDABLE", "EDITABLE", "DraftKey", "EditedDraft", "QueuedDraft", "Reviewer", "State",
           "context_from", "context_payload"]

State = Literal["drafted", "edited", "approved", "rejected", "exported"]
#: states a reviewer can approve or reject from
DECIDABLE: tuple[State, ...] = ("drafted", "edited")
#: states a reviewer can edit
EDITABLE: tuple[State, ...] = ("drafted", "edited", "approved")


@dataclass(frozen=True)
class Reviewer:
    """The person who signs: an id, the name printed under the signature, and a role."""

    id: str
    printed_name: str | None = None
    role: str = "reviewer"

    def __post_init__(self) -> None:
        if not self.id.strip() or not self.role.strip():
            raise ReviewError(None, "a reviewer needs a non-empty id and role, e.g. Reviewer('alice', "
                                    "'Alice Smith', 'crew lead')")

    @property
    def name(self) -> str:
        return self.printed_name or self.id


class DraftKey(NamedTuple):
    """What makes two drafts the same: the queue holds one per key (rejected drafts aside), and
    a batch re-run skips a customer whose key is queued."""

    customer_id: str
    moment_key: str
    context_hash: str
    prompt: str
    prompt_version: str

    @classmethod
    def of(cls, draft: Draft) -> DraftKey:
        p = draft.provenance
        return cls(draft.customer_id, draft.moment.key, p.context_hash, p.prompt, p.prompt_version)


@dataclass(frozen=True)
class QueuedDraft:
    """A draft in the queue: its state, current version and text, and the approval in force.

    ``draft`` is the model's draft as submitted; ``text`` is the current text (the model's, or
    a reviewer's edit) and ``findings`` are the checks of that text. ``approval`` is the
    signature that approves exactly this version and text, else ``None``. ``facts`` are the
    facts of the stored context (what the claims cite); ``signatures`` its record, oldest first;
    ``time_zone`` the customer's (IANA). ``expires_at`` is when its moment stops being fresh, and
    ``expired(as_of)`` says whether that has passed. In a notebook it displays as HTML.
    """

    id: int
    state: State
    version: int
    text: str
    text_sha256: str
    draft: Draft
    findings: tuple[Finding, ...]
    source: str | None
    created_at: str
    updated_at: str
    approval: SignatureRecord | None
    first_exported_at: str | None
    last_exported_at: str | None
    export_count: int
    facts: tuple[Fact, ...] = ()
    signatures: tuple[SignatureRecord, ...] = ()
    time_zone: str = "UTC"
    #: the customer's name as the stored context gives it (for search and display), else None
    customer_name: str | None = None

    @property
    def customer_id(self) -> str:
        return self.draft.customer_id

    @property
    def moment(self) -> Moment:
        return self.draft.moment

    @property
    def blocking(self) -> list[Finding]:
        return blocking_findings(self.findings)

    @property
    def edited(self) -> bool:
        return self.text != self.draft.text

    @property
    def expires_at(self) -> datetime:
        """When the draft's moment stops being fresh: its time plus its kind's freshness (the instant
        after which approval is refused with ``ExpiredDraftError``, and moment detection says ``stale``)."""
        return self.draft.moment.fresh_until

    def expired(self, as_of: AsOf) -> bool:
        """True when the moment is no longer fresh at ``as_of`` (an aware datetime, a date for the end of
        that day in the customer's time zone, or an ISO-8601 string), whatever the draft's state. The
        library never reads the clock: pass the instant to judge at.

        Example::

            [q.id for q in queue.pending() if q.expired(datetime.now(UTC))]
        """
        return instant_in(as_of, self.time_zone, name="as_of", caller="QueuedDraft.expired") > self.expires_at

    def to_json_dict(self) -> dict[str, Any]:
        """A plain JSON-ready dict (what ``personalnote review show --json`` prints)."""
        p = self.draft.provenance
        return {
            "id": self.id, "state": self.state, "version": self.version, "text": self.text,
            "text_sha256": self.text_sha256, "edited": self.edited, "customer_id": self.customer_id,
            "channel": self.draft.channel, "as_of": self.draft.as_of.isoformat(),
            "moment": {"kind": self.moment.kind, "key": self.moment.key, "why_now": self.moment.why_now},
            "for_date": self.draft.for_date.isoformat() if self.draft.for_date else None,
            "expires_at": self.expires_at.isoformat(),
            "model_text": self.draft.text, "claims": [c.model_dump() for c in self.draft.claims],
            "findings": [f.to_json_dict() for f in self.findings],
            "provenance": {"model": p.model, "prompt": p.prompt, "prompt_version": p.prompt_version,
                           "context_hash": p.context_hash, "experiment": p.experiment, "arm": p.arm},
            "source": self.source, "created_at": self.created_at, "updated_at": self.updated_at,
            "approval": self.approval.to_json_dict() if self.approval else None,
            "first_exported_at": self.first_exported_at, "last_exported_at": self.last_exported_at,
            "export_count": self.export_count,
        }

    def _repr_html_(self) -> str:
        from ._display import queued_html

        return queued_html(self)


class EditedDraft(Draft):
    """A draft whose text a person replaced, so the checks read the new text."""

    edited_text: str

    @property
    def text(self) -> str:
        return self.edited_text


def context_payload(ctx: CustomerContext) -> dict[str, Any]:
    """What the checks need from a context (its events are not kept: the checks never read them)."""
    return {"customer": ctx.customer.model_dump(mode="json"), "as_of": ctx.as_of.isoformat(),
            "facts": [f.model_dump(mode="json") for f in ctx.facts.values()],
            "relationship": ctx.relationship.model_dump(mode="json")}


def context_from(payload: dict[str, Any]) -> CustomerContext:
    """The context a draft was made from, as the queue stored it (``context_payload``)."""
    return CustomerContext(customer=CustomerProfile.model_validate(payload["customer"]),
                           as_of=datetime.fromisoformat(payload["as_of"]),
                           facts={f["id"]: Fact.model_validate(f) for f in payload["facts"]},
                           relationship=Relationship.model_validate(payload["relationship"]),
                           events=[], business_events=[])
