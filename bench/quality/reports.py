"""Reports and ideas: do stored claims rest on texts that support them, and does the summary lead with the facts?

The dev set (data/reports.jsonl, hand-written and hand-labelled: topic, sentiment, intent, competitor named,
feature requested) goes through the real pipeline: import, real embeddings, classification, clustering, the
report stage and product ideas. With `ctx.use_llm` the configured model writes; without it a scripted careless
model does, one that makes each mistake the checks exist for (praise cited for a pain point, the wrong
competitor, an invented brand and number in the summary, an idea that says a requested feature exists).
Every citation is judged against the hand labels, not against the pipeline's own signals:
- `support_before`: supported citations / all citations the model produced (theme, report and idea answers);
- `support_after`: the same over what was stored (target 1.0, floor 0.95);
- `claims_dropped`, `citations_dropped`: what the checks removed (from the run's and idea set's counts);
- `lead_names_top_negative`, `lead_names_top_anomaly`: the summary's first sentences name the theme with the
  most negative texts and the strongest anomaly (both computed from the stored snapshots);
- `lead_theme_is_labelled_top_negative`: the theme named first is mostly texts of the hand-labelled topic with
  the most negative texts;
- `names_not_in_texts`, `invented_numbers`: in the stored summary (must be 0);
- `ideas_claiming_requested_feature`: stored ideas that present a requested feature as existing (must be 0).
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections import Counter
from typing import Any

import httpx

from .common import QualityContext, load_jsonl, ratio

PRODUCT_CONTEXT = "Aria sells Aria Buds, wireless earbuds with a charging case, and the Aria app that tunes them."
COMPETITORS = ["AirPods", "Sony", "Jabra", "Soundcore", "Galaxy Buds"]
PAIN_LIKE = ("negative", "mixed")


def evaluate(ctx: QualityContext) -> dict[str, Any]:
    from apps.copy import services as copy_services
    from apps.insights import services as insight_services
    from apps.llm.gateway import Gateway, get_gateway

    rows = load_jsonl("reports.jsonl")  # the whole set in fast mode too: 154 texts, one anomaly week
    started = time.monotonic()
    member = ctx.workspace("reports")
    insight_services.update_settings(member, product_context=PRODUCT_CONTEXT, competitors=COMPETITORS)
    label_of = _import(member, rows)
    gateway = get_gateway() if ctx.use_llm else Gateway(
        ["http://scripted/v1"], "careless", transport=httpx.MockTransport(CarelessModel()), backoff_s=0)
    recorder = Recording(gateway)
    saved = insight_services.get_gateway, copy_services.ideas.get_gateway
    insight_services.get_gateway = copy_services.ideas.get_gateway = lambda: recorder
    try:
        run = insight_services.start_analysis(member)
        _run_when_ready(insight_services, run.pk, settle_judge=not ctx.use_llm)
        run.refresh_from_db()
        idea_set = copy_services.start_ideas(member)
        copy_services.generate_ideas(idea_set.pk)
        idea_set.refresh_from_db()
    finally:
        insight_services.get_gateway, copy_services.ideas.get_gateway = saved
    result = _judge(run, idea_set, recorder, label_of, rows)
    result["seconds"] = round(time.monotonic() - started, 1)
    result["model"] = "llm" if ctx.use_llm else "scripted careless model"
    return result


# --- running ------------------------------------------------------------------------------------------------

def _import(member, rows: list[dict]) -> dict[int, dict]:
    """Import the set as a CSV through the normal services, in this process; text id -> its labelled row."""
    from apps.corpus.models import CustomerText
    from apps.corpus.services import Upload, process_import, start_import
    from apps.embeddings.services import embed_import, embed_texts, refresh_job
    from apps.insights.services import classify_import

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["text", "rating", "date"])
    for row in rows:
        writer.writerow([row["text"], row["rating"] or "", row["date"]])
    text_import = start_import(member, Upload("reports.csv", out.getvalue().encode(), {}))
    process_import(text_import.pk)
    text_import.refresh_from_db()
    embed_import(member.workspace.pk, text_import.pk, str(text_import.job_id))  # queues batches on commit…
    ids = list(CustomerText.objects.filter(text_import=text_import).values_list("pk", flat=True))
    embed_texts(member.workspace.pk, member.workspace.embedding_model, ids)  # …which run right here
    refresh_job(str(text_import.job_id))
    classify_import(member.workspace.pk, text_import.pk)
    by_text = {row["text"]: row for row in rows}
    return {pk: by_text[text] for pk, text in CustomerText.objects.filter(pk__in=ids).values_list("pk", "text")}


def _run_when_ready(insight_services, run_id: int, *, settle_judge: bool, timeout_s: float = 600) -> None:
    """Run the analysis here once the import's jobs are done (under `make quality` real workers screen the
    texts after the import commits; in tests nothing is queued). `settle_judge` (under --no-llm): no model
    answers the moderation judge, so the cases it waits for go to the human queue, as they do in the product
    when the judge is unreachable and nobody waits for it."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            insight_services.run_analysis(run_id)
            return
        except insight_services.NotYet:
            if time.monotonic() > deadline:
                raise
            if settle_judge:
                _settle_judge_without_model(run_id)
            time.sleep(2)


