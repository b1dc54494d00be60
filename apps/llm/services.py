from __future__ import annotations

from apps.accounts.context import WorkspaceContext
from apps.accounts.permissions import MANAGE, VIEW

from .gateway import LLMRequest, get_gateway
from .models import LLMBudget
from .schemas import PlaygroundAnswer


def ask_playground(ctx: WorkspaceContext, question: str) -> dict:
    """The status page's "test the model" box: one short generation through the gateway."""
    ctx.require(VIEW)
    result = get_gateway().run(
        LLMRequest("llm/playground", 1, {"question": question[:1000]}, PlaygroundAnswer, max_tokens=120),
        workspace=ctx.workspace, feature="playground",
    )
    return {"answer": result.output.answer, "model": result.model, "tokens_in": result.tokens_in,
            "tokens_out": result.tokens_out, "latency_ms": result.latency_ms, "cached": result.cached}


def set_budget(ctx: WorkspaceContext, monthly_tokens: int | None) -> None:
    ctx.require(MANAGE)
    if monthly_tokens is None:
        LLMBudget.objects.filter(workspace=ctx.workspace).delete()
    else:
        LLMBudget.objects.update_or_create(workspace=ctx.workspace, defaults={"monthly_tokens": monthly_tokens})
