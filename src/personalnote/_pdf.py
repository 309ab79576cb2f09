"""The PDF of cards and letters to sign, set with ReportLab: one page per note, at its page size.

A card (A6 by default) holds the note and under it a drawn line for each signer with the
signer's printed name and role under it (two to a row), the whole a little above the middle. A
letter (A4 or US Letter) has its date at the top right, the greeting below it, the text, and a
line to sign above each signer's name. The type is DejaVu Serif (Debian's ``fonts-dejavu-core``)
when the system has it, embedded as a subset; a note is set smaller, down to
``PRINT_MIN_POINTS``, until it fits its one page, and one that does not fit even then, or holds a
character the font lacks, is left out with the reason. The file is byte-for-byte the same for
the same notes (ReportLab's invariant mode: no creation time, no random document id).

ReportLab is imported only here, when a PDF is made (``pip install 'personalnote[pdf]'``).

Example::

    pdf = render_pdf([printed_note(q) for q in items], PageSize.parse("A6"),
                     PageSize.parse("A4", letter=True))
    Path("cards.pdf").write_bytes(pdf.data)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from . import _constants as C
from ._errors import ConfigurationError
from ._printing import PageSize, PrintBlock, PrintedNote

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Flowable

__all__ = ["PdfPages", "find_font", "render_pdf"]

_MM = 72 / 25.4
_LABEL_COLOUR = (0.2, 0.2, 0.2)
_FONTS: dict[Path, str] = {}


@dataclass(frozen=True)
class PdfPages:
    """The PDF (``None`` when no note could be printed), the notes on its pages in order, and the
    notes left out with the reason."""

    data: bytes | None
    notes: tuple[PrintedNote, ...]
    left_out: tuple[tuple[int, str], ...]


def _reportlab() -> None:
    try:
        import reportlab  # noqa: F401
    except ImportError as exc:
        raise ConfigurationError("the pdf export needs ReportLab: pip install 'personalnote[pdf]'") from exc


def find_font(font: str | Path | None = None) -> Path:
    """The TrueType file to set notes in: ``font``, else the first of ``CARD_FONT_FILES`` found in
    ``FONT_DIRS``, else ReportLab's own Vera (always installed with it)."""
    if font is not None:
        path = Path(font)
        if not path.is_file():
            raise ConfigurationError(f"the font {path} is not a file: give a TrueType (.ttf) font")
        return path
    for name in C.CARD_FONT_FILES:
        for folder in C.FONT_DIRS:
            if (Path(folder) / name).is_file():
                return Path(folder) / name
    import reportlab

    return Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"


