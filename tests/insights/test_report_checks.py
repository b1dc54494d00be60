"""The report's support checks (evidence.py) and computed facts (report_facts.py): each mistake a model makes
is caught, alone and through the real analysis pipeline with a scripted model that makes all of them."""

import pytest

from apps.insights import evidence, report_facts, services
from apps.insights.models import Insight, TextAnalysis
from apps.insights.schemas import CompetitorFinding, Finding, ReportDraft
from tests.conftest import import_now
from tests.factories import corpus_csv, run_now
from tests.fakes import Asked

PAIN = evidence.TextFacts("The battery dies after two hours", "negative", "complaint", -0.8, theme_id=1)
PRAISE = evidence.TextFacts("Beautiful warm light for reading", "positive", "praise", 0.9, theme_id=1)
REQUEST = evidence.TextFacts("Please add USB-C charging, micro-USB is so old", "neutral", "feature_request", 0.0,
                             theme_id=1)
XIAOMI = evidence.TextFacts("My Xiaomi lamp was brighter than this one", "negative", "complaint", -0.4)
BENQ = evidence.TextFacts("BenQ screenbar has a better stand", "negative", "complaint", -0.3)
HUE = evidence.TextFacts("Philips Hue works with my whole house, this lamp does not", "negative", "complaint", -0.5)
TEXTS = {1: PAIN, 2: PRAISE, 3: REQUEST, 4: XIAOMI, 5: BENQ, 6: HUE}


def finding(evidence_ids: list[int], title: str = "t", detail: str = "d") -> Finding:
    return Finding(title=title, detail=detail, evidence=evidence_ids)


def test_praise_cited_for_a_pain_point_is_removed_and_a_claim_left_bare_is_dropped():
    kept, count = evidence.check_findings([finding([1, 2]), finding([2])], evidence.PAIN, TEXTS, theme_id=1)
    assert [f.evidence for f in kept] == [[1]]
    assert (count.citations, count.supported, count.claims_dropped) == (3, 1, 1)
    assert evidence.notes_for(count) == ["evidence: 2 of 3 citations dropped as unsupported; "
                                         "1 claim dropped (1 no supporting text)"]


def test_praise_and_requests_need_their_own_kind_of_text_from_their_theme():
    kept, _ = evidence.check_findings([finding([1, 2, 3])], evidence.PRAISE, TEXTS, theme_id=1)
    assert kept[0].evidence == [2]
    kept, _ = evidence.check_findings([finding([1, 2, 3])], evidence.REQUEST, TEXTS, theme_id=1)
    assert kept[0].evidence == [3]
    kept, _ = evidence.check_findings([finding([1])], evidence.PAIN, TEXTS, theme_id=2)  # another theme's text
    assert kept == []


@pytest.mark.parametrize(("text", "favours_another"), [
    ("My Xiaomi lamp was brighter than this one", True),  # 5 stars in the real-model test, read as positive
    ("BenQ screenbar has a better stand than this", True),
    ("小米的灯比这个亮多了", True),
    ("比你们的好用", True),
    ("This is better than my old Xiaomi", False),
    ("Works better than it did before the update", False),
    ("Brighter than ever, love it", False),
    ("这个比小米好", False),
    ("It doesn't get better than this for the price.", False),  # a negated subject: praise
    ("Nothing is brighter than this lamp", False),
    ("没有比这个更好的了", False),
    ("I'd rather keep it than this old one", False),  # "rather" is no comparative
    ("Happier than this time last year", False),  # "this" is a time
    ("The old one was much slower than this", False),  # this product wins
    ("My old phone took better photos than this one.", True),
    ("my cheap no-name earbuds sound better than these", True),  # "no-name" negates nothing
    ("之前买的杂牌都比这个耐用", True),
])
def test_a_text_saying_another_product_is_better_is_never_praise(text, favours_another):
    facts = evidence.TextFacts(text, "positive", "praise", 0.8, 1)
    assert evidence.favours_another(text) is favours_another
    assert evidence.supports(evidence.PRAISE, facts, theme_id=1) is not favours_another


def test_a_competitor_claim_needs_texts_that_name_that_competitor():
    wrong = CompetitorFinding(name="Philips Hue", detail="d", evidence=[4, 5])
    right = CompetitorFinding(name="Philips Hue", detail="d", evidence=[4, 6])
    kept, count = evidence.check_findings([wrong, right], evidence.COMPETITOR, TEXTS)
    assert kept == [right] and right.evidence == [6] and count.claims_dropped == 1
    assert not evidence.names("the huge lamp", "Hue")  # whole words only


def test_an_idea_must_not_say_the_product_has_what_customers_ask_for():
    requested = evidence.requested_features([REQUEST.text, "I wish it had a sleep timer",
                                             "No wireless charging? I wish the case had wireless charging."])
    draft = ReportDraft(summary="", opportunities=[], competitors=[], product_ideas=[
        finding([1, 3], "Lead with USB-C", "The lamp has USB-C, which customers love."),
        finding([3], "Bedtime", "With its sleep timer the lamp suits readers."),
        finding([3], "Case", "It already comes with wireless charging."),
        finding([1, 3], "Add USB-C charging", "Build USB-C charging into the next lamp for students.")])
    count = evidence.check_report(draft, TEXTS, requested)
    assert [i.title for i in draft.product_ideas] == ["Add USB-C charging"]
    assert count.reasons == {"claims a requested feature exists": 3}
    assert not evidence.claims_present("Current lamps lack USB-C", requested)


