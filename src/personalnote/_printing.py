"""What a printed note shows: the page size, the note laid out for signing, the HTML card, the manifest.

Only notes whose channel is ``card`` or ``letter`` are printed. A printed note shows the approved
text and nothing internal (no draft id, customer id, hash, reviewer, time or override reason):
those go into the **manifest**, a CSV beside the print file that maps each page, in order, to
its draft, version, text SHA-256 and approval.

**The signing rule.** A line to sign on is drawn, never typed: when the text ends with the
draft's own signature block (``signature_block(draft.signers, channel)``), that block is laid out
from the draft's signers, one drawn line per signer with the signer's printed name and role
under it. Elsewhere in the text (a reviewer rewrote the sign-off) a line made only of
underscores is drawn as a line to sign on, and the line after it goes under it. So the words a
page shows are exactly the approved text's words without its lines of underscores (and, on a
letter, with the date line first): ``printed_words(note) == approved_words(text)``.

Example::

    size = PageSize.parse("5x7")                 # PageSize('5x7', 127.0, 177.8)
    note = printed_note(queued)                  # PrintedNote: blocks to print, places to sign
    card_html([note], size, PageSize.parse("A4", letter=True))
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from . import _constants as C
from ._compose import signature_block
from ._context import MONTHS
from ._errors import ArgumentError
from ._queue_types import QueuedDraft

__all__ = ["PageSize", "PrintBlock", "PrintedNote", "approved_words", "card_html", "manifest_path",
           "printable", "printed_note", "printed_words"]

Layout = Literal["card", "letter"]

#: a line made only of underscores (three or more): a place to sign, drawn rather than typed
_RULE = re.compile(r"[ \t]*_{3,}[ \t]*")
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*[x×]\s*(\d+(?:\.\d+)?)\s*(mm|cm|in)?\s*", re.IGNORECASE)
_MM_PER = {"mm": 1.0, "cm": 10.0, "in": 25.4}
_POINTS_PER_MM = 72 / 25.4


@dataclass(frozen=True)
class PageSize:
    """A page: a name and its width and height in millimetres (portrait).

    Example::

        PageSize.parse("A6").points        # (297.6, 419.5): 105 x 148 mm
        PageSize.parse("120x170mm")        # any size, in mm, cm or inches ("5x7in")
    """

    name: str
    width_mm: float
    height_mm: float

    @property
    def points(self) -> tuple[float, float]:
        """Width and height in PDF points (1/72 inch)."""
        return self.width_mm * _POINTS_PER_MM, self.height_mm * _POINTS_PER_MM

    @property
    def label(self) -> str:
        """'A6 (105 x 148 mm)'."""
        return f"{self.name} ({self.width_mm:g} x {self.height_mm:g} mm)"

    @classmethod
    def parse(cls, value: str | PageSize, *, letter: bool = False, argument: str = "card_size") -> PageSize:
        """A named size (cards: A6, A5, 5x7, 4x6; letters: A4, letter), or ``WxH`` with a unit
        (``105x148mm``, ``12x17cm``, ``5x7in``); any other value is an ``ArgumentError``."""
        if isinstance(value, PageSize):
            return value
        named = C.LETTER_SIZES if letter else C.CARD_SIZES
        text = str(value).strip()
        for name, (width, height) in named.items():
            if text.lower() == name.lower():
                return cls(name, width, height)
        accepted = (f"a named size ({', '.join(named)}) or WIDTHxHEIGHT with a unit, e.g. 105x148mm, "
                    f"12x17cm, 5x7in, each side {C.PAGE_SIDE_MM[0]:g} to {C.PAGE_SIDE_MM[1]:g} mm")
        match = _SIZE.fullmatch(text)
        if match is None or match.group(3) is None:
            raise ArgumentError(argument, value, accepted)
        factor = _MM_PER[match.group(3).lower()]
        width, height = float(match.group(1)) * factor, float(match.group(2)) * factor
        low, high = C.PAGE_SIDE_MM
        if not (low <= width <= high and low <= height <= high):
            raise ArgumentError(argument, value, accepted)
        return cls(text, round(width, 2), round(height, 2))


@dataclass(frozen=True)
class PrintBlock:
    """A paragraph of the note (its lines), or, with ``sign``, a line to sign on with the lines
    under it (the signer's printed name and role)."""

    lines: tuple[str, ...]
    sign: bool = False


@dataclass(frozen=True)
class PrintedNote:
    """One printed page: the layout, a letter's date line, the blocks of the approved text."""

    draft_id: int
    layout: Layout
    blocks: tuple[PrintBlock, ...]
    date_line: str | None = None

    @property
    def body(self) -> tuple[PrintBlock, ...]:
        """The blocks above the signing area (everything before the trailing places to sign)."""
        return self.blocks[:len(self.blocks) - len(self.signing)]

    @property
    def signing(self) -> tuple[PrintBlock, ...]:
        """The places to sign at the end of the note, laid out together at its foot."""
        count = 0
        for block in reversed(self.blocks):
            if not block.sign:
                break
            count += 1
        return self.blocks[len(self.blocks) - count:]

    @property
    def text(self) -> str:
        """What the page shows, as text: the date line, then each block's lines."""
        parts = [self.date_line] if self.date_line else []
        return "\n\n".join([*parts, *("\n".join(b.lines) for b in self.blocks if b.lines)])


def printable(items: Sequence[QueuedDraft]) -> tuple[list[QueuedDraft], list[tuple[int, str]]]:
    """The notes to print (channel card or letter) and, for each other one, its id and why not."""
    kept, skipped = [], []
    for queued in items:
        channel = queued.draft.channel
        if channel in C.PRINTED_CHANNELS:
            kept.append(queued)
        else:
            skipped.append((queued.id, f"its channel is {channel}: only card and letter notes are printed "
                                       "(export it as jsonl or csv)"))
    return kept, skipped


def _blocks(text: str) -> list[PrintBlock]:
    """Paragraphs (split at blank lines); a line of underscores and the line after it are a place to sign."""
    blocks: list[PrintBlock] = []
    for paragraph in re.split(r"\n[ \t]*\n", text.strip("\n")):
        lines: list[str] = []
        signing = False
        for line in paragraph.split("\n"):
            if _RULE.fullmatch(line):
                if lines:
                    blocks.append(PrintBlock(tuple(lines)))
                    lines = []
                if signing:
                    blocks.append(PrintBlock((), sign=True))
                signing = True
            elif signing:
                blocks.append(PrintBlock((line,), sign=True))
                signing = False
            elif line.strip():
                lines.append(line)
        if signing:
            blocks.append(PrintBlock((), sign=True))
        if lines:
            blocks.append(PrintBlock(tuple(lines)))
    return blocks


def _letter_date(queued: QueuedDraft) -> str:
    """The day a letter is dated: the day it is for when drafted ahead, else the day it was approved
    (in the customer's time zone): '21 November 2026'."""
    day = queued.draft.for_date
    if day is None:
        approval = queued.approval
        signed = datetime.fromisoformat(approval.signed_at) if approval is not None else queued.draft.as_of
        day = signed.astimezone(ZoneInfo(queued.time_zone)).date()
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def printed_note(queued: QueuedDraft) -> PrintedNote:
    """The page for one approved card or letter (see the signing rule in the module docstring)."""
    draft = queued.draft
    layout: Layout = "letter" if draft.channel == "letter" else "card"
    text = queued.text
    block = signature_block(list(draft.signers), draft.channel)
    tail: list[PrintBlock] = []
    if draft.signers and text.endswith(block):
        text = text[:len(text) - len(block)]
        tail = [PrintBlock((s.label,), sign=True) for s in draft.signers]
    return PrintedNote(draft_id=queued.id, layout=layout, blocks=(*_blocks(text), *tail),
                       date_line=_letter_date(queued) if layout == "letter" else None)


def approved_words(text: str) -> list[str]:
    """The words an approved text prints as: its words, less its lines made only of underscores."""
    return " ".join(line for line in text.split("\n") if not _RULE.fullmatch(line)).split()


def printed_words(note: PrintedNote) -> list[str]:
    """The words a printed page shows (the letter's date line aside)."""
    return " ".join(" ".join(b.lines) for b in note.blocks).split()


def manifest_path(out: Path) -> Path:
    """The manifest beside a print file: ``cards.pdf`` -> ``cards.manifest.csv``; any other name keeps
    its suffix (``cards.html`` -> ``cards.html.manifest.csv``), so a PDF and an HTML export of the same
    name never overwrite each other's manifest."""
    if out.suffix.lower() == ".pdf":
        return out.with_name(f"{out.stem}.manifest.csv")
    return out.with_name(f"{out.name}.manifest.csv")


# --- the HTML card (export format "card") ---------------------------------------------------------

_CARD_STYLE = """*{box-sizing:border-box}
body{margin:0;background:#eee;font-family:'DejaVu Serif',Georgia,serif}
.page{display:flex;flex-direction:column;margin:1em auto;background:#fff;box-shadow:0 1px 4px #999;
 break-after:page;overflow:hidden}
.card .note{font-size:11.5pt;line-height:1.35}
.letter .note{font-size:11pt;line-height:1.4}
.note p{margin:0 0 .6em}
.date{text-align:right;margin-bottom:2.5em}
.signing{margin-top:auto;display:flex;flex-wrap:wrap;gap:0 8%}
.letter .signing{margin-top:0;display:block}
.sign{flex:1 1 46%;padding-top:11mm;font-size:7.5pt;color:#333}
.letter .sign{width:60mm}
.sign .line{border-bottom:.6pt solid #222;margin-bottom:.4em}
@media print{body{background:none}.page{margin:0;box-shadow:none}}"""


def _html_lines(lines: Sequence[str]) -> str:
    return "<br/>".join(escape(line) for line in lines)


def _html_sign(block: PrintBlock) -> str:
    return f'<div class="sign"><div class="line"></div>{_html_lines(block.lines)}</div>'


def card_html(notes: Sequence[PrintedNote], card_size: PageSize, letter_size: PageSize) -> str:
    """Print-ready HTML: one page per note at its page size (CSS ``@page``), everything escaped."""
    pages = []
    for note in notes:
        size = letter_size if note.layout == "letter" else card_size
        margin = 25.0 if note.layout == "letter" else round(max(8.0, 0.09 * size.width_mm), 1)
        body = "".join(_html_sign(b) if b.sign else f"<p>{_html_lines(b.lines)}</p>" for b in note.body)
        date = f'<div class="date">{escape(note.date_line)}</div>' if note.date_line else ""
        signing = "".join(_html_sign(b) for b in note.signing)
        pages.append(f'<section class="page {note.layout}" style="page:{note.layout};width:{size.width_mm}mm;'
                     f'height:{size.height_mm}mm;padding:{margin}mm">\n<div class="note">{date}{body}</div>\n'
                     f'<div class="signing">{signing}</div>\n</section>')
    named = (f"@page card{{size:{card_size.width_mm}mm {card_size.height_mm}mm;margin:0}}"
             f"@page letter{{size:{letter_size.width_mm}mm {letter_size.height_mm}mm;margin:0}}")
    head = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Cards to sign</title>\n'
            f"<style>{named}\n{_CARD_STYLE}</style></head>\n<body>\n")
    return head + "\n".join(pages) + "\n</body></html>\n"
