"""/api/v1/docs works under the app's CSP: Swagger UI comes from our own static files, not from a CDN."""

import re

from django.contrib.staticfiles import finders


def test_docs_page_references_only_same_origin_assets(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert any(a.endswith("swagger-ui.css") for a in assets)
    for asset in assets:
        assert asset.startswith("/") and not asset.startswith("//"), asset  # same origin: no CDN, no scheme
        if asset.startswith("/static/"):
            assert finders.find(asset.removeprefix("/static/").split("?")[0]), asset
    assert "<script>" not in html  # no inline script for the CSP to block: settings travel as JSON data
    assert '"url": "/api/v1/openapi.json"' in html
