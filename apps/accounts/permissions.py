"""What each role may do. The one table every view and endpoint consults."""

from .models import Role

VIEW = "view"
IMPORT = "import"
ANALYZE = "analyze"
MODERATE = "moderate"
VIEW_ORIGINALS = "view_originals"
MANAGE = "manage"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset({VIEW, IMPORT, ANALYZE, MODERATE, VIEW_ORIGINALS, MANAGE}),
    Role.ANALYST: frozenset({VIEW, IMPORT, ANALYZE}),
    Role.MODERATOR: frozenset({VIEW, MODERATE}),
    Role.VIEWER: frozenset({VIEW}),
}


def role_allows(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
