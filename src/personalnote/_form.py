"""Form: is the body a note at all?

A small model sometimes answers with something that is not prose: braces (``{ { 1 }, {``),
a JSON object or a code block, HTML tags, a bare date, a word repeated over and over, an
empty body, or the prompt's own scaffolding ("the customer's or staff's words, data
only: …"). Each is a blocking ``form`` finding: a reviewer should never have to read it.

The body checked here is the prose between the salutation and the closing: the closing
line ("With warm regards,") and the signature block (lines to sign on, signer labels)
are the library's and are left out, so an empty body is seen as empty.

A reviewer may give the body alone: ``whole_note`` adds the greeting and the sign-off (the
closing line and the signature block) the library wrote, where the text lacks them.

Example::

    form_findings("Dear Ms Okafor,\\n\\n{ { 1 }, {\\n\\nWith warm regards,\\nCaptain", 17, 26)
    whole_note("Welcome back.", "Dear Tomás,", "Best wishes,", "Ana, Store manager")
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from . import _constants as C
from ._draft_types import Finding

__all__ = ["form_findings", "prose_span", "whole_note"]

#: a short line that closes a note ("Best wishes,", "With warm regards,"): the body ends before it
_CLOSING = re.compile(
    r"^\s*(?:with\s+)?(?:best|kind|warm|warmest|warm\s+best|kindest|all\s+the\s+best|many\s+thanks|thanks|"
    r"regards|sincerely|yours(?:\s+sincerely|\s+truly|\s+faithfully)?|cheers|best\s+wishes|"
    r"with\s+(?:warm\s+)?regards|with\s+thanks|with\s+gratitude)[\w\s]{0,20},\s*$",
    re.IGNORECASE,
)
_SIGN_LINE = re.compile(r"^\s*_{3,}\s*$")
#: a first line that greets: "Dear Ms Okafor", "Hello,", "Hi Tomás!" (a few words at most)
_GREETING_LINE = re.compile(r"^\s*(?:dear(?:est)?\b[^\n]{0,60}|(?:hello|hi|hey|good\s+(?:morning|afternoon|"
                            r"evening)|greetings)\b[^\n]{0,60}[,!:])\s*$", re.IGNORECASE)
_GREETING_WORDS = 6
_LETTER_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_BRACES = re.compile(r"[{}]")
_CODE_FENCE = re.compile(r"```|~~~")
_JSON_KEY = re.compile(r"[\"\u201c\u201d]\w+[\"\u201c\u201d]\s*:")
_TAG = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>|&(?:[a-z]{2,8}|#\d{2,5});")
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?\b")
_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
           r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
#: a body that is only a date (with an optional label or weekday): "15 November 2016", "2026-11-20"
_BARE_DATE = re.compile(
    rf"^\W*(?:[\w-]+\s*:\s*)?(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}\.?,?\s+\d{{2,4}}|{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+"
    rf"\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}\S*|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}|\d{{4}})\W*$",
    re.IGNORECASE,
)
#: the prompt's own labels and wrapping, echoed back as if they were the note
SCAFFOLDING = (
    "the customer's or staff's words", "the customer\u2019s or staff\u2019s words", "data only:",
    "<data>", "</data>", "\u2039data\u203a", "\u2039/data\u203a", "facts (id: statement)",
    "written on behalf of:", "write the body of the note", "fact_ids", "length: at most",
)
_SCAFFOLD_LABEL = re.compile(r"(?:^|\n)\s*(?:moment|tone|channel|facts|length|claims|body)\s*:",
                             re.IGNORECASE)


def prose_span(text: str, body_start: int, body_end: int) -> tuple[int, int]:
    """The body without a closing line or signature block left at its end (character span)."""
    body = text[body_start:body_end]
    lines = body.split("\n")
    offset = 0
    for line in lines:
        if _CLOSING.match(line) or _SIGN_LINE.match(line):
            end = body_start + offset
            while end > body_start and text[end - 1].isspace():
                end -= 1
            return body_start, end
        offset += len(line) + 1
    return body_start, body_end


def _repeated_run(words: list[str]) -> tuple[int, int, int] | None:
    """A phrase of 1 to 4 words said three times or more in a row: (first word, words, repeats)."""
    lowered = [w.casefold() for w in words]
    for size in range(1, 5):
        for start in range(len(lowered) - 3 * size + 1):
            phrase = lowered[start:start + size]
            repeats = 1
            while lowered[start + repeats * size:start + (repeats + 1) * size] == phrase:
                repeats += 1
            if repeats >= 3:
                return start, size, repeats
    return None


def _repeated_sentence(body: str) -> str | None:
    seen: set[str] = set()
    for sentence in re.split(r"(?<=[.!?])\s+", body):
        key = " ".join(_LETTER_WORD.findall(sentence.casefold()))
        if len(key.split()) >= 3:
            if key in seen:
                return sentence.strip()
            seen.add(key)
    return None


def _looks_like_json(body: str) -> bool:
    stripped = body.strip().strip("`").removeprefix("json").strip()
    if stripped[:1] not in ("{", "["):
        return False
    try:
        json.loads(stripped)
    except ValueError:
        return bool(_JSON_KEY.search(stripped))
    return True


def form_findings(text: str, body_start: int, body_end: int,
                  signer_labels: Sequence[str] = ()) -> list[Finding]:
    """Blocking ``form`` findings for a body that is not prose (see the module docstring)."""
    start, end = prose_span(text, body_start, body_end)
    body = text[start:end]
    for label in signer_labels:  # a signer's label left at the end is the library's, not the body's
        if label and body.rstrip().endswith(label):
            end = start + len(body.rstrip()) - len(label)
            body = text[start:end]
    findings: list[Finding] = []

    def add(span: tuple[int, int], message: str) -> None:
        findings.append(Finding(kind="form", severity="blocking", span=span, message=message))

    whole = (start, max(end, start))
    counted = len(text[body_start:body_end].split()) >= C.MIN_NOTE_WORDS  # else "too short" says it
    if not body.strip():
        if counted:
            add(whole, "the note has no body: there is nothing between the greeting and the closing")
        return findings
    if _CODE_FENCE.search(body) or _looks_like_json(body):
        add(whole, "the body is JSON or a code block, not a note")
    elif (brace := _BRACES.search(body)) is not None:
        add((start + brace.start(), start + brace.end()), "braces in the body: it is data or a template, "
                                                          "not a note")
    if (tag := _TAG.search(body)) is not None:
        add((start + tag.start(), start + tag.end()), f"markup ('{tag.group(0)}') in the body: a note is "
                                                      "plain prose")
    if _BARE_DATE.match(body):
        add(whole, "the body is only a date, not a note")
    elif (iso := _ISO_DATE.search(body)) is not None:
        add((start + iso.start(), start + iso.end()), f"'{iso.group(0)}' is a date written as data")
    words = _LETTER_WORD.findall(body)
    if len(words) < C.MIN_NOTE_WORDS and counted:
        add(whole, f"only {len(words)} word(s) made of letters: this is not a note")
    tokens = list(re.finditer(r"\S+", body))
    run = _repeated_run([re.sub(r"^\W+|\W+$", "", t.group(0)) or t.group(0) for t in tokens])
    if run is not None:
        first, size, repeats = run
        span = (start + tokens[first].start(), start + tokens[first + size * repeats - 1].end())
        phrase = " ".join(t.group(0) for t in tokens[first:first + size])
        add(span, f"'{phrase}' repeated {repeats} times in a row: this is not a note")
    sentence = _repeated_sentence(body)
    if sentence:
        add(whole, f"the same sentence twice: '{sentence}'")
    lowered = body.casefold()
    for marker in SCAFFOLDING:
        index = lowered.find(marker)
        if index >= 0:
            add((start + index, start + index + len(marker)),
                f"'{body[index:index + len(marker)]}' is the prompt's own wording, not a note")
            break
    else:
        scaffold = _SCAFFOLD_LABEL.search(body)
        if scaffold:
            add((start + scaffold.start(), start + scaffold.end()),
                f"'{scaffold.group(0).strip()}' is a label from the prompt, not a note")
    return findings


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().splitlines() if line.strip()]


def _greets(text: str, salutation: str) -> bool:
    first = _lines(text)[0] if text.strip() else ""
    return bool(first) and (first == salutation.strip() or (
        _GREETING_LINE.match(first) is not None and len(first.split()) <= _GREETING_WORDS))


def _signs_off(text: str, signature_block: str) -> bool:
    lines, signature = _lines(text), _lines(signature_block)
    if signature and lines[-len(signature):] == signature:
        return True
    return any(_CLOSING.match(line) for line in lines[1:])  # the reviewer's own closing line


def whole_note(text: str, salutation: str, closing: str, signature_block: str) -> str:
    """``text`` as a whole note: a text without a greeting gets ``salutation``, one without a sign-off
    (a closing line, or the signature block at its end) gets ``closing`` and ``signature_block``.

    A text that has both is returned as it is; the reviewer's own words are never changed.
    """
    greets, signs_off = _greets(text, salutation), _signs_off(text, signature_block)
    if greets and signs_off:
        return text
    parts = [salutation if not greets else "", text.strip(),
             f"{closing}\n{signature_block}".strip() if not signs_off else ""]
    return "\n\n".join(part for part in parts if part)
