"""Untrusted free text in a note: what a model that obeyed instructions hidden in it writes.

Free text from the records (staff notes, preferences, requests, support cases) is data,
never instructions. When a model obeys it anyway, the note shows it: it copies a run of
that text the moment does not need, carries a code or encoded text from it, answers in the
words of an injection ("system prompt", "developer mode"), or repeats the drafting
instructions it was asked to reveal. ``obeyed_spans`` finds each, by plain text matching.

A run copied from free text that reads like no instruction (a seat preference, the customer's
own words about a wedding) is not an attack: it is private text repeated, told apart as
``COPIED`` (``copied_private_text``) from ``OBEYED`` (``untrusted_instruction``). A run is
obeyed when it holds a word of instructions to a machine, or when the free text it comes from
reads like instructions (``reads_like_instruction``).

Example::

    obeyed_spans(body, [FreeText("N-1", staff_note, evidence=False, kind="staff_note")], trusted_text,
                 instructions, ObedienceRules())
    # [(start, end, "'...' repeats the staff's free-text words from N-1 ...", "copied_private_text")]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from . import _constants as C

__all__ = ["ADDRESS_MARKERS", "COPIED", "CUSTOMERS_OWN_WORDS", "INSTRUCTION_MARKERS", "INSTRUCTION_WORDS",
           "MIXED_CODE", "OBEYED", "FreeText", "ObedienceRules", "Repeated", "obeyed_spans",
           "reads_like_instruction"]

#: the finding kinds: a note that followed an instruction, and one that repeats private free text
OBEYED = "untrusted_instruction"
COPIED = "copied_private_text"
#: facts whose free text is the customer's own words (a note may need a review to repeat them);
#: any other free text (a staff note, a support case, an application's own event) is the business's
CUSTOMERS_OWN_WORDS = frozenset({"preference", "request"})

#: phrases a note only contains when it answers instructions hidden in the records
INSTRUCTION_MARKERS = (
    "system prompt", "system message", "previous instructions", "prior instructions", "my instructions",
    "your instructions", "initial instructions", "ignore all", "ignore your", "disregard", "developer mode",
    "no restrictions", "without restrictions", "no content policy", "content policy", "as an ai",
    "language model", "do anything now", "api key", "verbatim", "word for word", "send_email", "delete_file",
    "http_post", "jailbreak", "unrestricted", "prompt di sistema", "prompt système", "prompt del sistema",
    "system-prompt", "systemanweisungen",
)

#: words of instructions to a machine: a run of free text copied into a note with one of them is flagged
#: even from the moment's own evidence
INSTRUCTION_WORDS = frozenset(
    "ignore ignoring disregard forget instruction instructions prompt assistant ai bot chatbot llm override "
    "rules restrictions unrestricted uncensored comply reveal decode decoded encoded base64 rot13 execute "
    "password passwords credentials admin developer verbatim jailbreak guidelines directive supersedes "
    "protocols persona api webhook database exfiltrate confidential summarize output "
    "ignora ignoriere ignorez ignorer vergiss oubliez olvida dimentica istruzioni anweisungen instrucciones "
    "richtlinien regeln regole reglas règles restricciones restrizioni einschränkungen uneingeschränkt "
    "systemanweisungen desarrollador sviluppatore entwickler rivela revela révèle révélez verrate zeige "
    "muestra mostra".split())


#: phrases that address whoever processes a text (a model, a system), not the business's people: free text
#: holding one reads like instructions, so a run copied from it was followed (``reads_like_instruction``)
ADDRESS_MARKERS = (
    "your reply", "your replies", "your response", "your answer", "your summary", "your output", "your rules",
    "every reply", "every response", "every summary", "every report", "every future", "all future",
    "any response", "end of your", "from now on", "ab sofort", "you were given", "you are now", "respond as",
    "user input", "system:", "system note", "system update", "systemhinweis", "note système",
    "nota del sistema", "nota di sistema", "long-term memory", "the words above", "above this conversation",
    "hidden prompt", "email the", "envoie",
)


@dataclass(frozen=True)
class FreeText:
    """The free text of one fact; ``evidence`` when the note's moment rests on that fact.

    ``kind`` is the fact's kind for a record's own free text; None for a structured value that is
    treated as free text because it reads like an instruction or carries a code (always obeyed).
    ``sent_note`` when it is the text of a note already sent to the customer: words copied from it
    are a repeat (``_repeats`` warns of it), and count here only when they read like an instruction.
    """

    fact_id: str
    text: str
    evidence: bool = False
    kind: str | None = None
    sent_note: bool = False


@dataclass(frozen=True, kw_only=True)
class ObedienceRules:
    """Phrases and words of injections, and how many copied words in a row make a finding.

    ``CheckPolicy`` extends these rules, so a business sets them where it sets every check.
    """

    instruction_markers: tuple[str, ...] = INSTRUCTION_MARKERS
    instruction_words: frozenset[str] = INSTRUCTION_WORDS
    address_markers: tuple[str, ...] = ADDRESS_MARKERS
    copied_run_words: int = C.COPIED_RUN_WORDS
    evidence_run_words: int = C.EVIDENCE_RUN_WORDS


_STOPWORDS = frozenset(
    "a an and are as at be been but by for from had has have he her his i if in is it its me my no not of on "
    "or our she so that the their them then they this to was we were will with you your".split())
_WORD = re.compile(r"\w+")
_ENCODED = re.compile(r"(?:(?<!\S)[.\-_/|]{1,8}(?:\s+|$)){8,}|\b(?:[01]{8}\s+){3,}[01]{8}\b")
#: a code: letters and digits together, five or more characters ("TRK-7Q4Z-5829", "FREE50")
MIXED_CODE = re.compile(r"\b(?=[\w-]*\d)(?=[\w-]*[^\W\d_])[\w][\w-]{4,}\b")
#: a code, or a long run of code-like characters (base64 and the like)
_CODE_LIKE = re.compile(rf"{MIXED_CODE.pattern}|\b[\w+/=-]{{16,}}")


class Repeated(NamedTuple):
    """A span of the note that repeats untrusted text: why, and its kind (``OBEYED`` or ``COPIED``)."""

    start: int
    end: int
    why: str
    kind: str = OBEYED


def reads_like_instruction(text: str, rules: ObedienceRules) -> bool:
    """True when ``text`` holds a phrase of injections, a phrase addressed to a model, two words of
    instructions to a machine, or encoded text (Morse, binary)."""
    return _reads_like_instruction(text, rules.instruction_markers, rules.address_markers,
                                   rules.instruction_words)


@lru_cache(maxsize=C.CHECKED_TEXT_CACHE)
def _reads_like_instruction(text: str, instruction_markers: tuple[str, ...], address_markers: tuple[str, ...],
                            instruction_words: frozenset[str]) -> bool:
    """``reads_like_instruction``, once per text and rules: the same programme, tier and place names
    stand in many facts."""
    lowered = text.casefold()
    return (any(marker in lowered for marker in (*instruction_markers, *address_markers))
            or len(set(_words(text)) & instruction_words) >= 2 or bool(_ENCODED.search(text)))


def _copied(quoted: str, source: FreeText, needed: bool) -> str:
    """The message for private free text repeated by a note that followed no instruction."""
    whose = ("the customer's own free-text words" if source.kind in CUSTOMERS_OWN_WORDS
             else "the staff's free-text words, private to the business,")
    tail = "; say it in the note's own words" if needed else ", which the note does not need"
    return f"{quoted} repeats {whose} from {source.fact_id} ({source.kind}){tail}"


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def _copied_runs(body: list[str], source: list[str], min_words: int) -> list[tuple[int, int]]:
    """Maximal runs body[i:j] (at least ``min_words`` long) that appear word for word in ``source``."""
    where: dict[str, list[int]] = {}
    for k, word in enumerate(source):
        where.setdefault(word, []).append(k)
    runs: list[tuple[int, int]] = []
    previous: dict[int, int] = {}
    for i, word in enumerate(body):
        current = {k: previous.get(k - 1, 0) + 1 for k in where.get(word, ())}
        for k, length in previous.items():
            if current.get(k + 1) is None and length >= min_words:
                runs.append((i - length, i))
        previous = current
    runs += [(len(body) - n, len(body)) for n in previous.values() if n >= min_words]
    return [r for r in set(runs) if not any(o != r and o[0] <= r[0] and r[1] <= o[1] for o in runs)]


def obeyed_spans(body: str, free_texts: Sequence[FreeText], trusted: str, instructions: str,
                 rules: ObedienceRules) -> list[Repeated]:
    """Spans of ``body`` that repeat untrusted free text: ``OBEYED`` where a model followed an
    instruction in it, ``COPIED`` where it only repeats private words.

    ``trusted`` is the text of the facts themselves (statements, structured fields, names):
    words found there are never evidence of copying. A run copied from the moment's own
    evidence is allowed up to ``evidence_run_words`` unless it holds an instruction word.
    """
    found: list[Repeated] = []
    lowered = body.casefold()
    for marker in rules.instruction_markers:
        found += [Repeated(m.start(), m.end(), f"'{marker}' reads like an answer to instructions hidden in "
                                               "the customer's records")
                  for m in re.finditer(rf"\b{re.escape(marker)}\b", lowered)]
    known = set(_words(trusted))
    tokens = list(_WORD.finditer(body))
    words = [t.group(0).casefold() for t in tokens]
    kept = [line for line in instructions.splitlines() if '{"' not in line and "fact_ids" not in line]
    sources: list[tuple[FreeText, bool, str]] = [
        (t, t.evidence, f"is copied from the free text of {t.fact_id}") for t in free_texts]
    sources.append((FreeText("the prompt", "\n".join(kept)), True, "repeats the drafting instructions"))
    for source, needed, why in sources:
        instructing = (source.kind is None or source.fact_id == "the prompt"
                       or reads_like_instruction(source.text, rules))
        for i, j in _copied_runs(words, _words(source.text), rules.copied_run_words):
            new = {w for w in words[i:j] if w not in _STOPWORDS and w not in known}
            start, end = tokens[i].start(), tokens[j - 1].end()
            quoted = f"'{body[start:end]}'"
            if new & rules.instruction_words:
                found.append(Repeated(start, end, f"{quoted} {why} and reads like an instruction to the "
                                                  "model"))
            elif len(new) >= 2 and not source.sent_note and (not needed or j - i >= rules.evidence_run_words):
                if not instructing:
                    found.append(Repeated(start, end, _copied(quoted, source, needed), COPIED))
                elif needed:
                    found.append(Repeated(start, end, f"{quoted} {why}"))
                else:
                    found.append(Repeated(start, end, f"{quoted} {why}, which reads like instructions to a "
                                                      "model and the note does not need"))
    found += [Repeated(m.start(), m.end(), "encoded text (Morse, binary) has no place in a note")
              for m in _ENCODED.finditer(body)]
    untrusted = set(_words(" ".join(t.text for t in free_texts)))
    for match in _CODE_LIKE.finditer(body):
        code = _words(match.group(0))
        if code and all(w in untrusted and w not in known for w in code):
            found.append(Repeated(match.start(), match.end(),
                                  f"'{match.group(0)}' is a code from the customer's free text"))
    return sorted(set(found))
