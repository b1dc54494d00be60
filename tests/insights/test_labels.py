"""Theme labels as people read them on charts: short, and never two themes with one name."""

from apps.insights.services import _distinct_label, _short_label


def test_a_sentence_answered_as_a_label_is_cut_at_a_word():
    label = _short_label("Our customers talk about shipping issues and concerns about the packaging quality.")
    assert len(label) <= 49 and label.endswith("…") and not label[:-1].endswith(" ")
    assert label.startswith("Our customers talk about shipping")
    assert _short_label("  Battery drain  after update. ") == "Battery drain after update"


def test_a_second_theme_with_the_same_name_gets_its_telling_keyword():
    in_use = {"battery drain after update"}
    assert _distinct_label("Battery drain after update", ["battery", "firmware", "hours"], in_use) == (
        "Battery drain after update (firmware)")
    in_use.add("battery drain after update (firmware)")
    assert _distinct_label("Battery drain after update", ["battery", "firmware", "hours"], in_use) == (
        "Battery drain after update (hours)")
    assert _distinct_label("Setup", ["setup"], in_use) == "Setup"
