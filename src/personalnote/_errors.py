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

from ._errors_core import (  # noqa: F401  (re-exported)
    ArgumentError,
    BatchError,
    ConfigurationError,
    ContextBudgetError,
    ContextError,
    CostCapError,
    DraftValidationError,
    FailedAttempt,
    HistoryValidationError,
    InputError,
    InputFileError,
    InstantError,
    ModelAPIError,
    ModelChoiceError,
    ModelError,
    PersonalNoteError,
    PromptError,
    RecordProblem,
    ResponseCutOffError,
    UnknownFactError,
    UnknownModelError,
    _rebuild_error,
)
from ._errors_review import (  # noqa: F401  (re-exported)
    BlockingFindingsError,
    ContextMismatchError,
    DamagedStoreError,
    DraftNotFoundError,
    ExpiredDraftError,
    ExportError,
    MomentGoneError,
    OutcomeError,
    ReviewError,
    RoleError,
    SignatureMismatchError,
    StaleDraftError,
    StoreBusyError,
    StoreError,
    StoreNotFoundError,
    StoreSettingsError,
    TamperedRecordError,
    TransitionError,
)

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
    "OutcomeError",
    "ReviewError",
    "RoleError",
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
