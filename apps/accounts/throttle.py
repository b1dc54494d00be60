"""Who the client is (its address, through trusted proxies only) and the login throttle.

Login throttle: only *failed* logins count (an attempt is counted when it begins, so parallel guesses cannot
slip past the check, and a success gives it back), in two separate buckets, one per username (guessing one account's
password from many addresses) and one per client address (trying many accounts from one place). A bucket that
reaches its limit locks logins for it until its window, which starts at its first failure, runs out; a locked
login is refused before any password is checked. A successful login spends nothing and empties its username's
bucket (not the address's: an attacker with one real account could otherwise reset it between guesses).
Counters live in the Django cache (Redis, shared by every web process); while Redis is unreachable nothing is
counted and nobody is locked out, like the API rate limit.

Client address: REMOTE_ADDR, unless that peer is one of MURMUR_TRUSTED_PROXIES; then the right-most
X-Forwarded-For entry that is not a trusted proxy (entries to its left were written by the client and can be
anything). Without trusted proxies X-Forwarded-For is ignored: anyone can send it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.http import HttpRequest
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

LOGIN_PATHS = ("/login/", "/admin/login/")


# --- the client's address ---------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    # Keyed on the setting's value, so a changed setting (override_settings in tests) is parsed again.
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def trusted_proxies() -> tuple[IPNetwork, ...]:
    return _networks(tuple(settings.MURMUR_TRUSTED_PROXIES))


def parse_ip(value: str) -> IPAddress | None:
    """An address as proxies write it ("203.0.113.5", "203.0.113.5:4711", "[2001:db8::1]:443"), or None."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # IPv4 with a port; a bare IPv6 address has several colons
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; one client, one spelling, one bucket.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: IPAddress, proxies: tuple[IPNetwork, ...]) -> bool:
    return any(address.version == network.version and address in network for network in proxies)


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    peer = parse_ip(remote)
    if peer is None:
        return remote or "unknown"
    proxies = trusted_proxies()
    if not _is_trusted(peer, proxies):
        return str(peer)
    client = peer
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = parse_ip(entry)
        if address is None:
            # Not an address a proxy of ours would write: stop at the last hop we can vouch for, so garbage
            # never earns a bucket of its own.
            break
        client = address
        if not _is_trusted(address, proxies):
            break
    return str(client)


# --- the login throttle -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lockout:
    until: float  # epoch seconds

    @property
    def retry_after_s(self) -> int:
        return max(1, math.ceil(self.until - time.time()))

    @property
    def message(self) -> str:
        seconds = self.retry_after_s
        wait = f"{seconds} seconds" if seconds < 60 else f"{math.ceil(seconds / 60)} minutes"
        at = datetime.fromtimestamp(self.until, tz=UTC).strftime("%H:%M UTC")
        return (f"Too many failed login attempts. Logins are paused for this account or network: try again in "
                f"{wait} (after {at}).")


def normalise_username(username: str | None) -> str:
    # Case and surrounding spaces do not make a new bucket ("Alice", " alice").
    return (username or "").strip().lower()[:150]


def _ip_bucket(ip: str) -> str:
    address = parse_ip(ip)
    # One IPv6 client usually holds a whole /64: count the network, or each of its addresses is a fresh bucket.
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return ip


def _key(kind: str, value: str) -> str:
    # Hashed: usernames are arbitrary text, and cache keys must stay short and free of spaces and control codes.
    return f"login-fail:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def _buckets(request: HttpRequest, username: str) -> list[tuple[str, int]]:
    buckets = [(_key("ip", _ip_bucket(client_ip(request))), settings.MURMUR_LOGIN_IP_ATTEMPTS)]
    if username:
        buckets.append((_key("user", username), settings.MURMUR_LOGIN_ATTEMPTS))
    return buckets


COUNTED = "_murmur_login_attempt_counted"  # set on a request whose attempt begin_attempt counted


def count_in_window(key: str, window: int) -> int:
    """One more in the counter `key`, atomically (Redis INCR, shared by every web process); the counter
    expires `window` seconds after its first count."""
    cache.add(key, 0, window)  # only sets a missing key
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1


def _count(key: str, window: int) -> int:
    # The bucket's end is fixed by its first count, as its counter's expiry is.
    cache.add(f"{key}:until", time.time() + window, window)
    return count_in_window(key, window)


def begin_attempt(request: HttpRequest, username: str | None) -> Lockout | None:
    """Count a login attempt before its password is checked, and return the lockout if a bucket is now over its
    limit. Counted first, atomically: when the check only read the counters and the failure was counted after
    the password check, guesses sent in parallel all passed the check before any of them was counted (ten
    parallel guesses past a limit of three). A success gives its attempt back (`_on_logged_in`)."""
    window = settings.MURMUR_LOGIN_WINDOW_S
    try:
        locked = [cache.get(f"{key}:until") or time.time() + window
                  for key, limit in _buckets(request, normalise_username(username)) if _count(key, window) > limit]
    except (RedisError, OSError):
        logger.warning("login throttle unavailable (Redis unreachable); not throttling")
        return None
    setattr(request, COUNTED, True)
    return Lockout(until=max(locked)) if locked else None


def record_failure(request: HttpRequest, username: str | None) -> None:
    """A failure of a login that `begin_attempt` did not count (authenticate() with a request elsewhere)."""
    try:
        for key, _ in _buckets(request, normalise_username(username)):
            _count(key, settings.MURMUR_LOGIN_WINDOW_S)
    except (RedisError, OSError):
        logger.warning("login throttle unavailable (Redis unreachable); failure not counted")


def _give_back(request: HttpRequest) -> None:
    """A successful login spends nothing from its address's bucket: its counted attempt is given back."""
    key = _key("ip", _ip_bucket(client_ip(request)))
    try:
        # Atomic, as counting is (reading then decrementing let two successes both give back one attempt).
        # Below zero only if the counter expired and restarted meanwhile: take it back rather than grant a guess.
        if cache.decr(key) < 0:
            cache.incr(key)
    except (RedisError, OSError, ValueError):
        pass  # unreachable or expired: nothing to give back


def reset_username(username: str | None) -> None:
    key = _key("user", normalise_username(username))
    try:
        cache.delete_many([key, f"{key}:until"])
    except (RedisError, OSError):
        logger.warning("login throttle unavailable (Redis unreachable); counter not reset")


def _on_login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None,
                     **kwargs: Any) -> None:
    # authenticate() without a request (a management command, client.login in a test) is nobody's guess at the
    # login form, and has no client address to count.
    if request is not None and not getattr(request, COUNTED, False):
        record_failure(request, credentials.get("username"))


def _on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    reset_username(user.get_username())
    if request is not None and getattr(request, COUNTED, False):
        _give_back(request)


def connect_signals() -> None:
    """Counting follows Django's own verdict on the password (these signals), for /login/ and the admin alike."""
    user_login_failed.connect(_on_login_failed, dispatch_uid="murmur-login-throttle-failed")
    user_logged_in.connect(_on_logged_in, dispatch_uid="murmur-login-throttle-success")
