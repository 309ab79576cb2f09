"""Hand-written bad notes for every "must never happen" story, and good notes that pass."""

from __future__ import annotations

import pytest

import personalnote as pn
from personalnote._checks import CheckPolicy, check_text

from .conftest import AS_OF, FIXTURES


def _ctx(name: str) -> pn.CustomerContext:
    data = pn.load(FIXTURES / "customers" / f"{name}.json")
    return pn.build_context(data.customers[0], AS_OF, business_events=data.business_events)


def _kinds(findings: list[pn.Finding], severity: str = "blocking") -> set[str]:
    return {f.kind for f in findings if f.severity == severity}


JANET = ("Dear Janet,\n\nThank you, Janet, for purchasing 6 oz. of shampoo at 3:41pm, exactly 121 days "
         "after your previous purchase.\n\nBest wishes,\nThe team")


def test_creepy_janet_note_is_blocked_for_each_detail() -> None:
    findings = check_text(JANET, _ctx("nothing_special"), cited=["S-501", "S-502"])
    assert {"clock_time", "exact_interval", "quantity"} <= _kinds(findings)
    spans = {JANET[f.span[0]:f.span[1]] for f in findings if f.span}
    assert {"3:41pm", "6 oz", "121 days after"} <= spans


@pytest.mark.parametrize(("salutation", "why"), [
    ("Dear Lester Wunderman,", "full-name"),
    ("Dear LESTER,", "capitals"),
    ("Dear ,", "no name"),
    ("Dear {first_name},", "placeholder"),
    ("Dear [[MISSING TOKEN]],", "placeholder"),
    ("Dear None,", "empty merge field"),
    ("Dear Les,", "not a name"),
    ("Dear Margaret,", "not a name"),
])
def test_merge_field_salutations_are_blocked(salutation: str, why: str) -> None:
    text = f"{salutation}\n\nCongratulations on passing 50 nights with Stays.\n\nBest wishes,\nThe team"
    findings = check_text(text, _ctx("do_not_contact"), cited=["L-801"])
    blocking = [f for f in findings if f.severity == "blocking" and f.kind in ("salutation", "placeholder")]
    assert blocking and any(why in f.message for f in blocking)


def test_another_customers_name_is_blocked() -> None:
    text = "Dear Lester,\n\nGrace told us about your stays.\n\nBest wishes,\nThe team"
    findings = check_text(text, _ctx("do_not_contact"), cited=["L-801"], other_customer_names=["Grace"])
    assert "other_customer" in _kinds(findings)


def test_name_on_the_bottle_note_is_generic() -> None:
    text = "Dear Tomás,\n\nWe are thinking of you and hope to see you soon.\n\nBest wishes,\nMaya"
    findings = check_text(text, _ctx("grey_trousers"), moment_evidence=["R-310", "B-901"],
                          signers=[pn.Signer("Sales associate", "Maya")])
    assert "generic" in _kinds(findings)


def test_stock_phrases_are_warnings() -> None:
    text = ("Dear Tomás,\n\nAs a valued customer, the grey wool trousers are back.\n\nBest wishes,\nMaya")
    findings = check_text(text, _ctx("grey_trousers"), cited=["R-310", "B-901"])
    assert "stock_phrase" in _kinds(findings, "warning") and "stock_phrase" not in _kinds(findings)


def test_invented_detail_outside_the_claims_is_caught() -> None:
    text = ("Dear Ms Okafor,\n\nCongratulations on 2 million miles, and enjoy Paris next week.\n\n"
            "With warm regards,\n____________________\nCaptain")
    findings = check_text(text, _ctx("flyer_2m_miles"), cited=["L-5502", "T-8002"],
                          signers=[pn.Signer("Captain")], channel="card")
    unsupported = [text[f.span[0]:f.span[1]] for f in findings if f.kind == "unsupported_detail" and f.span]
    assert unsupported == ["Paris"]


def test_good_milestone_card_passes() -> None:
    text = ("Dear Ms Okafor,\n\nToday on NA 117 to JFK you passed 2 million miles with SkyMiles. "
            "Thank you from all of us on board.\n\nWith warm regards,\n____________________\nCaptain"
            "\n\n____________________\nFirst Officer")
    findings = check_text(text, _ctx("flyer_2m_miles"), cited=["L-5502", "T-8002"], channel="card",
                          signers=[pn.Signer("Captain"), pn.Signer("First Officer")])
    assert _kinds(findings) == set()


def test_card_rules_links_emoji_and_signature_lines() -> None:
    text = ("Dear Ms Okafor,\n\nThank you for 2 million miles \U0001F389 see www.example.com\n\n"
            "With warm regards,\nThe crew")
    findings = check_text(text, _ctx("flyer_2m_miles"), cited=["L-5502"], channel="card",
                          signers=[pn.Signer("Captain")])
    assert {"link", "emoji", "signature"} <= _kinds(findings)


def test_injected_contact_details_and_codes_are_flagged() -> None:
    text = ("Dear Tomás,\n\nThe grey wool trousers are back. Use code SAVE90 or write to deals@evil.example "
            "or call +1 555 010 9999.\n\nBest wishes,\nMaya")
    kinds = [f.kind for f in check_text(text, _ctx("grey_trousers"), cited=["R-310", "B-901"])]
    assert kinds.count("untrusted_instruction") >= 3


def test_sensitive_policy_is_configurable() -> None:
    text = "Dear Tomás,\n\nThe grey wool trousers are back; we hope the surgery went well.\n\nBest,\nMaya"
    ctx = _ctx("grey_trousers")
    assert "sensitive" in _kinds(check_text(text, ctx, cited=["R-310", "B-901"]))
    relaxed = CheckPolicy(allow_sensitive=frozenset({"health"}))
    assert "sensitive" not in _kinds(check_text(text, ctx, cited=["R-310", "B-901"], policy=relaxed))


def test_amounts_are_blocked_unless_allowed() -> None:
    text = "Dear Tomás,\n\nThe grey wool trousers you asked about are back, now $120.\n\nBest,\nMaya"
    ctx = _ctx("grey_trousers")
    assert "amount" in _kinds(check_text(text, ctx, cited=["R-310", "B-901"]))
    assert "amount" not in _kinds(check_text(text, ctx, cited=["R-310", "B-901"],
                                             policy=CheckPolicy(allow_amounts=True)))


def test_unknown_cited_fact_is_blocking() -> None:
    text = "Dear Tomás,\n\nThe grey wool trousers are back.\n\nBest,\nMaya"
    findings = check_text(text, _ctx("grey_trousers"), cited=["R-310"], claim_ids=["R-999"])
    assert "unknown_fact_id" in _kinds(findings)
