"""The moment in the library's words: one sentence, to the customer, built from the moment's evidence.

A 135M model should not be the one to restate a number, a date or an item name. The library
knows the moment's facts exactly (the threshold and the programme, the item and the size, the
collection and the colours the customer likes, the years), so it writes the sentence that states
them, from the templates in a framed prompt file (``moment_sentences``), and the ids of the facts
behind it become exact claims. The creepiness policy holds here too: no clock times, no day
counts, no needless quantities (a threshold is rounded as the moment names it: "2 million").

Example::

    sentence = moment_sentence(load_prompt("framed"), moment, ctx)
    sentence.text      # 'You have passed 2 million miles with SkyMiles on your flight to JFK.'
    sentence.fact_ids  # ['derived:milestone:L-5502', 'L-5502', 'T-8002']
"""

from __future__ import annotations

import string
from collections.abc import Iterable

from ._context import CustomerContext, Fact
from ._detectors import ordinal, round_number
from ._draft_types import Sentence
from ._errors import PromptError
from ._moment_types import Moment
from ._prompts import PromptTemplate

__all__ = ["closing_words", "moment_sentence"]

Variables = dict[str, str]


def _facts(moment: Moment, ctx: CustomerContext) -> list[Fact]:
    known = {**ctx.facts, **{f.id: f for f in moment.facts}}
    return [known[i] for i in moment.evidence if i in known]


def _first(facts: Iterable[Fact], kind: str) -> Fact | None:
    return next((f for f in facts if f.kind == kind), None)


def _as_in_a_sentence(name: str) -> str:
    """An item or collection name inside a sentence: 'Tea caddy' -> 'tea caddy', but a title with
    more capitals ('History of the Silk Road') or an all-caps code ('XL') stays as written."""
    words = name.split()
    if words and words[0][:1].isupper() and words[0][1:].islower() and not any(w[:1].isupper()
                                                                               for w in words[1:]):
        return name[:1].lower() + name[1:]
    return name


def _and(values: list[str]) -> str:
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} and {values[-1]}"


def _milestone(facts: list[Fact]) -> tuple[Variables, list[str]] | None:
    derived = _first(facts, "milestone")
    if derived is None:
        return None
    used = [derived.id, *(f.id for f in facts if f.kind == "loyalty")]
    trip = next((f for f in facts if f.kind == "trip" and f.data.get("destination")), None)
    phrase = ""
    if trip is not None:
        mode = str(trip.data.get("mode") or "flight")
        phrase = f" on your {'flight' if mode == 'flight' else 'trip'} to {trip.data['destination']}"
        used.append(trip.id)
    threshold = round_number(float(derived.data["threshold"]))
    return {"threshold": threshold, "metric": str(derived.data["metric"]),
            "program": str(derived.data["program"]), "trip_phrase": phrase}, used


def _nth_purchase(facts: list[Fact]) -> tuple[Variables, list[str]] | None:
    derived, purchase = _first(facts, "purchase_count"), _first(facts, "purchase")
    if derived is None or purchase is None:
        return None
    return ({"ordinal": ordinal(int(derived.data["count"])),
             "item": _as_in_a_sentence(str(purchase.data["item"]))}, [derived.id, purchase.id])


def _anniversary(facts: list[Fact]) -> tuple[Variables, list[str]] | None:
    derived = _first(facts, "anniversary")
    if derived is None:
        return None
    years = int(derived.data["years"])
    member = _first(facts, "member_since")
    origin = "you became a member" if member is not None else "your first order with us"
    used = [derived.id, *(f.id for f in facts if f.kind in ("member_since", "purchase"))]
    return {"years_phrase": "a year" if years == 1 else f"{years} years", "origin_phrase": origin}, used


def _wanted_item(facts: list[Fact]) -> tuple[Variables, list[str]] | None:
    request = _first(facts, "request")
    restock = _first(facts, "back_in_stock")
    if request is None or restock is None:
        return None
    variant = {str(k): str(v) for k, v in (request.data.get("variant") or {}).items()}
    phrase = f" in {_and([f'{k} {v}' if k == 'size' else v for k, v in variant.items()])}" if variant else ""
    return ({"item": _as_in_a_sentence(str(request.data["item"])), "variant_phrase": phrase},
            [request.id, restock.id])


def _attributes(facts: Iterable[Fact]) -> set[tuple[str, str]]:
    """(attribute, value) pairs, lower case, of the facts' ``attributes`` (colours: blue, grey)."""
    return {(str(k).lower(), str(v).lower())
            for f in facts for k, vs in (f.data.get("attributes") or {}).items() for v in vs}


def _preference_match(facts: list[Fact]) -> tuple[Variables, list[str]] | None:
    collection = next((f for f in facts if f.kind in ("new_collection", "offer")), None)
    liked = [f for f in facts if f.kind == "preference" and f.data.get("stance") == "likes"]
    if collection is None or not liked:
        return None
    likes = _attributes(liked)
    written = {(str(k).lower(), str(v).lower()): str(v)  # the values as the collection writes them
               for k, vs in (collection.data.get("attributes") or {}).items() for v in vs}
    values = [written[pair] for pair in sorted(set(written) & likes)]
    name = str(collection.data.get("name") or "")
    if not values or not name:
        return None
    return ({"collection": _as_in_a_sentence(name), "values": _and(values)},
            [collection.id, *(f.id for f in liked)])


def _welcome_back(facts: list[Fact]) -> tuple[Variables, list[str]] | None:
    derived = _first(facts, "returned")
    return ({}, [derived.id]) if derived is not None else None


def _birthday(facts: list[Fact]) -> tuple[Variables, list[str]] | None:
    derived = _first(facts, "birthday_moment")
    if derived is None:
        return None
    age = derived.data.get("age")  # present only when the moment policy lets the note say it
    return {"age_word": f"{ordinal(int(age))} " if age else ""}, [derived.id]


_VARIABLES = {"milestone": _milestone, "nth_purchase": _nth_purchase, "anniversary": _anniversary,
              "wanted_item_available": _wanted_item, "preference_match": _preference_match,
              "welcome_back": _welcome_back, "birthday": _birthday}


def moment_sentence(template: PromptTemplate, moment: Moment, ctx: CustomerContext) -> Sentence | None:
    """The sentence that states ``moment`` to the customer, or None when there is none to write.

    A moment that brings its own ``sentence`` (a caller-supplied one) cites all its evidence; a
    built-in kind uses the template's ``moment_sentences``. None for a kind the template does not
    cover, or whose evidence lacks what the template needs: the model then writes the whole body.
    """
    if moment.sentence:
        return Sentence(text=moment.sentence.strip(), author="library", fact_ids=list(moment.evidence))
    pattern = template.moment_sentences.get(moment.kind)
    build = _VARIABLES.get(moment.kind)
    if pattern is None or build is None:
        return None
    built = build(_facts(moment, ctx))
    if built is None:
        return None
    variables, fact_ids = built
    try:
        text = string.Template(pattern).substitute(variables)
    except (KeyError, ValueError) as exc:
        raise PromptError(f"prompt {template.name!r} v{template.version}: the {moment.kind} sentence uses "
                          f"{exc}, which the library does not fill; it fills {sorted(variables)}") from None
    return Sentence(text=" ".join(text.split()), author="library", fact_ids=list(dict.fromkeys(fact_ids)))


def closing_words(template: PromptTemplate, moment: Moment) -> Sentence:
    """The closing words of a note the library composes alone, for this kind of moment."""
    text = template.closing_words.get(moment.kind) or template.closing_words.get("default", "")
    return Sentence(text=text, author="library", fact_ids=[])
