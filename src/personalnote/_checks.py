"""Checks: every note is read against the facts before a person sees it.

``check(draft, ctx)`` returns findings, each with a kind, a severity (``blocking`` or
``warning``), the span of text it is about and a plain-language message. It reads the
final text, so a detail invented outside the model's claim list is caught too. The same
checks run on a hand-written note (``check_text``).

Example::

    findings = check(draft, ctx)
    blocking = blocking_findings(findings)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from . import _constants as C
from ._compose import Signer, channel_from, format_name, signers_from
from ._context import CustomerContext, Fact
from ._draft_types import Draft, Finding
from ._errors import PromptError
from ._form import form_findings
from ._grounding import combination_findings, place_aliases
from ._history import Channel
from ._model_words import model_words_findings
from ._names import name_findings
from ._prompts import PromptTemplate, load_prompt, shipped_version
from ._redact import PersonalData, find_personal_data, locale_region
from ._repeats import frame_sentences, repeat_findings
from ._style_checks import _URL, CheckPolicy, _channel, _creepiness, _disguised, _genericity, _Note
from ._untrusted import (
    MIXED_CODE,
    FreeText,
    obeyed_spans,
    reads_like_instruction,
)

__all__ = ["CheckPolicy", "check", "check_text"]
_PLACEHOLDER = re.compile(
    r"\{\{[^}]*\}\}|\{[a-z_][a-z0-9_ ]*\}|\[\[[^\]]*\]\]|\[(?:first[_ ]?name|name|customer|"
    r"last[_ ]?name|[A-Z_ ]{3,})\]|%\(?[a-z_]+\)?s|<[A-Z_]{3,}>|\$\{?[a-z_]+\}?",
    re.IGNORECASE,
)
_NULLISH = re.compile(r"\b(?:None|null|NULL|N/A|undefined|nan|NaN)\b"
                      r"(?!\s+(?:of|but|at all|the less|other|too|whatsoever|left|and void)\b)")
_CODE = re.compile(r"\b(?:code|coupon|promo)\s*:?\s*[A-Z0-9]{4,}\b", re.IGNORECASE)
_NUMBER = re.compile(r"\b\d[\d,]*(?:\.\d+)?(?:\s+(?:million|thousand))?\b", re.IGNORECASE)
_PROPER = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z'\-]+(?:\s+[A-Z][a-zA-Z'\-]+)*")
_COMMON_CAPS = {"I", "I'm", "I'd", "I've", "We", "Our", "Thank", "Thanks", "Dear", "Hello", "With", "Best",
                "Yours", "Warm", "Congratulations", "Happy", "Please", "You", "Your", "The", "A", "It",
                "This", "That", "All", "Here", "Welcome", "Kind", "Regards", "Sincerely", "Team"}


def _number_supported(value: float, numbers: set[float]) -> bool:
    """A number is in the facts, or is one of them rounded ("2 million" for 2,001,850, "30" for 28).

    Rounding is read from the note's own number: only its trailing zeros may differ, so a
    year (2019 for 2025) or a date must match exactly.
    """
    if value in numbers:
        return True
    if not value.is_integer() or value == 0:
        return False
    places = len(str(int(value))) - len(str(int(value)).rstrip("0"))
    return places > 0 and any(round(n, -places) == value for n in numbers)


def _number_value(text: str) -> float | None:
    match = re.match(r"([\d,]*\d(?:\.\d+)?)\s*(million|thousand)?", text.strip(), re.IGNORECASE)
    if not match:
        return None
    value = float(match.group(1).replace(",", ""))
    scale = {"million": 1e6, "thousand": 1e3}.get((match.group(2) or "").lower(), 1.0)
    return value * scale


def _support_text(ctx: CustomerContext, fact_ids: Sequence[str], signers: Sequence[Signer]) -> str:
    facts: list[Fact] = [ctx.facts[i] for i in fact_ids if i in ctx.facts]
    parts = [f.text for f in facts] + [str(v) for f in facts for v in f.data.values()]
    profile = ctx.customer
    parts += [n for n in (profile.given_name, profile.family_name, profile.preferred_name,
                          profile.honorific) if n]
    parts += [s.label for s in signers]
    parts += [alias for f in facts if f.kind == "trip" for key in ("origin", "destination")
              if f.data.get(key) for alias in place_aliases(str(f.data[key]))[1:]]  # "New York" for JFK
    return " ".join(parts)


def _grounding(note: _Note, ctx: CustomerContext, cited: Sequence[str], signers: Sequence[Signer],
               claim_ids: Sequence[str]) -> list[Finding]:
    findings = [
        Finding(kind="unknown_fact_id", severity="blocking", span=None,
                message=f"a claim cites {fact_id!r}, which is not a fact of this customer")
        for fact_id in claim_ids if fact_id not in ctx.facts
    ]
    support = _support_text(ctx, cited, signers)
    lowered = support.lower()
    numbers = {v for m in _NUMBER.finditer(support) if (v := _number_value(m.group(0))) is not None}
    for start, end, words in note.spans(_NUMBER):
        value = _number_value(words)
        if value is not None and not _number_supported(value, numbers):
            findings.append(Finding(kind="unsupported_detail", severity="blocking", span=(start, end),
                                    message=f"'{words}' is not in the facts the note cites"))
    for start, end, words in note.spans(_PROPER):
        names = [w for w in words.split() if w not in _COMMON_CAPS]
        missing = [w for w in names if w.lower() not in lowered]
        if missing:
            findings.append(Finding(kind="unsupported_detail", severity="blocking", span=(start, end),
                                    message=f"'{' '.join(missing)}' is not in the facts the note cites"))
    return findings


def _example_copies(note: _Note, ctx: CustomerContext, example_details: Sequence[str]) -> list[Finding]:
    """Details of the prompt's own example ("green scarf") that the customer's facts never mention."""
    findings: list[Finding] = []
    taken: list[tuple[int, int]] = []
    written = [(detail, spans) for detail in sorted(example_details, key=len, reverse=True)  # "green scarf"
               if (spans := note.spans(re.compile(rf"\b{re.escape(detail)}\b", re.IGNORECASE)))]  # first
    # the facts are read only for a detail the note holds (most notes hold none)
    known = " ".join(f"{f.text} {f.quote or ''}" for f in ctx.facts.values()).casefold() if written else ""
    for detail, spans in written:
        if detail.casefold() in known:
            continue
        for start, end, words in spans:
            if not any(start < e and s < end for s, e in taken):
                taken.append((start, end))
                findings.append(Finding(kind="unsupported_detail", severity="blocking", span=(start, end),
                                        message=f"'{words}' comes from the prompt's example, not from "
                                                "this customer's facts"))
    return findings


def _plain(name: str) -> str:
    return " ".join(name.replace(".", " ").split()).casefold()


#: a greeting at the very start, whatever its case, after any BOM or invisible character:
#: "Dear Ms Okafor,", "DEAR LESTER WUNDERMAN,", "Dearest …", "Good morning …", "Greetings, …", "To …"
_GREETING = re.compile(
    r"[\s\ufeff\u200b-\u200f\u2060]*(?P<word>dear(?:est)?|hello|hi|hey|good\s+(?:morning|afternoon|evening)|"
    r"greetings|to)\b(?P<gap>[ \t]*),?[ \t]*(?P<name>[^,\n]*)(?P<comma>,?)(?P<more>[^\n]*)",
    re.IGNORECASE)
#: a first line that is only a name and a comma: "Lester Wunderman,"
_BARE_NAME_GREETING = re.compile(
    r"[\s\ufeff]*(?P<word>)(?P<gap>)(?P<name>[A-Z][\w.'-]*(?:[ \t]+[A-Z][\w.'-]*){0,3})"
    r"(?P<comma>,)(?P<more>)[ \t]*\n")


def _names_this_customer(name: str, ctx: CustomerContext) -> bool:
    profile = ctx.customer
    own = {_plain(n) for n in (profile.preferred_name, profile.given_name, profile.family_name) if n}
    return any(_plain(word) in own for word in name.split())


def _salutation_problem(word: str, name: str, ctx: CustomerContext) -> str | None:
    """What is wrong with the name after 'Dear' / 'Hello' / 'Hi', or None.

    The name must be one the customer uses (preferred, given, family, or honorific with
    family name), spelled as ``format_name`` writes the profile's field.
    """
    profile = ctx.customer
    if not name:
        return "'Dear' with no name: the name field was empty" if word == "Dear" else None
    if word != "Dear" and name.casefold() in ("there", "all", "everyone"):
        return None
    given, family, honorific = profile.given_name, profile.family_name, profile.honorific
    if given and family and _plain(name) == _plain(f"{given} {family}"):
        return f"full-name salutation '{name}' reads like a merge field"
    locale = profile.locale
    forms = [(n, format_name(n, locale)) for n in (profile.preferred_name, given, family) if n]
    if honorific and family:
        forms.append((f"{honorific} {family}", f"{honorific} {format_name(family, locale)}"))
        if given:
            forms.append((f"{honorific} {given} {family}",
                          f"{honorific} {format_name(given, locale)} {format_name(family, locale)}"))
    expected = {_plain(raw): written for raw, written in forms}
    match = expected.get(_plain(name))
    if match is None:
        return f"'{name}' is not a name this customer uses (given, preferred or family name)"
    if name.replace(".", "") != match.replace(".", ""):
        why = "is in capitals" if name.isupper() else "is not how the customer writes it"
        return f"'{name}' {why}; write '{match}'"
    return None


def _names(note: _Note, ctx: CustomerContext, others: Sequence[str],
           signers: Sequence[Signer]) -> list[Finding]:
    findings: list[Finding] = []
    for start, end, words in note.spans(_PLACEHOLDER, body_only=False):
        findings.append(Finding(kind="placeholder", severity="blocking", span=(start, end),
                                message=f"leftover placeholder '{words}'"))
    for start, end, words in note.spans(_NULLISH, body_only=False):
        findings.append(Finding(kind="placeholder", severity="blocking", span=(start, end),
                                message=f"'{words}' looks like an empty merge field"))
    greeting = _GREETING.match(note.text) or _BARE_NAME_GREETING.match(note.text)
    salutation = (greeting.start("name"), greeting.end("name")) if greeting else None
    if greeting and not greeting.group("word") and not _names_this_customer(greeting.group("name"), ctx):
        greeting = None  # a first line that is not this customer's name: the other checks read it
    if greeting:
        word = " ".join((greeting.group("word") or "").split())
        name = greeting.group("name").strip()
        problem = _salutation_problem(word.capitalize() if word.casefold() == "dear" else word, name, ctx)
        if problem is None and word and not name and greeting.group("gap"):
            problem = f"'{word} ,' with no name: the name field was empty"
        if problem is None and greeting.group("more").strip(" ,"):
            problem = (f"'{name}, {greeting.group('more').strip(' ,')}' holds two name fields: a merge "
                       "field, not a greeting")
        if problem is None and word not in ("Dear", "Hello", "Hi"):
            problem = (f"'{word or name}' is not how the library greets a customer ('Dear …,' or 'Hello,'): "
                       "the greeting was pasted or rewritten")
        if problem:
            findings.append(Finding(kind="salutation", severity="blocking",
                                    span=(greeting.start("name"), greeting.end("name")), message=problem))
    for other in others:
        for match in re.finditer(rf"\b{re.escape(other)}\b", note.text):
            findings.append(Finding(kind="other_customer", severity="blocking",
                                    span=(match.start(), match.end()),
                                    message=f"'{other}' is another customer's name"))
    taken = [f.span for f in findings if f.span]
    return findings + name_findings(note.text, ctx.customer, signers=signers, others=others,
                                    salutation=salutation, taken=taken)


_DATA_NAMES = {"email": "an email address", "phone": "a phone number", "card": "a payment card number",
               "iban": "a bank account number (IBAN)", "national_id": "a national identity number",
               "address": "a street address"}


def _personal_data(note: _Note, ctx: CustomerContext) -> list[Finding]:
    return [Finding(kind="personal_data", severity="blocking", span=(item.start, item.end),
                    message=f"{_DATA_NAMES[item.kind]} ('{item.text}') in the note: personal data a note "
                            "does not need")
            for item in _personal_items(note.text, locale_region(ctx.customer.locale))]


@lru_cache(maxsize=C.CHECKED_TEXT_CACHE)
def _personal_items(text: str, region: str | None) -> tuple[PersonalData, ...]:
    """``find_personal_data``, once per note text: a draft is checked when drafted and when queued."""
    return tuple(find_personal_data(text, region))


def _without(text: str, values: Sequence[str]) -> str:
    for value in values:
        text = text.replace(value, " ")
    return text


def _untrusted(note: _Note, ctx: CustomerContext, evidence: Sequence[str], signers: Sequence[Signer],
               instructions: str, policy: CheckPolicy) -> list[Finding]:
    found = [(s, e, w, what) for pattern, what in ((_URL, "a link"), (_CODE, "a discount code"))
             for s, e, w in note.spans(pattern)]
    found += [(note.body_start + item.start, note.body_start + item.end, item.text, _DATA_NAMES[item.kind])
              for item in _personal_items(note.body, locale_region(ctx.customer.locale))
              if item.kind in ("email", "phone")]
    findings = [Finding(kind="untrusted_instruction", severity="blocking", span=(s, e),
                        message=f"{what} ('{w}') in the note: it may come from instructions hidden in "
                                "the customer's free text")
                for s, e, w, what in sorted(found)]
    structured = [(f.id, str(v)) for f in ctx.facts.values() for k, v in f.data.items() if k != "text"]
    structured += [("customer", n) for n in (ctx.customer.given_name, ctx.customer.family_name,
                                            ctx.customer.preferred_name, ctx.customer.honorific) if n]
    # A structured field (an item, a programme, a name) is trusted unless it reads like an instruction
    # or carries a code the moment does not rest on: then it is free text, and echoing it is obeying it.
    values = {value for _, value in structured}  # the same programme or place stands in many facts
    instructing = {value for value in values if reads_like_instruction(value, policy)}
    coded = {value for value in values if MIXED_CODE.search(value)}
    suspicious = [(fact_id, value) for fact_id, value in structured
                  if value in instructing or (fact_id not in evidence and value in coded)]
    hidden = [value for _, value in suspicious]
    trusted = [_without(f.text, hidden) for f in ctx.facts.values()]
    trusted += [value for _, value in structured if value not in hidden]
    trusted += [s.label for s in signers]
    quotes = [FreeText(f.id, f.quote, f.id in evidence, f.kind, sent_note=f.kind == "note_sent")
              for f in ctx.facts.values() if f.quote]
    quotes += [FreeText(fact_id, value, False) for fact_id, value in suspicious]
    spans = {f.span for f in findings if f.span}
    for repeated in obeyed_spans(note.body, quotes, " ".join(trusted), instructions, policy):
        span = (note.body_start + repeated.start, note.body_start + repeated.end)
        if span not in spans:
            spans.add(span)
            # both block: a copied run is also what a model obeying an injection writes, and not every
            # injection reads like one (see _untrusted); the kind tells the reviewer which it looks like
            findings.append(Finding(kind=repeated.kind, severity="blocking", span=span, message=repeated.why))
    return findings


def check_text(
    text: str,
    ctx: CustomerContext,
    *,
    cited: Sequence[str] = (),
    claim_ids: Sequence[str] = (),
    signers: Sequence[Signer] = (),
    channel: Channel = "email",
    moment_evidence: Sequence[str] = (),
    other_customer_names: Sequence[str] = (),
    policy: CheckPolicy | None = None,
    instructions: str = "",
    example_details: Sequence[str] = (),
    library_sentences: Sequence[str] = (),
) -> list[Finding]:
    """Check a note's full text against a customer's context (hand-written or drafted).

    ``instructions`` is the prompt's system text, if any: a note repeating it answered
    a request to reveal it. ``example_details`` are the details the prompt's example invents.
    ``library_sentences`` are the library's own sentences in the note, or sentence templates with
    ``$variables``: they never count as repeating an earlier note (neither do the shipped framed
    prompt's).
    """
    return _check_text(text, ctx, cited=cited, claim_ids=claim_ids, signers=signers, channel=channel,
                       moment_evidence=moment_evidence, other_customer_names=other_customer_names,
                       policy=policy, instructions=instructions, example_details=example_details,
                       library_sentences=library_sentences, given=None)


def _given_facts(ctx: CustomerContext, given: Sequence[str] | None) -> tuple[CustomerContext, list[Fact]]:
    """The context cut to the facts the note's writer was given (all of them when ``given`` is None),
    and what the whole history holds that a note is checked against all the same: every preference
    the customer declined or dislikes, and the first purchase ("your first purchase")."""
    if given is None:
        return ctx, list(ctx.facts.values())
    wanted = set(given)
    facts: dict[str, Fact] = {}
    combined: list[Fact] = []  # in the context's order, as the whole history was read
    first = True
    for fact in ctx.facts.values():
        if fact.id in wanted:
            facts[fact.id] = fact
            combined.append(fact)
        elif (first and fact.kind == "purchase" and fact.at) or (
                fact.kind == "preference" and fact.data.get("stance") in ("declined", "dislikes")):
            combined.append(fact)
        if first and fact.kind == "purchase" and fact.at:
            first = False
    return ctx.model_copy(update={"facts": facts}), combined


def _check_text(text: str, ctx: CustomerContext, *, cited: Sequence[str], claim_ids: Sequence[str],
                signers: Sequence[Signer | str], channel: Channel, moment_evidence: Sequence[str],
                other_customer_names: Sequence[str], policy: CheckPolicy | None, instructions: str,
                example_details: Sequence[str], library_sentences: Sequence[str],
                given: Sequence[str] | None) -> list[Finding]:
    """``check_text``; ``given``: the ids of the facts the writer was given (None: every fact).

    What a note can cite or copy is what its writer saw: grounding, combinations and copied or
    obeyed free text read those facts. The whole history still holds what a note must never
    contradict or leak: ids it must not print, earlier notes it must not repeat, preferences the
    customer declined, the first purchase.
    """
    policy = policy or CheckPolicy()
    channel = channel_from(channel, caller="check_text")
    signers = signers_from(signers, caller="check_text")
    scope, combined = _given_facts(ctx, given)
    lines = text.split("\n\n")
    body_start = len(lines[0]) + 2 if len(lines) > 2 and _GREETING.match(lines[0]) else 0
    closing = text.rfind("\n\n" + lines[-1]) if len(lines) > 2 else len(text)
    note = _Note(text, body_start, max(closing, body_start))
    support_ids = list(dict.fromkeys([*cited, *moment_evidence]))
    moment_words = set(re.findall(r"[a-z0-9]+", _support_text(ctx, moment_evidence or cited, []).lower()))
    moment_words -= {"on", "the", "a", "of", "and", "in", "to", "with", "for", "at", "was", "customer"}
    findings = [
        *_grounding(note, ctx, support_ids or list(scope.facts), signers, claim_ids),
        *_example_copies(note, ctx, example_details),
        *combination_findings(text, note.body_start, note.body_end, combined,
                              support=support_ids, evidence=moment_evidence),
        *_names(note, ctx, other_customer_names, signers),
        *form_findings(text, note.body_start, note.body_end, [s.label for s in signers]),
        *_creepiness(note, policy),
        *_disguised(note),
        *_genericity(note, ctx, support_ids, policy, moment_words),
        *_channel(note, channel, signers, ctx.relationship.familiarity, policy),
        *_personal_data(note, ctx),
        *_untrusted(note, scope, moment_evidence, signers, instructions, policy),
        *repeat_findings(text, (note.body_start, note.body_end), ctx, policy, library_sentences),
    ]
    findings.sort(key=lambda f: (not f.blocking, f.span or (0, 0)))
    return findings


def recheck_template(draft: Draft) -> PromptTemplate | None:
    """The prompt a re-check of ``draft`` reads (its instructions, its example's details): the exact
    shipped version it was drafted with, else the prompt's current one by name; None when neither is
    found (the other checks still run)."""
    template = shipped_version(draft.provenance.prompt, draft.provenance.prompt_version)
    try:
        return template or load_prompt(draft.provenance.prompt)
    except PromptError:
        return None


def check(draft: Draft, ctx: CustomerContext, *, policy: CheckPolicy | None = None,
          other_customer_names: Sequence[str] = (), template: PromptTemplate | None = None) -> list[Finding]:
    """Check a draft (model-written or edited) against the context it was drafted from.

    Example::

        findings = check(draft, ctx)
    """
    ctx = ctx.with_facts(draft.moment.facts)
    claim_ids = [i for c in draft.claims for i in c.fact_ids]
    if template is None:  # drafting passes its template; a re-check finds a shipped one by name
        template = recheck_template(draft)
    library = [s.text for s in draft.sentences if s.author == "library"]
    # the facts the model was given, and the moment's (a draft made by hand lists none: all of them)
    given = [*(f.id for f in draft.facts), *draft.moment.evidence,
             *(f.id for f in draft.moment.facts)] if draft.facts else None
    findings = _check_text(draft.text, ctx, cited=claim_ids, claim_ids=claim_ids, signers=draft.signers,
                           channel=draft.channel, moment_evidence=draft.moment.evidence,
                           other_customer_names=other_customer_names, policy=policy,
                           instructions=template.system if template else "",
                           example_details=template.example_details if template else (),
                           library_sentences=[*library, *(frame_sentences(template) if template else ())],
                           given=given)
    findings += model_words_findings(draft)  # a framed note: the parts the model wrote
    findings.sort(key=lambda f: (not f.blocking, f.span or (0, 0)))
    return findings
