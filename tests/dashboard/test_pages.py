import pytest

from apps.corpus.models import CustomerText
from tests.conftest import import_now
from tests.factories import corpus_csv, run_now
from tests.fakes import AnalysisScript


@pytest.fixture
def analysed(owner, fake_llm):
    fake_llm.use(AnalysisScript())
    import_now(owner, "r.csv", corpus_csv())
    return run_now(owner)


def test_pages_render_for_every_role(make_member):
    owner = make_member("owner", "Pages")
    import_now(owner, "r.txt", b"The lamp is lovely\nThe app crashes\n")
    text = CustomerText.objects.first()
    for role in ("owner", "analyst", "moderator", "viewer"):
        browser = make_member(role, "Pages").browser()
        for url in ("/", "/texts/", f"/texts/{text.pk}/", "/search/?q=lamp", "/insights/", "/status/"):
            response = browser.get(url)
            assert response.status_code == 200, (role, url, response.status_code)
    assert make_member("viewer", "Pages").browser().get("/settings/").status_code == 403
    assert owner.browser().get("/settings/").status_code == 200


def test_customer_html_is_escaped_everywhere(owner):
    import_now(owner, "x.txt", b"&lt;script&gt;alert('pwned')&lt;/script&gt; nice lamp\n")
    text = CustomerText.objects.get()
    assert "<script>" in text.text  # the entity decoded to text, which pages must escape
    browser = owner.browser()
    for url in ("/", "/texts/", f"/texts/{text.pk}/", "/search/?q=lamp"):
        body = browser.get(url).content.decode()
        assert "<script>alert('pwned')" not in body and "&lt;script&gt;" in body, url


def test_security_headers(owner):
    response = owner.browser().get("/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"


def test_report_page_shows_themes_insights_and_evidence(owner, analysed):
    body = owner.browser().get("/insights/").content.decode()
    assert "Battery theme" in body and "Executive summary" in body and "Battery complaints dominate." in body
    assert "/texts/?theme=" in body  # click through to the texts behind a theme
    quote_id = analysed.insights.exclude(evidence=[]).first().evidence[0]
    assert f"#{quote_id}" in body
    assert 'id="chart-data"' in body and "chart-4.6.1.umd.min.js" in body


def test_texts_page_filters_by_theme_sentiment_and_week(owner, analysed):
    theme = analysed.snapshots.get(label="Battery theme").theme
    body = owner.browser().get(f"/texts/?theme={theme.pk}").content.decode()
    assert "battery" in body.lower() and "Shipping took three weeks" not in body
    body = owner.browser().get("/texts/?sentiment=positive").content.decode()
    assert "Beautiful warm light" in body and "Battery drains" not in body
    assert owner.browser().get("/texts/?week=2026-W40").status_code == 200
    assert owner.browser().get("/texts/?week=garbage").status_code == 200


def test_dashboard_chart_data_and_filters(owner, analysed):
    response = owner.browser().get("/?rating=5")
    assert response.status_code == 200
    chart = response.context["chart"]
    assert sum(chart["sentiment"]["positive"]) == 6 and sum(chart["sentiment"]["negative"]) == 0
    assert owner.browser().get("/?date_from=not-a-date").status_code == 200


def test_status_page_says_which_embedding_model_the_workspace_uses(owner, make_member):
    page = owner.browser().get("/status/").content.decode()
    assert "default model minilm-l6" in page or "failed to load" in page
    assert "embeds its texts with <strong>MiniLM L6 (English, fast)</strong> (<code>minilm-l6</code>):" in page
    owner.workspace.embedding_model = "use-multilingual"
    owner.workspace.save(update_fields=["embedding_model"])
    page = owner.browser().get("/status/").content.decode()
    assert "<code>use-multilingual</code>), not the default model above" in page and "change it in Settings" in page
    viewer = make_member("viewer", owner.workspace.name).browser().get("/status/").content.decode()
    assert "<code>use-multilingual</code>)" in viewer and "change it in Settings" not in viewer
