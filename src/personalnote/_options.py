"""How a note is drafted, said once: the options every drafting entry point takes, and prices.

``draft_note``, ``adraft_note``, ``draft_many``, ``adraft_many``, ``write_batch_requests`` and
``read_batch_results`` all take these keyword arguments (``**options: Unpack[DraftOptions]``);
``settle`` fills in the defaults (read from ``_constants`` at call time), refuses a name
that is not an option, as a misspelt keyword argument would be refused, and a value in no
accepted form with an ``ArgumentError`` that lists the accepted ones (``channel="fax"``, a
``moment`` kind no detector finds); signers may be given as ``"Role:Name"`` strings.

Example::

    options: DraftOptions = {"channel": "card", "signers": [Signer("Captain")], "max_candidates": 2}
    draft_note(history, as_of=as_of, **options)
"""

from __future__ import annotations

import math
import os
from collections.abc import Collection, Mapping, Sequence
from datetime import timedelta
from typing import Any, TypedDict, cast

from . import _constants as C
from ._compose import Signer, channel_from, signers_from
from ._detectors import registered_detectors
from ._errors import ArgumentError, ConfigurationError
from ._examples import StyleSource
from ._experiment import experiment_of
from ._history import Channel
from ._moment_types import Moment

__all__ = ["DraftOptions", "Price", "cost_usd", "deadline_seconds", "examples_from", "moment_from",
           "moment_kinds", "price_table", "settle"]

Price = tuple[float, float]  # USD per 1M tokens: (input, output)


class DraftOptions(TypedDict, total=False):
    """The drafting options; every one may be left out (its default in brackets).

    - ``moment``: a kind (``"milestone"``) or a ``Moment`` [the customer's strongest]
    - ``channel``: ``card``, ``email``, ``letter`` or ``sms`` [the customer's preferred, else email]
    - ``signers``: who signs, in order: ``Signer`` objects or ``"Role"`` / ``"Role:Name"`` strings
      [none: "the team"]
    - ``business_events``: restocks, new collections and other events of the business [none]
    - ``prompt``: a shipped prompt's name or a path to a prompt file [the model's default: ``framed``
      for the embedded model, else ``note``]
    - ``max_prompt_tokens``: the prompt's token budget [``MAX_PROMPT_TOKENS``]
    - ``max_completion_tokens``: tokens the model may write per answer [``MAX_COMPLETION_TOKENS``]
    - ``max_reasks``: re-asks after an invalid answer [``VALIDATION_REASKS``]
    - ``max_candidates``: candidates tried while blocking findings remain [the prompt's, else
      ``MAX_CANDIDATES``]
    - ``max_total_tokens``: stop trying candidates past this many tokens [no limit]
    - ``max_seconds``: stop trying candidates after this long [the prompt's, else no limit]
    - ``deadline_seconds``: the most a note may take in all, every model call and transport retry
      included; a server that does not answer in time is a ``ModelAPIError`` naming it
      [``$PERSONALNOTE_NOTE_DEADLINE``, else ``NOTE_DEADLINE``: 120 s]
    - ``prices``: USD per 1M tokens by model name, over the default table [``PRICES_PER_MILLION``]
    - ``house_style``: where approved notes come from as style examples: a ``ReviewQueue`` or a
      ``HouseStyle`` [none]
    - ``examples``: how many of the most similar approved notes of the same moment kind go into the
      prompt, names and details replaced by placeholders [``STYLE_EXAMPLES`` with a house style, else 0]
    - ``prompts``: an experiment's arms, prompt versions and their shares (``{"note@3": 0.5,
      "note@4": 0.5}``): each customer drafts with one, assigned by a hash of ``experiment`` and the
      customer id, the same on every run (instead of ``prompt``) [none]
    - ``experiment``: the experiment's name, recorded with each draft and its arm (with ``prompts``)
      [none]
    """

    moment: Moment | str | None
    channel: Channel | None
    signers: Sequence[Signer | str]
    business_events: Sequence[Any]
    prompt: str | None
    max_prompt_tokens: int
    max_completion_tokens: int
    max_reasks: int
    max_candidates: int | None
    max_total_tokens: int | None
    max_seconds: float | None
    deadline_seconds: float | timedelta | None
    prices: dict[str, Price] | None
    house_style: StyleSource | None
    examples: int | None
    prompts: Mapping[str, float] | None
    experiment: str | None


def _defaults() -> DraftOptions:
    return {"moment": None, "channel": None, "signers": (), "business_events": (), "prompt": None,
            "max_prompt_tokens": C.MAX_PROMPT_TOKENS, "max_completion_tokens": C.MAX_COMPLETION_TOKENS,
            "max_reasks": C.VALIDATION_REASKS, "max_candidates": None, "max_total_tokens": None,
            "max_seconds": None, "deadline_seconds": None, "prices": None, "house_style": None,
            "examples": None, "prompts": None, "experiment": None}


