"""Prompt templates: validated TOML files shipped in the package (``prompts/``).

A template has a name, a version, stable ``system`` instructions and a ``user`` part
with ``$variables`` for the customer's data. A missing variable is a ``PromptError``,
never an empty string.

A ``framed`` template also holds the library's own words: a sentence per moment kind that
states the moment's facts to the customer (``moment_sentences``, with ``$variables`` the
library fills from the moment's evidence) and the closing words of a composed note
(``closing_words``). The model then writes only the warm words that follow the sentence.

Example::

    template = load_prompt("note")
    messages = template.render({"moment_why_now": "...", ...})
    template.sha256   # recorded in every draft's provenance
"""

from __future__ import annotations

import hashlib
import json
import string
import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ._errors import PromptError

__all__ = ["PromptTemplate", "load_prompt", "shipped_prompts", "shipped_version"]


class PromptTemplate(BaseModel):
    """A versioned prompt: stable instructions first, the customer's data after."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9_\-]+$")
    version: str = Field(min_length=1)
    description: str = ""
    system: str = Field(min_length=1)
    user: str = Field(min_length=1)
    #: details the prompt's own example invents ("green scarf"): a note that repeats one the
    #: customer's facts don't mention copied the example, and the checks say so
    example_details: tuple[str, ...] = ()
    #: ``whole_body``: the model writes the body and its claims; ``framed``: the library writes the
    #: moment's sentence and the model the warm words around it
    mode: Literal["whole_body", "framed"] = "whole_body"
    #: per moment kind, the sentence that states the moment ($variables from its evidence)
    moment_sentences: dict[str, str] = Field(default_factory=dict)
    #: per moment kind (or ``default``), the closing words of a note the library composes alone
    closing_words: dict[str, str] = Field(default_factory=dict)
    #: candidates drafted at most, and the seconds to stop starting new ones after (the
    #: ``max_candidates`` and ``max_seconds`` options override them)
    candidates: int | None = Field(default=None, ge=1)
    seconds: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _framed_templates_have_their_words(self) -> PromptTemplate:
        if self.mode == "framed" and ("default" not in self.closing_words or not self.moment_sentences):
            raise ValueError("a framed prompt needs moment_sentences and closing_words.default")
        return self

    @model_validator(mode="after")
    def _example_details_are_in_the_prompt(self) -> PromptTemplate:
        text = f"{self.system}\n{self.user}".casefold()
        missing = [d for d in self.example_details if d.casefold() not in text]
        if missing:
            raise ValueError(f"example_details {missing} do not appear in the prompt's text")
        return self

    @property
    def sha256(self) -> str:
        """Hash of the exact template text (system and user parts, and the library's own words)."""
        text = f"{self.system}\x00{self.user}"
        if self.mode != "whole_body":
            words = json.dumps([self.mode, self.moment_sentences, self.closing_words, self.candidates,
                                self.seconds],
                               sort_keys=True, ensure_ascii=False)
            text += f"\x00{words}"
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def variables(self) -> set[str]:
        found: set[str] = set()
        for part in (self.system, self.user):
            for _, named, braced, _ in string.Template.pattern.findall(part):
                if named or braced:
                    found.add(named or braced)
        return found

    def render(self, variables: dict[str, str]) -> list[dict[str, str]]:
        """Chat messages with the variables filled in; a missing one is a ``PromptError``."""
        missing = sorted(self.variables - set(variables))
        if missing:
            raise PromptError(f"prompt {self.name!r} v{self.version} needs variable(s) {missing}")
        try:
            return [
                {"role": "system", "content": string.Template(self.system.strip()).substitute(variables)},
                {"role": "user", "content": string.Template(self.user.strip()).substitute(variables)},
            ]
        except (KeyError, ValueError) as exc:
            raise PromptError(f"prompt {self.name!r}: {exc}") from None


def _parse(text: str, origin: str) -> PromptTemplate:
    try:
        raw: dict[str, Any] = tomllib.loads(text)
        return PromptTemplate.model_validate(raw)
    except tomllib.TOMLDecodeError as exc:
        raise PromptError(f"{origin}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        raise PromptError(f"{origin}: invalid prompt template: {exc}") from None


@lru_cache(maxsize=1)
def _shipped_files() -> tuple[str, ...]:
    """The shipped prompt files' names (``note``, ``note@4``): read once, they ship with the package."""
    folder = resources.files("personalnote") / "prompts"
    return tuple(sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")))


def shipped_prompts() -> list[str]:
    """Every prompt shipped with the package, as ``name@version`` (``note@3``, ``note@4``, ...)."""
    return sorted(f"{t.name}@{t.version}" for t in (load_prompt(f) for f in _shipped_files()))


@lru_cache(maxsize=32)
def _shipped(file: str) -> PromptTemplate:
    resource = resources.files("personalnote") / "prompts" / f"{file}.toml"
    template = _parse(resource.read_text(encoding="utf-8"), f"prompts/{file}.toml")
    name, at, version = file.partition("@")
    if template.name != name or (at and template.version != version):
        raise PromptError(f"prompts/{file}.toml holds prompt {template.name!r} version {template.version!r}: "
                          f"a shipped file is named after its prompt (name.toml, or name@version.toml)")
    return template


@lru_cache(maxsize=32)
def load_prompt(name_or_path: str = "note") -> PromptTemplate:
    """A template shipped in the package by name (its current version) or ``name@version``, or a
    ``.toml`` file by path.

    ``prompts/note.toml`` is the current version of ``note``; other versions ship as
    ``prompts/note@4.toml``, so ``load_prompt("note@3")`` and ``load_prompt("note@4")`` each give
    exactly that version (a ``PromptError`` lists the shipped ones when there is none).

    Example::

        load_prompt("note").version        # '3'
        load_prompt("note@4").version      # '4'
    """
    if name_or_path.endswith(".toml"):
        path = Path(name_or_path)
        try:
            return _parse(path.read_text(encoding="utf-8"), str(path))
        except OSError as exc:
            raise PromptError(f"cannot read prompt file {path}: {exc.strerror or exc}") from None
    name, at, version = name_or_path.partition("@")
    found = shipped_version(name, version) if at else _shipped(name) if name in _shipped_files() else None
    if found is None:
        raise PromptError(f"no prompt named {name_or_path!r}; shipped prompts: {shipped_prompts()}")
    return found


def shipped_version(name: str, version: str) -> PromptTemplate | None:
    """The shipped prompt ``name`` at ``version``, or None (cheap: no error is built for a version that
    was never shipped, as a re-check of an old draft may ask)."""
    files = _shipped_files()
    if f"{name}@{version}" in files:
        return _shipped(f"{name}@{version}")
    if name in files and _shipped(name).version == version:
        return _shipped(name)
    return None
