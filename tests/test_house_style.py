"""House style: approved notes as style examples in the prompt, never another customer's facts; and
what reviewers delete and add, per prompt version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import personalnote as pn
from personalnote._draft import new_job
from personalnote._edits import changed_phrases, phrase_counts
from personalnote._examples import StyleExample, examples_block, most_similar, placeholders
from personalnote._options import settle
from personalnote.cli import main
from personalnote.testing import FakeChatModel, answer_for

from .support import ALICE, AS_OF, FIXTURES, HOUSE_LINE, LATER, fixture_context, reviewed_queue

#: what the flyer's file and her approved note say that no other customer's prompt may show
FLYER_PRIVATE = ["Margaret", "Okafor", "SkyMiles", "JFK", "LHR", "NA 117", "2A", "Platinum", "2 million",
                 "2,001,850", "3:41pm"]


@pytest.fixture
def queue(tmp_path: Path) -> pn.ReviewQueue:
    return reviewed_queue(tmp_path / "review.sqlite3")


def _draft_with_style(queue: pn.ReviewQueue, name: str, reply: object, **options: object) -> tuple[
        pn.Draft, FakeChatModel]:
    fake = FakeChatModel([reply] * 3)
    options = {"prompt": "note", "max_candidates": 1, **options}
    draft = pn.draft_note(fixture_context(name), model=fake, house_style=queue, **options)  # type: ignore[arg-type]
    assert isinstance(draft, pn.Draft)
    return draft, fake


def test_an_approved_note_becomes_an_example_with_placeholders(queue: pn.ReviewQueue) -> None:
    flyer = next(e for e in pn.HouseStyle(queue).examples if e.customer_id == "C-1001")
    expected = f"Congratulations on passing [number] miles with [detail] today, [name]. {HOUSE_LINE}"
    assert flyer.text == expected
    assert {"Margaret", "Okafor", "SkyMiles", "JFK"} <= set(flyer.withheld_names + flyer.withheld_details)
    assert all(word not in flyer.text for word in FLYER_PRIVATE)


def test_another_customers_names_and_details_never_reach_the_prompt(queue: pn.ReviewQueue) -> None:
    """Ingrid's milestone is drafted with the flyer's approved note as its style example: the example's
    wording is in the prompt, nothing of the flyer's."""
    reply = lambda r: answer_for(r, f"Congratulations on passing 50 nights with Fjord Hotels. {HOUSE_LINE}")  # noqa: E731
    draft, fake = _draft_with_style(queue, "milestone_ahead_booked", reply)
    prompt = "\n".join(m["content"] for m in fake.requests[0].messages)
    assert "<style_examples>" in prompt and HOUSE_LINE in prompt
    flyer_id = next(e.draft_id for e in pn.HouseStyle(queue).examples if e.customer_id == "C-1001")
    assert flyer_id in draft.provenance.examples
    example_part = prompt[prompt.index("<style_examples>"):prompt.index("</style_examples>")]
    assert all(word not in example_part for word in FLYER_PRIVATE), example_part
    # the customer's own data block is untouched (this flyer has SkyMiles of her own)
    assert "SkyMiles" in prompt[prompt.index("<data>"):]


def test_any_other_capitalised_word_inside_a_sentence_and_every_number_is_replaced() -> None:
    """A name or place that is in no fact's data (the checks block one in a note to sign, unless a
    reviewer overrides them, and such notes are no examples): replaced all the same."""
    text = placeholders("Thank you, see you in Lagos on 12 May at 9:30am. Captain Ortiz and I wave.",
                        names=[], details={})
    assert text == "Thank you, see you in [name] on [number] [name] at [number]. Captain [name] and I wave."
    assert placeholders("Call 020 7946 0958, Ada.", names=["Ada"], details={}) == "Call [number], [name]."


def test_a_note_that_states_another_customers_details_does_not_pass_the_checks(queue: pn.ReviewQueue) -> None:
    """A model that writes the flyer's name and airport into Ingrid's note anyway: blocking findings that
    name the example, kept when the draft is queued, so it cannot be approved without an override."""
    leaky = "Okafor and the crew at JFK congratulate you on 50 nights with Fjord Hotels."
    reply = lambda r: answer_for(r, leaky)  # noqa: E731
    draft, _ = _draft_with_style(queue, "earlier_notes", reply)
    leaks = [f for f in draft.findings if f.kind == "other_customer"]
    assert {draft.text[slice(*f.span)] for f in leaks if f.span} == {"Okafor", "JFK"}
    assert all(f.blocking and "style example of draft" in f.message for f in leaks)
    other = pn.ReviewQueue(queue.path.with_name("other.sqlite3"), clock=lambda: LATER)
    item = other.submit(draft, fixture_context("earlier_notes"))
    assert {f.kind for f in item.blocking} >= {"other_customer"}
    with pytest.raises(pn.BlockingFindingsError):
        other.approve(item.id, ALICE, version=item.version, current=fixture_context("earlier_notes"))


