"""Accounts in the Django admin, and the workspace scoping every app's admin uses.

A staff user who is not a superuser sees only rows of the workspaces where they are an owner or a moderator
(`WorkspaceScopedAdmin.view_roles`), changes only rows of the workspaces where their role allows the admin's
`edit_permission` (what the app's own service requires), and can pick only those workspaces, and rows and
people of them, in a form: nothing can be attached to another workspace. A row of a workspace outside the scope
answers as a row that does not exist.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from .models import ApiToken, Membership, Role, Workspace
from .permissions import MANAGE, ROLE_PERMISSIONS

ADMIN_ROLES = frozenset({Role.OWNER, Role.MODERATOR})  # the roles that see a workspace's rows in the admin


def scoped_workspace_ids(request: HttpRequest, roles: frozenset[str]) -> frozenset[int] | None:
    """The workspaces where the request's user has one of `roles`; None for a superuser (every workspace)."""
    user = request.user
    if not (user.is_active and user.is_staff):
        return frozenset()
    if user.is_superuser:
        return None
    cache = request.__dict__.setdefault("_admin_workspace_scope", {})
    if roles not in cache:
        cache[roles] = frozenset(Membership.objects.filter(user=user, role__in=roles)
                                 .values_list("workspace_id", flat=True))
    return cache[roles]


def roles_allowing(permission: str) -> frozenset[str]:
    return frozenset(role for role, allowed in ROLE_PERMISSIONS.items() if permission in allowed)


def _workspace_lookup(model: type[Model]) -> str | None:
    """The ORM path from `model` to its workspace's id, or None when it has no workspace."""
    if model is Workspace:
        return "pk"
    names = {f.name for f in model._meta.get_fields()}
    if "workspace" in names:
        return "workspace_id"
    if model is ApiToken:
        return "membership__workspace_id"
    return None


def _user_choices(workspace_ids: frozenset[int] | None) -> QuerySet:
    users = get_user_model().objects.all()
    if workspace_ids is None:
        return users
    return users.filter(memberships__workspace_id__in=workspace_ids).distinct()


class WorkspaceScopedAdmin(admin.ModelAdmin):
    """Rows, objects, form choices and bulk deletes limited to the staff user's workspaces (see the module)."""

    view_roles: frozenset[str] = ADMIN_ROLES
    edit_permission: str = MANAGE  # the app's permission a change needs; the roles allowing it must see the rows
    workspace_lookup: str | None = None  # the path to the workspace id; found from the model when None

    def _lookup(self) -> str:
        lookup = self.workspace_lookup or _workspace_lookup(self.model)
        if lookup is None:
            raise TypeError(f"{type(self).__name__}: {self.model.__name__} has no workspace; set workspace_lookup")
        return lookup

    def _edit_roles(self) -> frozenset[str]:
        return roles_allowing(self.edit_permission) & self.view_roles

    def _in_scope(self, request: HttpRequest, obj: Model, roles: frozenset[str]) -> bool:
        ids = scoped_workspace_ids(request, roles)
        if ids is None:
            return True
        return type(obj)._default_manager.filter(pk=obj.pk, **{f"{self._lookup()}__in": ids}).exists()

    def scope(self, request: HttpRequest, queryset: QuerySet, roles: frozenset[str] | None = None) -> QuerySet:
        ids = scoped_workspace_ids(request, self.view_roles if roles is None else roles)
        return queryset if ids is None else queryset.filter(**{f"{self._lookup()}__in": ids})

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scope(request, super().get_queryset(request))

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) and (
            obj is None or self._in_scope(request, obj, self.view_roles))

    def _may_edit_somewhere(self, request: HttpRequest) -> bool:
        return scoped_workspace_ids(request, self._edit_roles()) != frozenset()

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and self._may_edit_somewhere(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._may_edit_somewhere(request) and (
            obj is None or self._in_scope(request, obj, self._edit_roles()))

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_edit_somewhere(request) and (
            obj is None or self._in_scope(request, obj, self._edit_roles()))

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, self.scope(request, queryset, self._edit_roles()))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs.setdefault("queryset", self.choices_for(db_field.related_model, request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("queryset", self.choices_for(db_field.related_model, request))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def choices_for(self, model: type[Model], request: HttpRequest) -> QuerySet:
        """What a form may point at: rows of the workspaces this user may edit (people: their members)."""
        ids = scoped_workspace_ids(request, self._edit_roles())
        queryset = model._default_manager.all()
        if ids is None:
            return queryset
        if model is get_user_model():
            return _user_choices(ids)
        lookup = _workspace_lookup(model)
        return queryset.filter(**{f"{lookup}__in": ids}) if lookup else queryset.none()


class ScopedInlineMixin:
    """An inline that may change rows only where its parent may be changed (the parent admin's scope)."""

    def _parent_admin(self) -> WorkspaceScopedAdmin:
        return self.admin_site._registry[self.parent_model]

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and (
            obj is None or self._parent_admin().has_change_permission(request, obj))

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (
            obj is None or self._parent_admin().has_change_permission(request, obj))

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and (
            obj is None or self._parent_admin().has_change_permission(request, obj))


class ViewOnlyScopedAdmin(WorkspaceScopedAdmin):
    """Shown, never added, changed or deleted here: these rows change through the app's services."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Workspace)
class WorkspaceAdmin(WorkspaceScopedAdmin):
    list_display = ("name", "embedding_model", "created_at")

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser  # a workspace made here would have no owner

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser  # owners delete theirs on the Privacy page (logged, exported first)


@admin.register(Membership)
class MembershipAdmin(WorkspaceScopedAdmin):
    list_display = ("user", "workspace", "role")
    list_filter = ("role", ("workspace", admin.RelatedOnlyFieldListFilter))


@admin.register(ApiToken)
class ApiTokenAdmin(WorkspaceScopedAdmin):
    """Tokens are issued through the services (the key is shown once); here they are listed and revoked."""

    list_display = ("prefix", "membership", "created_at", "last_used_at")
    readonly_fields = ("membership", "key_hash", "prefix", "last_used_at")

    def has_add_permission(self, request) -> bool:
        return False

