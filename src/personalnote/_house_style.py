"""House style: the notes a review queue's reviewers approved, as style examples for new drafts.

Every approved note (edited or not, exported or not) whose approval is in force and whose text has
no blocking finding becomes a ``StyleExample``: its body, with the other customer's names and
details replaced by placeholders (``_examples``). Drafting asks for the ``k`` most similar of the
same moment kind, never one to the customer being written to.

``ReviewQueue`` is itself a style source (``draft_note(..., house_style=queue, examples=3)``); a
``HouseStyle`` holds the examples of a queue read once, for a batch or a replay.

Example::

    with ReviewQueue("review.sqlite3") as queue:
        style = HouseStyle(queue)
        style.style_examples("milestone", about, "C-7", 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ._context import CustomerContext
from ._examples import StyleExample, about_text, fact_details, most_similar, style_example
from ._queue_types import QueuedDraft, State
from ._redact import locale_region

__all__ = ["APPROVED_STATES", "HouseStyle", "note_body"]

#: the states of a note its reviewers approved
APPROVED_STATES: tuple[State, ...] = ("approved", "exported")


class _Approved(Protocol):
    """What a house style reads from a review queue (``ReviewQueue`` has both)."""

    def drafts(self, states: Sequence[State] | None = None) -> list[QueuedDraft]: ...

    def context(self, draft_id: int) -> CustomerContext: ...


def note_body(queued: QueuedDraft) -> str:
    """The body of a queued draft's current text: without the greeting and the sign-off (closing line
    and signature block), whether the library's or a reviewer's own."""
    draft = queued.draft
    text = queued.text.strip()
    if text.startswith(draft.salutation) and draft.salutation:
        text = text[len(draft.salutation):].strip()
    else:
        first, _, rest = text.partition("\n\n")
        if rest and first.rstrip().endswith(",") and len(first.split()) <= 6:  # a reviewer's own greeting
            text = rest.strip()
    sign_off = f"{draft.closing}\n{draft.signature_block}".strip()
    if sign_off and text.endswith(sign_off):
        text = text[:-len(sign_off)].strip()
    elif draft.closing and f"\n\n{draft.closing}" in text:
        text = text[:text.rfind(f"\n\n{draft.closing}")].strip()
    return text


def example_of(queued: QueuedDraft, ctx: CustomerContext) -> StyleExample:
    """A queued, approved draft as a style example (its stored context gives the names and details)."""
    draft, profile = queued.draft, ctx.customer
    names = [profile.given_name, profile.family_name, profile.preferred_name,
             *(s.name for s in draft.signers)]
    facts = {**ctx.facts, **{f.id: f for f in draft.moment.facts}}
    opening = next((s.text for s in draft.sentences if s.author == "library"), None)
    p = draft.provenance
    return style_example(draft_id=queued.id, customer_id=queued.customer_id, kind=draft.moment.kind,
                         prompt=p.prompt, prompt_version=p.prompt_version, body=note_body(queued),
                         about=about_text(draft.moment, facts), names=[n for n in names if n],
                         details=fact_details(facts.values()), opening=opening,
                         region=locale_region(profile.locale))


class HouseStyle:
    """The approved notes of a review queue as style examples, read once (``refresh()`` reads again).

    Example::

        style = HouseStyle(queue)
        draft_many(histories, as_of=as_of, house_style=style, examples=3)
    """

    def __init__(self, queue: _Approved) -> None:
        self._queue = queue
        self._pool: list[StyleExample] | None = None

    @property
    def examples(self) -> list[StyleExample]:
        """Every approved note usable as an example, oldest first."""
        if self._pool is None:
            pool = []
            for queued in self._queue.drafts(APPROVED_STATES):
                if queued.approval is None or queued.blocking:
                    continue  # not signed as it stands, or signed over a blocking finding: not house style
                pool.append(example_of(queued, self._queue.context(queued.id)))
            self._pool = pool
        return list(self._pool)

    def refresh(self) -> None:
        """Read the queue again at the next use (after new approvals)."""
        self._pool = None

    def style_examples(self, kind: str, about: str, customer_id: str, k: int) -> list[StyleExample]:
        """At most ``k`` examples of moment ``kind``, most similar to ``about`` first, none to
        ``customer_id``."""
        return most_similar(about, self.examples, k, kind=kind, exclude_customer=customer_id)