def test_a_detail_this_customer_shares_is_not_another_customers(queue: pn.ReviewQueue) -> None:
    """The booked flyer flies SkyMiles too: her note may say so."""
    reply = lambda r: answer_for(r, "You will pass 2 million miles with SkyMiles on your trip.")  # noqa: E731
    draft, _ = _draft_with_style(queue, "milestone_ahead_booked", reply)
    assert draft.provenance.examples and not [f for f in draft.findings if f.kind == "other_customer"]


def test_a_customers_own_notes_are_never_their_examples(queue: pn.ReviewQueue) -> None:
    style = pn.HouseStyle(queue)
    ids = {e.customer_id: e.draft_id for e in style.examples}
    chosen = style.style_examples("milestone", "passed # miles", "C-1001", 5)
    assert ids["C-1001"] not in [e.draft_id for e in chosen] and chosen


def test_only_signed_approvals_without_blocking_findings_are_examples(queue: pn.ReviewQueue) -> None:
    """The rejected note is no example; nor a note approved over its blocking findings."""
    assert sorted(e.customer_id for e in pn.HouseStyle(queue).examples) == ["C-1001", "C-2626"]
    ctx = fixture_context("anniversary")
    fake = FakeChatModel([lambda r: answer_for(r, "It is 10 years at 3:41pm since your first purchase.")])
    draft = pn.draft_note(ctx, model=fake, max_candidates=1, prompt="note")
    assert isinstance(draft, pn.Draft) and draft.blocking
    item = queue.submit(draft, ctx)
    queue.approve(item.id, ALICE, version=item.version, current=ctx, override_reason="a test")
    assert "anniversary" not in {e.kind for e in queue.style_examples("anniversary", "years", "X", 3)}


def test_the_queue_reads_new_approvals(queue: pn.ReviewQueue) -> None:
    assert queue.style_examples("anniversary", "# years", "X", 3) == []
    ctx = fixture_context("anniversary")
    fake = FakeChatModel([lambda r: answer_for(r, "Ten years since your first purchase with us.")])
    draft = pn.draft_note(ctx, model=fake, max_candidates=1, prompt="note")
    assert isinstance(draft, pn.Draft) and not draft.blocking
    item = queue.submit(draft, ctx)
    queue.approve(item.id, ALICE, version=item.version, current=ctx)
    assert [e.draft_id for e in queue.style_examples("anniversary", "# years", "X", 3)] == [item.id]


def _example(draft_id: int, kind: str, about: str, customer: str = "C") -> StyleExample:
    return StyleExample(draft_id=draft_id, customer_id=f"{customer}{draft_id}", kind=kind, prompt="note",
                        prompt_version="3", text=f"note {draft_id}", about=about)


def test_the_most_similar_examples_of_the_same_kind_come_first() -> None:
    pool = [_example(1, "milestone", "milestone passed # nights with Fjord Hotels stay at Harbour Hotel"),
            _example(2, "milestone", "milestone passed # miles with SkyMiles flight from LHR to JFK"),
            _example(3, "wanted_item_available", "milestone passed # miles with SkyMiles"),
            _example(4, "milestone", "milestone passed # miles with SkyMiles flight from LHR to JFK"),
            _example(5, "milestone", "milestone passed # years with Gardening Club")]
    about = "milestone passed # miles with SkyMiles flight from MSP to HND"
    chosen = most_similar(about, pool, 3, kind="milestone")
    assert [e.draft_id for e in chosen][:2] == [4, 2]  # the miles first; the newer of two alike first
    assert len(chosen) == 3 and all(e.kind == "milestone" for e in chosen)
    assert most_similar(about, pool, 3, kind="milestone", exclude_customer="C4")[0].draft_id == 2
    assert most_similar(about, pool, 0, kind="milestone") == []


def test_the_block_is_delimited_and_says_the_examples_are_not_this_customer() -> None:
    block = examples_block([_example(1, "milestone", "x")])
    assert block.startswith("<style_examples>") and block.endswith("</style_examples>")
    assert "OTHER customers" in block and "Example 1: note 1" in block
    assert examples_block([]) == ""


