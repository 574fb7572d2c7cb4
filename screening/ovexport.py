"""Builds the OpenVINO form of the embedding model from the bundled weights, once, into the cache.

The graph is the sentence-transformers model end to end: BERT, mean pooling over the attention
mask and L2 normalisation, so OpenVINO returns finished unit vectors and the embedding process
needs neither torch nor sentence-transformers once the files exist. Nothing is downloaded: the
weights are the local model folder's. The files are written to a temporary folder and renamed
into place under an exclusive file lock, so two processes starting at once export only once and
never read half-written files. A failed export leaves a note beside the folder, so later
processes fall back at once instead of failing the same way again (delete the note to retry).
"""

from __future__ import annotations

import fcntl
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .models import ModelInfo, sentence_transformer
from .settings import ModelSettings

# Bump when the exported graph changes, so old exports are not reused.
RECIPE = 1
XML = "model.xml"


class ExportError(Exception):
    """The export failed; ``problem`` says why in one line."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def export_folder(cache_dir: Path, info: ModelInfo, models: ModelSettings) -> Path:
    import openvino

    version = openvino.__version__.split("-")[0]
    base = models.export_dir if models.export_dir is not None else cache_dir / "openvino"
    return Path(base) / f"{info.name}-{info.revision}-r{RECIPE}-ov{version}"


def failure_note(folder: Path) -> Path:
    return folder.with_name(folder.name + ".failed")


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.with_name(folder.name + ".lock"), "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # blocks while another process exports
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_exported(cache_dir: Path, info: ModelInfo, models: ModelSettings) -> Path:
    """The OpenVINO IR (``model.xml``) of the embedding model, exported on first use."""
    folder = export_folder(cache_dir, info, models)
    if (folder / XML).is_file():
        return folder / XML
    with _locked(folder):
        if (folder / XML).is_file():  # another process finished while we waited
            return folder / XML
        note = failure_note(folder)
        if note.is_file():
            raise ExportError(f"an earlier export failed ({note.read_text(encoding='utf-8').strip()}; note in {note})")
        tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=folder.parent))
        try:
            _export(models, tmp / XML)
            tmp.rename(folder)
        except Exception as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            problem = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else 'no detail'}"
            note.write_text(problem + "\n", encoding="utf-8")
            raise ExportError(problem) from exc
    return folder / XML


def _export(models: ModelSettings, xml: Path) -> None:
    import openvino as ov
    import torch

    st = sentence_transformer(models)  # fp32, from the local folder only
    pooling = st[1].get_config_dict() if len(st) > 1 else {}
    if pooling.get("pooling_mode", "mean") != "mean" and not pooling.get("pooling_mode_mean_tokens"):
        raise ValueError(f"only mean-pooled models can be exported (this one: {pooling})")

    class Pooled(torch.nn.Module):
        """BERT + mean pooling + L2 normalisation: what sentence-transformers computes."""

        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=torch.zeros_like(input_ids)
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    module = Pooled(st[0].auto_model).eval()
    # A padded example, so the traced graph has seen a mask with zeros in it.
    ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102], [101, 2460, 102, 0, 0, 0]], dtype=torch.int64)
    mask = (ids != 0).to(torch.int64)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer chatter about Python conditionals the graph does not need
        graph = ov.convert_model(
            module,
            example_input={"input_ids": ids, "attention_mask": mask},
            input=[("input_ids", [-1, -1], ov.Type.i64), ("attention_mask", [-1, -1], ov.Type.i64)],
        )
    # Weights stay fp32 on disk; the precision is chosen when compiling (bf16 or f32).
    ov.save_model(graph, str(xml), compress_to_fp16=False)
