"""Style examples: notes the reviewers approved for other customers, with what is personal taken out.

An approved note (edited or not) teaches the house style: how long, how warm, which words the
reviewers keep. But it was written to *another* customer, so before it goes into a prompt:

- its greeting and signature block are dropped (the library composes both for this customer);
- every name of that customer (and of the staff who signed) and every specific detail of their
  facts (items, places, programmes, flight numbers, collections, tiers) is replaced by a
  placeholder (``[name]``, ``[item]``, ``[place]``, ``[detail]``), every number by ``[number]``,
  and any other capitalised word inside a sentence (a name or place a reviewer typed) by ``[name]``;
- personal data is redacted and the text made safe for the prompt (``data_text``).

The names and distinctive details taken out are kept beside the example (``withheld``), never put
in the prompt: the drafting checks block a note that states one of them when this customer's own
facts do not (``_names.example_findings``), so a model that guesses another customer's details anyway cannot
slip them through. A placeholder the model copies is itself a blocking ``placeholder`` finding.

Similarity: rapidfuzz's token-set ratio (tie: token-sort ratio, then the newer note) between what the
current moment is about and what each example's moment was about (the kind, why now, the evidence's
statements; digits and month names masked). No model, no fitted vocabulary, no download: rapidfuzz is
already a core dependency and scores a pair in microseconds.

Example::

    example = style_example(draft_id=7, customer_id="C-1", kind="milestone", prompt="note",
                            prompt_version="3", body=body, about=about, names=["Ada", "Lovelace"],
                            details=fact_details(ctx.facts.values()))
    chosen = most_similar(about_now, pool, k=3, exclude_customer="C-2")
    block = examples_block(chosen)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from rapidfuzz import fuzz

from ._context import MONTHS, Fact
from ._moment_types import Moment
from ._redact import data_text

__all__ = ["StyleExample", "StyleSource", "about_text", "examples_block", "fact_details", "most_similar",
           "placeholders", "style_example"]

#: fact data keys whose values are a customer's specific details, and the placeholder each becomes;
#: True: distinctive enough that a note stating it for another customer is blocked (colours, cabins
#: and sizes are masked in the prompt but too common to block)
DETAIL_KEYS: dict[str, tuple[str, bool]] = {
    "item": ("[item]", True), "sku": ("[item]", True), "items": ("[item]", True),
    "name": ("[item]", True), "collection": ("[item]", True), "variant": ("[detail]", False),
    "variants": ("[detail]", False), "attributes": ("[detail]", False),
    "origin": ("[place]", True), "destination": ("[place]", True), "property": ("[place]", True),
    "store": ("[place]", True), "flight_number": ("[detail]", True), "seat": ("[detail]", False),
    "cabin": ("[detail]", False), "program": ("[detail]", True), "tier": ("[detail]", True),
    "previous_tier": ("[detail]", True), "order_id": ("[detail]", True), "topic": ("[detail]", False),
    "author": ("[name]", True),
}
#: capitalised words that may stand inside a sentence without being a name or a place
_COMMON_CAPS = frozenset({"I", "I'm", "I'd", "I've", "I'll", "We", "Our", "You", "Your", "Thank", "Thanks",
                          "Congratulations", "Happy", "Please", "Dear", "Team", "OK"})
_NUMBER = re.compile(r"(?<![\w\[])\d(?:[\d,.:]*\d)?(?:\s*(?:am|pm|million|thousand|k)\b)?", re.IGNORECASE)
_CAPITALISED = re.compile(r"(?<![\w\[])[A-Z][\w'’\-]*")
_SENTENCE_END = re.compile(r"[.!?]['\"”’)]*\s*$")
_REPEATED_PLACEHOLDER = re.compile(r"(\[[a-z]+\])(?:\s+\1)+")
_MONTH = re.compile(r"\b(?:" + "|".join(MONTHS) + r")\b")


@dataclass(frozen=True)
class StyleExample:
    """An approved note to another customer, ready to show as a style example.

    ``text`` is the body with names, details and numbers replaced by placeholders; ``words`` is the
    part after the library's opening sentence of a framed note (what a framed prompt's model writes),
    None when the note has no such sentence. ``about`` is what its moment was about (for similarity
    only, never shown). ``withheld_names`` and ``withheld_details`` are what was taken out that the
    checks block in a note to someone else: never put in a prompt.
    """

    draft_id: int
    customer_id: str
    kind: str
    prompt: str
    prompt_version: str
    text: str
    about: str
    words: str | None = None
    withheld_names: tuple[str, ...] = ()
    withheld_details: tuple[str, ...] = ()


@runtime_checkable
class StyleSource(Protocol):
    """Where drafting finds style examples: ``ReviewQueue`` and ``HouseStyle`` are sources.

    ``style_examples`` gives at most ``k`` approved notes of moment ``kind``, most similar to
    ``about`` first, none of them to ``customer_id`` (a customer's own earlier note is memory, not
    style, and a replay must not see the answer it is scored against).
    """

    def style_examples(self, kind: str, about: str, customer_id: str, k: int) -> list[StyleExample]: ...


def about_text(moment: Moment, facts: Mapping[str, Fact]) -> str:
    """What a moment is about, for similarity: its kind, why now and its evidence's statements, with
    digits and month names masked (two milestones of different sizes and days read alike)."""
    known = {**facts, **{f.id: f for f in moment.facts}}
    parts = [moment.kind.replace("_", " "), moment.why_now,
             *(known[i].text for i in moment.evidence if i in known)]
    return _MONTH.sub("#", re.sub(r"\d+", "#", " ".join(parts)))


def _values(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _values(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _values(inner)


def fact_details(facts: Iterable[Fact]) -> dict[str, tuple[str, bool]]:
    """Each specific detail in the facts' data (an item, a place, a programme...): its placeholder, and
    whether a note to another customer stating it is blocked. Values shorter than 2 characters and
    numbers are left to the number mask."""
    found: dict[str, tuple[str, bool]] = {}
    for fact in facts:
        for key, (placeholder, distinctive) in DETAIL_KEYS.items():
            for value in _values(fact.data.get(key)):
                value = " ".join(value.split())
                if len(value) >= 2 and not value.replace(",", "").replace(".", "").isdigit():
                    earlier = found.get(value)
                    found[value] = (placeholder, distinctive or bool(earlier and earlier[1]))
    return found


def _mask(text: str, replacements: Mapping[str, str]) -> tuple[str, set[str]]:
    """``text`` with each key (whole words, any case, longest first) replaced; the keys found."""
    keys = sorted((k for k in replacements if k.strip()), key=len, reverse=True)
    if not keys:
        return text, set()
    lowered = {k.casefold(): replacements[k] for k in keys}
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(k) for k in keys) + r")(?!\w)", re.IGNORECASE)
    found: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        found.add(match.group(0).casefold())
        return lowered.get(match.group(0).casefold(), "[detail]")

    return pattern.sub(replace, text), found


def _mask_capitalised(text: str) -> str:
    """Capitalised words inside a sentence (names, places a reviewer typed) become ``[name]``."""
    out: list[str] = []
    last = 0
    for match in _CAPITALISED.finditer(text):
        before = text[:match.start()]
        starts_sentence = not before.strip() or bool(_SENTENCE_END.search(before)) or before.endswith("\n")
        if starts_sentence or match.group(0) in _COMMON_CAPS:
            continue
        out += [text[last:match.start()], "[name]"]
        last = match.end()
    return "".join(out) + text[last:]


def placeholders(text: str, *, names: Iterable[str], details: Mapping[str, tuple[str, bool]],
                 region: str | None = None) -> str:
    """``text`` with names, details, numbers and other capitalised words replaced by placeholders,
    then made safe for a prompt (``data_text``: personal data redacted, no tags, no forged lines)."""
    replacements: dict[str, str] = {value: placeholder for value, (placeholder, _) in details.items()}
    for name in names:
        for part in (name, *name.replace(".", " ").split()):
            if len(part) >= 2:
                replacements[part] = "[name]"
    text, _ = _mask(text, replacements)
    text = _NUMBER.sub("[number]", text)
    text = _mask_capitalised(text)
    text = _REPEATED_PLACEHOLDER.sub(r"\1", text)
    return data_text(" ".join(text.split()), region)


def style_example(*, draft_id: int, customer_id: str, kind: str, prompt: str, prompt_version: str,
                  body: str, about: str, names: Iterable[str], details: Mapping[str, tuple[str, bool]],
                  opening: str | None = None, region: str | None = None) -> StyleExample:
    """An approved note's body as a style example (see the module docstring).

    ``names``: the customer's names and the signers'; ``details``: ``fact_details`` of its facts;
    ``opening``: the library's opening sentence of a framed note, if the body starts with it.
    """
    names = [n for n in names if n and n.strip()]
    words = None
    if opening and body.startswith(opening) and body[len(opening):].strip():
        words = placeholders(body[len(opening):].strip(), names=names, details=details, region=region)
    text = placeholders(body, names=names, details=details, region=region)
    parts = {part for n in names for part in (n, *n.replace(".", " ").split())}
    withheld_names = sorted((p for p in parts if len(p) >= 3), key=str.casefold)
    withheld_details = sorted({v for v, (_, distinctive) in details.items() if distinctive and len(v) >= 3},
                              key=str.casefold)
    return StyleExample(draft_id=draft_id, customer_id=customer_id, kind=kind, prompt=prompt,
                        prompt_version=prompt_version, text=text, about=about, words=words,
                        withheld_names=tuple(withheld_names), withheld_details=tuple(withheld_details))


def most_similar(about: str, pool: Sequence[StyleExample], k: int, *, kind: str,
                 exclude_customer: str | None = None) -> list[StyleExample]:
    """The ``k`` examples of moment ``kind`` most similar to ``about``, best first.

    Score: rapidfuzz's token-set ratio, ties broken by the token-sort ratio, then the newer note
    (higher queue id). Notes to ``exclude_customer`` are left out.
    """
    if k <= 0:
        return []
    scored = []
    for example in pool:
        if example.kind != kind or example.customer_id == exclude_customer:
            continue
        scored.append((-fuzz.token_set_ratio(about, example.about),
                       -fuzz.token_sort_ratio(about, example.about), -example.draft_id, example))
    scored.sort(key=lambda s: s[:3])
    return [s[3] for s in scored[:k]]


def examples_block(examples: Sequence[StyleExample], *, words_only: bool = False) -> str:
    """The examples as one clearly delimited block for a prompt ('' for none).

    ``words_only``: show the words after the library's opening sentence (a framed prompt's part),
    where the example has them.
    """
    if not examples:
        return ""
    lines = ["<style_examples>",
             "Notes our reviewers approved for OTHER customers, shown for their tone, length and wording "
             "only. Names and details in [brackets] were taken out: they are not this customer's. Never "
             "copy a bracket, a detail or a fact from them; take every detail from the data below."]
    for number, example in enumerate(examples, 1):
        shown = example.words if words_only and example.words else example.text
        lines.append(f"Example {number}: {shown}")
    lines.append("</style_examples>")
    return "\n".join(lines)
