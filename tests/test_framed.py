"""Framed notes: the library states the moment, the model writes the warm words, and when no
candidate is clean the library composes the note alone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

import personalnote as pn
from personalnote._model_words import model_words_findings
from personalnote.testing import FakeChatModel

from .support import AS_OF, CREW, FIXTURES, flyer, flyer_context

FLYER_SENTENCE = "You have passed 2 million miles with SkyMiles on your flight to JFK."
WARM = {"words": "Thank you for choosing to fly with us, it means a great deal to all of us."}


def _framed(*answers: object, **options: object) -> pn.Draft:
    draft = pn.draft_note(flyer_context(), model=FakeChatModel(list(answers)), prompt="framed", signers=CREW,
                          channel="card", **options)  # type: ignore[arg-type]
    assert isinstance(draft, pn.Draft)
    return draft


def _fixture(name: str) -> tuple[pn.CustomerContext, pn.Moment]:
    histories, events, _ = pn.load_customers(FIXTURES / "customers" / f"{name}.json")
    ctx = pn.build_context(histories[0], AS_OF, business_events=events)
    report = pn.find_moments(ctx)
    assert report.best is not None
    return ctx, report.best


@pytest.mark.parametrize(("name", "sentence", "cites"), [
    ("flyer_2m_miles", FLYER_SENTENCE, ["derived:milestone:L-5502", "L-5502", "T-8002"]),
    ("grey_trousers", "We have the grey wool trousers you asked for back in stock in size 34.",
     ["R-310", "B-901"]),
    ("anniversary", "It is 10 years since your first order with us.", ["derived:anniversary:10", "S-601"]),
    ("tenth_purchase", "Your order of the tea caddy was your 10th with us.",
     ["derived:purchase_count:10", "S-410"]),
    ("welcome_back", "It is good to see you back with us.", ["derived:returned:S-703"]),
])
def test_the_library_states_each_moment_in_its_own_words(name: str, sentence: str, cites: list[str]) -> None:
    ctx, moment = _fixture(name)
    draft = pn.draft_note(ctx, moment=moment, model=FakeChatModel([WARM]), prompt="framed")
    assert isinstance(draft, pn.Draft)
    assert draft.body.startswith(sentence) and draft.sentences[0].text == sentence
    assert draft.sentences[0].author == "library" and draft.sentences[0].fact_ids == cites
    assert draft.claims == [pn.Claim(text=sentence, fact_ids=cites)]
    assert not re.search(r"\d{1,2}[:.]\d{2}|\bdays?\b|\bhours?\b", sentence)  # no clock times, no day counts


def test_a_framed_draft_says_who_wrote_what() -> None:
    draft = _framed(WARM)
    assert draft.body == f"{FLYER_SENTENCE} {WARM['words']}"
    assert [(s.author, s.text) for s in draft.sentences] == [("library", FLYER_SENTENCE),
                                                             ("model", WARM["words"])]
    assert not draft.blocking and not draft.composed and draft.model_candidate is None
    assert draft.provenance.mode == "framed" and draft.provenance.prompt == "framed"
    assert draft.provenance.candidate_blocking == [0]
    assert draft.to_json_dict()["draft"]["sentences"][1]["author"] == "model"


def test_the_model_is_asked_for_words_held_by_a_pattern_with_no_digits_or_braces() -> None:
    fake = FakeChatModel([WARM])
    pn.draft_note(flyer_context(), model=fake, prompt="framed")
    request = fake.requests[0]
    pattern = request.schema["properties"]["words"]["pattern"]
    assert request.schema["required"] == ["words"]
    for bad in ("We fly 2 million miles.", "We {name} you.", "We see https://x.com!", "We mail a@b.c.",
                "We love Paris.", "You have passed two million miles."):
        assert not re.fullmatch(pattern, bad), bad
    assert re.fullmatch(pattern, WARM["words"])
    assert FLYER_SENTENCE in request.messages[1]["content"]  # the model sees what it follows


@pytest.mark.parametrize(("words", "kind"), [
    ("We are so proud you have passed 2 million miles with SkyMiles.", "repetition"),
    ("We wish you love, joy, happiness, peace, kindness and more.", "form"),
    ("Thank you for your first flight with us.", "unsupported_detail"),
    ("Thank you for bringing my miles to me.", "role_reversal"),
    ("We thank a customer of many years, warmly.", "scaffolding"),
    ("We love you, and we hope to see you soon.", "tone"),
    ("Thank you for the tea, mr.", "form"),
    ("We haffi, ehkle ajlak kuar lahki, ez ala jalen.", "form"),
    ("Thank you for flying with us in size .", "form"),
])
def test_what_a_small_model_gets_wrong_in_its_words_is_blocking(words: str, kind: str) -> None:
    bad = _framed({"words": words}, max_candidates=1)
    assert bad.composed  # the only candidate was not clean: the library composed the note
    assert bad.model_candidate == f"{FLYER_SENTENCE} {words}"
    candidate = bad.model_copy(update={"body": bad.model_candidate, "composed": False, "sentences": [
        pn.Sentence(text=FLYER_SENTENCE, author="library"), pn.Sentence(text=words, author="model")]})
    assert kind in {f.kind for f in model_words_findings(candidate)}


def test_a_clean_later_candidate_is_kept_and_every_candidate_counted() -> None:
    fake = FakeChatModel([{"words": "Thank you for your first flight with us."}, WARM])
    draft = pn.draft_note(flyer_context(), model=fake, prompt="framed", signers=CREW, channel="card")
    assert isinstance(draft, pn.Draft) and not draft.composed and not draft.blocking
    assert draft.provenance.candidate_blocking[0] > 0 and draft.provenance.candidate_blocking[1] == 0
    assert fake.requests[1].seed == 1 and fake.requests[1].messages == fake.requests[0].messages  # resampled


def test_no_clean_candidate_gives_a_composed_note_with_the_models_best_beside_it() -> None:
    bad = {"words": "Thank you for your first flight with us."}
    draft = _framed(bad, bad, bad, max_candidates=3)
    assert draft.composed and not draft.blocking
    assert draft.body == f"{FLYER_SENTENCE} Thank you for being with us all the way."
    assert all(s.author == "library" for s in draft.sentences)
    assert draft.model_candidate is not None and "first flight" in draft.model_candidate
    assert draft.provenance.candidates == 3 and len(draft.provenance.candidate_blocking) == 3
    assert draft.text.count("\n____") == 2 and draft.text.endswith("J. Reyes, First Officer")  # both signers


def test_invalid_answers_in_a_framed_note_end_in_the_composed_note_not_an_error() -> None:
    draft = _framed("not json", "{}", '{"words": ""}', max_candidates=1)
    assert draft.composed and draft.model_candidate is None and not draft.blocking


def test_the_time_budget_stops_new_candidates() -> None:
    bad = {"words": "Thank you for your first flight with us."}
    fake = FakeChatModel([bad, bad, bad])
    draft = pn.draft_note(flyer_context(), model=fake, prompt="framed", max_seconds=0.0)
    assert isinstance(draft, pn.Draft) and len(fake.requests) == 1 and draft.composed


def test_a_caller_supplied_moment_brings_its_own_sentence() -> None:
    ctx = flyer_context()
    moment = pn.Moment(kind="crew_birthday", key="crew_birthday:2026", at=AS_OF, evidence=["T-8002"],
                       strength=0.9, why_now="the crew's thanks", fresh_for=timedelta(days=2),
                       sentence="Thank you for flying with us to JFK.")
    draft = pn.draft_note(ctx, moment=moment, model=FakeChatModel([WARM]), prompt="framed")
    assert isinstance(draft, pn.Draft) and draft.sentences[0].text == "Thank you for flying with us to JFK."
    assert draft.claims[0].fact_ids == ["T-8002"]


def test_a_moment_kind_without_a_sentence_is_drafted_whole_by_the_model() -> None:
    ctx = flyer_context()
    moment = pn.Moment(kind="crew_birthday", key="crew_birthday:2026", at=AS_OF, evidence=["T-8002"],
                       strength=0.9, why_now="the crew's thanks", fresh_for=timedelta(days=2))
    answer = {"body": "Thank you for flying with us to JFK today, from the whole crew.",
              "claims": [{"text": "flight to JFK", "fact_ids": ["T-8002"]}]}
    draft = pn.draft_note(ctx, moment=moment, model=FakeChatModel([answer]), prompt="framed")
    assert isinstance(draft, pn.Draft) and draft.provenance.mode == "whole_body"
    assert draft.sentences == [pn.Sentence(text=answer["body"], author="model")]


def test_the_embedded_model_drafts_framed_notes_by_default_and_others_whole() -> None:
    assert pn.LocalChatModel.default_prompt == "framed"
    claim = {"text": "2 million miles", "fact_ids": ["derived:milestone:L-5502"]}
    fake = FakeChatModel([{"body": "Congratulations on passing 2 million miles with us.", "claims": [claim]}])
    draft = pn.draft_note(flyer(), as_of=AS_OF, model=fake)
    assert isinstance(draft, pn.Draft) and draft.provenance.prompt == "note"


def test_the_framed_prompt_hash_covers_the_librarys_words() -> None:
    framed = pn.load_prompt("framed")
    changed = framed.model_copy(update={"moment_sentences": {**framed.moment_sentences,
                                                             "welcome_back": "Welcome back."}})
    assert changed.sha256 != framed.sha256
    with pytest.raises(ValueError, match="closing_words"):
        pn.PromptTemplate(name="x", version="1", system="s", user="u", mode="framed",
                          moment_sentences={"welcome_back": "Hi."})


def test_names_inside_the_librarys_sentence_read_as_in_a_sentence() -> None:
    from personalnote._sentences import _as_in_a_sentence

    assert _as_in_a_sentence("Tea caddy") == "tea caddy"
    assert _as_in_a_sentence("History of the Silk Road") == "History of the Silk Road"
    assert _as_in_a_sentence("XL parka") == "XL parka"


def test_the_pronoun_i_is_written_as_i_in_the_models_words() -> None:
    draft = _framed({"words": "Thank you, i am so glad and i'm proud to fly with you."})
    assert draft.sentences[1].text == "Thank you, I am so glad and I'm proud to fly with you."


def test_a_composed_draft_shows_who_wrote_what_and_the_models_best_in_a_notebook() -> None:
    bad = {"words": "Thank you for your first flight with <us>."}
    html = _framed(bad, max_candidates=1)._repr_html_()
    assert "Composed by the library" in html and "&lt;us&gt;" in html and "<us>" not in html
    assert "<i>library</i>: You have passed 2 million miles" in html
