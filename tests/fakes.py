"""The one scripted model server of the tests: `FakeLLM` answers each request by its prompt name
("insights/theme", "moderation/judge", ...) with the script registered for that name, through a real `Gateway`
(httpx.MockTransport), so caching, validation, retries and accounting run as in production.

`fake_llm` (tests/conftest.py) installs it where every module gets the gateway: `apps.llm.gateway.get_gateway`'s
cached instance. No test patches `get_gateway` per importing module, so a module that starts asking the model
cannot escape the fake. A prompt no script answers fails the test (AssertionError out of the transport).

Scripts are objects with `serves` (the prompt names they answer), `answer(asked) -> dict` (the JSON the model
returns), and optionally `model` and `usage` (tokens in, out) for the response."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import httpx

from apps.llm import gateway as gateway_module
from apps.llm.gateway import Gateway
from apps.llm.prompts import load_prompt

APPS_DIR = Path(__file__).resolve().parent.parent / "apps"


@dataclass
class Asked:
    """One request as the model server received it."""

    prompt: str  # "<app>/<prompt>"
    system: str
    user: str
    body: dict[str, Any]
    raw: str

    def block(self, name: str) -> str:
        """The content of the user message's <data name="..."> block."""
        return data_block(self.user, name)

    def ids(self, after: str | None = None) -> list[int]:
        """The `"id": N` the prompt showed (only after `name="<after>"` when given)."""
        text = self.user.split(f'name="{after}"')[1] if after else self.user
        return [int(i) for i in re.findall(r'"id": (\d+)', text)]


def data_block(user: str, name: str) -> str:
    return user.split(f'<data name="{name}">')[1].split("</data>")[0].strip()


class Script(Protocol):
    serves: tuple[str, ...]

    def answer(self, asked: Asked) -> dict[str, Any]: ...


@cache
def _system_prefixes() -> list[tuple[str, str]]:
    """(fixed start of a prompt's system message, prompt name), longest first: how a request is recognised."""
    prefixes = []
    for path in APPS_DIR.glob("*/prompts/*.v*.md"):
        stem, _, version = path.name.removesuffix(".md").rpartition(".v")
        name = f"{path.parent.parent.name}/{stem}"
        system = load_prompt(name, int(version)).system
        prefixes.append((re.split(r"\{\{", system)[0], name))
    return sorted(prefixes, key=lambda p: -len(p[0]))


def prompt_name(system: str) -> str:
    for prefix, name in _system_prefixes():
        if system.startswith(prefix):
            return name
    raise AssertionError(f"a request with no known prompt: {system[:80]}")


class _Answer:
    """A function as a script (FakeLLM.on)."""

    def __init__(self, serves: tuple[str, ...], answer: Callable[[Asked], dict], model: str, usage: tuple[int, int]):
        self.serves, self._answer, self.model, self.usage = serves, answer, model, usage

    def answer(self, asked: Asked) -> dict[str, Any]:
        return self._answer(asked)


