import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from redis.exceptions import RedisError

from .selectors import context_for_token, hash_token
from .throttle import LOGIN_PATHS, Lockout, begin_attempt, client_ip, count_in_window

logger = logging.getLogger(__name__)

# Charts and scripts are served from our own static files; nothing is loaded from a CDN.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


def _hit(key: str, window_s: int) -> int:
    """Count one event in a fixed window; the cache is shared by every web process (Redis). While Redis is
    unreachable nothing is counted (0): pages keep working through a broker restart, unthrottled."""
    try:
        return count_in_window(key, window_s)
    except (RedisError, OSError):
        logger.warning("throttle counters unavailable (Redis unreachable); not throttling %s", key.split(":")[0])
        return 0


def over_rate(key: str, limit: int, window_s: int = 60) -> bool:
    """Count one event for `key` in the current window of `window_s`; True once more than `limit` happened in it
    (the LLM gateway's per-user limit on calls a web request waits on uses this)."""
    return _hit(f"{key}:{int(time.time() // window_s)}", window_s) > limit


def api_caller(request: HttpRequest) -> str:
    """Whose API budget a request spends: the token it resolves to, else the logged-in user, else the client IP.
    Keyed on what the header means, not how it is spelt: "bearer x", "BEARER x" and junk tokens share a bucket."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    try:
        if scheme.lower() == "bearer" and token and context_for_token(token) is not None:
            return f"token:{hash_token(token)[:24]}"
        if request.user.is_authenticated:
            return f"user:{request.user.pk}"
    except (OperationalError, InterfaceError):
        pass  # the API answers 503 itself; meanwhile the caller is counted by address
    return f"ip:{client_ip(request)}"


def lockout_page(request: HttpRequest, locked: Lockout) -> HttpResponse:
    """The login form again, saying when to try again; 429 with Retry-After for scripts. The admin's login
    gets the same page (its form posts to /login/, which honours `next`)."""
    admin = "/admin/" if request.path.startswith("/admin/") else ""
    # Only echoed into the form; LoginView checks it is a safe redirect when the login is finally made.
    next_url = request.POST.get("next") or request.GET.get("next") or admin
    response = TemplateResponse(request, "accounts/login.html",
                                {"form": AuthenticationForm(request), "lockout": locked.message, "next": next_url},
                                status=429)
    response["Retry-After"] = str(locked.retry_after_s)
    return response.render()


class ThrottleMiddleware:
    """Failed logins per username and per client address (apps/accounts/throttle.py), and API requests per
    caller, are limited: password guessing and runaway scripts get a 429 with Retry-After instead of the
    server's full attention. Each login attempt is counted here, before its password is checked, and refused
    when that puts a bucket over its limit; the throttle's signal receivers give a success its attempt back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path in LOGIN_PATHS:
            locked = begin_attempt(request, request.POST.get("username"))
            if locked is not None:
                return lockout_page(request, locked)
        elif request.path.startswith("/api/"):
            used = _hit(f"api:{api_caller(request)}:{int(time.time() // 60)}", 60)
            if used > settings.MURMUR_API_REQUESTS_PER_MINUTE:
                response = JsonResponse({"error": "Rate limit exceeded; slow down and retry in a minute."},
                                        status=429)
                response["Retry-After"] = "60"
                return response
        return self.get_response(request)
