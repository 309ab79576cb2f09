"""Personal data found in text: the hand-written detector (before) against phonenumbers + stdnum (after).

Issue 14: ``_redact.py`` found phone numbers, cards and IBANs with its own regexes, Luhn and
mod-97 code; it now uses phonenumbers and python-stdnum. Both run here on the same strings in one
run. "Before" is the old code, copied below unchanged (``old_find``); "after" is
``personalnote._redact.find_personal_data``.

Each number is put in a sentence ("Please call me on {x} after six.") and counts as *found* when
an item of its kind covers it, and as *redacted* when items of any kind cover all of its digits
(what matters for the prompt: an NHS number redacted as "[phone]" is still out of it).

Sets, all built offline from the libraries' own data:

- phones: ``phonenumbers.example_number_for_type`` for every region it supports, fixed line and
  mobile, written in E.164, international and national format. The national format is read for
  a customer of that region (after) and with no region;
- IBANs: one valid IBAN per country of stdnum's IBAN registry (``stdnum/iban.dat``: a random BBAN of
  the country's format, check digits by ``stdnum.iban.calc_check_digits``, kept when
  ``stdnum.iban.is_valid`` accepts it), compact and grouped by four, plus stdnum's doctest examples;
- cards: the payment processors' published test numbers (Stripe, Adyen, PayPal, Braintree; stdnum
  has no card module), compact and grouped;
- national ids: stdnum's own docstring examples and numbers made valid with stdnum's check-digit
  functions, written as stdnum's ``format`` writes them, for a customer of that country;
- not personal data: order numbers, dates, prices, flight numbers, SKUs and barcodes (EAN-13 and
  ISBN with valid check digits), tracking numbers and the test suite's own strings; a string counts
  as a false positive when anything is found in it (no region, and each of the regions above).

Speed: microseconds per text for both detectors over the fixture customers' facts (what the
prompt redacts once per fact) and over every set above, uncached.

Run: bash bench/run redaction_detection  (writes bench/results/redaction_detection.json; ~1 minute)
"""

from __future__ import annotations

import random
import re
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import import_module, resources
from typing import Any

import phonenumbers
from _common import ROOT, machine, machine_line, table, write_result
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from stdnum import ean, iban, isbn

import personalnote as pn
from personalnote._redact import find_personal_data

SENTENCE = "Please call me on {} after six."
ID_REGIONS = {"us.ssn": "US", "gb.nhs": "GB", "de.idnr": "DE", "fr.nir": "FR", "nl.bsn": "NL", "es.dni": "ES",
              "es.nie": "ES", "it.codicefiscale": "IT"}
FP_REGIONS = (None, "US", "GB", "DE", "FR", "NL", "ES", "IT")

