"""personalnote: draft personal notes to customers; a person signs every one.

Example::

    import personalnote as pn
    data = pn.load("fixtures/customers/flyer_2m_miles.json")
    ctx = pn.build_context(data.customers[0], as_of=as_of, business_events=data.business_events)
    report = pn.find_moments(ctx)
"""

from ._batch import adraft_many, draft_many
from ._batch_api import read_batch_results, write_batch_requests
from ._batch_report import BatchResult, CustomerOutcome
from ._chat import ChatModel, ChatRequest, ChatResult
from ._checks import CheckPolicy, Finding, check, check_text
from ._compose import Signer, format_name
from ._context import CustomerContext, Fact, Relationship, build_context
from ._draft import Claim, Draft, Provenance, adraft_note, draft_note
from ._errors import (
    BatchError,
    BlockingFindingsError,
    ConfigurationError,
    ContextBudgetError,
    ContextError,
    ContextMismatchError,
    CostCapError,
    DraftNotFoundError,
    DraftValidationError,
    ExportError,
    HistoryValidationError,
    InputError,
    InputFileError,
    ModelAPIError,
    ModelError,
    MomentGoneError,
    PersonalNoteError,
    PromptError,
    RecordProblem,
    ResponseCutOffError,
    ReviewError,
    StaleDraftError,
    StoreBusyError,
    StoreError,
    StoreSettingsError,
    TransitionError,
    UnknownFactError,
)
from ._export import ExportResult, PromptStats
from ._history import BusinessEvent, CustomerEvent, CustomerHistory, CustomerProfile, Dataset
from ._loaders import ColumnMapping, load, load_business_events, load_csv, load_dataframe
from ._local import LocalChatModel
from ._model import OpenAIChatModel
from ._moments import (
    Moment,
    MomentPolicy,
    MomentReport,
    NoNoteReason,
    find_moments,
    register_detector,
    registered_detectors,
)
from ._prompts import PromptTemplate, load_prompt
from ._resolve import resolve_model
from ._review import QueuedDraft, Reviewer, ReviewQueue
from ._signatures import ChainReport, SignatureRecord
from ._widgets import ReviewWidget

__all__ = [
    "BatchError",
    "BatchResult",
    "BlockingFindingsError",
    "BusinessEvent",
    "ChainReport",
    "ChatModel",
    "ChatRequest",
    "ChatResult",
    "CheckPolicy",
    "Claim",
    "ColumnMapping",
    "ConfigurationError",
    "ContextBudgetError",
    "ContextError",
    "ContextMismatchError",
    "CostCapError",
    "CustomerContext",
    "CustomerEvent",
    "CustomerHistory",
    "CustomerOutcome",
    "CustomerProfile",
    "Dataset",
    "Draft",
    "DraftNotFoundError",
    "DraftValidationError",
    "ExportError",
    "ExportResult",
    "Fact",
    "Finding",
    "HistoryValidationError",
    "InputError",
    "InputFileError",
    "LocalChatModel",
    "ModelAPIError",
    "ModelError",
    "Moment",
    "MomentGoneError",
    "MomentPolicy",
    "MomentReport",
    "NoNoteReason",
    "OpenAIChatModel",
    "PersonalNoteError",
    "PromptError",
    "PromptStats",
    "PromptTemplate",
    "Provenance",
    "QueuedDraft",
    "RecordProblem",
    "Relationship",
    "ResponseCutOffError",
    "ReviewError",
    "ReviewQueue",
    "ReviewWidget",
    "Reviewer",
    "SignatureRecord",
    "Signer",
    "StaleDraftError",
    "StoreBusyError",
    "StoreError",
    "StoreSettingsError",
    "TransitionError",
    "UnknownFactError",
    "adraft_many",
    "adraft_note",
    "build_context",
    "check",
    "check_text",
    "draft_many",
    "draft_note",
    "find_moments",
    "format_name",
    "load",
    "load_business_events",
    "load_csv",
    "load_dataframe",
    "load_prompt",
    "read_batch_results",
    "register_detector",
    "registered_detectors",
    "resolve_model",
    "write_batch_requests",
]
__version__ = "0.1.0"
