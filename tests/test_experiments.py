"""Experiments: arms assigned by a hash, stable and balanced; drafts record the experiment and its arm."""

from __future__ import annotations

import hashlib
import json
import math
import random
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import personalnote as pn
from personalnote import _constants as C
from personalnote.cli import main
from personalnote.testing import FakeChatModel

from .support import ARMS, AS_OF, GOOD, answer, downgrade_to_schema_2, flyer, numbered_flyer

names = st.text(st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp", "Zs")), min_size=1,
                max_size=30)
customer_ids = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)


# --- assignment --------------------------------------------------------------------------------


def test_the_assignment_is_the_documented_hash() -> None:
    """SHA-256 of name, newline, customer id; the first 8 bytes over 2**64; arms sorted by label."""
    for customer in ("C-1001", "C-5005", "ünïcode-42"):
        digest = hashlib.sha256(f"subject-lines-nov\n{customer}".encode()).digest()
        point = int.from_bytes(digest[:8], "big") / 2**64
        expected = "note@3" if point < 0.25 else "note@4"
        assert pn.assign_arm("subject-lines-nov", customer, {"note@4": 3, "note@3": 1}) == expected


@given(names, customer_ids)
def test_the_same_customer_gets_the_same_arm_whatever_the_order_of_the_arms(name: str, customer: str) -> None:
    forward = pn.assign_arm(name, customer, {"note@3": 0.3, "note@4": 0.7})
    backward = pn.assign_arm(name, customer, {"note@4": 0.7, "note@3": 0.3})
    relative = pn.assign_arm(name, customer, {"note@4": 7, "note@3": 3})  # shares are normalised
    assert forward == backward == relative == pn.assign_arm(name, customer, {"note@3": 0.3, "note@4": 0.7})


@given(names, st.floats(0.05, 0.95))
def test_arms_are_balanced_as_their_shares_say(name: str, share: float) -> None:
    """Over 4,000 customers each arm's count is within 5 binomial standard deviations of its share."""
    experiment = pn.Experiment.of(name, {"note@3": share, "note@4": 1 - share})
    n = 4000
    on_three = sum(experiment.arm_for(f"C-{i:05d}").label == "note@3" for i in range(n))
    assert abs(on_three - n * share) <= 5 * math.sqrt(n * share * (1 - share)) + 1


@given(names, st.randoms(use_true_random=False))
def test_a_customer_s_arm_does_not_depend_on_the_other_customers_or_their_order(name: str,
                                                                                rng: random.Random) -> None:
    experiment = pn.Experiment.of(name, ARMS)
    ids = [f"C-{i}" for i in range(60)]
    first = {i: experiment.arm_for(i).label for i in ids}
    rng.shuffle(ids)
    assert {i: experiment.arm_for(i).label for i in ids[:30]} == {i: first[i] for i in ids[:30]}


def test_another_experiment_reshuffles_the_customers() -> None:
    ids = [f"C-{i}" for i in range(2000)]
    a = [pn.assign_arm("wording-nov", i, ARMS) for i in ids]
    b = [pn.assign_arm("wording-dec", i, ARMS) for i in ids]
    same = sum(x == y for x, y in zip(a, b, strict=True)) / len(ids)
    assert 0.45 < same < 0.55  # independent: half keep their arm by chance


@pytest.mark.parametrize(("options", "argument"), [
    ({"prompts": ARMS}, "experiment"),
    ({"experiment": "x"}, "prompts"),
    ({"experiment": "x", "prompts": {"note@3": 1.0}}, "prompts"),
    ({"experiment": "x", "prompts": {"note@3": 0.5, "note@4": 0}}, "prompts"),
    ({"experiment": "x", "prompts": {"note@3": 0.5, "note@4": True}}, "prompts"),
    ({"experiment": "x", "prompts": {"note@3": 0.5, "note@4": float("nan")}}, "prompts"),
    ({"experiment": "x", "prompts": {"note": 0.5, "note@3": 0.5}}, "prompts"),
    ({"experiment": " x", "prompts": ARMS}, "experiment"),
    ({"experiment": "a\nb", "prompts": ARMS}, "experiment"),
    ({"experiment": "", "prompts": ARMS}, "experiment"),
    ({"experiment": "x", "prompts": ARMS, "prompt": "note"}, "prompt"),
])
def test_an_experiment_in_no_accepted_form_is_an_argument_error(options: dict[str, object],
                                                                 argument: str) -> None:
    with pytest.raises(pn.ArgumentError) as info:
        pn.draft_note(flyer(), as_of=AS_OF, model=FakeChatModel([GOOD]), **options)  # type: ignore[arg-type]
    assert info.value.argument == argument and info.value.caller == "draft_note"


