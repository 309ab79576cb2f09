"""The one exception tree of personalnote.

Every error the library raises on purpose is a ``PersonalNoteError``; each class
carries the data a caller needs to act on it, not only a message::

    PersonalNoteError
    ├── InputError                  bad input data: nothing was loaded
    │   ├── InputFileError          the file cannot be read or parsed (path, line)
    │   └── HistoryValidationError  one or more bad records (.problems, every one)
    ├── ContextError                the context cannot be built as asked
    │   ├── UnknownFactError        a moment cites fact ids the context lacks
    │   └── ContextBudgetError      even the moment's evidence does not fit the token budget
    ├── PromptError                 a prompt template is invalid or misses a variable
    ├── ModelError                  the language model did not give a usable draft
    │   ├── ModelAPIError           the server refused or failed (.status_code, .url, .attempts),
    │   │                           after retries and within the note's deadline
    │   ├── ResponseCutOffError     the answer was cut off (length or content filter)
    │   └── DraftValidationError    still invalid after the bounded re-asks (.failed_attempts)
    ├── ConfigurationError          a setting is missing or wrong, says how to fix it
    │   ├── UnknownModelError       a model name that is no known model (.model, .suggestions)
    │   └── ModelChoiceError        the server serves several models or none: name one (.url, .served)
    ├── ArgumentError               an argument of a public function is not in an accepted form
    │   │                           (.argument, .value, .accepted); also a ValueError
    │   └── InstantError            as_of in no accepted form (also a ContextError)
    ├── StoreError                  the review store cannot be opened or used (.path)
    │   ├── StoreNotFoundError      no store at that path, and opened without creating one
    │   ├── StoreSettingsError      a setting read back at open differs (.setting, .expected, .actual)
    │   ├── StoreBusyError          other writers held the store past the busy timeout (.waited_ms)
    │   └── DamagedStoreError       a row cannot be read as the store wrote it (.table, .row_id)
    ├── ReviewError                 the review queue refused an action (.draft_id)
    │   ├── DraftNotFoundError      no draft with that queue id
    │   ├── StaleDraftError         someone decided first (.expected_version, .current_version, .state,
    │   │                           .decided_by, .decided_at, .current_text)
    │   ├── RoleError               the reviewer's role may not approve the channel (.role, .channel)
    │   ├── TransitionError         not allowed in the draft's state (.state, .action)
    │   ├── OutcomeError            an outcome for a note that did not go out, or at a wrong time (.field)
    │   ├── ContextMismatchError    not the context the draft was made from (.expected_hash, .actual_hash)
    │   ├── BlockingFindingsError   blocking findings and no override reason (.findings)
    │   └── MomentGoneError         the moment is no longer true at approval (.no_note_reasons)
    │       └── ExpiredDraftError   its freshness ran out before approval (.expires_at, .as_of)
    ├── ExportError                 the export cannot be written (.path)
    │   ├── TamperedRecordError     the signature record fails verification: nothing written
    │   │                           (.report, .draft_ids, .reasons)
    │   └── SignatureMismatchError  drafts to export disagree with their own signatures: nothing
    │                               written (.mismatches, .draft_ids)
    ├── CostCapError                the next request could take spending past max_cost_usd (.cap_usd, ...)
    └── BatchError                  a batch finished, but some customers hit an unexpected error (a bug):
                                    .result holds every outcome, .errors the exceptions by customer id

Example::

    try:
        data = personalnote.load("customers.jsonl")
    except personalnote.HistoryValidationError as exc:
        for problem in exc.problems:
            print(problem.record_index, problem.record_id, problem.field, problem.message)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

    from ._batch_report import BatchResult
    from ._draft_types import Finding
    from ._moment_types import NoNoteReason

__all__ = [
    "ArgumentError",
    "InstantError",
    "BatchError",
    "CostCapError",
    "BlockingFindingsError",
    "ContextMismatchError",
    "DraftNotFoundError",
    "ExportError",
    "SignatureMismatchError",
    "TamperedRecordError",
    "MomentGoneError",
    "ExpiredDraftError",
    "ReviewError",
    "StaleDraftError",
    "StoreBusyError",
    "DamagedStoreError",
    "StoreError",
    "StoreNotFoundError",
    "StoreSettingsError",
    "TransitionError",
    "ConfigurationError",
    "ContextBudgetError",
    "ContextError",
    "DraftValidationError",
    "FailedAttempt",
    "ModelAPIError",
    "ModelChoiceError",
    "ModelError",
    "PromptError",
    "ResponseCutOffError",
    "HistoryValidationError",
    "InputError",
    "InputFileError",
    "PersonalNoteError",
    "RecordProblem",
    "UnknownFactError",
    "UnknownModelError",
]


class PersonalNoteError(Exception):
    """Base class of every error personalnote raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with its message and attributes, not its constructor's arguments: an error raised
        in a worker process (``draft_many(executor=...)``) reaches the caller as itself."""
        return _rebuild_error, (type(self), self.args, self.__dict__)


def _rebuild_error(cls: type[PersonalNoteError], args: tuple[Any, ...], state: dict[str, Any]
                   ) -> PersonalNoteError:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class InputError(PersonalNoteError):
    """Input data could not be loaded; nothing from it was kept."""


class InputFileError(InputError):
    """A file that cannot be read or parsed at all (missing, not JSON, bad CSV header)."""

    def __init__(self, path: str | Path | None, message: str, *, line: int | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        where = self.path or "<input>"
        if line is not None:
            where = f"{where}:{line}"
        self.detail = message
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class RecordProblem:
    """One thing wrong with one input record.

    ``field`` is a dotted path inside the record, such as ``events[3].at``.
    """

    path: str | None
    record_index: int
    record_id: str | None
    field: str
    message: str
    expected: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.path or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        record = f"record {self.record_index}"
        if self.record_id is not None:
            record += f" (id {self.record_id!r})"
        text = f"{where}: {record}, field {self.field}: {self.message}"
        if self.expected:
            text += f" (expected {self.expected})"
        return text


class HistoryValidationError(InputError):
    """One or more input records are invalid. ``problems`` lists every one of them.

    ``streamed`` is None for a loader (nothing was loaded); for ``iter_customers`` it is the
    number of customers yielded before the bad record stopped the stream.
    """

    def __init__(self, problems: list[RecordProblem], *, streamed: int | None = None) -> None:
        if not problems:
            raise ValueError("HistoryValidationError needs at least one problem")
        self.problems = list(problems)
        self.streamed = streamed
        count = len(self.problems)
        outcome = ("nothing was loaded" if streamed is None
                   else f"the stream stopped after {streamed} customer{'s' if streamed != 1 else ''}")
        header = f"{count} invalid record field{'s' if count != 1 else ''}; {outcome}:"
        lines = [header, *(f"  - {p}" for p in self.problems[:50])]
        if count > 50:
            lines.append(f"  ... and {count - 50} more")
        super().__init__("\n".join(lines))


class ContextError(PersonalNoteError):
    """A customer context cannot be built or used as asked."""


class UnknownFactError(ContextError):
    """A moment or claim cites fact ids that are not in the customer's context."""

    def __init__(self, customer_id: str, fact_ids: list[str]) -> None:
        self.customer_id = customer_id
        self.fact_ids = list(fact_ids)
        super().__init__(
            f"customer {customer_id!r}: unknown fact id(s) {', '.join(map(repr, fact_ids))}; "
            "cite ids from CustomerContext.facts"
        )


