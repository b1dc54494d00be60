"""Copy from a brief in a real browser: upload customer texts, fill in a brief, watch the job's progress bar while
the real worker asks the real model (SmolLM2 in tests: the structure is checked, not the prose), read the variants
with the customer quotes they rest on, open one, favourite and compare variants; a review carrying HTML is shown as
text on the copy page (the `person` fixture fails the test on any alert or script error)."""

import re

import pytest

from apps.accounts.services import ensure_member
from apps.copy.models import CopyRequest, CopyVariant
from apps.corpus.models import CustomerText
from apps.jobs.models import Job
from tests.factories import corpus_csv

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.llm, pytest.mark.django_db(transaction=True)]

XSS = "<img src=x onerror=alert(1)>"
# Import strips real tags; the escaped form is stored as the literal text a customer typed. It is written to match
# the brief, so that the search behind the copy retrieves it as a quote.
XSS_REVIEW = "&lt;img src=x onerror=alert(1)&gt; Warm light, perfect for reading in bed at night"
BRIEF = {"product": "Lumen reading lamp", "audience": "people who read in bed at night",
         "goal": "pre-orders of the warm light model", "tone": "warm"}


def _text_ids(locator) -> list[int]:
    """The customer-text ids the links under `locator` point to (/texts/<id>/)."""
    hrefs = locator.locator("a[href^='/texts/']").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    ids = []
    for href in hrefs:
        match = re.fullmatch(r"/texts/(\d+)/", href)
        assert match, href
        ids.append(int(match.group(1)))
    return ids


