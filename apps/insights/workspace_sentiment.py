"""A workspace's own sentiment classifier: the shipped one, taught by its analysts' corrections.

Corrections teach two things. Words: the shipped classifier is refitted with the corrected texts among its
seeds (`sentiment.model_with_corrections`), so a word this workspace's customers use in an unusual sense moves
the model. Conventions: in one earbuds workspace the analysts marked feature requests ("Please add
multipoint", "Would love ear hooks") neutral, where the seeds' writers called such texts positive or negative;
no refit with 50 texts among 4,000 seeds learns that (accuracy on the texts not reviewed stayed 0.778).
`ConventionLayer` learns it: a small logistic regression over the shipped model's log-probabilities and the
request and question cues, fitted on the corrections alone. It is used only when, in 5-fold cross-validation
on the corrections, it gets at least 2 in 50 more of them right than the shipped model does, so a workspace
whose corrections show no convention keeps the refitted model.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from .classify import FEATURE_CUES, QUESTION_CUES
from .sentiment import CLASSES, LabelledText, SentimentModel, base_model, dense_features, model_with_corrections

MIN_CORRECTIONS = 20  # fewer cannot show a convention
MIN_GAIN = 0.04  # the layer must beat the shipped model on the corrections by this share (2 in 50)
LAYER_C = 1.0  # strong regularisation: 50 examples, 7 features


def _layer_features(texts: Sequence[str], probabilities: list[dict[str, float]]) -> np.ndarray:
    logs = np.log(np.clip([[p[c] for c in CLASSES] for p in probabilities], 1e-4, 1.0))
    cues = np.array([[bool(FEATURE_CUES.search(t)), bool(QUESTION_CUES.search(t.strip()[:2000]))] for t in texts],
                    dtype=float).reshape(-1, 2)
    # A cue may move either polarity toward neutral: the products let the layer learn it per side.
    return np.hstack([logs, cues, cues[:, :1] * logs[:, :1], cues[:, :1] * logs[:, 2:]])


class ConventionLayer:
    def __init__(self, model) -> None:
        self._model = model

    @classmethod
    def fitted(cls, corrections: Sequence[LabelledText],
               probabilities: list[dict[str, float]]) -> ConventionLayer | None:
        """The layer, or None when the corrections are too few or it does not predict them better."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import cross_val_predict

        labels = np.array([c.sentiment for c in corrections])
        if len(corrections) < MIN_CORRECTIONS or len(set(labels)) < 2:
            return None
        features = _layer_features([c.text for c in corrections], probabilities)
        shipped = np.array([max(p, key=p.get) for p in probabilities])
        model = LogisticRegression(C=LAYER_C, max_iter=2000)
        try:
            with warnings.catch_warnings():  # "the least populated class has only 1 member": expected, harmless
                warnings.simplefilter("ignore", UserWarning)
                predicted = cross_val_predict(model, features, labels, cv=5)
        except ValueError:  # a class too rare to split five ways
            return None
        if np.mean(predicted == labels) < np.mean(shipped == labels) + MIN_GAIN:
            return None
        return cls(model.fit(features, labels))

    def probabilities(self, texts: Sequence[str], shipped: list[dict[str, float]]) -> list[dict[str, float]]:
        rows = self._model.predict_proba(_layer_features(texts, shipped))
        order = list(self._model.classes_)
        return [{c: float(row[order.index(c)]) if c in order else 0.0 for c in CLASSES} for row in rows]


class WorkspaceSentimentModel:
    """`probabilities` as SentimentModel's: through the convention layer when the corrections showed one,
    otherwise from the shipped model refitted with the corrections."""

    def __init__(self, corrections: Sequence[LabelledText]) -> None:
        self._shipped = base_model()
        self.size = self._shipped.size + len(corrections)  # training examples: the seeds and the corrections
        texts = [c.text for c in corrections]
        shipped = self._shipped.probabilities_from(texts, dense_features(texts)) if texts else []
        self.layer = ConventionLayer.fitted(corrections, shipped)
        # The refit (10-15 s on two cores) only when it is what reads the texts.
        self._refitted: SentimentModel | None = (
            None if self.layer is not None else model_with_corrections(corrections))

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        if not texts:
            return []
        dense = dense_features(texts)
        if self.layer is not None:
            return self.layer.probabilities(texts, self._shipped.probabilities_from(texts, dense))
        assert self._refitted is not None  # built whenever there is no layer
        return self._refitted.probabilities_from(texts, dense)
