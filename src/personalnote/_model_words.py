"""The model's own words in a framed note, read for what a small model gets wrong.

In a framed note the library states the moment and the model writes the warm words after it.
Those words carry no facts of their own, so the checks hold them to that: a small model repeats
the library's sentence, lists words instead of writing a sentence, echoes the prompt's labels
("a customer of many years"), speaks as if the customer were the writer ("my order"), or slips in a
count, a date or a time in words ("your first order", "every month"). Each is a blocking finding
on the span of the model's words where it stands.

Example::

    model_words_findings(draft)   # [Finding(kind="repetition", ...)] or []
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ._draft_types import Draft, Finding

__all__ = ["model_words_findings"]

#: a run of this many words of the library's sentence, repeated by the model, is a repetition
_REPEATED_RUN = 4
_WORD = re.compile(r"[a-z']+")
_LIST = re.compile(r"(?:\b[a-z']+\b\s*,\s*){4,}\b[a-z']+\b", re.IGNORECASE)
_CUT_SHORT = re.compile(r"\s[.,!?]|\.\.\.|…|,\s*[.!?]|\b(?:the|a|an|in|of|to|size|your|with)\s*[.!?]\s*$",
                        re.IGNORECASE)
_COUNTS_AND_TIMES = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|first|second|third|fourth|fifth|tenth|once|twice|"
    r"today|tonight|tomorrow|yesterday|morning|evening|afternoon|minutes?|hours?|days?|weeks?|months?|"
    r"years?|monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|"
    r"june|july|august|september|october|november|december|daily|weekly|monthly|yearly|annual|every|"
    r"recently|lately)\b",
    re.IGNORECASE)
_ROLE_REVERSAL = re.compile(r"\bmy (?:order|purchase|flight|trip|miles|points|visit|stay|membership|"
                            r"account|request|trousers|booking)\b|\b(?:to|for|with) me\b|\bbrought me\b",
                            re.IGNORECASE)
_SCAFFOLDING = re.compile(
    r"\b(?:first sentence|warm words?|the tone|tone:|written by|long[- ]standing|customer of many years|"
    r"occasional customer|regular customer|new customer|the customer|data|json|words:)\b", re.IGNORECASE)
_OVER_FAMILIAR = re.compile(r"\b(?:love you|i love|xoxo|kisses|hugs|sweetheart|darling|honey|my friend)\b",
                            re.IGNORECASE)
#: an honorific with no name after it: "thank you for the tea, mr."
_BARE_HONORIFIC = re.compile(r"\b(?:mr|mrs|ms|miss|dr|sir|madam)\b\.?\s*(?:[.,!?]|$)", re.IGNORECASE)
#: unknown words allowed in the model's words before they count as not English (a typo is a warning
#: a reviewer fixes; two or more is gibberish or another language)
_UNKNOWN_WORDS_ALLOWED = 1


@lru_cache(maxsize=1)
def _lexicon() -> Any:
    """pyspellchecker's English word list (in the ``local`` extra), or None when it is not installed."""
    try:
        from spellchecker import SpellChecker
    except ImportError:
        return None
    return SpellChecker(language="en", distance=1)


def _unknown_words(words: str, known_text: str) -> list[str]:
    """Words of ``words`` that neither the English word list nor the note's facts and names know."""
    lexicon = _lexicon()
    if lexicon is None:
        return []
    known = set(_WORD.findall(known_text.lower()))
    candidates = [w.strip("'") for w in _WORD.findall(words.lower()) if w.strip("'") not in known]
    unknown: set[str] = lexicon.unknown([w for w in candidates if w and "'" not in w])
    return sorted(unknown)


def _repeats(words: str, sentence: str) -> bool:
    said = _WORD.findall(sentence.lower())
    runs = {tuple(said[i:i + _REPEATED_RUN]) for i in range(len(said) - _REPEATED_RUN + 1)}
    new = _WORD.findall(words.lower())
    return any(tuple(new[i:i + _REPEATED_RUN]) in runs for i in range(len(new) - _REPEATED_RUN + 1))


def model_words_findings(draft: Draft) -> list[Finding]:
    """Blocking findings on the parts of a framed draft's body that the model wrote."""
    library = " ".join(s.text for s in draft.sentences if s.author == "library")
    text = draft.text
    known = " ".join([library, text[:len(draft.salutation)], draft.signature_block,
                      *(f.text for f in draft.facts), *(f.text for f in draft.moment.facts)])
    findings: list[Finding] = []
    for part in (s for s in draft.sentences if s.author == "model" and s.text):
        start = text.find(part.text)
        if start < 0 or not library:
            continue
        span = (start, start + len(part.text))

        def found(kind: str, message: str, span: tuple[int, int] = span) -> None:
            findings.append(Finding(kind=kind, severity="blocking", span=span, message=message))

        if _repeats(part.text, library):
            found("repetition", "the model's words repeat the sentence that states the moment")
        if _LIST.search(part.text):
            found("form", "the model's words are a list of words, not a sentence")
        if _CUT_SHORT.search(part.text) or _BARE_HONORIFIC.search(part.text):
            found("form", "the model's words are cut short or broken ('size .', '...', 'mr.')")
        unknown = _unknown_words(part.text, known)
        if len(unknown) > _UNKNOWN_WORDS_ALLOWED:
            found("form", f"words no English dictionary knows ({', '.join(unknown[:5])}): gibberish or "
                          "another language")
        only_library = "a count, a date or a time in the model's words: only the library states the facts"
        for pattern, kind, why in (
                (_COUNTS_AND_TIMES, "unsupported_detail", only_library),
                (_ROLE_REVERSAL, "role_reversal", "written as if the customer were the writer"),
                (_SCAFFOLDING, "scaffolding", "echoes the prompt's labels, not words for a customer"),
                (_OVER_FAMILIAR, "tone", "over-familiar for a note from a business")):
            for match in pattern.finditer(part.text):
                found(kind, f"'{match.group(0)}': {why}", (start + match.start(), start + match.end()))
    return findings
