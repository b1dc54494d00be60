"""The owner's reply policy and knowledge snippets (written only by owners; the demo seeds its own)."""

from __future__ import annotations

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Workspace
from apps.accounts.permissions import MANAGE
from apps.core.errors import NotFound

from .. import selectors
from ..models import KnowledgeSnippet, ReplyPolicy
from .errors import ReplyError

POLICY_LIMITS = {"policy": 2000, "tone": 200, "sign_off": 200}
PROMISES_MAX, PROMISE_CHARS = 20, 200
SNIPPETS_MAX, SNIPPET_TITLE_CHARS, SNIPPET_BODY_CHARS = 200, 200, 1000


def _user(ctx: WorkspaceContext):
    return ctx.user if ctx.user is not None and ctx.user.pk else None


def policy_for(workspace: Workspace) -> ReplyPolicy:
    policy, _ = ReplyPolicy.objects.get_or_create(workspace=workspace)
    return policy


def _clean_promises(promises: object) -> list[str]:
    if isinstance(promises, str):
        promises = promises.splitlines()
    if not isinstance(promises, list):
        raise ReplyError("Give the allowed promises as a list (one per line).")
    cleaned = list(dict.fromkeys(str(p).strip() for p in promises if str(p).strip()))
    if len(cleaned) > PROMISES_MAX or any(len(p) > PROMISE_CHARS for p in cleaned):
        raise ReplyError(f"At most {PROMISES_MAX} allowed promises, each under {PROMISE_CHARS} characters.")
    return cleaned


def update_policy(ctx: WorkspaceContext, **changes) -> ReplyPolicy:
    """Owners write the reply policy. Missing (None) keys stay as they are."""
    ctx.require(MANAGE)
    policy = policy_for(ctx.workspace)
    for name, limit in POLICY_LIMITS.items():
        if changes.get(name) is not None:
            value = str(changes[name]).strip()
            if len(value) > limit:
                raise ReplyError(f"Keep the {name.replace('_', ' ')} under {limit} characters.")
            setattr(policy, name, value)
    if changes.get("allowed_promises") is not None:
        policy.allowed_promises = _clean_promises(changes["allowed_promises"])
    policy.updated_by = _user(ctx)
    policy.save()
    return policy


def policy_snapshot(policy: ReplyPolicy) -> dict:
    return {"policy": policy.policy, "tone": policy.tone, "sign_off": policy.sign_off,
            "allowed_promises": list(policy.allowed_promises or [])}


def _clean_snippet(title: object, body: object) -> tuple[str, str]:
    title, body = str(title or "").strip(), str(body or "").strip()
    if not title or not body:
        raise ReplyError("A knowledge snippet needs a title and a text.")
    if len(title) > SNIPPET_TITLE_CHARS or len(body) > SNIPPET_BODY_CHARS:
        raise ReplyError(f"Keep the title under {SNIPPET_TITLE_CHARS} and the text under {SNIPPET_BODY_CHARS} "
                         "characters: snippets are short FAQ entries.")
    return title, body


def add_snippet(ctx: WorkspaceContext, title: str, body: str) -> KnowledgeSnippet:
    ctx.require(MANAGE)
    title, body = _clean_snippet(title, body)
    if KnowledgeSnippet.objects.filter(workspace=ctx.workspace).count() >= SNIPPETS_MAX:
        raise ReplyError(f"A workspace keeps at most {SNIPPETS_MAX} knowledge snippets: delete old ones first.")
    return KnowledgeSnippet.objects.create(workspace=ctx.workspace, title=title, body=body, updated_by=_user(ctx))


def _snippet(ctx: WorkspaceContext, snippet_id: int) -> KnowledgeSnippet:
    snippet = selectors.get_snippet(ctx.workspace, snippet_id)
    if snippet is None:
        raise NotFound("No such knowledge snippet in this workspace.")
    return snippet


def update_snippet(ctx: WorkspaceContext, snippet_id: int, *, title: str | None = None,
                   body: str | None = None) -> KnowledgeSnippet:
    ctx.require(MANAGE)
    snippet = _snippet(ctx, snippet_id)
    snippet.title, snippet.body = _clean_snippet(snippet.title if title is None else title,
                                                 snippet.body if body is None else body)
    snippet.updated_by = _user(ctx)
    snippet.save()  # the vector is recomputed when a draft next needs it (embedded_hash no longer matches)
    return snippet


def delete_snippet(ctx: WorkspaceContext, snippet_id: int) -> None:
    ctx.require(MANAGE)
    _snippet(ctx, snippet_id).delete()


def seed_reply_policy(workspace: Workspace, policy: dict, snippets: list[tuple[str, str]]) -> None:
    """The demo's policy and knowledge, written only where none exists (an owner's edits stay)."""
    if not ReplyPolicy.objects.filter(workspace=workspace).exists():
        ReplyPolicy.objects.create(workspace=workspace, policy=policy.get("policy", ""), tone=policy.get("tone", ""),
                                   sign_off=policy.get("sign_off", ""),
                                   allowed_promises=list(policy.get("allowed_promises", [])))
    have = set(KnowledgeSnippet.objects.filter(workspace=workspace).values_list("title", flat=True))
    KnowledgeSnippet.objects.bulk_create([KnowledgeSnippet(workspace=workspace, title=title, body=body)
                                          for title, body in snippets if title not in have])
