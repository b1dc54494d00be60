"""Replies and translation in a real browser: tick a text, draft a reply through the real worker and model (with
its progress bar), approve and edit it; read a Chinese review translated, and set the reading language."""

import pytest

from apps.accounts.services import ensure_member
from apps.corpus.models import CustomerText
from apps.dashboard.management.commands.load_demo import DEMO_KNOWLEDGE, DEMO_REPLY_POLICY
from apps.replies import services
from apps.replies.models import ReplyDraft
from tests.conftest import import_now
from tests.fakes import FakeLLM, RepliesScript

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.llm, pytest.mark.django_db(transaction=True)]

CSV = ("text,rating,date\n"
       "\"My lamp battery dies after two hours since the update\",1,2026-10-01\n"
       "\"Battery drains overnight since the firmware update\",2,2026-10-02\n"
       "\"Beautiful warm light, perfect for reading\",5,2026-10-03\n"
       "\"电池一晚上就没电了，升级固件以后更严重了\",1,2026-10-04\n").encode()
# A reply a person would write: no fact, offer or promise for the policy check to flag.
CLEAN = "Thank you for telling us, and sorry for the trouble with your lamp."


def test_draft_approve_edit_and_translate_in_the_browser(person, celery_worker, llm_base_url, make_member,
                                                         request):
    ensure_member("replies-owner", "Replies Co", "owner", password="replies-pass-123")
    member = make_member("owner", "Replies Co", username="replies-owner")
    import_now(member, "r.csv", CSV)
    services.seed_reply_policy(member.workspace, DEMO_REPLY_POLICY, DEMO_KNOWLEDGE)
    battery = CustomerText.objects.get(workspace=member.workspace, text__startswith="My lamp battery")
    chinese = CustomerText.objects.get(workspace=member.workspace, language="zh")
    # Murmur serves no favicon; Chromium's request for it is not an error of these pages.
    person.page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    person.login("replies-owner", "replies-pass-123")

    person.go("/replies/")
    assert person.page.locator("nav a[href='/replies/']").count() == 1
    person.page.check(f"input[name=text_id][value='{battery.pk}']")
    person.page.click("[data-action=draft-selected]")
    person.page.wait_for_selector("#draft-progress .job .progress")  # the progress bar appears at once
    person.shot("1-drafting")
    person.page.wait_for_selector(f".reply[data-draft-id] a[href='/replies/text/{battery.pk}/']", timeout=600_000)
    card = person.page.locator(".reply[data-draft-id]").first
    assert card.locator(".reply-body").inner_text().strip()
    assert "moderation:" in card.inner_text()
    person.shot("2-draft")
    draft = ReplyDraft.objects.get(pk=int(card.get_attribute("data-draft-id")))
    assert card.locator("[data-action=approve]").is_enabled() == (draft.moderation_status == "approved")
    if draft.moderation_status != "approved" or services.blocking_flags(draft):
        # The model's draft cannot be approved as it is (moderation has not cleared it, or the policy check
        # flagged it): a person edits it to a clean reply, which is checked and moderated again.
        card.locator("[data-action=edit]").click()
        card.locator(".editor textarea").fill(CLEAN)
        card.locator(".editor button.primary").click()
        person.page.wait_for_selector(f".reply .reply-body:has-text('{CLEAN}')")
        card = person.page.locator(".reply[data-draft-id]").first
    draft = ReplyDraft.objects.get(pk=int(card.get_attribute("data-draft-id")))
    assert draft.moderation_status == "approved" and not services.blocking_flags(draft), draft.policy_flags
    card.locator("[data-action=approve]").click()
    person.page.wait_for_selector(".reply.reply-approved")
    assert ReplyDraft.objects.get(pk=draft.pk).status == "approved"
    person.shot("3-approved")

    card = person.page.locator(".reply[data-draft-id]").first
    card.locator("[data-action=edit]").click()
    card.locator(".editor textarea").fill("Thanks for telling us. Firmware 2.3.1 fixes the battery drain.")
    card.locator(".editor button.primary").click()
    person.page.wait_for_selector(".reply .reply-body:has-text('Firmware 2.3.1 fixes the battery drain.')")
    card = person.page.locator(".reply[data-draft-id]").first
    assert "edited" in card.inner_text() and "reply-approved" not in (card.get_attribute("class") or "")
    person.shot("4-edited")

    # Translation is asked of the gateway in the web process: a scripted model keeps what the page shows exact.
    # From here on (not before: drafting used the real model), this process's get_gateway() is the fake's.
    llm = FakeLLM().serve()
    request.addfinalizer(llm.stop)
    fake = llm.use(RepliesScript())
    person.go(f"/texts/{chinese.pk}/")
    person.page.wait_for_selector(".translation-lang option[value=zh]", state="attached")
    person.page.select_option(".translation-lang", "en")
    person.page.click(".translation [data-action=translate]")
    person.page.wait_for_selector(".translation-output:not([hidden])")
    assert person.page.inner_text(".translation-output").startswith("Translated:")
    assert "Translated from zh into en" in person.page.inner_text(".translation-meta")
    person.shot("5-translated")
    person.page.click(".translation [data-action=translate]")  # back to the original only
    assert person.page.locator(".translation-output").is_hidden()

    person.go("/replies/")
    person.page.select_option("#language-form select[name=language]", "zh")
    person.page.click("#language-form button")
    person.page.wait_for_selector("#language-result:has-text('Saved')")
    person.go(f"/texts/{battery.pk}/")
    person.page.wait_for_selector(".translation-lang option[value=zh]:checked", state="attached")
    person.page.click(".translation [data-action=translate]")
    person.page.wait_for_selector(".translation-output:not([hidden])")
    assert person.page.inner_text(".translation-output").startswith("翻译")
    person.shot("6-translated-into-my-language")
    assert fake.translate_calls == 2
