"""The errors of loading, context, prompts, the model, settings, the cost cap and batches, and the base.

``PersonalNoteError`` (the root, pickled with its attributes) and every branch of the tree in
``_errors`` but the review store's, the review queue's and the export's (``_errors_review``).
Import them from ``_errors``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._batch_report import BatchResult


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