def settle(options: Mapping[str, Any], *, caller: str = "draft_note",
           own: Collection[str] = ()) -> DraftOptions:
    """Every drafting option, the caller's over the defaults.

    ``own`` names the caller's other keyword arguments (a batch's ``queue``), which are left
    out; any other name that is not an option is a ``TypeError`` naming it.
    """
    keys = DraftOptions.__optional_keys__
    unknown = sorted(set(options) - keys - set(own))
    if unknown:
        raise TypeError(f"{caller}() got unexpected keyword argument(s) {', '.join(map(repr, unknown))}; "
                        f"the drafting options are {', '.join(sorted(keys))}")
    given = {key: value for key, value in options.items() if key in keys}
    settled = cast(DraftOptions, {**_defaults(), **given})
    if settled["channel"] is not None:
        settled["channel"] = channel_from(settled["channel"], caller=caller)
    settled["signers"] = signers_from(settled["signers"], caller=caller)
    settled["moment"] = moment_from(settled["moment"], caller=caller)
    settled["deadline_seconds"] = deadline_seconds(settled["deadline_seconds"], caller=caller)
    settled["examples"] = examples_from(settled["house_style"], settled["examples"], caller=caller)
    if experiment_of(settled["prompts"], settled["experiment"], caller=caller) is not None \
            and settled["prompt"] is not None:
        raise ArgumentError("prompt", settled["prompt"], "give prompt= or an experiment's prompts=, not "
                            "both: in an experiment each customer's arm names the prompt", caller=caller)
    return settled


def examples_from(house_style: object, examples: object, *, caller: str | None = None) -> int:
    """How many style examples to put in the prompt: ``examples`` (a whole number, at least 0), else
    ``STYLE_EXAMPLES`` when a house style is given, else 0. A house style must be a ``StyleSource``
    (a ``ReviewQueue`` or a ``HouseStyle``)."""
    if house_style is not None and not isinstance(house_style, StyleSource):
        raise ArgumentError("house_style", house_style, "a ReviewQueue or a HouseStyle (anything with "
                            "style_examples(kind, about, customer_id, k))", caller=caller)
    if examples is None:
        return C.STYLE_EXAMPLES if house_style is not None else 0
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 0:
        raise ArgumentError("examples", examples, "a whole number of style examples, 0 or more",
                            caller=caller)
    if examples and house_style is None:
        raise ArgumentError("examples", examples, "style examples need house_style=queue (a ReviewQueue or "
                            "a HouseStyle) to take them from", caller=caller)
    return examples


#: the detectors registered by the library itself (an application's are registered later)
_BUILT_IN_DETECTORS = frozenset(registered_detectors())


def moment_kinds() -> list[str]:
    """The kinds of moment the registered detectors find: the library's own kinds (``FRESHNESS``; one
    detector may find another's kind, as ``milestone_ahead`` finds milestones) and, for a detector an
    application registered, its name."""
    built_in = set(C.FRESHNESS) - {"custom"}  # "custom": a caller's own Moment, no detector finds it
    return sorted(built_in | (set(registered_detectors()) - _BUILT_IN_DETECTORS))


def moment_from(value: object, *, caller: str | None = None) -> Moment | str | None:
    """A ``Moment``, None, or a kind the registered detectors find (else an ``ArgumentError`` listing
    them)."""
    if value is None or isinstance(value, Moment):
        return value
    kinds = moment_kinds()
    if isinstance(value, str) and value in kinds:
        return value
    listed = ", ".join(map(repr, kinds))
    raise ArgumentError("moment", value, f"no registered detector finds this kind of moment; the kinds are "
                        f"{listed} (register_detector adds one), or pass a Moment", caller=caller)


def deadline_seconds(value: object, *, caller: str | None = None) -> float:
    """The note's deadline in seconds: the argument, else ``$PERSONALNOTE_NOTE_DEADLINE``, else
    ``NOTE_DEADLINE``. It must be a positive number (a ``timedelta`` is accepted too)."""
    if value is None:
        text = os.environ.get(C.ENV_NOTE_DEADLINE, "").strip()
        if not text:
            return C.NOTE_DEADLINE.total_seconds()
        try:
            seconds = float(text)
        except ValueError:
            seconds = math.nan
        if not (math.isfinite(seconds) and seconds > 0):
            raise ConfigurationError(f"${C.ENV_NOTE_DEADLINE} is {text[:40]!r}: give a number of seconds "
                                     "greater than 0")
        return seconds
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 and math.isfinite(value):
        return float(value)
    raise ArgumentError("deadline_seconds", value, "a number of seconds greater than 0 (or a timedelta)",
                        caller=caller)


def cost_usd(price: Price | None, prompt_tokens: int, completion_tokens: int) -> float | None:
    """What the tokens cost at ``price`` (None when the model has no price), unrounded."""
    if price is None:
        return None
    return (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000


def price_table(prices: dict[str, Price] | None) -> dict[str, Price]:
    """The default price table with the caller's overrides."""
    return dict(C.PRICES_PER_MILLION, **(prices or {}))
