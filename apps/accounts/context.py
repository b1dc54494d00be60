"""The workspace a request acts in. Every selector and service takes one of these (or its workspace)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from .models import Workspace
from .permissions import role_allows


class PermissionDenied(Exception):
    """The user's role in this workspace does not allow the action."""


@dataclass(frozen=True)
class WorkspaceContext:
    workspace: Workspace
    user: AbstractBaseUser
    role: str

    def can(self, permission: str) -> bool:
        return role_allows(self.role, permission)

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise PermissionDenied(f"Your role ({self.role}) does not allow this ({permission}).")
