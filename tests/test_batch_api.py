"""The OpenAI Batch API files: the request file uses the live request mapping, and a results file
(built here from the request file, with the fixture's lines as templates) comes back as drafts."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx2
import pytest

import personalnote as pn
from personalnote import _constants as C
from personalnote.cli import main

from .support import AS_OF, BODY, FIXTURES, numbered_flyer, quiet

EXAMPLE = FIXTURES / "batch" / "results_example.jsonl"
SUCCESS, HTTP_ERROR, NOT_RUN = [json.loads(line) for line in EXAMPLE.read_text().splitlines()]


def _enum(body: dict[str, Any]) -> list[str]:
    schema = body["response_format"]["json_schema"]["schema"]
    return list(schema["properties"]["claims"]["items"]["properties"]["fact_ids"]["items"]["enum"])


def _note(body: dict[str, Any]) -> str:
    milestone = next(i for i in _enum(body) if i.startswith("derived:milestone:"))
    return json.dumps({"body": BODY, "claims": [{"text": "passed 100,000 miles", "fact_ids": [milestone]}]})


def _success(custom_id: str, content: str, finish_reason: str = "stop") -> dict[str, Any]:
    line: dict[str, Any] = copy.deepcopy(SUCCESS)
    line["custom_id"] = custom_id
    choice = line["response"]["body"]["choices"][0]
    choice["message"]["content"], choice["finish_reason"] = content, finish_reason
    return line


def _results(requests: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Output and error lines for C-000..C-005: three notes, an HTTP 500, an invalid answer, a cut-off;
    C-006 never ran (error file)."""
    out: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for request in requests:
        custom_id, body = request["custom_id"], request["body"]
        customer = custom_id.rpartition("~")[0]
        if customer in ("C-000", "C-001", "C-002"):
            out.append(_success(custom_id, _note(body)))
        elif customer == "C-003":
            out.append({**copy.deepcopy(HTTP_ERROR), "custom_id": custom_id})
        elif customer == "C-004":
            out.append(_success(custom_id, json.dumps({"body": "Hello", "claims": [
                {"text": "made up", "fact_ids": ["INVENTED-1"]}]})))
        elif customer == "C-005":
            out.append(_success(custom_id, '{"body": "Passing 100,000 mi', finish_reason="length"))
        else:
            errors.append({**copy.deepcopy(NOT_RUN), "custom_id": custom_id})
    out.append(_success("C-999~000000000000", "{}"))  # a customer not given when reading
    return out, errors


