"""Item matching: whether a request and a stock event name the same item, as a shop assistant would.

Names are normalised (case, accents, punctuation, articles, "of", "by", "and", possessives, the
spellings of sizes, units, ordinals and Roman numerals), compared with rapidfuzz's token-set ratio,
and told apart by guards a fuzzy ratio misses: another number (volume 2 and volume 3, the 41st and
42nd edition, 128 GB and 256 GB), another colour, size or format, another model ("Pro", "Ultra").
A SKU on both sides decides alone. Every word list is in ``_constants``.

Example::

    same_item("Signed first edition of The Quiet Harbour by Ann Lowell",
              "Ann Lowell's The Quiet Harbour, signed first edition")   # True
    same_item("The Quiet Harbour, Volume 2", "The Quiet Harbour, Volume 3")  # False
    normalise_variant_value("Size: W34")  # '34'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

from . import _constants as C

__all__ = ["normalise_item", "normalise_variant_value", "same_item", "same_stock_item"]

_LETTERS = str.maketrans(C.ITEM_LETTERS)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
#: a letter run, or a number with the letters glued after it ("128gb", "2nd", "3s")
_TOKEN = re.compile(r"[^\W\d_]+|\d+(?:\.\d+)?[^\W\d_]*")
_NUMBER_AND_LETTERS = re.compile(r"(\d+(?:\.\d+)?)([^\W\d_]*)")
_INCH_MARK = re.compile(r"(?<=\d)(?:\"|”|″|'')")
_POSSESSIVE = re.compile(r"(?<=\w)['’ʼ]s\b")
_APOSTROPHE = re.compile(r"['’‘ʼ`´]")
_BRACKETED_YEAR = re.compile(r"[(\[]\s*((?:18|19|20)\d\d)\b")
_ORDINAL_SUFFIXES = frozenset({"st", "nd", "rd", "th"})


def _number(text: str) -> str:
    """One spelling per number: '02' -> '2', '10.50' -> '10.5', '1.0' -> '1'."""
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.lstrip("0") or "0"


def _fold(text: str) -> str:
    """Lower case without accents: NFKD, combining marks dropped, case folded, ligatures spelled out."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().translate(_LETTERS)


def _singular(word: str) -> str:
    """A word without a final "s" (plurals, and possessives written without an apostrophe:
    "Schindlers List"), except short words and endings that are no plural ("-ss", "-us", "-is")."""
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@dataclass(frozen=True)
class _Item:
    """A normalised name and what its guards compare."""

    text: str
    hard: frozenset[str] = frozenset()  # bare and series numbers, model codes ("2", "501", "3s")
    soft: dict[str, frozenset[str]] = field(default_factory=dict)  # measures by kind ("size": {"34"})
    colours: frozenset[str] = frozenset()
    models: frozenset[str] = frozenset()
    formats: frozenset[str] = frozenset()


_Word = tuple[str, bool]  # a word, and whether it is a letter run glued before a number ("W" of "W34")


def _tokens(name: str) -> tuple[list[_Word], set[str]]:
    """The name's words in one spelling, and the years it gives in brackets ("Amélie (2001)")."""
    text = _INCH_MARK.sub(" inch ", _fold(name))
    text = _APOSTROPHE.sub("", _POSSESSIVE.sub("", text))
    years = set(_BRACKETED_YEAR.findall(text))
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # 10,000
    text = re.sub(r"(?<=\d),(?=\d)", ".", text)  # 1,5 (decimal comma)
    text = text.replace("&", " and ").replace("#", " number ")
    words: list[_Word] = []
    for match in _TOKEN.finditer(text):
        token = C.ITEM_WORD_FORMS.get(match.group(), match.group())
        parts = _NUMBER_AND_LETTERS.fullmatch(token)
        if parts is None:  # a word
            words.append((token, match.end() < len(text) and text[match.end()].isdigit()))
            continue
        number, letters = _number(parts.group(1)), C.ITEM_WORD_FORMS.get(parts.group(2), parts.group(2))
        if not letters or letters in _ORDINAL_SUFFIXES:
            words.append((number, False))
        elif letters in C.ITEM_NUMBER_SUFFIXES or letters in C.ITEM_SPLIT_SUFFIXES:
            words += [(number, False), (letters, False)]
        else:  # a model code: "3s", "1000xm", "55q"
            words.append((number + letters, False))
    return _read_numbers(_join_phrases(words)), years


