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
    "CostCapError",
    "CustomerOutcome",
    "adraft_many",
    "draft_many",
    "read_batch_results",
    "write_batch_requests",
    "BlockingFindingsError",
    "ChainReport",
    "ContextMismatchError",
    "DraftNotFoundError",
    "ExportError",
    "ExportResult",
    "MomentGoneError",
    "PromptStats",
    "QueuedDraft",
    "ReviewError",
    "ReviewQueue",
    "Reviewer",
    "ReviewWidget",
    "SignatureRecord",
    "StaleDraftError",
    "StoreBusyError",
    "StoreError",
    "StoreSettingsError",
    "TransitionError",
    "CheckPolicy",
    "Finding",
    "check",
    "check_text",
    "BusinessEvent",
    "ChatModel",
    "ChatRequest",
    "ChatResult",
    "Claim",
    "ColumnMapping",
    "ConfigurationError",
    "ContextBudgetError",
    "ContextError",
    "CustomerContext",
    "CustomerEvent",
    "CustomerHistory",
    "CustomerProfile",
    "Dataset",
    "Draft",
    "DraftValidationError",
    "Fact",
    "HistoryValidationError",
    "InputError",
    "InputFileError",
    "LocalChatModel",
    "ModelAPIError",
    "ModelError",
    "Moment",
    "MomentPolicy",
    "MomentReport",
    "NoNoteReason",
    "OpenAIChatModel",
    "PersonalNoteError",
    "PromptError",
    "PromptTemplate",
    "Provenance",
    "RecordProblem",
    "Relationship",
    "ResponseCutOffError",
    "Signer",
    "UnknownFactError",
    "adraft_note",
    "build_context",
    "draft_note",
    "find_moments",
    "format_name",
    "load",
    "load_business_events",
    "load_csv",
    "load_dataframe",
    "load_prompt",
    "register_detector",
    "registered_detectors",
    "resolve_model",
]
__version__ = "0.1.0"