def facts() -> report_facts.ReportFacts:
    return report_facts.ReportFacts(texts=100, themes=[
        report_facts.ThemeFact(1, "Sleep timer", 30, 0.3, 3, 20, 56.7, "steady"),
        report_facts.ThemeFact(2, "Battery drain", 25, 0.25, 20, 2, -72.0, "emerging", 20, 8),
        report_facts.ThemeFact(3, "Shipping delays", 10, 0.1, 6, 1, -50.0, "steady")],
        anomalies=[report_facts.AnomalyFact(2, "Battery drain", "2026-W41", 14, "negative texts", 4.2)])


def test_the_summary_leads_with_the_largest_negative_theme_and_the_strongest_anomaly():
    lead = report_facts.lead(facts(), {2: "Battery drain after update"})
    assert lead.startswith('Most negative feedback is about "Battery drain after update" (20 negative of 25 texts, '
                           'net sentiment -72, up from 8) and "Shipping delays"')
    assert 'Anomaly: "Battery drain after update" had 14 negative texts in 2026-W41, 4.2 standard deviations' in lead
    assert "Sleep timer" not in lead


def test_summary_sentences_with_invented_numbers_names_or_competitors_are_dropped():
    texts = ["The battery dies after firmware 2.3", "Philips Hue is brighter", "Warm light"]
    body = ("The Nokia 6610 is loved by customers. Sales grew 45% this quarter. Battery drain hit 20 negative texts "
            "after firmware 2.3. Competitors have also expressed positive reviews. Philips Hue is seen as brighter.")
    check = report_facts.check_body(body, facts(), texts, [], ["Philips Hue", "BenQ"], [])
    assert check.body == "Battery drain hit 20 negative texts after firmware 2.3."
    assert (check.dropped_names, check.dropped_numbers, check.dropped_competition) == (1, 1, 2)
    assert check.names == ["Nokia"]
    kept = report_facts.check_body("Philips Hue is seen as brighter.", facts(), texts, [], ["Philips Hue"],
                                   ["Philips Hue"])
    assert kept.body == "Philips Hue is seen as brighter."


def test_a_summary_sentence_the_model_did_not_finish_is_dropped():
    """Qwen's report summary in make quality ended "The largest negative themes in the feedback are" (its
    token limit): a reader sees a sentence that stops."""
    texts = ["The battery dies after firmware 2.3"]
    body = 'Battery drain leads the complaints. Customers call it "unusable." The largest negative themes are'
    check = report_facts.check_body(body, facts(), texts, [], [], [])
    assert check.body == 'Battery drain leads the complaints. Customers call it "unusable."'
    assert check.dropped_unfinished == 1
    chinese = report_facts.check_body("电池续航太短。最大的问题是", facts(), ["电池续航太短"], [], [], [])
    assert chinese.body == "电池续航太短。"


# --- through the pipeline ----------------------------------------------------------------------------------

EXTRA = ["My Xiaomi lamp was brighter than this one", "BenQ screenbar has a better stand than this",
         "Please add USB-C charging, micro-USB is so old"]


class CarelessModel:
    """Cites praise for pain points, Xiaomi and BenQ texts for Philips Hue, says the lamp has the USB-C its
    customers ask for, and names a phone no customer wrote about."""

    serves = ("insights/theme", "insights/theme_label", "insights/report")

    def answer(self, asked: Asked) -> dict:
        ids = asked.ids()
        if asked.prompt == "insights/report":
            return {"summary": "The Nokia 6610 dominates the feedback. Battery problems matter most.",
                    "opportunities": [{"title": "Fix the battery", "detail": "d", "evidence": ids[:6]}],
                    "product_ideas": [{"title": "Lead with USB-C", "detail": "The lamp has USB-C, so say so.",
                                       "evidence": ids[:3]}],
                    "competitors": [{"name": "Philips Hue", "detail": "Customers prefer it.",
                                     "evidence": ids[-2:]}]}
        # every theme: the same texts cited as pain and as praise
        return {"label": "Lamp feedback", "summary": "Customers write about the lamp.",
                "pain_points": [{"title": "Pain", "detail": "d", "evidence": ids[:6]}],
                "feature_requests": [], "praise": [{"title": "Praise", "detail": "d", "evidence": ids[:6]}]}


@pytest.fixture
def careless(fake_llm):
    fake_llm.use(CarelessModel())


def test_the_pipeline_stores_only_supported_claims_and_counts_what_it_dropped(owner, careless):
    services.update_settings(owner.ctx, competitors=["Philips Hue", "Xiaomi", "BenQ"])
    import_now(owner, "r.csv", corpus_csv(EXTRA))
    run = run_now(owner)
    assert run.status == "succeeded"
    signals = {a.text_id: a for a in TextAnalysis.objects.filter(workspace=owner.workspace)}
    stored = list(Insight.objects.filter(run=run, kind__in=("pain_point", "praise", "competitor", "product_idea")))
    assert stored  # the supported part of the careless answers survives
    for insight in stored:
        for text_id in insight.evidence:
            a = signals[text_id]
            if insight.kind == "pain_point":
                assert a.sentiment in ("negative", "mixed"), (insight.title, a.text.text)
            if insight.kind == "praise":
                assert a.sentiment in ("positive", "mixed"), (insight.title, a.text.text)
    assert not Insight.objects.filter(run=run, kind="competitor").exists()  # no text names Philips Hue
    assert not Insight.objects.filter(run=run, title="Lead with USB-C").exists()
    assert "Nokia" not in run.summary and "6610" not in run.summary
    assert run.summary.endswith("Battery problems matter most.")
    notes = " ".join(run.notes)
    assert "citations dropped as unsupported" in notes and "claims a requested feature exists" in notes
    assert "names no text contains (Nokia)" in notes
    assert run.stats["evidence"]["claims_dropped"] >= 2 and run.stats["facts"]["themes"]
