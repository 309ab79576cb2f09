"""Models and servers as a new user meets them: a misspelt name, a server that picks the model, a
server that never answers. Every server here is local: a scripted one (support.ScriptedServer), one
that accepts and never answers (support.SilentServer), or a closed port; never the network."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest

import personalnote as pn
from personalnote import _constants as C
from personalnote.cli import main

from .support import AS_OF, FIXTURES, Script, ScriptedServer, SilentServer, closed_port_url, completion, flyer

GOOD_NOTE = {"body": "Two million miles: thank you for flying with us.",
             "claims": [{"text": "two million miles", "fact_ids": ["derived:milestone:L-5502"]}]}
FLYER_FILE = str(FIXTURES / "customers" / "flyer_2m_miles.json")


@pytest.fixture(autouse=True)
def no_model_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """No model setting of the machine's: each test sets what it needs; retries wait 10 ms."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", C.ENV_MODEL, C.ENV_NOTE_DEADLINE):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(C, "TRANSPORT_BACKOFF_SECONDS", 0.01)


# --- a misspelt model name ---------------------------------------------------------------------


@pytest.mark.parametrize(("typo", "meant"), [("locl", "local"), ("gtp-4o-mini", "gpt-4o-mini"),
                                             ("Local", "local")])
def test_a_misspelt_model_is_named_with_the_close_match_not_a_missing_key(typo: str, meant: str) -> None:
    with pytest.raises(pn.UnknownModelError) as info:
        pn.resolve_model(typo)
    assert info.value.model == typo and info.value.suggestions[0] == meant
    assert f"unknown model {typo!r}" in str(info.value) and f"did you mean {meant!r}" in str(info.value)
    assert "no API key" not in str(info.value)


def test_the_cli_names_a_misspelt_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["draft", FLYER_FILE, "--as-of", "2026-11-20T18:00:00Z", "--model", "locl"]) == 2
    err = capsys.readouterr().err
    assert "unknown model 'locl'" in err and "did you mean 'local'" in err and "API key" not in err


def test_names_that_a_server_or_openai_may_know_stay_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(pn.ConfigurationError, match="no API key"):  # a known model with no key
        pn.resolve_model("gpt-4o-mini")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert pn.resolve_model("gpt-4o-mini-2024-07-18").name == "gpt-4o-mini-2024-07-18"  # OpenAI decides
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert pn.resolve_model("qwen2.5-7b-instruct").name == "qwen2.5-7b-instruct"  # the server's own name
    with pytest.raises(pn.UnknownModelError, match="'local'"):  # no server model is called "locl"
        pn.resolve_model("locl")


def test_a_name_the_server_does_not_have_is_told_with_the_close_match(scripted: Any) -> None:
    server = scripted([(404, {}, {"error": {"message": "The model `gtp-4o-mini` does not exist",
                                            "code": "model_not_found"}})])
    model = pn.OpenAIChatModel("gtp-4o-mini", base_url=server.base_url, api_key="sk-test")
    with pytest.raises(pn.ModelAPIError) as info:
        pn.draft_note(flyer(), as_of=AS_OF, model=model)
    assert info.value.status_code == 404 and info.value.attempts == 1
    assert "is 'gtp-4o-mini' a model this server has? did you mean 'gpt-4o-mini'" in str(info.value)


# --- the server says which model it serves -----------------------------------------------------


def _serving(scripted: Callable[[Script], ScriptedServer], models: list[str] | None,
             script: Script, monkeypatch: pytest.MonkeyPatch) -> ScriptedServer:
    server = scripted(script)
    server.models = models
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    return server


