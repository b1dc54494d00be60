"""The deterministic policy, language and grounding checks of reply drafts (no database, no model)."""

import pytest

from apps.replies import checks
from apps.replies.services import with_sign_off

POLICY = ("Refunds within 30 days of delivery, with the receipt. Never promise release dates for firmware. "
          "Do not offer discounts or vouchers.")
PROMISES = ["Free replacement for a lamp damaged in shipping"]
KNOWLEDGE = ["Battery drain\nFirmware 2.3.1 fixes the battery drain. Support: help.lumo.example, 9:00-18:00 CET."]
CUSTOMER = "My order #A12345 arrived broken and the battery dies. I paid $79 for it!"


@pytest.fixture
def allowed() -> checks.Allowed:
    return checks.allowed_from(customer_text=CUSTOMER, policy_text=POLICY, allowed_promises=PROMISES,
                               knowledge=KNOWLEDGE, extra_facts=["1 stars"], banned_words=["cheap", "亲"])


def kinds(draft: str, allowed: checks.Allowed) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in checks.check_draft(draft, allowed)]


def test_a_reply_within_the_policy_has_no_flags(allowed):
    draft = ("Sorry your lamp arrived broken! We'll send a free replacement for order A12345. Firmware 2.3.1 "
             "fixes the battery drain. If you prefer, a refund is possible within 30 days with the receipt. "
             "Thanks for the 1 stars — we earned them. See help.lumo.example (9:00-18:00 CET).")
    assert kinds(draft, allowed) == []


def test_invented_order_numbers_prices_and_percentages_are_flagged(allowed):
    draft = "Your order number is 987654 (ticket #5521). We refund $15 now and give 20% off your next lamp."
    found = kinds(draft, allowed)
    assert ("order_number", "987654") in found and ("order_number", "5521") in found
    assert ("price", "$15") in found and ("percentage", "20%") in found
    assert ("price", "$79") not in found  # never flagged: the customer said it


def test_the_customers_own_facts_may_be_repeated(allowed):
    assert kinds("You paid $79 for order #A12345; the refund covers it within 30 days.", allowed) == []


def test_offers_the_policy_does_not_cover_are_flagged(allowed):
    found = kinds("As compensation here is a voucher and a discount. We guarantee it will never happen again.",
                  allowed)
    assert {k for k, _ in found} == {"compensation", "guarantee"}
    assert ("compensation", "voucher") in found and ("guarantee", "guarantee") in found


def test_prohibitions_in_the_policy_allow_nothing():
    """"Never promise release dates" mentions deadlines but must not allow them; the same policy without a
    refund rule makes a refund offer a flag even when the customer asked for one."""
    allowed = checks.allowed_from(customer_text="I want a refund now!", policy_text="Never promise release dates. "
                                  "Do not offer refunds.")
    assert {k for k, _ in kinds("We will refund you and the fix ships tomorrow.", allowed)} == {"refund", "deadline"}
    assert checks.permissive_sentences("Refunds within 30 days. Never promise dates.") == ["Refunds within 30 days."]


def test_deadlines_must_be_ones_the_policy_gives(allowed):
    assert kinds("A refund is possible within 30 days.", allowed) == []
    assert ("deadline", "by Friday") in kinds("The update ships by Friday.", allowed)
    assert ("deadline", "tomorrow") in kinds("We will call tomorrow.", allowed)
    # Chinese: the same number of days as the policy is fine, an invented one is not
    assert kinds("收到货后30天内可以退款。", allowed) == []
    assert ("deadline", "三天内") in kinds("我们三天内给您答复。", allowed)


def test_chinese_replies_are_checked_too(allowed):
    found = kinds("非常抱歉！我们会为您补发，并赠送一张优惠券，打八折。订单号 LM-9921。", allowed)
    assert ("replacement", "补发") not in found  # replacements are allowed
    assert ("compensation", "赠送") in found and ("compensation", "优惠券") in found
    assert ("percentage", "八折") in found and ("order_number", "lm-9921") not in found
    assert any(kind == "order_number" and text == "LM-9921" for kind, text in found)