class FakeLLM:
    """A scripted model server. `use(script, ...)` answers the scripts' prompts (a later script takes a prompt
    over); `on(prompt, fn)` answers one prompt with a function; `down = True` makes the server unreachable.
    `asked` keeps every request, `calls` counts them by prompt name."""

    def __init__(self, *scripts: Script):
        self.scripts: dict[str, Script] = {}
        self.asked: list[Asked] = []
        self.calls: Counter[str] = Counter()
        self.down = False
        self._lock = threading.Lock()
        self.use(*scripts)

    def use(self, *scripts):
        for script in scripts:
            for prompt in script.serves:
                self.scripts[prompt] = script
        return scripts[-1] if scripts else None

    def on(self, *prompts: str, answer: Callable[[Asked], dict], model: str = "m",
           usage: tuple[int, int] = (10, 10)) -> None:
        self.use(_Answer(prompts, answer, model, usage))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("the fake model server is down", request=request)
        raw = request.content.decode()
        body = json.loads(raw)
        system, user = body["messages"][0]["content"], body["messages"][1]["content"]
        asked = Asked(prompt_name(system), system, user, body, raw)
        with self._lock:
            self.asked.append(asked)
            self.calls[asked.prompt] += 1
        script = self.scripts.get(asked.prompt)
        if script is None:
            raise AssertionError(f"no script answers {asked.prompt}; scripted: {sorted(self.scripts)}")
        content = script.answer(asked)
        tokens_in, tokens_out = getattr(script, "usage", (100, 50))
        return httpx.Response(200, json={
            "model": getattr(script, "model", "m"), "choices": [{"message": {"content": json.dumps(content)}}],
            "usage": {"prompt_tokens": tokens_in, "completion_tokens": tokens_out}})

    def prompts_of(self, prompt: str) -> list[Asked]:
        return [a for a in self.asked if a.prompt == prompt]

    def gateway(self) -> Gateway:
        """A real gateway whose only server is this fake (for code that is handed a gateway)."""
        return Gateway(["http://fake/v1"], "m", transport=httpx.MockTransport(self), backoff_s=0)

    def serve(self) -> FakeLLM:
        """Make every `get_gateway()` of this process return a gateway to this fake, until `stop()`.
        `get_gateway` builds one Gateway and caches it: the cache is emptied, then filled with ours."""
        gateway = self.gateway()
        gateway_module.get_gateway.cache_clear()
        real = gateway_module.Gateway
        gateway_module.Gateway = lambda *args, **kwargs: gateway  # only while the cache is filled
        try:
            assert gateway_module.get_gateway() is gateway
        finally:
            gateway_module.Gateway = real
        return self

    @staticmethod
    def stop() -> None:
        gateway_module.get_gateway.cache_clear()  # the next caller builds the real one from settings


# --- the scripts the feature tests share --------------------------------------------------------------


class AnalysisScript:
    """Answers theme and report prompts, citing the first ids it was shown (or a bogus one when told)."""

    serves = ("insights/theme", "insights/theme_label", "insights/report")
    model, usage = "m", (100, 50)

    def __init__(self, bogus_first: int = 0):
        self.calls = 0
        self.bogus_left = bogus_first
        self.lock = threading.Lock()

    def answer(self, asked: Asked) -> dict[str, Any]:
        with self.lock:
            self.calls += 1
            bogus = self.bogus_left > 0
            self.bogus_left -= bogus
        cite = [999999] if bogus else asked.ids()[:2]
        if asked.prompt == "insights/report":
            return {"summary": "Battery complaints dominate.", "competitors": [],
                    "opportunities": [{"title": "Fix the battery", "detail": "d", "evidence": cite}],
                    "product_ideas": [{"title": "Battery saver mode", "detail": "d", "evidence": cite}]}
        data = asked.user.split('name="customer_texts"')[1].lower()
        word = "Battery" if "battery" in data else "Shipping" if ("ship" in data or "deliver" in data) else "Light"
        finding = {"title": f"{word} finding", "detail": "d", "evidence": cite}
        return {"label": f"{word} theme", "summary": f"About {word.lower()}.", "pain_points": [finding],
                "feature_requests": [], "praise": []}


COPY_CLEAN = {"headline": "Warm light for late reading",
              "body": "Readers love the warm glow in the evening. The best lamp, 3x brighter.",
              "call_to_action": "Pre-order"}


class CopyScript:
    """Answers copy, ideas and moderation-judge prompts. Copy cites the first two quotes it was shown plus a
    bogus id; the first `banned_calls` copy answers contain the banned word. The judge finds nothing."""

    serves = ("copy/variants", "copy/ideas", "moderation/judge")
    model, usage = "fake-m", (100, 50)

    def __init__(self, content: dict | None = None, banned_calls: int = 0, banned_word: str = "cheap"):
        self.content = content or COPY_CLEAN
        self.banned_calls = banned_calls
        self.banned_word = banned_word
        self.copy_calls = 0
        self.idea_calls = 0
        self.judge_calls = 0
        self.shown: list[list[int]] = []
        self.prompts: list[list[dict]] = []
        self.lock = threading.Lock()

    def answer(self, asked: Asked) -> dict[str, Any]:
        if asked.prompt == "moderation/judge":
            with self.lock:
                self.judge_calls += 1
            return {"categories": [], "severity": 0, "rationale": "Normal marketing copy.", "offending_span": ""}
        if asked.prompt == "copy/variants":
            ids = asked.ids(after="customer_quotes")
            with self.lock:
                self.copy_calls += 1
                banned = self.copy_calls <= self.banned_calls
                self.shown.append(ids)
                self.prompts.append(asked.body["messages"])
            content = dict(self.content, sources=ids[:2] + [999999])
            if banned:
                content["body"] += f" Not {self.banned_word}."
            return content
        ids = asked.ids(after="customer_texts")
        with self.lock:
            self.idea_calls += 1
        idea = {"title": "Battery saver mode", "detail": "Longer evenings without charging.", "evidence": ids[:2]}
        bogus = {"title": "Invented", "detail": "No evidence.", "evidence": [999999]}
        return {"product_ideas": [idea, bogus],
                "positioning_angles": [{"title": "The reader's lamp", "detail": "For night readers.",
                                        "evidence": ids[-1:]}]}


