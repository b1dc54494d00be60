from django.db import connection

from apps.corpus.selectors import TextFilters
from apps.embeddings.backends import get_backend
from apps.search.selectors import fuse, keyword_ranking, nearest, search, semantic_search
from tests.conftest import import_now

REVIEWS = [
    ("The battery drains overnight since the firmware update", 1, "en"),
    ("Shipping took three weeks and the box arrived crushed", 2, "en"),
    ("Gorgeous warm light, perfect for reading in bed", 5, "en"),
    ("The app cannot pair over Bluetooth with my Android phone", 2, "en"),
    ("Customer support answered within an hour and fixed it", 5, "en"),
    ("Too expensive compared to similar lamps", 3, "en"),
]


def _csv() -> bytes:
    lines = ["text,rating,language,source"]
    lines += [f'"{t}",{r},{lang},{"survey" if i % 2 else "app_store"}' for i, (t, r, lang) in enumerate(REVIEWS)]
    return ("\n".join(lines) + "\n").encode()


def test_semantic_search_finds_the_right_text_by_meaning(owner):
    import_now(owner, "r.csv", _csv())
    hits = semantic_search(owner.workspace, "power runs out quickly", k=3)
    assert hits[0].text.text.startswith("The battery drains")
    assert hits[0].score > hits[1].score
    hits = semantic_search(owner.workspace, "delivery was slow and packaging damaged", k=1)
    assert hits[0].text.text.startswith("Shipping took")


def test_search_api_filters_and_more_like_this(owner):
    import_now(owner, "r.csv", _csv())
    api = owner.api()
    body = api.get("/api/v1/search?q=bluetooth connection problems&k=2").json()
    assert body["results"][0]["text"].startswith("The app cannot pair") and "score" in body["results"][0]
    only_5 = api.get("/api/v1/search?q=bluetooth&k=10&rating=5&include_weaker=true").json()["results"]
    assert only_5 and {r["rating"] for r in only_5} == {5}
    source = api.get("/api/v1/search?q=lamp&k=10&source=survey&include_weaker=true").json()["results"]
    assert {r["source"] for r in source} == {"survey"}
    battery = body = api.get("/api/v1/search?q=battery&k=1").json()["results"][0]
    similar = api.get(f"/api/v1/texts/{battery['id']}/similar?k=3").json()["results"]
    assert len(similar) == 3 and battery["id"] not in {r["id"] for r in similar}
    assert api.get("/api/v1/search?q=x&k=0").status_code == 400


def test_search_uses_the_hnsw_index(owner):
    import_now(owner, "r.csv", _csv())
    vector = get_backend("minilm-l6").encode(["battery"])[0]
    literal = "[" + ",".join(str(float(x)) for x in vector) + "]"
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT text_id FROM embeddings_textembedding WHERE model = 'minilm-l6' "
            "ORDER BY embedding::vector(384) <=> %s::vector(384) LIMIT 5", [literal])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "textembedding_hnsw_minilm_l6" in plan


def test_exact_and_index_search_agree(owner):
    import_now(owner, "r.csv", _csv())
    vector = get_backend("minilm-l6").encode(["light quality"])[0]
    approx = [pk for pk, _ in nearest(owner.workspace, vector, 3, TextFilters())]
    exact = [pk for pk, _ in nearest(owner.workspace, vector, 3, TextFilters(), exact=True)]
    assert approx == exact


def test_big_imports_load_first_and_index_after(owner, monkeypatch):
    from apps.embeddings import indexes

    monkeypatch.setattr(indexes, "BULK_LOAD_MIN_ROWS", 3)
    dropped = []
    real_drop = indexes.drop_for_bulk_load
    monkeypatch.setattr(indexes, "drop_for_bulk_load", lambda model: (dropped.append(model), real_drop(model)))
    import_now(owner, "r.csv", _csv())
    assert dropped == ["minilm-l6"]
    with connection.cursor() as cursor:  # rebuilt when the import's embedding finished
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'textembedding_hnsw_minilm_l6'")
        assert cursor.fetchone() is not None
    assert semantic_search(owner.workspace, "power runs out quickly", k=1)[0].text.text.startswith("The battery")


def test_search_api_leaves_hidden_texts_out_for_viewers(owner, make_member):
    import_now(owner, "r.csv", _csv())
    owner.workspace.texts.filter(text__startswith="The battery drains").update(moderation_status="hidden")
    viewer = make_member("viewer", owner.workspace.name)
    url = "/api/v1/search?q=battery drains overnight&k=6&include_weaker=true"
    owner_sees, viewer_sees = ({r["text"][:18] for r in m.api().get(url).json()["results"]} for m in (owner, viewer))
    assert "The battery drains" in owner_sees
    assert "The battery drains" not in viewer_sees and len(viewer_sees) == 5


ZH_REVIEWS = [
    ("快递太慢了，等了两个星期才到", 2, "zh"),
    ("客服态度很好，问题很快解决了", 5, "zh"),
]


def _zh_csv() -> bytes:
    lines = ["text,rating,language"] + [f"{t},{r},{lang}" for t, r, lang in ZH_REVIEWS]
    return ("\n".join(lines) + "\n").encode()


def test_reciprocal_rank_fusion_rewards_texts_both_rankings_agree_on():
    assert fuse([1, 2, 3], [3, 4]) == [3, 1, 2, 4]  # 3: 1/63 + 1/61 beats 1: 1/61
    assert fuse([1, 2], [2, 1], weights=(1.0, 0.5))[0] == 1


