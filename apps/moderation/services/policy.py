"""The workspace's moderation policy: per category a severity threshold and an action."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.accounts.context import PermissionDenied, WorkspaceContext
from apps.accounts.models import Workspace
from apps.accounts.permissions import MANAGE

from .. import selectors
from ..models import DEFAULT_RULES, Action, Category, ModerationPolicy, PolicyRule
from ..selectors import PolicySnapshot
from .errors import ModerationError


def ensure_policy(workspace: Workspace) -> ModerationPolicy:
    policy, created = ModerationPolicy.objects.get_or_create(workspace=workspace)
    if created or not policy.rules.exists():
        PolicyRule.objects.bulk_create([PolicyRule(policy=policy, category=c, threshold=t, action=a)
                                        for c, (t, a) in DEFAULT_RULES.items()], ignore_conflicts=True)
    return policy


def update_policy(ctx: WorkspaceContext, *, rules: dict[str, dict[str, Any]] | None = None,
                  exclude_pending_from_analysis: bool | None = None, use_llm_judge: bool | None = None
                  ) -> PolicySnapshot:
    """Owners change thresholds and actions; new verdicts use them (past verdicts stay as they were)."""
    if not ctx.can(MANAGE):
        raise PermissionDenied(f"Your role ({ctx.role}) cannot change the moderation policy; ask an owner.")
    for category, rule in (rules or {}).items():
        if category not in Category.values:
            raise ModerationError(f"Unknown category {category!r}; choose from {', '.join(Category.values)}.")
        if rule.get("threshold") not in (1, 2, 3):
            raise ModerationError(f"The threshold for {category} must be a severity of 1, 2 or 3.")
        if rule.get("action") not in Action.values:
            raise ModerationError(f"The action for {category} must be one of {', '.join(Action.values)}.")
    with transaction.atomic():
        policy = ensure_policy(ctx.workspace)
        for category, rule in (rules or {}).items():
            PolicyRule.objects.update_or_create(policy=policy, category=category,
                                                defaults={"threshold": rule["threshold"], "action": rule["action"]})
        if exclude_pending_from_analysis is not None:
            policy.exclude_pending_from_analysis = exclude_pending_from_analysis
        if use_llm_judge is not None:
            policy.use_llm_judge = use_llm_judge
        policy.save()
    return selectors.policy_snapshot(ctx.workspace)
