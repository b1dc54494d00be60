"""Writes of the copy studio: brand voice, copy generation (a job on the `llm` queue), variant edits and
approval, and product ideas drawn from the latest analysis. One module per sub-domain, all re-exported here, so
callers import `apps.copy.services` as one:

    brief       a brief (validated) and the workspace's brand voice
    grounding   the customer quotes and analysis findings relevant to a brief
    generation  asking the gateway for variants, asking again, the contract every variant keeps
    claims      the claims of a variant to flag: what the brief, voice and quotes do not support
    writing     a copy request as a job: start, run, store, fail, retry; failed jobs synced
    review      a variant under review: moderation's verdicts, withdrawn approvals, the history
    actions     people's actions on variants: edit, favourite, approve, regenerate (a job)
    ideas       product ideas from the latest analysis, each checked against its evidence (a job)
    errors      CopyError (400), CopyConflict (409)

A generation is one task for all variants: the quotes and themes relevant to the brief are retrieved once
(pgvector search over texts moderation cleared, and the latest analysis), then every variant is asked of
the gateway at once with its own seed. A variant that uses a word the brand voice avoids is asked again
with another seed, up to GENERATION_ATTEMPTS times, then dropped with a note; citations of texts the model
was not shown are discarded. Every kept, edited or regenerated variant is handed to moderation
(`moderate_variant`), and only a variant moderation approved can be approved by a person.

The constants are re-exported to be read. A test that changes one, or replaces a function, patches the module
that looks it up (`services.ideas.get_gateway`): the package's copy is read by nobody. Of the private names only
`_fail` is re-exported (tests fail a request with it); `get_gateway` is not (the fake model replaces the gateway
at its source).
"""

from .actions import (
    approve_variant,
    edit_variant,
    regenerate_retry_refusal,
    regenerate_variant,
    resend_regenerate,
    run_regenerate,
    set_favourite,
)
from .brief import (
    BRIEF_LIMITS,
    MAX_VARIANTS,
    VOICE_LIMITS,
    Brief,
    brand_voice_for,
    brief_of,
    parse_brief,
    update_brand_voice,
    voice_snapshot,
)
from .claims import claims_for, support_for
from .errors import CopyConflict, CopyError
from .generation import (
    CONTRACT_ATTEMPTS,
    GENERATION_ATTEMPTS,
    MAX_TOKENS,
    TEMPERATURE,
    VARIANTS_PROMPT,
    VARIANTS_VERSION,
    Drafted,
    Generation,
    compose,
    contract_problem,
    generate,
    language_of,
)
from .grounding import QUOTE_CHARS, QUOTES_IN_PROMPT, SEARCH_K, THEMES_IN_PROMPT, ground
from .ideas import (
    IDEA_ATTEMPTS,
    IDEA_FINDINGS,
    IDEA_QUOTES,
    IDEAS_PROMPT,
    IDEAS_VERSION,
    generate_ideas,
    ideas_retry_refusal,
    resend_ideas,
    start_ideas,
)
from .review import (
    HISTORY_KEPT,
    SUBJECT_TYPE,
    apply_moderation_outcome,
    calls_to_action_asked,
    moderate_variant,
    moderate_variants,
)
from .writing import _fail, resend_copy, run_copy, start_copy, sync_failed

__all__ = [
    "BRIEF_LIMITS", "CONTRACT_ATTEMPTS", "GENERATION_ATTEMPTS", "HISTORY_KEPT", "IDEA_ATTEMPTS", "IDEA_FINDINGS",
    "IDEA_QUOTES", "IDEAS_PROMPT", "IDEAS_VERSION", "MAX_TOKENS", "MAX_VARIANTS", "QUOTE_CHARS", "QUOTES_IN_PROMPT",
    "SEARCH_K", "SUBJECT_TYPE", "TEMPERATURE", "THEMES_IN_PROMPT", "VARIANTS_PROMPT", "VARIANTS_VERSION",
    "VOICE_LIMITS", "Brief", "CopyConflict", "CopyError", "Drafted", "Generation", "apply_moderation_outcome",
    "approve_variant", "brand_voice_for", "brief_of", "calls_to_action_asked", "claims_for", "compose",
    "contract_problem", "edit_variant", "_fail", "generate", "generate_ideas", "ground", "ideas_retry_refusal",
    "language_of", "moderate_variant", "moderate_variants", "parse_brief", "regenerate_retry_refusal",
    "regenerate_variant", "resend_copy", "resend_ideas", "resend_regenerate", "run_copy", "run_regenerate",
    "set_favourite", "start_copy", "start_ideas", "support_for", "sync_failed", "update_brand_voice", "voice_snapshot",
]
