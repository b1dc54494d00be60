from django.db import connection

from apps.corpus.selectors import TextFilters
from apps.embeddings.backends import get_backend
from apps.search.selectors import nearest, semantic_search
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
    only_5 = api.get("/api/v1/search?q=bluetooth&k=10&rating=5").json()["results"]
    assert only_5 and {r["rating"] for r in only_5} == {5}
    source = api.get("/api/v1/search?q=lamp&k=10&source=survey").json()["results"]
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
    url = "/api/v1/search?q=battery drains overnight&k=6"
    owner_sees, viewer_sees = ({r["text"][:18] for r in m.api().get(url).json()["results"]} for m in (owner, viewer))
    assert "The battery drains" in owner_sees
    assert "The battery drains" not in viewer_sees and len(viewer_sees) == 5
