"""Every code block in README.md and docs/*.md runs (or is doctested), or says why it cannot.

How a block runs is in tests/doc_blocks.py. Each page runs in a fresh working folder that holds
``fixtures`` (a link to the repository's), so the docs use the paths a reader in a clone uses. The
examples never pass ``model=``: like a reader's code, they draft with the configured model, which
here is an OpenAI-compatible stand-in on 127.0.0.1 (``OPENAI_BASE_URL``; support.NoteServer). No
other address can be reached while a page runs, and the embedded model cannot be loaded.
"""

from __future__ import annotations

import ast
import asyncio
import doctest
import inspect
import io
import os
import socket
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

import personalnote as pn
import personalnote._resolve
from personalnote.cli import main

from .doc_blocks import ROOT, Block, blocks, environment, pages
from .support import NoteServer

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
#: variables a reader may have set that would change what the examples do
CLEARED = ("OPENAI_MODEL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
           "http_proxy", "https_proxy", "all_proxy")


def _host(address: Any) -> str | None:
    return address[0] if isinstance(address, tuple) else None


@pytest.fixture
def docs_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NoteServer]:
    """A working folder with the fixtures, the stand-in model server, and no network but loopback."""
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    for name in [*CLEARED, *(n for n in os.environ if n.startswith("PERSONALNOTE_"))]:
        monkeypatch.delenv(name, raising=False)
    server = NoteServer()
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-secret")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the review store's default folder
    connect, getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if self.family != socket.AF_UNIX and _host(address) not in LOOPBACK:
            raise AssertionError(f"the docs' code tried to reach {address!r}: only the stand-in is allowed")
        connect(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in LOOPBACK:
            raise AssertionError(f"the docs' code tried to look up {host!r}: only the stand-in is allowed")
        return getaddrinfo(host, *args, **kwargs)

    def no_embedded_model(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the docs' code may not run the embedded model in the suite: "
                             "mark the block <!-- not-run: runs the embedded model -->")

    monkeypatch.setattr(pn.LocalChatModel, "__init__", no_embedded_model)
    monkeypatch.setattr(personalnote._resolve, "_local", no_embedded_model)  # nor one cached earlier
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield server
    server.close()


def _run_python(block: Block, namespace: dict[str, Any]) -> None:
    source = "\n" * block.line + block.text  # line numbers in a traceback are the page's
    code = compile(source, str(block.page), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    if code.co_flags & inspect.CO_COROUTINE:  # top-level await, as in a notebook
        asyncio.run(eval(code, namespace))
    else:
        exec(code, namespace)


def _run_pycon(block: Block, namespace: dict[str, Any]) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block.text, namespace, block.where, str(block.page), block.line)
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    result = runner.run(test, out=report.write, clear_globs=False)
    namespace.update(test.globs)  # a DocTest runs in a copy: keep what it defined for the next blocks
    assert not result.failed, f"{block.where}: a doctest failed\n{report.getvalue()}"


def _run_command(line: str, words: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    env, argv = environment(words)
    assert argv[:1] == ["personalnote"], (
        f"'{line}' is not a personalnote command: mark its block <!-- not-run: why -->")
    out = io.StringIO()
    with monkeypatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        with redirect_stdout(out), redirect_stderr(out):
            try:
                status = main(argv[1:])
            except SystemExit as exc:  # --help, --version, a usage error
                status = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    return status, out.getvalue()


def _run_shell(block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    commands = block.commands()
    assert commands, f"{block.where}: a shell block with no command"
    assert len(block.exits) in (0, len(commands)), f"{block.where}: one exit status per command"
    expected = block.exits or [0] * len(commands)
    outputs = block.outputs() if block.language == "console" else [None] * len(commands)
    checker = doctest.OutputChecker()
    for (line, words), status, want in zip(commands, expected, outputs, strict=True):
        got_status, got = _run_command(line, words, monkeypatch)
        assert got_status == status, f"{block.where}: '{line}' exited {got_status}, not {status}:\n{got}"
        if want is not None:
            got = "".join(text.rstrip() + "\n" for text in got.splitlines())
            want = "".join(text.rstrip() + "\n" for text in want.splitlines())
            if not checker.check_output(want, got, doctest.ELLIPSIS):
                example = doctest.Example(line, want)
                raise AssertionError(f"{block.where}: '{line}' printed something else:\n"
                                     + checker.output_difference(example, got, doctest.ELLIPSIS))


@pytest.mark.parametrize("page", pages(), ids=lambda page: str(page.relative_to(ROOT)))
def test_the_code_of_a_docs_page_runs(page: Path, docs_env: NoteServer,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    for block in blocks(page):
        assert block.language, f"{block.where}: a fence without a language (python, console, text...)"
        if not block.runs:
            continue
        if block.language == "python":
            _run_python(block, namespace)
        elif block.language == "pycon":
            _run_pycon(block, namespace)
        else:
            _run_shell(block, monkeypatch)


def test_blocks_that_do_not_run_say_why_and_are_few() -> None:
    run: list[Block] = []
    not_run: list[Block] = []
    for page in pages():
        for block in blocks(page):
            if block.language in {"python", "pycon", "bash", "console", "sh", "shell"}:
                (run if block.runs else not_run).append(block)
    assert all(block.not_run for block in not_run), [b.where for b in not_run if not b.not_run]
    assert all(block.language in {"bash", "console", "python", "pycon"} for block in run + not_run), (
        "shell blocks are 'bash' (commands) or 'console' (commands and output)")
    print(f"\ndocs code blocks: {len(run)} run, {len(not_run)} not run")
    for block in not_run:
        print(f"  not run: {block.where} ({block.language}): {block.not_run}")
    assert len(not_run) <= len(run) // 4, "most of the docs' code must run: keep not-run blocks few"
