"""The built-in moment detectors. Each is small, pure, and registered by name.

A detector takes a context and the policy and yields moments; it never reads the
clock and never decides whether a note may be sent (the guards do).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from ._context import MONTHS, CustomerContext, Fact, add_years, years_between
from ._history import (
    LoyaltyEvent,
    NewCollectionEvent,
    PreferenceEvent,
    PurchaseEvent,
    RequestEvent,
    StockEvent,
    TripEvent,
)
from ._items import normalise_variant_value, same_item, same_stock_item
from ._moment_types import Detector, Moment, MomentPolicy

__all__ = ["ordinal", "register_detector", "registered_detectors", "round_number", "same_item",
           "threshold_crossed"]

_REGISTRY: dict[str, Detector] = {}


def register_detector(name: str) -> Callable[[Detector], Detector]:
    """Register a detector under ``name`` (a later registration replaces it).

    Example::

        @register_detector("birthday")
        def birthday(ctx, policy):
            ...  # yield Moment(...)
    """

    def decorate(detector: Detector) -> Detector:
        _REGISTRY[name] = detector
        return detector

    return decorate


def registered_detectors() -> dict[str, Detector]:
    """A copy of the registry: built-in detectors plus those registered by the application."""
    return dict(_REGISTRY)


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _key_number(value: float) -> str:
    """A threshold as a CRM would type it in ``note_sent.about``: 2000000, not 2e+06."""
    return str(int(value)) if float(value).is_integer() else repr(value)


def round_number(value: float) -> str:
    """2000000 -> '2 million', 50 -> '50'."""
    if value >= 1_000_000 and value % 1_000_000 == 0:
        return f"{value / 1_000_000:g} million"
    return f"{value:,.0f}"


def round_threshold_crossed(previous: float, value: float, minimum: float) -> float | None:
    """The largest round number (one significant digit, at least ``minimum``) in (previous, value]."""
    if value <= previous or value < minimum:
        return None
    exponent = int(math.floor(math.log10(value)))
    while exponent >= 0:
        step = 10**exponent
        candidate = math.floor(value / step) * step
        if candidate > previous and candidate >= minimum:
            return float(candidate)
        if step <= minimum:
            break
        exponent -= 1
    return None


def threshold_crossed(policy: MomentPolicy, metric: str, previous: float, value: float) -> float | None:
    """The milestone a metric passed going from ``previous`` to ``value``: for a tenure metric
    (years, months) the largest threshold of its table in (previous, value]; for any other metric
    the largest round number at least the metric's minimum."""
    thresholds = policy.tenure_thresholds(metric)
    if thresholds is not None:
        return max((float(t) for t in thresholds if previous < t <= value), default=None)
    minimum = policy.milestone_minimums.get(metric, policy.milestone_default_minimum)
    return round_threshold_crossed(previous, value, minimum)


def _milestone_strength(policy: MomentPolicy, metric: str, threshold: float) -> float:
    thresholds = policy.tenure_thresholds(metric)
    if thresholds is not None:
        return min(0.9, 0.6 + 0.05 * sum(t <= threshold for t in thresholds))
    minimum = policy.milestone_minimums.get(metric, policy.milestone_default_minimum)
    return min(1.0, 0.7 + 0.1 * math.log10(threshold / minimum))


def _milestone_key(program: str, metric: str, threshold: float) -> str:
    return f"milestone:{program}:{metric}:{_key_number(threshold)}"


@register_detector("milestone")
def milestone(ctx: CustomerContext, policy: MomentPolicy) -> Iterator[Moment]:
    """A loyalty metric passing a round threshold (2,000,000 miles, 50 nights, 100 visits) or a
    tenure milestone (5 years in a club)."""
    trips = sorted((e for e in ctx.events if isinstance(e, TripEvent)), key=lambda e: e.at)
    trip_times = [e.at for e in trips]  # a long history crosses many thresholds: search, don't scan
    for event in ctx.events:
        if not isinstance(event, LoyaltyEvent) or event.previous_value is None:
            continue
        threshold = threshold_crossed(policy, event.metric, event.previous_value, event.value)
        if threshold is None:
            continue
        window = policy.milestone_link_window
        first = bisect_left(trip_times, event.at - window)
        last = bisect_right(trip_times, event.at + window)
        linked = [e.id for e in trips[first:last]]
        derived = Fact(
            id=f"derived:milestone:{event.id}", kind="milestone", source="derived", at=event.at,
            text=f"Passed {round_number(threshold)} {event.metric} with {event.program} "
                 f"on {ctx.local_date(event.at)}",
            data={"program": event.program, "metric": event.metric, "threshold": threshold},
        )
        yield Moment(
            kind="milestone", key=_milestone_key(event.program, event.metric, threshold),
            at=event.at, evidence=[derived.id, event.id, *linked],
            strength=_milestone_strength(policy, event.metric, threshold),
            why_now=f"passed {round_number(threshold)} {event.metric} with {event.program} "
                    f"on {ctx.local_date(event.at)}",
            fresh_for=policy.fresh_for("milestone"), facts=[derived],
            subject=policy.tenure_unit(event.metric) or event.metric, threshold=threshold,
        )


