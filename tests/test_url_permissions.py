"""Table-driven over every URL pattern and API operation, so a new endpoint cannot slip through:
anonymous callers get nothing, and viewers cannot write."""

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

PUBLIC = {"/healthz", "/login/", "/logout/", "/api/v1/openapi.json", "/api/v1/docs"}


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _concrete(route: str) -> str:
    route = route.replace("^", "").replace("$", "").replace("\\Z", "")
    route = re.sub(r"<uuid:[^>]+>", str(uuid.uuid4()), route)
    route = re.sub(r"<(int:)?[^>]+>", "1", route)
    route = re.sub(r"\(\?P<[^>]+>[^)]*\)", "1", route)
    return "/" + route.lstrip("/")


def page_routes() -> list[str]:
    routes = sorted({_concrete(r) for r in _walk(get_resolver().url_patterns)})
    return [r for r in routes if not r.startswith(("/admin", "/api/", "/static")) and r not in PUBLIC]


def api_operations(client) -> list[tuple[str, str]]:
    schema = client.get("/api/v1/openapi.json").json()
    ops = []
    for path, methods in schema["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", lambda m: str(uuid.uuid4()) if "job" in m.group(0) else "1", path)
        ops.extend((method.upper(), concrete) for method in methods if method in ("get", "post", "put", "patch",
                                                                                   "delete"))
    return ops


def test_every_page_needs_a_login(db, client):
    routes = page_routes()
    assert len(routes) >= 8, routes
    for route in routes:
        response = client.get(route)
        assert response.status_code in (302, 403, 404, 405), (route, response.status_code)
        if response.status_code == 302:
            assert "/login/" in response["Location"], route


def test_every_api_operation_needs_authentication(db, client):
    ops = api_operations(client)
    assert len(ops) >= 10, ops
    for method, path in ops:
        if path in PUBLIC:
            continue
        response = client.generic(method, path, "{}", content_type="application/json")
        assert response.status_code in (401, 403, 405), (method, path, response.status_code)


@pytest.mark.parametrize("role", ["viewer"])
def test_viewers_cannot_write_through_the_api(make_member, role, client):
    member = make_member(role, "ReadOnly")
    api = member.api()
    for method, path in api_operations(client):
        if method == "GET" or path in PUBLIC:
            continue
        response = api.generic(method, path, "{}", content_type="application/json")
        assert response.status_code in (400, 403, 404, 405, 409, 422), (method, path, response.status_code)
        assert response.status_code != 202, (method, path)
