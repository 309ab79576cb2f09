"""Cards and letters to sign: the PDF read back (page size, one page per note, the approved text, the
signers, nothing internal), the manifest, the letter layout, the HTML card, and the signing rule."""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader
from pypdf.generic import ContentStream

import personalnote as pn
from personalnote import _constants as C
from personalnote._export import MANIFEST_COLUMNS
from personalnote._pdf import find_font
from personalnote._printing import approved_words, manifest_path, printed_note, printed_words

from .support import ALICE, BOB, LATER, channel_draft, clean_draft, flyer, flyer_context

A6 = (297.64, 419.53)        # 105 x 148 mm in points
FIVE_BY_SEVEN = (360.0, 504.0)
A4 = (595.28, 841.89)
US_LETTER = (612.0, 792.0)
SIGNERS = ["Captain", "J. Reyes, First Officer"]


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[pn.ReviewQueue]:
    with pn.ReviewQueue(tmp_path / "review.sqlite3") as q:
        yield q


def _approve(queue: pn.ReviewQueue, draft: pn.Draft, *, text: str | None = None,
             override: str | None = None) -> pn.QueuedDraft:
    item = queue.submit(draft, flyer_context())
    if text is not None:
        item = queue.edit(item.id, BOB, version=item.version, text=text)
    return queue.approve(item.id, ALICE, version=item.version, current=flyer(), as_of=LATER,
                         override_reason=override or ("printing test" if item.blocking else None))


def _size(page: object) -> tuple[float, float]:
    box = page.mediabox  # type: ignore[attr-defined]
    return round(float(box.width), 2), round(float(box.height), 2)


def _drawn_lines(reader: PdfReader, page: object) -> int:
    """The straight lines drawn on a page (the 'l' path operator): the lines to sign on."""
    operations = ContentStream(page.get_contents(), reader).operations  # type: ignore[attr-defined]
    return sum(1 for _, operator in operations if operator == b"l")


