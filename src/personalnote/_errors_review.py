"""The errors of the review store, the review queue and the export: ``StoreError``, ``ReviewError``,
``ExportError`` and their subclasses (the tree is in ``_errors``, which re-exports them).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ._errors_core import PersonalNoteError

if TYPE_CHECKING:
    from datetime import datetime

    from ._draft_types import Finding
    from ._moment_types import NoNoteReason


class StoreError(PersonalNoteError):
    """The review store cannot be opened or used as asked."""

    def __init__(self, path: str | Path, message: str) -> None:
        self.path = str(path)
        self.detail = message
        super().__init__(f"review store {self.path}: {message}")


class StoreNotFoundError(StoreError):
    """No review store at the path (no such file, or a database without a store's tables), and it was
    opened without creating one (``ReviewQueue.open``): a typo must not become a new, empty store."""

    def __init__(self, path: str | Path, problem: str = "no such file", *, hint: str | None = None) -> None:
        self.problem = problem
        super().__init__(path, f"{problem}: " + (
            hint or "check the path for a typo; a store is created by queueing a draft in it: "
                    "ReviewQueue(path) (or `personalnote draft CUSTOMER_FILE --store PATH`)"))


class StoreSettingsError(StoreError):
    """A setting the store needs did not stick (read back at open); its file system may not support it."""

    def __init__(self, path: str | Path, setting: str, expected: object, actual: object, *,
                 advice: str | None = None) -> None:
        self.setting = setting
        self.expected = expected
        self.actual = actual
        if advice is not None:  # a PostgreSQL server's setting
            super().__init__(path, f"setting {setting} is {actual!r}, not {expected!r}: {advice}")
            return
        super().__init__(path, f"PRAGMA {setting} is {actual!r}, not {expected!r}; put the store on a "
                               "local file system that supports SQLite's WAL mode (not :memory: or a "
                               "network share)")


class StoreBusyError(StoreError):
    """Other writers held the store longer than the busy timeout; nothing was written. Try again."""

    def __init__(self, path: str | Path, waited_ms: int) -> None:
        self.waited_ms = waited_ms
        super().__init__(path, f"busy: other writers held it for more than {waited_ms} ms and nothing was "
                               "written; try again, or raise busy_timeout_ms")


class DamagedStoreError(StoreError):
    """A row of the store cannot be read as the store wrote it (a value that is not JSON, a column
    gone): the file was changed outside personalnote. ``table`` and ``row_id`` name the row."""

    def __init__(self, path: str | Path, table: str, row_id: int | None, problem: str) -> None:
        self.table, self.row_id = table, row_id
        row = f"row {row_id} of {table}" if row_id is not None else f"a row of {table}"
        super().__init__(path, f"{row} is damaged ({problem}); it was changed outside personalnote: "
                               "restore the file from a backup")


class ReviewError(PersonalNoteError):
    """The review queue refused an action; ``draft_id`` names the draft (None when not about one)."""

    def __init__(self, draft_id: int | None, message: str) -> None:
        self.draft_id = draft_id
        super().__init__(message if draft_id is None else f"draft {draft_id}: {message}")


class DraftNotFoundError(ReviewError):
    """No draft with this queue id in the store."""

    def __init__(self, draft_id: int, path: str | Path) -> None:
        self.path = str(path)
        super().__init__(draft_id, f"no such draft in {self.path}; list them with `personalnote review list`")


class OutcomeError(ReviewError):
    """An outcome cannot be recorded for this draft (a note that did not go out, a time before its
    approval or in the future); ``field`` names what is wrong (``outcome``, ``at``, ``note``)."""

    def __init__(self, draft_id: int, field: str, message: str) -> None:
        self.field = field
        super().__init__(draft_id, f"cannot record the outcome ({field}): {message}")


class StaleDraftError(ReviewError):
    """Someone decided on the draft after you read it: read it again, then decide on the new version."""

    def __init__(self, draft_id: int, expected_version: int, current_version: int, state: str, *,
                 decided_by: str | None = None, decided_at: str | None = None,
                 current_text: str | None = None) -> None:
        self.expected_version = expected_version
        self.current_version = current_version
        self.state = state
        #: who made the current version ("Bob Jones (purser), reject"), when (UTC), and its text
        self.decided_by = decided_by
        self.decided_at = decided_at
        self.current_text = current_text
        who = f"; {decided_by} decided first, at {decided_at}" if decided_by else ""
        super().__init__(draft_id, f"you read version {expected_version} but it is now version "
                                   f"{current_version} ({state}){who}; read it again and decide on that "
                                   "version")


class RoleError(ReviewError):
    """The reviewer's role may not approve the draft's channel (the queue's ``ApprovalPolicy``)."""

    def __init__(self, draft_id: int, role: str, channel: str, allowed: Sequence[str]) -> None:
        self.role = role
        self.channel = channel
        self.allowed = tuple(allowed)
        super().__init__(draft_id, f"the role {role!r} may not approve a {channel} note; it needs the role "
                                   f"{' or '.join(map(repr, self.allowed))}")


class TransitionError(ReviewError):
    """The action is not allowed in the draft's state (e.g. approving a rejected draft)."""

    def __init__(self, draft_id: int, state: str, action: str) -> None:
        self.state = state
        self.action = action
        super().__init__(draft_id, f"cannot {action} a draft that is {state}")


class ContextMismatchError(ReviewError):
    """The context given is not the one the draft was made from (hash or customer differ)."""

    def __init__(self, customer_id: str, expected_hash: str, actual_hash: str, *,
                 found_customer: str | None = None) -> None:
        self.customer_id = customer_id
        self.expected_hash = expected_hash
        self.actual_hash = actual_hash
        self.found_customer = found_customer
        if found_customer is not None and found_customer != customer_id:
            message = (f"the history given is customer {found_customer!r}, the draft is for {customer_id!r}; "
                       "pass that customer's current history")
        else:
            message = (f"customer {customer_id!r}: the context hashes to {actual_hash[:12]}…, the draft "
                       f"was made from {expected_hash[:12]}…; submit the draft with the context it was "
                       "drafted from (same history, as_of and business events)")
        super().__init__(None, message)


class BlockingFindingsError(ReviewError):
    """The text has blocking findings; approve only with an override reason, or edit it."""

    def __init__(self, draft_id: int, findings: Sequence[Finding]) -> None:
        self.findings = list(findings)
        listed = "; ".join(f"{f.kind}: {f.message}" for f in self.findings[:5])
        super().__init__(draft_id, f"{len(self.findings)} blocking finding(s) ({listed}); edit the text, or "
                                   "approve with an override reason")


class MomentGoneError(ReviewError):
    """The draft's moment is no longer true in the customer's current history: no note."""

    def __init__(self, draft_id: int, moment_key: str, no_note_reasons: Sequence[NoNoteReason]) -> None:
        self.moment_key = moment_key
        self.no_note_reasons = list(no_note_reasons)
        reasons = "; ".join(f"{r.code}: {r.message}" for r in self.no_note_reasons)
        super().__init__(draft_id, f"approval refused, the moment {moment_key} is no longer true "
                                   f"({reasons}); reject the draft")


class ExpiredDraftError(MomentGoneError):
    """The draft's moment is no longer fresh at the approval instant: it expired at ``expires_at``
    (the moment's time plus its freshness) and ``as_of`` is later. Its one reason's code is ``stale``."""

    def __init__(self, draft_id: int, reason: NoNoteReason, expires_at: datetime, as_of: datetime) -> None:
        self.expires_at = expires_at
        self.as_of = as_of
        super().__init__(draft_id, reason.moment_key or "", [reason])


class ExportError(PersonalNoteError):
    """The export file cannot be written, or a note cannot be exported (``path`` may be None)."""

    def __init__(self, path: str | Path | None, message: str) -> None:
        self.path = str(path) if path is not None else None
        super().__init__(f"{self.path}: {message}" if self.path else message)


class TamperedRecordError(ExportError):
    """The signature record fails verification (a row's MAC, a link, the chain head, a key): the
    export wrote nothing. ``report`` is the ``ChainReport``; ``draft_ids`` the drafts named by the
    rows from the first broken one on; ``reasons`` what failed."""

    def __init__(self, report: object, draft_ids: Sequence[int], reasons: Sequence[str]) -> None:
        self.report = report
        self.draft_ids = tuple(draft_ids)
        self.reasons = tuple(reasons)
        super().__init__(None, "the signature record fails verification, so nothing was exported: "
                               + "; ".join(self.reasons) + "; run `personalnote review verify`")


class SignatureMismatchError(ExportError):
    """Drafts to export claim a decision their own signatures do not make (not their last decision, or
    another customer, version, channel or signers): the export wrote nothing. ``mismatches`` holds
    ``(draft_id, reason)`` pairs, ``draft_ids`` the ids."""

    def __init__(self, mismatches: Sequence[tuple[int, str]]) -> None:
        self.mismatches = tuple(mismatches)
        self.draft_ids = tuple(d for d, _ in self.mismatches)
        listed = "; ".join(f"draft {d}: {reason}" for d, reason in self.mismatches[:5])
        super().__init__(None, f"{len(self.mismatches)} draft(s) disagree with their own signatures, so "
                               f"nothing was exported ({listed})")
