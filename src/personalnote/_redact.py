"""Personal data a note never needs, found offline and taken out of the prompt.

Phone numbers are found with phonenumbers (libphonenumber's metadata for every region);
IBANs, payment card numbers and national identity numbers are checked with python-stdnum
(mod-97 and each country's account format; Luhn; each id's own check digit); email
addresses and street addresses with patterns. No model, no download. ``redact`` replaces
each with a marker ("[email]", "[phone]", ...) before a fact reaches the model; the checks
use ``find_personal_data`` to block a note that contains any of them. ``data_text`` makes
record text safe to put inside the prompt's ``<data>`` block (it cannot close the block,
forge a line or hide characters).

A number written with its country code ("+81 3-1234-5678") is found for every region; one
written the national way ("020 7946 0958") for the customer's region (``locale_region`` of
the profile's locale) and the regions in ``PHONE_REGIONS``.

Example::

    redact("Call me on +44 20 7946 0958 or at ana@example.com")
    # 'Call me on [phone] or at [email]'
    redact("Bel me op 06 12345678", region="NL")
    # 'Bel me op [phone]'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import import_module
from typing import TYPE_CHECKING, Literal

from ._constants import LANGUAGE_REGIONS, PHONE_REGIONS
from ._fields import hidden_character

if TYPE_CHECKING:
    from phonenumbers import PhoneNumber

__all__ = ["PersonalData", "data_text", "find_personal_data", "iban_valid", "locale_region", "luhn_valid",
           "redact"]

PersonalDataKind = Literal["email", "card", "iban", "national_id", "phone", "address"]

#: the marker each kind of personal data is replaced with in the prompt
MARKERS: dict[PersonalDataKind, str] = {
    "email": "[email]", "card": "[card]", "iban": "[iban]", "national_id": "[national id]",
    "phone": "[phone]", "address": "[address]",
}

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b", re.IGNORECASE)
# where a card number or an IBAN may stand; stdnum says whether it is one
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
#: ISO/IEC 7812 major industry identifiers of payment cards: 2 (Mastercard 2-series, Mir), 3 (travel
#: and entertainment: Amex, Diners, JCB), 4 and 5 (banking: Visa, Mastercard), 6 (Discover, Maestro,
#: UnionPay). A Luhn-valid number starting otherwise is an order or account reference.
_CARD_INDUSTRIES = frozenset("23456")
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
#: ASCII control characters (category Cc): a space each in data text
_ASCII_CONTROLS = {code: " " for code in (*range(0x20), 0x7F)}
# characters that must not reach the <data> block as themselves
_INVISIBLE = re.compile("[\U000e0000-\U000e007f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")
#: the fewest digits a phone number is written with, country code included: the national numbers
#: of a few islands (Ascension's 5 digits) are written shorter, but so are flight numbers and
#: years, and phonenumbers holds some short ones valid ('1684' in Germany)
_PHONE_MIN_DIGITS = 7
#: a run of that many digits, with at most two phone separators between each two: the texts worth
#: a pass of phonenumbers' matcher (most facts hold only dates, prices and counts, and are skipped)
_PHONE_RUN = re.compile(rf"\d(?:[\s().\-/\u2010-\u2015\u2212~\uff0d]{{0,2}}\d){{{_PHONE_MIN_DIGITS - 1},}}")


@dataclass(frozen=True)
class _NationalId:
    """A national identity number: how it is written, and the stdnum module that validates it."""

    pattern: re.Pattern[str]
    module: str
    #: read only in the texts of customers of these regions (a bare run of digits with a one-in-ten or
    #: one-in-eleven check is too common elsewhere); None: in every text
    regions: frozenset[str] | None = None
    #: written with a run of at least ``_PHONE_MIN_DIGITS`` digits (``_PHONE_RUN``): a text without one
    #: holds none (the codice fiscale may be all letters)
    digit_run: bool = True


#: The ids chosen: the commonest personal numbers of the library's first markets that stdnum checks.
#: Written forms with a check character or a fixed shape are read everywhere; a bare digit run only
#: for the customer's own country. (stdnum has no UK National Insurance number: the NHS number is the
#: UK's personal number it checks.)
#: an id stands alone: not inside a longer run of digits, dashes or dots ('978-628-01-3089-7' is an
#: ISBN, not the social security number 628-01-3089)
_ALONE, _END = r"(?<![\w.-])", r"(?![\w-]|\.\w)"
_NATIONAL_IDS = (
    # US Social Security number, written 536-90-4399 (nine bare digits are too common to read as one)
    _NationalId(re.compile(_ALONE + r"\d{3}-\d{2}-\d{4}" + _END), "stdnum.us.ssn"),
    # French NIR (numéro de sécurité sociale): 2 95 10 99 126 111 93, Corsica 2A / 2B
    _NationalId(re.compile(_ALONE + r"[1-478] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}" + _END),
                "stdnum.fr.nir"),
    # Spanish DNI 54362315-K and NIE X-2482300W: a check letter
    _NationalId(re.compile(_ALONE + r"\d{8}-?[A-Z]" + _END, re.IGNORECASE), "stdnum.es.dni"),
    _NationalId(re.compile(_ALONE + r"[XYZ]-?\d{7}-?[A-Z]" + _END, re.IGNORECASE), "stdnum.es.nie"),
    # Italian codice fiscale RCCMNL83S18D969H: letters from the name, the birth date and place
    _NationalId(re.compile(_ALONE + r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}[A-Z]"
                           r"[0-9LMNPQRSTUV]{3}[A-Z]" + _END), "stdnum.it.codicefiscale", digit_run=False),
    # UK NHS number 943 476 5870 (mod 11)
    _NationalId(re.compile(_ALONE + r"\d{3}([- ]?)\d{3}\1\d{4}" + _END), "stdnum.gb.nhs", frozenset({"GB"})),
    # German tax id (Steuer-IdNr) 36 574 261 809 (ISO 7064 mod 11,10)
    _NationalId(re.compile(_ALONE + r"\d{2}( ?)\d{3}\1\d{3}\1\d{3}" + _END), "stdnum.de.idnr",
                frozenset({"DE"})),
    # Dutch BSN 1112.22.333 (the eleven test)
    _NationalId(re.compile(_ALONE + r"(?:\d{4}(\.?)\d{2}\1\d{3}|\d{9})" + _END), "stdnum.nl.bsn",
                frozenset({"NL"})),
)


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


@cache
def _validator(module: str) -> Callable[[str], bool]:
    """``is_valid`` of a stdnum module, imported when first needed (stdnum costs ~30 ms to import)."""
    valid: Callable[[str], bool] = import_module(module).is_valid
    return valid


def locale_region(locale: str | None) -> str | None:
    """The region of a locale, for reading national phone formats and ids.

    'en-GB' -> 'GB', 'pt_BR' -> 'BR', 'de' -> 'DE' (``LANGUAGE_REGIONS``), 'en' -> None.
    """
    parts = re.split(r"[-_]", locale or "")
    region = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
    return region or LANGUAGE_REGIONS.get(parts[0].lower())


def luhn_valid(number: str) -> bool:
    """True for a digit string (spaces and dashes ignored) that passes the Luhn check (stdnum)."""
    digits = re.sub(r"[ -]", "", number)
    return len(digits) > 1 and digits.isascii() and digits.isdigit() and _validator("stdnum.luhn")(digits)


def _card_valid(number: str) -> bool:
    digits = re.sub(r"[ -]", "", number)
    return 13 <= len(digits) <= 19 and digits[0] in _CARD_INDUSTRIES and luhn_valid(digits)


def iban_valid(iban: str) -> bool:
    """True for an IBAN (spaces ignored) that stdnum accepts: the country's length and format, the
    ISO 13616 mod-97 check and, for some countries, the national check digits."""
    return _validator("stdnum.iban")(iban)


def _longest_valid(candidate: str, valid: Callable[[str], bool]) -> str | None:
    """The longest prefix of ``candidate`` ending at a group boundary that passes ``valid``.

    '4111 1111 1111 1111 2026' holds a card number followed by a year.
    """
    ends = [m.start() for m in re.finditer(r"[ -]", candidate)] + [len(candidate)]
    return next((candidate[:end] for end in reversed(ends) if valid(candidate[:end])), None)


def _digits(written: str) -> str:
    return "".join(str(unicodedata.digit(c)) for c in written if c.isdigit())


def _groups(written: str, nsn: str) -> frozenset[int] | None:
    """Where ``written`` splits the national significant number ``nsn`` into groups: the indexes
    into ``nsn`` at which a group starts after a separator. None when the digits of ``written`` do
    not end with ``nsn`` (an extension, a carrier code)."""
    at = [i for i, c in enumerate(written) if c.isdigit()]
    if not _digits(written).endswith(nsn):
        return None
    tail = at[len(at) - len(nsn):]
    return frozenset(k for k in range(1, len(tail)) if tail[k] != tail[k - 1] + 1)


def _trunk_prefix_kept(number: PhoneNumber, raw: str, region: str) -> bool:
    """A number written without its country code keeps the trunk prefix its region writes:
    '030 901820' in Germany, '020 7946 0958' in the UK; '4997457443' or '1229283854' is an order
    number there (phonenumbers itself accepts both). A region that writes none (the US) asks none.
    """
    import phonenumbers
    from phonenumbers import CountryCodeSource, PhoneNumberFormat

    source = phonenumbers.parse(raw, region, keep_raw_input=True).country_code_source
    if source in (CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN, CountryCodeSource.FROM_NUMBER_WITH_IDD):
        return True  # written with its country code: '+49 30 901820', '0049 30 901820' (not '49 30…')
    nsn = phonenumbers.national_significant_number(number)
    trunk = _digits(phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL))[:-len(nsn)]
    return not trunk or _digits(raw)[:-len(nsn)] == trunk


def _written_as_formatted(number: PhoneNumber, raw: str) -> bool:
    """A number that is only possible, not valid, counts when it is written exactly in its region's
    groups, with its country code ('+1 555 010 9999': a fictitious range) or as a local number
    without its area code ('555-0199')."""
    import phonenumbers
    from phonenumbers import PhoneNumberFormat, ValidationResult

    nsn = phonenumbers.national_significant_number(number)
    written = _groups(raw, nsn)
    usual = [_groups(phonenumbers.format_number(number, f), nsn)
             for f in (PhoneNumberFormat.NATIONAL, PhoneNumberFormat.INTERNATIONAL)]
    if not written or written not in usual:
        return False
    reason = phonenumbers.is_possible_number_with_reason(number)
    return ((raw.lstrip("(").startswith("+") and reason == ValidationResult.IS_POSSIBLE)
            or reason == ValidationResult.IS_POSSIBLE_LOCAL_ONLY)


def _phones(text: str, region: str | None, digits: bool) -> Iterator[tuple[int, int]]:
    """Spans of phone numbers in ``text``.

    phonenumbers' matcher at ``STRICT_GROUPING`` (a valid number of the region, its digits grouped
    as the region groups them, not glued to letters) for the customer's region, then each of
    ``PHONE_REGIONS``; then the numbers that are only possible (see ``_written_as_formatted``)
    for the first of those regions.
    """
    if not digits:
        return
    from phonenumbers import SUPPORTED_REGIONS, Leniency, PhoneNumberMatcher

    regions = ([region] if region in SUPPORTED_REGIONS else []) + [r for r in PHONE_REGIONS if r != region]
    for each in regions:
        for match in PhoneNumberMatcher(text, each, leniency=Leniency.STRICT_GROUPING):
            raw = match.raw_string
            if _PHONE_RUN.search(raw) and _trunk_prefix_kept(match.number, raw, each):
                yield match.start, match.end
    for match in PhoneNumberMatcher(text, regions[0], leniency=Leniency.POSSIBLE):
        raw = match.raw_string
        glued = text[match.start - 1:match.start].isalpha() or text[match.end:match.end + 1].isalpha()
        if (not glued and _PHONE_RUN.search(raw) and _written_as_formatted(match.number, raw)
                and _trunk_prefix_kept(match.number, raw, regions[0])):
            yield match.start, match.end


def find_personal_data(text: str, region: str | None = None) -> list[PersonalData]:
    """Every email, IBAN, national id, card number, phone number and street address in ``text``.

    ``region`` is the customer's (ISO 3166 alpha-2, ``locale_region`` of the profile's locale):
    its national phone formats and its national ids are read too. IBANs, cards and ids must
    pass stdnum's checks, so an order number or a reference that only looks like one is left
    alone.
    """
    found: list[PersonalData] = []
    taken: list[tuple[int, int]] = []

    def add(kind: PersonalDataKind, start: int, end: int) -> None:  # the first kind found wins
        if not any(start < e and s < end for s, e in taken):
            taken.append((start, end))
            found.append(PersonalData(kind, start, end, text[start:end]))

    # a card, a phone number and every national id but one are written with a run of digits: most
    # texts (dates, prices, counts) hold none, and skip their patterns
    digits = _PHONE_RUN.search(text) is not None
    if "@" in text:
        for match in _EMAIL.finditer(text):
            add("email", match.start(), match.end())
    for match in _IBAN.finditer(text):
        found_text = _longest_valid(match.group(0), iban_valid)
        if found_text:
            add("iban", match.start(), match.start() + len(found_text))
    for national in _NATIONAL_IDS:
        if (national.regions is None or region in national.regions) and (digits or not national.digit_run):
            for match in national.pattern.finditer(text):
                if _validator(national.module)(match.group(0)):
                    add("national_id", match.start(), match.end())
    for match in _CARD.finditer(text) if digits else ():
        found_text = _longest_valid(match.group(0), _card_valid)
        if found_text:
            add("card", match.start(), match.start() + len(found_text))
    for start, end in _phones(text, region, digits):
        add("phone", start, end)
    for match in _ADDRESS.finditer(text):
        add("address", match.start(), match.end())
    return sorted(found, key=lambda p: p.start)


def redact(text: str, region: str | None = None) -> str:
    """``text`` with each piece of personal data replaced by its marker ("[email]", ...)."""
    out, last = [], 0
    for item in find_personal_data(text, region):
        out += [text[last:item.start], MARKERS[item.kind]]
        last = item.end
    return "".join(out) + text[last:]


@lru_cache(maxsize=4096)
def data_text(text: str, region: str | None = None) -> str:
    """Record text made safe for the ``<data>`` block of a prompt.

    Personal data is redacted (``region``: the customer's, as for ``find_personal_data``);
    angle brackets become ‹ › (no tag can be opened or closed), double quotes become “ ” (a
    quotation cannot be ended early), line breaks become spaces (no fact line can be forged)
    and invisible characters (Unicode tags, zero-width and direction marks, every other format,
    control and private-use character, variation selectors and fillers) are dropped.
    """
    if text.isascii():  # most record text: NFKC changes nothing, and no character is invisible
        if not text.isprintable():
            text = text.translate(_ASCII_CONTROLS)  # tabs, line breaks and controls become spaces
    else:
        text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
        text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text
                       if c in "\t\n\r" or not _hidden(c))
    text = redact(text, region)
    return text.replace("<", "\u2039").replace(">", "\u203a").replace('"', "\u201d")
