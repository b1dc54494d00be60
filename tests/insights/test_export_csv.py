"""The analysis CSV export writes model-written titles and customers' quotes: a cell that starts like a
formula must reach the spreadsheet as text, while numbers stay numbers."""

from apps.insights.apis import _safe_cells


def test_formula_like_text_cells_are_neutralised_and_numbers_kept():
    cells = _safe_cells(["=HYPERLINK(\"http://x\")", "@SUM(A1)", "-1 star, broke", -0.35, 12, "Battery"])
    assert cells == ["'=HYPERLINK(\"http://x\")", "'@SUM(A1)", "'-1 star, broke", -0.35, 12, "Battery"]
