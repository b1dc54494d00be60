from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from .models import ApiToken, Membership, Role, Workspace
from .selectors import hash_token


def ensure_workspace(name: str) -> Workspace:
    workspace, _ = Workspace.objects.get_or_create(
        name=name, defaults={"embedding_model": settings.MURMUR_DEFAULT_EMBEDDING_MODEL}
    )
    return workspace


@transaction.atomic
def ensure_member(username: str, workspace_name: str, role: str, password: str | None = None) -> Membership:
    """Create the user, the workspace and the membership if missing; set the role to the one given."""
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.")
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username)
    if created:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    workspace = ensure_workspace(workspace_name)
    membership, _ = Membership.objects.update_or_create(user=user, workspace=workspace, defaults={"role": role})
    return membership


def issue_token(membership: Membership) -> str:
    """A new Bearer token for the membership. The raw value is returned once and never stored."""
    raw = "mur_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(membership=membership, key_hash=hash_token(raw), prefix=raw[:8])
    return raw
