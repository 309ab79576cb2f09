"""Repeats: a draft that says again what an earlier note to the same customer said.

A person who writes to a customer remembers what they wrote last time. A ``note_sent`` event may
carry the note's text (``text``, untrusted free text: the fact's ``quote``), and this check reads
every earlier note the context knows (sent at or before ``as_of``) against the draft's body:

- ``repeats_earlier_note``: a sentence of the draft is the same as a sentence of an earlier note,
  or nearly (rapidfuzz's ratio of the two, in lower-case words, at least ``repeat_similarity``);
- ``repeats_compliment``: a compliment of the draft is one an earlier note paid, in other words. A
  compliment is a clause holding a word of praise or thanks (``compliment_words``: "loyal",
  "pleasure", "thank", "congratulations"; the warm words of a framed note open with the last two),
  and it is the same when most of its content words are the earlier one's ("you are one of our most
  loyal guests", "we count you among our most loyal guests"). A clause opening "We …" with no such
  word ("we have the grey trousers back") is news, not a compliment.

Greetings, closings and signatures are not compared, nor short sentences (``repeat_min_words``),
nor the library's own sentences (a framed prompt's statement of a moment, its closing words) in the
draft or the earlier note: the library says those the same way on purpose. Two sentences that state
different figures ("25 nights", "50 nights") say something new. Both findings are warnings: nothing
in a repeat is false or unsafe, and the reviewer decides whether the customer will mind.

Example::

    repeat_findings(draft.text, (body_start, body_end), ctx, RepeatRules())
    # [Finding(kind="repeats_compliment", severity="warning", fact_ids=("N-1",), ...)]
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from rapidfuzz import fuzz

from . import _constants as C
from ._context import CustomerContext, Fact
from ._draft_types import Finding
from ._errors import ConfigurationError, PromptError
from ._form import prose_span
from ._prompts import PromptTemplate, load_prompt
from ._redact import data_text

__all__ = ["RepeatRules", "frame_sentences", "repeat_findings"]


@dataclass(frozen=True, kw_only=True)
class RepeatRules:
    """How close a sentence must be to an earlier note's to repeat it. ``CheckPolicy`` extends these.

    ``repeat_similarity`` is rapidfuzz's ratio (0-100) from which a sentence repeats one of an earlier
    note; ``repeat_min_words`` the shortest sentence compared; ``compliment_overlap`` the share (0-1)
    of a compliment's content words found in an earlier one for it to be the same compliment;
    ``compliment_words`` the words that make a sentence a compliment.
    """

    repeat_similarity: float = C.REPEAT_SIMILARITY
    repeat_min_words: int = C.REPEAT_MIN_WORDS
    compliment_overlap: float = C.COMPLIMENT_OVERLAP
    compliment_words: frozenset[str] = C.COMPLIMENT_WORDS

    def __post_init__(self) -> None:
        if not 1 < self.repeat_similarity <= 100:  # 0.9 is a share where a score (90) is meant
            raise ConfigurationError(f"repeat_similarity is a rapidfuzz score above 1 and at most 100 "
                                     f"(90, not 0.9), not {self.repeat_similarity}")
        if not 0 < self.compliment_overlap <= 1:
            raise ConfigurationError(f"compliment_overlap is a share above 0 and at most 1, "
                                     f"not {self.compliment_overlap}")


#: a sentence: up to ., ! or ? (with a closing quote or bracket) or the end of a line
_SENTENCE = re.compile(r"[^\s.!?][^.!?\n]*(?:[.!?]+[\"'\u201d\u2019)]*|$)", re.MULTILINE)
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
#: a greeting: on its own line ("Dear Ingrid,") or before the first comma of a note on one line
_GREETING = re.compile(r"(?:dear(?:est)?|hello|hi|hey|good\s+(?:morning|afternoon|evening)|greetings)\b"
                       r"[^,.!?\n]{0,60}(?:,\s*|$)", re.IGNORECASE)
#: a closing with no sentence end: "Best wishes, The front desk", "With warm regards, Captain Reyes"
_CLOSING = re.compile(r"^(?:with\s+)?(?:best|kind|warm|warmest|kindest|all\s+the\s+best|many\s+thanks|"
                      r"regards|sincerely|yours|cheers|love)\b[^.!?]*$", re.IGNORECASE)
#: clause boundaries inside a sentence: a compliment is compared clause by clause
_CLAUSE = re.compile(r"\s*(?:[,;:\u2013\u2014]|\s-\s|\band\b|\bbut\b)\s*", re.IGNORECASE)
_STOPWORDS = frozenset(
    "a about after again all also always am among an and any are as at be because been before being both "
    "but by can could did do does during each even ever every for from further had has have having he her "
    "here hers him his how i if in into is it its itself just let me more most much my no nor not now of "
    "off on once one only or other our ours ourselves out over own really same she should so some such "
    "than that the their theirs them then there these they this those through to too truly under until "
    "up us very was we were what when where which while who whom why will with would you your yours "
    "yourself yourselves i'm you're we're it's we've you've we'll".split())
#: warm words every note may say: they never make two compliments the same
_GENERIC_WARMTH = frozenset(
    "thank thanks congratulations congratulate hope wish wishes glad happy pleased look looking forward soon "
    "dear warm warmly regards best".split())
_FIGURE_WORDS = frozenset(
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million "
    "billion first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth twentieth "
    "fiftieth hundredth thousandth millionth".split())
_SUFFIXES = ("ingly", "ness", "ing", "ity", "ty", "ed", "ly", "es", "s", "e")


def _words(text: str) -> list[str]:
    return [w.replace("\u2019", "'") for w in _WORD.findall(unicodedata.normalize("NFKC", text).casefold())]


def _stem(word: str) -> str:
    """A crude stem, enough to read "guests" as "guest" and "welcoming" as "welcome"."""
    word = word.removesuffix("'s")
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4 and (suffix != "s" or word[-2] != "s"):
            return word[:-len(suffix)]
    return word


def _figures(words: Sequence[str]) -> frozenset[str]:
    return frozenset(w for w in words if any(c.isdigit() for c in w) or w in _FIGURE_WORDS)


def _content(words: Sequence[str]) -> frozenset[str]:
    return frozenset(_stem(w) for w in words if w not in _STOPWORDS and w not in _GENERIC_WARMTH)


@dataclass(frozen=True)
class _Sentence:
    start: int
    end: int
    text: str
    words: tuple[str, ...]
    normal: str  # lower-case words, one space apart
    figures: frozenset[str]
    clauses: tuple[frozenset[str], ...]  # content words of each clause that pays a compliment


def _compliments(text: str, rules: RepeatRules) -> tuple[frozenset[str], ...]:
    """The content words of each clause that pays a compliment (holds a word of praise or thanks)."""
    found: list[frozenset[str]] = []
    for clause in _CLAUSE.split(text):
        words = _words(clause)
        content = _content(words)
        if len(content) >= C.COMPLIMENT_MIN_SHARED and any(w in rules.compliment_words for w in words):
            found.append(content)
    return tuple(found)


def _sentence(text: str, start: int, end: int, rules: RepeatRules) -> _Sentence:
    words = _words(text)
    return _Sentence(start, end, text, tuple(words), " ".join(words), _figures(words),
                     _compliments(text, rules))


def _literal(text: str) -> str:
    """``text`` as a regex, any run of spaces matching any other."""
    return r"\s+".join(re.escape(part) for part in re.split(r"\s+", text))


@lru_cache(maxsize=256)
def _frame_regex(pattern: str) -> re.Pattern[str]:
    """A library sentence or sentence template as a regex: each ``$variable`` matches any words."""
    parts: list[str] = []
    last = 0
    for match in string.Template.pattern.finditer(pattern):
        parts.append(_literal(pattern[last:match.start()]))
        parts.append(".*?" if match.group("named") or match.group("braced") else re.escape(match.group(0)))
        last = match.end()
    parts.append(_literal(pattern[last:]))
    return re.compile("".join(parts), re.IGNORECASE)


def frame_sentences(template: PromptTemplate) -> list[str]:
    """The sentences a framed template makes the library write: its moment sentence templates and its
    closing words (``$variables`` stand for the moment's details)."""
    return [*template.moment_sentences.values(), *template.closing_words.values()]


@lru_cache(maxsize=1)
def _shipped_frames() -> tuple[str, ...]:
    """The library's own sentences in every framed prompt shipped with the package."""
    folder = resources.files("personalnote") / "prompts"
    found: list[str] = []
    for name in sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")):
        try:
            found += frame_sentences(load_prompt(name))
        except PromptError:
            continue
    return tuple(found)


def _is_frame(sentence: str, frames: Sequence[str]) -> bool:
    return any(_frame_regex(frame.strip()).fullmatch(sentence) for frame in frames if frame.strip())


def _split(text: str, start: int, end: int, frames: Sequence[str], rules: RepeatRules) -> list[_Sentence]:
    """The sentences of ``text[start:end]`` worth comparing: a greeting before a sentence is left
    out, and a closing or a library sentence is no sentence to compare."""
    found: list[_Sentence] = []
    for match in _SENTENCE.finditer(text, start, end):
        s, e = match.span()
        if (greeting := _GREETING.match(text, s, e)) is not None:
            s = greeting.end()  # "Dear Ingrid," alone is left empty
        sentence = text[s:e].strip()
        if not sentence or _CLOSING.match(sentence) or _is_frame(sentence, frames):
            continue
        found.append(_sentence(sentence, s, s + len(sentence), rules))
    return found


@dataclass(frozen=True)
class _Earlier:
    fact: Fact
    sentences: list[_Sentence]


def _earlier_notes(ctx: CustomerContext, frames: Sequence[str], rules: RepeatRules) -> list[_Earlier]:
    """The notes sent to the customer at or before ``as_of`` whose text the context holds."""
    notes = [f for f in ctx.facts.values()
             if f.kind == "note_sent" and f.quote and f.at is not None and f.at <= ctx.as_of]
    out: list[_Earlier] = []
    for fact in notes:
        text = fact.quote or ""
        start, end = prose_span(text, 0, len(text))  # the closing and the signature are left out
        out.append(_Earlier(fact, _split(text, start, end, frames, rules)))
    return out


def _comparable(a: _Sentence, b: _Sentence) -> bool:
    """Two sentences stating different figures say different things ("25 nights", "50 nights")."""
    return not (a.figures and b.figures and a.figures != b.figures)


def _same_compliment(draft: _Sentence, earlier: _Sentence, overlap: float) -> float:
    """The best share of shared content words between a clause of each (0 when none is the same)."""
    best = 0.0
    for mine in draft.clauses:
        for theirs in earlier.clauses:
            shared = len(mine & theirs)
            if shared >= C.COMPLIMENT_MIN_SHARED:
                share = shared / min(len(mine), len(theirs))
                if share >= overlap:
                    best = max(best, share)
    return best


def _quoted(text: str) -> str:
    """An earlier note's sentence, safe to show in a message (one line, no hidden characters)."""
    safe = data_text(text)
    return safe if len(safe) <= 160 else safe[:157].rstrip() + "..."


_Match = tuple[str, float, _Earlier, _Sentence]


def _matches(draft: _Sentence, earlier: list[_Earlier], rules: RepeatRules) -> Iterator[_Match]:
    """Each earlier sentence the draft's repeats (kind, score: a repeat outranks a compliment)."""
    for note in earlier:
        for sentence in note.sentences:
            if not _comparable(draft, sentence):
                continue
            if min(len(draft.words), len(sentence.words)) >= rules.repeat_min_words:
                score = fuzz.ratio(draft.normal, sentence.normal)
                if score >= rules.repeat_similarity:
                    yield "repeats_earlier_note", 100.0 + score, note, sentence  # a repeat outranks
                    continue
            share = _same_compliment(draft, sentence, rules.compliment_overlap)
            if share:
                yield "repeats_compliment", share * 100, note, sentence


def repeat_findings(text: str, body: tuple[int, int], ctx: CustomerContext, rules: RepeatRules,
                    library_sentences: Sequence[str] = ()) -> list[Finding]:
    """Warnings for the sentences of ``text[body[0]:body[1]]`` that repeat an earlier note's.

    ``library_sentences`` are the library's own sentences in this draft, or sentence templates with
    ``$variables`` (a framed prompt's, see ``frame_sentences``): they are never compared, nor are the
    sentences of the framed prompts shipped with the package. Each finding quotes the earlier
    sentence, names the earlier note's date and event id, and cites it in ``fact_ids``.
    """
    frames = (*_shipped_frames(), *library_sentences)
    earlier = _earlier_notes(ctx, frames, rules)
    if not any(note.sentences for note in earlier):
        return []
    start, end = prose_span(text, *body)
    findings: list[Finding] = []
    for sentence in _split(text, start, end, frames, rules):
        best = max(_matches(sentence, earlier, rules), key=lambda m: (m[1], m[2].fact.at), default=None)
        if best is None:
            continue
        kind, _, note, said = best
        when = ctx.local_date(note.fact.at) if note.fact.at else "an earlier date"
        what = "repeats a sentence of" if kind == "repeats_earlier_note" else "pays the same compliment as"
        findings.append(Finding(
            kind=kind, severity="warning", span=(sentence.start, sentence.end), fact_ids=(note.fact.id,),
            message=f"{what} the note sent on {when} ({note.fact.id}): '{_quoted(said.text)}'"))
    return findings
