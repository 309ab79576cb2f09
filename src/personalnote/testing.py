"""Test helpers for applications that use personalnote: a scripted fake model, and valid answers.

Example::

    from personalnote.testing import FakeChatModel, answer_for
    fake = FakeChatModel([lambda request: answer_for(request, "Thank you for flying with us to JFK.")])
    draft = personalnote.draft_note(history, as_of=as_of, model=fake)
    fake.requests[0].messages   # what the library sent
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ._chat import ChatRequest, ChatResult
from ._errors import ArgumentError

__all__ = ["FakeChatModel", "allowed_fact_ids", "answer_for"]

Reply = str | dict[str, Any] | ChatResult | BaseException | Callable[[ChatRequest], str | dict[str, Any]]


def allowed_fact_ids(request: ChatRequest) -> list[str]:
    """The fact ids an answer to ``request`` may cite, as the prompt lists them: the moment's evidence
    first (empty for a framed note, whose facts the library's own sentence carries)."""
    properties = request.schema.get("properties", {})
    if "claims" not in properties:
        return []
    return list(properties["claims"]["items"]["properties"]["fact_ids"]["items"]["enum"])


def answer_for(request: ChatRequest, text: str, *, cite: str | Sequence[str] | None = None,
               claim: str | None = None) -> dict[str, Any]:
    """A valid answer to ``request``, as a model would give it, for ``FakeChatModel`` to reply with.

    A whole-body note: ``{"body": text, "claims": [{"text": claim or text, "fact_ids": cite}]}``,
    citing ``cite`` (one id or several; by default the first fact of the moment's evidence). A
    framed note (the library states the moment): ``{"words": text}``, which must match the
    schema's pattern. An id the request does not allow is an ``ArgumentError`` listing the allowed
    ones, so a test fails where it is written, not in a re-ask.

    Example::

        fake = FakeChatModel([lambda request: answer_for(request, "Congratulations on 2 million miles.",
                                                         cite="derived:milestone:L-5502")])
    """
    properties = request.schema.get("properties", {})
    if "words" in properties:
        if cite is not None:
            raise ArgumentError("cite", cite, "a framed note cites nothing: the library's sentence carries "
                                "the facts", caller="answer_for")
        pattern = properties["words"].get("pattern")
        if pattern and not re.fullmatch(pattern, text):
            raise ArgumentError("text", text, f"a framed note's words must match {pattern}",
                                caller="answer_for")
        return {"words": text}
    allowed = allowed_fact_ids(request)
    most = properties["claims"]["items"]["properties"]["fact_ids"].get("maxItems", len(allowed))
    ids = [cite] if isinstance(cite, str) else list(cite) if cite is not None else allowed[:1]
    if not 1 <= len(ids) <= most or any(i not in allowed for i in ids):
        raise ArgumentError("cite", cite, f"cite 1 to {most} of the ids the request allows: {allowed}",
                            caller="answer_for")
    return {"body": text, "claims": [{"text": claim or text, "fact_ids": ids}]}


class FakeChatModel:
    """Answers with scripted replies, in order; records every request it receives.

    A reply is a string (the content), a dict (dumped as JSON), a ``ChatResult``, an
    exception (raised), or a function of the request returning a string or a dict
    (``answer_for`` builds a valid one). Token counts are word counts.
    """

    def __init__(self, replies: Iterable[Reply], *, name: str = "fake-model",
                 finish_reason: str = "stop") -> None:
        self._replies = list(replies)
        self._name = name
        self.finish_reason = finish_reason
        self.requests: list[ChatRequest] = []

    @property
    def name(self) -> str:
        return self._name

    def complete(self, request: ChatRequest) -> ChatResult:
        self.requests.append(request)
        if not self._replies:
            raise AssertionError("FakeChatModel has no scripted reply left")
        reply = self._replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, ChatResult):
            return reply
        if callable(reply):
            reply = reply(request)
        content = reply if isinstance(reply, str) else json.dumps(reply)
        prompt = sum(len(m["content"].split()) for m in request.messages)
        return ChatResult(content=content, finish_reason=self.finish_reason, prompt_tokens=prompt,
                          completion_tokens=len(content.split()), model=self._name)

    async def acomplete(self, request: ChatRequest) -> ChatResult:
        return self.complete(request)