def test_an_arm_that_is_not_a_prompt_lists_the_shipped_ones() -> None:
    with pytest.raises(pn.PromptError, match=r"'note@9'.*'note@3', 'note@4'"):
        pn.assign_arm("x", "C-1", {"note@3": 0.5, "note@9": 0.5})


# --- prompt versions ----------------------------------------------------------------------------


def test_each_shipped_version_loads_by_name_and_version() -> None:
    assert pn.shipped_prompts() == ["framed@1", "note@3", "note@4"]
    for reference in pn.shipped_prompts():
        template = pn.load_prompt(reference)
        assert f"{template.name}@{template.version}" == reference
    assert pn.load_prompt("note").version == "3"  # the name alone: the current version


def test_note_4_is_another_wording_of_the_same_prompt() -> None:
    three, four = pn.load_prompt("note@3"), pn.load_prompt("note@4")
    assert four.variables == three.variables and four.mode == three.mode == "whole_body"
    assert four.system != three.system and four.sha256 != three.sha256
    assert "across the counter" in four.system and "blue umbrella" in four.example_details


def test_a_note_4_draft_copying_its_example_is_found_by_the_re_check(tmp_path: Path) -> None:
    copied = {"body": "Congratulations on 2 million miles; there is a blue umbrella by the till for you.",
              "claims": GOOD["claims"]}
    draft = pn.draft_note(flyer(), as_of=AS_OF, model=FakeChatModel([copied]), prompt="note@4",
                          max_candidates=1)
    assert isinstance(draft, pn.Draft) and draft.provenance.prompt_version == "4"
    found = pn.check(draft, pn.build_context(flyer(), AS_OF))  # the exact version's example, found by name
    assert {draft.text[f.span[0]:f.span[1]] for f in found if f.kind == "unsupported_detail" and f.span} \
        >= {"blue umbrella", "by the till"}


# --- drafting in an experiment --------------------------------------------------------------------


def test_a_draft_records_its_experiment_and_arm() -> None:
    draft = pn.draft_note(flyer(), as_of=AS_OF, model=FakeChatModel([GOOD]), prompts=ARMS,
                          experiment="wording", max_candidates=1)
    assert isinstance(draft, pn.Draft)
    arm = pn.assign_arm("wording", "C-1001", ARMS)
    assert (draft.provenance.experiment, draft.provenance.arm) == ("wording", arm)
    assert f"{draft.provenance.prompt}@{draft.provenance.prompt_version}" == arm


def test_a_batch_drafts_each_customer_on_its_arm_and_a_rerun_skips_them(tmp_path: Path) -> None:
    histories = [numbered_flyer(i) for i in range(24)]
    model = FakeChatModel([answer] * 24)
    with pn.ReviewQueue(tmp_path / "review.sqlite3") as queue:
        first = pn.draft_many(histories, as_of=AS_OF, model=model, queue=queue, prompts=ARMS,
                              experiment="wording", progress=False)
        assert first.counts["drafted"] == 24
        system = {r.messages[0]["content"] for r in model.requests}
        assert system == {pn.load_prompt("note@3").system.strip(), pn.load_prompt("note@4").system.strip()}
        again = pn.draft_many(histories, as_of=AS_OF, model=FakeChatModel([]), queue=queue, prompts=ARMS,
                              experiment="wording", progress=False)
        assert again.counts["skipped"] == 24  # the same arms: every draft is queued already, no model call
        items = queue.drafts()
        rows = queue.store.query("SELECT customer_id, experiment, arm FROM drafts ORDER BY id")
    expected = {h.customer.id: pn.assign_arm("wording", h.customer.id, ARMS) for h in histories}
    assert {r["customer_id"]: r["arm"] for r in rows} == expected
    assert {r["experiment"] for r in rows} == {"wording"}
    assert {i.customer_id: i.draft.provenance.arm for i in items} == expected
    assert set(expected.values()) == {"note@3", "note@4"}
    shown = json.loads(json.dumps(items[0].to_json_dict()))
    assert shown["provenance"]["arm"] == expected[items[0].customer_id]


