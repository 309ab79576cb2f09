"""Which model to use: argument > environment > the embedded default.

- a ``ChatModel`` object is used as it is;
- ``"local"`` is the bundled SmolLM2-135M; ``"local:/path/model.gguf"`` or a ``.gguf`` path any GGUF file;
- any other string is a model name on OpenAI or on the server at ``OPENAI_BASE_URL``.

With no argument: ``$PERSONALNOTE_MODEL``; else ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL`` with
``$OPENAI_MODEL`` (else the one model the server at ``OPENAI_BASE_URL`` serves, else
``gpt-4o-mini`` on OpenAI); else the embedded model when installed; else a
``ConfigurationError`` that says how to configure one.

Names are checked as ``_model_names`` says.
"""

from __future__ import annotations

import os
from functools import lru_cache

from . import _constants as C
from ._chat import ChatModel
from ._errors import ConfigurationError
from ._model_names import LOCAL

__all__ = ["resolve_model"]


@lru_cache(maxsize=4)
def _local(path: str | None) -> ChatModel:
    from ._local import LocalChatModel

    return LocalChatModel(path)


def resolve_model(model: ChatModel | str | None = None) -> ChatModel:
    """The chat model to draft with (see the module docstring for the order)."""
    if model is not None and not isinstance(model, str):
        return model
    spec = model or os.environ.get(C.ENV_MODEL)
    if spec:
        if spec == LOCAL:
            return _local(None)
        if spec.startswith("local:"):
            return _local(spec.removeprefix("local:"))
        if spec.endswith(".gguf"):
            return _local(spec)
        from ._model import OpenAIChatModel

        return OpenAIChatModel(spec)
    if os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"):
        from ._model import OpenAIChatModel

        return OpenAIChatModel(os.environ.get("OPENAI_MODEL") or None)  # None: the server's one model
    from ._local import local_model_available

    if local_model_available():
        return _local(None)
    raise ConfigurationError(
        "no language model configured. Either install the embedded model: "
        "CMAKE_ARGS=\"-DGGML_NATIVE=OFF\" pip install 'personalnote[local]'; or set OPENAI_API_KEY "
        "(and optionally OPENAI_MODEL); or set OPENAI_BASE_URL to an OpenAI-compatible server; "
        "or pass model=... / --model"
    )