def _join_phrases(words: list[_Word]) -> list[_Word]:
    joined: list[_Word] = []
    index = 0
    while index < len(words):
        pair = (words[index][0], words[index + 1][0]) if index + 1 < len(words) else ("", "")
        if pair in C.ITEM_PHRASES and not words[index][1]:
            joined.append((C.ITEM_PHRASES[pair], words[index + 1][1]))
            index += 2
        else:
            joined.append(words[index])
            index += 1
    return joined


def _read_numbers(words: list[_Word]) -> list[_Word]:
    """Ordinal words, Roman numerals and (after a series word) number words as digits."""
    read: list[_Word] = []
    for word, glued in words:
        after_series = bool(read) and read[-1][0] in C.ITEM_SERIES_WORDS
        if word in C.ITEM_ORDINAL_WORDS:
            word = C.ITEM_ORDINAL_WORDS[word]
        elif word in C.ITEM_ROMAN_NUMERALS and (after_series or word not in C.ITEM_ROMAN_AFTER_SERIES_ONLY):
            word = C.ITEM_ROMAN_NUMERALS[word]
        elif after_series and word in C.ITEM_CARDINAL_WORDS:
            word = C.ITEM_CARDINAL_WORDS[word]
        read.append((word, glued))
    return read


@lru_cache(maxsize=C.ITEM_CACHE_SIZE)
def _parse(name: str) -> _Item:
    words, years = _tokens(name)
    kept = [w for w in words if w[0] not in C.ITEM_STOPWORDS]
    hard: set[str] = set()
    soft: dict[str, set[str]] = {}
    markers: dict[int, str] = {}  # marker words a number took ("w" of "W34") and the kind they give
    for index, (word, _) in enumerate(kept):
        if not _NUMBER.fullmatch(word):
            continue
        before = kept[index - 1][0] if index and index - 1 not in markers else ""
        after = kept[index + 1][0] if index + 1 < len(kept) else ""
        if before in C.ITEM_NUMBER_PREFIXES:
            markers[index - 1] = kind = C.ITEM_NUMBER_PREFIXES[before]
        elif after in C.ITEM_NUMBER_SUFFIXES and not _NUMBER.fullmatch(after):
            markers[index + 1] = kind = C.ITEM_NUMBER_SUFFIXES[after]
        elif word in years:
            kind = "year"
        else:
            hard.add(word)
            continue
        soft.setdefault(kind, set()).add(word)
    out: list[str] = []
    colours: set[str] = set()
    models: set[str] = set()
    formats: set[str] = set()
    for index, (word, glued) in enumerate(kept):
        before = kept[index - 1][0] if index else ""
        if index in markers:
            word = markers[index]  # "W34", "34W" and "size 34" read alike
        elif _NUMBER.fullmatch(word):
            pass
        elif word[0].isdigit():  # a model code
            hard.add(word)
        elif glued:
            word = "pack" if word == "x" else word  # "x12" is a pack of 12; the "S" of "S23" is no size
        elif word in C.ITEM_SIZE_WORDS and not _NUMBER.fullmatch(before):
            word = C.ITEM_SIZE_WORDS[word]
            soft.setdefault("size", set()).add(word)
        elif (word := _singular(word)) in C.ITEM_COLOUR_WORDS:
            shade = before if before in C.ITEM_COLOUR_SHADES else ""
            colours.add(f"{shade} {word}".strip())
        elif word in C.ITEM_MODEL_WORDS:
            models.add(word)
        elif word in C.ITEM_FORMAT_WORDS:
            formats.add(word)
        out.append(word)
    return _Item(" ".join(out), frozenset(hard), {k: frozenset(v) for k, v in soft.items()},
                 frozenset(colours), frozenset(models), frozenset(formats))


