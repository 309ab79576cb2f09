"""What each fact knows, for the grounding of combinations: the vocabulary (colours, materials,
cue words, sizes, numbers in words, directions), places by IATA code and their aliases, and the
``_Known`` entities read from one fact (its item words, numbers, places, kind). ``_grounding`` groups
a note's mentions and tests them against these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from . import _constants as C
from ._context import Fact

__all__ = ["COLOURS", "MATERIALS", "place_aliases"]


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