def _settle_judge_without_model(run_id: int) -> None:
    from apps.insights.models import AnalysisRun
    from apps.jobs.models import Job
    from apps.moderation.models import CaseStatus, ModerationCase
    from apps.moderation.services.judging import judge
    from apps.moderation.services.screening import refresh_screening_job

    workspace_id = AnalysisRun.objects.values_list("workspace_id", flat=True).get(pk=run_id)
    for job in Job.objects.filter(workspace_id=workspace_id, kind="moderation", finished_at__isnull=True):
        if not job.params.get("fast_stage_done"):
            continue  # the worker is still screening: its cases are not all there yet
        waiting = list(ModerationCase.objects.filter(job=job, status=CaseStatus.SCREENING)
                       .select_related("workspace"))
        judge(waiting, wait_for_llm=False)
        refresh_screening_job(str(job.pk))


class Recording:
    """The gateway, keeping every answer the model gave (before any check)."""

    def __init__(self, gateway):
        self.gateway = gateway
        self.answers: list[tuple[str, Any]] = []

    def _keep(self, request, outcome) -> None:
        if hasattr(outcome, "output"):  # a copy: the checks later edit the answer in place
            self.answers.append((request.prompt, outcome.output.model_copy(deep=True)))

    def run(self, request, **kwargs):
        outcome = self.gateway.run(request, **kwargs)
        self._keep(request, outcome)
        return outcome

    def run_many(self, requests, **kwargs):
        outcomes = self.gateway.run_many(requests, **kwargs)
        for request, outcome in zip(requests, outcomes, strict=True):
            self._keep(request, outcome)
        return outcomes

    def __getattr__(self, name: str):
        return getattr(self.gateway, name)


# --- judging against the hand labels ---------------------------------------------------------------------

def _supported(kind: str, row: dict | None, competitor: str = "") -> bool:
    if row is None:
        return False
    if kind == "pain_point":
        return row["sentiment"] in PAIN_LIKE
    if kind == "praise":  # a mixed text praising one thing supports that praise
        return row["sentiment"] == "positive" or (row["sentiment"] == "mixed" and row["intent"] == "praise")
    if kind == "feature_request":
        return row["intent"] == "feature_request"
    if kind == "competitor":
        return bool(competitor) and competitor.lower() in row["text"].lower()
    if kind in ("opportunity", "product_idea", "positioning"):
        return row["sentiment"] in PAIN_LIKE or row["intent"] == "feature_request"
    return True  # computed insights (anomalies, emerging themes) cite their theme's texts by rule


def _claims_of(prompt: str, output) -> list[tuple[str, list[int], str]]:
    """(kind, cited ids, competitor) of every claim in one answer."""
    if prompt.startswith("insights/theme") and hasattr(output, "pain_points"):
        return [(kind, f.evidence, "") for kind, attr in (("pain_point", "pain_points"), ("praise", "praise"),
                                                          ("feature_request", "feature_requests"))
                for f in getattr(output, attr)]
    if prompt == "insights/report":
        return ([("opportunity", f.evidence, "") for f in output.opportunities]
                + [("product_idea", f.evidence, "") for f in output.product_ideas]
                + [("competitor", c.evidence, c.name) for c in output.competitors])
    if prompt == "copy/ideas":
        return [("product_idea", f.evidence, "") for f in [*output.product_ideas, *output.positioning_angles]]
    return []


