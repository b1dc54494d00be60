"""The contract with the real model (SmolLM2 in tests, in-process: no worker): whatever the model writes, no
stored variant or draft carries an unflagged violation. A wrong-language answer is never stored; placeholders,
unsupported factual claims and a customer's voice are on the item's flags."""

import pytest

from apps.copy import contract
from apps.copy import services as copy
from apps.corpus.models import CustomerText
from apps.dashboard.management.commands.load_demo import DEMO_KNOWLEDGE, DEMO_REPLY_POLICY
from apps.replies import services as replies
from apps.replies.models import ReplyDraft
from apps.replies.selectors import reply_policy, snippets
from tests.conftest import import_now

pytestmark = [pytest.mark.llm, pytest.mark.django_db]

TEXTS = ["I bought this lamp for my husband and he loves the warm light for reading at night.",
         "Battery drains overnight since the update, really disappointing.",
         "灯光很柔和，晚上看书很舒服，我买了两个。", "电池一晚上就没电了，升级固件以后更严重了。"]


def _csv() -> bytes:
    rows = ["text,rating,date"] + [f'"{t}",{4 if i % 2 == 0 else 1},2026-10-1{i}' for i, t in enumerate(TEXTS)]
    return ("\n".join(rows) + "\n").encode()


def test_no_unflagged_violation_reaches_a_stored_variant_or_draft(owner, llm_base_url):
    import_now(owner, "r.csv", _csv())
    for language in ("en", "zh"):
        request = copy.start_copy(owner.ctx, {"product": "Lumen reading lamp", "audience": "people who read at "
                                              "night", "goal": "pre-orders", "channel": "ad", "length": "short",
                                              "variants": 2, "language": language})
        copy.run_copy(request.pk)
        request.refresh_from_db()
        brief, quotes = copy.brief_of(request), [q["text"] for q in request.grounding["quotes"]]
        support = contract.support_from(copy.support_for(request.grounding, brief, request.brand_voice)[0])
        for variant in request.variants.all():
            flagged = {(c["kind"], c["text"]) for c in variant.flagged_claims}
            assert contract.language_problem(variant.text, language) is None, variant.text
            for finding in [*contract.find_placeholders(variant.text),
                            *contract.find_unsupported_facts(variant.text, support),
                            *contract.find_customer_voice(variant.text, quotes)]:
                # Flagged, by its kind or by a flag on the same words: each span is flagged once, so "我买了"
                # inside a quote copied word for word carries the verbatim flag (as replies' policy flags do).
                assert any(finding.text in text for _, text in flagged), (finding, variant.text)
        # every requested variant is stored or accounted for by a sentence in the notes
        accounted = sum(1 for n in request.notes if " failed: " in n or "was dropped" in n)
        assert request.variants.count() + accounted == 2, request.notes

    replies.seed_reply_policy(owner.workspace, DEMO_REPLY_POLICY, DEMO_KNOWLEDGE)
    ids = list(CustomerText.objects.filter(workspace=owner.workspace).values_list("pk", flat=True))
    job = replies.start_drafts(owner.ctx, replies.Selection(text_ids=ids))
    replies.run_drafts(str(job.pk))
    policy, known = reply_policy(owner.workspace), snippets(owner.workspace)
    for draft in ReplyDraft.objects.filter(job=job).select_related("text"):
        language = replies.reply_language(draft.text)
        assert contract.language_problem(draft.body, language) is None, draft.body
        allowed = replies.allowed_for(draft.text, policy, known, replies.voice_for(owner.workspace, policy))
        flagged = {(f["kind"], f["start"]) for f in draft.policy_flags}
        starts = [(f["start"], f["end"]) for f in draft.policy_flags]
        for finding in [*contract.find_placeholders(draft.body),
                        *contract.find_unsupported_facts(draft.body, allowed.support)]:
            covered = (finding.kind, finding.start) in flagged or any(
                s < finding.end and finding.start < e for s, e in starts)  # a policy flag on the same words
            assert covered, (finding, draft.body)