def _smallest_budget(ctx: pn.CustomerContext) -> int:
    """The fewest prompt tokens a note for ``ctx`` can be asked in (its evidence alone)."""
    low, high = 1, 1200
    while low < high:
        middle = (low + high) // 2
        try:
            new_job(ctx, pn.find_moments(ctx).moments[0], FakeChatModel([]),
                    settle({"prompt": "note", "max_prompt_tokens": middle}))
            high = middle
        except pn.ContextBudgetError:
            low = middle + 1
    return low


def test_examples_that_do_not_fit_the_token_budget_are_dropped_before_any_evidence(
        queue: pn.ReviewQueue) -> None:
    """The evidence first, then the examples, then the customer's other facts."""
    ctx = fixture_context("earlier_notes")
    moment = pn.find_moments(ctx).moments[0]
    smallest = _smallest_budget(ctx)
    tight = new_job(ctx, moment, FakeChatModel([]), settle({"prompt": "note", "max_prompt_tokens": smallest,
                                                            "house_style": queue, "examples": 3}))
    roomy = new_job(ctx, moment, FakeChatModel([]), settle({"prompt": "note", "house_style": queue}))
    assert tight.examples == [] and "<style_examples>" not in tight.messages[-1]["content"]
    assert tight.allowed_ids == moment.evidence
    assert [e.customer_id for e in roomy.examples] == ["C-1001"]
    assert len(roomy.allowed_ids) > len(moment.evidence)


def test_a_framed_prompt_shows_the_words_after_the_opening_sentence(tmp_path: Path) -> None:
    ctx = fixture_context("flyer_2m_miles")
    framed = pn.draft_note(ctx, model=FakeChatModel([{"words": "Thank you for flying with us."}] * 6),
                           prompt="framed")
    assert isinstance(framed, pn.Draft) and framed.sentences[0].author == "library"
    queue = pn.ReviewQueue(tmp_path / "framed.sqlite3", clock=lambda: LATER)
    item = queue.submit(framed, ctx)
    queue.approve(item.id, ALICE, version=item.version, current=ctx)
    (example,) = pn.HouseStyle(queue).examples
    assert example.words and example.text.endswith(example.words)
    assert example.text.startswith("You have passed")
    fake = FakeChatModel([{"words": "We are proud to have you with us."}])
    other = pn.draft_note(fixture_context("earlier_notes"), model=fake, prompt="framed", house_style=queue,
                          max_candidates=1)
    assert isinstance(other, pn.Draft) and other.provenance.examples == [item.id]
    user = fake.requests[0].messages[-1]["content"]
    assert f"Example 1: {example.words}" in user
    assert "You have passed" not in user[:user.index("</style_examples>")]


def test_a_template_can_place_the_examples_itself(tmp_path: Path, queue: pn.ReviewQueue) -> None:
    note = pn.load_prompt("note")
    path = tmp_path / "styled.toml"
    user = note.user.replace("Write the body", "$style_examples\nWrite the body").replace('"', '\\"')
    system = note.system.replace("\\", "\\\\").replace('"', '\\"')
    details = json.dumps(list(note.example_details))
    path.write_text(f'name = "styled"\nversion = "1"\nexample_details = {details}\n'
                    f'system = """{system}"""\nuser = """{user}"""\n', encoding="utf-8")
    reply = lambda r: answer_for(r, "Congratulations on passing 50 nights with Fjord Hotels.")  # noqa: E731
    _, fake = _draft_with_style(queue, "earlier_notes", reply, prompt=str(path))
    content = fake.requests[0].messages[-1]["content"]
    assert content.index("</data>") < content.index("<style_examples>") < content.index("Write the body")


@pytest.mark.parametrize(("options", "match"), [
    ({"examples": 2}, "need house_style"),
    ({"examples": -1, "house_style": None}, "whole number"),
    ({"examples": True}, "whole number"),
    ({"house_style": "review.sqlite3"}, "a ReviewQueue or a HouseStyle"),
])
def test_examples_need_a_house_style_and_a_whole_number(options: dict[str, object], match: str) -> None:
    with pytest.raises(pn.ArgumentError, match=match):
        pn.draft_note(fixture_context("earlier_notes"), model=FakeChatModel([]), **options)  # type: ignore[arg-type]


def test_no_house_style_no_examples(queue: pn.ReviewQueue) -> None:
    fake = FakeChatModel([lambda r: answer_for(r, "Congratulations on passing 50 nights with Fjord Hotels.")])
    draft = pn.draft_note(fixture_context("earlier_notes"), model=fake, max_candidates=1, prompt="note")
    assert isinstance(draft, pn.Draft) and draft.provenance.examples == []
    assert "<style_examples>" not in fake.requests[0].messages[-1]["content"]


# --- what reviewers delete and add --------------------------------------------------------------


