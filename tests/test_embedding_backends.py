"""Embedding backends: the automatic choice, agreement with plain fp32 encode, cache keys per
backend, and the fall-back to torch when the OpenVINO export cannot be built."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import screening.cpu as cpu
import screening.encoders as encoders
import screening.ovexport as ovexport
from screening.embedding import Embedder
from screening.encoders import choose_backend, fallback_backend
from screening.models import embedding_model_info
from screening.settings import ModelSettings, Settings

REPO = Path(__file__).resolve().parents[1]
BF16 = frozenset({"avx2", "avx512f", "avx512_bf16"})
NO_BF16 = frozenset({"avx2", "avx512f"})


def _settings(tmp_path: Path, backend: str, **models: object) -> Settings:
    return Settings(cache_dir=tmp_path / "cache", rubric_dirs=[REPO / "rubrics"],
                    models={"embedding_backend": backend, **models})


def _passages() -> list[str]:
    """Real passages: the example reflection's paragraphs and sentences, 6 words and up."""
    text = (REPO / "examples" / "professional-learning" / "reflection.md").read_text(encoding="utf-8")
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n") if len(p.split()) >= 6 and not p.startswith("#")]
    sentences = [s for p in paragraphs for s in re.split(r"(?<=[.!?])\s+", p) if len(s.split()) >= 6]
    return list(dict.fromkeys(paragraphs + sentences))


# ---------------------------------------------------------------------------------------------
# The choice (no model loads)


def test_auto_picks_openvino_bf16_on_a_bf16_cpu_with_openvino():
    choice = choose_backend(ModelSettings(), flags=BF16, openvino=True)
    assert choice.backend == "openvino-bf16"


def test_auto_picks_torch_bf16_on_a_bf16_cpu_without_openvino():
    assert choose_backend(ModelSettings(), flags=BF16, openvino=False).backend == "torch-bf16"


def test_auto_picks_openvino_fp32_without_bf16_instructions():
    choice = choose_backend(ModelSettings(), flags=NO_BF16, openvino=True)
    assert choice.backend == "openvino-fp32"
    assert "no bf16" in choice.reason
    assert fallback_backend(ModelSettings(), flags=NO_BF16) == "torch-fp32"


def test_auto_picks_torch_fp32_without_bf16_or_openvino():
    choice = choose_backend(ModelSettings(), flags=NO_BF16, openvino=False)
    assert choice.backend == "torch-fp32"
    assert "no bf16" in choice.reason and "openvino is not installed" in choice.reason


def test_auto_uses_fp32_torch_on_a_non_cpu_device():
    assert choose_backend(ModelSettings(device="cuda"), flags=BF16, openvino=True).backend == "torch-fp32"


def test_an_explicit_backend_is_kept():
    assert choose_backend(ModelSettings(embedding_backend="torch-bf16"), flags=NO_BF16).backend == "torch-bf16"


def test_the_embedder_reads_the_cpu_probe(tmp_path, monkeypatch):
    monkeypatch.setattr(cpu, "cpu_flags", lambda: NO_BF16)
    monkeypatch.setattr(encoders, "openvino_installed", lambda: True)
    assert Embedder(_settings(tmp_path, "auto")).backend == "openvino-fp32"
    monkeypatch.setattr(encoders, "openvino_installed", lambda: False)
    assert Embedder(_settings(tmp_path, "auto")).backend == "torch-fp32"
    monkeypatch.setattr(cpu, "cpu_flags", lambda: BF16)
    assert Embedder(_settings(tmp_path, "auto")).backend == "torch-bf16"


def test_the_probe_reads_proc_cpuinfo_flags():
    flags = cpu.cpu_flags()
    if not Path("/proc/cpuinfo").is_file():
        assert flags == frozenset()
    else:
        assert "fpu" in flags or not flags  # x86 lists fpu; other architectures have no flags line


def test_cache_keys_and_fingerprints_differ_per_backend(tmp_path):
    embedders = [Embedder(_settings(tmp_path, b)) for b in encoders.BACKENDS]
    assert len({e.model_key for e in embedders}) == len(encoders.BACKENDS)
    assert [e.info.backend for e in embedders] == list(encoders.BACKENDS)


# ---------------------------------------------------------------------------------------------
# Export: lock and failure (the export itself is replaced; no model loads)


