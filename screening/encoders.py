"""What computes embeddings: the backend choice and one small encoder class per runtime.

Backends (``models.embedding_backend``):

- ``torch-fp32``: plain ``SentenceTransformer.encode``; the reference every other backend is
  measured against, and the fallback everywhere.
- ``torch-bf16``: the same model with its weights cast to bf16 (fast only with hardware bf16).
- ``openvino-fp32`` / ``openvino-bf16``: an OpenVINO graph exported locally from the same weights
  (screening/ovexport.py), compiled at f32 or bf16 inference precision, fed batches sorted by
  token count through an async queue. Needs neither torch nor sentence-transformers once exported.

``auto`` picks the fastest backend measured safe (cosine >= 0.999 to torch-fp32, bench/RESULTS.md)
for this CPU: with openvino installed, openvino-bf16 when the CPU has bf16 instructions and
openvino-fp32 when it has not (AVX2-only CPUs: about 1.5x plain encode at cosine 1.0000);
without openvino, torch-bf16 or torch-fp32 by the same test; torch-fp32 whenever
``models.device`` is not cpu.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from .cpu import has_bf16
from .errors import Errors
from .models import ModelInfo, sentence_transformer
from .settings import ModelSettings

BACKENDS = ("torch-fp32", "torch-bf16", "openvino-fp32", "openvino-bf16")


@dataclass(frozen=True)
class Choice:
    backend: str
    reason: str


def openvino_installed() -> bool:
    return importlib.util.find_spec("openvino") is not None


def choose_backend(
    models: ModelSettings, flags: frozenset[str] | None = None, openvino: bool | None = None
) -> Choice:
    """The backend to use; ``flags`` and ``openvino`` override the probes (for tests)."""
    if models.embedding_backend != "auto":
        return Choice(models.embedding_backend, "set in models.embedding_backend")
    if models.device != "cpu":
        return Choice("torch-fp32", f"device is {models.device!r}, not cpu")
    bf16 = has_bf16(flags)
    if openvino_installed() if openvino is None else openvino:
        if bf16:
            return Choice("openvino-bf16", "the CPU has bf16 instructions and openvino is installed")
        return Choice("openvino-fp32", "the CPU has no bf16 instructions (avx512_bf16 or amx_bf16); openvino is installed")
    if bf16:
        return Choice("torch-bf16", "the CPU has bf16 instructions; openvino is not installed")
    return Choice("torch-fp32", "the CPU has no bf16 instructions (avx512_bf16 or amx_bf16); openvino is not installed")


def fallback_backend(models: ModelSettings, flags: frozenset[str] | None = None) -> str:
    """Where an OpenVINO backend falls back to when it cannot be built or loaded."""
    return "torch-bf16" if models.device == "cpu" and has_bf16(flags) else "torch-fp32"


class Encoder(Protocol):
    backend: str
    batch_size: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in the texts' order."""
        ...


class TorchEncoder:
    """sentence-transformers' own ``encode`` (it sorts each call's texts by length itself)."""

    def __init__(self, models: ModelSettings, bf16: bool) -> None:
        self.backend = "torch-bf16" if bf16 else "torch-fp32"
        self.batch_size = models.embed_batch_size
        self._model = sentence_transformer(models, bf16=bf16)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vecs = self._model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_tensor=True, show_progress_bar=False,
        )
        vecs = vecs.float().cpu().numpy()
        # bf16 output carries ~3 significant digits: normalise again in fp32.
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)