class ConfigurationError(PersonalNoteError):
    """A setting is missing or invalid. The message says how to fix it."""


class UnknownModelError(ConfigurationError):
    """A model name that is not a model personalnote knows, where it cannot be sent anywhere to be
    tried (no server given): most often a typo. ``suggestions`` are the close known names."""

    def __init__(self, model: str, suggestions: Sequence[str], known: Sequence[str], hint: str) -> None:
        self.model = model
        self.suggestions = list(suggestions)
        self.known = list(known)
        guess = (f"did you mean {' or '.join(map(repr, self.suggestions))}? " if self.suggestions
                 else f"known models: {', '.join(self.known)}; ")
        super().__init__(f"unknown model {model!r}: {guess}{hint}")


class ModelChoiceError(ConfigurationError):
    """No model was named and the server at ``url`` serves several (or none): name one."""

    def __init__(self, url: str, served: Sequence[str]) -> None:
        self.url = url
        self.served = list(served)
        if self.served:
            message = (f"the server at {url} serves {len(self.served)} models "
                       f"({', '.join(self.served)}): choose one with model=... (--model, $OPENAI_MODEL)")
        else:
            message = (f"the server at {url} lists no model at /models: name the model with model=... "
                       "(--model, $OPENAI_MODEL)")
        super().__init__(message)


