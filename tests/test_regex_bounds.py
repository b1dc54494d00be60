"""Every module-level regex that runs on customer or generated text must take about linear time on hostile
input: bounded quantifiers, anchored starts, no nested quantifiers. The former corpus `EMAIL`
(`[A-Za-z0-9._%+-]+@…`) took ~1 s on 20k characters of `a.a.a…` and 13 s on 80k; this test runs every
compiled pattern of the listed modules over such inputs, so a new unbounded pattern fails here."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator

import pytest

from apps.corpus import redaction
from apps.moderation import detectors
from tests.timing import cpu_seconds

MODULES = (
    "apps.corpus.redaction",
    "apps.moderation.detectors",
    "apps.replies.checks",
    "apps.copy.checks",
    "apps.copy.contract",
    "apps.corpus.tokens",
    "apps.insights.comparisons",
    "apps.insights.evidence",
)
N = 20_000
ADVERSARIAL = {
    "a-dot": "a." * (N // 2),
    "newlines": "\n" * N,
    "x-newlines-x": "x" + "\n" * 4998 + "x",
    "newline-space": "\n " * (N // 2),
    "at-signs": "@" * N,
    "letters-then-at": "a" * N + "@",
    "a-at": "a@" * (N // 2),
    "digits": "1" * N,
    "digit-space": "1 " * (N // 2),
    "digit-dash": "1-" * (N // 2),
    "spaces": " " * N,
    "http-junk": "http://" + "a." * (N // 2),
    "http-repeated": ("http://" + "x" * 50 + " ") * (N // 58),
    "dash-run-dot-com": "a-" * (N // 2) + ".com",
    "quotes": '"' * N,
    "cjk": "你" * N,
    "capitalised-words": "Aa " * (N // 3),
    # Shapes of the personal-data patterns (corpus.redaction.DETECTORS): a lead word, then almost a value.
    "street-like": "1 Aa Bb " * (N // 8),
    "name-intros": "my name is Aa " * (N // 14),
    "i-am-pairs": "I'm Aa Bb Cc " * (N // 13),
    "dob-leads": "DOB 1-1-" * (N // 8),
    "phone-leads": "phone 1-" * (N // 8),
    "zh-place-names": "北京市朝阳区建国路" * (N // 9),
    "zh-road-digits": "路1" * (N // 2),
    "zh-intros": "我叫张" * (N // 3),
    "id-digits": "11010119900307" * (N // 14),
    # Shapes of a comparison this product loses (insights.comparisons): comparatives, then almost "than this".
    "comparatives": "brighter faster than " * (N // 21),
    "zh-comparisons": "比这个" * (N // 3),
}
LIMIT_S = 0.5


def _patterns_in(value: object, path: str, depth: int = 0) -> Iterator[tuple[str, re.Pattern[str]]]:
    """Compiled patterns held directly or inside tuples, lists, sets and dicts (e.g. `(pattern, weight)` rows)."""
    if isinstance(value, re.Pattern):
        yield path, value
    elif depth < 4 and isinstance(value, dict):
        for key, item in value.items():
            yield from _patterns_in(item, f"{path}[{key!r}]", depth + 1)
    elif depth < 4 and isinstance(value, tuple | list | set | frozenset):
        for i, item in enumerate(value):
            yield from _patterns_in(item, f"{path}[{i}]", depth + 1)


def _all_patterns() -> dict[str, re.Pattern[str]]:
    found: dict[str, re.Pattern[str]] = {}
    for name in MODULES:
        for attr, value in vars(importlib.import_module(name)).items():
            found.update(_patterns_in(value, f"{name}.{attr}"))
    return found


PATTERNS = _all_patterns()


def _scan(pattern: re.Pattern[str], text: str) -> int:
    return sum(1 for _ in pattern.finditer(text))


def test_the_collection_sees_every_module_and_the_formerly_slow_patterns():
    modules = {path.split(".", 3)[2] for path in PATTERNS}
    assert modules == {"redaction", "detectors", "checks", "contract", "tokens", "comparisons", "evidence"}
    for path in ("apps.corpus.redaction.EMAIL", "apps.replies.checks._LINK_RE", "apps.corpus.redaction.PHONE"):
        assert path in PATTERNS
    # Every personal-data detector's pattern is run here (they sit in a tuple of rows).
    collected = {id(p) for p in PATTERNS.values()}
    assert all(id(d.pattern) in collected for d in redaction.DETECTORS)
    assert any(p.pattern.startswith("^[ \\t>#*-]{0,10}(?:system|assistant") for p in PATTERNS.values())
    assert len(PATTERNS) > 100


@pytest.mark.parametrize("path", sorted(PATTERNS))
def test_pattern_is_fast_on_adversarial_input(path):
    pattern = PATTERNS[path]
    for name, text in ADVERSARIAL.items():
        elapsed = cpu_seconds(_scan, pattern, text)
        assert elapsed < LIMIT_S, f"{path} took {elapsed:.2f} s on {name!r}"


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_redaction_and_personal_data_detection_are_fast(name):
    text = ADVERSARIAL[name]
    elapsed = cpu_seconds(redaction.redact, text, "Jane Smith")
    assert elapsed < LIMIT_S, f"redact took {elapsed:.2f} s"
    elapsed = cpu_seconds(detectors.detect_personal_data, text, text)
    assert elapsed < LIMIT_S, f"detect_personal_data took {elapsed:.2f} s"


def test_bounded_email_pattern_still_finds_ordinary_addresses():
    text = "Write to jane.doe+shop@mail.example.co.uk, or j_smith%x@example.com. 邮箱abc@qq.com谢谢"
    found = [m.group(0) for m in redaction.EMAIL.finditer(text)]
    assert found == ["jane.doe+shop@mail.example.co.uk", "j_smith%x@example.com", "abc@qq.com"]
    # Moderation checks originals with the very detectors redaction uses, not a copy that could drift.
    assert detectors.find_pii is redaction.find_pii
