"""``personalnote.testing``: scripting FakeChatModel replies without digging into the request's schema."""

from __future__ import annotations

import pytest

import personalnote as pn
from personalnote.testing import FakeChatModel, allowed_fact_ids, answer_for

from .support import AS_OF, GOOD, allowed_ids, flyer

BODY = GOOD["body"]


def test_an_answer_cites_the_moments_evidence_by_default() -> None:
    fake = FakeChatModel([lambda request: answer_for(request, BODY)])
    draft = pn.draft_note(flyer(), as_of=AS_OF, model=fake)
    assert isinstance(draft, pn.Draft) and draft.body == BODY
    assert [c.fact_ids for c in draft.claims] == [[draft.moment.evidence[0]]]
    assert draft.provenance.attempts == 1  # valid the first time: no re-ask


def test_an_answer_cites_the_ids_asked_for() -> None:
    cite = ["derived:milestone:L-5502", "T-8002"]
    fake = FakeChatModel([lambda request: answer_for(request, BODY, cite=cite,
                                                     claim="2 million miles on the flight to JFK")])
    draft = pn.draft_note(flyer(), as_of=AS_OF, model=fake)
    assert isinstance(draft, pn.Draft) and draft.claims[0].fact_ids == ["derived:milestone:L-5502", "T-8002"]
    assert draft.claims[0].text == "2 million miles on the flight to JFK"
    assert allowed_fact_ids(fake.requests[0]) == allowed_ids(fake.requests[0])


def test_an_id_the_request_does_not_allow_is_refused_with_the_allowed_ones() -> None:
    fake = FakeChatModel([lambda request: answer_for(request, BODY, cite="T-9999")])
    with pytest.raises(pn.ArgumentError) as info:
        pn.draft_note(flyer(), as_of=AS_OF, model=fake)
    assert info.value.argument == "cite"
    assert "T-8002" in str(info.value) and "derived:milestone:L-5502" in str(info.value)


def test_a_framed_request_gets_words_that_match_its_pattern() -> None:
    words = "We are so glad to share this moment with you."
    fake = FakeChatModel([lambda request: answer_for(request, words)])
    draft = pn.draft_note(flyer(), as_of=AS_OF, model=fake, prompt="framed")
    assert isinstance(draft, pn.Draft) and draft.body.endswith(words)
    assert allowed_fact_ids(fake.requests[0]) == []
    with pytest.raises(pn.ArgumentError, match="must match"):
        answer_for(fake.requests[0], "Enjoy 50% off at www.example.com")
    with pytest.raises(pn.ArgumentError, match="cites nothing"):
        answer_for(fake.requests[0], words, cite="T-8002")
