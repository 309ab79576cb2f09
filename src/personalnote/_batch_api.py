"""Large runs through the OpenAI Batch API: a JSONL request file out, its results file back into drafts.

``write_batch_requests`` plans every customer as live drafting does (no note, already queued,
prompt within the token budget) and writes one line per customer with a moment::

    {"custom_id": "C-1001~3f5a09c2d1e4", "method": "POST", "url": "/v1/chat/completions",
     "body": {...the body a live call sends, json_schema strict...}}

``read_batch_results`` reads the results file (and the error file, if any) back: each
response body is parsed and validated by the same parser as live drafting, drafts go into
the review queue, and errors and invalid answers are reported per customer. There are **no
re-asks** in a batch (the answer is all there is): an invalid answer is a customer's
``DraftValidationError`` and a blocking finding stays on the draft for the reviewer; draft
those customers live (``draft_many`` skips the ones already queued) or in a new batch.

The part of ``custom_id`` after the last ``~`` is a digest of the request body. Reading
rebuilds each request from the same histories, ``as_of`` and options; a customer whose
request comes out different (the data or a setting changed) is reported, never matched to
an answer written for another prompt. The Batch API bills ``BATCH_API_PRICE_FACTOR`` (50%)
of the live price, and costs here are computed at that price.

Example::

    written = write_batch_requests(data.customers, "requests.jsonl", as_of=as_of, queue=queue)
    # upload it (purpose "batch"), create the batch on /v1/chat/completions, download the results
    result = read_batch_results(["results.jsonl"], data.customers, as_of=as_of, queue=queue)
    print(result.summary())
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Unpack

from . import _constants as C
from ._batch_plan import Planner, Source, plan_each, raise_unexpected
from ._batch_report import BatchResult, CustomerOutcome
from ._draft import Customer, draft_from_answer
from ._draft_types import Draft
from ._errors import ConfigurationError, InputFileError, ModelAPIError
from ._export import write_atomically
from ._instants import AsOf
from ._job import DraftJob
from ._loaders import read_text
from ._model import OpenAIChatModel
from ._options import DraftOptions, Price, price_table, settle
from ._review import ReviewQueue

__all__ = ["read_batch_results", "write_batch_requests"]


def batch_model(model: OpenAIChatModel | str | None) -> OpenAIChatModel:
    """The model whose request mapping writes the lines (a name needs no API key: nothing is sent)."""
    if isinstance(model, OpenAIChatModel):
        return model
    name = model or C.DEFAULT_OPENAI_MODEL
    return OpenAIChatModel(name, api_key="unused-the-batch-file-is-uploaded-by-you")


#: the live drafting loop's limits; the Batch API answers each request once, with no re-ask
_LIVE_ONLY = ("max_reasks", "max_candidates", "max_total_tokens")


def batch_options(options: DraftOptions, model: OpenAIChatModel, caller: str) -> DraftOptions:
    """The settled options, the model priced at the Batch API's share of the live price.

    The live loop's limits do not apply (one answer per request): giving one is an error.
    """
    given = [name for name in _LIVE_ONLY if name in options]
    if given:
        raise ConfigurationError(f"{caller}: {', '.join(given)} only apply to live drafting; the Batch API "
                                 "answers each request once (no re-asks, one candidate)")
    settled = settle(options, caller=caller)
    live = price_table(settled["prices"]).get(model.name)
    if live is None:
        return settled
    factor = C.BATCH_API_PRICE_FACTOR
    batch: Price = (live[0] * factor, live[1] * factor)
    return {**settled, "prices": {**(settled["prices"] or {}), model.name: batch}}


def _body_and_id(job: DraftJob, model: OpenAIChatModel) -> tuple[dict[str, Any], str]:
    body = model.request_body(job.request(job.messages), structured_output="json_schema")
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:12]
    return body, f"{job.ctx.customer_id}~{digest}"


def write_batch_requests(
    histories: Iterable[Customer],
    path: str | Path,
    *,
    as_of: AsOf | None = None,
    model: OpenAIChatModel | str | None = None,
    queue: ReviewQueue | None = None,
    progress: bool | None = None,
    **options: Unpack[DraftOptions],
) -> BatchResult:
    """Write the Batch API request file: one line per customer with a moment and not already queued.

    Returns the outcomes: ``requested`` for each line written, else no note, skipped or failed
    (for example ``ContextBudgetError``), with the reasons.

    Example::

        written = write_batch_requests(data.customers, "requests.jsonl", as_of=as_of, model="gpt-4o-mini")
        print(written.summary())        # 950 requested, 50 no note
    """
    openai_model = batch_model(model)
    settled = batch_options(options, openai_model, "write_batch_requests")
    planner = Planner(as_of, openai_model, queue, settled, caller="write_batch_requests")
    lines: list[str] = []

    def request_line(job: DraftJob) -> CustomerOutcome:
        body, custom_id = _body_and_id(job, openai_model)
        lines.append(json.dumps({"custom_id": custom_id, "method": "POST", "url": C.BATCH_API_URL,
                                 "body": body}, ensure_ascii=False))
        return CustomerOutcome(job.ctx.customer_id, "requested", "in the request file")

    start = time.perf_counter()
    outcomes = plan_each(histories, planner, progress, "writing requests", request_line)
    write_atomically(Path(path), "".join(f"{line}\n" for line in lines))
    result = BatchResult(tuple(outcomes), time.perf_counter() - start, batch_api=True)
    raise_unexpected(result)
    return result


def _read_lines(paths: Sequence[Path]) -> dict[str, dict[str, Any]]:
    """Result lines by custom_id, from every file; a success wins over an error for the same id."""
    found: dict[str, dict[str, Any]] = {}
    for path in paths:
        lines = enumerate(read_text(path).splitlines(), start=1)
        for number, line in ((n, text) for n, text in lines if text.strip()):
            record = _result_line(line, path, number)
            earlier = found.get(record["custom_id"])
            if earlier is None or (not _succeeded(earlier) and _succeeded(record)):
                found[record["custom_id"]] = record
    return found


def _result_line(line: str, path: Path, number: int) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputFileError(path, f"not a Batch API result line: {exc.msg}", line=number) from None
    if not isinstance(record, dict) or not isinstance(record.get("custom_id"), str):
        raise InputFileError(path, "a Batch API result line needs a string custom_id", line=number)
    return record


def _succeeded(line: dict[str, Any]) -> bool:
    return not line.get("error") and (line.get("response") or {}).get("status_code") == 200


def _draft_from_line(job: DraftJob, line: dict[str, Any], model: OpenAIChatModel) -> Draft:
    """The draft in one result line, or the error it reports (API error, cut off, invalid answer)."""
    response = line.get("response") or {}
    status = response.get("status_code")
    body = response.get("body")
    error = line.get("error")
    if error:
        raise ModelAPIError(f"the Batch API could not run this request: {error.get('code')}: "
                            f"{error.get('message')}", status_code=status)
    if status != 200:
        detail = (body or {}).get("error", {}).get("message") if isinstance(body, dict) else body
        raise ModelAPIError(f"the Batch API request was answered with HTTP {status}: {detail}",
                            status_code=status if isinstance(status, int) else None)
    return draft_from_answer(job, model.result_from_body(body))


def _missing(custom_id: str, changed: bool) -> ModelAPIError:
    if changed:
        return ModelAPIError(f"the result line for this customer answers another request than {custom_id}: "
                             "the history, as_of or a setting changed since the request file was written; "
                             "draft the customer live or in a new batch")
    return ModelAPIError(f"no result line for {custom_id}: the batch may have expired or been cancelled, or "
                         "the result file is not the one for this request file; draft the customer live or "
                         "in a new batch")


def read_batch_results(
    results: str | Path | Sequence[str | Path],
    histories: Iterable[Customer],
    *,
    as_of: AsOf | None = None,
    model: OpenAIChatModel | str | None = None,
    queue: ReviewQueue | None = None,
    progress: bool | None = None,
    source: Source = None,
    **options: Unpack[DraftOptions],
) -> BatchResult:
    """Read Batch API result files back into drafts (queued when ``queue`` is given).

    Pass the same histories, ``as_of``, model and settings as to ``write_batch_requests``;
    ``results`` is the output file and, if the batch had one, its error file.

    Example::

        result = read_batch_results(["results.jsonl", "errors.jsonl"], data.customers, as_of=as_of,
                                    model="gpt-4o-mini", queue=ReviewQueue("review.sqlite3"))
    """
    paths = [Path(results)] if isinstance(results, (str, Path)) else [Path(p) for p in results]
    lines = _read_lines(paths)
    by_customer = {custom_id.rpartition("~")[0]: custom_id for custom_id in lines}
    openai_model = batch_model(model)
    planner = Planner(as_of, openai_model, queue, batch_options(options, openai_model, "read_batch_results"),
                      source, caller="read_batch_results")

    def answer(job: DraftJob) -> CustomerOutcome:
        custom_id = _body_and_id(job, openai_model)[1]
        line = lines.pop(custom_id, None)
        if line is None:
            raise _missing(custom_id, changed=job.ctx.customer_id in by_customer)
        return planner.drafted(job, _draft_from_line(job, line, openai_model))

    start = time.perf_counter()
    outcomes = plan_each(histories, planner, progress, "reading results", answer)
    given = {o.customer_id for o in outcomes}
    unmatched = tuple(c for c in lines if c.rpartition("~")[0] not in given)
    result = BatchResult(tuple(outcomes), time.perf_counter() - start, batch_api=True, unmatched=unmatched)
    raise_unexpected(result)
    return result
