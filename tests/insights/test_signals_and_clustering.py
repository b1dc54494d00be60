import numpy as np

from apps.embeddings.backends import get_backend
from apps.insights import clustering, trends

TOPICS = {
    "battery": ["The battery dies after two hours", "Battery drains overnight", "Charge does not last a day",
                "Battery life got worse after the update", "The battery runs out too fast"],
    "shipping": ["The parcel arrived late and crushed", "Shipping took three weeks", "Box was damaged in transit",
                 "Delivery was slow", "Courier lost my package for a week"],
    "light": ["Beautiful warm light for reading", "The colour of the light is gorgeous", "Soft light, easy on eyes",
              "Bright and even lighting", "Love the warm glow in the evening"],
}


def _corpus():
    texts = [t for group in TOPICS.values() for t in group]
    return texts, get_backend("minilm-l6").encode(texts)


def test_clusters_follow_topics_and_are_deterministic():
    texts, vectors = _corpus()
    clusters, labels = clustering.discover(vectors, texts, k=3)
    again, labels_again = clustering.discover(vectors, texts, k=3)
    assert (labels == labels_again).all()
    groups = [set(labels[i * 5:(i + 1) * 5]) for i in range(3)]
    assert all(len(g) == 1 for g in groups) and len({next(iter(g)) for g in groups}) == 3
    battery = next(c for c in clusters if 0 in c.members)
    assert "battery" in battery.keywords
    assert len(set(battery.representatives)) == len(battery.representatives) == 4


def test_outliers_are_capped_at_15_percent():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(200, 32)).astype(np.float32)  # no structure: everything is far from centroids
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    _, labels = clustering.discover(vectors, ["x"] * 200, k=4)
    assert (labels == -1).mean() <= 0.15


def test_matching_keeps_identity_across_runs():
    texts, vectors = _corpus()
    first, _ = clustering.discover(vectors, texts, k=3)
    second, _ = clustering.discover(vectors[::-1].copy(), texts[::-1], k=3)  # same data, other order
    matches = clustering.match_to_previous([c.centroid for c in second], [c.centroid for c in first])
    assert len(matches) == 3
    for new_index, old_index in matches.items():
        old_texts = {texts[i] for i in first[old_index].members}
        new_texts = {texts[::-1][i] for i in second[new_index].members}
        assert old_texts == new_texts


def test_class_tfidf_handles_chinese_bigrams():
    keywords = clustering.class_tfidf_keywords(["电池续航太差", "电池掉电很快", "物流太慢了", "物流很慢"],
                                               np.array([0, 0, 1, 1]))
    assert "电池" in keywords[0] and "物流" in keywords[1]


def test_trends_spikes_and_net_sentiment():
    assert trends.sentiment_split(["positive", "positive", "negative", "neutral"])["net_sentiment"] == 25.0
    series = {"2026-W40": 1, "2026-W41": 2, "2026-W42": 1, "2026-W43": 2, "2026-W44": 12}
    assert trends.spikes(series)[0][0] == "2026-W44"
    assert trends.spikes({"a": 1, "b": 1, "c": 1, "d": 2}) == []
    assert trends.change_between_runs(0.30, 0.10) == "emerging"
    assert trends.change_between_runs(0.05, 0.20) == "fading"
    assert trends.change_between_runs(0.2, None) == "new"