def test_write_copy_from_a_brief(person, celery_worker, llm_base_url, tmp_path):
    membership = ensure_member("copy-owner", "Copy Co", "owner", password="copy-pass-123")
    workspace = membership.workspace
    page = person.page
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))  # Murmur serves none
    person.login("copy-owner", "copy-pass-123")

    upload = tmp_path / "reviews.csv"
    upload.write_bytes(corpus_csv([XSS_REVIEW]))
    page.set_input_files("#upload-file", str(upload))
    page.wait_for_selector("#upload-result .job[data-status=succeeded]", timeout=180_000)
    texts = dict(CustomerText.objects.filter(workspace=workspace).values_list("pk", "text"))
    assert len(texts) == 19
    xss_id = next(pk for pk, text in texts.items() if text.startswith(XSS))

    # The studio: a brief, sent through the JSON API; the progress bar appears at once.
    page.click("nav a[href='/copy/']")
    form = page.locator("#brief-form")
    form.wait_for()
    person.shot("1-studio")
    for name, value in BRIEF.items():
        form.locator(f"input[name={name}]").fill(value)
    form.locator("select[name=channel]").select_option("ad")
    form.locator("select[name=length]").select_option("short")
    form.locator("select[name=locale]").select_option("en-GB")
    form.locator("input[name=variants]").fill("2")
    person.shot("2-brief")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#brief-progress .job .progress")
    assert not page.locator("#brief-progress .error").count(), page.inner_text("#brief-progress")
    copy_request = CopyRequest.objects.get(workspace=workspace)
    assert (copy_request.product, copy_request.channel, copy_request.length, copy_request.variants_requested,
            copy_request.language, copy_request.locale) == ("Lumen reading lamp", "ad", "short", 2, "en", "en-GB")
    page.wait_for_selector("#brief-progress .job[data-status=running]", timeout=600_000)  # the worker took it
    person.shot("3-writing")
    page.wait_for_url(f"{person.base_url}/copy/{copy_request.pk}/", timeout=600_000)  # the page moves on when done

    # The request page: the variants, each with the customer quotes it rests on, linked to this workspace's texts.
    copy_request.refresh_from_db()
    assert copy_request.status == "succeeded", Job.objects.get(pk=copy_request.job_id).error
    assert Job.objects.get(pk=copy_request.job_id).percent == 100
    assert "Lumen reading lamp" in page.inner_text("h1") and "en-GB" in page.inner_text("h1")
    assert page.locator("section.card .status-succeeded").count() == 1
    person.shot("4-variants")
    grounding = page.locator("section.card", has=page.locator("h2", has_text="What the copy was grounded in"))
    quote_ids = _text_ids(grounding)
    assert quote_ids and set(quote_ids) <= set(texts), quote_ids
    assert {q["id"] for q in copy_request.grounding["quotes"]} == set(quote_ids)
    cards = page.locator(".variant[data-variant-id]")
    stored = {v.pk: v for v in CopyVariant.objects.filter(request=copy_request)}
    assert 1 <= cards.count() == len(stored) <= 2
    cited = []  # (card, ids of the texts it cites)
    for card in cards.all():
        variant = stored[int(card.get_attribute("data-variant-id"))]
        shown = " ".join(card.locator(".headline, .body, .cta").all_inner_texts())
        assert shown.strip() and variant.text.strip()
        assert f"moderation: {variant.moderation_status}" in card.inner_text()
        sources = card.locator("details")
        assert f"Inspired by {len(variant.sources)} customer text" in sources.locator("summary").inner_text()
        ids = _text_ids(sources)
        assert ids == variant.sources and set(ids) <= set(quote_ids), (ids, quote_ids)
        if not ids:
            assert "No customer text is cited." in sources.text_content()
        cited.append((card, ids))

    # The review that carries HTML is a quote the copy rests on, shown as text: no element, no alert.
    assert xss_id in quote_ids
    xss_quote = grounding.locator("blockquote", has=page.locator(f"a[href='/texts/{xss_id}/']"))
    assert XSS in xss_quote.inner_text()
    for card, ids in cited:  # and so it is among a variant's sources (their <details> are still closed)
        if xss_id in ids:
            assert XSS in card.locator("details blockquote", has=page.locator(f"a[href='/texts/{xss_id}/']")
                                       ).text_content()
    assert page.locator("main img, img[src=x]").count() == 0

    # Open a variant's sources and follow one quote to its customer text. SmolLM2 may cite none of the quotes
    # (the page says so, checked above); then a quote the copy was grounded in is followed instead.
    card, ids = next(((c, ids) for c, ids in cited if ids), cited[0])
    card.locator("details summary").click()
    link = (card.locator("details a[href^='/texts/']") if ids else grounding.locator("a[href^='/texts/']")).first
    link.wait_for()
    person.shot("5-sources")
    text_id = int(link.get_attribute("href").split("/")[2])
    link.click()
    page.wait_for_url(f"{person.base_url}/texts/{text_id}/")
    assert page.inner_text("h1") == f"Text #{text_id}"
    assert page.inner_text("blockquote.quote").strip() == texts[text_id]
    person.shot("6-source-text")

    # Favourite a variant: the button and the card change at once, and it is still a favourite after a reload.
    page.go_back()
    page.wait_for_url(f"{person.base_url}/copy/{copy_request.pk}/")
    card = page.locator(".variant[data-variant-id]").first
    variant_id = int(card.get_attribute("data-variant-id"))
    card.locator("[data-action=favourite]").click()
    page.wait_for_selector(f".variant.is-favourite[data-variant-id='{variant_id}']")
    assert card.locator("[data-action=favourite]").inner_text() == "★ Favourite"
    assert CopyVariant.objects.get(pk=variant_id).favourite
    page.reload()
    favourite = f".variant.is-favourite[data-variant-id='{variant_id}'] [data-action=favourite][data-on='1']"
    page.wait_for_selector(favourite)
    person.shot("7-favourite")

    # Compare two variants side by side. The model may have had one of the two dropped (the run's notes say
    # why); then a second variant is stored for it, so that comparing always runs.
    cards = page.locator(".variant[data-variant-id]")
    if cards.count() < 2:
        assert copy_request.notes, "one variant was kept and the run's notes do not say why"
        kept = CopyVariant.objects.get(request=copy_request)
        CopyVariant.objects.create(workspace=workspace, request=copy_request, position=kept.position + 1,
                                   headline="Warm light for reading in bed", body="A softer glow for your evenings.",
                                   call_to_action="Pre-order", language="en", moderation_status="approved")
        page.reload()
    assert cards.count() == 2
    for card in cards.all():
        card.locator(".compare-pick").check()
    page.click("#compare-toggle")
    page.wait_for_selector("#variants.comparing")
    assert page.inner_text("#compare-toggle") == "Show all variants"
    assert all(card.is_visible() for card in cards.all())
    person.shot("8-compare")
