"""The checks of how a note reads, apart from its facts: creepiness (clock times, exact intervals,
amounts, sensitive topics), genericity and form, channel and tone, and disguised words; with the
``CheckPolicy`` they follow and the ``_Note`` (text and body span) they read. ``_checks`` runs them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import _constants as C
from ._compose import CHANNELS, Signer
from ._context import CustomerContext
from ._draft_types import Finding
from ._history import Channel
from ._repeats import RepeatRules
from ._untrusted import ObedienceRules

__all__ = ["CheckPolicy"]

SENSITIVE_TERMS: dict[str, tuple[str, ...]] = {
    "health": ("pregnan", "diagnos", "medic", "prescription", "pharmacy", "illness", "cancer", "therapy",
               "surgery", "hospital", "disab"),
    "money troubles": ("debt", "overdraft", "loan", "bankrupt", "arrears", "late payment", "collections"),
    "religion": ("church", "mosque", "synagogue", "temple", "religio", "prayer"),
    "politics": ("election", "political", "party member", "vote", "campaign donation"),
    "sexuality": ("sexual", "gay", "lesbian", "dating"),
    "children": ("your child", "your son", "your daughter", "your kids", "baby", "toddler"),
    "precise location": ("home address", "your address", "your house", "your home", "your street",
                         "your flat", "your apartment", "your neighbourhood", "your neighborhood",
                         "where you live", "your gps", "your location", "your postcode",
                         "your zip code"),
}

STOCK_PHRASES = (
    "we value your loyalty", "valued customer", "i hope this message finds you well",
    "don't hesitate to contact", "we appreciate your business", "as a token of our appreciation",
    "thank you for being a loyal customer", "dear customer",
)

#: form-letter phrases: too stiff for a customer of many years
STIFF_PHRASES = (
    "dear sir or madam", "dear sir/madam", "dear sir / madam", "to whom it may concern", "hereby",
    "please be advised", "we wish to inform you", "this is to inform you",
    "kindly be informed", "kindly note that", "dear valued customer", "dear client", "please find enclosed",
    "pursuant to",
)


@dataclass(frozen=True, kw_only=True)
class CheckPolicy(ObedienceRules, RepeatRules):
    """What a business allows. The default is the safe one.

    ``allow_sensitive`` names categories that may appear (a pharmacy may name health, a
    delivery service "precise location"); ``allow_amounts`` / ``allow_quantities`` permit
    prices and counts; ``stiff_for`` names the familiarity levels a form letter is too
    stiff for; ``copied_run_words`` is how many words in a row copied from untrusted free
    text make a finding (``evidence_run_words`` when the text is the moment's own evidence,
    which a note may quote, unless the copied words hold one of ``instruction_words``);
    ``repeat_similarity`` (rapidfuzz ratio, 0-100) is how close a sentence must be to one of an earlier
    note to the customer to repeat it, ``compliment_overlap`` (0-1) how many of a compliment's content
    words an earlier compliment must share to be the same one (see ``RepeatRules``).
    """

    allow_sensitive: frozenset[str] = frozenset()
    allow_amounts: bool = False
    allow_quantities: bool = False
    sensitive_terms: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(SENSITIVE_TERMS))
    stock_phrases: tuple[str, ...] = STOCK_PHRASES
    stiff_phrases: tuple[str, ...] = STIFF_PHRASES
    stiff_for: frozenset[str] = C.STIFF_FOR


_COORDINATES = re.compile(r"-?\d{1,2}\.\d{3,}\s*°?\s*[NS]?\s*,\s*-?\d{1,3}\.\d{3,}\s*°?\s*[EW]?"
                          r"|\d{1,2}°\s*\d{1,2}['′]\s*(?:\d{1,2}(?:\.\d+)?[\"″])?\s*[NS]")
_CLOCK = re.compile(r"\b\d{1,2}[:.]\d{2}\s?(?:[ap]\.?m\.?)?\b|\b\d{1,2}\s?[ap]\.?m\.?\b", re.IGNORECASE)
_DAY_COUNT = re.compile(r"\b\d[\d,]*\s+(?:days?|hours?|minutes?|weeks?)\b(?:\s+(?:after|since|ago|before))?",
                        re.IGNORECASE)
_NUMBER_WORDS = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
                 r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
                 r"eighty|ninety|hundred|thousand)")
#: clock times in words and abbreviations: "at 15h41", "quarter to four", "3 o'clock"
_CLOCK_WORDS = re.compile(
    rf"\b\d{{1,2}}h\d{{2}}\b|\b(?:quarter|half|ten|five|twenty|twenty-five)\s+(?:past|to)\s+"
    rf"(?:{_NUMBER_WORDS}|\d{{1,2}})\b|\b(?:{_NUMBER_WORDS}|\d{{1,2}})\s*o['’]?\s?clock\b", re.IGNORECASE)
#: intervals in words and abbreviations: "one hundred and twenty-one days", "twelve days ago", "121d after"
_INTERVAL_WORDS = re.compile(
    rf"\b{_NUMBER_WORDS}(?:[\s-]+(?:and\s+)?{_NUMBER_WORDS})*\s+(?:days?|hours?|minutes?|weeks?)\b"
    r"(?:\s+(?:after|since|ago|before))?|\b\d+\s?(?:d|hrs?|mins?|h)\b(?:\s+(?:after|since|ago|before))?",
    re.IGNORECASE)
_AMOUNT = re.compile(r"[$€£¥]\s?\d[\d,.]*|\b\d[\d,.]*\s?(?:USD|EUR|GBP|dollars|euros|pounds)\b",
                     re.IGNORECASE)
_QUANTITY = re.compile(r"\b\d+(?:\.\d+)?\s?(?:oz|ounces?|ml|l|kg|g|lbs?|units?|items?|bottles?|pieces?)\b",
                       re.IGNORECASE)
_URL = re.compile(r"https?://\S+|www\.\S+|\b[a-z0-9-]+\.(?:com|net|org|io|co)\b\S*", re.IGNORECASE)
_EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF]")
#: "10: 15 November 2016", "Milestone:Passed …": a number, or one token glued to what follows
_RECORD_LABEL = re.compile(r"\s*(\d+:|[A-Za-z][\w-]*:(?=[^\s/]))")
_THIRD_PERSON = re.compile(r"\bthe (?:customer|client|guest|passenger|member|shopper|user)(?:'s)?\b",
                           re.IGNORECASE)
@dataclass
class _Note:
    text: str
    body_start: int
    body_end: int

    @property
    def body(self) -> str:
        return self.text[self.body_start:self.body_end]

    def spans(self, pattern: re.Pattern[str], *, body_only: bool = True) -> list[tuple[int, int, str]]:
        start, text = (self.body_start, self.body) if body_only else (0, self.text)
        return [(start + m.start(), start + m.end(), m.group(0)) for m in pattern.finditer(text)]


_WORD_WITH_HIDDEN = re.compile(r"\w*[\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e"
                               r"\u2060-\u2064\u3164\ufe00-\ufe0f\ufeff\uffa0]+\w*")
_WORD = re.compile(r"\w+")


def _script(char: str) -> str:
    """'latin', 'cyrillic', 'greek' or 'other' for a letter (look-alike letters come from these)."""
    name = unicodedata.name(char, "")
    return next((s.lower() for s in ("LATIN", "CYRILLIC", "GREEK") if name.startswith(s)), "other")


def _disguised(note: _Note) -> list[Finding]:
    """Words carrying invisible characters ("Ok\u200bafor") or letters of two scripts ("Маrgaret"):
    a name disguised to slip past the name checks, or text pasted from somewhere it should not be."""
    findings: list[Finding] = []
    if note.text.isascii():  # no invisible character, and every letter is Latin
        return findings
    for match in _WORD_WITH_HIDDEN.finditer(note.text):
        findings.append(Finding(kind="disguised", severity="blocking", span=(match.start(), match.end()),
                                message=f"{match.group(0)!r} holds invisible characters"))
    for match in _WORD.finditer(note.text):
        scripts = {_script(c) for c in match.group(0) if c.isalpha()} - {"other"}
        if len(scripts) > 1:
            findings.append(Finding(kind="disguised", severity="blocking", span=(match.start(), match.end()),
                                    message=f"'{match.group(0)}' mixes look-alike letters of "
                                            f"{' and '.join(sorted(scripts))}"))
    return findings


def _creepiness(note: _Note, policy: CheckPolicy) -> list[Finding]:
    findings: list[Finding] = []
    rules: list[tuple[re.Pattern[str], str, str, bool]] = [
        (_CLOCK, "clock_time", "an exact clock time makes a note feel watched", True),
        (_CLOCK_WORDS, "clock_time", "an exact clock time makes a note feel watched", True),
        (_DAY_COUNT, "exact_interval", "an exact count of days or hours between events feels watched", True),
        (_INTERVAL_WORDS, "exact_interval", "an exact count of days or hours between events feels watched",
         True),
        (_AMOUNT, "amount", "the amount spent is not something to remind a customer of",
         not policy.allow_amounts),
        (_QUANTITY, "quantity", "a needless quantity or size", not policy.allow_quantities),
        (_COORDINATES, "sensitive", "map coordinates: mentions precise location",
         "precise location" not in policy.allow_sensitive),
    ]
    for pattern, kind, why, active in rules:
        if active:
            findings += [Finding(kind=kind, severity="blocking", span=(s, e), message=f"'{w}': {why}")
                         for s, e, w in note.spans(pattern)]
    lowered = note.body.lower()
    for category, terms in policy.sensitive_terms.items():
        if category in policy.allow_sensitive:
            continue
        for term in terms:
            if term not in lowered:  # most notes name none of them: no pattern to read
                continue
            for match in re.finditer(rf"\b{re.escape(term)}", lowered):
                span = (note.body_start + match.start(), note.body_start + match.end())
                findings.append(Finding(kind="sensitive", severity="blocking", span=span,
                                        message=f"mentions {category} ('{term}')"))
    return findings


def _genericity(note: _Note, ctx: CustomerContext, cited: Sequence[str], policy: CheckPolicy,
                moment_words: set[str]) -> list[Finding]:
    findings: list[Finding] = []
    lowered = note.body.lower()
    for phrase in policy.stock_phrases:
        index = lowered.find(phrase)
        if index >= 0:
            findings.append(Finding(kind="stock_phrase", severity="warning",
                                    span=(note.body_start + index, note.body_start + index + len(phrase)),
                                    message=f"'{phrase}' sounds machine-written"))
    word_count = len(note.body.split())
    if word_count < C.MIN_NOTE_WORDS:
        findings.append(Finding(kind="form", severity="blocking", span=(note.body_start, note.body_end),
                                message=f"{word_count} word(s) is too short to be a note"))
    label = _RECORD_LABEL.match(note.body)
    if label:
        findings.append(Finding(kind="form", severity="blocking",
                                span=(note.body_start + label.start(1), note.body_start + label.end(1)),
                                message=f"starts with a label ('{label.group(1)}'): it reads like a data "
                                        "record, not a note"))
    for start, end, words in note.spans(_THIRD_PERSON):
        findings.append(Finding(kind="third_person", severity="blocking", span=(start, end),
                                message=f"'{words}' speaks about the customer, not to them: a personal "
                                        "note says 'you'"))
    body = note.body
    for fact_id in (i for i in ctx.facts if i in body):  # a substring test first: thousands of ids
        for start, end, words in note.spans(re.compile(rf"(?<![\w-]){re.escape(fact_id)}(?![\w-])")):
            findings.append(Finding(kind="internal_id", severity="blocking", span=(start, end),
                                    message=f"'{words}' is a record id from the data, not words for a "
                                            "customer"))
    body_words = set(re.findall(r"[a-z0-9]+", lowered))
    specific = body_words & moment_words
    if not specific:
        findings.append(Finding(kind="generic", severity="blocking", span=(note.body_start, note.body_end),
                                message="nothing in the note refers to its moment or the customer's "
                                        "own history: it could go to anyone"))
    return findings


def _channel(note: _Note, channel: Channel, signers: Sequence[Signer], familiarity: str,
             policy: CheckPolicy) -> list[Finding]:
    findings: list[Finding] = []
    spec = CHANNELS[channel]
    words = len(note.body.split())
    if words > spec.max_words * C.LENGTH_SLACK:
        findings.append(Finding(kind="length", severity="warning", span=(note.body_start, note.body_end),
                                message=f"{words} words; a {channel} holds about {spec.max_words}"))
    if channel in ("card", "letter", "sms"):
        findings += [Finding(kind="link", severity="blocking", span=(s, e),
                             message=f"a {channel} has no links: '{w}'") for s, e, w in note.spans(_URL)]
    if channel == "card":
        findings += [Finding(kind="emoji", severity="blocking", span=(s, e), message="no emoji on a card")
                     for s, e, _ in note.spans(_EMOJI)]
        for signer in signers:
            if signer.role not in note.text:
                findings.append(Finding(kind="signature", severity="blocking", span=None,
                                        message=f"no signature line for {signer.label}"))
    if familiarity == "new" and re.search(r"\b(hey|buddy|mate|xoxo|love,)\b", note.body, re.IGNORECASE):
        findings.append(Finding(kind="tone", severity="warning", span=None,
                                message="over-familiar for a new customer"))
    if familiarity in policy.stiff_for:
        lowered = note.text.lower()
        for phrase in policy.stiff_phrases:
            for match in re.finditer(rf"\b{re.escape(phrase)}\b", lowered):
                findings.append(Finding(
                    kind="tone", severity="warning", span=(match.start(), match.end()),
                    message=f"'{note.text[match.start():match.end()]}' is a form-letter phrase: too stiff "
                            f"for a {familiarity.replace('_', '-')} customer"))
    return findings