def _write_lines(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


HISTORIES = [numbered_flyer(i) for i in range(7)] + [quiet(8)]


def test_request_file_lines(tmp_path: Path) -> None:
    written = pn.write_batch_requests(HISTORIES, tmp_path / "requests.jsonl", as_of=AS_OF, progress=False)
    lines = [json.loads(line) for line in (tmp_path / "requests.jsonl").read_text().splitlines()]
    assert written.counts["requested"] == len(lines) == 7 and written.no_note_counts == {"no_moment": 1}
    assert [line["custom_id"].rpartition("~")[0] for line in lines] == [f"C-{i:03d}" for i in range(7)]
    assert len({line["custom_id"] for line in lines}) == 7
    for line in lines:
        assert set(line) == {"custom_id", "method", "url", "body"}
        assert (line["method"], line["url"]) == ("POST", "/v1/chat/completions")
        body = line["body"]
        assert body["model"] == "gpt-4o-mini" and body["max_tokens"] == C.MAX_COMPLETION_TOKENS
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"]["strict"] is True
        assert f"L-{line['custom_id'][2:5]}" in _enum(body)


def test_request_body_is_the_one_a_live_call_sends(tmp_path: Path) -> None:
    sent: list[dict[str, Any]] = []

    def server(request: httpx2.Request) -> httpx2.Response:
        sent.append(json.loads(request.content))
        return httpx2.Response(200, json=_success("live", _note(sent[-1]))["response"]["body"])

    live = pn.OpenAIChatModel("gpt-4o-mini", api_key="test",
                              http_client=httpx2.Client(transport=httpx2.MockTransport(server)))
    draft = pn.draft_note(numbered_flyer(0), as_of=AS_OF, model=live)
    assert isinstance(draft, pn.Draft) and draft.provenance.prompt_tokens == 561  # the fixture's usage
    pn.write_batch_requests([numbered_flyer(0)], tmp_path / "requests.jsonl", as_of=AS_OF, progress=False)
    line = json.loads((tmp_path / "requests.jsonl").read_text())
    assert line["body"] == sent[0]


def test_results_come_back_as_drafts_errors_reported_per_customer(tmp_path: Path) -> None:
    pn.write_batch_requests(HISTORIES, tmp_path / "requests.jsonl", as_of=AS_OF, progress=False)
    requests = [json.loads(line) for line in (tmp_path / "requests.jsonl").read_text().splitlines()]
    out, errors = _results(requests)
    files = [_write_lines(tmp_path / "output.jsonl", out), _write_lines(tmp_path / "errors.jsonl", errors)]
    with pn.ReviewQueue(tmp_path / "review.sqlite3") as queue:
        result = pn.read_batch_results(files, HISTORIES, as_of=AS_OF, queue=queue, progress=False,
                                       source=tmp_path / "customers.jsonl")
        assert [o.customer_id for o in result.with_status("drafted")] == ["C-000", "C-001", "C-002"]
        assert [item.customer_id for item in queue.pending()] == ["C-000", "C-001", "C-002"]
        assert result.failures == {"ModelAPIError 500": ["C-003"], "DraftValidationError": ["C-004"],
                                   "ResponseCutOffError": ["C-005"], "ModelAPIError": ["C-006"]}
        assert result.no_note_counts == {"no_moment": 1} and result.unmatched == ("C-999~000000000000",)
        failed = {o.customer_id: o for o in result.with_status("failed")}
        assert "INVENTED-1" in str(failed["C-004"].error)
        assert "batch_expired" in str(failed["C-006"].error)
        for draft in result.drafts:
            assert draft.provenance.attempts == 1 and draft.findings == []  # no re-asks in a batch
            assert draft.provenance.prompt_tokens == 561 and draft.provenance.completion_tokens == 48
        # invalid and cut-off answers were billed: 5 answers of 561 + 48 tokens, at half the live price
        live_in, live_out = C.PRICES_PER_MILLION["gpt-4o-mini"]
        assert result.prompt_tokens == 5 * 561 and result.completion_tokens == 5 * 48
        assert result.cost_usd == pytest.approx(5 * (561 * live_in + 48 * live_out) / 1e6 * 0.5)
        assert "Batch API price (50% of live)" in result.summary()

        again = pn.read_batch_results(files, HISTORIES, as_of=AS_OF, queue=queue, progress=False)
        assert again.counts["skipped"] == 3 and len(queue.pending()) == 3
        rewritten = pn.write_batch_requests(HISTORIES, tmp_path / "rest.jsonl", as_of=AS_OF, queue=queue,
                                            progress=False)
        assert [o.customer_id for o in rewritten.with_status("requested")] == ["C-003", "C-004", "C-005",
                                                                                 "C-006"]


def test_a_changed_history_is_not_matched_to_an_old_answer(tmp_path: Path) -> None:
    pn.write_batch_requests([numbered_flyer(0)], tmp_path / "requests.jsonl", as_of=AS_OF, progress=False)
    request = json.loads((tmp_path / "requests.jsonl").read_text())
    answer = _success(request["custom_id"], _note(request["body"]))
    results = _write_lines(tmp_path / "output.jsonl", [answer])
    changed = numbered_flyer(0)
    profile = changed.customer.model_copy(update={"preferred_channel": "email"})
    result = pn.read_batch_results(results, [changed.model_copy(update={"customer": profile})], as_of=AS_OF,
                                   progress=False)
    assert result.failures == {"ModelAPIError": ["C-000"]}
    assert "changed since the request file was written" in str(result.outcomes[0].error)


def test_a_results_file_that_is_not_jsonl_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "output.jsonl"
    bad.write_text('{"custom_id": "C-000~x", "response": null, "error": null}\nnot json\n')
    with pytest.raises(pn.InputFileError, match=r"output.jsonl:2: not a Batch API result line"):
        pn.read_batch_results(bad, [numbered_flyer(0)], as_of=AS_OF, progress=False)


def test_cli_writes_and_reads_batch_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write_lines(tmp_path / "customers.jsonl", [json.loads(h.model_dump_json()) for h in HISTORIES])
    base = ["draft", str(data), "--as-of", "2026-11-20T18:00:00Z", "--model", "gpt-4o-mini"]
    assert main([*base, "--write-batch", str(tmp_path / "requests.jsonl")]) == 0
    assert "7 requested, 1 no note" in capsys.readouterr().out
    requests = [json.loads(line) for line in (tmp_path / "requests.jsonl").read_text().splitlines()]
    out, errors = _results(requests)
    files = [str(_write_lines(tmp_path / "o.jsonl", out)), str(_write_lines(tmp_path / "e.jsonl", errors))]
    store = tmp_path / "review.sqlite3"
    assert main([*base, "--read-batch", *files, "--store", str(store), "--json"]) == 1  # some failed
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"]["drafted"] == 3 and summary["batch_api"] is True
    assert summary["failed"]["DraftValidationError"] == ["C-004"]
    with pn.ReviewQueue(store) as queue:
        assert {Path(i.source or "").name for i in queue.pending()} == {"customers.jsonl"}

