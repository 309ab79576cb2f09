"""The field types of the history records: constrained strings, numbers and instants with their
validators (ids, person names, honorifics, free text, attribute maps, aware instants in range, IANA
time zones) and the hidden-character test they share with redaction. ``_history`` builds the record
models from them.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

from . import _constants as C

__all__ = ["MAX_KEYS", "MAX_VALUES", "Instant", "hidden_character", "known_time_zone"]

#: characters that show nothing, or look like a space, whatever their Unicode category:
#: variation selectors, the combining grapheme joiner, Hangul and Mongolian fillers,
#: Khmer inherent vowels, the Braille blank
_INVISIBLE_EXTRA = frozenset(
    [*map(chr, range(0xFE00, 0xFE10)), *map(chr, range(0xE0100, 0xE01F0)), "\u034f", "\u115f", "\u1160",
     "\u3164", "\uffa0", "\u180e", "\u17b4", "\u17b5", "\u2800", "\u180b", "\u180c", "\u180d", "\u180f"]
)
#: Unicode categories of control, format, private-use, surrogate and line/paragraph separators
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})


def hidden_character(char: str) -> bool:
    """True for a character that breaks a line or shows nothing (control, format, private use,
    line or paragraph separator, variation selector, filler)."""
    return char in _INVISIBLE_EXTRA or unicodedata.category(char) in _HIDDEN_CATEGORIES


def _visible_id(value: str) -> str:
    # printable ASCII holds no hidden character and no space but " ": most ids are read in one test
    for char in () if value.isascii() and value.isprintable() else value:
        if hidden_character(char) or (char.isspace() and char != " "):
            raise ValueError(f"an id may not hold the character U+{ord(char):04X} "
                             "(a line break, control or invisible character)")
    if value.startswith(_RESERVED_ID_PREFIXES):
        raise ValueError(f"ids starting with {' or '.join(_RESERVED_ID_PREFIXES)} are the library's own "
                         "fact ids")
    return value


_RESERVED_ID_PREFIXES = ("derived:", "profile:")
# An id is cited verbatim in prompts and schemas: no surrounding space, no line breaks, no < or >,
# no control or invisible character, no prefix of the library's own fact ids.
_Id = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\s<>]([^<>\r\n\t]*[^\s<>])?$"),
                AfterValidator(_visible_id)]
_NAME_PUNCTUATION = frozenset(" -'\u2019\u2010.,")
_INITIALS = re.compile(r"(?:\w\.)+")


def _person_name(value: str) -> str:
    """A name is a name: letters (with their marks), spaces, hyphens, apostrophes, initials."""
    for char in value:
        if hidden_character(char):
            raise ValueError(f"a name may not hold the character U+{ord(char):04X} "
                             "(a control or invisible character)")
        if not (char.isalpha() or unicodedata.category(char).startswith("M") or char in _NAME_PUNCTUATION):
            raise ValueError(f"a name holds letters, spaces, hyphens, apostrophes, commas and periods, "
                             f"not {char!r}")
    if not any(char.isalpha() for char in value):
        raise ValueError("a name needs at least one letter")
    words = value.split()
    if len(words) > 6:
        raise ValueError(f"a name of {len(words)} words reads like a sentence (at most 6)")
    for word in words:
        if word.rstrip(",").endswith(".") and len(word.rstrip(",")) > 4 and not _INITIALS.fullmatch(
                word.rstrip(",")):
            raise ValueError(f"{word!r}: a period ends an initial or a short title (J., Dr.), "
                             "not a word of a sentence")
    return value


def _honorific(value: str) -> str:
    """An honorific is a name (``_person_name``), and a title such as "Prof." may end in a period."""
    from nameparser.config import CONSTANTS

    titles = [w for w in value.split() if w.rstrip(".,").lower() in CONSTANTS.titles]
    rest = " ".join(w for w in value.split() if w not in titles)
    _person_name(rest if rest else value.replace(".", ""))
    return value


#: given, family and preferred names, and honorifics
_PersonName = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_person_name)]
_Honorific = Annotated[str, Field(min_length=1, max_length=40), AfterValidator(_honorific)]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character (U+0000)")
    return value


def _no_bool(value: Any) -> Any:
    """``true`` is not a number (pydantic would read it as 1)."""
    if isinstance(value, bool):
        raise ValueError("true or false is not a number")
    return value


_Text = Annotated[str, Field(min_length=1, max_length=5000), AfterValidator(_no_nul)]
_Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_nul)]
#: a key or a value of a small mapping (variant, attributes, custom data)
_Key = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_no_nul)]
_Value = Annotated[str, Field(max_length=200), AfterValidator(_no_nul)]
#: amounts, quantities and balances: finite, not negative, below a quadrillion
_NonNegative = Annotated[float, BeforeValidator(_no_bool), Field(ge=0, le=1e15, allow_inf_nan=False)]
_Count = Annotated[int, BeforeValidator(_no_bool), Field(ge=0, le=100_000)]
_DataNumber = Annotated[float, Field(ge=-1e15, le=1e15, allow_inf_nan=False)]
_DataInt = Annotated[int, Field(ge=-(10**15), le=10**15)]
_DataText = Annotated[str, Field(max_length=5000), AfterValidator(_no_nul)]
#: at most this many keys in variant, attributes and custom data, and values in each list
MAX_KEYS = 50
MAX_VALUES = 100
_Variant = Annotated[dict[_Key, _Value], Field(max_length=MAX_KEYS)]
_Attributes = Annotated[
    dict[_Key, Annotated[list[_Value], Field(max_length=MAX_VALUES)]], Field(max_length=MAX_KEYS)
]
_DIGITS = re.compile(r"\s*[+-]?\d+(?:\.\d*)?\s*")


def _no_bare_numbers(value: Any) -> Any:
    """A number is not a timestamp here: epoch seconds in customer data are ambiguous."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError("a number is not accepted as a time; write ISO-8601 with a time zone")
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        raise ValueError(f"a digit string ({value[:40]!r}) is not accepted as a time; "
                         "write ISO-8601 with a time zone, e.g. 2025-03-01T10:00:00Z")
    return value


def _in_range(value: datetime) -> datetime:
    if not C.in_instant_range(value):
        raise ValueError(f"{value.isoformat()} is outside the years {C.EARLIEST_INSTANT.year}-"
                         f"{C.LATEST_INSTANT.year - 1}")
    return value


#: an instant: ISO-8601 with a time zone (or an aware datetime)
Instant = Annotated[AwareDatetime, BeforeValidator(_no_bare_numbers), AfterValidator(_in_range)]


def known_time_zone(value: str) -> str:
    """``value`` if it names an IANA time zone; a ``ValueError`` naming it if not.

    ``ZoneInfo`` raises ``IsADirectoryError`` for "America", ``OSError`` for a very long
    name, ``ValueError`` for a path: each is an unknown zone here.
    """
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(value)
    except (OSError, ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown IANA time zone {value[:80]!r}") from exc
    return value
