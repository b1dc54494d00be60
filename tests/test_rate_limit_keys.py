"""The API bucket belongs to the resolved caller (token, else session user, else address), so respelling the
Authorization header or sending junk gets no fresh bucket; /admin/login/ is throttled like /login/."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def limit(settings) -> int:
    settings.MURMUR_API_REQUESTS_PER_MINUTE = 3
    return 3


def _statuses(clients: list[Client], path: str = "/api/v1/texts") -> list[int]:
    return [client.get(path).status_code for client in clients]


def test_respelt_scheme_shares_the_token_bucket(owner, limit):
    spellings = [f"{scheme} {owner.token}" for scheme in ("Bearer", "bearer", "BEARER", "bEaReR")]
    clients = [Client(headers={"Authorization": value}) for value in spellings]
    assert _statuses(clients) == [200, 200, 200, 429]


def test_junk_headers_share_the_address_bucket(db, limit):
    junk = ["Bearer nope", "Bearer other", "Basic xyz", "whatever"]
    clients = [Client(headers={"Authorization": value}) for value in junk]
    assert _statuses(clients) == [401, 401, 401, 429]


def test_session_user_has_one_bucket_across_sessions(owner, limit):
    assert _statuses([owner.browser() for _ in range(4)]) == [200, 200, 200, 429]


def test_callers_do_not_share_buckets(owner, make_member, limit):
    assert _statuses([owner.api()] * 3) == [200, 200, 200]
    other = make_member("analyst", "Other")
    assert _statuses([other.api(), other.browser(), Client()]) == [200, 200, 401]


def test_admin_login_is_throttled(db, settings):
    settings.MURMUR_LOGIN_ATTEMPTS = 2
    client = Client()
    statuses = [client.post("/admin/login/", {"username": "root", "password": f"guess-{i}"}).status_code
                for i in range(3)]
    assert statuses == [200, 200, 429]
