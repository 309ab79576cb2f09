"""OpenAI and OpenAI-compatible servers: the only module that imports ``openai``.

One retry layer for transport failures: tenacity around the SDK with the SDK's own
retries set to 0. Retried: connection errors, timeouts, 408/409/429/5xx (``Retry-After``
honoured); never ``insufficient_quota`` or other 4xx. A timeout is always set.

Structured output, one strategy per backend, chosen here: OpenAI itself takes
``json_schema`` with ``strict``; llama-cpp-python's server and most compatible servers
take ``{"type": "json_object", "schema": ...}``.

Example::

    model = OpenAIChatModel("gpt-4o-mini")                      # OPENAI_API_KEY from the environment
    local = OpenAIChatModel("smollm2", base_url="http://127.0.0.1:8000/v1", api_key="none")
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
)

from . import _constants as C
from ._chat import ChatRequest, ChatResult
from ._errors import ConfigurationError, ModelAPIError

if TYPE_CHECKING:
    import openai

__all__ = ["OpenAIChatModel", "StructuredOutput"]

StructuredOutput = Literal["json_schema", "json_object_schema"]
_RETRYABLE_STATUS = {408, 409, 429}


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


def _api_error(exc: BaseException) -> ModelAPIError:
    status = getattr(exc, "status_code", None)
    return ModelAPIError(f"model server error: {exc}", status_code=status, retryable=is_retryable(exc))


class OpenAIChatModel:
    """A chat model behind the OpenAI API or any OpenAI-compatible server, sync and async.

    ``api_key`` and ``base_url`` default to ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL``.
    """

    def __init__(
        self,
        model: str,
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
        if not api_key and not base_url:
            raise ConfigurationError(
                "no API key: set OPENAI_API_KEY (or pass api_key=...), or point OPENAI_BASE_URL "
                "at an OpenAI-compatible server"
            )
        self._model = model
        self._base_url = base_url
        self._options: dict[str, Any] = {
            "api_key": api_key or "not-needed", "base_url": base_url, "timeout": timeout,
            "max_retries": 0,  # tenacity is the one transport retry layer
        }
        self._http_client = http_client
        self._client: openai.OpenAI | None = None
        self._async_client: openai.AsyncOpenAI | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self.max_attempts = max_attempts
        official = base_url is None or "api.openai.com" in base_url
        self.structured_output: StructuredOutput = structured_output or (
            "json_schema" if official else "json_object_schema")

    @property
    def name(self) -> str:
        return self._model

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
        import openai
        try:
            completion = openai.types.chat.ChatCompletion.model_validate(body)
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            raise ModelAPIError(f"the response body is not a chat.completion: {exc}") from None
        return self._result(completion)

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

    def _result(self, completion: Any) -> ChatResult:
        choice = completion.choices[0]
        usage = completion.usage
        return ChatResult(
            content=choice.message.content or "",
            finish_reason=choice.finish_reason or "stop",
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            model=completion.model or self._model,
            raw=completion.model_dump(mode="json"),
        )

    def _retrying_options(self) -> dict[str, Any]:
        return {
            "stop": stop_after_attempt(self.max_attempts),
            "wait": make_wait(C.TRANSPORT_BACKOFF_SECONDS, C.TRANSPORT_MAX_WAIT_SECONDS),
            "retry": retry_if_exception(is_retryable),
            "reraise": True,
        }

    def complete(self, request: ChatRequest) -> ChatResult:
        import openai
        arguments = self._arguments(request)
        try:
            for attempt in Retrying(**self._retrying_options()):
                with attempt:
                    completion = self._sync().chat.completions.create(**arguments)
        except openai.OpenAIError as exc:
            raise _api_error(exc) from exc
        return self._result(completion)

    async def acomplete(self, request: ChatRequest) -> ChatResult:
        import openai
        arguments = self._arguments(request)
        try:
            async for attempt in AsyncRetrying(**self._retrying_options()):
                with attempt:
                    completion = await self._async().chat.completions.create(**arguments)
        except openai.OpenAIError as exc:
            raise _api_error(exc) from exc
        return self._result(completion)
