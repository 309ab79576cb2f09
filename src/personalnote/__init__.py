"""personalnote: draft personal notes to customers; a person signs every one.

Example::

    import personalnote as pn
    data = pn.load("fixtures/customers/flyer_2m_miles.json")
    ctx = pn.build_context(data.customers[0], as_of=as_of, business_events=data.business_events)
    report = pn.find_moments(ctx)
"""

from ._batch import ManyOptions, adraft_many, draft_many
from ._batch_api import read_batch_results, write_batch_requests
from ._batch_report import BatchResult, CustomerOutcome
from ._chat import ChatModel, ChatRequest, ChatResult
from ._checks import CheckPolicy, check, check_text
from ._compose import Signer, format_name
from ._context import CustomerContext, Fact, Relationship, build_context
from ._detectors import register_detector, registered_detectors
from ._draft import adraft_note, draft_note
from ._draft_types import Claim, Draft, Finding, Provenance, Sentence
from ._edits import EditSummary
from ._engine_dask import dask_executor
from ._errors import (
    ArgumentError,
    BatchError,
    BlockingFindingsError,
    ConfigurationError,
    ContextBudgetError,
    ContextError,
    ContextMismatchError,
    CostCapError,
    DamagedStoreError,
    DraftNotFoundError,
    DraftValidationError,
    ExpiredDraftError,
    ExportError,
    FailedAttempt,
    HistoryValidationError,
    InputError,
    InputFileError,
    InstantError,
    ModelAPIError,
    ModelChoiceError,
    ModelError,
    MomentGoneError,
    OutcomeError,
    PersonalNoteError,
    PromptError,
    RecordProblem,
    ResponseCutOffError,
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
    UnknownFactError,
    UnknownModelError,
)
from ._eval import EvalReport, ReplayedDraft, evaluate
from ._examples import StyleExample
from ._experiment import Experiment, assign_arm
from ._experiment_report import ArmStats, Comparison, ExperimentReport, Rate
from ._export import ExportFormat, ExportResult, PromptStats
from ._history import (
    BusinessEvent,
    Channel,
    CustomerEvent,
    CustomerHistory,
    CustomerProfile,
    Dataset,
    LeftOutRows,
)
from ._house_style import HouseStyle
from ._instants import AsOf
from ._jsonl_stream import iter_customers
from ._loaders import load, load_business_events, load_customers
from ._local import LocalChatModel
from ._mapping import ColumnMapping, ExportPreset
from ._model import OpenAIChatModel
from ._moment_types import Detector, Moment, MomentPolicy, MomentReport, NoNoteReason, SuppressedMoment
from ._moments import find_moments
from ._options import DraftOptions
from ._outcomes import Outcome, OutcomeKind
from ._presets import export_presets
from ._printing import PageSize
from ._prompts import PromptTemplate, load_prompt, shipped_prompts
from ._queue_types import QueuedDraft, Reviewer, State
from ._resolve import resolve_model
from ._review import ReviewQueue
from ._reviewers import ApprovalPolicy, ReviewerAccount
from ._signatures import ChainReport, SignatureRecord
from ._store import init_postgres_store, postgres_setup_sql
from ._store_copy import StoreCopy, copy_store
from ._tabular import load_csv, load_dataframe
from ._widgets import ReviewWidget

__all__ = [
    "ApprovalPolicy",
    "ArgumentError",
    "ArmStats",
    "AsOf",
    "BatchError",
    "BatchResult",
    "BlockingFindingsError",
    "BusinessEvent",
    "ChainReport",
    "Channel",
    "ChatModel",
    "ChatRequest",
    "ChatResult",
    "CheckPolicy",
    "Claim",
    "ColumnMapping",
    "Comparison",
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
    "DamagedStoreError",
    "Dataset",
    "Detector",
    "Draft",
    "DraftNotFoundError",
    "DraftOptions",
    "DraftValidationError",
    "EditSummary",
    "EvalReport",
    "Experiment",
    "ExperimentReport",
    "ExpiredDraftError",
    "ExportError",
    "ExportFormat",
    "ExportPreset",
    "ExportResult",
    "Fact",
    "FailedAttempt",
    "Finding",
    "HistoryValidationError",
    "HouseStyle",
    "InputError",
    "InputFileError",
    "InstantError",
    "LeftOutRows",
    "LocalChatModel",
    "ManyOptions",
    "ModelAPIError",
    "ModelChoiceError",
    "ModelError",
    "Moment",
    "MomentGoneError",
    "MomentPolicy",
    "MomentReport",
    "NoNoteReason",
    "OpenAIChatModel",
    "Outcome",
    "OutcomeError",
    "OutcomeKind",
    "PageSize",
    "PersonalNoteError",
    "PromptError",
    "PromptStats",
    "PromptTemplate",
    "Provenance",
    "QueuedDraft",
    "Rate",
    "RecordProblem",
    "Relationship",
    "ReplayedDraft",
    "ResponseCutOffError",
    "ReviewError",
    "ReviewQueue",
    "ReviewWidget",
    "Reviewer",
    "ReviewerAccount",
    "RoleError",
    "Sentence",
    "SignatureMismatchError",
    "SignatureRecord",
    "Signer",
    "StaleDraftError",
    "State",
    "StoreBusyError",
    "StoreCopy",
    "StoreError",
    "StoreNotFoundError",
    "StoreSettingsError",
    "StyleExample",
    "SuppressedMoment",
    "TamperedRecordError",
    "TransitionError",
    "UnknownFactError",
    "UnknownModelError",
    "adraft_many",
    "adraft_note",
    "assign_arm",
    "build_context",
    "check",
    "check_text",
    "copy_store",
    "dask_executor",
    "draft_many",
    "draft_note",
    "evaluate",
    "export_presets",
    "find_moments",
    "format_name",
    "init_postgres_store",
    "iter_customers",
    "load",
    "load_business_events",
    "load_csv",
    "load_customers",
    "load_dataframe",
    "load_prompt",
    "postgres_setup_sql",
    "read_batch_results",
    "register_detector",
    "registered_detectors",
    "resolve_model",
    "shipped_prompts",
    "write_batch_requests",
]
__version__ = "0.1.0"

# Show exports as ``personalnote.StaleDraftError``, not ``personalnote._errors.StaleDraftError``
# (in reprs, tracebacks and docs), as httpx and openai-python do. Type aliases have no __module__.
__locals = locals()
for __name in __all__:
    if not __name.startswith("__"):
        try:
            __locals[__name].__module__ = "personalnote"
        except (AttributeError, TypeError):
            pass
del __locals, __name