@register_detector("milestone_ahead")
def milestone_ahead(ctx: CustomerContext, policy: MomentPolicy) -> Iterator[Moment]:
    """A milestone a booked trip will cross: the latest balance plus what the booked trips earn,
    looking as far ahead as the channel's lead time needs (a card printed before the flight)."""
    if not ctx.upcoming:
        return
    latest: dict[tuple[str, str], LoyaltyEvent] = {}
    for event in ctx.events:
        if isinstance(event, LoyaltyEvent):
            latest[(event.program, event.metric)] = event  # events are oldest first
    until = policy.look_ahead_until(ctx)
    booked = [t for t in ctx.upcoming if isinstance(t, TripEvent) and t.earns and t.at <= until]
    for (program, metric), balance in latest.items():
        programs = {p for p, m in latest if m == metric}
        total = balance.value
        for trip in booked:
            earned = trip.earns.get(metric)
            if earned is None or (trip.program or program) != program or (
                    trip.program is None and len(programs) > 1):
                continue
            threshold = threshold_crossed(policy, metric, total, total + earned)
            total += earned
            if threshold is None:
                continue
            derived = Fact(
                id=f"derived:milestone_ahead:{trip.id}:{metric}", kind="milestone", source="derived",
                at=trip.at,
                text=f"Will pass {round_number(threshold)} {metric} with {program} on the trip booked "
                     f"for {ctx.local_date(trip.at)}",
                data={"program": program, "metric": metric, "threshold": threshold},
            )
            yield Moment(
                kind="milestone", key=_milestone_key(program, metric, threshold), at=trip.at,
                evidence=[derived.id, balance.id, trip.id],
                strength=_milestone_strength(policy, metric, threshold),
                why_now=f"will pass {round_number(threshold)} {metric} with {program} on the trip "
                        f"booked for {ctx.local_date(trip.at)}",
                fresh_for=policy.fresh_for("milestone"), facts=[derived],
                subject=policy.tenure_unit(metric) or metric, threshold=threshold,
            )
            break  # the first crossing is the moment; the balance after it is not known yet


@register_detector("nth_purchase")
def nth_purchase(ctx: CustomerContext, policy: MomentPolicy) -> Iterator[Moment]:
    """The customer's 10th, 25th, 50th... purchase; only the latest one reached."""
    purchases = [e for e in ctx.events if isinstance(e, PurchaseEvent)]
    reached = [n for n in policy.purchase_count_milestones if n <= len(purchases)]
    if not reached:
        return
    n = reached[-1]
    event = purchases[n - 1]
    derived = Fact(id=f"derived:purchase_count:{n}", kind="purchase_count", source="derived",
                   at=event.at, text=f"{event.item} was the customer's {ordinal(n)} purchase",
                   data={"count": n})
    yield Moment(
        kind="nth_purchase", key=f"nth_purchase:{n}", at=event.at,
        evidence=[derived.id, event.id], strength=min(0.9, 0.5 + 0.1 * math.log10(n)),
        why_now=f"{ordinal(n)} purchase, on {ctx.local_date(event.at)}",
        fresh_for=policy.fresh_for("nth_purchase"), facts=[derived], subject="purchase", threshold=n,
    )


def _anniversary_moment(ctx: CustomerContext, policy: MomentPolicy, start: datetime, at: datetime,
                        origin: str, what: str, years: int) -> Moment:
    plural = "s" if years != 1 else ""
    ahead = at > ctx.as_of
    derived = Fact(id=f"derived:anniversary:{years}", kind="anniversary", source="derived", at=at,
                   text=f"{years} year{plural} since the customer's {what} ({ctx.local_date(start)})"
                        + (f", on {ctx.local_date(at)}" if ahead else ""),
                   data={"years": years})
    return Moment(
        kind="anniversary", key=f"anniversary:{what.replace(' ', '_')}:{years}", at=at,
        evidence=[derived.id, origin], strength=min(0.8, 0.4 + 0.05 * years),
        why_now=f"{years} year{plural} since the {what}" + (f", on {ctx.local_date(at)}" if ahead else ""),
        fresh_for=policy.fresh_for("anniversary"), facts=[derived], subject="years", threshold=years,
    )


