"""Reading input files strictly: regular UTF-8 files, and JSON that means one thing only.

Python's ``json`` module accepts a duplicate key (the last one silently wins), and it
raises raw ``ValueError`` or ``RecursionError`` on an integer of more than 4,300 digits
or on very deep nesting. ``parse_json`` refuses each of them with an ``InputFileError``
naming the file (and the line, for JSONL). ``NaN``, ``Infinity`` and ``1e309`` parse as
non-finite floats, which every number field of the records refuses, naming the field.

Example::

    text = read_text(Path("customers.json"))
    document = parse_json(text, "customers.json")
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from ._errors import InputFileError

__all__ = ["MAX_INT_DIGITS", "check_regular_file", "jsonl_lines", "parse_json", "read_text"]

#: longer integers are refused before Python's own limit (4,300 digits) raises ValueError
MAX_INT_DIGITS = 100


class _Refused(Exception):
    """A JSON value the reader refuses; turned into an ``InputFileError`` by ``parse_json``."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) == len(pairs):  # no key twice: the usual case, without a Python loop per key
        return out
    out = {}
    for key, value in pairs:
        if key in out:
            owner = out.get("id")
            where = f" in the object with id {owner!r}" if isinstance(owner, str) else ""
            raise _Refused(f"duplicate key {key[:80]!r}{where}; each key may appear once in an object")
        out[key] = value
    return out


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"an integer of {len(text.lstrip('-'))} digits is too large "
                       f"(at most {MAX_INT_DIGITS} digits)")
    return int(text)


def parse_json(text: str, path: str | Path | None, *, line: int | None = None) -> Any:
    """``text`` parsed as strict JSON; an ``InputFileError`` naming ``path`` (and ``line``) if not."""
    try:
        return json.loads(text, object_pairs_hook=_object, parse_int=_int)
    except json.JSONDecodeError as exc:
        raise InputFileError(path, f"invalid JSON: {exc.msg}",
                             line=line if line is not None else exc.lineno) from None
    except _Refused as exc:
        raise InputFileError(path, str(exc), line=line) from None
    except RecursionError:
        raise InputFileError(path, "the JSON is nested too deeply", line=line) from None


def jsonl_lines(text: str) -> list[tuple[int, str]]:
    """The non-blank lines of a JSONL text with their numbers, split on ``\\n`` only.

    JSON strings may hold U+2028, U+0085 and other characters that ``str.splitlines``
    would break a line at; JSONL separates records with ``\\n`` alone.
    """
    return [(n, line) for n, line in enumerate(text.split("\n"), start=1) if line.strip()]


def check_regular_file(path: Path) -> None:
    """An ``InputFileError`` naming ``path`` unless it is a regular file.

    A FIFO, a device or a directory is refused before it is opened (reading one could
    block forever or read without end).
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputFileError(path, "no such file") from None
    except (OSError, ValueError) as exc:
        raise InputFileError(path, getattr(exc, "strerror", None) or str(exc)) from None
    if stat.S_ISDIR(mode):
        raise InputFileError(path, "is a folder, not a file")
    if not stat.S_ISREG(mode):
        raise InputFileError(path, "not a regular file (a FIFO, socket or device); give a file")


def read_text(path: Path) -> str:
    """A regular UTF-8 text file's contents; anything else is an ``InputFileError`` naming it."""
    check_regular_file(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(path, "no such file") from None
    except UnicodeDecodeError as exc:
        raise InputFileError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InputFileError(path, exc.strerror or str(exc)) from None
