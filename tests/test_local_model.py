"""End to end on the embedded model (SmolLM2-135M in llama-cpp-python): no network, no key.

Asserts structure and provenance, not wording: the bundled model writes demo-quality notes.
"""

from __future__ import annotations

import personalnote as pn
from personalnote._local import bundled_model_path, local_model_available

from .support import AS_OF, FIXTURES


def test_bundled_model_is_found_without_importing_its_package() -> None:
    path = bundled_model_path()
    assert path is not None and path.name.endswith(".gguf") and path.stat().st_size > 50_000_000
    assert local_model_available()


def test_draft_on_the_embedded_model() -> None:
    data = pn.load(FIXTURES / "customers" / "flyer_2m_miles.json")
    draft = pn.draft_note(data.customers[0], as_of=AS_OF, model="local",
                          signers=[pn.Signer("Captain"), pn.Signer("First Officer")])
    assert isinstance(draft, pn.Draft)
    assert draft.text.startswith("Dear Ms Okafor,") and draft.body
    assert draft.claims and all(set(c.fact_ids) <= set(draft.provenance.facts_in_prompt)
                                for c in draft.claims)
    p = draft.provenance
    assert p.model == "smollm2-135m-instruct-q4_1" and p.attempts >= 1
    assert p.prompt_tokens > 0 and p.completion_tokens > 0 and p.cost_usd == 0.0
    # a card a crew would sign: the framed prompt, no blocking finding, the moment stated, two lines
    assert p.prompt == "framed" and p.mode == "framed" and not draft.blocking, draft.findings
    assert draft.sentences[0].author == "library" and "2 million miles" in draft.sentences[0].text
    assert draft.channel == "card" and draft.text.count("\n____") == 2
    assert len(p.candidate_blocking) == p.candidates >= 1
