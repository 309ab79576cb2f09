"""Export formats for approved notes, and the stats that compare prompts by what reviewers did.

Export never sends anything: it writes a file for a person or another system to act on.
``jsonl`` holds one object per note; ``csv`` one row per note, every text cell safe against
spreadsheet formula injection (a cell starting with ``= + - @``, a tab or a carriage return
gets a leading apostrophe). The print formats hold card and letter notes only, one per page,
with nothing internal on the page: ``pdf`` (``_pdf``, at a real card size) and ``card``
(print-ready HTML); beside them a manifest CSV maps each page to its draft, version, text hash
and approval (``_printing``).

Example::

    files = render_files(queue.drafts(["approved"]), "pdf", PrintSettings(card_size=PageSize.parse("5x7")))
    write_atomically([(Path("cards.pdf"), files.data), (Path("cards.manifest.csv"), files.manifest)])
    for s in prompt_stats(store):
        print(s.prompt, s.prompt_version, s.approval_rate, s.mean_edit_distance)
"""

from __future__ import annotations

import csv
import io
import json
import os
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from rapidfuzz.distance import Levenshtein

from . import _constants as C
from ._errors import ExportError
from ._pdf import render_pdf
from ._printing import PageSize, card_html, printable, printed_note
from ._queue_types import QueuedDraft
from ._signatures import SignatureRecord
from ._store import Store

__all__ = ["EXPORT_FORMATS", "MANIFEST_COLUMNS", "PRINT_FORMATS", "ExportFiles", "ExportFormat",
           "ExportResult", "PrintSettings", "PromptStats", "edit_distance", "manifest_csv", "neutralise_cell",
           "prompt_stats", "render_export", "render_files", "write_atomically"]

