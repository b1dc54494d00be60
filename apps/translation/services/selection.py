"""Choosing the texts a bulk job works on (a translation job, and replies' drafting): explicit ids, or everything
matching the filters."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from apps.accounts.context import WorkspaceContext
from apps.core.errors import NotFound
from apps.corpus.selectors import TextFilters, texts_by_ids

from .. import selectors
from .errors import TranslationError


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


@dataclass(frozen=True)
class Selection:
    """The texts a job works on: explicit ids, or everything matching the filters (and analysis signals)."""

    text_ids: list[int] | None = None
    filters: TextFilters = field(default_factory=TextFilters)
    sentiment: str | None = None
    theme: int | None = None

    def describe(self) -> dict:
        f = self.filters
        return {k: (str(v) if v is not None else None) for k, v in {
            "date_from": f.date_from, "date_to": f.date_to, "rating": f.rating, "source": f.source,
            "language": f.language, "product": f.product, "sentiment": self.sentiment, "theme": self.theme,
        }.items() if v not in (None, "")}


def resolve_texts(ctx: WorkspaceContext, selection: Selection, limit: int) -> list[int]:
    """Ids of the texts chosen, in a stable order. NotFound for ids outside the workspace."""
    if selection.text_ids is not None:
        wanted = list(dict.fromkeys(int(i) for i in selection.text_ids))
        if not wanted:
            raise TranslationError("Choose at least one text.")
        if len(wanted) > limit:
            raise TranslationError(f"Choose at most {limit} texts at a time.")
        found = texts_by_ids(ctx.workspace, wanted)
        missing = [i for i in wanted if i not in found]
        if missing:
            raise NotFound(f"No such text in this workspace: {', '.join(f'#{i}' for i in missing[:10])}.")
        return wanted
    if selection.sentiment and selection.sentiment not in ("positive", "neutral", "negative"):
        raise TranslationError("Choose a sentiment: positive, neutral or negative.")
    qs = selectors.select_texts(ctx.workspace, selection.filters, sentiment=selection.sentiment,
                                theme=selection.theme)
    ids = list(qs.values_list("pk", flat=True)[:limit + 1])
    if not ids:
        hint = (" Sentiment is known once an analysis has run: run one, or filter by rating instead."
                if selection.sentiment else "")
        raise TranslationError("No texts match these filters." + hint)
    if len(ids) > limit:
        raise TranslationError(f"More than {limit} texts match: narrow the filters (a date range, a source or a "
                               "rating).")
    return ids
