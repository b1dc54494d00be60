import pytest
from apps.corpus.models import CustomerText
from apps.dashboard.management.commands.load_demo import DEMO_KNOWLEDGE, DEMO_REPLY_POLICY
from apps.replies import services
from apps.replies.models import ReplyDraft
from tests.conftest import import_now

pytestmark = [pytest.mark.llm]

def test_diag(owner, llm_base_url):
    data = ("text,rating\n\"The battery dies after two hours since the firmware 2.3 update. I want my money back!\",1\n"
            "\"电池一晚上就没电了，升级固件以后更严重了，太失望了\",1\n\"Battery drains overnight since the update\",2\n"
            "\"快递盒子被压坏了，灯也摔坏了\",1\n").encode()
    import_now(owner, "r.csv", data)
    services.seed_reply_policy(owner.workspace, DEMO_REPLY_POLICY, DEMO_KNOWLEDGE)
    ids = list(CustomerText.objects.filter(workspace=owner.workspace).order_by("pk").values_list("pk", flat=True))
    job = services.start_drafts(owner.ctx, services.Selection(text_ids=ids[:2] + ids[3:]), 1)
    services.run_drafts(str(job.pk))
    job.refresh_from_db()
    print("JOB", job.status, job.message, job.error, job.result)
    for d in ReplyDraft.objects.filter(job=job):
        print("----", d.text.text[:50], "| lang", d.language, "| attempts", d.attempts, "| mod", d.moderation_status, d.moderation_reason[:100])
        print(d.body)
        print("flags", [(f["kind"], f["text"]) for f in d.policy_flags], "sources", d.sources, "points", d.points)
    for tid in ids:
        t = CustomerText.objects.get(pk=tid)
        for lang in ("en", "zh"):
            o = services.translate_texts(owner.workspace, [t], lang)[0]
            print("TR", tid, t.language, "->", lang, "same" if o.same_language else "", "ERR " + o.error if o.error else o.translated_text[:200])