class ArgumentError(PersonalNoteError, ValueError):
    """An argument of a public function is not in a form it accepts; ``accepted`` says which are.

    Example: ``draft_note(history, as_of=as_of, channel="fax")`` raises it with
    ``.argument == "channel"``, ``.value == "fax"`` and the channels in ``.accepted``.
    """

    def __init__(self, argument: str, value: object, accepted: str, *, caller: str | None = None) -> None:
        self.argument = argument
        self.value = value
        self.accepted = accepted
        self.caller = caller
        shown = repr(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        where = f"{caller}({argument}={shown})" if caller else f"{argument}={shown}"
        super().__init__(f"{where}: {accepted}")


class InstantError(ArgumentError, ContextError):
    """``as_of`` (or another instant) is in no accepted form: an ``ArgumentError`` at the public
    boundary, and a ``ContextError`` because it is the context's instant."""


class ContextBudgetError(ContextError):
    """The moment's evidence alone needs more prompt tokens than the budget allows."""

    def __init__(self, customer_id: str, needed: int, budget: int) -> None:
        self.customer_id = customer_id
        self.needed = needed
        self.budget = budget
        super().__init__(
            f"customer {customer_id!r}: the moment's evidence needs {needed} prompt tokens but the "
            f"budget is {budget}; raise max_prompt_tokens or use a model with a larger context"
        )


class PromptError(PersonalNoteError):
    """A prompt template is invalid, or a variable it uses was not given."""


class ModelError(PersonalNoteError):
    """The language model did not give a usable draft. ``attempts`` counts the calls made."""

    attempts: int = 0


class ModelAPIError(ModelError):
    """The model server refused the request or failed, after the retries allowed.

    ``url`` is the server's base URL (None when unknown), ``attempts`` the requests sent.
    """

    def __init__(self, message: str, *, status_code: int | None = None, retryable: bool = False,
                 url: str | None = None, attempts: int = 0) -> None:
        self.status_code = status_code
        self.retryable = retryable
        self.url = url
        self.attempts = attempts
        super().__init__(message)


class ResponseCutOffError(ModelError):
    """The answer stopped early (``finish_reason`` 'length' or 'content_filter'); never a draft."""

    def __init__(self, finish_reason: str, *, completion_tokens: int = 0,
                 max_completion_tokens: int | None = None) -> None:
        self.finish_reason = finish_reason
        self.completion_tokens = completion_tokens
        self.max_completion_tokens = max_completion_tokens
        if finish_reason != "length":
            hint = "the provider's content filter stopped the answer"
        elif max_completion_tokens is None:
            hint = "allow more completion tokens (draft_note(..., max_completion_tokens=N))"
        else:
            hint = (f"it used all {max_completion_tokens} completion tokens allowed; pass a larger "
                    "max_completion_tokens to draft_note or draft_many")
        super().__init__(f"the model's answer was cut off ({finish_reason}): {hint}")


@dataclass(frozen=True)
class FailedAttempt:
    """One invalid answer: what was wrong with it, the raw answer, and the tokens it cost."""

    problem: str
    content: str
    prompt_tokens: int
    completion_tokens: int


class DraftValidationError(ModelError):
    """The model's answer was still invalid after the bounded re-asks.

    ``failed_attempts`` keeps every invalid answer (problem, raw content, tokens), oldest
    first; ``errors`` their problems; ``attempts`` counts every model call of the job.
    """

    def __init__(self, failed_attempts: Sequence[FailedAttempt], attempts: int) -> None:
        self.failed_attempts = list(failed_attempts)
        self.errors = [f.problem for f in self.failed_attempts]
        self.attempts = attempts
        last = self.errors[-1] if self.errors else ""
        super().__init__(f"the model's answer was invalid after {attempts} attempt(s): {last}")


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


class CostCapError(PersonalNoteError):
    """The next model request could cost more than is left under ``max_cost_usd``; it was not sent."""

    def __init__(self, cap_usd: float, committed_usd: float, request_usd: float) -> None:
        self.cap_usd = cap_usd
        self.committed_usd = committed_usd
        self.request_usd = request_usd
        super().__init__(f"cost cap: the next request could cost up to ${request_usd:.6f} and "
                         f"${committed_usd:.6f} of the ${cap_usd:.6f} allowed is spent or reserved; raise "
                         "max_cost_usd (--max-cost) and run again: customers already drafted are skipped")


class BatchError(PersonalNoteError):
    """A batch ran to the end, but some customers hit an unexpected error: a bug, not bad data.

    Every other customer's outcome is kept: ``result`` is the whole ``BatchResult`` (drafts
    already in the review queue stay there), ``errors`` maps customer ids to the exceptions
    (each with its traceback). The first one is this error's ``__cause__``.
    """

    def __init__(self, result: BatchResult, errors: dict[str, BaseException]) -> None:
        self.result = result
        self.errors = dict(errors)
        first = next(iter(self.errors.items()))
        super().__init__(f"{len(self.errors)} customer(s) hit an unexpected error, a bug to report (first: "
                         f"{first[0]}: {type(first[1]).__name__}: {first[1]}); the other customers' results "
                         "are in .result and drafts already queued stay queued")
