"""What reviewers change: per prompt version, the phrases they delete most and add most.

For every note approved after an edit, the model's text and the approved text are split into words
(lower case) and compared with difflib; each run of words deleted (or replaced) and each run added
gives its phrases of 1 to 4 words. A phrase counts once per note, so one long letter does not
outweigh many notes. A phrase of function words alone ("and", "of the": ``FUNCTION_WORDS``) says
nothing and is left out, and so is a phrase held by a longer one changed in as many notes ("valued"
under "our valued customer"), so the list names what was really cut or written.

Example::

    for summary in edit_summary(store):
        print(summary.prompt, summary.prompt_version, summary.deleted[:3], summary.added[:3])
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from . import _constants as C
from ._store import Store

__all__ = ["EditSummary", "changed_phrases", "edit_summary", "phrase_counts", "words"]

#: the longest phrase counted, in words
MAX_PHRASE_WORDS = 4
_WORD = re.compile(r"\d[\d:.,]*\d\w*|[\w'’]+")


def words(text: str) -> list[str]:
    """The words of ``text``, lower case (punctuation dropped)."""
    return [w.casefold().replace("’", "'") for w in _WORD.findall(text)]


def _phrases(run: Sequence[str]) -> set[tuple[str, ...]]:
    return {tuple(run[i:i + n]) for n in range(1, MAX_PHRASE_WORDS + 1) for i in range(len(run) - n + 1)}


def _telling(phrase: tuple[str, ...]) -> bool:
    """A phrase with a word that says something: not "and", "of the" (``FUNCTION_WORDS``)."""
    return any(word not in C.FUNCTION_WORDS for word in phrase)


def changed_phrases(before: str, after: str) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
    """The phrases (1 to 4 words) deleted from ``before`` and added in ``after``."""
    a, b = words(before), words(after)
    deleted: set[tuple[str, ...]] = set()
    added: set[tuple[str, ...]] = set()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("delete", "replace"):
            deleted |= _phrases(a[i1:i2])
        if tag in ("insert", "replace"):
            added |= _phrases(b[j1:j2])
    return deleted, added


def phrase_counts(changes: Iterable[set[tuple[str, ...]]], top: int) -> tuple[tuple[str, int], ...]:
    """The ``top`` phrases by the number of notes they were changed in (then the longer, then A-Z).

    A phrase held by a longer one changed in as many notes is left out; 4-word phrases changed in the
    same notes that follow one another ("the whole crew is", "whole crew is proud") are joined into
    the run they come from.
    """
    notes: dict[tuple[str, ...], set[int]] = defaultdict(set)
    for number, phrases in enumerate(changes):
        for phrase in phrases:
            notes[phrase].add(number)
    covered = {inner for q, seen in notes.items() for inner in _phrases(q)
               if len(inner) < len(q) and inner in notes and len(seen) >= len(notes[inner])}
    kept = {p for p in notes if p not in covered}
    longest = sorted(p for p in kept if len(p) == MAX_PHRASE_WORDS)
    following = {p: [q for q in longest if q[:-1] == p[1:] and notes[q] == notes[p]] for p in longest}
    followed = {q for qs in following.values() if len(qs) == 1 for q in qs}
    for head in [p for p in longest if p not in followed]:
        run, phrase = list(head), head
        while len(following[phrase]) == 1 and following[phrase][0] in kept and len(run) < 40:
            kept.discard(phrase := following[phrase][0])
            run.append(phrase[-1])
        if len(run) > len(head):
            kept.discard(head)
            kept.add(tuple(run))
            notes[tuple(run)] = notes[head]
    ranked = sorted(filter(_telling, kept), key=lambda p: (-len(notes[p]), -len(p), p))
    return tuple((" ".join(p), len(notes[p])) for p in ranked[:top])


@dataclass(frozen=True)
class EditSummary:
    """The reviewers' edits to one prompt version's drafts: the phrases deleted and added most, each
    with the number of approved notes it was changed in (``edited`` notes compared in all)."""

    prompt: str
    prompt_version: str
    edited: int
    deleted: tuple[tuple[str, int], ...]
    added: tuple[tuple[str, int], ...]

    def to_json_dict(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "prompt_version": self.prompt_version, "edited": self.edited,
                "deleted": [{"phrase": p, "notes": n} for p, n in self.deleted],
                "added": [{"phrase": p, "notes": n} for p, n in self.added]}


def edit_summary(store: Store, top: int = 10) -> list[EditSummary]:
    """Per prompt name and version (in order), what reviewers deleted and added in the notes they
    approved after an edit (model text to approved text)."""
    groups: dict[tuple[str, str], list[tuple[set[tuple[str, ...]], set[tuple[str, ...]]]]] = defaultdict(list)
    for row in store.query("SELECT prompt, prompt_version, model_text, text FROM drafts "
                           "WHERE state IN ('approved', 'exported') ORDER BY id"):
        if row["text"] != row["model_text"]:
            change = changed_phrases(row["model_text"], row["text"])
            groups[(row["prompt"], row["prompt_version"])].append(change)
    return [EditSummary(prompt=prompt, prompt_version=version, edited=len(changes),
                        deleted=phrase_counts((d for d, _ in changes), top),
                        added=phrase_counts((a for _, a in changes), top))
            for (prompt, version), changes in sorted(groups.items())]