def test_the_cli_drafts_in_an_experiment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    customers = tmp_path / "customers.jsonl"
    customers.write_text("".join(json.dumps(numbered_flyer(i).model_dump(mode="json", exclude_none=True))
                                 + "\n" for i in range(6)))
    store = tmp_path / "review.sqlite3"
    args = ["draft", str(customers), "--as-of", AS_OF.isoformat(), "--store", str(store), "--experiment", "w",
            "--prompt-arm", "note@3=1", "--prompt-arm", "note@4=1"]
    assert main(args, model=FakeChatModel([answer] * 6)) == 0
    with pn.ReviewQueue.open(store) as queue:
        arms = {i.customer_id: i.draft.provenance.arm for i in queue.drafts()}
    assert arms == {f"C-{i:03d}": pn.assign_arm("w", f"C-{i:03d}", ARMS) for i in range(6)}
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:  # argparse refuses the option's form
        main([*args[:-4], "--prompt-arm", "note@3"], model=FakeChatModel([]))
    assert exited.value.code == 2 and "give PROMPT=SHARE" in capsys.readouterr().err
    assert main([*args[:-2]], model=FakeChatModel([])) == 2  # one arm
    assert "at least two prompt versions" in capsys.readouterr().err


# --- the store -----------------------------------------------------------------------------------


def test_a_store_of_schema_2_is_brought_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with pn.ReviewQueue(path):
        pass
    downgrade_to_schema_2(path)
    with pn.ReviewQueue.open(path) as queue:
        item = queue.submit(_draft_in_experiment(), pn.build_context(flyer(), AS_OF))
        assert queue.store.query("PRAGMA user_version")[0][0] == C.STORE_SCHEMA_VERSION
        row = queue.store.query("SELECT experiment, arm FROM drafts WHERE id = ?", (item.id,))[0]
        assert (row["experiment"], row["arm"]) == ("wording", pn.assign_arm("wording", "C-1001", ARMS))
        assert queue.outcomes() == []
    new = tmp_path / "new.sqlite3"
    with pn.ReviewQueue(new):
        pass
    assert _schema(path) == _schema(new)  # a migrated store is the same as a new one


def _schema(path: Path) -> list[tuple[object, ...]]:
    """Every table, index and trigger of a store with its columns (the SQL text differs in quoting
    and column order after an ALTER TABLE, the schema does not)."""
    conn = sqlite3.connect(path)
    found: list[tuple[object, ...]] = []
    for kind, name, table in conn.execute(
            "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"):
        columns: list[tuple[object, ...]] = []
        if kind == "table":  # name, type, not null, default, primary key: not the position
            columns = sorted(tuple(r)[1:] for r in conn.execute(f"PRAGMA table_info({name})"))
        elif kind == "index":
            columns = sorted(tuple(r) for r in conn.execute(f"PRAGMA index_info({name})"))
        found.append((kind, name, table, tuple(columns)))
    conn.close()
    return sorted(found, key=repr)


def _draft_in_experiment() -> pn.Draft:
    draft = pn.draft_note(flyer(), as_of=AS_OF, model=FakeChatModel([GOOD]), prompts=ARMS,
                          experiment="wording", max_candidates=1)
    assert isinstance(draft, pn.Draft)
    return draft


def test_the_batch_api_request_file_asks_each_customer_s_arm(tmp_path: Path) -> None:
    histories = [numbered_flyer(i) for i in range(8)]
    written = pn.write_batch_requests(histories, tmp_path / "requests.jsonl", as_of=AS_OF,
                                      model="gpt-4o-mini", prompts=ARMS, experiment="wording")
    assert written.counts["requested"] == 8
    for line in (tmp_path / "requests.jsonl").read_text().splitlines():
        request = json.loads(line)
        customer = request["custom_id"].split("~")[0]
        arm = pn.load_prompt(pn.assign_arm("wording", customer, ARMS))
        assert request["body"]["messages"][0]["content"] == arm.system.strip()
