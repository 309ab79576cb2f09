"""OpenAI and OpenAI-compatible servers: the only module that imports ``openai``.

One retry layer for transport failures: tenacity around the SDK with the SDK's own
retries set to 0. Retried: connection errors, timeouts, 408/409/429/5xx (``Retry-After``
honoured); never ``insufficient_quota`` or other 4xx. A timeout is always set, and a call
never outlasts what is left of its note's deadline (``ChatRequest.timeout``): each attempt's
timeout and each wait are cut to it. A failure names the server's URL and the attempts made;
each retry, and an attempt still waiting after ``MODEL_WAIT_NOTICE_SECONDS``, is logged on the
``personalnote.model`` logger (WARNING), which the CLI prints on stderr.

With a ``base_url`` and no model name, the server is asked which models it serves
(``/v1/models``): the only one is used, several are a ``ModelChoiceError`` listing them.

Structured output, one strategy per backend, chosen here: OpenAI itself takes
``json_schema`` with ``strict``; llama-cpp-python's server and most compatible servers
take ``{"type": "json_object", "schema": ...}``.

Example::

    model = OpenAIChatModel("gpt-4o-mini")                      # OPENAI_API_KEY from the environment
    local = OpenAIChatModel("smollm2", base_url="http://127.0.0.1:8000/v1", api_key="none")
    served = OpenAIChatModel(base_url="http://127.0.0.1:8000/v1")  # the one model that server serves
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception

from . import _constants as C
from ._chat import ChatRequest, ChatResult
from ._errors import ConfigurationError, ModelAPIError, ModelChoiceError
from ._model_names import check_model_name, close_model_names

if TYPE_CHECKING:
    import openai

__all__ = ["OpenAIChatModel", "StructuredOutput"]

StructuredOutput = Literal["json_schema", "json_object_schema"]
_RETRYABLE_STATUS = {408, 409, 429}
OPENAI_URL = "https://api.openai.com/v1"
log = logging.getLogger("personalnote.model")
T = TypeVar("T")


def is_retryable(exc: BaseException) -> bool:
    """Transport failures and 408/409/429/5xx, but never an exhausted quota."""
    import openai
    if isinstance(exc, (openai.APIConnectionError, openai.APITimeoutError)):
        return True
    if isinstance(exc, openai.APIStatusError):
        if getattr(exc, "code", None) == "insufficient_quota":
            return False
        return exc.status_code in _RETRYABLE_STATUS or exc.status_code >= 500
    return False


def _retry_after(exc: BaseException | None) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is not None:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                return None
    return None


def make_wait(base: float, cap: float) -> Callable[[RetryCallState], float]:
    """Honour ``Retry-After`` (capped); otherwise exponential backoff with jitter."""

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = _retry_after(exc)
        if hinted is not None:
            return min(hinted, cap)
        return float(min(cap, base * 2 ** (state.attempt_number - 1)) * (0.5 + random.random() / 2))

    return wait


_STRICT_UNSUPPORTED = {"minLength", "maxLength", "minItems", "maxItems"}


def strict_schema(schema: Any) -> Any:
    """The schema without the keywords OpenAI's strict mode refuses (checked after parsing instead)."""
    if isinstance(schema, dict):
        return {k: strict_schema(v) for k, v in schema.items() if k not in _STRICT_UNSUPPORTED}
    if isinstance(schema, list):
        return [strict_schema(v) for v in schema]
    return schema