@register_detector("anniversary")
def anniversary(ctx: CustomerContext, policy: MomentPolicy) -> Iterator[Moment]:
    """Whole years since the first purchase or the membership start: the latest one reached, or the
    next one when it falls within the look-ahead (a letter is mailed to arrive on the day)."""
    member = ctx.facts.get("profile:member_since")
    purchases = [e for e in ctx.events if isinstance(e, PurchaseEvent)]
    if member is not None and member.at is not None:
        start, origin, what = member.at, member.id, "membership"
    elif purchases:
        start, origin, what = purchases[0].at, purchases[0].id, "first purchase"
    else:
        return
    years = years_between(start, ctx.as_of)
    upcoming = add_years(start, years + 1)
    if upcoming <= policy.look_ahead_until(ctx):
        yield _anniversary_moment(ctx, policy, start, upcoming, origin, what, years + 1)
    elif years >= 1:
        yield _anniversary_moment(ctx, policy, start, add_years(start, years), origin, what, years)


def _birthday_on(born: date, year: int) -> date:
    try:
        return born.replace(year=year)
    except ValueError:  # 29 February in a common year
        return born.replace(year=year, day=28)


@register_detector("birthday")
def birthday(ctx: CustomerContext, policy: MomentPolicy) -> Iterator[Moment]:
    """The customer's birthday, when the profile holds a birth date: the next one when it falls
    within the look-ahead, else the latest. The age is said only when the policy allows it."""
    born = ctx.customer.birth_date
    if born is None:
        return
    zone = ZoneInfo(ctx.customer.time_zone)
    today = ctx.as_of.astimezone(zone).date()
    days = [_birthday_on(born, y) for y in (today.year - 1, today.year, today.year + 1)]
    starts = [datetime.combine(d, time(), zone) for d in days]
    until = policy.look_ahead_until(ctx)
    upcoming = [s for s in starts if ctx.as_of < s <= until]
    past = [s for s in starts if s <= ctx.as_of]
    if upcoming:
        at = upcoming[0]
    elif past:
        at = past[-1]
    else:
        return
    age = at.year - born.year
    if age < 1:
        return
    day = f"{at.day} {MONTHS[at.month - 1]}"
    text = f"Turns {age} on {day}" if policy.birthday_mentions_age else f"Birthday on {day}"
    derived = Fact(id=f"derived:birthday:{at.year}", kind="birthday_moment", source="derived", at=at,
                   text=text, data={"age": age} if policy.birthday_mentions_age else {})
    yield Moment(
        kind="birthday", key=f"birthday:{at.year}", at=at, evidence=[derived.id, "profile:birthday"],
        strength=0.6, why_now=f"birthday on {ctx.local_date(at)}",
        fresh_for=policy.fresh_for("birthday"), facts=[derived], subject="birthday",
    )


def _variant_available(wanted: dict[str, str], offered: dict[str, list[str]]) -> bool:
    """Whether the offered variants hold the wanted value of every attribute they list, sizes read
    alike however written ("W34", "34W", "size 34"; ``_items.normalise_variant_value``)."""
    normalised = {k.strip().casefold(): {normalise_variant_value(v) for v in vs} for k, vs in offered.items()}
    return all(normalise_variant_value(value) in normalised[key.strip().casefold()]
               for key, value in wanted.items() if key.strip().casefold() in normalised)


def _covers(wanted: dict[str, str], event: StockEvent) -> bool:
    """Whether a stock event is about the wanted variant: a restock must offer it; a sell-out
    with no variants listed covers every variant."""
    if event.kind == "back_in_stock":
        return _variant_available(wanted, event.variants)
    return not event.variants or _variant_available(wanted, event.variants)


