"""The deterministic checks of translations and the splitting of long texts (no database, no model). (Moved from
tests/replies/test_checks.py.)"""

from apps.translation import checks
from apps.translation.services import split_for_translation


def test_long_texts_are_split_for_translation_at_sentences():
    text = "First sentence here. " * 40
    pieces = split_for_translation(text, size=100)
    assert all(len(p) <= 100 for p in pieces) and len(pieces) > 5
    assert " ".join(pieces).split() == text.split()
    assert split_for_translation("短文本。") == ["短文本。"] and split_for_translation("  ") == []


def test_a_translation_must_be_about_as_long_as_its_source():
    review = "电池一晚上就没电了，升级固件以后更严重了，太失望了"
    assert not checks.plausible_translation(review, "English")
    assert checks.plausible_translation(review, "The battery is empty after one night; since the firmware update "
                                                "it got worse. Very disappointed.")
    assert checks.plausible_translation("Great lamp!", "好灯！")  # short texts are not judged
    assert not checks.plausible_translation("Great lamp!", "  ")