class _Call:
    """One call's attempts against its deadline: each attempt's timeout, the waits, the error at the end."""

    def __init__(self, model: OpenAIChatModel, what: str, budget: float | None) -> None:
        self.model, self.what = model, what
        self.started = time.monotonic()
        self.end = None if budget is None else self.started + budget
        self.attempts = 0
        self.out_of_time = False  # stopped by the deadline, not by max_attempts
        self.waits: dict[int, float] = {}
        self.wait = make_wait(C.TRANSPORT_BACKOFF_SECONDS, C.TRANSPORT_MAX_WAIT_SECONDS)

    def left(self) -> float:
        return float("inf") if self.end is None else self.end - time.monotonic()

    def timeout(self) -> float:
        """This attempt's timeout: the model's, cut to what is left of the deadline."""
        self.attempts += 1
        return max(0.001, min(self.model.timeout, self.left()))

    def _wait(self, state: RetryCallState) -> float:
        """The wait before the next attempt, drawn once per attempt (``stop`` reads it too)."""
        if state.attempt_number not in self.waits:
            self.waits[state.attempt_number] = self.wait(state)
        return self.waits[state.attempt_number]

    def stop(self, state: RetryCallState) -> bool:
        """Stop after ``max_attempts``, or when the wait would leave no time for another attempt."""
        if state.attempt_number >= self.model.max_attempts:
            return True
        self.out_of_time = self._wait(state) >= self.left()
        return self.out_of_time

    def before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        left = "" if self.end is None else f"; {max(0.0, self.left()):.1f} s left of the note's deadline"
        log.warning("model server %s: %s attempt %d of %d failed (%s); retrying in %.2f s%s", self.model.url,
                    self.what, state.attempt_number, self.model.max_attempts, _short(exc), self._wait(state),
                    left)

    def options(self) -> dict[str, Any]:
        return {"stop": self.stop, "wait": self._wait, "retry": retry_if_exception(is_retryable),
                "before_sleep": self.before_sleep, "reraise": True}

    def notice(self) -> None:
        """Logged when an attempt is still waiting after ``MODEL_WAIT_NOTICE_SECONDS``."""
        log.warning("model server %s: still waiting for an answer after %.0f s (attempt %d of %d, timeout "
                    "%.0f s)", self.model.url, time.monotonic() - self.started, self.attempts,
                    self.model.max_attempts, self.model.timeout)

    def error(self, exc: BaseException) -> ModelAPIError:
        """The typed error: the URL, what failed, the attempts and the time they took."""
        import openai
        status = getattr(exc, "status_code", None)
        spent = time.monotonic() - self.started
        tried = f"{self.attempts} attempt{'s' if self.attempts != 1 else ''} in {spent:.1f} s"
        if self.out_of_time:
            tried += (f"; stopped at the note's deadline (deadline_seconds, ${C.ENV_NOTE_DEADLINE}, default "
                      f"{C.NOTE_DEADLINE.total_seconds():g} s)")
        detail = f"HTTP {status}: {_short(exc)}" if status is not None else _short(exc)
        message = f"model server {self.model.url}: {self.what} failed ({detail}); {tried}"
        if status == 404 and self.what == "chat completion":
            close = close_model_names(self.model.name)
            message += (f"; is {self.model.name!r} a model this server has?"
                        + (f" did you mean {' or '.join(map(repr, close))}?" if close else ""))
        elif isinstance(exc, openai.APITimeoutError):
            message += f"; it sent no answer in time (timeout {self.model.timeout:g} s per attempt)"
        elif status is None:
            message += "; is the server running and is the URL right (base_url, $OPENAI_BASE_URL)?"
        return ModelAPIError(message, status_code=status, retryable=is_retryable(exc), url=self.model.url,
                             attempts=self.attempts)

    def expired(self) -> ModelAPIError:
        return ModelAPIError(f"model server {self.model.url}: the note's deadline passed before the "
                             f"{self.what} could be sent; 0 attempts", url=self.model.url, attempts=0)


def _short(exc: BaseException | None) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return " ".join(str(message).split())[:200]


