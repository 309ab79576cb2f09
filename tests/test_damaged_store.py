"""A store changed outside personalnote gives a typed error naming the row; an empty file is not a store."""

from __future__ import annotations

from pathlib import Path

import pytest

import personalnote as pn
from personalnote.cli import main

from .support import Stores, Target, clean_draft, flyer_context


def _queued(target: Target) -> int:
    with pn.ReviewQueue(target) as queue:
        return queue.submit(clean_draft(), flyer_context()).id


def test_a_draft_value_that_is_not_json_names_the_row(store_url: Target, stores: Stores) -> None:
    path = store_url
    draft_id = _queued(path)
    with stores.raw(path) as raw:
        raw.execute("UPDATE drafts SET draft = 'not json' WHERE id = ?", (draft_id,))
    with pn.ReviewQueue(path) as queue, pytest.raises(pn.DamagedStoreError) as info:
        queue.get(draft_id)
    assert info.value.row_id == draft_id and info.value.table == "drafts"
    assert f"row {draft_id} of drafts" in str(info.value) and isinstance(info.value, pn.StoreError)


def test_a_dropped_column_names_the_row(store_url: Target, stores: Stores) -> None:
    path = store_url
    draft_id = _queued(path)
    with stores.raw(path) as raw:
        raw.execute("ALTER TABLE drafts DROP COLUMN findings")
    with pn.ReviewQueue(path) as queue, pytest.raises(pn.DamagedStoreError) as info:
        queue.pending()
    assert info.value.row_id == draft_id


def test_the_cli_says_which_row_is_damaged(store_url: Target, stores: Stores,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = store_url
    draft_id = _queued(path)
    with stores.raw(path) as raw:
        raw.execute("UPDATE drafts SET draft = '{}' WHERE id = ?", (draft_id,))
    assert main(["review", "show", str(draft_id), "--store", str(path)]) == 2
    assert f"row {draft_id} of drafts is damaged" in capsys.readouterr().err


def test_an_empty_existing_file_is_not_turned_into_a_store(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    assert main(["review", "list", "--store", str(empty)]) == 2
    assert "empty file, not a review store" in capsys.readouterr().err and empty.stat().st_size == 0


@pytest.mark.parametrize("year", [1, 9999])
def test_build_context_at_the_calendars_ends_is_a_context_error(year: int) -> None:
    from datetime import UTC, datetime

    from .support import flyer

    with pytest.raises(pn.ContextError, match="outside the years 1800-2499"):
        pn.build_context(flyer(), datetime(year, 1, 1, 0, 30, tzinfo=UTC))