def test_with_no_model_name_the_only_model_served_is_used_and_has_no_price(
        scripted: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    server = _serving(scripted, ["smollm2-served"], [(200, {}, completion(json.dumps(GOOD_NOTE)))],
                      monkeypatch)
    draft = pn.draft_note(flyer(), as_of=AS_OF)
    assert isinstance(draft, pn.Draft)
    assert server.listings == 1 and server.requests[0]["model"] == "smollm2-served"
    assert draft.provenance.model == "smollm2-served"
    assert draft.provenance.cost_usd is None  # never another model's price
    server.script.append((200, {}, completion(json.dumps(GOOD_NOTE))))
    priced = pn.draft_note(flyer(), as_of=AS_OF, model=pn.OpenAIChatModel(base_url=server.base_url),
                           prices={"smollm2-served": (0.0, 0.0)})
    assert isinstance(priced, pn.Draft) and priced.provenance.cost_usd == 0.0  # a price given is used


def test_several_models_served_are_listed_for_the_user_to_choose(scripted: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _serving(scripted, ["llama-3-8b", "qwen2.5-7b"], [], monkeypatch)
    with pytest.raises(pn.ModelChoiceError) as info:
        pn.draft_note(flyer(), as_of=AS_OF)
    assert info.value.served == ["llama-3-8b", "qwen2.5-7b"]
    assert "llama-3-8b, qwen2.5-7b" in str(info.value) and "--model" in str(info.value)


def test_a_server_without_a_model_list_asks_for_a_name(scripted: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    server = _serving(scripted, None, [], monkeypatch)
    with pytest.raises(pn.ModelChoiceError, match="name the model") as info:
        pn.resolve_model(None)
    assert info.value.url == server.base_url and info.value.served == []


def test_the_cli_shows_the_served_model_and_an_unknown_cost(scripted: Any, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    _serving(scripted, ["smollm2-served"], [(200, {}, completion(json.dumps(GOOD_NOTE)))], monkeypatch)
    assert main(["draft", FLYER_FILE, "--as-of", "2026-11-20T18:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "smollm2-served · prompt note" in out and "cost unknown" in out


def test_a_batch_against_an_unpriced_model_has_an_unknown_cost(scripted: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _serving(scripted, ["smollm2-served"], [(200, {}, completion(json.dumps(GOOD_NOTE)))], monkeypatch)
    result = pn.draft_many([flyer()], as_of=AS_OF, progress=False)
    assert result.counts["drafted"] == 1 and result.outcomes[0].cost_usd is None
    assert result.cost_usd is None and "cost unknown" in result.summary()
    assert result.to_json_dict()["cost_usd"] is None


# --- a server that never answers ---------------------------------------------------------------


def _model(url: str, **options: Any) -> pn.OpenAIChatModel:
    return pn.OpenAIChatModel("hung", base_url=url, api_key="sk-test", **options)


def test_a_server_that_never_answers_is_named_with_the_attempts_made(
        silent: SilentServer, caplog: pytest.LogCaptureFixture) -> None:
    model = _model(silent.base_url, timeout=0.2, max_attempts=3)
    caplog.set_level(logging.WARNING, logger="personalnote.model")
    with pytest.raises(pn.ModelAPIError) as info:
        pn.draft_note(flyer(), as_of=AS_OF, model=model)
    error = info.value
    assert error.url == silent.base_url and error.attempts == 3 and silent.accepted == 3
    assert f"model server {silent.base_url}" in str(error) and "3 attempts" in str(error)
    retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == 2 and "attempt 1 of 3 failed" in retries[0] and silent.base_url in retries[0]


def test_the_note_deadline_bounds_the_wait_over_the_transport_retries(silent: SilentServer) -> None:
    model = _model(silent.base_url, timeout=30, max_attempts=4)
    with pytest.raises(pn.ModelAPIError) as info:
        pn.draft_note(flyer(), as_of=AS_OF, model=model, deadline_seconds=0.3)
    assert info.value.attempts == 1 and silent.accepted == 1  # the 30 s timeout was cut to the deadline
    assert silent.base_url in str(info.value) and "stopped at the note's deadline" in str(info.value)


def test_retries_stop_at_the_deadline_before_max_attempts(silent: SilentServer) -> None:
    model = _model(silent.base_url, timeout=0.1, max_attempts=50)
    with pytest.raises(pn.ModelAPIError) as info:
        pn.draft_note(flyer(), as_of=AS_OF, model=model, deadline_seconds=0.5)
    assert 1 < info.value.attempts < 50 and info.value.attempts == silent.accepted
    assert "stopped at the note's deadline" in str(info.value)


def test_the_deadline_comes_from_the_environment_unless_given(silent: SilentServer,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(C.ENV_NOTE_DEADLINE, "0.3")
    with pytest.raises(pn.ModelAPIError, match="deadline") as info:
        pn.draft_note(flyer(), as_of=AS_OF, model=_model(silent.base_url, timeout=30))
    assert info.value.attempts == 1
    monkeypatch.setenv(C.ENV_NOTE_DEADLINE, "3000")
    with pytest.raises(pn.ModelAPIError, match="deadline") as info:  # the argument wins
        pn.draft_note(flyer(), as_of=AS_OF, model=_model(silent.base_url, timeout=30), deadline_seconds=0.2)
    assert info.value.attempts == 1 and silent.accepted == 2
    monkeypatch.setenv(C.ENV_NOTE_DEADLINE, "soon")
    with pytest.raises(pn.ConfigurationError, match=C.ENV_NOTE_DEADLINE):
        pn.draft_note(flyer(), as_of=AS_OF, model=_model(silent.base_url))


def test_the_async_path_keeps_the_deadline_too(silent: SilentServer) -> None:
    model = _model(silent.base_url, timeout=30)
    with pytest.raises(pn.ModelAPIError) as info:
        asyncio.run(pn.adraft_note(flyer(), as_of=AS_OF, model=model, deadline_seconds=0.3))
    assert info.value.attempts == 1 and "stopped at the note's deadline" in str(info.value)


def test_a_long_wait_is_reported_while_it_lasts(silent: SilentServer, caplog: pytest.LogCaptureFixture,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(C, "MODEL_WAIT_NOTICE_SECONDS", 0.05)
    with caplog.at_level(logging.WARNING, logger="personalnote.model"), pytest.raises(pn.ModelAPIError):
        pn.draft_note(flyer(), as_of=AS_OF, model=_model(silent.base_url, timeout=0.4, max_attempts=1))
    assert any("still waiting for an answer" in r.getMessage() and silent.base_url in r.getMessage()
               for r in caplog.records)


def test_a_closed_port_is_named_with_the_attempts_made() -> None:
    url = closed_port_url()
    with pytest.raises(pn.ModelAPIError) as info:
        pn.draft_note(flyer(), as_of=AS_OF, model=_model(url, max_attempts=3))
    assert info.value.url == url and info.value.attempts == 3 and info.value.status_code is None
    assert f"model server {url}" in str(info.value) and "3 attempts" in str(info.value)
    assert "is the server running" in str(info.value)


def test_the_cli_shows_each_retry_and_the_url(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    url = closed_port_url()
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    assert main(["draft", FLYER_FILE, "--as-of", "2026-11-20T18:00:00Z", "--model", "hung"]) == 2
    err = capsys.readouterr().err
    attempts = C.TRANSPORT_MAX_ATTEMPTS
    assert err.count(f"personalnote: model server {url}: chat completion attempt") == attempts - 1
    assert f"attempt 1 of {attempts} failed" in err
    assert f"personalnote: error: model server {url}" in err and f"{attempts} attempts" in err
