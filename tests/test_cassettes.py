"""Recorded HTTP: ``OpenAIChatModel`` against llama-cpp-python's OpenAI-compatible server.

The cassettes in ``tests/cassettes/`` were recorded from a real server running the embedded
model (SmolLM2-135M); they are never written by hand. Replay (the default, record mode
"none") blocks every socket, loopback included, so these tests never touch the network.

Re-record (starts the server, records, stops it)::

    scripts/record-cassettes
"""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from vcr.cassette import Cassette
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.record_mode import RecordMode

import personalnote as pn
from personalnote import _constants
from personalnote._export import edit_distance
from personalnote.cli import main

from .support import AS_OF, FIXTURES, flyer, reviewed_queue

CASSETTES = Path(__file__).resolve().parent / "cassettes"
# The URL the cassettes were recorded against (scripts/record-cassettes): replayed requests must match it.
BASE_URL = "http://127.0.0.1:8765/v1"
API_KEY = "sk-test-not-a-secret"
MODEL = "smollm2"
CUT_OFF_MAX_TOKENS = 12
#: the eval report recorded with its cassette: a replay must print exactly this
EVAL_REPORT = CASSETTES / "test_eval_replays_reviews_through_note4.eval.json"
_DROPPED_HEADERS = ("authorization", "user-agent", "cookie", "set-cookie")

pytestmark = pytest.mark.block_network  # replay only: pytest-recording lifts it while recording


def _scrub_request(request: Any) -> Any:
    for name in list(request.headers):
        lowered = name.lower()
        if lowered in _DROPPED_HEADERS or lowered.startswith("x-stainless"):
            del request.headers[name]
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in _DROPPED_HEADERS or name.lower().startswith("x-stainless"):
            del headers[name]
    return response


@pytest.fixture(scope="module")
def vcr_config(pytestconfig: pytest.Config) -> dict[str, Any]:
    return {
        # never the network unless the re-record script asks for --record-mode=rewrite
        "record_mode": pytestconfig.getoption("--record-mode") or "none",
        "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
        "filter_headers": ["authorization", "user-agent"],
        "before_record_request": _scrub_request,
        "before_record_response": _scrub_response,
        "decode_compressed_response": True,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES)


def _model(**options: Any) -> pn.OpenAIChatModel:
    return pn.OpenAIChatModel(MODEL, base_url=BASE_URL, api_key=API_KEY, **options)


def _assert_replayed_everything(cassette: Cassette) -> None:
    """On replay every recorded answer was used, each once: no request went unanswered or extra."""
    if cassette.record_mode == RecordMode.NONE:
        assert len(cassette) >= 1 and cassette.all_played


def _assert_real_draft(draft: pn.Draft | pn.MomentReport) -> None:
    assert isinstance(draft, pn.Draft)
    assert draft.text.startswith("Dear Ms Okafor,") and draft.body
    assert draft.moment.kind == "milestone"
    p = draft.provenance
    assert draft.claims and all(c.fact_ids and set(c.fact_ids) <= set(p.facts_in_prompt)
                                for c in draft.claims)
    assert set(draft.moment.evidence) <= set(p.facts_in_prompt)
    assert p.model == MODEL and p.attempts >= 1
    assert p.prompt_tokens > 0 and p.completion_tokens > 0


def _interactions(name: str) -> list[dict[str, Any]]:
    data = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text(encoding="utf-8"))
    interactions: list[dict[str, Any]] = data["interactions"]
    assert interactions, f"{name}.yaml has no recorded interactions"
    return interactions


@pytest.mark.vcr
def test_draft_note_flyer(vcr: Cassette) -> None:
    _assert_real_draft(pn.draft_note(flyer(), as_of=AS_OF, model=_model()))
    _assert_replayed_everything(vcr)


@pytest.mark.vcr
def test_adraft_note_flyer(vcr: Cassette) -> None:
    draft = asyncio.run(pn.adraft_note(flyer(), as_of=AS_OF, model=_model()))
    _assert_real_draft(draft)
    _assert_replayed_everything(vcr)


@pytest.mark.vcr
def test_framed_card_for_the_flyer(vcr: Cassette) -> None:
    """The framed prompt through the server: the words held by the pattern, the library's sentence first."""
    crew = [pn.Signer("Captain", "Maya Ortiz"), pn.Signer("First Officer", "Tom Reyes")]
    draft = pn.draft_note(flyer(), as_of=AS_OF, model=_model(), prompt="framed", channel="card", signers=crew)
    _assert_real_draft(draft)
    assert isinstance(draft, pn.Draft) and draft.provenance.mode == "framed" and not draft.blocking
    assert draft.sentences[0].author == "library" and "2 million miles" in draft.sentences[0].text
    assert draft.text.count("\n____") == 2
    for request in vcr.requests:  # what was sent (recording) or matched (replay)
        words = json.loads(request.body)["response_format"]["schema"]["properties"]["words"]
        assert words["pattern"] == _constants.WARM_WORDS_PATTERN
    _assert_replayed_everything(vcr)