@register_detector("wanted_item_available")
def wanted_item_available(ctx: CustomerContext, policy: MomentPolicy) -> Iterator[Moment]:
    """An open request whose item, in the wanted size or variant, is in stock again: the latest
    stock event about it since the request is a restock (a sell-out after it ends the moment)."""
    requests = [e for e in ctx.events if isinstance(e, RequestEvent) and e.status == "open"]
    stock = sorted((e for e in ctx.business_events if isinstance(e, StockEvent)), key=lambda e: e.at)
    threshold = policy.item_match_threshold
    for request in requests:
        about = [e for e in stock if e.at >= request.at and _covers(request.variant, e)
                 and same_stock_item(request.sku, request.item, e.sku, e.item, threshold=threshold)]
        if not about or about[-1].kind != "back_in_stock":
            continue
        restock = about[-1]
        related = [e.id for e in ctx.events if isinstance(e, PreferenceEvent) and e.item
                   and same_item(e.item, request.item, threshold=threshold)]
        size = f" in {', '.join(request.variant.values())}" if request.variant else ""
        yield Moment(
            kind="wanted_item_available", key=f"wanted_item:{request.id}", at=restock.at,
            evidence=[request.id, restock.id, *related], strength=0.9,
            why_now=f"{request.item}{size}, asked for on {ctx.local_date(request.at)}, is back in stock",
            fresh_for=policy.fresh_for("wanted_item_available"), celebratory=False, subject=request.item,
        )


def _attribute_values(prefs: list[PreferenceEvent]) -> dict[str, set[str]]:
    values: dict[str, set[str]] = {}
    for pref in prefs:
        for key, items in pref.attributes.items():
            values.setdefault(key.lower(), set()).update(v.lower() for v in items)
    return values


@register_detector("preference_match")
def preference_match(ctx: CustomerContext, policy: MomentPolicy) -> Iterator[Moment]:
    """A new collection or offer in attributes the customer said they like.

    Resting on something the customer declined (the blue pair they said no to) makes
    the moment weak.
    """
    prefs = [e for e in ctx.events if isinstance(e, PreferenceEvent)]
    liked = [p for p in prefs if p.stance == "likes"]
    declined = [p for p in prefs if p.stance in ("declined", "dislikes")]
    liked_values = _attribute_values(liked)
    declined_values = _attribute_values(declined)
    for event in ctx.business_events:
        if not isinstance(event, NewCollectionEvent):
            continue
        matched: dict[str, set[str]] = {}
        for key, items in event.attributes.items():
            hit = {v.lower() for v in items} & liked_values.get(key.lower(), set())
            if hit:
                matched[key.lower()] = hit
        if not matched:
            continue
        fresh_values = {(k, v) for k, vs in matched.items() for v in vs
                        if v not in declined_values.get(k, set())}
        declined_item = [p for p in declined if p.item and any(
            same_item(p.item, name, threshold=policy.item_match_threshold)
            for name in [event.name, *event.items])]
        strength = min(0.85, 0.5 + 0.15 * len(fresh_values))
        on_declined = declined_item or not fresh_values
        if on_declined:
            strength *= policy.declined_factor
        evidence_prefs = [p.id for p in liked if any(
            v.lower() in matched.get(k.lower(), set()) for k, vs in p.attributes.items() for v in vs)]
        evidence = [event.id, *evidence_prefs, *(p.id for p in declined_item)]
        values = sorted(v for vs in matched.values() for v in vs)
        why = f"{event.name} in {' and '.join(values)}, which the customer said they like"
        if on_declined:
            why += " (but rests on something they declined)"
        yield Moment(kind="preference_match", key=f"preference_match:{event.id}", at=event.at,
                     evidence=evidence, strength=round(strength, 3), why_now=why,
                     fresh_for=policy.fresh_for("preference_match"), subject=event.name)


@register_detector("welcome_back")
def welcome_back(ctx: CustomerContext, policy: MomentPolicy) -> Iterator[Moment]:
    """The latest purchase, when it came after a long lapse."""
    purchases = [e for e in ctx.events if isinstance(e, PurchaseEvent)]
    if len(purchases) < 2:
        return
    latest, previous = purchases[-1], purchases[-2]
    gap = latest.at - previous.at
    if gap < policy.welcome_back_lapse:
        return
    months = gap.days // 30
    derived = Fact(id=f"derived:returned:{latest.id}", kind="returned", source="derived",
                   at=latest.at, text=f"Came back after more than {months} months without a purchase",
                   data={"months": months})
    yield Moment(
        kind="welcome_back", key=f"welcome_back:{latest.id}", at=latest.at,
        evidence=[derived.id, latest.id, previous.id], strength=0.6,
        why_now=f"first purchase in more than {months} months",
        fresh_for=policy.fresh_for("welcome_back"), facts=[derived], subject="welcome back",
    )
