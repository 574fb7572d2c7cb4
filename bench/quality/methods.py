"""Methods that put a CEReD sentence in one of the nine categories.

Every method has ``name``, ``kind`` (``baseline``, ``zero-shot`` or ``calibrated``), a
``settings`` dict for the record, ``fit(train)`` and ``predict(examples) -> labels``.

*Zero-shot* methods read the criteria (the annotation manual) and may read the *text* of the
training sentences (no labels) to normalise their scores; *calibrated* methods learn from the
training labels. Both are reported on val only.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .cered import LABELS, Criterion, Example, load_indicators

Encode = Callable[[Sequence[str]], np.ndarray]  # texts -> unit vectors (the cached Embedder)


# --------------------------------------------------------------------------- baselines

@dataclass
class Majority:
    name: str = "majority class (train)"
    kind: str = "baseline"
    settings: dict[str, Any] = field(default_factory=dict)
    label: str = ""

    def fit(self, train: Sequence[Example]) -> None:
        self.label = Counter(e.label for e in train).most_common(1)[0][0]

    def predict(self, examples: Sequence[Example]) -> list[str]:
        return [self.label] * len(examples)


_TOKEN = re.compile(r"[a-z0-9']+")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


class BM25:
    """Okapi BM25 (k1 1.5, b 0.75, Lucene's non-negative idf) over a small document collection."""

    def __init__(self, docs: Sequence[str], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.docs = [Counter(tokens(d)) for d in docs]
        self.lengths = np.array([sum(d.values()) for d in self.docs], dtype=float)
        self.avg = float(self.lengths.mean()) if len(docs) else 0.0
        df = Counter(t for d in self.docs for t in d)
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def scores(self, query: str) -> np.ndarray:
        out = np.zeros(len(self.docs))
        norm = self.k1 * (1 - self.b + self.b * self.lengths / max(self.avg, 1e-9))
        for t in set(tokens(query)):
            idf = self.idf.get(t)
            if idf is None:
                continue
            tf = np.array([d.get(t, 0) for d in self.docs], dtype=float)
            out += idf * tf * (self.k1 + 1) / (tf + norm)
        return out


# --------------------------------------------------------------------------- zero-shot scoring

def _queries(criteria: dict[str, Criterion], mode: str, mention_filter: bool) -> tuple[list[str], np.ndarray]:
    """(query texts, owner column per query): one full text per category (``full``), the manual's
    statements (``statements``), the condensed indicator statements (``indicators``) or both
    (``both``)."""
    texts: list[str] = []
    owner: list[int] = []
    indicators = load_indicators() if mode in ("indicators", "both") else {}
    for j, label in enumerate(LABELS):
        c = criteria[label]
        items = {"full": lambda: [c.full_text], "statements": lambda: c.statements(mention_filter),
                 "indicators": lambda: indicators[label],
                 "both": lambda: c.statements(mention_filter) + indicators[label]}[mode]()
        texts += items
        owner += [j] * len(items)
    return texts, np.array(owner)


def aggregate(sims: np.ndarray, owner: np.ndarray, how: str) -> np.ndarray:
    """Per-category score from per-statement similarities: max, mean, or mean of the top 2."""
    out = np.zeros((sims.shape[0], len(LABELS)), dtype=np.float32)
    for j in range(len(LABELS)):
        cols = sims[:, owner == j]
        if how == "max":
            out[:, j] = cols.max(axis=1)
        elif how == "mean":
            out[:, j] = cols.mean(axis=1)
        elif how == "top2":
            k = min(2, cols.shape[1])
            out[:, j] = np.sort(cols, axis=1)[:, -k:].mean(axis=1)
        else:
            raise ValueError(f"unknown aggregation {how!r}")
    return out


def _unit(x: np.ndarray) -> np.ndarray:
    return x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-9)


def _z(scores: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per-category z-score against the same method's scores of unlabeled reference sentences:
    a category whose criterion text is simply 'closer to everything' stops swallowing sentences."""
    mu, sd = ref.mean(axis=0), ref.std(axis=0) + 1e-6
    return (scores - mu) / sd


@dataclass
class ZeroShot:
    """Similarity of each sentence to each category's criterion text; the best category wins.

    - ``signal``: ``dense`` (MiniLM cosine), ``tfidf`` (cosine), ``bm25`` or ``fusion``
      (z-scored dense + ``lexical_weight`` × z-scored BM25);
    - ``criterion``: ``full`` (one text per category) or ``statements`` (indicator, description
      sentences and examples apart, aggregated by ``agg``);
    - ``normalise``: z-score each category's scores over the unlabeled training sentences;
    - ``context_weight``: also score the sentence's context window and add this share of it.
    """

    name: str
    encode: Encode
    criteria: dict[str, Criterion]
    signal: str = "dense"
    criterion: str = "statements"
    agg: str = "max"
    mention_filter: bool = True
    normalise: bool = False
    context_weight: float = 0.0
    lexical_weight: float = 0.5
    center: bool = False
    kind: str = "zero-shot"
    ref: np.ndarray | None = None

    @property
    def settings(self) -> dict[str, Any]:
        s: dict[str, Any] = {"signal": self.signal, "criterion": self.criterion}
        if self.criterion != "full":
            s["agg"] = self.agg
        if self.criterion in ("statements", "both"):
            s["mention_filter"] = self.mention_filter
        if self.normalise:
            s["normalise"] = "z (unlabeled train)"
        if self.context_weight:
            s["context_weight"] = self.context_weight
        if self.signal == "fusion":
            s["lexical_weight"] = self.lexical_weight
        if self.center:
            s["center"] = "mean of unlabeled train sentences"
        return s

    def _raw(self, texts: Sequence[str], signal: str) -> np.ndarray:
        queries, owner = _queries(self.criteria, self.criterion, self.mention_filter)
        if signal == "dense":
            a, b = self.encode(list(texts)), self.encode(queries)
            if self.center:  # remove what every diary sentence shares ("teaching, pupils, lesson")
                a, b = _unit(a - self._mu), _unit(b - self._mu)
            sims = a @ b.T
        elif signal == "tfidf":
            sims = self._tfidf(texts, queries)
        elif signal == "bm25":
            bm = BM25(queries)
            sims = np.stack([bm.scores(t) for t in texts]) if texts else np.zeros((0, len(queries)))
        else:
            raise ValueError(f"unknown signal {signal!r}")
        return aggregate(np.asarray(sims, dtype=np.float32), owner, self.agg if self.criterion != "full" else "max")

    def _tfidf(self, texts: Sequence[str], queries: list[str]) -> np.ndarray:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vec = TfidfVectorizer(sublinear_tf=True).fit(list(queries) + list(self._corpus))
        return (vec.transform(texts) @ vec.transform(queries).T).toarray()

    def _signal(self, texts: Sequence[str]) -> np.ndarray:
        if self.signal != "fusion":
            return self._raw(texts, self.signal)
        # fusion: each signal z-scored against its own reference distribution first
        dense, lex = self._raw(texts, "dense"), self._raw(texts, "bm25")
        assert self._ref_parts is not None
        return _z(dense, self._ref_parts[0]) + self.lexical_weight * _z(lex, self._ref_parts[1])

    def _scores(self, examples: Sequence[Example]) -> np.ndarray:
        s = self._signal([e.sentence for e in examples])
        if self.context_weight:
            s = s + self.context_weight * self._signal([e.context for e in examples])
        return s

    def fit(self, train: Sequence[Example]) -> None:
        # Text only: no label is read. The corpus feeds TF-IDF's idf and the z-score reference.
        self._corpus = [e.sentence for e in train]
        if self.center:
            self._mu = self.encode(self._corpus).mean(axis=0)
        self._ref_parts = None
        if self.signal == "fusion":
            self._ref_parts = (self._raw(self._corpus, "dense"), self._raw(self._corpus, "bm25"))
        self.ref = self._scores(train) if self.normalise else None

    def predict(self, examples: Sequence[Example]) -> list[str]:
        s = self._scores(examples)
        if self.ref is not None:
            s = _z(s, self.ref)
        return [LABELS[i] for i in s.argmax(axis=1)]


# --------------------------------------------------------------------------- calibrated

@dataclass
class Calibrated:
    """Logistic regression on frozen features, fit on the training labels.

    ``features``: any of ``sentence`` (MiniLM of the sentence), ``context`` (MiniLM of the
    context window), ``tfidf`` (word 1-2-grams of the sentence). ``C`` is the inverse
    regularisation strength,
    ``balanced`` weights classes inversely to their frequency (trades accuracy for macro-F1).
    """

    name: str
    encode: Encode
    features: tuple[str, ...] = ("sentence",)
    C: float = 1.0
    balanced: bool = False
    kind: str = "calibrated"

    @property
    def settings(self) -> dict[str, Any]:
        return {"features": "+".join(self.features), "C": self.C, "class_weight": "balanced" if self.balanced else "none"}

    def _x(self, examples: Sequence[Example], fit: bool = False):  # type: ignore[no-untyped-def]
        from scipy import sparse

        parts = []
        if "sentence" in self.features:
            parts.append(self.encode([e.sentence for e in examples]))
        if "context" in self.features:
            parts.append(self.encode([e.context for e in examples]))
        if "tfidf" in self.features:
            from sklearn.feature_extraction.text import TfidfVectorizer

            if fit:
                self._vec = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2)
                self._vec.fit([e.sentence for e in examples])
            tf = self._vec.transform([e.sentence for e in examples])
            if not parts:
                return tf
            return sparse.hstack([sparse.csr_matrix(np.hstack(parts)), tf]).tocsr()
        return np.hstack(parts)

    def fit(self, train: Sequence[Example]) -> None:
        from sklearn.linear_model import LogisticRegression

        self._clf = LogisticRegression(C=self.C, max_iter=3000, class_weight="balanced" if self.balanced else None)
        self._clf.fit(self._x(train, fit=True), [e.label for e in train])

    def predict_proba(self, examples: Sequence[Example]) -> np.ndarray:
        """Probabilities in ``LABELS`` order."""
        p = self._clf.predict_proba(self._x(examples))
        order = [list(self._clf.classes_).index(label) for label in LABELS]
        return p[:, order]

    def predict(self, examples: Sequence[Example]) -> list[str]:
        return list(self._clf.predict(self._x(examples)))
