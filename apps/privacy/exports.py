"""The workspace export: a zip of JSON and CSV files with everything a workspace holds.

texts.csv / texts.json   every text, redacted (originals and authors only in an export that asked for them)
analyses.json            per-text analyses, themes, analysis runs with their theme snapshots and insights
copy.json                brand voice, copy requests with their variants, product idea sets
moderation.json          policy, cases (redacted text), notes and the decision log
replies.json             reply drafts and the reply policy (when the replies app is installed)
manifest.json            what is in the archive, and counts

CSV cells that a spreadsheet would run as a formula (= + - @, tab, carriage return) are prefixed with '
(apps/core/csv.py).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from typing import Any

from django.apps import apps as django_apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, QuerySet
from django.utils import timezone

from apps.accounts.models import Workspace
from apps.copy.models import BrandVoice, CopyRequest, CopyVariant, IdeaSet, ProductIdea
from apps.core.csv import csv_safe
from apps.corpus.models import CustomerText
from apps.corpus.redaction import KINDS as REDACTION_KINDS
from apps.insights.models import AnalysisRun, AnalysisSettings, Insight, TextAnalysis, Theme, ThemeSnapshot
from apps.moderation.models import AuditEntry, CaseNote, ModerationCase, ModerationPolicy, PolicyRule

Progress = Callable[[int, int, str], None]

TEXT_COLUMNS = ["id", "text", "rating", "posted_at", "source", "product", "language", "moderation_status",
                "redactions", "created_at"]
ORIGINAL_COLUMNS = ["original_text", "author"]
CHUNK = 2000
SPOOL_BYTES = 32 * 1024 * 1024  # beyond this the zip is built in a temporary file, not in memory


def csv_cell(value: Any) -> str:
    """A value as a CSV cell that spreadsheets show as text and never evaluate."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return csv_safe(text)


def _json(data: Any) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)


def _rows(queryset: QuerySet, exclude: Iterable[str] = ()) -> list[dict[str, Any]]:
    model: type[Model] = queryset.model
    fields = [f.attname for f in model._meta.concrete_fields if f.name not in set(exclude)]
    return list(queryset.values(*fields))


def build_archive(workspace: Workspace, *, include_originals: bool, progress: Progress) -> tuple[bytes, list[str]]:
    texts = CustomerText.objects.filter(workspace=workspace).order_by("pk")
    columns = TEXT_COLUMNS + (ORIGINAL_COLUMNS if include_originals else [])
    count = texts.count()
    total = 2 * count + 5  # two passes over the texts, then up to five files
    done = 0
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as buffer:
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            with archive.open("texts.csv", "w") as raw:
                out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                out.write("\ufeff")  # Excel reads UTF-8 (Chinese texts) only with a BOM
                writer = csv.writer(out)
                writer.writerow(columns)
                for row in texts.values_list(*columns).iterator(chunk_size=CHUNK):
                    writer.writerow([csv_cell(v) for v in row])
                    done += 1
                    if done % CHUNK == 0:
                        progress(done, total, f"Wrote {done} of {count} texts to texts.csv.")
                out.flush()
                out.detach()
            with archive.open("texts.json", "w") as raw:
                out = io.TextIOWrapper(raw, encoding="utf-8")
                out.write("[")
                for i, row in enumerate(texts.values(*columns).iterator(chunk_size=CHUNK)):
                    out.write(("," if i else "") + "\n " + json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False))
                    done += 1
                    if done % CHUNK == 0:
                        progress(done, total, f"Wrote {done - count} of {count} texts to texts.json.")
                out.write("\n]\n")
                out.flush()
                out.detach()
            sections = {
                "analyses.json": lambda: _analyses(workspace),
                "copy.json": lambda: _copy(workspace),
                "moderation.json": lambda: _moderation(workspace),
            }
            if django_apps.is_installed("apps.replies"):
                sections["replies.json"] = lambda: _replies(workspace)
            for name, collect in sections.items():
                progress(done, total, f"Writing {name}.")
                archive.writestr(name, _json(collect()))
                done += 1
            manifest = {
                "workspace": workspace.name, "exported_at": timezone.now(), "include_originals": include_originals,
                "texts": count, "files": ["texts.csv", "texts.json", *sections, "manifest.json"],
                "note": "Texts are redacted (personal data replaced by "
                        + ", ".join(f"[{kind}]" for kind in REDACTION_KINDS) + ")"
                        + ("; original_text and author hold the originals." if include_originals else "."),
            }
            archive.writestr("manifest.json", _json(manifest))
            progress(total, total, "Compressing.")
        buffer.seek(0)
        return buffer.read(), manifest["files"]


def _analyses(workspace: Workspace) -> dict[str, Any]:
    runs = []
    for run in _rows(AnalysisRun.objects.filter(workspace=workspace).order_by("version")):
        run["snapshots"] = _rows(ThemeSnapshot.objects.filter(run_id=run["id"]).order_by("pk"))
        run["insights"] = _rows(Insight.objects.filter(run_id=run["id"]).order_by("kind", "position"))
        runs.append(run)
    return {
        "settings": _rows(AnalysisSettings.objects.filter(workspace=workspace), exclude=["periodic_task"]),
        "themes": _rows(Theme.objects.filter(workspace=workspace).order_by("pk"), exclude=["centroid"]),
        "text_analyses": _rows(TextAnalysis.objects.filter(workspace=workspace).order_by("text_id")),
        "analysis_runs": runs,
    }


def _copy(workspace: Workspace) -> dict[str, Any]:
    requests = []
    for request in _rows(CopyRequest.objects.filter(workspace=workspace).order_by("pk")):
        request["variants"] = _rows(CopyVariant.objects.filter(request_id=request["id"]).order_by("position"))
        requests.append(request)
    idea_sets = []
    for idea_set in _rows(IdeaSet.objects.filter(workspace=workspace).order_by("pk")):
        idea_set["ideas"] = _rows(ProductIdea.objects.filter(idea_set_id=idea_set["id"]).order_by("kind", "position"))
        idea_sets.append(idea_set)
    return {"brand_voice": _rows(BrandVoice.objects.filter(workspace=workspace)), "copy_requests": requests,
            "idea_sets": idea_sets}


def _moderation(workspace: Workspace) -> dict[str, Any]:
    policies = _rows(ModerationPolicy.objects.filter(workspace=workspace))
    for policy in policies:
        policy["rules"] = _rows(PolicyRule.objects.filter(policy_id=policy["id"]).order_by("category"))
    return {
        "policy": policies,
        "cases": _rows(ModerationCase.objects.filter(workspace=workspace).order_by("pk")),
        "notes": _rows(CaseNote.objects.filter(case__workspace=workspace).order_by("pk")),
        "decisions": _rows(AuditEntry.objects.filter(workspace=workspace).order_by("created_at", "pk")),
    }


def _replies(workspace: Workspace) -> dict[str, Any]:
    """Looked up through the app registry: the replies app is optional here."""
    models = {name: django_apps.get_model("replies", name) for name in ("ReplyPolicy", "ReplyDraft")}
    return {"policy": _rows(models["ReplyPolicy"].objects.filter(workspace=workspace)),
            "drafts": _rows(models["ReplyDraft"].objects.filter(workspace=workspace).order_by("pk"))}