# --- before: src/personalnote/_redact.py as it was, detection only -------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b", re.IGNORECASE)
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_PHONE = re.compile(r"(?<![\w+/.,-])(?:\+|00)?\(?\d[\d ().\-/]{5,}\d(?![\w/-]|[.,]\d)")
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
_YEAR_RANGE = re.compile(r"(?:1[89]|20)\d\d\s?[-/\u2013]\s?(?:1[89]|20)\d\d")
_THOUSANDS = re.compile(r"\d{1,3}(?:[ .,]\d{3})+")
_STREET_TYPES = (
    r"(?:Street|Avenue|Road|Boulevard|Lane|Drive|Court|Place|Square|Terrace|Way|Close|Crescent|Parkway|"
    r"Highway|Row|Mews|Gardens|Grove|Hill)\b|(?:St|Ave|Rd|Blvd|Ln|Dr|Ct|Pl|Sq|Pkwy|Hwy)\b\.?"
)
_ADDRESS = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:(?:[A-Z][\w'.-]*|\d+(?:st|nd|rd|th)|de|la|du|des|del|di)\s+){{0,4}}"
    rf"(?:{_STREET_TYPES})(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b)?"
    rf"|\b\d{{1,5}}[A-Za-z]?,?\s+(?:rue|avenue|boulevard|chemin|place|all[ée]e|impasse)\s+(?:[\w'-]+\s+){{0,3}}"
    rf"[A-Z][\w'-]+"
    rf"|\b(?:Via|Viale|Piazza|Calle|Avenida|Rua|Carrer)\s+(?:[\w'-]+\s+){{0,3}}\d{{1,5}}[A-Za-z]?\b"
    rf"|\b[A-ZÄÖÜ][\wäöüß-]*(?:stra(?:ß|ss)e|str\.|weg|gasse|platz|allee|straat|gracht|laan|vej|gatan)"
    rf"\s+\d{{1,5}}[a-z]?\b"
    rf"|\bP\.?\s?O\.?\s+Box\s+\d+\b",
)


def _old_luhn_valid(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) < 2:
        return False
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _old_card_valid(number: str) -> bool:
    return 13 <= sum(c.isdigit() for c in number) <= 19 and _old_luhn_valid(number)


def _old_iban_valid(value: str) -> bool:
    compact = re.sub(r"\s", "", value).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _old_longest_valid(candidate: str, valid: Callable[[str], bool]) -> str | None:
    ends = [m.start() for m in re.finditer(r"[ -]", candidate)] + [len(candidate)]
    return next((candidate[:end] for end in reversed(ends) if valid(candidate[:end])), None)


def _old_phone_like(candidate: str) -> bool:
    digits = sum(c.isdigit() for c in candidate)
    if not 7 <= digits <= 15 or _DATE.fullmatch(candidate) or _YEAR_RANGE.fullmatch(candidate):
        return False
    international = candidate.startswith(("+", "00", "("))
    if not international and _THOUSANDS.fullmatch(candidate) and not re.match(r"\d{3} ", candidate):
        return False
    return international or digits >= 10 or bool(re.search(r"\d[ .\-/]\d", candidate))


def old_find(text: str) -> list[tuple[str, int, int]]:
    """The detector before issue 14: (kind, start, end) of each piece of personal data."""
    found: list[tuple[str, int, int]] = []

    def add(kind: str, start: int, end: int) -> None:
        if not any(start < e and s < end for _, s, e in found):
            found.append((kind, start, end))

    for match in _EMAIL.finditer(text):
        add("email", match.start(), match.end())
    checked: list[tuple[re.Pattern[str], str, Callable[[str], bool]]] = [
        (_IBAN, "iban", _old_iban_valid), (_CARD, "card", _old_card_valid)]
    for pattern, kind, valid in checked:
        for match in pattern.finditer(text):
            found_text = _old_longest_valid(match.group(0), valid)
            if found_text:
                add(kind, match.start(), match.start() + len(found_text))
    for match in _PHONE.finditer(text):
        candidate = match.group(0).rstrip(" .-/(")
        if candidate.count("(") != candidate.count(")"):
            candidate = candidate.lstrip("(")
        start = match.start() + match.group(0).index(candidate)
        if _old_phone_like(candidate):
            add("phone", start, start + len(candidate))
    for match in _ADDRESS.finditer(text):
        add("address", match.start(), match.end())
    return sorted(found, key=lambda f: f[1])


def new_find(text: str, region: str | None) -> list[tuple[str, int, int]]:
    return [(p.kind, p.start, p.end) for p in find_personal_data(text, region)]


# --- the sets ---------------------------------------------------------------------------------------


def phone_cases() -> list[dict[str, Any]]:
    cases = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            for form, fmt in (("E.164", PhoneNumberFormat.E164),
                              ("international", PhoneNumberFormat.INTERNATIONAL),
                              ("national", PhoneNumberFormat.NATIONAL)):
                cases.append({"kind": "phone", "set": f"phone, {form}",
                              "value": phonenumbers.format_number(number, fmt), "region": region})
    return cases


def _bban(structure: str, rng: random.Random) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    alphabet = {"n": "0123456789", "a": letters, "c": "0123456789" + letters}
    return "".join(rng.choice(alphabet[kind]) for length, kind in re.findall(r"(\d+)!([nac])", structure)
                   for _ in range(int(length)))


def iban_cases() -> list[dict[str, Any]]:
    rng = random.Random(14)
    registry = (resources.files("stdnum") / "iban.dat").read_text()
    examples = ["GR1601101050000010547023795", "BE31435411161155"]  # stdnum.iban's doctests
    for country, structure in re.findall(r'^([A-Z]{2}) .*bban="([^"]+)"', registry, re.MULTILINE):
        for _ in range(20_000):  # countries with national check digits take a few draws
            bban = _bban(structure, rng)
            value = country + iban.calc_check_digits(f"{country}00{bban}") + bban
            if iban.is_valid(value):
                examples.append(value)
                break
    cases = []
    for value in examples:
        cases.append({"kind": "iban", "set": "IBAN, compact", "value": value, "region": value[:2]})
        cases.append({"kind": "iban", "set": "IBAN, grouped", "value": iban.format(value),
                      "region": value[:2]})
    return cases


#: the processors' published test card numbers (Stripe, Adyen, PayPal, Braintree)
TEST_CARDS = [
    "4242424242424242", "4000056655665556", "4111111111111111", "4012888888881881", "4222222222222",
    "5555555555554444", "2223003122003222", "5200828282828210", "5105105105105100", "2221000000000009",
    "378282246310005", "371449635398431", "378734493671000", "6011111111111117", "6011000990139424",
    "6011981111111113", "3056930009020004", "36227206271667", "30569309025904", "38520000023237",
    "3566002020360505", "3530111333300000", "6200000000000005", "6250941006528599", "6759649826438453",
    "5019717010103742", "6331101999990016", "6703444444444449", "4035501000000008", "2200000000000004",
]


def _grouped_card(number: str) -> str:
    if len(number) == 15:  # Amex: 4-6-5
        return f"{number[:4]} {number[4:10]} {number[10:]}"
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4))