def _manifest(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_cards_are_a6_pages_one_per_card_showing_exactly_the_approved_text(queue: pn.ReviewQueue,
                                                                          tmp_path: Path) -> None:
    first = _approve(queue, clean_draft("one"))
    second = _approve(queue, clean_draft("two"), text="Dear Ms Okafor,\n\nThank you for flying 2 million "
                                                      "miles with us, & for today's flight to JFK.")
    result = queue.export("pdf", tmp_path / "cards.pdf")
    assert result.written and result.draft_ids == (first.id, second.id) and result.left_out == ()
    reader = PdfReader(tmp_path / "cards.pdf")
    assert len(reader.pages) == 2 and all(_size(page) == A6 for page in reader.pages)
    for page, item in zip(reader.pages, (first, second), strict=True):
        shown = page.extract_text()
        # the words on the page are the approved text's, less its lines of underscores
        assert shown.split() == approved_words(queue.get(item.id).text)
        assert "_" not in shown and all(signer in shown for signer in SIGNERS)
        assert _drawn_lines(reader, page) == 2  # a line to sign on for each of the draft's two signers
    assert "& for today's flight" in reader.pages[1].extract_text()


def test_nothing_internal_is_on_a_card_or_in_the_file(queue: pn.ReviewQueue, tmp_path: Path) -> None:
    item = _approve(queue, clean_draft("internal"), override="the captain asked for it")
    queue.export("pdf", tmp_path / "cards.pdf")
    reader = PdfReader(tmp_path / "cards.pdf")
    [page] = reader.pages
    shown = page.extract_text()
    approval = queue.get(item.id).approval
    assert approval is not None
    internal = [f"draft {item.id}", "C-1001", item.text_sha256, item.text_sha256[:8], "SHA", "alice",
                "Alice Smith", "crew lead", "the captain asked for it", approval.signed_at[:10], "version",
                item.moment.key]
    metadata = " ".join(str(value) for value in (reader.metadata or {}).values())
    for value in internal:
        assert value not in shown and value not in metadata, value
    assert reader.metadata is not None and reader.metadata.title == "Cards to sign"


def test_5x7_and_any_size_in_mm_or_inches(queue: pn.ReviewQueue, tmp_path: Path) -> None:
    _approve(queue, clean_draft("size"))
    queue.export("pdf", tmp_path / "a.pdf", card_size="5x7")
    queue.export("pdf", tmp_path / "b.pdf", card_size="120x170mm", again=True)
    queue.export("pdf", tmp_path / "c.pdf", card_size=pn.PageSize.parse("4.25x5.5in"), again=True)
    assert _size(PdfReader(tmp_path / "a.pdf").pages[0]) == FIVE_BY_SEVEN
    assert _size(PdfReader(tmp_path / "b.pdf").pages[0]) == (340.16, 481.89)
    assert _size(PdfReader(tmp_path / "c.pdf").pages[0]) == (306.0, 396.0)
    assert "5x7 (127 x 177.8 mm)" in (tmp_path / "a.manifest.csv").read_text()


@pytest.mark.parametrize("size", ["A7", "5x7cubits", "105x148", "10x10mm", "x", ""])
def test_a_size_that_is_no_page_is_an_argument_error(size: str) -> None:
    with pytest.raises(pn.ArgumentError) as info:
        pn.PageSize.parse(size)
    assert info.value.argument == "card_size" and "A6" in info.value.accepted


def test_email_notes_are_not_printed_and_stay_approved(queue: pn.ReviewQueue, tmp_path: Path) -> None:
    card = _approve(queue, clean_draft("card"))
    email = _approve(queue, channel_draft("email", "email"))
    result = queue.export("pdf", tmp_path / "cards.pdf")
    assert result.draft_ids == (card.id,) and [d for d, _ in result.not_printed] == [email.id]
    assert "its channel is email" in result.not_printed[0][1]
    assert len(PdfReader(tmp_path / "cards.pdf").pages) == 1
    assert queue.get(email.id).state == "approved"
    assert queue.export("jsonl", tmp_path / "emails.jsonl").draft_ids == (email.id,)


def test_only_email_notes_write_no_pdf(queue: pn.ReviewQueue, tmp_path: Path) -> None:
    email = _approve(queue, channel_draft("email", "only"))
    result = queue.export("pdf", tmp_path / "cards.pdf")
    assert not result.written and result.not_printed[0][0] == email.id
    assert not (tmp_path / "cards.pdf").exists() and not (tmp_path / "cards.manifest.csv").exists()


def test_letters_get_a_letter_page_with_the_date_and_a_line_per_signer(queue: pn.ReviewQueue,
                                                                      tmp_path: Path) -> None:
    letter = _approve(queue, channel_draft("letter", "letter"))
    card = _approve(queue, clean_draft("with a letter"))
    queue.export("pdf", tmp_path / "post.pdf")
    reader = PdfReader(tmp_path / "post.pdf")
    assert [_size(page) for page in reader.pages] == [A6, A4]  # the cards, then the letters
    date_line, *rest = reader.pages[1].extract_text().split("\n")
    day = printed_note(queue.get(letter.id)).date_line
    assert date_line.strip() == day and day is not None and day.endswith("2026")
    assert " ".join(rest).split() == approved_words(letter.text) and "Yours sincerely," in rest
    assert _drawn_lines(reader, reader.pages[1]) == 2
    assert [row["draft_id"] for row in _manifest(tmp_path / "post.manifest.csv")] == [str(card.id),
                                                                                      str(letter.id)]
    queue.export("pdf", tmp_path / "us.pdf", letter_size="letter", again=True)
    assert _size(PdfReader(tmp_path / "us.pdf").pages[1]) == US_LETTER


def test_the_manifest_maps_each_page_to_its_draft_version_hash_and_approver(queue: pn.ReviewQueue,
                                                                           tmp_path: Path) -> None:
    items = [_approve(queue, clean_draft(v)) for v in ("m1", "m2", "m3")]
    result = queue.export("pdf", tmp_path / "cards.pdf")
    assert result.manifest == tmp_path / "cards.manifest.csv" == manifest_path(tmp_path / "cards.pdf")
    rows = _manifest(result.manifest)
    assert tuple(rows[0]) == MANIFEST_COLUMNS
    pages = PdfReader(tmp_path / "cards.pdf").pages
    assert [row["page"] for row in rows] == ["1", "2", "3"] and len(pages) == 3
    for row, item, page in zip(rows, items, pages, strict=True):
        exported = queue.get(item.id)
        approval = exported.approval
        assert approval is not None
        assert (row["draft_id"], row["version"], row["text_sha256"]) == (str(item.id), str(item.version),
                                                                         exported.text_sha256)
        assert (row["approved_by"], row["approver_role"], row["approved_at"]) == ("Alice Smith", "crew lead",
                                                                                  approval.signed_at)
        assert page.extract_text().split() == approved_words(exported.text)


def test_a_rewritten_sign_off_draws_each_line_of_underscores_once(queue: pn.ReviewQueue,
                                                                  tmp_path: Path) -> None:
    """A reviewer who rewrote the sign-off: its underscore lines are drawn (not typed), nothing twice."""
    text = ("Dear Ms Okafor,\n\nCongratulations on 2 million miles with us on today's flight to JFK.\n\n"
            "With warm regards from the whole crew,\n______________\nCaptain A. Reyes")
    item = _approve(queue, clean_draft("rewritten"), text=text)
    assert item.text == text
    queue.export("pdf", tmp_path / "cards.pdf")
    reader = PdfReader(tmp_path / "cards.pdf")
    shown = reader.pages[0].extract_text()
    assert shown.split() == approved_words(text) and "_" not in shown
    assert _drawn_lines(reader, reader.pages[0]) == 1


def test_a_note_too_long_for_its_card_is_left_out_with_the_reason(queue: pn.ReviewQueue,
                                                                  tmp_path: Path) -> None:
    body = " ".join(f"Sentence {i} says thank you in its own words for flight {i}." for i in range(45))
    long = _approve(queue, clean_draft("long"), text=body)
    short = _approve(queue, clean_draft("short"))
    result = queue.export("pdf", tmp_path / "cards.pdf")
    assert result.draft_ids == (short.id,) and [d for d, _ in result.left_out] == [long.id]
    assert "too long for one card page of A6" in result.left_out[0][1]
    assert queue.get(long.id).state == "approved"
    big = queue.export("pdf", tmp_path / "big.pdf", card_size="A5")  # fits a larger card
    assert big.draft_ids == (long.id,)


def test_a_character_the_font_lacks_is_left_out_not_printed_as_a_box(queue: pn.ReviewQueue,
                                                                     tmp_path: Path) -> None:
    item = _approve(queue, clean_draft("cjk"), text="Congratulations on 2 million miles, 恭喜 from the crew.")
    result = queue.export("pdf", tmp_path / "cards.pdf")
    assert not result.written and result.left_out[0][0] == item.id
    assert "no glyph for '恭' (U+606D), '喜' (U+559C)" in result.left_out[0][1]


def test_the_note_is_set_in_dejavu_serif_embedded() -> None:
    font = find_font()
    if font.name != "DejaVuSerif.ttf":
        if os.environ.get("CI"):
            pytest.fail("CI must have DejaVu Serif: .ci/run installs fonts-dejavu-core")
        pytest.skip("DejaVu Serif is not installed here (apt-get install fonts-dejavu-core); CI installs it")
    assert Path(font).parent.as_posix() in C.FONT_DIRS


def test_the_pdf_is_embedded_and_the_same_bytes_on_a_reprint(queue: pn.ReviewQueue, tmp_path: Path) -> None:
    _approve(queue, clean_draft("same"))
    queue.export("pdf", tmp_path / "1.pdf")
    queue.export("pdf", tmp_path / "2.pdf", again=True)
    first = (tmp_path / "1.pdf").read_bytes()
    assert first == (tmp_path / "2.pdf").read_bytes()
    reader = PdfReader(io.BytesIO(first))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = [f.get_object() for f in fonts.values() if "+" in str(f.get_object()["/BaseFont"])]
    assert embedded, "the note's font is embedded as a subset"


@given(st.lists(st.one_of(st.text("ab ,.'&<>é", max_size=20), st.just("_" * 12), st.just("  ____ "),
                          st.just("")), max_size=12))
def test_a_page_shows_the_approved_words_less_lines_of_underscores(lines: list[str]) -> None:
    """The signing rule, for any text: printed words == approved words (whitespace aside)."""
    item = _queued_card()
    text = "\n".join(lines)
    for candidate in (text, f"{text}\n\n{item.draft.closing}\n{item.draft.signature_block}"):
        note = printed_note(dataclasses.replace(item, text=candidate))
        assert printed_words(note) == approved_words(candidate)


@lru_cache(maxsize=1)
def _queued_card() -> pn.QueuedDraft:
    """The flyer's queued card (a QueuedDraft holds no connection to its store)."""
    with tempfile.TemporaryDirectory() as folder, pn.ReviewQueue(Path(folder) / "r.sqlite3") as queue:
        return queue.submit(clean_draft("property"), flyer_context())
