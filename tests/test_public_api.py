"""The public API as users see it: names, modules, the types in public signatures, the options."""

from __future__ import annotations

import inspect
import json
import pickle
import typing

import pytest

import personalnote as pn
from personalnote.cli import main
from personalnote.testing import FakeChatModel

from .support import AS_OF, GOOD, flyer


def test_exports_show_as_personalnote_names() -> None:
    assert pn.StaleDraftError.__module__ == "personalnote"
    assert repr(pn.StaleDraftError) == "<class 'personalnote.StaleDraftError'>"
    assert pn.Draft.__module__ == pn.draft_note.__module__ == pn.ReviewQueue.__module__ == "personalnote"
    classes = [getattr(pn, n) for n in pn.__all__ if inspect.isclass(getattr(pn, n))]
    assert classes and all(c.__module__ == "personalnote" for c in classes)


def test_a_draft_pickles_and_validates_under_its_public_name() -> None:
    draft = pn.draft_note(flyer(), as_of=AS_OF, model=FakeChatModel([GOOD]), max_candidates=1)
    assert isinstance(draft, pn.Draft)
    assert pickle.loads(pickle.dumps(draft)) == draft
    assert pn.Draft.model_validate_json(draft.model_dump_json()) == draft


def test_types_of_public_signatures_are_exported() -> None:
    for name in ("Channel", "State", "ExportFormat", "Detector", "SuppressedMoment", "DraftOptions",
                 "ManyOptions", "FailedAttempt", "load_customers"):
        assert name in pn.__all__ and hasattr(pn, name), name
    assert set(typing.get_args(pn.Channel)) == {"card", "email", "letter", "sms"}
    assert "approved" in typing.get_args(pn.State) and "card" in typing.get_args(pn.ExportFormat)
    assert "max_candidates" in pn.DraftOptions.__optional_keys__
    assert {"queue", "concurrency"} <= pn.ManyOptions.__optional_keys__


def test_a_misspelt_drafting_option_is_a_type_error_naming_it() -> None:
    with pytest.raises(TypeError, match="'chanel'"):
        pn.draft_note(flyer(), as_of=AS_OF, model=FakeChatModel([GOOD]), chanel="card")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="'max_canidates'"):
        pn.draft_many([flyer()], as_of=AS_OF, model=FakeChatModel([GOOD]),
                      max_canidates=1)  # type: ignore[call-arg]


def test_options_can_be_kept_and_passed_as_one_dict() -> None:
    options: pn.DraftOptions = {"channel": "card", "signers": [pn.Signer("Captain")], "max_candidates": 1}
    draft = pn.draft_note(flyer(), as_of=AS_OF, model=FakeChatModel([GOOD]), **options)
    assert isinstance(draft, pn.Draft) and draft.channel == "card" and "Captain" in draft.text


def test_validation_error_keeps_every_failed_attempt() -> None:
    fake = FakeChatModel(["not json", "{}", '{"body": "x"}'])
    with pytest.raises(pn.DraftValidationError) as info:
        pn.draft_note(flyer(), as_of=AS_OF, model=fake, max_reasks=2)
    failed = info.value.failed_attempts
    assert [f.content for f in failed] == ["not json", "{}", '{"body": "x"}']
    assert all(isinstance(f, pn.FailedAttempt) and f.problem and f.prompt_tokens > 0 for f in failed)
    assert info.value.errors == [f.problem for f in failed] and info.value.attempts == 3


def test_a_cut_off_answer_names_the_option_that_allows_more() -> None:
    cut = pn.ChatResult(content=json.dumps(GOOD), finish_reason="length", prompt_tokens=5,
                        completion_tokens=50, model="fake")
    fake = FakeChatModel([cut])
    with pytest.raises(pn.ResponseCutOffError) as info:
        pn.draft_note(flyer(), as_of=AS_OF, model=fake, max_completion_tokens=50)
    assert fake.requests[0].max_tokens == 50 and info.value.max_completion_tokens == 50
    assert "max_completion_tokens" in str(info.value)


def test_the_cli_takes_a_model_from_the_application(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeChatModel([GOOD])
    code = main(["draft", "fixtures/customers/flyer_2m_miles.json", "--as-of", AS_OF.isoformat(), "--json"],
                model=fake)
    assert code == 0 and len(fake.requests) >= 1
    assert json.loads(capsys.readouterr().out)["provenance"]["model"] == fake.name


def test_cli_choices_come_from_the_library_types(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["draft", "x.json", "--channel", "fax"])
    err = capsys.readouterr().err
    assert all(channel in err for channel in typing.get_args(pn.Channel))
