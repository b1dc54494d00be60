"""The one LLM gateway. Every feature calls `run` or `run_many` with a prompt template, variables and a
pydantic output schema; nothing else in Murmur talks to a model server.

It speaks vLLM's OpenAI-compatible HTTP API, so a CPU vLLM in development and a GPU fleet in production
are the same code. It spreads requests across every server in VLLM_BASE_URL with bounded concurrency
each (continuous batching needs many requests in flight), skips servers whose circuit is open, retries
connection errors and 5xx with backoff, sends the JSON schema as a structured-output constraint, validates
the answer, retries invalid output, caches validated outputs and records tokens and latency per call.
Database work stays on the calling thread; worker threads only do HTTP.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from typing import Any, Generic, TypeVar

import httpx
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from pydantic import BaseModel, ValidationError

from apps.accounts.models import Workspace

from .models import LLMBudget, LLMCacheEntry, LLMCall
from .prompts import load_prompt

logger = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)
RETRY_TEMPERATURE = 0.7


class LLMError(Exception):
    """An LLM problem, phrased for the user."""


class LLMUnavailable(LLMError):
    """No model server answers. Jobs wait and retry; nothing is lost."""


class LLMOutputInvalid(LLMError):
    """The model kept answering with output that does not match the schema."""

    def __init__(self, message: str, tokens_in: int = 0, tokens_out: int = 0):
        super().__init__(message)
        self.tokens_in, self.tokens_out = tokens_in, tokens_out  # what the refused answers cost


class LLMBudgetExceeded(LLMError):
    pass


class LLMCancelled(LLMError):
    pass


@dataclass(frozen=True)
class LLMRequest(Generic[T]):
    prompt: str
    version: int
    variables: dict[str, Any]
    schema: type[T]
    max_tokens: int = 512
    temperature: float = 0.0
    seed: int = 0  # vary it to get different variants of the same prompt


@dataclass
class LLMResult(Generic[T]):
    output: T
    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms: int = 0
    cached: bool = False
    model: str = ""
    server: str = ""
    attempts: int = 1  # answers the server gave: more than one when a refused answer was asked again


@dataclass
class _Server:
    base_url: str
    slots: threading.Semaphore
    failures: int = 0
    open_until: float = 0.0

    def available(self, now: float) -> bool:
        return now >= self.open_until


@dataclass
class _Prepared:
    request: LLMRequest
    messages: list[dict[str, str]]
    cache_key: str
    body: dict[str, Any] = field(default_factory=dict)


class Gateway:
    CIRCUIT_THRESHOLD = 3  # consecutive failures before a server is skipped
    CIRCUIT_COOLDOWN_S = 15.0

    def __init__(self, base_urls: Sequence[str], model: str, *, api_key: str = "", concurrency: int = 8,
                 timeout_s: float = 300.0, max_attempts: int = 3, transport: httpx.BaseTransport | None = None,
                 backoff_s: float = 0.5):
        if not base_urls:
            raise ValueError("At least one VLLM_BASE_URL is needed.")
        self.model = model
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self._timeout = httpx.Timeout(timeout_s, connect=5.0)
        self._waits_for: float | None = None  # set on a `bounded` copy: what a web request may wait
        self._servers = [_Server(url.rstrip("/"), threading.Semaphore(concurrency)) for url in base_urls]
        self._lock = threading.Lock()
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(timeout=httpx.Timeout(timeout_s, connect=5.0), headers=headers,
                                  transport=transport, limits=httpx.Limits(max_connections=concurrency * 4))

    # --- public API -------------------------------------------------------------------------------

    def bounded(self, timeout_s: float, waits_for: float | None = None) -> Gateway:
        """This gateway (same servers, circuit breaker and connection pool) for a call a web request waits on:
        one attempt, at most `timeout_s` per request and for a free slot, and errors that say so."""
        clone = copy.copy(self)
        clone.max_attempts, clone.backoff_s = 1, 0.0
        clone._timeout = httpx.Timeout(timeout_s, connect=min(5.0, timeout_s))
        clone._waits_for = waits_for or timeout_s
        return clone

    def run(self, request: LLMRequest[T], *, workspace: Workspace | None, feature: str) -> LLMResult[T]:
        result = self.run_many([request], workspace=workspace, feature=feature)[0]
        if isinstance(result, LLMError):
            raise result
        return result

    def run_many(self, requests: Sequence[LLMRequest], *, workspace: Workspace | None, feature: str,
                 should_cancel: Callable[[], bool] | None = None) -> list[LLMResult | LLMError]:
        """Send all requests concurrently (bounded per server). Each slot gets a result or an LLMError;
        LLMUnavailable and LLMBudgetExceeded are raised, since no request can succeed then."""
        check_budget(workspace)
        workspace_id = workspace.pk if workspace is not None else None
        prepared = [self._prepare(r, workspace_id) for r in requests]
        results: list[LLMResult | LLMError | None] = [None] * len(prepared)
        cached = {e.key: e for e in LLMCacheEntry.objects.filter(key__in=[p.cache_key for p in prepared],
                                                                 workspace_id=workspace_id)}
        pending: list[int] = []
        for i, p in enumerate(prepared):
            entry = cached.get(p.cache_key)
            if entry is not None:
                try:
                    results[i] = LLMResult(p.request.schema.model_validate(entry.output), cached=True,
                                           model=self.model)
                    continue
                except ValidationError:
                    pass  # the schema changed since: ask again
            pending.append(i)
        if pending:
            bound = _CALL_BOUND.get()
            gateway = self if bound is None else bound.gateway_for(self, len(pending))
            gateway._send_all(prepared, pending, results, should_cancel)
        self._record(prepared, results, workspace, feature)
        for outcome in results:
            if isinstance(outcome, (LLMUnavailable, LLMBudgetExceeded)):
                raise outcome
        return results  # type: ignore[return-value]

    def _send_all(self, prepared: list[_Prepared], pending: list[int], results: list,
                  should_cancel: Callable[[], bool] | None) -> None:
        """Keep up to concurrency × servers requests in flight. `should_cancel` is asked on this thread
        (it may touch the database) between completions; requests not yet sent are then dropped."""
        width = min(len(pending), self.concurrency * len(self._servers))
        queue = iter(pending)
        with ThreadPoolExecutor(max_workers=width, thread_name_prefix="llm") as pool:
            in_flight = {pool.submit(self._call, prepared[i]): i for i in islice(queue, width)}
            while in_flight:
                finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in finished:
                    results[in_flight.pop(future)] = future.result()
                if should_cancel is not None and should_cancel():
                    for i in queue:
                        results[i] = LLMCancelled("The job was cancelled.")
                    break
                for i in islice(queue, len(finished)):
                    in_flight[pool.submit(self._call, prepared[i])] = i
            for future, i in in_flight.items():  # already sent when the job was cancelled
                results[i] = future.result()

    def health(self) -> list[dict[str, Any]]:
        states = []
        for server in self._servers:
            try:
                response = self._http.get(f"{server.base_url}/models", timeout=3.0)
                models = [m.get("id") for m in response.json().get("data", [])] if response.is_success else []
                ok = response.is_success and self.model in models
                detail = "ok" if ok else (f"serves {models}, not {self.model}" if response.is_success
                                         else f"HTTP {response.status_code}")
            except (httpx.HTTPError, ValueError) as exc:
                ok, detail = False, f"unreachable ({type(exc).__name__})"
            states.append({"url": server.base_url, "ok": ok, "detail": detail,
                           "circuit_open": not server.available(time.monotonic())})
        return states

    # --- internals --------------------------------------------------------------------------------

    def _prepare(self, request: LLMRequest, workspace_id: int | None = None) -> _Prepared:
        template = load_prompt(request.prompt, request.version)
        messages = template.render(request.variables)
        schema = request.schema.model_json_schema()
        # The cache is per workspace: a shared one would tell a tenant (through `cached` and the speed of the
        # answer) that another tenant sent the same text.
        key_material = json.dumps(
            [workspace_id, self.model, template.name, template.version, template.fingerprint, messages, schema,
             request.max_tokens, request.temperature, request.seed], sort_keys=True, ensure_ascii=False)
        body = {
            "model": self.model, "messages": messages, "max_tokens": request.max_tokens,
            "temperature": request.temperature, "seed": request.seed,
            "response_format": {"type": "json_schema",
                                "json_schema": {"name": request.schema.__name__, "schema": schema, "strict": True}},
        }
        return _Prepared(request, messages, hashlib.sha256(key_material.encode()).hexdigest(), body)

    def _unavailable(self, problem: str, for_jobs: str) -> LLMUnavailable:
        """What a caller is told when no server answers: a job waits for the model (`for_jobs`), a web request
        (a `bounded` copy) is told how long it waited and what to do instead."""
        if self._waits_for is not None:
            return LLMUnavailable(_did_not_answer(self._waits_for, problem))
        return LLMUnavailable(for_jobs)

    def _acquire(self) -> _Server:
        deadline = time.monotonic() + (self._waits_for or 600)
        while True:
            now = time.monotonic()
            with self._lock:
                usable = [s for s in self._servers if s.available(now)]
            if not usable:
                raise self._unavailable("no server is reachable", "The language model server is not reachable. "
                                        "Jobs will wait and resume when it is back.")
            random.shuffle(usable)  # spread load; then take the first with a free slot
            for server in usable:
                if server.slots.acquire(blocking=False):
                    return server
            if now > deadline:
                raise LLMUnavailable("The language model servers are saturated.")
            time.sleep(0.02)

    def _mark(self, server: _Server, ok: bool) -> None:
        with self._lock:
            if ok:
                server.failures, server.open_until = 0, 0.0
            else:
                server.failures += 1
                if server.failures >= self.CIRCUIT_THRESHOLD:
                    server.open_until = time.monotonic() + self.CIRCUIT_COOLDOWN_S

    def _call(self, p: _Prepared) -> LLMResult | LLMError:
        connection_errors = 0
        invalid_outputs = 0
        spent_in = spent_out = 0  # every answer's tokens, refused ones too: budgets and accounting count them
        last_problem = ""
        body = dict(p.body)
        while True:
            try:
                server = self._acquire()
            except LLMUnavailable as exc:
                return exc
            started = time.monotonic()
            try:
                response = self._http.post(f"{server.base_url}/chat/completions", json=body, timeout=self._timeout)
            except httpx.HTTPError as exc:
                response, last_problem = None, f"{type(exc).__name__}: {exc}"
            finally:
                server.slots.release()
            latency_ms = int((time.monotonic() - started) * 1000)
            if response is None or response.status_code >= 500 or response.status_code == 429:
                self._mark(server, ok=False)
                connection_errors += 1
                if response is not None:
                    last_problem = f"HTTP {response.status_code}"
                logger.warning("LLM server %s failed (%s), attempt %d", server.base_url, last_problem,
                               connection_errors)
                if connection_errors >= self.max_attempts:
                    return self._unavailable(last_problem, f"The language model server did not answer "
                                             f"({last_problem}). Jobs will wait and resume when it is back.")
                time.sleep(self.backoff_s * 2 ** (connection_errors - 1))
                continue
            self._mark(server, ok=True)
            if response.status_code >= 400:
                detail = _error_message(response)
                return LLMError(f"The language model rejected the request: {detail}")
            data = response.json()
            usage = data.get("usage") or {}
            spent_in += int(usage.get("prompt_tokens", 0))
            spent_out += int(usage.get("completion_tokens", 0))
            try:
                content = data["choices"][0]["message"]["content"] or ""
                output = p.request.schema.model_validate(json.loads(content))
            except (KeyError, IndexError, TypeError, json.JSONDecodeError, ValidationError) as exc:
                invalid_outputs += 1
                last_problem = f"{type(exc).__name__}: {str(exc)[:200]}"
                logger.warning("invalid LLM output for %s (attempt %d): %s", p.request.prompt, invalid_outputs,
                               last_problem)
                if invalid_outputs >= self.max_attempts:
                    return LLMOutputInvalid(
                        f"The language model returned invalid output {invalid_outputs} times for "
                        f"{p.request.prompt}; nothing was stored. Try again or choose a stronger model.",
                        tokens_in=spent_in, tokens_out=spent_out)
                # Ask again differently: a new seed only matters when sampling, so sample.
                body = {**body, "seed": int(body.get("seed", 0)) + 1000,
                        "temperature": max(RETRY_TEMPERATURE, float(body.get("temperature", 0)))}
                continue
            return LLMResult(output, tokens_in=spent_in, tokens_out=spent_out, latency_ms=latency_ms,
                             model=str(data.get("model", self.model)), server=server.base_url,
                             attempts=invalid_outputs + 1)

    def _record(self, prepared: list[_Prepared], results: list, workspace: Workspace | None, feature: str) -> None:
        calls, entries = [], []
        for p, outcome in zip(prepared, results, strict=False):
            template = p.request
            common = {"workspace": workspace, "feature": feature, "prompt": template.prompt,
                      "prompt_version": template.version, "model": self.model}
            if isinstance(outcome, LLMResult):
                calls.append(LLMCall(**common, server=outcome.server, tokens_in=outcome.tokens_in,
                                     tokens_out=outcome.tokens_out, latency_ms=outcome.latency_ms,
                                     cached=outcome.cached))
                if not outcome.cached:
                    entries.append(LLMCacheEntry(key=p.cache_key, output=outcome.output.model_dump(mode="json"),
                                                 tokens_out=outcome.tokens_out, workspace=workspace))
            elif isinstance(outcome, LLMError) and not isinstance(outcome, LLMCancelled):
                calls.append(LLMCall(**common, ok=False, error=str(outcome)[:300],
                                     tokens_in=getattr(outcome, "tokens_in", 0),
                                     tokens_out=getattr(outcome, "tokens_out", 0)))
        LLMCall.objects.bulk_create(calls)
        LLMCacheEntry.objects.bulk_create(entries, ignore_conflicts=True)


def _did_not_answer(waits_for: float, problem: str) -> str:
    return (f"The language model is not answering ({problem}; this request waits at most {waits_for:.0f} s for it). "
            "Try again in a minute; for many texts, start a job instead: jobs wait for the model.")


@dataclass(frozen=True)
class _CallBound:
    deadline: float
    seconds: float
    before_send: Callable[[int], None] | None

    def gateway_for(self, gateway: Gateway, requests: int) -> Gateway:
        if self.before_send is not None:
            self.before_send(requests)
        left = self.deadline - time.monotonic()
        if left < 1.0:
            raise LLMUnavailable(_did_not_answer(self.seconds, "time is up"))
        return gateway.bounded(left, waits_for=self.seconds)


_CALL_BOUND: ContextVar[_CallBound | None] = ContextVar("llm_call_bound", default=None)


@contextmanager
def bounded_calls(seconds: float, before_send: Callable[[int], None] | None = None) -> Iterator[None]:
    """For work a web request waits on: inside the block, every gateway call (whatever module makes it: a
    translation, moderation's judge) gets one attempt and together they wait at most `seconds` for model
    servers; then LLMUnavailable says so. `before_send(n)` runs before `n` requests go out (cache hits send
    nothing): a rate limit raises there."""
    token = _CALL_BOUND.set(_CallBound(time.monotonic() + seconds, seconds, before_send))
    try:
        yield
    finally:
        _CALL_BOUND.reset(token)


def _error_message(response: httpx.Response) -> str:
    try:
        data = response.json()
        return str(data.get("error", {}).get("message") or data.get("message") or data)[:300]
    except ValueError:
        return f"HTTP {response.status_code}"


def tokens_used_this_month(workspace: Workspace) -> int:
    start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    totals = LLMCall.objects.filter(workspace=workspace, created_at__gte=start).aggregate(
        i=Sum("tokens_in"), o=Sum("tokens_out"))
    return (totals["i"] or 0) + (totals["o"] or 0)


def check_budget(workspace: Workspace | None) -> None:
    if workspace is None:
        return
    budget = LLMBudget.objects.filter(workspace=workspace).values_list("monthly_tokens", flat=True).first()
    if budget is not None and tokens_used_this_month(workspace) >= budget:
        raise LLMBudgetExceeded(
            f"This workspace has used its LLM budget of {budget:,} tokens for this month. "
            "An owner can raise it on the status page; new LLM work is paused until then.")


@cache
def get_gateway() -> Gateway:
    """The process-wide gateway built from settings (one connection pool per worker process)."""
    return Gateway(settings.VLLM_BASE_URLS, settings.MURMUR_LLM_MODEL, api_key=settings.VLLM_API_KEY,
                   concurrency=settings.LLM_MAX_CONCURRENCY_PER_SERVER, timeout_s=settings.LLM_REQUEST_TIMEOUT_S,
                   max_attempts=settings.LLM_MAX_ATTEMPTS)


Slot = TypeVar("Slot")


@dataclass
class Rounds(Generic[Slot]):
    rejected: list[Slot]  # slots whose last answer was still rejected
    cancelled: bool  # the job was cancelled: slots not yet answered were dropped
    calls: int  # requests that reached a model server (cache hits not counted)


def run_in_rounds(gateway: Gateway, slots: Sequence[Slot], request_for: Callable[[Slot, int], LLMRequest],
                  rejects: Callable[[Slot, LLMResult | LLMError, int], bool], *, attempts: int,
                  workspace: Workspace | None, feature: str, should_cancel: Callable[[], bool] | None = None,
                  after_round: Callable[[int], None] | None = None) -> Rounds[Slot]:
    """Ask for every slot at once; ask again, in the next round, for the slots whose answer `rejects` (a
    feature's own checks: evidence, banned words, language...), up to `attempts` rounds. `request_for(slot,
    attempt)` builds each round's request: vary the seed (and sample) per attempt, or the answer repeats."""
    todo, calls = list(slots), 0
    for attempt in range(attempts):
        if not todo:
            break
        outcomes = gateway.run_many([request_for(slot, attempt) for slot in todo], workspace=workspace,
                                    feature=feature, should_cancel=should_cancel)
        calls += sum(1 for o in outcomes if isinstance(o, LLMResult) and not o.cached)
        cancelled = any(isinstance(o, LLMCancelled) for o in outcomes)
        todo = [slot for slot, outcome in zip(todo, outcomes, strict=True) if rejects(slot, outcome, attempt)]
        if cancelled:
            return Rounds(todo, True, calls)
        if after_round is not None:
            after_round(attempt)
    return Rounds(todo, False, calls)