def normalise_item(name: str) -> str:
    """An item name as matching reads it: lower case, no accents or punctuation, no articles, "of",
    "by", "and" or possessive "'s", one spelling for sizes, units, ordinals and Roman numerals.

    Example::

        normalise_item("Ann Lowell's The Quiet Harbour, 2nd ed.")  # 'ann lowell quiet harbour 2 edition'
    """
    return _parse(name).text


@lru_cache(maxsize=C.ITEM_CACHE_SIZE)
def normalise_variant_value(value: str) -> str:
    """A size or variant in one spelling: "W34", "34W", "size 34", "Size: 34" -> "34"; "Medium" and
    "M" -> "m"; "Gray" -> "grey". Only markers that do not change the value are dropped: "W34 L32"
    stays "w34 l32", "UK 9" stays "uk 9".

    Example::

        normalise_variant_value("Size: W34")  # '34'
    """
    text = re.sub(r"[\s_-]+", " ", _fold(value)).strip()
    text = re.sub(r"^(?:size|sz)\b\s*[:.#]?\s*", "", text)
    waist = re.fullmatch(r"w\s?(\d+(?:[.,]\d+)?)|(\d+(?:[.,]\d+)?)\s?w", text)
    if waist is not None:
        text = waist.group(1) or waist.group(2)
    if re.fullmatch(r"\d+(?:[.,]\d+)?", text):
        return _number(text.replace(",", "."))
    phrase = tuple(text.split())
    if len(phrase) == 2:
        text = C.ITEM_PHRASES.get((phrase[0], phrase[1]), text)
    text = C.ITEM_WORD_FORMS.get(text, text)
    return C.ITEM_SIZE_WORDS.get(text, text)


def _told_apart(x: _Item, y: _Item) -> bool:
    """Whether a guard tells two names apart however alike their words are."""
    if x.models != y.models:
        return True
    if (x.colours and y.colours and x.colours != y.colours) or (
            x.formats and y.formats and x.formats != y.formats):
        return True
    # numbers that say which item (volume, sequel, model): the same on both sides, except that a
    # name without one is the first of a series ("The Hunger Games" is "The Hunger Games, Book 1"),
    # and a bare number the other name gives as a measure is that measure ("size 12" and "12")
    x_only = x.hard - y.hard - {v for values in y.soft.values() for v in values}
    y_only = y.hard - x.hard - {v for values in x.soft.values() for v in values}
    if (x_only or y_only) and {x_only, y_only} != {frozenset(), frozenset({"1"})}:
        return True
    return any(x.soft[kind] != y.soft[kind] for kind in x.soft.keys() & y.soft.keys())


def same_item(a: str, b: str, *, threshold: float = C.ITEM_MATCH_THRESHOLD) -> bool:
    """Whether two item names name the same item: normalised token-set ratio at least ``threshold``
    (0-100) and no other number, colour, size, format or model on one side.

    Example::

        same_item("Pride & Prejudice by Jane Austen", "Austen's Pride and Prejudice")  # True
        same_item("Blue wool trousers", "Grey wool trousers")  # False
    """
    x, y = _parse(a), _parse(b)
    if not x.text or not y.text or _told_apart(x, y):
        return False
    return fuzz.token_set_ratio(x.text, y.text, score_cutoff=threshold) >= threshold


def same_stock_item(request_sku: str | None, request_item: str, stock_sku: str | None, stock_item: str,
                    *, threshold: float = C.ITEM_MATCH_THRESHOLD) -> bool:
    """Whether a stock event is about a requested item: by SKU when both have one (case and outer
    spaces aside), otherwise by name (``same_item``).

    Example::

        same_stock_item("TR-34-GRY", "Grey trousers", "tr-34-gry", "Wool trouser, charcoal")  # True
    """
    if request_sku is not None and stock_sku is not None:
        return request_sku.strip().casefold() == stock_sku.strip().casefold()
    return same_item(request_item, stock_item, threshold=threshold)
