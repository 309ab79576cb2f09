"""Not a note is blocking (`form`), and names are read in the whole note, not only the salutation."""

from __future__ import annotations

import pytest

import personalnote as pn
from personalnote._compose import salutation

from .support import AS_OF, FIXTURES

SIGNERS = [pn.Signer("Captain", "Maya Ortiz"), pn.Signer("First Officer", "Tom Reyes")]


def _ctx(name: str, **profile: object) -> pn.CustomerContext:
    data = pn.load(FIXTURES / "customers" / f"{name}.json")
    ctx = pn.build_context(data.customers[0], AS_OF, business_events=data.business_events)
    moments = pn.find_moments(ctx)
    if moments.best:
        ctx = ctx.with_facts(moments.best.facts)
    if profile:
        ctx = ctx.model_copy(update={"customer": ctx.customer.model_copy(update=profile)})
    return ctx


def _card(body: str) -> str:
    return (f"Dear Ms Okafor,\n\n{body}\n\nWith warm regards,\n\n____________________\nMaya Ortiz, Captain"
            "\n\n____________________\nTom Reyes, First Officer")


def _blocking(text: str, ctx: pn.CustomerContext, **kwargs: object) -> list[tuple[str, str]]:
    findings = pn.check_text(text, ctx, cited=list(ctx.facts), **kwargs)  # type: ignore[arg-type]
    return [(f.kind, text[f.span[0]:f.span[1]] if f.span else "") for f in findings if f.blocking]


GOOD_CARD = ("You have passed 2 million miles with SkyMiles on your flight to JFK. "
             "Thank you for flying with us.")


def test_a_good_card_with_named_signers_has_no_blocking_finding() -> None:
    assert _blocking(_card(GOOD_CARD), _ctx("flyer_2m_miles"), signers=SIGNERS, channel="card") == []


@pytest.mark.parametrize("body", [
    "{ { 1 }, {",                                                         # SmolLM2, the flyer's card
    '```json\n{"body": "Thank you for your two million miles with us"}\n```',
    '{"body": "Thank you for your two million miles", "claims": []}',
    "miles miles miles miles miles miles",
    "",
    "The customer's or staff's words, data only: 'Prefers a window seat near the front'",
    "<p>You have passed 2 million miles with SkyMiles.</p>",
    "20 November 2026",
    "Thank you thank you thank you for flying with us all these years",
    "2,001,850 miles / 2 / 2A / 117 / 2026 / 20",
    "You passed 2 million miles with SkyMiles on 2026-11-20 on NA 117.",
    "Thank you for flying with us. Thank you for flying with us.",
])
def test_a_body_that_is_not_prose_is_a_blocking_form_finding(body: str) -> None:
    kinds = [k for k, _ in _blocking(_card(body), _ctx("flyer_2m_miles"), signers=SIGNERS, channel="card")]
    assert "form" in kinds


@pytest.mark.parametrize("placeholder", [
    "{first_name}", "*|fname|*", "{}", "%s", "__NAME__", "@@name@@", "<%= name %>", "{% name %}",
    "[% name %]", "(first name)", "first_name", "{{", "}}", "<<>>", "<<FirstName>>",
])
def test_placeholders_in_the_body_are_blocked(placeholder: str) -> None:
    text = _card(f"Thank you, {placeholder}, for 2 million miles with SkyMiles on your flight to JFK.")
    found = _blocking(text, _ctx("flyer_2m_miles"), signers=SIGNERS, channel="card")
    assert any(k == "placeholder" and s and s in placeholder for k, s in found), found


@pytest.mark.parametrize(("sentence", "span"), [
    ("Thank you, Margaret Okafor, for 2 million miles with SkyMiles.", "Margaret Okafor"),
    ("Thank you, MARGARET, for 2 million miles with SkyMiles.", "MARGARET"),
    ("OKAFOR, thank you for 2 million miles with SkyMiles.", "OKAFOR"),
    ("Thank you, Marg, for 2 million miles with SkyMiles.", "Marg"),
])
def test_the_customers_name_used_wrongly_in_the_body_is_blocked(sentence: str, span: str) -> None:
    found = _blocking(_card(sentence), _ctx("flyer_2m_miles"), signers=SIGNERS, channel="card")
    assert ("name", span) in found, found


