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
    │   ├── ModelAPIError           the server refused or failed (.status_code), after retries
    │   ├── ResponseCutOffError     the answer was cut off (length or content filter)
    │   └── DraftValidationError    still invalid after the bounded re-asks (.errors)
    └── ConfigurationError          a setting is missing or wrong, says how to fix it

Example::

    try:
        data = personalnote.load("customers.jsonl")
    except personalnote.HistoryValidationError as exc:
        for problem in exc.problems:
            print(problem.record_index, problem.record_id, problem.field, problem.message)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ConfigurationError",
    "ContextBudgetError",
    "ContextError",
    "DraftValidationError",
    "ModelAPIError",
    "ModelError",
    "PromptError",
    "ResponseCutOffError",
    "HistoryValidationError",
    "InputError",
    "InputFileError",
    "PersonalNoteError",
    "RecordProblem",
    "UnknownFactError",
]


class PersonalNoteError(Exception):
    """Base class of every error personalnote raises on purpose."""


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
    """One or more input records are invalid. ``problems`` lists every one of them."""

    def __init__(self, problems: list[RecordProblem]) -> None:
        if not problems:
            raise ValueError("HistoryValidationError needs at least one problem")
        self.problems = list(problems)
        count = len(self.problems)
        header = f"{count} invalid record field{'s' if count != 1 else ''}; nothing was loaded:"
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
    """The model server refused the request or failed, after the retries allowed."""

    def __init__(self, message: str, *, status_code: int | None = None, retryable: bool = False) -> None:
        self.status_code = status_code
        self.retryable = retryable
        super().__init__(message)


class ResponseCutOffError(ModelError):
    """The answer stopped early (``finish_reason`` 'length' or 'content_filter'); never a draft."""

    def __init__(self, finish_reason: str, *, completion_tokens: int = 0) -> None:
        self.finish_reason = finish_reason
        self.completion_tokens = completion_tokens
        hint = ("raise max_completion_tokens" if finish_reason == "length"
                else "the provider's content filter stopped the answer")
        super().__init__(f"the model's answer was cut off ({finish_reason}): {hint}")


class DraftValidationError(ModelError):
    """The model's answer was still invalid after the bounded re-asks."""

    def __init__(self, errors: list[str], attempts: int) -> None:
        self.errors = list(errors)
        self.attempts = attempts
        super().__init__(
            f"the model's answer was invalid after {attempts} attempt(s): {errors[-1] if errors else ''}"
        )
