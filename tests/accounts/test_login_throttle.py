"""The login throttle, against the suite's real Redis cache: failed logins (only) count, per username and per client
address; a success empties its username's bucket; X-Forwarded-For counts only behind MURMUR_TRUSTED_PROXIES; a
locked-out login page says when to try again."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory

from apps.accounts import throttle

PASSWORD = "correct horse battery staple"


@pytest.fixture
def limits(settings) -> None:
    settings.MURMUR_LOGIN_ATTEMPTS = 3
    settings.MURMUR_LOGIN_IP_ATTEMPTS = 5
    settings.MURMUR_LOGIN_WINDOW_S = 300
    settings.MURMUR_TRUSTED_PROXIES = []


@pytest.fixture
def alice(make_member):
    user = make_member("owner", username="alice").user
    user.set_password(PASSWORD)
    user.save()
    return user


def _login(client: Client, username: str, password: str = "wrong", xff: str | None = None, path: str = "/login/"):
    headers = {"X-Forwarded-For": xff} if xff is not None else {}
    return client.post(path, {"username": username, "password": password}, headers=headers)


def _from(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def test_failures_lock_the_username_and_the_page_says_when_to_retry(alice, limits):
    client = _from("198.51.100.1")
    assert [_login(client, "alice").status_code for _ in range(3)] == [200, 200, 200]
    locked = _login(client, "alice", PASSWORD)  # even the right password: no more checks while locked
    assert locked.status_code == 429
    assert 290 <= int(locked["Retry-After"]) <= 300
    page = locked.content.decode()
    assert "Too many failed login attempts" in page and "try again in 5 minutes" in page and "UTC" in page
    assert 'name="password"' in page  # the form is there again, not an error page
    assert "_auth_user_id" not in client.session
    # From elsewhere too: the username's bucket, not this address's.
    assert _login(_from("198.51.100.2"), "ALICE ", PASSWORD).status_code == 429
    # Other accounts from the same address still work (its address bucket has 3 of 5).
    assert _login(client, "bob").status_code == 200


def test_successes_do_not_count_and_reset_the_username(alice, limits):
    client = _from("198.51.100.3")
    for _ in range(6):  # twice the limit of successful logins
        assert _login(client, "alice", PASSWORD).status_code == 302
    assert [_login(client, "alice").status_code for _ in range(2)] == [200, 200]
    assert _login(client, "alice", PASSWORD).status_code == 302  # empties alice's bucket
    # 2 more failures: 4 since the first, but only 2 since the success; not locked.
    assert [_login(client, "alice").status_code for _ in range(2)] == [200, 200]
    assert _login(client, "alice", PASSWORD).status_code == 302


def test_the_address_bucket_spans_usernames(db, limits):
    client = _from("203.0.113.9")
    statuses = [_login(client, f"user-{n}").status_code for n in range(6)]
    assert statuses == [200, 200, 200, 200, 200, 429]  # 5 failures, each under its own username's limit
    assert "Too many failed login attempts" in _login(client, "someone-new").content.decode()
    assert _login(_from("203.0.113.10"), "user-0").status_code == 200  # another address is not locked


def test_a_success_does_not_reset_the_address_bucket(alice, limits):
    client = _from("203.0.113.11")
    for n in range(4):
        assert _login(client, f"guess-{n}").status_code == 200
    assert _login(client, "alice", PASSWORD).status_code == 302
    assert _login(client, "guess-4").status_code == 200
    assert _login(client, "guess-5").status_code == 429


def test_spoofed_forwarded_for_is_ignored_without_a_trusted_proxy(db, limits):
    client = _from("192.0.2.50")
    statuses = [_login(client, f"user-{n}", xff=f"10.9.8.{n}").status_code for n in range(6)]
    assert statuses[-1] == 429  # a fresh X-Forwarded-For per attempt buys no fresh bucket


def test_forwarded_for_is_honoured_behind_a_trusted_proxy(db, limits, settings):
    settings.MURMUR_TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = _from("10.0.0.2")
    assert [_login(proxy, f"user-{n}", xff="203.0.113.20").status_code for n in range(6)][-1] == 429
    assert _login(proxy, "user-x", xff="203.0.113.21").status_code == 200  # another client behind the proxy
    # The right-most untrusted entry counts: what the client wrote to its left is ignored.
    assert _login(proxy, "user-y", xff="198.51.100.77, 203.0.113.20").status_code == 429
    assert _login(proxy, "user-z", xff="203.0.113.20, 10.1.1.1").status_code == 429  # through two proxies


def test_client_ip_rules(settings):
    factory = RequestFactory()

    def ip(remote: str, xff: str | None = None) -> str:
        headers = {"X-Forwarded-For": xff} if xff is not None else {}
        return throttle.client_ip(factory.get("/", REMOTE_ADDR=remote, headers=headers))

    settings.MURMUR_TRUSTED_PROXIES = []
    assert ip("192.0.2.1", "203.0.113.1") == "192.0.2.1"
    assert ip("::ffff:192.0.2.1") == "192.0.2.1"
    settings.MURMUR_TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8::1"]
    assert ip("192.0.2.1", "203.0.113.1") == "192.0.2.1"  # the peer is no proxy of ours
    assert ip("10.0.0.1") == "10.0.0.1"  # no header: the proxy itself
    assert ip("10.0.0.1", "1.2.3.4, 203.0.113.1") == "203.0.113.1"
    assert ip("10.0.0.1", "203.0.113.1:5555, 10.0.0.7") == "203.0.113.1"
    assert ip("2001:db8::1", "[2001:db8:1::5]:443") == "2001:db8:1::5"
    assert ip("10.0.0.1", "10.0.0.9, 10.0.0.8") == "10.0.0.9"  # all trusted: the farthest hop
    assert ip("10.0.0.1", "203.0.113.1, not-an-address") == "10.0.0.1"  # garbage: the last hop we know


def test_admin_login_shows_the_lockout_too(db, limits):
    client = _from("198.51.100.40")
    assert [_login(client, "root", path="/admin/login/").status_code for _ in range(3)] == [200, 200, 200]
    locked = _login(client, "root", path="/admin/login/")
    assert locked.status_code == 429 and "try again in" in locked.content.decode()


def test_failures_are_counted_in_the_shared_cache_and_expire_with_the_window(db, limits, settings):
    settings.MURMUR_LOGIN_WINDOW_S = 3
    request = RequestFactory().post("/login/", REMOTE_ADDR="198.51.100.50")
    for _ in range(3):  # straight to the counters: a slow machine cannot spend the short window on requests
        throttle.record_failure(request, "carol")
    assert sorted(_cache_keys()) == sorted(f"{key}{end}" for key in (throttle._key("user", "carol"),
                                                                     throttle._key("ip", "198.51.100.50"))
                                           for end in ("", ":until"))
    assert _login(_from("198.51.100.50"), "carol").status_code == 429
    time.sleep(3.5)  # the window (from the first failure) has passed: Redis expired the counters
    assert _cache_keys() == []
    assert _login(_from("198.51.100.50"), "carol").status_code == 200


def _cache_keys() -> list[str]:
    client = cache._cache.get_client()  # the real Redis behind the Django cache
    return [key.decode().split(":", 2)[-1] for key in client.scan_iter("murmur:*login-fail:*")]


def test_guesses_in_flight_together_are_counted_before_their_passwords_are_checked(db, limits):
    """Ten guesses sent in parallel all reach the check before any password is checked. Each is counted as it
    begins, so only the username's three pass; before, each read a count of 0 and all ten were checked."""
    requests = [RequestFactory().post("/login/", REMOTE_ADDR=f"198.51.100.{60 + i}") for i in range(10)]
    verdicts = [throttle.begin_attempt(request, "dave") for request in requests]  # none has finished yet
    assert [v is None for v in verdicts] == [True] * 3 + [False] * 7


def test_a_success_gives_its_attempt_back_to_the_address(alice, limits):
    client = _from("198.51.100.80")
    for _ in range(4):  # four successes from one address whose bucket holds five
        assert _login(client, "alice", PASSWORD).status_code == 302
        client.logout()
    assert [_login(client, f"user{i}").status_code for i in range(5)] == [200] * 5  # still five to fail
    assert _login(client, "user9").status_code == 429


def test_giving_back_never_takes_the_address_bucket_below_zero(db, limits):
    """Giving back is one atomic decrement; one more than was counted (the counter expired and restarted in
    between) is taken back, so the address never holds an extra guess."""
    request = RequestFactory().post("/login/", REMOTE_ADDR="198.51.100.90")
    assert throttle.begin_attempt(request, "erin") is None
    key = throttle._key("ip", throttle._ip_bucket("198.51.100.90"))
    throttle._give_back(request)
    throttle._give_back(request)
    assert cache.get(key) == 0