class OpenVinoEncoder:
    """The exported graph on OpenVINO's CPU plugin. Texts are tokenised with the model's own
    ``tokenizer.json`` (Rust tokenizers, as sentence-transformers does), sorted by token count so
    each batch pads little, and run ``requests`` batches at a time on the plugin's streams."""

    def __init__(self, xml: Path, model_path: Path, models: ModelSettings, bf16: bool) -> None:
        import openvino as ov
        from tokenizers import Tokenizer

        self.backend = "openvino-bf16" if bf16 else "openvino-fp32"
        self.batch_size = models.openvino_batch_size
        self._requests = models.openvino_requests
        tok_file = model_path / "tokenizer.json"
        if not tok_file.is_file():
            raise FileNotFoundError(f"{tok_file} is missing (the OpenVINO backends need a fast tokenizer file)")
        self._tokenizer = Tokenizer.from_file(str(tok_file))
        # The file's own truncation/padding (128, fixed) is not what sentence-transformers uses.
        self._tokenizer.enable_truncation(max_length=_max_seq_length(model_path))
        self._tokenizer.no_padding()  # padded per batch below, to the batch's longest text
        pad_id = self._tokenizer.token_to_id("[PAD]")
        config: dict[str, object] = {
            "INFERENCE_PRECISION_HINT": "bf16" if bf16 else "f32",
            "PERFORMANCE_HINT": "THROUGHPUT",
            "NUM_STREAMS": self._requests,
        }
        if models.torch_threads:
            config["INFERENCE_NUM_THREADS"] = models.torch_threads
        self._compiled = ov.Core().compile_model(str(xml), "CPU", config)
        self._pad = 0 if pad_id is None else pad_id
        self._dim = self._compiled.output(0).get_partial_shape()[1].get_length()
        self._infer = [self._compiled.create_infer_request() for _ in range(self._requests)]
        self._lock = threading.Lock()  # one caller at a time: the requests are the parallelism

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        # Round-robin over a fixed set of requests, waited on from this thread: no Python
        # callbacks run on OpenVINO's threads (those crash the interpreter at exit).
        pending: list[np.ndarray | None] = [None] * len(self._infer)
        with self._lock:
            for n, start in enumerate(range(0, len(texts), self.batch_size)):
                slot = n % len(self._infer)
                request = self._infer[slot]
                if pending[slot] is not None:
                    request.wait()
                    out[pending[slot]] = request.get_output_tensor(0).data
                rows = order[start : start + self.batch_size]
                width = max(len(encodings[i].ids) for i in rows)
                ids = np.full((len(rows), width), self._pad, dtype=np.int64)
                mask = np.zeros((len(rows), width), dtype=np.int64)
                for j, i in enumerate(rows):
                    k = len(encodings[i].ids)
                    ids[j, :k] = encodings[i].ids
                    mask[j, :k] = 1
                request.start_async({"input_ids": ids, "attention_mask": mask})
                pending[slot] = rows
            for slot, rows in enumerate(pending):
                if rows is not None:
                    self._infer[slot].wait()
                    out[rows] = self._infer[slot].get_output_tensor(0).data
        return out

    def close(self) -> None:
        """Releases OpenVINO's objects while the interpreter is still whole (see atexit below)."""
        self._infer = []
        self._compiled = None


def _max_seq_length(model_path: Path) -> int:
    config = model_path / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text()).get("max_seq_length", 256))
    return 256


def load_encoder(backend: str, models: ModelSettings, info: ModelInfo, cache_dir: Path) -> tuple[Encoder, str | None]:
    """The encoder for ``backend``, warmed up, and a coded message if it had to fall back to
    torch (OpenVINO missing, or the export or compilation failed). Never raises for those."""
    if backend in ("torch-fp32", "torch-bf16"):
        return TorchEncoder(models, bf16=backend == "torch-bf16"), None
    fallback = fallback_backend(models)
    if not openvino_installed():
        message = Errors.E018.format(backend=backend, fallback=fallback)
        return TorchEncoder(models, bf16=fallback == "torch-bf16"), message
    from .ovexport import ExportError, ensure_exported, export_folder

    folder = export_folder(cache_dir, info, models)
    try:
        xml = ensure_exported(cache_dir, info, models)
        return _openvino_encoder(xml, Path(info.path), models, backend == "openvino-bf16"), None
    except Exception as exc:  # export or compile: any failure here must leave a working embedder
        problem = exc.problem if isinstance(exc, ExportError) else f"{type(exc).__name__}: {exc}"
        message = Errors.E017.format(backend=backend, path=info.path, folder=folder, problem=problem, fallback=fallback)
        return TorchEncoder(models, bf16=fallback == "torch-bf16"), message


_OPENVINO: dict[tuple[Path, Path, ModelSettings, bool], OpenVinoEncoder] = {}
_OPENVINO_LOCK = threading.Lock()


def _openvino_encoder(xml: Path, model_path: Path, models: ModelSettings, bf16: bool) -> OpenVinoEncoder:
    """Compiled once per process and configuration (torch models are cached in models.py)."""
    key = (xml, model_path, models, bf16)
    with _OPENVINO_LOCK:
        if key not in _OPENVINO:
            _OPENVINO[key] = _warm(OpenVinoEncoder(xml, model_path, models, bf16))
        return _OPENVINO[key]


@atexit.register
def _release_openvino() -> None:
    # Compiled models left to the interpreter's final teardown abort the process ("terminate
    # called without an active exception") now and then; released here, they never do.
    with _OPENVINO_LOCK:
        for encoder in _OPENVINO.values():
            encoder.close()
        _OPENVINO.clear()


def _warm(encoder: Encoder) -> Encoder:
    """One small pass at load: the first pass through a model is 10-15% slower (allocations,
    thread pools, kernels for new shapes), and it belongs to load time, not to a submission."""
    encoder.encode(WARM_UP)
    return encoder


WARM_UP = [
    "Warm-up.",
    "The first pass through a freshly loaded model is slower; this sentence pays for it.",
]