@pytest.mark.vcr
def test_truncated_answer_is_a_cut_off_error(vcr: Cassette, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server really stops at max_tokens (finish_reason "length"): a typed error, never a draft."""
    monkeypatch.setattr(_constants, "MAX_COMPLETION_TOKENS", CUT_OFF_MAX_TOKENS)
    with pytest.raises(pn.ResponseCutOffError) as info:
        pn.draft_note(flyer(), as_of=AS_OF, model=_model())
    assert info.value.finish_reason == "length"
    assert 0 < info.value.completion_tokens <= CUT_OFF_MAX_TOKENS
    _assert_replayed_everything(vcr)


@pytest.mark.vcr
def test_eval_replays_reviews_through_note4(vcr: Cassette, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """`personalnote eval --prompt note@4 --examples 1` on three reviewed fixture drafts (support.REVIEWED),
    through the server: the report is byte for byte the one recorded with the cassette (stable enough
    for CI), and its figures agree with the drafts it reports."""
    store = tmp_path / "review.sqlite3"
    reviewed_queue(store).close()
    # recording on a loaded machine: time limits (not in any request) that never cut a draft short
    monkeypatch.setenv(_constants.ENV_NOTE_DEADLINE, "3600")
    status = main(["eval", "--store", str(store), "--prompt", "note@4", "--examples", "1", "--json"],
                  model=_model(timeout=900, max_attempts=1))
    out = capsys.readouterr().out
    if vcr.record_mode != RecordMode.NONE:
        EVAL_REPORT.write_text(out, encoding="utf-8")
    assert out == EVAL_REPORT.read_text(encoding="utf-8")
    report = json.loads(out)
    assert report["prompt"] == "note@4" and report["model"] == MODEL and report["total"]["replayed"] == 3
    assert status == (1 if report["total"]["returned"] else 0)
    with pn.ReviewQueue.open(store) as queue:
        approved = {q.id: q.text for q in queue.drafts(["approved"])}
    for draft in report["drafts"]:
        assert set(draft["returned"]) <= set(draft["fixed"]) and draft["draft_id"] not in draft["examples"]
        if draft["text"] is not None and draft["draft_id"] in approved:
            assert draft["distance"] == edit_distance(draft["text"], approved[draft["draft_id"]])
    for request in vcr.requests:
        assert json.loads(request.body)["messages"][1]["content"].startswith("<style_examples>")
    _assert_replayed_everything(vcr)


@pytest.mark.default_cassette("test_draft_note_flyer")
@pytest.mark.vcr(record_mode="none")
def test_replay_matches_on_the_body(vcr: Cassette) -> None:
    """Another customer's prompt is not in the flyer's cassette: refused, never sent anywhere."""
    data = pn.load(FIXTURES / "customers" / "welcome_back.json")
    with pytest.raises(CannotOverwriteExistingCassetteException):
        pn.draft_note(data.customers[0], as_of=AS_OF, model=_model(max_attempts=1),
                      business_events=data.business_events)
    assert vcr.play_count == 0


@pytest.mark.parametrize("name", ["test_draft_note_flyer", "test_adraft_note_flyer"])
def test_recorded_request_asks_for_a_json_object_with_the_fact_id_schema(name: str) -> None:
    for number, interaction in enumerate(_interactions(name)):
        request, response = interaction["request"], interaction["response"]
        assert request["method"] == "POST" and request["uri"] == f"{BASE_URL}/chat/completions"
        body = json.loads(request["body"])
        assert body["model"] == MODEL
        if number == 0:  # the first candidate is greedy; later ones are sampled, seeded
            assert body["temperature"] == 0 and body["seed"] == 0
        else:
            assert body["temperature"] in (0, _constants.RESAMPLE_TEMPERATURE)
            assert isinstance(body["seed"], int)
        fmt = body["response_format"]
        assert fmt["type"] == "json_object" and "json_schema" not in fmt
        fact_ids = fmt["schema"]["properties"]["claims"]["items"]["properties"]["fact_ids"]["items"]
        assert "derived:milestone:L-5502" in fact_ids["enum"]
        assert response["status"]["code"] == 200
        answer = json.loads(response["body"]["string"])
        assert answer["object"] == "chat.completion" and answer["usage"]["prompt_tokens"] > 0


def test_cut_off_cassette_is_a_real_length_stop() -> None:
    (interaction,) = _interactions("test_truncated_answer_is_a_cut_off_error")
    assert json.loads(interaction["request"]["body"])["max_tokens"] == CUT_OFF_MAX_TOKENS
    answer = json.loads(interaction["response"]["body"]["string"])
    assert answer["choices"][0]["finish_reason"] == "length"


def test_cassettes_hold_no_credentials_or_sdk_fingerprints() -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert len(files) >= 3
    for path in files:
        text = path.read_text(encoding="utf-8").lower()
        for needle in ("authorization", "x-stainless", "user-agent", API_KEY.lower(), "bearer"):
            assert needle not in text, f"{path.name} contains {needle!r}"


def test_replay_cannot_reach_the_network() -> None:
    """The guard is really on: even the loopback server the cassettes came from is unreachable."""
    host, port = BASE_URL.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, \
            pytest.raises(RuntimeError, match="Network is disabled"):
        sock.connect((host, int(port)))
