"""What every quality evaluator shares: the dev sets, a fresh workspace, and the run's options."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"


@dataclass
class QualityContext:
    """`fast`: the regression subset `make test` runs (a seeded sample of each dev set).
    `use_llm`: stages that need the language model run; without it only the deterministic stages do.
    `language`: only the dev-set rows in this language, where a task supports it (copy_replies: "zh" measures
    the Chinese briefs alone, a quarter of the run)."""

    fast: bool = False
    use_llm: bool = True
    language: str | None = None
    fast_size: int = 120
    notes: list[str] = field(default_factory=list)

    def sample(self, rows: list[dict[str, Any]], size: int | None = None) -> list[dict[str, Any]]:
        """The whole set, or in fast mode a fixed sample (the same rows on every run)."""
        if not self.fast:
            return rows
        size = size or self.fast_size
        return rows if len(rows) <= size else random.Random(13).sample(rows, size)

    def workspace(self, name: str, role: str = "owner"):
        """A fresh workspace (and its owner) for one evaluator; returns a WorkspaceContext."""
        from apps.accounts.context import WorkspaceContext
        from apps.accounts.services import ensure_member

        membership = ensure_member(f"quality-{name}", f"quality {name} {time.time_ns()}", role)
        return WorkspaceContext(workspace=membership.workspace, user=membership.user, role=role)


def load_jsonl(name: str) -> list[dict[str, Any]]:
    """One dev set from bench/quality/data/ (one JSON object a line; blank lines and // comments skipped)."""
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("//"):
            rows.append(json.loads(line))
    return rows


def ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None