def _register(path: Path) -> tuple[str, set[int]]:
    """The font's ReportLab name (registered once) and the code points it has glyphs for."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    name = _FONTS.get(path)
    if name is None:
        name = "PersonalNote-" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:10]
        try:
            pdfmetrics.registerFont(TTFont(name, str(path)))
        except (TTFError, OSError) as exc:
            raise ConfigurationError(f"the font {path} cannot be used: {exc}") from None
        _FONTS[path] = name
    registered: Any = pdfmetrics.getFont(name)  # a TTFont (the stubs say Font, which has no face)
    return name, set(registered.face.charToGlyph)


def _missing(note: PrintedNote, glyphs: set[int]) -> list[str]:
    """The characters of the note the font has no glyph for, in the order they first appear."""
    return list(dict.fromkeys(ch for ch in note.text if not ch.isspace() and ord(ch) not in glyphs))


def _paragraph(lines: Sequence[str], font: str, points: float, *, right: bool = False,
               colour: tuple[float, float, float] = (0, 0, 0)) -> Flowable:
    from reportlab.lib.colors import Color
    from reportlab.lib.enums import TA_LEFT, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    style = ParagraphStyle("note", fontName=font, fontSize=points, leading=round(points * 1.32, 2),
                           alignment=TA_RIGHT if right else TA_LEFT, textColor=Color(*colour))
    return Paragraph("<br/>".join(escape(line) for line in lines), style)


#: a piece of a page: its height and how to draw it with its top-left corner at (x, top)
_Piece = tuple[float, "Callable[[Canvas, float, float], None]"]


class _Layout:
    """One page's pieces at one type size: each piece a height and a way to draw it at (x, top)."""

    def __init__(self, note: PrintedNote, size: PageSize, font: str, points: float) -> None:
        self.width, self.height = size.points
        letter = note.layout == "letter"
        self.left = 25 * _MM if letter else max(8 * _MM, 0.09 * self.width)
        self.top = 40 * _MM if letter else self.left  # a letter leaves room for a letterhead
        self.bottom = 20 * _MM if letter else self.left
        self.inner = self.width - 2 * self.left
        self.font, self.points, self.letter = font, points, letter
        self.gap = points * (1.3 if letter else 0.6)  # a letter: a blank line between paragraphs
        self.sign_width = min(60 * _MM, self.inner) if letter else self.inner
        self.pieces: list[_Piece] = []
        if note.date_line:
            self._add(_paragraph([note.date_line], font, points, right=True), self.inner, after=10 * _MM)
        for block in note.body if not letter else note.blocks:
            if block.sign:
                self._sign(block, self.sign_width)
            else:
                self._add(_paragraph(block.lines, font, points), self.inner, after=self.gap)
        self.foot = [] if letter else list(note.signing)

    def _add(self, flowable: Flowable, width: float, after: float) -> None:
        _, height = flowable.wrap(width, self.height)
        self.pieces.append((height + after, lambda canvas, x, top: flowable.drawOn(canvas, x, top - height)))

    def _sign_piece(self, block: PrintBlock, width: float) -> _Piece:
        """Room to sign, a drawn line, and the signer's printed name and role under it."""
        small = self.points if self.letter else max(6.5, self.points * 0.7)
        label = _paragraph(block.lines or [""], self.font, small, colour=_LABEL_COLOUR)
        _, label_height = label.wrap(width, self.height)
        space = C.SIGNING_SPACE_MM * _MM

        def draw(canvas: Canvas, x: float, top: float) -> None:
            canvas.setLineWidth(0.6)
            canvas.line(x, top - space, x + width, top - space)
            label.drawOn(canvas, x, top - space - 3 - label_height)

        return space + 3 + label_height, draw

    def _sign(self, block: PrintBlock, width: float) -> None:
        height, draw = self._sign_piece(block, width)
        self.pieces.append((height + self.gap, draw))

    def _foot_rows(self) -> list[list[_Piece]]:
        columns = 2 if len(self.foot) >= 2 else 1
        width = (self.inner - (columns - 1) * 6 * _MM) / columns
        pieces = [self._sign_piece(block, width) for block in self.foot]
        return [pieces[i:i + columns] for i in range(0, len(pieces), columns)]

    def _used(self) -> float:
        return sum(h for h, _ in self.pieces) + sum(max(h for h, _ in row) for row in self._foot_rows())

    def fits(self) -> bool:
        return self._used() <= self.height - self.top - self.bottom

    def draw(self, canvas: Canvas) -> None:
        """A letter from the top; a card's note and signing lines together, a little above the middle."""
        free = self.height - self.top - self.bottom - self._used()
        top = self.height - self.top - (0 if self.letter else 0.4 * free)
        for height, draw in self.pieces:
            draw(canvas, self.left, top)
            top -= height
        rows = self._foot_rows()
        for row in rows:
            width = (self.inner - (len(row) - 1) * 6 * _MM) / len(row) if row else self.inner
            for column, (_, draw) in enumerate(row):
                draw(canvas, self.left + column * (width + 6 * _MM), top)
            top -= max(h for h, _ in row)


def _fitted(note: PrintedNote, size: PageSize, font: str) -> _Layout | None:
    """The layout at the largest type size (in half points) at which the note fits its page."""
    start = C.LETTER_POINTS if note.layout == "letter" else min(13.0, C.CARD_POINTS * size.width_mm / 105)
    points = start
    while points >= C.PRINT_MIN_POINTS:
        layout = _Layout(note, size, font, points)
        if layout.fits():
            return layout
        points -= 0.5
    return None


def render_pdf(notes: Sequence[PrintedNote], card_size: PageSize, letter_size: PageSize,
               font: str | Path | None = None) -> PdfPages:
    """One page per note that fits (see the module docstring); the others are left out, with the reason."""
    _reportlab()
    from io import BytesIO

    from reportlab.pdfgen.canvas import Canvas

    path = find_font(font)
    name, glyphs = _register(path)
    laid: list[tuple[PrintedNote, PageSize, _Layout]] = []
    left_out: list[tuple[int, str]] = []
    for note in notes:
        size = letter_size if note.layout == "letter" else card_size
        missing = _missing(note, glyphs)
        if missing:
            shown = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in missing[:5])
            left_out.append((note.draft_id, f"the font {path.name} has no glyph for {shown}: pass a TrueType "
                                            "font that has them (font=, --font)"))
            continue
        layout = _fitted(note, size, name)
        if layout is None:
            left_out.append((note.draft_id, f"too long for one {note.layout} page of {size.label} even "
                                            f"at {C.PRINT_MIN_POINTS:g} pt: print it on a larger size or "
                                            "shorten it"))
            continue
        laid.append((note, size, layout))
    if not laid:
        return PdfPages(None, (), tuple(left_out))
    buffer = BytesIO()
    canvas: Any = Canvas(buffer, pagesize=laid[0][1].points, invariant=True, pageCompression=1)
    canvas.setTitle("Cards to sign")
    canvas.setAuthor("personalnote")
    canvas.setCreator("personalnote")
    canvas.setSubject("")
    for _note, size, layout in laid:
        canvas.setPageSize(size.points)
        layout.draw(canvas)
        canvas.showPage()
    canvas.save()
    return PdfPages(buffer.getvalue(), tuple(note for note, _, _ in laid), tuple(left_out))
