"""The analysis CSV download (the "Export CSV" link on the insights page) never hands a spreadsheet a formula:
theme names, summaries, insight titles and details, and quoted customer texts that start like one come back
prefixed with ' (apps/core/csv.py), through the real endpoint and a logged-in browser session."""

from __future__ import annotations

import csv
import io

import pytest

from apps.core.csv import FORMULA_PREFIXES
from apps.insights.models import AnalysisRun, Insight, InsightKind, Theme, ThemeSnapshot
from tests.factories import customer_text, job

FORMULA = 'HYPERLINK("http://evil.example","click")'
# Every prefix a spreadsheet evaluates: = + - @, and a tab or carriage return before one (some read past them).
PAYLOADS = ["=" + FORMULA, "+" + FORMULA, "-" + FORMULA, "@" + FORMULA, "\t=" + FORMULA, "\r=" + FORMULA]


@pytest.fixture
def poisoned_run(owner) -> AnalysisRun:
    """A finished analysis whose every text field is one of PAYLOADS (a user can rename a theme to anything; the
    model writes titles from customers' texts)."""
    workspace = owner.workspace
    run = AnalysisRun.objects.create(workspace=workspace, job=job(workspace, "analysis", took_s=1), version=1,
                                     status="succeeded", summary=PAYLOADS[0], text_count=len(PAYLOADS))
    for position, payload in enumerate(PAYLOADS):
        # No language: the quote cell then starts with the customer's own text, not a "[en]" tag.
        text = customer_text(workspace, payload + f" #{position}", language="")
        theme = Theme.objects.create(workspace=workspace, label=payload, summary=payload, embedding_model="test",
                                     named_by_user=True)
        ThemeSnapshot.objects.create(run=run, theme=theme, label=payload, size=10 - position, share=0.1,
                                     net_sentiment=0, quotes=[text.pk])
        Insight.objects.create(run=run, kind=InsightKind.PAIN_POINT, title=payload, detail=payload,
                               evidence=[text.pk], theme=theme, position=position)
    return run


def _download(client, run: AnalysisRun) -> list[list[str]]:
    response = client.get(f"/api/v1/analyses/{run.pk}/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment")
    body = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body, newline="")))


def test_formula_names_titles_and_quotes_come_back_neutralised(owner, poisoned_run):
    header, *rows = _download(owner.browser(), poisoned_run)
    assert header[:4] == ["section", "kind", "title", "detail"]
    themes = [row for row in rows if row[0] == "theme"]
    insights = [row for row in rows if row[0] == "insight"]
    assert len(themes) == len(insights) == len(PAYLOADS)
    expected = {"'" + payload for payload in PAYLOADS}
    assert {row[2] for row in themes} == expected  # the theme names
    assert {row[3] for row in themes} == expected  # their summaries
    assert {row[2] for row in insights} == expected  # insight titles
    assert {row[3] for row in insights} == expected  # and details
    assert {row[7] for row in insights} == {f"'{payload} #{n}" for n, payload in enumerate(PAYLOADS)}  # quotes
    (summary,) = (row for row in rows if row[0] == "summary")
    assert summary[3] == "'" + PAYLOADS[0]
    # And nothing else in the file starts like a formula (numbers aside: a negative number is not one).
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_PREFIXES) or _is_number(cell), (row, cell)


def test_the_token_api_download_is_neutralised_too(owner, poisoned_run):
    _, *rows = _download(owner.api(), poisoned_run)
    assert {row[2] for row in rows if row[0] == "theme"} == {"'" + payload for payload in PAYLOADS}


def test_another_workspace_cannot_download_it(make_member, poisoned_run):
    assert make_member("owner", "Other").browser().get(f"/api/v1/analyses/{poisoned_run.pk}/export.csv").status_code \
        == 404


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