class OpenAIChatModel:
    """A chat model behind the OpenAI API or any OpenAI-compatible server, sync and async.

    ``api_key`` and ``base_url`` default to ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL``. With no
    ``model`` the server at ``base_url`` is asked which it serves (else ``gpt-4o-mini`` on OpenAI).
    ``timeout`` bounds each attempt and ``max_attempts`` counts them; a request's own ``timeout``
    (what is left of its note's deadline) bounds them all.
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = C.MODEL_TIMEOUT_SECONDS,
        max_attempts: int = C.TRANSPORT_MAX_ATTEMPTS,
        structured_output: StructuredOutput | None = None,
        http_client: Any = None,
    ) -> None:
        api_key = api_key or os.environ.get("OPENAI_API_KEY")
        base_url = base_url or os.environ.get("OPENAI_BASE_URL")
        if model is not None:
            check_model_name(model, api_key=api_key, base_url=base_url)
        if not api_key and not base_url:
            raise ConfigurationError(
                "no API key: set OPENAI_API_KEY (or pass api_key=...), or point OPENAI_BASE_URL "
                "at an OpenAI-compatible server"
            )
        self._base_url = base_url
        #: the server, as errors and progress name it
        self.url = (base_url or OPENAI_URL).rstrip("/")
        self.timeout = timeout
        self._options: dict[str, Any] = {
            "api_key": api_key or "not-needed", "base_url": base_url, "timeout": timeout,
            "max_retries": 0,  # tenacity is the one transport retry layer (``_call``)
        }
        self._http_client = http_client
        self._client: openai.OpenAI | None = None
        self._async_client: openai.AsyncOpenAI | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self.max_attempts = max_attempts
        official = base_url is None or "api.openai.com" in base_url
        self.structured_output: StructuredOutput = structured_output or (
            "json_schema" if official else "json_object_schema")
        if model is None:
            model = self._served_model() if base_url else C.DEFAULT_OPENAI_MODEL
        self._model = model

    @property
    def name(self) -> str:
        return self._model

    def served_models(self) -> list[str]:
        """The ids of the models the server serves (``GET /models``), as it lists them.

        Example::

            OpenAIChatModel("any", base_url="http://127.0.0.1:8080/v1").served_models()   # ['smollm2']
        """
        page = self._call(lambda timeout: self._sync().models.list(timeout=timeout), "model listing", None)
        return [m.id for m in page.data]

    def _served_model(self) -> str:
        try:
            served = self.served_models()
        except ModelAPIError as exc:
            if exc.status_code in (404, 405, 501):  # the server has no model listing
                raise ModelChoiceError(self.url, []) from exc
            raise
        if len(served) == 1:
            return served[0]
        raise ModelChoiceError(self.url, served)

    def _call(self, send: Callable[[float], T], what: str, budget: float | None) -> T:
        """``send(timeout)`` with the transport retries, within ``budget`` seconds (None: no deadline)."""
        import openai
        call = _Call(self, what, budget)
        if budget is not None and budget <= 0:
            raise call.expired()
        try:
            for attempt in Retrying(**call.options()):
                with attempt:
                    timer = threading.Timer(C.MODEL_WAIT_NOTICE_SECONDS, call.notice)
                    timer.daemon = True
                    timer.start()
                    try:
                        return send(call.timeout())
                    finally:
                        timer.cancel()
        except openai.OpenAIError as exc:
            raise call.error(exc) from exc
        raise AssertionError("tenacity stops by raising")  # pragma: no cover

    async def _acall(self, send: Callable[[float], Awaitable[T]], what: str, budget: float | None) -> T:
        """The async twin of ``_call``."""
        import openai
        call = _Call(self, what, budget)
        if budget is not None and budget <= 0:
            raise call.expired()
        try:
            async for attempt in AsyncRetrying(**call.options()):
                with attempt:
                    handle = asyncio.get_running_loop().call_later(C.MODEL_WAIT_NOTICE_SECONDS, call.notice)
                    try:
                        return await send(call.timeout())
                    finally:
                        handle.cancel()
        except openai.OpenAIError as exc:
            raise call.error(exc) from exc
        raise AssertionError("tenacity stops by raising")  # pragma: no cover

    def _sync(self) -> openai.OpenAI:
        import openai
        if self._client is None:
            extra = {"http_client": self._http_client} if self._http_client is not None else {}
            self._client = openai.OpenAI(**self._options, **extra)
        return self._client

    def _async(self) -> openai.AsyncOpenAI:
        import openai
        # its connections belong to the event loop that opened them: one client per loop, so the
        # same model works across asyncio.run calls (draft_many run twice, to resume)
        loop = asyncio.get_running_loop()
        if self._async_client is None or self._async_loop is not loop:
            self._async_client = openai.AsyncOpenAI(**self._options)
            self._async_loop = loop
        return self._async_client

    async def aclose(self) -> None:
        """Close the async client's connections (``adraft_many`` does at its end); the next call opens more.

        Closing in the loop that opened them keeps the SDK from closing them later from another loop.
        """
        client, loop = self._async_client, self._async_loop
        self._async_client = self._async_loop = None
        if client is not None and loop is asyncio.get_running_loop():
            await client.close()

    def request_body(self, request: ChatRequest, *,
                     structured_output: StructuredOutput | None = None) -> dict[str, Any]:
        """The JSON body sent for ``request`` (also a Batch API line's ``body``).

        Example::

            body = OpenAIChatModel("gpt-4o-mini").request_body(request, structured_output="json_schema")
        """
        return self._arguments(request, structured_output)

    def result_from_body(self, body: Any) -> ChatResult:
        """The result in a ``chat.completion`` response body (e.g. from a Batch API results file)."""
        return self._result(body)

    def _arguments(self, request: ChatRequest, structured_output: StructuredOutput | None = None
                   ) -> dict[str, Any]:
        if (structured_output or self.structured_output) == "json_schema":
            response_format: dict[str, Any] = {"type": "json_schema", "json_schema": {
                "name": request.schema_name, "schema": strict_schema(request.schema), "strict": True}}
        else:
            response_format = {"type": "json_object", "schema": request.schema}
        arguments: dict[str, Any] = {
            "model": self._model, "messages": request.messages, "max_tokens": request.max_tokens,
            "temperature": request.temperature, "response_format": response_format,
        }
        if request.seed is not None:
            arguments["seed"] = request.seed
        return arguments

    def _result(self, body: Any) -> ChatResult:
        """The result in a ``chat.completion`` body, read as JSON: only the fields a draft needs are
        read and checked (the SDK's response model costs more CPU than the rest of a note)."""
        try:
            choice = body["choices"][0]
            content = choice["message"].get("content") or ""
            usage = body.get("usage") or {}
            prompt_tokens = usage.get("prompt_tokens", 0)
            completion_tokens = usage.get("completion_tokens", 0)
            model = body.get("model") or self._model
            finish_reason = choice.get("finish_reason") or "stop"
            counts = (prompt_tokens, completion_tokens)
            if not all(isinstance(v, str) for v in (content, finish_reason, model)) or not all(
                    isinstance(v, int) and not isinstance(v, bool) for v in counts):
                raise TypeError("a field of the wrong type")
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ModelAPIError(f"the response body is not a chat.completion: {exc!r} in "
                                f"{json.dumps(body, default=str)[:200]}", url=self.url) from None
        return ChatResult(content=content, finish_reason=finish_reason, prompt_tokens=prompt_tokens,
                          completion_tokens=completion_tokens, model=model, raw=body)

    def complete(self, request: ChatRequest) -> ChatResult:
        body = self._arguments(request)
        answer = self._call(lambda timeout: self._sync().post("/chat/completions", cast_to=object, body=body,
                                                              options={"timeout": timeout}),
                            "chat completion", request.timeout)
        return self._result(answer)

    async def acomplete(self, request: ChatRequest) -> ChatResult:
        body = self._arguments(request)

        async def send(timeout: float) -> Any:
            # the request as built here, sent as is: the SDK's transformation of typed parameters is
            # for callers that build them from its types, and costs about 1 ms of CPU per request
            return await self._async().post("/chat/completions", cast_to=object, body=body,
                                            options={"timeout": timeout})

        return self._result(await self._acall(send, "chat completion", request.timeout))
