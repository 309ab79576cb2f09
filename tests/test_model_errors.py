"""Error paths a real server will not produce on demand, against a SCRIPTED local HTTP server.

The server on 127.0.0.1 (support.ScriptedServer, started by the ``scripted`` fixture in conftest.py)
answers each request with the next scripted (status, headers, body); it is a test double, not a model.
It checks the one transport retry layer and the typed errors.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

import personalnote as pn
from personalnote._model import strict_schema

from .support import AS_OF, ScriptedServer, completion, flyer

GOOD_NOTE = {"body": "Two million miles: thank you for flying with us.",
             "claims": [{"text": "two million miles", "fact_ids": ["derived:milestone:L-5502"]}]}


def _model(server: ScriptedServer, **options: Any) -> pn.OpenAIChatModel:
    return pn.OpenAIChatModel("scripted", base_url=server.base_url, api_key="sk-test", timeout=5, **options)


def test_429_with_retry_after_is_retried(scripted: Any) -> None:
    server = scripted([(429, {"retry-after": "0"}, {"error": {"message": "slow down", "code": "rate_limit"}}),
                       (200, {}, completion(json.dumps(GOOD_NOTE)))])
    draft = pn.draft_note(flyer(), as_of=AS_OF, model=_model(server))
    assert isinstance(draft, pn.Draft) and len(server.requests) == 2
    assert draft.provenance.attempts == 1  # transport retries are not model attempts


def test_500_is_retried_then_gives_up_with_a_typed_error(scripted: Any) -> None:
    error = (500, {"retry-after": "0"}, {"error": {"message": "boom"}})
    server = scripted([error, error, error])
    with pytest.raises(pn.ModelAPIError) as info:
        pn.draft_note(flyer(), as_of=AS_OF, model=_model(server, max_attempts=3))
    assert info.value.status_code == 500 and info.value.retryable and len(server.requests) == 3


def test_400_is_not_retried(scripted: Any) -> None:
    server = scripted([(400, {}, {"error": {"message": "bad request", "code": "invalid"}})])
    with pytest.raises(pn.ModelAPIError) as info:
        pn.draft_note(flyer(), as_of=AS_OF, model=_model(server))
    assert info.value.status_code == 400 and not info.value.retryable and len(server.requests) == 1


def test_insufficient_quota_429_is_not_retried(scripted: Any) -> None:
    quota = {"error": {"message": "quota", "code": "insufficient_quota", "type": "insufficient_quota"}}
    server = scripted([(429, {"retry-after": "0"}, quota)])
    with pytest.raises(pn.ModelAPIError) as info:
        pn.draft_note(flyer(), as_of=AS_OF, model=_model(server))
    assert info.value.status_code == 429 and len(server.requests) == 1


def test_truncated_response_is_a_typed_error(scripted: Any) -> None:
    server = scripted([(200, {}, completion('{"body": "Two million', finish_reason="length"))])
    with pytest.raises(pn.ResponseCutOffError):
        pn.draft_note(flyer(), as_of=AS_OF, model=_model(server))
    assert len(server.requests) == 1


def test_invalid_body_then_valid_is_reasked_and_usage_summed(scripted: Any) -> None:
    server = scripted([(200, {}, completion('{"body": ""}')),
                       (200, {}, completion(json.dumps(GOOD_NOTE)))])
    draft = pn.draft_note(flyer(), as_of=AS_OF, model=_model(server))
    assert isinstance(draft, pn.Draft)
    assert draft.provenance.attempts == 2 and draft.provenance.prompt_tokens == 200
    assert server.requests[1]["messages"][-1]["content"].startswith("That answer was invalid")


def test_compatible_server_gets_json_object_with_schema(scripted: Any) -> None:
    server = scripted([(200, {}, completion(json.dumps(GOOD_NOTE)))])
    pn.draft_note(flyer(), as_of=AS_OF, model=_model(server))
    sent = server.requests[0]
    assert sent["response_format"]["type"] == "json_object"
    enum = sent["response_format"]["schema"]["properties"]["claims"]["items"]["properties"]["fact_ids"]
    assert "T-8002" in enum["items"]["enum"] and sent["temperature"] == 0.0


def test_async_path_retries_too(scripted: Any) -> None:
    server = scripted([(503, {"retry-after": "0"}, {"error": {"message": "busy"}}),
                       (200, {}, completion(json.dumps(GOOD_NOTE)))])
    draft = asyncio.run(pn.adraft_note(flyer(), as_of=AS_OF, model=_model(server)))
    assert isinstance(draft, pn.Draft) and len(server.requests) == 2


def test_openai_itself_gets_strict_json_schema() -> None:
    model = pn.OpenAIChatModel("gpt-4o-mini", api_key="sk-test")
    assert model.structured_output == "json_schema"
    schema = {"type": "object", "properties": {"a": {"type": "array", "maxItems": 3, "items": {
        "type": "string", "enum": ["x"]}}}}
    assert strict_schema(schema) == {"type": "object", "properties": {"a": {"type": "array", "items": {
        "type": "string", "enum": ["x"]}}}}


def test_missing_key_and_base_url_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(pn.ConfigurationError, match="OPENAI_API_KEY"):
        pn.OpenAIChatModel("gpt-4o-mini")
