"""The claims of a variant to flag for a person: what the brief, the brand voice and the quotes shown do not
support (checks.py and the shared contract.py)."""

from __future__ import annotations

from .. import checks, contract
from .brief import Brief


def support_for(grounding: dict, brief: Brief, voice: dict | None = None) -> tuple[list[str], list[str]]:
    """(what copy may state as fact, the customers' texts it must not pose as): the brief, the brand voice's
    samples and words, and the customer quotes the model was shown."""
    quotes = [q["text"] for q in grounding.get("quotes", [])]
    voice = voice or {}
    stated = [*brief.facts, brief.tone, *voice.get("samples", []), " ".join(voice.get("words_to_use", []))]
    return [*stated, *quotes], quotes


def claims_for(headline: str, body: str, call_to_action: str, grounding: dict, brief: Brief,
               voice: dict | None = None) -> list[dict]:
    """Every claim of a variant to flag: superlatives, guarantees and numbers no quote supports, factual claims
    nothing the user gave supports (each once across the fields), placeholders and a customer's voice."""
    sources, quotes = support_for(grounding, brief, voice)
    support = contract.support_from(sources)
    seen: set = set()
    found = []
    for name, value in (("headline", headline), ("body", body), ("call_to_action", call_to_action)):
        claims = checks.merge_claims(checks.find_contract_problems(value, support, quotes, seen),
                                     checks.find_unsupported_claims(value, sources, brief.facts), seen=seen)
        found += [{"field": name, **claim.as_dict()} for claim in claims]
    return found
