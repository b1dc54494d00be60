"""The text helpers that copy, replies and translation share (apps/corpus/tokens.py, citations.py,
highlight.py): one reading of a text's script, words and citations for every check."""

from apps.copy import checks as copy_checks
from apps.corpus import citations, highlight
from apps.corpus.tokens import content_tokens, fold_keeping_offsets, has_cjk, term_pattern
from apps.replies import checks as reply_checks


def test_kana_and_hangul_count_as_cjk():
    for text in ("ありがとうございます", "カタカナ", "감사합니다", "谢谢", "Thanks 谢谢"):
        assert has_cjk(text), text
    for text in ("Thank you", "", "Café crème", None):
        assert not has_cjk(text), text


def test_a_term_matches_whole_words_with_inflections_or_a_chinese_substring():
    cheap = term_pattern("Cheap")
    assert cheap is not None
    assert [m.group(0) for m in cheap.finditer("cheap, cheaper, the cheapest; cheapskate")] == [
        "cheap", "cheaper", "cheapest"]
    best = term_pattern("最")
    assert best is not None and best.search("这是最好的灯")
    assert term_pattern("  ") is None


def test_copy_and_replies_find_the_same_banned_words():
    text = "Our cheapers and CHEAPEST lamps, 最好 value"
    words = ["cheap", "最"]
    assert copy_checks.find_banned(text, words) == words
    assert [flag.text for flag in reply_checks.find_banned(text, words)] == ["cheapers", "CHEAPEST", "最"]


def test_folding_keeps_offsets_of_full_width_and_upper_case_text():
    text = "ＡＢＣ Straße 30％"
    folded = fold_keeping_offsets(text)
    assert len(folded) == len(text)
    assert folded == "abc straße 30%"


def test_citations_keep_only_what_was_shown_and_infer_by_shared_words():
    assert citations.shown_citations([3, 999, 3, 1], [1, 2, 3]) == [3, 1]
    assert citations.shown_citations(["text:2", "text:9"], ["text:2"]) == ["text:2"]
    material = [(2, "The battery drains overnight after the update"), (1, "Warm light, lovely design"),
                (3, "电池续航太短")]
    assert citations.sharing_most_words("Battery drains after the update", material) == [2]
    assert citations.sharing_most_words("续航太短了", material) == [3]
    assert citations.sharing_most_words("Nothing in common", material) == []
    assert "battery" in content_tokens("The BATTERY") and "the" not in content_tokens("The BATTERY")


def test_highlight_skips_empty_and_stale_spans_and_names_the_key():
    findings = [{"kind": "price", "text": "$15", "start": 8, "end": 11},
                {"kind": "language", "text": "", "start": 0, "end": 0},
                {"kind": "number", "text": "99", "start": 100, "end": 102}]
    pieces = highlight.segments("We give $15 back.", findings, key="claim")
    assert [p["text"] for p in pieces] == ["We give ", "$15", " back."]
    assert pieces[1]["claim"]["kind"] == "price" and pieces[0]["claim"] is None


def test_of_overlapping_spans_the_longer_is_kept_and_order_is_by_position():
    from apps.copy.contract import Finding

    spans = [Finding("number", "100", 10, 13, ""), Finding("guarantee", "100%", 10, 14, ""),
             Finding("superlative", "best", 0, 4, ""), Finding("number", "4", 13, 14, "")]
    assert [s.text for s in highlight.without_overlaps(spans)] == ["best", "100%"]