def test_the_legal_name_is_blocked_when_the_customer_goes_by_a_preferred_name() -> None:
    ctx = _ctx("flyer_2m_miles", preferred_name="Maggie", address_as=None)
    text = ("Dear Maggie,\n\nThank you, {}, for 2 million miles with SkyMiles on your flight to JFK."
            "\n\nWith warm regards,\nMaya Ortiz, Captain\nTom Reyes, First Officer")
    assert _blocking(text.format("Maggie"), ctx, signers=SIGNERS, channel="card") == []
    for legal in ("Margaret", "Margaret Okafor", "MARGARET OKAFOR"):
        found = _blocking(text.format(legal), ctx, signers=SIGNERS, channel="card")
        assert [k for k, s in found if s == legal] == ["name"], found
    given = ctx.model_copy(update={"customer": ctx.customer.model_copy(update={"address_as": "given_name"})})
    assert _blocking(text.format("Margaret"), given, signers=SIGNERS, channel="card") == []


def test_a_fragment_of_a_compound_family_name_is_blocked() -> None:
    ctx = _ctx("grey_trousers", given_name="Josefa", family_name="De la Cruz-García", preferred_name="Pepa",
               honorific="Dra.", locale="es-ES")
    body = "The grey wool trousers you asked for are back in stock in size 34{}."
    text = "Dear Pepa,\n\n" + body + "\n\nBest wishes,\nMaya"
    assert _blocking(text.format(""), ctx) == []
    assert ("name", "García") in _blocking(text.format(", Dra. García"), ctx)
    assert _blocking(text.format(", Dra. De la Cruz-García"), ctx) == []


@pytest.mark.parametrize("sentence", [
    "Grace Hopper and you both passed 2 million miles with SkyMiles.",
    "grace hopper told us you passed 2 million miles with SkyMiles.",
    "Thank you, Ms Hopper, for 2 million miles with SkyMiles.",
    "HOPPER: thank you for 2 million miles with SkyMiles.",
])
def test_another_customers_name_anywhere_is_blocked(sentence: str) -> None:
    found = _blocking(_card(sentence), _ctx("flyer_2m_miles"), signers=SIGNERS, channel="card",
                      other_customer_names=["Grace Hopper"])
    assert "other_customer" in [k for k, _ in found], found


def test_signer_names_and_the_library_sentences_are_not_flagged() -> None:
    ctx = _ctx("flyer_2m_miles")
    text = _card("Maya Ortiz and Tom Reyes are glad to have you aboard: you have passed 2 million miles "
                 "with SkyMiles on your flight to JFK.")
    assert _blocking(text, ctx, signers=SIGNERS, channel="card", other_customer_names=["Tom Hopper"]) == []
    trousers = ("Dear Tomás,\n\nThe grey wool trousers you asked for are back in stock in size 34."
                "\n\nBest,\nMaya")
    assert _blocking(trousers, _ctx("grey_trousers"), other_customer_names=["Grace Hopper"]) == []


def test_the_preferred_name_wins_in_the_salutation_unless_address_as_says_otherwise() -> None:
    ctx = _ctx("grey_trousers", given_name="Josefa", family_name="De la Cruz-García", preferred_name="Pepa",
               honorific="Dra.", locale="es-ES")
    assert salutation(ctx.customer, ctx.relationship) == "Dear Pepa,"
    formal = ctx.customer.model_copy(update={"address_as": "honorific_family_name"})
    assert salutation(formal, ctx.relationship) == "Dear Dra. De la Cruz-García,"
    nameless = ctx.customer.model_copy(update={"preferred_name": None})
    assert salutation(nameless, ctx.relationship) == "Dear Dra. De la Cruz-García,"  # locale es: formal