def test_keyword_ranking_stems_english_and_matches_chinese_bigrams(owner):
    import_now(owner, "r.csv", _csv())
    import_now(owner, "zh.csv", _zh_csv())
    ranked = keyword_ranking(owner.workspace, "batteries draining", 5, TextFilters())
    texts = {t.pk: t.text for t in owner.workspace.texts.all()}
    assert texts[ranked[0][0]].startswith("The battery drains") and ranked[0][1] == 1.0
    ranked = keyword_ranking(owner.workspace, "快递很慢", 5, TextFilters())
    assert texts[ranked[0][0]].startswith("快递太慢")
    assert keyword_ranking(owner.workspace, "the and of", 5, TextFilters()) == []  # stop words only


def test_keyword_search_follows_a_text_whose_wording_changes(owner):
    """The stemmed words are a column PostgreSQL generates when the text is written: a rewritten text (as
    redaction or a moderator's edit does) is found by its new words and no longer by its old ones."""
    import_now(owner, "r.csv", _csv())
    text = owner.workspace.texts.get(text__startswith="Too expensive")
    type(text).objects.filter(pk=text.pk).update(text="The hinge wobbles after a month")
    assert [pk for pk, _ in keyword_ranking(owner.workspace, "wobbling hinges", 5, TextFilters())] == [text.pk]
    assert text.pk not in [pk for pk, _ in keyword_ranking(owner.workspace, "expensive", 5, TextFilters())]


def test_keyword_matching_reads_the_stored_vector_through_its_index(db):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of rows: make the planner show its index
        cursor.execute("EXPLAIN SELECT id FROM corpus_customertext "
                       "WHERE search_vector @@ plainto_tsquery('simple', 'batteri')")
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "customertext_search_vector" in plan


def test_search_shows_strong_matches_and_counts_the_weaker_ones(owner):
    import_now(owner, "r.csv", _csv())
    strong = search(owner.workspace, "battery drains overnight", k=6)
    assert strong.hits[0].text.text.startswith("The battery drains")
    assert strong.weaker > 0 and len(strong.hits) + strong.weaker == 6
    everything = search(owner.workspace, "battery drains overnight", k=6, include_weaker=True)
    assert len(everything.hits) == 6 and everything.weaker == 0
    api = owner.api()
    body = api.get("/api/v1/search?q=battery drains overnight&k=6").json()
    assert body["weaker"] == strong.weaker and len(body["results"]) == len(strong.hits)
    assert body["results"][0]["keyword_share"] == 1.0
    assert len(api.get("/api/v1/search?q=battery drains overnight&k=6&include_weaker=true").json()["results"]) == 6


def test_with_no_strong_match_the_nearest_three_are_shown_marked_weak(owner, settings):
    import_now(owner, "r.csv", _csv())
    model = owner.workspace.embedding_model
    settings.MURMUR_SEARCH_MIN_SIMILARITY = {**settings.MURMUR_SEARCH_MIN_SIMILARITY, model: 0.99}
    result = search(owner.workspace, "delivery was slow and packaging damaged", k=6)  # shares no two thirds
    assert [h.weak for h in result.hits] == [True, True, True] and result.weaker == 3
    assert result.hits[0].text.text.startswith("Shipping took")
    body = owner.api().get("/api/v1/search?q=delivery was slow and packaging damaged&k=6").json()
    assert [r["weak"] for r in body["results"]] == [True] * 3 and body["weaker"] == 3
    page = owner.browser().get("/search/?q=delivery was slow and packaging damaged").content.decode()
    assert "No close match" in page and page.count("weak match</span>") == 3
    settings.MURMUR_SEARCH_MIN_SIMILARITY = {**settings.MURMUR_SEARCH_MIN_SIMILARITY, model: 0.0}
    strong = search(owner.workspace, "delivery was slow and packaging damaged", k=6)
    assert len(strong.hits) == 6 and not any(h.weak for h in strong.hits) and strong.weaker == 0


def test_a_rare_word_finds_its_text_whatever_its_meaning(owner):
    import_now(owner, "r.csv", _csv() + b'"Order ZX-4471 never arrived, please call me back",1,en,survey\n')
    hits = search(owner.workspace, "ZX-4471", k=5).hits
    assert hits and hits[0].text.text.startswith("Order ZX-4471") and hits[0].keyword_share == 1.0


def test_keyword_search_keeps_to_the_workspace_and_leaves_hidden_texts_out_for_viewers(owner, make_member):
    import_now(owner, "r.csv", _csv())
    stranger = make_member("owner", "Elsewhere")
    import_now(stranger, "s.csv", b"text,rating\nFirmware update bricked the lamp,1\n")
    assert all(not h.text.text.startswith("Firmware update bricked")
               for h in search(owner.workspace, "firmware update bricked", k=10, include_weaker=True).hits)
    owner.workspace.texts.filter(text__startswith="The battery drains").update(moderation_status="hidden")
    viewer = make_member("viewer", owner.workspace.name)
    url = "/api/v1/search?q=battery drains overnight firmware&k=6&include_weaker=true"
    owner_sees, viewer_sees = ([r["text"] for r in m.api().get(url).json()["results"]] for m in (owner, viewer))
    assert owner_sees[0].startswith("The battery drains")
    assert viewer_sees and not any(t.startswith("The battery drains") for t in viewer_sees)


def test_search_page_offers_the_weaker_matches(owner):
    import_now(owner, "r.csv", _csv())
    client = owner.browser()
    page = client.get("/search/?q=battery drains overnight").content.decode()
    assert "The battery drains" in page and "Show weaker matches" in page and "weaker=1" in page
    strong_rows = page.count('class="text-row')
    page = client.get("/search/?q=battery drains overnight&weaker=1").content.decode()
    assert page.count('class="text-row') > strong_rows and "Hide weaker matches" in page