def test_changed_phrases_are_the_runs_deleted_and_added() -> None:
    deleted, added = changed_phrases("Thank you, our valued customer, for flying at 3:41pm.",
                                     "Thank you for flying. See you soon.")
    assert ("our", "valued", "customer") in deleted and ("at", "3:41pm") in deleted
    assert ("see", "you", "soon") in added and ("thank", "you") not in deleted | added


def test_a_phrase_held_by_a_longer_one_changed_as_often_is_left_out() -> None:
    changes = [{("valued",), ("valued", "customer"), ("customer",)}, {("valued",), ("customer",)}]
    assert phrase_counts(changes, 10) == (("customer", 2), ("valued", 2), ("valued customer", 1))
    changes = [{("valued",), ("valued", "customer"), ("customer",)}] * 2
    assert phrase_counts(changes, 10) == (("valued customer", 2),)
    assert phrase_counts([{("and",), ("of", "the"), ("of", "the", "crew")}] * 3, 10) == (("of the crew", 3),)
    runs = [{("the", "whole", "crew", "is"), ("whole", "crew", "is", "proud")}] * 2
    assert phrase_counts(runs, 10) == (("the whole crew is proud", 2),)


def test_the_edit_summary_names_what_reviewers_delete_and_add_per_prompt_version(tmp_path: Path) -> None:
    reviews = {
        "flyer_2m_miles": ("As a valued customer you passed 2 million miles with SkyMiles.",
                           "derived:milestone:L-5502",
                           f"You passed 2 million miles with SkyMiles. {HOUSE_LINE}"),
        "earlier_notes": ("As a valued customer you passed 50 nights with Fjord Hotels.",
                          "derived:milestone:L-2602",
                          f"You passed 50 nights with Fjord Hotels. {HOUSE_LINE}"),
        "club_five_years": ("You passed 5 years with Gardening Club.", "derived:milestone:L-2402", None),
    }
    queue = reviewed_queue(tmp_path / "edits.sqlite3", reviews)
    (summary,) = queue.edit_summary(top=3)
    assert (summary.prompt, summary.prompt_version, summary.edited) == ("note", "3", 2)
    assert summary.deleted == (("as a valued customer", 2),)
    assert summary.added[0] == ("the whole crew is proud to have you on board", 2)
    queue.close()
    assert main(["stats", "--store", str(tmp_path / "edits.sqlite3"), "--edits", "--json"]) == 0


def test_stats_edits_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reviewed_queue(tmp_path / "r.sqlite3").close()
    assert main(["stats", "--store", str(tmp_path / "r.sqlite3"), "--edits", "--json"]) == 0
    (edits,) = json.loads(capsys.readouterr().out)["edits"]
    assert edits["edited"] == 1 and {"phrase": "at 3:41pm", "notes": 1} in edits["deleted"]
    assert main(["stats", "--store", str(tmp_path / "r.sqlite3"), "--edits", "--top", "1"]) == 0
    out = capsys.readouterr().out
    assert "deleted most: 'at 3:41pm' x1" in out and "added most:" in out


def test_draft_on_the_command_line_takes_examples_from_its_store(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "r.sqlite3"
    reviewed_queue(store).close()
    customer = str(FIXTURES / "customers" / "milestone_ahead_booked.json")
    body = "You will pass 2 million miles with SkyMiles on your trip."
    fake = FakeChatModel([lambda r: answer_for(r, body)])
    argv = ["draft", customer, "--as-of", AS_OF.isoformat(), "--store", str(store), "--examples", "2",
            "--json"]
    assert main(argv, model=fake) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["provenance"]["examples"]) == 2 and out["queue"]["id"] == 4
    assert main(["draft", customer, "--as-of", AS_OF.isoformat(), "--examples", "2"], model=fake) == 2
    assert "--examples takes the notes reviewers approved" in capsys.readouterr().err


def test_a_batch_reads_the_house_style_once(queue: pn.ReviewQueue) -> None:
    style = pn.HouseStyle(queue)
    histories = [pn.load(FIXTURES / "customers" / f"{name}.json").customers[0]
                 for name in ("milestone_ahead_booked", "earlier_notes")]
    fake = FakeChatModel([lambda r: answer_for(r, "Congratulations on this milestone with us.")] * 4)
    result = pn.draft_many(histories, as_of=AS_OF, model=fake, house_style=style, examples=1, prompt="note",
                           max_candidates=1, progress=False, concurrency=1)
    drafts = {d.customer_id: d for d in result.drafts}
    assert drafts["C-2626"].provenance.examples == [1]  # the flyer's note: Ingrid's own is never hers
    assert len(drafts["C-2301"].provenance.examples) == 1
    assert all("<style_examples>" in r.messages[-1]["content"] for r in fake.requests)
