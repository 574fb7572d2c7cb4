"""Forget files: remove everything the screener's caches under ``Settings.cache_dir`` derived
from given files, found by the files' SHA-256.

| Cache | Where | Keyed by | Removed by |
|---|---|---|---|
| extracted text | ``extracted/<sha256>/<hash>.json`` | the file's SHA-256, limits, extractor code | the file's folder |
| transcripts | ``transcripts/<sha256[:2]>/<sha256>.<hash>.json`` (and ``.lock``) | the file's SHA-256, model options | the file's entries |
| sentence vectors | ``embeddings.sqlite3`` table ``vectors`` | model, SHA-256 of the text | the vectors linked to the file in ``owners`` |
| spaCy results (sentences, names) | memory of each process | pipeline, SHA-256 of the text | emptied in this process |

The OpenVINO model exports (``openvino/``) hold no submission data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .settings import Settings


@dataclass(frozen=True)
class Forgotten:
    extractions: int
    transcripts: int
    vectors: int


def forget_files(settings: Settings, digests: Sequence[str]) -> Forgotten:
    from .embedding import forget_files as forget_vectors
    from .ingest.extract import forget_extractions
    from .media import cache as transcripts
    from .media.recognise import options

    cache_dir = settings.cache_dir
    digests = sorted(set(digests))
    media_options = options(settings.media)
    extracted = sum(forget_extractions(cache_dir, d) for d in digests)
    transcribed = sum(transcripts.forget(cache_dir, d, media_options) for d in digests)
    vectors = forget_vectors(cache_dir, digests)
    if digests:
        _clear_text_caches()
    return Forgotten(extracted, transcribed, vectors)


def _clear_text_caches() -> None:
    # Keyed by text hashes without a link to files: emptied whole (they refill as screening goes on).
    import sys

    for name, attr in (("screening.passages", "_SENTENCES"), ("screening.privacy", "_NAMES"),
                       ("screening.privacy", "_SPOKEN_NAMES")):
        module = sys.modules.get(name)
        if module is not None:
            getattr(module, attr).clear()
