"""The CEReD evaluator: one dataset, a primary metric, a common result record."""

from __future__ import annotations

import time
from typing import Any, Protocol, Sequence

from .cered import LABELS, Example
from .record import Result


class Method(Protocol):
    name: str
    kind: str

    @property
    def settings(self) -> dict[str, Any]: ...

    def fit(self, train: Sequence[Example]) -> None: ...

    def predict(self, examples: Sequence[Example]) -> list[str]: ...


def scores(gold: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    """Accuracy, macro-F1 over the nine categories, and each category's F1."""
    from sklearn.metrics import accuracy_score, f1_score

    per = f1_score(gold, pred, labels=list(LABELS), average=None, zero_division=0)
    out = {"accuracy": float(accuracy_score(gold, pred)),
           "macro_f1": float(f1_score(gold, pred, labels=list(LABELS), average="macro", zero_division=0))}
    out.update({f"f1_{label}": float(v) for label, v in zip(LABELS, per)})
    return out


class CeredEvaluator:
    """Fits a method on CEReD train (labels only for calibrated methods), reports on val."""

    dataset = "CEReD val"
    primary_metric = "macro_f1"

    def __init__(self, train: Sequence[Example], val: Sequence[Example], model: str, dev_on_train: bool = True) -> None:
        self.train, self.val, self.model = list(train), list(val), model
        self.dev_on_train = dev_on_train

    def __call__(self, method: Method) -> Result:
        start = time.perf_counter()
        method.fit(self.train)
        fit_s = time.perf_counter() - start
        pred = method.predict(self.val)
        metrics = scores([e.label for e in self.val], pred)
        if method.kind == "zero-shot" and self.dev_on_train:
            # A zero-shot method never saw the training labels, so train is a second, larger test
            # set: the one its variants were compared on (val is only 339 sentences).
            train_pred = method.predict(self.train)
            dev = scores([e.label for e in self.train], train_pred)
            metrics.update({"train_accuracy": dev["accuracy"], "train_macro_f1": dev["macro_f1"]})
        return Result(dataset=self.dataset, method=method.name, kind=method.kind,
                      metrics=metrics, primary=self.primary_metric,
                      model=self.model, settings=dict(method.settings), fit_s=fit_s)
