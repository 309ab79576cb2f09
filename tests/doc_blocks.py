"""The code blocks of the docs (README.md and docs/*.md), as tests/test_docs_code.py reads them.

A block is a fenced block; its language (the fence's first word) says what it is:

- ``python``: code, run in order with the page's other blocks, in one namespace per page;
- ``pycon``: a doctest (``>>>`` lines and what they print) in that same namespace;
- ``bash``: ``personalnote ...`` commands, one a line (``#`` comments allowed), each run in-process
  through ``personalnote.cli.main``;
- ``console``: ``$ personalnote ...`` lines, each followed by what it prints (stdout and stderr, as a
  terminal shows them; ``...`` matches anything, as in doctests);
- anything else (``text``, ``toml``, ``json``, ...) is shown, not run. A fence without a language is
  refused, so nothing that looks like code escapes the test by accident.

HTML comments right before a fence (blank lines between are allowed) change how it runs:
``<!-- not-run: why -->`` (the block is shown and counted, not run; say why) and ``<!-- exit: 1 0 -->``
(the exit status of each command of a shell block, in order; 0 when not given).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN = {"python", "pycon", "bash", "console"}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_MARKER = re.compile(r"^\s*<!--\s*(?P<name>not-run|exit)\s*:\s*(?P<value>.*?)\s*-->\s*$")
_ENV = re.compile(r"^[A-Z_][A-Z0-9_]*=")


@dataclass
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    language: str
    text: str
    not_run: str | None = None
    exits: list[int] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def runs(self) -> bool:
        return self.language in RUN and self.not_run is None

    def commands(self) -> list[tuple[str, list[str]]]:
        """A shell block's commands: (the line as written, its words), with a command's output lines
        (``console``) left out; continuation lines (ending in a backslash) joined."""
        lines = self.text.splitlines()
        if self.language == "console":
            lines = [line[2:] for line in lines if line.startswith("$ ")]
        joined: list[str] = []
        for line in lines:
            if joined and joined[-1].endswith("\\"):
                joined[-1] = joined[-1][:-1] + " " + line.strip()
            else:
                joined.append(line)
        found = []
        for line in joined:
            words = shlex.split(line, comments=True)
            if words:
                found.append((line, words))
        return found

    def outputs(self) -> list[str]:
        """What each ``$`` command of a console block prints, in order."""
        outputs: list[str] = []
        for line in self.text.splitlines():
            if line.startswith("$ "):
                outputs.append("")
            elif outputs:
                outputs[-1] += line + "\n"
        return outputs


def pages() -> list[Path]:
    """README.md and every page of the docs site, in a stable order."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of a page, with the markers written right before each."""
    found: list[Block] = []
    markers: dict[str, str] = {}
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        marker = _MARKER.match(line)
        fence = _FENCE.match(line)
        if marker:
            if marker["name"] in markers:
                raise ValueError(f"{page}:{i + 1}: two '{marker['name']}' markers for one block")
            markers[marker["name"]] = marker["value"]
        elif fence:
            indent, mark = fence["indent"], fence["fence"]
            language = (fence["info"].split() or [""])[0]
            end = i + 1
            while end < len(lines) and not re.fullmatch(rf"[ \t]*{re.escape(mark[0])}{{{len(mark)},}}\s*",
                                                         lines[end]):
                end += 1
            if end == len(lines):
                raise ValueError(f"{page}:{i + 1}: a fence that is never closed")
            body = [text[len(indent):] if text.startswith(indent) else text.lstrip()
                    for text in lines[i + 1:end]]
            exits = [int(word) for word in markers.get("exit", "").split()]
            found.append(Block(page, i + 1, language, "\n".join(body) + "\n", markers.get("not-run"), exits))
            markers = {}
            i = end
        elif line.strip() and markers:
            raise ValueError(f"{page}:{i + 1}: a marker {sorted(markers)} that is not right before a fence")
        i += 1
    if markers:
        raise ValueError(f"{page}: a marker {sorted(markers)} at the end of the page, before no fence")
    return found


def environment(words: list[str]) -> tuple[dict[str, str], list[str]]:
    """``NAME=value`` words before a command: the environment they set, and the command."""
    env: dict[str, str] = {}
    while words and _ENV.match(words[0]):
        name, value = words[0].split("=", 1)
        env[name] = value
        words = words[1:]
    return env, words
