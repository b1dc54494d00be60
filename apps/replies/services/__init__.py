"""Writes of replies. One module per sub-domain, all re-exported here, so callers import
`apps.replies.services` as one:

    policy       the owner's reply policy and knowledge snippets
    grounding    what a draft may draw on: similar cleared texts, approved replies, nearest snippets, the voice
    generation   asking the gateway for drafts, the policy checks on every answer, asking again
    drafting     drafting as a job on the `llm` queue: start, run, retry
    review       a draft under review: moderation's verdicts, a new body checked again and kept in the history
    actions      people's actions on drafts: edit, approve, reject; erasure's clean-up of sources
    errors       ReplyError (400), ReplyConflict (409)

The languages (a customer's language, a language's name) and the texts a bulk job works on (`Selection`) are
translation's (apps/translation/services), re-exported here for drafting's callers.

Reply drafts. One job on the `llm` queue drafts replies for a set of texts (chosen by id or by filter), a chunk
of texts at a time. Each text is grounded first: the nearest texts by meaning (pgvector) that moderation
cleared, approved replies to them, and the knowledge snippets nearest in meaning. Then every draft of the chunk
is asked of the gateway at once. The policy checks (checks.py) run on every answer: a draft that states facts
it cannot rely on, offers what the policy does not allow, leaves a placeholder or uses a word the brand voice
avoids is asked again with its problems listed, up to DRAFT_ATTEMPTS times; then the best answer is kept
with its flags, and a person must edit them away before approving it. An answer in the wrong language is never
kept: asked again once, then the text fails with a sentence saying so. Every stored or edited draft goes to
moderation (`moderate_generated_many`), and only a draft moderation approved can be approved.

The constants are re-exported to be read. A test that changes one, or replaces a function, patches the module
that looks it up (`services.drafting.CHUNK_TEXTS`): the package's copy is read by nobody. No private name and
not `get_gateway` is re-exported (the fake model replaces the gateway at its source).
"""

from apps.translation.services import Selection, language_name, reply_language, resolve_texts, valid_language

from .actions import (
    BLOCKING_FLAGS_EXCLUDE,
    EDIT_MAX_CHARS,
    approve_draft,
    blocking_flags,
    edit_draft,
    forget_texts,
    reject_draft,
)
from .drafting import CHUNK_TEXTS, MAX_TEXTS_PER_JOB, MAX_VARIANTS, resend_drafts, run_drafts, start_drafts
from .errors import ReplyConflict, ReplyError
from .generation import (
    CUSTOMER_CHARS,
    DRAFT_ATTEMPTS,
    FIRST_TEMPERATURE,
    LANGUAGE_ATTEMPTS,
    NO_POLICY,
    POLICY_CHARS,
    REPLY_MAX_TOKENS,
    REPLY_PROMPT,
    REPLY_VERSION,
    RETRY_TEMPERATURE,
    Drafted,
    Generation,
    Slot,
    flags_for,
    generate,
    prepare_slots,
    slots_for,
    with_sign_off,
)
from .grounding import (
    EARLIER_CHARS,
    EARLIER_IN_PROMPT,
    QUOTE_CHARS,
    SEARCH_K,
    SIMILAR_IN_PROMPT,
    SNIPPET_CHARS,
    SNIPPET_MIN_SCORE,
    SNIPPETS_IN_PROMPT,
    allowed_for,
    embed_snippets,
    ground,
    rank_snippets,
    voice_for,
)
from .policy import (
    POLICY_LIMITS,
    PROMISE_CHARS,
    PROMISES_MAX,
    SNIPPET_BODY_CHARS,
    SNIPPET_TITLE_CHARS,
    SNIPPETS_MAX,
    add_snippet,
    delete_snippet,
    policy_for,
    policy_snapshot,
    seed_reply_policy,
    update_policy,
    update_snippet,
)
from .review import HISTORY_KEPT, SUBJECT_TYPE, apply_moderation_outcome, moderate_drafts

__all__ = [
    "BLOCKING_FLAGS_EXCLUDE", "CHUNK_TEXTS", "CUSTOMER_CHARS", "DRAFT_ATTEMPTS", "EARLIER_CHARS", "EARLIER_IN_PROMPT",
    "EDIT_MAX_CHARS", "FIRST_TEMPERATURE", "HISTORY_KEPT", "LANGUAGE_ATTEMPTS", "MAX_TEXTS_PER_JOB", "MAX_VARIANTS",
    "NO_POLICY", "POLICY_CHARS", "POLICY_LIMITS", "PROMISE_CHARS", "PROMISES_MAX", "QUOTE_CHARS", "REPLY_MAX_TOKENS",
    "REPLY_PROMPT", "REPLY_VERSION", "RETRY_TEMPERATURE", "SEARCH_K", "SIMILAR_IN_PROMPT", "SNIPPET_BODY_CHARS",
    "SNIPPET_CHARS", "SNIPPET_MIN_SCORE", "SNIPPET_TITLE_CHARS", "SNIPPETS_IN_PROMPT", "SNIPPETS_MAX", "SUBJECT_TYPE",
    "Drafted", "Generation", "ReplyConflict", "ReplyError", "Selection", "Slot", "add_snippet", "allowed_for",
    "apply_moderation_outcome", "approve_draft", "blocking_flags", "delete_snippet", "edit_draft", "embed_snippets",
    "flags_for", "forget_texts", "generate", "ground", "language_name", "moderate_drafts", "policy_for",
    "policy_snapshot", "prepare_slots", "rank_snippets", "reject_draft", "reply_language", "resend_drafts",
    "resolve_texts", "run_drafts", "seed_reply_policy", "slots_for", "start_drafts", "update_policy", "update_snippet",
    "valid_language", "voice_for", "with_sign_off",
]
