"""personalnote: draft personal notes to customers; a person signs every one.

Example::

    import personalnote as pn
    data = pn.load("fixtures/customers/flyer_2m_miles.json")
    ctx = pn.build_context(data.customers[0], as_of=as_of, business_events=data.business_events)
    report = pn.find_moments(ctx)
"""

from ._context import CustomerContext, Fact, Relationship, build_context
from ._errors import (
    ConfigurationError,
    ContextError,
    HistoryValidationError,
    InputError,
    InputFileError,
    PersonalNoteError,
    RecordProblem,
    UnknownFactError,
)
from ._history import BusinessEvent, CustomerEvent, CustomerHistory, CustomerProfile, Dataset
from ._loaders import ColumnMapping, load, load_business_events, load_csv, load_dataframe
from ._moments import (
    Moment,
    MomentPolicy,
    MomentReport,
    NoNoteReason,
    find_moments,
    register_detector,
    registered_detectors,
)

__all__ = [
    "BusinessEvent",
    "ColumnMapping",
    "ConfigurationError",
    "ContextError",
    "CustomerContext",
    "CustomerEvent",
    "CustomerHistory",
    "CustomerProfile",
    "Dataset",
    "Fact",
    "HistoryValidationError",
    "InputError",
    "InputFileError",
    "Moment",
    "MomentPolicy",
    "MomentReport",
    "NoNoteReason",
    "PersonalNoteError",
    "RecordProblem",
    "Relationship",
    "UnknownFactError",
    "build_context",
    "find_moments",
    "load",
    "load_business_events",
    "load_csv",
    "load_dataframe",
    "register_detector",
    "registered_detectors",
]
__version__ = "0.1.0"
