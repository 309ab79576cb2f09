"""The review queue: drafts wait here until a person approves, edits or rejects them.

States: ``drafted`` → ``approved`` | ``rejected`` | ``edited`` (a new text, checked again,
needing its own approval) → ``exported``. Every decision is one transaction, makes the next
``version`` of the draft and appends a signature naming that version and the SHA-256 of its
text; an edit after an approval voids it. A decision names the version the reviewer read:
when someone else decided first, it fails with ``StaleDraftError`` (optimistic concurrency),
never overwriting their decision.

Approval re-checks the facts: it takes the customer's current history, runs moment detection
again and refuses (``MomentGoneError``, with the no-note reasons) when the draft's moment is
no longer found; a draft whose moment is no longer fresh at that instant is refused first
(``ExpiredDraftError``, a ``MomentGoneError`` with the reason ``stale``). Blocking findings refuse
approval unless the reviewer overrides them with a reason (an ``override`` signature).

Example::

    queue = ReviewQueue("review.sqlite3")        # or ReviewQueue("postgresql://app@db.internal/notes")
    item = queue.submit(draft, ctx, source="customers.jsonl")
    alice = Reviewer("alice", "Alice Smith", "crew lead")
    item = queue.approve(item.id, alice, version=item.version, current=history, as_of=now)
    queue.export("card", "cards.html")
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import _constants as C
from ._chat import ChatModel
from ._checks import CheckPolicy, check
from ._context import CustomerContext, Fact, build_context
from ._draft_types import Draft, Finding, blocking_findings
from ._errors import (
    BlockingFindingsError,
    ContextMismatchError,
    DraftNotFoundError,
    ExpiredDraftError,
    MomentGoneError,
    ReviewError,
    RoleError,
    StaleDraftError,
    TransitionError,
)
from ._examples import StyleExample
from ._experiment_stats import ExperimentQueries
from ._form import whole_note
from ._history import CustomerHistory, CustomerProfile
from ._house_style import HouseStyle
from ._instants import AsOf
from ._moment_types import Moment, NoNoteReason
from ._moments import find_moments
from ._outcomes import OutcomeRecords
from ._queue_types import DECIDABLE, EDITABLE, DraftKey, QueuedDraft, Reviewer, State
from ._queue_types import EditedDraft as _EditedDraft
from ._queue_types import context_from as _context_from
from ._queue_types import context_payload as _context_payload
from ._redraft import guidance_text, redraft
from ._review_export import ExportRecords
from ._reviewers import ApprovalPolicy, ReviewerAccount, account_of, accounts, add_account, disable_account
from ._signatures import (
    DEV_KEYS,
    KeyInput,
    Meaning,
    SignatureRecord,
    SigningKeys,
    append_signature,
    decision_subject,
    diff_against,
    draft_problems,
    resolve_signing_keys,
    sha256_text,
    signature_rows,
)
from ._store import Row, Store, Tx, reading_row, store_location

__all__ = ["ReviewQueue", "approval_in_force"]


def approval_in_force(row: Row, approval: SignatureRecord | None,
                      keys: SigningKeys = DEV_KEYS) -> bool:
    """True when ``approval`` approves this row's exact version, text and customer and is itself intact
    (its MAC under ``keys``). Whether it is the draft's last decision is ``draft_problems``' to say."""
    return (approval is not None and approval.approves and approval.draft_id == row["id"]
            and row["state"] in ("approved", "exported") and approval.version == row["version"]
            and approval.text_sha256 == row["text_sha256"] == sha256_text(row["text"])
            and approval.customer_id == row["customer_id"]
            and approval.expected_hash(keys) == approval.row_hash)


class ReviewQueue(ExportRecords, OutcomeRecords, ExperimentQueries):
    """Drafts and their review history in one SQLite file, or in PostgreSQL (see the module docstring).

    ``path``: argument, else ``$PERSONALNOTE_STORE``, else the per-user default; a ``postgresql://``
    URL puts the queue in PostgreSQL (``personalnote[postgres]``), shared by reviewers on many
    machines, with the same guarantees (see ``init_postgres_store``). ``policy`` is
    used to check edited texts. ``clock`` gives the signing time (UTC now by default).
    ``signing_key`` (one secret, or key ids to secrets) and ``signing_key_id`` key the signature
    record; else ``$PERSONALNOTE_SIGNING_KEY`` (and ``_ID``), else ``$PERSONALNOTE_SIGNING_KEY_FILE``,
    else the public development key, which ``verify()`` reports as not tamper-proof.
    ``record_outcome`` records what a customer did after a note went out (``_outcomes``);
    ``experiment(name)`` reports an experiment's arms (``_experiment_stats``).
    ``export`` and ``verify`` come from ``_review_export``.
    ``create=False`` (or ``ReviewQueue.open``) opens an existing store only: a path with no store
    is a ``StoreNotFoundError``, so a typo never becomes a new, empty store. ``approval_policy``
    (an ``ApprovalPolicy``) refuses an approval by a role that may not approve the draft's channel
    (``RoleError``); without it every role may approve.
    """

    def __init__(self, path: str | Path | None = None, *, policy: CheckPolicy | None = None,
                 busy_timeout_ms: int = C.STORE_BUSY_TIMEOUT_MS,
                 clock: Callable[[], datetime] | None = None, signing_key: KeyInput | None = None,
                 signing_key_id: str | None = None, create: bool = True,
                 approval_policy: ApprovalPolicy | None = None) -> None:
        self.keys = resolve_signing_keys(signing_key, signing_key_id)
        self.store = Store(store_location(path), busy_timeout_ms=busy_timeout_ms, create=create)
        self.policy = policy
        self.approval_policy = approval_policy
        self._clock = clock or (lambda: datetime.now(UTC))
        self._house_style: HouseStyle | None = None

    @classmethod
    def open(cls, path: str | Path | None = None, **options: Any) -> ReviewQueue:
        """The existing store at ``path`` (else ``$PERSONALNOTE_STORE``, else the default); never creates one.

        ``options`` are the constructor's keywords. A path with no store is a ``StoreNotFoundError``.

        Example::

            with ReviewQueue.open("review.sqlite3") as queue:
                queue.pending()
        """
        return cls(path, **{**options, "create": False})

    @property
    def path(self) -> str | Path:
        """The SQLite file, or the PostgreSQL URL without its password."""
        return self.store.path

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> ReviewQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _repr_html_(self) -> str:
        from ._display import queue_html

        return queue_html(self, as_of=self._clock())  # expiry judged at the queue's clock

    def _now(self) -> str:
        return self._clock().astimezone(UTC).isoformat(timespec="seconds")

    # --- reading ---------------------------------------------------------------------------

    def _queued(self, row: Row, tx: Tx | Store) -> QueuedDraft:
        with reading_row(self.path, "drafts", row):
            return self._read_queued(row, tx)

    def _read_queued(self, row: Row, tx: Tx | Store) -> QueuedDraft:
        signatures = tuple(signature_rows(tx, row["id"]))
        # the approval in force is the draft's own last signature (one read fewer than looking it up)
        last = signatures[-1] if signatures else None
        approval = last if last is not None and last.seq == row["approval_seq"] else None
        in_force = approval_in_force(row, approval, self.keys) and not draft_problems(row, list(signatures))
        context = json.loads(row["context"])
        return QueuedDraft(
            id=row["id"], state=row["state"], version=row["version"], text=row["text"],
            text_sha256=row["text_sha256"], draft=Draft.model_validate_json(row["draft"]),
            findings=tuple(Finding.model_validate(f) for f in json.loads(row["findings"])),
            source=row["source"], created_at=row["created_at"], updated_at=row["updated_at"],
            approval=approval if in_force else None,
            first_exported_at=row["first_exported_at"], last_exported_at=row["last_exported_at"],
            export_count=row["export_count"],
            facts=tuple(Fact.model_validate(f) for f in context["facts"]),
            signatures=signatures, time_zone=str(context["customer"].get("time_zone") or "UTC"),
            customer_name=CustomerProfile.model_validate(context["customer"]).display_name)

    def _row(self, draft_id: int, tx: Tx | None = None) -> Row:
        sql, params = "SELECT * FROM drafts WHERE id = ?", (draft_id,)
        rows = tx.execute(sql, params).fetchall() if tx is not None else self.store.query(sql, params)
        if not rows:
            raise DraftNotFoundError(draft_id, self.path)
        return rows[0]

    def get(self, draft_id: int) -> QueuedDraft:
        """The draft with this queue id; ``DraftNotFoundError`` if there is none."""
        with self.store.read() as tx:
            return self._queued(self._row(draft_id, tx), tx)

    def drafts(self, states: Sequence[State] | None = None) -> list[QueuedDraft]:
        """Every draft (or those in ``states``), oldest first."""
        with self.store.read() as tx:
            if states is None:
                rows = tx.execute("SELECT * FROM drafts ORDER BY id").fetchall()
            else:
                marks = ", ".join("?" * len(states))
                rows = tx.execute(f"SELECT * FROM drafts WHERE state IN ({marks}) ORDER BY id",
                                  list(states)).fetchall()
            return [self._queued(row, tx) for row in rows]

    def context(self, draft_id: int) -> CustomerContext:
        """The context the draft was made from, as stored (profile, ``as_of``, facts, relationship; the
        events are not kept): its ``context_hash()`` is the draft's own. What a replay drafts from."""
        row = self._row(draft_id)
        with reading_row(self.path, "drafts", row):
            return _context_from(json.loads(row["context"]))

    def style_examples(self, kind: str, about: str, customer_id: str, k: int) -> list[StyleExample]:
        """The queue as a house style (``draft_note(..., house_style=queue, examples=3)``): at most ``k``
        approved notes of moment ``kind`` most similar to ``about``, none to ``customer_id``, with
        names and details replaced by placeholders (see ``HouseStyle``). Read again after a decision."""
        if self._house_style is None:
            self._house_style = HouseStyle(self)
        return self._house_style.style_examples(kind, about, customer_id, k)

    def pending(self) -> list[QueuedDraft]:
        """Drafts waiting for a decision (``drafted`` or ``edited``), oldest first."""
        return self.drafts(DECIDABLE)

    def history(self, draft_id: int) -> list[SignatureRecord]:
        """Every signature on this draft, oldest first."""
        self._row(draft_id)
        return signature_rows(self.store, draft_id)

    # --- reviewer accounts (personalnote serve logs them in; personalnote.web hashes passwords) ---

    def add_reviewer(self, reviewer_id: str, printed_name: str, role: str, *,
                     password_hash: str) -> ReviewerAccount:
        """Add a reviewer account; ``password_hash`` from ``personalnote.web.hash_password``."""
        return add_account(self.store, reviewer_id, printed_name, role, password_hash, self._now())

    def reviewer_accounts(self) -> list[ReviewerAccount]:
        """Every reviewer account, by id."""
        return accounts(self.store)

    def reviewer_account(self, reviewer_id: str) -> ReviewerAccount | None:
        return account_of(self.store, reviewer_id)  # None when there is no such account

    def disable_reviewer(self, reviewer_id: str, *, disabled: bool = True) -> ReviewerAccount:
        """Disable an account (it can no longer log in; its signatures stay), or enable it again."""
        return disable_account(self.store, reviewer_id, self._now(), disabled=disabled)

    # --- transitions -----------------------------------------------------------------------

    def open_keys(self) -> dict[DraftKey, int]:
        """Queue ids by ``DraftKey``, for every draft that is not rejected: what a batch re-run skips."""
        rows = self.store.query("SELECT id, customer_id, moment_key, context_hash, prompt, prompt_version "
                                "FROM drafts WHERE state <> 'rejected'")
        return {DraftKey(r[1], r[2], r[3], r[4], r[5]): int(r[0]) for r in rows}

    def submit(self, draft: Draft, context: CustomerContext, source: str | Path | None = None) -> QueuedDraft:
        """Queue a draft with the context it was made from; the same draft twice is queued once.

        A draft with the same customer, moment key, context hash and prompt (name and version)
        as one already in the queue and not rejected returns that one.
        """
        full = context.with_facts(draft.moment.facts)
        if full.customer_id != draft.customer_id or full.context_hash() != draft.provenance.context_hash:
            raise ContextMismatchError(draft.customer_id, draft.provenance.context_hash, full.context_hash())
        return self.get(self._submit_checked(draft, full, source, check(draft, full, policy=self.policy)))

    def _submit_checked(self, draft: Draft, full: CustomerContext, source: str | Path | None,
                        checked: Sequence[Finding]) -> int:
        """``submit`` of a draft made from ``full`` and checked against it with this queue's policy, and
        its queue id: batch drafting queues its own drafts with the findings it checked them for, and
        reads nothing back."""
        findings = list(checked)
        # what only drafting knew: another customer's name or detail from a style example
        findings += [f for f in draft.findings if f.kind == "other_customer" and f not in findings]
        findings.sort(key=lambda f: (not f.blocking, f.span or (0, 0)))
        p = draft.provenance
        key = DraftKey.of(draft)
        now = self._now()
        with self.store.write() as tx:
            found = tx.execute("SELECT id FROM drafts WHERE customer_id = ? AND moment_key = ? AND "
                               "context_hash = ? AND prompt = ? AND prompt_version = ? AND "
                               "state <> 'rejected'", key).fetchone()
            if found is None:
                cursor = tx.execute(
                    "INSERT INTO drafts (customer_id, moment_kind, moment_key, context_hash, prompt, "
                    "prompt_version, model, state, version, text, text_sha256, model_text, findings, draft, "
                    "context, source, created_at, updated_at, experiment, arm) VALUES (?, ?, ?, ?, ?, ?, ?, "
                    "'drafted', 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (draft.customer_id, draft.moment.kind, draft.moment.key, p.context_hash, p.prompt,
                     p.prompt_version, p.model, draft.text, sha256_text(draft.text), draft.text,
                     json.dumps([f.to_json_dict() for f in findings]), draft.model_dump_json(),
                     json.dumps(_context_payload(full), ensure_ascii=False),
                     str(source) if source is not None else None, now, now, p.experiment, p.arm))
                draft_id = int(cursor.lastrowid or 0)
            else:
                draft_id = int(found[0])
            return draft_id

    def _expect(self, row: Row, version: int, action: str, states: Sequence[State],
                source: Tx | Store | None = None) -> None:
        if row["version"] != version:
            last = next(reversed(signature_rows(source or self.store, row["id"])), None)
            who = f"{last.printed_name} ({last.role}), {last.meaning}" if last else None
            raise StaleDraftError(row["id"], version, row["version"], row["state"], decided_by=who,
                                  decided_at=last.signed_at if last else None, current_text=row["text"])
        if row["state"] not in states:
            raise TransitionError(row["id"], row["state"], action)

    def _decide(self, draft_id: int, version: int, action: str, states: Sequence[State],
                reviewer: Reviewer, meaning: Meaning, reason: str | None,
                update: dict[str, Any]) -> QueuedDraft:
        """One decision in one transaction: re-read, check the version, sign, update."""
        self._house_style = None  # the approved notes change: read the house style again
        with self.store.write() as tx:
            row = self._row(draft_id, tx)
            self._expect(row, version, action, states, tx)
            text = update.get("text", row["text"])
            signature = append_signature(
                tx, self.keys, draft_id=draft_id, **decision_subject(row), reviewer_id=reviewer.id,
                printed_name=reviewer.name, role=reviewer.role, signed_at=self._now(), meaning=meaning,
                reason=reason, version=version + 1, text_sha256=sha256_text(text),
                diff=diff_against(row["model_text"], text, version + 1),
                model=row["model"], prompt=row["prompt"], prompt_version=row["prompt_version"],
                context_hash=row["context_hash"])
            fields = {**update, "version": version + 1, "updated_at": signature.signed_at,
                      "approval_seq": signature.seq if signature.approves else None}
            assignments = ", ".join(f"{name} = ?" for name in fields)
            cursor = tx.execute(f"UPDATE drafts SET {assignments} WHERE id = ? AND version = ?",
                                [*fields.values(), draft_id, version])
            if cursor.rowcount != 1:  # cannot happen under BEGIN IMMEDIATE; never overwrite silently
                raise StaleDraftError(draft_id, version, self._row(draft_id, tx)["version"], row["state"])
            return self._queued(self._row(draft_id, tx), tx)

    def approve(self, draft_id: int, reviewer: Reviewer, *, version: int,
                current: CustomerHistory | CustomerContext, as_of: AsOf | None = None,
                business_events: Sequence[Any] = (), extra_moments: Sequence[Moment] = (),
                override_reason: str | None = None) -> QueuedDraft:
        """Approve the version the reviewer read, after re-checking its moment on ``current``.

        ``current`` is the customer's current history (with ``as_of``) or a context built from
        it. Refused with ``ExpiredDraftError`` when the moment is no longer fresh at that instant
        (``QueuedDraft.expired``), with ``MomentGoneError`` when the moment is no longer found, with
        ``BlockingFindingsError`` on blocking findings unless ``override_reason`` is given, and with
        ``RoleError`` when the queue's ``approval_policy`` does not let the reviewer's role approve
        the draft's channel.

        Example::

            queue.approve(7, Reviewer("alice"), version=1, current=history, as_of=now)
        """
        row = self._row(draft_id)
        self._expect(row, version, "approve", DECIDABLE)
        with reading_row(self.path, "drafts", row):
            draft = Draft.model_validate_json(row["draft"])
            findings = [Finding.model_validate(f) for f in json.loads(row["findings"])]
        policy = self.approval_policy
        if policy is not None and not policy.may_approve(reviewer.role, draft.channel):
            allowed = sorted(policy.roles.get(draft.channel, ()))
            raise RoleError(draft_id, reviewer.role, draft.channel, allowed)
        ctx = self._current_context(draft, current, as_of, business_events)
        moment = draft.moment
        if ctx.as_of > moment.fresh_until:
            until = moment.fresh_until.isoformat(timespec="minutes")
            now = ctx.as_of.isoformat(timespec="minutes")
            raise ExpiredDraftError(draft_id, NoNoteReason(
                code="stale", moment_key=moment.key,
                message=f"the {moment.kind} moment of {ctx.local_date(moment.at)} was fresh for "
                        f"{moment.fresh_for.days} days, until {until}; it is now {now}"),
                moment.fresh_until, ctx.as_of)
        reasons = self._moment_reasons(draft, ctx, extra_moments)
        if reasons:
            raise MomentGoneError(draft_id, draft.moment.key, reasons)
        blocking = blocking_findings(findings)
        override = (override_reason or "").strip() or None
        if blocking and override is None:
            raise BlockingFindingsError(draft_id, blocking)
        return self._decide(draft_id, version, "approve", DECIDABLE, reviewer,
                            "override" if blocking else "approve", override, {"state": "approved"})

    def _current_context(self, draft: Draft, current: CustomerHistory | CustomerContext,
                         as_of: AsOf | None, business_events: Sequence[Any]) -> CustomerContext:
        if isinstance(current, CustomerContext):
            ctx = current
        elif as_of is None:
            raise TypeError("approve(..., current=history, as_of=...) needs as_of; the library never "
                            "reads the clock for facts")
        else:
            ctx = build_context(current, as_of, business_events=business_events)
        if ctx.customer_id != draft.customer_id:
            raise ContextMismatchError(draft.customer_id, draft.provenance.context_hash, ctx.context_hash(),
                                       found_customer=ctx.customer_id)
        return ctx

    def _moment_reasons(self, draft: Draft, ctx: CustomerContext,
                        extra_moments: Sequence[Moment]) -> list[NoNoteReason]:
        report = find_moments(ctx, extra=extra_moments)
        moment = draft.moment
        if any(m.kind == moment.kind and m.key == moment.key for m in report.moments):
            return []
        own = [s.reason for s in report.suppressed if s.moment.key == moment.key]
        return own or [NoNoteReason(code="no_moment", moment_key=moment.key,
                                    message=f"the {moment.kind} moment ({moment.key}) is no longer in the "
                                            f"customer's history as of {ctx.local_date(ctx.as_of)}")]

    def edit(self, draft_id: int, reviewer: Reviewer, *, version: int, text: str,
             reason: str | None = None) -> QueuedDraft:
        """Replace the text: a new version, checked again, needing its own approval.

        ``text`` is the whole note or the body alone: the greeting and the sign-off (closing line
        and signature block) are the library's, so a text without a greeting gets the draft's own,
        and one without a sign-off gets the draft's closing and signature block. A text that has
        both is kept exactly as given. An edit of an approved draft voids that approval.

        Example::

            queue.edit(7, alice, version=1, text="Congratulations on 2 million miles with SkyMiles.")
        """
        row = self._row(draft_id)
        self._expect(row, version, "edit", EDITABLE)
        text, findings = self._edited(row, text)
        if text == row["text"]:
            raise ReviewError(draft_id, "the edited text is the same as the current text; approve it instead")
        return self._decide(draft_id, version, "edit", EDITABLE, reviewer, "edit", reason, {
            "state": "edited", "text": text, "text_sha256": sha256_text(text),
            "findings": json.dumps([f.to_json_dict() for f in findings])})

    def _edited(self, row: Row, text: str) -> tuple[str, list[Finding]]:
        if not text.strip():
            raise ReviewError(row["id"], "the edited text is empty; reject the draft instead")
        with reading_row(self.path, "drafts", row):
            draft = Draft.model_validate_json(row["draft"])
            context = _context_from(json.loads(row["context"]))
        text = whole_note(text, draft.salutation, draft.closing, draft.signature_block)
        return text, check(_EditedDraft(**dict(draft), edited_text=text), context, policy=self.policy)

    def check_edit(self, draft_id: int, text: str) -> tuple[str, list[Finding]]:
        """The whole note an ``edit`` with ``text`` would save, and its findings; nothing is saved or signed.

        Example::

            note, findings = queue.check_edit(7, "Congratulations on 2 million miles.")
        """
        return self._edited(self._row(draft_id), text)

    def request_change(self, draft_id: int, reviewer: Reviewer, *, version: int, guidance: str,
                       model: ChatModel | str | None = None, prompt: str | None = None,
                       current: CustomerHistory | CustomerContext | None = None, as_of: AsOf | None = None,
                       business_events: Sequence[Any] = ()) -> QueuedDraft:
        """Draft the note again with the reviewer's ``guidance`` in the prompt ("mention the flight, not
        the seat"): the next version of the same draft, ``drafted``, checked, needing its own approval.

        Signed ``request_change`` with the guidance as the reason. Drafted from the stored context, for
        the same moment, channel and signers, with the draft's ``model`` name and prompt version (else
        a ``ReviewError`` before any model call); given ``current`` and ``as_of``, the moment is
        re-checked first. ``PromptStats.changes_requested`` counts requests per prompt version.

        Example::

            queue.request_change(7, alice, version=1, guidance="Mention the flight, not the seat.",
                                 model=model, current=history, as_of=now)
        """
        guidance = guidance_text(draft_id, guidance)
        row = self._row(draft_id)
        self._expect(row, version, "request a change to", EDITABLE)
        with reading_row(self.path, "drafts", row):
            draft = Draft.model_validate_json(row["draft"])
            context = _context_from(json.loads(row["context"]))
        if current is not None:
            ctx = self._current_context(draft, current, as_of, business_events)
            reasons = self._moment_reasons(draft, ctx, ())
            if reasons:
                raise MomentGoneError(draft_id, draft.moment.key, reasons)
        new = redraft(draft_id, context, draft, guidance, previous_text=row["text"], model=model,
                      prompt=prompt)
        findings = json.dumps([f.to_json_dict() for f in check(new, context, policy=self.policy)])
        update = {"state": "drafted", "text": new.text, "text_sha256": sha256_text(new.text),
                  "model_text": new.text, "draft": new.model_dump_json(), "findings": findings}
        return self._decide(draft_id, version, "request a change to", EDITABLE, reviewer, "request_change",
                            guidance, update)

    def reject(self, draft_id: int, reviewer: Reviewer, *, version: int, reason: str) -> QueuedDraft:
        """Reject the draft (also an approved one, before export); ``reason`` is required."""
        if not reason.strip():
            raise ReviewError(draft_id, "a rejection needs a reason (it goes into the stats)")
        return self._decide(draft_id, version, "reject", EDITABLE, reviewer, "reject", reason.strip(),
                            {"state": "rejected"})
