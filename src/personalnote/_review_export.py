"""The ``ReviewQueue`` methods that read the signature record and export approved notes: ``export``,
``verify``, ``signatures``, ``stats`` and ``edit_summary`` (a mixin, like ``OutcomeRecords``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from . import _constants as C
from ._edits import EditSummary, edit_summary
from ._errors import SignatureMismatchError, TamperedRecordError
from ._export import (
    ExportFormat,
    ExportResult,
    PrintSettings,
    PromptStats,
    prompt_stats,
    render_files,
    write_atomically,
)
from ._printing import PageSize, manifest_path
from ._queue_types import QueuedDraft
from ._signatures import (
    ChainReport,
    SignatureRecord,
    SigningKeys,
    draft_problems,
    signature_rows,
    verify_record,
)
from ._store import Row, Store, Tx, reading_row

__all__ = ["ExportRecords"]


class ExportRecords:
    """The ``ReviewQueue`` methods that verify the signature record and export from it (a mixin: the
    queue gives ``store``, ``keys``, ``_queued`` and ``_now``)."""

    store: Store
    keys: SigningKeys
    _queued: Callable[[Row, Tx | Store], QueuedDraft]
    _now: Callable[[], str]

    def signatures(self) -> list[SignatureRecord]:
        """The whole signature record, in order."""
        return signature_rows(self.store)

    def verify(self) -> ChainReport:
        """Verify the signature record (every row's MAC and link, the chain head) and every draft against
        its own signatures; the report names the first broken row and each draft that disagrees."""
        with reading_row(self.store.path, "drafts", None), self.store.read() as tx:
            return verify_record(tx, self.keys)

    def stats(self) -> list[PromptStats]:
        """Per prompt name and version: approved unchanged, edited (mean edit distance), rejected."""
        return prompt_stats(self.store)

    def edit_summary(self, top: int = 10) -> list[EditSummary]:
        """Per prompt name and version: the ``top`` phrases (1 to 4 words) reviewers deleted most and
        added most in the notes they approved after an edit: what the model should stop and start
        saying.

        Example::

            for s in queue.edit_summary():
                print(s.prompt, s.prompt_version, s.deleted[:3], s.added[:3])
        """
        return edit_summary(self.store, top)

    def export(self, format: ExportFormat, out: str | Path, *, again: bool = False,
               card_size: str | PageSize = C.DEFAULT_CARD_SIZE,
               letter_size: str | PageSize = C.DEFAULT_LETTER_SIZE,
               font: str | Path | None = None) -> ExportResult:
        """Write approved drafts whose approval matches their current version and text.

        Formats: ``jsonl``, ``csv``; for printing ``pdf`` and ``card`` (HTML): card and letter notes
        only, one per page at ``card_size`` (A6, A5, 5x7, 4x6, WxHmm) or ``letter_size`` (A4, letter),
        set in ``font`` (a .ttf), with a manifest CSV beside the file (``cards.manifest.csv``); email
        and sms notes are listed in ``not_printed`` and stay approved. Exported drafts are marked and
        recorded; the next export leaves them out unless ``again`` (a reprint). With nothing new,
        nothing is written and an earlier file is kept (``written=False``); files are written to a
        temporary file and renamed.

        The signature record is verified first, in the same transaction: a broken or forged record
        is ``TamperedRecordError`` and a draft that claims a decision its own signatures do not make
        is ``SignatureMismatchError``: nothing is written or marked. A draft whose text is not the
        text its approval signed, or that does not fit its page, is in ``left_out`` with the reason.

        Example::

            result = queue.export("pdf", "cards.pdf", card_size="5x7")
            result.written, result.manifest       # False when nothing new was approved
        """
        states = ("approved", "exported") if again else ("approved",)
        path = Path(out)
        settings = PrintSettings(PageSize.parse(card_size), PageSize.parse(letter_size, letter=True,
                                                                           argument="letter_size"), font)
        with self.store.write() as tx:
            report = verify_record(tx, self.keys)
            if report.first_broken is not None:
                affected = tx.execute("SELECT DISTINCT draft_id FROM signatures WHERE seq >= ? "
                                      "ORDER BY draft_id", (report.first_broken,)).fetchall()
                raise TamperedRecordError(report, [int(r[0]) for r in affected],
                                          [f"row {report.first_broken}: {report.problem}"])
            rows = tx.execute(f"SELECT * FROM drafts WHERE state IN ({', '.join('?' * len(states))}) "
                              "ORDER BY id", states).fetchall()
            items, left_out, mismatches = [], [], []
            for row in rows:
                problems = draft_problems(row, signature_rows(tx, row["id"]))
                reasons = "; ".join(reason for _, reason in problems)
                queued = self._queued(row, tx)
                if any(kind == "decision" for kind, _ in problems):
                    mismatches.append((queued.id, reasons))
                elif problems or queued.approval is None:
                    left_out.append((queued.id, reasons or "no approval of its current version and text"))
                else:
                    items.append(queued)
            if mismatches:
                raise SignatureMismatchError(mismatches)
            files = render_files(items, format, settings)
            left_out.extend(files.left_out)
            manifest = manifest_path(path) if files.manifest is not None else None
            if files.data is None:
                return ExportResult(format=format, path=path, draft_ids=(), left_out=tuple(left_out),
                                    keyed=report.keyed, written=False, not_printed=files.not_printed)
            written: list[tuple[Path, str | bytes]] = [(path, files.data)]
            if manifest is not None and files.manifest is not None:
                written.append((manifest, files.manifest))
            write_atomically(written)
            now = self._now()
            for queued in files.items:
                tx.execute("UPDATE drafts SET state = 'exported', first_exported_at = "
                           "coalesce(first_exported_at, ?), last_exported_at = ?, export_count = "
                           "export_count + 1 WHERE id = ?", (now, now, queued.id))
                tx.execute("INSERT INTO exports (draft_id, version, text_sha256, format, path, exported_at) "
                           "VALUES (?, ?, ?, ?, ?, ?)",
                           (queued.id, queued.version, queued.text_sha256, format, str(path), now))
        return ExportResult(format=format, path=path, draft_ids=tuple(q.id for q in files.items),
                            left_out=tuple(sorted(left_out)), keyed=report.keyed, manifest=manifest,
                            not_printed=files.not_printed)