def test_two_exports_at_once_build_once(tmp_path, monkeypatch):
    calls = []

    def slow_export(models, xml):
        calls.append(xml)
        time.sleep(0.3)
        xml.write_text("<net/>")

    monkeypatch.setattr(ovexport, "_export", slow_export)
    models = ModelSettings()
    info = embedding_model_info(models)
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(ovexport.ensure_exported(tmp_path, info, models)))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert results[0] == results[1] and results[0].read_text() == "<net/>"
    assert not list(results[0].parent.parent.glob(".export-*")), "temporary folder left behind"


@pytest.mark.models
def test_a_failed_export_falls_back_to_torch_with_a_coded_message(tmp_path, monkeypatch, caplog):
    def broken(models, xml):
        raise RuntimeError("simulated converter failure")

    monkeypatch.setattr(ovexport, "_export", broken)
    settings = _settings(tmp_path, "openvino-bf16", export_dir=tmp_path / "exports")
    embedder = Embedder(settings)
    assert embedder.backend == "openvino-bf16"
    vecs = embedder.encode(["A teacher planned a workshop on formative assessment for six colleagues."])
    assert vecs.shape == (1, 384)
    assert np.isclose(np.linalg.norm(vecs[0]), 1.0, atol=1e-4)
    assert embedder.backend == fallback_backend(settings.models)
    assert embedder.info.backend == embedder.backend  # the report says what ran
    assert embedder.model_key.endswith("/" + embedder.backend)
    assert len(embedder.notes) == 1 and embedder.notes[0].startswith("[E017]")
    assert "simulated converter failure" in embedder.notes[0]
    assert "[E017]" in caplog.text

    # A later process does not try again: it falls back at once, saying why.
    def must_not_run(models, xml):
        raise AssertionError("export retried after a recorded failure")

    monkeypatch.setattr(ovexport, "_export", must_not_run)
    again = Embedder(settings)
    again.encode(["Another sentence the cache has not seen, about coaching cycles."])
    assert again.notes and "an earlier export failed" in again.notes[0]


@pytest.mark.models
def test_openvino_not_installed_falls_back_with_a_coded_message(tmp_path, monkeypatch):
    monkeypatch.setattr(encoders, "openvino_installed", lambda: False)
    embedder = Embedder(_settings(tmp_path, "openvino-bf16"))
    embedder.encode(["Teachers met weekly to review student work samples."])
    assert embedder.backend in ("torch-bf16", "torch-fp32")
    assert embedder.notes[0].startswith("[E018]")


# ---------------------------------------------------------------------------------------------
# Agreement with plain fp32 encode (models load)


@pytest.fixture(scope="module")
def reference():
    from screening.models import sentence_transformer

    texts = _passages()
    model = sentence_transformer(ModelSettings())
    return texts, model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)


def _available() -> list[str]:
    return [b for b in encoders.BACKENDS if not b.startswith("openvino") or encoders.openvino_installed()]


@pytest.mark.models
@pytest.mark.parametrize("backend", ["auto", *_available()])
def test_every_backend_agrees_with_plain_fp32_encode(tmp_path, reference, backend):
    texts, ref = reference
    assert len(texts) >= 30
    embedder = Embedder(_settings(tmp_path, backend))
    vecs = embedder.encode(texts)
    assert embedder.notes == []  # no fall-back happened: the named backend ran
    assert embedder.stats["computed"] == len(texts)
    cosine = np.sum(vecs * ref, axis=1)
    assert cosine.min() >= 0.999, (embedder.backend, float(cosine.min()))
    if backend == "auto":
        assert embedder.backend == choose_backend(ModelSettings()).backend


@pytest.mark.models
def test_a_backend_never_reads_another_backends_vectors(tmp_path, reference):
    texts, _ = reference
    first = Embedder(_settings(tmp_path, "torch-fp32"))
    first.encode(texts[:5])
    same = Embedder(_settings(tmp_path, "torch-fp32"))
    same.encode(texts[:5])
    assert same.stats == {"memory": 0, "disk": 5, "computed": 0}
    other = Embedder(_settings(tmp_path, "torch-bf16"))
    other.encode(texts[:5])
    assert other.stats == {"memory": 0, "disk": 0, "computed": 5}
