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


# --------------------------------------------------------------------------- prior corrections

def macro_f1_biases(logp: np.ndarray, gold: np.ndarray, rounds: int = 3,
                    grid: np.ndarray = np.linspace(-3, 3, 61)) -> np.ndarray:
    """Per-class additive biases on log-probabilities that maximise macro-F1 of the argmax on
    (``logp``, ``gold``) by coordinate ascent, one class at a time over ``grid``. Meant for
    out-of-fold training predictions: macro-F1 weighs a rare class as much as a common one, and
    the maximum-likelihood argmax under-predicts rare classes."""
    from sklearn.metrics import f1_score

    k = logp.shape[1]
    b = np.zeros(k)
    labels = np.arange(k)

    def score(bias: np.ndarray) -> float:
        return float(f1_score(gold, (logp + bias).argmax(axis=1), labels=labels, average="macro", zero_division=0))

    best = score(b)
    for _ in range(rounds):
        improved = False
        for j in range(k):
            for v in grid:
                trial = b.copy()
                trial[j] = v
                s = score(trial)
                if s > best + 1e-9:
                    best, b, improved = s, trial, True
        if not improved:
            break
    return b


@dataclass
class PriorAdjusted:
    """A calibrated method whose argmax is shifted by per-class biases fitted for macro-F1 on
    out-of-fold predictions of the *training* set (``folds``-fold cross-validation); val is
    never looked at. The model itself is then refitted on all of train."""

    name: str
    base: Calibrated
    folds: int = 5
    kind: str = "calibrated"

    @property
    def settings(self) -> dict[str, Any]:
        return {**self.base.settings, "prior_adjustment": f"macro-F1 biases on {self.folds}-fold out-of-fold train predictions"}

    def fit(self, train: Sequence[Example]) -> None:
        from sklearn.model_selection import StratifiedKFold

        gold = np.array([LABELS.index(e.label) for e in train])
        oof = np.zeros((len(train), len(LABELS)))
        for fit_idx, held_idx in StratifiedKFold(self.folds, shuffle=True, random_state=0).split(np.zeros(len(gold)), gold):
            self.base.fit([train[i] for i in fit_idx])
            oof[held_idx] = self.base.predict_proba([train[i] for i in held_idx])
        self.biases = macro_f1_biases(np.log(oof + 1e-9), gold)
        self.base.fit(train)

    def predict(self, examples: Sequence[Example]) -> list[str]:
        logp = np.log(self.base.predict_proba(examples) + 1e-9)
        return [LABELS[i] for i in (logp + self.biases).argmax(axis=1)]


@dataclass
class ZeroShotEM:
    """Zero-shot scores turned into posteriors (softmax of the z-normalised scores over
    ``temperature``), then the class priors of the unlabeled training sentences re-estimated by
    EM (Saerens, Latinne & Decaestecker 2002) and the posteriors corrected by them. Reads no
    label: the prior a category gets comes from how the sentences score, not from annotations."""

    name: str
    base: ZeroShot
    temperature: float = 1.0
    iterations: int = 100
    kind: str = "zero-shot"

    @property
    def settings(self) -> dict[str, Any]:
        return {**self.base.settings, "prior": f"EM on unlabeled train, softmax temperature {self.temperature}"}

    def _post(self, examples: Sequence[Example]) -> np.ndarray:
        s = self.base._scores(examples)
        if self.base.ref is not None:
            s = _z(s, self.base.ref)
        s = s / self.temperature
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def fit(self, train: Sequence[Example]) -> None:
        self.base.fit(train)
        post0 = self._post(train)
        k = post0.shape[1]
        base_prior = np.full(k, 1.0 / k)  # the scores favour no category a priori
        prior = base_prior.copy()
        for _ in range(self.iterations):
            adj = post0 * (prior / base_prior)
            adj /= adj.sum(axis=1, keepdims=True)
            new = adj.mean(axis=0)
            if np.abs(new - prior).max() < 1e-6:
                prior = new
                break
            prior = new
        self.prior = prior
        self.ratio = prior / base_prior

    def predict(self, examples: Sequence[Example]) -> list[str]:
        return [LABELS[i] for i in (self._post(examples) * self.ratio).argmax(axis=1)]


@dataclass
class SelfTrained:
    """Self-training without labels: a zero-shot method labels the unlabeled training sentences,
    the ``per_class`` sentences it is surest of in each category (largest margin between its
    best and second-best z-score) become pseudo-labelled examples, and a logistic regression
    on MiniLM vectors of the sentence (and context) learns from them. No gold label is read."""

    name: str
    base: ZeroShot
    encode: Encode
    per_class: int = 100
    features: tuple[str, ...] = ("sentence",)
    C: float = 1.0
    kind: str = "zero-shot"

    @property
    def settings(self) -> dict[str, Any]:
        return {**self.base.settings, "self_training": f"top {self.per_class} per category by margin, "
                f"LR C={self.C} on {'+'.join(self.features)}"}

    def _x(self, examples: Sequence[Example]) -> np.ndarray:
        parts = [self.encode([e.sentence for e in examples])]
        if "context" in self.features:
            parts.append(self.encode([e.context for e in examples]))
        return np.hstack(parts)

    def fit(self, train: Sequence[Example]) -> None:
        from sklearn.linear_model import LogisticRegression

        self.base.fit(train)
        s = self.base._scores(train)
        if self.base.ref is not None:
            s = _z(s, self.base.ref)
        top2 = np.sort(s, axis=1)[:, -2:]
        margin = top2[:, 1] - top2[:, 0]
        best = s.argmax(axis=1)
        chosen: list[int] = []
        for j in range(len(LABELS)):
            idx = np.flatnonzero(best == j)
            chosen.extend(idx[np.argsort(-margin[idx])][: self.per_class].tolist())
        x = self._x([train[i] for i in chosen])
        self._clf = LogisticRegression(C=self.C, max_iter=3000).fit(x, [LABELS[best[i]] for i in chosen])

    def predict(self, examples: Sequence[Example]) -> list[str]:
        return list(self._clf.predict(self._x(examples)))


@dataclass
class LogitAdjusted:
    """Post-hoc logit adjustment (Menon et al. 2021): the argmax of log p(y|x) − τ·log π(y), π
    the training label frequencies. τ = 1 aims at balanced accuracy (each class weighed alike,
    as macro-F1 does); nothing is fitted, so val is never looked at. ``base`` must have
    ``predict_proba`` (probabilities in ``LABELS`` order); ``refit`` False reuses a base that is
    already fitted (one fine-tuning run, two readings)."""

    name: str
    base: Any
    tau: float = 1.0
    refit: bool = True
    kind: str = "calibrated"

    @property
    def settings(self) -> dict[str, Any]:
        return {**self.base.settings, "logit_adjustment": f"tau={self.tau} (training label frequencies)"}

    def fit(self, train: Sequence[Example]) -> None:
        counts = Counter(e.label for e in train)
        self.log_prior = np.log(np.array([counts[label] for label in LABELS], dtype=float) / len(train))
        if self.refit:
            self.base.fit(train)

    def predict(self, examples: Sequence[Example]) -> list[str]:
        logp = np.log(self.base.predict_proba(examples) + 1e-12)
        return [LABELS[i] for i in (logp - self.tau * self.log_prior).argmax(axis=1)]
