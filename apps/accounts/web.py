"""Workspace resolution for browser views and the JSON API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from .context import WorkspaceContext
from .permissions import VIEW
from .selectors import context_for_token, context_for_user

SESSION_WORKSPACE_KEY = "workspace_id"


def workspace_required(permission: str = VIEW) -> Callable:
    """Browser views: the user must be logged in, a member of a workspace, and allowed `permission`."""

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            ctx = context_for_user(request.user, request.session.get(SESSION_WORKSPACE_KEY))
            if ctx is None:
                raise DjangoPermissionDenied("You are not a member of any workspace yet. Ask an owner to add you.")
            request.workspace_ctx = ctx  # first: the 403 page's header still names the workspace and the role
            if not ctx.can(permission):
                raise DjangoPermissionDenied(f"Your role ({ctx.role}) does not allow this page.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> WorkspaceContext | None:
        return context_for_token(token)


class WorkspaceSessionAuth(SessionAuth):
    """The browser's session (CSRF-checked by django-ninja for unsafe methods)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> WorkspaceContext | None:
        return context_for_user(request.user, request.session.get(SESSION_WORKSPACE_KEY))


API_AUTH = [BearerTokenAuth(), WorkspaceSessionAuth()]
