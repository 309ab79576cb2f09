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
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from . import _constants as C
from ._context import Fact
from ._draft_types import Finding

__all__ = ["COLOURS", "MATERIALS", "combination_findings", "place_aliases"]

#: colour words a note may pair with an item
COLOURS = frozenset({
    "black", "white", "grey", "gray", "blue", "navy", "red", "green", "yellow", "orange", "pink", "purple",
    "brown", "beige", "camel", "tan", "cream", "ivory", "olive", "khaki", "burgundy", "maroon", "teal",
    "turquoise", "charcoal", "silver", "gold", "violet", "lilac", "mint", "coral", "rust", "mustard",
    "indigo", "denim", "sand", "stone", "taupe", "ecru", "emerald", "scarlet", "crimson", "plum",
})
#: materials a note may pair with an item (known even when this customer's facts never name them)
MATERIALS = frozenset({
    "wool", "merino", "cashmere", "linen", "cotton", "silk", "leather", "suede", "denim", "tweed", "velvet",
    "corduroy", "polyester", "nylon", "oak", "walnut", "pine", "teak", "maple", "mahogany", "beech", "brass",
    "copper", "steel", "ceramic", "porcelain", "glass", "bamboo", "rattan", "marble", "canvas",
})
_STOP = frozenset({"the", "a", "an", "of", "and", "with", "for", "in", "on", "at", "to", "your", "our"})
_NEGATION = re.compile(r"\b(?:not|no|never|instead of|rather than|didn't|did not|declined|passed on|"
                       r"said no|wasn't|weren't|isn't|aren't|without)\b", re.IGNORECASE)
_CUES: dict[str, re.Pattern[str]] = {
    "request": re.compile(r"\b(?:asked (?:for|about)|requested|wanted|were looking for|had your eye on|"
                          r"your size|you were after)\b", re.IGNORECASE),
    "purchase": re.compile(r"\byou (?:bought|chose|picked|purchased|took home)\b", re.IGNORECASE),
    "first_purchase": re.compile(r"\bfirst (?:purchase|order)\b", re.IGNORECASE),
    "purchase_count": re.compile(r"\b(?:\d+(?:st|nd|rd|th)|tenth|twenty-fifth|fiftieth|hundredth)\s+"
                                 r"(?:purchase|order)\b", re.IGNORECASE),
}
_SIZE = re.compile(r"\bsizes?\s+(?:is\s+)?(\d{1,3}|XXS|XS|S|M|L|XL|XXL|XXXL)\b"
                   r"|\byour size,?\s+(\d{1,3}|XXS|XS|S|M|L|XL|XXL|XXXL)\b"
                   r"|\bin (?:a |your )?(\d{2})\b(?!\s*(?:%|[-\u2013]|years?|months?|weeks?|days?|hours?|"
                   r"minutes?|nights?|miles?|points?|visits?|stays?|flights?|purchases?|orders?|million|"
                   r"thousand|percent)\b)")
_SMALL = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
          "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "a": 1}
_SCALE = {"hundred": 100.0, "thousand": 1e3, "million": 1e6, "billion": 1e9}
_NUMBER = (r"(?:\d[\d,]*(?:\.\d+)?|(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
           r"fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|a))"
           r"(?:\s*(?:-|\s)\s*(?:hundred|thousand|million|billion))?")
_DIRECTION_TO = re.compile(r"\b(?:to|for|into|towards|in)\s+(?:the\s+)?$", re.IGNORECASE)
_DIRECTION_FROM = re.compile(r"\b(?:from|out of|leaving)\s+(?:the\s+)?$", re.IGNORECASE)
_AIRPORT_WORDS = frozenset({"international", "airport", "intl", "regional", "municipal", "field", "airfield",
                            "air", "base", "county", "city", "john", "f", "general", "edward", "lawrence"})


@lru_cache(maxsize=1)
def _airports() -> dict[str, dict[str, Any]]:
    try:
        import airportsdata  # the optional extra "airports": city and airport names per IATA code
    except ImportError:  # without it a place is known by its code only
        return {}
    data: dict[str, dict[str, Any]] = dict(airportsdata.load("IATA"))  # type: ignore[arg-type]
    return data


