"""The deterministic checks of generated copy: banned words, unsupported claims, highlighting, grounding."""

import pytest

from apps.copy import checks
from apps.copy.services import CopyError, parse_brief


@pytest.mark.parametrize(("text", "words", "found"), [
    ("This lamp is CHEAP and cheerful", ["cheap"], ["cheap"]),
    ("Cheaper than the rest", ["cheap"], ["cheap"]),  # inflections count
    ("Freedom to read anywhere", ["free"], []),  # but not other words that start the same
    ("ＣＨＥＡＰ thrills", ["cheap"], ["cheap"]),  # full-width letters
    ("A no-brainer deal", ["no brainer", "deal"], ["deal"]),
    ("A no  brainer", ["no brainer"], ["no brainer"]),  # phrases match across whitespace
    ("cheap-looking", ["cheap"], ["cheap"]),
    ("最好的台灯", ["最好"], ["最好"]),  # Chinese terms match inside words
    ("这是最便宜的灯", ["便宜"], ["便宜"]),
    ("超值好物cheap", ["cheap", "超值"], ["cheap", "超值"]),  # mixed scripts
    ("Nothing to see", ["", "  "], []),
])
def test_banned_words(text, words, found):
    assert checks.find_banned(text, words) == found


def kinds(text, sources=(), facts=()):
    return [(c.kind, c.text) for c in checks.find_unsupported_claims(text, sources, facts)]


def test_superlatives_guarantees_and_numbers_are_flagged():
    text = "The best lamp ever. Guaranteed to last, 3x brighter, 50% less glare, #1 in Europe."
    assert kinds(text) == [("superlative", "best"), ("guarantee", "Guaranteed"), ("number", "3x"),
                           ("number", "50%"), ("superlative", "#1")]


def test_claims_a_customer_quote_supports_are_not_flagged():
    sources = ["Honestly the best lamp I have owned", "Battery lasts 12 hours for me"]
    assert kinds("The best lamp for 12 hours of reading", sources) == []
    assert kinds("Light for 14 hours", sources) == [("number", "14")]


def test_numbers_from_the_brief_are_the_users_own():
    assert kinds("Lumen 2 ships with a 30-day return window", facts=["Lumen 2", "30-day returns"]) == []
    assert kinds("Lumen 2 ships in 5 days", facts=["Lumen 2"]) == [("number", "5")]


def test_numbers_compare_by_value():
    assert kinds("Over 1,000 readers", ["1000 people wrote to us"]) == []
    assert kinds("Twice as bright", ["it is 2 times brighter"]) == []
    assert kinds("Twice as bright") == [("number", "Twice")]


def test_guarantee_words():
    for phrase in ("risk-free", "money back", "lifetime warranty", "never fails", "100% satisfaction", "promise"):
        assert [k for k, _ in kinds(f"It is {phrase} for you")][:1] in (["guarantee"],), phrase


def test_ordinary_words_are_not_claims():
    assert kinds("Reading first thing in the morning, with interest and rest") == []
    assert kinds("Leading to better evenings; lifetime of the bulb") == []


def test_chinese_claims():
    text = "最好的台灯，续航12小时，三倍亮度，保证满意。第一次用就爱上，最近很多人推荐。"
    assert kinds(text, ["续航12小时，很满意"]) == [("superlative", "最好"), ("number", "三倍"), ("guarantee", "保证")]
    assert kinds("国家级品质，全网第一") == [("superlative", "国家级"), ("superlative", "全网"),
                                     ("superlative", "第一")]
    assert kinds("一成不变的好品质") == []  # an idiom, not a number
    assert kinds("五折优惠", ["现在五折"]) == []
    # Hundreds are read too (one reader of Chinese numerals, contract.zh_numeral_value): "一百倍" is a claim.
    assert kinds("亮度提升一百倍") == [("number", "一百倍")]
    assert kinds("亮度提升一百倍", ["真的亮了100倍"]) == []


def test_full_width_digits_count_as_numbers():
    assert kinds("续航１２小时", ["续航12小时"]) == []
    assert kinds("续航１８小时") == [("number", "１８")]


def test_segments_cover_the_text_and_mark_claims():
    text = "The best lamp, 3x brighter."
    claims = checks.find_unsupported_claims(text, [])
    pieces = checks.segments(text, claims)
    assert "".join(p["text"] for p in pieces) == text
    assert [p["text"] for p in pieces if p["claim"]] == ["best", "3x"]


def test_segments_ignore_stale_offsets():
    pieces = checks.segments("Edited text", [{"start": 0, "end": 4, "text": "best", "kind": "superlative"}])
    assert pieces == [{"text": "Edited text", "claim": None}]


def test_overlapping_claims_keep_the_longer():
    assert kinds("100% guaranteed") == [("guarantee", "100%"), ("guarantee", "guaranteed")]


def test_valid_and_inferred_sources():
    assert checks.valid_sources([3, 999, 3, 1], [1, 2, 3]) == [3, 1]
    quotes = [(1, "Beautiful warm light for reading"), (2, "Shipping took three weeks"), (3, "温暖的灯光很舒服")]
    assert checks.infer_sources("Warm light for evening reading", quotes) == [1]
    assert checks.infer_sources("温暖的灯光", quotes) == [3]
    assert checks.infer_sources("Nothing in common", quotes) == []


def test_brief_validation():
    ok = {"product": "Lamp", "audience": "readers", "goal": "sales", "channel": "ad"}
    brief = parse_brief(ok)
    assert (brief.language, brief.locale, brief.variants, brief.length) == ("en", "en-US", 3, "medium")
    assert parse_brief({**ok, "language": "zh"}).locale == "zh-CN"
    assert parse_brief({**ok, "language": "zh-TW"}).locale == "zh-TW"
    assert parse_brief({**ok, "language": "en", "locale": "en_gb"}).locale == "en-GB"
    for bad, message in (({"channel": "fax"}, "channel"), ({"variants": 9}, "1 to 6"), ({"product": ""}, "product"),
                         ({"language": "fr"}, "language"), ({"language": "en", "locale": "zh-CN"}, "locale"),
                         ({"goal": "x" * 301}, "goal"), ({"length": "epic"}, "length")):
        with pytest.raises(CopyError, match=message):
            parse_brief({**ok, **bad})