def test_links_not_in_the_policy_or_knowledge_are_flagged(allowed):
    found = kinds("Write to refunds@lumo-help.example or see www.cheap-lamps.example/help.", allowed)
    assert [k for k, _ in found if k == "link"] == ["link", "link"]
    assert kinds("See help.lumo.example for the update.", allowed) == []


def test_banned_words(allowed):
    assert ("banned_word", "cheap") in kinds("Not a cheap lamp.", allowed)
    assert ("banned_word", "Cheaper") in kinds("Cheaper than ever.", allowed)
    assert ("banned_word", "亲") in kinds("亲，您好！", allowed)


def test_numbers_written_in_chinese_count_as_numbers():
    assert checks.zh_numeral_value("三十") == 30 and checks.zh_numeral_value("一百二十") == 120
    assert checks.zh_numeral_value("两") == 2 and checks.zh_numeral_value("三五") is None
    found = checks.numbers_in("三十天内，1,000 元，2.3.1 版，9.90 元")
    assert [v for v, _, _ in found] == ["30", "1000", "2.3.1", "9.9"]


def test_overlapping_flags_keep_the_longer_one(allowed):
    found = checks.check_draft("Your order 987654 qualifies.", allowed)
    assert [(f.kind, f.text, f.start, f.end) for f in found] == [("order_number", "987654", 11, 17)]


def test_language_checks():
    assert checks.language_matches("非常抱歉给您带来不便，我们会尽快处理您的问题。", "zh")
    assert not checks.language_matches("Sorry about the trouble with your lamp, we will look into it.", "zh")
    assert checks.language_matches("Sorry about the trouble with your lamp, we will look into it.", "en")
    assert not checks.language_matches("非常抱歉给您带来不便，我们会尽快处理您的问题。", "en")
    assert not checks.language_matches("Es tut uns sehr leid, dass die Lampe nicht funktioniert hat.", "en")
    assert checks.language_matches("Thanks!", "en")  # too short to judge: not flagged
    flag = checks.language_flag("Sorry about the trouble with your lamp, we will look into it.", "zh")
    assert flag is not None and flag.kind == "language" and "expected 'zh'" in flag.reason
    assert checks.written_in("您好，灯已经修好了。") == "zh"


def test_refs_are_only_those_shown():
    shown = ["snippet:3", "text:12", "reply:7"]
    assert checks.valid_refs(["text:12", "TEXT:12", "text:99", "snippet:3", 5], shown) == ["text:12", "snippet:3"]
    material = [("snippet:3", "Firmware 2.3.1 fixes the battery drain"), ("text:12", "Shipping was slow")]
    assert checks.infer_refs("The firmware update fixes the battery drain soon.", material) == ["snippet:3"]


def test_segments_highlight_flags_and_skip_stale_or_empty_spans():
    flags = [{"kind": "price", "text": "$15", "start": 8, "end": 11, "reason": "r"},
             {"kind": "language", "text": "", "start": 0, "end": 0, "reason": "r"},
             {"kind": "number", "text": "99", "start": 100, "end": 102, "reason": "r"}]
    pieces = checks.segments("We give $15 back.", flags)
    assert [p["text"] for p in pieces] == ["We give ", "$15", " back."]
    assert pieces[1]["flag"]["kind"] == "price" and pieces[0]["flag"] is None


def test_sign_off_is_added_in_its_own_script_only():
    assert with_sign_off("Thanks!", "— The Lumo team", "en") == "Thanks!\n\n— The Lumo team"
    assert with_sign_off("Thanks!\n— the lumo team", "— The Lumo team", "en") == "Thanks!\n— the lumo team"
    assert with_sign_off("谢谢您！", "— The Lumo team", "zh") == "谢谢您！"  # the model translates it
