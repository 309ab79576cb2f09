"""The chat-model contract every backend meets: a request in, a result with usage out.

Backends: ``OpenAIChatModel`` (OpenAI and OpenAI-compatible servers, in ``_model``),
``LocalChatModel`` (the embedded GGUF model, in ``_local``) and ``FakeChatModel``
(scripted replies for tests, in ``personalnote.testing``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from . import _constants as C

__all__ = ["ChatModel", "ChatRequest", "ChatResult"]


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion: messages, the JSON schema the answer must follow, limits.

    ``timeout`` is what is left of the note's deadline (seconds): a model that can bound its
    wait (``OpenAIChatModel``) spends no longer than that on the call, transport retries
    included. None: the model's own limits.
    """

    messages: list[dict[str, str]]
    schema: dict[str, Any]
    schema_name: str = "note"
    max_tokens: int = C.MAX_COMPLETION_TOKENS
    temperature: float = 0.0
    seed: int | None = 0
    timeout: float | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ChatResult:
    """The model's answer and what it cost in tokens."""

    content: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    model: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@runtime_checkable
class ChatModel(Protocol):
    """What drafting needs of a model. ``name`` goes into every draft's provenance."""

    @property
    def name(self) -> str: ...

    def complete(self, request: ChatRequest) -> ChatResult: ...

    async def acomplete(self, request: ChatRequest) -> ChatResult: ...
