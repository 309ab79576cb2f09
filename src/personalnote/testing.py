"""Test helpers for applications that use personalnote: a scripted fake model.

Example::

    from personalnote.testing import FakeChatModel
    fake = FakeChatModel(['{"body": "Thank you for flying with us.", '
                          '"claims": [{"text": "flight", "fact_ids": ["T-8002"]}]}'])
    draft = personalnote.draft_note(history, as_of=as_of, model=fake)
    fake.requests[0].messages   # what the library sent
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from ._chat import ChatRequest, ChatResult

__all__ = ["FakeChatModel"]

Reply = str | dict[str, Any] | ChatResult | BaseException | Callable[[ChatRequest], str]


class FakeChatModel:
    """Answers with scripted replies, in order; records every request it receives.

    A reply is a string (the content), a dict (dumped as JSON), a ``ChatResult``, an
    exception (raised), or a function of the request. Token counts are word counts.
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
