"""Export formats for approved notes, and the stats that compare prompts by what reviewers did.

Export never sends anything: it writes a file for a person or another system to act on.
``jsonl`` holds one object per note; ``csv`` one row per note, every text cell safe against
spreadsheet formula injection (a cell starting with ``= + - @``, a tab or a carriage return
gets a leading apostrophe); ``card`` is print-ready HTML, everything escaped, one note per
page with a sign-off block for each person who signed.

Example::

    text = render_export(queue.drafts(["approved"]), "csv")
    write_atomically(Path("notes.csv"), text)
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
from html import escape
from pathlib import Path
from typing import Any, Literal

from rapidfuzz.distance import Levenshtein

from ._errors import ExportError
from ._queue_types import QueuedDraft
from ._signatures import SignatureRecord
from ._store import Store

__all__ = ["EXPORT_FORMATS", "ExportFormat", "ExportResult", "PromptStats", "edit_distance",
           "neutralise_cell", "prompt_stats", "render_export", "write_atomically"]

ExportFormat = Literal["jsonl", "csv", "card"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("jsonl", "csv", "card")

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CSV_COLUMNS = ("draft_id", "customer_id", "channel", "moment_kind", "moment_key", "version", "text_sha256",
                "approved_by", "approver_role", "approved_at", "approval", "approval_reason", "model",
                "prompt", "prompt_version", "text")


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: the format, the file and the queue ids of the notes in it.

    ``left_out`` holds ``(draft_id, reason)`` for each approved draft it did not write (its text is
    not the text its approval signed); ``keyed`` is False when the signature record is signed with
    the public development key, so not tamper-proof.
    """

    format: ExportFormat
    path: Path
    draft_ids: tuple[int, ...]
    left_out: tuple[tuple[int, str], ...] = ()
    keyed: bool = False

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


_CARD_STYLE = """body{font-family:Georgia,serif;margin:0}
.card{max-width:34em;margin:2em auto;padding:2em 2.5em;border:1px solid #ccc;break-after:page}
.note{white-space:pre-wrap;font-size:14pt;line-height:1.5}
.signoff{margin-top:2.5em;padding-top:.6em;border-top:1px dashed #999;color:#444;
 font:9pt system-ui,sans-serif}
.signoff .signer{display:inline-block;min-width:14em;margin:1.2em 1.5em 0 0}
.signoff .line{border-bottom:1px solid #333;height:1.6em}
@media print{.card{border:none;margin:0 auto}}"""


def _signoff_blocks(approval: SignatureRecord, signatures: Sequence[SignatureRecord]) -> str:
    """One block per person who wrote the text (edits) or approved it (the approval in force)."""
    by_reviewer: dict[str, list[SignatureRecord]] = {}
    for s in signatures:
        if s.meaning == "edit" or s.seq == approval.seq:
            by_reviewer.setdefault(s.reviewer_id, []).append(s)
    blocks = []
    for signed in by_reviewer.values():
        deeds = "<br/>".join(f"{escape(s.meaning)} version {s.version}, {escape(s.signed_at)}"
                             + (f" ({escape(s.reason)})" if s.reason else "") for s in signed)
        blocks.append(f'<div class="signer"><div class="line"></div>{escape(signed[-1].printed_name)}, '
                      f"{escape(signed[-1].role)}<br/>{deeds}</div>")
    return "".join(blocks)


def _card(items: Sequence[QueuedDraft]) -> str:
    cards = []
    for queued in items:
        approval = _approval(queued)
        blocks = _signoff_blocks(approval, queued.signatures)
        cards.append(
            f'<section class="card" id="draft-{queued.id}">\n'
            f'<div class="note">{escape(queued.text)}</div>\n'
            f'<footer class="signoff">Signed off for {escape(queued.customer_id)} '
            f"({escape(queued.moment.kind)}), draft {queued.id} version {approval.version}, "
            f"text SHA-256 {escape(approval.text_sha256[:16])}…<br/>{blocks}</footer>\n</section>"
        )
    body = "\n".join(cards) or "<p>No approved notes to print.</p>"
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>personalnote: notes to '
            f"print</title>\n<style>{_CARD_STYLE}</style></head>\n<body>\n{body}\n</body></html>\n")


def render_export(items: Sequence[QueuedDraft], format: ExportFormat) -> str:
    """The export file's text for these approved notes in ``format``."""
    renderers = {"jsonl": _jsonl, "csv": _csv, "card": _card}
    if format not in renderers:
        raise ExportError(None, f"unknown export format {format!r}; use one of {', '.join(EXPORT_FORMATS)}")
    return renderers[format](items)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, flushed to disk, then renamed."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ExportError(path, f"cannot write the export file: {exc.strerror or exc}") from None


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
