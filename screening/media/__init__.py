"""Transcription of audio and video evidence (faster-whisper on CTranslate2, decoded by PyAV).

Public API::

    probe(path, settings) -> (duration_s | None, IngestProblem | None)   # metadata only
    transcribe(path, settings, cache_dir, progress=None) -> Transcript   # never raises for a bad file
    transcribe_many(paths, settings, cache_dir, progress=None) -> list[Transcript]

``settings`` is ``Settings.media``; ``cache_dir`` is ``Settings.cache_dir`` (transcripts go under
its ``transcripts/`` folder) or None for no cache. Importing this package loads no model.
"""

from .recognise import model_runs
from .transcriber import probe, transcribe, transcribe_many
from .transcript import Segment, Transcript

__all__ = ["Segment", "Transcript", "model_runs", "probe", "transcribe", "transcribe_many"]