def place_aliases(code: str) -> list[str]:
    """The words a person uses for an airport code: the code, its city, the airport's own name.

    ``place_aliases("JFK")`` gives ``['JFK', 'New York', 'Kennedy']`` with ``airportsdata``
    installed, ``['JFK']`` without it.
    """
    aliases = [code]
    entry = _airports().get(code.upper()) if re.fullmatch(r"[A-Za-z]{3}", code) else None
    if entry:
        city = str(entry.get("city") or "")
        if city:
            aliases.append(city)
        words = [w for w in re.findall(r"[A-Za-z][\w'-]*", str(entry.get("name") or ""))
                 if w.casefold() not in _AIRPORT_WORDS and w.casefold() not in city.casefold().split()]
        if words:
            aliases.append(words[-1])  # "Heathrow", "Kennedy", "Logan"
    return list(dict.fromkeys(a for a in aliases if len(a) > 1))


@lru_cache(maxsize=C.CHECKED_TEXT_CACHE)
def _aliases(code: str) -> tuple[str, ...]:
    """``place_aliases``, once per code."""
    return tuple(place_aliases(code))


def _number(text: str) -> float | None:
    words = re.split(r"[\s-]+", text.strip().casefold())
    head = words[0].replace(",", "")
    try:
        value = float(head)
    except ValueError:
        if head not in _SMALL:
            return None
        value = float(_SMALL[head])
    for word in words[1:]:
        value *= _SCALE.get(word, 1.0)
    return value


def _supported(value: float, numbers: set[float]) -> bool:
    """The same rule as the word-level check: equal, or the fact's number rounded to the note's zeros."""
    if value in numbers:
        return True
    if not value.is_integer() or value == 0:
        return False
    places = len(str(int(value))) - len(str(int(value)).rstrip("0"))
    return places > 0 and any(round(n, -places) == value and abs(n - value) <= _ROUNDING * n for n in numbers)


#: a rounded figure is the fact's only when it is this close (100 nights is not 51 rounded)
_ROUNDING = 0.1


def _words(text: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"[^\W_]+", text)}


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and not word.endswith(("ss", "us", "ers")) else word


@dataclass
class _Known:
    """What one fact holds, in the shapes the groups are compared with."""

    fact: Fact
    heads: set[str]
    sizes: set[str]
    numbers: set[float]
    item_words: set[str]
    places: dict[str, str] = field(default_factory=dict)  # code -> "origin" / "destination"
    flight: str | None = None

    @cached_property
    def words(self) -> set[str]:
        """The words of the statement and of every structured value: read only for the facts a group
        may be grounded in and the moment's evidence, not for every fact of the history."""
        return _words(self.fact.text + " " + " ".join(_values(self.fact.data)))


def _values(data: dict[str, Any]) -> list[str]:
    """Every structured value of a fact, flattened, but its free text (data, never grounding)."""
    values: list[str] = []

    def flat(value: Any) -> None:
        if isinstance(value, dict):
            for inner in value.values():
                flat(inner)
        elif isinstance(value, list):
            for inner in value:
                flat(inner)
        elif value is not None:
            values.append(str(value))

    flat({k: v for k, v in data.items() if k != "text"})
    return values


@lru_cache(maxsize=C.CHECKED_TEXT_CACHE)
def _item_parts(item: str) -> tuple[frozenset[str], str | None]:
    """An item name's words (singular) and its head, the last word before any comma: once per name."""
    words = frozenset(_singular(w) for w in re.findall(r"[^\W_]+", item.casefold()))
    named = re.findall(r"[^\W_]+", item.split(",")[0].casefold())
    return words, _singular(named[-1]) if named else None


def _known(fact: Fact) -> _Known:
    data = fact.data
    items = [str(data[k]) for k in ("item", "name") if k in data] + [str(i) for i in data.get("items", [])]
    if fact.kind == "purchase_count":
        items.append(fact.text.split(" was the customer's")[0])
    item_words: set[str] = set()
    heads: set[str] = set()
    for item in items:
        words, head = _item_parts(item)
        item_words |= words
        if head is not None:
            heads.add(head)
    sizes: set[str] = set()
    for key in ("variant", "variants"):
        group = data.get(key)
        if isinstance(group, dict):
            for value in group.values():
                sizes.update(str(v).casefold() for v in (value if isinstance(value, list) else [value]))
    numbers: set[float] = set()
    for key in ("value", "previous_value", "threshold", "count", "years", "months"):
        if isinstance(data.get(key), (int, float)):
            numbers.add(float(data[key]))
    known = _Known(fact, heads, sizes, numbers, item_words)
    if fact.kind == "trip":
        for key, role in (("origin", "origin"), ("destination", "destination")):
            if data.get(key):
                known.places[str(data[key])] = role
        if data.get("flight_number"):
            known.flight = re.sub(r"\s+", "", str(data["flight_number"])).casefold()
    return known


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
