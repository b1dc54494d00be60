import numpy as np

from apps.embeddings.backends import get_backend
from apps.embeddings.models import TextEmbedding
from apps.embeddings.services import embed_texts, refresh_job, start_reembedding
from apps.search.selectors import semantic_search
from tests.conftest import import_now

PAIRS = [
    ("The battery runs out far too quickly", "电池续航太短了，很快就没电"),
    ("Delivery was late and the box was damaged", "快递太慢了，而且盒子被压坏了"),
    ("The light is warm and very comfortable for reading", "灯光很温暖，看书很舒服"),
    ("Customer service never replied to my email", "客服一直不回复我的邮件"),
]


def test_minilm_backend_loads_offline_and_normalises():
    vectors = get_backend("minilm-l6").encode(["hello", "world"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_multilingual_backend_matches_chinese_and_english():
    backend = get_backend("use-multilingual")
    en = backend.encode([e for e, _ in PAIRS])
    zh = backend.encode([z for _, z in PAIRS])
    best = (en @ zh.T).argmax(axis=1)
    assert list(best) == list(range(len(PAIRS)))


def test_embedding_is_idempotent(owner):
    text_import = import_now(owner, "r.txt", b"one text\nanother text\n")
    ids = list(text_import.texts.values_list("pk", flat=True))
    assert embed_texts(owner.workspace.pk, "minilm-l6", ids) == 0  # already embedded by import_now
    assert TextEmbedding.objects.filter(text_id__in=ids).count() == 2


def test_switching_to_multilingual_reembeds_without_schema_change(owner):
    data = "\n".join(z for _, z in PAIRS).encode()
    import_now(owner, "zh.txt", data)
    job = start_reembedding(owner.ctx, "use-multilingual")
    ids = list(owner.workspace.texts.values_list("pk", flat=True))
    embed_texts(owner.workspace.pk, "use-multilingual", ids)
    refresh_job(str(job.pk))
    job.refresh_from_db()
    owner.workspace.refresh_from_db()
    assert job.status == "succeeded" and owner.workspace.embedding_model == "use-multilingual"
    hits = semantic_search(owner.workspace, "the battery does not last", k=1)
    assert hits[0].text.text == PAIRS[0][1]
