"""CSV cells for spreadsheets: every CSV export (analyses, copy, replies, the privacy export) writes its cells
through `csv_safe`, so a cell that starts like a formula (= + - @, tab, carriage return) is shown as text and
never evaluated (CSV injection)."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """`str(value)`, with a leading ' when a spreadsheet would run it as a formula."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text