def card_cases() -> list[dict[str, Any]]:
    cases = []
    for number in TEST_CARDS:
        cases.append({"kind": "card", "set": "card, compact", "value": number, "region": None})
        cases.append({"kind": "card", "set": "card, grouped", "value": _grouped_card(number), "region": None})
        cases.append({"kind": "card", "set": "card, dashes", "value": _grouped_card(number).replace(" ", "-"),
                      "region": None})
    return cases


def _docstring_examples(module: Any) -> list[str]:
    """``>>> validate('...')`` lines of a stdnum module's docstring that do not raise."""
    lines = (module.__doc__ or "").splitlines()
    found = []
    for index, line in enumerate(lines):
        match = re.match(r">>> validate\('([^']+)'\)", line.strip())
        if match and index + 1 < len(lines) and not lines[index + 1].startswith("Traceback"):
            found.append(match.group(1))
    return found


def _digits(n: int, rng: random.Random) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _generated(name: str, module: Any, rng: random.Random) -> str:
    """A random number made valid with the module's own check-digit function, or drawn until
    ``is_valid`` accepts it."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    while True:
        if name == "us.ssn":
            value = f"{rng.randint(1, 899):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
        elif name in ("gb.nhs", "de.idnr"):  # no check-digit function: drawn until valid (1 in 10-11)
            value = str(rng.randint(1, 9)) + _digits(9 if name == "gb.nhs" else 10, rng)
        elif name == "fr.nir":
            body = (f"{rng.choice('12')}{rng.randint(0, 99):02d}{rng.randint(1, 12):02d}"
                    f"{rng.randint(1, 95):02d}{rng.randint(1, 990):03d}{rng.randint(1, 999):03d}")
            value = body + module.calc_check_digits(body)
        elif name == "nl.bsn":
            value = str(rng.randint(1, 9)) + _digits(8, rng)
        elif name == "es.dni":
            body = _digits(8, rng)
            value = body + module.calc_check_digit(body)
        elif name == "es.nie":
            body = rng.choice("XYZ") + _digits(7, rng)
            value = body + module.calc_check_digit(body)
        else:  # it.codicefiscale
            body = ("".join(rng.choice(letters) for _ in range(6)) + f"{rng.randint(0, 99):02d}"
                    + rng.choice("ABCDEHLMPRST") + f"{rng.randint(1, 28):02d}" + rng.choice(letters)
                    + _digits(3, rng))
            value = body + module.calc_check_digit(body)
        if module.is_valid(value):
            return str(module.format(value)) if hasattr(module, "format") else value


def id_cases(per_kind: int = 40) -> list[dict[str, Any]]:
    rng = random.Random(14)
    cases = []
    for name, region in ID_REGIONS.items():
        module = import_module(f"stdnum.{name}")
        values = _docstring_examples(module)
        if name == "it.codicefiscale":  # its doctest also holds an 11-digit company number
            values = [v for v in values if len(v) == 16]
        values += [_generated(name, module, rng) for _ in range(per_kind)]
        for value in dict.fromkeys(values):
            cases.append({"kind": "national_id", "set": f"id, {name}", "value": value, "region": region})
    return cases


def _ean13(rng: random.Random) -> str:
    body = rng.choice(["400", "500", "300", "800", "978"]) + _digits(9, rng)
    return body + ean.calc_check_digit(body)


def _isbn13(rng: random.Random) -> str:
    body = "978" + _digits(9, rng)
    value = body + ean.calc_check_digit(body)
    return str(isbn.format(value))


def not_personal_data() -> dict[str, list[str]]:
    """Strings with numbers in them that are not personal data, by category."""
    r = random.Random(14)
    months = ["January", "March", "June", "September", "November", "December"]
    sets: dict[str, list[str]] = {
        "order numbers": [
            *(f"Order #{r.randint(1000, 99999)}" for _ in range(40)),
            *(f"order {r.randint(10**8, 10**10 - 1)} shipped" for _ in range(40)),
            *(f"Order No. {r.randint(2019, 2026)}-{r.randint(1, 999999):06d}" for _ in range(40)),
            *(f"invoice INV-{r.randint(100000, 999999)}" for _ in range(20)),
            *(f"order #{r.randint(1000, 9999)}-{r.randint(1000, 9999)}" for _ in range(40)),
            *(f"PO-{r.randint(10000, 99999)}" for _ in range(20)),
        ],
        "dates and times": [
            *(f"on {r.randint(2000, 2030)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}" for _ in range(40)),
            *(f"on {r.randint(1, 28):02d}/{r.randint(1, 12):02d}/{r.randint(2000, 2030)}" for _ in range(40)),
            *(f"on {r.randint(1, 28):02d}.{r.randint(1, 12):02d}.{r.randint(2000, 2030)}" for _ in range(40)),
            *(f"on {r.randint(1, 28)} {r.choice(months)} {r.randint(2000, 2030)}" for _ in range(20)),
            *(f"at {r.randint(2000, 2030)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d} "
              f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}" for _ in range(20)),
            *(f"the {y}-{y + r.randint(1, 5)} season" for y in (r.randint(1990, 2024) for _ in range(20))),
            *(f"open {r.randint(7, 10):02d}:00-{r.randint(17, 21)}:30" for _ in range(10)),
        ],
        "prices and counts": [
            *(f"paid ${r.randint(1, 9)},{r.randint(0, 999):03d}.{r.randint(0, 99):02d}" for _ in range(30)),
            *(f"paid €{r.randint(1, 9)}.{r.randint(0, 999):03d},{r.randint(0, 99):02d}" for _ in range(30)),
            *(f"{r.randint(1, 9)} {r.randint(0, 999):03d} {r.randint(0, 999):03d} points" for _ in range(30)),
            *(f"passed {r.randint(1, 9)},{r.randint(0, 999):03d},{r.randint(0, 999):03d} miles"
              for _ in range(30)),
            *(f"USD {r.randint(10, 99)},{r.randint(0, 999):03d}.{r.randint(0, 99):02d}" for _ in range(20)),
        ],
        "flight numbers": [
            *(f"Flight {r.choice(['NA', 'BA', 'LH', 'AF', 'UA', 'KL'])} {r.randint(1, 9999)}, seat "
              f"{r.randint(1, 40)}{r.choice('ABCDEF')}" for _ in range(60)),
            *(f"{r.choice(['BA', 'LH', 'DL'])}{r.randint(100, 9999)} on {r.randint(2024, 2027)}-"
              f"{r.randint(1, 12):02d}-{r.randint(1, 28):02d}" for _ in range(40)),
        ],
        "SKUs and barcodes": [
            *(f"SKU {_ean13(r)}" for _ in range(40)),
            *(f"ISBN {_isbn13(r)}" for _ in range(30)),
            *(f"SKU TR-{r.choice(['GRY', 'BLU', 'BLK'])}-{r.randint(28, 44)}-W" for _ in range(20)),
            *(f"tracking 1Z{r.randint(100, 999)}AA1{_digits(10, r)}" for _ in range(20)),
            *(f"item {r.randint(100000, 999999)}-{r.randint(10, 99)}" for _ in range(30)),
        ],
        "the test suite's": [
            "passed 2,000,000 miles", "1 250 000 points", "on 2026-11-20", "on 20/11/2026", "order #4471",
            "Flight NA 117 from LOS to JFK, seat 2A", "sizes 32, 34 and 36", "our Fifth Avenue store",
            "in 2026 and 2027", "member since 1998", "10 nights, tier Gold", "the 2019-2023 season",
            "members 1998 - 2026", "from 2019/2020",
        ],
    }
    return sets


def fixture_fact_texts() -> list[str]:
    texts = []
    paths = [*sorted((ROOT / "fixtures" / "customers").glob("*.json")), ROOT / "fixtures" / "customers.jsonl"]
    for path in paths:
        data = pn.load(path)
        for history in data.customers:
            ctx = pn.build_context(history, datetime(2030, 1, 1, tzinfo=UTC),
                                   business_events=data.business_events)
            texts += [t for f in ctx.facts.values() for t in (f.text, f.quote) if t]
    return texts


# --- measuring ----------------------------------------------------------------------------------------


def _covered(items: list[tuple[str, int, int]], start: int, end: int, kind: str | None) -> bool:
    """True when items (of ``kind``, or of any kind) cover every digit or letter in [start, end)."""
    spans = [(s, e) for k, s, e in items if kind is None or k == kind]
    if kind is not None:
        return any(s <= start and end <= e for s, e in spans)
    return all(any(s <= i < e for s, e in spans) for i in range(start, end))


def detection(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for case in cases:
        text = SENTENCE.format(case["value"])
        start = text.index(case["value"])
        end = start + len(case["value"])
        row = rows.setdefault(case["set"], {"set": case["set"], "n": 0, "before": 0, "before_redacted": 0,
                                            "after": 0, "after_redacted": 0, "after_no_region": 0,
                                            "missed_after": []})
        old = old_find(text)
        new = new_find(text, case["region"])
        unknown = new_find(text, None)
        row["n"] += 1
        row["before"] += _covered(old, start, end, case["kind"])
        row["before_redacted"] += _covered(old, start, end, None)
        row["after"] += _covered(new, start, end, case["kind"])
        row["after_redacted"] += _covered(new, start, end, None)
        row["after_no_region"] += _covered(unknown, start, end, case["kind"])
        if not _covered(new, start, end, case["kind"]) and len(row["missed_after"]) < 10:
            row["missed_after"].append(f"{case['region']}: {case['value']}")
    return list(rows.values())


def false_positives(sets: dict[str, list[str]]) -> list[dict[str, Any]]:
    rows = []
    for name, texts in sets.items():
        before = [t for t in texts if old_find(t)]
        after = {region: [t for t in texts if new_find(t, region)] for region in FP_REGIONS}
        worst = max(FP_REGIONS[1:], key=lambda r: len(after[r]))
        rows.append({"set": name, "n": len(texts), "before": len(before), "after_no_region": len(after[None]),
                     "after_worst_region": len(after[worst]), "worst_region": worst,
                     "before_examples": before[:8],
                     "after_examples": sorted(set().union(*after.values()))[:8]})
    return rows


def speed(texts: list[str], repeats: int = 5) -> dict[str, float]:
    """Median microseconds per text over ``repeats`` passes, uncached, both detectors."""
    out = {}
    for label, fn in (("before", old_find), ("after, no region", lambda t: new_find(t, None)),
                      ("after, region GB", lambda t: new_find(t, "GB"))):
        fn(texts[0])  # imports, lazy metadata
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            for text in texts:
                fn(text)
            runs.append((time.perf_counter() - start) / len(texts) * 1e6)
        out[label] = round(statistics.median(runs), 1)
    return out


def main() -> None:
    info = machine()
    print(f"redaction detection: {machine_line(info)}\n")
    cases = phone_cases() + iban_cases() + card_cases() + id_cases()
    rows = detection(cases)
    print(table(["set", "n", "before found", "after found", "after, no region", "before redacted",
                 "after redacted"],
                [[r["set"], r["n"], f"{r['before'] / r['n']:.1%}", f"{r['after'] / r['n']:.1%}",
                  f"{r['after_no_region'] / r['n']:.1%}", f"{r['before_redacted'] / r['n']:.1%}",
                  f"{r['after_redacted'] / r['n']:.1%}"] for r in rows]))
    print("\nNot personal data (strings in which anything is found):\n")
    fps = false_positives(not_personal_data())
    print(table(["set", "n", "before", "after, no region", "after, worst region"],
                [[r["set"], r["n"], r["before"], r["after_no_region"],
                  f"{r['after_worst_region']} ({r['worst_region']})"] for r in fps]))
    facts = fixture_fact_texts()
    all_texts = [SENTENCE.format(c["value"]) for c in cases]
    all_texts += [t for texts in not_personal_data().values() for t in texts]
    timings = {"fixture facts": speed(facts), "every set above": speed(all_texts, repeats=3)}
    print("\nMicroseconds per text (median, uncached):\n")
    labels = list(next(iter(timings.values())))
    print(table(["texts", "n", *labels], [[name, len(facts) if name == "fixture facts" else len(all_texts),
                                           *t.values()] for name, t in timings.items()]))
    for r in rows:
        if r["missed_after"]:
            print(f"\nmissed after, {r['set']}: {', '.join(r['missed_after'][:5])}")
    target = write_result("redaction_detection", {"detection": rows, "false_positives": fps,
                                                  "speed_us": timings, "fixture_fact_texts": len(facts)})
    print(f"\nwrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
