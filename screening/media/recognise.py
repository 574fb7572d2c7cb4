"""Speech to segments: one faster-whisper call with the options the bench chose.

Options (bench/RESULTS.md, 2 CPU cores, tiny.en int8, 67 s file): greedy decoding (beam 5 is
1.5x slower and changed 9% of the words), no conditioning on the previous window's text (it
changed 8% of the words and feeds repetition loops on small models), a single temperature (the
fallback list re-decodes failed windows; no word changed there), no word time stamps (segment
times are enough to point an assessor to a moment). Apart from beam 5 these options move speed
by no more than the run-to-run noise (±10%) on that file. Silero VAD stays on: on speech
without pauses it costs up to 10%, but it removes silence that Whisper would otherwise
hallucinate into (a silent or tone-only file gives no segment at all).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from ..settings import MediaSettings
from . import acoustic
from .decode import SAMPLE_RATE
from .model import whisper_info, whisper_model
from .transcript import RawTranscript, Segment

TEMPERATURE = 0.0
CONDITION_ON_PREVIOUS_TEXT = False

_runs_done = 0
_runs_lock = threading.Lock()


def probe_for(settings: MediaSettings) -> acoustic.Probe | None:
    """The acoustic language probe fitted for this model, when it is asked for."""
    if not settings.acoustic_probe:
        return None
    return acoustic.load_probe(whisper_info(settings).fingerprint)


def options(settings: MediaSettings) -> dict[str, Any]:
    """Everything that changes the model's output for a file: the cache key's ingredients."""
    info = whisper_info(settings)
    probe = probe_for(settings)
    return {
        "acoustic_probe": probe.name if probe is not None else None,
        "model": info.label,
        "model_path": info.path,
        "compute_type": settings.compute_type,
        "device": settings.device,
        "beam_size": settings.beam_size,
        "vad_filter": settings.vad_filter,
        "temperature": TEMPERATURE,
        "condition_on_previous_text": CONDITION_ON_PREVIOUS_TEXT,
    }


def recognise(
    audio: np.ndarray,
    settings: MediaSettings,
    threads: int,
    duration_s: float | None,
    progress: Callable[[float, float], None] | None = None,
) -> RawTranscript:
    global _runs_done
    total = duration_s if duration_s else audio.size / SAMPLE_RATE
    with whisper_model(settings, threads) as model:
        with _runs_lock:
            _runs_done += 1
        multilingual = bool(model.model.is_multilingual)
        segments_iter, info = model.transcribe(
            audio,
            language=None if multilingual else "en",  # None: a multilingual model detects it
            beam_size=settings.beam_size,
            vad_filter=settings.vad_filter,
            condition_on_previous_text=CONDITION_ON_PREVIOUS_TEXT,
            temperature=TEMPERATURE,
            word_timestamps=False,
        )
        segments: list[Segment] = []
        for s in segments_iter:  # lazy: each window is decoded as it is asked for
            segments.append(Segment(round(s.start, 2), round(s.end, 2), s.text.strip(), s.avg_logprob, s.no_speech_prob))
            if progress is not None:
                progress(min(s.end, total), total)
        windows = None
        probe = None if multilingual else probe_for(settings)
        if probe is not None:
            windows = acoustic.windows(model, audio, probe)
    if progress is not None:
        progress(total, total)
    speech_s = info.duration_after_vad if settings.vad_filter else sum(max(0.0, s.end_s - s.start_s) for s in segments)
    return RawTranscript(
        segments=tuple(segments),
        duration_s=duration_s,
        speech_s=round(float(speech_s), 2),
        language=info.language,
        language_probability=float(info.language_probability) if multilingual else None,
        model=whisper_info(settings).label,
        multilingual=multilingual,
        acoustic=windows,
    )


def model_runs() -> int:
    """Transcriptions the model has run in this process (a cache hit runs none)."""
    return _runs_done
