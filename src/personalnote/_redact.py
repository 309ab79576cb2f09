"""Personal data a note never needs, found offline and taken out of the prompt.

Email addresses, phone numbers, payment card numbers (Luhn-checked), IBANs (mod-97
checked) and street addresses are found with patterns and checksums only: no model,
no download. ``redact`` replaces each with a marker ("[email]", "[phone]", ...) before a
fact reaches the model; the checks use ``find_personal_data`` to block a note that
contains any of them. ``data_text`` makes record text safe to put inside the prompt's
``<data>`` block (it cannot close the block, forge a line or hide characters).

Example::

    redact("Call me on +44 20 7946 0958 or at ana@example.com")
    # 'Call me on [phone] or at [email]'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from ._history import hidden_character

__all__ = ["PersonalData", "data_text", "find_personal_data", "iban_valid", "luhn_valid", "redact"]

PersonalDataKind = Literal["email", "card", "iban", "phone", "address"]

#: the marker each kind of personal data is replaced with in the prompt
MARKERS: dict[PersonalDataKind, str] = {
    "email": "[email]", "card": "[card]", "iban": "[iban]", "phone": "[phone]", "address": "[address]",
}

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b", re.IGNORECASE)
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_PHONE = re.compile(r"(?<![\w+/.,-])(?:\+|00)?\(?\d[\d ().\-/]{5,}\d(?![\w/-]|[.,]\d)")
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
_YEAR_RANGE = re.compile(r"(?:1[89]|20)\d\d\s?[-/\u2013]\s?(?:1[89]|20)\d\d")  # 2019-2023: no phone
_THOUSANDS = re.compile(r"\d{1,3}(?:[ .,]\d{3})+")
_STREET_TYPES = (
    r"(?:Street|Avenue|Road|Boulevard|Lane|Drive|Court|Place|Square|Terrace|Way|Close|Crescent|Parkway|"
    r"Highway|Row|Mews|Gardens|Grove|Hill)\b|(?:St|Ave|Rd|Blvd|Ln|Dr|Ct|Pl|Sq|Pkwy|Hwy)\b\.?"
)
_ADDRESS = re.compile(
    # 221B Baker Street, 1600 Pennsylvania Avenue NW, 12 Rue de la Paix
    rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:(?:[A-Z][\w'.-]*|\d+(?:st|nd|rd|th)|de|la|du|des|del|di)\s+){{0,4}}"
    rf"(?:{_STREET_TYPES})(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b)?"
    # rue / avenue / via / calle ... first: 12 rue de la Paix, Via Roma 5, Calle Mayor 10
    rf"|\b\d{{1,5}}[A-Za-z]?,?\s+(?:rue|avenue|boulevard|chemin|place|all[ée]e|impasse)\s+(?:[\w'-]+\s+){{0,3}}"
    rf"[A-Z][\w'-]+"
    rf"|\b(?:Via|Viale|Piazza|Calle|Avenida|Rua|Carrer)\s+(?:[\w'-]+\s+){{0,3}}\d{{1,5}}[A-Za-z]?\b"
    # Hauptstraße 5, Kirchweg 12a, Marktplatz 3
    rf"|\b[A-ZÄÖÜ][\wäöüß-]*(?:stra(?:ß|ss)e|str\.|weg|gasse|platz|allee|straat|gracht|laan|vej|gatan)"
    rf"\s+\d{{1,5}}[a-z]?\b"
    rf"|\bP\.?\s?O\.?\s+Box\s+\d+\b",
)
# characters that must not reach the <data> block as themselves
_INVISIBLE = re.compile("[\U000e0000-\U000e007f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")


def _hidden(char: str) -> bool:
    """A character that shows nothing: dropped from data text (line breaks become spaces first)."""
    return unicodedata.category(char) in ("Cf", "Co", "Cs") or (
        hidden_character(char) and unicodedata.category(char) not in ("Cc", "Zl", "Zp"))


@dataclass(frozen=True)
class PersonalData:
    """One piece of personal data in a text: its kind, span and the text itself."""

    kind: PersonalDataKind
    start: int
    end: int
    text: str


def luhn_valid(number: str) -> bool:
    """True for a digit string (spaces and dashes ignored) that passes the Luhn check."""
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) < 2:
        return False
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _card_valid(number: str) -> bool:
    return 13 <= sum(c.isdigit() for c in number) <= 19 and luhn_valid(number)


def iban_valid(iban: str) -> bool:
    """True for an IBAN (spaces ignored) whose ISO 13616 mod-97 check gives 1."""
    compact = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _longest_valid(candidate: str, valid: Callable[[str], bool]) -> str | None:
    """The longest prefix of ``candidate`` ending at a group boundary that passes ``valid``.

    '4111 1111 1111 1111 2026' holds a card number followed by a year.
    """
    ends = [m.start() for m in re.finditer(r"[ -]", candidate)] + [len(candidate)]
    return next((candidate[:end] for end in reversed(ends) if valid(candidate[:end])), None)


def _phone_like(candidate: str) -> bool:
    digits = sum(c.isdigit() for c in candidate)
    if not 7 <= digits <= 15 or _DATE.fullmatch(candidate) or _YEAR_RANGE.fullmatch(candidate):
        return False
    international = candidate.startswith(("+", "00", "("))
    if not international and _THOUSANDS.fullmatch(candidate) and not re.match(r"\d{3} ", candidate):
        return False  # 2,000,000 or 1 250 000: a number with thousands separators
    return international or digits >= 10 or bool(re.search(r"\d[ .\-/]\d", candidate))


def find_personal_data(text: str) -> list[PersonalData]:
    """Every email, card number, IBAN, phone number and street address in ``text``.

    Card numbers must pass the Luhn check and IBANs the mod-97 check, so an order
    number or a reference that only looks like one is left alone.
    """
    found: list[PersonalData] = []
    taken: list[tuple[int, int]] = []

    def add(kind: PersonalDataKind, start: int, end: int) -> None:  # the first kind found wins
        if not any(start < e and s < end for s, e in taken):
            taken.append((start, end))
            found.append(PersonalData(kind, start, end, text[start:end]))

    for match in _EMAIL.finditer(text):
        add("email", match.start(), match.end())
    checked: list[tuple[re.Pattern[str], PersonalDataKind, Callable[[str], bool]]] = [
        (_IBAN, "iban", iban_valid), (_CARD, "card", _card_valid)]
    for pattern, kind, valid in checked:
        for match in pattern.finditer(text):
            found_text = _longest_valid(match.group(0), valid)
            if found_text:
                add(kind, match.start(), match.start() + len(found_text))
    for match in _PHONE.finditer(text):
        candidate = match.group(0).rstrip(" .-/(")
        if candidate.count("(") != candidate.count(")"):
            candidate = candidate.lstrip("(")
        start = match.start() + match.group(0).index(candidate)
        if _phone_like(candidate):
            add("phone", start, start + len(candidate))
    for match in _ADDRESS.finditer(text):
        add("address", match.start(), match.end())
    return sorted(found, key=lambda p: p.start)


def redact(text: str) -> str:
    """``text`` with each piece of personal data replaced by its marker ("[email]", ...)."""
    out, last = [], 0
    for item in find_personal_data(text):
        out += [text[last:item.start], MARKERS[item.kind]]
        last = item.end
    return "".join(out) + text[last:]


@lru_cache(maxsize=4096)
def data_text(text: str) -> str:
    """Record text made safe for the ``<data>`` block of a prompt.

    Personal data is redacted; angle brackets become ‹ › (no tag can be opened or
    closed), double quotes become “ ” (a quotation cannot be ended early), line breaks
    become spaces (no fact line can be forged) and invisible characters (Unicode tags,
    zero-width and direction marks, every other format, control and private-use character,
    variation selectors and fillers) are dropped.
    """
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text
                   if c in "\t\n\r" or not _hidden(c))
    text = redact(text)
    return text.replace("<", "\u2039").replace(">", "\u203a").replace('"', "\u201d")
