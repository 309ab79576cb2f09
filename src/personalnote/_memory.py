"""Memory: what the business already said to the customer, read as a person would read a CRM.

A ``note_sent`` says what it was ``about`` with a moment key ("milestone:Skyward:miles:2000000")
or with free text as a CRM writes it ("2M miles", "100th visit", "10 years with us"). This module
reads both: which moment a note was about (so the same moment is ``already_sent``) and which kind
of moment it was (so a second note of that kind within a year is a weaker moment).

Example::

    read_about("2M miles")            # About(kinds={'milestone'}, words={'mile'}, number=2000000.0)
    about_matches("100th visit", moment, sent_at=..., occasion=timedelta(days=45))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from . import _constants as C
from ._moment_types import Moment

__all__ = ["About", "about_kind", "about_matches", "read_about"]

_KEY = re.compile(r"^[a-z_]+:\S+$")
_NUMBER = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*"
    r"(million|thousand|mn|bn|billion|m|k)?(?:st|nd|rd|th)?(?![\w])",
    re.IGNORECASE,
)
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}
#: words that name the same subject as a moment's ("order" for "purchase")
_SYNONYMS = {"order": "purchase", "anniversary": "year", "yr": "year", "bday": "birthday",
             "restock": "stock", "restocked": "stock", "mi": "mile"}
#: words that say which kind of moment a free-text note was about, checked in this order
_KIND_WORDS: list[tuple[str, frozenset[str]]] = [
    ("birthday", frozenset({"birthday"})),
    ("wanted_item_available", frozenset({"stock"})),
    ("welcome_back", frozenset({"welcome"})),
    ("nth_purchase", frozenset({"purchase"})),
    ("anniversary", frozenset({"year"})),
]


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words_of(text: str) -> frozenset[str]:
    """Lower-case words, singular, with synonyms folded ('Orders' -> 'purchase')."""
    found = (_singular(w) for w in re.findall(r"[a-z]+", text.lower()))
    return frozenset(_SYNONYMS.get(w, w) for w in found)


@dataclass(frozen=True)
class About:
    """What a free-text ``about`` says: the kinds it can name, its words, its number."""

    kinds: frozenset[str]
    words: frozenset[str]
    number: float | None


@lru_cache(maxsize=4096)
def read_about(about: str) -> About:
    """Read a CRM's free text: '2M miles' -> number 2000000 and the word 'mile'."""
    number: float | None = None
    match = _NUMBER.search(about)
    if match:
        number = float(match.group(1).replace(",", "")) * _SCALE.get((match.group(2) or "").lower(), 1.0)
    words = words_of(_NUMBER.sub(" ", about))
    kinds = {kind for kind, marks in _KIND_WORDS if marks & words}
    metrics = {_singular(m) for m in C.MILESTONE_MINIMUMS} | {_singular(m) for m in C.TENURE_MILESTONES}
    if words & metrics or "milestone" in words:
        kinds.add("milestone")
    return About(kinds=frozenset(kinds), words=words, number=number)


def about_kind(about: str) -> str | None:
    """The kind of moment a note was about: a key's prefix, or the kind its free text names
    ('10 years with us' -> 'anniversary'); None when it does not say."""
    if _KEY.match(about):
        return about.split(":", 1)[0]
    read = read_about(about)
    for kind, _ in _KIND_WORDS:
        if kind in read.kinds:
            return kind
    return "milestone" if "milestone" in read.kinds else None


def _same_subject(subject: str, read: About) -> bool:
    wanted = words_of(subject) - {"the", "a", "an", "of", "with", "us", "your", "our"}
    return bool(wanted) and wanted <= read.words


def about_matches(about: str, moment: Moment, *, sent_at: datetime, occasion: timedelta) -> bool:
    """Whether a note sent at ``sent_at`` about ``about`` was about ``moment``.

    A moment key matches itself only. Free text matches a moment with a threshold (a milestone, an
    anniversary, the Nth purchase) when it names the subject and the same number ('2M miles',
    '10 years with us', '100th visit'); a moment without one (a birthday, an item back in stock)
    when it names the subject and was sent within ``occasion`` of the moment.
    """
    if about == moment.key:
        return True
    if _KEY.match(about) or moment.subject is None:
        return False
    read = read_about(about)
    if not _same_subject(moment.subject, read):
        return False
    if moment.threshold is not None:
        return read.number is not None and abs(read.number - moment.threshold) < 1e-6 * max(
            1.0, moment.threshold)
    return abs(sent_at - moment.at) <= occasion
