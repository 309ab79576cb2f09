"""The review queue's data: a draft's state, the reviewer who signs, a queued draft, its key.

Shared by the queue (``_review``), the export formats (``_export``), the notebook display
and widget; these types hold data and no process.

Example::

    alice = Reviewer("alice", "Alice Smith", "crew lead")
    item.state, item.version, item.text, item.approval   # a QueuedDraft from ReviewQueue.get
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from ._context import Fact
from ._draft_types import Draft, Finding, blocking_findings
from ._errors import ReviewError
from ._moment_types import Moment
from ._signatures import SignatureRecord

__all__ = ["DECIDABLE", "EDITABLE", "DraftKey", "QueuedDraft", "Reviewer", "State"]

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
    facts of the stored context (what the claims cite); ``signatures`` its record, oldest first.
    In a notebook it displays as HTML.
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

    def to_json_dict(self) -> dict[str, Any]:
        """A plain JSON-ready dict (what ``personalnote review show --json`` prints)."""
        p = self.draft.provenance
        return {
            "id": self.id, "state": self.state, "version": self.version, "text": self.text,
            "text_sha256": self.text_sha256, "edited": self.edited, "customer_id": self.customer_id,
            "channel": self.draft.channel, "as_of": self.draft.as_of.isoformat(),
            "moment": {"kind": self.moment.kind, "key": self.moment.key, "why_now": self.moment.why_now},
            "for_date": self.draft.for_date.isoformat() if self.draft.for_date else None,
            "model_text": self.draft.text, "claims": [c.model_dump() for c in self.draft.claims],
            "findings": [f.to_json_dict() for f in self.findings],
            "provenance": {"model": p.model, "prompt": p.prompt, "prompt_version": p.prompt_version,
                           "context_hash": p.context_hash},
            "source": self.source, "created_at": self.created_at, "updated_at": self.updated_at,
            "approval": self.approval.to_json_dict() if self.approval else None,
            "first_exported_at": self.first_exported_at, "last_exported_at": self.last_exported_at,
            "export_count": self.export_count,
        }

    def _repr_html_(self) -> str:
        from ._display import queued_html

        return queued_html(self)
