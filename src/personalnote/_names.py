"""Names anywhere in a note: the customer's, other customers', and merge fields left behind.

The salutation is checked on its own (``_checks._salutation_problem``); this module reads the
rest of the text. Blocking, each with the span it is about:

- ``placeholder``: merge fields of every templating habit — ``*|FNAME|*``, ``{}``, ``%s``,
  ``__NAME__``, ``@@name@@``, ``<%= name %>``, ``{% name %}``, ``[% name %]``, ``(first name)``,
  a bare ``first_name``, ``{{``, ``}}``, ``<<>>``, ``«FirstName»``;
- ``name``: the customer's full legal name (reads like a merge field), the given name when
  the customer goes by a preferred one (unless ``address_as`` is ``given_name``), a legacy
  ALL-CAPS form of a name, or a fragment of it ("Marg" for Margaret, "García" alone for
  "De la Cruz-García");
- ``other_customer``: another customer's full name in any case, or a part of it written as
  a name (capitalised or in capitals), at the start of a sentence too; and (``example_findings``)
  a name or distinctive detail of a style example's customer (``_examples``: taken out of the
  prompt, kept beside it) that is not this customer's own, a signer's, or in this customer's facts,
  however the model came by it. Names match as written (a "Rose" is not "rose"), details in any case.

Names used correctly are not flagged: the preferred name, the given name, the honorific
with the family name, and every signer's name (the library writes the signature block).

Example::

    name_findings(text, profile, signers=[Signer("Captain", "Maya Ortiz")], others=["Grace Hopper"])
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ._compose import Signer, format_name
from ._context import CustomerContext
from ._draft_types import Finding
from ._examples import StyleExample
from ._history import CustomerProfile

__all__ = ["PLACEHOLDERS", "example_findings", "name_findings"]

#: merge fields the main placeholder pattern (``_checks._PLACEHOLDER``) does not cover
PLACEHOLDERS = re.compile(
    r"\*\|[^|*\s]{1,40}\|\*"                         # Mailchimp *|FNAME|*
    r"|\{\s*\}"                                       # {}
    r"|(?<![\w%])%[sd](?![\w])"                       # %s, %d
    r"|__[A-Za-z][A-Za-z0-9_]*__"                     # __NAME__
    r"|@@[A-Za-z_][\w.]*@@"                           # @@name@@
    r"|<%=?[^%]*%>"                                   # <%= name %>
    r"|\{%[^%]*%\}"                                   # {% name %}
    r"|\[%[^%]*%\]"                                   # [% name %]
    r"|\((?:first|last|full|given|family|customer|user)[ _-]?name\)"   # (first name)
    r"|\b(?:first|last|full|given|family|customer)_name\b|\b(?:firstname|lastname|fname|lname)\b"
    r"|\{\{|\}\}"                                     # {{ or }} left alone
    r"|<<[^<>\n]{0,40}>>"                             # <<>>, <<Name>>
    r"|\u00ab[A-Za-z_ ]{1,30}\u00bb",                 # «FirstName»
    re.IGNORECASE,
)
#: capitalised words that may begin a sentence and also begin a name ("Her" / Herrera)
_COMMON = frozenset({
    "her", "his", "him", "the", "and", "for", "our", "you", "your", "are", "all", "any", "can", "may",
    "mar", "march", "jan", "june", "july", "aug", "august", "sept", "oct", "nov", "dec", "will", "mark",
    "rose", "grace", "hope", "joy", "faith", "art", "bill", "sun", "dawn", "summer", "winter", "new",
    "war", "man", "van", "von", "del", "san", "pet", "per", "ever", "even", "tea", "car", "care",
    "thank", "thanks", "with", "warm", "best", "happy", "dear", "hello", "welcome", "congratulations",
})
_PARTICLES = frozenset({"de", "da", "das", "dos", "del", "della", "der", "den", "des", "di", "du", "la",
                        "le", "van", "von", "vom", "zu", "zum", "zur", "y", "bin", "binti", "bint", "ibn",
                        "al", "el", "ten", "ter", "te", "het", "mc", "mac", "st"})
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")


def _pattern(name: str) -> re.Pattern[str]:
    """A name as a run of words: any spacing, dots optional, not inside a longer word."""
    words = [re.escape(w) for w in re.split(r"[\s.]+", name) if w]
    return re.compile(r"(?<![\w-])" + r"[\s.]+".join(words) + r"\.?(?![\w-])", re.IGNORECASE)


def _overlaps(span: tuple[int, int], taken: Sequence[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in taken)


def _name_words(name: str) -> list[str]:
    return [w for w in _WORD.findall(name) if w.casefold() not in _PARTICLES and len(w) > 1]


def _customer_names(text: str, profile: CustomerProfile, masked: list[tuple[int, int]],
                    salutation: tuple[int, int] | None) -> list[Finding]:
    findings: list[Finding] = []
    given, family, preferred = profile.given_name, profile.family_name, profile.preferred_name
    locale = profile.locale

    def add(span: tuple[int, int], message: str) -> None:
        masked.append(span)
        findings.append(Finding(kind="name", severity="blocking", span=span, message=message))

    outside = [salutation] if salutation else []
    if given and family:
        for match in _pattern(f"{given} {family}").finditer(text):
            span = (match.start(), match.end())
            if not _overlaps(span, masked + outside):
                goes_by = f"; the customer goes by '{format_name(preferred, locale)}'" if preferred else ""
                add(span, f"the full name '{match.group(0)}' reads like a merge field{goes_by}")
    # the forms the customer uses, as written: masked before looking for fragments and capitals
    used = [n for n in (preferred, given, family) if n]
    if profile.honorific and family:
        used.append(f"{profile.honorific} {family}")
    for name in sorted(used, key=len, reverse=True):
        written = format_name(name, locale)
        for match in _pattern(name).finditer(text):
            span = (match.start(), match.end())
            if _overlaps(span, masked):
                continue
            found = match.group(0)
            shouted = [w for w, form in zip(_WORD.findall(found), _WORD.findall(written), strict=False)
                       if w.isupper() and len(w) > 1 and not form.isupper()]
            if shouted:  # "MARGARET OKAFOR", or "Ms OKAFOR": a word of the name in capitals
                add(span, f"'{found}' is a legacy form in capitals; write '{written}'")
                continue
            if (preferred and given and name == given
                    and format_name(preferred, locale) != format_name(given, locale)
                    and profile.address_as != "given_name" and not _overlaps(span, outside)):
                add(span, f"'{found}': the customer goes by '{format_name(preferred, locale)}'")
                continue
            masked.append(span)
    # fragments: a part of a name that is not the whole of a name the customer uses
    whole = {w.casefold() for n in used for w in _name_words(n)}
    parts = {w.casefold(): w for n in (given, family, preferred) if n for w in _name_words(n)}
    family_words = _name_words(family) if family else []
    for match in _WORD.finditer(text):
        span = (match.start(), match.end())
        word = match.group(0)
        key = word.casefold()
        if _overlaps(span, masked) or not word[0].isupper() or key in _COMMON or len(word) < 3:
            continue
        if key in parts and len(family_words) > 1 and key in {w.casefold() for w in family_words}:
            add(span, f"'{word}' is a fragment of the family name '{format_name(family or '', locale)}'")
            continue
        if key in whole:
            continue
        for part in parts.values():
            if len(part) > len(word) and part.casefold().startswith(key):
                add(span, f"'{word}' is a fragment of the customer's name '{format_name(part, locale)}'")
                break
    return findings


def _other_customers(text: str, others: Sequence[str], masked: list[tuple[int, int]],
                     own: set[str]) -> list[Finding]:
    findings: list[Finding] = []
    for other in others:
        words = _name_words(other)
        if not words:
            continue
        hits = [(m.start(), m.end()) for m in _pattern(other).finditer(text)] if len(words) > 1 else []
        for word in words if len(words) > 1 else [other]:
            if word.casefold() in own or len(word) < 3:
                continue
            hits += [(m.start(), m.end()) for m in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text,
                                                              re.IGNORECASE)
                     if m.group(0)[0].isupper()]
        for span in sorted(hits, key=lambda s: (s[0], -s[1])):
            if not _overlaps(span, masked):
                masked.append(span)
                findings.append(Finding(kind="other_customer", severity="blocking", span=span,
                                        message=f"'{text[span[0]:span[1]]}' is another customer's name "
                                                f"({other})"))
    return findings


def name_findings(text: str, profile: CustomerProfile, *, signers: Sequence[Signer] = (),
                  others: Sequence[str] = (), salutation: tuple[int, int] | None = None,
                  taken: Sequence[tuple[int, int]] = ()) -> list[Finding]:
    """Placeholders, the customer's name used wrongly and other customers' names, anywhere in ``text``.

    ``salutation`` is the span of the name after "Dear" (checked by the salutation rule, not
    again here); ``taken`` are spans other checks already reported (not reported twice).
    """
    masked: list[tuple[int, int]] = list(taken)
    findings: list[Finding] = []
    for match in PLACEHOLDERS.finditer(text):
        span = (match.start(), match.end())
        if not _overlaps(span, masked):
            masked.append(span)
            findings.append(Finding(kind="placeholder", severity="blocking", span=span,
                                    message=f"leftover placeholder '{match.group(0)}'"))
    for signer in signers:  # the library's own signature: a signer's name is never a finding
        for name in (signer.name, signer.label):
            if name:
                masked += [(m.start(), m.end()) for m in _pattern(name).finditer(text)]
    if salutation:
        masked.append(salutation)
    own = {w.casefold() for n in (profile.given_name, profile.family_name, profile.preferred_name) if n
           for w in _name_words(n)}
    findings += _customer_names(text, profile, masked, salutation)
    findings += _other_customers(text, others, masked, own)
    return findings


def _example_words(*texts: str | None) -> set[str]:
    return {w.casefold() for text in texts if text for w in re.findall(r"[\w'’.-]+", text)}


def example_findings(text: str, ctx: CustomerContext, examples: Sequence[StyleExample],
                     signers: Sequence[Signer] = ()) -> list[Finding]:
    """Blocking findings for each name or detail of a style example's customer in ``text`` that is
    not this customer's (their names, the signers', their facts)."""
    if not examples:
        return []
    profile = ctx.customer
    own = _example_words(profile.given_name, profile.family_name, profile.preferred_name,
                         *(s.name for s in signers), *(s.role for s in signers))
    known = " ".join(f"{f.text} {f.quote or ''}" for f in ctx.facts.values()).casefold()
    findings: list[Finding] = []
    taken: list[tuple[int, int]] = []
    wanted: list[tuple[str, bool, int]] = []  # (words, a name, the example's queue id)
    for example in examples:
        wanted += [(n, True, example.draft_id) for n in example.withheld_names
                   if not _example_words(n) <= own and n.casefold() not in known]
        wanted += [(d, False, example.draft_id) for d in example.withheld_details
                   if d.casefold() not in known and not _example_words(d) <= own]
    for words, is_name, draft_id in sorted(wanted, key=lambda w: (-len(w[0]), w[0], w[2])):
        pattern = re.compile(rf"(?<!\w){re.escape(words)}(?!\w)", 0 if is_name else re.IGNORECASE)
        for match in pattern.finditer(text):
            span = (match.start(), match.end())
            if any(span[0] < e and s < span[1] for s, e in taken):
                continue
            taken.append(span)
            what = "name" if is_name else "detail"
            findings.append(Finding(kind="other_customer", severity="blocking", span=span,
                                    message=f"'{match.group(0)}' is another customer's {what} (from the "
                                            f"style example of draft {draft_id}), not in this customer's "
                                            "facts"))
    findings.sort(key=lambda f: f.span or (0, 0))
    return findings
