"""Does the speech *sound* English? A second opinion for an English-only model, from its own encoder.

tiny.en writes whatever it hears as English, so the transcript's signs (``english.py``) cannot
tell English the model could not follow (an unfamiliar accent, noise) from another language it
forced into English words: both come out as poor English. The model's encoder hears the sounds
before the decoder makes words of them, and its states separate languages: a logistic-regression
probe over them, pooled over 5-second windows of detected speech, gives each window a probability
that it is not English. The probe was fitted by ``bench/language_probe.py`` on espeak-ng speech in
seven languages (the language set's dev clips) and on the independent corpus's read recordings,
English ones and Spanish stretches; it belongs to one model (its fingerprint is in the file), and
with another model there is none and the transcript's signs decide alone.

The encoder runs in float32, whose kernels give the same transcript under every instruction set
measured (docs/media.md), so the probe's numbers do not move with the CPU the way int8 decoding
did. Synthetic speech is not human speech: on the shared real English clips the probe stays far
from the line, but it has not met a real speaker of another language beyond one French clip.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .decode import SAMPLE_RATE
from .transcript import AcousticWindow as Window

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

FRAME_S = 0.02  # one encoder state per 20 ms
CHUNK_S = 30  # Whisper's window
WINDOW_FRAMES = 250  # 5 s pooled per window
HOP_FRAMES = 50  # a window every second
MIN_SPEECH_FRAMES = 100  # at least 2 s of detected speech in a window (and half of it)

_PROBE_DIRS = (
    Path(__file__).resolve().parent.parent / "bundled_models" / "language_probe",  # wheel installs
    Path(__file__).resolve().parents[2] / "models" / "language_probe",  # a checkout / editable install
)


@dataclass(frozen=True)
class Probe:
    name: str  # file name and content hash: part of the transcript cache key, so a new probe re-measures
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def p_other(self, pooled: np.ndarray) -> np.ndarray:
        z = ((pooled - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


def probe_file(fingerprint: str) -> Path | None:
    for folder in _PROBE_DIRS:
        path = folder / f"probe-{fingerprint}.json"
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=4)
def load_probe(fingerprint: str) -> Probe | None:
    """The probe fitted for the model with this fingerprint, or None (another model)."""
    path = probe_file(fingerprint)
    if path is None:
        return None
    text = path.read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return Probe(
        name=f"{path.name}:{hashlib.sha256(text.encode()).hexdigest()[:12]}",
        mean=np.asarray(data["mean"], dtype=np.float64),
        scale=np.asarray(data["scale"], dtype=np.float64),
        coef=np.asarray(data["coef"], dtype=np.float64),
        intercept=float(data["intercept"]),
    )


def speech_mask(audio: np.ndarray, frames: int) -> np.ndarray:
    """Which encoder frames hold detected speech (Silero VAD, faster-whisper's defaults: the
    same detector that decides what the transcription skips)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    mask = np.zeros(frames, dtype=bool)
    per_frame = int(SAMPLE_RATE * FRAME_S)
    for ts in get_speech_timestamps(audio, VadOptions()):
        mask[ts["start"] // per_frame : ts["end"] // per_frame + 1] = True
    return mask


def encoder_states(model: "WhisperModel", audio: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The encoder's states for the whole recording, one row per 20 ms; 30-second chunks without
    detected speech are left at zero and never encoded."""
    chunk = CHUNK_S * SAMPLE_RATE
    per_frame = int(SAMPLE_RATE * FRAME_S)
    starts = range(0, max(audio.size, 1), chunk)
    lengths = [max(1, int(round(min(chunk, audio.size - start) / per_frame))) for start in starts]
    states: np.ndarray | None = None
    for start, frames in zip(starts, lengths):
        first = start // per_frame
        if not mask[first : first + frames].any():
            continue
        mel = model.feature_extractor(audio[start : start + chunk])
        full = CHUNK_S * 100  # mel frames per window (10 ms each)
        mel = mel[:, :full] if mel.shape[-1] >= full else np.pad(mel, ((0, 0), (0, full - mel.shape[-1])))
        out = np.asarray(model.encode(mel))[0]
        if states is None:
            states = np.zeros((sum(lengths), out.shape[1]), dtype=np.float32)
        states[first : first + frames] = out[:frames]
    if states is None:
        return np.zeros((len(mask), 0), dtype=np.float32)
    return states[: len(mask)]


def pooled_features(model: "WhisperModel", audio: np.ndarray) -> list[tuple[float, float, np.ndarray]]:
    """Every window of the recording with enough speech, pooled: what the probe reads (and what
    bench/language_probe.py fits it on)."""
    frames = max(1, int(round(audio.size / (SAMPLE_RATE * FRAME_S))))
    mask = speech_mask(audio, frames)
    if not mask.any():
        return []
    return pooled_windows(encoder_states(model, audio, mask), mask)


def pooled_windows(states: np.ndarray, mask: np.ndarray) -> list[tuple[float, float, np.ndarray]]:
    """(start s, end s, mean and standard deviation of the window's speech states) every second."""
    total = min(len(states), len(mask))
    out = []
    for a in range(0, max(1, total - WINDOW_FRAMES // 2), HOP_FRAMES):
        m = mask[a : a + WINDOW_FRAMES]
        if m.sum() < max(MIN_SPEECH_FRAMES, min(WINDOW_FRAMES, total) * 0.5):
            continue
        x = states[a : a + WINDOW_FRAMES][m[: len(states[a : a + WINDOW_FRAMES])]]
        if x.size == 0:
            continue
        out.append((a * FRAME_S, min(a + WINDOW_FRAMES, total) * FRAME_S, np.concatenate([x.mean(0), x.std(0)])))
    return out


def windows(model: "WhisperModel", audio: np.ndarray, probe: Probe) -> tuple[Window, ...]:
    pooled = pooled_features(model, audio)
    if not pooled:
        return ()
    p = probe.p_other(np.stack([x for _, _, x in pooled]).astype(np.float64))
    return tuple(Window(round(a, 2), round(b, 2), round(float(q), 4)) for (a, b, _), q in zip(pooled, p))