REPLY_CLEAN_EN = ("Sorry the battery drains so fast. Firmware 2.3.1 fixes the battery drain and is coming as a free "
                  "update.")
REPLY_CLEAN_ZH = "非常抱歉给您带来不便。固件2.3.1会修复电池耗电的问题，将作为免费更新推送。"


class RepliesScript:
    """Answers reply, translation and moderation-judge prompts. Replies come from `replies` in order (the last
    one repeats); each cites the refs it was shown plus a bogus one. `zh_replies` answers Chinese customers in
    Chinese. Translations answer in the target language, or in the wrong one while `wrong_language` is set.
    The judge calls a text with "idiot" in it harassment."""

    serves = ("replies/reply", "translation/translate", "moderation/judge")
    model, usage = "fake-m", (100, 50)

    def __init__(self, replies: list[str] | None = None, zh_replies: bool = True, wrong_language: bool = False):
        self.replies = replies or [REPLY_CLEAN_EN]
        self.zh_replies = zh_replies
        self.wrong_language = wrong_language
        self.reply_calls = 0
        self.translate_calls = 0
        self.judge_calls = 0
        self.prompts: list[str] = []
        self.lock = threading.Lock()

    def answer(self, asked: Asked) -> dict[str, Any]:
        user = asked.user
        if asked.prompt == "moderation/judge":
            with self.lock:
                self.judge_calls += 1
            rude = "idiot" in user.lower()
            return {"categories": ["harassment"] if rude else [], "severity": 2 if rude else 0,
                    "rationale": "Insults the customer." if rude else "A normal reply.",
                    "offending_span": "idiots" if rude else ""}
        if asked.prompt == "replies/reply":
            with self.lock:
                n = self.reply_calls
                self.reply_calls += 1
                self.prompts.append(user)
            refs = re.findall(r'"ref": "([a-z]+:\d+)"', user)
            chinese = '"Simplified Chinese"' in asked.block("reply_language")
            reply = self.replies[min(n, len(self.replies) - 1)]
            if chinese and self.zh_replies and reply == REPLY_CLEAN_EN:
                reply = REPLY_CLEAN_ZH
            return {"points": ["battery drains fast"], "reply": reply, "sources": refs[:3] + ["text:999999"]}
        with self.lock:
            self.translate_calls += 1
        target = json.loads(asked.block("target_language"))
        text = json.loads(asked.block("text"))
        into_zh = (target == "Simplified Chinese") != self.wrong_language
        return {"translation": f"翻译：{text[:10]}的意思是电池坏了" if into_zh
                else f"Translated: the battery died ({len(text)} characters)."}


class JudgeScript:
    """Answers every judge prompt with one verdict, and keeps the texts it was shown."""

    serves = ("moderation/judge",)
    model, usage = "fake", (10, 10)

    def __init__(self, categories: list[str], severity: int, span: str = ""):
        self.verdict = {"categories": categories, "severity": severity, "rationale": "Scripted.",
                        "offending_span": span}
        self.texts: list[str] = []

    def answer(self, asked: Asked) -> dict[str, Any]:
        self.texts.append(asked.block("text"))
        return self.verdict


class SaysNegative:
    """Answers the sentiment prompt: every text it was shown is negative."""

    serves = ("insights/sentiment",)
    model, usage = "m", (10, 10)

    def __init__(self):
        self.shown: list[int] = []

    def answer(self, asked: Asked) -> dict[str, Any]:
        ids = asked.ids()
        self.shown += ids
        return {"labels": [{"id": i, "sentiment": "negative"} for i in ids]}