def _judge(run, idea_set, recorder: Recording, label_of: dict[int, dict], rows: list[dict]) -> dict[str, Any]:
    from apps.insights import report_facts

    produced = supported = 0
    for prompt, output in recorder.answers:
        for kind, cited, competitor in _claims_of(prompt, output):
            produced += len(cited)
            supported += sum(1 for i in cited if _supported(kind, label_of.get(i), competitor))
    stored: list[tuple[str, int, bool]] = []  # (kind, text id, supported by the hand labels)
    checked_kinds = ("pain_point", "praise", "feature_request", "competitor", "opportunity", "product_idea")
    for insight in run.insights.filter(kind__in=checked_kinds):
        stored += [(insight.kind, i, _supported(insight.kind, label_of.get(i), insight.data.get("competitor", "")))
                   for i in insight.evidence]
    ideas = list(idea_set.ideas.all())
    for idea in ideas:
        stored += [(idea.kind, i, _supported(idea.kind, label_of.get(i))) for i in idea.evidence]
    from apps.insights.models import TextAnalysis

    seen = {a.text_id: a for a in TextAnalysis.objects.filter(text_id__in=[i for _, i, ok in stored if not ok])}
    unsupported = [f"{kind}: {label_of[i]['text'][:60]} (labelled {label_of[i]['sentiment']} {label_of[i]['intent']}; "
                   f"classified {seen[i].sentiment} {seen[i].sentiment_score} {seen[i].intent})"
                   for kind, i, ok in stored if not ok and i in label_of and i in seen]
    evidence = (run.stats or {}).get("evidence", {})
    features = {r["requested_feature"].lower() for r in rows if r["requested_feature"]}
    claiming = [i.title for i in ideas if _presents(f"{i.title}. {i.detail}", features)]
    claiming += [i.title for i in run.insights.filter(kind__in=("opportunity", "product_idea"))
                 if _presents(f"{i.title}. {i.detail}", features)]
    lead = _lead_figures(run, label_of)
    facts = report_facts.ReportFacts.from_dict((run.stats or {}).get("facts", {}))
    texts = [r["text"] for r in rows]
    allowed = report_facts.allowed_numbers(facts, texts)
    return {
        "n_texts": len(rows), "themes": run.snapshots.count(), "llm_answers": len(recorder.answers),
        "citations_produced": produced, "support_before": ratio(supported, produced),
        "citations_stored": len(stored), "support_after": ratio(sum(ok for _, _, ok in stored), len(stored)),
        "unsupported_stored": unsupported[:10],
        "citations_dropped": evidence.get("citations_dropped", 0),
        "claims_dropped": evidence.get("claims_dropped", 0),
        "summary_sentences_dropped": evidence.get("summary_sentences_dropped", {}),
        **lead,
        "names_not_in_texts": len(_foreign_names(run.summary, [*texts, PRODUCT_CONTEXT, *COMPETITORS,
                                                              *run.snapshots.values_list("label", flat=True)])),
        "invented_numbers": len(report_facts.invented_numbers(run.summary, allowed)),
        "ideas_claiming_requested_feature": len(claiming),
        "ideas_stored": len(ideas), "idea_notes": idea_set.notes, "run_notes": run.notes,
        "summary": run.summary,
    }


_PRESENCE = r"\b(has|have|with its|its|already|comes with|features|includes|thanks to)\b(\W+\w+){0,3}?\W+"


def _presents(text: str, features: set[str]) -> bool:
    """An independent, plain check: a labelled requested feature right after a word of presence."""
    return any(re.search(_PRESENCE + re.escape(f), text, re.IGNORECASE) for f in features)


def _lead_figures(run, label_of: dict[int, dict]) -> dict[str, Any]:
    from apps.insights import report_facts
    from apps.insights.models import TextAnalysis

    facts = report_facts.ReportFacts.from_dict((run.stats or {}).get("facts", {}))
    labels = {s.theme_id: s.label for s in run.snapshots.all()}
    first = " ".join(report_facts.sentences(run.summary)[:2])
    negative = facts.negative_themes
    top = negative[0] if negative else None
    anomaly = facts.anomalies[0] if facts.anomalies else None
    labelled_negative = Counter(r["topic"] for r in label_of.values() if r["sentiment"] == "negative")
    top_topic = labelled_negative.most_common(1)[0][0] if labelled_negative else None
    lead_topic = None
    if top is not None:
        members = TextAnalysis.objects.filter(theme_id=top.theme_id).values_list("text_id", flat=True)
        topics = Counter(label_of[i]["topic"] for i in members if i in label_of)
        lead_topic = topics.most_common(1)[0][0] if topics else None
    return {
        "lead_names_top_negative": bool(top) and f'"{labels.get(top.theme_id, top.label)}"' in first,
        "lead_names_top_anomaly": anomaly is None or f'"{labels.get(anomaly.theme_id, anomaly.label)}"' in first,
        "anomalies_found": len(facts.anomalies),
        "lead_theme_is_labelled_top_negative": lead_topic is not None and lead_topic == top_topic,
        "lead_theme_topic": lead_topic, "labelled_top_negative_topic": top_topic,
    }


