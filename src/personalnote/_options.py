"""How a note is drafted, said once: the options every drafting entry point takes, and prices.

``draft_note``, ``adraft_note``, ``draft_many``, ``adraft_many``, ``write_batch_requests`` and
``read_batch_results`` all take these keyword arguments (``**options: Unpack[DraftOptions]``);
``settle`` fills in the defaults (read from ``_constants`` at call time) and refuses a name
that is not an option, as a misspelt keyword argument would be refused.

Example::

    options: DraftOptions = {"channel": "card", "signers": [Signer("Captain")], "max_candidates": 2}
    draft_note(history, as_of=as_of, **options)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, TypedDict, cast

from . import _constants as C
from ._compose import Signer
from ._history import Channel
from ._moment_types import Moment

__all__ = ["DraftOptions", "Price", "cost_usd", "price_table", "settle"]

Price = tuple[float, float]  # USD per 1M tokens: (input, output)


class DraftOptions(TypedDict, total=False):
    """The drafting options; every one may be left out (its default in brackets).

    - ``moment``: a kind (``"milestone"``) or a ``Moment`` [the customer's strongest]
    - ``channel``: ``card``, ``email``, ``letter`` or ``sms`` [the customer's preferred, else email]
    - ``signers``: who signs, in order [none: "the team"]
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
    - ``prices``: USD per 1M tokens by model name, over the default table [``PRICES_PER_MILLION``]
    """

    moment: Moment | str | None
    channel: Channel | None
    signers: Sequence[Signer]
    business_events: Sequence[Any]
    prompt: str | None
    max_prompt_tokens: int
    max_completion_tokens: int
    max_reasks: int
    max_candidates: int | None
    max_total_tokens: int | None
    max_seconds: float | None
    prices: dict[str, Price] | None


def _defaults() -> DraftOptions:
    return {"moment": None, "channel": None, "signers": (), "business_events": (), "prompt": None,
            "max_prompt_tokens": C.MAX_PROMPT_TOKENS, "max_completion_tokens": C.MAX_COMPLETION_TOKENS,
            "max_reasks": C.VALIDATION_REASKS, "max_candidates": None, "max_total_tokens": None,
            "max_seconds": None, "prices": None}


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
    return cast(DraftOptions, {**_defaults(), **given})


def cost_usd(price: Price | None, prompt_tokens: int, completion_tokens: int) -> float | None:
    """What the tokens cost at ``price`` (None when the model has no price), unrounded."""
    if price is None:
        return None
    return (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000


def price_table(prices: dict[str, Price] | None) -> dict[str, Price]:
    """The default price table with the caller's overrides."""
    return dict(C.PRICES_PER_MILLION, **(prices or {}))
