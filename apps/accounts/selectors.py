from __future__ import annotations

import hashlib
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from .context import WorkspaceContext
from .models import ApiToken, Membership

# "Last used" is for spotting stale tokens: minute precision is plenty, and a write per request is not free.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def context_for_token(raw: str) -> WorkspaceContext | None:
    token = (
        ApiToken.objects.select_related("membership__workspace", "membership__user")
        .filter(key_hash=hash_token(raw), membership__user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    m = token.membership
    return WorkspaceContext(workspace=m.workspace, user=m.user, role=m.role)


def memberships_of(user: AbstractBaseUser) -> list[Membership]:
    return list(Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name"))


def context_for_user(user: AbstractBaseUser, workspace_id: int | None) -> WorkspaceContext | None:
    """The user's chosen workspace, or their first one; None when they belong to none."""
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.filter(user=user).select_related("workspace")
    membership = None
    if workspace_id is not None:
        membership = memberships.filter(workspace_id=workspace_id).first()
    if membership is None:
        membership = memberships.order_by("workspace__name").first()
    if membership is None:
        return None
    return WorkspaceContext(workspace=membership.workspace, user=user, role=membership.role)
