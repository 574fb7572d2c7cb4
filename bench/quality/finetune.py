"""Fine-tuning the bundled MiniLM on CEReD's training labels, on CPU (bench only).

A mean-pooled MiniLM encoder with a linear head, trained end to end with cross-entropy (the
supervised form of SetFit's idea: move the small model's space towards the labels instead of
fitting a head on frozen vectors). Input is the sentence, optionally paired with its context
window (``[CLS] sentence [SEP] context [SEP]``, the longer of the two truncated first). Batches are drawn
from length buckets so little padding is computed; bf16 autocast is used when the CPU has it.

Nothing is saved: the weights live only for the run. The bundled model is loaded afresh from its
folder, so the process's cached embedder is untouched.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from screening.models import embedding_model_path
from screening.settings import Settings

from .cered import LABELS, Example


def bf16_available() -> bool:
    import torch

    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


@dataclass
class FineTuned:
    name: str
    settings_obj: Settings
    epochs: float = 1.0
    context: bool = False
    lr: float = 5e-5
    batch: int = 32
    max_len: int = 128
    seed: int = 13
    class_weight_power: float = 0.0  # loss weight of a class ∝ (1 / its training frequency) ** this
    kind: str = "calibrated"
    log: list[str] = field(default_factory=list)

    @property
    def settings(self) -> dict[str, Any]:
        out = {"features": "sentence+context pair" if self.context else "sentence", "epochs": self.epochs,
               "lr": self.lr, "batch": self.batch, "max_len": self.max_len, "bf16": bf16_available()}
        if self.class_weight_power:
            out["class_weight"] = f"(1/frequency)^{self.class_weight_power:g}, mean 1"
        return out

    def _encode(self, examples: Sequence[Example]):  # type: ignore[no-untyped-def]
        if self.context:
            # longest_first: the context is cut first, and a sentence longer than max_len alone too
            # ("only_second" raises on such a sentence)
            return self._tok([e.sentence for e in examples], [e.context for e in examples], truncation="longest_first",
                             max_length=self.max_len, padding=True, return_tensors="pt")
        return self._tok([e.sentence for e in examples], truncation=True, max_length=self.max_len, padding=True,
                         return_tensors="pt")

    def _forward(self, enc):  # type: ignore[no-untyped-def]
        import torch

        out = self._model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(out.dtype)
        pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return self._head(torch.nn.functional.dropout(pooled, 0.1, self._model.training))

    def _batches(self, examples: Sequence[Example], shuffle: bool) -> list[list[int]]:
        order = sorted(range(len(examples)), key=lambda i: len(examples[i].sentence) + (len(examples[i].context) if self.context else 0))
        batches = [order[i : i + self.batch] for i in range(0, len(order), self.batch)]
        if shuffle:
            random.Random(self.seed).shuffle(batches)
        return batches

    def fit(self, train: Sequence[Example]) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        torch.manual_seed(self.seed)
        path = str(embedding_model_path(self.settings_obj.models))
        self._tok = AutoTokenizer.from_pretrained(path)
        self._model = AutoModel.from_pretrained(path)
        self._head = torch.nn.Linear(self._model.config.hidden_size, len(LABELS))
        y = torch.tensor([LABELS.index(e.label) for e in train])
        freq = torch.bincount(y, minlength=len(LABELS)).float().clamp(min=1) / len(train)
        weight = freq ** -self.class_weight_power
        weight = weight / (weight * freq).sum()  # the average example keeps weight 1
        params = [{"params": self._model.parameters(), "lr": self.lr}, {"params": self._head.parameters(), "lr": 1e-3}]
        opt = torch.optim.AdamW(params, weight_decay=0.01)
        steps_per_epoch = math.ceil(len(train) / self.batch)
        total = max(1, int(steps_per_epoch * self.epochs))
        warm = max(1, total // 10)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / (total - warm + 1e-9))))
        use_bf16 = bf16_available()
        self._model.train()
        step, start = 0, time.perf_counter()
        while step < total:
            for idx in self._batches(train, shuffle=True):
                if step >= total:
                    break
                enc = self._encode([train[i] for i in idx])
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=use_bf16):
                    logits = self._forward(enc)
                loss = torch.nn.functional.cross_entropy(logits.float(), y[idx], weight=weight)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(list(self._model.parameters()) + list(self._head.parameters()), 1.0)
                opt.step()
                sched.step()
                opt.zero_grad()
                step += 1
                if step % 20 == 0 or step == total:
                    self.log.append(f"step {step}/{total} loss {loss.item():.3f} {time.perf_counter() - start:.0f}s")
                    print("  finetune", self.log[-1], flush=True)
            self.seed += 1  # a new batch order each epoch

    def predict_proba(self, examples: Sequence[Example]) -> np.ndarray:
        """Softmax probabilities in ``LABELS`` order."""
        import torch

        self._model.eval()
        out = np.zeros((len(examples), len(LABELS)), dtype=np.float64)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16_available()):
            for idx in self._batches(examples, shuffle=False):
                logits = self._forward(self._encode([examples[i] for i in idx]))
                out[idx] = torch.softmax(logits.float(), -1).numpy()
        return out

    def predict(self, examples: Sequence[Example]) -> list[str]:
        return [LABELS[i] for i in self.predict_proba(examples).argmax(axis=1)]
