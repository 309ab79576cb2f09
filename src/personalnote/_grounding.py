"""Grounding of combinations: the facts a note states together must be true together.

Word-by-word grounding passes "The blue wool trousers you requested are back in stock, size
32" for a customer who asked for grey in 34 and said no to blue: every word is in some fact.
This module reads claims. In each sentence it finds mentions of the customer's known
entities and groups them:

- an **item** (the last word of an item name in the facts: "trousers") with the words in front
  of it (colours, materials: "blue wool"), and the colours, sizes and store in its sentence;
- a **loyalty figure**: a number with its metric ("2 million miles"), the programme, the tier;
- a **trip**: a flight number and the places it names, with their direction ("to JFK",
  "from Heathrow"); a place is known by its IATA code and, when the optional ``airportsdata``
  package is installed, by its city and airport name ("New York", "Kennedy").

A group is grounded when one single fact holds all of it. A sentence that says "you asked for"
must be grounded by a request, "you bought" by a purchase, "your 10th purchase" by the count
itself, "your first purchase" by the first purchase; a trip named in the sentence of the
moment's milestone must be the moment's own trip. An ungrounded group is a blocking
``unsupported_combination``. An item the customer declined or dislikes, offered in a note whose
moment is not about it (and not in a sentence that says no to it), is a blocking ``declined``.

Example::

    combination_findings(text, body_start, body_end, facts, evidence=["R-310", "B-901"])
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import _constants as C
from ._context import Fact
from ._draft_types import Finding
from ._known_facts import (
    _CUES,
    _DIRECTION_FROM,
    _DIRECTION_TO,
    _NEGATION,
    _NUMBER,
    _SIZE,
    _STOP,
    COLOURS,
    MATERIALS,
    _aliases,
    _Known,
    _known,
    _number,
    _singular,
    _supported,
    _words,
    place_aliases,
)

__all__ = ["COLOURS", "MATERIALS", "combination_findings", "place_aliases"]

#: colour words a note may pair with an item
@dataclass
class _Mention:
    start: int
    end: int
    kind: str  # head, modifier, colour, size, store, program, metric, number_metric, place, flight
    value: str
    extra: Any = None  # the number for number_metric, the direction for a place


@dataclass
class _Vocab:
    heads: set[str]
    modifiers: set[str]
    stores: set[str]
    programs: set[str]
    metrics: set[str]
    places: dict[str, str]  # alias (as written) -> code
    flights: dict[str, str]  # pattern -> normalised flight number


def _vocab(known: Sequence[_Known]) -> _Vocab:
    heads: set[str] = set()
    modifiers: set[str] = set()
    stores, programs, places, flights = set(), set(), {}, {}
    metrics = set(C.MILESTONE_MINIMUMS)
    for k in known:
        data = k.fact.data
        heads |= {h for h in k.heads if h not in COLOURS and len(h) > 2}
        for key in ("item", "name"):
            if key in data and k.fact.kind not in ("custom",):
                modifiers |= {w for w in _words(str(data[key]).split(",")[0]) if w not in _STOP}
        for item in data.get("items", []):
            modifiers |= {w for w in _words(str(item)) if w not in _STOP}
        if data.get("store"):
            stores.add(str(data["store"]))
        if data.get("program"):
            programs.add(str(data["program"]))
        if data.get("metric"):
            metrics.add(str(data["metric"]).casefold())
        for code in k.places:
            for alias in _aliases(code):
                places[alias] = code
        if k.flight and data.get("flight_number"):
            flights[str(data["flight_number"])] = k.flight
    return _Vocab(heads, modifiers - heads, stores, programs, metrics, places, flights)


def _mentions(sentence: str, offset: int, vocab: _Vocab) -> list[_Mention]:
    found: list[_Mention] = []
    tokens = list(re.finditer(r"[^\W_]+", sentence))
    def is_head(i: int) -> bool:
        word = tokens[i].group(0).casefold()
        return _singular(word) in vocab.heads or word in vocab.heads

    for index, token in enumerate(tokens):
        word = token.group(0).casefold()
        if is_head(index) and not (index + 1 < len(tokens) and is_head(index + 1)
                                   and sentence[token.end():tokens[index + 1].start()] == " "):
            found.append(_Mention(offset + token.start(), offset + token.end(), "head", _singular(word)))
            back = index - 1
            while back >= 0 and index - back <= 4:
                previous = tokens[back].group(0).casefold()
                if previous in COLOURS | MATERIALS or previous in vocab.modifiers or is_head(back):
                    kind = "colour" if previous in COLOURS else "modifier"
                    found.append(_Mention(offset + tokens[back].start(), offset + tokens[back].end(), kind,
                                          previous, extra="np"))
                    back -= 1
                else:
                    break
    taken = {(m.start, m.end) for m in found}
    for token in tokens:
        word = token.group(0).casefold()
        span = (offset + token.start(), offset + token.end())
        if word in COLOURS and span not in taken and not re.search(
                r"\b(?:not|no|nor|never)\s+(?:the\s+)?$", sentence[:token.start()], re.IGNORECASE):
            found.append(_Mention(span[0], span[1], "colour", word))
    for match in _SIZE.finditer(sentence):
        value = next(g for g in match.groups() if g)
        found.append(_Mention(offset + match.start(), offset + match.end(), "size", value.casefold()))
    absent = _absent(sentence)
    for store in vocab.stores:
        if absent(store):
            continue
        for match in re.finditer(rf"\b{re.escape(store)}\b", sentence, re.IGNORECASE):
            found.append(_Mention(offset + match.start(), offset + match.end(), "store", store))
    for program in vocab.programs:
        if absent(program):
            continue
        flags = 0 if program.casefold() in vocab.metrics else re.IGNORECASE  # "Stays" the programme
        for match in re.finditer(rf"\b{re.escape(program)}\b", sentence, flags):
            found.append(_Mention(offset + match.start(), offset + match.end(), "program", program))
    metrics = "|".join(re.escape(m) for m in sorted(vocab.metrics, key=len, reverse=True))
    for match in re.finditer(rf"\b({_NUMBER})\s+(?:lifetime\s+|more\s+)?({metrics})\b", sentence,
                             re.IGNORECASE):
        if match.group(2) in {p for p in vocab.programs}:
            continue  # "with Stays": the programme, not a metric
        value = _number(match.group(1))
        if value is not None and match.group(1).casefold() != "a":
            found.append(_Mention(offset + match.start(), offset + match.end(), "number_metric",
                                  match.group(2).casefold(), extra=value))
    for alias, code in vocab.places.items():
        if absent(alias):
            continue
        flags = 0 if alias.isupper() else re.IGNORECASE
        for match in re.finditer(rf"(?<![\w-]){re.escape(alias)}(?![\w-])", sentence, flags):
            if not flags or match.group(0)[0].isupper():
                before = sentence[:match.start()]
                direction = ("destination" if _DIRECTION_TO.search(before)
                             else "origin" if _DIRECTION_FROM.search(before) else None)
                found.append(_Mention(offset + match.start(), offset + match.end(), "place", code,
                                      extra=direction))
    for written, normal in vocab.flights.items():
        if any(absent(part) for part in written.split()):
            continue
        pattern = r"\s*".join(re.escape(p) for p in written.split())
        for match in re.finditer(rf"\b{pattern}\b", sentence, re.IGNORECASE):
            found.append(_Mention(offset + match.start(), offset + match.end(), "flight", normal))
    return found


def _absent(sentence: str) -> Callable[[str], bool]:
    """A test that a name cannot match in ``sentence``, even ignoring case: a plain substring test
    that spares most names their pattern. Exact for ASCII text only (a case-blind pattern also
    matches 'ı' for 'i', 'ſ' for 's'): for any other, nothing is ruled out."""
    if not sentence.isascii():
        return lambda name: False
    lowered = sentence.lower()
    return lambda name: name.isascii() and name.lower() not in lowered


_CLAUSE = re.compile(r"\s*(?::|\s[\u2014\u2013-]\s|,\s*(?:and|but|so|while)\b|\s(?:so|but|while)\s)\s*")


def _item_groups(mentions: list[_Mention], sentence: str, offset: int) -> list[list[_Mention]]:
    """Each item head with the words in front of it and the colours, sizes and store of its clause."""
    bounds = [offset] + [offset + m.end() for m in _CLAUSE.finditer(sentence)] + [offset + len(sentence) + 1]
    groups: list[list[_Mention]] = []
    for low, high in zip(bounds, bounds[1:], strict=False):
        inside = [m for m in mentions if low <= m.start < high]
        heads = [m for m in inside if m.kind == "head"]
        loose = [m for m in inside if m.kind in ("colour", "size", "store", "modifier")]
        if not heads:
            group = [m for m in loose if m.kind != "modifier"]
            groups += [group] if len(group) >= 2 else []
            continue
        attached: dict[int, list[_Mention]] = {id(h): [h] for h in heads}
        for mention in loose:
            if mention.kind == "modifier" and mention.extra != "np":
                continue
            nearest = min(heads, key=lambda h: (h.start - mention.end if h.start >= mention.end
                                                else mention.start - h.end + 0.5))
            attached[id(nearest)].append(mention)
        groups += [g for g in attached.values() if len(g) >= 2]
    return groups


def _item_supported(group: list[_Mention], known: _Known) -> bool:
    for m in group:
        if m.kind == "head" and m.value not in known.item_words:
            return False
        same = {m.value, {"grey": "gray", "gray": "grey"}.get(m.value, m.value)}
        if m.kind in ("colour", "modifier") and not same & known.words:
            return False
        if m.kind == "size" and m.value not in known.sizes:
            return False
        if m.kind == "store" and str(known.fact.data.get("store", "")).casefold() != m.value.casefold():
            return False
    return True


def _loyalty_supported(group: list[_Mention], known: _Known) -> bool:
    data = known.fact.data
    if not data.get("metric"):
        return False
    for m in group:
        if m.kind == "program" and str(data.get("program", "")).casefold() != m.value.casefold():
            return False
        if m.kind == "number_metric" and (str(data["metric"]).casefold() != m.value
                                          or not _supported(float(m.extra), known.numbers)):
            return False
    return True


def _trip_supported(group: list[_Mention], known: _Known) -> bool:
    if known.fact.kind != "trip":
        return False
    for m in group:
        if m.kind == "flight" and m.value != known.flight:
            return False
        if m.kind == "place" and (m.value not in known.places
                                  or (m.extra is not None and known.places[m.value] != m.extra)):
            return False
    return True


def _describe(text: str, group: list[_Mention]) -> str:
    start, end = min(m.start for m in group), max(m.end for m in group)
    return text[start:end]


def combination_findings(text: str, body_start: int, body_end: int, facts: Sequence[Fact],
                         support: Sequence[str] = (), evidence: Sequence[str] = ()) -> list[Finding]:
    """Blocking findings for details that are each true but false together (see the module).

    ``facts`` are all the customer's facts (what a note can mention); ``support`` the ids a
    combination may be grounded in (the cited facts and the moment's evidence; all when empty).
    """
    every = [_known(f) for f in facts]
    vocab = _vocab(every)
    cited = set(support)
    known = [k for k in every if k.fact.id in cited] if cited else every
    evidence_set = set(evidence)
    findings: list[Finding] = []
    body = text[body_start:body_end]
    first_purchase = min((k for k in every if k.fact.kind == "purchase" and k.fact.at),
                         key=lambda k: k.fact.at or 0, default=None)
    declined = [k for k in every if k.fact.kind == "preference"
                and k.fact.data.get("stance") in ("declined", "dislikes")]
    about = {w for k in every if k.fact.id in evidence_set and k.fact.kind != "preference"
             for w in (k.heads | k.words)}
    for sentence_match in re.finditer(r"[^.!?;\n]+[.!?;]?", body):
        sentence = sentence_match.group(0)
        offset = body_start + sentence_match.start()
        mentions = _mentions(sentence, offset, vocab)
        if not mentions:
            continue

        def add(kind: str, group: list[_Mention], why: str) -> None:
            start, end = min(m.start for m in group), max(m.end for m in group)
            findings.append(Finding(kind=kind, severity="blocking", span=(start, end), message=why))

        cues = {name for name, cue in _CUES.items() if cue.search(sentence)}
        pool = known
        if cues & {"request", "purchase", "first_purchase", "purchase_count"}:
            pool = [k for k in known if (("request" in cues and k.fact.kind == "request")
                                         or ("purchase" in cues and k.fact.kind == "purchase")
                                         or ("first_purchase" in cues and k is first_purchase)
                                         or ("purchase_count" in cues and k.fact.kind == "purchase_count"))]
        ordinal = re.search(r"\b(\d+)(?:st|nd|rd|th)\s+(?:purchase|order)\b", sentence, re.IGNORECASE)
        if ordinal:  # "your 25th purchase": the count itself must be the customer's
            pool = [k for k in pool if k.fact.data.get("count") == int(ordinal.group(1))]
        for group in _item_groups(mentions, sentence, offset):
            if not any(_item_supported(group, k) for k in pool):
                what = _describe(text, group)
                which = (" (not what the customer asked for)" if "request" in cues
                         else " (not what the customer bought)" if cues else "")
                add("unsupported_combination", group,
                    f"'{what}': no single fact says these details together{which}")
            negated = _NEGATION.search(sentence) is not None
            for pref in declined if not negated else []:
                moment_about_it = bool(pref.heads & about) and _declined_words(pref) <= about
                if _declined_match(group, pref) and not moment_about_it:
                    add("declined", group, f"'{_describe(text, group)}': the customer said no to this "
                                           f"({pref.fact.id}); the note offers it anyway")
        loyalty = [m for m in mentions if m.kind in ("program", "number_metric")]
        loyalty_fact = None
        if loyalty and (len(loyalty) >= 2 or loyalty[0].kind == "number_metric"):
            supporting = [k for k in known if _loyalty_supported(loyalty, k)]
            if not supporting:
                add("unsupported_combination", loyalty,
                    f"'{_describe(text, loyalty)}': no single fact holds this figure with this programme "
                    "and metric")
            else:
                loyalty_fact = next((k for k in supporting if k.fact.id in evidence_set), None)
        trip = [m for m in mentions if m.kind in ("place", "flight")]
        for group in _trip_groups(trip):
            supporting = [k for k in known if _trip_supported(group, k)]
            in_moment = [k for k in supporting if k.fact.id in evidence_set]
            moment_trips = any(k.fact.kind == "trip" and k.fact.id in evidence_set for k in every)
            if not supporting:
                add("unsupported_combination", group,
                    f"'{_describe(text, group)}': no trip in the facts goes this way")
            elif loyalty_fact is not None and moment_trips and not in_moment:
                add("unsupported_combination", group,
                    f"'{_describe(text, group)}' is another trip, not the one of this milestone")
    return findings


def _trip_groups(trip: list[_Mention]) -> list[list[_Mention]]:
    flights = [m for m in trip if m.kind == "flight"]
    places = [m for m in trip if m.kind == "place"]
    if not flights:
        return [[p] for p in places]
    groups: dict[int, list[_Mention]] = {id(f): [f] for f in flights}
    for place in places:
        nearest = min(flights, key=lambda f: abs(f.start - place.start))
        groups[id(nearest)].append(place)
    return list(groups.values())


def _declined_words(pref: _Known) -> set[str]:
    item = str(pref.fact.data.get("item") or "")
    colours = {str(c).casefold() for v in pref.fact.data.get("attributes", {}).values() for c in v}
    return (_words(item) - _STOP) | colours


def _declined_match(group: list[_Mention], pref: _Known) -> bool:
    """The group names the declined item (its head and its colour), or a declined colour on an item."""
    heads = {m.value for m in group if m.kind == "head"}
    said = {m.value for m in group if m.kind in ("colour", "modifier")}
    colours = {str(c).casefold() for v in pref.fact.data.get("attributes", {}).values() for c in v}
    item = pref.fact.data.get("item")
    if item:
        item_colours = (_words(str(item)) & COLOURS) | colours
        return bool(heads & pref.heads) and bool(item_colours) and item_colours <= said
    return bool(heads) and bool(colours & said)
