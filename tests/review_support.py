"""Shared material for the review-queue tests: the flyer, drafts from the fake model, history changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache
from typing import Any

import personalnote as pn
from personalnote.testing import FakeChatModel

from .conftest import AS_OF, FIXTURES
from .test_draft import CREW, GOOD, PARIS

#: approvals happen an hour after drafting
LATER = AS_OF + timedelta(hours=1)
ALICE = pn.Reviewer("alice", "Alice Smith", "crew lead")
BOB = pn.Reviewer("bob", "Bob Jones", "purser")


@lru_cache(maxsize=1)
def flyer() -> pn.CustomerHistory:
    return pn.load(FIXTURES / "customers" / "flyer_2m_miles.json").customers[0]


@lru_cache(maxsize=1)
def flyer_context() -> pn.CustomerContext:
    return pn.build_context(flyer(), AS_OF)


@lru_cache(maxsize=2)
def _drafted(reply: str) -> pn.Draft:
    body = GOOD if reply == "good" else PARIS
    draft = pn.draft_note(flyer_context(), model=FakeChatModel([body]), signers=CREW, max_candidates=1)
    assert isinstance(draft, pn.Draft)
    return draft


def clean_draft(prompt_version: str | None = None) -> pn.Draft:
    """The flyer's milestone card with no blocking finding; a prompt version makes another draft."""
    return _with_prompt_version(_drafted("good"), prompt_version)


def blocking_draft(prompt_version: str | None = None) -> pn.Draft:
    """A draft with blocking findings (a clock time, an invented place)."""
    return _with_prompt_version(_drafted("paris"), prompt_version)


def _with_prompt_version(draft: pn.Draft, prompt_version: str | None) -> pn.Draft:
    if prompt_version is None:
        return draft
    provenance = draft.provenance.model_copy(update={"prompt_version": prompt_version})
    return draft.model_copy(update={"provenance": provenance})


def changed_history(*, events: Sequence[dict[str, Any]] = (), **customer: Any) -> pn.CustomerHistory:
    """The flyer's history with events added and profile fields changed, validated again."""
    record = flyer().model_dump(mode="json", exclude_none=True)
    record["customer"].update(customer)
    record["events"] = [*record["events"], *events]
    return pn.CustomerHistory.model_validate(record)


def complaint(at: str = "2026-11-20T18:30:00Z") -> dict[str, Any]:
    return {"kind": "support_case", "id": "S-900", "at": at, "topic": "lost luggage", "status": "open",
            "sentiment": "negative"}
