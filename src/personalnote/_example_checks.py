"""The check that keeps other customers out of a note drafted with style examples.

A style example's names and distinctive details are taken out before it reaches the prompt
(``_examples``) and kept beside it. A note that states one of them anyway, when it is not this
customer's own name, a signer's, or in this customer's facts, gets a blocking ``other_customer``
finding naming the example it belongs to: another customer's facts never pass the checks, however
the model came by them. Names match as written (a "Rose" is not "rose"), details in any case.

Example::

    example_findings(draft.text, ctx, examples, draft.signers)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ._compose import Signer
from ._context import CustomerContext
from ._draft_types import Finding
from ._examples import StyleExample

__all__ = ["example_findings"]


def _words(*texts: str | None) -> set[str]:
    return {w.casefold() for text in texts if text for w in re.findall(r"[\w'’.-]+", text)}


def example_findings(text: str, ctx: CustomerContext, examples: Sequence[StyleExample],
                     signers: Sequence[Signer] = ()) -> list[Finding]:
    """Blocking findings for each name or detail of a style example's customer in ``text`` that is
    not this customer's (their names, the signers', their facts)."""
    if not examples:
        return []
    profile = ctx.customer
    own = _words(profile.given_name, profile.family_name, profile.preferred_name,
                 *(s.name for s in signers), *(s.role for s in signers))
    known = " ".join(f"{f.text} {f.quote or ''}" for f in ctx.facts.values()).casefold()
    findings: list[Finding] = []
    taken: list[tuple[int, int]] = []
    wanted: list[tuple[str, bool, int]] = []  # (words, a name, the example's queue id)
    for example in examples:
        wanted += [(n, True, example.draft_id) for n in example.withheld_names
                   if not _words(n) <= own and n.casefold() not in known]
        wanted += [(d, False, example.draft_id) for d in example.withheld_details
                   if d.casefold() not in known and not _words(d) <= own]
    for words, is_name, draft_id in sorted(wanted, key=lambda w: (-len(w[0]), w[0], w[2])):
        pattern = re.compile(rf"(?<!\w){re.escape(words)}(?!\w)", 0 if is_name else re.IGNORECASE)
        for match in pattern.finditer(text):
            span = (match.start(), match.end())
            if any(span[0] < e and s < span[1] for s, e in taken):
                continue
            taken.append(span)
            what = "name" if is_name else "detail"
            findings.append(Finding(kind="other_customer", severity="blocking", span=span,
                                    message=f"'{match.group(0)}' is another customer's {what} (from the "
                                            f"style example of draft {draft_id}), not in this customer's "
                                            "facts"))
    findings.sort(key=lambda f: f.span or (0, 0))
    return findings