ExportFormat = Literal["jsonl", "csv", "card", "pdf"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("jsonl", "csv", "card", "pdf")
#: the formats that print card and letter notes (with a manifest beside the file)
PRINT_FORMATS: tuple[ExportFormat, ...] = ("card", "pdf")
MANIFEST_COLUMNS = ("page", "draft_id", "version", "text_sha256", "approved_by", "approver_role",
                    "approved_at", "customer_id", "channel", "page_size")

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CSV_COLUMNS = ("draft_id", "customer_id", "channel", "moment_kind", "moment_key", "version", "text_sha256",
                "approved_by", "approver_role", "approved_at", "approval", "approval_reason", "model",
                "prompt", "prompt_version", "text")


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: the format, the file and the queue ids of the notes in it.

    ``written`` is False when there was nothing new to write: the file at ``path`` (if any) was
    left as it was. ``left_out`` holds ``(draft_id, reason)`` for each approved draft it did not
    write (its text is not the text its approval signed; a note too long for its page);
    ``not_printed`` the approved email and sms notes a print format leaves out (they stay
    approved, for a jsonl or csv export); ``manifest`` the CSV written beside a print file;
    ``keyed`` is False when the signature record is signed with the public development key, so
    not tamper-proof.
    """

    format: ExportFormat
    path: Path
    draft_ids: tuple[int, ...]
    left_out: tuple[tuple[int, str], ...] = ()
    keyed: bool = False
    written: bool = True
    manifest: Path | None = None
    not_printed: tuple[tuple[int, str], ...] = ()

    @property
    def count(self) -> int:
        return len(self.draft_ids)


#: what a spreadsheet may skip before it reads a formula: spaces, line breaks, NBSP, zero-width
#: characters and a BOM (Excel and LibreOffice trim some of them on import; Google Sheets folds
#: full-width forms such as '＝' to '='), so the check reads past them, after NFKC folding
_SKIPPED_BEFORE_FORMULA = " \t\r\n\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009" \
                          "\u200a\u200b\u200c\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"


def neutralise_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula: one that starts (after anything a
    spreadsheet may skip, and with full-width forms folded) with = + - @, a tab or a carriage
    return gets a leading apostrophe."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    folded = unicodedata.normalize("NFKC", text).lstrip(_SKIPPED_BEFORE_FORMULA)
    return "'" + text if folded != text and folded.startswith(_FORMULA_STARTS[:4]) else text


def _signer(s: SignatureRecord) -> dict[str, Any]:
    return {"reviewer_id": s.reviewer_id, "printed_name": s.printed_name, "role": s.role,
            "signed_at": s.signed_at, "meaning": s.meaning, "reason": s.reason, "version": s.version,
            "text_sha256": s.text_sha256}


def _approval(queued: QueuedDraft) -> SignatureRecord:
    if queued.approval is None:  # the queue only passes approved notes; this guards the renderers
        raise ExportError(None, f"draft {queued.id} has no approval matching its text; it cannot be exported")
    return queued.approval


def _jsonl(items: Sequence[QueuedDraft]) -> str:
    lines = []
    for queued in items:
        approval = _approval(queued)
        p = queued.draft.provenance
        lines.append(json.dumps({
            "draft_id": queued.id, "customer_id": queued.customer_id, "channel": queued.draft.channel,
            "moment": {"kind": queued.moment.kind, "key": queued.moment.key},
            "version": queued.version, "text": queued.text, "text_sha256": queued.text_sha256,
            "approval": _signer(approval), "signatures": [_signer(s) for s in queued.signatures],
            "model": p.model, "prompt": p.prompt, "prompt_version": p.prompt_version,
            "context_hash": p.context_hash,
        }, ensure_ascii=False))
    return "".join(line + "\n" for line in lines)


def _csv(items: Sequence[QueuedDraft]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_CSV_COLUMNS)
    for queued in items:
        approval = _approval(queued)
        p = queued.draft.provenance
        row = [queued.id, queued.customer_id, queued.draft.channel, queued.moment.kind, queued.moment.key,
               queued.version, queued.text_sha256, approval.printed_name, approval.role, approval.signed_at,
               approval.meaning, approval.reason, p.model, p.prompt, p.prompt_version, queued.text]
        writer.writerow([neutralise_cell(cell) for cell in row])
    return buffer.getvalue()


def render_export(items: Sequence[QueuedDraft], format: ExportFormat) -> str:
    """The export file's text for these approved notes in ``format`` (``jsonl`` or ``csv``)."""
    renderers = {"jsonl": _jsonl, "csv": _csv}
    if format not in renderers:
        raise ExportError(None, f"unknown text export format {format!r}; use one of {', '.join(renderers)} "
                                "(the print formats: render_files)")
    return renderers[format](items)


def manifest_csv(items: Sequence[QueuedDraft], sizes: Sequence[PageSize]) -> str:
    """The print manifest: one row per page, in page order, with the draft, its version, text hash and
    approval (what the page itself never shows), every cell formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(MANIFEST_COLUMNS)
    for page, (queued, size) in enumerate(zip(items, sizes, strict=True), 1):
        approval = _approval(queued)
        row = [page, queued.id, queued.version, queued.text_sha256, approval.printed_name, approval.role,
               approval.signed_at, queued.customer_id, queued.draft.channel, size.label]
        writer.writerow([neutralise_cell(cell) for cell in row])
    return buffer.getvalue()


@dataclass(frozen=True)
class PrintSettings:
    """How the print formats lay notes out: the card size, the letter page and the font file."""

    card_size: PageSize = PageSize.parse(C.DEFAULT_CARD_SIZE)
    letter_size: PageSize = PageSize.parse(C.DEFAULT_LETTER_SIZE, letter=True)
    font: str | Path | None = None


@dataclass(frozen=True)
class ExportFiles:
    """An export's files before they are written: the main file (``None`` when nothing is in it), the
    manifest (print formats), the notes in the file in page order, and those left out or not printed."""

    data: str | bytes | None
    manifest: str | None
    items: tuple[QueuedDraft, ...]
    left_out: tuple[tuple[int, str], ...] = ()
    not_printed: tuple[tuple[int, str], ...] = ()


def render_files(items: Sequence[QueuedDraft], format: ExportFormat,
                 settings: PrintSettings | None = None) -> ExportFiles:
    """The files an export of these approved notes writes in ``format``: a text format holds every
    note; a print format the card notes, then the letters (each in queue order), one per page."""
    if format not in EXPORT_FORMATS:
        raise ExportError(None, f"unknown export format {format!r}; use one of {', '.join(EXPORT_FORMATS)}")
    if format not in PRINT_FORMATS:
        return ExportFiles(render_export(items, format) if items else None, None, tuple(items))
    settings = settings or PrintSettings()
    kept, not_printed = printable(items)
    kept.sort(key=lambda q: (q.draft.channel == "letter", q.id))
    notes = [printed_note(q) for q in kept]
    left_out: tuple[tuple[int, str], ...] = ()
    if format == "pdf" and notes:
        pages = render_pdf(notes, settings.card_size, settings.letter_size, settings.font)
        data: str | bytes | None = pages.data
        printed = {note.draft_id for note in pages.notes}
        kept, left_out = [q for q in kept if q.id in printed], pages.left_out
    else:
        data = card_html(notes, settings.card_size, settings.letter_size) if notes else None
    sizes = [settings.letter_size if q.draft.channel == "letter" else settings.card_size for q in kept]
    manifest = manifest_csv(kept, sizes) if data is not None else None
    return ExportFiles(data, manifest, tuple(kept), left_out, tuple(not_printed))


def write_atomically(files: Path | Sequence[tuple[Path, str | bytes]],
                     text: str | bytes | None = None) -> None:
    """Write each file through a temporary file beside it, flushed to disk; then rename them all.

    A failure before the renames leaves every file as it was. ``write_atomically(path, text)`` writes one.
    """
    pairs = [(files, text if text is not None else "")] if isinstance(files, Path) else list(files)
    temporaries: list[tuple[Path, Path]] = []
    try:
        for path, data in pairs:
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temporaries.append((temporary, path))
            raw = data.encode("utf-8") if isinstance(data, str) else data
            with open(temporary, "wb") as handle:
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
        for temporary, path in temporaries:
            os.replace(temporary, path)
    except OSError as exc:
        for temporary, _ in temporaries:
            temporary.unlink(missing_ok=True)
        failed = temporaries[-1][1] if temporaries else pairs[0][0]
        raise ExportError(failed, f"cannot write the export file: {exc.strerror or exc}") from None


# --- stats ---------------------------------------------------------------------------------


def edit_distance(a: str, b: str) -> int:
    """The Levenshtein distance in characters (each insertion, deletion or substitution costs 1).

    Computed by rapidfuzz (C++, bit-parallel), so a long letter and its edit cost microseconds.

    Example::

        edit_distance("kitten", "sitting")    # 3
    """
    return Levenshtein.distance(a, b)


@dataclass(frozen=True)
class PromptStats:
    """What reviewers did with one prompt version's drafts.

    ``approval_rate`` is approved / (approved + rejected), ``None`` before any decision;
    ``mean_edit_distance`` is over drafts approved after an edit (model text → approved text);
    ``changes_requested`` counts the times a reviewer asked for a redraft with guidance
    (``ReviewQueue.request_change``), over every draft of the version.
    """

    prompt: str
    prompt_version: str
    drafts: int
    pending: int
    approved_unchanged: int
    approved_edited: int
    rejected: int
    approval_rate: float | None
    mean_edit_distance: float | None
    rejection_reasons: tuple[tuple[str, int], ...]
    changes_requested: int = 0

    def to_json_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rejection_reasons"] = dict(self.rejection_reasons)
        return data


def prompt_stats(store: Store) -> list[PromptStats]:
    """Stats per prompt name and version, from the drafts and the signature record."""
    reasons: dict[int, str] = {
        row["draft_id"]: row["reason"] or ""
        for row in store.query("SELECT draft_id, reason FROM signatures WHERE meaning = 'reject' "
                               "ORDER BY seq")
    }
    requested: Counter[tuple[str, str]] = Counter(
        (row["prompt"], row["prompt_version"])
        for row in store.query("SELECT prompt, prompt_version FROM signatures "
                               "WHERE meaning = 'request_change'"))
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in store.query("SELECT id, prompt, prompt_version, state, model_text, text FROM drafts "
                           "ORDER BY id"):
        groups[(row["prompt"], row["prompt_version"])].append(row)
    stats = []
    for (prompt, version), rows in sorted(groups.items()):
        approved = [r for r in rows if r["state"] in ("approved", "exported")]
        distances = [edit_distance(r["model_text"], r["text"])
                     for r in approved if r["text"] != r["model_text"]]
        rejected = [r for r in rows if r["state"] == "rejected"]
        decided = len(approved) + len(rejected)
        stats.append(PromptStats(
            prompt=prompt, prompt_version=version, drafts=len(rows),
            pending=sum(r["state"] in ("drafted", "edited") for r in rows),
            approved_unchanged=len(approved) - len(distances), approved_edited=len(distances),
            rejected=len(rejected), approval_rate=len(approved) / decided if decided else None,
            mean_edit_distance=sum(distances) / len(distances) if distances else None,
            rejection_reasons=tuple(Counter(reasons.get(r["id"], "") for r in rejected).most_common()),
            changes_requested=requested[(prompt, version)],
        ))
    return stats
