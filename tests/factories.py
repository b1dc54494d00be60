"""Rows and shared test data, made directly: a test that only needs rows does not go through a real import
(`tests.conftest.import_now` runs parsing, redaction, embedding and classification).

Plain functions (no factory_boy in requirements): `member` (workspace, user, membership, API token),
`customer_text` (a live text, with its `TextAnalysis` and optionally a fixed vector), the shared corpus
(`corpus_csv`: battery, shipping and light feedback), the copy brief, and `run_now` (an analysis in this
process, with a model script installed through the `fake_llm` fixture)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import count

from django.test import Client

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Workspace
from apps.accounts.services import ensure_member, issue_token
from apps.corpus.models import CustomerText, content_hash

# --- workspaces and people ----------------------------------------------------------------------------


@dataclass
class Member:
    ctx: WorkspaceContext
    token: str

    @property
    def workspace(self):
        return self.ctx.workspace

    @property
    def user(self):
        return self.ctx.user

    def api(self) -> Client:
        return Client(headers={"Authorization": f"Bearer {self.token}"})

    def browser(self) -> Client:
        client = Client()
        client.force_login(self.user)
        return client


def member(role: str = "owner", workspace: str = "Acme", username: str | None = None) -> Member:
    """A user with `role` in `workspace` (both made if missing) and an API token."""
    membership = ensure_member(username or f"{role}-{workspace}".lower().replace(" ", "-"), workspace, role)
    ctx = WorkspaceContext(workspace=membership.workspace, user=membership.user, role=membership.role)
    return Member(ctx=ctx, token=issue_token(membership))


# --- texts --------------------------------------------------------------------------------------------

_serial = count(1)


def customer_text(workspace: Workspace, text: str | None = None, *, sentiment: str | None = "neutral",
                  intent: str = "other", confidence: float = 0.9, rating: int | None = None, language: str = "en",
                  source: str = "", author: str = "", posted_at: datetime | None = None,
                  moderation_status: str = "unchecked", vector: list[float] | None = None,
                  embedding_model: str | None = None) -> CustomerText:
    """A live text as an import leaves it (`text` is also the original), with a `TextAnalysis` unless
    `sentiment` is None, and a `TextEmbedding` of `vector` (for the workspace's model) when given."""
    from apps.insights.models import TextAnalysis

    text = text if text is not None else f"Customer text {next(_serial)}"
    row = CustomerText.objects.create(
        workspace=workspace, text=text, original_text=text,
        content_hash=content_hash(workspace.pk, text, author, posted_at, source),
        rating=rating, language=language, source=source, author=author, posted_at=posted_at,
        moderation_status=moderation_status, is_live=True)
    if sentiment is not None:
        score = {"positive": 0.8, "negative": -0.8}.get(sentiment, 0.0)
        TextAnalysis.objects.create(text=row, workspace=workspace, sentiment=sentiment, sentiment_score=score,
                                    sentiment_method="classifier", sentiment_confidence=confidence, intent=intent)
    if vector is not None:
        from apps.embeddings.models import TextEmbedding

        TextEmbedding.objects.create(text=row, workspace=workspace, embedding=vector,
                                     model=embedding_model or workspace.embedding_model)
    return row


def customer_texts(workspace: Workspace, texts: list[str], **kwargs) -> list[CustomerText]:
    return [customer_text(workspace, text, **kwargs) for text in texts]


# --- the shared corpus and brief ----------------------------------------------------------------------

BATTERY = ["The battery dies after two hours", "Battery drains overnight since the update",
           "Charge does not last a day anymore", "Battery life got much worse after firmware 2.3",
           "The battery runs out far too fast", "My lamp battery is empty every morning"]
SHIPPING = ["The parcel arrived late and the box was crushed", "Shipping took three weeks",
            "Box was damaged in transit", "Delivery was very slow", "Courier lost my package for a week",
            "Package arrived dented and late"]
LIGHT = ["Beautiful warm light for reading", "The colour of the light is gorgeous", "Soft light, easy on the eyes",
         "Bright and even lighting on my desk", "Love the warm glow in the evening", "Perfect reading light"]


def corpus_csv(extra: list[str] = ()) -> bytes:
    """18 texts in three clear themes (battery 1★, shipping 2★, light 5★), plus `extra` at 5★."""
    lines = ["text,rating,date"]
    for i, text in enumerate(BATTERY + SHIPPING + LIGHT + list(extra)):
        rating = 1 if text in BATTERY else 2 if text in SHIPPING else 5
        lines.append(f'"{text}",{rating},2026-10-{1 + i % 28:02d}')
    return ("\n".join(lines) + "\n").encode()


ZH_TEXTS = ["电池一晚上就没电了，太失望了", "快递盒子被压坏了，灯也摔坏了"]


def corpus_csv_with_chinese() -> bytes:
    """corpus_csv's 18 texts plus ZH_TEXTS at 1★ (the replies and translation tests' corpus)."""
    lines = corpus_csv().decode().rstrip("\n").split("\n")
    lines += [f'"{t}",1,2026-10-2{i}' for i, t in enumerate(ZH_TEXTS)]
    return ("\n".join(lines) + "\n").encode()


BRIEF = {"product": "Lumen reading lamp", "audience": "people who read in bed at night",
         "goal": "pre-orders of the warm light model", "channel": "ad", "tone": "warm", "variants": 3}


# --- an analysis --------------------------------------------------------------------------------------


def run_now(member: Member):
    """Start and run an analysis in this process (with fake_llm.use(AnalysisScript()), or the real model)."""
    from apps.insights import services

    run = services.start_analysis(member.ctx)
    services.run_analysis(run.pk)
    run.refresh_from_db()
    return run


# --- jobs ---------------------------------------------------------------------------------------------


def job(workspace: Workspace, kind: str = "copy", *, status: str = "queued", took_s: float | None = None,
        created_at: datetime | None = None, message: str = "Queued."):
    """A `Job` row made directly. `took_s`: a succeeded job that ran that many seconds, finished just now;
    `created_at`: when it was queued (the line for the model is in that order)."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.jobs.models import Job, JobStatus

    row = Job.objects.create(workspace=workspace, kind=kind, status=status, message=message)
    fields: dict = {}
    if took_s is not None:
        finished = timezone.now()
        fields.update(status=JobStatus.SUCCEEDED, started_at=finished - timedelta(seconds=took_s),
                      finished_at=finished)
    if created_at is not None:
        fields["created_at"] = created_at  # auto_now_add: only an update sets another time
    if fields:
        Job.objects.filter(pk=row.pk).update(**fields)
        row.refresh_from_db()
    return row