def _foreign_names(summary: str, texts: list[str]) -> list[str]:
    """Capitalised words inside a sentence, or words mixing letters and digits, found in none of the texts."""
    known = {w.lower() for t in texts for w in re.findall(r"[\w'’\-+]+", t)}
    found = []
    for sentence in re.split(r"(?<=[.!?])\s+", summary):
        for index, word in enumerate(re.findall(r"[\w'’\-+]+", sentence)):
            name_like = (index > 0 and word[0].isupper()) or (re.search(r"\d", word) and re.search(r"[A-Za-z]", word))
            week = re.fullmatch(r"\d{4}-W\d{2}", word)  # the lead's weeks ("2026-W37")
            if name_like and not week and word.lower() not in known and word.lower() not in ("i", "anomaly"):
                found.append(word)
    return found


# --- the scripted careless model --------------------------------------------------------------------------

def _data(user: str, name: str) -> Any:
    match = re.search(rf'<data name="{name}">\s*(.*?)\s*</data>', user, re.S)
    return json.loads(match.group(1)) if match else None


class CarelessModel:
    """Answers like a small model at its worst: cites every text it was shown whatever the claim, names a
    competitor no text names, invents a brand and a number in the summary, and says that the product already
    has what customers ask for."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        system, user = body["messages"][0]["content"], body["messages"][1]["content"]
        if "positioning angles" in system:
            ids = [t["id"] for t in _data(user, "customer_texts") or []]
            content = {"product_ideas": [
                {"title": "Promote the wireless charging case", "detail": "Aria Buds already come with wireless "
                 "charging, so tell night owls about it.", "evidence": ids[:3]},
                {"title": "Fix the dropouts", "detail": "Ship a firmware fix for the disconnects.",
                 "evidence": ids[:4]}],
                "positioning_angles": [{"title": "For commuters", "detail": "Stable audio on the train.",
                                        "evidence": ids[-3:]}]}
        elif "<data name=\"facts\">" in user or "market analysis" in system:
            ids = [t["id"] for t in _data(user, "example_texts") or []]
            rivals = [t["id"] for t in _data(user, "competitor_mentions") or []]
            content = {
                "summary": "Customers mostly talk about the sleep timer. The Nokia 6610 is loved by 87% of buyers. "
                           "Competitors have also expressed positive reviews. Sound quality is a clear strength.",
                "opportunities": [{"title": "Win on sound", "detail": "Lean on what people like.",
                                   "evidence": ids[:4]}],
                "product_ideas": [{"title": "Market multipoint", "detail": "The buds have multipoint pairing, "
                                   "make it the headline.", "evidence": ids[:3]},
                                  {"title": "Low latency mode", "detail": "Build a mode for games.",
                                   "evidence": ids[2:6]}],
                "competitors": [{"name": "AirPods", "detail": "Customers compare us.", "evidence": rivals[:4]},
                                {"name": "Philips Hue", "detail": "Customers prefer it.", "evidence": rivals[:2]}]}
        else:  # a theme: name it by its keywords, cite the same texts for pains, praise and requests
            keywords = _data(user, "keywords") or ["customers"]
            ids = [t["id"] for t in _data(user, "customer_texts") or []]
            finding = {"title": " ".join(keywords[:2]), "detail": "What customers say.", "evidence": ids[:4]}
            content = {"label": " ".join(keywords[:2]), "summary": f"Customers write about {keywords[0]}.",
                       "pain_points": [finding], "feature_requests": [dict(finding, evidence=ids[2:6])],
                       "praise": [dict(finding, evidence=ids[:3])]}
        answer = {"model": "careless", "choices": [{"message": {"content": json.dumps(content)}}],
                  "usage": {"prompt_tokens": 100, "completion_tokens": 80}}
        return httpx.Response(200, json=answer)
