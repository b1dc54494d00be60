"""Which customer texts (or snippets) a generated text rests on: the citations a model gave that were among
what it was shown, or, when it cited none, the material it visibly draws on. Shared by copy and replies."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TypeVar

from .tokens import content_tokens

Ref = TypeVar("Ref", bound=Hashable)


def shown_citations(cited: Iterable[Ref], shown: Iterable[Ref]) -> list[Ref]:
    """The cited references that were among those shown, in citation order, without repeats: a model may
    cite an id it invented or one it saw in another request, and neither is evidence."""
    allowed = set(shown)
    out: list[Ref] = []
    for ref in cited:
        if ref in allowed and ref not in out:
            out.append(ref)
    return out


def sharing_most_words(text: str, material: Iterable[tuple[Ref, str]], limit: int = 3,
                       min_shared: int = 2) -> list[Ref]:
    """References of the material sharing the most content words (or Chinese character pairs) with `text`,
    best first, ties by reference; those sharing fewer than `min_shared` are not drawn on."""
    mine = content_tokens(text)
    scored = sorted(((len(mine & content_tokens(body)), ref) for ref, body in material),
                    key=lambda s: (-s[0], s[1]))
    return [ref for shared, ref in scored if shared >= min_shared][:limit]
